//! The write-side store interface the engine needs, and what one flush writes.
//!
//! Adapters (embedded redb, ClickHouse) implement [`Store`]. A flush is
//! written in the phases of [`WRITE_PHASES`]: its mark first (where it
//! ends, for a store that keeps marks); aggregate rows, members, the
//! index and the archive; then sessions and tasks (never durable
//! without the aggregate rows they imply); then projects (a settings
//! change re-stamps the project's tasks, and the project row fences it);
//! last the positions. Within a phase the rows may land in any order (an
//! adapter may insert its tables concurrently); a phase starts only once
//! the previous one is durable. Rows are absolute and versioned, so writing
//! a flush twice, or any part of it that respects the phases followed by
//! the whole of it, gives the same result.

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use labelpulse_core::time::Hour;
use serde::{Deserialize, Serialize};

use crate::entity::{IndexKey, MemberState, SessionState};

/// A value and the sequence number (offset + 1) of the last event applied to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    /// Sequence of the last event applied; 0 for "never".
    pub version: u64,
    /// The value.
    pub value: T,
}

/// Key of a task: `(project, task)`.
pub type TaskKey = (String, String);
/// Key of a session: `(project, member)`.
pub type SessionKey = (String, String);

/// The tables of a flush, as [`WRITE_PHASES`] orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushTable {
    /// The flush's mark: [`Flush::positions`], written before anything
    /// else by a store that keeps marks ([`Store::flush_marks`]).
    Marks,
    /// [`Flush::aggregates`] (every aggregate table).
    Aggregates,
    /// [`Flush::members`].
    Members,
    /// [`Flush::index`].
    Index,
    /// [`Flush::archive`].
    Archive,
    /// [`Flush::sessions`].
    Sessions,
    /// [`Flush::tasks`].
    Tasks,
    /// [`Flush::projects`].
    Projects,
    /// [`Flush::positions`].
    Positions,
}

/// The order a flush is written in: phase by phase, each durable before the
/// next starts, the rows of one phase in any order. This is the
/// exactly-once proof's order (ARCHITECTURE.md): a session or a task is
/// never durable without the aggregate rows it implies (replaying an event
/// skips an entity already at its version, so it would never add them
/// again), a project row never without the task rows its settings
/// re-stamped, and a position never without everything before it. Members,
/// the index and the archive imply no other row: replaying their events
/// writes them again, equal. The mark comes first: no row of a flush is
/// durable before it is, so a replay knows where a flush that failed
/// half-way ended (see [`Store::flush_marks`]).
pub const WRITE_PHASES: [&[FlushTable]; 5] = [
    &[FlushTable::Marks],
    &[
        FlushTable::Aggregates,
        FlushTable::Members,
        FlushTable::Index,
        FlushTable::Archive,
    ],
    &[FlushTable::Sessions, FlushTable::Tasks],
    &[FlushTable::Projects],
    &[FlushTable::Positions],
];

/// The rows of a flush's list sorted by key, for a store that takes sorted
/// input best (ClickHouse skips sorting a block that is sorted already).
/// A flush lists its rows in no particular order, so that sorting them is
/// the writer's work, not the applying thread's.
///
/// ```
/// let rows = vec![("b", 2), ("c", 3), ("a", 1)];
/// let sorted: Vec<_> = labelpulse_engine::store::by_key(&rows).into_iter().copied().collect();
/// assert_eq!(sorted, vec![("a", 1), ("b", 2), ("c", 3)]);
/// ```
pub fn by_key<K: Ord, V>(rows: &[(K, V)]) -> Vec<&(K, V)> {
    let mut sorted: Vec<&(K, V)> = rows.iter().collect();
    // Keys are unique: an unstable sort gives the one order.
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    sorted
}

/// How much of what was applied a flush writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlushScope {
    /// Everything applied since the last full flush, positions included:
    /// the flushed events are durable, and their source may forget them
    /// (the Kafka ingestor commits their offsets).
    #[default]
    Full,
    /// The aggregate rows and the members changed since the last flush,
    /// and the flush's mark: what the dashboards read, written often.
    /// Tasks, sessions, projects, the index,
    /// the archive and the positions wait for the next full flush, so a
    /// replay after a crash starts at the last full flush; it cuts its
    /// batches at the light flushes' marks, and their rows' versions fence
    /// what they already hold. Such a flush is exactly what a full flush
    /// that failed after its aggregate rows and members (the second phase)
    /// leaves in the store, which the
    /// proof of [`WRITE_PHASES`] covers. Only over a store that keeps marks
    /// ([`Store::flush_marks`]).
    Aggregates,
}

