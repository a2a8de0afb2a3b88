//! The event contract (`schemas/events/v1`) as Rust types.
//!
//! Decoding is two steps: [`crate::decode()`] parses the bytes into a flat,
//! borrowed wire struct (fast, no `serde_json::Value`), then validation turns
//! it into a typed [`Event`] or a [`crate::DecodeError`] naming the field.
//! Ids borrow from the input where the JSON string has no escapes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::result::ResultItem;

/// The only schema version this build understands.
pub const SCHEMA_VERSION: u64 = 1;

/// A validated event: the envelope plus its typed body.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// Fields every event carries.
    pub envelope: Envelope<'a>,
    /// What happened.
    pub body: EventBody<'a>,
}

/// The envelope of every event.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    /// Unique id of the event (a UUID where the producer can make one).
    pub event_id: Cow<'a, str>,
    /// When the event happened at the source, normalized to UTC.
    pub occurred_at: DateTime<Utc>,
    /// The project; `None` only for `member.upserted`.
    pub project_id: Option<Cow<'a, str>>,
    /// Optional workspace of the project.
    pub workspace_id: Option<Cow<'a, str>>,
    /// Optional organization.
    pub org_id: Option<Cow<'a, str>>,
    /// Optional producer name.
    pub source: Option<Cow<'a, str>>,
}

