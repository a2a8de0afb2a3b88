//! The ingestor against the real local broker: clean streams, bad input,
//! crashes between flush and commit, store outages and two group members.

mod common;

use std::time::Duration;

use common::*;
use labelpulse_engine::memory::MemoryStore;
use labelpulse_engine::EngineSettings;
use labelpulse_engine::Store;
use labelpulse_kafka::{IngestMetrics, Ingestor, IngestorHandle, IngestorOptions, KafkaConfig};

const PARTITIONS: i32 = 8;

/// Produce a simulator stream, ingest it into a MemoryStore: the store
/// equals the same events applied directly to an engine.
#[test]
fn clean_stream_equals_direct_engine() {
    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let config = config(&topic, &dlq, &group);
    let events = sim_events(20_000, 7);
    let deliveries = produce(&config, &events);
    let expected = reference(&placed(&events, &deliveries));
    let ends = ends(&deliveries, &[]);
    assert_eq!(
        ends.len(),
        PARTITIONS as usize,
        "the stream covers every partition"
    );

    // Flushes written in the background (each reported running for 3
    // polls) over a small cache: evictions happen while a flush is written.
    let metrics = IngestMetrics::unregistered();
    let settings = EngineSettings {
        cache_capacity: 5_000,
        ..EngineSettings::default()
    };
    let handle = Ingestor::new(
        config,
        MemoryStore::with_background_writes(3),
        settings,
        metrics,
    )
    .expect("ingestor")
    .spawn()
    .expect("spawn");
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    // librdkafka's statistics come every 5 s: the one local broker is up.
    wait_until(Duration::from_secs(15), "a broker reported up", || {
        handle.metrics().brokers_up() == 1
    });
    let stats = handle.metrics().snapshot();
    let exit = handle.shutdown().expect("shutdown");
    assert!(exit.drained);
    assert_eq!(stats.consumed, events.len() as u64);
    assert_eq!(
        stats.applied + stats.fenced + stats.unresolved,
        events.len() as u64
    );
    assert_eq!(stats.dead_lettered, 0);
    assert!(
        stats.cache_evictions > 0,
        "a 5,000-entry cache over 20,000 events evicts"
    );
    assert_eq!(exit.progress.committed, ends);
    assert_same(&exit.store.contents, &expected);
    eprintln!("clean: {stats:?}, consumer closed in time: {}", exit.closed);
}

/// A project (the key of a non-member event) and the partition it landed on.
fn project_home(
    events: &[labelpulse_simulator::SimEvent],
    deliveries: &[labelpulse_kafka::Delivered],
    nth: usize,
) -> (String, i32) {
    let mut homes: Vec<(String, i32)> = events
        .iter()
        .zip(deliveries)
        .filter(|(e, _)| !e.json.contains("\"member.upserted\""))
        .map(|(e, d)| (e.key.clone(), d.partition))
        .collect();
    homes.sort();
    homes.dedup();
    homes[nth % homes.len()].clone()
}

fn task_created(event_id: &str, project: &str, task: &str, extra: &str) -> String {
    format!(
        r#"{{"event_id":"{event_id}","type":"task.created","schema_version":1,"occurred_at":"2026-01-05T09:00:00Z","project_id":"{project}","task_id":"{task}"{extra}}}"#
    )
}

