//! Writing a [`Flush`]: every row encoded first (a row the store cannot
//! encode fails the flush before anything is sent), then one `INSERT ...
//! FORMAT RowBinary` per table (LZ4-compressed unless the server is on
//! this host, see [`crate::InsertCompression`]), in the phases of the
//! engine's write order.
//!
//! The order is the exactly-once proof of `labelpulse_engine::store`
//! ([`WRITE_PHASES`]), a partial order: first the flush's mark (the
//! positions it ends at, in `flush_marks`), then every aggregate table, the
//! members, the index and the archive, then sessions and tasks (never
//! durable without the aggregates they imply), then projects (after the
//! tasks a settings change re-stamps), and last the positions the ingestor
//! resumes from. The inserts of one phase run
//! concurrently (ClickHouse takes each on a thread of its own, so a flush
//! waits for its slowest insert instead of the sum of them); a phase starts
//! only after every insert of the previous one succeeded. Each insert is
//! retried on transient failures within one budget for the whole flush;
//! rows are absolute and versioned, so an insert that reached the server
//! before its answer was lost, or a whole flush written again after an
//! error, only adds copies that ReplacingMergeTree collapses.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use clickhouse::{Client, RowOwned, RowWrite};
use futures_util::future::try_join_all;
use labelpulse_engine::store::{by_key, FlushTable, WRITE_PHASES};
use labelpulse_engine::{Flush, FlushScope};

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
    /// Full, or light: then only the mark, the aggregate rows and the
    /// members are written ([`Flush::writes`]).
    pub scope: FlushScope,
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
    /// Encodes every row of `flush`, each table's rows sorted by key
    /// (ClickHouse then finds a block sorted and does not sort it again).
    pub fn encode(flush: &Flush) -> Result<Self, CodecError> {
        let mut encoded = Self::encode_all_but_the_archive(flush)?;
        encoded.archive = archive_rows(flush.archive.iter().cloned());
        Ok(encoded)
    }

    /// As [`EncodedFlush::encode`], taking the flush: the archived events'
    /// bytes move into their rows instead of being copied.
    pub fn encode_owned(mut flush: Flush) -> Result<Self, CodecError> {
        let archive = std::mem::take(&mut flush.archive);
        let mut encoded = Self::encode_all_but_the_archive(&flush)?;
        encoded.archive = archive_rows(archive.into_iter());
        Ok(encoded)
    }

    fn encode_all_but_the_archive(flush: &Flush) -> Result<Self, CodecError> {
        let mut aggregates = AggregateRows::default();
        for (key, row) in by_key(&flush.aggregates) {
            aggregates.push(key, row)?;
        }
        Ok(EncodedFlush {
            scope: flush.scope,
            aggregates,
            members: by_key(&flush.members)
                .into_iter()
                .map(|(member, row)| codec::member_row(member, row))
                .collect::<Result<_, _>>()?,
            sessions: by_key(&flush.sessions)
                .into_iter()
                .map(|(key, row)| codec::session_row(key, row))
                .collect(),
            index: by_key(&flush.index)
                .into_iter()
                .map(|(key, task)| codec::index_row(key, task))
                .collect(),
            tasks: by_key(&flush.tasks)
                .into_iter()
                .map(|(key, row)| codec::task_row(key, row))
                .collect::<Result<_, _>>()?,
            projects: by_key(&flush.projects)
                .into_iter()
                .map(|(project, row)| codec::project_row(project, row))
                .collect::<Result<_, _>>()?,
            archive: Vec::new(),
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

    /// Whether this flush writes `table` (see [`Flush::writes`]).
    pub fn writes(&self, table: FlushTable) -> bool {
        self.scope.writes(table)
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

/// One insert of a flush: `rows` into `table`, retried within what is left
/// of the flush's budget (counted from `start`). Returns the rows inserted
/// (none for an empty table, which is not sent).
async fn insert<T: RowOwned + RowWrite>(
    client: &Client,
    policy: &RetryPolicy,
    start: Instant,
    table: &'static str,
    rows: &[T],
) -> Result<usize, ClickHouseError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let policy = RetryPolicy {
        budget: policy.budget.saturating_sub(start.elapsed()),
        ..policy.clone()
    };
    policy
        .run(&format!("insert into {table}"), move || async move {
            let mut insert = client.insert::<T>(table).await?;
            for row in rows {
                insert.write(row).await?;
            }
            insert.end().await
        })
        .await?;
    Ok(rows.len())
}

/// The archive's rows, in the flush's order.
fn archive_rows(events: impl Iterator<Item = (u32, u64, Vec<u8>)>) -> Vec<EventArchiveRow> {
    events
        .map(|(partition, sequence, event)| EventArchiveRow {
            partition,
            sequence,
            event,
        })
        .collect()
}

/// One insert of a flush, not started yet.
type Insert<'a> = Pin<Box<dyn Future<Output = Result<usize, ClickHouseError>> + Send + 'a>>;

/// The inserts that write `table` of `flush`: one per ClickHouse table
/// (the aggregates go to eight).
fn inserts_of<'a>(
    client: &'a Client,
    policy: &'a RetryPolicy,
    start: Instant,
    flush: &'a EncodedFlush,
    table: FlushTable,
) -> Vec<Insert<'a>> {
    fn one<'a, T: RowOwned + RowWrite + Sync>(
        (client, policy, start): (&'a Client, &'a RetryPolicy, Instant),
        table: &'static str,
        rows: &'a [T],
    ) -> Insert<'a> {
        Box::pin(insert(client, policy, start, table, rows))
    }
    let at = (client, policy, start);
    let a = &flush.aggregates;
    match table {
        FlushTable::Aggregates => vec![
            one(at, names::PROJECT_HOUR, &a.project_hour),
            one(at, names::MEMBER_HOUR, &a.member_hour),
            one(at, names::PROJECT_TOTALS, &a.project_totals),
            one(at, names::MEMBER_ACTIVITY, &a.member_activity),
            one(at, names::LABELS, &a.labels),
            one(at, names::PAIRS, &a.pairs),
            one(at, names::AGREEMENT_HOUR, &a.agreement_hour),
            one(at, names::CELLS, &a.cells),
        ],
        FlushTable::Members => vec![one(at, names::MEMBERS, &flush.members)],
        FlushTable::Index => vec![one(at, names::ID_INDEX, &flush.index)],
        FlushTable::Archive => vec![one(at, names::EVENT_ARCHIVE, &flush.archive)],
        FlushTable::Sessions => vec![one(at, names::SESSIONS, &flush.sessions)],
        FlushTable::Tasks => vec![one(at, names::TASKS, &flush.tasks)],
        FlushTable::Projects => vec![one(at, names::PROJECTS, &flush.projects)],
        FlushTable::Positions => vec![one(at, names::INGEST_PROGRESS, &flush.positions)],
        FlushTable::Marks => vec![one(at, names::FLUSH_MARKS, &flush.positions)],
    }
}

