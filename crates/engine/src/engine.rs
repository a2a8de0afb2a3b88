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
//! ([`Engine::settle`]): the difference between the task's contributions
//! before its first event and after its last, fenced by the span of those
//! events; batches end at the marks of flushes that failed half-way, so no
//! span holds a stored row's version. Over other stores each event adds
//! its own change.

use hashbrown::hash_map::Entry as MapEntry;
use std::collections::BTreeMap;

use crate::map::{HashMap, StrPair};

use labelpulse_core::aggregate::{AggKey, AggKeyRef, AggRow};
use labelpulse_core::agreement::PairMemo;
use labelpulse_core::contribution::{
    change_contributions, diff, diff_grouped, task_contributions_memo, Contribution, Counter,
};
use labelpulse_core::event::{EventBody, SessionKind};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::{AnnotationState, Change, ReviewState, TaskState};
use labelpulse_core::time::{epoch_ms, hour_of_ms, Hour};
use labelpulse_core::Event;
use thiserror::Error;

use crate::cache::{cached, Admission, Cached, Span};
use crate::deferred::{DeferredOp, DeferredRows};
use crate::entity::{IndexKey, IndexKind, MemberState, SessionState};
use crate::hour_horizons::{self, HourHorizons};
use crate::intern::{Interner, Sym, Symbols};
use crate::known_tasks::KnownTasks;
use crate::row_key::RowKey;
use crate::scratch::Scratch;
use crate::store::{Flush, SessionKey, Store, TaskKey, Versioned};
use crate::window::{ChangedTask, ChangedTasks};

/// Engine settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    /// Heartbeat gaps longer than this are idle and not counted as active time.
    pub idle_threshold_ms: i64,
    /// Cached entries (tasks, sessions, members, aggregate rows, index
    /// entries) above which a flush empties the cache of clean entries;
    /// they are reloaded from the store when next used. Separately, the
    /// projects' known-task sets hold at most as many task hashes (8 bytes
    /// each) and are dropped above it.
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

/// Caches the entries of `keys` (the prefetch's, none of them cached):
/// loaded ones as read, absent ones as new (version 0, `default()`). An
/// entry cached meanwhile is kept, never overwritten.
fn load_missing<K, T, E>(
    map: &mut HashMap<K, Cached<T>>,
    keys: Vec<K>,
    default: impl Fn() -> T,
    load: impl FnOnce(&[K]) -> std::result::Result<Vec<(K, Versioned<T>)>, E>,
) -> std::result::Result<(), EngineError<E>>
where
    K: std::hash::Hash + Eq,
    E: std::error::Error + 'static,
{
    if keys.is_empty() {
        return Ok(());
    }
    for (key, value) in load(&keys).map_err(EngineError::Store)? {
        map.entry(key).or_insert_with(|| Cached::clean(value));
    }
    for key in keys {
        map.entry(key).or_insert_with(|| {
            Cached::clean(Versioned {
                version: 0,
                value: default(),
            })
        });
    }
    Ok(())
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

/// Cached aggregate rows, by interned key ([`RowKey`]): a lookup hashes
/// and compares integers, and a hit allocates nothing.
pub(crate) type AggregateMap = HashMap<RowKey, Cached<AggRow>>;

/// Where the signed contributions of one event (or of one task's events in
/// a batch) in one project are added: the cached rows, the queue of the
/// rows not cached yet, and a pass of the key interner over the strings of
/// the contributions (all borrowed for `'k`).
struct RowSink<'e, 'k> {
    aggregates: &'e mut AggregateMap,
    deferred: &'e mut DeferredRows,
    symbols: Symbols<'e, 'k>,
    /// The project's symbol.
    project: Sym,
    /// The events whose change is added.
    span: Span,
    /// Rows found holding part of the span (see [`EngineError::PartlyWritten`]).
    straddled: &'e mut Vec<Span>,
    /// The project's hour horizon: its hour rows past it are new.
    horizon: Option<Hour>,
}

/// The row caches a [`RowSink`] writes to.
type Rows<'e> = (
    &'e mut AggregateMap,
    &'e mut DeferredRows,
    &'e mut Interner,
    &'e mut Vec<Span>,
    &'e HourHorizons,
);

