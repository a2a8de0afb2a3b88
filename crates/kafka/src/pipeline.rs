//! The ordering at the heart of the ingestor, in one place: buffer, decode
//! and route, apply, flush, wait for the dead letters, and only then commit.
//!
//! A flush is written in the background ([`Engine::start_flush`]): while
//! the store takes it, its messages are sealed in the buffers and the loop
//! goes on reading and applying the next ones. Its completion is checked on
//! every tick; the next cycle applies its own messages first and then waits
//! for it before starting its flush (one write at a time, so the store sees
//! flushes in order), and so do retries and drains, which run their flush
//! to the end.
//!
//! While live, most flushes are light (the aggregate rows and members:
//! [`FlushScope::Aggregates`]); their messages stay held until a full flush
//! covers them, at least every `full_flush_interval`.
//!
//! Invariant: an offset is committed only after the full flush that covers
//! it is durable in the store and every dead letter at or before it was
//! acknowledged. Messages stay buffered until then, so a failing store
//! (flush or reads) pauses consumption and retries with the same data, and
//! an engine rebuilt from the store applies them again; versions fence what
//! the store already holds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use labelpulse_engine::{BatchEvent, Engine, EngineError, EngineSettings, FlushScope, Store};
use rdkafka::consumer::{Consumer, ConsumerContext};
use rdkafka::{Message, Offset, TopicPartitionList};
use tracing::{debug, info, warn};

use crate::admit::Admission;
use crate::batch::Buffers;
use crate::commits::{CommitOn, CommitRequest, CommitSender, Commits};
use crate::config::KafkaConfig;
use crate::dead_letter::DeadLetterProducer;
use crate::error::IngestError;
use crate::metrics::IngestMetrics;
use crate::routing::ProjectRoutes;

/// First and longest pause between retries of a failing flush.
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Longest wait in one `poll` while a flush is being written, so its
/// offsets are committed soon after it is durable.
const POLL_WRITING: Duration = Duration::from_millis(5);
/// Longest wait for the group's committed offsets of newly assigned
/// partitions (see [`Pipeline::on_assign`]).
const COMMITTED_LOOKUP: Duration = Duration::from_secs(2);
/// Pause before retrying a failed commit when no flush comes first.
const COMMIT_RETRY: Duration = Duration::from_secs(1);
/// Longest wait in one `poll`, so stop requests and retries are timely.
pub(crate) const POLL_MAX: Duration = Duration::from_millis(100);

/// Why the pipeline stops for good.
#[derive(Debug)]
pub(crate) enum Halt {
    /// Fault injection: stopped like a crash after a durable flush, before its commit.
    Crash,
    /// An error no retry can fix.
    Fatal(IngestError),
}

/// Result of one attempt to make the buffered messages durable.
#[derive(Debug)]
pub(crate) enum Cycle {
    /// Everything buffered is durable (and committed, unless the commit failed).
    Durable,
    /// A flush of everything buffered is being written; its offsets are
    /// committed when a later tick finds it durable.
    Started,
    /// The store or the dead-letter topic failed: retry later with the same data.
    Retry(String),
}

/// A pending retry, while consumption is paused.
#[derive(Debug, Clone, Copy)]
struct Retry {
    at: Instant,
    delay: Duration,
}

/// Settings the pipeline reads on every message.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) flush_interval: Duration,
    pub(crate) full_flush_interval: Duration,
    pub(crate) max_batch_events: usize,
    pub(crate) max_batch_bytes: usize,
    pub(crate) apply_ahead_events: usize,
    pub(crate) max_message_bytes: usize,
    pub(crate) drain_timeout: Duration,
}

impl Limits {
    pub(crate) fn new(config: &KafkaConfig) -> Self {
        Limits {
            flush_interval: config.flush_interval,
            full_flush_interval: config.full_flush_interval,
            max_batch_events: config.max_batch_events,
            max_batch_bytes: config.max_batch_bytes,
            apply_ahead_events: config.apply_ahead_events,
            max_message_bytes: config.max_message_bytes,
            drain_timeout: config.drain_timeout,
        }
    }
}

/// What the ingestor owns and committed, as its handle sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Partitions assigned to this ingestor.
    pub assigned: BTreeSet<i32>,
    /// Next offset to read per assigned partition, as last committed by this ingestor.
    pub committed: BTreeMap<i32, i64>,
}

