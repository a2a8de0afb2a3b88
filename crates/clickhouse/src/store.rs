//! [`ClickHouseStore`]: the engine's [`Store`] over ClickHouse.
//!
//! The `Store` trait is synchronous and the engine runs on a thread of its
//! own, so the store holds a [`tokio::runtime::Handle`] and blocks on the
//! async client. **Call it from a plain thread (the engine's) or from
//! `spawn_blocking`, never from a runtime worker thread** (`Handle::block_on`
//! panics there), and give it the handle of a multi-thread runtime (a
//! current-thread runtime cannot drive I/O from another thread's `block_on`).
//!
//! [`Store::start_write`] runs the flush on the runtime (encoding on its
//! blocking pool, the inserts as a task) and returns at once, so the engine
//! applies the next events while ClickHouse takes this flush;
//! [`Store::finish_write`] waits for it. Loads meanwhile only ask for keys
//! the flush does not hold (the engine keeps those cached), so they read
//! the same values before and after it.

use std::collections::BTreeMap;
use std::future::Future;

use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use labelpulse_core::time::Hour;
use labelpulse_engine::entity::{IndexKey, MemberState, SessionState};
use labelpulse_engine::store::{SessionKey, TaskKey};
use labelpulse_engine::{Flush, Store, Versioned};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::client::ClickHouse;
use crate::codec::{self, CodecError};
use crate::error::ClickHouseError;
use crate::load::{self, fetch_keys};
use crate::metrics::Request;
use crate::queries;
use crate::tables::{
    CellKeyRow, HourHorizonRow, IdIndexRow, IngestProgressRow, MembersRow, ProjectsRow,
    SessionsRow, TaskIdsRow, TasksRow,
};
use crate::write::{write_flush, EncodedFlush, WriteStats};

/// The engine's store over ClickHouse: batch loads as one `SELECT ... FINAL
/// WHERE (key) IN (...)` per key kind, flushes as one INSERT per table in
/// the flush's order, transient failures retried within the configured budget.
#[derive(Debug)]
pub struct ClickHouseStore {
    ch: ClickHouse,
    runtime: Handle,
    last_write: WriteStats,
    /// The flush being written in the background, if one was started.
    writing: Option<JoinHandle<Result<WriteStats, ClickHouseError>>>,
}

impl ClickHouseStore {
    /// A store over `ch`, running its requests on `runtime` (see the module
    /// doc for which threads may call it).
    pub fn new(ch: ClickHouse, runtime: Handle) -> Self {
        ClickHouseStore {
            ch,
            runtime,
            last_write: WriteStats::default(),
            writing: None,
        }
    }

    /// The clients.
    pub fn clickhouse(&self) -> &ClickHouse {
        &self.ch
    }