/// Malformed JSON, schema violations, an oversized and a misrouted message
/// land in the dead-letter topic with the right headers; the store equals
/// the clean stream's.
#[test]
fn bad_input_goes_to_dead_letters() {
    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let mut config = config(&topic, &dlq, &group);
    config.max_message_bytes = 8_192;
    let events = sim_events(12_000, 11);
    let (first, second) = events.split_at(events.len() / 2);
    let mut deliveries = produce(&config, first);

    // (partition, offset, key, payload, expected reason)
    let mut bad: Vec<(i32, i64, String, Vec<u8>, String)> = Vec::new();
    let mut send_bad = |partition: i32, key: &str, payload: Vec<u8>, reason: &str| {
        let offset = produce_raw(&topic, partition, key, &payload);
        bad.push((
            partition,
            offset,
            key.to_string(),
            payload,
            reason.to_string(),
        ));
    };
    let (p0, h0) = project_home(first, &deliveries, 0);
    let (p1, h1) = project_home(first, &deliveries, 1);
    let (p2, h2) = project_home(first, &deliveries, 2);
    send_bad(h0, &p0, b"{not json".to_vec(), "malformed");
    send_bad(h1, &p1, Vec::new(), "malformed");
    let missing = format!(
        r#"{{"event_id":"m1","type":"task.created","schema_version":1,"occurred_at":"2026-01-05T09:00:00Z","project_id":"{p0}"}}"#
    );
    send_bad(h0, &p0, missing.into_bytes(), "missing_field");
    let wrong = format!(
        r#"{{"event_id":"m2","type":"task.created","schema_version":1,"occurred_at":"2026-01-05T09:00:00Z","project_id":"{p1}","task_id":5}}"#
    );
    send_bad(h1, &p1, wrong.into_bytes(), "wrong_type");
    let timestamp = format!(
        r#"{{"event_id":"m3","type":"task.created","schema_version":1,"occurred_at":"yesterday","project_id":"{p2}","task_id":"t-bad"}}"#
    );
    send_bad(h2, &p2, timestamp.into_bytes(), "bad_timestamp");
    let unknown = task_created("m4", &p2, "t-unknown", "").replace("task.created", "task.exploded");
    send_bad(h2, &p2, unknown.into_bytes(), "unknown_value");
    let padding = format!(r#","pad":"{}""#, "x".repeat(10_000));
    let oversized = task_created("big-1", &p0, "big-task", &padding);
    assert!(
        labelpulse_core::decode(oversized.as_bytes()).is_ok(),
        "valid but too big"
    );
    send_bad(h0, &p0, oversized.into_bytes(), "oversized");
    for (_, _, _, payload, reason) in &bad {
        if reason != "oversized" {
            let error = labelpulse_core::decode(payload).expect_err("refused");
            assert_eq!(error.kind(), reason, "the test's own expectation");
        }
    }

    let metrics = IngestMetrics::unregistered();
    let handle = Ingestor::new(
        config.clone(),
        MemoryStore::default(),
        EngineSettings::default(),
        metrics,
    )
    .expect("ingestor")
    .spawn()
    .expect("spawn");
    let extra: Vec<(i32, i64)> = bad.iter().map(|b| (b.0, b.1)).collect();
    wait_committed(
        &group,
        &topic,
        PARTITIONS,
        &ends(&deliveries, &extra),
        Duration::from_secs(120),
    );

    // Phase 2: p0 is now known to live on h0; the same project elsewhere is misrouted.
    let wrong_partition = (h0 + 1) % PARTITIONS;
    let misrouted = task_created("mis-1", &p0, "misrouted-task", "");
    let offset = produce_raw(&topic, wrong_partition, &p0, misrouted.as_bytes());
    bad.push((
        wrong_partition,
        offset,
        p0.clone(),
        misrouted.into_bytes(),
        "misrouted".to_string(),
    ));
    deliveries.extend(produce(&config, second));
    let extra: Vec<(i32, i64)> = bad.iter().map(|b| (b.0, b.1)).collect();
    let ends = ends(&deliveries, &extra);
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    let stats = handle.metrics().snapshot();
    let by_reason: Vec<(String, u64)> = [
        "malformed",
        "missing_field",
        "wrong_type",
        "bad_timestamp",
        "unknown_value",
        "oversized",
        "misrouted",
    ]
    .iter()
    .map(|r| (r.to_string(), handle.metrics().dead_lettered(r)))
    .collect();
    let exit = handle.shutdown().expect("shutdown");

    assert_eq!(stats.consumed, (events.len() + bad.len()) as u64);
    assert_eq!(stats.dead_lettered, bad.len() as u64);
    for (reason, count) in &by_reason {
        let expected = bad.iter().filter(|b| &b.4 == reason).count() as u64;
        assert_eq!(*count, expected, "dead letters with reason {reason}");
    }
    let expected = reference(&placed(&events, &deliveries));
    // Every partition ends with a clean event, so positions agree too.
    assert_same(&exit.store.contents, &expected);

    let letters = read_dead_letters(&dlq, bad.len());
    assert_eq!(letters.len(), bad.len(), "exactly the refused messages");
    for (partition, offset, key, payload, reason) in &bad {
        let letter = letters
            .iter()
            .find(|l| {
                l.headers.get("labelpulse.source.partition") == Some(&partition.to_string())
                    && l.headers.get("labelpulse.source.offset") == Some(&offset.to_string())
            })
            .unwrap_or_else(|| panic!("dead letter of {partition}/{offset}"));
        assert_eq!(&letter.payload, payload, "original bytes");
        assert_eq!(letter.key.as_deref(), Some(key.as_bytes()), "original key");
        assert_eq!(letter.headers.get("labelpulse.reason"), Some(reason));
        assert_eq!(letter.headers.get("labelpulse.source.topic"), Some(&topic));
        let detail = letter.headers.get("labelpulse.detail").expect("detail");
        assert!(!detail.is_empty());
        eprintln!("{reason}: {detail:.120}");
    }
}

/// Stopped like a crash right after a durable flush, before its commit,
/// then restarted in the same group over the same store: the replayed
/// messages are skipped and the store equals the clean run.
#[test]
fn crash_between_flush_and_commit_then_restart() {
    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let mut config = config(&topic, &dlq, &group);
    config.max_batch_events = 2_000;
    let events = sim_events(16_000, 13);
    let deliveries = produce(&config, &events);
    let ends = ends(&deliveries, &[]);
    let expected = reference(&placed(&events, &deliveries));

    let first = Ingestor::new(
        config.clone(),
        MemoryStore::with_background_writes(3),
        EngineSettings::default(),
        IngestMetrics::unregistered(),
    )
    .expect("ingestor")
    .with_options(IngestorOptions {
        crash_after_flushes: Some(3),
    })
    .spawn()
    .expect("spawn");
    let crashed = first.join().expect("first run ends");
    assert!(crashed.crashed);
    let committed = group_committed(&group, &topic, PARTITIONS);
    let durable: u64 = crashed.store.contents.positions.values().sum();
    let committed_total: i64 = committed.values().sum();
    assert!(
        (committed_total as u64) < durable,
        "the third flush is durable ({durable} events) but not committed ({committed_total})"
    );

    let metrics = IngestMetrics::unregistered();
    let second = Ingestor::new(config, crashed.store, EngineSettings::default(), metrics)
        .expect("ingestor")
        .spawn()
        .expect("spawn");
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    let stats = second.metrics().snapshot();
    let exit = second.shutdown().expect("shutdown");
    assert!(
        stats.replayed > 0,
        "the uncommitted flush was read again: {stats:?}"
    );
    assert_eq!(stats.consumed, events.len() as u64 - committed_total as u64);
    assert_same(&exit.store.contents, &expected);
    eprintln!(
        "crash after flush: committed {committed_total}, durable {durable}, restart {stats:?}"
    );
}

/// The store fails in the middle of a flush (some rows written, not the
/// position) and keeps failing; the ingestor pauses without committing;
/// killed and restarted over the repaired store, the engine's fencing
/// gives the clean run's store.
#[test]
fn store_failure_mid_flush_then_kill_and_restart() {
    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let mut config = config(&topic, &dlq, &group);
    config.max_batch_events = 2_000;
    let events = sim_events(16_000, 17);
    let deliveries = produce(&config, &events);
    let ends = ends(&deliveries, &[]);
    let expected = reference(&placed(&events, &deliveries));

    // Flushes written in the background (reported running for 3 polls):
    // the injected failure hits a write while the next batch is applied.
    let mut store = MemoryStore::with_background_writes(3);
    store.fail_after_rows = Some(9_000);
    let metrics = IngestMetrics::unregistered();
    let first = Ingestor::new(config.clone(), store, EngineSettings::default(), metrics)
        .expect("ingestor")
        .spawn()
        .expect("spawn");
    wait_until(
        Duration::from_secs(60),
        "the ingestor pauses on the failing store",
        || first.metrics().snapshot().flush_failures >= 3,
    );
    let before_kill = group_committed(&group, &topic, PARTITIONS);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        group_committed(&group, &topic, PARTITIONS),
        before_kill,
        "no commit while failing"
    );
    let stats = first.metrics().snapshot();
    let killed = first.kill().expect("killed");
    assert!(killed.crashed);
    let mut store = killed.store;
    let rows_written = store.contents.aggregates.len() + store.contents.tasks.len();
    assert!(
        rows_written > 0,
        "some rows were written before the failure"
    );
    store.fail_after_rows = None;

    let metrics = IngestMetrics::unregistered();
    let second = Ingestor::new(config, store, EngineSettings::default(), metrics)
        .expect("ingestor")
        .spawn()
        .expect("spawn");
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    let restarted = second.metrics().snapshot();
    let exit = second.shutdown().expect("shutdown");
    assert_same(&exit.store.contents, &expected);
    eprintln!("mid-flush failure: first {stats:?}, restart {restarted:?}");
}

