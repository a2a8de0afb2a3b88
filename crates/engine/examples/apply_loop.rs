//! Applies a synthetic stream (for profilers: callgrind, perf). Shares its
//! stream with `benches/apply.rs`.
//!
//! `apply_loop [EVENTS] [single|batch] [atomic]`: `single` (the default)
//! applies event by event with a flush every 10,000 events, as the bench
//! does; `batch` applies batches of 10,000 (`apply_batch`), each followed
//! by a flush; `atomic` makes the memory store write flushes atomically, so
//! a task's events of a batch add one net change (the embedded store's
//! path; without it, one change per event: a store with neither atomic
//! writes nor flush marks). `APPLY_LOOP_FILE=path` reads the first EVENTS
//! events of an NDJSON file (e.g. `labelpulse simulate --output`) instead
//! of the synthetic stream; `APPLY_LOOP_CHUNK=n` sets the events per batch
//! (default 10,000). Decoding is outside [`run`], so
//! `valgrind --tool=callgrind --toggle-collect=apply_loop::run` counts the
//! apply work only. With `APPLY_LOOP_DIGEST` set it also prints a digest
//! of the final store contents (rows, versions, entities), to check that
//! an optimization changes no byte; `APPLY_LOOP_DIGEST=values` digests
//! only the aggregate rows' values (not all-zero) and the tasks, for a
//! change that may write rows at other versions. `APPLY_LOOP_WARM=n`
//! applies the first `n` of the EVENTS in batches of 50,000 before the
//! measured part (outside [`run`] and the timing), so the rest is applied
//! over a cache that already holds their rows: the live steady state of a
//! long-running ingestor. `APPLY_LOOP_DISCARD=1` makes the store drop what
//! it is given (`MemoryStore::discarding`): the engine's work alone,
//! without the memory store's copies (the digest is then of an empty
//! store).

#[path = "../benches/support/stream.rs"]
mod stream;

use labelpulse_core::Event;
use labelpulse_engine::memory::MemoryStore;

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;
use labelpulse_engine::{BatchEvent, Engine, EngineSettings};

/// Events per batch (`batch`) or between flushes (`single`), unless
/// `APPLY_LOOP_CHUNK` says otherwise.
const CHUNK: usize = 10_000;

fn chunk() -> usize {
    std::env::var("APPLY_LOOP_CHUNK")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CHUNK)
        .max(1)
}

/// Applies `decoded` in batches of `size`, each followed by a flush; the
/// first event is number `first` of the stream (sequence `first + 1`).
fn apply_in_batches(
    engine: &mut Engine<MemoryStore>,
    lines: &[String],
    decoded: &[Event<'_>],
    first: usize,
    size: usize,
) {
    for (chunk_index, chunk) in decoded.chunks(size).enumerate() {
        let batch: Vec<BatchEvent<'_>> = chunk
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let index = first + chunk_index * size + i;
                BatchEvent {
                    sequence: index as u64 + 1,
                    raw: lines[index].as_bytes(),
                    event,
                }
            })
            .collect();
        engine.apply_batch(0, &batch).expect("apply");
        engine.flush().expect("flush");
    }
}

/// Not measured: a fresh engine over a memory store, which applied the
/// first `warm` events (`APPLY_LOOP_WARM`) in batches of 50,000.
#[inline(never)]
fn warm_up(
    lines: &[String],
    decoded: &[Event<'_>],
    warm: usize,
    atomic: bool,
) -> Engine<MemoryStore> {
    let store = if std::env::var_os("APPLY_LOOP_DISCARD").is_some() {
        MemoryStore::discarding(atomic)
    } else {
        MemoryStore::with_atomic_writes(atomic)
    };
    let mut engine = Engine::new(store, EngineSettings::default()).expect("memory store");
    apply_in_batches(&mut engine, lines, &decoded[..warm], 0, 50_000);
    engine
}

/// The measured part: the engine applies every event from number `first` on.
#[inline(never)]
fn run(
    mut engine: Engine<MemoryStore>,
    lines: &[String],
    decoded: &[Event<'_>],
    first: usize,
    batch: bool,
) -> Engine<MemoryStore> {
    if !batch {
        for (index, (line, event)) in lines.iter().zip(decoded).enumerate().skip(first) {
            engine
                .apply(0, index as u64 + 1, line.as_bytes(), event)
                .expect("apply");
            if (index + 1).is_multiple_of(chunk()) {
                engine.flush().expect("flush");
            }
        }
        engine.flush().expect("flush");
        return engine;
    }
    apply_in_batches(&mut engine, lines, &decoded[first..], first, chunk());
    engine
}

fn main() {
    // As the `labelpulse` binary does: no transparent huge pages (the kernel
    // zeroing 2 MiB pages otherwise takes a third of the run).
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("could not turn transparent huge pages off: {error}");
    }
    let mut args = std::env::args().skip(1);
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let batch = args.next().as_deref() == Some("batch");
    let atomic = args.next().as_deref() == Some("atomic");
    let lines = match std::env::var("APPLY_LOOP_FILE") {
        Ok(path) => std::fs::read_to_string(path)
            .expect("APPLY_LOOP_FILE readable")
            .lines()
            .take(events)
            .map(str::to_string)
            .collect(),
        Err(_) => stream::stream(events),
    };
    let decoded: Vec<_> = lines
        .iter()
        .map(|line| labelpulse_core::decode(line.as_bytes()).expect("valid"))
        .collect();
    let warm: usize = std::env::var("APPLY_LOOP_WARM")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
        .min(decoded.len());
    let engine = warm_up(&lines, &decoded, warm, atomic);
    let started = std::time::Instant::now();
    let engine = run(engine, &lines, &decoded, warm, batch);
    let elapsed = started.elapsed();
    let measured = decoded.len() - warm;
    println!(
        "{measured} events applied in {elapsed:?}: {:.0} events/s ({} applied in all)",
        measured as f64 / elapsed.as_secs_f64(),
        engine.counters().applied
    );
    if let Some(digest) = std::env::var_os("APPLY_LOOP_DIGEST") {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let contents = &engine.store().contents;
        if digest == "values" {
            // What the numbers are, not when rows were written: no
            // versions, no all-zero rows (a row touched by changes that
            // cancel is written again, at a later version).
            for (key, row) in &contents.aggregates {
                if !row.value.is_empty() {
                    format!("{key:?} {:?}", row.value).hash(&mut hasher);
                }
            }
            for (key, task) in &contents.tasks {
                format!("{key:?} {:?}", task.value).hash(&mut hasher);
            }
        } else {
            format!("{contents:?}").hash(&mut hasher);
        }
        println!("digest {:016x}", hasher.finish());
    }
}
