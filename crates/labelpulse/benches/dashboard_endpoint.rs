//! The dashboard routes over an embedded store holding 1,000,000 simulated
//! events: the default organization of `labelpulse simulate` (9 projects,
//! 24 annotators, 4 reviewers, models) over about 90 days, at an intensity
//! of 0.016 annotation events per simulated second. The store is filled
//! through the real engine; each route is answered by the real router
//! (`oneshot`), JSON serialization included, as `labelpulse demo` serves it.
//!
//! Times the 90-day Project dashboard (by day, in UTC and in a zone with a
//! DST change inside the range), the Members table over the same range, one
//! member's Performance page and the project list.
//!
//! Run: `cargo bench -p labelpulse --bench dashboard_endpoint`

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use labelpulse_api::app::{app, AppState};
use labelpulse_embedded::node::EmbeddedNode;
use labelpulse_engine::EngineSettings;
use labelpulse_simulator::{SimConfig, Simulator};

#[path = "support/route_support.rs"]
mod route_support;

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;

/// Events in the store.
const EVENTS: usize = 1_000_000;
/// Annotation events per simulated second: 1M events then span about 90
/// days from the simulator's default start (2026-01-05).
const INTENSITY: f64 = 0.016;

/// The routes timed, by name. The range is the 90 days from the stream's
/// first day.
const ROUTES: [(&str, &str); 5] = [
    (
        "project_dashboard_90_days_by_day",
        "/api/v1/projects/p-1/dashboard?from=2026-01-05&to=2026-04-05&granularity=day",
    ),
    (
        "project_dashboard_90_days_by_day_berlin",
        "/api/v1/projects/p-1/dashboard?from=2026-01-05&to=2026-04-05&granularity=day&tz=Europe/Berlin",
    ),
    (
        "members_90_days",
        "/api/v1/projects/p-1/members?from=2026-01-05&to=2026-04-05",
    ),
    (
        "member_performance_90_days",
        "/api/v1/members/m-1/performance?from=2026-01-05&to=2026-04-05",
    ),
    ("projects", "/api/v1/projects"),
];

fn bench(c: &mut Criterion) {
    let runtime = route_support::runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, reader) = EmbeddedNode::open(dir.path(), EngineSettings::default()).expect("open");
    let config = SimConfig {
        intensity: INTENSITY,
        ..SimConfig::default()
    };
    let started = std::time::Instant::now();
    let mut last = None;
    runtime.block_on(async {
        let mut stream = Simulator::new(config).take(EVENTS).peekable();
        while stream.peek().is_some() {
            let chunk: Vec<Vec<u8>> = stream
                .by_ref()
                .take(5_000)
                .map(|event| {
                    last = Some(event.at);
                    event.json.into_bytes()
                })
                .collect();
            node.ingest_batch(chunk).await.expect("ingest");
        }
    });
    eprintln!(
        "ingested {EVENTS} events up to {} in {:.1} s",
        last.map(|at| at.to_rfc3339()).unwrap_or_default(),
        started.elapsed().as_secs_f64()
    );
    let router = app(AppState::new(Arc::new(reader), Arc::new(node)));
    let get = |uri: &'static str| route_support::get(router.clone(), uri);
    for (_, uri) in ROUTES {
        let bytes = runtime.block_on(get(uri));
        eprintln!("{uri}: {bytes} bytes");
    }
    let mut group = c.benchmark_group("dashboard_endpoint_1m_events");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for (name, uri) in ROUTES {
        group.bench_function(name, |b| b.iter(|| runtime.block_on(get(uri))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
