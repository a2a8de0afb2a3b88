//! Property tests of DESIGN.md §4 through the engine and the in-memory store:
//!
//! 1. a stream with duplicates and reordered updates gives the same
//!    aggregates as its clean equivalent;
//! 2. a run that crashes between any two row writes of a flush, and replays
//!    from the durable position each time, ends with exactly the store of
//!    one clean pass (versions included);
//! 3. partitions applied in one call equal partitions applied one by one.

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{AggKey, AggRow, CellKind};
use labelpulse_core::agreement::{dimension_detection_counts, pair_score, scored_dimensions};
use labelpulse_core::dims::Dims;
use labelpulse_core::reliability::{self, Coincidences, Level, StatCell};
use labelpulse_core::task::{AnnotationState, TaskState};
use labelpulse_engine::memory::{MemoryContents, MemoryStore, SharedMemoryStore};
use labelpulse_engine::{BatchEvent, Engine, EngineSettings, FlushScope};
use proptest::prelude::*;

/// One step of a generated history.
#[derive(Debug, Clone)]
enum Op {
    Submit {
        task: u8,
        member: u8,
        label: u8,
        stars: u8,
        lead: u16,
    },
    Update {
        annotation: u8,
        label: u8,
        stars: u8,
        extra_lead: u16,
    },
    Skip {
        task: u8,
        member: u8,
    },
    DeleteAnnotation {
        annotation: u8,
        with_task: bool,
    },
    Review {
        annotation: u8,
        outcome: u8,
        fix_label: u8,
    },
    DeleteReview {
        review: u8,
    },
    Predict {
        task: u8,
        label: u8,
    },
    Heartbeat {
        member: u8,
        gap: u8,
    },
    EndSession {
        member: u8,
    },
    CreateTask {
        task: u8,
    },
    DeleteTask {
        task: u8,
    },
    Threshold {
        percent: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..5, 0u8..4, 0u8..3, 1u8..6, 1u16..600).prop_map(|(task, member, label, stars, lead)| Op::Submit { task, member, label, stars, lead }),
        3 => (any::<u8>(), 0u8..3, 1u8..6, 1u16..300).prop_map(|(annotation, label, stars, extra_lead)| Op::Update { annotation, label, stars, extra_lead }),
        1 => (0u8..5, 0u8..4).prop_map(|(task, member)| Op::Skip { task, member }),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(annotation, with_task)| Op::DeleteAnnotation { annotation, with_task }),
        3 => (any::<u8>(), 0u8..3, 0u8..3).prop_map(|(annotation, outcome, fix_label)| Op::Review { annotation, outcome, fix_label }),
        1 => any::<u8>().prop_map(|review| Op::DeleteReview { review }),
        1 => (0u8..5, 0u8..3).prop_map(|(task, label)| Op::Predict { task, label }),
        2 => (0u8..4, 1u8..90).prop_map(|(member, gap)| Op::Heartbeat { member, gap }),
        1 => (0u8..4).prop_map(|member| Op::EndSession { member }),
        1 => (0u8..5).prop_map(|task| Op::CreateTask { task }),
        1 => (0u8..5).prop_map(|task| Op::DeleteTask { task }),
        1 => (0u8..100).prop_map(|percent| Op::Threshold { percent }),
    ]
}

/// An event of the generated stream, with what the perturbations need to know.
#[derive(Debug, Clone)]
struct Generated {
    json: String,
    /// `Some(annotation id)` for updates, which may be reordered among themselves.
    update_of: Option<String>,
    /// May be repeated later in the stream without changing the outcome.
    late_duplicate_safe: bool,
}

const LABELS: [&str; 3] = ["positive", "negative", "neutral"];

