//! The write side as the HTTP ingest sees it: somewhere that takes valid
//! events and answers only once they are durable (applied in embedded mode,
//! acknowledged by the broker in Kafka mode).

use std::future::Future;

/// What a sink did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReceipt {
    /// Events durably accepted.
    pub accepted: usize,
}

/// Takes raw, already validated events (one JSON object each).
pub trait EventSink: Send + Sync + 'static {
    /// The sink's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Makes the events durable, in order, then returns.
    fn ingest(
        &self,
        events: Vec<Vec<u8>>,
    ) -> impl Future<Output = Result<IngestReceipt, Self::Error>> + Send;
}
