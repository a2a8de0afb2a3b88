//! Client construction, in one place: [`connect`] probes the server and
//! builds the write and read clients this server needs.
//!
//! Facts behind it (DESIGN.md §6, measured on 18.16.1): schema validation
//! must be off (it asks for a setting 18.16 does not know, and
//! `RowBinaryWithNamesAndTypes`); inserts may use LZ4 (by default to a
//! remote server only: [`InsertCompression`]); reads must not ask for
//! compression (18.16 answers `?compress=1` with an empty body, which the
//! client reads as zero rows); the database goes in `.with_database(..)`,
//! never in a `db.table` name.

use std::time::Duration;

use clickhouse::{Client, Compression};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;

use crate::error::ClickHouseError;
use crate::metrics::{ClickHouseMetrics, Request};
use crate::migrate::{self, MigrationReport};
use crate::queries;
use crate::retry::RetryPolicy;

/// Where and how to reach ClickHouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickHouseConfig {
    /// HTTP endpoint, e.g. `http://127.0.0.1:8123`.
    pub url: String,
    /// Database holding LabelPulse's tables (letters, digits, `_`).
    pub database: String,
    /// User.
    pub user: String,
    /// Password (empty for none).
    pub password: String,
    /// Timeout of one query attempt (loads and reads).
    pub query_timeout: Duration,
    /// Timeout of one INSERT attempt.
    pub insert_timeout: Duration,
    /// Total time the store keeps retrying a transient failure of a flush's
    /// insert or of an engine load before it returns
    /// [`ClickHouseError::Unavailable`]; also bounds the probe in [`connect`].
    pub retry_budget: Duration,
    /// The same for dashboard reads (kept short: a person is waiting).
    pub read_retry_budget: Duration,
    /// First backoff between attempts (doubled up to `max_backoff`, jittered).
    pub initial_backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
    /// How a flush's inserts are compressed on the wire.
    pub compression: InsertCompression,
    /// Extra settings sent with every INSERT, e.g. `insert_distributed_sync`
    /// = `1` for the cluster layout (so a flush's inserts land in order).
    pub insert_settings: Vec<(String, String)>,
}

impl Default for ClickHouseConfig {
    /// The local server of `deploy/local/services`, database `labelpulse`.
    fn default() -> Self {
        ClickHouseConfig {
            url: "http://127.0.0.1:8123".into(),
            database: "labelpulse".into(),
            user: "default".into(),
            password: String::new(),
            query_timeout: Duration::from_secs(30),
            insert_timeout: Duration::from_secs(60),
            retry_budget: Duration::from_secs(60),
            read_retry_budget: Duration::from_secs(2),
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            compression: InsertCompression::Auto,
            insert_settings: Vec::new(),
        }
    }
}

/// How a flush's inserts travel to the server: LZ4-compressed blocks or
/// plain RowBinary. Compression saves bandwidth to a remote server; to one
/// on the same host it only costs CPU on both sides (measured in
/// PERFORMANCE.md, "Inserts without compression to a server on the same
/// host").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InsertCompression {
    /// LZ4, unless the URL's host is a loopback address or `localhost`.
    #[default]
    Auto,
    /// Always LZ4.
    Lz4,
    /// Never.
    None,
}

impl InsertCompression {
    /// The compression of inserts to the server at `url`.
    pub fn for_url(self, url: &str) -> Compression {
        match self {
            InsertCompression::Lz4 => Compression::Lz4,
            InsertCompression::None => Compression::None,
            InsertCompression::Auto if is_loopback(url) => Compression::None,
            InsertCompression::Auto => Compression::Lz4,
        }
    }
}

impl std::str::FromStr for InsertCompression {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(InsertCompression::Auto),
            "lz4" => Ok(InsertCompression::Lz4),
            "none" => Ok(InsertCompression::None),
            other => Err(format!("unknown compression `{other}` (auto, lz4 or none)")),
        }
    }
}

/// Whether `url` names this host: `localhost` or a loopback address
/// (`127.0.0.0/8`, `::1`). An unparsable URL is not (the connection will
/// say what is wrong with it).
fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl ClickHouseConfig {
    /// How `request` is retried (budget, attempt timeout, backoff), not
    /// counted: [`ClickHouse::policy`] adds the counters.
    pub fn policy(&self, request: Request) -> RetryPolicy {
        let (budget, attempt_timeout) = match request {
            Request::Insert => (self.retry_budget, self.insert_timeout),
            Request::Load => (self.retry_budget, self.query_timeout),
            Request::Read => (self.read_retry_budget, self.query_timeout),
        };
        RetryPolicy {
            budget,
            attempt_timeout,
            initial_backoff: self.initial_backoff,
            max_backoff: self.max_backoff,
            counters: None,
        }
    }
}

/// A server version, as `SELECT version()` reports it (`18.16.1`, `26.9.2.1`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
    /// The text reported.
    pub text: String,
}

impl ServerVersion {
    /// Parses `major.minor[.patch[...]]`.
    pub fn parse(text: &str) -> Option<ServerVersion> {
        let text = text.trim();
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().unwrap_or(Some(0))?;
        Some(ServerVersion {
            major,
            minor,
            patch,
            text: text.to_string(),
        })
    }

    /// True when the server is at least `major.minor`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// `insert_deduplication_token` exists (22.2 on): an optional extra on
    /// top of versioned rows, never required.
    pub fn has_insert_deduplication_token(&self) -> bool {
        self.at_least(22, 2)
    }
}

