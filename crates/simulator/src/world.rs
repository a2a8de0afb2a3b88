//! The simulated organization: members, projects, controls, hidden truths and
//! how people and models answer.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::json::{push_fixed, push_int, push_json_str};
use crate::math::normal;

pub(crate) const SEC: i64 = 1000;
pub(crate) const MIN: i64 = 60 * SEC;
pub(crate) const HOUR: i64 = 60 * MIN;
pub(crate) const DAY: i64 = 24 * HOUR;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Annotator,
    Reviewer,
    Manager,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Annotator => "annotator",
            Role::Reviewer => "reviewer",
            Role::Manager => "manager",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Criteria {
    None,
    One,
    All,
}

impl Criteria {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Criteria::None => "none",
            Criteria::One => "one",
            Criteria::All => "all",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ControlKind {
    /// `choices`, one label.
    Single,
    /// `choices` with `multiple: true`.
    Multi,
    /// `rating`, 1..=5.
    Rating,
    /// `rectanglelabels`.
    Rect,
}

/// One control tag of a project's labeling config.
#[derive(Clone, Debug)]
pub(crate) struct Control {
    pub name: &'static str,
    pub to_name: &'static str,
    pub kind: ControlKind,
    pub labels: &'static [&'static str],
    /// Cumulative class prior for `Single` / `Rect` labels.
    pub cum_prior: Vec<f64>,
    /// Weight in hundredths.
    pub weight_pct: i64,
}

pub(crate) const SENTIMENT: &[&str] = &["positive", "negative", "neutral"];
pub(crate) const TOPICS: &[&str] = &["billing", "shipping", "product", "support", "other"];
pub(crate) const OBJECTS: &[&str] = &["car", "person", "bicycle", "traffic_light"];
pub(crate) const TIME_OF_DAY: &[&str] = &["day", "night"];
pub(crate) const RATING_MAX: u8 = 5;

impl Control {
    pub(crate) fn with_prior(
        rng: &mut ChaCha8Rng,
        name: &'static str,
        to_name: &'static str,
        kind: ControlKind,
        labels: &'static [&'static str],
        weight_pct: i64,
    ) -> Control {
        // A skewed class prior: real data sets are rarely balanced.
        let mut w: Vec<f64> = (0..labels.len())
            .map(|i| (0.5 + rng.gen::<f64>()) / (1.0 + i as f64 * 0.6))
            .collect();
        let total: f64 = w.iter().sum();
        let mut acc = 0.0;
        for x in w.iter_mut() {
            acc += *x / total;
            *x = acc;
        }
        Control {
            name,
            to_name,
            kind,
            labels,
            cum_prior: w,
            weight_pct,
        }
    }

    pub(crate) fn kind_str(&self) -> &'static str {
        match self.kind {
            ControlKind::Single | ControlKind::Multi => "choices",
            ControlKind::Rating => "rating",
            ControlKind::Rect => "rectanglelabels",
        }
    }

    fn draw_label(&self, rng: &mut ChaCha8Rng) -> u8 {
        let u: f64 = rng.gen();
        self.cum_prior
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.labels.len() - 1) as u8
    }
}

/// A rectangle in hundredths of a percent of the image.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub label: u8,
}

/// The value one participant gave for one control (or the hidden truth).
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Single(u8),
    Multi(u16),
    Rating(u8),
    Boxes(Vec<Rect>),
}

/// Draws the hidden truth of a new task.
pub(crate) fn draw_truth(rng: &mut ChaCha8Rng, controls: &[Control]) -> Vec<Val> {
    controls
        .iter()
        .map(|c| match c.kind {
            ControlKind::Single => Val::Single(c.draw_label(rng)),
            ControlKind::Multi => {
                let mut mask = 0u16;
                for i in 0..c.labels.len() {
                    if rng.gen_bool(0.3) {
                        mask |= 1 << i;
                    }
                }
                if mask == 0 {
                    mask = 1 << rng.gen_range(0..c.labels.len());
                }
                Val::Multi(mask)
            }
            ControlKind::Rating => {
                const CUM: [f64; 5] = [0.08, 0.20, 0.45, 0.78, 1.0];
                let u: f64 = rng.gen();
                Val::Rating(CUM.iter().position(|&x| u < x).unwrap_or(4) as u8 + 1)
            }
            ControlKind::Rect => {
                let n = rng.gen_range(1..=4);
                Val::Boxes(
                    (0..n)
                        .map(|_| {
                            let w = rng.gen_range(400..3000);
                            let h = rng.gen_range(400..3000);
                            Rect {
                                x: rng.gen_range(0..10_000 - w),
                                y: rng.gen_range(0..10_000 - h),
                                w,
                                h,
                                label: c.draw_label(rng),
                            }
                        })
                        .collect(),
                )
            }
        })
        .collect()
}

