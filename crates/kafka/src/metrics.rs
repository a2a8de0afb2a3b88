//! The Kafka side's Prometheus metrics, each defined once, here.
//!
//! Labels are bounded: `reason` is a
//! [`DecodeError::kind`](labelpulse_core::DecodeError::kind), `misrouted` or
//! `oversized`; `partition` is bounded by the topic's partition count;
//! `kind` is `assign` or `revoke`; `code` is a librdkafka error code's
//! name (a fixed set) or `other`.

use std::time::{SystemTime, UNIX_EPOCH};

use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// Metric names, for tests, dashboards and alert rules.
pub mod names {
    /// Messages read from the events topic.
    pub const CONSUMED: &str = "labelpulse_ingestor_consumed_total";
    /// Events the engine applied (again after an engine rebuild, too).
    pub const APPLIED: &str = "labelpulse_ingestor_applied_total";
    /// Events the engine skipped because their entity was already at or past them.
    pub const FENCED: &str = "labelpulse_ingestor_fenced_total";
    /// Events that refer to something the engine cannot resolve (a delete
    /// by id of something never seen): nothing to do.
    pub const UNRESOLVED: &str = "labelpulse_ingestor_unresolved_total";
    /// Entries in the engine's state cache (bounded by `cache_capacity`).
    pub const CACHE_ENTRIES: &str = "labelpulse_ingestor_cache_entries";
    /// Times the engine's cache went over its capacity and dropped its clean entries.
    pub const CACHE_EVICTIONS: &str = "labelpulse_ingestor_cache_evictions_total";
    /// Messages skipped because the store's position already covers them (replays).
    pub const REPLAYED: &str = "labelpulse_ingestor_replayed_total";
    /// Messages sent to the dead-letter topic and acknowledged, by `reason`.
    pub const DEAD_LETTERS: &str = "labelpulse_dead_letter_total";
    /// Full flushes made durable: everything applied up to them, positions
    /// included, so their offsets are committed.
    pub const FLUSHES: &str = "labelpulse_ingestor_flushes_total";
    /// Light flushes made durable: the aggregate rows and members, what the
    /// dashboards read; the rest waits for the next full flush
    /// (`full_flush_interval_ms`).
    pub const LIGHT_FLUSHES: &str = "labelpulse_ingestor_light_flushes_total";
    /// Attempts to make a batch durable that failed (store reads or writes,
    /// dead-letter acknowledgements); retried with backoff.
    pub const FLUSH_FAILURES: &str = "labelpulse_ingestor_flush_failures_total";
    /// Duration of a flush from its start until the ingestor finds it
    /// durable, seconds. A flush is written while the next messages are
    /// applied, and its end is seen between two messages or after that
    /// apply, so under a backlog this includes the wait for the apply.
    pub const FLUSH_SECONDS: &str = "labelpulse_ingestor_flush_duration_seconds";
    /// Unix time of the last durable flush, seconds (staleness alerts).
    pub const LAST_FLUSH: &str = "labelpulse_ingestor_last_flush_timestamp_seconds";
    /// Synchronous offset commits that succeeded.
    pub const COMMITS: &str = "labelpulse_ingestor_commits_total";
    /// Offset commits that failed (retried with the next flush).
    pub const COMMIT_FAILURES: &str = "labelpulse_ingestor_commit_failures_total";
    /// Last committed offset (the next offset to read), by `partition`:
    /// set by each commit and, when a rebalance assigns a partition, from
    /// the group's committed offset (so a partition with no new traffic
    /// still has it on its new owner); removed when it is revoked.
    pub const COMMITTED_OFFSET: &str = "labelpulse_ingestor_committed_offset";
    /// Consumer lag in messages from librdkafka statistics, by `partition`.
    pub const CONSUMER_LAG: &str = "labelpulse_ingestor_consumer_lag_messages";
    /// 1 while consumption is paused because the store or the dead-letter topic fails.
    pub const PAUSED: &str = "labelpulse_ingestor_paused";
    /// Rebalance events, by `kind` (assign, revoke).
    pub const REBALANCES: &str = "labelpulse_ingestor_rebalances_total";
    /// Errors librdkafka reported to the ingestor's consumer, by `code`
    /// (e.g. `BrokerTransportFailure`, `AllBrokersDown`,
    /// `UnknownTopicOrPartition`, authentication failures): librdkafka
    /// retries them itself; the ingestor goes on.
    pub const KAFKA_ERRORS: &str = "labelpulse_ingestor_kafka_errors_total";
    /// Brokers of the cluster the consumer has an open connection to
    /// (librdkafka statistics, every 5 s; bootstrap-only entries not
    /// counted): 0 means the ingestor cannot reach Kafka.
    pub const BROKERS_UP: &str = "labelpulse_ingestor_brokers_up";
}

/// The `code` label of an error without a librdkafka error code.
pub const CODE_OTHER: &str = "other";

