//! The Kafka source: a `BaseConsumer` in the ingestors' consumer group
//! (manual commits), the context that hands rebalances to the pipeline on
//! the polling thread, consumer-lag gauges from librdkafka statistics, and
//! a bounded close.
//!
//! Rebalance callbacks run inside `poll`, on the ingestor's own thread, so
//! a revoke finishes the in-flight flush and commits (with the consumer the
//! callback is given) before librdkafka gives the partitions away.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use labelpulse_engine::Store;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, TopicPartitionList};
use tracing::{debug, error, info, warn};

use crate::config::KafkaConfig;
use crate::metrics::IngestMetrics;
use crate::pipeline::{lock, Pipeline};

/// Where the pipeline lives while the ingestor runs: shared between the
/// polling loop and the rebalance callbacks (both on the ingestor thread),
/// emptied at the end so callbacks during the consumer's close do nothing.
pub(crate) type PipelineSlot<S> = Arc<Mutex<Option<Pipeline<S>>>>;

/// The consumer's context.
pub(crate) struct IngestContext<S: Store> {
    pipeline: PipelineSlot<S>,
    metrics: IngestMetrics,
    topic: String,
}

/// The ingestor's consumer.
pub(crate) type IngestConsumer<S> = BaseConsumer<IngestContext<S>>;

impl<S: Store + Send + 'static> ClientContext for IngestContext<S> {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => error!(target: "librdkafka", facility, "{message}"),
            // MAXPOLL: the consumer left the group for polling too rarely
            // (rust-rdkafka #433: only a log line, never an error).
            _ if facility == "MAXPOLL" => error!(target: "librdkafka", facility, "{message}"),
            RDKafkaLogLevel::Warning => warn!(target: "librdkafka", facility, "{message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                info!(target: "librdkafka", facility, "{message}")
            }
            RDKafkaLogLevel::Debug => debug!(target: "librdkafka", facility, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.metrics.count_kafka_error(&error);
        warn!(target: "librdkafka", %error, reason, "client error");
    }

    fn stats(&self, statistics: Statistics) {
        self.metrics.brokers_up.set(connected_brokers(&statistics));
        let Some(topic) = statistics.topics.get(&self.topic) else {
            return;
        };
        for (partition, stats) in &topic.partitions {
            if *partition < 0 {
                continue;
            }
            let label = partition.to_string();
            if stats.consumer_lag >= 0 {
                self.metrics
                    .consumer_lag
                    .with_label_values(&[&label])
                    .set(stats.consumer_lag);
            }
        }
    }
}

impl<S: Store + Send + 'static> ConsumerContext for IngestContext<S> {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let partitions = partitions_of(list, &self.topic);
            if let Some(pipeline) = lock(&self.pipeline).as_mut() {
                pipeline.on_revoke(consumer, &partitions);
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let partitions = partitions_of(list, &self.topic);
                if let Some(pipeline) = lock(&self.pipeline).as_mut() {
                    pipeline.on_assign(consumer, &partitions);
                }
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(error) => warn!(%error, "rebalance error"),
        }
    }
}

/// Brokers of the cluster (a node id: not a bootstrap address nor
/// librdkafka's internal broker) with an open connection (`UP`).
fn connected_brokers(statistics: &Statistics) -> i64 {
    let up = statistics
        .brokers
        .values()
        .filter(|broker| broker.nodeid >= 0 && broker.state == "UP")
        .count();
    i64::try_from(up).unwrap_or(i64::MAX)
}

fn partitions_of(list: &TopicPartitionList, topic: &str) -> Vec<i32> {
    list.elements_for_topic(topic)
        .iter()
        .map(|element| element.partition())
        .collect()
}

/// Creates the consumer (with [`KafkaConfig::consumer_config`]) and
/// subscribes it to the events topic. Nothing is assigned before the
/// first `poll`.
pub(crate) fn subscribe<S: Store + Send + 'static>(
    config: &KafkaConfig,
    pipeline: PipelineSlot<S>,
    metrics: IngestMetrics,
) -> Result<IngestConsumer<S>, KafkaError> {
    let context = IngestContext {
        pipeline,
        metrics,
        topic: config.topic.clone(),
    };
    let consumer: IngestConsumer<S> = config.consumer_config().create_with_context(context)?;
    consumer.subscribe(&[&config.topic])?;
    Ok(consumer)
}

/// Drops `value` (a consumer) on a thread of its own and waits at most
/// `timeout` for it: a consumer that committed offsets can hang in its drop
/// (rust-rdkafka #453, #611). Returns whether the drop finished in time; if
/// not, the thread is left behind and ends whenever librdkafka lets it.
pub(crate) fn close_within<T: Send + 'static>(value: T, timeout: Duration) -> bool {
    let (done, finished) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("labelpulse-consumer-close".to_string())
        .spawn(move || {
            drop(value);
            let _ = done.send(());
        });
    match spawned {
        Ok(_) => match finished.recv_timeout(timeout) {
            Ok(()) => true,
            Err(_) => {
                warn!(
                    ?timeout,
                    "consumer close did not finish in time; leaving it behind"
                );
                false
            }
        },
        Err(error) => {
            warn!(%error, "no thread to close the consumer on; it was dropped here");
            false
        }
    }
}
