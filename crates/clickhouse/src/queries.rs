//! Every SQL statement this crate sends, besides the migration files and the
//! `INSERT INTO table(columns) FORMAT RowBinary` the client builds from a
//! [`crate::tables`] struct.
//!
//! Values are bound client-side with `clickhouse::query::Query::bind` (`?`
//! placeholders; 18.16 has no server-side parameters); no statement is ever
//! assembled from input. The engine's batch loads ([`KeyLoad`]) come in two
//! forms: a few keys are bound as one tuple of tuples, `(project, task) IN
//! (('p','t1'), ('p','t2'))`; many as one array per key column
//! (the `where_keys_in!` macro). ClickHouse parses an array of literals in one fast
//! pass, while a list of tuples costs it an expression node per value, but
//! the arrays' subquery has a fixed cost of its own (measured on 18.16 over
//! HTTP, three-string keys of a small table: 3 keys 1.1 to 1.3 ms as tuples,
//! 1.6 ms as arrays; 30 keys 1.7 to 1.9 ms both; 300 keys 5.9 to 6.6 ms
//! against 2.6 to 2.8 ms; 3,000 keys 51 to 61 ms against 13 ms). Each SELECT
//! list is the column order of the row struct it is read into (checked by
//! the tests below). [`ALL`] lists every statement, so the chDB test runs
//! each one on a current ClickHouse.

/// A batch load by key, in the two forms [`crate::load::fetch_keys`]
/// chooses between by the number of keys.
#[derive(Clone, Copy, Debug)]
pub struct KeyLoad {
    /// Below [`crate::load::ARRAY_KEYS_FROM`] keys: one `?`, the key list as
    /// a tuple of tuples ([`crate::load::InList`]).
    pub few: &'static str,
    /// From there on: one `?` per key column, an array each
    /// ([`crate::load::KeyColumns`]).
    pub many: &'static str,
}

/// The [`KeyLoad`] of a SELECT by the given key columns and their types.
macro_rules! key_load {
    ($select:expr; $($column:ident: $type:literal),+ $(,)?) => {
        KeyLoad {
            few: concat!($select, where_key_tuples_in!($($column),+)),
            many: concat!($select, where_keys_in!($($column: $type),+)),
        }
    };
}

/// ` WHERE (c1, c2, ..) IN ?` for a few keys: bind one tuple of key tuples.
macro_rules! where_key_tuples_in {
    ($first:ident $(, $column:ident)*) => {
        concat!(" WHERE (", stringify!($first), $(", ", stringify!($column),)* ") IN ?")
    };
}

/// ` WHERE (c1, c2, ..) IN (..)` for a batch load: bind one array per key
/// column, in order, each cast to its column's type (so the set's types
/// equal the key's, which `IN (subquery)` requires) and zipped back into
/// key tuples by `ARRAY JOIN` (the arrays have equal lengths).
macro_rules! where_keys_in {
    ($first:ident: $first_type:literal $(, $column:ident: $column_type:literal)*) => {
        concat!(
            " WHERE (", stringify!($first), $(", ", stringify!($column),)* ")",
            " IN (SELECT k_", stringify!($first), $(", k_", stringify!($column),)*
            " FROM (SELECT CAST(? AS Array(", $first_type, ")) AS l_", stringify!($first),
            $(", CAST(? AS Array(", $column_type, ")) AS l_", stringify!($column),)*
            ") ARRAY JOIN l_", stringify!($first), " AS k_", stringify!($first),
            $(", l_", stringify!($column), " AS k_", stringify!($column),)*
            ")"
        )
    };
}

macro_rules! hour_values {
    () => {
        "version, counters, lead_time_buckets, lead_time_counts, \
         review_time_buckets, review_time_counts"
    };
}

macro_rules! project_hour_select {
    () => {
        concat!(
            "SELECT project, hour, ",
            hour_values!(),
            " FROM project_hour_v2 FINAL"
        )
    };
}

