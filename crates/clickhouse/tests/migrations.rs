//! Migrations against the real server: they apply, re-apply as a no-op,
//! refuse a changed or unknown migration, and apply a new one on top.

mod common;

use common::TestDb;
use std::time::{Duration, Instant};

use labelpulse_clickhouse::migrate::{migrate_with, Migration, CLUSTER_MIGRATIONS};
use labelpulse_clickhouse::migration_lock::{LockTiming, MigrationLock};
use labelpulse_clickhouse::{migrate, ClickHouseError, RetryPolicy, MIGRATIONS};

const TABLES: [&str; 23] = [
    "agreement_cells",
    "agreement_hour",
    "event_archive",
    "flush_marks",
    "id_index",
    "ingest_progress",
    "labels",
    "member_activity",
    "member_hour",
    "member_hour_by_member",
    "member_hour_by_member_v2",
    "member_hour_by_member_v2_mv",
    "member_hour_v2",
    "members",
    "pairs",
    "project_hour",
    "project_hour_v2",
    "project_totals",
    "projects",
    "schema_migrations",
    "sessions",
    "task_agreement_hour",
    "tasks",
];

/// A database of its own with only the first `count` migrations applied
/// (a schema as an older build left it).
fn first_migrations(tag: &str, count: usize) -> TestDb {
    let db = TestDb::unmigrated(tag);
    db.runtime
        .block_on(migrate_with(
            &db.ch.admin,
            &db.name,
            &MIGRATIONS[..count],
            &RetryPolicy::default(),
        ))
        .unwrap();
    db
}

fn tables(db: &TestDb) -> Vec<String> {
    let mut names: Vec<String> = db
        .runtime
        .block_on(db.ch.read.query("SHOW TABLES").fetch_all::<String>())
        .unwrap();
    names.sort();
    names
}

#[test]
fn migrations_apply_and_reapply_idempotently() {
    let db = TestDb::unmigrated("migrate");
    let report = db
        .runtime
        .block_on(migrate(&db.ch.admin, &db.name))
        .unwrap();
    assert_eq!(
        report.applied,
        [
            "0001_aggregates",
            "0002_entities",
            "0003_ingest",
            "0004_agreement",
            "0005_packed_hours",
            "0006_hour_views",
            "0007_flush_marks"
        ]
    );
    assert_eq!(report.already_applied, 0);
    assert_eq!(tables(&db), TABLES);

    for _ in 0..2 {
        let again = db.runtime.block_on(db.ch.migrate()).unwrap();
        assert!(again.applied.is_empty());
        assert_eq!(again.already_applied, 7);
    }
    assert_eq!(tables(&db), TABLES);
    assert_eq!(db.count("SELECT count() FROM schema_migrations FINAL"), 7);
}

#[test]
fn an_interrupted_migration_is_finished_by_the_next_run() {
    // As if a run died after the first statements of 0002, before recording it.
    let db = first_migrations("interrupted", 1);
    db.execute(
        "CREATE TABLE tasks (project String, task String, version UInt64, state String) \
         ENGINE = ReplacingMergeTree(version) ORDER BY (project, task)",
    );
    let report = db.runtime.block_on(db.ch.migrate()).unwrap();
    assert_eq!(
        report.applied,
        [
            "0002_entities",
            "0003_ingest",
            "0004_agreement",
            "0005_packed_hours",
            "0006_hour_views",
            "0007_flush_marks"
        ]
    );
    assert_eq!(tables(&db), TABLES);
}

#[test]
fn a_changed_applied_migration_is_an_error_naming_it() {
    let db = TestDb::new("changed");
    let mut changed: Vec<Migration> = MIGRATIONS.to_vec();
    changed[1].sql = "CREATE TABLE IF NOT EXISTS tasks (x String) ENGINE = Memory";
    let error = db
        .runtime
        .block_on(migrate_with(
            &db.ch.admin,
            &db.name,
            &changed,
            &RetryPolicy::default(),
        ))
        .unwrap_err();
    match &error {
        ClickHouseError::MigrationChanged { version, name, .. } => {
            assert_eq!((*version, name.as_str()), (2, "0002_entities"));
        }
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains("0002_entities"), "{error}");
}

