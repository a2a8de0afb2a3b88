//! The redb tables: typed tuple keys, postcard values (see [`crate::codec`]).
//!
//! Keys put the project first (or the member first, for the Member
//! Performance page), then the hour, so every dashboard read is one
//! contiguous range scan. redb orders tuples field by field, `i64` hours
//! numerically, strings by bytes.

use labelpulse_core::aggregate::CellKind;
use labelpulse_engine::entity::IndexKind;
use redb::TableDefinition;

/// A table whose values are postcard bytes.
pub type BytesTable<K> = TableDefinition<'static, K, &'static [u8]>;

/// `(project, hour)` -> `Versioned<HourRow>`.
pub const PROJECT_HOUR: BytesTable<(&str, i64)> = TableDefinition::new("project_hour");
/// `(project, hour, member)` -> `Versioned<HourRow>` (the Members page).
pub const MEMBER_HOUR_BY_PROJECT: BytesTable<(&str, i64, &str)> =
    TableDefinition::new("member_hour_by_project");
/// `(member, hour, project)` -> `Versioned<HourRow>`, the same rows member first
/// (the Member Performance page).
pub const MEMBER_HOUR_BY_MEMBER: BytesTable<(&str, i64, &str)> =
    TableDefinition::new("member_hour_by_member");
/// `project` -> `Versioned<TotalsRow>`.
pub const PROJECT_TOTALS: BytesTable<&str> = TableDefinition::new("project_totals");
/// `(project, member)` -> `Versioned<ActivityRow>`.
pub const MEMBER_ACTIVITY: BytesTable<(&str, &str)> = TableDefinition::new("member_activity");
/// `(project, dimension, label)` -> `Versioned<LabelRow>`.
pub const LABELS: BytesTable<(&str, &str, &str)> = TableDefinition::new("labels");
/// `(project, dimension, a, b)` -> `Versioned<PairRow>`.
pub const PAIRS: BytesTable<(&str, &str, &str, &str)> = TableDefinition::new("pairs");
/// `(project, scope code, dimension, hour)` -> `Versioned<AgreementRow>`
/// (scope codes: `AgreementScope::code`).
pub const AGREEMENT_HOUR: BytesTable<(&str, u8, &str, i64)> =
    TableDefinition::new("agreement_hour");
/// `(project, kind code, dimension, a, b, m, c, k)` -> `Versioned<CellRow>`;
/// kind from [`cell_kind_code`] (kind first: reads select kinds).
pub const CELLS: BytesTable<CellKey> = TableDefinition::new("agreement_cells");

/// The key tuple of [`CELLS`].
pub type CellKey = (
    &'static str,
    u8,
    &'static str,
    &'static str,
    &'static str,
    u32,
    &'static str,
    &'static str,
);
/// `(project, task)` -> `Versioned<TaskState>`.
pub const TASKS: BytesTable<(&str, &str)> = TableDefinition::new("tasks");
/// `(project, member)` -> `Versioned<SessionState>`.
pub const SESSIONS: BytesTable<(&str, &str)> = TableDefinition::new("sessions");
/// `project` -> `Versioned<ProjectConfig>`.
pub const PROJECTS: BytesTable<&str> = TableDefinition::new("projects");
/// `member` -> `Versioned<MemberState>`.
pub const MEMBERS: BytesTable<&str> = TableDefinition::new("members");
/// `(project, kind, id)` -> task id; kind from [`index_kind_code`].
pub const INDEX: TableDefinition<'static, (&str, u8, &str), &str> = TableDefinition::new("index");
/// Sequence -> the raw event as received.
pub const ARCHIVE: BytesTable<u64> = TableDefinition::new("archive");
/// Store metadata: [`META_FORMAT`] and [`META_POSITIONS`].
pub const META: BytesTable<&str> = TableDefinition::new("meta");

/// Meta key of the on-disk format version (postcard `u32`).
pub const META_FORMAT: &str = "format";
/// Meta key of the durable positions (postcard `BTreeMap<u32, u64>`).
pub const META_POSITIONS: &str = "positions";
/// The format this crate writes and reads.
pub const FORMAT_VERSION: u32 = 2;

