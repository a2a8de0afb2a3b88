//! Command-line interface. Every option can also come from the environment
//! (`LABELPULSE_*`) or the TOML file given with `--config`; flags win over
//! the environment, the environment over the file, the file over defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use labelpulse_clickhouse::InsertCompression;

/// LabelPulse: real-time analytics for data-labeling teams.
#[derive(Debug, Parser)]
#[command(name = "labelpulse", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file (keys as in `labelpulse.example.toml`).
    #[arg(long, global = true, env = "LABELPULSE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log filter, e.g. `info` or `labelpulse=debug` (tracing syntax).
    #[arg(long, global = true, env = "LABELPULSE_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the embedded engine, feed it from the simulator in real time
    /// (after a backfill of a few days of history), serve the API and print its URL.
    Demo(DemoArgs),
    /// Run the product: the Kafka ingestor and the query service over
    /// ClickHouse in one process; with `--embedded`, the engine and its store
    /// in this process instead, events arriving over HTTP.
    Run(RunArgs),
    /// Apply the ClickHouse migrations (`schemas/clickhouse/`) and exit.
    Migrate(PipelineArgs),
    /// Consume events from Kafka, apply them, write aggregates to ClickHouse.
    Ingest(IngestArgs),
    /// Serve the API over ClickHouse (optionally taking events over HTTP into Kafka).
    Serve(ServeArgs),
    /// Generate a seeded, deterministic event stream: NDJSON to stdout or a
    /// file, or posted to an HTTP ingest URL at a given rate.
    Simulate(SimulateArgs),
}

/// Options of the embedded server, shared by `demo` and `run`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address the API listens on.
    #[arg(long, env = "LABELPULSE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,

    /// Folder of the embedded database (`labelpulse.redb`); created if missing.
    #[arg(long, env = "LABELPULSE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Heartbeat gaps longer than this many seconds are idle, not active time.
    #[arg(
        long,
        env = "LABELPULSE_IDLE_THRESHOLD_SECONDS",
        value_name = "SECONDS"
    )]
    pub idle_threshold_seconds: Option<u32>,

    /// Engine cache entries (tasks, rows) above which a flush empties the
    /// cache; bounds memory, entries are reloaded from the store when used.
    #[arg(long, env = "LABELPULSE_CACHE_CAPACITY", value_name = "ENTRIES")]
    pub cache_capacity: Option<usize>,

    /// Largest accepted body of `POST /api/v1/events`, bytes.
    #[arg(long, env = "LABELPULSE_MAX_INGEST_BYTES", value_name = "BYTES")]
    pub max_ingest_bytes: Option<usize>,
}

/// `labelpulse demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Server options.
    #[command(flatten)]
    pub server: ServerArgs,

    /// Live event rate of the simulator, events per second (approximate).
    #[arg(long, env = "LABELPULSE_DEMO_RATE", value_name = "N")]
    pub rate: Option<f64>,

    /// Simulator seed (same seed, same history).
    #[arg(long, env = "LABELPULSE_DEMO_SEED", value_name = "N")]
    pub seed: Option<u64>,

    /// Days of history replayed before the live feed starts.
    #[arg(long, env = "LABELPULSE_DEMO_BACKFILL_DAYS", value_name = "DAYS")]
    pub backfill_days: Option<u32>,
}

/// `labelpulse run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run the engine and its embedded store in this process (no Kafka, no ClickHouse).
    #[arg(long)]
    pub embedded: bool,

    /// Server options.
    #[command(flatten)]
    pub server: ServerArgs,

    /// Kafka and ClickHouse options (ignored with `--embedded`).
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// Where Kafka and ClickHouse are.
#[derive(Debug, Args, Clone, Default)]
pub struct PipelineArgs {
    /// ClickHouse HTTP URL.
    #[arg(long, env = "LABELPULSE_CLICKHOUSE_URL", value_name = "URL")]
    pub clickhouse_url: Option<String>,

    /// ClickHouse database of LabelPulse's tables.
    #[arg(long, env = "LABELPULSE_CLICKHOUSE_DATABASE", value_name = "NAME")]
    pub clickhouse_database: Option<String>,

    /// ClickHouse user.
    #[arg(long, env = "LABELPULSE_CLICKHOUSE_USER", value_name = "USER")]
    pub clickhouse_user: Option<String>,

