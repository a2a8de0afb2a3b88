//! The discrete-event engine behind [`crate::Simulator`].
//!
//! Every future happening (a task import step, an annotator finishing a task,
//! a heartbeat, a delayed delete...) is an [`Action`] in a min-heap ordered by
//! (time, insertion sequence). Handling an action emits zero or more events
//! stamped with the action's time and schedules later actions, so the output
//! is in non-decreasing time order by construction and fully determined by
//! the seed.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::json::{
    field_bool, field_fixed, field_int, field_str, field_time, push_hex, push_json_str, push_key,
};
use crate::math::{exponential, lognormal};
use crate::world::*;
use crate::{SimConfig, SimEvent};

/// Length of a working shift.
const SHIFT: i64 = 8 * HOUR + 30 * MIN;
/// Probability of working on a weekday / on a weekend day.
const P_WORK_WEEKDAY: f64 = 0.93;
const P_WORK_WEEKEND: f64 = 0.35;
/// Median length of a work session.
const SESSION_MEDIAN_MIN: f64 = 50.0;
/// Fraction of a shift spent in sessions at 100% duty (shift start jitter,
/// session start retries): calibrated empirically.
const SESSION_EFFICIENCY: f64 = 0.92;
/// Highest in-shift duty cycle; beyond it, work speeds up instead.
const MAX_DUTY: f64 = 0.9;
/// Mean idle gap (on top of the 65 s minimum).
const IDLE_EXTRA_MEAN_S: f64 = 150.0;
/// Tasks are forgotten (later references become no-ops) this long after creation
/// once they have their overlap, and unconditionally after `TASK_MAX_AGE`.
const TASK_RETIRE_AGE: i64 = 3 * DAY;
const TASK_MAX_AGE: i64 = 7 * DAY;
const REVIEW_QUEUE_CAP: usize = 20_000;
const REWORK_CAP: usize = 50;
/// A project's model gets a new version (on the next import) this often.
const MODEL_RELEASE_EVERY: i64 = 7 * DAY;

#[derive(Clone, Copy, Debug)]
enum Action {
    Start,
    Import { project: u32, remaining: u32 },
    Predict { task: u64 },
    SessionStart { m: u32 },
    WorkDone { m: u32 },
    Heartbeat { m: u32, gen: u64 },
    DeleteAnnotation { task: u64, ann: u32 },
    DeleteReview { task: u64, ann: u32, review: u64 },
    DeletePrediction { task: u64, prediction: u64 },
    DeleteTask { task: u64 },
    Retire,
}

#[derive(Clone, Debug)]
struct Scheduled {
    at: i64,
    seq: u64,
    action: Action,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, we want the earliest first.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// SplitMix64 finalizer: a bijection on u64.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub(crate) fn ms_to_datetime(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).expect("simulated time within chrono's range")
}

#[derive(Clone)]
pub(crate) struct Engine {
    cfg: SimConfig,
    rng: ChaCha8Rng,
    now: i64,
    seq: u64,
    heap: BinaryHeap<Scheduled>,
    pub(crate) out: VecDeque<SimEvent>,
    emitted: u64,
    id_salt: (u64, u64),
    org_id: String,
    hb_ms: i64,
    tasks_per_project: u32,
    members: Vec<Member>,
    projects: Vec<Project>,
    tasks: BTreeMap<u64, Task>,
    next_task: u64,
    next_ann: u64,
    next_review: u64,
    next_prediction: u64,
}

