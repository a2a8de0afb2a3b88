//! Freshness probes: annotations of a project of their own, produced at a
//! fixed interval beside the load, and the moment each becomes visible in
//! the API (`GET /api/v1/projects`, its `annotations_submitted`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

/// The probe project's id (its own Kafka key, so one partition).
pub const PROJECT: &str = "bench-probe";
const AT: &str = "2026-01-05T12:00:00Z";

/// The producer the probes go through: acknowledged by all replicas,
/// idempotent, no batching delay.
pub fn producer(brokers: &str) -> anyhow::Result<FutureProducer> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "0")
        .create()
        .context("creating the probe producer")
}

fn project() -> Value {
    json!({
        "event_id": "bench-probe-project", "type": "project.upserted", "schema_version": 1,
        "occurred_at": AT, "project_id": PROJECT, "title": "bench freshness probes",
        "overlap": 1, "agreement_threshold": 0.5, "review_criteria": "none",
        "controls": [{"name": "probe", "kind": "choices", "labels": ["yes", "no"]}]
    })
}

fn task(index: u64) -> Value {
    json!({
        "event_id": format!("bench-probe-task-{index}"), "type": "task.created",
        "schema_version": 1, "occurred_at": AT, "project_id": PROJECT,
        "task_id": format!("probe-{index}")
    })
}

fn annotation(index: u64) -> Value {
    json!({
        "event_id": format!("bench-probe-annotation-{index}"), "type": "annotation.submitted",
        "schema_version": 1, "occurred_at": AT, "project_id": PROJECT,
        "annotation_id": format!("probe-{index}"), "task_id": format!("probe-{index}"),
        "member_id": "bench-probe", "lead_time_seconds": 1.0, "completed_at": AT,
        "was_cancelled": false, "ground_truth": false,
        "result": [{"id": "r", "from_name": "probe", "to_name": "text", "type": "choices",
                    "value": {"choices": ["yes"]}}]
    })
}

async fn send(producer: &FutureProducer, topic: &str, event: &Value) -> anyhow::Result<()> {
    let payload = event.to_string();
    producer
        .send(
            FutureRecord::to(topic).key(PROJECT).payload(&payload),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(error, _)| error)
        .context("producing a probe")?;
    Ok(())
}

/// When each probe annotation was handed to the producer, by index.
pub type SendTimes = Arc<Mutex<Vec<Instant>>>;

/// Produces the probe project, then one task and one annotation every
/// `interval` until `duration` has passed; records each annotation's send
/// time (taken before the send: the producer's latency counts).
pub async fn produce(
    producer: &FutureProducer,
    topic: &str,
    interval: Duration,
    duration: Duration,
    sent: SendTimes,
) -> anyhow::Result<()> {
    send(producer, topic, &project()).await?;
    let began = Instant::now();
    let mut ticker = tokio::time::interval(interval);
    let mut index = 0u64;
    while began.elapsed() < duration {
        ticker.tick().await;
        send(producer, topic, &task(index)).await?;
        let now = Instant::now();
        if let Ok(mut times) = sent.lock() {
            times.push(now);
        }
        send(producer, topic, &annotation(index)).await?;
        index += 1;
    }
    Ok(())
}

/// The probe project's `annotations_submitted` in `GET /api/v1/projects`.
async fn visible(client: &reqwest::Client, base: &str) -> anyhow::Result<usize> {
    let body: Value = client
        .get(format!("{base}/api/v1/projects"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let count = body["projects"]
        .as_array()
        .and_then(|projects| projects.iter().find(|p| p["id"] == PROJECT))
        .and_then(|p| p["annotations_submitted"].as_u64())
        .unwrap_or_default();
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// What the watcher measured: per probe, its send to the first answer that
/// counts it; per poll, the API's answer time (part of every freshness).
#[derive(Debug, Default)]
pub struct Watched {
    pub latencies: Vec<Duration>,
    pub polls: Vec<Duration>,
}

/// Polls the API every `every`, timing each probe from its send to the
/// first poll that counts it, until `done` is set and every probe sent is
/// visible (or `timeout_after_done` passes: an error).
pub async fn watch(
    client: &reqwest::Client,
    base: &str,
    sent: SendTimes,
    every: Duration,
    done: tokio::sync::watch::Receiver<bool>,
    timeout_after_done: Duration,
) -> anyhow::Result<Watched> {
    let mut latencies = Vec::new();
    let mut polls = Vec::new();
    let mut finished_at: Option<Instant> = None;
    loop {
        let asked = Instant::now();
        let seen = visible(client, base).await.unwrap_or(latencies.len());
        let now = Instant::now();
        polls.push(now - asked);
        let times: Vec<Instant> = sent.lock().map(|t| t.clone()).unwrap_or_default();
        for at in times.iter().take(seen).skip(latencies.len()) {
            latencies.push(now.saturating_duration_since(*at));
        }
        if *done.borrow() {
            let since = *finished_at.get_or_insert(now);
            if latencies.len() >= times.len() {
                return Ok(Watched { latencies, polls });
            }
            if now.duration_since(since) > timeout_after_done {
                anyhow::bail!(
                    "{} of {} probes visible {timeout_after_done:?} after the last",
                    latencies.len(),
                    times.len()
                );
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// The `q` quantile (nearest rank) of sorted durations, seconds.
pub fn quantile(sorted: &[Duration], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    Some(sorted[index].as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::quantile;
    use std::time::Duration;

    #[test]
    fn nearest_rank_quantiles() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&values, 0.5), Some(0.050));
        assert_eq!(quantile(&values, 0.99), Some(0.099));
        assert_eq!(quantile(&values, 1.0), Some(0.100));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
