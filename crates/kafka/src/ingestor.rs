//! The ingestor: a consumer-group member that feeds the engine, on a
//! dedicated thread (the engine is synchronous and its store may block, so
//! it never runs on an async worker).
//!
//! The thread polls a `BaseConsumer` (rebalance callbacks run inside that
//! poll, on the same thread), buffers messages per partition and hands them
//! to the pipeline (apply, flush, commit) when the flush interval elapsed or a
//! batch is full. While the store fails, every assigned partition is paused
//! and polling goes on (the group keeps the member: `max.poll.interval.ms`),
//! the flush is retried with backoff, and consumption resumes once it
//! succeeds. Graceful shutdown: stop reading, flush, commit, then drop the
//! consumer on a thread of its own with a timeout (rust-rdkafka #453, #611).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use labelpulse_engine::{Engine, EngineSettings, Store};
use tracing::{info, warn};

use crate::commits::{spawn_committer, CommitOn, Commits};
use crate::config::KafkaConfig;
use crate::dead_letter::DeadLetterProducer;
use crate::error::IngestError;
use crate::metrics::IngestMetrics;
use crate::pipeline::{lock, Halt, Limits, Pipeline, Progress, POLL_MAX};
use crate::source::{self, close_within, IngestConsumer, PipelineSlot};

/// Options the binary leaves at their defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestorOptions {
    /// Fault injection for tests: after this many durable flushes, stop
    /// like a crash, after the flush and before its commit (the consumer is
    /// closed without committing).
    pub crash_after_flushes: Option<u64>,
}

/// A configured ingestor, not yet running.
pub struct Ingestor<S: Store> {
    config: KafkaConfig,
    engine: Engine<S>,
    settings: EngineSettings,
    metrics: IngestMetrics,
    options: IngestorOptions,
}

impl<S: Store> std::fmt::Debug for Ingestor<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingestor")
            .field("config", &self.config)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// How the ingestor thread ended, with the store handed back.
#[derive(Debug)]
pub struct IngestorExit<S> {
    /// The store (the engine's unflushed state, if any, is gone).
    pub store: S,
    /// True when the last flush and commit covered everything read.
    pub drained: bool,
    /// True when it stopped through [`IngestorOptions::crash_after_flushes`]
    /// or [`IngestorHandle::kill`]: nothing was flushed or committed at the end.
    pub crashed: bool,
    /// True when the consumer's drop returned within `close_timeout`.
    pub closed: bool,
    /// Assignment and commits at the end.
    pub progress: Progress,
}

#[derive(Debug, Default)]
struct Control {
    stop: AtomicBool,
    kill: AtomicBool,
}

impl<S: Store + Send + 'static> Ingestor<S> {
    /// An ingestor over `store`: builds the engine (reading the store's
    /// positions). Nothing connects before [`spawn`](Self::spawn).
    pub fn new(
        config: KafkaConfig,
        store: S,
        settings: EngineSettings,
        metrics: IngestMetrics,
    ) -> Result<Self, IngestError> {
        let engine = Engine::new(store, settings.clone())
            .map_err(|error| IngestError::Store(Box::new(error)))?;
        Ok(Ingestor {
            config,
            engine,
            settings,
            metrics,
            options: IngestorOptions::default(),
        })
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: IngestorOptions) -> Self {
        self.options = options;
        self
    }

    /// Creates the consumer and the dead-letter producer, subscribes and
    /// starts the ingestor thread.
    pub fn spawn(self) -> Result<IngestorHandle<S>, IngestError> {
        let progress = Arc::new(Mutex::new(Progress::default()));
        let commits = Arc::new(Commits::new(
            &self.config.topic,
            progress.clone(),
            self.metrics.clone(),
        ));
        let dead_letters = DeadLetterProducer::new(&self.config, &self.metrics)?;
        let (committer, commit_requests) = std::sync::mpsc::channel();
        let pipeline = Pipeline::new(
            self.engine,
            self.settings,
            self.config.topic.clone(),
            Limits::new(&self.config),
            dead_letters,
            self.metrics.clone(),
            (progress.clone(), commits.clone(), committer),
            self.options.crash_after_flushes,
        );
        let slot: PipelineSlot<S> = Arc::new(Mutex::new(Some(pipeline)));
        let consumer = Arc::new(source::subscribe(
            &self.config,
            slot.clone(),
            self.metrics.clone(),
        )?);
        let committer = spawn_committer(consumer.clone(), commit_requests, commits.clone())
            .map_err(IngestError::Thread)?;
        let control = Arc::new(Control::default());
        let timeouts = (self.config.drain_timeout, self.config.close_timeout);
        let thread = {
            let control = control.clone();
            let progress = progress.clone();
            std::thread::Builder::new()
                .name("labelpulse-ingestor".to_string())
                .spawn(move || {
                    let commits = (&*commits, committer);
                    run(consumer, (slot, commits), &control, &progress, timeouts)
                })
                .map_err(IngestError::Thread)?
        };
        info!(topic = %self.config.topic, group = %self.config.group_id, "ingestor started");
        Ok(IngestorHandle {
            control,
            thread: Some(thread),
            progress,
            metrics: self.metrics,
        })
    }
}

/// A running ingestor. Dropping the handle asks the thread to stop
/// gracefully without waiting for it.
pub struct IngestorHandle<S: Store> {
    control: Arc<Control>,
    thread: Option<JoinHandle<Result<IngestorExit<S>, IngestError>>>,
    progress: Arc<Mutex<Progress>>,
    metrics: IngestMetrics,
}

impl<S: Store> std::fmt::Debug for IngestorHandle<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestorHandle")
            .field("progress", &*lock(&self.progress))
            .finish_non_exhaustive()
    }
}

