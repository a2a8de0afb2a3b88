//! The engine: applies events to cached entity state, adds the resulting
//! contribution diffs to cached aggregate rows, and flushes to a [`Store`].
//!
//! Fencing (DESIGN.md §4): an event with sequence `s` (offset + 1) is
//! applied to its entity only if the entity's version is below `s`, and its
//! diff goes only to aggregate rows whose stored version is below `s`.
//! Together with the flush order of [`Flush`], replaying from the last
//! durable position after a crash anywhere in a flush applies each event's
//! effect exactly once.
//!
//! Aggregate rows are written at the position their flush ended at, so a
//! stored row at version `v` holds exactly the events up to `v`. Over a
//! store that writes a flush atomically ([`Store::writes_atomically`]) or
//! keeps flush marks ([`Store::flush_marks`]) the events of one task in one
//! batch add a single net change at the end of the batch
//! (`Engine::settle`): the difference between the task's contributions
//! before its first event and after its last, fenced by the span of those
//! events; batches end at the marks of flushes that failed half-way, so no
//! span holds a stored row's version. Over other stores each event adds
//! its own change.

use hashbrown::hash_map::Entry as MapEntry;
use std::collections::BTreeMap;

mod flush;
mod reads;
mod rows;
mod settle;

use crate::aggregate_cache::AggregateCache;
use rows::{add_diff, add_task_change, AbsentRows, ChangeParts, GroupKeys, RowSink};

use crate::map::{HashMap, StrPair};

use labelpulse_core::agreement::PairMemo;
use labelpulse_core::contribution::{diff, task_contributions_memo, Contribution, Counter};
use labelpulse_core::event::{EventBody, SessionKind};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::{AnnotationState, Change, ReviewState, TaskState};
use labelpulse_core::time::{epoch_ms, hour_of_ms};
use labelpulse_core::Event;
use thiserror::Error;

use crate::cache::{cached, Admission, Cached, Span};
use crate::deferred::{DeferredOp, DeferredRows};
use crate::entity::{IndexKey, IndexKind, MemberState, SessionState};
use crate::intern::Interner;
use crate::known_keys::KnownKeys;
use crate::row_key::RowKey;
use crate::scratch::Scratch;
#[cfg(doc)]
use crate::store::Flush;
use crate::store::{SessionKey, Store, TaskKey};
use crate::window::ChangedTasks;

/// Engine settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    /// Heartbeat gaps longer than this are idle and not counted as active time.
    pub idle_threshold_ms: i64,
    /// Cached entries (tasks, sessions, members, aggregate rows, index
    /// entries) above which a flush empties the cache of clean entries;
    /// they are reloaded from the store when next used. Separately, the
    /// projects' known-task sets hold at most as many task hashes (8 bytes
    /// each), and so do their known-cell sets; each is dropped above it.
    pub cache_capacity: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            idle_threshold_ms: 60_000,
            cache_capacity: 2_000_000,
        }
    }
}

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied (possibly a no-op on state, e.g. a duplicate).
    Applied,
    /// Already applied before (its entity is at or past this sequence): replay.
    Fenced,
    /// Refers to an entity the engine cannot resolve (a delete by id of
    /// something never seen); nothing to do.
    Unresolved,
}

/// Engine failure: the store's, or events out of order.
#[derive(Debug, Error)]
pub enum EngineError<E: std::error::Error + 'static> {
    /// The store failed to read or write.
    #[error("store: {0}")]
    Store(#[source] E),
    /// Sequences must increase per partition.
    #[error("sequence {sequence} on partition {partition} is not after {last}")]
    SequenceOrder {
        /// Partition.
        partition: u32,
        /// The offending sequence.
        sequence: u64,
        /// The last one applied.
        last: u64,
    },
    /// The store holds rows at a version inside a batch being applied:
    /// part of an earlier write of these events is durable, yet the store
    /// said it writes atomically or gave no mark there (e.g. a flush
    /// written half-way by a build that wrote no marks). Adding the batch's
    /// net changes would count some of them twice, so nothing is added.
    #[error("{rows} aggregate rows hold part of the events {first}..={last}: a flush was written in part where the store reported none")]
    PartlyWritten {
        /// Rows found so.
        rows: usize,
        /// First event of the batch.
        first: u64,
        /// Last event of the batch.
        last: u64,
    },
}

