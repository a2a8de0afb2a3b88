//! [`EmbeddedNode`]: the embedded runtime. One dedicated OS thread owns the
//! [`Engine`] over the [`EmbeddedStore`]; batches of raw events reach it over
//! a bounded channel and are answered on a oneshot once committed.
//!
//! Each event gets the next local sequence (partition 0, last position + 1),
//! is decoded and applied; then the whole group of batches waiting at that
//! moment (group commit, up to [`NodeSettings::max_batch_events`]) is flushed
//! in one durable transaction. A batch is never split across transactions,
//! except where the engine itself flushes before a `project.upserted` that
//! changes scoring (a barrier); each part is still atomic and covered by the
//! position. Positions come from the store at start, so sequences continue
//! after a restart and a client re-submits from [`EmbeddedNode::position`].

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use labelpulse_core::aggregate::{ActivityRow, AgreementRow, CellKind, HourRow, LabelRow, PairRow};
use labelpulse_core::ingest::{EventSink, IngestReceipt};
use labelpulse_core::member::MemberState;
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::read::{CellAddress, ProjectRecord, ReadStore};
use labelpulse_core::time::Hour;
use labelpulse_engine::{BatchEvent, Engine, EngineError, EngineSettings};
use tokio::sync::{mpsc, oneshot};

use crate::error::{NodeError, StoreError};
use crate::read::Snapshot;
use crate::store::EmbeddedStore;

/// The only partition of embedded mode.
pub const PARTITION: u32 = 0;

/// How the node runs.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSettings {
    /// The engine's settings.
    pub engine: EngineSettings,
    /// Group commit stops adding queued batches to a transaction once it
    /// holds this many events (a single larger batch is still one
    /// transaction).
    pub max_batch_events: usize,
    /// Batches that may wait in the queue before submitters wait (backpressure).
    pub queue_capacity: usize,
}

impl Default for NodeSettings {
    /// Default engine settings, 10,000 events per transaction, 256 queued batches.
    fn default() -> Self {
        NodeSettings {
            engine: EngineSettings::default(),
            max_batch_events: 10_000,
            queue_capacity: 256,
        }
    }
}

impl From<EngineSettings> for NodeSettings {
    fn from(engine: EngineSettings) -> Self {
        NodeSettings {
            engine,
            ..NodeSettings::default()
        }
    }
}

/// What the node did with one batch, once its transaction committed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReceipt {
    /// Events decoded, applied and durable.
    pub accepted: usize,
    /// Events that failed to decode: counted and skipped (they get no sequence).
    pub invalid: usize,
    /// The durable position after the commit: the sequence of the last
    /// event stored so far (= events stored since the store was created).
    pub position: u64,
}

/// A snapshot of the node's counters (for `/metrics`). They cover committed
/// transactions only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeCounters {
    /// Events applied.
    pub applied: u64,
    /// Events skipped by fencing (replays; 0 in normal embedded operation).
    pub fenced: u64,
    /// Events whose entity could not be resolved (e.g. delete of an unknown id).
    pub unresolved: u64,
    /// Events that failed to decode and were skipped.
    pub invalid: u64,
    /// Batches committed.
    pub batches: u64,
    /// Group-commit transactions of the node.
    pub commits: u64,
    /// Engine flushes written (commits plus settings barriers).
    pub flushes: u64,
    /// Groups that failed (each of their batches got an error).
    pub failures: u64,
    /// Duration of the last commit's flush, microseconds.
    pub last_flush_micros: u64,
    /// Sum of all commits' flush durations, microseconds.
    pub flush_micros_total: u64,
    /// The durable position (sequence of the last stored event).
    pub position: u64,
}