/// The store goes down mid-stream (reads and writes fail): consumption
/// pauses, nothing is committed, the data is kept; once the store is back
/// the ingestor resumes by itself and the store equals the clean run.
#[test]
fn store_outage_pauses_then_resumes() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let config = config(&topic, &dlq, &group);
    let events = sim_events(12_000, 19);
    let (first, second) = events.split_at(events.len() / 2);
    let mut deliveries = produce(&config, first);
    let down = Arc::new(AtomicBool::new(false));
    let store = FlakyStore {
        inner: MemoryStore::default(),
        down: down.clone(),
    };
    let handle = group_member(&config, store);
    let half = ends(&deliveries, &[]);
    wait_committed(&group, &topic, PARTITIONS, &half, Duration::from_secs(120));

    down.store(true, Ordering::SeqCst);
    deliveries.extend(produce(&config, second));
    let ends = ends(&deliveries, &[]);
    wait_until(Duration::from_secs(30), "paused", || {
        handle.metrics().snapshot().flush_failures >= 2
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        group_committed(&group, &topic, PARTITIONS),
        half,
        "nothing committed while down"
    );
    let during = handle.metrics().snapshot();
    down.store(false, Ordering::SeqCst);
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    let stats = handle.metrics().snapshot();
    let exit = handle.shutdown().expect("shutdown");
    assert!(exit.drained);
    assert_eq!(
        stats.consumed,
        events.len() as u64,
        "no message read twice: they were kept"
    );
    let expected = reference(&placed(&events, &deliveries));
    assert_same(&exit.store.inner.contents, &expected);
    eprintln!("outage: during {during:?}, after {stats:?}");
}

