//! Test helpers: the local ClickHouse server (started once per test binary
//! with `deploy/local/services up clickhouse` when `LABELPULSE_CLICKHOUSE_URL`
//! is not set), and a fresh database per test, dropped at the end.
#![allow(dead_code)]

pub mod flush;
pub mod stream;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use clickhouse::sql::Identifier;
use labelpulse_clickhouse::{
    connect, ClickHouse, ClickHouseConfig, ClickHouseReader, ClickHouseStore, InsertCompression,
};
use tokio::runtime::Runtime;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The server's HTTP URL; starts the local server the first time (per test
/// binary) unless `LABELPULSE_CLICKHOUSE_URL` names one.
pub fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("LABELPULSE_CLICKHOUSE_URL") {
            return url;
        }
        let script = repo_root().join("deploy/local/services");
        let output = Command::new("bash")
            .arg(&script)
            .args(["up", "clickhouse"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "`deploy/local/services up clickhouse` failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let port = std::env::var("LABELPULSE_CH_HTTP_PORT").unwrap_or_else(|_| "8123".into());
        format!("http://127.0.0.1:{port}")
    })
    .clone()
}

/// A multi-thread runtime, as the store needs.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A configuration for database `database` of the test server, with short
/// timeouts and retry budgets.
pub fn config(database: &str) -> ClickHouseConfig {
    ClickHouseConfig {
        url: server_url(),
        database: database.to_string(),
        retry_budget: Duration::from_secs(20),
        read_retry_budget: Duration::from_secs(5),
        ..ClickHouseConfig::default()
    }
}

/// A database of its own for one test: created (and migrated unless asked
/// not to) on construction, dropped on drop.
pub struct TestDb {
    /// The runtime the store and the reader run on.
    pub runtime: Runtime,
    /// The clients.
    pub ch: ClickHouse,
    /// The database's name.
    pub name: String,
}

impl TestDb {
    /// A fresh, migrated database.
    pub fn new(tag: &str) -> Self {
        Self::with_compression(tag, InsertCompression::default())
    }

    /// A fresh, migrated database whose store compresses its inserts as
    /// `compression` says (by default the test server, on this host, gets
    /// them plain).
    pub fn with_compression(tag: &str, compression: InsertCompression) -> Self {
        let db = Self::unmigrated_with(tag, compression);
        db.runtime
            .block_on(db.ch.migrate())
            .expect("migrations apply");
        db
    }

    /// A fresh database name, not created yet.
    pub fn unmigrated(tag: &str) -> Self {
        Self::unmigrated_with(tag, InsertCompression::default())
    }

    fn unmigrated_with(tag: &str, compression: InsertCompression) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "lp_test_{tag}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let runtime = runtime();
        let config = ClickHouseConfig {
            compression,
            ..config(&name)
        };
        let ch = runtime
            .block_on(connect(&config))
            .expect("the test server answers");
        let db = TestDb { runtime, ch, name };
        db.drop_database();
        db
    }

    fn drop_database(&self) {
        let admin = self.ch.admin.clone().with_database("system");
        let name = self.name.clone();
        let _ = self.runtime.block_on(
            admin
                .query("DROP DATABASE IF EXISTS ?")
                .bind(Identifier(&name))
                .execute(),
        );
    }

    /// A store over this database (call it from the test thread, not from
    /// inside the runtime).
    pub fn store(&self) -> ClickHouseStore {
        ClickHouseStore::new(self.ch.clone(), self.runtime.handle().clone())
    }

    /// A reader over this database.
    pub fn reader(&self) -> ClickHouseReader {
        ClickHouseReader::new(self.ch.clone())
    }

    /// Runs one statement (test set-up and inspection only).
    pub fn execute(&self, sql: &str) {
        self.runtime
            .block_on(self.ch.read.query(sql).execute())
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A single `UInt64` answer.
    pub fn count(&self, sql: &str) -> u64 {
        self.runtime
            .block_on(self.ch.read.query(sql).fetch_one::<u64>())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::env::var_os("LABELPULSE_KEEP_TEST_DB").is_none() {
            self.drop_database();
        }
    }
}
