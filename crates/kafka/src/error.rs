//! What can go wrong in the Kafka adapter.

use labelpulse_core::DecodeError;
use rdkafka::error::KafkaError;
use thiserror::Error;

/// The event producer failed.
#[derive(Debug, Error)]
pub enum ProducerError {
    /// librdkafka refused a setting or a message, or the broker did not
    /// acknowledge one (after librdkafka's own retries).
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// An event of the batch does not decode, so it has no key; nothing of
    /// the batch was sent.
    #[error("event {index} of the batch does not decode: {source}")]
    Undecodable {
        /// Position in the batch.
        index: usize,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// The producer was dropped before the broker answered.
    #[error("delivery report lost: the producer was dropped")]
    Canceled,
}

/// The dead-letter producer failed to get an acknowledgement.
#[derive(Debug, Error)]
pub enum DeadLetterError {
    /// librdkafka refused the message, or the broker did not acknowledge it.
    #[error("dead-letter topic: {0}")]
    Kafka(#[from] KafkaError),
    /// The producer was dropped before the broker answered.
    #[error("dead-letter delivery report lost")]
    Canceled,
}

/// The ingestor stopped with an error.
#[derive(Debug, Error)]
pub enum IngestError {
    /// Creating, subscribing or running the consumer or a producer failed.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// The metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The store failed where no retry is possible (building the engine).
    #[error("store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The engine refused an order of sequences: a bug, never bad input.
    #[error("engine: {0}")]
    Engine(String),
    /// The ingestor thread could not be started.
    #[error("starting the ingestor thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The ingestor thread panicked.
    #[error("the ingestor thread panicked")]
    Panicked,
}