/// The engine, its buffers and the bookkeeping of what is durable and committed.
pub(crate) struct Pipeline<S: Store> {
    engine: Option<Engine<S>>,
    /// The store while no engine could be built over it (its reads failed).
    parked: Option<S>,
    settings: EngineSettings,
    topic: String,
    limits: Limits,
    buffers: Buffers,
    routes: ProjectRoutes,
    dead_letters: DeadLetterProducer,
    metrics: IngestMetrics,
    assignment: BTreeSet<i32>,
    /// Next offset to read per partition, durable but maybe not committed.
    durable: BTreeMap<i32, i64>,
    /// Assignment and commits, shared with the handle.
    progress: Arc<Mutex<Progress>>,
    /// The answers to the commits sent (see [`crate::commits`]).
    commits: Arc<Commits>,
    /// Where commits go: the committer thread.
    committer: CommitSender,
    /// Per partition, the offset of the last commit sent: not sent again
    /// (forgotten when a commit fails).
    sent: BTreeMap<i32, i64>,
    /// Which thread makes commits: the committer, or this one while a
    /// revoke drains.
    commit_on: CommitOn,
    retry: Option<Retry>,
    /// When to try again a commit that failed, if no flush comes first.
    commit_retry: Option<Instant>,
    /// Set by a rebalance callback that had to halt; the loop stops on it.
    pub(crate) halted: Option<Halt>,
    crash_after_flushes: Option<u64>,
    flushes: u64,
    /// Kafka timestamp (ms) of the newest message read: how far behind the
    /// producers the consumer is (see [`Pipeline::apply_ahead`]).
    newest_message_ms: Option<i64>,
    /// When the flush being written (covering the sealed messages) started.
    in_flight: Option<Instant>,
    /// What the flush being written writes.
    in_flight_scope: FlushScope,
    /// When the last full flush made durable started (or the pipeline).
    last_full: Instant,
}

/// Sets the cache-size gauge from the engine.
fn observe_cache<S: Store>(metrics: &IngestMetrics, engine: &Engine<S>) {
    let entries = i64::try_from(engine.cached_entries()).unwrap_or(i64::MAX);
    metrics.cache_entries.set(entries);
}

/// Locks, ignoring poisoning (the data is plain bookkeeping).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn partition_list(topic: &str, partitions: impl IntoIterator<Item = i32>) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    for partition in partitions {
        list.add_partition(topic, partition);
    }
    list
}