impl Engine {
    pub(crate) fn new(cfg: SimConfig) -> Engine {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let start = cfg.start.timestamp_millis();
        let workspaces = cfg.workspaces.max(1) as usize;
        let per_ws = cfg.projects_per_workspace.max(1) as usize;
        let n_projects = workspaces * per_ws;
        let n_annotators = cfg.annotators.max(1) as usize;
        let n_reviewers = cfg.reviewers as usize;
        let intensity = if cfg.intensity.is_finite() {
            cfg.intensity.clamp(1e-4, 1e6)
        } else {
            0.1
        };

        // ---- members ---------------------------------------------------
        let mut members = Vec::with_capacity(n_annotators + n_reviewers + 1);
        let mut used_names: Vec<String> = Vec::new();
        let roles = std::iter::repeat_n(Role::Annotator, n_annotators)
            .chain(std::iter::repeat_n(Role::Reviewer, n_reviewers))
            .chain(std::iter::once(Role::Manager));
        for (i, role) in roles.enumerate() {
            let mut pick = || {
                let f = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
                let l = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
                (f, l)
            };
            let mut name = None;
            for _ in 0..20 {
                let (f, l) = pick();
                let full = format!("{f} {l}");
                if !used_names.contains(&full) {
                    name = Some((full, format!("{}.{}", f, l).to_lowercase()));
                    break;
                }
            }
            let (name, local) = name.unwrap_or_else(|| {
                let (f, l) = pick();
                (
                    format!("{f} {l} {}", i + 1),
                    format!("{f}.{l}.{}", i + 1).to_lowercase(),
                )
            });
            used_names.push(name.clone());
            let region = {
                let u: f64 = rng.gen();
                let mut acc = 0.0;
                let mut off = REGIONS[0].0;
                for &(o, w) in REGIONS {
                    acc += w;
                    if u < acc {
                        off = o;
                        break;
                    }
                }
                if role == Role::Manager {
                    7 * HOUR
                } else {
                    off
                }
            };
            let shift_offset = region + rng.gen_range(-45 * MIN..=45 * MIN);
            let (median_s, sigma) = match role {
                Role::Annotator => (
                    lognormal(&mut rng, 28.0, 0.5).clamp(8.0, 150.0),
                    rng.gen_range(0.45..0.8),
                ),
                Role::Reviewer => (
                    lognormal(&mut rng, 18.0, 0.4).clamp(6.0, 60.0),
                    rng.gen_range(0.35..0.6),
                ),
                Role::Manager => (60.0, 0.5),
            };
            let u: f64 = rng.gen();
            let skip_rate = 0.01 + 0.22 * u * u;
            let accuracy = if role == Role::Manager {
                0.99
            } else {
                0.62 + 0.35 * rng.gen::<f64>().sqrt()
            };
            members.push(Member {
                id: format!("m-{}", i + 1),
                name,
                email: format!("{local}@example.com"),
                role,
                median_s,
                sigma,
                skip_rate,
                accuracy,
                update_rate: rng.gen_range(0.02..0.12),
                idle_rate: rng.gen_range(0.02..0.07),
                strictness: rng.gen_range(0.7..0.98),
                fix_bias: rng.gen_range(0.3..0.7),
                shift_offset,
                projects: Vec::new(),
                cursors: vec![0; n_projects],
                last_day: i64::MIN / 4,
                shift_end: i64::MIN / 4,
                duty: 0.3,
                speedup: 1.0,
                session: None,
                hb_gen: 0,
                work: None,
                pending_update: None,
                rework: VecDeque::new(),
            });
        }

        // ---- projects --------------------------------------------------
        let image_project = if n_projects >= 3 { Some(1) } else { None };
        let criteria_offset = rng.gen_range(0..3);
        let mut projects = Vec::with_capacity(n_projects);
        let mut text_k = 0usize;
        for j in 0..n_projects {
            let ws = j / per_ws;
            let mut controls = Vec::new();
            let (title, difficulty) = if Some(j) == image_project {
                controls.push(Control::with_prior(
                    &mut rng,
                    "objects",
                    "image",
                    ControlKind::Rect,
                    OBJECTS,
                    100,
                ));
                controls.push(Control::with_prior(
                    &mut rng,
                    "time_of_day",
                    "image",
                    ControlKind::Single,
                    TIME_OF_DAY,
                    50,
                ));
                (format!("Street scenes #{}", j + 1), 2.5)
            } else {
                controls.push(Control::with_prior(
                    &mut rng,
                    "sentiment",
                    "text",
                    ControlKind::Single,
                    SENTIMENT,
                    100,
                ));
                let multi = text_k & 1 == 0 || rng.gen_bool(0.3);
                let rating = text_k % 3 != 2 && rng.gen_bool(0.7) || text_k == 1;
                if multi {
                    controls.push(Control::with_prior(
                        &mut rng,
                        "topics",
                        "text",
                        ControlKind::Multi,
                        TOPICS,
                        100,
                    ));
                }
                if rating {
                    controls.push(Control::with_prior(
                        &mut rng,
                        "quality",
                        "text",
                        ControlKind::Rating,
                        &[],
                        50,
                    ));
                }
                let base = TEXT_TITLES[text_k % TEXT_TITLES.len()];
                text_k += 1;
                (
                    format!("{base} #{}", j + 1),
                    1.0 + 0.25 * (controls.len() - 1) as f64,
                )
            };
            let overlap = [1u32, 2, 2, 3, 3][rng.gen_range(0..5)];
            let criteria =
                [Criteria::One, Criteria::All, Criteria::None][(j + criteria_offset) % 3];
            let model = if j == 0 || rng.gen_bool(0.7) {
                let date_style = j % 2 == 1;
                Some(Model::new(date_style, rng.gen_range(0.65..0.85), start))
            } else {
                None
            };
            projects.push(Project {
                id: format!("p-{}", j + 1),
                workspace_id: format!("ws-{}", ws + 1),
                title,
                overlap,
                threshold_pct: rng.gen_range(60..=80),
                criteria,
                controls,
                difficulty,
                model,
                open: VecDeque::new(),
                open_base: 0,
                review_q: VecDeque::new(),
                annotators: Vec::new(),
                reviewers: Vec::new(),
                import_pending: true,
                available: 0,
                done_since_import: 0,
            });
        }

        // ---- assignments -----------------------------------------------
        for member in members.iter_mut().take(n_annotators) {
            let home = rng.gen_range(0..n_projects);
            let mut ps = vec![home];
            for p in [0.5, 0.2] {
                if rng.gen_bool(p) {
                    let q = rng.gen_range(0..n_projects);
                    if !ps.contains(&q) {
                        ps.push(q);
                    }
                }
            }
            member.projects = ps;
        }
        for (j, project) in projects.iter_mut().enumerate() {
            let need = (project.overlap as usize + 2).min(n_annotators);
            let mut have = (0..n_annotators)
                .filter(|&i| members[i].projects.contains(&j))
                .count();
            while have < need {
                let i = rng.gen_range(0..n_annotators);
                if !members[i].projects.contains(&j) {
                    members[i].projects.push(j);
                    have += 1;
                }
            }
            project.annotators = (0..n_annotators)
                .filter(|&i| members[i].projects.contains(&j))
                .collect();
            project.overlap = project.overlap.min(project.annotators.len() as u32).max(1);
        }
        for member in members.iter_mut().skip(n_annotators).take(n_reviewers) {
            member.projects = (0..n_projects)
                .filter(|&j| {
                    let p = if projects[j].criteria == Criteria::None {
                        0.3
                    } else {
                        0.7
                    };
                    rng.gen_bool(p)
                })
                .collect();
        }
        if n_reviewers > 0 {
            for (j, project) in projects.iter().enumerate() {
                if project.criteria != Criteria::None
                    && !(n_annotators..n_annotators + n_reviewers)
                        .any(|r| members[r].projects.contains(&j))
                {
                    let r = n_annotators + rng.gen_range(0..n_reviewers);
                    members[r].projects.push(j);
                }
            }
            for (r, member) in members
                .iter_mut()
                .enumerate()
                .skip(n_annotators)
                .take(n_reviewers)
            {
                member.projects.sort_unstable();
                for &j in &member.projects {
                    projects[j].reviewers.push(r);
                }
            }
        }
        let manager = members.len() - 1;
        members[manager].projects = (0..n_projects).collect();

        // ---- calibrate activity to `intensity` --------------------------
        // Expected share of time a member is available for sessions.
        let p_day = (5.0 * P_WORK_WEEKDAY + 2.0 * P_WORK_WEEKEND) / 7.0;
        let availability = SHIFT as f64 / DAY as f64 * p_day * SESSION_EFFICIENCY;
        let mut annotation_rate = 0.0; // events per second with everyone always active
        for m in members.iter().filter(|m| m.role == Role::Annotator) {
            let diff = m
                .projects
                .iter()
                .map(|&j| projects[j].difficulty)
                .sum::<f64>()
                / m.projects.len() as f64;
            let lead = m.median_s * crate::math::exp(m.sigma * m.sigma / 2.0) * diff;
            let per_task = (1.0 - m.skip_rate) * lead
                + m.skip_rate * 0.35 * lead
                + 3.5
                + m.idle_rate * (65.0 + IDLE_EXTRA_MEAN_S)
                + m.update_rate * (0.4 * lead + 3.5);
            annotation_rate += (1.0 + m.update_rate) / per_task;
        }
        let duty = intensity / (annotation_rate * availability);
        let (duty, speedup) = if duty > MAX_DUTY {
            (MAX_DUTY, duty / MAX_DUTY)
        } else {
            (duty, 1.0)
        };
        // Reviews needed per annotation event, averaged over projects
        // weighted by their annotators.
        let (mut share, mut weight) = (0.0, 0.0);
        for p in &projects {
            let s = if p.reviewers.is_empty() {
                0.0
            } else {
                match p.criteria {
                    Criteria::One => 1.0 / p.overlap as f64,
                    Criteria::All => 1.0,
                    Criteria::None => 0.05,
                }
            };
            share += s * p.annotators.len() as f64;
            weight += p.annotators.len() as f64;
        }
        let review_load = intensity * 0.85 * share / weight.max(1.0) * 1.1;
        let review_rate: f64 = members
            .iter()
            .filter(|m| m.role == Role::Reviewer)
            .map(|m| 1.0 / (m.median_s * crate::math::exp(m.sigma * m.sigma / 2.0) * 1.1 + 3.5))
            .sum();
        let (r_duty, r_speedup) = if review_rate > 0.0 {
            // Reviewers keep a little spare capacity so queues drain.
            let d = 1.25 * review_load / (review_rate * availability);
            if d > MAX_DUTY {
                (MAX_DUTY, d / MAX_DUTY)
            } else {
                (d.max(0.02), 1.0)
            }
        } else {
            (0.0, 1.0)
        };
        for m in members.iter_mut() {
            match m.role {
                Role::Annotator => {
                    m.duty = duty;
                    m.speedup = speedup;
                }
                Role::Reviewer => {
                    m.duty = r_duty;
                    m.speedup = r_speedup;
                }
                Role::Manager => {
                    m.duty = 0.5;
                    m.speedup = speedup;
                }
            }
        }

        let id_salt = (
            mix(cfg.seed ^ 0x5a5a_1234_abcd_0001),
            mix(cfg.seed.wrapping_add(0x77)),
        );
        let mut e = Engine {
            hb_ms: cfg.heartbeat_interval_seconds.max(1) as i64 * SEC,
            tasks_per_project: cfg.tasks_per_project.max(1),
            cfg,
            rng,
            now: start,
            seq: 0,
            heap: BinaryHeap::new(),
            out: VecDeque::new(),
            emitted: 0,
            id_salt,
            org_id: "org-1".to_string(),
            members,
            projects,
            tasks: BTreeMap::new(),
            next_task: 1,
            next_ann: 1,
            next_review: 1,
            next_prediction: 1,
        };
        e.schedule(start, Action::Start);
        e
    }