/// The clients of one server and database, built by [`connect`]. Cheap to
/// clone (clients share one HTTP pool).
#[derive(Clone)]
pub struct ClickHouse {
    /// Validation off, LZ4: for inserts.
    pub write: Client,
    /// Validation off, no compression: for every SELECT.
    pub read: Client,
    /// Like `read`, without a database: for `CREATE DATABASE` and migrations.
    pub admin: Client,
    /// What the probe found.
    pub version: ServerVersion,
    /// The configuration used.
    pub config: ClickHouseConfig,
    /// Where requests' retries and failures are counted.
    pub metrics: ClickHouseMetrics,
}

impl std::fmt::Debug for ClickHouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouse")
            .field("url", &self.config.url)
            .field("database", &self.config.database)
            .field("version", &self.version.text)
            .finish_non_exhaustive()
    }
}

impl ClickHouse {
    /// These clients, counting their requests in `metrics` (registered by
    /// the binary) instead of unregistered counters.
    pub fn with_metrics(self, metrics: ClickHouseMetrics) -> Self {
        ClickHouse { metrics, ..self }
    }

    /// How `request` is retried ([`ClickHouseConfig::policy`]), counted in
    /// [`ClickHouse::metrics`].
    pub fn policy(&self, request: Request) -> RetryPolicy {
        RetryPolicy {
            counters: Some(self.metrics.of(request)),
            ..self.config.policy(request)
        }
    }

    /// Applies the migrations the database lacks (creating it if needed).
    pub async fn migrate(&self) -> Result<MigrationReport, ClickHouseError> {
        migrate::migrate_with(
            &self.admin,
            &self.config.database,
            migrate::MIGRATIONS,
            &self.policy(Request::Load),
        )
        .await
    }
}

/// The HTTP transport: TCP_NODELAY (without it every INSERT waits about
/// 40 ms for a delayed ACK before its last chunk goes out: measured 45 ms
/// per insert against 18.16, 4 ms with it), a connect timeout, keep-alive,
/// and idle connections closed before the server's 3 s keep-alive timeout.
fn http_client(config: &ClickHouseConfig) -> Client {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_keepalive(Some(Duration::from_secs(60)));
    connector.set_connect_timeout(Some(config.query_timeout.min(Duration::from_secs(10))));
    Client::with_http_client(
        HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(2))
            .build(connector),
    )
}

/// Probes the server (`SELECT version()`, compression off, retried within
/// the retry budget) and builds the clients. The database need not exist yet
/// ([`ClickHouse::migrate`] creates it).
pub async fn connect(config: &ClickHouseConfig) -> Result<ClickHouse, ClickHouseError> {
    if !migrate::valid_database(&config.database) {
        return Err(ClickHouseError::DatabaseName(config.database.clone()));
    }
    let mut base = http_client(config)
        .with_url(&config.url)
        .with_user(&config.user)
        .with_validation(false);
    if !config.password.is_empty() {
        base = base.with_password(&config.password);
    }
    let admin = base.clone().with_compression(Compression::None);
    let text: String = config
        .policy(Request::Load)
        .run("probe SELECT version()", || {
            admin.query(queries::SERVER_VERSION).fetch_one::<String>()
        })
        .await?;
    let version = ServerVersion::parse(&text).ok_or(ClickHouseError::ServerVersion(text))?;
    tracing::info!(url = %config.url, version = %version.text, "connected to ClickHouse");
    let mut write = base
        .clone()
        .with_database(&config.database)
        .with_compression(config.compression.for_url(&config.url));
    for (name, value) in &config.insert_settings {
        write = write.with_setting(name, value);
    }
    Ok(ClickHouse {
        write,
        read: admin.clone().with_database(&config.database),
        admin,
        version,
        config: config.clone(),
        metrics: ClickHouseMetrics::unregistered(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_compression_is_off_for_this_host_only() {
        let auto = InsertCompression::Auto;
        for local in [
            "http://127.0.0.1:8123",
            "http://127.0.0.2:8123/",
            "http://localhost:8123",
            "http://LOCALHOST",
            "http://[::1]:8123",
        ] {
            assert!(
                matches!(auto.for_url(local), Compression::None),
                "{local} is this host"
            );
        }
        for remote in [
            "http://10.0.0.5:8123",
            "https://clickhouse.example.com:8443",
            "http://[2001:db8::1]:8123",
            "http://localhost.example.com",
            "not a url",
        ] {
            assert!(
                matches!(auto.for_url(remote), Compression::Lz4),
                "{remote} is not this host"
            );
        }
        assert!(matches!(
            InsertCompression::Lz4.for_url("http://127.0.0.1:8123"),
            Compression::Lz4
        ));
        assert!(matches!(
            InsertCompression::None.for_url("http://10.0.0.5:8123"),
            Compression::None
        ));
    }

    #[test]
    fn compression_names_parse() {
        assert_eq!("auto".parse(), Ok(InsertCompression::Auto));
        assert_eq!("lz4".parse(), Ok(InsertCompression::Lz4));
        assert_eq!("none".parse(), Ok(InsertCompression::None));
        assert!("zstd".parse::<InsertCompression>().is_err());
    }

    #[test]
    fn versions_parse_and_compare() {
        let old = ServerVersion::parse("18.16.1").unwrap();
        let new = ServerVersion::parse("26.9.2.1\n").unwrap();
        assert_eq!((old.major, old.minor, old.patch), (18, 16, 1));
        assert_eq!(new.text, "26.9.2.1");
        assert!(old < new);
        assert!(!old.has_insert_deduplication_token());
        assert!(new.has_insert_deduplication_token());
        assert!(ServerVersion::parse("x.1").is_none());
        assert!(ServerVersion::parse("21").is_none());
    }
}
