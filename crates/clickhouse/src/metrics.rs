//! The ClickHouse requests' Prometheus metrics, each defined once, here.
//!
//! They show what the ingestor's and the query service's other metrics
//! cannot: a ClickHouse that fails for less than a request's retry budget.
//! A flush retries its inserts for 60 s before the ingestor pauses
//! consumption, and a dashboard read for 2 s before the API answers 503;
//! meanwhile only these counters move.
//!
//! Labels are bounded: `request` is a [`Request`], `kind` one of
//! [`KIND_UNAVAILABLE`] and [`KIND_PERMANENT`].

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

/// Metric names, for tests, dashboards and alert rules.
pub mod names {
    /// Attempts of a request that failed transiently and were retried
    /// (after a jittered backoff), by `request`.
    pub const RETRIES: &str = "labelpulse_clickhouse_retries_total";
    /// Requests that failed for good, by `request` and `kind`:
    /// `unavailable` (transient failures outlasted the retry budget),
    /// `permanent` (an error no retry can fix, e.g. a syntax error or a
    /// missing table).
    pub const FAILED_REQUESTS: &str = "labelpulse_clickhouse_failed_requests_total";
}

/// The `kind` of a request that failed after its retry budget.
pub const KIND_UNAVAILABLE: &str = "unavailable";
/// The `kind` of a request that failed with a permanent error.
pub const KIND_PERMANENT: &str = "permanent";

/// What a request is for, the `request` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A flush's inserts.
    Insert,
    /// The engine's loads and the migrations (not the probe in
    /// [`connect`](crate::connect): nothing serves `/metrics` before it).
    Load,
    /// The query service's dashboard reads (not its readiness checks,
    /// whose answer is the `/readyz` status).
    Read,
}

impl Request {
    /// Every request.
    pub const ALL: [Request; 3] = [Request::Insert, Request::Load, Request::Read];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Request::Insert => "insert",
            Request::Load => "load",
            Request::Read => "read",
        }
    }
}

/// The counters of every [`Request`]. Cloning is cheap and shares the series.
#[derive(Debug, Clone)]
pub struct ClickHouseMetrics {
    retries: IntCounterVec,
    failed: IntCounterVec,
}

impl ClickHouseMetrics {
    /// The metrics, registered in `registry` (the binary serves it on
    /// `/metrics`). Fails when a name is already registered there.
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let metrics = Self::new()?;
        registry.register(Box::new(metrics.retries.clone()))?;
        registry.register(Box::new(metrics.failed.clone()))?;
        Ok(metrics)
    }

    /// Metrics in no registry: they count, nobody reads them (a client
    /// built by [`connect`](crate::connect) until the binary registers its
    /// own with [`ClickHouse::with_metrics`](crate::ClickHouse::with_metrics)).
    pub fn unregistered() -> Self {
        Self::new().expect("the metrics' names and labels are valid")
    }

    fn new() -> Result<Self, prometheus::Error> {
        let retries = IntCounterVec::new(
            Opts::new(
                names::RETRIES,
                "ClickHouse request attempts that failed transiently and were retried, by request.",
            ),
            &["request"],
        )?;
        let failed = IntCounterVec::new(
            Opts::new(
                names::FAILED_REQUESTS,
                "ClickHouse requests that failed for good, by request and kind \
                 (unavailable after the retry budget, permanent).",
            ),
            &["request", "kind"],
        )?;
        // Every series exists from the start, so rates are defined at zero.
        for request in Request::ALL {
            retries.with_label_values(&[request.as_str()]);
            for kind in [KIND_UNAVAILABLE, KIND_PERMANENT] {
                failed.with_label_values(&[request.as_str(), kind]);
            }
        }
        Ok(ClickHouseMetrics { retries, failed })
    }

    /// The counters of one kind of request, for its [`RetryPolicy`](crate::RetryPolicy).
    pub fn of(&self, request: Request) -> RequestCounters {
        let label = request.as_str();
        RequestCounters {
            retries: self.retries.with_label_values(&[label]),
            unavailable: self.failed.with_label_values(&[label, KIND_UNAVAILABLE]),
            permanent: self.failed.with_label_values(&[label, KIND_PERMANENT]),
        }
    }
}

/// The counters one [`RetryPolicy`](crate::RetryPolicy) moves.
#[derive(Debug, Clone)]
pub struct RequestCounters {
    pub(crate) retries: IntCounter,
    pub(crate) unavailable: IntCounter,
    pub(crate) permanent: IntCounter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_there_at_zero_and_counts_apart() {
        let registry = Registry::new();
        let metrics = ClickHouseMetrics::register(&registry).unwrap();
        let families = registry.gather();
        let series: usize = families.iter().map(|f| f.get_metric().len()).sum();
        assert_eq!(series, 3 + 3 * 2);

        let insert = metrics.of(Request::Insert);
        insert.retries.inc();
        insert.retries.inc();
        metrics.of(Request::Read).permanent.inc();
        assert_eq!(metrics.of(Request::Insert).retries.get(), 2);
        assert_eq!(metrics.of(Request::Load).retries.get(), 0);
        assert_eq!(metrics.of(Request::Read).permanent.get(), 1);
        assert_eq!(metrics.of(Request::Read).unavailable.get(), 0);
    }

    #[test]
    fn registering_twice_in_one_registry_is_an_error() {
        let registry = Registry::new();
        ClickHouseMetrics::register(&registry).unwrap();
        assert!(ClickHouseMetrics::register(&registry).is_err());
    }
}