    pub(crate) fn config(&self) -> &SimConfig {
        &self.cfg
    }

    pub(crate) fn emitted(&self) -> u64 {
        self.emitted
    }

    fn schedule(&mut self, at: i64, action: Action) {
        let at = at.max(self.now);
        self.seq += 1;
        self.heap.push(Scheduled {
            at,
            seq: self.seq,
            action,
        });
    }

    fn after(&mut self, delay: i64, action: Action) {
        self.schedule(self.now + delay.max(0), action);
    }

    /// Handles the next action; false when nothing is left (never in practice).
    pub(crate) fn step(&mut self) -> bool {
        let Some(s) = self.heap.pop() else {
            return false;
        };
        self.now = s.at;
        match s.action {
            Action::Start => self.start(),
            Action::Import { project, remaining } => self.import(project as usize, remaining),
            Action::Predict { task } => self.predict(task),
            Action::SessionStart { m } => self.session_start(m as usize),
            Action::WorkDone { m } => self.work_done(m as usize),
            Action::Heartbeat { m, gen } => self.heartbeat(m as usize, gen),
            Action::DeleteAnnotation { task, ann } => self.delete_annotation(task, ann),
            Action::DeleteReview { task, ann, review } => self.delete_review(task, ann, review),
            Action::DeletePrediction { task, prediction } => {
                self.delete_prediction(task, prediction)
            }
            Action::DeleteTask { task } => self.delete_task(task),
            Action::Retire => self.retire(),
        }
        true
    }

    // ---- event writing -------------------------------------------------

    /// Starts an event: the envelope. `project` is None for org-level events.
    fn begin(&mut self, ty: &str, project: Option<usize>) -> String {
        let n = self.emitted;
        self.emitted += 1;
        let mut s = String::with_capacity(320);
        s.push_str("{\"event_id\":\"");
        // UUID v4 layout; (hi, lo) is an injective function of n.
        let lo = mix(n.wrapping_add(self.id_salt.0));
        let hi = (mix(lo ^ self.id_salt.1) & !0xf003) | 0x4000 | (lo >> 62);
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        push_hex(&mut s, hi >> 32, 8);
        s.push('-');
        push_hex(&mut s, hi >> 16, 4);
        s.push('-');
        push_hex(&mut s, hi, 4);
        s.push('-');
        push_hex(&mut s, lo >> 48, 4);
        s.push('-');
        push_hex(&mut s, lo, 12);
        s.push('"');
        field_str(&mut s, "type", ty);
        field_int(&mut s, "schema_version", 1);
        field_time(&mut s, "occurred_at", self.now);
        if let Some(p) = project {
            let p = &self.projects[p];
            field_str(&mut s, "project_id", &p.id);
            field_str(&mut s, "workspace_id", &p.workspace_id);
        }
        field_str(&mut s, "org_id", &self.org_id);
        field_str(&mut s, "source", "simulator");
        s
    }

    fn finish(&mut self, mut s: String, project: usize) {
        s.push('}');
        let key = self.projects[project].id.clone();
        self.out.push_back(SimEvent {
            at: ms_to_datetime(self.now),
            key,
            json: s,
        });
    }