/// Two ingestors in one group over 8 partitions and one shared store (as
/// two processes share one ClickHouse): the second joins mid-stream, the
/// first stops mid-stream; the store equals the clean run. Eager
/// rebalancing (librdkafka's default assignors).
#[test]
fn two_ingestors_share_the_partitions_mid_stream() {
    two_ingestors(None);
}

/// The same with incremental (cooperative-sticky) rebalancing, where a
/// revoke takes only some partitions.
#[test]
fn two_ingestors_with_cooperative_rebalancing() {
    two_ingestors(Some("cooperative-sticky"));
}

fn two_ingestors(strategy: Option<&str>) {
    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let mut config = config(&topic, &dlq, &group);
    if let Some(strategy) = strategy {
        config.properties.insert(
            "partition.assignment.strategy".to_string(),
            strategy.to_string(),
        );
    }
    let events = sim_events(30_000, 23);
    let produced = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let producer = {
        let (config, events, produced) = (config.clone(), events.clone(), produced.clone());
        std::thread::spawn(move || {
            let mut deliveries = Vec::new();
            let producer = labelpulse_kafka::EventProducer::new(&config).expect("producer");
            let runtime = runtime();
            for chunk in events.chunks(500) {
                deliveries.extend(produce_with(&producer, &runtime, chunk));
                produced.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(150));
            }
            deliveries
        })
    };
    let progress = |n: usize| {
        let produced = produced.clone();
        move || produced.load(std::sync::atomic::Ordering::SeqCst) >= n
    };
    let store = shared_store_with_marks();
    let first = group_member(&config, store.clone());
    wait_until(
        Duration::from_secs(60),
        "a quarter produced",
        progress(events.len() / 4),
    );
    wait_until(
        Duration::from_secs(30),
        "the first ingestor committed",
        || first.progress().committed.len() == PARTITIONS as usize,
    );
    let second = group_member(&config, store.clone());
    wait_sharing(&first, &second);
    let shared_at = (first.progress().assigned, second.progress().assigned);
    wait_until(Duration::from_secs(60), "both committed", || {
        !second.progress().committed.is_empty() && !first.progress().committed.is_empty()
    });
    let before_stop = produced.load(std::sync::atomic::Ordering::SeqCst);
    let first_metrics = first.metrics().clone();
    let first_exit = first.shutdown().expect("first shutdown");
    let first_stats = first_metrics.snapshot();
    assert!(first_exit.drained);
    let deliveries = producer.join().expect("producer");
    assert!(
        before_stop < events.len(),
        "the first stopped mid-stream ({before_stop} produced)"
    );
    let ends = ends(&deliveries, &[]);
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    let second_metrics = second.metrics().clone();
    let second_exit = second.shutdown().expect("second shutdown");
    let second_stats = second_metrics.snapshot();
    assert_eq!(second_exit.progress.assigned.len(), PARTITIONS as usize);

    let expected = reference(&placed(&events, &deliveries));
    let mut actual = store.contents();
    let positions = std::mem::take(&mut actual.positions);
    eprintln!(
        "positions: store {positions:?}, reference {:?}",
        expected.positions
    );
    actual.positions = expected.positions.clone();
    assert_same(&actual, &expected);
    let read = first_stats.consumed + second_stats.consumed;
    let handled =
        |s: &labelpulse_kafka::IngestStats| s.applied + s.fenced + s.unresolved + s.replayed;
    assert!(
        read >= events.len() as u64,
        "every event read at least once"
    );
    assert_eq!(
        handled(&first_stats) + handled(&second_stats),
        read,
        "every read event handled"
    );
    eprintln!(
        "two ingestors ({strategy:?}): shared {shared_at:?}, first stopped at {before_stop} produced, closed in time: {} / {}; first {first_stats:?}; second {second_stats:?}",
        first_exit.closed, second_exit.closed
    );
}