/// One event of a batch: its sequence (offset + 1), raw bytes (archived)
/// and decoded form.
#[derive(Debug, Clone, Copy)]
pub struct BatchEvent<'a> {
    /// Sequence, > 0 and increasing within the partition.
    pub sequence: u64,
    /// The raw event, as received.
    pub raw: &'a [u8],
    /// The decoded event.
    pub event: &'a Event<'a>,
}

/// The cached settings of `project`, read from the store on a miss.
fn project_entry<'m, S: Store>(
    store: &mut S,
    projects: &'m mut HashMap<String, Cached<ProjectConfig>>,
    project: &str,
) -> Result<&'m mut Cached<ProjectConfig>, S> {
    cached(
        projects,
        project,
        || project.to_string(),
        |key| store.project(key),
        ProjectConfig::default,
    )
    .map_err(EngineError::Store)
}

/// Counts of what the engine did, for metrics and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineCounters {
    /// Events applied.
    pub applied: u64,
    /// Events skipped by fencing (replays).
    pub fenced: u64,
    /// Events whose entity could not be resolved.
    pub unresolved: u64,
    /// Full flushes written.
    pub flushes: u64,
    /// Light flushes written ([`crate::FlushScope::Aggregates`]).
    pub light_flushes: u64,
    /// Times the cache was emptied for exceeding its capacity.
    pub evictions: u64,
}

/// The engine over one store.
pub struct Engine<S: Store> {
    store: S,
    settings: EngineSettings,
    tasks: HashMap<TaskKey, Cached<TaskState>>,
    sessions: HashMap<SessionKey, Cached<SessionState>>,
    projects: HashMap<String, Cached<ProjectConfig>>,
    members: HashMap<String, Cached<MemberState>>,
    aggregates: AggregateCache,
    /// The strings of the keys of `aggregates` and `deferred`.
    interner: Interner,
    deferred: DeferredRows,
    index: HashMap<IndexKey, String>,
    new_index: Vec<(IndexKey, String)>,
    /// Per project, the tasks the store may hold: the prefetch reads only
    /// those, the others are new.
    known_tasks: KnownKeys,
    /// Per project, the hour horizon and the known-cell set: rows missing
    /// from the cache that the store cannot hold.
    absent: AbsentRows,
    archive: Vec<(u32, u64, Vec<u8>)>,
    positions: BTreeMap<u32, u64>,
    /// Partitions applied to since the last flush: a flush writes only
    /// their positions (another owner may have moved the others on).
    touched: std::collections::BTreeSet<u32>,
    pending: bool,
    /// A flush was started ([`Engine::start_flush`]) and not finished.
    in_flight: bool,
    counters: EngineCounters,
    /// Pair evaluations of cached tasks: a change rescores only the pairs
    /// of the result that changed. Cleared with the cache.
    pair_memo: PairMemo,
    /// The contribution lists of the last change, emptied, for the next.
    scratch: Scratch,
    /// The row keys of [`add_group`], reused.
    group_keys: GroupKeys,
    /// The tasks changed by the batch being applied, whose net changes
    /// [`Engine::settle`] adds at its end.
    changed: ChangedTasks,
    /// Spans found straddling a row's stored version (see
    /// [`EngineError::PartlyWritten`]); empty but for a store that is not
    /// what it says.
    straddled: Vec<Span>,
    /// The partition of the event being applied.
    applying: u32,
    /// Whether the store keeps flush marks ([`Store::flush_marks`]).
    keeps_marks: bool,
    /// Per partition, the marks above its durable position when it was
    /// read (the ends of flushes that failed half-way), ascending: a batch
    /// adds its task changes before its first event past each (see
    /// [`Engine::cut_before`]).
    cuts: BTreeMap<u32, Vec<u64>>,
}