impl<'e, 'k> RowSink<'e, 'k> {
    fn new(
        (aggregates, deferred, interner, straddled, horizons): Rows<'e>,
        project: &'k str,
        span: Span,
    ) -> Self {
        let sym = interner.intern_project(project);
        RowSink {
            aggregates,
            deferred,
            symbols: interner.symbols(),
            project: sym,
            span,
            straddled,
            horizon: horizons.of(project),
        }
    }

    /// The cache keys of the rows `contribution` lands on, appended to `out`.
    fn targets(&mut self, contribution: &'k Contribution<'_>, out: &mut Vec<RowKey>) {
        RowKey::targets(self.project, contribution, &mut self.symbols, out);
    }
}

/// Adds signed contributions to every row each lands on, fenced; rows not
/// in the cache get the change queued until their batch read.
fn add_diff<'k>(sink: &mut RowSink<'_, 'k>, changes: &'k [(Contribution<'_>, i64)]) {
    let mut keys: Vec<RowKey> = Vec::with_capacity(3);
    for (contribution, sign) in changes {
        add_one(sink, contribution, *sign, &mut keys);
    }
}

/// Adds one signed contribution to every row it lands on (see
/// [`add_diff`]); `keys` is scratch space for its targets.
fn add_one<'k>(
    sink: &mut RowSink<'_, 'k>,
    contribution: &'k Contribution<'_>,
    sign: i64,
    keys: &mut Vec<RowKey>,
) {
    keys.clear();
    sink.targets(contribution, keys);
    for &key in keys.iter() {
        add_at(sink, key, &[(contribution, sign)]);
    }
}

/// Adds signed contributions that land on `key` to its row, fenced, or
/// queues them when the row is not cached yet (one lookup for all of them).
/// An hour row past its project's horizon is not in the store: it is
/// cached as new (see [`crate::hour_horizons`]).
fn add_at(sink: &mut RowSink<'_, '_>, key: RowKey, changes: &[(&Contribution<'_>, i64)]) {
    let (aggregates, deferred, span) = (&mut *sink.aggregates, &mut *sink.deferred, sink.span);
    let row = match aggregates.entry(key) {
        MapEntry::Occupied(row) => row.into_mut(),
        MapEntry::Vacant(vacant)
            if key
                .hour()
                .is_some_and(|hour| hour_horizons::past(sink.horizon, hour)) =>
        {
            vacant.insert(Cached::clean(Versioned {
                version: 0,
                value: key.empty_row(),
            }))
        }
        MapEntry::Vacant(_) => {
            // The key names the row: the change needs no strings of its own.
            for (contribution, sign) in changes {
                let op = DeferredOp::Add(contribution.detach(), *sign);
                deferred.push(key, span, op);
            }
            return;
        }
    };
    match row.admission(span) {
        Admission::Add => {
            for (contribution, sign) in changes {
                row.value.value.apply(contribution, *sign);
            }
            row.raise(span);
        }
        Admission::Skip => {}
        Admission::Split => sink.straddled.push(span),
    }
}

/// Scratch space of [`add_group`], kept by the engine from one change to
/// the next: the row keys of a group's first change and of the one being
/// compared.
#[derive(Debug, Default)]
struct GroupKeys {
    first: Vec<RowKey>,
    other: Vec<RowKey>,
}

/// Adds a group of signed contributions (from
/// [`labelpulse_core::contribution::diff_grouped`]): the changes landing on
/// exactly the rows of the first share one lookup per row; any other (a
/// hash collision) is added on its own.
fn add_group<'k>(
    sink: &mut RowSink<'_, 'k>,
    group: &[(&'k Contribution<'k>, i64)],
    scratch: &mut GroupKeys,
    shared: &mut Vec<(&'k Contribution<'k>, i64)>,
) {
    let [(first, first_sign), rest @ ..] = group else {
        return;
    };
    if rest.is_empty() {
        add_one(sink, first, *first_sign, &mut scratch.first);
        return;
    }
    scratch.first.clear();
    sink.targets(first, &mut scratch.first);
    shared.clear();
    shared.push((first, *first_sign));
    for &(contribution, sign) in rest {
        scratch.other.clear();
        sink.targets(contribution, &mut scratch.other);
        if scratch.other == scratch.first {
            shared.push((contribution, sign));
        } else {
            for &key in &scratch.other {
                add_at(sink, key, &[(contribution, sign)]);
            }
        }
    }
    for &key in &scratch.first {
        add_at(sink, key, shared);
    }
}

/// The parts of the engine a task change writes to or reuses.
struct ChangeParts<'e> {
    rows: Rows<'e>,
    pair_memo: &'e mut PairMemo,
    scratch: &'e mut Scratch,
    group_keys: &'e mut GroupKeys,
}

