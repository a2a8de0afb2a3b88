//! `labelpulse simulate`: NDJSON to stdout or a file, or POSTed to an ingest URL.

use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use labelpulse_simulator::{SimConfig, SimEvent, Simulator};

use crate::cli::SimulateArgs;

/// Runs the simulator as the arguments say.
pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let mut config = SimConfig {
        seed: args.seed,
        intensity: args.intensity,
        ..SimConfig::default()
    };
    if let Some(start) = args.start {
        config.start = start;
    }
    let skip = usize::try_from(args.skip).unwrap_or(usize::MAX);
    let simulator = Simulator::new(config).skip(skip);
    if let Some(brokers) = &args.kafka {
        return produce(simulator, brokers, &args).await;
    }
    match &args.url {
        Some(url) => post(simulator, url, &args).await,
        None => {
            let limit = args
                .events
                .context("--events is required when writing NDJSON")?;
            write(simulator, limit, args.output.as_deref())
        }
    }
}

fn write(
    simulator: impl Iterator<Item = SimEvent>,
    limit: u64,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let sink: Box<dyn Write> = match output {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    for event in simulator.take(usize::try_from(limit).unwrap_or(usize::MAX)) {
        out.write_all(event.json.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

async fn post(
    simulator: impl Iterator<Item = SimEvent>,
    url: &str,
    args: &SimulateArgs,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let limit = args.events.unwrap_or(u64::MAX);
    let batch_size = args.batch.max(1);
    let began = Instant::now();
    let mut sent = 0u64;
    let mut events = simulator
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .peekable();
    while events.peek().is_some() {
        let mut body = String::new();
        let mut lines = 0u64;
        for event in events.by_ref().take(batch_size) {
            body.push_str(&event.json);
            body.push('\n');
            lines += 1;
        }
        if let Some(rate) = args.rate.filter(|r| *r > 0.0) {
            let due = Duration::from_secs_f64((sent + lines) as f64 / rate);
            if let Some(wait) = due.checked_sub(began.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        let response = client
            .post(url)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .with_context(|| format!("posting to {url}"))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("ingest answered {status}: {text}");
        }
        sent += lines;
    }
    eprintln!(
        "sent {sent} events in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Produces to Kafka, keyed by project (member for `member.upserted`),
/// batch by batch, each acknowledged by the broker before the next.
async fn produce(
    simulator: impl Iterator<Item = SimEvent>,
    brokers: &str,
    args: &SimulateArgs,
) -> anyhow::Result<()> {
    let config = labelpulse_kafka::KafkaConfig {
        brokers: brokers.to_string(),
        topic: args.kafka_topic.clone(),
        ..labelpulse_kafka::KafkaConfig::default()
    };
    let producer =
        labelpulse_kafka::EventProducer::new(&config).context("creating the Kafka producer")?;
    let limit = args.events.unwrap_or(u64::MAX);
    let batch_size = args.batch.max(1);
    let began = Instant::now();
    let mut sent = 0u64;
    let mut events = simulator
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .peekable();
    while events.peek().is_some() {
        let batch: Vec<(String, Vec<u8>)> = events
            .by_ref()
            .take(batch_size)
            .map(|event| (event.key, event.json.into_bytes()))
            .collect();
        let lines = batch.len() as u64;
        if let Some(rate) = args.rate.filter(|r| *r > 0.0) {
            let due = Duration::from_secs_f64((sent + lines) as f64 / rate);
            if let Some(wait) = due.checked_sub(began.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        producer
            .send_keyed(batch)
            .await
            .context("producing to Kafka")?;
        sent += lines;
    }
    eprintln!(
        "produced {sent} events to {} in {:.1} s",
        args.kafka_topic,
        began.elapsed().as_secs_f64()
    );
    Ok(())
}