impl<S: Store + Send + 'static> IngestorHandle<S> {
    /// The ingestor's metrics.
    pub fn metrics(&self) -> &IngestMetrics {
        &self.metrics
    }

    /// Assigned partitions and the offsets this ingestor committed.
    pub fn progress(&self) -> Progress {
        lock(&self.progress).clone()
    }

    /// True when the thread ended (a halt, or after a stop).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Graceful shutdown, blocking: stop reading, flush and commit what was
    /// read (retrying up to `drain_timeout`), close the consumer (waiting
    /// up to `close_timeout`), and hand the store back.
    pub fn shutdown(mut self) -> Result<IngestorExit<S>, IngestError> {
        self.control.stop.store(true, Ordering::Release);
        self.join_thread()
    }

    /// [`shutdown`](Self::shutdown) from async code, on a blocking thread.
    pub async fn shutdown_async(self) -> Result<IngestorExit<S>, IngestError> {
        tokio::task::spawn_blocking(move || self.shutdown())
            .await
            .map_err(|_| IngestError::Panicked)?
    }

    /// Stops like a crash: no flush, no commit; the store keeps only what
    /// earlier flushes made durable.
    pub fn kill(mut self) -> Result<IngestorExit<S>, IngestError> {
        self.control.kill.store(true, Ordering::Release);
        self.join_thread()
    }

    /// Waits until the thread ends by itself (after a fault-injected crash
    /// or a fatal error).
    pub fn join(mut self) -> Result<IngestorExit<S>, IngestError> {
        self.join_thread()
    }

    fn join_thread(&mut self) -> Result<IngestorExit<S>, IngestError> {
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| IngestError::Panicked)?,
            None => Err(IngestError::Panicked),
        }
    }
}

impl<S: Store> Drop for IngestorHandle<S> {
    fn drop(&mut self) {
        self.control.stop.store(true, Ordering::Release);
    }
}

/// Waits for the committer to end (its requests' sender is gone), then
/// closes the consumer, both within `timeout` ([`close_within`]). Returns
/// whether the consumer was closed in time; if the committer still waits
/// for an answer, the consumer is closed when it ends.
fn close_after<S: Store + Send + 'static>(
    committer: JoinHandle<()>,
    consumer: Arc<IngestConsumer<S>>,
    timeout: Duration,
) -> bool {
    let deadline = Instant::now() + timeout;
    while !committer.is_finished() {
        if Instant::now() >= deadline {
            warn!("the committer still waits for a commit's answer; the consumer closes after it");
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = committer.join();
    match Arc::try_unwrap(consumer) {
        Ok(consumer) => close_within(consumer, deadline.saturating_duration_since(Instant::now())),
        Err(_) => false,
    }
}

/// Why the polling loop ended.
enum Ending {
    Stop,
    Kill,
    Halt(Halt),
}

/// The ingestor thread.
fn run<S: Store + Send + 'static>(
    consumer: Arc<IngestConsumer<S>>,
    (slot, (commits, committer)): (PipelineSlot<S>, (&Commits, JoinHandle<()>)),
    control: &Control,
    progress: &Mutex<Progress>,
    (drain_timeout, close_timeout): (Duration, Duration),
) -> Result<IngestorExit<S>, IngestError> {
    let ending = loop {
        if control.kill.load(Ordering::Acquire) {
            break Ending::Kill;
        }
        if control.stop.load(Ordering::Acquire) {
            break Ending::Stop;
        }
        let timeout = lock(&slot)
            .as_ref()
            .map_or(POLL_MAX, |pipeline| pipeline.poll_timeout(Instant::now()));
        // Rebalance callbacks run inside this poll and lock the slot: never
        // poll while holding it.
        let polled = consumer.poll(timeout);
        let mut guard = lock(&slot);
        let Some(pipeline) = guard.as_mut() else {
            break Ending::Kill;
        };
        // One clock read per message for both (clock reads were 2.5% of
        // the ingestor's CPU samples while catching up, half of them
        // librdkafka's own).
        let now = Instant::now();
        match polled {
            Some(Ok(message)) => pipeline.push(&message, now),
            Some(Err(error)) => warn!(%error, "consumer error"),
            None => {}
        }
        pipeline.tick(&*consumer, now);
        if let Some(halt) = pipeline.halted.take() {
            break Ending::Halt(halt);
        }
    };
    let Some(mut pipeline) = lock(&slot).take() else {
        return Err(IngestError::Panicked);
    };
    let (mut drained, mut crashed, mut failure) = (false, false, None);
    match ending {
        Ending::Stop => {
            let deadline = Instant::now() + drain_timeout;
            match pipeline.drain(&*consumer, deadline, CommitOn::Committer) {
                Ok(done) => drained = done && commits.wait_answered(deadline),
                Err(Halt::Crash) => crashed = true,
                Err(Halt::Fatal(error)) => failure = Some(error),
            }
        }
        Ending::Kill | Ending::Halt(Halt::Crash) => crashed = true,
        Ending::Halt(Halt::Fatal(error)) => failure = Some(error),
    }
    // The committer ends with its current commit, and the consumer is
    // closed once it has.
    let store = pipeline.into_store();
    let closed = close_after(committer, consumer, close_timeout);
    info!(drained, crashed, closed, "ingestor stopped");
    if let Some(error) = failure {
        return Err(error);
    }
    let progress = lock(progress).clone();
    match store {
        Some(store) => Ok(IngestorExit {
            store,
            drained,
            crashed,
            closed,
            progress,
        }),
        None => Err(IngestError::Engine("the store was lost".to_string())),
    }
}
