//! Apply throughput: decoded event -> task state + aggregate diffs, over the
//! in-memory store (no I/O), with a flush every 10,000 events: one event at
//! a time (`mixed_stream_100k`, the HTTP ingest's path), and in batches of
//! 10,000 as the Kafka ingestor applies them, over a store that is not
//! atomic (ClickHouse's case: one event's change at a time) and over one
//! that is (the embedded store's case: each task's net change per batch).
//! `batches_10k_atomic_deltas` is the last over a store that drops what it
//! is given (`MemoryStore::discarding`): the engine alone, event to state
//! and the flushes' aggregate deltas, without the memory store's copies of
//! every row into its maps (a test fake's cost, a sixth to a fifth of the others';
//! the real stores' writes have benches of their own). The property test
//! `a_store_that_drops_its_rows_gets_the_same_reads_and_flushes` checks
//! that the engine does the same work over both.
//!
//! The stream is in `stream.rs`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use labelpulse_engine::memory::MemoryStore;

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;
use labelpulse_engine::{BatchEvent, Engine, EngineSettings};

#[path = "support/stream.rs"]
mod stream;

use stream::stream;

/// As the `labelpulse` binary does: no transparent huge pages for this
/// process (with them, a third of this bench's time went to the kernel
/// zeroing 2 MiB pages for mimalloc's fresh arenas).
fn like_the_binary() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("could not turn transparent huge pages off: {error}");
    }
}

/// Makes the empty store a bench starts from.
type NewStore = fn() -> MemoryStore;

fn apply(c: &mut Criterion) {
    like_the_binary();
    const EVENTS: usize = 100_000;
    let lines = stream(EVENTS);
    let events: Vec<_> = lines
        .iter()
        .map(|line| labelpulse_core::decode(line.as_bytes()).expect("bench events are valid"))
        .collect();
    let mut group = c.benchmark_group("apply");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("mixed_stream_100k", |b| {
        b.iter_batched(
            || {
                Engine::new(MemoryStore::default(), EngineSettings::default())
                    .expect("memory store")
            },
            |mut engine| {
                for (index, (line, event)) in lines.iter().zip(&events).enumerate() {
                    let _ = engine.apply(0, index as u64 + 1, line.as_bytes(), event);
                    if (index + 1).is_multiple_of(10_000) {
                        let _ = engine.flush();
                    }
                }
                engine
            },
            BatchSize::PerIteration,
        )
    });
    let stores: [(&str, NewStore); 3] = [
        ("batches_10k", || MemoryStore::with_atomic_writes(false)),
        ("batches_10k_atomic_store", || {
            MemoryStore::with_atomic_writes(true)
        }),
        ("batches_10k_atomic_deltas", || {
            MemoryStore::discarding(true)
        }),
    ];
    for (name, store) in stores {
        group.bench_function(name, |b| {
            b.iter_batched(
                || Engine::new(store(), EngineSettings::default()).expect("memory store"),
                |mut engine| {
                    for (chunk_index, chunk) in events.chunks(10_000).enumerate() {
                        let batch: Vec<BatchEvent<'_>> = chunk
                            .iter()
                            .enumerate()
                            .map(|(i, event)| {
                                let index = chunk_index * 10_000 + i;
                                BatchEvent {
                                    sequence: index as u64 + 1,
                                    raw: lines[index].as_bytes(),
                                    event,
                                }
                            })
                            .collect();
                        let _ = engine.apply_batch(0, &batch);
                        let _ = engine.flush();
                    }
                    engine
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, apply);
criterion_main!(benches);