#[derive(Default)]
struct Counters {
    applied: AtomicU64,
    fenced: AtomicU64,
    unresolved: AtomicU64,
    invalid: AtomicU64,
    batches: AtomicU64,
    commits: AtomicU64,
    flushes: AtomicU64,
    failures: AtomicU64,
    last_flush_micros: AtomicU64,
    flush_micros_total: AtomicU64,
    position: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> NodeCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        NodeCounters {
            applied: get(&self.applied),
            fenced: get(&self.fenced),
            unresolved: get(&self.unresolved),
            invalid: get(&self.invalid),
            batches: get(&self.batches),
            commits: get(&self.commits),
            flushes: get(&self.flushes),
            failures: get(&self.failures),
            last_flush_micros: get(&self.last_flush_micros),
            flush_micros_total: get(&self.flush_micros_total),
            position: self.position.load(Ordering::Acquire),
        }
    }
}

type Reply = oneshot::Sender<Result<BatchReceipt, NodeError>>;

struct Batch {
    events: Vec<Vec<u8>>,
    reply: Reply,
}

enum Command {
    Batch(Batch),
    Shutdown(oneshot::Sender<()>),
}

/// The answer to a submitted batch, resolved once its transaction committed
/// (or failed). Await it, or call [`Ticket::wait_blocking`] outside async code.
#[derive(Debug)]
pub struct Ticket {
    rx: oneshot::Receiver<Result<BatchReceipt, NodeError>>,
}

impl Ticket {
    /// Blocks the current thread until the batch is committed. Panics if
    /// called from async code (tokio's `blocking_recv` rule).
    pub fn wait_blocking(self) -> Result<BatchReceipt, NodeError> {
        self.rx.blocking_recv().unwrap_or(Err(NodeError::Stopped))
    }
}

impl Future for Ticket {
    type Output = Result<BatchReceipt, NodeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|reply| reply.unwrap_or(Err(NodeError::Stopped)))
    }
}

struct Shared {
    tx: mpsc::Sender<Command>,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
    store: EmbeddedStore,
}

/// A cloneable handle to the embedded node. The node stops when
/// [`EmbeddedNode::shutdown`] is called, or once every handle is dropped
/// and the queue is drained.
#[derive(Clone)]
pub struct EmbeddedNode {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EmbeddedNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedNode")
            .field("store", &self.shared.store)
            .field("position", &self.position())
            .finish_non_exhaustive()
    }
}

impl EmbeddedNode {
    /// Opens `<data_dir>/labelpulse.redb` (creating it if needed), starts
    /// the engine thread, and returns the node and a reader of the same file.
    /// Blocks while redb opens (and, after a crash, repairs) the file.
    pub fn open(
        data_dir: impl AsRef<Path>,
        settings: impl Into<NodeSettings>,
    ) -> Result<(EmbeddedNode, EmbeddedReader), NodeError> {
        let settings = settings.into();
        let store = EmbeddedStore::open(data_dir)
            .map_err(|e| NodeError::Open(Arc::new(EngineError::Store(e))))?;
        let engine = Engine::new(store.clone(), settings.engine.clone())
            .map_err(|e| NodeError::Open(Arc::new(e)))?;
        let counters = Arc::new(Counters::default());
        counters
            .position
            .store(position_of(&engine), Ordering::Release);
        let (tx, rx) = mpsc::channel(settings.queue_capacity.max(1));
        let worker = Worker {
            engine: Some(engine),
            store: store.clone(),
            settings,
            counters: Arc::clone(&counters),
            rx,
        };
        let thread = std::thread::Builder::new()
            .name("labelpulse-embedded".into())
            .spawn(move || worker.run())
            .map_err(|e| NodeError::Spawn(Arc::new(e)))?;
        let node = EmbeddedNode {
            shared: Arc::new(Shared {
                tx,
                counters,
                thread: Mutex::new(Some(thread)),
                store: store.clone(),
            }),
        };
        Ok((node, EmbeddedReader { store }))
    }

    /// Queues a batch, waiting for queue space (backpressure), and returns
    /// without waiting for the commit: the [`Ticket`] resolves then. Batches
    /// queued together are committed together (group commit).
    pub async fn submit(&self, events: Vec<Vec<u8>>) -> Result<Ticket, NodeError> {
        let (reply, rx) = oneshot::channel();
        self.shared
            .tx
            .send(Command::Batch(Batch { events, reply }))
            .await
            .map_err(|_| NodeError::Stopped)?;
        Ok(Ticket { rx })
    }

