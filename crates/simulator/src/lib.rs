//! Seeded, deterministic, realistic LabelPulse event streams.
//!
//! Its one job: simulate an organization (workspaces, projects, annotators,
//! reviewers, a manager, models) and emit the events of the LabelPulse event
//! contract v1 (`DESIGN.md` section 3) as one-line JSON, in time order.
//! It never depends on other LabelPulse crates, I/O, threads, the wall clock
//! or hash-map iteration order: simulated time starts at [`SimConfig::start`].
//! Invariant: the same [`SimConfig`] yields the same bytes, event for event,
//! on every platform (its random numbers come from ChaCha8 and its math avoids
//! the platform's libm).

#![warn(missing_docs)]

mod engine;
mod json;
mod math;
mod world;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// What to simulate. Every field has a default (see [`SimConfig::default`]);
/// zero counts are raised to 1 (except `reviewers`, which may be 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Seed of the random number generator: the stream is a pure function of
    /// the whole config, seed included.
    pub seed: u64,
    /// Simulated time of the first event.
    pub start: DateTime<Utc>,
    /// Number of workspaces.
    pub workspaces: u32,
    /// Projects in each workspace.
    pub projects_per_workspace: u32,
    /// Number of annotators (each works on 1 to 3 projects).
    pub annotators: u32,
    /// Number of reviewers (0 disables reviews).
    pub reviewers: u32,
    /// Tasks imported into each project at the start; later imports add half
    /// as many whenever a project runs low on work.
    pub tasks_per_project: u32,
    /// Roughly the mean number of annotation events (submitted, skipped,
    /// updated) per simulated second across the organization, averaged over
    /// a week (people work shifts in several time zones, fewer on weekends).
    /// When the annotators cannot reach it at human speed, they work faster.
    pub intensity: f64,
    /// Seconds between `session.heartbeat` events of a working member.
    pub heartbeat_interval_seconds: u32,
    /// Also emit `task.state_changed` (off by default: the engine derives
    /// task states itself).
    pub emit_task_states: bool,
}

impl Default for SimConfig {
    /// Three workspaces of three projects, 24 annotators, 4 reviewers,
    /// 200 tasks per project, 0.1 annotation events per second (about one
    /// event of any type per 1.7 simulated seconds), heartbeats every 15 s,
    /// starting Monday 2026-01-05T08:00:00Z.
    fn default() -> Self {
        SimConfig {
            seed: 42,
            start: Utc
                .with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
                .single()
                .expect("valid date"),
            workspaces: 3,
            projects_per_workspace: 3,
            annotators: 24,
            reviewers: 4,
            tasks_per_project: 200,
            intensity: 0.1,
            heartbeat_interval_seconds: 15,
            emit_task_states: false,
        }
    }
}

/// One event of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimEvent {
    /// When it happened: equals the event's `occurred_at`.
    pub at: DateTime<Utc>,
    /// Kafka message key: the `project_id`, or the `member_id` for
    /// `member.upserted`.
    pub key: String,
    /// The event as one line of JSON, without a trailing newline.
    pub json: String,
}

/// An infinite, deterministic stream of [`SimEvent`]s in non-decreasing
/// [`SimEvent::at`] order.
///
/// ```
/// use labelpulse_simulator::{SimConfig, Simulator};
/// let first: Vec<_> = Simulator::new(SimConfig::default()).take(3).collect();
/// assert!(first[0].json.contains("\"type\":\"member.upserted\""));
/// ```
#[derive(Clone)]
pub struct Simulator {
    engine: engine::Engine,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("config", self.engine.config())
            .field("emitted", &self.engine.emitted())
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Builds the simulated organization from `config`; no event is produced
    /// until the stream is read.
    pub fn new(config: SimConfig) -> Self {
        Simulator {
            engine: engine::Engine::new(config),
        }
    }

    /// The configuration this simulator was built from.
    pub fn config(&self) -> &SimConfig {
        self.engine.config()
    }

    /// Number of events generated so far (including any buffered for
    /// [`Simulator::peek_at`] but not yet returned).
    pub fn generated(&self) -> u64 {
        self.engine.emitted()
    }

    /// Time of the next event, without consuming it.
    pub fn peek_at(&mut self) -> Option<DateTime<Utc>> {
        self.fill();
        self.engine.out.front().map(|e| e.at)
    }

    /// Returns every next event with `at < t` (possibly none). Calls with
    /// increasing `t` partition the stream.
    pub fn take_until(&mut self, t: DateTime<Utc>) -> Vec<SimEvent> {
        let mut v = Vec::new();
        while self.peek_at().is_some_and(|at| at < t) {
            v.extend(self.engine.out.pop_front());
        }
        v
    }

    fn fill(&mut self) {
        while self.engine.out.is_empty() {
            if !self.engine.step() {
                return;
            }
        }
    }
}

impl Iterator for Simulator {
    type Item = SimEvent;

    /// The next event; never `None` (the organization keeps working).
    fn next(&mut self) -> Option<SimEvent> {
        self.fill();
        self.engine.out.pop_front()
    }
}
