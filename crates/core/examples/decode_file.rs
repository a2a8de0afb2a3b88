//! Decodes every line of an NDJSON file (e.g. `labelpulse simulate --events
//! 1000000 --output events.ndjson`) and reports events/s on one core: the
//! decode rate on a realistic mix rather than on one event shape.

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: decode_file EVENTS.ndjson [ROUNDS]")?;
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let bytes = std::fs::read(&path)?;
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mean = bytes.len() as f64 / lines.len().max(1) as f64;
    for round in 0..rounds {
        let started = std::time::Instant::now();
        let mut ok = 0usize;
        for line in &lines {
            if labelpulse_core::decode(std::hint::black_box(line)).is_ok() {
                ok += 1;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "round {round}: {ok}/{} events ({mean:.0} bytes mean) in {seconds:.3} s: {:.0} events/s",
            lines.len(),
            lines.len() as f64 / seconds
        );
    }
    Ok(())
}
