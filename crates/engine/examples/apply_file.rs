//! Applies every event of an NDJSON file (e.g. `labelpulse simulate --events
//! 1000000 --output events.ndjson`) to an engine over the in-memory store,
//! in batches of 10,000 with a flush each, and reports events/s on one core:
//! the apply rate on a realistic mix.

use labelpulse_engine::memory::MemoryStore;
use labelpulse_engine::{BatchEvent, Engine, EngineSettings};

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: apply_file EVENTS.ndjson")?;
    let bytes = std::fs::read(&path)?;
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let decoded: Vec<_> = lines
        .iter()
        .filter_map(|line| labelpulse_core::decode(line).ok())
        .collect();
    let mut engine = Engine::new(MemoryStore::default(), EngineSettings::default())?;
    let started = std::time::Instant::now();
    let mut sequence = 0u64;
    for (chunk, events) in lines.chunks(10_000).zip(decoded.chunks(10_000)) {
        let batch: Vec<BatchEvent<'_>> = chunk
            .iter()
            .zip(events)
            .map(|(raw, event)| {
                sequence += 1;
                BatchEvent {
                    sequence,
                    raw,
                    event,
                }
            })
            .collect();
        engine.apply_batch(0, &batch)?;
        engine.flush()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} events applied (batches of 10k, a flush each) in {seconds:.3} s: {:.0} events/s",
        decoded.len(),
        decoded.len() as f64 / seconds
    );
    Ok(())
}