macro_rules! member_hour_select {
    ($table:literal) => {
        concat!(
            "SELECT project, hour, member, ",
            hour_values!(),
            " FROM ",
            $table,
            " FINAL"
        )
    };
}

macro_rules! totals_select {
    () => {
        "SELECT project, version, tasks_initial, tasks_annotating, tasks_needs_review, \
         tasks_in_review, tasks_done, submitted, skipped FROM project_totals FINAL"
    };
}

macro_rules! activity_select {
    () => {
        "SELECT project, member, version, last_active_ms FROM member_activity FINAL"
    };
}

macro_rules! labels_select {
    () => {
        "SELECT project, dimension, label, version, annotations, predictions FROM labels FINAL"
    };
}

macro_rules! pairs_select {
    () => {
        "SELECT project, dimension, a, b, version, score_sum, tasks FROM pairs FINAL"
    };
}

macro_rules! agreement_select {
    () => {
        "SELECT project, participants, mode, dimension, hour, version, tasks, score_sum, \
         histogram, low FROM task_agreement_hour FINAL"
    };
}

macro_rules! cells_select {
    () => {
        "SELECT project, dimension, kind, a, b, m, c, k, version, count \
         FROM agreement_cells FINAL"
    };
}

macro_rules! tasks_select {
    () => {
        "SELECT project, task, version, state FROM tasks FINAL"
    };
}

macro_rules! sessions_select {
    () => {
        "SELECT project, member, version, latest_ms, open FROM sessions FINAL"
    };
}

macro_rules! projects_select {
    () => {
        "SELECT project, version, title, workspace_id, overlap, agreement_threshold, \
         review_criteria, controls FROM projects FINAL"
    };
}

macro_rules! members_select {
    () => {
        "SELECT member, version, name, email, role, occurred_ms FROM members FINAL"
    };
}

macro_rules! index_select {
    () => {
        "SELECT project, kind, id, task FROM id_index FINAL"
    };
}

// ----- client and migrations -----

/// The server's version (the probe at connect time).
pub const SERVER_VERSION: &str = "SELECT version()";
/// A cheap liveness query (`ReadStore::ready`).
pub const PING: &str = "SELECT 1";
/// Creates the database; bind a `clickhouse::sql::Identifier`.
pub const CREATE_DATABASE: &str = "CREATE DATABASE IF NOT EXISTS ?";
/// The migrations bookkeeping table (created before any migration).
pub const CREATE_SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations \
     (version UInt32, name String, checksum String, applied_at DateTime DEFAULT now()) \
     ENGINE = ReplacingMergeTree ORDER BY version";
/// Applied migrations, by version.
pub const APPLIED_MIGRATIONS: &str =
    "SELECT version, name, checksum FROM schema_migrations FINAL ORDER BY version";
/// Takes the migration lock: succeeds for exactly one of concurrent callers
/// (see `migration_lock`). Its rows are the holder's heartbeats.
pub const CREATE_MIGRATION_LOCK: &str = "CREATE TABLE schema_migrations_lock \
     (holder String, beat DateTime DEFAULT now()) ENGINE = Memory";
/// One heartbeat of the lock's holder; bind the holder's name.
pub const BEAT_MIGRATION_LOCK: &str = "INSERT INTO schema_migrations_lock (holder) VALUES (?)";
/// Seconds since the lock's newest beat, or since its creation before the
/// first (fails with `UNKNOWN_TABLE` when nobody holds it). The subquery
/// aggregates so that it always has a row, even when the lock is dropped
/// while this runs.
pub const MIGRATION_LOCK_SILENCE: &str = "SELECT toUInt64(greatest(toInt64(now()) \
     - greatest(toInt64(max(beat)), (SELECT max(toInt64(metadata_modification_time)) \
     FROM system.tables WHERE database = currentDatabase() \
     AND name = 'schema_migrations_lock')), 0)) FROM schema_migrations_lock";
/// Releases the migration lock.
pub const DROP_MIGRATION_LOCK: &str = "DROP TABLE IF EXISTS schema_migrations_lock";

