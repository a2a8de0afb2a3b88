//! The Kafka settings of LabelPulse (the `[kafka]` table of the TOML file)
//! and how they become librdkafka client configurations.
//!
//! LabelPulse sets what its guarantees need (manual commits, `acks=all`,
//! idempotence); [`KafkaConfig::properties`] is applied last, so any
//! librdkafka setting (SASL, TLS, client ids, fetch sizes) can be given, and
//! overriding one of LabelPulse's own is the user's explicit choice.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;
use serde::Deserialize;

/// librdkafka's limit on the time from a message's send to its
/// acknowledgement.
const MESSAGE_TIMEOUT: &str = "message.timeout.ms";

/// Kafka settings shared by the ingestor, the dead-letter producer and the
/// event producer. Every field has a default ([`KafkaConfig::default`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    pub brokers: String,
    /// The events topic, keyed by `project_id` (`member_id` for `member.upserted`).
    pub topic: String,
    /// The dead-letter topic: refused messages, original bytes plus reason headers.
    pub dlq_topic: String,
    /// The ingestors' consumer group.
    pub group_id: String,
    /// Any librdkafka setting, applied after LabelPulse's own to every client.
    pub properties: BTreeMap<String, String>,
    /// Longest time between a message's arrival and the start of the flush
    /// that makes it durable, unless the previous flush is still being
    /// written: one is written at a time (TOML key `flush_interval_ms`).
    #[serde(rename = "flush_interval_ms", with = "millis")]
    pub flush_interval: Duration,
    /// While the consumer is live, flushes write the aggregate rows and
    /// members only (light flushes: what the dashboards read, every
    /// `flush_interval`), and a full flush (task and session states,
    /// projects, the id index, the raw event archive, the positions; then
    /// the offsets are committed)
    /// comes at least this often, or once `max_batch_events` messages wait
    /// since the last one. A crash replays up to this much more; 0 makes
    /// every flush full. Catching up, every flush is full (TOML key
    /// `full_flush_interval_ms`).
    #[serde(rename = "full_flush_interval_ms", with = "millis")]
    pub full_flush_interval: Duration,
    /// A flush starts early when this many messages wait.
    pub max_batch_events: usize,
    /// A flush starts early when the waiting messages hold this many bytes.
    pub max_batch_bytes: usize,
    /// Between flushes, apply the buffered messages to the engine as soon
    /// as this many wait, so a flush finds its batch already applied and
    /// writes at once (fresher dashboards at a steady input rate); 0 applies
    /// only when the flush is due. Smaller values mean more, smaller store
    /// reads of rows missing from the cache.
    pub apply_ahead_events: usize,
    /// Messages larger than this go to the dead-letter topic (`oversized`).
    pub max_message_bytes: usize,
    /// How long a revoke or a graceful shutdown may retry the in-flight
    /// flush and commit before giving up; the data is then replayed by the
    /// next owner (TOML key `drain_timeout_ms`).
    #[serde(rename = "drain_timeout_ms", with = "millis")]
    pub drain_timeout: Duration,
    /// How long to wait for the consumer's drop (it can hang: rust-rdkafka
    /// #453, #611) before leaving it behind (TOML key `close_timeout_ms`).
    #[serde(rename = "close_timeout_ms", with = "millis")]
    pub close_timeout: Duration,
}

impl Default for KafkaConfig {
    /// The local services' broker and topics, 500 ms flushes (full ones
    /// at least every 2 s), batches of at
    /// most 50,000 messages or 64 MiB, messages of at most 1 MiB.
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".to_string(),
            topic: "labelpulse.events".to_string(),
            dlq_topic: "labelpulse.events.dlq".to_string(),
            group_id: "labelpulse-ingestor".to_string(),
            properties: BTreeMap::new(),
            flush_interval: Duration::from_millis(500),
            full_flush_interval: Duration::from_secs(2),
            max_batch_events: 50_000,
            max_batch_bytes: 64 << 20,
            apply_ahead_events: 5_000,
            max_message_bytes: 1 << 20,
            drain_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(10),
        }
    }
}

