//! LabelPulse's ClickHouse store: versioned migrations, the engine's
//! [`Store`](labelpulse_engine::Store) ([`ClickHouseStore`]) and the query
//! side's [`ReadStore`](labelpulse_core::read::ReadStore) ([`ClickHouseReader`]).
//!
//! One job: keep LabelPulse's rows in ClickHouse and read them back. It never
//! depends on Kafka or HTTP serving: the engine hands it flushes, the query
//! service asks it for rows.
//!
//! Invariant: a flush is written in the engine's write phases
//! (`labelpulse_engine::store::WRITE_PHASES`: its mark in `flush_marks`;
//! aggregate tables, members, index and archive; then sessions and tasks;
//! then projects; then positions; one INSERT per table, the inserts of a
//! phase concurrent, a phase only after the previous one succeeded) with
//! absolute, versioned rows in `ReplacingMergeTree(version)` tables read
//! with `FINAL`, so retries, replays after a crash and duplicate writers
//! never double count; the marks above the durable positions
//! ([`Store::flush_marks`](labelpulse_engine::Store::flush_marks)) tell a
//! replay where a flush that failed half-way ended.
//!
//! Works against ClickHouse 18.16 (the server of this workplace) and current
//! versions (checked with chDB by `tests/chdb.rs`): see [`client`] for the
//! client settings that requires, `schemas/clickhouse/` for the DDL.
//!
//! ```no_run
//! # async fn example() -> Result<(), labelpulse_clickhouse::ClickHouseError> {
//! use labelpulse_clickhouse::{connect, ClickHouseConfig, ClickHouseReader, ClickHouseStore};
//! let ch = connect(&ClickHouseConfig::default()).await?;
//! ch.migrate().await?;
//! let reader = ClickHouseReader::new(ch.clone());
//! let store = ClickHouseStore::new(ch, tokio::runtime::Handle::current());
//! // move `store` to the engine's thread; serve `reader` from the API.
//! # let _ = (reader, store); Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod client;
pub mod codec;
pub mod error;
pub mod load;
pub mod metrics;
pub mod migrate;
pub mod migration_lock;
pub mod queries;
pub mod read;
pub mod retry;
pub mod store;
pub mod tables;
pub mod write;

pub use client::{connect, ClickHouse, ClickHouseConfig, InsertCompression, ServerVersion};
pub use codec::CodecError;
pub use error::{AttemptError, ClickHouseError};
pub use metrics::ClickHouseMetrics;
pub use migrate::{migrate, MigrationReport, MIGRATIONS};
pub use read::ClickHouseReader;
pub use retry::RetryPolicy;
pub use store::ClickHouseStore;
pub use write::{EncodedFlush, WriteStats};
