//! Between the engine's values and the table rows of [`crate::tables`].
//!
//! Counters map to Int64 columns one to one, except in the hour tables,
//! whose counters are one `Array(Int64)` in the order of
//! [`crate::tables::HOUR_COUNTERS`]. A quantile sketch maps to its zero
//! count (one of those counters) and two arrays (bucket indexes, counts), task-agreement
//! histograms to an `Array(Int64)` of 10, task states to postcard bytes,
//! project controls to JSON, enums to their wire names. Decoding never
//! panics: a value the server returns that does not fit is a
//! [`CodecError`] naming its table.

mod aggregates;
mod entities;
mod hours;
#[cfg(test)]
mod tests;

pub use aggregates::{table_of, totals_row, AggregateRows};
pub use entities::{index_kind_code, index_row, member_row, project_row, session_row, task_row};
pub use hours::{hour_counters, sketch_columns, sketch_from_columns};

use labelpulse_engine::Versioned;
use thiserror::Error;

/// A value that could not be encoded for, or decoded from, a table.
#[derive(Debug, Error)]
pub enum CodecError {
    /// JSON (controls, enum names, sketch layout) failed.
    #[error("table {table}: JSON: {source}")]
    Json {
        /// The table.
        table: &'static str,
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
    /// postcard (task states) failed.
    #[error("table {table}: postcard: {source}")]
    Postcard {
        /// The table.
        table: &'static str,
        /// postcard's error.
        #[source]
        source: postcard::Error,
    },
    /// Stored bytes hold a value followed by garbage.
    #[error("table {table}: {extra} trailing bytes after the value")]
    Trailing {
        /// The table.
        table: &'static str,
        /// Bytes left over.
        extra: usize,
    },
    /// An aggregate row whose kind does not match its key (an engine bug).
    #[error("aggregate row of the wrong kind for table {table}")]
    RowKind {
        /// The table of the key.
        table: &'static str,
    },
    /// A column holds a value outside its domain.
    #[error("table {table}, column {column}: {detail}")]
    Value {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong.
        detail: String,
    },
}

fn json<T>(table: &'static str, result: Result<T, serde_json::Error>) -> Result<T, CodecError> {
    result.map_err(|source| CodecError::Json { table, source })
}

fn versioned<T>(version: u64, value: T) -> Versioned<T> {
    Versioned { version, value }
}
