//! Writing a [`Flush`]: one redb write transaction, durable commit.

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_engine::store::{by_key, FlushTable};
use labelpulse_engine::Flush;
use redb::{Database, Durability, ReadableTable, Table, WriteTransaction};

use crate::codec::{decode_plain, encode, encode_plain, CodecError};
use crate::error::StoreError;
use crate::tables::{self, names};

type Bytes<'t, K> = Table<'t, K, &'static [u8]>;

/// Every table, open in one write transaction.
struct Tables<'t> {
    project_hour: Bytes<'t, (&'static str, i64)>,
    member_hour_by_project: Bytes<'t, (&'static str, i64, &'static str)>,
    member_hour_by_member: Bytes<'t, (&'static str, i64, &'static str)>,
    project_totals: Bytes<'t, &'static str>,
    member_activity: Bytes<'t, (&'static str, &'static str)>,
    labels: Bytes<'t, (&'static str, &'static str, &'static str)>,
    pairs: Bytes<'t, (&'static str, &'static str, &'static str, &'static str)>,
    agreement_hour: Bytes<'t, (&'static str, u8, &'static str, i64)>,
    cells: Bytes<'t, tables::CellKey>,
    tasks: Bytes<'t, (&'static str, &'static str)>,
    sessions: Bytes<'t, (&'static str, &'static str)>,
    projects: Bytes<'t, &'static str>,
    members: Bytes<'t, &'static str>,
    index: Table<'t, (&'static str, u8, &'static str), &'static str>,
    archive: Bytes<'t, u64>,
    meta: Bytes<'t, &'static str>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self, StoreError> {
        Ok(Tables {
            project_hour: txn.open_table(tables::PROJECT_HOUR)?,
            member_hour_by_project: txn.open_table(tables::MEMBER_HOUR_BY_PROJECT)?,
            member_hour_by_member: txn.open_table(tables::MEMBER_HOUR_BY_MEMBER)?,
            project_totals: txn.open_table(tables::PROJECT_TOTALS)?,
            member_activity: txn.open_table(tables::MEMBER_ACTIVITY)?,
            labels: txn.open_table(tables::LABELS)?,
            pairs: txn.open_table(tables::PAIRS)?,
            agreement_hour: txn.open_table(tables::AGREEMENT_HOUR)?,
            cells: txn.open_table(tables::CELLS)?,
            tasks: txn.open_table(tables::TASKS)?,
            sessions: txn.open_table(tables::SESSIONS)?,
            projects: txn.open_table(tables::PROJECTS)?,
            members: txn.open_table(tables::MEMBERS)?,
            index: txn.open_table(tables::INDEX)?,
            archive: txn.open_table(tables::ARCHIVE)?,
            meta: txn.open_table(tables::META)?,
        })
    }

    /// Puts one aggregate row in the table of its key (member hours in both
    /// orders).
    fn aggregate(&mut self, key: &AggKey, version: u64, row: &AggRow) -> Result<(), StoreError> {
        match (key, row) {
            (AggKey::ProjectHour { project, hour }, AggRow::Hour(row)) => {
                let bytes = encode(names::PROJECT_HOUR, version, row)?;
                self.project_hour
                    .insert((project.as_str(), *hour), bytes.as_slice())?;
            }
            (
                AggKey::MemberHour {
                    project,
                    member,
                    hour,
                },
                AggRow::Hour(row),
            ) => {
                let bytes = encode(names::MEMBER_HOUR, version, row)?;
                self.member_hour_by_project
                    .insert((project.as_str(), *hour, member.as_str()), bytes.as_slice())?;
                self.member_hour_by_member
                    .insert((member.as_str(), *hour, project.as_str()), bytes.as_slice())?;
            }
            (AggKey::ProjectTotals { project }, AggRow::Totals(row)) => {
                let bytes = encode(names::PROJECT_TOTALS, version, row)?;
                self.project_totals
                    .insert(project.as_str(), bytes.as_slice())?;
            }
            (AggKey::MemberActivity { project, member }, AggRow::Activity(row)) => {
                let bytes = encode(names::MEMBER_ACTIVITY, version, row)?;
                self.member_activity
                    .insert((project.as_str(), member.as_str()), bytes.as_slice())?;
            }
            (
                AggKey::Label {
                    project,
                    dimension,
                    label,
                },
                AggRow::Label(row),
            ) => {
                let bytes = encode(names::LABELS, version, row)?;
                self.labels.insert(
                    (project.as_str(), dimension.as_str(), label.as_str()),
                    bytes.as_slice(),
                )?;
            }
            (
                AggKey::Pair {
                    project,
                    dimension,
                    a,
                    b,
                },
                AggRow::Pair(row),
            ) => {
                let bytes = encode(names::PAIRS, version, row)?;
                self.pairs.insert(
                    (project.as_str(), dimension.as_str(), a.as_str(), b.as_str()),
                    bytes.as_slice(),
                )?;
            }
            (
                AggKey::AgreementHour {
                    project,
                    dimension,
                    scope,
                    hour,
                },
                AggRow::Agreement(row),
            ) => {
                let bytes = encode(names::AGREEMENT_HOUR, version, row)?;
                self.agreement_hour.insert(
                    (project.as_str(), scope.code(), dimension.as_str(), *hour),
                    bytes.as_slice(),
                )?;
            }
            (
                AggKey::Cell {
                    project,
                    dimension,
                    kind,
                    m,
                    a,
                    b,
                    c,
                    k,
                },
                AggRow::Cell(row),
            ) => {
                let bytes = encode(names::CELLS, version, row)?;
                self.cells.insert(
                    (
                        project.as_str(),
                        tables::cell_kind_code(*kind),
                        dimension.as_str(),
                        a.as_str(),
                        b.as_str(),
                        *m,
                        c.as_str(),
                        k.as_str(),
                    ),
                    bytes.as_slice(),
                )?;
            }
            (key, _) => {
                return Err(CodecError::RowKind {
                    table: table_of(key),
                }
                .into())
            }
        }
        Ok(())
    }

    /// Merges `positions` into the stored ones (like the memory store).
    fn positions(&mut self, positions: &BTreeMap<u32, u64>) -> Result<(), StoreError> {
        let mut stored: BTreeMap<u32, u64> = match self.meta.get(tables::META_POSITIONS)? {
            Some(bytes) => decode_plain(names::META, bytes.value())?,
            None => BTreeMap::new(),
        };
        stored.extend(
            positions
                .iter()
                .map(|(partition, sequence)| (*partition, *sequence)),
        );
        let bytes = encode_plain(names::META, &stored)?;
        self.meta.insert(tables::META_POSITIONS, bytes.as_slice())?;
        Ok(())
    }
}

