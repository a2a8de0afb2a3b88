//! The optional TOML configuration file and the merge of flags, environment
//! and file into one resolved configuration.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::cli::{DemoArgs, PipelineArgs, ServerArgs};
use labelpulse_clickhouse::{ClickHouseConfig, InsertCompression};
use labelpulse_kafka::KafkaConfig;

/// The TOML file. Every key is optional.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// API address.
    pub addr: Option<SocketAddr>,
    /// Embedded database folder.
    pub data_dir: Option<PathBuf>,
    /// Idle threshold of active time, seconds.
    pub idle_threshold_seconds: Option<u32>,
    /// Engine cache capacity, entries.
    pub cache_capacity: Option<usize>,
    /// Ingest body limit, bytes.
    pub max_ingest_bytes: Option<usize>,
    /// `[demo]` table.
    #[serde(default)]
    pub demo: DemoFileConfig,
    /// `[clickhouse]` table.
    #[serde(default)]
    pub clickhouse: ClickHouseFileConfig,
    /// `[kafka]` table: every field of the Kafka adapter's configuration,
    /// including `properties` (any rdkafka setting: SASL, TLS, client ids).
    pub kafka: Option<KafkaConfig>,
    /// The ingestor's `/metrics` address.
    pub metrics_addr: Option<SocketAddr>,
}

/// The `[clickhouse]` table.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseFileConfig {
    /// HTTP URL.
    pub url: Option<String>,
    /// Database.
    pub database: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Insert compression: `auto` (LZ4 unless the server is on this
    /// host), `lz4` or `none`.
    pub compression: Option<InsertCompression>,
}

/// The `[demo]` table.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DemoFileConfig {
    /// Live events per second.
    pub rate: Option<f64>,
    /// Simulator seed.
    pub seed: Option<u64>,
    /// Days of backfilled history.
    pub backfill_days: Option<u32>,
}

impl FileConfig {
    /// Reads the file, or defaults when no file is given.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))
    }
}

/// The embedded server's resolved settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// API address.
    pub addr: SocketAddr,
    /// Embedded database folder.
    pub data_dir: PathBuf,
    /// Idle threshold, seconds.
    pub idle_threshold_seconds: u32,
    /// Engine cache capacity, entries.
    pub cache_capacity: usize,
    /// Ingest body limit, bytes.
    pub max_ingest_bytes: usize,
}

/// Default API address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

impl ServerConfig {
    /// Flags and environment (already merged by clap) over the file over defaults.
    pub fn resolve(
        args: &ServerArgs,
        file: &FileConfig,
        default_data_dir: impl FnOnce() -> PathBuf,
    ) -> Self {
        ServerConfig {
            addr: args.addr.or(file.addr).unwrap_or_else(|| {
                DEFAULT_ADDR
                    .parse()
                    .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
            }),
            data_dir: args
                .data_dir
                .clone()
                .or_else(|| file.data_dir.clone())
                .unwrap_or_else(default_data_dir),
            idle_threshold_seconds: args
                .idle_threshold_seconds
                .or(file.idle_threshold_seconds)
                .unwrap_or(60),
            cache_capacity: args
                .cache_capacity
                .or(file.cache_capacity)
                .unwrap_or_else(|| labelpulse_engine::EngineSettings::default().cache_capacity),
            max_ingest_bytes: args
                .max_ingest_bytes
                .or(file.max_ingest_bytes)
                .unwrap_or(labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES),
        }
    }
}

/// The demo's resolved settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// The server.
    pub server: ServerConfig,
    /// Live events per second.
    pub rate: f64,
    /// Seed.
    pub seed: u64,
    /// Days of history.
    pub backfill_days: u32,
}

impl DemoConfig {
    /// Flags and environment over the file over defaults (rate 5/s, seed 42, 3 days).
    pub fn resolve(
        args: &DemoArgs,
        file: &FileConfig,
        default_data_dir: impl FnOnce() -> PathBuf,
    ) -> Self {
        DemoConfig {
            server: ServerConfig::resolve(&args.server, file, default_data_dir),
            rate: args.rate.or(file.demo.rate).unwrap_or(5.0),
            seed: args.seed.or(file.demo.seed).unwrap_or(42),
            backfill_days: args.backfill_days.or(file.demo.backfill_days).unwrap_or(3),
        }
    }
}

/// Kafka and ClickHouse, resolved.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// ClickHouse.
    pub clickhouse: ClickHouseConfig,
    /// Kafka.
    pub kafka: KafkaConfig,
    /// Apply migrations at start.
    pub migrate: bool,
}

/// Default ClickHouse database.
pub const DEFAULT_DATABASE: &str = "labelpulse";

