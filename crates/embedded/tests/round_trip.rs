//! Every row type and key kind through redb: write a Flush, read it back
//! through `Store`, `Snapshot` and `ReadStore`, and compare with the memory store.

mod common;

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{AggKey, AggRow, LabelRow};
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::read::ReadStore;
use labelpulse_embedded::{EmbeddedStore, StoreError};
use labelpulse_engine::entity::IndexKind;
use labelpulse_engine::memory::MemoryStore;
use labelpulse_engine::{Flush, Store};

use labelpulse_testkit::fixtures::{full_flush, hour_row, v};

fn reference(flushes: &[&Flush]) -> MemoryStore {
    let mut memory = MemoryStore::default();
    for flush in flushes {
        memory.write(flush).unwrap();
    }
    memory
}

#[tokio::test]
async fn every_row_and_key_kind_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = EmbeddedStore::open(dir.path()).unwrap();
    let flush = full_flush();
    store.write(&flush).unwrap();
    let mut memory = reference(&[&flush]);

    // Store: every point read.
    for (key, row) in &flush.aggregates {
        assert_eq!(store.aggregate(key).unwrap().as_ref(), Some(row), "{key:?}");
    }
    for (key, row) in &flush.tasks {
        assert_eq!(store.task(key).unwrap().as_ref(), Some(row));
    }
    for (key, row) in &flush.sessions {
        assert_eq!(store.session(key).unwrap().as_ref(), Some(row));
    }
    for (key, row) in &flush.projects {
        assert_eq!(Store::project(&mut store, key).unwrap().as_ref(), Some(row));
    }
    for (key, row) in &flush.members {
        assert_eq!(Store::member(&mut store, key).unwrap().as_ref(), Some(row));
    }
    for (key, task) in &flush.index {
        assert_eq!(store.index(key).unwrap().as_ref(), Some(task));
    }
    assert_eq!(store.positions().unwrap(), flush.positions);
    assert_eq!(
        store.project_tasks("p").unwrap(),
        memory.project_tasks("p").unwrap()
    );
    assert_eq!(store.project_tasks("p1").unwrap().len(), 1);
    assert!(store.project_tasks("").unwrap().is_empty());

    // Misses.
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

    // Archive.
    let snapshot = store.snapshot().unwrap();
    let by_sequence: Vec<(u64, Vec<u8>)> = flush
        .archive
        .iter()
        .map(|(_, s, raw)| (*s, raw.clone()))
        .collect();
    assert_eq!(snapshot.archive(0, 10).unwrap(), by_sequence);
    assert_eq!(snapshot.archive(2, 10).unwrap(), by_sequence[1..]);
    assert_eq!(snapshot.archive(1, 1).unwrap(), by_sequence[..1]);

    // Whole contents, and every ReadStore answer.
    assert_eq!(snapshot.contents().unwrap(), memory.contents);
    common::assert_reads_match(&store, &memory.contents).await;
    let projects = store.projects().await.unwrap();
    assert_eq!(
        projects.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["p", "p-totals-only", "p1"]
    );
    assert_eq!(projects[0].config.title, "Sentiment");

    // Half-open hour ranges.
    let hours: Vec<i64> = store
        .project_hours("p", -1..1)
        .await
        .unwrap()
        .into_iter()
        .map(|(h, _)| h)
        .collect();
    assert_eq!(hours, [-1, 0]);
    let member_rows = store.project_member_hours("p", 0..2).await.unwrap();
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
    let across: Vec<(String, i64)> = store
        .member_hours("m1", 490_000..490_002)
        .await
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
        store
            .agreement_hours("p", "sentiment", AgreementScope::DEFAULT, -2..0)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.labels("p").await.unwrap().len(), 3);
    assert_eq!(store.pairs("p", "").await.unwrap().len(), 3);

    // A second flush overwrites rows and merges positions; reopening keeps everything.
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
    memory.write(&second).unwrap();
    drop(snapshot);
    drop(store);
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let contents = store.snapshot().unwrap().contents().unwrap();
    assert_eq!(contents, memory.contents);
    assert_eq!(contents.positions, BTreeMap::from([(0, 30), (3, 5)]));
    common::assert_reads_match(&store, &memory.contents).await;
}

#[test]
fn a_failing_write_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = EmbeddedStore::open(dir.path()).unwrap();
    let good = AggKey::ProjectHour {
        project: "p".into(),
        hour: 1,
    };
    let flush = Flush {
        aggregates: vec![
            (good.clone(), v(1, AggRow::Hour(hour_row(1)))),
            // A row of the wrong kind for its key: the write must fail as a whole.
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
    assert!(matches!(error, StoreError::Codec(_)), "{error}");
    assert_eq!(store.aggregate(&good).unwrap(), None);
    assert!(store.positions().unwrap().is_empty());
}

#[tokio::test]
async fn an_empty_store_reads_empty() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = EmbeddedStore::open(dir.path().join("nested/dir")).unwrap();
    assert!(store.positions().unwrap().is_empty());
    assert!(store.projects().await.unwrap().is_empty());
    assert!(store.project_hours("p", 0..100).await.unwrap().is_empty());
    assert!(store.labels("p").await.unwrap().is_empty());
    assert_eq!(ReadStore::member(&store, "m").await.unwrap(), None);
    assert!(store.ready().await);
    assert!(dir.path().join("nested/dir/labelpulse.redb").exists());
}

#[test]
fn corrupt_values_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    {
        let txn = store.database().begin_write().unwrap();
        {
            let mut table = txn
                .open_table(labelpulse_embedded::tables::PROJECT_HOUR)
                .unwrap();
            table
                .insert(("p", 5), [0xffu8, 0xff, 0xff].as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let snapshot = store.snapshot().unwrap();
    assert!(matches!(
        snapshot.project_hours("p", 0..10),
        Err(StoreError::Codec(_))
    ));
    assert!(snapshot.contents().is_err());
    let mut store = store;
    assert!(store
        .aggregate(&AggKey::ProjectHour {
            project: "p".into(),
            hour: 5
        })
        .is_err());
}
