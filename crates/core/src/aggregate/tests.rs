//! Tests of the aggregate keys, rows and targets.
use std::borrow::Cow::Borrowed as B;

use super::*;
use crate::contribution::Contribution;

fn targets(contribution: &Contribution<'_>) -> Vec<String> {
    let mut keys = Vec::new();
    targets_ref("p", contribution, &mut keys);
    keys.iter()
        .map(|key| format!("{:?}", key.to_key()))
        .collect()
}

fn cell(kind: CellKind, a: &str, b: &str, c: &str, k: &str) -> String {
    let key = AggKeyRef::Cell {
        project: "p",
        dimension: "d",
        kind,
        m: 0,
        a,
        b,
        c,
        k,
    };
    format!("{:?}", key.to_key())
}

#[test]
fn a_pair_lands_on_both_participants_totals_by_the_other_sides_kind() {
    let pair = Contribution::Pair {
        dimension: B("d"),
        a: B("m1"),
        b: B("model:v1"),
        score: 7,
    };
    let (score, tasks) = (CellKind::ParticipantScore, CellKind::ParticipantTasks);
    let pair_key = AggKeyRef::Pair {
        project: "p",
        dimension: "d",
        a: "m1",
        b: "model:v1",
    };
    assert_eq!(
        targets(&pair),
        vec![
            format!("{:?}", pair_key.to_key()),
            cell(score, "m1", "model", "", ""),
            cell(tasks, "m1", "model", "", ""),
            cell(score, "model:v1", "member", "", ""),
            cell(tasks, "model:v1", "member", "", ""),
        ]
    );
    assert_eq!(participant_total(score, &pair), Some(7));
    assert_eq!(participant_total(tasks, &pair), Some(1));
    assert_eq!(participant_total(CellKind::Confusion, &pair), None);
}

#[test]
fn add_to_cell_adds_to_a_cells_count_only() {
    let mut cell = AggRow::Cell(CellRow { count: 5 });
    cell.add_to_cell(7);
    cell.add_to_cell(-2);
    assert_eq!(cell, AggRow::Cell(CellRow { count: 10 }));
    let mut pair = AggRow::Pair(PairRow::default());
    pair.add_to_cell(3);
    assert_eq!(pair, AggRow::Pair(PairRow::default()));
}

#[test]
fn a_pairs_confusion_lands_on_its_scopes_project_cell() {
    let confusion = |a: &'static str, b: &'static str| Contribution::Cell {
        dimension: B("d"),
        kind: CellKind::Confusion,
        m: 0,
        a: B(a),
        b: B(b),
        c: B("pos"),
        k: B("neg"),
        amount: 1,
    };
    let own = |a, b| cell(CellKind::Confusion, a, b, "pos", "neg");
    // Between annotators, and with a model: symmetric, categories in order.
    assert_eq!(
        targets(&confusion("m1", "m2")),
        vec![
            own("m1", "m2"),
            cell(CellKind::PairsConfusion, "annotators", "", "neg", "pos")
        ]
    );
    assert_eq!(
        targets(&confusion("m1", "model:v1")),
        vec![
            own("m1", "model:v1"),
            cell(CellKind::PairsConfusion, "models", "", "neg", "pos")
        ]
    );
    // Against the ground truth: its category first, the other's scope.
    assert_eq!(
        targets(&confusion("m1", "ground_truth")),
        vec![
            own("m1", "ground_truth"),
            cell(CellKind::TruthConfusion, "annotators", "", "neg", "pos")
        ]
    );
    assert_eq!(
        targets(&confusion("model:v1", "ground_truth"))[1],
        cell(CellKind::TruthConfusion, "models", "", "neg", "pos")
    );
}