    /// ClickHouse password.
    #[arg(
        long,
        env = "LABELPULSE_CLICKHOUSE_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub clickhouse_password: Option<String>,

    /// Compression of the ingestor's inserts: `auto` (LZ4, except to a
    /// server on this host: localhost or a loopback address, where it only
    /// costs CPU), `lz4` or `none`.
    #[arg(
        long,
        env = "LABELPULSE_CLICKHOUSE_COMPRESSION",
        value_name = "auto|lz4|none"
    )]
    pub clickhouse_compression: Option<InsertCompression>,

    /// Kafka bootstrap servers (`host:port,...`).
    #[arg(long, env = "LABELPULSE_KAFKA_BROKERS", value_name = "BROKERS")]
    pub kafka_brokers: Option<String>,

    /// Kafka events topic.
    #[arg(long, env = "LABELPULSE_KAFKA_TOPIC", value_name = "TOPIC")]
    pub kafka_topic: Option<String>,

    /// Kafka consumer group of the ingestors.
    #[arg(long, env = "LABELPULSE_KAFKA_GROUP", value_name = "GROUP")]
    pub kafka_group: Option<String>,

    /// Do not apply ClickHouse migrations at start.
    #[arg(long, env = "LABELPULSE_NO_MIGRATE")]
    pub no_migrate: bool,
}

/// `labelpulse ingest`
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Kafka and ClickHouse options.
    #[command(flatten)]
    pub pipeline: PipelineArgs,

    /// Address of the ingestor's `/metrics` and `/healthz`.
    #[arg(long, env = "LABELPULSE_METRICS_ADDR", value_name = "HOST:PORT")]
    pub metrics_addr: Option<SocketAddr>,

    /// Heartbeat gaps longer than this many seconds are idle, not active time.
    #[arg(
        long,
        env = "LABELPULSE_IDLE_THRESHOLD_SECONDS",
        value_name = "SECONDS"
    )]
    pub idle_threshold_seconds: Option<u32>,

    /// Engine cache entries above which a flush empties the cache.
    #[arg(long, env = "LABELPULSE_CACHE_CAPACITY", value_name = "ENTRIES")]
    pub cache_capacity: Option<usize>,
}

/// `labelpulse serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address the API listens on.
    #[arg(long, env = "LABELPULSE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,

    /// Accept `POST /api/v1/events` and produce the valid events to Kafka
    /// (answering after the broker acknowledged them).
    #[arg(long, env = "LABELPULSE_INGEST_TO_KAFKA")]
    pub ingest_to_kafka: bool,

    /// Largest accepted body of `POST /api/v1/events`, bytes.
    #[arg(long, env = "LABELPULSE_MAX_INGEST_BYTES", value_name = "BYTES")]
    pub max_ingest_bytes: Option<usize>,

    /// Kafka and ClickHouse options.
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// `labelpulse simulate`
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Number of events to generate (with `--url`, stop after this many; default: forever).
    #[arg(long, value_name = "N")]
    pub events: Option<u64>,

    /// Skip the first N events of the stream: continues a stream produced
    /// before with the same seed (and `--start`, `--intensity`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip: u64,

    /// Simulated start time (RFC 3339); default 2026-01-05T08:00:00Z.
    #[arg(long, value_name = "TIME")]
    pub start: Option<chrono::DateTime<chrono::Utc>>,

    /// Annotation events per simulated second across the organization.
    #[arg(long, default_value_t = 0.1)]
    pub intensity: f64,

    /// Write NDJSON here instead of stdout.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["url", "kafka"])]
    pub output: Option<PathBuf>,

    /// Produce to Kafka (bootstrap servers) instead: key = project id,
    /// acknowledged by all replicas; `--kafka-topic` names the topic.
    #[arg(long, value_name = "BROKERS", conflicts_with = "url")]
    pub kafka: Option<String>,

    /// With `--kafka`: the topic.
    #[arg(long, default_value = "labelpulse.events", requires = "kafka")]
    pub kafka_topic: String,

    /// Post batches to this ingest URL, e.g. http://127.0.0.1:8080/api/v1/events.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// With `--url` or `--kafka`: events per second to send (default: as fast as accepted).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// With `--url` or `--kafka`: events per POST or per acknowledged batch.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
}
