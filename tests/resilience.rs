//! The pipeline under bad input and under rebalancing, against the embedded
//! mode as the reference:
//!
//! - bad input: duplicates, malformed JSON, schema violations, an oversized
//!   message and a misrouted project are mixed into a clean stream; the
//!   dead-letter topic holds exactly the bad ones with their reasons, and
//!   the dashboards equal the clean stream's;
//! - scale-out: a second ingestor joins the group mid-stream, then the first
//!   leaves mid-stream (two rebalances); the dashboards equal the clean run.

mod common;
mod kafka_io;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{
    assert_same, converge, create_topic, embedded_reference, free_port, ready, run, services,
    simulate_to_kafka, snapshot, Process,
};

fn tag(name: &str) -> String {
    format!(
        "{name}_{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
    )
}

/// A config file naming the test's topics and group.
fn config_file(
    dir: &Path,
    topic: &str,
    dlq: &str,
    group: &str,
    database: &str,
    max_message_bytes: usize,
) -> String {
    let path = dir.join("labelpulse.toml");
    std::fs::write(
        &path,
        format!(
            "[clickhouse]\ndatabase = \"{database}\"\n\n[kafka]\nbrokers = \"{}\"\ntopic = \"{topic}\"\ndlq_topic = \"{dlq}\"\ngroup_id = \"{group}\"\nmax_message_bytes = {max_message_bytes}\n",
            kafka_io::BROKERS
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// A test's own topics, group, database and config file, with the seeded
/// stream already produced to the topic.
struct Pipeline {
    topic: String,
    dlq: String,
    database: String,
    config: String,
}

impl Pipeline {
    fn prepare(
        dir: &Path,
        name: &str,
        seed: &str,
        events: &str,
        max_message_bytes: usize,
    ) -> Pipeline {
        let name = tag(name);
        let (topic, dlq, group, database) = (
            format!("e2e.{name}"),
            format!("e2e.{name}.dlq"),
            format!("e2e-{name}"),
            format!("lp_{name}"),
        );
        create_topic(&topic, 8);
        create_topic(&dlq, 1);
        let config = config_file(dir, &topic, &dlq, &group, &database, max_message_bytes);
        simulate_to_kafka(seed, 0, events.parse().unwrap(), &topic);
        Pipeline {
            topic,
            dlq,
            database,
            config,
        }
    }
}

async fn start_serve(client: &reqwest::Client, dir: &Path, config: &str) -> (Process, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut serve = Process::start(
        "serve",
        &[
            "serve",
            "--config",
            config,
            "--addr",
            &format!("127.0.0.1:{port}"),
        ],
        &dir.join("serve.log"),
    );
    ready(client, &base, &mut serve).await;
    (serve, base)
}

fn envelope(kind: &str) -> String {
    format!(
        r#""event_id":"bad-{kind}","type":"{kind}","schema_version":1,"occurred_at":"2026-01-05T09:00:00Z","project_id":"p-1""#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_lands_in_the_dead_letter_topic_and_changes_no_number() {
    services();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (seed, events) = ("21", "30000");
    let expected = embedded_reference(&client, dir.path(), seed, events).await;

    let Pipeline {
        topic,
        dlq,
        database,
        config,
    } = Pipeline::prepare(dir.path(), "bad", seed, events, 65_536);
    // Duplicates: the first 500 events once more.
    run(&[
        "simulate",
        "--seed",
        seed,
        "--events",
        "500",
        "--kafka",
        kafka_io::BROKERS,
        "--kafka-topic",
        &topic,
    ]);
    let producer = kafka_io::RawProducer::new();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("malformed", b"{\"event_id\":".to_vec()),
        ("malformed", b"not json at all".to_vec()),
        ("malformed", Vec::new()),
        ("missing_field", format!(r#"{{{},"annotation_id":"x1","member_id":"m-1","lead_time_seconds":3,"completed_at":"2026-01-05T09:00:00Z","result":[]}}"#, envelope("annotation.submitted")).into_bytes()),
        ("out_of_range", format!(r#"{{{},"annotation_id":"x2","task_id":"t-1","member_id":"m-1","lead_time_seconds":-4,"completed_at":"2026-01-05T09:00:00Z","result":[]}}"#, envelope("annotation.updated")).into_bytes()),
        ("unknown_value", format!(r#"{{{},"review_id":"x3","annotation_id":"a-1","task_id":"t-1","reviewer_id":"m-2","outcome":"maybe","started_at":"2026-01-05T09:00:00Z","completed_at":"2026-01-05T09:01:00Z"}}"#, envelope("review.submitted")).into_bytes()),
        ("oversized", format!(r#"{{{},"task_id":"t-big","padding":"{}"}}"#, envelope("task.created"), "x".repeat(100_000)).into_bytes()),
    ];
    for (_, payload) in &bad {
        producer.send(&topic, None, "p-1", payload);
    }
    producer.flush();

    let mut ingest = Process::start(
        "ingest",
        &["ingest", "--config", &config],
        &dir.path().join("ingest.log"),
    );
    let (mut serve, base) = start_serve(&client, dir.path(), &config).await;
    let actual = converge(
        &client,
        &base,
        &expected,
        Duration::from_secs(240),
        &mut [&mut ingest, &mut serve],
    )
    .await;
    assert_same(&expected, &actual);

    // Misrouted: a valid, new event of p-1 on another partition than p-1's home.
    let home: u32 = client
        .post("http://127.0.0.1:8123/")
        .body(format!(
            "SELECT partition FROM {database}.event_archive WHERE position(event, '\"project_id\":\"p-1\"') > 0 LIMIT 1"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .trim()
        .parse()
        .expect("p-1 has a home partition");
    let misrouted = format!(
        r#"{{{},"annotation_id":"x4","task_id":"t-1","member_id":"m-1","lead_time_seconds":3,"completed_at":"2026-01-05T09:00:00Z","result":[]}}"#,
        envelope("annotation.submitted").replace("bad-annotation.submitted", "bad-misrouted")
    );
    producer.send(
        &topic,
        Some(((home + 1) % 8) as i32),
        "p-1",
        misrouted.as_bytes(),
    );
    producer.flush();

    let letters = kafka_io::read_letters(&dlq, bad.len() + 1);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for letter in &letters {
        *reasons
            .entry(
                letter
                    .headers
                    .get("labelpulse.reason")
                    .cloned()
                    .unwrap_or_default(),
            )
            .or_default() += 1;
    }
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for (reason, _) in &bad {
        *want.entry(reason.to_string()).or_default() += 1;
    }
    want.insert("misrouted".to_string(), 1);
    assert_eq!(reasons, want, "dead letters by reason");
    for (reason, payload) in &bad {
        assert!(
            letters.iter().any(|l| &l.payload == payload
                && l.headers.get("labelpulse.reason").map(String::as_str) == Some(reason)),
            "the {reason} message is in the dead-letter topic with its original bytes"
        );
    }
    assert!(letters
        .iter()
        .all(|l| l.headers.contains_key("labelpulse.source.offset")));
    // Nothing of it reached the numbers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_same(&expected, &snapshot(&client, &base).await);
    ingest.kill9();
    common::drop_database(&client, &database).await;
    common::delete_topics(&[&topic, &dlq]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ingestor_joins_and_the_first_leaves_mid_stream() {
    services();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (seed, events) = ("31", "100000");
    let expected = embedded_reference(&client, dir.path(), seed, events).await;

    let Pipeline {
        topic,
        dlq,
        database,
        config,
    } = Pipeline::prepare(dir.path(), "scale", seed, events, 1_048_576);

    let mut first = Process::start(
        "ingest-1",
        &["ingest", "--config", &config],
        &dir.path().join("ingest-1.log"),
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut second = Process::start(
        "ingest-2",
        &["ingest", "--config", &config],
        &dir.path().join("ingest-2.log"),
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Leave the group cleanly (SIGTERM: flush, commit, close).
    let status = std::process::Command::new("kill")
        .args(["-TERM", &first.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = first.child.wait();

    let (mut serve, base) = start_serve(&client, dir.path(), &config).await;
    let actual = converge(
        &client,
        &base,
        &expected,
        Duration::from_secs(300),
        &mut [&mut second, &mut serve],
    )
    .await;
    assert_same(&expected, &actual);
    common::drop_database(&client, &database).await;
    common::delete_topics(&[&topic, &dlq]);
}
