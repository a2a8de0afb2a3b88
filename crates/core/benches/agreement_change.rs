//! The cost of one annotation change on the agreement side: a task with `n`
//! annotators whose annotations hold `r` boxes each; one annotator moves
//! every box. Measured is what the engine does per event: the task's
//! contributions before and after (`change_contributions`, which leaves out
//! what both sides share), and their difference (pair scores, task
//! agreement in every scope, statistics cells, counters), with the pair
//! memo as the engine keeps it (`agreement_change`); and the full
//! contributions of both states without the memo
//! (`agreement_change_cold`).
//!
//! Run: `cargo bench -p labelpulse-core --bench agreement_change`

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use labelpulse_core::agreement::PairMemo;
use labelpulse_core::contribution::{change_contributions, diff, task_contributions};
use labelpulse_core::dims::Dims;
use labelpulse_core::event::Control;
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::result::ResultItem;
use labelpulse_core::task::{AnnotationState, TaskState};

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;

const LABELS: [&str; 3] = ["car", "truck", "bus"];

/// `r` boxes on a grid, shifted by `shift` percent, plus one `choices` item.
fn result(r: usize, shift: f64, seed: usize) -> Dims {
    let mut items = Vec::with_capacity(r + 1);
    for i in 0..r {
        let (col, row) = ((i % 15) as f64, (i / 15) as f64);
        items.push(format!(
            r#"{{"id":"b{i}","from_name":"vehicle","to_name":"image","type":"rectanglelabels","value":{{"x":{},"y":{},"width":5,"height":5,"rectanglelabels":["{}"]}}}}"#,
            col * 6.0 + shift,
            row * 6.0 + shift * 0.5,
            LABELS[(i + seed) % 3 * usize::from(i % 4 == 0)]
        ));
    }
    items.push(format!(
        r#"{{"from_name":"weather","to_name":"image","type":"choices","value":{{"choices":["{}"]}}}}"#,
        ["sunny", "rain"][seed % 2]
    ));
    let json = format!("[{}]", items.join(","));
    let parsed: Vec<ResultItem<'_>> = serde_json::from_str(&json).expect("result JSON");
    Dims::from_result(&parsed)
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
        threshold: labelpulse_core::event::DEFAULT_THRESHOLD,
    }
}

fn annotation(member: usize, dims: Dims) -> Arc<AnnotationState> {
    Arc::new(AnnotationState {
        id: format!("a{member}"),
        member_id: format!("m{member}"),
        skipped: false,
        updated: false,
        ground_truth: false,
        lead_time_ms: 30_000,
        completed_ms: 1_772_000_000_000 + member as i64 * 1000,
        dims,
    })
}

/// The task before and after annotator 0 moves every box by 1%.
fn states(n: usize, r: usize) -> (TaskState, TaskState) {
    let annotations: Vec<Arc<AnnotationState>> = (0..n)
        .map(|m| annotation(m, result(r, m as f64 * 0.7, m)))
        .collect();
    let before = TaskState {
        exists: true,
        annotations,
        ..TaskState::default()
    };
    let mut after = before.clone();
    after.annotations[0] = annotation(0, result(r, 1.0, 0));
    (before, after)
}

fn config() -> ProjectConfig {
    ProjectConfig {
        overlap: 2,
        agreement_threshold: 0.5,
        controls: vec![
            control("vehicle", "rectanglelabels", &LABELS),
            control("weather", "choices", &["sunny", "rain"]),
        ],
        ..ProjectConfig::default()
    }
}

/// As the engine runs it: the pair memo holds the pairs of the state before
/// (the previous change left them there); each change is a new annotation
/// (a new `Arc`), so only its pairs are scored. (The engine reuses its
/// contribution lists; here they are fresh per event, the dearer case.)
/// As the `labelpulse` binary does: no transparent huge pages for this
/// process (mimalloc's fresh arenas would fault in zeroed 2 MiB pages).
fn like_the_binary() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("could not turn transparent huge pages off: {error}");
    }
}

fn change(c: &mut Criterion) {
    like_the_binary();
    let config = config();
    let mut group = c.benchmark_group("agreement_change");
    for n in [2usize, 5, 10] {
        for r in [1usize, 20, 200] {
            let (before, after) = states(n, r);
            let changed = Arc::clone(&after.annotations[0]);
            let mut memo = PairMemo::default();
            group.bench_function(
                BenchmarkId::new(format!("{n}_annotators"), format!("{r}_boxes")),
                |b| {
                    // Fresh lists per event (the engine reuses its own).
                    b.iter(|| {
                        let mut after = after.clone();
                        after.annotations[0] = Arc::new((*changed).clone());
                        let (mut old, mut new, mut out) = (Vec::new(), Vec::new(), Vec::new());
                        change_contributions(
                            &before, &after, &config, &mut memo, &mut old, &mut new,
                        );
                        diff(&mut old, &mut new, &mut out);
                        std::hint::black_box(out.len())
                    })
                },
            );
        }
    }
    group.finish();
}

/// A task whose pairs are not memoized (just loaded from the store, or
/// after a settings change): every pair of both states is scored.
fn change_cold(c: &mut Criterion) {
    let config = config();
    let mut group = c.benchmark_group("agreement_change_cold");
    for n in [2usize, 5, 10] {
        for r in [1usize, 20, 200] {
            let (before, after) = states(n, r);
            group.bench_with_input(
                BenchmarkId::new(format!("{n}_annotators"), format!("{r}_boxes")),
                &(before, after),
                |b, (before, after)| {
                    let (mut old, mut new, mut out) = (Vec::new(), Vec::new(), Vec::new());
                    b.iter(|| {
                        old.clear();
                        new.clear();
                        out.clear();
                        task_contributions(before, &config, &mut old);
                        task_contributions(after, &config, &mut new);
                        diff(&mut old, &mut new, &mut out);
                        std::hint::black_box(out.len())
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, change, change_cold);
criterion_main!(benches);
