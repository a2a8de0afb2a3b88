//! Raw Kafka access for the end-to-end tests: producing to an explicit
//! partition and reading the dead-letter topic back.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

/// The local broker.
pub const BROKERS: &str = "127.0.0.1:9092";

/// A synchronous producer that reports where each message landed.
pub struct RawProducer {
    producer: ThreadedProducer<DefaultProducerContext>,
}

impl RawProducer {
    /// A producer with `acks=all`.
    pub fn new() -> Self {
        let producer = ClientConfig::new()
            .set("bootstrap.servers", BROKERS)
            .set("acks", "all")
            .set("message.max.bytes", "1000000")
            .create()
            .expect("producer");
        RawProducer { producer }
    }

    /// Sends to `partition` (or by key when `None`) and waits for all to be delivered.
    pub fn send(&self, topic: &str, partition: Option<i32>, key: &str, payload: &[u8]) {
        let mut record = BaseRecord::to(topic).key(key).payload(payload);
        if let Some(partition) = partition {
            record = record.partition(partition);
        }
        let mut record = Some(record);
        while let Some(pending) = record.take() {
            if let Err((error, back)) = self.producer.send(pending) {
                assert!(
                    matches!(
                        error.rdkafka_error_code(),
                        Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                    ),
                    "send: {error}"
                );
                std::thread::sleep(Duration::from_millis(10));
                record = Some(back);
            }
        }
    }

    /// Waits until every message sent is acknowledged.
    pub fn flush(&self) {
        self.producer.flush(Duration::from_secs(30)).expect("flush");
    }
}

/// One dead letter: payload and headers.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The original bytes.
    pub payload: Vec<u8>,
    /// Headers as text.
    pub headers: BTreeMap<String, String>,
}

/// Reads the one-partition dead-letter topic from the start until `count`
/// letters arrived (or 60 s), then a little longer to catch extra ones.
pub fn read_letters(topic: &str, count: usize) -> Vec<Letter> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("group.id", format!("dlq-reader-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("offset");
    consumer.assign(&list).expect("assign");
    let mut letters = Vec::new();
    let started = Instant::now();
    let mut extra_polls = 0;
    while started.elapsed() < Duration::from_secs(90) && extra_polls < 10 {
        if letters.len() >= count {
            extra_polls += 1;
        }
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            let headers = message
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|header| {
                            let value = String::from_utf8_lossy(header.value.unwrap_or_default())
                                .into_owned();
                            (header.key.to_string(), value)
                        })
                        .collect()
                })
                .unwrap_or_default();
            letters.push(Letter {
                payload: message.payload().unwrap_or_default().to_vec(),
                headers,
            });
        }
    }
    letters
}
