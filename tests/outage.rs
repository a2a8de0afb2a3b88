//! ClickHouse goes away for 20 seconds while the ingestor consumes: the
//! ingestor backs off (pauses its partitions, keeps the data), catches up
//! when ClickHouse is back, and the dashboards equal the embedded run.
//! Its own test binary, because it stops the shared local ClickHouse.

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{
    assert_same, converge, create_topic, embedded_reference, free_port, ready, root, run, services,
    Process,
};

fn clickhouse(action: &str) {
    let status = Command::new("bash")
        .arg(root().join("deploy/local/services"))
        .args([action, "clickhouse"])
        .status()
        .expect("deploy/local/services");
    assert!(status.success(), "services {action} clickhouse failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_second_clickhouse_outage_loses_and_doubles_nothing() {
    services();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (seed, events) = ("41", "120000");

    let expected = embedded_reference(&client, dir.path(), seed, events).await;

    let tag = format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let topic = format!("e2e.outage.{tag}");
    let group = format!("e2e-outage-{tag}");
    let database = format!("lp_outage_{tag}");
    create_topic(&topic, 8);
    run(&[
        "simulate",
        "--seed",
        seed,
        "--events",
        events,
        "--batch",
        "5000",
        "--kafka",
        "127.0.0.1:9092",
        "--kafka-topic",
        &topic,
    ]);
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
    ];
    let mut ingest = Process::start("ingest", &args, &dir.path().join("ingest.log"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    clickhouse("down");
    tokio::time::sleep(Duration::from_secs(20)).await;
    if let Ok(Some(status)) = ingest.child.try_wait() {
        clickhouse("up");
        panic!("the ingestor exited during the outage: {status}");
    }
    clickhouse("up");

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
    common::drop_database(&client, &database).await;
}
