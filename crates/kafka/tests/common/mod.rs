//! Test support: the real local broker (started once per test binary),
//! fresh topics and groups, simulator streams, a reference engine run and
//! stores that can be shared or made to fail.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use labelpulse_engine::entity::{IndexKey, MemberState, SessionState};
use labelpulse_engine::memory::{InjectedFailure, MemoryContents, MemoryStore};
use labelpulse_engine::store::{Flush, SessionKey, TaskKey};
use labelpulse_engine::{BatchEvent, Engine, EngineSettings, Store, Versioned};
use labelpulse_kafka::{Delivered, EventProducer, KafkaConfig};
use labelpulse_simulator::{SimConfig, SimEvent, Simulator};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

pub const BROKERS: &str = "127.0.0.1:9092";

/// Starts the local broker once per test binary (`deploy/local/services
/// up kafka` is idempotent and queues parallel callers).
pub fn kafka() {
    static UP: OnceLock<()> = OnceLock::new();
    UP.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let output = Command::new(root.join("deploy/local/services"))
            .args(["up", "kafka"])
            .current_dir(&root)
            .output()
            .expect("deploy/local/services runs");
        assert!(
            output.status.success(),
            "deploy/local/services up kafka failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    });
}

/// A name no other test (or earlier run) used.
pub fn fresh(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "labelpulse-kafka-test.{prefix}.{}.{nanos}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Deletes its topic when dropped (also when the test fails), so test
/// runs do not pile topics up in the local broker.
#[must_use = "the topic is deleted when the guard drops"]
pub struct TopicGuard(String);

impl Drop for TopicGuard {
    fn drop(&mut self) {
        let Ok(admin) = ClientConfig::new()
            .set("bootstrap.servers", BROKERS)
            .create::<AdminClient<DefaultClientContext>>()
        else {
            return;
        };
        let _ = runtime().block_on(admin.delete_topics(&[&self.0], &AdminOptions::new()));
    }
}

/// Creates `name` with `partitions` partitions and waits until its
/// metadata shows them all.
pub fn create_topic(name: &str, partitions: i32) -> TopicGuard {
    kafka();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .create()
        .expect("admin client");
    let results = runtime()
        .block_on(admin.create_topics(
            &[NewTopic::new(name, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(20))),
        ))
        .expect("create_topics");
    for result in results {
        result.expect("topic created");
    }
    let probe: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .create()
        .expect("probe consumer");
    wait_until(Duration::from_secs(20), "topic metadata", || {
        probe
            .fetch_metadata(Some(name), Duration::from_secs(5))
            .ok()
            .and_then(|m| {
                m.topics()
                    .first()
                    .map(|t| t.partitions().len() == partitions as usize && t.error().is_none())
            })
            .unwrap_or(false)
    });
    TopicGuard(name.to_string())
}

/// Settings for a test: fresh topic names given, quick flushes, a short
/// session timeout so a member that left without a goodbye is noticed soon.
pub fn config(topic: &str, dlq_topic: &str, group: &str) -> KafkaConfig {
    KafkaConfig {
        brokers: BROKERS.to_string(),
        topic: topic.to_string(),
        dlq_topic: dlq_topic.to_string(),
        group_id: group.to_string(),
        properties: BTreeMap::from([
            ("session.timeout.ms".to_string(), "6000".to_string()),
            ("heartbeat.interval.ms".to_string(), "500".to_string()),
        ]),
        flush_interval: Duration::from_millis(100),
        max_batch_events: 5_000,
        close_timeout: Duration::from_secs(5),
        drain_timeout: Duration::from_secs(10),
        ..KafkaConfig::default()
    }
}

/// `n` simulator events of a small organization.
pub fn sim_events(n: usize, seed: u64) -> Vec<SimEvent> {
    Simulator::new(SimConfig {
        seed,
        intensity: 2.0,
        tasks_per_project: 100,
        ..SimConfig::default()
    })
    .take(n)
    .collect()
}

/// Produces `events` with the crate's producer (`acks=all`), in order.
pub fn produce(config: &KafkaConfig, events: &[SimEvent]) -> Vec<Delivered> {
    let producer = EventProducer::new(config).expect("producer");
    produce_with(&producer, &runtime(), events)
}

/// [`produce`] with a producer and runtime kept across calls.
pub fn produce_with(
    producer: &EventProducer,
    runtime: &tokio::runtime::Runtime,
    events: &[SimEvent],
) -> Vec<Delivered> {
    let records: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.key.as_str(), e.json.as_str()))
        .collect();
    runtime
        .block_on(producer.send_keyed(records))
        .expect("every event acknowledged")
}

