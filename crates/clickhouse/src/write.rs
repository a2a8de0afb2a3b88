//! Writing a [`Flush`]: every row encoded first (a row the store cannot
//! encode fails the flush before anything is sent), then one `INSERT ...
//! FORMAT RowBinary` (LZ4) per table, in the flush's order.
//!
//! The order is the exactly-once proof of `labelpulse_engine::store`:
//! aggregate tables first, then members, sessions, the index, tasks (never
//! durable without the aggregates they imply), projects (after the tasks a
//! settings change re-stamps), the archive, and last the positions the
//! ingestor resumes from. An insert starts only after the previous one
//! succeeded. Each insert is retried on transient failures within one budget
//! for the whole flush; rows are absolute and versioned, so an insert that
//! reached the server before its answer was lost, or a whole flush written
//! again after an error, only adds copies that ReplacingMergeTree collapses.

use std::time::{Duration, Instant};

use clickhouse::{Client, RowOwned, RowWrite};
use labelpulse_engine::Flush;

use crate::codec::{self, AggregateRows, CodecError};
use crate::error::ClickHouseError;
use crate::retry::RetryPolicy;
use crate::tables::{
    names, EventArchiveRow, IdIndexRow, IngestProgressRow, MembersRow, ProjectsRow, SessionsRow,
    TasksRow,
};

/// A flush as table rows, ready to insert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncodedFlush {
    /// Aggregate rows by table.
    pub aggregates: AggregateRows,
    /// `members`.
    pub members: Vec<MembersRow>,
    /// `sessions`.
    pub sessions: Vec<SessionsRow>,
    /// `id_index`.
    pub index: Vec<IdIndexRow>,
    /// `tasks`.
    pub tasks: Vec<TasksRow>,
    /// `projects`.
    pub projects: Vec<ProjectsRow>,
    /// `event_archive`.
    pub archive: Vec<EventArchiveRow>,
    /// `ingest_progress`.
    pub positions: Vec<IngestProgressRow>,
}

impl EncodedFlush {
    /// Encodes every row of `flush`.
    pub fn encode(flush: &Flush) -> Result<Self, CodecError> {
        let mut aggregates = AggregateRows::default();
        for (key, row) in &flush.aggregates {
            aggregates.push(key, row)?;
        }
        Ok(EncodedFlush {
            aggregates,
            members: flush
                .members
                .iter()
                .map(|(member, row)| codec::member_row(member, row))
                .collect::<Result<_, _>>()?,
            sessions: flush
                .sessions
                .iter()
                .map(|(key, row)| codec::session_row(key, row))
                .collect(),
            index: flush
                .index
                .iter()
                .map(|(key, task)| codec::index_row(key, task))
                .collect(),
            tasks: flush
                .tasks
                .iter()
                .map(|(key, row)| codec::task_row(key, row))
                .collect::<Result<_, _>>()?,
            projects: flush
                .projects
                .iter()
                .map(|(project, row)| codec::project_row(project, row))
                .collect::<Result<_, _>>()?,
            archive: flush
                .archive
                .iter()
                .map(|(partition, sequence, raw)| EventArchiveRow {
                    partition: *partition,
                    sequence: *sequence,
                    event: raw.clone(),
                })
                .collect(),
            positions: flush
                .positions
                .iter()
                .map(|(partition, position)| IngestProgressRow {
                    partition: *partition,
                    position: *position,
                })
                .collect(),
        })
    }

    /// Rows over all tables (the member-first copy not counted).
    pub fn rows(&self) -> usize {
        self.aggregates.len()
            + self.members.len()
            + self.sessions.len()
            + self.index.len()
            + self.tasks.len()
            + self.projects.len()
            + self.archive.len()
            + self.positions.len()
    }
}

/// What writing one flush took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// INSERT statements that succeeded (one per non-empty table).
    pub inserts: u32,
    /// Rows inserted.
    pub rows: usize,
    /// Wall time of the whole flush, retries included.
    pub elapsed: Duration,
}

struct Writer<'a> {
    client: &'a Client,
    policy: RetryPolicy,
    start: Instant,
    stats: WriteStats,
}

impl Writer<'_> {
    async fn insert<T: RowOwned + RowWrite>(
        &mut self,
        table: &'static str,
        rows: &[T],
    ) -> Result<(), ClickHouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        // One budget for the whole flush.
        let policy = RetryPolicy {
            budget: self.policy.budget.saturating_sub(self.start.elapsed()),
            ..self.policy
        };
        let client = self.client;
        policy
            .run(&format!("insert into {table}"), move || async move {
                let mut insert = client.insert::<T>(table).await?;
                for row in rows {
                    insert.write(row).await?;
                }
                insert.end().await
            })
            .await?;
        self.stats.inserts += 1;
        self.stats.rows += rows.len();
        Ok(())
    }
}

/// Inserts `flush` table by table in the engine's order (see the module doc).
pub async fn write_flush(
    client: &Client,
    flush: &EncodedFlush,
    policy: &RetryPolicy,
) -> Result<WriteStats, ClickHouseError> {
    let mut w = Writer {
        client,
        policy: *policy,
        start: Instant::now(),
        stats: WriteStats::default(),
    };
    let a = &flush.aggregates;
    w.insert(names::PROJECT_HOUR, &a.project_hour).await?;
    w.insert(names::MEMBER_HOUR, &a.member_hour).await?;
    w.insert(names::PROJECT_TOTALS, &a.project_totals).await?;
    w.insert(names::MEMBER_ACTIVITY, &a.member_activity).await?;
    w.insert(names::LABELS, &a.labels).await?;
    w.insert(names::PAIRS, &a.pairs).await?;
    w.insert(names::AGREEMENT_HOUR, &a.agreement_hour).await?;
    w.insert(names::CELLS, &a.cells).await?;
    w.insert(names::MEMBERS, &flush.members).await?;
    w.insert(names::SESSIONS, &flush.sessions).await?;
    w.insert(names::ID_INDEX, &flush.index).await?;
    w.insert(names::TASKS, &flush.tasks).await?;
    w.insert(names::PROJECTS, &flush.projects).await?;
    w.insert(names::EVENT_ARCHIVE, &flush.archive).await?;
    w.insert(names::INGEST_PROGRESS, &flush.positions).await?;
    w.stats.elapsed = w.start.elapsed();
    Ok(w.stats)
}