    /// `completed_at`: usually now, sometimes a little earlier (producer lag).
    fn completion_time(&mut self, not_before: i64) -> i64 {
        let t = if self.rng.gen_bool(0.03) {
            self.now - self.rng.gen_range(50..2500)
        } else {
            self.now
        };
        t.max(not_before + 1).min(self.now)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_annotation(
        &mut self,
        ty: &str,
        project: usize,
        task: u64,
        ann_n: u64,
        member: usize,
        lead_ms: i64,
        cancelled: bool,
        gt: bool,
        completed: i64,
        vals: &[Val],
    ) {
        let mut s = self.begin(ty, Some(project));
        field_str(&mut s, "annotation_id", &format!("a-{ann_n}"));
        field_str(&mut s, "task_id", &format!("t-{task}"));
        field_str(&mut s, "member_id", &self.members[member].id);
        field_fixed(&mut s, "lead_time_seconds", lead_ms, 3);
        field_bool(&mut s, "was_cancelled", cancelled);
        field_bool(&mut s, "ground_truth", gt);
        field_time(&mut s, "completed_at", completed);
        push_key(&mut s, "result");
        push_result(
            &mut s,
            &mut self.rng,
            &self.projects[project].controls,
            vals,
        );
        self.finish(s, project);
    }

    fn emit_session(&mut self, ty: &str, m: usize, project: usize, task: Option<u64>) {
        let mut s = self.begin(ty, Some(project));
        field_str(&mut s, "member_id", &self.members[m].id);
        if let Some(t) = task {
            field_str(&mut s, "task_id", &format!("t-{t}"));
        }
        self.finish(s, project);
    }

    /// With `emit_task_states`, emits `task.state_changed` when the derived
    /// state of the task moved.
    fn sync_state(&mut self, t: u64) {
        if !self.cfg.emit_task_states {
            return;
        }
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let new = task.derive_state(self.projects[p].criteria);
        let old = task.state;
        if new == old {
            return;
        }
        if let Some(task) = self.tasks.get_mut(&t) {
            task.state = new;
        }
        let mut s = self.begin("task.state_changed", Some(p));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        field_str(&mut s, "from", old.as_str());
        field_str(&mut s, "to", new.as_str());
        self.finish(s, p);
    }

    // ---- setup and imports -----------------------------------------------

    fn start(&mut self) {
        for m in 0..self.members.len() {
            let mut s = self.begin("member.upserted", None);
            let mb = &self.members[m];
            field_str(&mut s, "member_id", &mb.id);
            field_str(&mut s, "name", &mb.name);
            field_str(&mut s, "email", &mb.email);
            field_str(&mut s, "role", mb.role.as_str());
            s.push('}');
            let key = mb.id.clone();
            self.out.push_back(SimEvent {
                at: ms_to_datetime(self.now),
                key,
                json: s,
            });
        }
        for p in 0..self.projects.len() {
            let mut s = self.begin("project.upserted", Some(p));
            let pr = &self.projects[p];
            field_str(&mut s, "title", &pr.title);
            field_int(&mut s, "overlap", pr.overlap as i64);
            field_fixed(&mut s, "agreement_threshold", pr.threshold_pct, 2);
            field_str(&mut s, "review_criteria", pr.criteria.as_str());
            push_key(&mut s, "controls");
            s.push('[');
            for (i, c) in pr.controls.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str("{\"name\":");
                push_json_str(&mut s, c.name);
                field_str(&mut s, "kind", c.kind_str());
                push_key(&mut s, "labels");
                s.push('[');
                for (k, l) in c.labels.iter().enumerate() {
                    if k > 0 {
                        s.push(',');
                    }
                    push_json_str(&mut s, l);
                }
                s.push(']');
                field_bool(&mut s, "multiple", c.kind == ControlKind::Multi);
                if c.kind == ControlKind::Rating {
                    field_int(&mut s, "min", 1);
                    field_int(&mut s, "max", RATING_MAX as i64);
                }
                field_fixed(&mut s, "weight", c.weight_pct, 2);
                s.push('}');
            }
            s.push(']');
            self.finish(s, p);
        }
        for p in 0..self.projects.len() {
            let remaining = self.tasks_per_project;
            self.after(
                SEC + p as i64 * 200,
                Action::Import {
                    project: p as u32,
                    remaining,
                },
            );
        }
        for m in 0..self.members.len() {
            self.plan_shift(m);
        }
        self.after(HOUR, Action::Retire);
    }

    fn import(&mut self, p: usize, remaining: u32) {
        let t = self.next_task;
        self.next_task += 1;
        let truth = draw_truth(&mut self.rng, &self.projects[p].controls);
        let base = self.projects[p].overlap;
        let custom = base < self.projects[p].annotators.len() as u32 && self.rng.gen_bool(0.03);
        let overlap = if custom { base + 1 } else { base };
        let mut s = self.begin("task.created", Some(p));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        if custom {
            field_int(&mut s, "overlap", overlap as i64);
        }
        self.finish(s, p);
        self.tasks.insert(
            t,
            Task {
                project: p,
                overlap,
                created: self.now,
                truth,
                anns: Vec::new(),
                touched: Vec::new(),
                claimed: 0,
                filled: 0,
                in_open: true,
                has_gt: false,
                state: TaskState::Initial,
            },
        );
        self.projects[p].open.push_back(t);
        self.projects[p].available += 1;
        if self.projects[p].model.is_some() && self.rng.gen_bool(0.92) {
            let d = self.rng.gen_range(2 * SEC..40 * SEC);
            self.after(d, Action::Predict { task: t });
        }
        if self.rng.gen_bool(0.002) {
            let d = self.rng.gen_range(10 * MIN..DAY);
            self.after(d, Action::DeleteTask { task: t });
        }
        if remaining > 1 {
            let d = self.rng.gen_range(30..400);
            self.after(
                d,
                Action::Import {
                    project: p as u32,
                    remaining: remaining - 1,
                },
            );
        } else {
            self.projects[p].import_pending = false;
        }
    }

    /// Schedules a new import batch for a project running low on work.
    fn request_import(&mut self, p: usize, starving: bool) {
        if self.projects[p].import_pending {
            return;
        }
        self.projects[p].import_pending = true;
        // Replace what was finished since the last import (at least half
        // the initial import), so the backlog stays steady at any intensity.
        let done = std::mem::take(&mut self.projects[p].done_since_import);
        let tpp = self.tasks_per_project;
        let batch = done.clamp((tpp / 2).max(1), 20 * tpp);
        let now = self.now;
        if let Some(model) = self.projects[p].model.as_mut() {
            if now - model.since > MODEL_RELEASE_EVERY {
                model.bump(now);
            }
        }
        let d = if starving {
            self.rng.gen_range(30 * SEC..3 * MIN)
        } else {
            self.rng.gen_range(2 * MIN..20 * MIN)
        };
        self.after(
            d,
            Action::Import {
                project: p as u32,
                remaining: batch,
            },
        );
    }

