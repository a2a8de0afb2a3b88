//! The end-to-end bench: Kafka -> `labelpulse ingest` -> ClickHouse -> the
//! API, on the local services, beside ClickHouse's own Kafka engine.
//!
//! 1. **Throughput**: pre-loads `--events` simulator events into a fresh
//!    8-partition topic, starts the ingestor (release binary) and measures
//!    events/s until every offset is committed (that is: durable in
//!    ClickHouse), the flush latency from the ingestor's histogram and its
//!    memory (peak RSS).
//! 2. **Freshness**: keeps the caught-up ingestor, starts `labelpulse
//!    serve`, continues the same simulator stream at `--rate` events/s and
//!    produces a probe annotation every `--probe-interval-ms`; reports the
//!    time from each probe's send to its first sight in the API.
//! 3. **Peer**: stops LabelPulse and lets a ClickHouse Kafka table plus a
//!    materialized view (project x hour counts) read the whole topic from
//!    the start with its own group; reports its events/s and the ratio.
//!
//! Run it with `scripts/bench-e2e` (builds the release binary first).
//! Everything it creates (topics, databases) is dropped at the end unless
//! `--keep`.

#[path = "../../common/mod.rs"]
mod common;
mod cpu;
mod peer;
mod probe;
mod scrape;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::Parser;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde::Serialize;

use common::{create_topic, free_port, Process};
use cpu::{CpuSeconds, CpuWatch};
use scrape::{scrape, FlushLatency, IngestorScrape};

