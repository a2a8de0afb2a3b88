//! Kafka -> `labelpulse ingest` -> ClickHouse -> `labelpulse serve` against
//! `labelpulse run --embedded`, on one seeded simulator stream of 200,000
//! events: the API answers must be byte-identical, route by route, after the
//! ingestor was killed with SIGKILL five times while consuming.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{
    assert_same, converge, create_topic, embedded_reference, free_port, ready, services,
    simulate_to_kafka, Process,
};

const EVENTS: &str = "200000";
const SEED: &str = "11";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_equals_embedded_after_five_kills_of_the_ingestor() {
    services();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tag = format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let topic = format!("e2e.events.{tag}");
    let group = format!("e2e-{tag}");
    let database = format!("lp_e2e_{tag}");
    create_topic(&topic, 8);

    // The reference: the same stream through the embedded mode.
    let expected = embedded_reference(&client, dir.path(), SEED, EVENTS).await;

    // The pipeline: produce, then ingest with kills.
    simulate_to_kafka(SEED, 0, EVENTS.parse().unwrap(), &topic);
    let pipeline_args = [
        "--kafka-brokers",
        "127.0.0.1:9092",
        "--kafka-topic",
        topic.as_str(),
        "--kafka-group",
        group.as_str(),
        "--clickhouse-database",
        database.as_str(),
    ];
    let ingest_args: Vec<&str> = std::iter::once("ingest")
        .chain(pipeline_args.iter().copied())
        .collect();
    for (round, millis) in [1500u64, 2500, 800, 3000, 1200].into_iter().enumerate() {
        let mut ingest = Process::start(
            "ingest",
            &ingest_args,
            &dir.path().join(format!("ingest-{round}.log")),
        );
        tokio::time::sleep(Duration::from_millis(millis)).await;
        ingest.kill9();
    }
    let mut ingest = Process::start("ingest", &ingest_args, &dir.path().join("ingest-final.log"));
    let serve_port = free_port();
    let serve_base = format!("http://127.0.0.1:{serve_port}");
    let serve_addr = format!("127.0.0.1:{serve_port}");
    let serve_args: Vec<&str> = ["serve", "--addr", serve_addr.as_str()]
        .into_iter()
        .chain(pipeline_args.iter().copied())
        .collect();
    let mut serve = Process::start("serve", &serve_args, &dir.path().join("serve.log"));
    ready(&client, &serve_base, &mut serve).await;
    let actual = converge(
        &client,
        &serve_base,
        &expected,
        Duration::from_secs(300),
        &mut [&mut ingest, &mut serve],
    )
    .await;
    assert_same(&expected, &actual);
    // The query service counts its ClickHouse requests; none of its reads
    // failed for good (a permanent failure is a query the server refuses).
    let permanent = common::metric_sum_where(
        &client,
        &serve_base,
        "labelpulse_clickhouse_failed_requests_total",
        &[("kind", "permanent")],
    )
    .await;
    assert_eq!(permanent, Some(0.0), "serve's permanently failed requests");
    common::drop_database(&client, &database).await;
    common::delete_topics(&[&topic]);
}
