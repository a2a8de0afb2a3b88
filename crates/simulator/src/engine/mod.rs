//! The discrete-event engine behind [`crate::Simulator`].
//!
//! Every future happening (a task import step, an annotator finishing a task,
//! a heartbeat, a delayed delete...) is an [`Action`] in a min-heap ordered by
//! (time, insertion sequence). Handling an action emits zero or more events
//! stamped with the action's time and schedules later actions, so the output
//! is in non-decreasing time order by construction and fully determined by
//! the seed.

mod days;
mod emit;
mod housekeeping;
mod imports;
mod setup;
mod work;

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

        let mut members = setup::members(&mut rng, n_annotators, n_reviewers, n_projects);
        let mut projects = setup::projects(&mut rng, n_projects, per_ws, start);
        setup::assign(
            &mut rng,
            &mut members,
            &mut projects,
            n_annotators,
            n_reviewers,
        );
        setup::calibrate(&mut members, &projects, intensity);

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
}
