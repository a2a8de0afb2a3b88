//! The event producer: writes valid events to the events topic, keyed by
//! [`Event::key`](labelpulse_core::Event::key) (`project_id`, or `member_id`
//! for `member.upserted`), so every event of a project lands in one
//! partition. Used by `labelpulse simulate --kafka` and by
//! `labelpulse serve --ingest-to-kafka` (as the API's
//! [`EventSink`]).

use std::collections::VecDeque;
use std::time::Duration;

use labelpulse_core::ingest::{EventSink, IngestReceipt};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};

use crate::config::KafkaConfig;
use crate::error::ProducerError;

/// How long HTTP ingest waits for the broker's acknowledgement of an event
/// ([`EventProducer::for_requests`]).
pub const REQUEST_DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the broker stored a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delivered {
    /// Partition.
    pub partition: i32,
    /// Offset in the partition.
    pub offset: i64,
}

/// Produces events with `acks=all` and idempotence: a batch returns only
/// once the broker acknowledged every message of it, and retries never
/// duplicate or reorder messages of a partition.
#[derive(Clone)]
pub struct EventProducer {
    producer: FutureProducer,
    topic: String,
}

impl std::fmt::Debug for EventProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventProducer")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl EventProducer {
    /// A producer for `config.topic` with [`KafkaConfig::producer_config`].
    pub fn new(config: &KafkaConfig) -> Result<Self, ProducerError> {
        Ok(EventProducer {
            producer: config.producer_config().create()?,
            topic: config.topic.clone(),
        })
    }

    /// A producer for HTTP ingest (`labelpulse serve --ingest-to-kafka`):
    /// like [`EventProducer::new`], but a message not acknowledged within
    /// [`REQUEST_DELIVERY_TIMEOUT`] fails, so a request made while the
    /// brokers are away gets its 503 in that time instead of after
    /// librdkafka's default 5 minutes (`message.timeout.ms` in
    /// `properties` overrides it). A failed request may still have
    /// reached the topic (an acknowledgement lost on the way back); the
    /// client's retry is then a duplicate, which the engine's version
    /// fence ignores.
    pub fn for_requests(config: &KafkaConfig) -> Result<Self, ProducerError> {
        Ok(EventProducer {
            producer: config
                .producer_config_within(REQUEST_DELIVERY_TIMEOUT)
                .create()?,
            topic: config.topic.clone(),
        })
    }

    /// The topic it writes to.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Sends raw events (one JSON object each), keyed by decoding each one,
    /// and returns once every one is acknowledged, with where each went, in
    /// order. An event that does not decode fails the whole batch before
    /// anything is sent.
    pub async fn send_batch(&self, events: Vec<Vec<u8>>) -> Result<Vec<Delivered>, ProducerError> {
        let mut keyed = Vec::with_capacity(events.len());
        for (index, raw) in events.into_iter().enumerate() {
            let key = labelpulse_core::decode(&raw)
                .map_err(|source| ProducerError::Undecodable { index, source })?
                .key()
                .to_string();
            keyed.push((key, raw));
        }
        self.send_keyed(keyed).await
    }

    /// Sends `(key, payload)` pairs whose key is already known (the
    /// simulator's `SimEvent::key`)
    /// and returns once every one is acknowledged, in order.
    pub async fn send_keyed<K, P>(
        &self,
        records: Vec<(K, P)>,
    ) -> Result<Vec<Delivered>, ProducerError>
    where
        K: AsRef<[u8]>,
        P: AsRef<[u8]>,
    {
        let mut in_flight: VecDeque<DeliveryFuture> = VecDeque::new();
        let mut delivered = Vec::with_capacity(records.len());
        for (key, payload) in &records {
            loop {
                let record = FutureRecord::<[u8], [u8]>::to(&self.topic)
                    .key(key.as_ref())
                    .payload(payload.as_ref());
                match self.producer.send_result(record) {
                    Ok(future) => {
                        in_flight.push_back(future);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        match in_flight.pop_front() {
                            Some(oldest) => delivered.push(acknowledged(oldest).await?),
                            None => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    }
                    Err((error, _)) => return Err(ProducerError::Kafka(error)),
                }
            }
        }
        while let Some(future) = in_flight.pop_front() {
            delivered.push(acknowledged(future).await?);
        }
        Ok(delivered)
    }

    /// Waits until librdkafka's queue is empty (every message acknowledged
    /// or failed), at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), ProducerError> {
        self.producer.flush(timeout).map_err(ProducerError::Kafka)
    }
}

async fn acknowledged(future: DeliveryFuture) -> Result<Delivered, ProducerError> {
    match future.await {
        Ok(Ok(delivery)) => Ok(Delivered {
            partition: delivery.partition,
            offset: delivery.offset,
        }),
        Ok(Err((error, _))) => Err(ProducerError::Kafka(error)),
        Err(_) => Err(ProducerError::Canceled),
    }
}

impl EventSink for EventProducer {
    type Error = ProducerError;

    /// Durable means acknowledged by the broker (`acks=all`).
    async fn ingest(&self, events: Vec<Vec<u8>>) -> Result<IngestReceipt, Self::Error> {
        let delivered = self.send_batch(events).await?;
        Ok(IngestReceipt {
            accepted: delivered.len(),
        })
    }
}
