//! The tables (created by `schemas/clickhouse/*.sql`) and one Rust struct
//! per table row, in the table's column order.
//!
//! The structs are read and written as `RowBinary` without schema validation
//! (18.16 cannot validate), so a struct's field order must equal the column
//! list of every query that reads it: `queries` tests check each SELECT list
//! against [`clickhouse::Row`]'s column names, and the round-trip test writes
//! and reads back distinct values in every column.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

/// Table names, as in the migration files.
pub mod names {
    /// project x hour (migration 0005; `project_hour` is a view of it).
    pub const PROJECT_HOUR: &str = "project_hour_v2";
    /// project x member x hour, project first.
    pub const MEMBER_HOUR: &str = "member_hour_v2";
    /// The same rows member first (filled by a materialized view).
    pub const MEMBER_HOUR_BY_MEMBER: &str = "member_hour_by_member_v2";
    /// Snapshot counts per project.
    pub const PROJECT_TOTALS: &str = "project_totals";
    /// Last activity per project and member.
    pub const MEMBER_ACTIVITY: &str = "member_activity";
    /// Label occurrences.
    pub const LABELS: &str = "labels";
    /// Participant pairs.
    pub const PAIRS: &str = "pairs";
    /// Task agreement per scope and hour.
    pub const AGREEMENT_HOUR: &str = "task_agreement_hour";
    /// Sufficient-statistics cells of the chance-corrected agreement.
    pub const CELLS: &str = "agreement_cells";
    /// Task states.
    pub const TASKS: &str = "tasks";
    /// Heartbeat sessions.
    pub const SESSIONS: &str = "sessions";
    /// Project settings.
    pub const PROJECTS: &str = "projects";
    /// Members.
    pub const MEMBERS: &str = "members";
    /// The id -> task index.
    pub const ID_INDEX: &str = "id_index";
    /// Positions per partition.
    pub const INGEST_PROGRESS: &str = "ingest_progress";
    /// Where every started flush ends, per partition.
    pub const FLUSH_MARKS: &str = "flush_marks";
    /// Raw events.
    pub const EVENT_ARCHIVE: &str = "event_archive";
    /// Applied migrations.
    pub const SCHEMA_MIGRATIONS: &str = "schema_migrations";
}

/// The counters of an hour row in the order of the hour tables' `counters`
/// column (migration 0005; the views of 0006 name them in this order).
/// `codec::hour_counters` fills them, and a test checks it against the
/// fields of `HourRow` with these names.
pub const HOUR_COUNTERS: [&str; 20] = [
    "submitted",
    "skipped",
    "updated",
    "regions",
    "lead_time_ms",
    "lead_time_count",
    "lead_time_zeros",
    "accepted",
    "fixed_and_accepted",
    "rejected",
    "performance_sum",
    "performance_count",
    "reviews_accepted",
    "reviews_fixed_and_accepted",
    "reviews_rejected",
    "review_time_ms",
    "review_time_count",
    "review_time_zeros",
    "tasks_done",
    "active_ms",
];

macro_rules! hour_table_row {
    ($(#[$meta:meta])* $name:ident { $($(#[$kmeta:meta])* $key:ident: $kty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
        pub struct $name {
            $($(#[$kmeta])* pub $key: $kty,)*
            /// Sequence of the last event applied.
            pub version: u64,
            /// The counters named by [`HOUR_COUNTERS`], in its order.
            pub counters: Vec<i64>,
            /// Lead-time sketch: bucket indexes, ascending.
            pub lead_time_buckets: Vec<i32>,
            /// Lead-time sketch: the buckets' counts.
            pub lead_time_counts: Vec<i64>,
            /// Review-time sketch: bucket indexes, ascending.
            pub review_time_buckets: Vec<i32>,
            /// Review-time sketch: the buckets' counts.
            pub review_time_counts: Vec<i64>,
        }
    };
}

hour_table_row!(
    /// A row of `project_hour_v2`.
    ProjectHourRow {
        /// Project.
        project: String,
        /// Hour bucket.
        hour: i64,
    }
);

hour_table_row!(
    /// A row of `member_hour_v2` (and, read in this column order, of
    /// `member_hour_by_member_v2`).
    MemberHourRow {
        /// Project.
        project: String,
        /// Hour bucket.
        hour: i64,
        /// Member.
        member: String,
    }
);

/// A row of `project_totals`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct ProjectTotalsRow {
    /// Project.
    pub project: String,
    /// Version.
    pub version: u64,
    /// Tasks in state `initial`.
    pub tasks_initial: i64,
    /// Tasks in state `annotating`.
    pub tasks_annotating: i64,
    /// Tasks in state `needs_review`.
    pub tasks_needs_review: i64,
    /// Tasks in state `in_review`.
    pub tasks_in_review: i64,
    /// Tasks in state `done`.
    pub tasks_done: i64,
    /// Current non-skipped annotations.
    pub submitted: i64,
    /// Current skipped annotations.
    pub skipped: i64,
}

/// A row of `member_activity`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct MemberActivityRow {
    /// Project.
    pub project: String,
    /// Member.
    pub member: String,
    /// Version.
    pub version: u64,
    /// Epoch ms of the latest activity.
    pub last_active_ms: i64,
}

/// A row of `labels`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct LabelsRow {
    /// Project.
    pub project: String,
    /// Control tag.
    pub dimension: String,
    /// Label.
    pub label: String,
    /// Version.
    pub version: u64,
    /// Occurrences in non-skipped annotations.
    pub annotations: i64,
    /// Occurrences in predictions.
    pub predictions: i64,
}

