//! An in-memory [`Store`] for tests and benchmarks, which can be told to
//! fail after a given number of row writes (a crash in the middle of a
//! flush), to write the rows of each phase of a flush in a shuffled order
//! (as concurrent inserts land), and to write started flushes only when
//! they are finished (a background write: reads meanwhile see the store
//! before it).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use labelpulse_core::time::Hour;
use thiserror::Error;

use crate::entity::{IndexKey, MemberState, SessionState};
use crate::store::{Flush, FlushTable, SessionKey, Store, TaskKey, Versioned, WRITE_PHASES};

/// The injected failure.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("injected write failure")]
pub struct InjectedFailure;

/// Everything the store holds; comparable, so two runs can be checked equal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryContents {
    /// Aggregate rows.
    pub aggregates: BTreeMap<AggKey, Versioned<AggRow>>,
    /// Tasks.
    pub tasks: BTreeMap<TaskKey, Versioned<TaskState>>,
    /// Sessions.
    pub sessions: BTreeMap<SessionKey, Versioned<SessionState>>,
    /// Projects.
    pub projects: BTreeMap<String, Versioned<ProjectConfig>>,
    /// Members.
    pub members: BTreeMap<String, Versioned<MemberState>>,
    /// Id index.
    pub index: BTreeMap<IndexKey, String>,
    /// Archived raw events.
    pub archive: BTreeMap<(u32, u64), Vec<u8>>,
    /// Durable positions.
    pub positions: BTreeMap<u32, u64>,
}

/// An in-memory store.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// What has been written.
    pub contents: MemoryContents,
    /// When set, the write that would be number `n` (0-based, counted over
    /// all rows of all flushes from now) fails, and every later one too.
    pub fail_after_rows: Option<usize>,
    /// When set, the rows of each write phase of a flush (see
    /// [`WRITE_PHASES`]) are written in an order drawn from this seed, so
    /// a failure leaves any subset of a phase durable, as an adapter's
    /// concurrent inserts may; otherwise in the flush's order.
    pub shuffle_phases: Option<u64>,
    /// When set, [`Store::start_write`] keeps the flush and
    /// [`Store::finish_write`] writes it, so every read in between sees
    /// the store without it (as a ClickHouse insert still under way);
    /// [`Store::write_finished`] answers `false` this many times first (a
    /// write that takes a while).
    pub background_writes: Option<u32>,
    /// When set, [`Store::list_tasks`] answers `None`, as a store that
    /// cannot list a project's tasks, and the engine reads every task it
    /// does not cache; by default it lists the tasks written so far.
    pub unlisted_tasks: bool,
    /// When set, [`Store::hour_horizons`] answers `None`, as a store that
    /// cannot tell a project's latest hour, and the engine reads every
    /// hour row it does not cache; by default it tells the latest hour of
    /// the hour rows written so far.
    pub unlisted_hours: bool,
    /// When set, [`Store::list_cells`] answers `None`, and the engine reads
    /// every statistics cell it does not cache; by default it lists the
    /// cells written so far.
    pub unlisted_cells: bool,
    /// When set, a flush is written whole or not at all (an injected
    /// failure anywhere in it writes none of it), as one transaction of an
    /// embedded database, and [`Store::writes_atomically`] says so: the
    /// engine then adds a task's events of a batch as one net change.
    pub atomic: bool,
    /// When set, the store keeps the marks of its flushes
    /// ([`Store::flush_marks`]): `(partition, end)` of every flush,
    /// written before the flush's other rows.
    pub marks: Option<BTreeSet<(u32, u64)>>,
    /// When set, a write is acknowledged and its rows dropped: the store
    /// stays empty, as one whose writes cost nothing. For benches that
    /// time the engine alone (event -> state + the flush's aggregate
    /// deltas, `apply/batches_10k_atomic_deltas`) without this fake's
    /// copies into its maps. The engine reads back only rows it no longer
    /// caches, and a project's tasks when its settings change, so over a
    /// cache that evicts nothing and a stream that sets each project once,
    /// before its tasks, it does the same work as over a store that keeps
    /// them (the property test
    /// `a_store_that_drops_its_rows_gets_the_same_reads_and_flushes`).
    pub discards_rows: bool,
    /// Reads answered so far (every method that reads rows, positions,
    /// listings or marks): how tests compare the engine's store traffic.
    pub reads: u64,
    /// The started flush, kept until it is finished, and the `false`
    /// answers of `write_finished` it has left.
    started: Option<(Flush, u32)>,
}

