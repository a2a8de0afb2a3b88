//! Current-version proof: every migration file and every statement of
//! `queries.rs` runs on a current ClickHouse (chDB, in process) and gives the
//! answers 18.16 gives.
//!
//! The test writes a data set with the real store to the local 18.16 server,
//! dumps each table as RowBinary (the format the crate inserts), binds every
//! query exactly as the crate does and records 18.16's answer, then runs
//! `tests/chdb/check_sql.py` on all of it. It needs `python3`; when the
//! `chdb` module is missing it runs `python3 -m pip install chdb-core` first.
//! Without python3 it is skipped with a message.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use clickhouse::sql::Identifier;
use clickhouse::Row;
use common::flush::{full_flush, hour_row, v};
use common::TestDb;
use labelpulse_clickhouse::load::{InList, KeyColumns};
use labelpulse_clickhouse::migrate::{statements, MIGRATIONS};
use labelpulse_clickhouse::queries;
use labelpulse_clickhouse::tables::*;
use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_engine::{Flush, Store};
use serde::Serialize;
use serde_json::json;

fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some("python3")
}

fn ensure_chdb(python: &str) {
    let has = |py: &str| {
        Command::new(py)
            .args(["-c", "import chdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has(python) {
        return;
    }
    eprintln!("chdb missing: running `{python} -m pip install chdb-core`");
    let out = Command::new(python)
        .args(["-m", "pip", "install", "--quiet", "chdb-core"])
        .output()
        .expect("running pip");
    assert!(
        out.status.success() && has(python),
        "pip install chdb-core failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The tables the crate inserts into, with the columns of its row structs.
fn inserted_tables() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        (names::PROJECT_HOUR, ProjectHourRow::COLUMN_NAMES),
        (names::MEMBER_HOUR, MemberHourRow::COLUMN_NAMES),
        (names::PROJECT_TOTALS, ProjectTotalsRow::COLUMN_NAMES),
        (names::MEMBER_ACTIVITY, MemberActivityRow::COLUMN_NAMES),
        (names::LABELS, LabelsRow::COLUMN_NAMES),
        (names::PAIRS, PairsRow::COLUMN_NAMES),
        (names::AGREEMENT_HOUR, AgreementHourRow::COLUMN_NAMES),
        (names::CELLS, CellsRow::COLUMN_NAMES),
        (names::MEMBERS, MembersRow::COLUMN_NAMES),
        (names::SESSIONS, SessionsRow::COLUMN_NAMES),
        (names::ID_INDEX, IdIndexRow::COLUMN_NAMES),
        (names::TASKS, TasksRow::COLUMN_NAMES),
        (names::PROJECTS, ProjectsRow::COLUMN_NAMES),
        (names::EVENT_ARCHIVE, EventArchiveRow::COLUMN_NAMES),
        (names::INGEST_PROGRESS, IngestProgressRow::COLUMN_NAMES),
        (names::FLUSH_MARKS, IngestProgressRow::COLUMN_NAMES),
        (names::SCHEMA_MIGRATIONS, SchemaMigrationsRow::COLUMN_NAMES),
    ]
}

/// Every statement of `queries::ALL`, bound with values that hit the data
/// set (and some that miss), as the crate binds them; `false` for answers
/// that differ by version.
fn bound_queries(client: &clickhouse::Client, database: &str) -> Vec<(String, String, bool)> {
    use queries::*;
    let q = |sql: &str| client.query(sql);
    // A batch load in both forms, its key list bound as the store binds it
    // (only the statement's text is used: any client renders it the same).
    fn few<K: Serialize>(load: KeyLoad, keys: &[K]) -> clickhouse::query::Query {
        clickhouse::Client::default()
            .query(load.few)
            .bind(InList(keys))
    }
    fn many<K: KeyColumns>(load: KeyLoad, keys: &[K]) -> clickhouse::query::Query {
        K::bind_columns(keys, clickhouse::Client::default().query(load.many))
    }
    let weird_dimension = "tag\twith 'quotes'";
    let weird_label = "o'neil \\ \"x\" ; -- not a comment\n";
    // Each load's keys, bound in both forms.
    let tasks_keys = [("p", "t1"), ("p1", "t'2\\?"), ("x", "y")];
    let sessions_keys = [("p", "m1"), ("p1", "m1")];
    let projects_keys = [("p",), ("p1",), ("nope",)];
    let members_keys = [("m1",)];
    let activity_keys = [("p", "m1")];
    let index_keys = [("p", 0u8, "a1"), ("p", 1, "a1"), ("p", 2, "r1")];
    let project_hours_keys = [("p", -2i64), ("p", 0), ("p1", 490_000)];
    let member_hours_keys = [("p", -2i64, "m1"), ("p1", 490_001, "m10")];
    let totals_keys = [("p",), ("p-totals-only",)];
    let labels_keys = [
        ("p", "sentiment", "pos"),
        ("p", weird_dimension, weird_label),
    ];
    let pairs_keys = [("p", "", "m1", "m2"), ("p1", "sentiment", "m1", "model:v1")];
    let agreement_keys = [
        ("p", "annotators", "pairwise", "sentiment", -2i64),
        ("p1", "annotators", "consensus", "", 490_001),
    ];
    let cells_keys = [
        ("p", "sentiment", "single", "", "", 0u32, "pos", ""),
        (
            "p1",
            "stars",
            "confusion",
            "m1",
            "model:v1",
            0,
            "a\u{1f}b",
            "a",
        ),
    ];
    let bound: Vec<(&str, clickhouse::query::Query, bool)> = vec![
        ("SERVER_VERSION", q(SERVER_VERSION), false),
        ("PING", q(PING), true),
        (
            "CREATE_DATABASE",
            q(CREATE_DATABASE).bind(Identifier(database)),
            true,
        ),
        (
            "CREATE_SCHEMA_MIGRATIONS",
            q(CREATE_SCHEMA_MIGRATIONS),
            true,
        ),
        ("APPLIED_MIGRATIONS", q(APPLIED_MIGRATIONS), true),
        ("CREATE_MIGRATION_LOCK", q(CREATE_MIGRATION_LOCK), true),
        (
            "BEAT_MIGRATION_LOCK",
            q(BEAT_MIGRATION_LOCK).bind("pid 1"),
            true,
        ),
        ("MIGRATION_LOCK_SILENCE", q(MIGRATION_LOCK_SILENCE), false),
        ("DROP_MIGRATION_LOCK", q(DROP_MIGRATION_LOCK), true),
        ("LOAD_TASKS", few(LOAD_TASKS, &tasks_keys), true),
        ("LOAD_TASKS_MANY", many(LOAD_TASKS, &tasks_keys), true),
        ("PROJECT_TASKS", q(PROJECT_TASKS).bind("p1"), true),
        ("LIST_TASKS", q(LIST_TASKS).bind(vec!["p1", "p2"]), true),
        ("LIST_CELLS", q(LIST_CELLS).bind(vec!["p", "p1"]), true),
        (
            "HOUR_HORIZONS",
            q(HOUR_HORIZONS)
                .bind(vec!["p", "p1"])
                .bind(vec!["p", "p1"])
                .bind(vec!["p", "p1"]),
            true,
        ),
        ("LOAD_SESSIONS", few(LOAD_SESSIONS, &sessions_keys), true),
        (
            "LOAD_SESSIONS_MANY",
            many(LOAD_SESSIONS, &sessions_keys),
            true,
        ),
        ("LOAD_PROJECTS", few(LOAD_PROJECTS, &projects_keys), true),
        (
            "LOAD_PROJECTS_MANY",
            many(LOAD_PROJECTS, &projects_keys),
            true,
        ),
        ("LOAD_MEMBERS", few(LOAD_MEMBERS, &members_keys), true),
        ("LOAD_MEMBERS_MANY", many(LOAD_MEMBERS, &members_keys), true),
        ("LOAD_INDEX", few(LOAD_INDEX, &index_keys), true),
        ("LOAD_INDEX_MANY", many(LOAD_INDEX, &index_keys), true),
        (
            "LOAD_PROJECT_HOURS",
            few(LOAD_PROJECT_HOURS, &project_hours_keys),
            true,
        ),
        (
            "LOAD_PROJECT_HOURS_MANY",
            many(LOAD_PROJECT_HOURS, &project_hours_keys),
            true,
        ),
        (
            "LOAD_MEMBER_HOURS",
            few(LOAD_MEMBER_HOURS, &member_hours_keys),
            true,
        ),
        (
            "LOAD_MEMBER_HOURS_MANY",
            many(LOAD_MEMBER_HOURS, &member_hours_keys),
            true,
        ),
        ("LOAD_TOTALS", few(LOAD_TOTALS, &totals_keys), true),
        ("LOAD_TOTALS_MANY", many(LOAD_TOTALS, &totals_keys), true),
        ("LOAD_ACTIVITY", few(LOAD_ACTIVITY, &activity_keys), true),
        (
            "LOAD_ACTIVITY_MANY",
            many(LOAD_ACTIVITY, &activity_keys),
            true,
        ),
        ("LOAD_LABELS", few(LOAD_LABELS, &labels_keys), true),
        ("LOAD_LABELS_MANY", many(LOAD_LABELS, &labels_keys), true),
        ("LOAD_PAIRS", few(LOAD_PAIRS, &pairs_keys), true),
        ("LOAD_PAIRS_MANY", many(LOAD_PAIRS, &pairs_keys), true),
        ("LOAD_AGREEMENT", few(LOAD_AGREEMENT, &agreement_keys), true),
        (
            "LOAD_AGREEMENT_MANY",
            many(LOAD_AGREEMENT, &agreement_keys),
            true,
        ),
        ("LOAD_CELLS", few(LOAD_CELLS, &cells_keys), true),
        ("LOAD_CELLS_MANY", many(LOAD_CELLS, &cells_keys), true),
        ("POSITIONS", q(POSITIONS), true),
        ("FLUSH_MARK_TOPS", q(FLUSH_MARK_TOPS), true),
        ("FLUSH_MARKS", q(FLUSH_MARKS).bind(0u64), true),
        ("ALL_PROJECTS", q(ALL_PROJECTS), true),
        ("ALL_TOTALS", q(ALL_TOTALS), true),
        (
            "PROJECT_HOURS",
            q(PROJECT_HOURS).bind("p").bind(-2i64).bind(490_001i64),
            true,
        ),
        (
            "PROJECT_MEMBER_HOURS",
            q(PROJECT_MEMBER_HOURS)
                .bind("p")
                .bind(i64::MIN)
                .bind(i64::MAX),
            true,
        ),
        (
            "MEMBER_HOURS",
            q(MEMBER_HOURS).bind("m1").bind(0i64).bind(490_002i64),
            true,
        ),
        (
            "AGREEMENT_HOURS",
            q(AGREEMENT_HOURS)
                .bind("p")
                .bind("annotators")
                .bind("pairwise")
                .bind("")
                .bind(-10i64)
                .bind(10i64),
            true,
        ),
        (
            "AGREEMENT_ROWS",
            q(AGREEMENT_ROWS)
                .bind("p")
                .bind("annotators")
                .bind("consensus"),
            true,
        ),
        (
            "PROJECT_CELLS",
            q(PROJECT_CELLS)
                .bind("p1")
                .bind(InList(&["single", "confusion", "pairs_confusion"]))
                .bind(1u8)
                .bind(""),
            true,
        ),
        ("PROJECT_LABELS", q(PROJECT_LABELS).bind("p"), true),
        (
            "PROJECT_PAIRS_AMONG",
            q(PROJECT_PAIRS_AMONG)
                .bind("p")
                .bind("sentiment")
                .bind(InList(&["m1", "m2", "model:v1"]))
                .bind(InList(&["m1", "m2", "model:v1"])),
            true,
        ),
        (
            "PROJECT_PAIRS",
            q(PROJECT_PAIRS).bind("p").bind("sentiment"),
            true,
        ),
        ("PROJECT_ACTIVITY", q(PROJECT_ACTIVITY).bind("p1"), true),
        (
            "ARCHIVE_RANGE",
            q(ARCHIVE_RANGE).bind(3u64).bind(2u64).bind(10u64),
            true,
        ),
        ("SCAN_PROJECT_HOURS", q(SCAN_PROJECT_HOURS), true),
        ("SCAN_MEMBER_HOURS", q(SCAN_MEMBER_HOURS), true),
        (
            "SCAN_MEMBER_HOURS_BY_MEMBER",
            q(SCAN_MEMBER_HOURS_BY_MEMBER),
            true,
        ),
        ("SCAN_ACTIVITY", q(SCAN_ACTIVITY), true),
        ("SCAN_LABELS", q(SCAN_LABELS), true),
        ("SCAN_PAIRS", q(SCAN_PAIRS), true),
        ("SCAN_AGREEMENT", q(SCAN_AGREEMENT), true),
        ("SCAN_CELLS", q(SCAN_CELLS), true),
        ("SCAN_TASKS", q(SCAN_TASKS), true),
        ("SCAN_SESSIONS", q(SCAN_SESSIONS), true),
        ("SCAN_MEMBERS", q(SCAN_MEMBERS), true),
        ("SCAN_INDEX", q(SCAN_INDEX), true),
        ("SCAN_ARCHIVE", q(SCAN_ARCHIVE), true),
    ];
    let names: Vec<&str> = bound.iter().map(|(n, _, _)| *n).collect();
    let all: Vec<&str> = ALL.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names, all,
        "every statement of queries::ALL has an example here"
    );
    bound
        .into_iter()
        .map(|(name, query, compare)| {
            let sql = query.sql_display().to_string();
            assert!(
                !sql.contains('?') || name.starts_with("LOAD_TASKS"),
                "{name} left a placeholder: {sql}"
            );
            (name.to_string(), sql, compare)
        })
        .collect()
}

#[test]
fn every_migration_and_query_runs_on_current_clickhouse() {
    let Some(python) = python() else {
        eprintln!(
            "SKIPPED: python3 not found; the chDB compatibility check needs python3 and chdb-core"
        );
        return;
    };
    ensure_chdb(python);

    // The data set: every row kind, plus older and newer versions of some keys.
    let db = TestDb::new("chdb");
    let mut store = db.store();
    store.write(&full_flush()).unwrap();
    let newer = Flush {
        aggregates: vec![
            (
                AggKey::ProjectHour {
                    project: "p".into(),
                    hour: 0,
                },
                v(30, AggRow::Hour(hour_row(99))),
            ),
            (
                AggKey::ProjectHour {
                    project: "p".into(),
                    hour: 1,
                },
                v(2, AggRow::Hour(hour_row(-5))),
            ),
        ],
        archive: vec![(3, 3, b"third\0\t\\".to_vec())],
        positions: BTreeMap::from([(0, 30)]),
        ..Flush::default()
    };
    store.write(&newer).unwrap();
    store.write(&newer).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let rt = &db.runtime;

    let mut tables = Vec::new();
    for (table, columns) in inserted_tables() {
        let sql = format!("SELECT {} FROM {table}", columns.join(", "));
        let data = rt
            .block_on(async {
                db.ch
                    .read
                    .query_raw(&sql)
                    .fetch_bytes("RowBinary")
                    .unwrap()
                    .collect()
                    .await
            })
            .unwrap();
        let file = path(&format!("{table}.rowbinary"));
        std::fs::write(&file, &data[..]).unwrap();
        let rows = db.count(&format!("SELECT count() FROM {table} FINAL"));
        assert!(rows > 0, "{table} has rows to check");
        tables.push(json!({"name": table, "columns": columns, "data": file, "rows": rows}));
    }

    let mut queries_json = Vec::new();
    for (name, sql, compare) in bound_queries(&db.ch.read, &db.name) {
        let answer = rt
            .block_on(async {
                db.ch
                    .read
                    .query_raw(&sql)
                    .fetch_bytes("TabSeparated")?
                    .collect()
                    .await
            })
            .unwrap_or_else(|e| panic!("{name} on 18.16: {e}\n{sql}"));
        let expected = path(&format!("{name}.tsv"));
        std::fs::write(&expected, &answer[..]).unwrap();
        queries_json
            .push(json!({"name": name, "sql": sql, "expected": expected, "compare": compare}));
    }

    let migrations: Vec<_> = MIGRATIONS
        .iter()
        .map(|m| json!({"version": m.version, "name": m.name, "statements": statements(m.sql)}))
        .collect();
    let manifest = json!({
        "bootstrap": [queries::CREATE_SCHEMA_MIGRATIONS],
        "migrations": migrations,
        "tables": tables,
        "queries": queries_json,
    });
    let manifest_path = path("manifest.json");
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chdb/check_sql.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(&manifest_path)
        .output()
        .expect("running check_sql.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "check_sql.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("chDB "), "{stdout}");
}