impl<S: Store> Pipeline<S> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        engine: Engine<S>,
        settings: EngineSettings,
        topic: String,
        limits: Limits,
        dead_letters: DeadLetterProducer,
        metrics: IngestMetrics,
        (progress, commits, committer): (Arc<Mutex<Progress>>, Arc<Commits>, CommitSender),
        crash_after_flushes: Option<u64>,
    ) -> Self {
        Pipeline {
            engine: Some(engine),
            parked: None,
            settings,
            topic,
            limits,
            buffers: Buffers::default(),
            routes: ProjectRoutes::default(),
            dead_letters,
            metrics,
            assignment: BTreeSet::new(),
            durable: BTreeMap::new(),
            progress,
            commits,
            committer,
            sent: BTreeMap::new(),
            commit_on: CommitOn::Committer,
            retry: None,
            commit_retry: None,
            halted: None,
            crash_after_flushes,
            flushes: 0,
            newest_message_ms: None,
            in_flight: None,
            in_flight_scope: FlushScope::Full,
            last_full: Instant::now(),
        }
    }

    /// The store, when the pipeline ends.
    pub(crate) fn into_store(self) -> Option<S> {
        self.engine.map(Engine::into_store).or(self.parked)
    }

    /// How long the loop may wait for the next message.
    pub(crate) fn poll_timeout(&self, now: Instant) -> Duration {
        let next = match self.retry {
            Some(retry) => Some(retry.at),
            None => self.buffers.deadline(self.limits.flush_interval),
        };
        let longest = if self.in_flight.is_some() {
            POLL_WRITING
        } else {
            POLL_MAX
        };
        next.map_or(longest, |at| at.saturating_duration_since(now))
            .min(longest)
    }

    /// Buffers one message of an assigned partition.
    pub(crate) fn push<M: Message>(&mut self, message: &M, now: Instant) {
        let partition = message.partition();
        if self.halted.is_some() || !self.assignment.contains(&partition) {
            return;
        }
        let payload = message.payload().unwrap_or_default();
        if self
            .buffers
            .push(partition, message.offset(), message.key(), payload, now)
        {
            self.metrics.consumed.inc();
            if let Some(at) = message.timestamp().to_millis() {
                self.newest_message_ms = Some(at);
            }
        }
    }

    /// Runs a cycle when one is due (the flush interval elapsed, a batch is
    /// full, or a paused pipeline's retry time came), pausing or resuming
    /// consumption on its outcome.
    pub(crate) fn tick<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K, now: Instant) {
        if self.halted.is_some() {
            return;
        }
        match self.complete_in_flight(consumer, false) {
            Ok(None) | Ok(Some(Cycle::Started)) => {}
            Ok(Some(Cycle::Durable)) => self.resume(consumer),
            Ok(Some(Cycle::Retry(why))) => {
                self.metrics.flush_failures.inc();
                self.back_off(consumer, now, &why);
                return;
            }
            Err(halt) => {
                self.halted = Some(halt);
                return;
            }
        }
        let due = match self.retry {
            Some(retry) => now >= retry.at,
            None => {
                self.buffers.due(
                    now,
                    self.limits.flush_interval,
                    self.limits.max_batch_events,
                    self.limits.max_batch_bytes,
                ) || self.held_due(now)
            }
        };
        if self.commits.take_failure() {
            // Send the durable offsets again: what was sent is not committed.
            self.sent = lock(&self.progress).committed.clone();
            self.commit_retry = Some(now + COMMIT_RETRY);
        }
        if !due {
            self.apply_ahead(consumer, now);
            if self.commit_retry.is_some_and(|at| now >= at) {
                self.commit(consumer);
            }
            return;
        }
        // A retry runs its flush to the end before consumption resumes.
        let wait = self.retry.is_some();
        match self.cycle(consumer, wait) {
            Ok(Cycle::Durable) => self.resume(consumer),
            Ok(Cycle::Started) => {}
            Ok(Cycle::Retry(why)) => self.back_off(consumer, now, &why),
            Err(halt) => self.halted = Some(halt),
        }
    }

    /// Applies the buffered messages before their flush is due, once
    /// `apply_ahead_events` wait and the consumer is live (the newest
    /// message is younger than twice the flush interval by its Kafka
    /// timestamp). While catching up it does not: applying ahead would make
    /// gathering a batch slower than the flush interval and the flushes
    /// small. A store failure takes the cycle's path: the engine is rebuilt
    /// from the store and consumption pauses until a cycle succeeds, which
    /// applies every buffered message again.
    fn apply_ahead<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K, now: Instant) {
        let threshold = self.limits.apply_ahead_events;
        // `live` reads the wall clock: it comes last, after the checks
        // that are plain loads (this runs once per message).
        if threshold == 0
            || self.retry.is_some()
            || self.engine.is_none()
            || self.buffers.unapplied() < threshold
            || !self.live()
        {
            return;
        }
        match self.apply_buffered() {
            Ok(()) => {}
            Err(EngineError::Store(error)) => {
                self.discard_engine();
                self.metrics.flush_failures.inc();
                self.back_off(consumer, now, &format!("store read failed: {error}"));
            }
            Err(other) => {
                self.halted = Some(Halt::Fatal(IngestError::Engine(other.to_string())));
            }
        }
    }

    /// Whether messages held by light flushes are due for a full flush
    /// although no new message is: the last full flush is
    /// `full_flush_interval` old, or the producers went quiet (their
    /// offsets are then committed at once).
    fn held_due(&self, now: Instant) -> bool {
        self.buffers.holds()
            && self.in_flight.is_none()
            && (self.full_flush_due(now) || !self.live())
    }

    /// Whether the last full flush is `full_flush_interval` old.
    fn full_flush_due(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_full) >= self.limits.full_flush_interval
    }

    /// What the next flush writes. Light ([`FlushScope::Aggregates`]: the
    /// aggregate rows and members, what the dashboards read) while the consumer is
    /// live, the last full flush is younger than `full_flush_interval` and
    /// the messages since it fit in one batch; full otherwise, and always
    /// for a retry or a drain (`wait`), or over a store without flush marks.
    /// Catching up, every flush is full: its batch is large anyway, and its
    /// offsets are committed at once.
    fn next_scope(&self, wait: bool, now: Instant) -> FlushScope {
        let (messages, bytes) = self.buffers.totals();
        let light = !wait
            && !self.limits.full_flush_interval.is_zero()
            && self.engine.as_ref().is_some_and(Engine::flushes_light)
            && messages < self.limits.max_batch_events
            && bytes < self.limits.max_batch_bytes
            && !self.full_flush_due(now)
            && self.live();
        if light {
            FlushScope::Aggregates
        } else {
            FlushScope::Full
        }
    }

    /// Whether the newest message read is recent (clock skew between
    /// producers and this host only changes when messages are applied,
    /// never what is counted).
    fn live(&self) -> bool {
        let Some(produced) = self.newest_message_ms else {
            return false;
        };
        let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
            return false;
        };
        let window = i64::try_from(self.limits.flush_interval.as_millis() * 2).unwrap_or(i64::MAX);
        i64::try_from(now.as_millis()).is_ok_and(|now| now - produced <= window)
    }

    fn back_off<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        now: Instant,
        why: &str,
    ) {
        let delay = self
            .retry
            .map_or(BACKOFF_FIRST, |retry| (retry.delay * 2).min(BACKOFF_MAX));
        if self.retry.is_none() {
            let assigned = partition_list(&self.topic, self.assignment.iter().copied());
            if let Err(error) = consumer.pause(&assigned) {
                warn!(%error, "pausing partitions failed");
            }
            self.metrics.paused.set(1);
            warn!(
                reason = why,
                "flush failed: consumption paused, retrying with backoff"
            );
        } else {
            debug!(reason = why, ?delay, "flush failed again");
        }
        self.retry = Some(Retry {
            at: now + delay,
            delay,
        });
    }

    fn resume<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K) {
        if self.retry.take().is_some() {
            let assigned = partition_list(&self.topic, self.assignment.iter().copied());
            if let Err(error) = consumer.resume(&assigned) {
                warn!(%error, "resuming partitions failed");
            }
            self.metrics.paused.set(0);
            info!("flush succeeded: consumption resumed");
        }
    }

    /// One attempt: apply what is buffered (while the last flush is still
    /// being written), finish that flush, start the next, and unless `wait`
    /// is false and the store writes in the background, finish it too
    /// (then: wait for the dead letters, mark durable, commit).
    pub(crate) fn cycle<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        wait: bool,
    ) -> Result<Cycle, Halt> {
        let cycle = self.attempt(consumer, wait);
        if let Ok(Cycle::Retry(_)) = &cycle {
            self.metrics.flush_failures.inc();
        }
        cycle
    }

    fn attempt<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        wait: bool,
    ) -> Result<Cycle, Halt> {
        if self.engine.is_none() {
            if let Err(why) = self.rebuild_engine() {
                return Ok(Cycle::Retry(why));
            }
        }
        // The buffered messages are applied while the last flush is still
        // being written: the engine reads no key that flush holds
        // (`Store::start_write`), so the two overlap.
        if let Err(error) = self.apply_buffered() {
            return match error {
                EngineError::Store(error) => {
                    // The engine may hold part of an event: rebuild it from the
                    // store and apply the buffers again (fenced by version).
                    self.discard_engine();
                    Ok(Cycle::Retry(format!("store read failed: {error}")))
                }
                other => Err(Halt::Fatal(IngestError::Engine(other.to_string()))),
            };
        }
        // One write at a time: the store takes flushes in order.
        if let Some(Cycle::Retry(why)) = self.complete_in_flight(consumer, true)? {
            return Ok(Cycle::Retry(why));
        }
        let started = Instant::now();
        let scope = self.next_scope(wait, started);
        let Some(engine) = self.engine.as_mut() else {
            return Ok(Cycle::Retry("no engine".to_string()));
        };
        if let Err(error) = engine.start_flush_of(scope) {
            // The engine may have marked rows written: rebuild it and apply
            // the buffers again (fenced by version).
            self.discard_engine();
            return Ok(Cycle::Retry(format!("flush failed: {error}")));
        }
        self.buffers.seal();
        self.in_flight = Some(started);
        self.in_flight_scope = scope;
        let running = self.engine.as_mut().is_some_and(Engine::flush_running);
        if running && !wait {
            return Ok(Cycle::Started);
        }
        Ok(self
            .complete_in_flight(consumer, true)?
            .unwrap_or(Cycle::Durable))
    }

    /// Completes the flush being written, if any, once it ended (or, with
    /// `block`, waiting for it): on success, waits for the dead letters,
    /// marks its messages durable, releases them and commits. `None` when
    /// no flush was in flight, or it is still running and `block` is false.
    /// A failed write rebuilds the engine, and its messages are applied again.
    fn complete_in_flight<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        block: bool,
    ) -> Result<Option<Cycle>, Halt> {
        let Some(started) = self.in_flight else {
            return Ok(None);
        };
        let Some(engine) = self.engine.as_mut() else {
            self.in_flight = None;
            self.buffers.unseal();
            return Ok(Some(Cycle::Retry("no engine".to_string())));
        };
        if !block && engine.flush_running() {
            return Ok(None);
        }
        let evictions = engine.counters().evictions;
        if let Err(error) = engine.finish_flush() {
            self.discard_engine();
            return Ok(Some(Cycle::Retry(format!("flush failed: {error}"))));
        }
        self.metrics
            .cache_evictions
            .inc_by(engine.counters().evictions - evictions);
        observe_cache(&self.metrics, engine);
        self.in_flight = None;
        let flush_seconds = started.elapsed().as_secs_f64();
        if self.in_flight_scope == FlushScope::Aggregates {
            // The aggregate rows and members are durable; the messages wait
            // for a full flush to be committed (their dead letters too).
            if self.buffers.sealed_messages() > 0 {
                self.metrics
                    .flush_done(&self.metrics.light_flushes, flush_seconds);
            }
            self.buffers.hold_sealed();
            return Ok(Some(Cycle::Durable));
        }
        if let Err(error) = self.dead_letters.wait_all() {
            // Durable, but not committable yet: the next flush covers these
            // messages again (its rows are absolute, so that changes nothing).
            self.buffers.unseal();
            return Ok(Some(Cycle::Retry(error.to_string())));
        }
        if self.buffers.sealed_messages() > 0 {
            self.metrics
                .flush_done(&self.metrics.flushes, flush_seconds);
            self.durable.extend(self.buffers.sealed_next_offsets());
            self.buffers.release_sealed();
            self.last_full = started;
            self.flushes += 1;
            if self.crash_after_flushes == Some(self.flushes) {
                warn!(
                    flushes = self.flushes,
                    "fault injection: stopping after a flush, before its commit"
                );
                return Err(Halt::Crash);
            }
        } else {
            self.buffers.release_sealed();
        }
        self.commit(consumer);
        Ok(Some(Cycle::Durable))
    }

    /// Admits (decodes, routes) and applies every buffered message not
    /// applied yet, all partitions in one engine call (one store read per
    /// kind for all of them).
    fn apply_buffered(&mut self) -> Result<(), EngineError<S::Error>> {
        let Some(engine) = self.engine.as_mut() else {
            return Ok(());
        };
        let mut admission = Admission {
            topic: &self.topic,
            max_message_bytes: self.limits.max_message_bytes,
            routes: &mut self.routes,
            dead_letters: &mut self.dead_letters,
            metrics: &self.metrics,
        };
        let mut decoded = Vec::new();
        for (partition, buffer) in self.buffers.iter() {
            if buffer.applied >= buffer.len() {
                continue;
            }
            let engine_partition = partition as u32;
            let position = engine
                .positions()
                .get(&engine_partition)
                .copied()
                .unwrap_or(0);
            decoded.push((
                engine_partition,
                admission.admit(partition, buffer, position),
            ));
        }
        let batches: Vec<(u32, Vec<BatchEvent<'_>>)> = decoded
            .iter()
            .map(|(partition, events)| {
                let batch = events
                    .iter()
                    .map(|(sequence, raw, event)| BatchEvent {
                        sequence: *sequence,
                        raw,
                        event,
                    })
                    .collect();
                (*partition, batch)
            })
            .collect();
        let slices: Vec<(u32, &[BatchEvent<'_>])> = batches
            .iter()
            .map(|(partition, batch)| (*partition, batch.as_slice()))
            .collect();
        let before = engine.counters().clone();
        let applied = engine.apply_partitions(&slices);
        let after = engine.counters();
        observe_cache(&self.metrics, engine);
        self.metrics.applied.inc_by(after.applied - before.applied);
        self.metrics.fenced.inc_by(after.fenced - before.fenced);
        self.metrics
            .unresolved
            .inc_by(after.unresolved - before.unresolved);
        drop(slices);
        drop(batches);
        drop(decoded);
        // Dead letters are queued once, whether or not the engine succeeded
        // (a failed batch is applied again, its dead letters are not sent again).
        for (_, buffer) in self.buffers.iter_mut() {
            buffer.dead_lettered = buffer.dead_lettered.max(buffer.len());
        }
        applied?;
        for (_, buffer) in self.buffers.iter_mut() {
            buffer.applied = buffer.len();
        }
        Ok(())
    }

    /// Commits the durable offsets of assigned partitions that moved since
    /// the last commit sent: hands them to the committer thread, or, while
    /// a revoke drains, commits them on this thread and waits. The answer
    /// is recorded in [`Commits`]; a failure sends the offsets again with
    /// the next cycle or after [`COMMIT_RETRY`] (the data is durable; a
    /// replay of it is skipped or fenced).
    fn commit<C: ConsumerContext, K: Consumer<C>>(&mut self, consumer: &K) {
        let moved: CommitRequest = self
            .durable
            .iter()
            .filter(|&(partition, next)| {
                self.assignment.contains(partition) && self.sent.get(partition) != Some(next)
            })
            .map(|(&partition, &next)| (partition, next))
            .collect();
        if moved.is_empty() {
            self.commit_retry = None;
            return;
        }
        if self.commit_on == CommitOn::PollingThread {
            self.commits.commit_now(consumer, &moved);
        } else {
            self.commits.sent();
            if self.committer.send(moved.clone()).is_err() {
                self.commits.abandon();
                self.commit_retry = Some(Instant::now() + COMMIT_RETRY);
                warn!("offset commit not sent: the committer thread ended");
                return;
            }
        }
        self.commit_retry = None;
        self.sent.extend(moved);
    }

    /// Retries cycles until everything buffered is durable and committed,
    /// or `deadline`. Returns whether it got there.
    pub(crate) fn drain<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        deadline: Instant,
        commit_on: CommitOn,
    ) -> Result<bool, Halt> {
        self.commit_on = commit_on;
        let drained = self.drain_until(consumer, deadline);
        self.commit_on = CommitOn::Committer;
        drained
    }

    fn drain_until<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        deadline: Instant,
    ) -> Result<bool, Halt> {
        let mut delay = BACKOFF_FIRST;
        loop {
            match self.cycle(consumer, true)? {
                Cycle::Durable | Cycle::Started => {
                    self.resume(consumer);
                    return Ok(true);
                }
                Cycle::Retry(why) => {
                    if Instant::now() + delay > deadline {
                        warn!(
                            reason = why,
                            "could not make the in-flight batch durable in time"
                        );
                        return Ok(false);
                    }
                    debug!(reason = why, ?delay, "draining: retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    /// Partitions are being revoked: finish the in-flight flush and commit,
    /// drop the cached state (their keys may change owner) and forget their
    /// projects. When the flush cannot be made durable in time, the
    /// engine's unflushed state is discarded (the next owner replays from
    /// the last commit) and the kept partitions' buffers are applied again.
    pub(crate) fn on_revoke<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        partitions: &[i32],
    ) {
        self.metrics.rebalances.with_label_values(&["revoke"]).inc();
        if self.halted.is_some() {
            return;
        }
        info!(?partitions, "partitions revoked: draining");
        let deadline = Instant::now() + self.limits.drain_timeout;
        // The committer's commits go first: none may land after this one.
        if !self.commits.wait_answered(deadline) {
            warn!("the committer is still waiting for an earlier commit's answer");
        }
        match self.drain(consumer, deadline, CommitOn::PollingThread) {
            Ok(true) => {
                if let Some(engine) = self.engine.as_mut() {
                    if let Err(error) = engine.flush_and_clear() {
                        warn!(%error, "clearing the engine cache failed; rebuilding the engine");
                        self.discard_engine();
                    }
                }
            }
            Ok(false) => {
                warn!("discarding the unflushed state of the revoked partitions; the next owner replays it");
                self.discard_engine();
            }
            Err(halt) => {
                self.halted = Some(halt);
                return;
            }
        }
        self.routes.forget(partitions);
        self.buffers.remove(partitions);
        let mut progress = lock(&self.progress);
        for partition in partitions {
            self.assignment.remove(partition);
            self.durable.remove(partition);
            self.sent.remove(partition);
            progress.assigned.remove(partition);
            progress.committed.remove(partition);
            let label = partition.to_string();
            let _ = self.metrics.committed_offset.remove_label_values(&[&label]);
            let _ = self.metrics.consumer_lag.remove_label_values(&[&label]);
        }
    }

    /// Partitions were assigned: nothing is preloaded (state loads lazily)
    /// but their durable positions and flush marks, which another owner
    /// may have moved on (see `Engine::reload_partitions`); their
    /// committed-offset gauges start at the group's committed offsets;
    /// while paused, the new partitions are paused too.
    pub(crate) fn on_assign<C: ConsumerContext, K: Consumer<C>>(
        &mut self,
        consumer: &K,
        partitions: &[i32],
    ) {
        self.metrics.rebalances.with_label_values(&["assign"]).inc();
        info!(?partitions, "partitions assigned");
        if let Some(engine) = self.engine.as_mut() {
            let assigned: Vec<u32> = partitions
                .iter()
                .filter_map(|&p| u32::try_from(p).ok())
                .collect();
            if let Err(error) = engine.reload_partitions(&assigned) {
                warn!(%error, "reading the assigned partitions' positions failed; rebuilding the engine");
                self.discard_engine();
            }
        }
        // Before the assignment is published: whoever sees it sees the gauges.
        self.report_group_offsets(consumer, partitions);
        self.assignment.extend(partitions.iter().copied());
        lock(&self.progress)
            .assigned
            .extend(partitions.iter().copied());
        if self.retry.is_some() {
            let list = partition_list(&self.topic, partitions.iter().copied());
            if let Err(error) = consumer.pause(&list) {
                warn!(%error, "pausing newly assigned partitions failed");
            }
        }
    }

    /// Sets the committed-offset gauge of newly assigned `partitions` from
    /// the group's committed offsets (one request to the group
    /// coordinator, at most [`COMMITTED_LOOKUP`]): until this ingestor
    /// commits a partition itself, the gauge shows where the group stands,
    /// and a partition with no new messages keeps showing it. A failed
    /// lookup only leaves the gauges unset until the next commit.
    fn report_group_offsets<C: ConsumerContext, K: Consumer<C>>(
        &self,
        consumer: &K,
        partitions: &[i32],
    ) {
        let list = partition_list(&self.topic, partitions.iter().copied());
        match consumer.committed_offsets(list, COMMITTED_LOOKUP) {
            Ok(committed) => {
                for element in committed.elements() {
                    if let Offset::Offset(next) = element.offset() {
                        self.metrics
                            .committed_offset
                            .with_label_values(&[&element.partition().to_string()])
                            .set(next);
                    }
                }
            }
            Err(error) => warn!(%error, "reading the group's committed offsets failed"),
        }
    }

    /// Drops the engine's unflushed state: the store is kept and a new
    /// engine is built over it (now or at the next cycle); every buffered
    /// message will be applied again.
    fn discard_engine(&mut self) {
        if let Some(engine) = self.engine.take() {
            // Waits for a flush being written; whatever its outcome, its
            // messages are applied again (fenced by version).
            self.parked = Some(engine.into_store());
        }
        self.in_flight = None;
        self.buffers.unseal();
        self.buffers.rewind();
        if let Err(why) = self.rebuild_engine() {
            debug!(reason = why, "engine rebuild deferred");
        }
    }

    /// Builds an engine over the parked store once its reads work again.
    fn rebuild_engine(&mut self) -> Result<(), String> {
        let Some(store) = self.parked.as_mut() else {
            return Ok(());
        };
        if let Err(error) = store.positions() {
            return Err(format!("store unavailable: {error}"));
        }
        let Some(store) = self.parked.take() else {
            return Ok(());
        };
        match Engine::new(store, self.settings.clone()) {
            Ok(engine) => {
                self.engine = Some(engine);
                Ok(())
            }
            Err(error) => {
                // The store is gone with the failed constructor: nothing to retry.
                self.halted = Some(Halt::Fatal(IngestError::Store(Box::new(StoreLost(
                    error.to_string(),
                )))));
                Err(format!("engine rebuild failed: {error}"))
            }
        }
    }
}

/// The store was consumed by an engine constructor that failed.
#[derive(Debug, thiserror::Error)]
#[error("building the engine failed and took the store with it: {0}")]
struct StoreLost(String);