// ----- the engine's batch loads (Store): see `KeyLoad` -----

/// Tasks by `(project, task)`.
pub const LOAD_TASKS: KeyLoad = key_load!(tasks_select!(); project: "String", task: "String");
/// Every task of a project; bind the project.
pub const PROJECT_TASKS: &str = concat!(tasks_select!(), " WHERE project = ? ORDER BY task");
/// The task ids of some projects (an `IN` over a subquery, which uses the
/// primary key on 18.16 as on current ClickHouse); bind the projects as
/// one array. Without `FINAL`: a task written twice is listed twice.
pub const LIST_TASKS: &str =
    "SELECT project, task FROM tasks WHERE project IN (SELECT arrayJoin(?))";
/// The keys of the statistics cells of some projects; bind the projects
/// as one array. Without `FINAL`: a cell written twice is listed twice.
pub const LIST_CELLS: &str = "SELECT project, dimension, kind, a, b, m, c, k FROM agreement_cells \
     WHERE project IN (SELECT arrayJoin(?))";
/// The latest hour of the hour rows (project-hour, member-hour,
/// agreement-hour) of some projects, for those that have any; bind the
/// projects as one array, three times. Without `FINAL`: a superseded row
/// counts too, which only makes the engine read a row it could have
/// created (`Store::hour_horizons`).
pub const HOUR_HORIZONS: &str = "SELECT project, max(hour) AS hour FROM (\
     SELECT project, hour FROM project_hour_v2 WHERE project IN (SELECT arrayJoin(?)) \
     UNION ALL SELECT project, hour FROM member_hour_v2 WHERE project IN (SELECT arrayJoin(?)) \
     UNION ALL SELECT project, hour FROM task_agreement_hour WHERE project IN (SELECT arrayJoin(?))\
     ) GROUP BY project";
/// Sessions by `(project, member)`.
pub const LOAD_SESSIONS: KeyLoad =
    key_load!(sessions_select!(); project: "String", member: "String");
/// Project settings by project.
pub const LOAD_PROJECTS: KeyLoad = key_load!(projects_select!(); project: "String");
/// Members by id.
pub const LOAD_MEMBERS: KeyLoad = key_load!(members_select!(); member: "String");
/// Index entries by `(project, kind, id)`.
pub const LOAD_INDEX: KeyLoad =
    key_load!(index_select!(); project: "String", kind: "UInt8", id: "String");
/// Project-hour rows by `(project, hour)`.
pub const LOAD_PROJECT_HOURS: KeyLoad =
    key_load!(project_hour_select!(); project: "String", hour: "Int64");
/// Member-hour rows by `(project, hour, member)`.
pub const LOAD_MEMBER_HOURS: KeyLoad = key_load!(member_hour_select!("member_hour_v2"); project: "String", hour: "Int64", member: "String");
/// Totals by project.
pub const LOAD_TOTALS: KeyLoad = key_load!(totals_select!(); project: "String");
/// Activity rows by `(project, member)`.
pub const LOAD_ACTIVITY: KeyLoad =
    key_load!(activity_select!(); project: "String", member: "String");
/// Label rows by `(project, dimension, label)`.
pub const LOAD_LABELS: KeyLoad =
    key_load!(labels_select!(); project: "String", dimension: "String", label: "String");
/// Pair rows by `(project, dimension, a, b)`.
pub const LOAD_PAIRS: KeyLoad =
    key_load!(pairs_select!(); project: "String", dimension: "String", a: "String", b: "String");
/// Agreement rows by `(project, participants, mode, dimension, hour)`.
pub const LOAD_AGREEMENT: KeyLoad = key_load!(agreement_select!(); project: "String", participants: "String", mode: "String", dimension: "String", hour: "Int64");
/// Statistics cells by `(project, dimension, kind, a, b, m, c, k)`.
pub const LOAD_CELLS: KeyLoad = key_load!(cells_select!(); project: "String", dimension: "String", kind: "String", a: "String", b: "String", m: "UInt32", c: "String", k: "String");
/// The durable position of every partition.
pub const POSITIONS: &str =
    "SELECT partition, position FROM ingest_progress FINAL ORDER BY partition";