impl FlushScope {
    /// Whether a flush of this scope writes `table`: a full flush every
    /// one, a light one its mark, its aggregate rows and its members.
    pub fn writes(self, table: FlushTable) -> bool {
        self == FlushScope::Full
            || matches!(
                table,
                FlushTable::Marks | FlushTable::Aggregates | FlushTable::Members
            )
    }
}

/// Everything one flush writes (in the phases of [`WRITE_PHASES`]); every
/// list in no particular order, keys unique (see [`by_key`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flush {
    /// Full, or the aggregate rows and members only (the other lists are then empty,
    /// and the positions are the flush's mark, not written as positions).
    pub scope: FlushScope,
    /// Aggregate rows.
    pub aggregates: Vec<(AggKey, Versioned<AggRow>)>,
    /// Members (organization dimension).
    pub members: Vec<(String, Versioned<MemberState>)>,
    /// Sessions.
    pub sessions: Vec<(SessionKey, Versioned<SessionState>)>,
    /// New entries of the id -> task index.
    pub index: Vec<(IndexKey, String)>,
    /// Task states.
    pub tasks: Vec<(TaskKey, Versioned<TaskState>)>,
    /// Projects' settings.
    pub projects: Vec<(String, Versioned<ProjectConfig>)>,
    /// Raw events of the flush, `(partition, sequence, bytes)`, for the archive.
    pub archive: Vec<(u32, u64, Vec<u8>)>,
    /// Per partition, the sequence of the last event the flush covers.
    pub positions: BTreeMap<u32, u64>,
}

impl Flush {
    /// Whether this flush writes `table` ([`FlushScope::writes`]).
    pub fn writes(&self, table: FlushTable) -> bool {
        self.scope.writes(table)
    }

    /// True when nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.aggregates.is_empty()
            && self.projects.is_empty()
            && self.members.is_empty()
            && self.sessions.is_empty()
            && self.index.is_empty()
            && self.tasks.is_empty()
            && self.archive.is_empty()
            && self.positions.is_empty()
    }

    /// Number of rows of every kind.
    pub fn rows(&self) -> usize {
        self.aggregates.len()
            + self.projects.len()
            + self.members.len()
            + self.sessions.len()
            + self.index.len()
            + self.tasks.len()
            + self.archive.len()
    }
}