fn other_label(rng: &mut ChaCha8Rng, n: usize, not: u8) -> u8 {
    let k = rng.gen_range(0..n - 1) as u8;
    if k >= not {
        k + 1
    } else {
        k
    }
}

/// Draws an answer of a participant with the given accuracy (probability of
/// choosing the true label). Returns the values and whether the primary
/// (first) control is correct.
pub(crate) fn draw_answer(
    rng: &mut ChaCha8Rng,
    controls: &[Control],
    truth: &[Val],
    acc: f64,
) -> (Vec<Val>, bool) {
    let mut correct = true;
    let vals = controls
        .iter()
        .zip(truth)
        .enumerate()
        .map(|(ci, (c, t))| {
            let (v, ok) = match t {
                Val::Single(l) => {
                    if rng.gen_bool(acc) {
                        (Val::Single(*l), true)
                    } else {
                        (Val::Single(other_label(rng, c.labels.len(), *l)), false)
                    }
                }
                Val::Multi(mask) => {
                    let mut m = *mask;
                    for i in 0..c.labels.len() {
                        if rng.gen_bool((1.0 - acc) * 0.35) {
                            m ^= 1 << i;
                        }
                    }
                    (Val::Multi(m), m == *mask)
                }
                Val::Rating(r) => {
                    let noise = (normal(rng) * (1.0 - acc) * 2.5).round() as i64;
                    let v = (*r as i64 + noise).clamp(1, RATING_MAX as i64) as u8;
                    (Val::Rating(v), v == *r)
                }
                Val::Boxes(boxes) => {
                    let mut out = Vec::with_capacity(boxes.len() + 1);
                    let mut ok = true;
                    let sd = 30.0 + (1.0 - acc) * 400.0;
                    for b in boxes {
                        if !rng.gen_bool(0.55 + 0.45 * acc) {
                            ok = false;
                            continue;
                        }
                        let label = if rng.gen_bool(0.5 + 0.5 * acc) {
                            b.label
                        } else {
                            ok = false;
                            other_label(rng, c.labels.len(), b.label)
                        };
                        let x = (b.x + (normal(rng) * sd) as i64).clamp(0, 9_900);
                        let y = (b.y + (normal(rng) * sd) as i64).clamp(0, 9_900);
                        let w = (b.w + (normal(rng) * sd) as i64).clamp(100, 10_000 - x);
                        let h = (b.h + (normal(rng) * sd) as i64).clamp(100, 10_000 - y);
                        out.push(Rect { x, y, w, h, label });
                    }
                    if rng.gen_bool((1.0 - acc) * 0.5) {
                        ok = false;
                        let w = rng.gen_range(300..1500);
                        let h = rng.gen_range(300..1500);
                        out.push(Rect {
                            x: rng.gen_range(0..10_000 - w),
                            y: rng.gen_range(0..10_000 - h),
                            w,
                            h,
                            label: rng.gen_range(0..c.labels.len()) as u8,
                        });
                    }
                    (Val::Boxes(out), ok)
                }
            };
            if ci == 0 {
                correct = ok;
            }
            v
        })
        .collect();
    (vals, correct)
}

/// Appends a Label Studio style region id (10 URL-safe characters).
fn push_region_id(s: &mut String, rng: &mut ChaCha8Rng) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut v: u64 = rng.gen();
    for _ in 0..10 {
        s.push(ALPHABET[(v & 63) as usize] as char);
        v >>= 6;
    }
}

fn push_item_head(s: &mut String, rng: &mut ChaCha8Rng, c: &Control) {
    s.push_str("{\"id\":\"");
    push_region_id(s, rng);
    s.push_str("\",\"from_name\":\"");
    s.push_str(c.name);
    s.push_str("\",\"to_name\":\"");
    s.push_str(c.to_name);
    s.push_str("\",\"type\":\"");
    s.push_str(c.kind_str());
    s.push_str("\",");
}