/// Names of the tables, for error messages.
pub mod names {
    /// See [`super::PROJECT_HOUR`].
    pub const PROJECT_HOUR: &str = "project_hour";
    /// See [`super::MEMBER_HOUR_BY_PROJECT`].
    pub const MEMBER_HOUR: &str = "member_hour";
    /// See [`super::PROJECT_TOTALS`].
    pub const PROJECT_TOTALS: &str = "project_totals";
    /// See [`super::MEMBER_ACTIVITY`].
    pub const MEMBER_ACTIVITY: &str = "member_activity";
    /// See [`super::LABELS`].
    pub const LABELS: &str = "labels";
    /// See [`super::PAIRS`].
    pub const PAIRS: &str = "pairs";
    /// See [`super::AGREEMENT_HOUR`].
    pub const AGREEMENT_HOUR: &str = "agreement_hour";
    /// See [`super::CELLS`].
    pub const CELLS: &str = "agreement_cells";
    /// See [`super::TASKS`].
    pub const TASKS: &str = "tasks";
    /// See [`super::SESSIONS`].
    pub const SESSIONS: &str = "sessions";
    /// See [`super::PROJECTS`].
    pub const PROJECTS: &str = "projects";
    /// See [`super::MEMBERS`].
    pub const MEMBERS: &str = "members";
    /// See [`super::META`].
    pub const META: &str = "meta";
}

/// The `u8` an [`IndexKind`] is stored as.
pub fn index_kind_code(kind: IndexKind) -> u8 {
    match kind {
        IndexKind::Annotation => 0,
        IndexKind::Prediction => 1,
        IndexKind::Review => 2,
    }
}

/// The [`IndexKind`] of a stored code, if valid.
pub fn index_kind_from_code(code: u8) -> Option<IndexKind> {
    match code {
        0 => Some(IndexKind::Annotation),
        1 => Some(IndexKind::Prediction),
        2 => Some(IndexKind::Review),
        _ => None,
    }
}

/// The stored code of a [`CellKind`].
pub fn cell_kind_code(kind: CellKind) -> u8 {
    match kind {
        CellKind::Single => 0,
        CellKind::Coincidence => 1,
        CellKind::Confusion => 2,
        CellKind::PairsConfusion => 3,
        CellKind::TruthConfusion => 4,
        CellKind::ParticipantScore => 5,
        CellKind::ParticipantTasks => 6,
        CellKind::TruthDetection => 7,
        CellKind::PairsDetection => 8,
        CellKind::ParticipantDetection => 9,
    }
}

/// The [`CellKind`] of a stored code, if valid.
pub fn cell_kind_from_code(code: u8) -> Option<CellKind> {
    match code {
        0 => Some(CellKind::Single),
        1 => Some(CellKind::Coincidence),
        2 => Some(CellKind::Confusion),
        3 => Some(CellKind::PairsConfusion),
        4 => Some(CellKind::TruthConfusion),
        5 => Some(CellKind::ParticipantScore),
        6 => Some(CellKind::ParticipantTasks),
        7 => Some(CellKind::TruthDetection),
        8 => Some(CellKind::PairsDetection),
        9 => Some(CellKind::ParticipantDetection),
        _ => None,
    }
}

/// Creates every table that does not exist yet (redb creates on open in a
/// write transaction).
pub(crate) fn create_all(txn: &redb::WriteTransaction) -> Result<(), redb::TableError> {
    txn.open_table(PROJECT_HOUR)?;
    txn.open_table(MEMBER_HOUR_BY_PROJECT)?;
    txn.open_table(MEMBER_HOUR_BY_MEMBER)?;
    txn.open_table(PROJECT_TOTALS)?;
    txn.open_table(MEMBER_ACTIVITY)?;
    txn.open_table(LABELS)?;
    txn.open_table(PAIRS)?;
    txn.open_table(CELLS)?;
    txn.open_table(AGREEMENT_HOUR)?;
    txn.open_table(TASKS)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(PROJECTS)?;
    txn.open_table(MEMBERS)?;
    txn.open_table(INDEX)?;
    txn.open_table(ARCHIVE)?;
    txn.open_table(META)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_kinds_round_trip() {
        for kind in [
            IndexKind::Annotation,
            IndexKind::Prediction,
            IndexKind::Review,
        ] {
            assert_eq!(index_kind_from_code(index_kind_code(kind)), Some(kind));
        }
        assert_eq!(index_kind_from_code(3), None);
    }
}