/// Inserts `flush` phase by phase ([`WRITE_PHASES`]), the tables of a
/// phase concurrently (see the module doc).
pub async fn write_flush(
    client: &Client,
    flush: &EncodedFlush,
    policy: &RetryPolicy,
) -> Result<WriteStats, ClickHouseError> {
    let start = Instant::now();
    let mut stats = WriteStats::default();
    for phase in WRITE_PHASES {
        let inserts = phase
            .iter()
            .filter(|&&table| flush.writes(table))
            .flat_map(|&table| inserts_of(client, policy, start, flush, table));
        for rows in try_join_all(inserts).await? {
            if rows > 0 {
                stats.inserts += 1;
                stats.rows += rows;
            }
        }
    }
    stats.elapsed = start.elapsed();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_a_flush_it_owns_gives_the_same_rows() {
        let flush = labelpulse_testkit::fixtures::full_flush();
        assert!(!flush.archive.is_empty());
        let borrowed = EncodedFlush::encode(&flush).unwrap();
        assert_eq!(borrowed.archive.len(), flush.archive.len());
        assert_eq!(EncodedFlush::encode_owned(flush).unwrap(), borrowed);
    }

    #[test]
    fn an_encoded_flush_counts_every_row_of_every_table() {
        let flush = labelpulse_testkit::fixtures::full_flush();
        let cells = flush
            .aggregates
            .iter()
            .filter(|(key, _)| matches!(key, labelpulse_core::aggregate::AggKey::Cell { .. }))
            .count();
        assert!(cells > 0, "the fixture has statistics cells");
        let encoded = EncodedFlush::encode(&flush).unwrap();
        assert_eq!(encoded.aggregates.len(), flush.aggregates.len());
        assert_eq!(encoded.rows(), flush.rows() + flush.positions.len());
    }
}