    /// [`EmbeddedNode::submit`] for threads outside async code (panics inside
    /// a tokio runtime, like tokio's `blocking_send`).
    pub fn submit_blocking(&self, events: Vec<Vec<u8>>) -> Result<Ticket, NodeError> {
        let (reply, rx) = oneshot::channel();
        self.shared
            .tx
            .blocking_send(Command::Batch(Batch { events, reply }))
            .map_err(|_| NodeError::Stopped)?;
        Ok(Ticket { rx })
    }

    /// Submits a batch and waits until it is durable.
    pub async fn ingest_batch(&self, events: Vec<Vec<u8>>) -> Result<BatchReceipt, NodeError> {
        self.submit(events).await?.await
    }

    /// [`EmbeddedNode::ingest_batch`] for threads outside async code.
    pub fn ingest_blocking(&self, events: Vec<Vec<u8>>) -> Result<BatchReceipt, NodeError> {
        self.submit_blocking(events)?.wait_blocking()
    }

    /// The durable position: the sequence of the last committed event. A
    /// client holding unacknowledged events re-submits those after it.
    pub fn position(&self) -> u64 {
        self.shared.counters.position.load(Ordering::Acquire)
    }

    /// The node's counters.
    pub fn counters(&self) -> NodeCounters {
        self.shared.counters.snapshot()
    }

    /// Another reader of the node's store.
    pub fn reader(&self) -> EmbeddedReader {
        EmbeddedReader {
            store: self.shared.store.clone(),
        }
    }

    /// Stops the node: batches queued before this call are committed and
    /// answered, later ones get [`NodeError::Stopped`]; then the thread is
    /// joined. Calling it again (from any clone) returns `Ok`. The file stays
    /// open (and locked) until every handle and reader is dropped.
    pub async fn shutdown(&self) -> Result<(), NodeError> {
        let (ack, done) = oneshot::channel();
        if self.shared.tx.send(Command::Shutdown(ack)).await.is_ok() {
            let _ = done.await;
        }
        let thread = self.take_thread();
        match thread {
            Some(thread) => match tokio::task::spawn_blocking(move || thread.join()).await {
                Ok(Ok(())) => Ok(()),
                _ => Err(NodeError::Panicked),
            },
            None => Ok(()),
        }
    }

    /// [`EmbeddedNode::shutdown`] for threads outside async code.
    pub fn shutdown_blocking(&self) -> Result<(), NodeError> {
        let (ack, done) = oneshot::channel();
        if self.shared.tx.blocking_send(Command::Shutdown(ack)).is_ok() {
            let _ = done.blocking_recv();
        }
        match self.take_thread() {
            Some(thread) => thread.join().map_err(|_| NodeError::Panicked),
            None => Ok(()),
        }
    }

