//! LabelPulse's Kafka adapter. Its one job: move events between Kafka and
//! the engine. The [`Ingestor`] is a consumer-group member that decodes the
//! events topic, routes refused messages to the dead-letter topic
//! ([`DeadLetterProducer`]), applies the rest with the engine over any
//! [`Store`](labelpulse_engine::Store), flushes and commits; the
//! [`EventProducer`] writes events to the topic (the simulator and the HTTP
//! ingest in Kafka mode).
//!
//! It depends on `core` and `engine` only: never on ClickHouse, HTTP or the
//! binary; the store is a type parameter.
//!
//! Invariant: an offset is committed only after the flush that covers it is
//! durable in the store (and the dead letters up to it are acknowledged).
//! After a crash anywhere, the group resumes from the last commit and the
//! engine's version fencing skips what the store already holds, so every
//! event's effect is applied exactly once.
//!
//! Modules: [`config`] (settings), [`producer`] (events out),
//! [`dead_letter`] (refused messages out), `source` (the consumer and its
//! rebalance callbacks), `admit` (size, decoding, home partition: what the
//! engine may see), `pipeline` (apply, flush, commit, in that order),
//! [`ingestor`] (the thread, backpressure, shutdown), [`metrics`].

#![warn(missing_docs)]

pub mod config;
pub mod dead_letter;
pub mod error;
pub mod ingestor;
pub mod metrics;
pub mod producer;

mod admit;
mod batch;
mod commits;
mod pipeline;
mod routing;
mod source;
mod wait;

pub use config::KafkaConfig;
pub use dead_letter::{DeadLetter, DeadLetterProducer};
pub use error::{DeadLetterError, IngestError, ProducerError};
pub use ingestor::{Ingestor, IngestorExit, IngestorHandle, IngestorOptions};
pub use metrics::{IngestMetrics, IngestStats};
pub use pipeline::Progress;
pub use producer::{Delivered, EventProducer, REQUEST_DELIVERY_TIMEOUT};