/// The type-specific part of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody<'a> {
    /// `project.upserted`
    ProjectUpserted(ProjectUpserted<'a>),
    /// `member.upserted`
    MemberUpserted(MemberUpserted<'a>),
    /// `task.created`
    TaskCreated {
        /// Task id.
        task_id: Cow<'a, str>,
        /// Per-task override of the project's overlap.
        overlap: Option<u32>,
    },
    /// `task.deleted`
    TaskDeleted {
        /// Task id.
        task_id: Cow<'a, str>,
    },
    /// `task.state_changed`
    TaskStateChanged {
        /// Task id.
        task_id: Cow<'a, str>,
        /// State before.
        from: TaskStatus,
        /// State after.
        to: TaskStatus,
    },
    /// `annotation.submitted`, `annotation.updated`, `annotation.skipped`
    Annotation(AnnotationEvent<'a>),
    /// `annotation.deleted`
    AnnotationDeleted {
        /// Annotation id.
        annotation_id: Cow<'a, str>,
        /// Task id when the producer knows it (Label Studio's delete webhook does not).
        task_id: Option<Cow<'a, str>>,
    },
    /// `prediction.created`
    PredictionCreated(PredictionCreated<'a>),
    /// `prediction.deleted`
    PredictionDeleted {
        /// Prediction id.
        prediction_id: Cow<'a, str>,
    },
    /// `review.submitted`
    ReviewSubmitted(ReviewSubmitted<'a>),
    /// `review.deleted`
    ReviewDeleted {
        /// Review id.
        review_id: Cow<'a, str>,
    },
    /// `session.heartbeat` and `session.ended`
    Session(SessionEvent<'a>),
}

/// The `type` field of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
pub enum EventType {
    /// A project was created or its settings changed.
    #[serde(rename = "project.upserted")]
    ProjectUpserted,
    /// A member was created or changed (organization scope).
    #[serde(rename = "member.upserted")]
    MemberUpserted,
    /// A task was imported.
    #[serde(rename = "task.created")]
    TaskCreated,
    /// A task was deleted.
    #[serde(rename = "task.deleted")]
    TaskDeleted,
    /// A task moved between workflow states.
    #[serde(rename = "task.state_changed")]
    TaskStateChanged,
    /// An annotation was submitted.
    #[serde(rename = "annotation.submitted")]
    AnnotationSubmitted,
    /// An annotation was updated.
    #[serde(rename = "annotation.updated")]
    AnnotationUpdated,
    /// A task was skipped (a cancelled annotation).
    #[serde(rename = "annotation.skipped")]
    AnnotationSkipped,
    /// An annotation was deleted.
    #[serde(rename = "annotation.deleted")]
    AnnotationDeleted,
    /// A model prediction was attached to a task.
    #[serde(rename = "prediction.created")]
    PredictionCreated,
    /// A prediction was deleted.
    #[serde(rename = "prediction.deleted")]
    PredictionDeleted,
    /// A reviewer acted on an annotation.
    #[serde(rename = "review.submitted")]
    ReviewSubmitted,
    /// A review was deleted.
    #[serde(rename = "review.deleted")]
    ReviewDeleted,
    /// A member's client is active.
    #[serde(rename = "session.heartbeat")]
    SessionHeartbeat,
    /// A member's session ended.
    #[serde(rename = "session.ended")]
    SessionEnded,
}

impl EventType {
    /// The wire name, e.g. `annotation.submitted`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ProjectUpserted => "project.upserted",
            EventType::MemberUpserted => "member.upserted",
            EventType::TaskCreated => "task.created",
            EventType::TaskDeleted => "task.deleted",
            EventType::TaskStateChanged => "task.state_changed",
            EventType::AnnotationSubmitted => "annotation.submitted",
            EventType::AnnotationUpdated => "annotation.updated",
            EventType::AnnotationSkipped => "annotation.skipped",
            EventType::AnnotationDeleted => "annotation.deleted",
            EventType::PredictionCreated => "prediction.created",
            EventType::PredictionDeleted => "prediction.deleted",
            EventType::ReviewSubmitted => "review.submitted",
            EventType::ReviewDeleted => "review.deleted",
            EventType::SessionHeartbeat => "session.heartbeat",
            EventType::SessionEnded => "session.ended",
        }
    }
}

/// `project.upserted`: the settings that change metric semantics.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectUpserted<'a> {
    /// Display title.
    pub title: Cow<'a, str>,
    /// Annotations required per task (>= 1).
    pub overlap: u32,
    /// Tasks whose agreement is below this (0..=1) count as low agreement.
    pub agreement_threshold: f64,
    /// When a task counts as reviewed.
    pub review_criteria: ReviewCriteria,
    /// The labeling config's control tags.
    pub controls: Vec<Control>,
}

/// One control tag of the labeling config (a "dimension").
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Control {
    /// The tag's `name`, matched by results' `from_name`.
    pub name: String,
    /// The tag kind, e.g. `choices` or `rating` (unknown kinds are kept, not scored).
    pub kind: String,
    /// Declared labels, in declared order.
    pub labels: Vec<String>,
    /// Multi-select choices.
    pub multiple: bool,
    /// Lower end of a numeric scale (rating, number).
    pub min: Option<f64>,
    /// Upper end of a numeric scale (rating, number).
    pub max: Option<f64>,
    /// Weight in the overall agreement (0 drops the tag).
    pub weight: f64,
    /// Per-label weights inside the tag (each >= 0): 0 drops that label from
    /// region and choice scoring; a label not listed weighs 1.
    #[serde(default)]
    pub label_weights: LabelWeights,
    /// In `0..=1`: the IoU threshold of the region threshold variants and of
    /// precision/recall/F1, and the pair score at or above which two
    /// annotations agree in this tag (consensus).
    #[serde(default = "default_threshold")]
    pub threshold: f64,
}

/// Label → weight (>= 0) inside one control tag; a missing label weighs 1.
pub type LabelWeights = BTreeMap<String, f64>;

/// The threshold of a control that does not set one.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

fn default_threshold() -> f64 {
    DEFAULT_THRESHOLD
}

/// `review_criteria` of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewCriteria {
    /// No review: a task is done once it has enough annotations.
    None,
    /// One accepted review makes the task done.
    One,
    /// Every annotation must be accepted.
    All,
}

/// `member.upserted`
#[derive(Debug, Clone, PartialEq)]
pub struct MemberUpserted<'a> {
    /// Member id.
    pub member_id: Cow<'a, str>,
    /// Display name.
    pub name: Cow<'a, str>,
    /// Email, when known.
    pub email: Option<Cow<'a, str>>,
    /// Organization role.
    pub role: Role,
}

/// An organization role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Organization owner.
    Owner,
    /// Administrator.
    Administrator,
    /// Manager of workspaces or projects.
    Manager,
    /// Reviewer.
    Reviewer,
    /// Annotator.
    Annotator,
}

impl Role {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::Reviewer => "reviewer",
            Role::Annotator => "annotator",
        }
    }
}

/// Task workflow state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// No annotation yet.
    Initial,
    /// Fewer counted annotations than the overlap.
    Annotating,
    /// Enough annotations, waiting for review.
    NeedsReview,
    /// Partly reviewed.
    InReview,
    /// Complete.
    Done,
}

impl TaskStatus {
    /// All states, in workflow order.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Initial,
        TaskStatus::Annotating,
        TaskStatus::NeedsReview,
        TaskStatus::InReview,
        TaskStatus::Done,
    ];

    /// Position in [`TaskStatus::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which annotation event it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnnotationAction {
    /// `annotation.submitted`
    Submitted,
    /// `annotation.updated`
    Updated,
    /// `annotation.skipped`
    Skipped,
}