/// Appends `[...]`: the values as a Label Studio `result` array.
pub(crate) fn push_result(
    s: &mut String,
    rng: &mut ChaCha8Rng,
    controls: &[Control],
    vals: &[Val],
) {
    s.push('[');
    let mut first = true;
    let mut sep = |s: &mut String| {
        if !first {
            s.push(',');
        }
        first = false;
    };
    for (c, v) in controls.iter().zip(vals) {
        match v {
            Val::Single(l) => {
                sep(s);
                push_item_head(s, rng, c);
                s.push_str("\"value\":{\"choices\":[");
                push_json_str(s, c.labels[*l as usize]);
                s.push_str("]}}");
            }
            Val::Multi(mask) => {
                if *mask == 0 {
                    continue; // nothing selected: Label Studio sends no region
                }
                sep(s);
                push_item_head(s, rng, c);
                s.push_str("\"value\":{\"choices\":[");
                let mut f = true;
                for (i, l) in c.labels.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        if !f {
                            s.push(',');
                        }
                        f = false;
                        push_json_str(s, l);
                    }
                }
                s.push_str("]}}");
            }
            Val::Rating(r) => {
                sep(s);
                push_item_head(s, rng, c);
                s.push_str("\"value\":{\"rating\":");
                push_int(s, *r as i64);
                s.push_str("}}");
            }
            Val::Boxes(boxes) => {
                for b in boxes {
                    sep(s);
                    push_item_head(s, rng, c);
                    s.push_str("\"original_width\":1280,\"original_height\":720,\"image_rotation\":0,\"value\":{\"x\":");
                    push_fixed(s, b.x, 2);
                    s.push_str(",\"y\":");
                    push_fixed(s, b.y, 2);
                    s.push_str(",\"width\":");
                    push_fixed(s, b.w, 2);
                    s.push_str(",\"height\":");
                    push_fixed(s, b.h, 2);
                    s.push_str(",\"rotation\":0,\"rectanglelabels\":[");
                    push_json_str(s, c.labels[b.label as usize]);
                    s.push_str("]}}");
                }
            }
        }
    }
    s.push(']');
}

/// A model attached to a project.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub version: String,
    pub accuracy: f64,
    /// Versions released so far, minus one.
    pub generation: u32,
    /// Names like `2026-01-a` (month of release, then a letter per release
    /// in that month) instead of `v1`.
    pub date_style: bool,
    /// Release time of the current version.
    pub since: i64,
    /// (year * 12 + month, releases in that month) for date-style names.
    month: (i64, u32),
}

impl Model {
    pub(crate) fn new(date_style: bool, accuracy: f64, now: i64) -> Model {
        let mut m = Model {
            version: String::new(),
            accuracy,
            generation: 0,
            date_style,
            since: now,
            month: (i64::MIN, 0),
        };
        m.name(now);
        m
    }

    /// Releases a better version.
    pub(crate) fn bump(&mut self, now: i64) {
        self.generation += 1;
        self.accuracy = (self.accuracy + 0.03).min(0.95);
        self.since = now;
        self.name(now);
    }

    fn name(&mut self, now: i64) {
        self.version = if self.date_style {
            let (y, m, _) = crate::json::civil_from_days(now.div_euclid(DAY));
            let key = y * 12 + m as i64;
            self.month = if self.month.0 == key {
                (key, self.month.1 + 1)
            } else {
                (key, 0)
            };
            let letter = (b'a' + self.month.1.min(25) as u8) as char;
            format!("{y:04}-{m:02}-{letter}")
        } else {
            format!("v{}", self.generation + 1)
        };
    }
}

/// A project and its work queues.
#[derive(Clone, Debug)]
pub(crate) struct Project {
    pub id: String,
    pub workspace_id: String,
    pub title: String,
    pub overlap: u32,
    pub threshold_pct: i64,
    pub criteria: Criteria,
    pub controls: Vec<Control>,
    /// Multiplier on annotators' lead times.
    pub difficulty: f64,
    pub model: Option<Model>,
    /// Tasks that may still need annotations (lazily cleaned).
    pub open: VecDeque<u64>,
    /// Number of entries ever popped from the front of `open`.
    pub open_base: u64,
    /// (task, annotation index, revision) waiting for a reviewer.
    pub review_q: VecDeque<(u64, u32, u32)>,
    pub annotators: Vec<usize>,
    pub reviewers: Vec<usize>,
    pub import_pending: bool,
    /// Tasks still short of their overlap (exact count).
    pub available: u32,
    /// Tasks that reached their overlap since the last import request.
    pub done_since_import: u32,
}