    fn predict(&mut self, t: u64) {
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let Some(model) = self.projects[p].model.as_ref() else {
            return;
        };
        let (vals, correct) = draw_answer(
            &mut self.rng,
            &self.projects[p].controls,
            &task.truth,
            model.accuracy,
        );
        let score = if correct {
            self.rng.gen_range(700..990)
        } else {
            self.rng.gen_range(350..800)
        };
        let n = self.next_prediction;
        self.next_prediction += 1;
        let mut s = self.begin("prediction.created", Some(p));
        field_str(&mut s, "prediction_id", &format!("pr-{n}"));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        let version = &self.projects[p]
            .model
            .as_ref()
            .expect("checked above")
            .version;
        field_str(&mut s, "model_version", version);
        field_fixed(&mut s, "score", score, 3);
        push_key(&mut s, "result");
        push_result(&mut s, &mut self.rng, &self.projects[p].controls, &vals);
        self.finish(s, p);
        if self.rng.gen_bool(0.003) {
            let d = self.rng.gen_range(30 * MIN..2 * DAY);
            self.after(
                d,
                Action::DeletePrediction {
                    task: t,
                    prediction: n,
                },
            );
        }
    }

    // ---- members' days -----------------------------------------------------

    /// Finds the member's next working shift and schedules its first session.
    fn plan_shift(&mut self, m: usize) {
        let today = self.now.div_euclid(DAY);
        let first = (today - 1).max(self.members[m].last_day + 1);
        for (attempt, day) in (first..).enumerate() {
            self.members[m].last_day = day;
            let weekday = (day + 3).rem_euclid(7); // 0 = Monday
            let p = if weekday < 5 {
                P_WORK_WEEKDAY
            } else {
                P_WORK_WEEKEND
            };
            let works = self.rng.gen_bool(p) || attempt > 30;
            let jitter = self.rng.gen_range(-20 * MIN..=20 * MIN);
            let start = day * DAY + self.members[m].shift_offset + jitter;
            let end = start + SHIFT;
            if works && end > self.now + 30 * MIN {
                // Start in a session with probability `duty`, otherwise in
                // a break, as a steady on/off rhythm would.
                let duty = self.members[m].duty;
                let delay = if self.rng.gen_bool(duty.clamp(0.0, 1.0)) {
                    self.rng.gen_range(0..=20 * MIN)
                } else {
                    self.break_ms(m)
                };
                let begin = start.max(self.now) + delay;
                self.members[m].shift_end = end;
                self.schedule(begin, Action::SessionStart { m: m as u32 });
                return;
            }
        }
    }

    fn session_start(&mut self, m: usize) {
        if self.members[m].session.is_some() {
            return;
        }
        if self.now >= self.members[m].shift_end - 5 * MIN {
            self.plan_shift(m);
            return;
        }
        let Some(p) = self.choose_project(m) else {
            let d = self.rng.gen_range(10 * MIN..30 * MIN);
            if self.now + d < self.members[m].shift_end - 5 * MIN {
                self.after(d, Action::SessionStart { m: m as u32 });
            } else {
                self.plan_shift(m);
            }
            return;
        };
        let len = (lognormal(&mut self.rng, SESSION_MEDIAN_MIN, 0.4) * MIN as f64) as i64;
        let mb = &mut self.members[m];
        mb.session = Some(Session {
            project: p,
            ends_at: (self.now + len).min(mb.shift_end),
            idle_from: 0,
            idle_until: 0,
            task: None,
        });
        mb.hb_gen += 1;
        let gen = mb.hb_gen;
        self.emit_session("session.heartbeat", m, p, None);
        self.after(self.hb_ms, Action::Heartbeat { m: m as u32, gen });
        self.next_work(m);
    }

    fn choose_project(&mut self, m: usize) -> Option<usize> {
        let projects = self.members[m].projects.clone();
        match self.members[m].role {
            Role::Annotator => {
                while let Some(&(t, _, p)) = self.members[m].rework.front() {
                    if self.tasks.contains_key(&t) {
                        return Some(p);
                    }
                    self.members[m].rework.pop_front();
                }
                let with_work: Vec<usize> = projects
                    .into_iter()
                    .filter(|&p| self.find_task(m, p).is_some())
                    .collect();
                with_work.choose(&mut self.rng).copied()
            }
            Role::Reviewer => {
                let mut best: Option<(usize, usize)> = None;
                for p in projects {
                    self.clean_review_front(p);
                    let len = self.projects[p].review_q.len();
                    if len > 0 && best.is_none_or(|(_, l)| len > l) {
                        best = Some((p, len));
                    }
                }
                best.map(|(p, _)| p)
            }
            Role::Manager => {
                let with_work: Vec<usize> = projects
                    .into_iter()
                    .filter(|&p| !self.projects[p].open.is_empty())
                    .collect();
                with_work.choose(&mut self.rng).copied()
            }
        }
    }

    fn review_entry_valid(&self, (t, a, rev): (u64, u32, u32)) -> bool {
        self.tasks
            .get(&t)
            .and_then(|task| task.anns.get(a as usize))
            .is_some_and(|ann| {
                !ann.deleted && ann.revision == rev && ann.review == ReviewState::Pending
            })
    }

    fn clean_review_front(&mut self, p: usize) {
        while let Some(&e) = self.projects[p].review_q.front() {
            if self.review_entry_valid(e) {
                break;
            }
            self.projects[p].review_q.pop_front();
        }
    }

    /// A task of project `p` annotator `m` may open now (cleans the queue).
    fn find_task(&mut self, m: usize, p: usize) -> Option<u64> {
        let mu = m as u32;
        let project = &mut self.projects[p];
        while let Some(&t) = project.open.front() {
            match self.tasks.get_mut(&t) {
                Some(task) if task.filled < task.overlap => break,
                Some(task) => task.in_open = false,
                None => {}
            }
            project.open.pop_front();
            project.open_base += 1;
        }
        let base = project.open_base;
        let cursor = &mut self.members[m].cursors[p];
        if *cursor < base {
            *cursor = base;
        }
        let mut advancing = true;
        let mut found = None;
        for (i, &t) in project
            .open
            .iter()
            .enumerate()
            .skip((*cursor - base) as usize)
        {
            let (permanent_no, claimable) = match self.tasks.get(&t) {
                None => (true, false),
                Some(task) if task.filled >= task.overlap || task.touched.contains(&mu) => {
                    (true, false)
                }
                Some(task) => (false, task.filled + task.claimed < task.overlap),
            };
            if advancing && permanent_no {
                *cursor = base + i as u64 + 1;
            } else {
                advancing = false;
            }
            if claimable {
                found = Some(t);
                break;
            }
        }
        // Import when the backlog runs low, or sooner when someone has
        // nothing left to do and the backlog is not large.
        let tpp = self.tasks_per_project;
        let available = project.available;
        if available < (tpp / 4).max(4) || (found.is_none() && available < tpp) {
            self.request_import(p, found.is_none());
        }
        found
    }