/// The highest flush mark of every partition.
pub const FLUSH_MARK_TOPS: &str = "SELECT partition, max(position) AS position FROM flush_marks GROUP BY partition ORDER BY partition";
/// The flush marks above a position; bind the lowest durable position of
/// the partitions with marks above theirs.
pub const FLUSH_MARKS: &str = "SELECT partition, position FROM flush_marks FINAL WHERE position > ? ORDER BY partition, position";

// ----- the query side (ReadStore) -----

/// Every project's settings, by id.
pub const ALL_PROJECTS: &str = concat!(projects_select!(), " ORDER BY project");
/// Every project's totals, by id.
pub const ALL_TOTALS: &str = concat!(totals_select!(), " ORDER BY project");
/// One project's hour rows; bind project, first hour, end hour (exclusive).
pub const PROJECT_HOURS: &str = concat!(
    project_hour_select!(),
    " WHERE project = ? AND hour >= ? AND hour < ? ORDER BY hour"
);
/// Every member's hour rows of one project; bind project, first hour, end hour.
pub const PROJECT_MEMBER_HOURS: &str = concat!(
    member_hour_select!("member_hour_v2"),
    " WHERE project = ? AND hour >= ? AND hour < ? ORDER BY hour, member"
);
/// One member's hour rows across projects (member-first table); bind member,
/// first hour, end hour.
pub const MEMBER_HOURS: &str = concat!(
    member_hour_select!("member_hour_by_member_v2"),
    " WHERE member = ? AND hour >= ? AND hour < ? ORDER BY hour, project"
);
/// Agreement rows of one dimension and scope; bind project, participants,
/// mode, dimension, first hour, end hour.
pub const AGREEMENT_HOURS: &str = concat!(
    agreement_select!(),
    " WHERE project = ? AND participants = ? AND mode = ? AND dimension = ? \
     AND hour >= ? AND hour < ? ORDER BY hour"
);
/// Every agreement row of one scope; bind project, participants, mode.
pub const AGREEMENT_ROWS: &str = concat!(
    agreement_select!(),
    " WHERE project = ? AND participants = ? AND mode = ? ORDER BY dimension, hour"
);
/// A project's non-zero statistics cells of some kinds; bind the project,
/// the list of kind names, 1 for every dimension (else 0), and the dimension.
pub const PROJECT_CELLS: &str = concat!(
    cells_select!(),
    " WHERE project = ? AND kind IN ? AND (? = 1 OR dimension = ?) AND count != 0 \
     ORDER BY kind, dimension, a, b, m, c, k"
);
/// A project's label rows; bind the project.
pub const PROJECT_LABELS: &str = concat!(
    labels_select!(),
    " WHERE project = ? ORDER BY dimension, label"
);
/// A project's pair rows of one dimension; bind project, dimension.
pub const PROJECT_PAIRS: &str = concat!(
    pairs_select!(),
    " WHERE project = ? AND dimension = ? ORDER BY a, b"
);
/// A project's pair rows of one dimension between some participants; bind
/// project, dimension, the list of participants twice.
pub const PROJECT_PAIRS_AMONG: &str = concat!(
    pairs_select!(),
    " WHERE project = ? AND dimension = ? AND a IN ? AND b IN ? ORDER BY a, b"
);
/// A project's activity rows; bind the project.
pub const PROJECT_ACTIVITY: &str =
    concat!(activity_select!(), " WHERE project = ? ORDER BY member");
/// Archived events of one partition from a sequence on; bind partition,
/// first sequence, limit.
pub const ARCHIVE_RANGE: &str = "SELECT partition, sequence, event FROM event_archive \
     WHERE partition = ? AND sequence >= ? \
     ORDER BY partition, sequence LIMIT 1 BY partition, sequence LIMIT ?";

