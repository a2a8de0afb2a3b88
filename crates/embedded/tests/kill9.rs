//! kill -9: a child process (this test binary, re-executed) feeds a stream
//! through the node; the parent SIGKILLs it at random moments, checks that
//! what is durable is exactly a clean run of a prefix of the stream, restarts
//! it, and finally lets it finish. The end state equals one clean run.
//!
//! The child re-submits from the node's durable position after each
//! restart, as a real client does with unacknowledged events.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use labelpulse_embedded::{EmbeddedNode, EmbeddedStore, NodeSettings};

const DIR_VAR: &str = "LABELPULSE_KILL9_DIR";
const SEED: u64 = 99;
const EVENTS: usize = 6000;
const BATCH: usize = 20;
const IN_FLIGHT: usize = 6;

/// The child: only does something when started by the parent.
#[test]
#[ignore = "child process of kill9_loses_nothing_and_counts_nothing_twice"]
fn kill9_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        return;
    };
    let events = common::stream(SEED, EVENTS);
    let settings = NodeSettings {
        max_batch_events: 3 * BATCH,
        ..NodeSettings::default()
    };
    let (node, _reader) = EmbeddedNode::open(&dir, settings).expect("open");
    let start = node.position() as usize;
    println!("start {start}");
    let mut tickets = VecDeque::new();
    let wait = |tickets: &mut VecDeque<labelpulse_embedded::Ticket>| {
        if let Some(ticket) = tickets.pop_front() {
            let receipt = ticket.wait_blocking().expect("commit");
            println!("position {}", receipt.position);
        }
    };
    for chunk in events[start..].chunks(BATCH) {
        tickets.push_back(node.submit_blocking(chunk.to_vec()).expect("submit"));
        if tickets.len() >= IN_FLIGHT {
            wait(&mut tickets);
        }
    }
    while !tickets.is_empty() {
        wait(&mut tickets);
    }
    node.shutdown_blocking().expect("shutdown");
    println!("done {}", node.position());
}

fn spawn_child(dir: &std::path::Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "kill9_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn durable(dir: &std::path::Path) -> labelpulse_engine::memory::MemoryContents {
    let store = EmbeddedStore::open(dir).unwrap();
    store.snapshot().unwrap().contents().unwrap()
}

#[test]
fn kill9_loses_nothing_and_counts_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let events = common::stream(SEED, EVENTS);
    let mut rng = common::Rng::new(2026);
    let mut kills = 0;
    let mut mid_stream_kills = 0;
    let mut last = 0u64;
    while kills < 4 {
        let mut child = spawn_child(dir.path());
        let stdout = child.stdout.take().unwrap();
        // Kill after a random number of acknowledged batches, a random
        // moment later (the node keeps committing meanwhile).
        let after = 1 + rng.below(25) as usize;
        let mut acknowledged = 0;
        let mut acknowledged_position = 0u64;
        let mut finished = false;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(position) = line.strip_prefix("position ") {
                acknowledged += 1;
                let position: u64 = position.parse().unwrap();
                assert!(position >= last, "acknowledged {position} < durable {last}");
                acknowledged_position = position;
                if acknowledged == after {
                    std::thread::sleep(Duration::from_micros(rng.below(8000)));
                    break;
                }
            }
            if line.starts_with("done ") {
                finished = true;
                break;
            }
        }
        assert!(
            !finished,
            "the child finished before it was killed: make the stream longer"
        );
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(!status.success(), "{status:?}");
        kills += 1;

        // What is durable is exactly a clean run of a prefix of the stream:
        // nothing acknowledged is lost, nothing half-written is there.
        let contents = durable(dir.path());
        let position = contents.positions.get(&0).copied().unwrap_or(0);
        eprintln!("kill {kills}: acknowledged {acknowledged_position}, durable {position}");
        assert!(
            position >= last,
            "durable position went back from {last} to {position}"
        );
        assert!(
            position >= acknowledged_position,
            "acknowledged events lost"
        );
        assert!(position < EVENTS as u64);
        if position > last {
            mid_stream_kills += 1;
        }
        last = position;
        let clean = common::comparable(&common::memory_run(&events[..position as usize], BATCH));
        let contents = common::comparable(&contents);
        assert!(
            contents == clean,
            "after kill {kills}: {}",
            common::diff(&contents, &clean)
        );
    }
    assert!(
        mid_stream_kills >= 3,
        "only {mid_stream_kills} kills made progress"
    );

    // Finally let it finish.
    let mut child = spawn_child(dir.path());
    let stdout = child.stdout.take().unwrap();
    // Read to the end: the child's test harness still writes after "done".
    let lines: Vec<String> = BufReader::new(stdout).lines().map(Result::unwrap).collect();
    let done = lines.iter().find(|line| line.starts_with("done ")).cloned();
    assert!(child.wait().unwrap().success());
    assert_eq!(done.as_deref(), Some(format!("done {EVENTS}").as_str()));

    let contents = durable(dir.path());
    assert_eq!(contents.positions.get(&0), Some(&(EVENTS as u64)));
    let clean = common::comparable(&common::memory_run(&events, BATCH));
    let contents = common::comparable(&contents);
    assert!(contents == clean, "{}", common::diff(&contents, &clean));
}