/// Produces raw bytes to an explicit partition; returns the offset.
pub fn produce_raw(topic: &str, partition: i32, key: &str, payload: &[u8]) -> i64 {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("acks", "all")
        .create()
        .expect("raw producer");
    let delivery = runtime()
        .block_on(
            producer.send(
                FutureRecord::to(topic)
                    .partition(partition)
                    .key(key)
                    .payload(payload),
                Duration::from_secs(10),
            ),
        )
        .map_err(|(error, _)| error)
        .expect("raw message acknowledged");
    delivery.offset
}

/// One clean event with where it landed.
pub struct Placed<'a> {
    pub partition: i32,
    pub offset: i64,
    pub raw: &'a [u8],
}

/// The same events applied directly to one engine, partition by partition
/// in offset order, with sequence = offset + 1: what the ingestor must end with.
pub fn reference(placed: &[Placed<'_>]) -> MemoryContents {
    let mut engine =
        Engine::new(MemoryStore::default(), EngineSettings::default()).expect("engine");
    let mut by_partition: BTreeMap<i32, Vec<&Placed<'_>>> = BTreeMap::new();
    for p in placed {
        by_partition.entry(p.partition).or_default().push(p);
    }
    for (partition, mut list) in by_partition {
        list.sort_by_key(|p| p.offset);
        let decoded: Vec<_> = list
            .iter()
            .map(|p| labelpulse_core::decode(p.raw).expect("clean event"))
            .collect();
        let batch: Vec<BatchEvent<'_>> = list
            .iter()
            .zip(&decoded)
            .map(|(p, event)| BatchEvent {
                sequence: p.offset as u64 + 1,
                raw: p.raw,
                event,
            })
            .collect();
        engine
            .apply_batch(partition as u32, &batch)
            .expect("reference apply");
    }
    engine.flush().expect("reference flush");
    engine.into_store().contents
}

pub fn placed<'a>(events: &'a [SimEvent], deliveries: &[Delivered]) -> Vec<Placed<'a>> {
    events
        .iter()
        .zip(deliveries)
        .map(|(e, d)| Placed {
            partition: d.partition,
            offset: d.offset,
            raw: e.json.as_bytes(),
        })
        .collect()
}

/// The contents to compare: everything but the archive (keyed by sequence
/// alone, so partitions overwrite each other's entries).
pub fn comparable(mut contents: MemoryContents) -> MemoryContents {
    contents.archive.clear();
    // A row's version is where the flush that wrote it ended, and an
    // all-zero row is there or not depending on where batches ended
    // (DESIGN.md §4): two runs agree on the values.
    contents.aggregates = std::mem::take(&mut contents.aggregates)
        .into_iter()
        .filter(|(_, row)| !row.value.is_empty())
        .map(|(key, mut row)| {
            row.version = 0;
            (key, row)
        })
        .collect();
    contents
}

/// Asserts two stores equal, naming the first part that differs.
pub fn assert_same(actual: &MemoryContents, expected: &MemoryContents) {
    let actual = comparable(actual.clone());
    let expected = comparable(expected.clone());
    assert!(
        !expected.aggregates.is_empty(),
        "the reference has aggregates"
    );
    assert_eq!(
        actual.aggregates.len(),
        expected.aggregates.len(),
        "aggregate count"
    );
    for (key, row) in &expected.aggregates {
        assert_eq!(actual.aggregates.get(key), Some(row), "aggregate {key:?}");
    }
    assert_eq!(actual.tasks, expected.tasks, "tasks");
    assert_eq!(actual.sessions, expected.sessions, "sessions");
    assert_eq!(actual.projects, expected.projects, "projects");
    assert_eq!(actual.members, expected.members, "members");
    assert_eq!(actual.index, expected.index, "index");
    assert_eq!(actual.positions, expected.positions, "positions");
    assert!(actual == expected);
}

/// Next offset to read per partition once `deliveries` (plus `extra`
/// messages at known offsets) are all consumed.
pub fn ends(deliveries: &[Delivered], extra: &[(i32, i64)]) -> BTreeMap<i32, i64> {
    let mut ends = BTreeMap::new();
    for (partition, offset) in deliveries
        .iter()
        .map(|d| (d.partition, d.offset))
        .chain(extra.iter().copied())
    {
        let end = ends.entry(partition).or_insert(0);
        *end = (*end).max(offset + 1);
    }
    ends
}

