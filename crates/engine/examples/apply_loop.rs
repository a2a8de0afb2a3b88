//! Applies a synthetic stream N times over (for profilers: callgrind, perf).
//! Shares its stream with `benches/apply.rs`.

#[path = "../benches/support/stream.rs"]
mod stream;

use labelpulse_engine::memory::MemoryStore;

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use labelpulse_engine::{BatchEvent, Engine, EngineSettings};

fn main() {
    let events: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let lines = stream::stream(events);
    let decoded: Vec<_> = lines
        .iter()
        .map(|line| labelpulse_core::decode(line.as_bytes()).expect("valid"))
        .collect();
    let started = std::time::Instant::now();
    let mut engine =
        Engine::new(MemoryStore::default(), EngineSettings::default()).expect("memory store");
    for (chunk_index, chunk) in decoded.chunks(10_000).enumerate() {
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
        engine.apply_batch(0, &batch).expect("apply");
        engine.flush().expect("flush");
    }
    let elapsed = started.elapsed();
    println!(
        "{events} events applied in {elapsed:?}: {:.0} events/s",
        events as f64 / elapsed.as_secs_f64()
    );
}