    fn lead_ms(&mut self, m: usize, p: usize, factor: f64) -> i64 {
        let mb = &self.members[m];
        let (median, sigma, speedup) = (mb.median_s, mb.sigma, mb.speedup);
        let diff = if mb.role == Role::Reviewer {
            1.0
        } else {
            self.projects[p].difficulty
        };
        let s = lognormal(&mut self.rng, median * diff, sigma).clamp(5.0, 1200.0) * factor;
        ((s * 1000.0 / speedup) as i64).max(1000)
    }

    /// Picks and starts the member's next piece of work in the session's
    /// project, or ends the session when there is none.
    fn next_work(&mut self, m: usize) {
        let Some(p) = self.members[m].session.as_ref().map(|s| s.project) else {
            return;
        };
        let picked: Option<(WorkKind, u64, i64)> = match self.members[m].role {
            Role::Annotator => self.pick_annotation_work(m, p),
            Role::Reviewer => {
                self.clean_review_front(p);
                match self.projects[p].review_q.pop_front() {
                    Some((t, a, _)) => {
                        let dur = self.lead_ms(m, p, 1.0);
                        Some((WorkKind::Review { ann: a }, t, dur))
                    }
                    None => None,
                }
            }
            Role::Manager => {
                let mut pick = None;
                let len = self.projects[p].open.len();
                for _ in 0..8 {
                    if len == 0 {
                        break;
                    }
                    let t = self.projects[p].open[self.rng.gen_range(0..len)];
                    if self
                        .tasks
                        .get(&t)
                        .is_some_and(|task| !task.has_gt && task.filled < task.overlap)
                    {
                        pick = Some(t);
                        break;
                    }
                }
                match pick {
                    Some(t) => {
                        // Reserve it so two GT annotations never race.
                        if let Some(task) = self.tasks.get_mut(&t) {
                            task.has_gt = true;
                        }
                        let dur = self.lead_ms(m, p, 1.0);
                        Some((WorkKind::GroundTruth, t, dur))
                    }
                    None => None,
                }
            }
        };
        let Some((kind, task, mut dur)) = picked else {
            self.end_session(m, true);
            return;
        };
        let speedup = self.members[m].speedup;
        let gap = (self.rng.gen_range(1000..6000) as f64 / speedup) as i64;
        let mut idle = None;
        // Idle gaps stay longer than a minute; at high speedups they get rarer.
        if self.rng.gen_bool(self.members[m].idle_rate / speedup) {
            let len = 65 * SEC + (exponential(&mut self.rng, IDLE_EXTRA_MEAN_S) * 1000.0) as i64;
            let from = self.now + gap + self.rng.gen_range(0..=dur / 2);
            idle = Some((from, from + len));
            dur += len;
        }
        let mb = &mut self.members[m];
        if let Some(s) = mb.session.as_mut() {
            s.task = Some(task);
            if let Some((from, until)) = idle {
                s.idle_from = from;
                s.idle_until = until;
            }
        }
        mb.work = Some(Work { kind, task, dur });
        self.after(gap + dur, Action::WorkDone { m: m as u32 });
    }

    fn pick_annotation_work(&mut self, m: usize, p: usize) -> Option<(WorkKind, u64, i64)> {
        if let Some((t, a)) = self.members[m].pending_update.take() {
            if self
                .tasks
                .get(&t)
                .is_some_and(|task| task.project == p && !task.anns[a as usize].deleted)
            {
                let dur = self.lead_ms(m, p, 0.4);
                return Some((WorkKind::SelfUpdate { ann: a }, t, dur));
            }
        }
        if let Some(i) = self.members[m].rework.iter().position(|&(_, _, q)| q == p) {
            let (t, a, _) = self.members[m]
                .rework
                .remove(i)
                .expect("index from position");
            if self
                .tasks
                .get(&t)
                .is_some_and(|task| !task.anns[a as usize].deleted)
            {
                let dur = self.lead_ms(m, p, 0.6);
                return Some((WorkKind::Rework { ann: a }, t, dur));
            }
        }
        let t = self.find_task(m, p)?;
        let task = self.tasks.get_mut(&t).expect("found above");
        task.claimed += 1;
        task.touched.push(m as u32);
        let skip = self.rng.gen_bool(self.members[m].skip_rate);
        let dur = self.lead_ms(m, p, if skip { 0.35 } else { 1.0 });
        Some((WorkKind::Annotate { skip }, t, dur))
    }

    fn end_session(&mut self, m: usize, out_of_work: bool) {
        let Some(session) = self.members[m].session.take() else {
            return;
        };
        self.members[m].hb_gen += 1;
        self.members[m].work = None;
        self.emit_session("session.ended", m, session.project, None);
        if out_of_work {
            let d = self.rng.gen_range(20 * SEC..3 * MIN);
            self.after(d, Action::SessionStart { m: m as u32 });
            return;
        }
        let brk = self.break_ms(m);
        if self.now + brk < self.members[m].shift_end - 10 * MIN {
            self.after(brk, Action::SessionStart { m: m as u32 });
        } else {
            self.plan_shift(m);
        }
    }

    /// A break between sessions, long enough on average to keep the
    /// member's duty cycle.
    fn break_ms(&mut self, m: usize) -> i64 {
        let duty = self.members[m].duty.clamp(1e-4, 0.99);
        let mean_session = SESSION_MEDIAN_MIN * crate::math::exp(0.08) * MIN as f64;
        let mean_break = mean_session * (1.0 - duty) / duty;
        (exponential(&mut self.rng, mean_break) as i64).max(2 * MIN)
    }

