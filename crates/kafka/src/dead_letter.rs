//! The dead-letter producer: refused messages go, byte for byte, to the
//! dead-letter topic with headers that say why and where they came from.
//!
//! Headers: `labelpulse.reason` (a [`DecodeError::kind`], `misrouted` or
//! `oversized`), `labelpulse.detail` (the error text),
//! `labelpulse.source.topic`, `labelpulse.source.partition` and
//! `labelpulse.source.offset` (decimal text). The original key is kept.
//!
//! The ingestor commits a refused message's offset only after
//! [`DeadLetterProducer::wait_all`] saw its acknowledgement, so a dead letter
//! is never lost; after a crash it may be sent twice (at least once).
//!
//! [`DecodeError::kind`]: labelpulse_core::DecodeError::kind

use std::collections::VecDeque;
use std::time::Duration;

use prometheus::IntCounterVec;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};

use crate::config::KafkaConfig;
use crate::error::DeadLetterError;
use crate::metrics::IngestMetrics;
use crate::wait::block_on;

/// Header names of a dead letter.
pub mod headers {
    /// Why: a decode error kind, `misrouted` or `oversized`.
    pub const REASON: &str = "labelpulse.reason";
    /// The error text.
    pub const DETAIL: &str = "labelpulse.detail";
    /// Topic the message was read from.
    pub const SOURCE_TOPIC: &str = "labelpulse.source.topic";
    /// Partition it was read from (decimal).
    pub const SOURCE_PARTITION: &str = "labelpulse.source.partition";
    /// Its offset there (decimal).
    pub const SOURCE_OFFSET: &str = "labelpulse.source.offset";
}

/// One refused message.
#[derive(Debug, Clone, Copy)]
pub struct DeadLetter<'a> {
    /// The original bytes.
    pub payload: &'a [u8],
    /// The original key.
    pub key: Option<&'a [u8]>,
    /// Bounded reason label (metrics and header).
    pub reason: &'static str,
    /// Human-readable error text.
    pub detail: &'a str,
    /// Where it was read from.
    pub source_topic: &'a str,
    /// Its partition.
    pub source_partition: i32,
    /// Its offset.
    pub source_offset: i64,
}

/// A dead letter kept until acknowledged, so it can be sent again.
struct OwnedLetter {
    payload: Vec<u8>,
    key: Option<Vec<u8>>,
    reason: &'static str,
    detail: String,
    source_topic: String,
    source_partition: i32,
    source_offset: i64,
}

impl OwnedLetter {
    fn new(letter: &DeadLetter<'_>) -> Self {
        OwnedLetter {
            payload: letter.payload.to_vec(),
            key: letter.key.map(<[u8]>::to_vec),
            reason: letter.reason,
            detail: letter.detail.to_string(),
            source_topic: letter.source_topic.to_string(),
            source_partition: letter.source_partition,
            source_offset: letter.source_offset,
        }
    }

    fn headers(&self) -> OwnedHeaders {
        let partition = self.source_partition.to_string();
        let offset = self.source_offset.to_string();
        OwnedHeaders::new_with_capacity(5)
            .insert(Header {
                key: headers::REASON,
                value: Some(self.reason),
            })
            .insert(Header {
                key: headers::DETAIL,
                value: Some(self.detail.as_str()),
            })
            .insert(Header {
                key: headers::SOURCE_TOPIC,
                value: Some(self.source_topic.as_str()),
            })
            .insert(Header {
                key: headers::SOURCE_PARTITION,
                value: Some(partition.as_str()),
            })
            .insert(Header {
                key: headers::SOURCE_OFFSET,
                value: Some(offset.as_str()),
            })
    }
}

/// Sends refused messages to the dead-letter topic and tracks their
/// acknowledgements. Blocking: it waits on the calling thread, so use it
/// from a plain thread (the ingestor's), never from an async worker.
pub struct DeadLetterProducer {
    producer: FutureProducer,
    topic: String,
    counter: IntCounterVec,
    in_flight: VecDeque<(OwnedLetter, DeliveryFuture)>,
    failed: Vec<OwnedLetter>,
}

impl std::fmt::Debug for DeadLetterProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetterProducer")
            .field("topic", &self.topic)
            .field("in_flight", &self.in_flight.len())
            .field("failed", &self.failed.len())
            .finish()
    }
}

impl DeadLetterProducer {
    /// A producer for `config.dlq_topic` (`acks=all`, idempotent; a message
    /// not acknowledged within 30 s fails, so a dead-letter outage pauses
    /// ingestion instead of blocking it for librdkafka's default 5 minutes;
    /// `message.timeout.ms` in `properties` overrides it). Acknowledged
    /// letters are counted in `labelpulse_dead_letter_total{reason}`.
    pub fn new(config: &KafkaConfig, metrics: &IngestMetrics) -> Result<Self, KafkaError> {
        Ok(DeadLetterProducer {
            producer: config
                .producer_config_within(Duration::from_secs(30))
                .create()?,
            topic: config.dlq_topic.clone(),
            counter: metrics.dead_letters.clone(),
            in_flight: VecDeque::new(),
            failed: Vec::new(),
        })
    }

    /// The dead-letter topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Letters sent or to be sent again, not yet acknowledged.
    pub fn pending(&self) -> usize {
        self.in_flight.len() + self.failed.len()
    }

    /// Queues `letter` for sending without waiting for its acknowledgement
    /// (when librdkafka's queue is full, waits for the oldest letter first).
    /// A letter librdkafka refuses is kept and sent again by the next
    /// [`wait_all`](Self::wait_all).
    pub fn enqueue(&mut self, letter: &DeadLetter<'_>) -> Result<(), DeadLetterError> {
        self.send(OwnedLetter::new(letter))
    }

    fn send(&mut self, letter: OwnedLetter) -> Result<(), DeadLetterError> {
        loop {
            let record = FutureRecord {
                topic: &self.topic,
                partition: None,
                payload: Some(&letter.payload),
                key: letter.key.as_ref(),
                timestamp: None,
                headers: Some(letter.headers()),
            };
            match self.producer.send_result(record) {
                Ok(future) => {
                    self.in_flight.push_back((letter, future));
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                    if !self.in_flight.is_empty() =>
                {
                    self.wait_oldest();
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err((error, _)) => {
                    self.failed.push(letter);
                    return Err(DeadLetterError::Kafka(error));
                }
            }
        }
    }

    /// Waits for the oldest in-flight letter; a failed one is kept to be sent again.
    fn wait_oldest(&mut self) -> Option<DeadLetterError> {
        let (letter, future) = self.in_flight.pop_front()?;
        match block_on(future) {
            Ok(Ok(_)) => {
                self.counter.with_label_values(&[letter.reason]).inc();
                None
            }
            Ok(Err((error, _))) => {
                self.failed.push(letter);
                Some(DeadLetterError::Kafka(error))
            }
            Err(_) => {
                self.failed.push(letter);
                Some(DeadLetterError::Canceled)
            }
        }
    }

    /// Sends again the letters that failed before, then waits until every
    /// letter is acknowledged. Returns the number acknowledged; on an error
    /// the failed letters are kept for the next call.
    pub fn wait_all(&mut self) -> Result<usize, DeadLetterError> {
        let mut first_error = None;
        for letter in std::mem::take(&mut self.failed) {
            if let Err(error) = self.send(letter) {
                first_error.get_or_insert(error);
            }
        }
        let mut acknowledged = 0;
        while !self.in_flight.is_empty() {
            match self.wait_oldest() {
                None => acknowledged += 1,
                Some(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            None => Ok(acknowledged),
            Some(error) => Err(error),
        }
    }
}
