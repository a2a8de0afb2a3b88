//! LabelPulse's embedded mode: the engine's [`Store`](labelpulse_engine::Store) and the query
//! side's [`ReadStore`](labelpulse_core::read::ReadStore) over one redb file, and the node
//! ([`EmbeddedNode`]) that feeds batches of events through the engine on its own thread.
//!
//! It never depends on Kafka, ClickHouse or HTTP: events arrive as raw bytes over a channel.
//! Invariant: one redb write transaction (durable commit) per batch, and the local sequence
//! number (position + 1) as every row's version, so a kill -9 loses nothing acknowledged and
//! counts nothing twice: on restart the node continues from the committed position.

#![warn(missing_docs)]

pub mod codec;
pub mod error;
pub mod node;
pub mod read;
pub mod store;
pub mod tables;
mod write;

pub use codec::CodecError;
pub use error::{NodeError, StoreError};
pub use node::{BatchReceipt, EmbeddedNode, EmbeddedReader, NodeCounters, NodeSettings, Ticket};
pub use read::Snapshot;
pub use store::{EmbeddedStore, DB_FILE};