// ----- whole-table reads (audits, tests, comparisons) -----

/// Every project-hour row.
pub const SCAN_PROJECT_HOURS: &str = concat!(project_hour_select!(), " ORDER BY project, hour");
/// Every member-hour row, project first.
pub const SCAN_MEMBER_HOURS: &str = concat!(
    member_hour_select!("member_hour_v2"),
    " ORDER BY project, hour, member"
);
/// Every member-hour row of the member-first table.
pub const SCAN_MEMBER_HOURS_BY_MEMBER: &str = concat!(
    member_hour_select!("member_hour_by_member_v2"),
    " ORDER BY member, hour, project"
);
/// Every activity row.
pub const SCAN_ACTIVITY: &str = concat!(activity_select!(), " ORDER BY project, member");
/// Every label row.
pub const SCAN_LABELS: &str = concat!(labels_select!(), " ORDER BY project, dimension, label");
/// Every pair row.
pub const SCAN_PAIRS: &str = concat!(pairs_select!(), " ORDER BY project, dimension, a, b");
/// Every agreement row.
pub const SCAN_AGREEMENT: &str = concat!(
    agreement_select!(),
    " ORDER BY project, participants, mode, dimension, hour"
);
/// Every statistics cell.
pub const SCAN_CELLS: &str = concat!(
    cells_select!(),
    " ORDER BY project, kind, dimension, a, b, m, c, k"
);
/// Every task.
pub const SCAN_TASKS: &str = concat!(tasks_select!(), " ORDER BY project, task");
/// Every session.
pub const SCAN_SESSIONS: &str = concat!(sessions_select!(), " ORDER BY project, member");
/// Every member.
pub const SCAN_MEMBERS: &str = concat!(members_select!(), " ORDER BY member");
/// Every index entry.
pub const SCAN_INDEX: &str = concat!(index_select!(), " ORDER BY project, kind, id");
/// Every archived event (one copy of each).
pub const SCAN_ARCHIVE: &str = "SELECT partition, sequence, event FROM event_archive \
     ORDER BY partition, sequence LIMIT 1 BY partition, sequence";

