//! Property test: the contributions of a change (`change_contributions`,
//! which leaves out entries both sides share, with a warm pair memo) have
//! exactly the diff of the two states' full contributions computed apart.

use std::sync::Arc;

use labelpulse_core::agreement::PairMemo;
use labelpulse_core::contribution::{change_contributions, task_contributions};

mod common;
use common::net;
use labelpulse_core::dims::Dims;
use labelpulse_core::event::{Control, ReviewOutcome, DEFAULT_THRESHOLD};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::result::ResultItem;
use labelpulse_core::task::{AnnotationState, PredictionState, ReviewState, TaskState};
use proptest::prelude::*;

const LABELS: [&str; 3] = ["car", "bus", "person"];
const WEATHER: [&str; 3] = ["sunny", "rain", "fog"];

/// A result: boxes `(label, x, y, size)` and an optional weather choice.
#[derive(Debug, Clone)]
struct Result {
    boxes: Vec<(usize, u8, u8, u8)>,
    weather: Option<usize>,
}

fn dims(result: &Result) -> Dims {
    let mut items: Vec<String> = result
        .boxes
        .iter()
        .enumerate()
        .map(|(i, (label, x, y, size))| {
            format!(
                r#"{{"id":"b{i}","from_name":"vehicle","to_name":"image","type":"rectanglelabels","value":{{"x":{x},"y":{y},"width":{size},"height":{size},"rectanglelabels":["{}"]}}}}"#,
                LABELS[*label]
            )
        })
        .collect();
    if let Some(w) = result.weather {
        items.push(format!(
            r#"{{"from_name":"weather","to_name":"image","type":"choices","value":{{"choices":["{}"]}}}}"#,
            WEATHER[w]
        ));
    }
    let json = format!("[{}]", items.join(","));
    let parsed: Vec<ResultItem<'_>> = serde_json::from_str(&json).expect("result JSON");
    Dims::from_result(&parsed)
}

fn result() -> impl Strategy<Value = Result> {
    (
        prop::collection::vec((0usize..3, 0u8..12, 0u8..12, 1u8..6), 0..5),
        prop::option::of(0usize..3),
    )
        .prop_map(|(boxes, weather)| Result { boxes, weather })
}

/// An annotation: member, skipped, ground truth, completion, result.
#[derive(Debug, Clone)]
struct Annotation {
    member: u8,
    skipped: bool,
    ground_truth: bool,
    completed: u8,
    result: Result,
}

fn annotation() -> impl Strategy<Value = Annotation> {
    (
        0u8..4,
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.2),
        0u8..5,
        result(),
    )
        .prop_map(
            |(member, skipped, ground_truth, completed, result)| Annotation {
                member,
                skipped,
                ground_truth,
                completed,
                result,
            },
        )
}

fn annotation_state(id: usize, a: &Annotation) -> Arc<AnnotationState> {
    Arc::new(AnnotationState {
        id: format!("a{id}"),
        member_id: format!("m{}", a.member),
        skipped: a.skipped,
        updated: false,
        ground_truth: a.ground_truth,
        lead_time_ms: 1000,
        completed_ms: 3_600_000 * i64::from(a.completed),
        dims: dims(&a.result),
    })
}

fn prediction_state(id: usize, version: u8, result: &Result) -> Arc<PredictionState> {
    Arc::new(PredictionState {
        id: format!("p{id}"),
        model_version: format!("v{version}"),
        dims: dims(result),
    })
}

fn review_state(id: usize, annotation: usize, outcome: u8) -> Arc<ReviewState> {
    Arc::new(ReviewState {
        id: format!("r{id}"),
        annotation_id: format!("a{annotation}"),
        reviewer_id: "reviewer".to_string(),
        outcome: [
            ReviewOutcome::Accepted,
            ReviewOutcome::Rejected,
            ReviewOutcome::FixedAndAccepted,
        ][usize::from(outcome % 3)],
        started_ms: 0,
        completed_ms: 7_200_000,
        fixed: None,
    })
}