/// A partition moved to a new owner while no message arrives shows its
/// committed offset there at once: the first ingestor reads and commits
/// every message, the second joins (the partitions are split between
/// them) and, with nothing new to read, commits nothing itself; its
/// committed-offset gauge still holds the group's offset for each of its
/// partitions.
#[test]
fn a_new_owner_reports_the_group_offsets_of_idle_partitions() {
    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let config = config(&topic, &dlq, &group);
    let events = sim_events(4_000, 29);
    let deliveries = produce(&config, &events);
    let ends = ends(&deliveries, &[]);
    let store = shared_store_with_marks();
    let first = group_member(&config, store.clone());
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(60));
    let second = group_member(&config, store.clone());
    wait_sharing(&first, &second);
    let owned = second.progress().assigned;
    let reported = second.metrics().committed_offsets();
    let committed = group_committed(&group, &topic, PARTITIONS);
    assert!(
        second.progress().committed.is_empty(),
        "the second had nothing to commit itself"
    );
    for partition in &owned {
        assert_eq!(
            reported.get(partition),
            committed.get(partition),
            "partition {partition}: the new owner's gauge shows the group's offset"
        );
    }
    assert_eq!(
        reported.keys().collect::<Vec<_>>(),
        owned.iter().collect::<Vec<_>>(),
        "a gauge for each partition the second owns, and only those"
    );
    let first_offsets = first.metrics().committed_offsets();
    assert!(
        first_offsets.keys().all(|p| !owned.contains(p)),
        "the first no longer reports the partitions it lost: {first_offsets:?}"
    );
    second.shutdown().expect("second shutdown");
    first.shutdown().expect("first shutdown");
}

/// While live, buffered messages reach the engine before their flush is
/// due (`apply_ahead_events`): with a 10 s flush interval, events are
/// applied within 3 s of being produced, and no flush has run yet. A store whose reads fail during such an early
/// apply pauses the ingestor like a failed flush; once it is back, the
/// store equals the clean run.
#[test]
fn live_messages_are_applied_ahead_of_the_flush() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let mut config = config(&topic, &dlq, &group);
    config.flush_interval = Duration::from_secs(10);
    config.max_batch_events = 1_000_000;
    config.apply_ahead_events = 500;
    let events = sim_events(6_000, 23);
    let (first, second) = events.split_at(events.len() / 2);
    let down = Arc::new(AtomicBool::new(false));
    let store = FlakyStore {
        inner: MemoryStore::default(),
        down: down.clone(),
    };
    let handle = group_member(&config, store);
    wait_until(Duration::from_secs(60), "partitions assigned", || {
        handle.progress().assigned.len() == PARTITIONS as usize
    });

    let mut deliveries = produce(&config, first);
    wait_until(Duration::from_secs(3), "applied ahead", || {
        handle.metrics().snapshot().applied > 0
    });
    let early = handle.metrics().snapshot();
    assert_eq!(early.flushes, 0, "applied before any flush: {early:?}");

    down.store(true, Ordering::SeqCst);
    deliveries.extend(produce(&config, second));
    wait_until(Duration::from_secs(30), "a failed early apply", || {
        handle.metrics().snapshot().flush_failures >= 1
    });
    down.store(false, Ordering::SeqCst);
    let ends = ends(&deliveries, &[]);
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    let exit = handle.shutdown().expect("shutdown");
    assert!(exit.drained);
    let expected = reference(&placed(&events, &deliveries));
    assert_same(&exit.store.inner.contents, &expected);
}