/// `annotation.submitted`, `annotation.updated`, `annotation.skipped`
#[derive(Debug, Clone, PartialEq)]
pub struct AnnotationEvent<'a> {
    /// Which of the three it is.
    pub action: AnnotationAction,
    /// Annotation id.
    pub annotation_id: Cow<'a, str>,
    /// Task id.
    pub task_id: Cow<'a, str>,
    /// Annotator.
    pub member_id: Cow<'a, str>,
    /// Cumulative lead time over all sessions, seconds (>= 0).
    pub lead_time_seconds: f64,
    /// Cancelled (skipped); `annotation.skipped` implies it.
    pub was_cancelled: bool,
    /// Marked as ground truth.
    pub ground_truth: bool,
    /// When the annotator clicked Submit or Update.
    pub completed_at: DateTime<Utc>,
    /// Label Studio result items.
    pub result: Vec<ResultItem<'a>>,
}

/// `prediction.created`
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionCreated<'a> {
    /// Prediction id.
    pub prediction_id: Cow<'a, str>,
    /// Task id.
    pub task_id: Cow<'a, str>,
    /// Model version; the participant is `model:<version>`.
    pub model_version: Cow<'a, str>,
    /// Model confidence, when given.
    pub score: Option<f64>,
    /// Label Studio result items.
    pub result: Vec<ResultItem<'a>>,
}

/// Outcome of a review action.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Accepted as is.
    Accepted,
    /// Fixed by the reviewer, then accepted.
    FixedAndAccepted,
    /// Rejected.
    Rejected,
}

/// `review.submitted`
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewSubmitted<'a> {
    /// Review id.
    pub review_id: Cow<'a, str>,
    /// The reviewed annotation.
    pub annotation_id: Cow<'a, str>,
    /// Its task.
    pub task_id: Cow<'a, str>,
    /// Reviewer.
    pub reviewer_id: Cow<'a, str>,
    /// Accept, fix and accept, or reject.
    pub outcome: ReviewOutcome,
    /// When the reviewer opened the annotation.
    pub started_at: DateTime<Utc>,
    /// When the reviewer acted (>= `started_at`).
    pub completed_at: DateTime<Utc>,
    /// The reviewer's fixed result (fix and accept).
    pub fixed_result: Option<Vec<ResultItem<'a>>>,
}

/// Kind of session event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// `session.heartbeat`
    Heartbeat,
    /// `session.ended`
    Ended,
}

/// `session.heartbeat`, `session.ended`
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEvent<'a> {
    /// Heartbeat or end.
    pub kind: SessionKind,
    /// Member.
    pub member_id: Cow<'a, str>,
    /// The task on screen, when known.
    pub task_id: Option<Cow<'a, str>>,
}

impl Event<'_> {
    /// The wire type of this event.
    pub fn event_type(&self) -> EventType {
        match &self.body {
            EventBody::ProjectUpserted(_) => EventType::ProjectUpserted,
            EventBody::MemberUpserted(_) => EventType::MemberUpserted,
            EventBody::TaskCreated { .. } => EventType::TaskCreated,
            EventBody::TaskDeleted { .. } => EventType::TaskDeleted,
            EventBody::TaskStateChanged { .. } => EventType::TaskStateChanged,
            EventBody::Annotation(a) => match a.action {
                AnnotationAction::Submitted => EventType::AnnotationSubmitted,
                AnnotationAction::Updated => EventType::AnnotationUpdated,
                AnnotationAction::Skipped => EventType::AnnotationSkipped,
            },
            EventBody::AnnotationDeleted { .. } => EventType::AnnotationDeleted,
            EventBody::PredictionCreated(_) => EventType::PredictionCreated,
            EventBody::PredictionDeleted { .. } => EventType::PredictionDeleted,
            EventBody::ReviewSubmitted(_) => EventType::ReviewSubmitted,
            EventBody::ReviewDeleted { .. } => EventType::ReviewDeleted,
            EventBody::Session(s) => match s.kind {
                SessionKind::Heartbeat => EventType::SessionHeartbeat,
                SessionKind::Ended => EventType::SessionEnded,
            },
        }
    }

    /// The partition key: `project_id`, or `member_id` for `member.upserted`.
    pub fn key(&self) -> &str {
        match (&self.body, &self.envelope.project_id) {
            (EventBody::MemberUpserted(m), _) => &m.member_id,
            (_, Some(p)) => p,
            (_, None) => "",
        }
    }
}
