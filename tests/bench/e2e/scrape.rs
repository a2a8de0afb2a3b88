//! Reading the ingestor's `/metrics`: committed offsets, consumed messages
//! and the flush-duration histogram.

use anyhow::Context;
use prometheus_parse::{HistogramCount, Scrape, Value};

/// The parts of one scrape the harness uses.
#[derive(Debug, Clone, Default)]
pub struct IngestorScrape {
    /// Sum over partitions of the next offset to read, as committed.
    pub committed: u64,
    /// Messages read from the topic.
    pub consumed: u64,
    /// The flush-duration histogram: cumulative counts by upper bound.
    pub flush_buckets: Vec<(f64, f64)>,
    /// Flushes and their summed duration, seconds.
    pub flush_count: f64,
    /// Sum of the flush durations, seconds.
    pub flush_sum: f64,
    /// Light flushes (the aggregate rows and members only), counted in
    /// the histogram too.
    pub light_flushes: u64,
}

/// Fetches and parses `GET {base}/metrics`.
pub async fn scrape(client: &reqwest::Client, base: &str) -> anyhow::Result<IngestorScrape> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let lines = text.lines().map(|line| Ok(line.to_string()));
    let parsed = Scrape::parse(lines).context("parsing /metrics")?;
    Ok(read(&parsed))
}

fn read(parsed: &Scrape) -> IngestorScrape {
    let mut out = IngestorScrape::default();
    for sample in &parsed.samples {
        match (sample.metric.as_str(), &sample.value) {
            ("labelpulse_ingestor_committed_offset", Value::Gauge(v)) => {
                out.committed += v.max(0.0) as u64;
            }
            ("labelpulse_ingestor_consumed_total", Value::Counter(v)) => out.consumed = *v as u64,
            ("labelpulse_ingestor_light_flushes_total", Value::Counter(v)) => {
                out.light_flushes = *v as u64;
            }
            ("labelpulse_ingestor_flush_duration_seconds", Value::Histogram(buckets)) => {
                out.flush_buckets = buckets
                    .iter()
                    .map(|HistogramCount { less_than, count }| (*less_than, *count))
                    .collect();
            }
            ("labelpulse_ingestor_flush_duration_seconds_count", Value::Untyped(v))
            | ("labelpulse_ingestor_flush_duration_seconds_count", Value::Counter(v)) => {
                out.flush_count = *v;
            }
            ("labelpulse_ingestor_flush_duration_seconds_sum", Value::Untyped(v))
            | ("labelpulse_ingestor_flush_duration_seconds_sum", Value::Counter(v)) => {
                out.flush_sum = *v;
            }
            _ => {}
        }
    }
    out
}

/// Flush durations between two scrapes of one ingestor.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct FlushLatency {
    /// Flushes in the interval, light ones included.
    pub flushes: u64,
    /// Of those, light flushes (the aggregate rows and members only).
    pub light_flushes: u64,
    /// Mean duration, seconds (`null` without flushes).
    pub mean_seconds: Option<f64>,
    /// Median, interpolated inside its histogram bucket as Prometheus'
    /// `histogram_quantile` does.
    pub p50_seconds: Option<f64>,
    /// 99th percentile, the same way.
    pub p99_seconds: Option<f64>,
}

impl FlushLatency {
    /// The flushes of `after` that `before` did not have yet.
    pub fn between(before: &IngestorScrape, after: &IngestorScrape) -> FlushLatency {
        let buckets: Vec<(f64, f64)> = after
            .flush_buckets
            .iter()
            .map(|(bound, count)| {
                let earlier = before
                    .flush_buckets
                    .iter()
                    .find(|(b, _)| b == bound)
                    .map_or(0.0, |(_, c)| *c);
                (*bound, count - earlier)
            })
            .collect();
        let flushes = after.flush_count - before.flush_count;
        let mean = (flushes > 0.0).then(|| (after.flush_sum - before.flush_sum) / flushes);
        FlushLatency {
            flushes: flushes.max(0.0) as u64,
            light_flushes: after.light_flushes.saturating_sub(before.light_flushes),
            mean_seconds: mean,
            p50_seconds: histogram_quantile(0.5, &buckets),
            p99_seconds: histogram_quantile(0.99, &buckets),
        }
    }
}

/// The `q` quantile of a cumulative histogram (upper bound, count), linear
/// inside the bucket that holds it; `None` when empty. A quantile in the
/// `+Inf` bucket is reported as the largest finite bound.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for &(bound, count) in buckets {
        if count >= rank {
            if bound.is_infinite() {
                return Some(lower.0);
            }
            let width = count - lower.1;
            let inside = if width > 0.0 {
                (rank - lower.1) / width
            } else {
                1.0
            };
            return Some(lower.0 + (bound - lower.0) * inside);
        }
        lower = (bound, count);
    }
    Some(lower.0)
}

#[cfg(test)]
mod tests {
    use super::histogram_quantile;

    #[test]
    fn quantiles_interpolate_inside_the_bucket() {
        // 10 flushes under 0.1 s, 10 more between 0.1 and 0.5 s.
        let buckets = [(0.1, 10.0), (0.5, 20.0), (f64::INFINITY, 20.0)];
        assert_eq!(histogram_quantile(0.5, &buckets), Some(0.1));
        let p75 = histogram_quantile(0.75, &buckets).unwrap_or_default();
        assert!((p75 - 0.3).abs() < 1e-12, "{p75}");
        assert_eq!(histogram_quantile(0.5, &[(0.1, 0.0)]), None);
        assert_eq!(
            histogram_quantile(0.99, &[(0.1, 1.0), (f64::INFINITY, 100.0)]),
            Some(0.1)
        );
    }
}