fn timestamp(seconds: i64) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-03-01T22:30:00Z").unwrap();
    (base + chrono::Duration::seconds(seconds)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn result(label: u8, stars: u8) -> String {
    format!(
        r#"[{{"id":"r1","from_name":"sentiment","to_name":"text","type":"choices","value":{{"choices":["{}"]}}}},{{"id":"r2","from_name":"stars","to_name":"text","type":"rating","value":{{"rating":{stars}}}}}{}]"#,
        LABELS[label as usize % 3],
        boxes(label, stars)
    )
}

/// Boxes of a result: one per label position (same label, widths by
/// stars: IoU >= 0.5, a match; other labels: disjoint), and a second box
/// for even stars, so detection counts see matches, misses and extras.
fn boxes(label: u8, stars: u8) -> String {
    let x = 20 * u32::from(label % 3);
    let width = 10 + u32::from(stars % 6);
    let mut out = format!(
        r#",{{"id":"r3","from_name":"box","to_name":"image","type":"rectanglelabels","value":{{"x":{x},"y":0,"width":{width},"height":10,"rectanglelabels":["car"]}}}}"#
    );
    if stars.is_multiple_of(2) {
        out.push_str(r#",{"id":"r4","from_name":"box","to_name":"image","type":"rectanglelabels","value":{"x":70,"y":50,"width":10,"height":10,"rectanglelabels":["car"]}}"#);
    }
    out
}

fn project_event(n: usize, at: i64, threshold: f64) -> String {
    format!(
        r#"{{"event_id":"e{n}","type":"project.upserted","schema_version":1,"occurred_at":"{}","project_id":"p1","workspace_id":"w1","title":"Reviews","overlap":2,"agreement_threshold":{threshold},"review_criteria":"one","controls":[{{"name":"sentiment","kind":"choices","labels":["positive","negative","neutral"]}},{{"name":"stars","kind":"rating","min":1,"max":5}},{{"name":"box","kind":"rectanglelabels","labels":["car"]}}]}}"#,
        timestamp(at)
    )
}

/// Turns ops into a clean event stream: times increase, ids are fresh,
/// references point at things that exist (or existed).
fn generate(ops: &[Op]) -> Vec<Generated> {
    let mut out = Vec::new();
    let mut annotations: Vec<(String, String, String, i64)> = Vec::new(); // (id, task, member, lead)
    let mut reviews: Vec<String> = Vec::new();
    let mut deleted_tasks: Vec<String> = Vec::new();
    let mut clock = 0i64;
    let push = |json: String,
                update_of: Option<String>,
                late_duplicate_safe: bool,
                out: &mut Vec<Generated>| {
        out.push(Generated {
            json,
            update_of,
            late_duplicate_safe,
        });
    };
    push(project_event(0, 0, 0.5), None, false, &mut out);
    for (n, op) in ops.iter().enumerate() {
        // Seven seconds apart, and twenty minutes after every sixteenth
        // op: streams cross hours (rows of new hours, and of hours the
        // store already holds) and sessions go idle.
        clock += if n % 16 == 15 { 1200 } else { 7 };
        let at = timestamp(clock);
        let envelope = |kind: &str| {
            format!(
                r#""event_id":"e{}","type":"{kind}","schema_version":1,"occurred_at":"{at}","project_id":"p1""#,
                n + 1
            )
        };
        match op {
            Op::Submit {
                task,
                member,
                label,
                stars,
                lead,
            } => {
                let id = format!("a{n}");
                let (task, member) = (format!("t{task}"), format!("m{member}"));
                if deleted_tasks.contains(&task) {
                    continue;
                }
                let json = format!(
                    r#"{{{},"annotation_id":"{id}","task_id":"{task}","member_id":"{member}","lead_time_seconds":{lead},"completed_at":"{at}","result":{}}}"#,
                    envelope("annotation.submitted"),
                    result(*label, *stars)
                );
                annotations.push((id, task, member, i64::from(*lead)));
                push(json, None, true, &mut out);
            }
            Op::Update {
                annotation,
                label,
                stars,
                extra_lead,
            } => {
                if annotations.is_empty() {
                    continue;
                }
                let index = *annotation as usize % annotations.len();
                let (id, task, member, lead) = &mut annotations[index];
                *lead += i64::from(*extra_lead);
                let json = format!(
                    r#"{{{},"annotation_id":"{id}","task_id":"{task}","member_id":"{member}","lead_time_seconds":{lead},"completed_at":"{at}","result":{}}}"#,
                    envelope("annotation.updated"),
                    result(*label, *stars)
                );
                let id = id.clone();
                push(json, Some(id), true, &mut out);
            }
            Op::Skip { task, member } => {
                let task = format!("t{task}");
                if deleted_tasks.contains(&task) {
                    continue;
                }
                let json = format!(
                    r#"{{{},"annotation_id":"s{n}","task_id":"{task}","member_id":"m{member}","lead_time_seconds":3,"was_cancelled":true,"completed_at":"{at}"}}"#,
                    envelope("annotation.skipped")
                );
                push(json, None, true, &mut out);
            }
            Op::DeleteAnnotation {
                annotation,
                with_task,
            } => {
                if annotations.is_empty() {
                    continue;
                }
                let (id, task, _, _) = &annotations[*annotation as usize % annotations.len()];
                let task_field = if *with_task {
                    format!(r#","task_id":"{task}""#)
                } else {
                    String::new()
                };
                let json = format!(
                    r#"{{{},"annotation_id":"{id}"{task_field}}}"#,
                    envelope("annotation.deleted")
                );
                push(json, None, true, &mut out);
            }
            Op::Review {
                annotation,
                outcome,
                fix_label,
            } => {
                if annotations.is_empty() {
                    continue;
                }
                let (id, task, _, _) = &annotations[*annotation as usize % annotations.len()];
                let outcome_name =
                    ["accepted", "fixed_and_accepted", "rejected"][*outcome as usize % 3];
                let fixed = if *outcome % 3 == 1 {
                    format!(r#","fixed_result":{}"#, result(*fix_label, 3))
                } else {
                    String::new()
                };
                let review = format!("v{n}");
                let json = format!(
                    r#"{{{},"review_id":"{review}","annotation_id":"{id}","task_id":"{task}","reviewer_id":"r0","outcome":"{outcome_name}","started_at":"{}","completed_at":"{at}"{fixed}}}"#,
                    envelope("review.submitted"),
                    timestamp(clock - 5)
                );
                reviews.push(review);
                push(json, None, true, &mut out);
            }
            Op::DeleteReview { review } => {
                if reviews.is_empty() {
                    continue;
                }
                let id = &reviews[*review as usize % reviews.len()];
                let json = format!(r#"{{{},"review_id":"{id}"}}"#, envelope("review.deleted"));
                push(json, None, true, &mut out);
            }
            Op::Predict { task, label } => {
                let task = format!("t{task}");
                if deleted_tasks.contains(&task) {
                    continue;
                }
                let json = format!(
                    r#"{{{},"prediction_id":"q{n}","task_id":"{task}","model_version":"v1","result":{}}}"#,
                    envelope("prediction.created"),
                    result(*label, 3)
                );
                push(json, None, true, &mut out);
            }
            Op::Heartbeat { member, gap } => {
                clock += i64::from(*gap);
                let at = timestamp(clock);
                let json = format!(
                    r#"{{"event_id":"e{}","type":"session.heartbeat","schema_version":1,"occurred_at":"{at}","project_id":"p1","member_id":"m{member}"}}"#,
                    n + 1
                );
                push(json, None, true, &mut out);
            }
            Op::EndSession { member } => {
                let json = format!(
                    r#"{{{},"member_id":"m{member}"}}"#,
                    envelope("session.ended")
                );
                push(json, None, false, &mut out);
            }
            Op::CreateTask { task } => {
                let task = format!("t{task}");
                if deleted_tasks.contains(&task) {
                    continue;
                }
                let json = format!(r#"{{{},"task_id":"{task}"}}"#, envelope("task.created"));
                push(json, None, true, &mut out);
            }
            Op::DeleteTask { task } => {
                let task = format!("t{task}");
                let json = format!(r#"{{{},"task_id":"{task}"}}"#, envelope("task.deleted"));
                deleted_tasks.push(task);
                push(json, None, true, &mut out);
            }
            Op::Threshold { percent } => {
                push(
                    project_event(n + 1, clock, f64::from(*percent) / 100.0),
                    None,
                    false,
                    &mut out,
                );
            }
        }
    }
    out
}

/// Applies a stream in one clean pass, flushing every `flush_every` events.
fn run_clean(stream: &[String], flush_every: usize) -> MemoryContents {
    let mut engine = Engine::new(MemoryStore::default(), EngineSettings::default()).unwrap();
    for (index, json) in stream.iter().enumerate() {
        let event = labelpulse_core::decode(json.as_bytes()).unwrap();
        engine
            .apply(0, index as u64 + 1, json.as_bytes(), &event)
            .unwrap();
        if (index + 1) % flush_every == 0 {
            engine.flush().unwrap();
        }
    }
    engine.flush().unwrap();
    engine.into_store().contents
}

/// The aggregate rows of `contents` without versions and without all-zero
/// rows: what batching may not change. A row's version is the position its
/// last flush ended at, so it depends on where flushes end, never beyond
/// the partition's position; an all-zero row is there or not depending on
/// where batches ended.
fn rows(contents: &MemoryContents) -> BTreeMap<AggKey, AggRow> {
    values(contents).0
}

/// True when no aggregate row's version is past its partition's position
/// (the tests use partitions 0 and 1).
fn versions_within_positions(contents: &MemoryContents) -> bool {
    let last = contents.positions.values().copied().max().unwrap_or(0);
    contents.aggregates.values().all(|row| row.version <= last)
}

/// Whether a store written with batches, crashes, background or light
/// flushes holds what one clean pass holds: the same aggregate values, no
/// row version past its partition's position, and the same tasks,
/// sessions, projects, members, index, archive and positions.
fn same_as_clean(
    clean: &MemoryContents,
    other: &MemoryContents,
) -> Result<(), proptest::test_runner::TestCaseError> {
    prop_assert_eq!(rows(clean), rows(other));
    prop_assert!(versions_within_positions(other));
    prop_assert_eq!(&clean.tasks, &other.tasks);
    prop_assert_eq!(&clean.sessions, &other.sessions);
    prop_assert_eq!(&clean.projects, &other.projects);
    prop_assert_eq!(&clean.members, &other.members);
    prop_assert_eq!(&clean.index, &other.index);
    prop_assert_eq!(&clean.archive, &other.archive);
    prop_assert_eq!(&clean.positions, &other.positions);
    Ok(())
}

/// Aggregate values without versions and without all-zero rows.
fn values(
    contents: &MemoryContents,
) -> (
    BTreeMap<AggKey, AggRow>,
    BTreeMap<(String, String), TaskState>,
) {
    let aggregates = contents
        .aggregates
        .iter()
        .filter(|(key, row)| row.value != key.empty_row())
        .map(|(key, row)| (key.clone(), row.value.clone()))
        .collect();
    let tasks = contents
        .tasks
        .iter()
        .filter(|(_, task)| task.value != TaskState::default())
        .map(|(key, task)| (key.clone(), task.value.clone()))
        .collect();
    (aggregates, tasks)
}

/// `store`, listing its tasks to the engine or not, and writing the rows
/// of each write phase in the order `write_order` draws (as concurrent
/// inserts land) or in the flush's order.
fn store_listing(mut store: MemoryStore, setup: StoreSetup) -> MemoryStore {
    store.unlisted_tasks = !setup.listed;
    store.unlisted_hours = !setup.listed;
    store.unlisted_cells = !setup.listed;
    store.shuffle_phases = setup.write_order;
    store.atomic = setup.atomic;
    store.marks = setup.marks.then(Default::default);
    store
}

/// How the crash tests' memory store behaves (see [`store_listing`]).
#[derive(Debug, Clone, Copy)]
struct StoreSetup {
    /// It lists a project's tasks and statistics cells and tells the
    /// latest hour of its hour rows (`Store::list_tasks`,
    /// `Store::list_cells`, `Store::hour_horizons`).
    listed: bool,
    /// The seed of the order of the rows within a write phase, if shuffled.
    write_order: Option<u64>,
    /// A flush is written whole or not at all (the engine then adds a
    /// task's events of a batch as one net change).
    atomic: bool,
    /// The store keeps flush marks (the engine then adds a task's events
    /// of a batch as one net change, and cuts a replay's batches at the
    /// marks of flushes that failed half-way).
    marks: bool,
}

/// Applies a stream in batches of `batches[r]` events (one flush each) in
/// its `r`-th start (cycling), with a store that fails after `failures[i]`
/// row writes, restarting from the durable position after each failure,
/// like a process that crashes mid-flush and is restarted. A restart with
/// another batch size makes batches that straddle the end of the flush
/// that failed: a task's span then covers rows the store holds at a
/// version inside it. `capacity` bounds the engine's cache;
/// `listed`: the store lists a project's tasks (`Store::list_tasks`), so
/// the engine reads only those; `write_order`: see [`store_listing`].
fn run_with_crashes(
    stream: &[String],
    batches: &[usize],
    capacity: usize,
    failures: &[usize],
    setup: StoreSetup,
) -> (MemoryContents, usize) {
    run_restarting(
        stream,
        (batches, capacity),
        failures,
        store_listing(MemoryStore::default(), setup),
        |engine| engine.flush().is_ok(),
        |_| true,
    )
}

/// Like [`run_with_crashes`], with flushes written in the background as the
/// Kafka ingestor does: after each batch a flush is started
/// (`Engine::start_flush`) and, unless `finish_now[i]` says so, left
/// running while the next batch is applied; the store keeps it unwritten
/// until it is finished, so any read of a row being written would see the
/// row without it. A failed write restarts from the durable position.
fn run_with_background_flushes(
    stream: &[String],
    batches: &[usize],
    capacity: usize,
    failures: &[usize],
    finish_now: &[bool],
    setup: StoreSetup,
) -> (MemoryContents, usize) {
    let mut finish_now = finish_now.iter().copied().cycle();
    run_restarting(
        stream,
        (batches, capacity),
        failures,
        store_listing(MemoryStore::with_background_writes(0), setup),
        |engine| {
            engine.start_flush().is_ok()
                && (!finish_now.next().unwrap_or(false) || engine.finish_flush().is_ok())
        },
        |engine| engine.finish_flush().is_ok(),
    )
}

/// Like [`run_with_background_flushes`], with light flushes as the Kafka
/// ingestor makes them while live: after each batch a flush of the aggregate
/// rows only (`FlushScope::Aggregates`) when `light[i]` says so, a full one
/// otherwise, each left running while the next batch is applied unless
/// `finish_now[i]` says so; the last flush is full. A crash replays from
/// the last full flush's positions, through rows light flushes wrote at
/// later versions.
fn run_with_light_flushes(
    stream: &[String],
    batches: &[usize],
    capacity: usize,
    failures: &[usize],
    (light, finish_now): (&[bool], &[bool]),
    setup: StoreSetup,
) -> (MemoryContents, usize) {
    let mut light = light.iter().copied().cycle();
    let mut finish_now = finish_now.iter().copied().cycle();
    run_restarting(
        stream,
        (batches, capacity),
        failures,
        store_listing(MemoryStore::with_background_writes(0), setup),
        |engine| {
            let scope = if light.next().unwrap_or(false) {
                FlushScope::Aggregates
            } else {
                FlushScope::Full
            };
            engine.start_flush_of(scope).is_ok()
                && (!finish_now.next().unwrap_or(false) || engine.finish_flush().is_ok())
        },
        |engine| engine.start_flush().is_ok() && engine.finish_flush().is_ok(),
    )
}

/// The restart loop of both: applies the stream from the store's durable
/// position in batches of `batches[r]` in the `r`-th start, the cache
/// bounded by `capacity`;
/// `after_batch` and `at_end` write (and say whether the store took it);
/// after a failure the engine is dropped and a new one starts over the
/// same store. Returns the final contents and the number of restarts.
fn run_restarting(
    stream: &[String],
    (batches, capacity): (&[usize], usize),
    failures: &[usize],
    mut store: MemoryStore,
    mut after_batch: impl FnMut(&mut Engine<MemoryStore>) -> bool,
    mut at_end: impl FnMut(&mut Engine<MemoryStore>) -> bool,
) -> (MemoryContents, usize) {
    let failures_len = failures.len();
    let mut failures = failures.iter().copied();
    let mut crashes = 0;
    let settings = EngineSettings {
        cache_capacity: capacity,
        ..EngineSettings::default()
    };
    loop {
        assert!(
            crashes <= failures_len,
            "a restart without an injected failure failed"
        );
        store.fail_after_rows = failures.next();
        let batch = batches[crashes % batches.len()].max(1);
        let mut engine = Engine::new(store, settings.clone()).unwrap();
        let start = engine.positions().get(&0).copied().unwrap_or(0) as usize;
        let decoded: Vec<_> = stream[start..]
            .iter()
            .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
            .collect();
        let mut crashed = false;
        for (chunk_index, chunk) in decoded.chunks(batch).enumerate() {
            let events = batch_events(stream, chunk, start + chunk_index * batch);
            if engine.apply_batch(0, &events).is_err() || !after_batch(&mut engine) {
                crashed = true;
                break;
            }
        }
        if !crashed && !at_end(&mut engine) {
            crashed = true;
        }
        store = engine.into_store();
        if !crashed {
            store.fail_after_rows = None;
            return (store.contents, crashes);
        }
        crashes += 1;
    }
}

fn perturb(stream: &[Generated], duplicates: &[(usize, usize)], swap_updates: bool) -> Vec<String> {
    let mut events: Vec<Generated> = stream.to_vec();
    if swap_updates {
        // Reverse the order of each annotation's updates (their completed_at
        // still says which is newest).
        let mut positions: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, event) in events.iter().enumerate() {
            if let Some(id) = &event.update_of {
                positions.entry(id.clone()).or_default().push(index);
            }
        }
        for indices in positions.values() {
            let originals: Vec<Generated> = indices.iter().map(|i| events[*i].clone()).collect();
            for (slot, original) in indices.iter().zip(originals.into_iter().rev()) {
                events[*slot] = original;
            }
        }
    }
    let mut out: Vec<String> = events.iter().map(|e| e.json.clone()).collect();
    // Insert duplicates from the back so earlier positions stay valid.
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for (source, distance) in duplicates {
        if events.is_empty() {
            break;
        }
        let source = source % events.len();
        let event = &events[source];
        let target = if event.late_duplicate_safe {
            (source + 1 + distance).min(events.len())
        } else {
            source + 1
        };
        inserts.push((target, event.json.clone()));
    }
    inserts.sort_by_key(|insert| std::cmp::Reverse(insert.0));
    for (target, json) in inserts {
        out.insert(target, json);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn duplicates_and_reordered_updates_change_nothing(
        ops in prop::collection::vec(op(), 1..80),
        duplicates in prop::collection::vec((any::<usize>(), 0usize..20), 0..25),
        swap in any::<bool>(),
    ) {
        let stream = generate(&ops);
        let clean: Vec<String> = stream.iter().map(|e| e.json.clone()).collect();
        let dirty = perturb(&stream, &duplicates, swap);
        let expected = values(&run_clean(&clean, 1_000_000));
        let actual = values(&run_clean(&dirty, 1_000_000));
        prop_assert_eq!(expected, actual);
    }

    #[test]
    fn crashes_between_any_two_writes_replay_to_the_clean_result(
        ops in prop::collection::vec(op(), 1..60),
        flush_every in 1usize..12,
        batches in prop::collection::vec(1usize..16, 1..4),
        capacity in prop_oneof![Just(usize::MAX), 0usize..40],
        failures in prop::collection::vec(0usize..40, 1..8),
        listed in any::<bool>(),
        write_order in prop::option::of(any::<u64>()),
        atomic in any::<bool>(),
        marks in any::<bool>(),
    ) {
        let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
        // The clean pass applies one event at a time; the crashing one in
        // batches with a bounded cache, each phase of a flush landing in any
        // order: both paths must agree exactly.
        let clean = run_clean(&stream, flush_every);
        let (crashed, _) =
            run_with_crashes(&stream, &batches, capacity, &failures, StoreSetup { listed, write_order, atomic, marks });
        same_as_clean(&clean, &crashed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Flushes written in the background while the next batch is applied,
    /// with a small cache (evictions while a flush is being written) and
    /// failures of the write at any row: the same store as one clean pass.
    #[test]
    fn background_flushes_give_the_clean_result(
        ops in prop::collection::vec(op(), 1..60),
        batches in prop::collection::vec(1usize..16, 1..4),
        capacity in prop_oneof![Just(usize::MAX), 0usize..40],
        failures in prop::collection::vec(0usize..40, 0..6),
        finish_now in prop::collection::vec(any::<bool>(), 1..8),
        listed in any::<bool>(),
        write_order in prop::option::of(any::<u64>()),
        atomic in any::<bool>(),
        marks in any::<bool>(),
    ) {
        let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
        let clean = run_clean(&stream, 1_000_000);
        let order = StoreSetup { listed, write_order, atomic, marks };
        let (background, _) =
            run_with_background_flushes(&stream, &batches, capacity, &failures, &finish_now, order);
        same_as_clean(&clean, &background)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Light flushes (the aggregate rows and members only) between full ones, in the
    /// background, a small cache, failures at any row of any flush: the
    /// same store as one clean pass. Over a store without marks every
    /// flush is full.
    #[test]
    fn light_flushes_give_the_clean_result(
        ops in prop::collection::vec(op(), 1..60),
        batches in prop::collection::vec(1usize..16, 1..4),
        capacity in prop_oneof![Just(usize::MAX), 0usize..40],
        failures in prop::collection::vec(0usize..40, 0..6),
        light in prop::collection::vec(any::<bool>(), 1..8),
        finish_now in prop::collection::vec(any::<bool>(), 1..8),
        listed in any::<bool>(),
        write_order in prop::option::of(any::<u64>()),
        atomic in any::<bool>(),
        marks in prop::bool::weighted(0.8),
    ) {
        let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
        let clean = run_clean(&stream, 1_000_000);
        let setup = StoreSetup { listed, write_order, atomic, marks };
        let (lit, _) = run_with_light_flushes(
            &stream, &batches, capacity, &failures, (&light, &finish_now), setup,
        );
        same_as_clean(&clean, &lit)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// At-least-once delivery (an HTTP client re-sending what was not
    /// acknowledged, a consumer re-reading): after applying a prefix, the
    /// stream is re-sent from an earlier point; the result equals one clean pass.
    #[test]
    fn resending_any_suffix_changes_nothing(
        ops in prop::collection::vec(op(), 1..80),
        cut in any::<prop::sample::Index>(),
        back in any::<prop::sample::Index>(),
    ) {
        let clean: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
        let k = cut.index(clean.len() + 1);
        let j = back.index(k + 1);
        let mut resent: Vec<String> = clean[..k].to_vec();
        resent.extend_from_slice(&clean[j..]);
        prop_assert_eq!(values(&run_clean(&clean, 1_000_000)), values(&run_clean(&resent, 1_000_000)));
    }
}

/// Applies two partitions' streams in batches of `batch` events per
/// partition, flushing after each round: with `together`, both batches of
/// a round in one `apply_partitions` call (as the Kafka ingestor does),
/// else partition 0's batch then partition 1's with `apply_batch`.
fn run_two_partitions(
    streams: [&[String]; 2],
    batch: usize,
    capacity: usize,
    together: bool,
) -> MemoryContents {
    let settings = EngineSettings {
        cache_capacity: capacity,
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(MemoryStore::default(), settings).unwrap();
    let decoded: Vec<Vec<_>> = streams
        .iter()
        .map(|stream| {
            stream
                .iter()
                .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
                .collect()
        })
        .collect();
    let rounds = streams
        .iter()
        .map(|s| s.len().div_ceil(batch))
        .max()
        .unwrap_or(0);
    for round in 0..rounds {
        let batches: Vec<(u32, Vec<BatchEvent<'_>>)> = (0..2)
            .map(|partition| {
                let stream = streams[partition];
                let start = (round * batch).min(stream.len());
                let end = ((round + 1) * batch).min(stream.len());
                let events = (start..end)
                    .map(|i| BatchEvent {
                        sequence: i as u64 + 1,
                        raw: stream[i].as_bytes(),
                        event: &decoded[partition][i],
                    })
                    .collect();
                (partition as u32, events)
            })
            .collect();
        if together {
            let slices: Vec<(u32, &[BatchEvent<'_>])> = batches
                .iter()
                .map(|(partition, events)| (*partition, events.as_slice()))
                .collect();
            engine.apply_partitions(&slices).unwrap();
        } else {
            for (partition, events) in &batches {
                engine.apply_batch(*partition, events).unwrap();
            }
        }
        engine.flush().unwrap();
    }
    engine.into_store().contents
}

/// Runs `first` as project p1 on partition 0 and `second` (after one
/// annotation of its own, so it has rows) as p2 on partition 1, one engine
/// call per partition and one for both, and returns the two stores.
fn two_partitions_apart_and_together(
    first: &[Op],
    second: &[Op],
    batch: usize,
    capacity: usize,
) -> (MemoryContents, MemoryContents) {
    let p1: Vec<String> = generate(first).into_iter().map(|e| e.json).collect();
    let mut second = second.to_vec();
    second.insert(
        0,
        Op::Submit {
            task: 0,
            member: 1,
            label: 0,
            stars: 3,
            lead: 10,
        },
    );
    let p2: Vec<String> = generate(&second)
        .into_iter()
        .map(|e| {
            e.json
                .replace(r#""project_id":"p1""#, r#""project_id":"p2""#)
        })
        .collect();
    let apart = run_two_partitions([&p1, &p2], batch, capacity, false);
    let together = run_two_partitions([&p1, &p2], batch, capacity, true);
    (apart, together)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Two projects on two partitions (their own sequences, shared member
    /// ids): one engine call for both partitions' batches gives the store
    /// of one call per partition, with any batch size and a cache small
    /// enough to evict between rounds.
    #[test]
    fn partitions_applied_together_equal_partitions_applied_apart(
        first in prop::collection::vec(op(), 1..50),
        second in prop::collection::vec(op(), 1..50),
        batch in 1usize..20,
        capacity in prop_oneof![Just(usize::MAX), 0usize..40],
    ) {
        let (apart, together) = two_partitions_apart_and_together(&first, &second, batch, capacity);
        let second_project_counted = apart
            .aggregates
            .keys()
            .any(|key| format!("{:?}", key).contains("\"p2\""));
        prop_assert!(second_project_counted);
        prop_assert_eq!(&apart.aggregates, &together.aggregates);
        prop_assert_eq!(&apart.tasks, &together.tasks);
        prop_assert_eq!(&apart.sessions, &together.sessions);
        prop_assert_eq!(&apart.projects, &together.projects);
        prop_assert_eq!(&apart.members, &together.members);
        prop_assert_eq!(&apart.index, &together.index);
        prop_assert_eq!(&apart.archive, &together.archive);
        prop_assert_eq!(&apart.positions, &together.positions);
    }
}

/// The case the proptest above found in CI (2026-12-05), shrunk: p2's
/// member m0 last-activity row got version 14 applied apart and 16 applied
/// together, with the same value.
#[test]
fn a_last_activity_row_gets_the_same_version_together_and_apart() {
    let submit = |task, member| Op::Submit {
        task,
        member,
        label: 0,
        stars: 1,
        lead: 1,
    };
    let review = Op::Review {
        annotation: 0,
        outcome: 0,
        fix_label: 0,
    };
    let update = Op::Update {
        annotation: 0,
        label: 0,
        stars: 1,
        extra_lead: 1,
    };
    let first = [
        submit(0, 0),
        review.clone(),
        submit(0, 0),
        submit(0, 0),
        submit(0, 0),
        update,
        submit(0, 0),
        submit(2, 0),
        submit(0, 0),
        Op::Threshold { percent: 0 },
        submit(1, 0),
        submit(0, 0),
        submit(0, 1),
        Op::Threshold { percent: 1 },
    ];
    let mut second = vec![submit(0, 0), submit(0, 0), submit(0, 0), review];
    second.extend(std::iter::repeat_n(submit(0, 0), 7));
    second.extend([
        Op::Heartbeat { member: 0, gap: 1 },
        Op::Threshold { percent: 0 },
        Op::Skip { task: 0, member: 1 },
    ]);
    let (apart, together) = two_partitions_apart_and_together(&first, &second, 13, 0);
    assert_eq!(apart.aggregates, together.aggregates);
    assert_eq!(apart.sessions, together.sessions);
}

/// The known-task sets' hard case, step by step (cache capacity 4, so the
/// sets are dropped and listed again): p1's new task t2 is in a flush being
/// written, and no longer in any set, when a read of t1 lists p1 again. The
/// store's listing lacks t2 (its write has not ended); the cached t2 must
/// be known anyway, or after it is evicted its next event would take it
/// for a new task and lose its creation.
#[test]
fn a_task_being_written_is_known_when_its_project_is_listed_again() {
    let submit = |task| Op::Submit {
        task,
        member: 0,
        label: 1,
        stars: 4,
        lead: 30,
    };
    // A heartbeat beside each step: a batch of one event is not prefetched.
    let heartbeat = || Op::Heartbeat { member: 1, gap: 5 };
    let p1: Vec<String> = generate(&[
        Op::CreateTask { task: 1 },
        Op::CreateTask { task: 2 },
        heartbeat(),
        submit(1),
        heartbeat(),
        submit(2),
        heartbeat(),
    ])
    .into_iter()
    .map(|e| e.json)
    .collect();
    let p2: Vec<String> = generate(
        &(1..=4)
            .map(|task| Op::CreateTask { task })
            .collect::<Vec<_>>(),
    )
    .into_iter()
    .map(|e| {
        e.json
            .replace(r#""project_id":"p1""#, r#""project_id":"p2""#)
    })
    .collect();
    assert_eq!((p1.len(), p2.len()), (8, 5), "every op makes one event");
    // Batches: both projects' settings and first tasks; p1's t2; a
    // submission on t1 (relists p1 while t2 is written); one on t2.
    let batches: Vec<Vec<&String>> = vec![
        p1[..2].iter().chain(&p2).collect(),
        p1[2..4].iter().collect(),
        p1[4..6].iter().collect(),
        p1[6..].iter().collect(),
    ];
    let stream: Vec<String> = batches
        .iter()
        .flatten()
        .map(|json| (*json).clone())
        .collect();
    let settings = EngineSettings {
        cache_capacity: 4,
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(MemoryStore::with_background_writes(0), settings).unwrap();
    let mut sequence = 0;
    for batch in &batches {
        let decoded: Vec<_> = batch
            .iter()
            .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
            .collect();
        let events: Vec<BatchEvent<'_>> = batch
            .iter()
            .zip(&decoded)
            .map(|(json, event)| {
                sequence += 1;
                BatchEvent {
                    sequence,
                    raw: json.as_bytes(),
                    event,
                }
            })
            .collect();
        engine.apply_batch(0, &events).unwrap();
        engine.start_flush().unwrap();
    }
    engine.finish_flush().unwrap();
    assert!(engine.counters().evictions >= 2, "the case needs evictions");
    let listed = engine.into_store().contents;
    let clean = run_clean(&stream, 1_000_000);
    assert_eq!(clean.tasks, listed.tasks);
    assert_eq!(rows(&clean), rows(&listed));
}

/// A project's settings change is a barrier: its cached tasks that the
/// store may lack are written before its tasks are read back and
/// restamped. Tasks the prefetch cached before any event changed them
/// (version 0) are not among those, so the first settings of a project at
/// the start of its stream write nothing, even when another partition of
/// the same call has changes waiting (it cost the ingestor a synchronous
/// flush per project when it started); a change after the project's tasks
/// changed writes its barrier, and the result is the clean one.
#[test]
fn first_settings_write_nothing_and_a_later_change_writes_its_barrier() {
    let submit = |task, member| Op::Submit {
        task,
        member,
        label: 1,
        stars: 4,
        lead: 30,
    };
    let ops = [
        Op::CreateTask { task: 1 },
        submit(1, 0),
        Op::CreateTask { task: 2 },
        submit(1, 1),
        Op::Threshold { percent: 90 },
        submit(2, 0),
    ];
    let p1: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
    let p2: Vec<String> = p1
        .iter()
        .map(|json| json.replace(r#""project_id":"p1""#, r#""project_id":"p2""#))
        .collect();
    assert!(p1[0].contains("project.upserted") && p1[5].contains("project.upserted"));
    let (d1, d2) = (decode_all(&p1), decode_all(&p2));
    let mut engine = Engine::new(MemoryStore::default(), EngineSettings::default()).unwrap();
    // One call: p2's partition (its changes wait for a flush), then p1's
    // first settings and events on the tasks the call prefetched.
    let first = (
        batch_events(&p2, &d2[..5], 0),
        batch_events(&p1, &d1[..5], 0),
    );
    engine
        .apply_partitions(&[(1, &first.0), (0, &first.1)])
        .unwrap();
    assert_eq!(engine.counters().flushes, 0, "first settings wrote a flush");
    // A threshold change after p1's tasks changed: the barrier writes.
    engine
        .apply_batch(0, &batch_events(&p1, &d1[5..], 5))
        .unwrap();
    assert_eq!(engine.counters().flushes, 1, "the change wrote no barrier");
    engine.flush().unwrap();
    let contents = engine.into_store().contents;
    let clean = run_clean(&p1, 1_000_000);
    let p1_tasks = |contents: &MemoryContents| -> Vec<String> {
        contents
            .tasks
            .iter()
            .filter(|((project, _), _)| project == "p1")
            .map(|(key, task)| format!("{key:?} {:?}", task.value))
            .collect()
    };
    let p1_rows = |contents: &MemoryContents| -> BTreeMap<AggKey, AggRow> {
        let mut rows = rows(contents);
        rows.retain(|key, _| key.project() == "p1");
        rows
    };
    assert_eq!(p1_tasks(&clean), p1_tasks(&contents));
    assert_eq!(p1_rows(&clean), p1_rows(&contents));
}

fn decode_all(stream: &[String]) -> Vec<labelpulse_core::Event<'_>> {
    stream
        .iter()
        .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
        .collect()
}

/// The hard case of the hour horizons and the known-cell sets
/// (`engine::hour_horizons`, `engine::known_keys`), step by step: p1's
/// hour rows and agreement cells are in a flush being written (made by
/// events applied one at a time, which make neither) when p1's first
/// batch makes its horizon and lists its cells. The store does not show
/// them yet; the cached rows must count anyway, or once they are evicted
/// the next events of that hour and those labels would take them for new
/// rows and lose what the store holds.
#[test]
fn rows_being_written_count_in_a_projects_horizon_and_cells_made_meanwhile() {
    let submit = |task, member, label| Op::Submit {
        task,
        member,
        label,
        stars: 4,
        lead: 30,
    };
    let ops = [
        Op::CreateTask { task: 1 },
        submit(1, 0, 1),
        submit(1, 1, 1),
        Op::CreateTask { task: 2 },
        Op::CreateTask { task: 3 },
        submit(2, 0, 1),
        submit(2, 1, 1),
    ];
    let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
    assert_eq!(stream.len(), 8, "the project, then one event per op");
    let decoded: Vec<_> = stream
        .iter()
        .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
        .collect();
    let item = |index: usize| BatchEvent {
        sequence: index as u64 + 1,
        raw: stream[index].as_bytes(),
        event: &decoded[index],
    };
    let settings = EngineSettings {
        cache_capacity: 4,
        ..EngineSettings::default()
    };
    let mut engine = Engine::new(MemoryStore::with_background_writes(0), settings).unwrap();
    // One at a time: the project, t1 and its two submissions (hour rows
    // and agreement cells; no horizon, no cell listing).
    for (index, (json, event)) in stream.iter().zip(&decoded).enumerate().take(4) {
        engine
            .apply(0, index as u64 + 1, json.as_bytes(), event)
            .unwrap();
    }
    engine.start_flush().unwrap();
    // p1's first batch makes its horizon and lists its cells while that
    // flush is under way.
    engine.apply_batch(0, &[item(4), item(5)]).unwrap();
    engine.finish_flush().unwrap();
    engine.flush().unwrap();
    assert!(engine.counters().evictions >= 1, "the case needs evictions");
    // Submissions of the same hour and labels: their rows are stored, not cached.
    engine.apply_batch(0, &[item(6), item(7)]).unwrap();
    engine.flush().unwrap();
    let written = engine.into_store().contents;
    let cells = written
        .aggregates
        .keys()
        .filter(|key| matches!(key, AggKey::Cell { .. }))
        .count();
    assert!(cells > 0, "the case needs cells");
    let clean = run_clean(&stream, 1_000_000);
    assert_eq!(rows(&clean), rows(&written));
}

#[test]
fn the_crash_harness_really_crashes() {
    // Guard against a vacuous property: the injected failures must happen.
    let ops: Vec<Op> = (0..30)
        .map(|i| Op::Submit {
            task: i % 5,
            member: i % 4,
            label: i % 3,
            stars: 1 + i % 5,
            lead: 10,
        })
        .collect();
    let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
    let setup = StoreSetup {
        listed: true,
        write_order: None,
        atomic: false,
        marks: false,
    };
    let (_, crashes) = run_with_crashes(&stream, &[3], usize::MAX, &[0, 5, 17, 2], setup);
    assert_eq!(crashes, 4);
}

#[test]
fn a_dropped_flush_without_replay_would_differ() {
    // The comparison is sharp: losing one flush is detected.
    let ops: Vec<Op> = (0..10)
        .map(|i| Op::Submit {
            task: i % 3,
            member: i % 4,
            label: i % 3,
            stars: 2,
            lead: 10,
        })
        .collect();
    let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
    let clean = run_clean(&stream, 1_000_000);
    let truncated = run_clean(&stream[..stream.len() - 1], 1_000_000);
    assert_ne!(values(&clean), values(&truncated));
}

/// The agreement state recomputed in one batch from the final task states,
/// written independently of `core::contribution`: per task, each member's
/// newest non-skipped annotation and the v1 model's newest prediction; the
/// statistics cells of `sentiment` and `stars` (`reliability::unit_cells` over
/// the members' values, a confusion cell per pair with both values, the
/// project's symmetric confusion) and the
/// overall pair rows (`(score_sum, tasks)` per participant pair).
type CellMap = BTreeMap<(String, CellKind, u32, String, String, String, String), i64>;
type PairMap = BTreeMap<(String, String), (i64, i64)>;

fn batch_agreement(contents: &MemoryContents) -> (CellMap, PairMap) {
    let mut cells = CellMap::new();
    let mut pairs = PairMap::new();
    let config = contents
        .projects
        .get("p1")
        .map(|p| p.value.clone())
        .unwrap_or_default();
    for task in contents
        .tasks
        .values()
        .map(|t| &t.value)
        .filter(|t| t.exists)
    {
        let mut newest: BTreeMap<&str, &AnnotationState> = BTreeMap::new();
        for annotation in task.annotations.iter().filter(|a| !a.skipped) {
            let slot = newest
                .entry(annotation.member_id.as_str())
                .or_insert(annotation);
            if annotation.completed_ms > slot.completed_ms {
                *slot = annotation;
            }
        }
        let mut people: Vec<(String, &Dims)> = newest
            .iter()
            .map(|(member, a)| (member.to_string(), &a.dims))
            .collect();
        if let Some(prediction) = task.predictions.iter().max_by(|a, b| a.id.cmp(&b.id)) {
            people.push((
                format!("model:{}", prediction.model_version),
                &prediction.dims,
            ));
        }
        let value = |dims: &Dims, dimension: &str| -> Option<String> {
            let value = dims.get(dimension)?;
            match value.number {
                Some(number) => Some(number.to_string()),
                None => value.labels.first().cloned(),
            }
        };
        for dimension in ["sentiment", "stars"] {
            let values: Vec<Option<String>> = people
                .iter()
                .map(|(_, dims)| value(dims, dimension))
                .collect();
            let member_values: Vec<&str> = people
                .iter()
                .zip(&values)
                .filter(|((id, _), _)| !id.starts_with("model:"))
                .filter_map(|(_, v)| v.as_deref())
                .collect();
            let mut unit = Vec::new();
            reliability::unit_cells(&member_values, &mut unit);
            for (cell, amount) in unit {
                let key = match cell {
                    StatCell::Single { c } => (CellKind::Single, 0, c.into_owned(), String::new()),
                    StatCell::Coincidence { m, c, k } => {
                        (CellKind::Coincidence, m, c.into_owned(), k.into_owned())
                    }
                };
                *cells
                    .entry((
                        dimension.into(),
                        key.0,
                        key.1,
                        String::new(),
                        String::new(),
                        key.2,
                        key.3,
                    ))
                    .or_default() += amount;
            }
            for i in 0..people.len() {
                for j in i + 1..people.len() {
                    if let (Some(c), Some(k)) = (&values[i], &values[j]) {
                        let key = (
                            dimension.to_string(),
                            CellKind::Confusion,
                            0,
                            people[i].0.clone(),
                            people[j].0.clone(),
                            c.clone(),
                            k.clone(),
                        );
                        *cells.entry(key).or_default() += 1;
                        // The project's symmetric confusion (no ground truth
                        // in these streams): once per pair, categories in
                        // order, by scope.
                        let members = !people[i].0.starts_with("model:")
                            && !people[j].0.starts_with("model:");
                        let scope = if members { "annotators" } else { "models" };
                        let (x, y) = if c <= k { (c, k) } else { (k, c) };
                        let key = (
                            dimension.to_string(),
                            CellKind::PairsConfusion,
                            0,
                            scope.to_string(),
                            String::new(),
                            x.clone(),
                            y.clone(),
                        );
                        *cells.entry(key).or_default() += 1;
                    }
                }
            }
        }
        let scored = scored_dimensions(&config, people.iter().map(|(_, d)| *d));
        for i in 0..people.len() {
            for j in i + 1..people.len() {
                // Detection between the pair (no ground truth here): the
                // annotators' scope or, with the model, the models' scope.
                for dimension in scored.iter().filter(|d| d.name == "box") {
                    let counts = dimension_detection_counts(
                        dimension,
                        people[j].1.get("box"),
                        people[i].1.get("box"),
                    )
                    .unwrap_or_default();
                    let scope =
                        if people[i].0.starts_with("model:") || people[j].0.starts_with("model:") {
                            "models"
                        } else {
                            "annotators"
                        };
                    for (category, amount) in [
                        ("matched", counts.tp),
                        ("unmatched", counts.fp + counts.fn_),
                    ] {
                        let key = (
                            "box".to_string(),
                            CellKind::PairsDetection,
                            0,
                            scope.to_string(),
                            String::new(),
                            category.to_string(),
                            String::new(),
                        );
                        *cells.entry(key).or_default() += i64::try_from(amount).unwrap_or(0);
                    }
                }
                let score = pair_score(&scored, people[i].1, people[j].1).unwrap_or(0);
                let entry = pairs
                    .entry((people[i].0.clone(), people[j].0.clone()))
                    .or_default();
                entry.0 += score;
                entry.1 += 1;
                // Participant totals, overall dimension: each side, by the
                // other's kind.
                for (me, other) in [(i, j), (j, i)] {
                    let kind = if people[other].0.starts_with("model:") {
                        "model"
                    } else {
                        "member"
                    };
                    for (cell, amount) in [
                        (CellKind::ParticipantScore, score),
                        (CellKind::ParticipantTasks, 1),
                    ] {
                        let key = (
                            String::new(),
                            cell,
                            0,
                            people[me].0.clone(),
                            kind.to_string(),
                            String::new(),
                            String::new(),
                        );
                        *cells.entry(key).or_default() += amount;
                    }
                }
            }
        }
    }
    cells.retain(|_, count| *count != 0);
    (cells, pairs)
}

/// The same two maps as stored by the engine (zero rows left out; of the
/// participant totals, the overall dimension only).
fn stored_agreement(contents: &MemoryContents) -> (CellMap, PairMap) {
    let mut cells = CellMap::new();
    let mut pairs = PairMap::new();
    for (key, row) in &contents.aggregates {
        match (key, &row.value) {
            (
                AggKey::Cell {
                    dimension,
                    kind,
                    m,
                    a,
                    b,
                    c,
                    k,
                    ..
                },
                AggRow::Cell(row),
            ) if row.count != 0
                && (dimension.is_empty()
                    || !matches!(
                        kind,
                        CellKind::ParticipantScore | CellKind::ParticipantTasks
                    )) =>
            {
                cells.insert(
                    (
                        dimension.clone(),
                        *kind,
                        *m,
                        a.clone(),
                        b.clone(),
                        c.clone(),
                        k.clone(),
                    ),
                    row.count,
                );
            }
            (
                AggKey::Pair {
                    dimension, a, b, ..
                },
                AggRow::Pair(row),
            ) if dimension.is_empty() && row.tasks != 0 => {
                pairs.insert((a.clone(), b.clone()), (row.score_sum, row.tasks));
            }
            _ => {}
        }
    }
    (cells, pairs)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Issue 4's exactness property: after any sequence of creates, updates,
    /// deletes (of annotations, tasks, predictions' tasks) and threshold
    /// changes, the incrementally maintained agreement state equals a batch
    /// recomputation from the final annotations, exactly, and so does every
    /// statistic read from it.
    #[test]
    fn incremental_agreement_state_equals_a_batch_recomputation(
        ops in prop::collection::vec(op(), 1..120),
        flush_every in 1usize..20,
    ) {
        let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
        let contents = run_clean(&stream, flush_every);
        let (expected_cells, expected_pairs) = batch_agreement(&contents);
        let (cells, pairs) = stored_agreement(&contents);
        prop_assert_eq!(&cells, &expected_cells);
        prop_assert_eq!(&pairs, &expected_pairs);
        for dimension in ["sentiment", "stars"] {
            let of = |map: &CellMap| {
                Coincidences::from_cells(
                    map.iter()
                        .filter(|(key, _)| {
                            key.0 == dimension
                                && matches!(key.1, CellKind::Single | CellKind::Coincidence)
                        })
                        .map(|((_, kind, m, _, _, c, k), n)| {
                            let cell = match kind {
                                CellKind::Single => StatCell::Single { c: c.as_str().into() },
                                _ => StatCell::Coincidence { m: *m, c: c.as_str().into(), k: k.as_str().into() },
                            };
                            (cell, *n)
                        }),
                )
            };
            let (stored, batch) = (of(&cells), of(&expected_cells));
            prop_assert_eq!(stored.alpha(&Level::Nominal), batch.alpha(&Level::Nominal));
            prop_assert_eq!(stored.fleiss_kappa(), batch.fleiss_kappa());
            prop_assert_eq!(stored.percent_agreement(), batch.percent_agreement());
        }
    }
}

/// The batch of partition 0 made of `decoded`, the events of `stream` from
/// index `first` (sequence = index + 1).
fn batch_events<'e>(
    stream: &'e [String],
    decoded: &'e [labelpulse_core::Event<'e>],
    first: usize,
) -> Vec<BatchEvent<'e>> {
    decoded
        .iter()
        .enumerate()
        .map(|(i, event)| BatchEvent {
            sequence: (first + i) as u64 + 1,
            raw: stream[first + i].as_bytes(),
            event,
        })
        .collect()
}

/// Applies `stream[from..]` in batches of `batch` with a flush after each;
/// false once a flush fails.
fn apply_from(
    engine: &mut Engine<SharedMemoryStore>,
    stream: &[String],
    from: usize,
    batch: usize,
) -> bool {
    let decoded: Vec<_> = stream[from..]
        .iter()
        .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
        .collect();
    for (chunk_index, chunk) in decoded.chunks(batch.max(1)).enumerate() {
        let events = batch_events(stream, chunk, from + chunk_index * batch.max(1));
        if engine.apply_batch(0, &events).is_err() || engine.flush().is_err() {
            return false;
        }
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// A partition changes owner after its owner failed half-way through a
    /// flush: the new owner, an engine made before that flush, reads the
    /// partition's position and flush marks again when it is assigned
    /// (`Engine::reload_partitions`) and applies the rest in one batch,
    /// which straddles the failed flush's end. The store ends with the
    /// values of one clean pass.
    #[test]
    fn a_partition_taken_over_after_a_half_written_flush_is_cut_at_its_mark(
        ops in prop::collection::vec(op(), 1..60),
        batch in 1usize..12,
        failure in 0usize..60,
        write_order in prop::option::of(any::<u64>()),
    ) {
        let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
        let mut memory = MemoryStore::default();
        memory.marks = Some(Default::default());
        memory.shuffle_phases = write_order;
        let store = SharedMemoryStore::new(memory);
        let settings = EngineSettings::default();
        let mut second = Engine::new(store.clone(), settings.clone()).unwrap();
        store.with(|s| s.fail_after_rows = Some(failure));
        let mut first = Engine::new(store.clone(), settings).unwrap();
        let finished = apply_from(&mut first, &stream, 0, batch);
        drop(first);
        store.with(|s| s.fail_after_rows = None);
        second.reload_partitions(&[0]).unwrap();
        let from = second.positions().get(&0).copied().unwrap_or(0) as usize;
        prop_assert!(apply_from(&mut second, &stream, from, stream.len()));
        let clean = run_clean(&stream, 1_000_000);
        let taken_over = store.with(|s| s.contents.clone());
        prop_assert_eq!(rows(&clean), rows(&taken_over), "first finished: {}", finished);
        prop_assert_eq!(&clean.tasks, &taken_over.tasks);
        prop_assert_eq!(&clean.positions, &taken_over.positions);
    }
}

/// What a light flush writes: its mark, the aggregate rows and members, nothing
/// else; the next full flush writes the rest, positions last. Without
/// this, the light-flush property test above would pass with every flush
/// full.
#[test]
fn a_light_flush_writes_the_aggregate_rows_and_its_mark_only() {
    let submit = |task, member, label| Op::Submit {
        task,
        member,
        label,
        stars: 4,
        lead: 30,
    };
    let ops = [Op::CreateTask { task: 1 }, submit(1, 0, 1), submit(1, 1, 2)];
    let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
    let decoded: Vec<_> = stream
        .iter()
        .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
        .collect();
    let mut store = MemoryStore::default();
    store.marks = Some(Default::default());
    let mut engine = Engine::new(store, EngineSettings::default()).unwrap();
    assert!(engine.flushes_light());
    let events = batch_events(&stream, &decoded, 0);
    engine.apply_batch(0, &events).unwrap();
    let end = stream.len() as u64;

    engine.start_flush_of(FlushScope::Aggregates).unwrap();
    engine.finish_flush().unwrap();
    assert!(engine.awaits_full_flush());
    assert_eq!(engine.counters().light_flushes, 1);
    assert_eq!(engine.counters().flushes, 0);
    let store = engine.store();
    assert!(!store.contents.aggregates.is_empty());
    assert!(store.contents.tasks.is_empty());
    assert!(store.contents.sessions.is_empty());
    assert!(store.contents.index.is_empty());
    assert!(store.contents.archive.is_empty());
    assert!(store.contents.projects.is_empty());
    assert!(store.contents.positions.is_empty());
    assert_eq!(store.marks, Some([(0, end)].into_iter().collect()));

    // Nothing new for the aggregate rows: a second light flush writes nothing.
    engine.start_flush_of(FlushScope::Aggregates).unwrap();
    engine.finish_flush().unwrap();
    assert_eq!(engine.counters().light_flushes, 1);

    engine.start_flush().unwrap();
    engine.finish_flush().unwrap();
    assert!(!engine.awaits_full_flush());
    let contents = engine.into_store().contents;
    assert_eq!(contents.archive.len(), stream.len());
    assert!(!contents.tasks.is_empty());
    assert!(!contents.index.is_empty());
    assert_eq!(contents.positions.get(&0), Some(&end));
    let clean = run_clean(&stream, 1_000_000);
    assert_eq!(rows(&clean), rows(&contents));
}

/// Over a store that keeps no marks a light flush cannot be replayed
/// safely: the engine makes it full.
#[test]
fn without_marks_a_light_flush_is_full() {
    let stream: Vec<String> = generate(&[Op::CreateTask { task: 1 }])
        .into_iter()
        .map(|e| e.json)
        .collect();
    let decoded: Vec<_> = stream
        .iter()
        .map(|json| labelpulse_core::decode(json.as_bytes()).unwrap())
        .collect();
    let mut engine = Engine::new(MemoryStore::default(), EngineSettings::default()).unwrap();
    assert!(!engine.flushes_light());
    engine
        .apply_batch(0, &batch_events(&stream, &decoded, 0))
        .unwrap();
    engine.start_flush_of(FlushScope::Aggregates).unwrap();
    engine.finish_flush().unwrap();
    assert_eq!(engine.counters().flushes, 1);
    assert_eq!(
        engine.store().contents.positions.get(&0),
        Some(&(stream.len() as u64))
    );
}

/// Applies `stream` over `store` in batches of `batch`, each followed by a
/// flush: the rows each flush wrote, and the store's reads.
fn engine_work(store: MemoryStore, stream: &[String], batch: usize) -> (Vec<usize>, u64) {
    let mut engine = Engine::new(store, EngineSettings::default()).unwrap();
    let decoded = decode_all(stream);
    let mut flushed = Vec::new();
    for (chunk_index, chunk) in decoded.chunks(batch).enumerate() {
        let events = batch_events(stream, chunk, chunk_index * batch);
        engine.apply_batch(0, &events).unwrap();
        flushed.push(engine.flush().unwrap());
    }
    (flushed, engine.into_store().reads)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The premise of `apply/batches_10k_atomic_deltas` (the engine timed
    /// over a store that drops what it is given): while the cache evicts
    /// nothing and no project's settings change once it has tasks (a
    /// settings change reads the project's tasks back to re-score them;
    /// the bench's stream sets its project once, first), the engine reads
    /// back nothing it wrote, so it asks a store that keeps its rows and
    /// one that drops them the same reads, and writes the same flushes.
    #[test]
    fn a_store_that_drops_its_rows_gets_the_same_reads_and_flushes(
        ops in prop::collection::vec(op(), 1..80),
        batch in 1usize..20,
    ) {
        let ops: Vec<Op> = ops
            .into_iter()
            .filter(|op| !matches!(op, Op::Threshold { .. }))
            .collect();
        let stream: Vec<String> = generate(&ops).into_iter().map(|e| e.json).collect();
        let kept = engine_work(MemoryStore::with_atomic_writes(true), &stream, batch);
        let dropped = engine_work(MemoryStore::discarding(true), &stream, batch);
        prop_assert_eq!(kept, dropped);
    }
}

/// The store that drops its rows really keeps nothing (else the test above
/// would compare two keeping stores).
#[test]
fn a_discarding_store_keeps_nothing() {
    let stream: Vec<String> = generate(&[Op::Submit {
        task: 1,
        member: 1,
        label: 0,
        stars: 3,
        lead: 30,
    }])
    .into_iter()
    .map(|e| e.json)
    .collect();
    let mut engine = Engine::new(MemoryStore::discarding(true), EngineSettings::default()).unwrap();
    let decoded = decode_all(&stream);
    engine
        .apply_batch(0, &batch_events(&stream, &decoded, 0))
        .unwrap();
    assert!(engine.flush().unwrap() > 0, "the flush has rows");
    assert_eq!(engine.into_store().contents, MemoryContents::default());
}