    /// What the last successful write ([`Store::write`] or a finished
    /// [`Store::start_write`]) took.
    pub fn last_write(&self) -> &WriteStats {
        &self.last_write
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    async fn tasks(
        &self,
        keys: &[TaskKey],
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, ClickHouseError> {
        let keys: Vec<(&str, &str)> = keys.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let rows: Vec<TasksRow> = fetch_keys(
            &self.ch.read,
            queries::LOAD_TASKS,
            "load tasks",
            &keys,
            |k| k.0.len() + k.1.len(),
            &self.ch.policy(Request::Load),
        )
        .await?;
        decode_all(rows, TasksRow::decode)
    }

    async fn sessions(
        &self,
        keys: &[SessionKey],
    ) -> Result<Vec<(SessionKey, Versioned<SessionState>)>, ClickHouseError> {
        let keys: Vec<(&str, &str)> = keys.iter().map(|(p, m)| (p.as_str(), m.as_str())).collect();
        let rows: Vec<SessionsRow> = fetch_keys(
            &self.ch.read,
            queries::LOAD_SESSIONS,
            "load sessions",
            &keys,
            |k| k.0.len() + k.1.len(),
            &self.ch.policy(Request::Load),
        )
        .await?;
        decode_all(rows, SessionsRow::decode)
    }

    async fn projects(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, Versioned<ProjectConfig>)>, ClickHouseError> {
        let keys: Vec<(&str,)> = keys.iter().map(|key| (key.as_str(),)).collect();
        let rows: Vec<ProjectsRow> = fetch_keys(
            &self.ch.read,
            queries::LOAD_PROJECTS,
            "load projects",
            &keys,
            |key| key.0.len(),
            &self.ch.policy(Request::Load),
        )
        .await?;
        decode_all(rows, ProjectsRow::decode)
    }

    async fn members(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, Versioned<MemberState>)>, ClickHouseError> {
        let keys: Vec<(&str,)> = keys.iter().map(|key| (key.as_str(),)).collect();
        let rows: Vec<MembersRow> = fetch_keys(
            &self.ch.read,
            queries::LOAD_MEMBERS,
            "load members",
            &keys,
            |key| key.0.len(),
            &self.ch.policy(Request::Load),
        )
        .await?;
        decode_all(rows, MembersRow::decode)
    }

    async fn index_entries(
        &self,
        keys: &[IndexKey],
    ) -> Result<Vec<(IndexKey, String)>, ClickHouseError> {
        let keys: Vec<(&str, u8, &str)> = keys
            .iter()
            .map(|(p, kind, id)| (p.as_str(), codec::index_kind_code(*kind), id.as_str()))
            .collect();
        let rows: Vec<IdIndexRow> = fetch_keys(
            &self.ch.read,
            queries::LOAD_INDEX,
            "load id_index",
            &keys,
            |k| k.0.len() + k.2.len() + 4,
            &self.ch.policy(Request::Load),
        )
        .await?;
        decode_all(rows, IdIndexRow::decode)
    }
}

/// Decodes every row; empty input is not an error.
pub(crate) fn decode_all<R, T>(
    rows: Vec<R>,
    decode: impl Fn(R) -> Result<T, CodecError>,
) -> Result<Vec<T>, ClickHouseError> {
    rows.into_iter()
        .map(|row| decode(row).map_err(ClickHouseError::from))
        .collect()
}

fn first<K: PartialEq, V>(found: Vec<(K, V)>, key: &K) -> Option<V> {
    found
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

impl Store for ClickHouseStore {
    type Error = ClickHouseError;

    fn task(&mut self, key: &TaskKey) -> Result<Option<Versioned<TaskState>>, Self::Error> {
        Ok(first(self.load_tasks(std::slice::from_ref(key))?, key))
    }

    fn project_tasks(
        &mut self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error> {
        let client = &self.ch.read;
        let policy = self.ch.policy(Request::Load);
        let rows: Vec<TasksRow> = self.block_on(policy.run("load a project's tasks", || {
            client
                .query(queries::PROJECT_TASKS)
                .bind(project)
                .fetch_all()
        }))?;
        decode_all(rows, TasksRow::decode)
    }

    fn list_tasks(&mut self, projects: &[String]) -> Result<Option<Vec<TaskKey>>, Self::Error> {
        let client = &self.ch.read;
        let policy = self.ch.policy(Request::Load);
        let rows: Vec<TaskIdsRow> = self.block_on(policy.run("list projects' tasks", || {
            client.query(queries::LIST_TASKS).bind(projects).fetch_all()
        }))?;
        Ok(Some(
            rows.into_iter()
                .map(|row| (row.project, row.task))
                .collect(),
        ))
    }

    fn list_cells(&mut self, projects: &[String]) -> Result<Option<Vec<AggKey>>, Self::Error> {
        let client = &self.ch.read;
        let policy = self.ch.policy(Request::Load);
        let rows: Vec<CellKeyRow> = self.block_on(policy.run("list projects' cells", || {
            client.query(queries::LIST_CELLS).bind(projects).fetch_all()
        }))?;
        let keys = rows
            .into_iter()
            .map(CellKeyRow::key)
            .collect::<Result<Vec<AggKey>, _>>()?;
        Ok(Some(keys))
    }

    fn hour_horizons(
        &mut self,
        projects: &[String],
    ) -> Result<Option<Vec<(String, Hour)>>, Self::Error> {
        let client = &self.ch.read;
        let policy = self.ch.policy(Request::Load);
        let rows: Vec<HourHorizonRow> =
            self.block_on(policy.run("latest hour of projects' hour rows", || {
                client
                    .query(queries::HOUR_HORIZONS)
                    .bind(projects)
                    .bind(projects)
                    .bind(projects)
                    .fetch_all()
            }))?;
        Ok(Some(
            rows.into_iter()
                .map(|row| (row.project, row.hour))
                .collect(),
        ))
    }

    fn session(
        &mut self,
        key: &SessionKey,
    ) -> Result<Option<Versioned<SessionState>>, Self::Error> {
        Ok(first(self.load_sessions(std::slice::from_ref(key))?, key))
    }

    fn project(&mut self, project: &str) -> Result<Option<Versioned<ProjectConfig>>, Self::Error> {
        let key = project.to_string();
        Ok(first(self.load_projects(std::slice::from_ref(&key))?, &key))
    }

    fn member(&mut self, member: &str) -> Result<Option<Versioned<MemberState>>, Self::Error> {
        let key = member.to_string();
        Ok(first(self.load_members(std::slice::from_ref(&key))?, &key))
    }

    fn index(&mut self, key: &IndexKey) -> Result<Option<String>, Self::Error> {
        Ok(first(self.load_index(std::slice::from_ref(key))?, key))
    }

    fn aggregate(&mut self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, Self::Error> {
        Ok(first(self.load_aggregates(std::slice::from_ref(key))?, key))
    }

    fn positions(&mut self) -> Result<BTreeMap<u32, u64>, Self::Error> {
        let client = &self.ch.read;
        let policy = self.ch.policy(Request::Load);
        let rows: Vec<IngestProgressRow> = self.block_on(policy.run("load positions", || {
            client.query(queries::POSITIONS).fetch_all()
        }))?;
        Ok(rows
            .into_iter()
            .map(|r| (r.partition, r.position))
            .collect())
    }

    /// Two reads: each partition's highest mark, then the marks above the
    /// lowest durable position among the partitions whose highest mark is
    /// above theirs (none: no second read), kept per partition above its own.
    fn flush_marks(
        &mut self,
        after: &BTreeMap<u32, u64>,
    ) -> Result<Option<BTreeMap<u32, Vec<u64>>>, Self::Error> {
        let above = |row: &IngestProgressRow| {
            let durable = after.get(&row.partition).copied().unwrap_or(0);
            (row.position > durable).then_some(durable)
        };
        let client = &self.ch.read;
        let policy = self.ch.policy(Request::Load);
        let tops: Vec<IngestProgressRow> = self.block_on(policy.run("load flush marks", || {
            client.query(queries::FLUSH_MARK_TOPS).fetch_all()
        }))?;
        let Some(lowest) = tops.iter().filter_map(above).min() else {
            return Ok(Some(BTreeMap::new()));
        };
        let rows: Vec<IngestProgressRow> = self.block_on(policy.run("load flush marks", || {
            client.query(queries::FLUSH_MARKS).bind(lowest).fetch_all()
        }))?;
        let mut marks: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for row in rows {
            if above(&row).is_some() {
                marks.entry(row.partition).or_default().push(row.position);
            }
        }
        for ends in marks.values_mut() {
            ends.sort_unstable();
            ends.dedup();
        }
        Ok(Some(marks))
    }

    fn load_tasks(
        &mut self,
        keys: &[TaskKey],
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.block_on(self.tasks(keys))
    }

    fn load_sessions(
        &mut self,
        keys: &[SessionKey],
    ) -> Result<Vec<(SessionKey, Versioned<SessionState>)>, Self::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.block_on(self.sessions(keys))
    }

    fn load_projects(
        &mut self,
        keys: &[String],
    ) -> Result<Vec<(String, Versioned<ProjectConfig>)>, Self::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.block_on(self.projects(keys))
    }

    fn load_members(
        &mut self,
        keys: &[String],
    ) -> Result<Vec<(String, Versioned<MemberState>)>, Self::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.block_on(self.members(keys))
    }

    fn load_index(&mut self, keys: &[IndexKey]) -> Result<Vec<(IndexKey, String)>, Self::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.block_on(self.index_entries(keys))
    }

    fn load_aggregates(
        &mut self,
        keys: &[AggKey],
    ) -> Result<Vec<(AggKey, Versioned<AggRow>)>, Self::Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let policy = self.ch.policy(Request::Load);
        self.block_on(load::load_aggregates(&self.ch.read, keys, &policy))
    }

