//! Hand-made rows of every kind, shared by the stores' round-trip tests.

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{
    ActivityRow, AggKey, AggRow, AgreementRow, CellKind, CellRow, HourRow, LabelRow, PairRow,
    TotalsRow,
};
use labelpulse_core::dims::Dims;
use labelpulse_core::event::{Control, ReviewCriteria, ReviewOutcome, Role};
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::{AnnotationState, ReviewState, TaskState};
use labelpulse_engine::entity::{IndexKind, MemberState, SessionState};
use labelpulse_engine::{Flush, FlushScope, Versioned};

pub fn v<T>(version: u64, value: T) -> Versioned<T> {
    Versioned { version, value }
}

pub fn hour_row(seed: i64) -> HourRow {
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

pub fn task_state(member: &str) -> TaskState {
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
pub fn full_flush() -> Flush {
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
            for (dimension, scope) in ["", "sentiment", "sentiment2"]
                .into_iter()
                .flat_map(|d| AgreementScope::all().map(move |s| (d, s)))
                .filter(|(d, s)| d.is_empty() || s.code() < 2)
            {
                aggregates.push((
                    AggKey::AgreementHour {
                        project: project.into(),
                        dimension: dimension.into(),
                        scope,
                        hour: hour + i64::from(scope.code()),
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
        let cells = [
            (CellKind::Single, 0, "", "", "pos", ""),
            (CellKind::Coincidence, 2, "", "", "neg", "pos"),
            (CellKind::Coincidence, 3, "", "", "pos", "pos"),
            (CellKind::Confusion, 0, "m1", "m2", "pos", "neg"),
            (CellKind::Confusion, 0, "m1", "model:v1", "a\u{1f}b", "a"),
            (CellKind::Confusion, 0, "m2", "ground_truth", "3", "4.5"),
            (CellKind::PairsConfusion, 0, "annotators", "", "pos", "neg"),
            (CellKind::TruthConfusion, 0, "models", "", "neg", "pos"),
        ];
        for (n, (kind, m, a, b, c, k)) in cells.into_iter().enumerate() {
            aggregates.push((
                AggKey::Cell {
                    project: project.into(),
                    dimension: if n % 2 == 0 { "sentiment" } else { "stars" }.into(),
                    kind,
                    m,
                    a: a.into(),
                    b: b.into(),
                    c: c.into(),
                    k: k.into(),
                },
                v(
                    18,
                    AggRow::Cell(CellRow {
                        count: n as i64 + i - 1,
                    }),
                ),
            ));
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
            label_weights: Default::default(),
            threshold: labelpulse_core::event::DEFAULT_THRESHOLD,
        }],
    };
    Flush {
        scope: FlushScope::Full,
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
