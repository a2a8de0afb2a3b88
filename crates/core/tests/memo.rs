//! Property test of the pair memo's caches (pair evaluations, and each
//! result's region dimensions prepared for matching): over long runs of
//! edits with one memo, where replaced results are dropped (so their
//! addresses are free for new ones), the settings change back and forth
//! (label weights, thresholds) and the memo fills and evicts,
//! `change_contributions` has exactly the diff of the two states' full
//! contributions computed without a memo.

use std::sync::Arc;

use labelpulse_core::agreement::PairMemo;
use labelpulse_core::contribution::{change_contributions, task_contributions};

mod common;
use common::net;
use labelpulse_core::dims::Dims;
use labelpulse_core::event::{Control, DEFAULT_THRESHOLD};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::result::ResultItem;
use labelpulse_core::task::{AnnotationState, TaskState};
use proptest::prelude::*;

const LABELS: [&str; 3] = ["car", "bus", "person"];

/// Three region dimensions with the same labels, so a cache that mixes up
/// a result's dimensions (or two results) gives other scores.
const DIMENSIONS: [(&str, &str); 3] = [
    ("vehicle", "rectanglelabels"),
    ("parts", "rectanglelabels"),
    ("lane", "polygonlabels"),
];

/// A region: dimension, label, x, y, size.
type Item = (usize, usize, u8, u8, u8);

fn dims(items: &[Item]) -> Dims {
    let json: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, &(dimension, label, x, y, size))| {
            let (name, kind) = DIMENSIONS[dimension];
            let label = LABELS[label];
            let value = if kind == "polygonlabels" {
                let (x, y, s) = (f64::from(x), f64::from(y), f64::from(size));
                format!(
                    r#"{{"points":[[{x},{y}],[{},{y}],[{x},{}]],"polygonlabels":["{label}"]}}"#,
                    x + s,
                    y + s
                )
            } else {
                format!(
                    r#"{{"x":{x},"y":{y},"width":{size},"height":{size},"{kind}":["{label}"]}}"#
                )
            };
            format!(
                r#"{{"id":"r{i}","from_name":"{name}","to_name":"image","type":"{kind}","value":{value}}}"#
            )
        })
        .collect();
    let json = format!("[{}]", json.join(","));
    let parsed: Vec<ResultItem<'_>> = serde_json::from_str(&json).expect("result JSON");
    Dims::from_result(&parsed)
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec(
        (
            prop::sample::select(vec![0usize, 0, 1, 1, 2]),
            0usize..3,
            0u8..10,
            0u8..10,
            1u8..6,
        ),
        0..6,
    )
}

fn annotation(id: usize, member: usize, items: &[Item]) -> Arc<AnnotationState> {
    Arc::new(AnnotationState {
        id: format!("a{id}"),
        member_id: format!("m{member}"),
        skipped: false,
        updated: false,
        ground_truth: member == 0,
        lead_time_ms: 1000,
        completed_ms: 3_600_000 * id as i64,
        dims: dims(items),
    })
}

/// The settings: `variant` 1 drops `person` and raises the thresholds.
fn config(variant: usize) -> ProjectConfig {
    let controls = DIMENSIONS
        .iter()
        .map(|(name, kind)| Control {
            name: (*name).into(),
            kind: (*kind).into(),
            labels: LABELS.iter().map(|l| l.to_string()).collect(),
            multiple: false,
            min: None,
            max: None,
            weight: 1.0,
            label_weights: if variant == 1 {
                [("person".to_string(), 0.0)].into_iter().collect()
            } else {
                Default::default()
            },
            threshold: if variant == 1 { 0.3 } else { DEFAULT_THRESHOLD },
        })
        .collect();
    ProjectConfig {
        overlap: 2,
        agreement_threshold: 0.5,
        controls,
        ..ProjectConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_warm_memo_changes_nothing(
        start in prop::collection::vec(items(), 1..5),
        // (which annotation, its new regions, settings variant)
        edits in prop::collection::vec((0usize..8, items(), 0usize..2), 1..48),
        capacity in prop::sample::select(vec![1usize, 3, 16_384]),
    ) {
        let configs = [config(0), config(1)];
        let mut state = TaskState {
            exists: true,
            annotations: start
                .iter()
                .enumerate()
                .map(|(i, items)| annotation(i, i, items))
                .collect(),
            ..TaskState::default()
        };
        let mut memo = PairMemo::with_capacity(capacity);
        for (step, (index, items, variant)) in edits.iter().enumerate() {
            let config = &configs[*variant];
            let mut next = state.clone();
            let index = index % next.annotations.len();
            let id = 100 + step;
            // Replaced: the old result is dropped with `state` below.
            next.annotations[index] = annotation(id, index, items);
            let (mut full_before, mut full_after) = (Vec::new(), Vec::new());
            task_contributions(&state, config, &mut full_before);
            task_contributions(&next, config, &mut full_after);
            let (mut before, mut after) = (Vec::new(), Vec::new());
            change_contributions(&state, &next, config, &mut memo, &mut before, &mut after);
            prop_assert_eq!(net(&before, &after), net(&full_before, &full_after));
            drop((before, after, full_before, full_after));
            state = next;
        }
    }
}
