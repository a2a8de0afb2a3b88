//! Every row type and key kind through redb: write a Flush, read it back
//! through `Store`, `Snapshot` and `ReadStore`, and compare with the memory store.

mod common;

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{
    ActivityRow, AggKey, AggRow, AgreementRow, HourRow, LabelRow, PairRow, TotalsRow,
};
use labelpulse_core::dims::Dims;
use labelpulse_core::event::{Control, ReviewCriteria, ReviewOutcome, Role};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::read::ReadStore;
use labelpulse_core::task::{AnnotationState, ReviewState, TaskState};
use labelpulse_embedded::{EmbeddedStore, StoreError};
use labelpulse_engine::entity::{IndexKind, MemberState, SessionState};
use labelpulse_engine::memory::MemoryStore;
use labelpulse_engine::{Flush, Store, Versioned};

fn v<T>(version: u64, value: T) -> Versioned<T> {
    Versioned { version, value }
}

fn hour_row(seed: i64) -> HourRow {
    let mut row = HourRow {
        submitted: seed,
        skipped: seed + 1,
        updated: -seed,
        regions: 3 * seed,
        lead_time_ms: 1000 * seed,
        lead_time_count: seed,
        accepted: 1,
        fixed_and_accepted: 2,
        rejected: 3,
        performance_sum: 12_345,
        performance_count: 4,
        reviews_accepted: 5,
        reviews_fixed_and_accepted: 6,
        reviews_rejected: 7,
        review_time_ms: 8_000,
        review_time_count: 8,
        tasks_done: 9,
        active_ms: 60_000 + seed,
        ..HourRow::default()
    };
    row.lead_time_sketch.add(1_500 + seed, 2);
    row.lead_time_sketch.add(0, 1);
    row.review_time_sketch.add(30_000, 1);
    row
}

fn task_state(member: &str) -> TaskState {
    let mut task = TaskState::default();
    task.create(Some(2), 0);
    task.upsert_annotation(AnnotationState {
        id: "a1".into(),
        member_id: member.into(),
        skipped: false,
        updated: true,
        ground_truth: true,
        lead_time_ms: 93_400,
        completed_ms: 1_772_000_000_000,
        dims: Dims::default(),
    });
    task.upsert_review(ReviewState {
        id: "r1".into(),
        annotation_id: "a1".into(),
        reviewer_id: "m9".into(),
        outcome: ReviewOutcome::FixedAndAccepted,
        started_ms: 1_772_000_000_000,
        completed_ms: 1_772_000_030_000,
        fixed: Some(Dims::default()),
    });
    task.delete_annotation("a0");
    task
}

