//! The event producer against the real local broker: as the API's
//! `EventSink`, every event is acknowledged and keyed by `Event::key`.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use labelpulse_core::ingest::EventSink;
use labelpulse_kafka::{EventProducer, ProducerError};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message};

#[test]
fn sink_keys_by_project_or_member_and_refuses_undecodable_batches() {
    let (topic, dlq) = (fresh("events"), fresh("dlq"));
    let _topic = create_topic(&topic, 4);
    let config = config(&topic, &dlq, &fresh("group"));
    let producer = EventProducer::new(&config).expect("producer");
    let events = sim_events(2_000, 5);
    let runtime = runtime();

    let mut batch: Vec<Vec<u8>> = events
        .iter()
        .take(10)
        .map(|e| e.json.clone().into_bytes())
        .collect();
    batch.insert(3, b"{\"type\":".to_vec());
    match runtime.block_on(producer.ingest(batch)) {
        Err(ProducerError::Undecodable { index: 3, .. }) => {}
        other => panic!("expected the 4th event refused, got {other:?}"),
    }

    let batch: Vec<Vec<u8>> = events.iter().map(|e| e.json.clone().into_bytes()).collect();
    let receipt = runtime
        .block_on(producer.ingest(batch))
        .expect("acknowledged");
    assert_eq!(receipt.accepted, events.len());

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("group.id", fresh("reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&topic]).expect("subscribe");
    let mut by_payload: BTreeMap<Vec<u8>, (Vec<u8>, i32)> = BTreeMap::new();
    let mut read = 0;
    wait_until(Duration::from_secs(60), "every event read back", || {
        while let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            read += 1;
            by_payload.insert(
                message.payload().unwrap_or_default().to_vec(),
                (
                    message.key().unwrap_or_default().to_vec(),
                    message.partition(),
                ),
            );
        }
        read >= events.len()
    });
    assert_eq!(read, events.len(), "nothing of the refused batch was sent");
    let mut partition_of_key: BTreeMap<&str, i32> = BTreeMap::new();
    for event in &events {
        let (key, partition) = &by_payload[event.json.as_bytes()];
        assert_eq!(key, event.key.as_bytes(), "key = Event::key");
        let home = partition_of_key
            .entry(event.key.as_str())
            .or_insert(*partition);
        assert_eq!(home, partition, "one partition per key");
    }
}

/// With no broker answering, an HTTP ingest request fails once its
/// delivery timeout (`REQUEST_DELIVERY_TIMEOUT`, 30 s) is over, as a
/// Kafka error the API turns into a 503, instead of waiting for
/// librdkafka's default of 5 minutes. The 90 s bound only keeps a
/// regression from hanging the suite.
#[test]
fn a_request_fails_after_its_delivery_timeout_when_no_broker_answers() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut config = config(&fresh("events"), &fresh("dlq"), &fresh("group"));
    config.brokers = format!("127.0.0.1:{closed_port}");
    let producer = EventProducer::for_requests(&config).expect("producer");
    let events = sim_events(10, 5);
    let batch: Vec<Vec<u8>> = events.iter().map(|e| e.json.clone().into_bytes()).collect();

    let runtime = runtime();
    let started = std::time::Instant::now();
    let outcome = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(90), producer.ingest(batch)).await
    });
    let waited = started.elapsed();
    match outcome {
        Ok(Err(ProducerError::Kafka(error))) => {
            assert_eq!(
                error.rdkafka_error_code(),
                Some(rdkafka::types::RDKafkaErrorCode::MessageTimedOut),
                "{error}"
            );
        }
        Ok(other) => panic!("expected a delivery timeout, got {other:?}"),
        Err(_) => panic!("no answer within 90 s: the delivery wait is unbounded"),
    }
    assert!(
        waited >= labelpulse_kafka::REQUEST_DELIVERY_TIMEOUT,
        "failed before its timeout ({waited:?}): not a delivery timeout"
    );
}
