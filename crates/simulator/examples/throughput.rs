//! Generates N events (default 200,000), prints the mix by type, the simulated
//! span and the generation speed.
//!
//! `cargo run --release -p labelpulse-simulator --example throughput -- 200000`

use std::collections::BTreeMap;
use std::time::Instant;

use labelpulse_simulator::{SimConfig, Simulator};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let config = SimConfig::default();
    let start = config.start;
    let t0 = Instant::now();
    let mut bytes = 0usize;
    let mut last = start;
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let mut sim = Simulator::new(config.clone());
    // Timed pass: generation only.
    for e in sim.by_ref().take(n) {
        bytes += e.json.len();
        last = e.at;
    }
    let secs = t0.elapsed().as_secs_f64();
    // Untimed pass: the mix.
    for e in Simulator::new(config).take(n) {
        let i = e.json.find("\"type\":\"").expect("type") + 8;
        let j = e.json[i..].find('"').expect("end") + i;
        *types.entry(e.json[i..j].to_string()).or_default() += 1;
    }
    println!(
        "{n} events in {secs:.3} s = {:.0} events/s, {:.1} MB, avg {} bytes/event",
        n as f64 / secs,
        bytes as f64 / 1e6,
        bytes / n.max(1)
    );
    let span = (last - start).num_seconds() as f64;
    println!(
        "simulated span: {:.2} days ({start} .. {last})",
        span / 86_400.0
    );
    let ann: usize = [
        "annotation.submitted",
        "annotation.skipped",
        "annotation.updated",
    ]
    .iter()
    .map(|t| types.get(*t).copied().unwrap_or(0))
    .sum();
    println!(
        "annotation events per simulated second: {:.3}",
        ann as f64 / span.max(1.0)
    );
    for (t, c) in &types {
        println!("{t:24} {c:>8}");
    }
}