#[test]
fn a_migration_from_a_newer_build_is_an_error() {
    let db = TestDb::new("newer");
    db.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (99, '0099_future', '0')",
    );
    let error = db.runtime.block_on(db.ch.migrate()).unwrap_err();
    assert!(
        matches!(&error, ClickHouseError::MigrationUnknown { version: 99, name } if name == "0099_future"),
        "{error}"
    );
}

#[test]
fn a_new_migration_applies_on_top() {
    let db = TestDb::new("newmigration");
    let mut more: Vec<Migration> = MIGRATIONS.to_vec();
    more.push(Migration {
        version: 8,
        name: "0008_extra",
        sql: "-- a comment\nCREATE TABLE IF NOT EXISTS extra (x UInt8) ENGINE = Memory;\n\
              CREATE TABLE IF NOT EXISTS extra2 (y String) ENGINE = Memory;",
    });
    let report = db
        .runtime
        .block_on(migrate_with(
            &db.ch.admin,
            &db.name,
            &more,
            &RetryPolicy::default(),
        ))
        .unwrap();
    assert_eq!(report.applied, ["0008_extra"]);
    assert_eq!(report.already_applied, 7);
    assert!(tables(&db).contains(&"extra2".to_string()));
    // A failing statement names its migration and statement.
    more.push(Migration {
        version: 9,
        name: "0009_broken",
        sql: "CREATE TABLE IF NOT EXISTS ok (x UInt8) ENGINE = Memory; CREATE TABLE nope (x NoSuchType) ENGINE = Memory;",
    });
    let error = db
        .runtime
        .block_on(migrate_with(
            &db.ch.admin,
            &db.name,
            &more,
            &RetryPolicy::default(),
        ))
        .unwrap_err();
    assert!(
        matches!(&error, ClickHouseError::Migration { name, statement: 2, .. } if name == "0009_broken"),
        "{error}"
    );
}

#[test]
fn bad_database_names_are_refused_before_any_request() {
    let db = TestDb::new("badname");
    let error = db
        .runtime
        .block_on(migrate(&db.ch.admin, "x`; DROP DATABASE default; --"))
        .unwrap_err();
    assert!(matches!(error, ClickHouseError::DatabaseName(_)), "{error}");
}

#[test]
fn the_cluster_layout_is_a_separate_list_of_the_same_versions() {
    assert_eq!(CLUSTER_MIGRATIONS.len(), MIGRATIONS.len());
    for (single, cluster) in MIGRATIONS.iter().zip(CLUSTER_MIGRATIONS) {
        assert_eq!(
            (single.version, single.name),
            (cluster.version, cluster.name)
        );
        assert!(cluster.sql.contains("ON CLUSTER '{cluster}'"));
    }
}

#[test]
fn the_hour_rows_of_an_older_schema_move_into_the_packed_tables() {
    let db = first_migrations("packhours", 4);
    // Two versions of one project-hour key (the newer wins) and one
    // member-hour row, written as 0001 laid them out.
    db.execute(
        "INSERT INTO project_hour (project, hour, version, submitted, active_ms, \
         lead_time_zeros, lead_time_buckets, lead_time_counts) \
         VALUES ('p', 10, 1, 1, 5, 0, [], []), ('p', 10, 2, 3, 7, 1, [4, 9], [2, 1])",
    );
    db.execute(
        "INSERT INTO member_hour (project, hour, member, version, skipped, tasks_done, \
         review_time_zeros) VALUES ('p', 10, 'm', 4, 2, 6, 8)",
    );
    let report = db.runtime.block_on(db.ch.migrate()).unwrap();
    assert_eq!(
        report.applied,
        ["0005_packed_hours", "0006_hour_views", "0007_flush_marks"]
    );

    assert_eq!(
        db.count(
            "SELECT count() FROM project_hour_v2 FINAL WHERE version = 2 \
             AND counters = [3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7] \
             AND lead_time_buckets = [4, 9] AND lead_time_counts = [2, 1]"
        ),
        1
    );
    // The views keep the old names and columns, newest row only.
    assert_eq!(
        db.count(
            "SELECT count() FROM project_hour WHERE submitted = 3 AND active_ms = 7 \
             AND lead_time_zeros = 1 AND hour_start = toDateTime(36000)"
        ),
        1
    );
    assert_eq!(db.count("SELECT count() FROM project_hour"), 1);
    for view in ["member_hour", "member_hour_by_member"] {
        assert_eq!(
            db.count(&format!(
                "SELECT count() FROM {view} WHERE member = 'm' AND skipped = 2 \
                 AND tasks_done = 6 AND review_time_zeros = 8 AND version = 4"
            )),
            1,
            "{view}"
        );
    }
    // Rows the store reads back are the same rows.
    let contents = db.runtime.block_on(db.reader().contents()).unwrap();
    assert_eq!(contents.aggregates.len(), 2);
}