/// What the engine reads from and writes to. Reads are point lookups of
/// keys not in the engine's cache; writes are whole flushes.
pub trait Store {
    /// The adapter's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// A task's state.
    fn task(&mut self, key: &TaskKey) -> Result<Option<Versioned<TaskState>>, Self::Error>;
    /// All tasks of a project (for settings changes that re-score every task).
    fn project_tasks(
        &mut self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error>;
    /// A session's state.
    fn session(&mut self, key: &SessionKey)
        -> Result<Option<Versioned<SessionState>>, Self::Error>;
    /// A project's settings.
    fn project(&mut self, project: &str) -> Result<Option<Versioned<ProjectConfig>>, Self::Error>;
    /// A member.
    fn member(&mut self, member: &str) -> Result<Option<Versioned<MemberState>>, Self::Error>;
    /// The task an annotation, prediction or review belongs to.
    fn index(&mut self, key: &IndexKey) -> Result<Option<String>, Self::Error>;
    /// An aggregate row.
    fn aggregate(&mut self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, Self::Error>;
    /// The positions of the last durable flush.
    fn positions(&mut self) -> Result<BTreeMap<u32, u64>, Self::Error>;
    /// Many tasks at once (a batch's prefetch); absent keys are left out.
    /// The default reads them one by one; adapters with round trips override it.
    fn load_tasks(
        &mut self,
        keys: &[TaskKey],
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error> {
        load_each(keys, |key| self.task(key))
    }
    /// The tasks the store holds in each of `projects` (tasks deleted or
    /// written twice may be listed too), or `None` when the store cannot
    /// list them cheaply. With a listing, the engine caches the tasks of a
    /// batch that the store does not hold as new, without reading them.
    /// The default lists nothing.
    fn list_tasks(&mut self, projects: &[String]) -> Result<Option<Vec<TaskKey>>, Self::Error> {
        let _ = projects;
        Ok(None)
    }
    /// The keys of the agreement statistics cells (`AggKey::Cell`) the
    /// store holds in each of `projects` (cells written twice may be
    /// listed twice), or `None` when the store cannot list them cheaply.
    /// With a listing, the engine caches a batch's cells the store does
    /// not hold as new, without reading them. The default lists nothing.
    fn list_cells(&mut self, projects: &[String]) -> Result<Option<Vec<AggKey>>, Self::Error> {
        let _ = projects;
        Ok(None)
    }
    /// The latest hour of an hour row (project-hour, member-hour or
    /// agreement-hour, whatever it holds) the store holds in each of
    /// `projects` that holds any (a row written twice or superseded may
    /// count), or `None` when the store cannot tell cheaply. With it, the
    /// engine caches a batch's hour rows past that hour as new, without
    /// reading them. The default tells nothing.
    fn hour_horizons(
        &mut self,
        projects: &[String],
    ) -> Result<Option<Vec<(String, Hour)>>, Self::Error> {
        let _ = projects;
        Ok(None)
    }
    /// Many sessions at once.
    fn load_sessions(
        &mut self,
        keys: &[SessionKey],
    ) -> Result<Vec<(SessionKey, Versioned<SessionState>)>, Self::Error> {
        load_each(keys, |key| self.session(key))
    }
    /// Many projects at once.
    fn load_projects(
        &mut self,
        keys: &[String],
    ) -> Result<Vec<(String, Versioned<ProjectConfig>)>, Self::Error> {
        load_each(keys, |key| self.project(key))
    }
    /// Many members at once.
    fn load_members(
        &mut self,
        keys: &[String],
    ) -> Result<Vec<(String, Versioned<MemberState>)>, Self::Error> {
        load_each(keys, |key| self.member(key))
    }
    /// Many index entries at once.
    fn load_index(&mut self, keys: &[IndexKey]) -> Result<Vec<(IndexKey, String)>, Self::Error> {
        load_each(keys, |key| self.index(key))
    }
    /// Many aggregate rows at once.
    fn load_aggregates(
        &mut self,
        keys: &[AggKey],
    ) -> Result<Vec<(AggKey, Versioned<AggRow>)>, Self::Error> {
        load_each(keys, |key| self.aggregate(key))
    }
    /// Whether [`Store::write`] makes a flush durable whole or not at all
    /// (one transaction). Then no replay after a crash can meet a row that
    /// holds only part of a batch's events, and the engine adds the net
    /// change of each task's events in a batch at once (see
    /// `Engine::coalesces`). The default: not atomic.
    fn writes_atomically(&self) -> bool {
        false
    }

    /// The marks of the flushes written or started so far: per partition,
    /// the positions they end at (each written, as [`FlushTable::Marks`],
    /// before any other row of its flush), at least every one above
    /// `after` (the partition's durable position; others may be left out).
    /// `None` (the default) for a store that keeps no marks.
    ///
    /// A store that does not write atomically but keeps marks also gets a
    /// task's events of a batch as one net change: a replay cuts its
    /// batches at the marks above the durable position, the ends of
    /// flushes that failed half-way, so no batch spans both events a row
    /// written by such a flush holds and events it does not.
    fn flush_marks(
        &mut self,
        after: &BTreeMap<u32, u64>,
    ) -> Result<Option<BTreeMap<u32, Vec<u64>>>, Self::Error> {
        let _ = after;
        Ok(None)
    }

    /// Writes a flush in the order of the fields of [`Flush`]: aggregates,
    /// members, sessions, index, tasks, projects, archive, positions.
    fn write(&mut self, flush: &Flush) -> Result<(), Self::Error>;

    /// Starts writing `flush` (same order as [`Store::write`]) and may
    /// return before it is durable; [`Store::finish_write`] waits for it.
    /// While it runs, the engine reads only keys the flush does not hold
    /// (its rows stay in the engine's cache), so a read sees the same value
    /// before and after the write, and it starts no other write. The
    /// default writes synchronously. Adapters whose writes wait on I/O
    /// override this, so the engine applies the next events meanwhile.
    fn start_write(&mut self, flush: Flush) -> Result<(), Self::Error> {
        self.write(&flush)
    }

    /// Whether the started write has ended (successfully or not), without
    /// waiting. The default never has a write running.
    fn write_finished(&mut self) -> bool {
        true
    }

    /// Waits for the started write to end: `Ok` once it is durable, its
    /// error otherwise. `Ok` when no write was started.
    fn finish_write(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Point reads of many keys, keeping the present ones.
fn load_each<K: Clone, V, E>(
    keys: &[K],
    mut read: impl FnMut(&K) -> Result<Option<V>, E>,
) -> Result<Vec<(K, V)>, E> {
    let mut found = Vec::new();
    for key in keys {
        if let Some(value) = read(key)? {
            found.push((key.clone(), value));
        }
    }
    Ok(found)
}