    fn heartbeat(&mut self, m: usize, gen: u64) {
        let mb = &self.members[m];
        if mb.hb_gen != gen {
            return;
        }
        let Some(s) = mb.session.as_ref() else {
            return;
        };
        if self.now >= s.idle_from && self.now < s.idle_until {
            let until = s.idle_until;
            self.schedule(until, Action::Heartbeat { m: m as u32, gen });
            return;
        }
        let (p, task) = (s.project, s.task);
        self.emit_session("session.heartbeat", m, p, task);
        self.after(self.hb_ms, Action::Heartbeat { m: m as u32, gen });
    }

    // ---- finishing work ------------------------------------------------------

    fn work_done(&mut self, m: usize) {
        let Some(work) = self.members[m].work.take() else {
            return;
        };
        match work.kind {
            WorkKind::Annotate { skip } => self.finish_annotation(m, work, skip),
            WorkKind::SelfUpdate { ann } => self.finish_update(m, work, ann, false),
            WorkKind::Rework { ann } => self.finish_update(m, work, ann, true),
            WorkKind::Review { ann } => self.finish_review(m, work, ann),
            WorkKind::GroundTruth => self.finish_ground_truth(m, work),
        }
        self.sync_state(work.task);
        let ends_at = self.members[m].session.as_ref().map_or(0, |s| s.ends_at);
        if let Some(s) = self.members[m].session.as_mut() {
            s.task = None;
        }
        if self.now >= ends_at {
            self.end_session(m, false);
        } else {
            self.next_work(m);
        }
    }

    fn finish_annotation(&mut self, m: usize, work: Work, skip: bool) {
        let t = work.task;
        let Some(task) = self.tasks.get_mut(&t) else {
            return; // deleted while open: the work is lost
        };
        task.claimed = task.claimed.saturating_sub(1);
        let p = task.project;
        let acc = self.members[m].accuracy;
        let (vals, correct) = if skip {
            (Vec::new(), false)
        } else {
            draw_answer(&mut self.rng, &self.projects[p].controls, &task.truth, acc)
        };
        let n = self.next_ann;
        self.next_ann += 1;
        let completed = self.completion_time(i64::MIN);
        let ty = if skip {
            "annotation.skipped"
        } else {
            "annotation.submitted"
        };
        self.emit_annotation(ty, p, t, n, m, work.dur, skip, false, completed, &vals);
        let task = self.tasks.get_mut(&t).expect("still present");
        let idx = task.anns.len() as u32;
        task.anns.push(Ann {
            n,
            member: m as u32,
            lead_ms: work.dur,
            completed,
            correct,
            skipped: skip,
            gt: false,
            deleted: false,
            revision: 0,
            review: ReviewState::NotQueued,
            last_review: 0,
        });
        if skip {
            return;
        }
        task.filled += 1;
        if task.filled == task.overlap {
            let project = &mut self.projects[p];
            project.available = project.available.saturating_sub(1);
            project.done_since_import += 1;
        }
        if task.filled >= task.overlap {
            self.on_overlap_reached(t);
        }
        if self.rng.gen_bool(0.004) {
            let d = self.rng.gen_range(MIN..6 * HOUR);
            self.after(d, Action::DeleteAnnotation { task: t, ann: idx });
        }
        if self.rng.gen_bool(self.members[m].update_rate) {
            self.members[m].pending_update = Some((t, idx));
        }
    }

    /// Queues annotations for review once a task has its overlap.
    fn on_overlap_reached(&mut self, t: u64) {
        let Some(task) = self.tasks.get_mut(&t) else {
            return;
        };
        let p = task.project;
        if self.projects[p].reviewers.is_empty() {
            return;
        }
        let criteria = self.projects[p].criteria;
        let mut push = Vec::new();
        match criteria {
            Criteria::One => {
                if task
                    .anns
                    .iter()
                    .all(|a| !a.active() || a.review == ReviewState::NotQueued)
                {
                    let active: Vec<usize> = (0..task.anns.len())
                        .filter(|&i| task.anns[i].active())
                        .collect();
                    if let Some(&i) = active.choose(&mut self.rng) {
                        push.push(i);
                    }
                }
            }
            Criteria::All => push.extend((0..task.anns.len()).filter(|&i| {
                task.anns[i].active() && task.anns[i].review == ReviewState::NotQueued
            })),
            Criteria::None => {
                for i in 0..task.anns.len() {
                    if task.anns[i].active()
                        && task.anns[i].review == ReviewState::NotQueued
                        && self.rng.gen_bool(0.05)
                    {
                        push.push(i);
                    }
                }
            }
        }
        for i in push {
            let a = &mut task.anns[i];
            a.review = ReviewState::Pending;
            self.projects[p]
                .review_q
                .push_back((t, i as u32, a.revision));
        }
        let q = &mut self.projects[p].review_q;
        while q.len() > REVIEW_QUEUE_CAP {
            q.pop_front();
        }
    }

    fn finish_update(&mut self, m: usize, work: Work, a: u32, rework: bool) {
        let t = work.task;
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let ann = &task.anns[a as usize];
        if ann.deleted {
            return;
        }
        let p = task.project;
        let acc = self.members[m].accuracy;
        // Second looks fix many mistakes; rework after a rejection more so.
        let acc = acc + (1.0 - acc) * if rework { 0.7 } else { 0.5 };
        let (vals, correct) =
            draw_answer(&mut self.rng, &self.projects[p].controls, &task.truth, acc);
        let (n, prev_lead, prev_completed) = (ann.n, ann.lead_ms, ann.completed);
        let lead = prev_lead + work.dur;
        let completed = self.completion_time(prev_completed);
        self.emit_annotation(
            "annotation.updated",
            p,
            t,
            n,
            m,
            lead,
            false,
            false,
            completed,
            &vals,
        );
        let task = self.tasks.get_mut(&t).expect("still present");
        let ann = &mut task.anns[a as usize];
        ann.lead_ms = lead;
        ann.completed = completed;
        ann.correct = correct;
        ann.revision += 1;
        // A changed annotation under (or after a rejected) review goes back
        // to the reviewers.
        if (ann.review == ReviewState::Pending || rework) && !self.projects[p].reviewers.is_empty()
        {
            ann.review = ReviewState::Pending;
            let rev = ann.revision;
            self.projects[p].review_q.push_back((t, a, rev));
        }
    }