type Result<T, S> = std::result::Result<T, EngineError<<S as Store>::Error>>;

impl<S: Store> Engine<S> {
    /// An engine over `store`, with an empty cache.
    pub fn new(store: S, settings: EngineSettings) -> Result<Self, S> {
        let mut store = store;
        let positions = store.positions().map_err(EngineError::Store)?;
        let marks = store.flush_marks(&positions).map_err(EngineError::Store)?;
        let keeps_marks = marks.is_some();
        let cuts = marks.unwrap_or_default();
        Ok(Engine {
            store,
            settings,
            tasks: HashMap::default(),
            sessions: HashMap::default(),
            projects: HashMap::default(),
            members: HashMap::default(),
            aggregates: AggregateCache::default(),
            interner: Interner::default(),
            deferred: DeferredRows::default(),
            index: HashMap::default(),
            new_index: Vec::new(),
            known_tasks: KnownKeys::default(),
            absent: AbsentRows::default(),
            archive: Vec::new(),
            positions,
            touched: std::collections::BTreeSet::new(),
            pending: false,
            in_flight: false,
            counters: EngineCounters::default(),
            pair_memo: PairMemo::default(),
            scratch: Scratch::default(),
            group_keys: GroupKeys::default(),
            changed: ChangedTasks::default(),
            straddled: Vec::new(),
            applying: 0,
            keeps_marks,
            cuts,
        })
    }

    /// The last applied sequence per partition (durable or not).
    pub fn positions(&self) -> &BTreeMap<u32, u64> {
        &self.positions
    }

    /// What the engine did so far.
    pub fn counters(&self) -> &EngineCounters {
        &self.counters
    }

    /// The store, e.g. for reads in tests.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Consumes the engine, returning its store (unflushed changes are
    /// lost). A started flush is waited for first, whatever its outcome, so
    /// the store is never handed over mid-write.
    pub fn into_store(self) -> S {
        let mut store = self.store;
        if self.in_flight {
            let _ = store.finish_write();
        }
        store
    }

    /// True when applied events wait for a flush.
    pub fn has_pending(&self) -> bool {
        self.pending
    }

    /// Applies one event with sequence `sequence` (> 0, increasing per
    /// partition). `raw` is archived with the next flush.
    pub fn apply(
        &mut self,
        partition: u32,
        sequence: u64,
        raw: &[u8],
        event: &Event<'_>,
    ) -> Result<Outcome, S> {
        let item = BatchEvent {
            sequence,
            raw,
            event,
        };
        self.check_order(partition, std::slice::from_ref(&item))?;
        let outcome = self.apply_item(partition, &item)?;
        self.settle()?;
        Ok(outcome)
    }

