//! Shared pieces of the end-to-end tests: local services, the binary,
//! processes, readiness, and the API snapshot compared across stores.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts Kafka and ClickHouse once per test binary (idempotent script).
pub fn services() {
    static UP: OnceLock<()> = OnceLock::new();
    UP.get_or_init(|| {
        let status = Command::new("bash")
            .arg(root().join("deploy/local/services"))
            .arg("up")
            .status()
            .expect("run deploy/local/services");
        assert!(status.success(), "deploy/local/services up failed");
    });
}

/// The `labelpulse` binary, built if missing.
pub fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(path) = std::env::var("LABELPULSE_BIN") {
            return PathBuf::from(path);
        }
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root().join("target"));
        let path = target.join("debug/labelpulse");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "labelpulse", "--bin", "labelpulse"])
            .current_dir(root())
            .status()
            .expect("cargo build");
        assert!(status.success(), "building labelpulse failed");
        path
    })
    .clone()
}

/// A free local port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process killed (SIGKILL) when dropped; when dropped by a failing
/// test, the end of its log is printed with the failure.
pub struct Process {
    /// The child.
    pub child: Child,
    /// What it is, for messages.
    pub name: String,
    /// Where its stderr goes.
    pub log: PathBuf,
}

/// How much of a child's log a failing test prints.
const LOG_TAIL_LINES: usize = 40;

impl Process {
    /// Starts `labelpulse ARGS`, output to `log` (a file in the test's temp dir).
    pub fn start(name: &str, args: &[&str], log: &Path) -> Process {
        let file = std::fs::File::create(log).expect("log file");
        let child = Command::new(binary())
            .args(args)
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn labelpulse");
        Process {
            child,
            name: name.to_string(),
            log: log.to_path_buf(),
        }
    }

    /// kill -9 and reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The last lines of its log, and whether it had exited on its own.
    fn report(&mut self) -> String {
        let exited = match self.child.try_wait() {
            Ok(Some(status)) => format!("exited: {status}"),
            _ => "still running".to_string(),
        };
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
        format!(
            "----- {} ({exited}), last {LOG_TAIL_LINES} lines of {} -----\n{tail}",
            self.name,
            self.log.display()
        )
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.report());
        }
        self.kill9();
    }
}

