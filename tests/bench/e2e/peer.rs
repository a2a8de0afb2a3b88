//! The peer: ClickHouse's own Kafka table engine and a materialized view
//! computing project x hour counts (events, submitted, skipped, reviews by
//! outcome) from the same topic, with its own consumer group.
//!
//! ClickHouse's Kafka engine always skips unknown JSON fields, so
//! `JSONEachRow` reads the flat envelope fields and ignores the nested ones
//! (results). It validates nothing and keeps no per-task state: the point of
//! the comparison is what LabelPulse computes beyond it at what speed.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The peer's tables in `database`, reading `topic` as consumer group `group`.
pub fn ddl(database: &str, topic: &str, group: &str) -> Vec<String> {
    vec![
        format!("CREATE DATABASE IF NOT EXISTS {database}"),
        format!(
            "CREATE TABLE {database}.events_queue (type String, project_id String, \
             occurred_at String, outcome String) \
             ENGINE = Kafka('127.0.0.1:9092', '{topic}', '{group}', 'JSONEachRow')"
        ),
        format!(
            "CREATE TABLE {database}.project_hour (project_id String, hour DateTime, \
             events UInt64, submitted UInt64, skipped UInt64, accepted UInt64, \
             fixed_and_accepted UInt64, rejected UInt64) \
             ENGINE = SummingMergeTree() ORDER BY (project_id, hour)"
        ),
        format!(
            "CREATE MATERIALIZED VIEW {database}.project_hour_mv TO {database}.project_hour AS \
             SELECT project_id, toStartOfHour(parseDateTimeBestEffort(occurred_at)) AS hour, \
             count() AS events, \
             countIf(type = 'annotation.submitted') AS submitted, \
             countIf(type = 'annotation.skipped') AS skipped, \
             countIf(type = 'review.submitted' AND outcome = 'accepted') AS accepted, \
             countIf(type = 'review.submitted' AND outcome = 'fixed_and_accepted') AS fixed_and_accepted, \
             countIf(type = 'review.submitted' AND outcome = 'rejected') AS rejected \
             FROM {database}.events_queue GROUP BY project_id, hour"
        ),
    ]
}

/// Runs one statement over ClickHouse's HTTP interface.
pub async fn execute(client: &reqwest::Client, sql: &str) -> anyhow::Result<String> {
    let response = client
        .post("http://127.0.0.1:8123/")
        .body(sql.to_string())
        .send()
        .await
        .context("ClickHouse HTTP")?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("ClickHouse answered {status} to {sql}: {text}");
    }
    Ok(text)
}

/// Creates the peer (its group's offsets were set to the earliest before)
/// and waits until its view has counted `total` events; returns the time
/// from the view's creation to then.
pub async fn measure(
    client: &reqwest::Client,
    database: &str,
    topic: &str,
    group: &str,
    total: u64,
    timeout: Duration,
) -> anyhow::Result<Duration> {
    for statement in ddl(database, topic, group) {
        execute(client, &statement).await?;
    }
    let began = Instant::now();
    let count = format!("SELECT sum(events) FROM {database}.project_hour");
    loop {
        let counted: u64 = execute(client, &count)
            .await?
            .trim()
            .parse()
            .unwrap_or_default();
        if counted >= total {
            return Ok(began.elapsed());
        }
        if began.elapsed() > timeout {
            bail!("the peer counted {counted} of {total} events in {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
