//! The query service's Prometheus metrics, each defined once, here.
//!
//! Labels are bounded: `outcome` has two values, `reason` is a
//! [`DecodeError::kind`](labelpulse_core::DecodeError::kind), `route` is a
//! route template from [`ROUTES`](crate::app::ROUTES) (or `unmatched`) and
//! `status` an HTTP status code the service answers with.

use prometheus::{Encoder, IntCounterVec, Opts, Registry, TextEncoder};

/// Metric names, for tests and dashboards.
pub mod names {
    /// Events received by `POST /api/v1/events`, by `outcome`.
    pub const INGEST_EVENTS: &str = "labelpulse_ingest_events_total";
    /// Events refused by `POST /api/v1/events`, by `reason`.
    pub const INGEST_REJECTED: &str = "labelpulse_ingest_rejected_total";
    /// HTTP requests answered, by `route` and `status`.
    pub const HTTP_REQUESTS: &str = "labelpulse_http_requests_total";
}

/// The `route` label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The API's metrics and the registry they are registered in.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    ingest_events: IntCounterVec,
    ingest_rejected: IntCounterVec,
    http_requests: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The metrics, registered in a new registry.
    pub fn new() -> Self {
        Self::with_registry(Registry::new()).expect("a fresh registry has no conflicting metric")
    }

    /// The metrics, registered in `registry` (so the binary can serve the
    /// pipeline's metrics from the same `/metrics`). Fails when one of the
    /// names is already registered there.
    pub fn with_registry(registry: Registry) -> Result<Self, prometheus::Error> {
        let ingest_events = IntCounterVec::new(
            Opts::new(
                names::INGEST_EVENTS,
                "Events received over HTTP ingest, by outcome (accepted, rejected).",
            ),
            &["outcome"],
        )?;
        let ingest_rejected = IntCounterVec::new(
            Opts::new(
                names::INGEST_REJECTED,
                "Events refused by HTTP ingest, by decode error kind.",
            ),
            &["reason"],
        )?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                names::HTTP_REQUESTS,
                "HTTP requests answered, by route template and status code.",
            ),
            &["route", "status"],
        )?;
        registry.register(Box::new(ingest_events.clone()))?;
        registry.register(Box::new(ingest_rejected.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        // Both outcomes exist from the start, so rates are defined at zero.
        ingest_events.with_label_values(&["accepted"]);
        ingest_events.with_label_values(&["rejected"]);
        Ok(Metrics {
            registry,
            ingest_events,
            ingest_rejected,
            http_requests,
        })
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counts events made durable by the sink.
    pub fn ingest_accepted(&self, count: usize) {
        self.ingest_events
            .with_label_values(&["accepted"])
            .inc_by(count as u64);
    }

    /// Counts one refused event; `reason` is a `DecodeError::kind()`.
    pub fn ingest_rejected(&self, reason: &'static str) {
        self.ingest_events.with_label_values(&["rejected"]).inc();
        self.ingest_rejected.with_label_values(&[reason]).inc();
    }

    /// Counts one answered request.
    pub fn http_request(&self, route: &str, status: u16) {
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[route, status.as_str()])
            .inc();
    }

    /// Every metric of the registry in the Prometheus text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Content-Type` of the Prometheus text format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_the_text_format() {
        let metrics = Metrics::new();
        metrics.ingest_accepted(3);
        metrics.ingest_rejected("missing_field");
        metrics.http_request("/healthz", 200);
        let text = metrics.render().unwrap();
        assert!(
            text.contains(r#"labelpulse_ingest_events_total{outcome="accepted"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"labelpulse_ingest_events_total{outcome="rejected"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"labelpulse_ingest_rejected_total{reason="missing_field"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"labelpulse_http_requests_total{route="/healthz",status="200"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn registering_twice_in_one_registry_fails() {
        let registry = Registry::new();
        assert!(Metrics::with_registry(registry.clone()).is_ok());
        assert!(Metrics::with_registry(registry).is_err());
    }
}
