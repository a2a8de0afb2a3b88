//! Writes the first N events (default 1,000) as JSON lines to stdout.
//!
//! `cargo run --release -p labelpulse-simulator --example jsonl -- 200000 [seed] > events.jsonl`

use std::io::{BufWriter, Write};

use labelpulse_simulator::{SimConfig, Simulator};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let mut config = SimConfig::default();
    if let Some(seed) = args.next().and_then(|a| a.parse().ok()) {
        config.seed = seed;
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    for e in Simulator::new(config).take(n) {
        out.write_all(e.json.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