/// A row of `pairs`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct PairsRow {
    /// Project.
    pub project: String,
    /// Control tag, or `""` for the overall dimension.
    pub dimension: String,
    /// First participant.
    pub a: String,
    /// Second participant.
    pub b: String,
    /// Version.
    pub version: u64,
    /// Sum of pair scores (fixed point).
    pub score_sum: i64,
    /// Common tasks.
    pub tasks: i64,
}

/// A row of `task_agreement_hour`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct AgreementHourRow {
    /// Project.
    pub project: String,
    /// `annotators`, `models` or `all`.
    pub participants: String,
    /// `pairwise` or `consensus`.
    pub mode: String,
    /// Control tag, or `""` for the overall dimension.
    pub dimension: String,
    /// Hour bucket.
    pub hour: i64,
    /// Version.
    pub version: u64,
    /// Tasks with two or more participants.
    pub tasks: i64,
    /// Sum of task agreements (fixed point).
    pub score_sum: i64,
    /// Tasks per decile (10 entries).
    pub histogram: Vec<i64>,
    /// Tasks below the project's threshold.
    pub low: i64,
}

/// A row of `agreement_cells`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct CellsRow {
    /// Project.
    pub project: String,
    /// Control tag.
    pub dimension: String,
    /// `single`, `coincidence` or `confusion`.
    pub kind: String,
    /// First participant (confusion), else empty.
    pub a: String,
    /// Second participant (confusion), else empty.
    pub b: String,
    /// Values per task (coincidence), else 0.
    pub m: u32,
    /// First category.
    pub c: String,
    /// Second category, else empty.
    pub k: String,
    /// Version.
    pub version: u64,
    /// The count.
    pub count: i64,
}

/// A row of `tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct TasksRow {
    /// Project.
    pub project: String,
    /// Task.
    pub task: String,
    /// Version.
    pub version: u64,
    /// postcard bytes of the `TaskState`.
    pub state: Vec<u8>,
}

/// The key columns of a `tasks` row: a project's listing of its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct TaskIdsRow {
    /// Project.
    pub project: String,
    /// Task.
    pub task: String,
}

/// The key of a statistics cell ([`crate::queries::LIST_CELLS`]).
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct CellKeyRow {
    /// Project.
    pub project: String,
    /// Control tag.
    pub dimension: String,
    /// The cell's kind (`CellKind::as_str`).
    pub kind: String,
    /// First participant, else empty.
    pub a: String,
    /// Second participant, else empty.
    pub b: String,
    /// Values per task (coincidence), else 0.
    pub m: u32,
    /// First category.
    pub c: String,
    /// Second category, else empty.
    pub k: String,
}

/// A project's latest hour of its hour rows ([`crate::queries::HOUR_HORIZONS`]).
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct HourHorizonRow {
    /// Project.
    pub project: String,
    /// Hour bucket (hours since the epoch).
    pub hour: i64,
}

/// A row of `sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct SessionsRow {
    /// Project.
    pub project: String,
    /// Member.
    pub member: String,
    /// Version.
    pub version: u64,
    /// Latest session event seen, epoch ms.
    pub latest_ms: Option<i64>,
    /// 1 when a heartbeat came after the last `session.ended`.
    pub open: u8,
}

/// A row of `projects`.
#[derive(Debug, Clone, PartialEq, Row, Serialize, Deserialize)]
pub struct ProjectsRow {
    /// Project.
    pub project: String,
    /// Version.
    pub version: u64,
    /// Title.
    pub title: String,
    /// Workspace.
    pub workspace_id: Option<String>,
    /// Annotations required per task.
    pub overlap: u32,
    /// Low-agreement threshold.
    pub agreement_threshold: f64,
    /// `none`, `one` or `all`.
    pub review_criteria: String,
    /// JSON array of the control tags.
    pub controls: String,
}

/// A row of `members`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct MembersRow {
    /// Member.
    pub member: String,
    /// Version.
    pub version: u64,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Role (`annotator`, `reviewer`, ...).
    pub role: String,
    /// `occurred_at` of the upsert, epoch ms.
    pub occurred_ms: i64,
}

/// A row of `id_index`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct IdIndexRow {
    /// Project.
    pub project: String,
    /// 0 annotation, 1 prediction, 2 review.
    pub kind: u8,
    /// The annotation, prediction or review id.
    pub id: String,
    /// The task it belongs to.
    pub task: String,
}

/// A row of `ingest_progress` as written (`updated_at` defaults to `now()`).
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct IngestProgressRow {
    /// Partition.
    pub partition: u32,
    /// Sequence of the last event a durable flush covers.
    pub position: u64,
}

/// A row of `event_archive` as written (`received_at` defaults to `now()`).
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct EventArchiveRow {
    /// The event's Kafka partition.
    pub partition: u32,
    /// Sequence (offset + 1).
    pub sequence: u64,
    /// The raw event as received.
    pub event: Vec<u8>,
}

/// A row of `schema_migrations` as written (`applied_at` defaults to `now()`).
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct SchemaMigrationsRow {
    /// The migration's number.
    pub version: u32,
    /// Its file name without `.sql`.
    pub name: String,
    /// FNV-1a 64 of its text, hex.
    pub checksum: String,
}