/// The group's committed offsets of `topic`'s partitions, read by a
/// consumer that does not join the group.
pub fn group_committed(group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("group.id", group)
        .create()
        .expect("offsets consumer");
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p);
    }
    let committed = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .expect("committed offsets");
    committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

/// Waits until the group committed `ends` (every partition).
pub fn wait_committed(
    group: &str,
    topic: &str,
    partitions: i32,
    ends: &BTreeMap<i32, i64>,
    timeout: Duration,
) {
    wait_until(timeout, "group committed every offset", || {
        let committed = group_committed(group, topic, partitions);
        ends.iter().all(|(p, end)| committed.get(p) == Some(end))
    });
}

pub fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A message read back from the dead-letter topic.
#[derive(Debug, Clone)]
pub struct Letter {
    pub payload: Vec<u8>,
    pub key: Option<Vec<u8>>,
    pub headers: BTreeMap<String, String>,
}

/// Reads `count` messages of the (one-partition) dead-letter topic from the start.
pub fn read_dead_letters(topic: &str, count: usize) -> Vec<Letter> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .set("group.id", fresh("dlq-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("dlq consumer");
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, 0, Offset::Beginning)
        .expect("offset");
    consumer.assign(&list).expect("assign");
    let mut letters = Vec::new();
    let started = Instant::now();
    while letters.len() < count && started.elapsed() < Duration::from_secs(30) {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            let headers = message
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|header| {
                            (
                                header.key.to_string(),
                                String::from_utf8_lossy(header.value.unwrap_or_default())
                                    .into_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            letters.push(Letter {
                payload: message.payload().unwrap_or_default().to_vec(),
                key: message.key().map(<[u8]>::to_vec),
                headers,
            });
        }
    }
    // A few more polls: nothing beyond `count` may be there.
    for _ in 0..5 {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            letters.push(Letter {
                payload: message.payload().unwrap_or_default().to_vec(),
                key: None,
                headers: BTreeMap::new(),
            });
        }
    }
    letters
}

/// A store several engines share (one database, like ClickHouse).
pub use labelpulse_engine::memory::SharedMemoryStore as SharedStore;

/// A shared store that keeps flush marks, as the ClickHouse store does.
pub fn shared_store_with_marks() -> SharedStore {
    let mut store = MemoryStore::default();
    store.marks = Some(Default::default());
    SharedStore::new(store)
}

/// A store that fails every read and write while `down` is set.
pub struct FlakyStore {
    pub inner: MemoryStore,
    pub down: Arc<AtomicBool>,
}

/// The failure of a store that is down.
#[derive(Debug, thiserror::Error)]
pub enum FlakyError {
    #[error("store is down")]
    Down,
    #[error(transparent)]
    Memory(#[from] InjectedFailure),
}

impl FlakyStore {
    fn up(&self) -> Result<(), FlakyError> {
        if self.down.load(Ordering::SeqCst) {
            Err(FlakyError::Down)
        } else {
            Ok(())
        }
    }
}

impl Store for FlakyStore {
    type Error = FlakyError;

    fn task(&mut self, key: &TaskKey) -> Result<Option<Versioned<TaskState>>, Self::Error> {
        self.up()?;
        Ok(self.inner.task(key)?)
    }
    fn project_tasks(
        &mut self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error> {
        self.up()?;
        Ok(self.inner.project_tasks(project)?)
    }
    fn session(
        &mut self,
        key: &SessionKey,
    ) -> Result<Option<Versioned<SessionState>>, Self::Error> {
        self.up()?;
        Ok(self.inner.session(key)?)
    }
    fn project(&mut self, project: &str) -> Result<Option<Versioned<ProjectConfig>>, Self::Error> {
        self.up()?;
        Ok(self.inner.project(project)?)
    }
    fn member(&mut self, member: &str) -> Result<Option<Versioned<MemberState>>, Self::Error> {
        self.up()?;
        Ok(self.inner.member(member)?)
    }
    fn index(&mut self, key: &IndexKey) -> Result<Option<String>, Self::Error> {
        self.up()?;
        Ok(self.inner.index(key)?)
    }
    fn aggregate(&mut self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, Self::Error> {
        self.up()?;
        Ok(self.inner.aggregate(key)?)
    }
    fn positions(&mut self) -> Result<BTreeMap<u32, u64>, Self::Error> {
        self.up()?;
        Ok(self.inner.positions()?)
    }
    fn write(&mut self, flush: &Flush) -> Result<(), Self::Error> {
        self.up()?;
        Ok(self.inner.write(flush)?)
    }
}