/// A member and, for people who work, their habits and current activity.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Median seconds per annotation (or review) before project difficulty.
    pub median_s: f64,
    pub sigma: f64,
    pub skip_rate: f64,
    pub accuracy: f64,
    pub update_rate: f64,
    pub idle_rate: f64,
    /// Reviewer: probability of noticing a wrong annotation.
    pub strictness: f64,
    /// Reviewer: probability of fixing (rather than rejecting) when noticed.
    pub fix_bias: f64,
    /// Shift start, ms after UTC midnight.
    pub shift_offset: i64,
    pub projects: Vec<usize>,
    /// Per project: first position in `open` (absolute) worth scanning.
    pub cursors: Vec<u64>,
    pub last_day: i64,
    pub shift_end: i64,
    pub duty: f64,
    pub speedup: f64,
    pub session: Option<Session>,
    pub hb_gen: u64,
    pub work: Option<Work>,
    pub pending_update: Option<(u64, u32)>,
    /// (task, annotation index, project) rejected and to be reworked.
    pub rework: VecDeque<(u64, u32, usize)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub project: usize,
    pub ends_at: i64,
    pub idle_from: i64,
    pub idle_until: i64,
    pub task: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WorkKind {
    Annotate { skip: bool },
    SelfUpdate { ann: u32 },
    Rework { ann: u32 },
    Review { ann: u32 },
    GroundTruth,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Work {
    pub kind: WorkKind,
    pub task: u64,
    /// Duration of the work itself (ms), idle included.
    pub dur: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReviewState {
    NotQueued,
    Pending,
    Accepted,
    Fixed,
    Rejected,
    Deleted,
}

#[derive(Clone, Debug)]
pub(crate) struct Ann {
    pub n: u64,
    pub member: u32,
    pub lead_ms: i64,
    pub completed: i64,
    pub correct: bool,
    pub skipped: bool,
    pub gt: bool,
    pub deleted: bool,
    pub revision: u32,
    pub review: ReviewState,
    pub last_review: u64,
}

impl Ann {
    /// Counts toward the task's overlap.
    pub(crate) fn active(&self) -> bool {
        !self.deleted && !self.skipped && !self.gt
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    Initial,
    Annotating,
    NeedsReview,
    InReview,
    Done,
}

impl TaskState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TaskState::Initial => "initial",
            TaskState::Annotating => "annotating",
            TaskState::NeedsReview => "needs_review",
            TaskState::InReview => "in_review",
            TaskState::Done => "done",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Task {
    pub project: usize,
    pub overlap: u32,
    pub created: i64,
    pub truth: Vec<Val>,
    pub anns: Vec<Ann>,
    /// Annotators who opened this task (never again for them).
    pub touched: Vec<u32>,
    pub claimed: u32,
    pub filled: u32,
    pub in_open: bool,
    pub has_gt: bool,
    pub state: TaskState,
}

impl Task {
    pub(crate) fn derive_state(&self, criteria: Criteria) -> TaskState {
        if self.filled < self.overlap {
            return if self.anns.iter().any(|a| !a.deleted) {
                TaskState::Annotating
            } else {
                TaskState::Initial
            };
        }
        if criteria == Criteria::None {
            return TaskState::Done;
        }
        let (mut accepted, mut rejected, mut total) = (0, 0, 0);
        for a in self.anns.iter().filter(|a| a.active()) {
            total += 1;
            match a.review {
                ReviewState::Accepted | ReviewState::Fixed => accepted += 1,
                ReviewState::Rejected => rejected += 1,
                _ => {}
            }
        }
        match criteria {
            Criteria::One if accepted > 0 => TaskState::Done,
            Criteria::One if rejected > 0 => TaskState::Annotating,
            Criteria::One => TaskState::NeedsReview,
            _ if rejected > 0 => TaskState::Annotating,
            _ if accepted == total => TaskState::Done,
            _ if accepted > 0 => TaskState::InReview,
            _ => TaskState::NeedsReview,
        }
    }
}

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ada", "Bruno", "Chen", "Dara", "Elif", "Farah", "Gabriel", "Hana", "Ivan", "Jonas", "Kavya",
    "Leila", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Bilal", "Carmen", "Dmitri", "Esther", "Felix",
    "Grace", "Hugo", "Ines", "Jae", "Kofi", "Lucia", "Malik", "Nora",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Almeida", "Berg", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Quispe", "Rossi",
    "Santos", "Tanaka", "Ueda", "Varga", "Wagner", "Xu", "Yilmaz", "Zhang",
];

pub(crate) const TEXT_TITLES: &[&str] = &[
    "Support tickets",
    "Product reviews",
    "Social mentions",
    "Chat transcripts",
    "App store reviews",
    "Survey answers",
    "Forum posts",
    "Email triage",
    "News comments",
    "Call summaries",
];

/// Shift starts (ms after UTC midnight) of the regions people work from, with
/// weights: Manila, Bangalore, Berlin, New York, San Francisco, all 08:00 local.
pub(crate) const REGIONS: &[(i64, f64)] = &[
    (0, 0.25),
    (2 * HOUR + 30 * MIN, 0.25),
    (7 * HOUR, 0.25),
    (13 * HOUR, 0.15),
    (16 * HOUR, 0.10),
];