const BROKERS: &str = "127.0.0.1:9092";
const PARTITIONS: u32 = 8;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    name = "bench-e2e",
    about = "End-to-end bench of LabelPulse on the local services"
)]
struct Args {
    /// Events pre-loaded into Kafka for the throughput phase.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Simulator seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Input rate of the freshness phase, events/s.
    #[arg(long, default_value_t = 20_000.0)]
    rate: f64,
    /// Length of the freshness phase, seconds.
    #[arg(long, default_value_t = 30)]
    live_seconds: u64,
    /// One probe annotation every this many milliseconds.
    #[arg(long, default_value_t = 50)]
    probe_interval_ms: u64,
    /// The ingestor's state-cache capacity, entries (default: the product's).
    #[arg(long)]
    cache_capacity: Option<usize>,
    /// The ingestor's `flush_interval_ms` (default: the product's, 500).
    #[arg(long)]
    flush_interval_ms: Option<u64>,
    /// The ingestor's `full_flush_interval_ms` (default: the product's,
    /// 2000; 0 makes every flush full).
    #[arg(long)]
    full_flush_interval_ms: Option<u64>,
    /// The ingestor's `apply_ahead_events` (default: the product's).
    #[arg(long)]
    apply_ahead_events: Option<usize>,
    /// The ingestor's `max_batch_events` (default: the product's).
    #[arg(long)]
    max_batch_events: Option<usize>,
    /// Skip the ClickHouse Kafka-engine peer.
    #[arg(long)]
    skip_peer: bool,
    /// Wait this long before the throughput phase and before the peer, so
    /// both start on a rested file system (ext4 without a journal skips
    /// inodes freed in the last 300 s; see tests/README.md).
    #[arg(long, default_value_t = 0)]
    rest_seconds: u64,
    /// Keep the topics, the databases, and the folder of logs and configs.
    #[arg(long)]
    keep: bool,
    /// Also write the report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// What one run measured.
#[derive(Debug, Serialize)]
struct Report {
    machine: Machine,
    events: u64,
    throughput: Throughput,
    freshness: Freshness,
    peer: Option<Peer>,
    /// Our end-to-end events/s divided by the peer's, one run.
    ratio_to_peer: Option<f64>,
    /// The ingestor's peak resident memory over the run, MiB.
    ingestor_peak_rss_mib: Option<f64>,
    cache_capacity: Option<usize>,
    flush_interval_ms: Option<u64>,
    full_flush_interval_ms: Option<u64>,
    apply_ahead_events: Option<usize>,
    max_batch_events: Option<usize>,
    rest_seconds: u64,
}

#[derive(Debug, Serialize)]
struct Machine {
    cores: usize,
    load_average_at_start: String,
}

#[derive(Debug, Serialize)]
struct Throughput {
    /// Producing the pre-load (simulator -> Kafka, acknowledged), seconds.
    preload_seconds: f64,
    /// From the ingestor's start to the last offset committed, seconds.
    seconds: f64,
    /// `events / seconds`.
    events_per_second: f64,
    /// From the first message consumed (after start-up and the group join).
    events_per_second_after_first_message: f64,
    flush: FlushLatency,
    peak_rss_mib: Option<f64>,
    /// CPU seconds from the ingestor's start to the catch-up.
    cpu_seconds: CpuSeconds,
}

#[derive(Debug, Serialize)]
struct Freshness {
    target_rate: f64,
    /// What the simulator achieved ("produced N events in S s").
    produced: String,
    probes: usize,
    p50_seconds: Option<f64>,
    p99_seconds: Option<f64>,
    max_seconds: Option<f64>,
    /// Answer time of the polled `GET /api/v1/projects` (included in the
    /// freshness above: a probe counts as visible when the answer arrives).
    api_p50_seconds: Option<f64>,
    api_p99_seconds: Option<f64>,
    flush: FlushLatency,
    /// Whether the ingestor had committed everything 60 s after the phase.
    caught_up: bool,
    /// CPU seconds over the whole phase (the query service and the
    /// simulator count in `machine_busy` only).
    cpu_seconds: Option<CpuSeconds>,
}

#[derive(Debug, Serialize)]
struct Peer {
    events: u64,
    seconds: f64,
    events_per_second: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if std::env::var_os("LABELPULSE_BIN").is_none() {
        let binary = common::root().join("target/release/labelpulse");
        if !binary.exists() {
            bail!(
                "{} is missing: build it with `cargo build --release -p labelpulse` (scripts/bench-e2e does)",
                binary.display()
            );
        }
        // Before any thread exists.
        std::env::set_var("LABELPULSE_BIN", binary);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = runtime.block_on(run(&args))?;
    let json = serde_json::to_string_pretty(&report)?;
    println!("{json}");
    if let Some(path) = &args.report {
        std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Names of everything one run creates.
struct Names {
    topic: String,
    dlq: String,
    group: String,
    database: String,
    peer_database: String,
    peer_group: String,
}

impl Names {
    fn new() -> Names {
        let tag = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Names {
            topic: format!("bench.events.{tag}"),
            dlq: format!("bench.events.{tag}.dlq"),
            group: format!("bench-{tag}"),
            database: format!("lp_bench_{tag}"),
            peer_database: format!("lp_peer_{tag}"),
            peer_group: format!("bench-peer-{tag}"),
        }
    }
}

async fn run(args: &Args) -> anyhow::Result<Report> {
    let machine = Machine {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average_at_start: std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    blocking(services).await??;
    let names = Names::new();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let dir = tempfile::tempdir()?;
    let config = write_config(dir.path(), &names, args)?;
    let (topic, dlq) = (names.topic.clone(), names.dlq.clone());
    blocking(move || {
        create_topic(&topic, PARTITIONS);
        create_topic(&dlq, 1);
    })
    .await?;
    eprintln!("bench: topic {}, database {}", names.topic, names.database);

    let result = measure(args, &names, &config, &client, dir.path(), machine).await;
    if args.keep {
        eprintln!(
            "bench: kept the logs and configs in {}",
            dir.keep().display()
        );
    } else {
        cleanup(&client, &names).await;
    }
    result
}

async fn measure(
    args: &Args,
    names: &Names,
    config: &Path,
    client: &reqwest::Client,
    dir: &Path,
    machine: Machine,
) -> anyhow::Result<Report> {
    let config_arg = config.display().to_string();
    // Pre-load.
    let began = Instant::now();
    let events = args.events.to_string();
    let seed = args.seed.to_string();
    let topic = names.topic.clone();
    blocking(move || {
        common::run(&[
            "simulate",
            "--seed",
            &seed,
            "--events",
            &events,
            "--batch",
            "5000",
            "--kafka",
            BROKERS,
            "--kafka-topic",
            &topic,
        ])
    })
    .await?;
    let preload_seconds = began.elapsed().as_secs_f64();
    let total = watermarks(&names.topic)?;
    eprintln!("bench: pre-loaded {total} messages in {preload_seconds:.1} s");
    let migrate = config_arg.clone();
    blocking(move || common::run(&["migrate", "--config", &migrate])).await?;

    // Throughput.
    rest(args).await;
    let metrics_port = free_port();
    let metrics = format!("http://127.0.0.1:{metrics_port}");
    let began = Instant::now();
    let mut ingest = Process::start(
        "ingest",
        &[
            "ingest",
            "--config",
            &config_arg,
            "--no-migrate",
            "--metrics-addr",
            &format!("127.0.0.1:{metrics_port}"),
        ],
        &dir.join("ingest.log"),
    );
    let pid = ingest.child.id();
    let cpu = CpuWatch::new(pid, &cpu::services_dir(&common::root()));
    let cpu_start = cpu.sample();
    let (first, caught_up, at_catch_up) = until_committed(
        client,
        &metrics,
        &mut ingest,
        total,
        Duration::from_secs(1800),
    )
    .await?;
    let cpu_seconds = cpu.between(&cpu_start, &cpu.sample());
    let seconds = caught_up.duration_since(began).as_secs_f64();
    let throughput = Throughput {
        preload_seconds,
        seconds,
        events_per_second: total as f64 / seconds,
        events_per_second_after_first_message: total as f64
            / caught_up.duration_since(first).as_secs_f64(),
        flush: FlushLatency::between(&IngestorScrape::default(), &at_catch_up),
        peak_rss_mib: peak_rss_mib(pid),
        cpu_seconds,
    };
    eprintln!("bench: throughput {throughput:?}");

    // Freshness.
    let cpu_start = cpu.sample();
    let mut freshness =
        freshness(args, names, &config_arg, client, dir, &metrics, &mut ingest).await?;
    freshness.cpu_seconds = Some(cpu.between(&cpu_start, &cpu.sample()));
    eprintln!("bench: freshness {freshness:?}");
    let ingestor_peak_rss_mib = peak_rss_mib(pid);
    ingest.kill9();

    // The peer, alone on the machine, over the whole topic.
    if !args.skip_peer {
        rest(args).await;
    }
    let peer = if args.skip_peer {
        None
    } else {
        let total = watermarks(&names.topic)?;
        let (topic, group) = (names.topic.clone(), names.peer_group.clone());
        blocking(move || reset_to_earliest(&group, &topic)).await??;
        let elapsed = peer::measure(
            client,
            &names.peer_database,
            &names.topic,
            &names.peer_group,
            total,
            Duration::from_secs(1800),
        )
        .await?;
        Some(Peer {
            events: total,
            seconds: elapsed.as_secs_f64(),
            events_per_second: total as f64 / elapsed.as_secs_f64(),
        })
    };
    let ratio_to_peer = peer
        .as_ref()
        .map(|peer| throughput.events_per_second / peer.events_per_second);
    Ok(Report {
        machine,
        events: total,
        throughput,
        freshness,
        peer,
        ratio_to_peer,
        ingestor_peak_rss_mib,
        cache_capacity: args.cache_capacity,
        flush_interval_ms: args.flush_interval_ms,
        full_flush_interval_ms: args.full_flush_interval_ms,
        apply_ahead_events: args.apply_ahead_events,
        max_batch_events: args.max_batch_events,
        rest_seconds: args.rest_seconds,
    })
}

async fn freshness(
    args: &Args,
    names: &Names,
    config: &str,
    client: &reqwest::Client,
    dir: &Path,
    metrics: &str,
    ingest: &mut Process,
) -> anyhow::Result<Freshness> {
    let api_port = free_port();
    let api = format!("http://127.0.0.1:{api_port}");
    let mut serve = Process::start(
        "serve",
        &[
            "serve",
            "--config",
            config,
            "--no-migrate",
            "--addr",
            &format!("127.0.0.1:{api_port}"),
        ],
        &dir.join("serve.log"),
    );
    common::ready(client, &api, &mut serve).await;
    let before = scrape(client, metrics).await?;

    let live_events = (args.rate * args.live_seconds as f64).round() as u64;
    let load_log = dir.join("load.log");
    let mut load = Process::start(
        "load",
        &[
            "simulate",
            "--seed",
            &args.seed.to_string(),
            "--skip",
            &args.events.to_string(),
            "--events",
            &live_events.to_string(),
            "--rate",
            &args.rate.to_string(),
            "--batch",
            "500",
            "--kafka",
            BROKERS,
            "--kafka-topic",
            &names.topic,
        ],
        &load_log,
    );
    let producer = probe::producer(BROKERS)?;
    let sent = probe::SendTimes::default();
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let watcher = {
        let (client, api, sent) = (client.clone(), api.clone(), sent.clone());
        tokio::spawn(async move {
            probe::watch(
                &client,
                &api,
                sent,
                Duration::from_millis(50),
                done_rx,
                Duration::from_secs(30),
            )
            .await
        })
    };
    probe::produce(
        &producer,
        &names.topic,
        Duration::from_millis(args.probe_interval_ms),
        Duration::from_secs(args.live_seconds),
        sent,
    )
    .await?;
    let _ = done_tx.send(true);
    let probe::Watched {
        mut latencies,
        mut polls,
    } = watcher.await.context("the probe watcher")??;
    latencies.sort();
    polls.sort();
    let _ = blocking(move || load.child.wait()).await;
    let produced = std::fs::read_to_string(&load_log)
        .unwrap_or_default()
        .lines()
        .rfind(|line| line.starts_with("produced"))
        .unwrap_or("the load generator printed nothing")
        .to_string();
    let total = watermarks(&names.topic)?;
    let caught_up = until_committed(client, metrics, ingest, total, Duration::from_secs(60))
        .await
        .is_ok();
    let after = scrape(client, metrics).await?;
    serve.kill9();
    Ok(Freshness {
        target_rate: args.rate,
        produced,
        probes: latencies.len(),
        p50_seconds: probe::quantile(&latencies, 0.5),
        p99_seconds: probe::quantile(&latencies, 0.99),
        max_seconds: probe::quantile(&latencies, 1.0),
        api_p50_seconds: probe::quantile(&polls, 0.5),
        api_p99_seconds: probe::quantile(&polls, 0.99),
        flush: FlushLatency::between(&before, &after),
        caught_up,
        cpu_seconds: None,
    })
}

/// Polls the ingestor's metrics until `total` offsets are committed; returns
/// when it first consumed, when it caught up, and the last scrape.
async fn until_committed(
    client: &reqwest::Client,
    metrics: &str,
    ingest: &mut Process,
    total: u64,
    timeout: Duration,
) -> anyhow::Result<(Instant, Instant, IngestorScrape)> {
    let began = Instant::now();
    let mut first = None;
    loop {
        if let Ok(Some(status)) = ingest.child.try_wait() {
            bail!("the ingestor exited: {status}");
        }
        if let Ok(now) = scrape(client, metrics).await {
            if now.consumed > 0 && first.is_none() {
                first = Some(Instant::now());
            }
            if now.committed >= total {
                let at = Instant::now();
                return Ok((first.unwrap_or(at), at, now));
            }
        }
        if began.elapsed() > timeout {
            bail!("the ingestor did not commit {total} offsets in {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts the local services; their script's output goes to stderr, so
/// stdout carries the report only.
fn services() -> anyhow::Result<()> {
    let status = std::process::Command::new("bash")
        .arg(common::root().join("deploy/local/services"))
        .arg("up")
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()?;
    if !status.success() {
        bail!("deploy/local/services up failed");
    }
    Ok(())
}

/// The sum of the topic's high watermarks: how many messages it holds.
fn watermarks(topic: &str) -> anyhow::Result<u64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("group.id", "bench-watermarks")
        .create()?;
    let mut total = 0;
    for partition in 0..PARTITIONS as i32 {
        let (low, high) = consumer.fetch_watermarks(topic, partition, Duration::from_secs(10))?;
        total += u64::try_from(high - low).unwrap_or_default();
    }
    Ok(total)
}

/// Sets `group`'s offsets on `topic` to the earliest (the peer reads from the start).
fn reset_to_earliest(group: &str, topic: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("bash")
        .arg(common::root().join("deploy/local/services"))
        .args([
            "kafka-tool",
            "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
            "--bootstrap-server",
            BROKERS,
            "--reset-offsets",
            "--to-earliest",
            "--execute",
            "--group",
            group,
            "--topic",
            topic,
        ])
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        bail!("resetting the offsets of {group} failed");
    }
    Ok(())
}

/// The process's peak resident set (`VmHWM`), MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn write_config(dir: &Path, names: &Names, args: &Args) -> anyhow::Result<PathBuf> {
    let path = dir.join("labelpulse.toml");
    /// `key = value` and a newline, or nothing when the option is not set.
    fn setting(key: &str, value: Option<impl std::fmt::Display>) -> String {
        value.map(|v| format!("{key} = {v}\n")).unwrap_or_default()
    }
    let cache = setting("cache_capacity", args.cache_capacity);
    let interval = setting("flush_interval_ms", args.flush_interval_ms);
    let full = setting("full_flush_interval_ms", args.full_flush_interval_ms);
    let ahead = setting("apply_ahead_events", args.apply_ahead_events);
    let batch = setting("max_batch_events", args.max_batch_events);
    std::fs::write(
        &path,
        format!(
            "{cache}\n[clickhouse]\ndatabase = \"{}\"\n\n[kafka]\nbrokers = \"{BROKERS}\"\n\
             topic = \"{}\"\ndlq_topic = \"{}\"\ngroup_id = \"{}\"\n{interval}{full}{ahead}{batch}",
            names.database, names.topic, names.dlq, names.group
        ),
    )?;
    Ok(path)
}

/// The `--rest-seconds` pause before a measured phase.
async fn rest(args: &Args) {
    if args.rest_seconds > 0 {
        eprintln!("bench: resting {} s", args.rest_seconds);
        tokio::time::sleep(Duration::from_secs(args.rest_seconds)).await;
    }
}

async fn cleanup(client: &reqwest::Client, names: &Names) {
    for database in [&names.database, &names.peer_database] {
        common::drop_database(client, database).await;
    }
    let topics = [names.topic.clone(), names.dlq.clone()];
    let _ = blocking(move || {
        for topic in topics {
            let _ = std::process::Command::new("bash")
                .arg(common::root().join("deploy/local/services"))
                .args([
                    "kafka-tool",
                    "org.apache.kafka.tools.TopicCommand",
                    "--bootstrap-server",
                    BROKERS,
                    "--delete",
                    "--topic",
                    &topic,
                ])
                .stdout(std::process::Stdio::null())
                .status();
        }
    })
    .await;
}

/// Runs blocking work (processes, the services script) off the runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .context("a blocking task panicked")
}