impl MemoryStore {
    /// An empty store whose started flushes are written only when
    /// finished, and report themselves running for `polls` checks.
    pub fn with_background_writes(polls: u32) -> Self {
        MemoryStore {
            background_writes: Some(polls),
            ..MemoryStore::default()
        }
    }

    /// An empty store that writes each flush whole or not at all (see
    /// [`MemoryStore::atomic`]), or not (`atomic` false: the default).
    pub fn with_atomic_writes(atomic: bool) -> Self {
        MemoryStore {
            atomic,
            ..MemoryStore::default()
        }
    }

    /// An empty store that writes atomically (or not) and keeps nothing
    /// it is given (see [`MemoryStore::discards_rows`]).
    pub fn discarding(atomic: bool) -> Self {
        MemoryStore {
            atomic,
            discards_rows: true,
            ..MemoryStore::default()
        }
    }

    fn tick(&mut self) -> Result<(), InjectedFailure> {
        match &mut self.fail_after_rows {
            Some(0) => Err(InjectedFailure),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl Store for MemoryStore {
    type Error = InjectedFailure;

    fn task(&mut self, key: &TaskKey) -> Result<Option<Versioned<TaskState>>, Self::Error> {
        self.reads += 1;
        Ok(self.contents.tasks.get(key).cloned())
    }

    fn project_tasks(
        &mut self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error> {
        self.reads += 1;
        Ok(self
            .contents
            .tasks
            .iter()
            .filter(|((p, _), _)| p == project)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn list_tasks(&mut self, projects: &[String]) -> Result<Option<Vec<TaskKey>>, Self::Error> {
        self.reads += 1;
        if self.unlisted_tasks {
            return Ok(None);
        }
        Ok(Some(
            self.contents
                .tasks
                .keys()
                .filter(|(project, _)| projects.contains(project))
                .cloned()
                .collect(),
        ))
    }

    fn list_cells(&mut self, projects: &[String]) -> Result<Option<Vec<AggKey>>, Self::Error> {
        self.reads += 1;
        if self.unlisted_cells {
            return Ok(None);
        }
        Ok(Some(
            self.contents
                .aggregates
                .keys()
                .filter(|key| matches!(key, AggKey::Cell { .. }))
                .filter(|key| projects.iter().any(|p| p == key.project()))
                .cloned()
                .collect(),
        ))
    }

    fn hour_horizons(
        &mut self,
        projects: &[String],
    ) -> Result<Option<Vec<(String, Hour)>>, Self::Error> {
        self.reads += 1;
        if self.unlisted_hours {
            return Ok(None);
        }
        let mut latest: BTreeMap<&str, Hour> = BTreeMap::new();
        for key in self.contents.aggregates.keys() {
            let (project, Some(hour)) = (key.project(), key.hour()) else {
                continue;
            };
            if projects.iter().any(|p| p == project) {
                let entry = latest.entry(project).or_insert(hour);
                *entry = (*entry).max(hour);
            }
        }
        Ok(Some(
            latest
                .into_iter()
                .map(|(project, hour)| (project.to_string(), hour))
                .collect(),
        ))
    }

    fn session(
        &mut self,
        key: &SessionKey,
    ) -> Result<Option<Versioned<SessionState>>, Self::Error> {
        self.reads += 1;
        Ok(self.contents.sessions.get(key).cloned())
    }

    fn project(&mut self, project: &str) -> Result<Option<Versioned<ProjectConfig>>, Self::Error> {
        self.reads += 1;
        Ok(self.contents.projects.get(project).cloned())
    }

    fn member(&mut self, member: &str) -> Result<Option<Versioned<MemberState>>, Self::Error> {
        self.reads += 1;
        Ok(self.contents.members.get(member).cloned())
    }

    fn index(&mut self, key: &IndexKey) -> Result<Option<String>, Self::Error> {
        self.reads += 1;
        Ok(self.contents.index.get(key).cloned())
    }

    fn aggregate(&mut self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, Self::Error> {
        self.reads += 1;
        Ok(self.contents.aggregates.get(key).cloned())
    }

    fn positions(&mut self) -> Result<BTreeMap<u32, u64>, Self::Error> {
        self.reads += 1;
        Ok(self.contents.positions.clone())
    }

    fn flush_marks(
        &mut self,
        after: &BTreeMap<u32, u64>,
    ) -> Result<Option<BTreeMap<u32, Vec<u64>>>, Self::Error> {
        self.reads += 1;
        let Some(marks) = &self.marks else {
            return Ok(None);
        };
        let mut ends: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for &(partition, end) in marks {
            if end > after.get(&partition).copied().unwrap_or(0) {
                ends.entry(partition).or_default().push(end);
            }
        }
        Ok(Some(ends))
    }

    fn start_write(&mut self, flush: Flush) -> Result<(), Self::Error> {
        self.finish_write()?;
        match self.background_writes {
            Some(polls) => {
                self.started = Some((flush, polls));
                Ok(())
            }
            None => self.write(&flush),
        }
    }

    fn write_finished(&mut self) -> bool {
        match &mut self.started {
            Some((_, 0)) | None => true,
            Some((_, polls)) => {
                *polls -= 1;
                false
            }
        }
    }

    fn finish_write(&mut self) -> Result<(), Self::Error> {
        match self.started.take() {
            Some((flush, _)) => self.write(&flush),
            None => Ok(()),
        }
    }

    fn writes_atomically(&self) -> bool {
        self.atomic
    }

    fn write(&mut self, flush: &Flush) -> Result<(), Self::Error> {
        if self.discards_rows {
            return Ok(());
        }
        let rows = || -> usize {
            let marks = usize::from(self.marks.is_some());
            let rest: usize = WRITE_PHASES
                .iter()
                .flat_map(|phase| phase.iter())
                .filter(|&&table| flush.writes(table))
                .map(|&table| RowRef::of(flush, table).len())
                .sum();
            marks + rest
        };
        if self.atomic && self.fail_after_rows.is_some_and(|left| left < rows()) {
            self.fail_after_rows = Some(0);
            return Err(InjectedFailure);
        }
        // The first phase: the mark, one write.
        if self.marks.is_some() {
            self.tick()?;
        }
        if let Some(marks) = self.marks.as_mut() {
            marks.extend(flush.positions.iter().map(|(p, end)| (*p, *end)));
        }
        for phase in WRITE_PHASES {
            // Each row's place in the phase: its position in the flush, or
            // a hash of (seed, position), which draws a permutation.
            let place = |index: usize| match self.shuffle_phases {
                Some(seed) => {
                    let mut hasher = rustc_hash::FxHasher::default();
                    (seed, index).hash(&mut hasher);
                    hasher.finish()
                }
                None => index as u64,
            };
            let mut rows: Vec<(u64, RowRef<'_>)> = phase
                .iter()
                .filter(|&&table| flush.writes(table))
                .flat_map(|&table| RowRef::of(flush, table))
                .enumerate()
                .map(|(index, row)| (place(index), row))
                .collect();
            rows.sort_by_key(|(place, _)| *place);
            for (_, row) in rows {
                self.tick()?;
                self.contents.put(row);
            }
        }
        Ok(())
    }
}

/// One [`MemoryStore`] several engines use, as two ingestors share one
/// ClickHouse (a rebalance hands a partition from one to the other).
#[derive(Debug, Clone, Default)]
pub struct SharedMemoryStore(Arc<Mutex<MemoryStore>>);

impl SharedMemoryStore {
    /// Shares `store`.
    pub fn new(store: MemoryStore) -> Self {
        SharedMemoryStore(Arc::new(Mutex::new(store)))
    }

    /// Runs `f` on the shared store (a poisoned lock is taken over: the
    /// store is plain data).
    pub fn with<T>(&self, f: impl FnOnce(&mut MemoryStore) -> T) -> T {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// A copy of what the store holds.
    pub fn contents(&self) -> MemoryContents {
        self.with(|store| store.contents.clone())
    }
}

impl Store for SharedMemoryStore {
    type Error = InjectedFailure;

    fn task(&mut self, key: &TaskKey) -> Result<Option<Versioned<TaskState>>, Self::Error> {
        self.with(|s| s.task(key))
    }
    fn project_tasks(
        &mut self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error> {
        self.with(|s| s.project_tasks(project))
    }
    fn list_tasks(&mut self, projects: &[String]) -> Result<Option<Vec<TaskKey>>, Self::Error> {
        self.with(|s| s.list_tasks(projects))
    }
    fn hour_horizons(
        &mut self,
        projects: &[String],
    ) -> Result<Option<Vec<(String, Hour)>>, Self::Error> {
        self.with(|s| s.hour_horizons(projects))
    }
    fn list_cells(&mut self, projects: &[String]) -> Result<Option<Vec<AggKey>>, Self::Error> {
        self.with(|s| s.list_cells(projects))
    }
    fn session(
        &mut self,
        key: &SessionKey,
    ) -> Result<Option<Versioned<SessionState>>, Self::Error> {
        self.with(|s| s.session(key))
    }
    fn project(&mut self, project: &str) -> Result<Option<Versioned<ProjectConfig>>, Self::Error> {
        self.with(|s| s.project(project))
    }
    fn member(&mut self, member: &str) -> Result<Option<Versioned<MemberState>>, Self::Error> {
        self.with(|s| s.member(member))
    }
    fn index(&mut self, key: &IndexKey) -> Result<Option<String>, Self::Error> {
        self.with(|s| s.index(key))
    }
    fn aggregate(&mut self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, Self::Error> {
        self.with(|s| s.aggregate(key))
    }
    fn positions(&mut self) -> Result<BTreeMap<u32, u64>, Self::Error> {
        self.with(|s| s.positions())
    }
    fn writes_atomically(&self) -> bool {
        self.with(|s| s.writes_atomically())
    }
    fn flush_marks(
        &mut self,
        after: &BTreeMap<u32, u64>,
    ) -> Result<Option<BTreeMap<u32, Vec<u64>>>, Self::Error> {
        self.with(|s| s.flush_marks(after))
    }
    fn write(&mut self, flush: &Flush) -> Result<(), Self::Error> {
        self.with(|s| s.write(flush))
    }
}

/// One row of a flush, borrowed, to be written.
#[derive(Debug, Clone, Copy)]
enum RowRef<'f> {
    Aggregate(&'f (AggKey, Versioned<AggRow>)),
    Member(&'f (String, Versioned<MemberState>)),
    Session(&'f (SessionKey, Versioned<SessionState>)),
    Index(&'f (IndexKey, String)),
    Task(&'f (TaskKey, Versioned<TaskState>)),
    Project(&'f (String, Versioned<ProjectConfig>)),
    Archive(&'f (u32, u64, Vec<u8>)),
    /// All of a flush's positions, one write.
    Positions(&'f BTreeMap<u32, u64>),
}

impl<'f> RowRef<'f> {
    /// The rows of `flush` that go to `table`, in the flush's order.
    fn of(flush: &'f Flush, table: FlushTable) -> Vec<RowRef<'f>> {
        match table {
            FlushTable::Aggregates => flush.aggregates.iter().map(RowRef::Aggregate).collect(),
            FlushTable::Members => flush.members.iter().map(RowRef::Member).collect(),
            FlushTable::Sessions => flush.sessions.iter().map(RowRef::Session).collect(),
            FlushTable::Index => flush.index.iter().map(RowRef::Index).collect(),
            FlushTable::Tasks => flush.tasks.iter().map(RowRef::Task).collect(),
            FlushTable::Projects => flush.projects.iter().map(RowRef::Project).collect(),
            FlushTable::Archive => flush.archive.iter().map(RowRef::Archive).collect(),
            FlushTable::Positions => vec![RowRef::Positions(&flush.positions)],
            // Written by `write` itself, when the store keeps marks.
            FlushTable::Marks => Vec::new(),
        }
    }
}

impl MemoryContents {
    fn put(&mut self, row: RowRef<'_>) {
        match row {
            RowRef::Aggregate((key, row)) => {
                self.aggregates.insert(key.clone(), row.clone());
            }
            RowRef::Member((key, row)) => {
                self.members.insert(key.clone(), row.clone());
            }
            RowRef::Session((key, row)) => {
                self.sessions.insert(key.clone(), row.clone());
            }
            RowRef::Index((key, task)) => {
                self.index.insert(key.clone(), task.clone());
            }
            RowRef::Task((key, row)) => {
                self.tasks.insert(key.clone(), row.clone());
            }
            RowRef::Project((key, row)) => {
                self.projects.insert(key.clone(), row.clone());
            }
            RowRef::Archive((partition, sequence, raw)) => {
                self.archive.insert((*partition, *sequence), raw.clone());
            }
            RowRef::Positions(positions) => {
                self.positions
                    .extend(positions.iter().map(|(p, s)| (*p, *s)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use labelpulse_core::aggregate::AggKey;

    /// A flush of `n` aggregate rows and `n` task rows.
    fn flush(n: usize) -> Flush {
        let mut flush = Flush::default();
        for i in 0..n {
            let key = AggKey::ProjectTotals {
                project: format!("p{i:03}"),
            };
            let row = key.empty_row();
            flush.aggregates.push((
                key,
                Versioned {
                    version: 1,
                    value: row,
                },
            ));
            let task = (format!("p{i:03}"), format!("t{i}"));
            flush.tasks.push((
                task,
                Versioned {
                    version: 1,
                    value: TaskState::default(),
                },
            ));
        }
        flush.positions.insert(0, 1);
        flush
    }

    /// Writes `flush` into a store failing after `rows` row writes.
    fn durable(flush: &Flush, rows: usize, shuffle: Option<u64>) -> MemoryContents {
        let mut store = MemoryStore {
            fail_after_rows: Some(rows),
            shuffle_phases: shuffle,
            ..MemoryStore::default()
        };
        assert_eq!(store.write(flush), Err(InjectedFailure));
        store.contents
    }

    #[test]
    fn a_shuffled_phase_lands_in_another_order_but_phases_stay_in_order() {
        let flush = flush(40);
        let first: Vec<AggKey> = flush
            .aggregates
            .iter()
            .take(20)
            .map(|(k, _)| k.clone())
            .collect();
        // In the flush's order a failure leaves a prefix durable.
        let plain = durable(&flush, 20, None);
        assert_eq!(plain.aggregates.keys().cloned().collect::<Vec<_>>(), first);
        // Shuffled, another subset of the same size, and no task yet: the
        // tasks' phase starts only after every aggregate row.
        let shuffled = durable(&flush, 20, Some(7));
        assert_eq!(shuffled.aggregates.len(), 20);
        assert_ne!(
            shuffled.aggregates.keys().cloned().collect::<Vec<_>>(),
            first
        );
        assert!(shuffled.tasks.is_empty());
        let later = durable(&flush, 45, Some(7));
        assert_eq!((later.aggregates.len(), later.tasks.len()), (40, 5));
        assert!(later.positions.is_empty());
    }
}
