//! kill -9 of the embedded mode: `labelpulse run --embedded` is killed with
//! SIGKILL five times while a client posts a simulator stream (each time
//! with a batch in flight), restarted on the same data dir, and the client
//! re-sends what was not acknowledged. The dashboards at the end equal those
//! of a run that was never killed: nothing acknowledged is lost, nothing is
//! counted twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use labelpulse_simulator::{SimConfig, Simulator};
use serde_json::Value;

struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

async fn start(data_dir: &Path, client: &reqwest::Client) -> Server {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_labelpulse"))
        .args(["run", "--embedded", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn labelpulse");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..400 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            if response.status().is_success() {
                return Server { child, base };
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("labelpulse did not become ready");
}

fn stream() -> Vec<String> {
    Simulator::new(SimConfig {
        seed: 9,
        ..SimConfig::default()
    })
    .take(12_000)
    .map(|event| event.json)
    .collect()
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    batch: &[String],
) -> Result<(), reqwest::Error> {
    client
        .post(format!("{base}/api/v1/events"))
        .header("content-type", "application/x-ndjson")
        .body(batch.join("\n"))
        .send()
        .await?
        .error_for_status()
        .map(|_| ())
}

/// Every project's dashboard and members view, and every member's performance.
async fn snapshot(client: &reqwest::Client, base: &str) -> Vec<Value> {
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
        response.json::<Value>().await.expect("JSON")
    };
    let range = "from=2026-01-01&to=2026-02-01&tz=UTC";
    let projects = get("/api/v1/projects".to_string()).await;
    let mut out = vec![projects.clone()];
    let mut members = std::collections::BTreeSet::new();
    for project in projects["projects"].as_array().expect("projects") {
        let id = project["id"].as_str().expect("id");
        out.push(
            get(format!(
                "/api/v1/projects/{id}/dashboard?{range}&granularity=hour"
            ))
            .await,
        );
        let view = get(format!("/api/v1/projects/{id}/members?{range}")).await;
        for row in view["members"].as_array().expect("members") {
            members.insert(row["member_id"].as_str().expect("member").to_string());
        }
        out.push(view);
    }
    for member in members {
        out.push(get(format!("/api/v1/members/{member}/performance?{range}")).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_five_times_mid_batch_ends_equal_to_a_clean_run() {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let events = stream();
    let batches: Vec<&[String]> = events.chunks(300).collect();

    let clean_dir = tempfile::tempdir().unwrap();
    let mut clean = start(clean_dir.path(), &client).await;
    for batch in &batches {
        post(&client, &clean.base, batch)
            .await
            .expect("clean run accepts every batch");
    }
    let expected = snapshot(&client, &clean.base).await;
    let _ = clean.child.kill();
    let _ = clean.child.wait();

    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &client).await;
    // (batch index, delay after sending it before the SIGKILL)
    let kills = [(5usize, 0u64), (11, 2), (19, 7), (26, 1), (33, 15)];
    let mut next_kill = kills.iter().peekable();
    let mut index = 0;
    let mut killed = 0;
    while index < batches.len() {
        if let Some(&&(at, delay_ms)) = next_kill.peek() {
            if at == index {
                next_kill.next();
                // Send the batch and kill the server while it is in flight.
                let request = tokio::spawn({
                    let (client, base, batch) =
                        (client.clone(), server.base.clone(), batches[index].to_vec());
                    async move { post(&client, &base, &batch).await }
                });
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                server.child.kill().expect("SIGKILL");
                let _ = server.child.wait();
                killed += 1;
                let acknowledged = request.await.map(|r| r.is_ok()).unwrap_or(false);
                server = start(dir.path(), &client).await;
                if acknowledged {
                    index += 1;
                }
                // Not acknowledged: re-send it (it may or may not be durable).
                continue;
            }
        }
        post(&client, &server.base, batches[index])
            .await
            .expect("accepted");
        index += 1;
    }
    assert_eq!(killed, kills.len());
    let actual = snapshot(&client, &server.base).await;
    let _ = server.child.kill();
    let _ = server.child.wait();
    assert_eq!(expected.len(), actual.len());
    for (want, got) in expected.iter().zip(&actual) {
        assert_eq!(want, got);
    }
    // The comparison is not vacuous: the stream produced real numbers.
    let submitted: i64 = expected[0]["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["annotations_submitted"].as_i64().unwrap())
        .sum();
    assert!(submitted > 500, "only {submitted} annotations");
}
