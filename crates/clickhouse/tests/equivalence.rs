//! The ClickHouse store behaves like the memory store: two engines fed the
//! same stream, one over `MemoryStore` (event at a time), one over
//! ClickHouse (`apply_batch`, a flush every few thousand events, a cache small
//! enough that rows are evicted and reloaded through the batch loads, and a
//! crash that drops unflushed work and replays from the durable position),
//! end with equal contents and equal answers to every `ReadStore` question.

mod common;

use std::collections::HashSet;

use common::TestDb;
use labelpulse_clickhouse::{ClickHouseStore, InsertCompression};
use labelpulse_engine::memory::MemoryContents;
use labelpulse_engine::{BatchEvent, Engine, EngineSettings};

struct Plan {
    batch: usize,
    flush_every: usize,
    /// Drop the engine unflushed once this many events were applied.
    crash_after: Option<usize>,
    cache_capacity: usize,
}

/// Feeds `events` (partition 0, sequence = index + 1) to an engine over
/// `db`; returns the number of restarts and engine evictions.
fn clickhouse_run(db: &TestDb, events: &[Vec<u8>], plan: &Plan) -> (usize, u64) {
    let decoded: Vec<_> = events
        .iter()
        .map(|raw| labelpulse_core::decode(raw).expect("valid event"))
        .collect();
    let settings = EngineSettings {
        cache_capacity: plan.cache_capacity,
        ..EngineSettings::default()
    };
    let open = || -> Engine<ClickHouseStore> {
        Engine::new(db.store(), settings.clone()).expect("engine over ClickHouse")
    };
    let mut engine = open();
    let mut restarts = 0;
    let mut evictions = 0;
    let mut crashed = false;
    let mut i = 0;
    let mut since_flush = 0;
    while i < events.len() {
        let end = (i + plan.batch).min(events.len());
        let batch: Vec<BatchEvent<'_>> = (i..end)
            .map(|j| BatchEvent {
                sequence: j as u64 + 1,
                raw: &events[j],
                event: &decoded[j],
            })
            .collect();
        engine.apply_batch(0, &batch).expect("apply_batch");
        since_flush += end - i;
        i = end;
        if since_flush >= plan.flush_every {
            engine.flush().expect("flush");
            since_flush = 0;
        }
        if !crashed && plan.crash_after.is_some_and(|n| i >= n) {
            crashed = true;
            restarts += 1;
            evictions += engine.counters().evictions;
            drop(engine);
            engine = open();
            let durable = engine.positions().get(&0).copied().unwrap_or(0) as usize;
            assert!(durable < i, "the crash lost unflushed events");
            i = durable;
            since_flush = 0;
        }
    }
    engine.flush().expect("last flush");
    evictions += engine.counters().evictions;
    (restarts, evictions)
}

fn check(db: &TestDb, expected: &MemoryContents) {
    let reader = db.reader();
    let held = db.runtime.block_on(reader.contents()).expect("contents");
    let (contents, values) = (
        common::stream::comparable(&held),
        common::stream::comparable(expected),
    );
    assert!(
        contents == values,
        "{}",
        common::stream::diff(&contents, &values)
    );
    // The reads answer what the store holds (its values are the memory
    // run's; which all-zero rows it holds depends on where batches ended).
    db.runtime
        .block_on(common::stream::assert_reads_match(&reader, &held));
}

/// With inserts LZ4-compressed, as to a remote server (forced: the test
/// server is on this host, where they go plain by default, as in the next
/// test).
#[test]
fn simulator_stream_equals_memory() {
    let events: Vec<Vec<u8>> =
        labelpulse_simulator::Simulator::new(labelpulse_simulator::SimConfig::default())
            .take(20_000)
            .map(|e| e.json.into_bytes())
            .collect();
    let expected = common::stream::memory_run(&events, 1000);
    let kinds: HashSet<_> = expected
        .aggregates
        .keys()
        .map(std::mem::discriminant)
        .collect();
    assert_eq!(kinds.len(), 8, "every AggKey kind present");

    let db = TestDb::with_compression("equivalence", InsertCompression::Lz4);
    let (restarts, evictions) = clickhouse_run(
        &db,
        &events,
        &Plan {
            batch: 500,
            flush_every: 3_000,
            crash_after: Some(13_700),
            cache_capacity: 5_000,
        },
    );
    assert_eq!(restarts, 1);
    assert!(
        evictions > 0,
        "the cache was emptied and reloaded from ClickHouse"
    );
    check(&db, &expected);
    assert_eq!(expected.positions.get(&0), Some(&20_000));
}

#[test]
fn a_stream_with_deletes_duplicates_and_rescoring_equals_memory() {
    let events = common::stream::stream(7, 2_000);
    let expected = common::stream::memory_run(&events, 100);
    let db = TestDb::new("equivalence_edge");
    let (restarts, evictions) = clickhouse_run(
        &db,
        &events,
        &Plan {
            batch: 64,
            flush_every: 250,
            crash_after: Some(1_300),
            cache_capacity: 300,
        },
    );
    assert_eq!(restarts, 1);
    assert!(evictions > 0);
    check(&db, &expected);
}