#[test]
fn migrators_starting_together_take_turns() {
    let db = TestDb::unmigrated("together");
    // An ingestor and a query service (or several ingestors) starting on a
    // fresh database at once: without the lock, one of them fails in 0005
    // (its source tables dropped by the other) and migrations are recorded
    // twice.
    let reports = db.runtime.block_on(async {
        let runs = (0..4).map(|_| migrate(&db.ch.admin, &db.name));
        futures_util::future::join_all(runs).await
    });
    let mut applied = Vec::new();
    for report in reports {
        applied.extend(report.unwrap().applied);
    }
    applied.sort();
    let mut all: Vec<String> = MIGRATIONS.iter().map(|m| m.name.to_string()).collect();
    all.sort();
    assert_eq!(applied, all, "each migration applied by exactly one run");
    assert_eq!(db.count("SELECT count() FROM schema_migrations"), 7);
    assert_eq!(tables(&db), TABLES, "the lock is released");
    assert_eq!(
        db.count(
            "SELECT count() FROM system.tables WHERE database = currentDatabase() \
             AND name IN ('project_hour', 'member_hour') AND engine = 'View'"
        ),
        2
    );
}

#[test]
fn a_migrator_waits_for_the_lock_and_removes_a_stale_one() {
    let db = first_migrations("locked", 1);
    // Another process holds the lock: a migration waits for it.
    db.execute(labelpulse_clickhouse::queries::CREATE_MIGRATION_LOCK);
    let (admin, name) = (db.ch.admin.clone(), db.name.clone());
    let waiting = db.runtime.spawn(async move {
        migrate_with(&admin, &name, MIGRATIONS, &RetryPolicy::default()).await
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(!waiting.is_finished(), "the migration waits for the lock");
    assert_eq!(db.count("SELECT count() FROM schema_migrations"), 1);
    db.execute(labelpulse_clickhouse::queries::DROP_MIGRATION_LOCK);
    let report = db.runtime.block_on(waiting).unwrap().unwrap();
    assert_eq!(report.applied.len(), 6);

    // A lock without a beat for the stale age (its holder was killed) is
    // removed and taken.
    db.execute(labelpulse_clickhouse::queries::CREATE_MIGRATION_LOCK);
    let client = db.ch.admin.clone().with_database(&db.name);
    db.runtime.block_on(async {
        let policy = RetryPolicy::default();
        let lock = MigrationLock::acquire(&client, &policy, QUICK)
            .await
            .unwrap();
        lock.release(&policy).await.unwrap();
    });
    assert_eq!(tables(&db), TABLES, "the stale lock was taken and released");
}

/// Locks that go stale after 2 s without a beat, beaten every 300 ms.
const QUICK: LockTiming = LockTiming {
    stale_after: Duration::from_secs(2),
    beat_every: Duration::from_millis(300),
};

#[test]
fn a_holder_that_beats_keeps_its_lock_past_the_stale_age() {
    let db = first_migrations("beats", 1);
    let client = db.ch.admin.clone().with_database(&db.name);
    let policy = RetryPolicy::default();
    let (held_for, waited) = db.runtime.block_on(async {
        let holder = MigrationLock::acquire(&client, &policy, QUICK)
            .await
            .unwrap();
        let start = Instant::now();
        // The holder works for twice the stale age, beating meanwhile.
        let holding = async {
            holder
                .while_beating(&policy, tokio::time::sleep(Duration::from_secs(4)))
                .await;
            let held_for = start.elapsed();
            holder.release(&policy).await.unwrap();
            held_for
        };
        let waiting = async {
            let lock = MigrationLock::acquire(&client, &policy, QUICK)
                .await
                .unwrap();
            let waited = start.elapsed();
            lock.release(&policy).await.unwrap();
            waited
        };
        tokio::join!(holding, waiting)
    });
    assert!(
        waited >= held_for,
        "the waiter took a lock whose holder was beating: after {waited:?}, held for {held_for:?}"
    );
    assert!(
        !tables(&db).contains(&"schema_migrations_lock".to_string()),
        "both released the lock"
    );
}