/// Every reason label a dead letter can carry besides the decode kinds.
pub const REASON_MISROUTED: &str = "misrouted";
/// Reason of messages over `max_message_bytes`.
pub const REASON_OVERSIZED: &str = "oversized";

/// Registers `metric` in `registry` and gives it back.
fn registered<M>(registry: &Registry, metric: M) -> Result<M, prometheus::Error>
where
    M: prometheus::core::Collector + Clone + 'static,
{
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

/// The ingestor's and the dead-letter producer's metrics. Cloning is cheap
/// and shares the series.
#[derive(Clone)]
pub struct IngestMetrics {
    pub(crate) consumed: IntCounter,
    pub(crate) applied: IntCounter,
    pub(crate) fenced: IntCounter,
    pub(crate) unresolved: IntCounter,
    pub(crate) replayed: IntCounter,
    pub(crate) dead_letters: IntCounterVec,
    pub(crate) flushes: IntCounter,
    pub(crate) light_flushes: IntCounter,
    pub(crate) flush_failures: IntCounter,
    pub(crate) flush_seconds: Histogram,
    pub(crate) last_flush: Gauge,
    pub(crate) commits: IntCounter,
    pub(crate) commit_failures: IntCounter,
    pub(crate) committed_offset: IntGaugeVec,
    pub(crate) consumer_lag: IntGaugeVec,
    pub(crate) paused: IntGauge,
    pub(crate) rebalances: IntCounterVec,
    pub(crate) cache_entries: IntGauge,
    pub(crate) cache_evictions: IntCounter,
    pub(crate) kafka_errors: IntCounterVec,
    pub(crate) brokers_up: IntGauge,
}

impl std::fmt::Debug for IngestMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestMetrics")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

/// A plain copy of the counters, for tests and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Messages read.
    pub consumed: u64,
    /// Events applied.
    pub applied: u64,
    /// Events fenced by the engine.
    pub fenced: u64,
    /// Events the engine could not resolve.
    pub unresolved: u64,
    /// Messages skipped as already durable.
    pub replayed: u64,
    /// Dead letters acknowledged, all reasons.
    pub dead_lettered: u64,
    /// Durable full flushes.
    pub flushes: u64,
    /// Durable light flushes (aggregate rows and members).
    pub light_flushes: u64,
    /// Failed attempts to make a batch durable.
    pub flush_failures: u64,
    /// Successful commits.
    pub commits: u64,
    /// Failed commits.
    pub commit_failures: u64,
    /// Times the engine's cache dropped its clean entries.
    pub cache_evictions: u64,
}