/// Every statement above by name (for the chDB compatibility test).
pub const ALL: &[(&str, &str)] = &[
    ("SERVER_VERSION", SERVER_VERSION),
    ("PING", PING),
    ("CREATE_DATABASE", CREATE_DATABASE),
    ("CREATE_SCHEMA_MIGRATIONS", CREATE_SCHEMA_MIGRATIONS),
    ("APPLIED_MIGRATIONS", APPLIED_MIGRATIONS),
    ("CREATE_MIGRATION_LOCK", CREATE_MIGRATION_LOCK),
    ("BEAT_MIGRATION_LOCK", BEAT_MIGRATION_LOCK),
    ("MIGRATION_LOCK_SILENCE", MIGRATION_LOCK_SILENCE),
    ("DROP_MIGRATION_LOCK", DROP_MIGRATION_LOCK),
    ("LOAD_TASKS", LOAD_TASKS.few),
    ("LOAD_TASKS_MANY", LOAD_TASKS.many),
    ("PROJECT_TASKS", PROJECT_TASKS),
    ("LIST_TASKS", LIST_TASKS),
    ("LIST_CELLS", LIST_CELLS),
    ("HOUR_HORIZONS", HOUR_HORIZONS),
    ("LOAD_SESSIONS", LOAD_SESSIONS.few),
    ("LOAD_SESSIONS_MANY", LOAD_SESSIONS.many),
    ("LOAD_PROJECTS", LOAD_PROJECTS.few),
    ("LOAD_PROJECTS_MANY", LOAD_PROJECTS.many),
    ("LOAD_MEMBERS", LOAD_MEMBERS.few),
    ("LOAD_MEMBERS_MANY", LOAD_MEMBERS.many),
    ("LOAD_INDEX", LOAD_INDEX.few),
    ("LOAD_INDEX_MANY", LOAD_INDEX.many),
    ("LOAD_PROJECT_HOURS", LOAD_PROJECT_HOURS.few),
    ("LOAD_PROJECT_HOURS_MANY", LOAD_PROJECT_HOURS.many),
    ("LOAD_MEMBER_HOURS", LOAD_MEMBER_HOURS.few),
    ("LOAD_MEMBER_HOURS_MANY", LOAD_MEMBER_HOURS.many),
    ("LOAD_TOTALS", LOAD_TOTALS.few),
    ("LOAD_TOTALS_MANY", LOAD_TOTALS.many),
    ("LOAD_ACTIVITY", LOAD_ACTIVITY.few),
    ("LOAD_ACTIVITY_MANY", LOAD_ACTIVITY.many),
    ("LOAD_LABELS", LOAD_LABELS.few),
    ("LOAD_LABELS_MANY", LOAD_LABELS.many),
    ("LOAD_PAIRS", LOAD_PAIRS.few),
    ("LOAD_PAIRS_MANY", LOAD_PAIRS.many),
    ("LOAD_AGREEMENT", LOAD_AGREEMENT.few),
    ("LOAD_AGREEMENT_MANY", LOAD_AGREEMENT.many),
    ("LOAD_CELLS", LOAD_CELLS.few),
    ("LOAD_CELLS_MANY", LOAD_CELLS.many),
    ("POSITIONS", POSITIONS),
    ("FLUSH_MARK_TOPS", FLUSH_MARK_TOPS),
    ("FLUSH_MARKS", FLUSH_MARKS),
    ("ALL_PROJECTS", ALL_PROJECTS),
    ("ALL_TOTALS", ALL_TOTALS),
    ("PROJECT_HOURS", PROJECT_HOURS),
    ("PROJECT_MEMBER_HOURS", PROJECT_MEMBER_HOURS),
    ("MEMBER_HOURS", MEMBER_HOURS),
    ("AGREEMENT_HOURS", AGREEMENT_HOURS),
    ("AGREEMENT_ROWS", AGREEMENT_ROWS),
    ("PROJECT_CELLS", PROJECT_CELLS),
    ("PROJECT_LABELS", PROJECT_LABELS),
    ("PROJECT_PAIRS_AMONG", PROJECT_PAIRS_AMONG),
    ("PROJECT_PAIRS", PROJECT_PAIRS),
    ("PROJECT_ACTIVITY", PROJECT_ACTIVITY),
    ("ARCHIVE_RANGE", ARCHIVE_RANGE),
    ("SCAN_PROJECT_HOURS", SCAN_PROJECT_HOURS),
    ("SCAN_MEMBER_HOURS", SCAN_MEMBER_HOURS),
    ("SCAN_MEMBER_HOURS_BY_MEMBER", SCAN_MEMBER_HOURS_BY_MEMBER),
    ("SCAN_ACTIVITY", SCAN_ACTIVITY),
    ("SCAN_LABELS", SCAN_LABELS),
    ("SCAN_PAIRS", SCAN_PAIRS),
    ("SCAN_AGREEMENT", SCAN_AGREEMENT),
    ("SCAN_CELLS", SCAN_CELLS),
    ("SCAN_TASKS", SCAN_TASKS),
    ("SCAN_SESSIONS", SCAN_SESSIONS),
    ("SCAN_MEMBERS", SCAN_MEMBERS),
    ("SCAN_INDEX", SCAN_INDEX),
    ("SCAN_ARCHIVE", SCAN_ARCHIVE),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::*;
    use clickhouse::Row;

    /// The columns between `SELECT` and `FROM`.
    fn select_list(sql: &str) -> Vec<String> {
        let start = sql.find("SELECT ").expect("a SELECT") + "SELECT ".len();
        let end = sql.find(" FROM ").expect("a FROM");
        sql[start..end]
            .split(',')
            .map(|c| c.split(" AS ").last().unwrap_or(c).trim().to_string())
            .collect()
    }

    fn check<R: Row>(queries: &[&str]) {
        for sql in queries {
            assert_eq!(select_list(sql), R::COLUMN_NAMES, "{sql}");
        }
    }

    #[test]
    fn every_select_list_is_its_row_struct() {
        check::<ProjectHourRow>(&[
            LOAD_PROJECT_HOURS.few,
            LOAD_PROJECT_HOURS.many,
            PROJECT_HOURS,
            SCAN_PROJECT_HOURS,
        ]);
        check::<MemberHourRow>(&[
            LOAD_MEMBER_HOURS.few,
            LOAD_MEMBER_HOURS.many,
            PROJECT_MEMBER_HOURS,
            MEMBER_HOURS,
            SCAN_MEMBER_HOURS,
            SCAN_MEMBER_HOURS_BY_MEMBER,
        ]);
        check::<ProjectTotalsRow>(&[LOAD_TOTALS.few, LOAD_TOTALS.many, ALL_TOTALS]);
        check::<MemberActivityRow>(&[
            LOAD_ACTIVITY.few,
            LOAD_ACTIVITY.many,
            PROJECT_ACTIVITY,
            SCAN_ACTIVITY,
        ]);
        check::<LabelsRow>(&[
            LOAD_LABELS.few,
            LOAD_LABELS.many,
            PROJECT_LABELS,
            SCAN_LABELS,
        ]);
        check::<PairsRow>(&[
            LOAD_PAIRS.few,
            LOAD_PAIRS.many,
            PROJECT_PAIRS,
            PROJECT_PAIRS_AMONG,
            SCAN_PAIRS,
        ]);
        check::<AgreementHourRow>(&[
            LOAD_AGREEMENT.few,
            LOAD_AGREEMENT.many,
            AGREEMENT_HOURS,
            AGREEMENT_ROWS,
            SCAN_AGREEMENT,
        ]);
        check::<CellsRow>(&[LOAD_CELLS.few, LOAD_CELLS.many, PROJECT_CELLS, SCAN_CELLS]);
        check::<TasksRow>(&[LOAD_TASKS.few, LOAD_TASKS.many, PROJECT_TASKS, SCAN_TASKS]);
        check::<TaskIdsRow>(&[LIST_TASKS]);
        check::<HourHorizonRow>(&[HOUR_HORIZONS]);
        check::<CellKeyRow>(&[LIST_CELLS]);
        check::<SessionsRow>(&[LOAD_SESSIONS.few, LOAD_SESSIONS.many, SCAN_SESSIONS]);
        check::<ProjectsRow>(&[LOAD_PROJECTS.few, LOAD_PROJECTS.many, ALL_PROJECTS]);
        check::<MembersRow>(&[LOAD_MEMBERS.few, LOAD_MEMBERS.many, SCAN_MEMBERS]);
        check::<IdIndexRow>(&[LOAD_INDEX.few, LOAD_INDEX.many, SCAN_INDEX]);
        check::<IngestProgressRow>(&[POSITIONS, FLUSH_MARK_TOPS, FLUSH_MARKS]);
        check::<EventArchiveRow>(&[ARCHIVE_RANGE, SCAN_ARCHIVE]);
        check::<SchemaMigrationsRow>(&[APPLIED_MIGRATIONS]);
    }

    #[test]
    fn all_lists_every_statement_once() {
        let names: std::collections::HashSet<&str> = ALL.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), ALL.len());
        let source = include_str!("queries.rs");
        let statements = |line: &str| match line {
            l if l.starts_with("pub const ALL:") => 0,
            // A KeyLoad holds two statements.
            l if l.starts_with("pub const ") && l.contains(": KeyLoad") => 2,
            l if l.starts_with("pub const ") => 1,
            _ => 0,
        };
        let declared: usize = source.lines().map(statements).sum();
        assert_eq!(
            declared,
            ALL.len(),
            "a `pub const` query is missing from ALL"
        );
    }
}
