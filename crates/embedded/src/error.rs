//! Errors of the store and of the node.

use std::sync::Arc;

use labelpulse_engine::EngineError;
use thiserror::Error;

use crate::codec::CodecError;

/// A failure of the redb store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("data directory {path}: {source}")]
    Io {
        /// The directory.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// redb failed (open, transaction, table, storage or commit); boxed,
    /// as redb's error is large.
    #[error("redb: {0}")]
    Redb(#[source] Box<redb::Error>),
    /// A stored value could not be decoded (or a row encoded).
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The file was written by an incompatible version of this crate.
    #[error("unsupported store format {found} (this build reads format {expected})")]
    Format {
        /// The format found in the file.
        found: u32,
        /// The format this build supports.
        expected: u32,
    },
    /// A stored key is not valid (e.g. an unknown index kind).
    #[error("invalid key in table {table}")]
    BadKey {
        /// The table.
        table: &'static str,
    },
    /// Tables that must agree do not (e.g. the two member-hour orders).
    #[error("inconsistent store: {0}")]
    Inconsistent(&'static str),
    /// The blocking read task panicked or was cancelled.
    #[error("read task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

macro_rules! from_redb {
    ($($error:ty),*) => {
        $(impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                StoreError::Redb(Box::new(error.into()))
            }
        })*
    };
}

from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A failure of the embedded node.
#[derive(Debug, Error, Clone)]
pub enum NodeError {
    /// Opening the store or starting the engine failed.
    #[error("opening the embedded node: {0}")]
    Open(#[source] Arc<EngineError<StoreError>>),
    /// Applying or committing a batch failed; nothing of it is durable
    /// unless a project-settings barrier committed a prefix (the position
    /// says how far), and the node continues from the durable state.
    #[error("batch failed: {0}")]
    Batch(#[source] Arc<EngineError<StoreError>>),
    /// The engine thread could not be started.
    #[error("starting the engine thread: {0}")]
    Spawn(#[source] Arc<std::io::Error>),
    /// The node has stopped (shut down, or its thread is gone).
    #[error("the embedded node has stopped")]
    Stopped,
    /// The node's thread panicked.
    #[error("the embedded node's thread panicked")]
    Panicked,
}
