//! A service goes away for 20 seconds while the ingestor consumes, and the
//! dashboards afterwards equal the embedded run:
//!
//! - ClickHouse: the flush's inserts retry with backoff (shown by
//!   `labelpulse_clickhouse_retries_total`; the ingestor would pause its
//!   partitions only after the 60 s retry budget) and the ingestor catches
//!   up when ClickHouse is back;
//! - Kafka: the ingestor's consumer and its commits wait for the broker
//!   (librdkafka reconnects; a failed commit is retried), and consuming
//!   resumes from where it was.
//!
//! Its own test binary, because it stops the shared local services; its
//! tests take turns ([`OUTAGE`]).

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{
    assert_same, converge, create_topic, durable_messages, embedded_reference, free_port,
    metric_sum, ready, root, services, simulate_to_kafka, wait_for_metric, Process,
};

/// One outage at a time: each test stops a service the other needs.
static OUTAGE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `deploy/local/services ACTION SERVICE`.
fn services_do(action: &str, service: &str) {
    let status = Command::new("bash")
        .arg(root().join("deploy/local/services"))
        .args([action, service])
        .status()
        .expect("deploy/local/services");
    assert!(status.success(), "services {action} {service} failed");
}

/// A value of the ingestor's `/metrics` that says what it sees: `down`
/// must hold at some moment of the outage (given the value just before
/// it, or 0 if the metric was not there yet, and the value then), `up`
/// (if any) once it caught up.
struct Signal {
    metric: &'static str,
    down: fn(f64, f64) -> bool,
    up: Option<fn(f64) -> bool>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_second_clickhouse_outage_loses_and_doubles_nothing() {
    // The flush retries a failed insert for 60 s before it pauses
    // consumption (`labelpulse_ingestor_paused`): in 20 s only the
    // requests' retries show the outage.
    let retries = Signal {
        metric: "labelpulse_clickhouse_retries_total",
        down: |before, now| now > before,
        up: None,
    };
    outage("clickhouse", "41", &[retries]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_second_kafka_outage_loses_and_doubles_nothing() {
    let brokers = Signal {
        metric: "labelpulse_ingestor_brokers_up",
        down: |_, now| now == 0.0,
        up: Some(|v| v >= 1.0),
    };
    let errors = Signal {
        metric: "labelpulse_ingestor_kafka_errors_total",
        down: |before, now| now > before,
        // A counter: what it showed during the outage it still shows.
        up: None,
    };
    outage("kafka", "43", &[brokers, errors]).await;
}

/// Pre-loads a seeded stream, starts the ingestor, stops `service` for
/// 20 s once the first flush is durable (checking that the ingestor's
/// `/metrics` shows each signal's `down` meanwhile), starts it again, and
/// compares the query service's answers with the embedded run of the same
/// stream; then each signal must show `up`. When ClickHouse is the one
/// stopped, only the first half of the stream is pre-loaded and the rest
/// is produced during the outage: the ingestor has work while ClickHouse
/// is away, however fast it got through the first half.
async fn outage(service: &str, seed: &str, signals: &[Signal]) {
    let _turn = OUTAGE.lock().await;
    services();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let events = "120000";
    let total: u64 = events.parse().unwrap();
    let preload = if service == "clickhouse" {
        total / 2
    } else {
        total
    };

    let expected = embedded_reference(&client, dir.path(), seed, events).await;

    let tag = format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let topic = format!("e2e.outage.{service}.{tag}");
    let group = format!("e2e-outage-{service}-{tag}");
    let database = format!("lp_outage_{service}_{tag}");
    create_topic(&topic, 8);
    simulate_to_kafka(seed, 0, preload, &topic);
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let metrics_base = format!("http://{metrics_addr}");
    let args = [
        "ingest",
        "--kafka-brokers",
        "127.0.0.1:9092",
        "--kafka-topic",
        topic.as_str(),
        "--kafka-group",
        group.as_str(),
        "--clickhouse-database",
        database.as_str(),
        "--metrics-addr",
        metrics_addr.as_str(),
    ];
    let mut ingest = Process::start("ingest", &args, &dir.path().join("ingest.log"));
    let mut durable = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while durable.is_none_or(|n| n == 0) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        durable = durable_messages(&client, &database).await;
    }
    let durable = durable.unwrap_or(0);
    assert!(
        durable > 0 && durable < total,
        "the outage must start mid-stream: {durable} of {total} messages durable"
    );
    let mut before = Vec::new();
    for signal in signals {
        let value = metric_sum(&client, &metrics_base, signal.metric).await;
        before.push(value.unwrap_or(0.0));
    }
    services_do("down", service);
    let outage = Duration::from_secs(20);
    let down_since = std::time::Instant::now();
    if preload < total {
        simulate_to_kafka(seed, preload, total - preload, &topic);
    }
    let mut missing = Vec::new();
    for (signal, before) in signals.iter().zip(before) {
        let within = outage.saturating_sub(down_since.elapsed());
        let down = |now| (signal.down)(before, now);
        let seen = wait_for_metric(&client, &metrics_base, signal.metric, within, down).await;
        if !seen.is_some_and(down) {
            missing.push(format!("{} = {seen:?} (before: {before})", signal.metric));
        }
    }
    tokio::time::sleep(outage.saturating_sub(down_since.elapsed())).await;
    if let Ok(Some(status)) = ingest.child.try_wait() {
        services_do("up", service);
        panic!("the ingestor exited during the {service} outage: {status}");
    }
    services_do("up", service);
    assert!(
        missing.is_empty(),
        "the ingestor's metrics did not show the {service} outage: {missing:?}"
    );

    let serve_port = free_port();
    let serve_base = format!("http://127.0.0.1:{serve_port}");
    let mut serve = Process::start(
        "serve",
        &[
            "serve",
            "--addr",
            &format!("127.0.0.1:{serve_port}"),
            "--clickhouse-database",
            &database,
            "--no-migrate",
        ],
        &dir.path().join("serve.log"),
    );
    ready(&client, &serve_base, &mut serve).await;
    let actual = converge(
        &client,
        &serve_base,
        &expected,
        Duration::from_secs(300),
        &mut [&mut ingest, &mut serve],
    )
    .await;
    assert!(
        ingest.child.try_wait().ok().flatten().is_none(),
        "the ingestor is still running"
    );
    assert_same(&expected, &actual);
    for (signal, up) in signals.iter().filter_map(|s| Some((s, s.up?))) {
        let seen = wait_for_metric(
            &client,
            &metrics_base,
            signal.metric,
            Duration::from_secs(15),
            up,
        )
        .await;
        assert!(
            seen.is_some_and(up),
            "after the {service} outage: {} = {seen:?}",
            signal.metric
        );
    }
    common::drop_database(&client, &database).await;
    common::delete_topics(&[&topic]);
}