    /// Applies a batch of events of one partition, in order. Entities the
    /// batch touches are loaded with one store read per kind first, and
    /// aggregate rows missing from the cache are read in one batch at the
    /// end (their changes wait, in order, until then).
    pub fn apply_batch(
        &mut self,
        partition: u32,
        events: &[BatchEvent<'_>],
    ) -> Result<Vec<Outcome>, S> {
        self.apply_partitions(&[(partition, events)])
    }

    /// Applies the batches of several partitions, each in order, as
    /// [`Engine::apply_batch`] would one after the other, but with one
    /// prefetch and one read of missing aggregate rows for all of them:
    /// a store round trip per kind, not per kind and partition. The
    /// outcomes come in the order of `batches`.
    ///
    /// Only the order within a partition matters: a project's events come
    /// from one partition (the ingestor routes by project), so batches of
    /// different partitions share no task, session or aggregate row.
    pub fn apply_partitions(
        &mut self,
        batches: &[(u32, &[BatchEvent<'_>])],
    ) -> Result<Vec<Outcome>, S> {
        for (partition, events) in batches {
            self.check_order(*partition, events)?;
        }
        let total: usize = batches.iter().map(|(_, events)| events.len()).sum();
        // One event gains nothing from batch reads: its entities are read
        // on first use, exactly as a prefetch would have read them.
        if total > 1 {
            self.prefetch(batches.iter().flat_map(|(_, events)| events.iter()))?;
            self.know_absent_rows(batches)?;
        }
        let mut outcomes = Vec::with_capacity(total);
        // Every event is archived: room for the batch at once, not by
        // doubling event by event (a flush takes the list and its room).
        self.archive.reserve(total);
        for (partition, events) in batches {
            for item in *events {
                outcomes.push(self.apply_item(*partition, item)?);
            }
        }
        self.settle()?;
        Ok(outcomes)
    }

    /// Fails unless the sequences of `events` increase from the
    /// partition's last one.
    fn check_order(&self, partition: u32, events: &[BatchEvent<'_>]) -> Result<(), S> {
        let mut last = self.positions.get(&partition).copied().unwrap_or(0);
        for event in events {
            if event.sequence <= last {
                return Err(EngineError::SequenceOrder {
                    partition,
                    sequence: event.sequence,
                    last,
                });
            }
            last = event.sequence;
        }
        Ok(())
    }

    /// Applies one event of a checked batch (task changes and rows not
    /// cached wait for the caller's [`Engine::settle`]), counts and archives it, and
    /// moves the partition's position to it.
    fn apply_item(&mut self, partition: u32, item: &BatchEvent<'_>) -> Result<Outcome, S> {
        self.cut_before(partition, item.sequence)?;
        self.applying = partition;
        let outcome = self.apply_body(item.sequence, item.event)?;
        match outcome {
            Outcome::Applied => self.counters.applied += 1,
            Outcome::Fenced => self.counters.fenced += 1,
            Outcome::Unresolved => self.counters.unresolved += 1,
        }
        // Every event is archived, replays included, so a crash between the
        // task rows and the archive rows of a flush loses no archive entry.
        self.archive
            .push((partition, item.sequence, item.raw.to_vec()));
        self.positions.insert(partition, item.sequence);
        self.touched.insert(partition);
        self.pending = true;
        Ok(outcome)
    }

    fn apply_body(&mut self, sequence: u64, event: &Event<'_>) -> Result<Outcome, S> {
        let project = event.envelope.project_id.as_deref().unwrap_or_default();
        match &event.body {
            EventBody::ProjectUpserted(upserted) => {
                let config =
                    ProjectConfig::from_event(upserted, event.envelope.workspace_id.as_deref());
                self.upsert_project(sequence, project, config)
            }
            EventBody::MemberUpserted(member) => {
                let state = MemberState::from_event(event, member);
                let store = &mut self.store;
                let key: &str = &member.member_id;
                let entry = cached(
                    &mut self.members,
                    key,
                    || key.to_string(),
                    |key| store.member(key),
                    || state.clone(),
                )
                .map_err(EngineError::Store)?;
                if !entry.behind(sequence) {
                    return Ok(Outcome::Fenced);
                }
                if entry.value.version == 0 || state.occurred_ms >= entry.value.value.occurred_ms {
                    entry.value.value = state;
                }
                entry.stamp(sequence);
                Ok(Outcome::Applied)
            }
            EventBody::Session(session) => {
                let at_ms = epoch_ms(event.envelope.occurred_at);
                self.apply_session(sequence, project, &session.member_id, session.kind, at_ms)
            }
            EventBody::TaskCreated { task_id, overlap } => {
                let at_ms = epoch_ms(event.envelope.occurred_at);
                self.apply_task(sequence, project, task_id, |task| {
                    task.create(*overlap, at_ms)
                })
            }
            EventBody::TaskDeleted { task_id } => {
                let at_ms = epoch_ms(event.envelope.occurred_at);
                self.apply_task(sequence, project, task_id, |task| task.delete(at_ms))
            }
            EventBody::TaskStateChanged { task_id, to, .. } => {
                let at_ms = epoch_ms(event.envelope.occurred_at);
                self.apply_task(sequence, project, task_id, |task| {
                    task.set_status(*to, at_ms)
                })
            }
            EventBody::Annotation(annotation) => {
                self.remember(
                    project,
                    IndexKind::Annotation,
                    &annotation.annotation_id,
                    &annotation.task_id,
                );
                let state = AnnotationState::from_event(annotation);
                let activity = (annotation.member_id.as_ref(), state.completed_ms);
                let outcome = self.apply_task(sequence, project, &annotation.task_id, |task| {
                    task.upsert_annotation(state)
                })?;
                self.touch_activity(sequence, project, activity, outcome)
            }
            EventBody::AnnotationDeleted {
                annotation_id,
                task_id,
            } => {
                let task_id = match task_id {
                    Some(task_id) => Some(task_id.to_string()),
                    None => self.resolve(project, IndexKind::Annotation, annotation_id)?,
                };
                match task_id {
                    Some(task_id) => self.apply_task(sequence, project, &task_id, |task| {
                        task.delete_annotation(annotation_id)
                    }),
                    None => Ok(Outcome::Unresolved),
                }
            }
            EventBody::PredictionCreated(prediction) => {
                self.remember(
                    project,
                    IndexKind::Prediction,
                    &prediction.prediction_id,
                    &prediction.task_id,
                );
                self.apply_task(sequence, project, &prediction.task_id, |task| {
                    task.upsert_prediction(prediction)
                })
            }
            EventBody::PredictionDeleted { prediction_id } => {
                match self.resolve(project, IndexKind::Prediction, prediction_id)? {
                    Some(task_id) => self.apply_task(sequence, project, &task_id, |task| {
                        task.delete_prediction(prediction_id)
                    }),
                    None => Ok(Outcome::Unresolved),
                }
            }
            EventBody::ReviewSubmitted(review) => {
                self.remember(
                    project,
                    IndexKind::Review,
                    &review.review_id,
                    &review.task_id,
                );
                let state = ReviewState::from_event(review);
                let activity = (review.reviewer_id.as_ref(), state.completed_ms);
                let outcome = self.apply_task(sequence, project, &review.task_id, |task| {
                    task.upsert_review(state)
                })?;
                self.touch_activity(sequence, project, activity, outcome)
            }
            EventBody::ReviewDeleted { review_id } => {
                match self.resolve(project, IndexKind::Review, review_id)? {
                    Some(task_id) => self.apply_task(sequence, project, &task_id, |task| {
                        task.delete_review(review_id)
                    }),
                    None => Ok(Outcome::Unresolved),
                }
            }
        }
    }

    /// Records `id -> task` in the index (immutable entries).
    fn remember(&mut self, project: &str, kind: IndexKind, id: &str, task_id: &str) {
        let key = (project.to_string(), kind, id.to_string());
        if let MapEntry::Vacant(entry) = self.index.entry(key.clone()) {
            entry.insert(task_id.to_string());
            self.new_index.push((key, task_id.to_string()));
        }
    }

    fn resolve(&mut self, project: &str, kind: IndexKind, id: &str) -> Result<Option<String>, S> {
        let key = (project.to_string(), kind, id.to_string());
        if let Some(task) = self.index.get(&key) {
            return Ok(Some(task.clone()));
        }
        let found = self.store.index(&key).map_err(EngineError::Store)?;
        if let Some(task) = &found {
            self.index.insert(key, task.clone());
        }
        Ok(found)
    }

    fn project_config(&mut self, project: &str) -> Result<&mut Cached<ProjectConfig>, S> {
        project_entry(&mut self.store, &mut self.projects, project)
    }

    /// Applies a change to one task: fence, change the state, and record
    /// the state before it; [`Engine::settle`] adds the task's net change
    /// at the end of the batch.
    fn apply_task(
        &mut self,
        sequence: u64,
        project: &str,
        task_id: &str,
        change: impl FnOnce(&mut TaskState) -> Change,
    ) -> Result<Outcome, S> {
        let coalesce = self.coalesces();
        let Engine {
            store,
            tasks,
            projects,
            changed,
            aggregates,
            interner,
            deferred,
            pair_memo,
            scratch,
            group_keys,
            straddled,
            applying,
            absent,
            ..
        } = self;
        let config = project_entry(store, projects, project)?;
        if config.value.version == 0 && !config.dirty {
            // First sight of a project without settings: keep it listed.
            config.dirty = true;
        }
        let config = &config.value.value;
        let key = StrPair(project, task_id);
        let entry = cached(
            tasks,
            &key,
            || key.to_owned(),
            |key| store.task(key),
            TaskState::default,
        )
        .map_err(EngineError::Store)?;
        if !entry.behind(sequence) {
            return Ok(Outcome::Fenced);
        }
        if coalesce {
            // Copies only on the task's first change of the batch, and
            // cheaply: annotations, predictions and reviews are shared `Arc`s.
            changed.record(key, Span::one(*applying, sequence), &entry.value.value);
            if change(&mut entry.value.value) != Change::Unchanged {
                entry.stamp(sequence);
            }
            return Ok(Outcome::Applied);
        }
        let old = entry.value.value.clone();
        if change(&mut entry.value.value) == Change::Unchanged {
            return Ok(Outcome::Applied);
        }
        entry.stamp(sequence);
        let mut parts = ChangeParts {
            rows: (aggregates, deferred, interner, straddled, absent),
            pair_memo,
            scratch,
            group_keys,
        };
        let states = (&old, &entry.value.value);
        let span = Span::one(*applying, sequence);
        add_task_change(&mut parts, project, span, states, config);
        Ok(Outcome::Applied)
    }

    /// Where one event's signed contributions to `project`'s rows go.
    fn row_sink<'k>(&mut self, project: &'k str, sequence: u64) -> RowSink<'_, 'k> {
        let span = Span::one(self.applying, sequence);
        let rows = (
            &mut self.aggregates,
            &mut self.deferred,
            &mut self.interner,
            &mut self.straddled,
            &self.absent,
        );
        RowSink::new(rows, project, span)
    }

    /// Raises a member's last-activity time in a project (a max register).
    fn touch_activity(
        &mut self,
        sequence: u64,
        project: &str,
        (member, at_ms): (&str, i64),
        outcome: Outcome,
    ) -> Result<Outcome, S> {
        if outcome != Outcome::Applied {
            return Ok(outcome);
        }
        let key = RowKey::member_activity(project, member, &mut self.interner);
        let op = DeferredOp::Activity(at_ms);
        let span = Span::one(self.applying, sequence);
        let (aggregates, mut changed) = self.aggregates.split();
        match aggregates.get_mut(&key) {
            Some(row) => {
                if row.admission(span) == Admission::Add && op.apply(&mut row.value.value) {
                    changed.raise(key, row, span);
                }
            }
            None => self.deferred.push(key, span, op),
        }
        Ok(outcome)
    }

    /// Heartbeats: a gap to the previous heartbeat of an open session of at
    /// most the idle threshold is active time, credited to the hour of the
    /// later beat; `session.ended` closes the session after crediting its
    /// gap. Session events not after the latest one seen are ignored.
    fn apply_session(
        &mut self,
        sequence: u64,
        project: &str,
        member: &str,
        kind: SessionKind,
        at_ms: i64,
    ) -> Result<Outcome, S> {
        let key = StrPair(project, member);
        let store = &mut self.store;
        let entry = cached(
            &mut self.sessions,
            &key,
            || key.to_owned(),
            |key| store.session(key),
            SessionState::default,
        )
        .map_err(EngineError::Store)?;
        if !entry.behind(sequence) {
            return Ok(Outcome::Fenced);
        }
        let state = &mut entry.value.value;
        if state.latest_ms.is_some_and(|latest| at_ms <= latest) {
            return Ok(Outcome::Applied);
        }
        let gap = match (state.open, state.latest_ms) {
            (true, Some(latest)) => Some(at_ms - latest),
            _ => None,
        };
        state.latest_ms = Some(at_ms);
        state.open = kind == SessionKind::Heartbeat;
        entry.stamp(sequence);
        if let Some(gap) = gap.filter(|gap| *gap <= self.settings.idle_threshold_ms) {
            let active = Contribution::Count {
                hour: hour_of_ms(at_ms),
                member: Some(std::borrow::Cow::Borrowed(member)),
                counter: Counter::ActiveMs,
                amount: gap,
            };
            let changes = [(active, 1)];
            add_diff(&mut self.row_sink(project, sequence), &changes);
        }
        self.touch_activity(sequence, project, (member, at_ms), Outcome::Applied)
    }

    /// `project.upserted`. A change of scoring settings re-derives every task
    /// of the project from the store, after a flush when the cache holds
    /// any of them; every task it reads is at a version below `sequence`.
    fn upsert_project(
        &mut self,
        sequence: u64,
        project: &str,
        config: ProjectConfig,
    ) -> Result<Outcome, S> {
        // The batch's task changes so far are added under the settings
        // they were made with.
        self.settle()?;
        let current = self.project_config(project)?;
        if !current.behind(sequence) {
            return Ok(Outcome::Fenced);
        }
        let old = current.value.value.clone();
        if !old.scoring_differs(&config) {
            let current = self.project_config(project)?;
            current.value.value = config;
            current.stamp(sequence);
            return Ok(Outcome::Applied);
        }
        // Barrier: the project's tasks are read from the store below, so
        // those the cache holds (changed, or in a flush being written) must
        // be durable first. With none cached, every task of the project the
        // store holds is durable already (rows leave the cache only after
        // their flush ended), and no write is needed. Entries at version 0
        // do not count: the store holds none of those tasks and no event
        // changed them yet (the batch's prefetch caches the tasks its
        // events name before any is applied), so they have nothing to
        // restamp. The first settings of each project, at the start of a
        // stream, thus cost one read each and no write.
        if self
            .tasks
            .iter()
            .any(|((task_project, _), cached)| task_project == project && cached.value.version > 0)
        {
            self.write_keeping_cache()?;
        }
        let stored = self
            .store
            .project_tasks(project)
            .map_err(EngineError::Store)?;
        for (key, stored_task) in stored {
            let entry = self
                .tasks
                .entry(key.clone())
                .or_insert_with(|| Cached::clean(stored_task));
            if !entry.behind(sequence) {
                continue;
            }
            entry.stamp(sequence);
            let mut before = Vec::new();
            task_contributions_memo(&entry.value.value, &old, &mut self.pair_memo, &mut before);
            let mut after = Vec::new();
            task_contributions_memo(&entry.value.value, &config, &mut self.pair_memo, &mut after);
            let mut changes = Vec::new();
            diff(&mut before, &mut after, &mut changes);
            // The changes borrow the cached task: the sink takes the other fields.
            let rows = (
                &mut self.aggregates,
                &mut self.deferred,
                &mut self.interner,
                &mut self.straddled,
                &self.absent,
            );
            let mut sink = RowSink::new(rows, project, Span::one(self.applying, sequence));
            add_diff(&mut sink, &changes);
        }
        let current = self.project_config(project)?;
        current.value.value = config;
        current.stamp(sequence);
        Ok(Outcome::Applied)
    }
}