    fn take_thread(&self) -> Option<JoinHandle<()>> {
        self.shared
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// The HTTP ingest's sink: answers once the batch is committed.
impl EventSink for EmbeddedNode {
    type Error = NodeError;

    async fn ingest(&self, events: Vec<Vec<u8>>) -> Result<IngestReceipt, NodeError> {
        let receipt = self.ingest_batch(events).await?;
        Ok(IngestReceipt {
            accepted: receipt.accepted,
        })
    }
}

fn position_of(engine: &Engine<EmbeddedStore>) -> u64 {
    engine.positions().get(&PARTITION).copied().unwrap_or(0)
}

/// The engine thread.
struct Worker {
    /// `None` after a failed group, until rebuilt from the store.
    engine: Option<Engine<EmbeddedStore>>,
    store: EmbeddedStore,
    settings: NodeSettings,
    counters: Arc<Counters>,
    rx: mpsc::Receiver<Command>,
}

/// What one group did, before it is known to be durable.
struct Tally {
    accepted: usize,
    invalid: usize,
}

impl Worker {
    fn run(mut self) {
        while let Some(command) = self.rx.blocking_recv() {
            let mut group = Vec::new();
            let mut shutdown = None;
            match command {
                Command::Batch(batch) => group.push(batch),
                Command::Shutdown(ack) => shutdown = Some(ack),
            }
            if let Some(first) = group.first() {
                let mut events = first.events.len();
                while events < self.settings.max_batch_events {
                    match self.rx.try_recv() {
                        Ok(Command::Batch(batch)) => {
                            events += batch.events.len();
                            group.push(batch);
                        }
                        Ok(Command::Shutdown(ack)) => {
                            shutdown = Some(ack);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                self.commit(group);
            }
            if let Some(ack) = shutdown {
                self.rx.close();
                // Batches sent after the shutdown: dropping their reply
                // senders answers them with `Stopped`.
                while self.rx.try_recv().is_ok() {}
                let _ = ack.send(());
                return;
            }
        }
    }

    /// Applies and commits one group of batches; answers every batch.
    fn commit(&mut self, group: Vec<Batch>) {
        let engine = match self.engine.take() {
            Some(engine) => Ok(engine),
            // A previous group failed: start again from what is durable.
            None => Engine::new(self.store.clone(), self.settings.engine.clone()),
        };
        let mut engine = match engine {
            Ok(engine) => engine,
            Err(error) => return self.fail(group, error),
        };
        self.counters
            .position
            .store(position_of(&engine), Ordering::Release);
        let before = engine.counters().clone();
        let mut tallies = Vec::with_capacity(group.len());
        match apply_group(&mut engine, &group, &mut tallies) {
            Ok(flush_time) => {
                let after = engine.counters().clone();
                let position = position_of(&engine);
                let c = &self.counters;
                c.applied
                    .fetch_add(after.applied - before.applied, Ordering::Relaxed);
                c.fenced
                    .fetch_add(after.fenced - before.fenced, Ordering::Relaxed);
                c.unresolved
                    .fetch_add(after.unresolved - before.unresolved, Ordering::Relaxed);
                c.flushes
                    .fetch_add(after.flushes - before.flushes, Ordering::Relaxed);
                let invalid: usize = tallies.iter().map(|t| t.invalid).sum();
                c.invalid.fetch_add(invalid as u64, Ordering::Relaxed);
                c.batches.fetch_add(group.len() as u64, Ordering::Relaxed);
                c.commits.fetch_add(1, Ordering::Relaxed);
                let micros = u64::try_from(flush_time.as_micros()).unwrap_or(u64::MAX);
                c.last_flush_micros.store(micros, Ordering::Relaxed);
                c.flush_micros_total.fetch_add(micros, Ordering::Relaxed);
                c.position.store(position, Ordering::Release);
                self.engine = Some(engine);
                for (batch, tally) in group.into_iter().zip(tallies) {
                    let _ = batch.reply.send(Ok(BatchReceipt {
                        accepted: tally.accepted,
                        invalid: tally.invalid,
                        position,
                    }));
                }
            }
            Err(error) => {
                // Drop the engine: its cache holds the failed group's effects.
                drop(engine);
                self.fail(group, error);
            }
        }
    }

    fn fail(&mut self, group: Vec<Batch>, error: EngineError<StoreError>) {
        self.counters.failures.fetch_add(1, Ordering::Relaxed);
        let error = Arc::new(error);
        for batch in group {
            let _ = batch.reply.send(Err(NodeError::Batch(Arc::clone(&error))));
        }
        // What is durable now (a settings barrier may have committed a prefix).
        if let Ok(Some(position)) = self
            .store
            .snapshot()
            .and_then(|s| s.positions())
            .map(|p| p.get(&PARTITION).copied())
        {
            self.counters.position.store(position, Ordering::Release);
        }
    }
}

/// Decodes and applies every event of the group with fresh sequences, then
/// flushes once. Returns the flush's duration.
fn apply_group(
    engine: &mut Engine<EmbeddedStore>,
    group: &[Batch],
    tallies: &mut Vec<Tally>,
) -> Result<Duration, EngineError<StoreError>> {
    // Decode everything first (events borrow from the batches), then apply
    // the whole group as one engine batch: one prefetch, one deferred read.
    let mut decoded = Vec::new();
    for batch in group {
        let mut tally = Tally {
            accepted: 0,
            invalid: 0,
        };
        for raw in &batch.events {
            match labelpulse_core::decode(raw) {
                Ok(event) => {
                    decoded.push((raw.as_slice(), event));
                    tally.accepted += 1;
                }
                Err(_) => tally.invalid += 1,
            }
        }
        tallies.push(tally);
    }
    let first = position_of(engine) + 1;
    let events: Vec<BatchEvent<'_>> = decoded
        .iter()
        .enumerate()
        .map(|(index, (raw, event))| BatchEvent {
            sequence: first + index as u64,
            raw,
            event,
        })
        .collect();
    engine.apply_batch(PARTITION, &events)?;
    let start = Instant::now();
    engine.flush()?;
    Ok(start.elapsed())
}

/// Read access to the node's store: the query service's [`ReadStore`].
/// Cloneable; shares the node's database handle.
#[derive(Debug, Clone)]
pub struct EmbeddedReader {
    store: EmbeddedStore,
}

impl EmbeddedReader {
    /// A reader over a store (without a node, e.g. for tools and tests).
    pub fn new(store: EmbeddedStore) -> Self {
        EmbeddedReader { store }
    }

    /// A consistent blocking view, for several reads of one transaction.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        self.store.snapshot()
    }
}

/// Delegates to [`EmbeddedStore`]'s [`ReadStore`] (spawn_blocking reads).
impl ReadStore for EmbeddedReader {
    type Error = StoreError;

    fn projects(&self) -> impl Future<Output = Result<Vec<ProjectRecord>, StoreError>> + Send {
        self.store.projects()
    }

    fn project(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<Option<ProjectRecord>, StoreError>> + Send {
        self.store.project(project)
    }

    fn project_hours(
        &self,
        project: &str,
        hours: std::ops::Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(Hour, HourRow)>, StoreError>> + Send {
        self.store.project_hours(project, hours)
    }

    fn project_member_hours(
        &self,
        project: &str,
        hours: std::ops::Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(String, Hour, HourRow)>, StoreError>> + Send {
        self.store.project_member_hours(project, hours)
    }

    fn member_hours(
        &self,
        member: &str,
        hours: std::ops::Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(String, Hour, HourRow)>, StoreError>> + Send {
        self.store.member_hours(member, hours)
    }

    fn agreement_hours(
        &self,
        project: &str,
        dimension: &str,
        scope: AgreementScope,
        hours: std::ops::Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(Hour, AgreementRow)>, StoreError>> + Send {
        self.store.agreement_hours(project, dimension, scope, hours)
    }

    fn agreement_rows(
        &self,
        project: &str,
        scope: AgreementScope,
    ) -> impl Future<Output = Result<Vec<(String, Hour, AgreementRow)>, StoreError>> + Send {
        self.store.agreement_rows(project, scope)
    }

    fn agreement_cells(
        &self,
        project: &str,
        kinds: &[CellKind],
        dimension: Option<&str>,
    ) -> impl Future<Output = Result<Vec<(CellAddress, i64)>, StoreError>> + Send {
        self.store.agreement_cells(project, kinds, dimension)
    }

    fn labels(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<Vec<(String, String, LabelRow)>, StoreError>> + Send {
        self.store.labels(project)
    }

    fn pairs(
        &self,
        project: &str,
        dimension: &str,
    ) -> impl Future<Output = Result<Vec<(String, String, PairRow)>, StoreError>> + Send {
        self.store.pairs(project, dimension)
    }

    fn pairs_among(
        &self,
        project: &str,
        dimension: &str,
        among: &[String],
    ) -> impl Future<Output = Result<Vec<(String, String, PairRow)>, StoreError>> + Send {
        self.store.pairs_among(project, dimension, among)
    }

    fn activity(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<Vec<(String, ActivityRow)>, StoreError>> + Send {
        self.store.activity(project)
    }

    fn member(
        &self,
        member: &str,
    ) -> impl Future<Output = Result<Option<MemberState>, StoreError>> + Send {
        self.store.member(member)
    }

    fn ready(&self) -> impl Future<Output = bool> + Send {
        self.store.ready()
    }
}
