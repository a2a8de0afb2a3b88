//! The README's first command, `labelpulse demo`, as a newcomer runs it:
//! it prints its URL, and that URL itself (the service index) lists the
//! simulated projects with their counts and links to their dashboards; a
//! project's dashboard shows its work, and the numbers at the URL change
//! while the simulated team works. (How fast it answers is measured, not asserted here: README's
//! Performance section.)

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The demo process, killed when the test ends (also on a failed assert).
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// Sum of `annotations_submitted` over the projects of the index at the
/// printed URL, with the list.
async fn projects(client: &reqwest::Client, base: &str) -> Option<(i64, Vec<Value>)> {
    let response = client.get(format!("{base}/")).send().await.ok()?;
    let body: Value = response.json().await.ok()?;
    let list = body["projects"].as_array()?.clone();
    let submitted = list
        .iter()
        .map(|p| p["annotations_submitted"].as_i64().unwrap_or(0))
        .sum();
    Some((submitted, list))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_changing_numbers_at_the_url_it_prints() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_labelpulse"))
        .args(["demo", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--backfill-days", "1", "--rate", "50"])
        .arg("--data-dir")
        .arg(data_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn labelpulse demo");
    let stdout = child.stdout.take().expect("stdout");
    let _demo = Demo(child);

    // It prints the URL to open. What it prints later is drained, so that
    // it never waits on a full pipe.
    let mut stdout = BufReader::new(stdout);
    let mut first_line = String::new();
    stdout
        .read_line(&mut first_line)
        .expect("the demo prints a line");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = format!("http://127.0.0.1:{port}");
    assert!(first_line.contains(&base), "{first_line:?}");

    // The simulated projects appear...
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (before, list) = loop {
        if let Some((submitted, list)) = projects(&client, &base).await {
            if !list.is_empty() && submitted > 0 {
                break (submitted, list);
            }
        }
        assert!(Instant::now() < deadline, "no project with annotations");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // ... the dashboard of a project with annotations shows them ...
    let busiest = list
        .iter()
        .max_by_key(|p| p["annotations_submitted"].as_i64())
        .expect("a project");
    let link = busiest["links"]["dashboard"]
        .as_str()
        .expect("the index links the dashboard");
    let dashboard: Value = client
        .get(format!("{base}{link}?granularity=hour"))
        .send()
        .await
        .expect("dashboard")
        .json()
        .await
        .expect("dashboard JSON");
    assert!(
        dashboard["series"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{dashboard}"
    );
    assert!(
        dashboard["annotations"]["submitted"].as_i64() > Some(0),
        "{dashboard}"
    );

    // ... and the numbers change as the simulated team works.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some((after, _)) = projects(&client, &base).await {
            if after > before {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the numbers did not change");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