impl KafkaConfig {
    /// The consumer's configuration: a group member with manual commits
    /// (offsets are committed only after the flush that covers them is
    /// durable), no stored-offset bookkeeping, reading from the earliest
    /// offset when the group has none, statistics every 5 s (consumer lag),
    /// and a 10 ms fetch-queue backoff: with librdkafka's 1 s default, a
    /// consumer that works on its messages (decode, apply) finds its local
    /// queue full, the fetcher sleeps a second, and the consumer then waits
    /// for it: measured here, consume + decode went from 0.14 M to
    /// 0.24-0.39 M messages/s with 10 ms.
    pub fn consumer_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("group.id", &self.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set("statistics.interval.ms", "5000")
            .set("fetch.queue.backoff.ms", "10");
        self.apply_properties(&mut config);
        config
    }

    /// A producer's configuration: every message acknowledged by all
    /// in-sync replicas, idempotent (no duplicates or reordering on retry).
    pub fn producer_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .set("compression.type", "lz4");
        self.apply_properties(&mut config);
        config
    }

    /// [`producer_config`](Self::producer_config) with a bounded delivery:
    /// a message not acknowledged within `timeout` fails (librdkafka's
    /// `message.timeout.ms`, 5 minutes by default), unless `properties`
    /// sets `message.timeout.ms` itself. For producers someone waits on:
    /// an HTTP request, the ingestor's commit.
    pub fn producer_config_within(&self, timeout: Duration) -> ClientConfig {
        let mut config = self.producer_config();
        if !self.properties.contains_key(MESSAGE_TIMEOUT) {
            config.set(MESSAGE_TIMEOUT, timeout.as_millis().to_string());
        }
        config
    }

    /// Every client gets every property: librdkafka ignores (with a warning)
    /// the ones meant for the other kind of client.
    fn apply_properties(&self, config: &mut ClientConfig) {
        for (key, value) in &self.properties {
            config.set(key, value);
        }
    }
}

/// `Duration` as integer milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_table_with_properties_applied_last() {
        let text = r#"
            brokers = "k1:9092,k2:9092"
            group_id = "g"
            flush_interval_ms = 250
            full_flush_interval_ms = 4000
            max_batch_events = 1000
            apply_ahead_events = 0
            [properties]
            "security.protocol" = "SASL_SSL"
            "enable.auto.commit" = "true"
        "#;
        let config: KafkaConfig = toml::from_str(text).expect("valid table");
        assert_eq!(config.flush_interval, Duration::from_millis(250));
        assert_eq!(config.full_flush_interval, Duration::from_secs(4));
        assert_eq!(config.max_batch_events, 1000);
        assert_eq!(config.apply_ahead_events, 0);
        assert_eq!(config.topic, "labelpulse.events");
        let consumer = config.consumer_config();
        assert_eq!(consumer.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(consumer.get("enable.auto.commit"), Some("true"));
        assert_eq!(consumer.get("bootstrap.servers"), Some("k1:9092,k2:9092"));
        let producer = config.producer_config();
        assert_eq!(producer.get("acks"), Some("all"));
        assert_eq!(producer.get("enable.idempotence"), Some("true"));
    }

    #[test]
    fn a_bounded_producer_waits_its_timeout_unless_the_properties_say_otherwise() {
        let mut config = KafkaConfig::default();
        let bounded = config.producer_config_within(Duration::from_secs(30));
        assert_eq!(bounded.get("message.timeout.ms"), Some("30000"));
        assert_eq!(bounded.get("acks"), Some("all"));
        assert_eq!(config.producer_config().get("message.timeout.ms"), None);

        config
            .properties
            .insert("message.timeout.ms".to_string(), "120000".to_string());
        let bounded = config.producer_config_within(Duration::from_secs(30));
        assert_eq!(bounded.get("message.timeout.ms"), Some("120000"));
    }

    #[test]
    fn tls_and_sasl_settings_are_supported_by_the_build() {
        // librdkafka refuses security.protocol=SASL_SSL when built without OpenSSL.
        let config = KafkaConfig {
            brokers: "127.0.0.1:1".to_string(),
            properties: BTreeMap::from([
                ("security.protocol".to_string(), "SASL_SSL".to_string()),
                ("sasl.mechanisms".to_string(), "SCRAM-SHA-512".to_string()),
                ("sasl.username".to_string(), "user".to_string()),
                ("sasl.password".to_string(), "secret".to_string()),
            ]),
            ..KafkaConfig::default()
        };
        let producer: Result<rdkafka::producer::BaseProducer, _> =
            config.producer_config().create();
        assert!(producer.is_ok(), "{:?}", producer.err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<KafkaConfig>("flush_interval = 3").is_err());
    }
}