/// The table name of an aggregate key, for errors.
fn table_of(key: &AggKey) -> &'static str {
    match key {
        AggKey::ProjectHour { .. } => names::PROJECT_HOUR,
        AggKey::MemberHour { .. } => names::MEMBER_HOUR,
        AggKey::ProjectTotals { .. } => names::PROJECT_TOTALS,
        AggKey::MemberActivity { .. } => names::MEMBER_ACTIVITY,
        AggKey::Label { .. } => names::LABELS,
        AggKey::Pair { .. } => names::PAIRS,
        AggKey::AgreementHour { .. } => names::AGREEMENT_HOUR,
        AggKey::Cell { .. } => names::CELLS,
    }
}

/// Writes the whole flush in one transaction (atomic, so the write phases
/// of `labelpulse_engine::store::WRITE_PHASES` hold trivially), in the order
/// (aggregates, projects, members, sessions, index, tasks, archive,
/// positions; aggregates and tasks sorted by key, for the B-trees'
/// locality), and commits it with `Durability::Immediate`. On any error the
/// transaction is dropped (aborted): nothing of the flush is stored.
pub(crate) fn write_flush(db: &Database, flush: &Flush) -> Result<(), StoreError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate);
    {
        let mut t = Tables::open(&txn)?;
        for (key, row) in by_key(&flush.aggregates) {
            t.aggregate(key, row.version, &row.value)?;
        }
        for (project, row) in &flush.projects {
            let bytes = encode(names::PROJECTS, row.version, &row.value)?;
            t.projects.insert(project.as_str(), bytes.as_slice())?;
        }
        for (member, row) in &flush.members {
            let bytes = encode(names::MEMBERS, row.version, &row.value)?;
            t.members.insert(member.as_str(), bytes.as_slice())?;
        }
        for ((project, member), row) in &flush.sessions {
            let bytes = encode(names::SESSIONS, row.version, &row.value)?;
            t.sessions
                .insert((project.as_str(), member.as_str()), bytes.as_slice())?;
        }
        for ((project, kind, id), task) in &flush.index {
            t.index.insert(
                (
                    project.as_str(),
                    tables::index_kind_code(*kind),
                    id.as_str(),
                ),
                task.as_str(),
            )?;
        }
        for ((project, task), row) in by_key(&flush.tasks) {
            let bytes = encode(names::TASKS, row.version, &row.value)?;
            t.tasks
                .insert((project.as_str(), task.as_str()), bytes.as_slice())?;
        }
        // Embedded mode has one partition: the archive is keyed by sequence.
        for (_, sequence, raw) in &flush.archive {
            t.archive.insert(*sequence, raw.as_slice())?;
        }
        // A light flush's positions are its mark, not durable positions
        // (the engine makes none over this store: it keeps no marks).
        if flush.writes(FlushTable::Positions) {
            t.positions(&flush.positions)?;
        }
    }
    txn.commit()?;
    Ok(())
}
