//! Every row type and key kind through the real server: write a Flush, read
//! it back through the `Store` batch loads, the point reads and
//! `ReadStore`, and compare with the memory store. This is the guard against
//! the `clickhouse` crate's silent empty reads (LZ4 reads on 18.16 return no
//! rows, and a row struct out of column order decodes garbage): every table
//! is read back and compared value by value.

mod common;

use std::collections::BTreeMap;

use common::flush::{full_flush, hour_row, v};
use common::TestDb;
use labelpulse_clickhouse::{ClickHouseError, CodecError};
use labelpulse_core::aggregate::{AggKey, AggRow, LabelRow};
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::read::ReadStore;
use labelpulse_core::task::TaskState;
use labelpulse_engine::entity::IndexKind;
use labelpulse_engine::memory::MemoryStore;
use labelpulse_engine::{Flush, Store};

fn reference(flushes: &[&Flush]) -> MemoryStore {
    let mut memory = MemoryStore::default();
    for flush in flushes {
        memory.write(flush).unwrap();
    }
    memory
}

#[test]
fn every_row_and_key_kind_round_trips() {
    let db = TestDb::new("roundtrip");
    let mut store = db.store();
    let reader = db.reader();
    let flush = full_flush();
    store.write(&flush).unwrap();
    assert_eq!(
        store.last_write().inserts,
        16,
        "one INSERT per table and the mark"
    );
    // The positions are written twice: the mark first, the progress last.
    assert_eq!(
        store.last_write().rows,
        flush.rows() + 2 * flush.positions.len()
    );
    let mut memory = reference(&[&flush]);

    // Batch loads: every key at once, and the point reads.
    let keys: Vec<AggKey> = flush.aggregates.iter().map(|(k, _)| k.clone()).collect();
    let mut loaded = store.load_aggregates(&keys).unwrap();
    loaded.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(loaded, flush.aggregates);
    for (key, row) in &flush.aggregates {
        assert_eq!(store.aggregate(key).unwrap().as_ref(), Some(row), "{key:?}");
    }
    let keys: Vec<_> = flush.tasks.iter().map(|(k, _)| k.clone()).collect();
    let mut loaded = store.load_tasks(&keys).unwrap();
    loaded.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = flush.tasks.clone();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(loaded, expected);
    for (key, row) in &flush.tasks {
        assert_eq!(store.task(key).unwrap().as_ref(), Some(row));
    }
    let keys: Vec<_> = flush.sessions.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(store.load_sessions(&keys).unwrap().len(), keys.len());
    for (key, row) in &flush.sessions {
        assert_eq!(store.session(key).unwrap().as_ref(), Some(row));
    }
    let keys: Vec<_> = flush.projects.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(store.load_projects(&keys).unwrap().len(), keys.len());
    for (key, row) in &flush.projects {
        assert_eq!(Store::project(&mut store, key).unwrap().as_ref(), Some(row));
    }
    let keys: Vec<_> = flush.members.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(store.load_members(&keys).unwrap().len(), keys.len());
    for (key, row) in &flush.members {
        assert_eq!(Store::member(&mut store, key).unwrap().as_ref(), Some(row));
    }
    let keys: Vec<_> = flush.index.iter().map(|(k, _)| k.clone()).collect();
    let mut loaded = store.load_index(&keys).unwrap();
    loaded.sort();
    assert_eq!(loaded, flush.index);
    for (key, task) in &flush.index {
        assert_eq!(store.index(key).unwrap().as_ref(), Some(task));
    }
    assert_eq!(store.positions().unwrap(), flush.positions);
    assert_eq!(
        store.project_tasks("p").unwrap(),
        memory.project_tasks("p").unwrap()
    );
    assert_eq!(store.project_tasks("p1").unwrap().len(), 2);
    assert!(store.project_tasks("").unwrap().is_empty());
    // The listing of projects' tasks is the memory store's, in any order.
    let projects = ["p".to_string(), "p1".to_string(), "absent".to_string()];
    let mut listed = store.list_tasks(&projects).unwrap().expect("a listing");
    listed.sort();
    assert_eq!(Some(listed), memory.list_tasks(&projects).unwrap());
    assert!(!memory.list_tasks(&projects).unwrap().unwrap().is_empty());
    // So is the listing of their statistics cells.
    let mut cells = store.list_cells(&projects).unwrap().expect("cells");
    cells.sort();
    assert_eq!(Some(cells), memory.list_cells(&projects).unwrap());
    assert!(!memory.list_cells(&projects).unwrap().unwrap().is_empty());
    // And the latest hour of each project's hour rows.
    let mut horizons = store.hour_horizons(&projects).unwrap().expect("horizons");
    horizons.sort();
    assert_eq!(Some(horizons), memory.hour_horizons(&projects).unwrap());
    assert!(!memory.hour_horizons(&projects).unwrap().unwrap().is_empty());

    // Misses, and empty key lists.
    assert_eq!(store.task(&("p".into(), "nope".into())).unwrap(), None);
    assert_eq!(
        store
            .index(&("p1".into(), IndexKind::Annotation, "a1".into()))
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .aggregate(&AggKey::ProjectHour {
                project: "p".into(),
                hour: 2
            })
            .unwrap(),
        None
    );
    assert!(store.load_tasks(&[]).unwrap().is_empty());
    assert!(store.load_aggregates(&[]).unwrap().is_empty());

    // Archive: each event under its own partition (3 in this flush).
    let unknown = 3;
    let by_sequence: Vec<(u64, Vec<u8>)> = flush
        .archive
        .iter()
        .map(|(_, s, raw)| (*s, raw.clone()))
        .collect();
    let archive = db.runtime.block_on(reader.archive(unknown, 0, 10)).unwrap();
    assert_eq!(archive, by_sequence);
    assert_eq!(
        db.runtime.block_on(reader.archive(unknown, 2, 10)).unwrap(),
        by_sequence[1..]
    );
    assert_eq!(
        db.runtime.block_on(reader.archive(unknown, 1, 1)).unwrap(),
        by_sequence[..1]
    );

    // Whole contents, and every ReadStore answer.
    let contents = db.runtime.block_on(reader.contents()).unwrap();
    assert!(
        contents == memory.contents,
        "{}",
        common::stream::diff(&contents, &memory.contents)
    );
    db.runtime.block_on(common::stream::assert_reads_match(
        &reader,
        &memory.contents,
    ));
    let projects = db.runtime.block_on(reader.projects()).unwrap();
    assert_eq!(
        projects.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["p", "p-totals-only", "p1"]
    );
    assert_eq!(projects[0].config.title, "Sentiment");

    // Half-open hour ranges, and the orders the API relies on.
    let hours: Vec<i64> = db
        .runtime
        .block_on(reader.project_hours("p", -1..1))
        .unwrap()
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    assert_eq!(hours, [-1, 0]);
    let member_rows = db
        .runtime
        .block_on(reader.project_member_hours("p", 0..2))
        .unwrap();
    let keys: Vec<(String, i64)> = member_rows
        .iter()
        .map(|(m, h, _)| (m.clone(), *h))
        .collect();
    assert_eq!(
        keys,
        [
            ("m1", 0),
            ("m10", 0),
            ("m2", 0),
            ("m1", 1),
            ("m10", 1),
            ("m2", 1)
        ]
        .map(|(m, h)| (m.to_string(), h))
    );
    let across: Vec<(String, i64)> = db
        .runtime
        .block_on(reader.member_hours("m1", 490_000..490_002))
        .unwrap()
        .into_iter()
        .map(|(p, h, _)| (p, h))
        .collect();
    assert_eq!(
        across,
        [
            ("p", 490_000),
            ("p1", 490_000),
            ("p", 490_001),
            ("p1", 490_001)
        ]
        .map(|(p, h)| (p.to_string(), h))
    );
    assert_eq!(
        db.runtime
            .block_on(reader.agreement_hours("p", "sentiment", AgreementScope::DEFAULT, -2..0))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(db.runtime.block_on(reader.labels("p")).unwrap().len(), 4);
    assert_eq!(db.runtime.block_on(reader.pairs("p", "")).unwrap().len(), 3);

    // A second flush overwrites rows and merges positions; the flush written
    // twice changes nothing; a new store over the same database sees it all.
    let second = Flush {
        aggregates: vec![(
            AggKey::ProjectHour {
                project: "p".into(),
                hour: 0,
            },
            v(30, AggRow::Hour(hour_row(99))),
        )],
        archive: vec![(0, 3, b"third".to_vec())],
        positions: BTreeMap::from([(0, 30)]),
        ..Flush::default()
    };
    store.write(&second).unwrap();
    store.write(&second).unwrap();
    store.write(&flush).unwrap();
    memory.write(&second).unwrap();
    let mut fresh = db.store();
    assert_eq!(
        fresh.positions().unwrap(),
        BTreeMap::from([(0, 30), (3, 5)])
    );
    let contents = db.runtime.block_on(db.reader().contents()).unwrap();
    assert!(
        contents == memory.contents,
        "{}",
        common::stream::diff(&contents, &memory.contents)
    );
    db.runtime.block_on(common::stream::assert_reads_match(
        &db.reader(),
        &memory.contents,
    ));
    // The copies are physically there until merges drop them.
    assert!(
        db.count("SELECT count() FROM project_hour_v2")
            > db.count("SELECT count() FROM project_hour_v2 FINAL")
    );
    // The archived event of a one-partition flush carries its partition.
    assert_eq!(
        db.runtime.block_on(db.reader().archive(0, 0, 10)).unwrap(),
        [(3, b"third".to_vec())]
    );
}

#[test]
fn a_row_that_cannot_be_encoded_fails_the_flush_before_anything_is_sent() {
    let db = TestDb::new("encodefail");
    let mut store = db.store();
    let good = AggKey::ProjectHour {
        project: "p".into(),
        hour: 1,
    };
    let flush = Flush {
        aggregates: vec![
            (good.clone(), v(1, AggRow::Hour(hour_row(1)))),
            (
                AggKey::ProjectTotals {
                    project: "p".into(),
                },
                v(1, AggRow::Label(LabelRow::default())),
            ),
        ],
        positions: BTreeMap::from([(0, 1)]),
        ..Flush::default()
    };
    let error = store.write(&flush).unwrap_err();
    assert!(
        matches!(error, ClickHouseError::Codec(CodecError::RowKind { .. })),
        "{error}"
    );
    assert_eq!(store.aggregate(&good).unwrap(), None);
    assert!(store.positions().unwrap().is_empty());
}

#[test]
fn an_empty_store_reads_empty() {
    let db = TestDb::new("empty");
    let mut store = db.store();
    let reader = db.reader();
    assert!(store.positions().unwrap().is_empty());
    assert!(store.project_tasks("p").unwrap().is_empty());
    assert_eq!(store.list_tasks(&["p".to_string()]).unwrap(), Some(vec![]));
    assert_eq!(
        store.hour_horizons(&["p".to_string()]).unwrap(),
        Some(vec![])
    );
    assert_eq!(store.list_cells(&["p".to_string()]).unwrap(), Some(vec![]));
    let rt = &db.runtime;
    assert!(rt.block_on(reader.projects()).unwrap().is_empty());
    assert_eq!(rt.block_on(reader.project("p")).unwrap(), None);
    assert!(rt
        .block_on(reader.project_hours("p", 0..100))
        .unwrap()
        .is_empty());
    assert!(rt.block_on(reader.labels("p")).unwrap().is_empty());
    assert_eq!(rt.block_on(ReadStore::member(&reader, "m")).unwrap(), None);
    assert!(rt.block_on(reader.ready()));
    assert_eq!(rt.block_on(reader.contents()).unwrap(), Default::default());
}

#[test]
fn corrupt_values_are_errors_not_panics() {
    let db = TestDb::new("corrupt");
    db.execute("INSERT INTO tasks (project, task, version, state) VALUES ('p', 't', 1, 'garbage')");
    db.execute(
        "INSERT INTO task_agreement_hour (project, participants, mode, dimension, hour, version, tasks, score_sum, histogram, low) \
         VALUES ('p', 'annotators', 'pairwise', '', 5, 1, 1, 1, [1, 2, 3], 0)",
    );
    db.execute(
        "INSERT INTO project_hour_v2 (project, hour, version, counters, lead_time_buckets, lead_time_counts) \
         VALUES ('p', 5, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 2], [1])",
    );
    db.execute(
        "INSERT INTO member_hour_v2 (project, hour, member, version, counters) \
         VALUES ('p', 5, 'm', 1, [1, 2, 3])",
    );
    db.execute("INSERT INTO members (member, version, name, role) VALUES ('m', 1, 'n', 'emperor')");
    let mut store = db.store();
    let reader = db.reader();
    assert!(matches!(
        store.task(&("p".into(), "t".into())),
        Err(ClickHouseError::Codec(_))
    ));
    assert!(store.project_tasks("p").is_err());
    assert!(matches!(
        db.runtime
            .block_on(reader.agreement_hours("p", "", AgreementScope::DEFAULT, 0..10)),
        Err(ClickHouseError::Codec(CodecError::Value {
            column: "histogram",
            ..
        }))
    ));
    assert!(db
        .runtime
        .block_on(reader.project_hours("p", 0..10))
        .is_err());
    assert!(matches!(
        db.runtime.block_on(reader.member_hours("m", 0..10)),
        Err(ClickHouseError::Codec(CodecError::Value {
            column: "counters",
            ..
        }))
    ));
    assert!(db
        .runtime
        .block_on(ReadStore::member(&reader, "m"))
        .is_err());
    assert!(db.runtime.block_on(reader.contents()).is_err());
}

#[test]
fn the_highest_version_wins_whatever_the_write_order() {
    let db = TestDb::new("versions");
    let mut store = db.store();
    let key = ("p".to_string(), "t".to_string());
    let newer = Flush {
        tasks: vec![(key.clone(), v(20, common::flush::task_state("m1")))],
        ..Flush::default()
    };
    let older = Flush {
        tasks: vec![(key.clone(), v(10, TaskState::default()))],
        ..Flush::default()
    };
    store.write(&newer).unwrap();
    store.write(&older).unwrap();
    assert_eq!(store.task(&key).unwrap(), Some(newer.tasks[0].1.clone()));
    db.execute("OPTIMIZE TABLE tasks FINAL");
    assert_eq!(db.count("SELECT count() FROM tasks"), 1);
    assert_eq!(store.task(&key).unwrap(), Some(newer.tasks[0].1.clone()));
}

#[test]
fn batch_loads_are_one_query_per_kind_and_chunk() {
    let db = TestDb::new("querycount");
    let mut ch = db.ch.clone();
    // The loads' queries run concurrently, so they cannot share a query id:
    // they are told apart by the product named in their user agent.
    let product = format!("{}_loads", db.name);
    ch.read = ch
        .read
        .clone()
        .with_setting("log_queries", "1")
        .with_product_info(&product, "1");
    let mut store = labelpulse_clickhouse::ClickHouseStore::new(ch, db.runtime.handle().clone());
    store.write(&full_flush()).unwrap();

    let tasks: Vec<(String, String)> = (0..12_000)
        .map(|i| ("project".to_string(), format!("task-{i}")))
        .collect();
    assert!(store.load_tasks(&tasks).unwrap().is_empty());
    let keys: Vec<AggKey> = full_flush()
        .aggregates
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(store.load_aggregates(&keys).unwrap().len(), keys.len());
    // Newlines out first: a weird label holds one, and LIKE's `%` (a regular
    // expression's `.` in ClickHouse) does not cross it.
    let finished = |pattern: &str| -> u64 {
        db.runtime
            .block_on(
                db.ch
                    .read
                    .query("SELECT count() FROM system.query_log WHERE position(http_user_agent, ?) > 0 AND type = 2 AND replaceAll(query, '\n', ' ') LIKE ?")
                    .bind(format!("{product}/1"))
                    .bind(pattern)
                    .fetch_one::<u64>(),
            )
            .unwrap()
    };
    // 12,000 task keys: a few chunks of at most 5,000 keys and 112 KiB.
    let chunks =
        labelpulse_clickhouse::load::chunks(&tasks, |k| k.0.len() + k.1.len()).len() as u64;
    assert!((3..=6).contains(&chunks), "{chunks}");
    // A query is logged as it ends, which can be after its answer arrived:
    // flush the log until all of them are in (the total is checked last).
    for _ in 0..50 {
        db.execute("SYSTEM FLUSH LOGS");
        if finished("%FINAL%") >= chunks + 8 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Many keys are bound as arrays, a few as tuples.
    assert_eq!(
        finished("%FROM tasks FINAL WHERE (project, task) IN (SELECT k_project, k_task FROM%"),
        chunks
    );
    // Eight aggregate kinds: eight queries, tuples for the kinds with a few
    // keys (one project, one total), arrays for those with more.
    let tuples = finished("%FINAL WHERE (%) IN ((%");
    let arrays = finished("%FINAL WHERE (%) IN (SELECT k_%") - chunks;
    assert_eq!(tuples + arrays, 8, "{tuples} tuples, {arrays} arrays");
    assert!(
        tuples >= 1 && arrays >= 1,
        "{tuples} tuples, {arrays} arrays"
    );
    assert_eq!(
        finished("%FROM project_totals FINAL WHERE (project) IN ((%"),
        1
    );
    assert_eq!(finished("%FINAL%"), chunks + 8);
}