impl PipelineConfig {
    /// Flags and environment over the file over defaults (ClickHouse on
    /// 127.0.0.1:8123, database `labelpulse`; Kafka's defaults).
    pub fn resolve(args: &PipelineArgs, file: &FileConfig) -> Self {
        let defaults = ClickHouseConfig::default();
        let clickhouse = ClickHouseConfig {
            url: args
                .clickhouse_url
                .clone()
                .or_else(|| file.clickhouse.url.clone())
                .unwrap_or(defaults.url.clone()),
            database: args
                .clickhouse_database
                .clone()
                .or_else(|| file.clickhouse.database.clone())
                .unwrap_or_else(|| DEFAULT_DATABASE.to_string()),
            user: args
                .clickhouse_user
                .clone()
                .or_else(|| file.clickhouse.user.clone())
                .unwrap_or(defaults.user.clone()),
            password: args
                .clickhouse_password
                .clone()
                .or_else(|| file.clickhouse.password.clone())
                .unwrap_or(defaults.password.clone()),
            compression: args
                .clickhouse_compression
                .or(file.clickhouse.compression)
                .unwrap_or(defaults.compression),
            ..defaults
        };
        let mut kafka = file.kafka.clone().unwrap_or_default();
        if let Some(brokers) = &args.kafka_brokers {
            kafka.brokers = brokers.clone();
        }
        if let Some(topic) = &args.kafka_topic {
            kafka.topic = topic.clone();
        }
        if let Some(group) = &args.kafka_group {
            kafka.group_id = group.clone();
        }
        PipelineConfig {
            clickhouse,
            kafka,
            migrate: !args.no_migrate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn demo(args: &[&str]) -> DemoArgs {
        let cli = crate::cli::Cli::try_parse_from(args).unwrap();
        match cli.command {
            crate::cli::Command::Demo(demo) => demo,
            other => panic!("not demo: {other:?}"),
        }
    }

    #[test]
    fn flags_win_over_file_and_file_over_defaults() {
        let file: FileConfig = toml::from_str(
            "addr = \"127.0.0.1:9999\"\nidle_threshold_seconds = 90\n[demo]\nrate = 7.5\n",
        )
        .unwrap();
        let resolved = DemoConfig::resolve(
            &demo(&["labelpulse", "demo", "--addr", "127.0.0.1:1234"]),
            &file,
            || "d".into(),
        );
        assert_eq!(resolved.server.addr, "127.0.0.1:1234".parse().unwrap());
        assert_eq!(resolved.server.idle_threshold_seconds, 90);
        assert_eq!(resolved.rate, 7.5);
        assert_eq!(resolved.seed, 42);
        assert_eq!(resolved.server.data_dir, PathBuf::from("d"));
    }

    #[test]
    fn pipeline_flags_override_the_kafka_and_clickhouse_tables() {
        let file: FileConfig = toml::from_str(
            "[clickhouse]\nurl = \"http://ch:8123\"\ndatabase = \"lp\"\n[kafka]\nbrokers = \"k1:9092\"\ngroup_id = \"g\"\n[kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n",
        )
        .unwrap();
        let args = PipelineArgs {
            kafka_brokers: Some("k2:9092".into()),
            ..PipelineArgs::default()
        };
        let resolved = PipelineConfig::resolve(&args, &file);
        assert_eq!(resolved.clickhouse.url, "http://ch:8123");
        assert_eq!(resolved.clickhouse.database, "lp");
        assert_eq!(resolved.kafka.brokers, "k2:9092");
        assert_eq!(resolved.kafka.group_id, "g");
        assert_eq!(
            resolved
                .kafka
                .properties
                .get("security.protocol")
                .map(String::as_str),
            Some("SASL_SSL")
        );
        assert!(resolved.migrate);
    }

    #[test]
    fn insert_compression_comes_from_the_flag_the_file_or_auto() {
        let file: FileConfig = toml::from_str("[clickhouse]\ncompression = \"lz4\"\n").unwrap();
        let resolve = |args: &PipelineArgs, file: &FileConfig| {
            PipelineConfig::resolve(args, file).clickhouse.compression
        };
        assert_eq!(
            resolve(&PipelineArgs::default(), &file),
            InsertCompression::Lz4
        );
        let args = PipelineArgs {
            clickhouse_compression: Some(InsertCompression::None),
            ..PipelineArgs::default()
        };
        assert_eq!(resolve(&args, &file), InsertCompression::None);
        assert_eq!(
            resolve(&PipelineArgs::default(), &FileConfig::default()),
            InsertCompression::Auto
        );
        assert!(toml::from_str::<FileConfig>("[clickhouse]\ncompression = \"zstd\"\n").is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        assert!(toml::from_str::<FileConfig>("adress = \"x\"").is_err());
    }
}
