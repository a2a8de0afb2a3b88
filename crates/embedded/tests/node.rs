//! The embedded node: ingest, group commit, invalid events, restarts, shutdown.

mod common;

use labelpulse_core::ingest::EventSink;
use labelpulse_core::read::ReadStore;
use labelpulse_embedded::{EmbeddedNode, NodeError, NodeSettings};
use labelpulse_engine::EngineSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_commits_each_batch_and_matches_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let events = common::stream(11, 600);
    let (node, reader) = EmbeddedNode::open(dir.path(), EngineSettings::default()).unwrap();
    assert_eq!(node.position(), 0);
    for (i, chunk) in events.chunks(50).enumerate() {
        let receipt = node.ingest(chunk.to_vec()).await.unwrap();
        assert_eq!(receipt.accepted, chunk.len());
        assert_eq!(node.position(), 50 * (i as u64 + 1));
        // Readers see each committed batch.
        assert!(reader.ready().await);
    }
    let counters = node.counters();
    assert_eq!(
        counters.applied + counters.fenced + counters.unresolved,
        600
    );
    assert_eq!(counters.fenced, 0);
    assert_eq!(counters.invalid, 0);
    assert_eq!(counters.batches, 12);
    assert_eq!(counters.commits, 12);
    assert!(counters.flushes >= 12);
    assert_eq!(counters.position, 600);
    assert!(counters.flush_micros_total >= counters.last_flush_micros);
    node.shutdown().await.unwrap();

    let expected = common::memory_run(&events, 50);
    let contents = reader.snapshot().unwrap().contents().unwrap();
    assert_eq!(common::comparable(&contents), common::comparable(&expected));
    common::assert_reads_match(&reader, &contents).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_batches_are_group_committed_up_to_the_limit() {
    let events = common::stream(12, 1000);
    // Unlimited grouping: far fewer transactions than batches.
    let dir = tempfile::tempdir().unwrap();
    let (node, reader) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    let mut tickets = Vec::new();
    for chunk in events.chunks(10) {
        tickets.push(node.submit(chunk.to_vec()).await.unwrap());
    }
    let mut last = 0;
    for ticket in tickets {
        let receipt = ticket.await.unwrap();
        assert_eq!(receipt.accepted, 10);
        assert!(receipt.position >= last);
        last = receipt.position;
    }
    assert_eq!(last, 1000);
    let counters = node.counters();
    assert_eq!(counters.batches, 100);
    assert!(counters.commits < 50, "{counters:?}");
    node.shutdown().await.unwrap();
    assert_eq!(
        common::comparable(&reader.snapshot().unwrap().contents().unwrap()),
        common::comparable(&common::memory_run(&events, 10))
    );

    // A limit of 30 events: at most 3 batches of 10 per transaction.
    let dir = tempfile::tempdir().unwrap();
    let settings = NodeSettings {
        max_batch_events: 30,
        ..NodeSettings::default()
    };
    let (node, reader) = EmbeddedNode::open(dir.path(), settings).unwrap();
    let mut tickets = Vec::new();
    for chunk in events.chunks(10) {
        tickets.push(node.submit(chunk.to_vec()).await.unwrap());
    }
    for ticket in tickets {
        ticket.await.unwrap();
    }
    let counters = node.counters();
    assert!(counters.commits >= 34, "{counters:?}");
    node.shutdown().await.unwrap();
    assert_eq!(
        common::comparable(&reader.snapshot().unwrap().contents().unwrap()),
        common::comparable(&common::memory_run(&events, 10))
    );
}

#[tokio::test]
async fn invalid_events_are_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let events = common::stream(13, 4);
    let (node, reader) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    let batch = vec![
        events[0].clone(),
        b"not json".to_vec(),
        events[1].clone(),
        br#"{"type":"task.created"}"#.to_vec(),
        Vec::new(),
    ];
    let receipt = node.ingest_batch(batch).await.unwrap();
    assert_eq!(
        (receipt.accepted, receipt.invalid, receipt.position),
        (2, 3, 2)
    );
    assert_eq!(node.counters().invalid, 3);
    // An empty batch is fine too.
    let receipt = node.ingest_batch(Vec::new()).await.unwrap();
    assert_eq!((receipt.accepted, receipt.position), (0, 2));
    node.shutdown().await.unwrap();
    let contents = reader.snapshot().unwrap().contents().unwrap();
    assert_eq!(
        common::comparable(&contents),
        common::comparable(&common::memory_run(&events[..2], 10))
    );
    assert_eq!(contents.archive.len(), 2);
}

#[tokio::test]
async fn sequences_continue_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let events = common::stream(14, 300);
    let (node, _) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    node.ingest_batch(events[..120].to_vec()).await.unwrap();
    node.shutdown().await.unwrap();
    drop(node);

    let (node, reader) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    assert_eq!(node.position(), 120);
    let receipt = node.ingest_batch(events[120..].to_vec()).await.unwrap();
    assert_eq!(receipt.position, 300);
    node.shutdown().await.unwrap();
    let contents = reader.snapshot().unwrap().contents().unwrap();
    assert_eq!(
        common::comparable(&contents),
        common::comparable(&common::memory_run(&events, 120))
    );
    assert_eq!(contents.archive.keys().next_back(), Some(&(0, 300)));
}

#[tokio::test]
async fn after_shutdown_the_node_says_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (node, reader) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    let other = node.clone();
    node.shutdown().await.unwrap();
    assert!(matches!(
        other.submit(Vec::new()).await,
        Err(NodeError::Stopped)
    ));
    assert!(matches!(
        other.ingest(Vec::new()).await,
        Err(NodeError::Stopped)
    ));
    other.shutdown().await.unwrap();
    // The reader outlives the node.
    assert!(reader.projects().await.unwrap().is_empty());
}

#[test]
fn blocking_api_from_a_plain_thread() {
    let dir = tempfile::tempdir().unwrap();
    let events = common::stream(15, 200);
    let (node, reader) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    let feeder = {
        let node = node.clone();
        let events = events.clone();
        std::thread::spawn(move || {
            let tickets: Vec<_> = events
                .chunks(20)
                .map(|chunk| node.submit_blocking(chunk.to_vec()).unwrap())
                .collect();
            tickets
                .into_iter()
                .map(|t| t.wait_blocking().unwrap().accepted)
                .sum::<usize>()
        })
    };
    assert_eq!(feeder.join().unwrap(), 200);
    assert_eq!(node.ingest_blocking(Vec::new()).unwrap().position, 200);
    node.shutdown_blocking().unwrap();
    assert_eq!(
        common::comparable(&reader.snapshot().unwrap().contents().unwrap()),
        common::comparable(&common::memory_run(&events, 20))
    );
}

#[test]
fn the_store_is_locked_while_a_node_has_it_open() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _reader) = EmbeddedNode::open(dir.path(), NodeSettings::default()).unwrap();
    assert!(matches!(
        EmbeddedNode::open(dir.path(), NodeSettings::default()),
        Err(NodeError::Open(_))
    ));
    node.shutdown_blocking().unwrap();
}