    /// Encodes the whole flush (a row that cannot be encoded fails it before
    /// anything is sent), then inserts table by table in the flush's order,
    /// retrying transient failures within `retry_budget` for the flush.
    fn write(&mut self, flush: &Flush) -> Result<(), Self::Error> {
        self.finish_write()?;
        let encoded = EncodedFlush::encode(flush)?;
        let policy = self.ch.policy(Request::Insert);
        let stats = self.block_on(write_flush(&self.ch.write, &encoded, &policy))?;
        self.last_write = stats;
        Ok(())
    }

    /// As [`Store::write`], in the background: encoding on the runtime's
    /// blocking pool (it is CPU work), then the inserts as a task.
    fn start_write(&mut self, flush: Flush) -> Result<(), Self::Error> {
        self.finish_write()?;
        let client = self.ch.write.clone();
        let policy = self.ch.policy(Request::Insert);
        self.writing = Some(self.runtime.spawn(async move {
            let encoded = tokio::task::spawn_blocking(move || EncodedFlush::encode_owned(flush))
                .await
                .map_err(|error| ClickHouseError::WriteTask(error.to_string()))??;
            write_flush(&client, &encoded, &policy).await
        }));
        Ok(())
    }

    fn write_finished(&mut self) -> bool {
        self.writing.as_ref().is_none_or(JoinHandle::is_finished)
    }

    fn finish_write(&mut self) -> Result<(), Self::Error> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        let stats = self
            .block_on(writing)
            .map_err(|error| ClickHouseError::WriteTask(error.to_string()))??;
        self.last_write = stats;
        Ok(())
    }
}