impl IngestMetrics {
    /// Records a flush made durable: its kind's counter (`flushes` or
    /// `light_flushes`), its duration, and now as the last flush's time.
    pub(crate) fn flush_done(&self, kind: &IntCounter, seconds: f64) {
        kind.inc();
        self.flush_seconds.observe(seconds);
        if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
            self.last_flush.set(now.as_secs_f64());
        }
    }

    /// The metrics, registered in `registry` (the binary serves it on
    /// `/metrics`). Fails when a name is already registered there.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| registered(registry, IntCounter::new(name, help)?);
        let consumed = counter(names::CONSUMED, "Messages read from the events topic.")?;
        let applied = counter(names::APPLIED, "Events the engine applied.")?;
        let fenced = counter(
            names::FENCED,
            "Events skipped by version fencing (their entity was already at or past them).",
        )?;
        let unresolved = counter(
            names::UNRESOLVED,
            "Events referring to something never seen (a delete by unknown id).",
        )?;
        let replayed = counter(
            names::REPLAYED,
            "Messages skipped because the store's durable position already covers them.",
        )?;
        let flushes = counter(
            names::FLUSHES,
            "Full flushes made durable in the store (their offsets are committed).",
        )?;
        let light_flushes = counter(
            names::LIGHT_FLUSHES,
            "Light flushes made durable: the aggregate rows and members; the rest waits for the next full flush.",
        )?;
        let flush_failures = counter(
            names::FLUSH_FAILURES,
            "Attempts to make a batch durable that failed: store reads or writes, dead-letter acks (retried with backoff).",
        )?;
        let cache_evictions = counter(
            names::CACHE_EVICTIONS,
            "Times the engine's state cache went over its capacity and dropped its clean entries.",
        )?;
        let cache_entries = registered(registry, IntGauge::new(
            names::CACHE_ENTRIES,
            "Entries in the engine's state cache (tasks, sessions, members, index, aggregate rows).",
        )?)?;
        let commits = counter(names::COMMITS, "Synchronous offset commits that succeeded.")?;
        let commit_failures = counter(
            names::COMMIT_FAILURES,
            "Offset commits that failed (retried after the next flush).",
        )?;
        let dead_letters = registered(
            registry,
            IntCounterVec::new(
                Opts::new(
                    names::DEAD_LETTERS,
                    "Messages sent to the dead-letter topic and acknowledged, by reason.",
                ),
                &["reason"],
            )?,
        )?;
        let flush_seconds = registered(registry, Histogram::with_opts(
            HistogramOpts::new(
                names::FLUSH_SECONDS,
                "Duration of one flush, from its start (rows collected) until it is durable in the store.",
            ).buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            ),
        )?)?;
        let last_flush = registered(
            registry,
            Gauge::new(
                names::LAST_FLUSH,
                "Unix time of the last durable flush, seconds.",
            )?,
        )?;
        let committed_offset = registered(
            registry,
            IntGaugeVec::new(
                Opts::new(
                    names::COMMITTED_OFFSET,
                    "Last committed offset (next offset to read), by partition.",
                ),
                &["partition"],
            )?,
        )?;
        let consumer_lag = registered(
            registry,
            IntGaugeVec::new(
                Opts::new(
                    names::CONSUMER_LAG,
                    "Consumer lag in messages (librdkafka statistics), by partition.",
                ),
                &["partition"],
            )?,
        )?;
        let paused = registered(
            registry,
            IntGauge::new(
                names::PAUSED,
                "1 while consumption is paused because the store or the dead-letter topic fails.",
            )?,
        )?;
        let rebalances = registered(
            registry,
            IntCounterVec::new(
                Opts::new(names::REBALANCES, "Rebalance events, by kind."),
                &["kind"],
            )?,
        )?;
        let kafka_errors = registered(registry, IntCounterVec::new(
            Opts::new(
                names::KAFKA_ERRORS,
                "Errors librdkafka reported to the ingestor's consumer (it retries them), by error code.",
            ),
            &["code"],
        )?)?;
        let brokers_up = registered(registry, IntGauge::new(
            names::BROKERS_UP,
            "Brokers the consumer has an open connection to (librdkafka statistics, every 5 s).",
        )?)?;
        for reason in ["malformed", REASON_MISROUTED, REASON_OVERSIZED] {
            dead_letters.with_label_values(&[reason]);
        }
        for kind in ["assign", "revoke"] {
            rebalances.with_label_values(&[kind]);
        }
        Ok(IngestMetrics {
            consumed,
            applied,
            fenced,
            unresolved,
            replayed,
            dead_letters,
            flushes,
            light_flushes,
            flush_failures,
            flush_seconds,
            last_flush,
            commits,
            commit_failures,
            committed_offset,
            consumer_lag,
            paused,
            rebalances,
            cache_entries,
            cache_evictions,
            kafka_errors,
            brokers_up,
        })
    }

    /// The metrics in a registry of their own (tests, tools).
    pub fn unregistered() -> Self {
        Self::register(&Registry::new()).expect("a fresh registry has no conflicting metric")
    }

    /// Dead letters acknowledged with `reason`.
    pub fn dead_lettered(&self, reason: &str) -> u64 {
        self.dead_letters.with_label_values(&[reason]).get()
    }

    /// Counts one error librdkafka reported.
    pub(crate) fn count_kafka_error(&self, error: &rdkafka::error::KafkaError) {
        let code = error
            .rdkafka_error_code()
            .map_or_else(|| CODE_OTHER.to_string(), |code| format!("{code:?}"));
        self.kafka_errors.with_label_values(&[&code]).inc();
    }

    /// Brokers the consumer had a connection to at the last statistics.
    pub fn brokers_up(&self) -> i64 {
        self.brokers_up.get()
    }

    /// The committed-offset gauge, by partition: the partitions this
    /// ingestor owns and their last committed offset (the next to read).
    pub fn committed_offsets(&self) -> std::collections::BTreeMap<i32, i64> {
        use prometheus::core::Collector;
        let mut offsets = std::collections::BTreeMap::new();
        for family in self.committed_offset.collect() {
            for metric in family.get_metric() {
                let partition = metric
                    .get_label()
                    .iter()
                    .find(|label| label.name() == "partition")
                    .and_then(|label| label.value().parse().ok());
                if let Some(partition) = partition {
                    offsets.insert(partition, metric.get_gauge().get_value() as i64);
                }
            }
        }
        offsets
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> IngestStats {
        let dead_lettered = {
            use prometheus::core::Collector;
            self.dead_letters
                .collect()
                .iter()
                .flat_map(|family| family.get_metric())
                .map(|metric| metric.get_counter().get_value() as u64)
                .sum()
        };
        IngestStats {
            consumed: self.consumed.get(),
            applied: self.applied.get(),
            fenced: self.fenced.get(),
            unresolved: self.unresolved.get(),
            replayed: self.replayed.get(),
            dead_lettered,
            flushes: self.flushes.get(),
            light_flushes: self.light_flushes.get(),
            flush_failures: self.flush_failures.get(),
            commits: self.commits.get(),
            commit_failures: self.commit_failures.get(),
            cache_evictions: self.cache_evictions.get(),
        }
    }
}