/// Adds the change of a task from state `old` to state `new` (one event's,
/// or the net change of its events `span` in a batch) to the rows of
/// `project`: the difference of their contribution lists, fenced by each
/// row's stored version.
fn add_task_change(
    parts: &mut ChangeParts<'_>,
    project: &str,
    span: Span,
    (old, new): (&TaskState, &TaskState),
    config: &ProjectConfig,
) {
    let (mut before, mut after) = parts.scratch.take();
    change_contributions(old, new, config, parts.pair_memo, &mut before, &mut after);
    {
        let mut shared = Vec::new();
        let (aggregates, deferred, interner, straddled, horizons) = &mut parts.rows;
        let rows = (
            &mut **aggregates,
            &mut **deferred,
            &mut **interner,
            &mut **straddled,
            &**horizons,
        );
        let mut sink = RowSink::new(rows, project, span);
        let group_keys = &mut *parts.group_keys;
        diff_grouped(&before, &after, |group| {
            add_group(&mut sink, group, group_keys, &mut shared)
        });
    }
    parts.scratch.give_back((before, after));
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
    /// Flushes written.
    pub flushes: u64,
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
    aggregates: AggregateMap,
    /// The strings of the keys of `aggregates` and `deferred`.
    interner: Interner,
    deferred: DeferredRows,
    index: HashMap<IndexKey, String>,
    new_index: Vec<(IndexKey, String)>,
    /// Per project, the tasks the store may hold: the prefetch reads only
    /// those, the others are new.
    known_tasks: KnownTasks,
    /// Per project, the latest hour its hour rows may be stored at.
    hour_horizons: HourHorizons,
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
            aggregates: AggregateMap::default(),
            interner: Interner::default(),
            deferred: DeferredRows::default(),
            index: HashMap::default(),
            new_index: Vec::new(),
            known_tasks: KnownTasks::default(),
            hour_horizons: HourHorizons::default(),
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
            self.make_horizons(batches)?;
        }
        let mut outcomes = Vec::with_capacity(total);
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

    /// Loads, in one read per kind, every entity the batch will touch that
    /// is not cached; absent ones are cached as new (version 0).
    fn prefetch<'b, 'e: 'b>(
        &mut self,
        events: impl Iterator<Item = &'b BatchEvent<'e>>,
    ) -> Result<(), S> {
        let cache = crate::prefetch::CacheView {
            index: &self.index,
            tasks: &self.tasks,
            sessions: &self.sessions,
            projects: &self.projects,
            members: &self.members,
        };
        let wanted = crate::prefetch::keys(events, &cache);
        if !wanted.index.is_empty() {
            let found = self
                .store
                .load_index(&wanted.index)
                .map_err(EngineError::Store)?;
            self.index.extend(found);
        }
        let tasks = wanted.tasks(
            |key| self.index.get(key).cloned(),
            |key| self.tasks.contains_key(key),
        );
        self.list_tasks_of(&tasks)?;
        let known = &self.known_tasks;
        load_missing(&mut self.tasks, tasks, TaskState::default, |keys| {
            if keys
                .iter()
                .all(|(project, task)| known.may_hold(project, task))
            {
                return self.store.load_tasks(keys);
            }
            let stored: Vec<TaskKey> = keys
                .iter()
                .filter(|(project, task)| known.may_hold(project, task))
                .cloned()
                .collect();
            self.store.load_tasks(&stored)
        })?;
        load_missing(
            &mut self.sessions,
            wanted.sessions,
            SessionState::default,
            |keys| self.store.load_sessions(keys),
        )?;
        load_missing(
            &mut self.projects,
            wanted.projects,
            ProjectConfig::default,
            |keys| self.store.load_projects(keys),
        )?;
        // Members absent from the store stay uncached (a member has no
        // default state): `member.upserted` asks the store again and
        // creates them from its event.
        if !wanted.members.is_empty() {
            for (key, value) in self
                .store
                .load_members(&wanted.members)
                .map_err(EngineError::Store)?
            {
                self.members
                    .entry(key)
                    .or_insert_with(|| Cached::clean(value));
            }
        }
        Ok(())
    }

    /// Makes, in one store read, the hour horizons of the batch's projects
    /// that have none: the latest hour of their hour rows in the store or
    /// in the cache (those of a flush being written among them). Runs
    /// before any change of the batch waits for a read, so no row that
    /// waits is one a horizon then rules out.
    fn make_horizons(&mut self, batches: &[(u32, &[BatchEvent<'_>])]) -> Result<(), S> {
        let mut projects: Vec<String> = Vec::new();
        for item in batches.iter().flat_map(|(_, events)| events.iter()) {
            let Some(project) = item.event.envelope.project_id.as_deref() else {
                continue;
            };
            if !self.hour_horizons.has(project) && !projects.iter().any(|p| p == project) {
                projects.push(project.to_string());
            }
        }
        if projects.is_empty() {
            return Ok(());
        }
        debug_assert!(
            self.deferred.is_empty(),
            "horizons are made between batches"
        );
        let Some(stored) = self
            .store
            .hour_horizons(&projects)
            .map_err(EngineError::Store)?
        else {
            for project in &projects {
                self.hour_horizons.insert_unlisted(project);
            }
            return Ok(());
        };
        let mut latest: HashMap<&str, Option<Hour>> =
            projects.iter().map(|p| (p.as_str(), None)).collect();
        let cached = self.aggregates.keys().filter_map(|key| {
            let hour = key.hour()?;
            Some((self.interner.name(key.project()), hour))
        });
        for (project, hour) in stored.iter().map(|(p, h)| (p.as_str(), *h)).chain(cached) {
            if let Some(latest) = latest.get_mut(project) {
                *latest = Some(latest.map_or(hour, |l| l.max(hour)));
            }
        }
        for (project, hour) in latest {
            self.hour_horizons.insert(project, hour.into_iter());
        }
        Ok(())
    }

    /// Lists, in one store read, the tasks of the projects of `tasks` that
    /// have no listing yet, and makes their known-task sets: the store's
    /// tasks and the cache's (those of a flush being written among them).
    fn list_tasks_of(&mut self, tasks: &[TaskKey]) -> Result<(), S> {
        let mut projects: Vec<String> = Vec::new();
        for (project, _) in tasks {
            if !self.known_tasks.has_listing(project) && !projects.contains(project) {
                projects.push(project.clone());
            }
        }
        if projects.is_empty() {
            return Ok(());
        }
        let bound = self.settings.cache_capacity;
        let Some(stored) = self
            .store
            .list_tasks(&projects)
            .map_err(EngineError::Store)?
        else {
            for project in &projects {
                self.known_tasks.insert_unlisted(project);
            }
            return Ok(());
        };
        let mut listed: HashMap<&str, Vec<&str>> =
            projects.iter().map(|p| (p.as_str(), Vec::new())).collect();
        for (project, task) in stored.iter().chain(self.tasks.keys()) {
            if let Some(project_tasks) = listed.get_mut(project.as_str()) {
                project_tasks.push(task);
            }
        }
        for project in &projects {
            let project_tasks = listed.remove(project.as_str()).unwrap_or_default();
            self.known_tasks
                .insert(project, project_tasks.into_iter(), bound);
        }
        Ok(())
    }

    /// Reads every deferred aggregate row in one batch and applies its
    /// waiting changes in order, fenced by the row's stored version.
    fn resolve_deferred(&mut self) -> Result<(), S> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        let keys = self.deferred.keys(&self.interner);
        let loaded = self
            .store
            .load_aggregates(&keys)
            .map_err(EngineError::Store)?;
        let interner = &mut self.interner;
        let mut loaded: HashMap<RowKey, Versioned<AggRow>> = loaded
            .into_iter()
            .map(|(key, value)| (RowKey::intern(&key, interner), value))
            .collect();
        for (key, ops) in self.deferred.drain() {
            let value = loaded.remove(&key).unwrap_or_else(|| Versioned {
                version: 0,
                value: key.empty_row(),
            });
            let mut row = Cached::clean(value);
            for (span, op) in ops {
                match row.admission(span) {
                    Admission::Add => {
                        if op.apply(&mut row.value.value) {
                            row.raise(span);
                        }
                    }
                    Admission::Skip => {}
                    Admission::Split => self.straddled.push(span),
                }
            }
            self.aggregates.insert(key, row);
        }
        Ok(())
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
            hour_horizons,
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
            rows: (aggregates, deferred, interner, straddled, hour_horizons),
            pair_memo,
            scratch,
            group_keys,
        };
        let states = (&old, &entry.value.value);
        let span = Span::one(*applying, sequence);
        add_task_change(&mut parts, project, span, states, config);
        Ok(Outcome::Applied)
    }

    /// Whether a task's events of one batch add their net change at once
    /// (at [`Engine::settle`]) instead of one event at a time: only over a
    /// store that writes each flush atomically. Over one that does not, a
    /// crash in the middle of a flush leaves some rows of it durable, and
    /// a replay in batches cut elsewhere would make a task's batch span
    /// both events those rows hold and events they do not; the net change
    /// cannot be split between them (it may even be zero on a row that
    /// needs the change of the later events), so such stores get one
    /// event at a time, whose change a row's version always fences.
    fn coalesces(&self) -> bool {
        self.keeps_marks || self.store.writes_atomically()
    }

    /// Before event `sequence` of `partition`: when it is past a mark of
    /// the partition (the end of a flush that failed half-way, whose rows
    /// may hold every event up to the mark), adds the task changes waiting
    /// so far, so that no task's span holds events on both sides of it.
    fn cut_before(&mut self, partition: u32, sequence: u64) -> Result<(), S> {
        if self.cuts.is_empty() {
            return Ok(());
        }
        let Some(ends) = self.cuts.get_mut(&partition) else {
            return Ok(());
        };
        if ends.first().is_none_or(|&end| end >= sequence) {
            return Ok(());
        }
        ends.retain(|&end| end >= sequence);
        if ends.is_empty() {
            self.cuts.remove(&partition);
        }
        self.add_changed()
    }

    /// Reads again, for newly assigned `partitions`, their durable
    /// positions and the marks above them: another owner may have moved
    /// them on, or failed half-way through a flush.
    pub fn reload_partitions(&mut self, partitions: &[u32]) -> Result<(), S> {
        let stored = self.store.positions().map_err(EngineError::Store)?;
        let mut durable = BTreeMap::new();
        for &partition in partitions {
            self.cuts.remove(&partition);
            match stored.get(&partition) {
                Some(&position) => {
                    self.positions.insert(partition, position);
                    durable.insert(partition, position);
                }
                None => {
                    self.positions.remove(&partition);
                }
            }
        }
        let marks = self
            .store
            .flush_marks(&durable)
            .map_err(EngineError::Store)?;
        for (partition, ends) in marks.unwrap_or_default() {
            if partitions.contains(&partition) {
                self.cuts.insert(partition, ends);
            }
        }
        Ok(())
    }

    /// Adds the net change of every task changed since the last call
    /// (rows not cached queue their part).
    fn add_changed(&mut self) -> Result<(), S> {
        for task in self.changed.take() {
            self.add_net_change(&task)?;
        }
        Ok(())
    }

    /// Adds one changed task's net change over its span (see [`Engine::settle`]).
    fn add_net_change(&mut self, task: &ChangedTask) -> Result<(), S> {
        let Engine {
            store,
            tasks,
            projects,
            aggregates,
            interner,
            deferred,
            pair_memo,
            scratch,
            group_keys,
            straddled,
            hour_horizons,
            ..
        } = self;
        let (project, task_id) = (&task.key.0, &task.key.1);
        let config = &project_entry(store, projects, project)?.value.value;
        let Some(current) = tasks.get(&StrPair(project, task_id)) else {
            return Ok(());
        };
        let mut parts = ChangeParts {
            rows: (aggregates, deferred, interner, straddled, hour_horizons),
            pair_memo,
            scratch,
            group_keys,
        };
        let states = (&task.initial, &current.value.value);
        add_task_change(&mut parts, project, task.span, states, config);
        Ok(())
    }

    /// Ends a batch: adds the net change of each task it changed (its
    /// contributions before its first change against its contributions
    /// now), reads the rows not cached in one batch and adds what waited
    /// for them, then gives the rows found holding part of a task's span
    /// that task's events one by one. Afterwards no change waits.
    fn settle(&mut self) -> Result<(), S> {
        if !self.changed.is_empty() {
            self.add_changed()?;
        }
        self.resolve_deferred()?;
        let straddled = std::mem::take(&mut self.straddled);
        match (
            straddled.iter().map(|s| s.first).min(),
            straddled.iter().map(|s| s.last).max(),
        ) {
            (Some(first), Some(last)) => Err(EngineError::PartlyWritten {
                rows: straddled.len(),
                first,
                last,
            }),
            _ => Ok(()),
        }
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
        let key = RowKey::intern_ref(
            &AggKeyRef::MemberActivity { project, member },
            &mut self.interner,
        );
        let op = DeferredOp::Activity(at_ms);
        let span = Span::one(self.applying, sequence);
        match self.aggregates.get_mut(&key) {
            Some(row) => {
                if row.admission(span) == Admission::Add && op.apply(&mut row.value.value) {
                    row.raise(span);
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
            let rows = (
                &mut self.aggregates,
                &mut self.deferred,
                &mut self.interner,
                &mut self.straddled,
                &self.hour_horizons,
            );
            let mut sink = RowSink::new(rows, project, Span::one(self.applying, sequence));
            add_diff(&mut sink, &changes);
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
        // their flush ended), and no write is needed: the first settings of
        // each project, at the start of a stream, cost one read each.
        if self
            .tasks
            .keys()
            .any(|(task_project, _)| task_project == project)
        {
            self.flush()?;
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
            let rows = (
                &mut self.aggregates,
                &mut self.deferred,
                &mut self.interner,
                &mut self.straddled,
                &self.hour_horizons,
            );
            let mut sink = RowSink::new(rows, project, Span::one(self.applying, sequence));
            add_diff(&mut sink, &changes);
        }
        let current = self.project_config(project)?;
        current.value.value = config;
        current.stamp(sequence);
        Ok(Outcome::Applied)
    }

    /// Writes everything applied since the last flush: aggregates, then
    /// entities, then positions. On error nothing is forgotten; the caller
    /// may retry (rows are absolute) or drop the engine and replay.
    /// A flush started with [`Engine::start_flush`] is finished first.
    pub fn flush(&mut self) -> Result<usize, S> {
        self.finish_flush()?;
        if !self.pending && self.new_index.is_empty() {
            return Ok(0);
        }
        self.settle()?;
        let mut flush = self.collect();
        flush.archive = std::mem::take(&mut self.archive);
        if let Err(error) = self.store.write(&flush) {
            // Nothing is forgotten: the next flush writes the archive again.
            self.archive = flush.archive;
            return Err(EngineError::Store(error));
        }
        self.mark_clean();
        self.counters.flushes += 1;
        self.evict_if_full();
        Ok(flush.rows())
    }

    /// Starts writing everything applied since the last flush, in the
    /// order of [`Engine::flush`], and returns without waiting when the
    /// store writes in the background ([`Store::start_write`]): the engine
    /// goes on applying events meanwhile, and the flush's rows stay cached
    /// until [`Engine::finish_flush`], so no read reaches a row being
    /// written. A started flush is finished first. Returns the rows started.
    ///
    /// After an error from this or from `finish_flush` the engine no longer
    /// knows which rows are durable: drop it and replay from the store's
    /// positions (versions fence what the store already holds).
    pub fn start_flush(&mut self) -> Result<usize, S> {
        self.finish_flush()?;
        if !self.pending && self.new_index.is_empty() {
            return Ok(0);
        }
        self.settle()?;
        let mut flush = self.collect();
        flush.archive = std::mem::take(&mut self.archive);
        let rows = flush.rows();
        self.store.start_write(flush).map_err(EngineError::Store)?;
        self.mark_clean();
        self.counters.flushes += 1;
        self.in_flight = true;
        Ok(rows)
    }

    /// Whether a started flush is still being written.
    pub fn flush_running(&mut self) -> bool {
        self.in_flight && !self.store.write_finished()
    }

    /// Whether a flush was started and not finished yet.
    pub fn flush_in_flight(&self) -> bool {
        self.in_flight
    }

    /// Waits for the started flush (none: returns at once). Once it is
    /// durable, a cache over capacity drops its clean entries (the events
    /// applied since the start stay cached until their own flush).
    pub fn finish_flush(&mut self) -> Result<(), S> {
        if !self.in_flight {
            return Ok(());
        }
        self.in_flight = false;
        self.store.finish_write().map_err(EngineError::Store)?;
        self.evict_if_full();
        Ok(())
    }

    /// The dirty rows and the positions, as a [`Flush`] in the caches'
    /// order (the stores sort what they write, off this thread when they
    /// write in the background); the archive is the caller's.
    fn collect(&mut self) -> Flush {
        fn dirty<K: Clone, T: Clone>(map: &HashMap<K, Cached<T>>) -> Vec<(K, Versioned<T>)> {
            map.iter()
                .filter(|(_, cached)| cached.dirty)
                .map(|(key, cached)| (key.clone(), cached.value.clone()))
                .collect()
        }
        let index = self.new_index.clone();
        // A row is written at the position its partition's events reached:
        // it holds every event up to there and none after, whether it
        // took them one at a time or as batches' net changes. A row the
        // store does not hold that is empty again is not written: absent
        // means empty, and whether it was touched at all depends on where
        // batches ended (a change undone within one batch touches nothing).
        // Once written, a row counts as held by the store (`loaded`: any
        // later event is past the version written, so the fence is the same).
        let positions = &self.positions;
        let interner = &self.interner;
        let horizons = &mut self.hour_horizons;
        let aggregates: Vec<(AggKey, Versioned<AggRow>)> = self
            .aggregates
            .iter_mut()
            .filter(|(_, cached)| {
                cached.dirty && !(cached.loaded == 0 && cached.value.value.is_empty())
            })
            .map(|(key, cached)| {
                let version = positions
                    .get(&cached.partition)
                    .copied()
                    .unwrap_or(cached.value.version);
                cached.loaded = version;
                // The horizon invariant: every hour row a flush writes is
                // at or before its project's horizon.
                if let Some(hour) = key.hour() {
                    horizons.raise(interner.name(key.project()), hour);
                }
                let row = Versioned {
                    version,
                    value: cached.value.value.clone(),
                };
                (key.to_key(interner), row)
            })
            .collect();
        let tasks = dirty(&self.tasks);
        // The known-task invariant: every task a flush writes is known.
        for ((project, task), _) in &tasks {
            self.known_tasks.add(project, task);
        }
        Flush {
            aggregates,
            members: dirty(&self.members),
            sessions: dirty(&self.sessions),
            index,
            tasks,
            projects: dirty(&self.projects),
            archive: Vec::new(),
            positions: self
                .positions
                .iter()
                .filter(|(partition, _)| self.touched.contains(partition))
                .map(|(partition, sequence)| (*partition, *sequence))
                .collect(),
        }
    }

    /// Entries held in the cache.
    pub fn cached_entries(&self) -> usize {
        self.tasks.len()
            + self.sessions.len()
            + self.members.len()
            + self.aggregates.len()
            + self.index.len()
    }

    /// Flushes, then drops every cached entry (e.g. when a consumer loses
    /// partitions in a rebalance: their keys may change owner). Later
    /// events reload what they need from the store.
    pub fn flush_and_clear(&mut self) -> Result<usize, S> {
        let rows = self.flush()?;
        self.tasks.clear();
        self.sessions.clear();
        self.members.clear();
        self.aggregates.clear();
        self.compact_keys();
        self.index.clear();
        self.projects.clear();
        self.known_tasks.clear();
        self.hour_horizons.clear();
        self.pair_memo.clear();
        Ok(rows)
    }

    /// Once a flush is durable, over capacity, drop every clean entry
    /// (projects excepted: few, and read by every event). Entries changed
    /// since a started flush are dirty and stay, and so do the index entries
    /// not written yet. Rule 3 of DESIGN.md §4: an evicted key is reloaded
    /// from the store before use.
    fn evict_if_full(&mut self) {
        fn keep_dirty<K, T>(map: &mut HashMap<K, Cached<T>>) {
            map.retain(|_, cached| cached.dirty);
        }
        if self.known_tasks.len() > self.settings.cache_capacity {
            self.known_tasks.clear();
        }
        if self.cached_entries() <= self.settings.cache_capacity {
            return;
        }
        keep_dirty(&mut self.tasks);
        keep_dirty(&mut self.sessions);
        keep_dirty(&mut self.members);
        keep_dirty(&mut self.aggregates);
        self.compact_keys();
        self.index.clear();
        self.index.extend(self.new_index.iter().cloned());
        self.pair_memo.clear();
        self.counters.evictions += 1;
    }

    /// Keeps only the key strings the cached and queued rows still use
    /// (after rows were dropped), so the interner does not grow forever.
    fn compact_keys(&mut self) {
        let old = std::mem::take(&mut self.interner);
        let mut new = Interner::default();
        self.aggregates = self
            .aggregates
            .drain()
            .map(|(key, row)| (key.moved(&old, &mut new), row))
            .collect();
        self.deferred.move_keys(&old, &mut new);
        self.interner = new;
    }

    fn mark_clean(&mut self) {
        fn clean<K, T>(map: &mut HashMap<K, Cached<T>>) {
            for cached in map.values_mut() {
                cached.dirty = false;
            }
        }
        clean(&mut self.aggregates);
        clean(&mut self.projects);
        clean(&mut self.members);
        clean(&mut self.sessions);
        clean(&mut self.tasks);
        self.new_index.clear();
        self.archive.clear();
        self.touched.clear();
        self.pending = false;
    }
}