/// One row of every kind, with projects `p` and `p1` (one a prefix of the
/// other) and negative hours, so prefix scans and ranges are exercised.
fn full_flush() -> Flush {
    let mut aggregates = Vec::new();
    for (i, project) in ["p", "p1"].into_iter().enumerate() {
        let i = i as i64;
        for hour in [-2, -1, 0, 1, 490_000, 490_001] {
            aggregates.push((
                AggKey::ProjectHour {
                    project: project.into(),
                    hour,
                },
                v(10 + i as u64, AggRow::Hour(hour_row(hour + i))),
            ));
            for member in ["m1", "m10", "m2"] {
                aggregates.push((
                    AggKey::MemberHour {
                        project: project.into(),
                        member: member.into(),
                        hour,
                    },
                    v(11, AggRow::Hour(hour_row(hour * 7 + i))),
                ));
            }
            for dimension in ["", "sentiment", "sentiment2"] {
                aggregates.push((
                    AggKey::AgreementHour {
                        project: project.into(),
                        dimension: dimension.into(),
                        hour,
                    },
                    v(
                        12,
                        AggRow::Agreement(AgreementRow {
                            tasks: 4,
                            score_sum: 3_000_000 + hour,
                            histogram: [1, 0, 0, 0, 0, 0, 0, 1, 1, 1],
                            low: 1,
                        }),
                    ),
                ));
            }
        }
        aggregates.push((
            AggKey::ProjectTotals {
                project: project.into(),
            },
            v(
                13,
                AggRow::Totals(TotalsRow {
                    tasks_by_status: [1, 2, 3, 4, 5 + i],
                    submitted: 10,
                    skipped: 2,
                }),
            ),
        ));
        for member in ["m1", "m2"] {
            aggregates.push((
                AggKey::MemberActivity {
                    project: project.into(),
                    member: member.into(),
                },
                v(
                    14,
                    AggRow::Activity(ActivityRow {
                        last_active_ms: 1_772_000_000_000 + i,
                    }),
                ),
            ));
        }
        for (dimension, label) in [
            ("sentiment", "neg"),
            ("sentiment", "pos"),
            ("sentiment2", "x"),
        ] {
            aggregates.push((
                AggKey::Label {
                    project: project.into(),
                    dimension: dimension.into(),
                    label: label.into(),
                },
                v(
                    15,
                    AggRow::Label(LabelRow {
                        annotations: 7,
                        predictions: 3 + i,
                    }),
                ),
            ));
        }
        for dimension in ["", "sentiment"] {
            for (a, b) in [("m1", "m2"), ("m1", "model:v1"), ("m2", "m3")] {
                aggregates.push((
                    AggKey::Pair {
                        project: project.into(),
                        dimension: dimension.into(),
                        a: a.into(),
                        b: b.into(),
                    },
                    v(
                        16,
                        AggRow::Pair(PairRow {
                            score_sum: 750_000,
                            tasks: 2 + i,
                        }),
                    ),
                ));
            }
        }
    }
    // A project with totals only (no settings row).
    aggregates.push((
        AggKey::ProjectTotals {
            project: "p-totals-only".into(),
        },
        v(17, AggRow::Totals(TotalsRow::default())),
    ));
    aggregates.sort_by(|a, b| a.0.cmp(&b.0));

    let config = ProjectConfig {
        title: "Sentiment".into(),
        workspace_id: Some("w1".into()),
        overlap: 2,
        agreement_threshold: 0.75,
        review_criteria: ReviewCriteria::One,
        controls: vec![Control {
            name: "sentiment".into(),
            kind: "choices".into(),
            labels: vec!["pos".into(), "neg".into()],
            multiple: false,
            min: None,
            max: Some(5.0),
            weight: 0.5,
        }],
    };
    Flush {
        aggregates,
        projects: vec![
            ("p".into(), v(20, config.clone())),
            ("p1".into(), v(0, ProjectConfig::default())),
        ],
        members: vec![
            (
                "m1".into(),
                v(
                    21,
                    MemberState {
                        name: "Ana".into(),
                        email: Some("ana@example.com".into()),
                        role: Role::Annotator,
                        occurred_ms: 1_772_000_000_000,
                    },
                ),
            ),
            (
                "m2".into(),
                v(
                    22,
                    MemberState {
                        name: "Bo".into(),
                        email: None,
                        role: Role::Reviewer,
                        occurred_ms: -5,
                    },
                ),
            ),
        ],
        sessions: vec![
            (
                ("p".into(), "m1".into()),
                v(
                    23,
                    SessionState {
                        latest_ms: Some(1_772_000_000_000),
                        open: true,
                    },
                ),
            ),
            (("p1".into(), "m1".into()), v(24, SessionState::default())),
        ],
        index: vec![
            (
                ("p".into(), IndexKind::Annotation, "a1".into()),
                "t1".into(),
            ),
            (
                ("p".into(), IndexKind::Prediction, "a1".into()),
                "t2".into(),
            ),
            (("p".into(), IndexKind::Review, "r1".into()), "t3".into()),
        ],
        tasks: vec![
            (("p".into(), "t1".into()), v(25, task_state("m1"))),
            (("p".into(), "t2".into()), v(26, TaskState::default())),
            (("p1".into(), "t1".into()), v(27, task_state("m2"))),
        ],
        archive: vec![(0, 1, b"{\"raw\":1}".to_vec()), (0, 2, vec![0, 255, 7])],
        positions: BTreeMap::from([(0, 27), (3, 5)]),
    }
}

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
            .agreement_hours("p", "sentiment", -2..0)
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
