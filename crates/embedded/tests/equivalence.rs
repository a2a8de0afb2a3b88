//! The redb store behaves like the memory store: two engines fed the same
//! stream, flushed (and, for redb, crashed and restarted) at different
//! points, end with equal contents and equal read answers.

mod common;

use labelpulse_embedded::EmbeddedStore;
use labelpulse_engine::memory::{MemoryContents, MemoryStore};
use labelpulse_engine::{Engine, EngineSettings};
use proptest::prelude::*;

/// Feeds `events` to an engine over a redb store. Before event `i`, with
/// `flush_percent` chance it flushes, with `crash_percent` chance it drops the
/// engine without flushing and restarts from the store's position (what a
/// client does with unacknowledged events).
fn redb_run(
    store: &EmbeddedStore,
    events: &[Vec<u8>],
    seed: u64,
    flush_percent: u64,
    crash_percent: u64,
) -> usize {
    let mut rng = common::Rng::new(seed ^ 0xabcdef);
    let mut engine = Engine::new(store.clone(), EngineSettings::default()).unwrap();
    let mut restarts = 0;
    let mut i = 0;
    while i < events.len() {
        if rng.chance(flush_percent) {
            engine.flush().unwrap();
        }
        if rng.chance(crash_percent) && restarts < 20 {
            restarts += 1;
            drop(engine);
            engine = Engine::new(store.clone(), EngineSettings::default()).unwrap();
            i = engine.positions().get(&0).copied().unwrap_or(0) as usize;
            continue;
        }
        let event = labelpulse_core::decode(&events[i]).unwrap();
        engine.apply(0, i as u64 + 1, &events[i], &event).unwrap();
        i += 1;
    }
    engine.flush().unwrap();
    restarts
}

fn memory_run_random(events: &[Vec<u8>], seed: u64, flush_percent: u64) -> MemoryContents {
    let mut rng = common::Rng::new(seed ^ 0x1234);
    let mut engine = Engine::new(MemoryStore::default(), EngineSettings::default()).unwrap();
    for (i, raw) in events.iter().enumerate() {
        if rng.chance(flush_percent) {
            engine.flush().unwrap();
        }
        let event = labelpulse_core::decode(raw).unwrap();
        engine.apply(0, i as u64 + 1, raw, &event).unwrap();
    }
    engine.flush().unwrap();
    engine.into_store().contents
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn redb_equals_memory(seed in any::<u64>(), n in 50usize..400, flush_percent in 1u64..30, crash_percent in 0u64..4) {
        let events = common::stream(seed, n);
        let expected = memory_run_random(&events, seed, 10);
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        redb_run(&store, &events, seed, flush_percent, crash_percent);
        let held = store.snapshot().unwrap().contents().unwrap();
        let contents = common::comparable(&held);
        let expected_values = common::comparable(&expected);
        prop_assert!(contents == expected_values, "{}", common::diff(&contents, &expected_values));
        // The reads answer what the store holds (which all-zero rows it
        // holds depends on where flushes ended).
        runtime().block_on(common::assert_reads_match(&store, &held));
    }
}

#[test]
fn a_long_stream_with_crashes_equals_memory() {
    let events = common::stream(7, 3000);
    let expected = common::memory_run(&events, 100);
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let restarts = redb_run(&store, &events, 7, 5, 1);
    assert!(restarts > 0);
    let held = store.snapshot().unwrap().contents().unwrap();
    let contents = common::comparable(&held);
    let expected_values = common::comparable(&expected);
    assert!(
        contents == expected_values,
        "{}",
        common::diff(&contents, &expected_values)
    );
    assert_eq!(contents.positions.get(&0), Some(&3000));
    // Every kind of aggregate is exercised by the stream.
    let kinds: std::collections::HashSet<_> = contents
        .aggregates
        .keys()
        .map(std::mem::discriminant)
        .collect();
    assert_eq!(kinds.len(), 8, "every AggKey kind present");
    runtime().block_on(common::assert_reads_match(&store, &held));
}

#[test]
fn simulator_stream_equals_memory() {
    let events: Vec<Vec<u8>> =
        labelpulse_simulator::Simulator::new(labelpulse_simulator::SimConfig::default())
            .take(20_000)
            .map(|e| e.json.into_bytes())
            .collect();
    let expected = common::memory_run(&events, 1000);
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    redb_run(&store, &events, 3, 1, 0);
    let contents = store.snapshot().unwrap().contents().unwrap();
    assert_eq!(common::comparable(&contents), common::comparable(&expected));
    runtime().block_on(common::assert_reads_match(&store, &contents));
}