/// Runs `labelpulse ARGS` to completion.
pub fn run(args: &[&str]) {
    let output = Command::new(binary())
        .args(args)
        .output()
        .expect("run labelpulse");
    assert!(
        output.status.success(),
        "labelpulse {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Produces `count` events of the simulator's stream for `seed`, after
/// its first `skip`, to `topic` on the local broker (acknowledged batches
/// of 5,000). Producing a stream in parts with `skip` gives the same
/// events as producing it at once.
pub fn simulate_to_kafka(seed: &str, skip: u64, count: u64, topic: &str) {
    run(&[
        "simulate",
        "--seed",
        seed,
        "--skip",
        &skip.to_string(),
        "--events",
        &count.to_string(),
        "--batch",
        "5000",
        "--kafka",
        "127.0.0.1:9092",
        "--kafka-topic",
        topic,
    ]);
}

/// Kafka's topic tool against the local broker, through
/// `deploy/local/services kafka-tool`, with `args` after the broker
/// address; its standard output is dropped.
fn topic_tool(args: &[&str]) -> Command {
    let mut command = Command::new("bash");
    command
        .arg(root().join("deploy/local/services"))
        .args([
            "kafka-tool",
            "org.apache.kafka.tools.TopicCommand",
            "--bootstrap-server",
            "127.0.0.1:9092",
        ])
        .args(args)
        .stdout(Stdio::null());
    command
}

/// Creates a topic with `partitions` partitions on the local broker.
pub fn create_topic(topic: &str, partitions: u32) {
    let partitions = partitions.to_string();
    let status = topic_tool(&[
        "--create",
        "--if-not-exists",
        "--topic",
        topic,
        "--partitions",
        &partitions,
        "--replication-factor",
        "1",
    ])
    .status()
    .expect("kafka-tool");
    assert!(status.success(), "creating topic {topic} failed");
}

/// Deletes topics from the local broker (cleanup, as [`drop_database`]:
/// a passing test leaves nothing behind; a failing one keeps its topics
/// for a look). Best effort: a failure here fails no test.
pub fn delete_topics(topics: &[&str]) {
    for topic in topics {
        let _ = topic_tool(&["--delete", "--if-exists", "--topic", topic])
            .stderr(Stdio::null())
            .status();
    }
}

/// Drops a ClickHouse database (cleanup).
pub async fn drop_database(client: &reqwest::Client, database: &str) {
    let _ = client
        .post("http://127.0.0.1:8123/")
        .body(format!("DROP DATABASE IF EXISTS {database}"))
        .send()
        .await;
}

/// How many messages of a fresh topic the ingestor has made durable in
/// `database`: the sum over partitions of the position its flushes wrote
/// (`ingest_progress`, the next offset to read). `None` while ClickHouse
/// or the table does not answer.
pub async fn durable_messages(client: &reqwest::Client, database: &str) -> Option<u64> {
    let query = format!(
        "SELECT sum(position) FROM (SELECT partition, max(position) AS position \
         FROM {database}.ingest_progress GROUP BY partition)"
    );
    let response = client
        .post("http://127.0.0.1:8123/")
        .body(query)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.text().await.ok()?.trim().parse().ok()
}

/// The sum over its series of every sample named `name` in
/// `GET base/metrics` (a counter or gauge, all labels together); `None`
/// when the endpoint does not answer or has no such sample.
pub async fn metric_sum(client: &reqwest::Client, base: &str, name: &str) -> Option<f64> {
    metric_sum_where(client, base, name, &[]).await
}

/// [`metric_sum`] over the series whose labels include every `(name,
/// value)` of `labels`.
pub async fn metric_sum_where(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).ok()?;
    let values: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .filter(|sample| {
            labels
                .iter()
                .all(|(label, value)| sample.labels.get(label) == Some(*value))
        })
        .filter_map(|sample| match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => Some(v),
            _ => None,
        })
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// Polls [`metric_sum`] every 250 ms until `accept` takes its value or
/// `within` is over; returns the last value seen.
pub async fn wait_for_metric(
    client: &reqwest::Client,
    base: &str,
    name: &str,
    within: Duration,
    accept: impl Fn(f64) -> bool,
) -> Option<f64> {
    let deadline = std::time::Instant::now() + within;
    loop {
        let value = metric_sum(client, base, name).await;
        if value.is_some_and(&accept) || std::time::Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until `GET base/readyz` answers 200.
pub async fn ready(client: &reqwest::Client, base: &str, process: &mut Process) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = process.child.try_wait() {
            panic!("{} exited early: {status}", process.name);
        }
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} did not become ready", process.name);
}

/// What the dashboards say, route by route: the project list and the
/// service index, every project's dashboard in
/// several ranges, zones and granularities, its members (JSON and CSV), its
/// agreement (scopes, dimensions, a label), and every member's performance.
pub async fn snapshot(client: &reqwest::Client, base: &str) -> Vec<(String, String)> {
    let get = |path: String| async move {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("GET");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        (path, response.text().await.expect("body"))
    };
    let mut out = vec![
        get("/api/v1/projects".to_string()).await,
        get("/".to_string()).await,
    ];
    let projects: Value = serde_json::from_str(&out[0].1).expect("projects JSON");
    let ranges = [
        "from=2026-01-01&to=2026-03-01&tz=UTC",
        "from=2026-01-05&to=2026-01-06&tz=Europe/Berlin&granularity=hour",
        "from=2026-01-05T10:00:00Z&to=2026-01-07T00:00:00Z&tz=America/New_York&granularity=day",
        "from=2026-01-01&to=2026-02-28&tz=Asia/Tokyo&granularity=week",
    ];
    let mut members = std::collections::BTreeSet::new();
    for project in projects["projects"].as_array().expect("projects") {
        let id = project["id"].as_str().expect("id");
        for range in ranges {
            out.push(get(format!("/api/v1/projects/{id}/dashboard?{range}")).await);
        }
        let view = get(format!("/api/v1/projects/{id}/members?{}", ranges[0])).await;
        let parsed: Value = serde_json::from_str(&view.1).expect("members JSON");
        for row in parsed["members"].as_array().expect("members") {
            members.insert(row["member_id"].as_str().expect("member").to_string());
        }
        out.push(view);
        out.push(get(format!("/api/v1/projects/{id}/members.csv?{}", ranges[2])).await);
        let agreement = get(format!("/api/v1/projects/{id}/agreement")).await;
        let parsed: Value = serde_json::from_str(&agreement.1).expect("agreement JSON");
        out.push(agreement);
        for query in ["participants=all&mode=consensus", "participants=models"] {
            out.push(get(format!("/api/v1/projects/{id}/agreement?{query}")).await);
        }
        for dimension in parsed["statistics"].as_array().expect("statistics") {
            let name = dimension["dimension"].as_str().expect("dimension");
            out.push(get(format!("/api/v1/projects/{id}/agreement?dimension={name}")).await);
            if let Some(label) = dimension["per_label"][0]["label"].as_str() {
                out.push(
                    get(format!(
                        "/api/v1/projects/{id}/agreement?dimension={name}&label={label}"
                    ))
                    .await,
                );
            }
        }
    }
    for member in members {
        out.push(
            get(format!(
                "/api/v1/members/{member}/performance?{}",
                ranges[0]
            ))
            .await,
        );
        out.push(
            get(format!(
                "/api/v1/members/{member}/performance.csv?{}",
                ranges[1]
            ))
            .await,
        );
    }
    out
}

/// Polls `snapshot` until it equals `expected` (the pipeline is eventually
/// consistent while the ingestor catches up) or the timeout passes; returns
/// the last snapshot. Fails at once, naming it, when a `watched` process
/// exits meanwhile (its log's end is printed as the test fails).
pub async fn converge(
    client: &reqwest::Client,
    base: &str,
    expected: &[(String, String)],
    timeout: Duration,
    watched: &mut [&mut Process],
) -> Vec<(String, String)> {
    let deadline = Instant::now() + timeout;
    loop {
        for process in watched.iter_mut() {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "{} exited while the pipeline was catching up: {status}",
                    process.name
                );
            }
        }
        let actual = snapshot(client, base).await;
        if actual == expected || Instant::now() > deadline {
            return actual;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Asserts two snapshots are equal, naming the first route that differs.
pub fn assert_same(expected: &[(String, String)], actual: &[(String, String)]) {
    assert_eq!(expected.len(), actual.len(), "different routes");
    for ((route, want), (_, got)) in expected.iter().zip(actual) {
        assert_eq!(want, got, "{route} differs");
    }
}

/// The embedded mode's answers for `labelpulse simulate --seed SEED --events N`:
/// the reference every pipeline test compares against.
pub async fn embedded_reference(
    client: &reqwest::Client,
    dir: &Path,
    seed: &str,
    events: &str,
) -> Vec<(String, String)> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let data = dir.join("embedded");
    let mut embedded = Process::start(
        "embedded",
        &[
            "run",
            "--embedded",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            data.to_str().unwrap_or_default(),
        ],
        &dir.join("embedded.log"),
    );
    ready(client, &base, &mut embedded).await;
    run(&[
        "simulate",
        "--seed",
        seed,
        "--events",
        events,
        "--batch",
        "2000",
        "--url",
        &format!("{base}/api/v1/events"),
    ]);
    let expected = snapshot(client, &base).await;
    embedded.kill9();
    assert!(
        expected.len() > 30,
        "the snapshot covers {} routes",
        expected.len()
    );
    expected
}