/// While live, flushes are light: the aggregate rows are durable but no
/// position and no offset is, the messages stay held. Killed then, the
/// next ingestor replays everything from the last commit (none) through
/// the rows the light flushes wrote, and ends with the clean run's store.
#[test]
fn light_flushes_commit_nothing_and_a_crash_after_them_replays_to_the_clean_run() {
    let (topic, dlq, group) = (fresh("events"), fresh("dlq"), fresh("group"));
    let _topic = create_topic(&topic, PARTITIONS);
    let _dlq = create_topic(&dlq, 1);
    let mut config = config(&topic, &dlq, &group);
    // Live for 6 s after the last message (twice the flush interval), so
    // no full flush comes before the kill; none by age for a minute.
    config.flush_interval = Duration::from_secs(3);
    config.full_flush_interval = Duration::from_secs(60);
    config.max_batch_events = 1_000_000;
    config.apply_ahead_events = 0;
    let events = sim_events(6_000, 29);
    let mut store = MemoryStore::with_background_writes(2);
    store.marks = Some(Default::default());
    let first = group_member(&config, store);
    wait_until(Duration::from_secs(60), "partitions assigned", || {
        first.progress().assigned.len() == PARTITIONS as usize
    });
    let deliveries = produce(&config, &events);
    wait_until(Duration::from_secs(30), "a light flush", || {
        first.metrics().snapshot().light_flushes >= 1
    });
    let killed = first.kill().expect("killed");
    assert!(killed.crashed);
    let committed: i64 = group_committed(&group, &topic, PARTITIONS).values().sum();
    assert_eq!(committed, 0, "nothing committed after light flushes");
    let contents = &killed.store.contents;
    assert!(
        !contents.aggregates.is_empty(),
        "the light flush wrote rows"
    );
    assert!(contents.positions.is_empty(), "no position is durable");
    assert!(contents.tasks.is_empty() && contents.archive.is_empty());
    assert!(killed
        .store
        .marks
        .as_ref()
        .is_some_and(|marks| !marks.is_empty()));

    let second = group_member(&config, killed.store);
    let ends = ends(&deliveries, &[]);
    wait_committed(&group, &topic, PARTITIONS, &ends, Duration::from_secs(120));
    let restarted = second.metrics().snapshot();
    let exit = second.shutdown().expect("shutdown");
    assert!(
        restarted.flushes >= 1,
        "a full flush committed: {restarted:?}"
    );
    assert_eq!(
        restarted.consumed,
        events.len() as u64,
        "everything read again"
    );
    let expected = reference(&placed(&events, &deliveries));
    assert_same(&exit.store.contents, &expected);
}

/// A group member over `store`, with metrics of its own.
fn group_member<S: Store + Send + 'static>(config: &KafkaConfig, store: S) -> IngestorHandle<S> {
    Ingestor::new(
        config.clone(),
        store,
        EngineSettings::default(),
        IngestMetrics::unregistered(),
    )
    .expect("ingestor")
    .spawn()
    .expect("spawn")
}

/// Waits until the two members split the partitions between them.
fn wait_sharing<S: Store + Send + 'static>(first: &IngestorHandle<S>, second: &IngestorHandle<S>) {
    wait_until(Duration::from_secs(60), "both own partitions", || {
        let (a, b) = (first.progress().assigned, second.progress().assigned);
        !a.is_empty() && !b.is_empty() && a.len() + b.len() == PARTITIONS as usize
    });
}