/// What changes between the two states.
#[derive(Debug, Clone)]
enum Edit {
    /// Annotation `index` (modulo the count) gets a new version.
    Replace(usize, Annotation),
    /// A new annotation.
    Add(Annotation),
    /// Annotation `index` is deleted.
    Remove(usize),
    /// A review of annotation `index`.
    Review(usize, u8),
    /// A new prediction of a model version.
    Predict(u8, Result),
    /// The task is deleted.
    Delete,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0usize..8, annotation()).prop_map(|(i, a)| Edit::Replace(i, a)),
        1 => annotation().prop_map(Edit::Add),
        1 => (0usize..8).prop_map(Edit::Remove),
        1 => (0usize..8, 0u8..3).prop_map(|(i, o)| Edit::Review(i, o)),
        1 => (0u8..2, result()).prop_map(|(v, r)| Edit::Predict(v, r)),
        1 => Just(Edit::Delete),
    ]
}

fn control(name: &str, kind: &str, labels: &[&str]) -> Control {
    Control {
        name: name.into(),
        kind: kind.into(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        multiple: false,
        min: None,
        max: None,
        weight: 1.0,
        label_weights: Default::default(),
        threshold: DEFAULT_THRESHOLD,
    }
}

fn config() -> ProjectConfig {
    ProjectConfig {
        overlap: 2,
        agreement_threshold: 0.5,
        controls: vec![
            control("vehicle", "rectanglelabels", &LABELS),
            control("weather", "choices", &WEATHER),
        ],
        ..ProjectConfig::default()
    }
}

fn apply(before: &TaskState, edit: &Edit, next_id: usize) -> TaskState {
    let mut after = before.clone();
    let count = after.annotations.len();
    match edit {
        Edit::Replace(index, a) if count > 0 => {
            let index = index % count;
            let id: usize = after.annotations[index].id[1..].parse().unwrap_or(0);
            after.annotations[index] = annotation_state(id, a);
        }
        Edit::Replace(_, a) | Edit::Add(a) => {
            after.annotations.push(annotation_state(next_id, a));
        }
        Edit::Remove(index) if count > 0 => {
            after.annotations.remove(index % count);
        }
        Edit::Remove(_) => {}
        Edit::Review(index, outcome) => {
            after
                .reviews
                .push(review_state(next_id, index % count.max(1), *outcome));
        }
        Edit::Predict(version, result) => {
            after
                .predictions
                .push(prediction_state(next_id, *version, result));
        }
        Edit::Delete => after.exists = false,
    }
    after
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn change_contributions_have_the_full_diff(
        annotations in prop::collection::vec(annotation(), 0..6),
        predictions in prop::collection::vec((0u8..2, result()), 0..2),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let config = config();
        let mut state = TaskState {
            exists: true,
            annotations: annotations
                .iter()
                .enumerate()
                .map(|(i, a)| annotation_state(i, a))
                .collect(),
            predictions: predictions
                .iter()
                .enumerate()
                .map(|(i, (v, r))| prediction_state(i, *v, r))
                .collect(),
            ..TaskState::default()
        };
        // One memo across the edits, as the engine keeps it.
        let mut memo = PairMemo::default();
        for (step, edit) in edits.iter().enumerate() {
            let next = apply(&state, edit, 100 + step);
            let (mut full_before, mut full_after) = (Vec::new(), Vec::new());
            task_contributions(&state, &config, &mut full_before);
            task_contributions(&next, &config, &mut full_after);
            let (mut before, mut after) = (Vec::new(), Vec::new());
            change_contributions(&state, &next, &config, &mut memo, &mut before, &mut after);
            prop_assert_eq!(net(&before, &after), net(&full_before, &full_after));
            // Nothing is left out that the diff would not cancel.
            prop_assert!(before.len() <= full_before.len());
            prop_assert!(after.len() <= full_after.len());
            drop((before, after, full_before, full_after));
            state = next;
        }
    }
}
