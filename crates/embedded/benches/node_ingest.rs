//! Node ingest throughput: simulator events through a fresh [`EmbeddedNode`]
//! (decode, apply, one durable transaction per group of batches).
//!
//! Run: `cargo bench -p labelpulse-embedded --bench node_ingest`

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use labelpulse_embedded::{EmbeddedNode, NodeSettings};
use labelpulse_simulator::{SimConfig, Simulator};

const EVENTS: usize = 50_000;

fn run(events: &[Vec<u8>], batch: usize, in_flight: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let (node, _reader) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    let start = Instant::now();
    let mut tickets = std::collections::VecDeque::new();
    for chunk in events.chunks(batch) {
        tickets.push_back(node.submit_blocking(chunk.to_vec()).unwrap());
        if tickets.len() >= in_flight {
            tickets.pop_front().unwrap().wait_blocking().unwrap();
        }
    }
    for ticket in tickets {
        ticket.wait_blocking().unwrap();
    }
    let elapsed = start.elapsed();
    node.shutdown_blocking().unwrap();
    elapsed
}

fn bench(c: &mut Criterion) {
    let events: Vec<Vec<u8>> = Simulator::new(SimConfig::default())
        .take(EVENTS)
        .map(|e| e.json.into_bytes())
        .collect();
    let mut group = c.benchmark_group("node_ingest_50k_simulator_events");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(EVENTS as u64));
    // One batch in flight: one transaction per batch, the client waits each time.
    group.bench_function("batch_100_wait_each", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run(&events, 100, 1)).sum())
    });
    // Many batches in flight: the node group-commits what is queued.
    group.bench_function("batch_100_in_flight_32", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run(&events, 100, 32)).sum())
    });
    group.bench_function("batch_1000_in_flight_8", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run(&events, 1000, 8)).sum())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