    fn finish_review(&mut self, m: usize, work: Work, a: u32) {
        let t = work.task;
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let ann = &task.anns[a as usize];
        if ann.deleted {
            return;
        }
        let p = task.project;
        let (strict, fix_bias) = (self.members[m].strictness, self.members[m].fix_bias);
        let outcome = if ann.correct {
            let u: f64 = self.rng.gen();
            if u < 0.92 {
                ReviewState::Accepted
            } else if u < 0.97 {
                ReviewState::Fixed
            } else {
                ReviewState::Rejected
            }
        } else if self.rng.gen_bool(strict) {
            if self.rng.gen_bool(fix_bias) {
                ReviewState::Fixed
            } else {
                ReviewState::Rejected
            }
        } else {
            ReviewState::Accepted
        };
        let (ann_n, annotator) = (ann.n, ann.member as usize);
        let mut dur = work.dur;
        if outcome == ReviewState::Fixed {
            dur += dur * 4 / 5;
        }
        let completed = self.completion_time(i64::MIN);
        let started = completed - dur.max(1000);
        let r = self.next_review;
        self.next_review += 1;
        let mut s = self.begin("review.submitted", Some(p));
        field_str(&mut s, "review_id", &format!("r-{r}"));
        field_str(&mut s, "annotation_id", &format!("a-{ann_n}"));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        field_str(&mut s, "reviewer_id", &self.members[m].id);
        let outcome_str = match outcome {
            ReviewState::Accepted => "accepted",
            ReviewState::Fixed => "fixed_and_accepted",
            _ => "rejected",
        };
        field_str(&mut s, "outcome", outcome_str);
        field_time(&mut s, "started_at", started);
        field_time(&mut s, "completed_at", completed);
        if outcome == ReviewState::Fixed {
            push_key(&mut s, "fixed_result");
            let truth = &self.tasks[&t].truth;
            push_result(&mut s, &mut self.rng, &self.projects[p].controls, truth);
        }
        self.finish(s, p);
        let task = self.tasks.get_mut(&t).expect("still present");
        let ann = &mut task.anns[a as usize];
        ann.review = outcome;
        ann.last_review = r;
        if outcome == ReviewState::Fixed {
            ann.correct = true;
        }
        if outcome == ReviewState::Rejected && self.rng.gen_bool(0.75) {
            let rw = &mut self.members[annotator].rework;
            if rw.len() < REWORK_CAP {
                rw.push_back((t, a, p));
            }
        }
        if self.rng.gen_bool(0.004) {
            let d = self.rng.gen_range(MIN..3 * HOUR);
            self.after(
                d,
                Action::DeleteReview {
                    task: t,
                    ann: a,
                    review: r,
                },
            );
        }
    }

    fn finish_ground_truth(&mut self, m: usize, work: Work) {
        let t = work.task;
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let acc = self.members[m].accuracy;
        let (vals, correct) =
            draw_answer(&mut self.rng, &self.projects[p].controls, &task.truth, acc);
        let n = self.next_ann;
        self.next_ann += 1;
        let completed = self.completion_time(i64::MIN);
        self.emit_annotation(
            "annotation.submitted",
            p,
            t,
            n,
            m,
            work.dur,
            false,
            true,
            completed,
            &vals,
        );
        let task = self.tasks.get_mut(&t).expect("still present");
        task.anns.push(Ann {
            n,
            member: m as u32,
            lead_ms: work.dur,
            completed,
            correct,
            skipped: false,
            gt: true,
            deleted: false,
            revision: 0,
            review: ReviewState::NotQueued,
            last_review: 0,
        });
    }

    // ---- rare deletions and housekeeping ---------------------------------------

    fn delete_annotation(&mut self, t: u64, a: u32) {
        let Some(task) = self.tasks.get_mut(&t) else {
            return;
        };
        let ann = &mut task.anns[a as usize];
        if ann.deleted {
            return;
        }
        ann.deleted = true;
        let n = ann.n;
        let counted = !ann.skipped && !ann.gt;
        let p = task.project;
        if counted {
            task.filled = task.filled.saturating_sub(1);
            if task.filled + 1 == task.overlap {
                let project = &mut self.projects[p];
                project.available += 1;
                project.done_since_import = project.done_since_import.saturating_sub(1);
            }
            if task.filled < task.overlap && !task.in_open {
                task.in_open = true;
                self.projects[p].open.push_back(t);
            }
        }
        let with_task = self.rng.gen_bool(0.6);
        let mut s = self.begin("annotation.deleted", Some(p));
        field_str(&mut s, "annotation_id", &format!("a-{n}"));
        if with_task {
            field_str(&mut s, "task_id", &format!("t-{t}"));
        }
        self.finish(s, p);
        self.sync_state(t);
    }

    fn delete_review(&mut self, t: u64, a: u32, r: u64) {
        let Some(task) = self.tasks.get_mut(&t) else {
            return;
        };
        let p = task.project;
        let ann = &mut task.anns[a as usize];
        if ann.last_review == r && !ann.deleted {
            ann.review = ReviewState::Deleted;
        }
        let mut s = self.begin("review.deleted", Some(p));
        field_str(&mut s, "review_id", &format!("r-{r}"));
        self.finish(s, p);
        self.sync_state(t);
    }

    fn delete_prediction(&mut self, t: u64, n: u64) {
        let Some(task) = self.tasks.get(&t) else {
            return;
        };
        let p = task.project;
        let mut s = self.begin("prediction.deleted", Some(p));
        field_str(&mut s, "prediction_id", &format!("pr-{n}"));
        self.finish(s, p);
    }

    fn delete_task(&mut self, t: u64) {
        let Some(task) = self.tasks.remove(&t) else {
            return;
        };
        let p = task.project;
        if task.filled < task.overlap {
            let project = &mut self.projects[p];
            project.available = project.available.saturating_sub(1);
        }
        let mut s = self.begin("task.deleted", Some(p));
        field_str(&mut s, "task_id", &format!("t-{t}"));
        self.finish(s, p);
    }

    fn retire(&mut self) {
        let now = self.now;
        let projects = &mut self.projects;
        self.tasks.retain(|_, t| {
            let age = now - t.created;
            let keep = age < TASK_MAX_AGE && (age < TASK_RETIRE_AGE || t.filled < t.overlap);
            if !keep && t.filled < t.overlap {
                let project = &mut projects[t.project];
                project.available = project.available.saturating_sub(1);
            }
            keep
        });
        self.after(HOUR, Action::Retire);
    }
}
