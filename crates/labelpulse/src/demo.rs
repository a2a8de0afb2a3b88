//! `labelpulse demo`: the embedded server fed by the simulator, first with a
//! backfill of a few days of history (as fast as the engine takes it), then
//! live, paced by the wall clock.

use std::time::{Duration, Instant};

use chrono::Utc;
use labelpulse_embedded::node::EmbeddedNode;
use labelpulse_simulator::{SimConfig, Simulator};

use crate::config::DemoConfig;
use crate::server::EmbeddedServer;

/// Annotation events per simulated second for a total rate of events per
/// second: with the default mix an annotation event comes with about five
/// others (heartbeats, reviews, tasks, predictions).
fn intensity_for(rate: f64) -> f64 {
    (rate / 6.0).max(0.001)
}

/// Runs the demo until Ctrl-C.
pub async fn run(config: DemoConfig) -> anyhow::Result<()> {
    let server = EmbeddedServer::start(&config.server).await?;
    let url = server.url()?;
    println!("LabelPulse demo is up: {url}");
    println!("  index:      {url}/ (every project, its counts and the links of its dashboards)");
    println!("  projects:   {url}/api/v1/projects");
    println!("  dashboard:  {url}/api/v1/projects/<id>/dashboard?tz=UTC&granularity=hour");
    println!("  members:    {url}/api/v1/projects/<id>/members");
    println!("  API spec:   {url}/api/v1/openapi.json");
    println!("  data dir:   {}", config.server.data_dir.display());
    println!(
        "Backfilling {} days of history, then live at about {} events/s. Ctrl-C stops.",
        config.backfill_days, config.rate
    );
    let node = server.node.clone();
    let feeder = std::thread::Builder::new()
        .name("labelpulse-demo-feed".into())
        .spawn(move || feed(&node, &config))?;
    let served = server.serve_until_shutdown().await;
    drop(feeder);
    served
}

/// Feeds the node from the simulator until the node stops.
fn feed(node: &EmbeddedNode, config: &DemoConfig) {
    let now = Utc::now();
    let start = now - chrono::Duration::days(i64::from(config.backfill_days));
    let mut simulator = Simulator::new(SimConfig {
        seed: config.seed,
        start,
        intensity: intensity_for(config.rate),
        ..SimConfig::default()
    });
    let began = Instant::now();
    let mut backfilled = 0usize;
    loop {
        let mut batch: Vec<Vec<u8>> = Vec::with_capacity(5_000);
        while batch.len() < 5_000 && simulator.peek_at().is_some_and(|at| at < now) {
            batch.extend(simulator.next().map(|event| event.json.into_bytes()));
        }
        if batch.is_empty() {
            break;
        }
        backfilled += batch.len();
        if node.submit_blocking(batch).is_err() {
            return;
        }
    }
    tracing::info!(
        events = backfilled,
        seconds = began.elapsed().as_secs_f64(),
        "backfill submitted"
    );
    println!(
        "Backfill: {backfilled} events submitted in {:.1} s; live feed running.",
        began.elapsed().as_secs_f64()
    );
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let batch: Vec<Vec<u8>> = simulator
            .take_until(Utc::now())
            .into_iter()
            .map(|e| e.json.into_bytes())
            .collect();
        if batch.is_empty() {
            continue;
        }
        if node.submit_blocking(batch).is_err() {
            return;
        }
    }
}
