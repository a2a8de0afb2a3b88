//! Reading: [`Snapshot`] (one redb read transaction, blocking) and the
//! async [`ReadStore`] over [`EmbeddedStore`], which runs each read in
//! `tokio::task::spawn_blocking`.
//!
//! Every dashboard read is a range scan over keys that start with the
//! project (or the member) and the hour, so its cost is the rows returned.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use labelpulse_core::aggregate::{
    ActivityRow, AggKey, AggRow, AgreementRow, CellKind, CellRow, HourRow, LabelRow, PairRow,
    TotalsRow,
};
use labelpulse_core::member::MemberState;
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::read::{CellAddress, ProjectRecord, ReadStore};
use labelpulse_core::task::TaskState;
use labelpulse_core::time::Hour;
use labelpulse_engine::entity::{IndexKey, SessionState};
use labelpulse_engine::memory::MemoryContents;
use labelpulse_engine::store::{SessionKey, TaskKey};
use labelpulse_engine::Versioned;
use redb::{Database, ReadTransaction, ReadableTable};
use serde::de::DeserializeOwned;

use crate::codec::{decode, decode_plain};
use crate::error::StoreError;
use crate::store::EmbeddedStore;
use crate::tables::{self, names, BytesTable};

/// A consistent, read-only view of the store: every read through one
/// snapshot sees the same committed transaction.
pub struct Snapshot {
    txn: ReadTransaction,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").finish_non_exhaustive()
    }
}

/// A capacity hint for an hour range, bounded so a huge range does not
/// allocate up front.
fn hours_hint(hours: &Range<Hour>) -> usize {
    usize::try_from(hours.end.saturating_sub(hours.start)).map_or(0, |n| n.min(4096))
}

fn aggregate<T>(row: Option<Versioned<T>>, wrap: fn(T) -> AggRow) -> Option<Versioned<AggRow>> {
    row.map(|row| Versioned {
        version: row.version,
        value: wrap(row.value),
    })
}

impl Snapshot {
    /// Begins a read transaction on `db`.
    pub fn new(db: &Database) -> Result<Self, StoreError> {
        Ok(Snapshot {
            txn: db.begin_read()?,
        })
    }

    /// Point read of one versioned value.
    fn get<'k, K, T>(
        &self,
        table: BytesTable<K>,
        name: &'static str,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<Versioned<T>>, StoreError>
    where
        K: redb::Key + 'static,
        T: DeserializeOwned,
    {
        let table = self.txn.open_table(table)?;
        match table.get(key)? {
            Some(bytes) => Ok(Some(decode(name, bytes.value())?)),
            None => Ok(None),
        }
    }

    /// The rows of `table` from key `start` on while `within` holds for
    /// their keys (a prefix scan: keys sort by project first), each value
    /// decoded and turned into an item by `item`; `expected` rows are
    /// allocated for up front.
    fn scan<'k, K, T, X>(
        &self,
        (table, name): (BytesTable<K>, &'static str),
        (start, expected): (K::SelfType<'k>, usize),
        within: impl for<'a> Fn(&K::SelfType<'a>) -> bool,
        mut item: impl for<'a> FnMut(K::SelfType<'a>, T) -> X,
    ) -> Result<Vec<X>, StoreError>
    where
        K: redb::Key + 'static,
        T: DeserializeOwned,
    {
        let table = self.txn.open_table(table)?;
        let mut out = Vec::with_capacity(expected);
        for entry in table.range(start..)? {
            let (key, value) = entry?;
            let key = key.value();
            if !within(&key) {
                break;
            }
            let row: Versioned<T> = decode(name, value.value())?;
            out.push(item(key, row.value));
        }
        Ok(out)
    }

    // ----- the engine's point reads (Store) -----

    /// A task's state.
    pub fn task(
        &self,
        (project, task): &TaskKey,
    ) -> Result<Option<Versioned<TaskState>>, StoreError> {
        self.get(
            tables::TASKS,
            names::TASKS,
            (project.as_str(), task.as_str()),
        )
    }

    /// Every task of a project, sorted by task id.
    pub fn project_tasks(
        &self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, StoreError> {
        let table = self.txn.open_table(tables::TASKS)?;
        let mut out = Vec::new();
        for entry in table.range((project, "")..)? {
            let (key, value) = entry?;
            let (p, task) = key.value();
            if p != project {
                break;
            }
            out.push((
                (p.to_string(), task.to_string()),
                decode(names::TASKS, value.value())?,
            ));
        }
        Ok(out)
    }

    /// A session's state.
    pub fn session(
        &self,
        (project, member): &SessionKey,
    ) -> Result<Option<Versioned<SessionState>>, StoreError> {
        self.get(
            tables::SESSIONS,
            names::SESSIONS,
            (project.as_str(), member.as_str()),
        )
    }

    /// A project's settings with their version.
    pub fn project_config(
        &self,
        project: &str,
    ) -> Result<Option<Versioned<ProjectConfig>>, StoreError> {
        self.get(tables::PROJECTS, names::PROJECTS, project)
    }

    /// A member with its version.
    pub fn member_versioned(
        &self,
        member: &str,
    ) -> Result<Option<Versioned<MemberState>>, StoreError> {
        self.get(tables::MEMBERS, names::MEMBERS, member)
    }

    /// The task an annotation, prediction or review id belongs to.
    pub fn index(&self, (project, kind, id): &IndexKey) -> Result<Option<String>, StoreError> {
        let table = self.txn.open_table(tables::INDEX)?;
        let key = (
            project.as_str(),
            tables::index_kind_code(*kind),
            id.as_str(),
        );
        Ok(table.get(key)?.map(|task| task.value().to_string()))
    }

    /// One aggregate row, from the table its key maps to.
    pub fn aggregate(&self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, StoreError> {
        Ok(match key {
            AggKey::ProjectHour { project, hour } => aggregate(
                self.get(
                    tables::PROJECT_HOUR,
                    names::PROJECT_HOUR,
                    (project.as_str(), *hour),
                )?,
                AggRow::Hour,
            ),
            AggKey::MemberHour {
                project,
                member,
                hour,
            } => aggregate(
                self.get(
                    tables::MEMBER_HOUR_BY_PROJECT,
                    names::MEMBER_HOUR,
                    (project.as_str(), *hour, member.as_str()),
                )?,
                AggRow::Hour,
            ),
            AggKey::ProjectTotals { project } => aggregate(
                self.get(
                    tables::PROJECT_TOTALS,
                    names::PROJECT_TOTALS,
                    project.as_str(),
                )?,
                AggRow::Totals,
            ),
            AggKey::MemberActivity { project, member } => aggregate(
                self.get(
                    tables::MEMBER_ACTIVITY,
                    names::MEMBER_ACTIVITY,
                    (project.as_str(), member.as_str()),
                )?,
                AggRow::Activity,
            ),
            AggKey::Label {
                project,
                dimension,
                label,
            } => aggregate(
                self.get(
                    tables::LABELS,
                    names::LABELS,
                    (project.as_str(), dimension.as_str(), label.as_str()),
                )?,
                AggRow::Label,
            ),
            AggKey::Pair {
                project,
                dimension,
                a,
                b,
            } => aggregate(
                self.get(
                    tables::PAIRS,
                    names::PAIRS,
                    (project.as_str(), dimension.as_str(), a.as_str(), b.as_str()),
                )?,
                AggRow::Pair,
            ),
            AggKey::AgreementHour {
                project,
                dimension,
                scope,
                hour,
            } => aggregate(
                self.get(
                    tables::AGREEMENT_HOUR,
                    names::AGREEMENT_HOUR,
                    (project.as_str(), scope.code(), dimension.as_str(), *hour),
                )?,
                AggRow::Agreement,
            ),
            AggKey::Cell {
                project,
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
            } => aggregate(
                self.get(
                    tables::CELLS,
                    names::CELLS,
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
                )?,
                AggRow::Cell,
            ),
        })
    }

    /// The positions of the last committed flush (empty for a new store).
    pub fn positions(&self) -> Result<BTreeMap<u32, u64>, StoreError> {
        let table = self.txn.open_table(tables::META)?;
        match table.get(tables::META_POSITIONS)? {
            Some(bytes) => Ok(decode_plain(names::META, bytes.value())?),
            None => Ok(BTreeMap::new()),
        }
    }

    // ----- the query side (ReadStore) -----

    /// Every project that has settings or totals, sorted by id.
    pub fn projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        let mut configs = Vec::new();
        let projects = self.txn.open_table(tables::PROJECTS)?;
        for entry in projects.iter()? {
            let (key, value) = entry?;
            let config: Versioned<ProjectConfig> = decode(names::PROJECTS, value.value())?;
            configs.push((key.value().to_string(), config.value));
        }
        let mut totals = Vec::new();
        let table = self.txn.open_table(tables::PROJECT_TOTALS)?;
        for entry in table.iter()? {
            let (key, value) = entry?;
            let row: Versioned<TotalsRow> = decode(names::PROJECT_TOTALS, value.value())?;
            totals.push((key.value().to_string(), row.value));
        }
        Ok(ProjectRecord::join(configs, totals))
    }

    /// One project, if it has settings or totals.
    pub fn project(&self, project: &str) -> Result<Option<ProjectRecord>, StoreError> {
        let config: Option<Versioned<ProjectConfig>> =
            self.get(tables::PROJECTS, names::PROJECTS, project)?;
        let totals: Option<Versioned<TotalsRow>> =
            self.get(tables::PROJECT_TOTALS, names::PROJECT_TOTALS, project)?;
        Ok(ProjectRecord::from_parts(
            project.to_string(),
            config.map(|c| c.value),
            totals.map(|t| t.value),
        ))
    }

    /// The project's hour rows in `[hours.start, hours.end)`, sorted by hour.
    pub fn project_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(Hour, HourRow)>, StoreError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        self.scan(
            (tables::PROJECT_HOUR, names::PROJECT_HOUR),
            ((project, hours.start), hours_hint(&hours)),
            |&(p, hour)| p == project && hour < hours.end,
            |(_, hour), row: HourRow| (hour, row),
        )
    }

    /// Every member's hour rows of the project in the range:
    /// `(member, hour, row)`, sorted by hour, then member.
    pub fn project_member_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, StoreError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        self.scan(
            (tables::MEMBER_HOUR_BY_PROJECT, names::MEMBER_HOUR),
            ((project, hours.start, ""), hours_hint(&hours)),
            |&(p, hour, _)| p == project && hour < hours.end,
            |(_, hour, member), row: HourRow| (member.to_string(), hour, row),
        )
    }

    /// One member's hour rows across projects: `(project, hour, row)`,
    /// sorted by hour, then project.
    pub fn member_hours(
        &self,
        member: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, StoreError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        self.scan(
            (tables::MEMBER_HOUR_BY_MEMBER, names::MEMBER_HOUR),
            ((member, hours.start, ""), hours_hint(&hours)),
            |&(m, hour, _)| m == member && hour < hours.end,
            |(_, hour, project), row: HourRow| (project.to_string(), hour, row),
        )
    }

    /// Task-agreement rows of one dimension (`""` = overall) and scope, sorted by hour.
    pub fn agreement_hours(
        &self,
        project: &str,
        dimension: &str,
        scope: AgreementScope,
        hours: Range<Hour>,
    ) -> Result<Vec<(Hour, AgreementRow)>, StoreError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        let code = scope.code();
        self.scan(
            (tables::AGREEMENT_HOUR, names::AGREEMENT_HOUR),
            ((project, code, dimension, hours.start), hours_hint(&hours)),
            |&(p, c, d, hour)| p == project && c == code && d == dimension && hour < hours.end,
            |(_, _, _, hour), row: AgreementRow| (hour, row),
        )
    }

    /// Every task-agreement row of a scope: `(dimension, hour, row)`, sorted.
    pub fn agreement_rows(
        &self,
        project: &str,
        scope: AgreementScope,
    ) -> Result<Vec<(String, Hour, AgreementRow)>, StoreError> {
        let code = scope.code();
        self.scan(
            (tables::AGREEMENT_HOUR, names::AGREEMENT_HOUR),
            ((project, code, "", Hour::MIN), 0),
            |&(p, c, _, _)| p == project && c == code,
            |(_, _, dimension, hour), row: AgreementRow| (dimension.to_string(), hour, row),
        )
    }

    /// The project's non-zero sufficient-statistics cells of the given
    /// kinds, sorted by address.
    pub fn agreement_cells(
        &self,
        project: &str,
        kinds: &[CellKind],
        dimension: Option<&str>,
    ) -> Result<Vec<(CellAddress, i64)>, StoreError> {
        let table = self.txn.open_table(tables::CELLS)?;
        let mut out = Vec::new();
        let mut codes: Vec<u8> = kinds.iter().map(|k| tables::cell_kind_code(*k)).collect();
        codes.sort_unstable();
        codes.dedup();
        for wanted in codes {
            self.cells_of_kind(&table, project, wanted, dimension, &mut out)?;
        }
        out.sort_by(|x, y| x.0.cmp(&y.0));
        Ok(out)
    }

    fn cells_of_kind(
        &self,
        table: &redb::ReadOnlyTable<tables::CellKey, &'static [u8]>,
        project: &str,
        wanted: u8,
        only: Option<&str>,
        out: &mut Vec<(CellAddress, i64)>,
    ) -> Result<(), StoreError> {
        let first = only.unwrap_or("");
        for entry in table.range((project, wanted, first, "", "", 0u32, "", "")..)? {
            let (key, value) = entry?;
            let (p, code, dimension, a, b, m, c, k) = key.value();
            if p != project || code != wanted || only.is_some_and(|d| d != dimension) {
                break;
            }
            let kind = tables::cell_kind_from_code(code).ok_or(StoreError::BadKey {
                table: names::CELLS,
            })?;
            let row: Versioned<CellRow> = decode(names::CELLS, value.value())?;
            if row.value.count != 0 {
                out.push((
                    CellAddress {
                        dimension: dimension.to_string(),
                        kind,
                        m,
                        a: a.to_string(),
                        b: b.to_string(),
                        c: c.to_string(),
                        k: k.to_string(),
                    },
                    row.value.count,
                ));
            }
        }
        Ok(())
    }

    /// Label occurrences of the project: `(dimension, label, row)`, sorted.
    pub fn labels(&self, project: &str) -> Result<Vec<(String, String, LabelRow)>, StoreError> {
        self.scan(
            (tables::LABELS, names::LABELS),
            ((project, "", ""), 0),
            |&(p, _, _)| p == project,
            |(_, dimension, label), row: LabelRow| (dimension.to_string(), label.to_string(), row),
        )
    }

    /// Pair rows of one dimension: `(a, b, row)`, sorted.
    pub fn pairs(
        &self,
        project: &str,
        dimension: &str,
    ) -> Result<Vec<(String, String, PairRow)>, StoreError> {
        self.scan(
            (tables::PAIRS, names::PAIRS),
            ((project, dimension, "", ""), 0),
            |&(p, d, _, _)| p == project && d == dimension,
            |(_, _, a, b), row: PairRow| (a.to_string(), b.to_string(), row),
        )
    }

    /// The pair rows of one dimension between participants of `among`
    /// (one point read per pair), sorted by `(a, b)`.
    pub fn pairs_among(
        &self,
        project: &str,
        dimension: &str,
        among: &[String],
    ) -> Result<Vec<(String, String, PairRow)>, StoreError> {
        let table = self.txn.open_table(tables::PAIRS)?;
        let mut ids: Vec<&str> = among.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        // A pair is stored once, under its first participant in canonical
        // order: one range scan per participant finds every pair it leads
        // (its few actual partners, not every possible pair), kept when the
        // partner is asked for too.
        let mut out = Vec::new();
        for a in &ids {
            for entry in table.range((project, dimension, *a, "")..)? {
                let (key, value) = entry?;
                let (p, d, first, b) = key.value();
                if p != project || d != dimension || first != *a {
                    break;
                }
                if ids.binary_search(&b).is_ok() {
                    let row: Versioned<PairRow> = decode(names::PAIRS, value.value())?;
                    out.push((a.to_string(), b.to_string(), row.value));
                }
            }
        }
        out.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
        Ok(out)
    }

    /// Last activity of every member in the project, sorted by member.
    pub fn activity(&self, project: &str) -> Result<Vec<(String, ActivityRow)>, StoreError> {
        self.scan(
            (tables::MEMBER_ACTIVITY, names::MEMBER_ACTIVITY),
            ((project, ""), 0),
            |&(p, _)| p == project,
            |(_, member), row: ActivityRow| (member.to_string(), row),
        )
    }

    /// A member, if ever upserted.
    pub fn member(&self, member: &str) -> Result<Option<MemberState>, StoreError> {
        Ok(self.member_versioned(member)?.map(|m| m.value))
    }

    /// Up to `limit` archived raw events with sequence `>= from`, in order.
    pub fn archive(&self, from: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let table = self.txn.open_table(tables::ARCHIVE)?;
        let mut out = Vec::new();
        for entry in table.range(from..)?.take(limit) {
            let (key, value) = entry?;
            out.push((key.value(), value.value().to_vec()));
        }
        Ok(out)
    }

    /// Everything stored, in the memory store's shape (for tests, audits and
    /// comparisons). Reads every table: not for serving requests. Also
    /// checks that both member-hour tables hold the same rows.
    pub fn contents(&self) -> Result<MemoryContents, StoreError> {
        let mut c = MemoryContents::default();
        macro_rules! scan {
            ($table:expr, |$key:ident, $bytes:ident| $body:expr) => {
                for entry in self.txn.open_table($table)?.iter()? {
                    let (k, v) = entry?;
                    let $key = k.value();
                    let $bytes = v.value();
                    $body;
                }
            };
        }
        fn put<T: DeserializeOwned>(
            c: &mut MemoryContents,
            name: &'static str,
            key: AggKey,
            bytes: &[u8],
            wrap: fn(T) -> AggRow,
        ) -> Result<(), StoreError> {
            let row: Versioned<T> = decode(name, bytes)?;
            c.aggregates.insert(
                key,
                Versioned {
                    version: row.version,
                    value: wrap(row.value),
                },
            );
            Ok(())
        }
        scan!(tables::PROJECT_HOUR, |k, b| put(
            &mut c,
            names::PROJECT_HOUR,
            AggKey::ProjectHour {
                project: k.0.to_string(),
                hour: k.1
            },
            b,
            AggRow::Hour
        )?);
        scan!(tables::MEMBER_HOUR_BY_PROJECT, |k, b| put(
            &mut c,
            names::MEMBER_HOUR,
            AggKey::MemberHour {
                project: k.0.to_string(),
                member: k.2.to_string(),
                hour: k.1
            },
            b,
            AggRow::Hour
        )?);
        let mut by_member = 0usize;
        scan!(tables::MEMBER_HOUR_BY_MEMBER, |k, b| {
            by_member += 1;
            let key = AggKey::MemberHour {
                project: k.2.to_string(),
                member: k.0.to_string(),
                hour: k.1,
            };
            let row: Versioned<HourRow> = decode(names::MEMBER_HOUR, b)?;
            let same = matches!(c.aggregates.get(&key), Some(Versioned { version, value: AggRow::Hour(other) })
                if *version == row.version && *other == row.value);
            if !same {
                return Err(StoreError::Inconsistent(
                    "member-first row without its project-first twin",
                ));
            }
        });
        let by_project = c
            .aggregates
            .keys()
            .filter(|k| matches!(k, AggKey::MemberHour { .. }))
            .count();
        if by_member != by_project {
            return Err(StoreError::Inconsistent(
                "member-hour tables differ in size",
            ));
        }
        scan!(tables::PROJECT_TOTALS, |k, b| put(
            &mut c,
            names::PROJECT_TOTALS,
            AggKey::ProjectTotals {
                project: k.to_string()
            },
            b,
            AggRow::Totals
        )?);
        scan!(tables::MEMBER_ACTIVITY, |k, b| put(
            &mut c,
            names::MEMBER_ACTIVITY,
            AggKey::MemberActivity {
                project: k.0.to_string(),
                member: k.1.to_string()
            },
            b,
            AggRow::Activity
        )?);
        scan!(tables::LABELS, |k, b| put(
            &mut c,
            names::LABELS,
            AggKey::Label {
                project: k.0.to_string(),
                dimension: k.1.to_string(),
                label: k.2.to_string()
            },
            b,
            AggRow::Label
        )?);
        scan!(tables::PAIRS, |k, b| put(
            &mut c,
            names::PAIRS,
            AggKey::Pair {
                project: k.0.to_string(),
                dimension: k.1.to_string(),
                a: k.2.to_string(),
                b: k.3.to_string()
            },
            b,
            AggRow::Pair
        )?);
        for entry in self.txn.open_table(tables::AGREEMENT_HOUR)?.iter()? {
            let (k, v) = entry?;
            let (project, code, dimension, hour) = k.value();
            let scope = AgreementScope::from_code(code).ok_or(StoreError::BadKey {
                table: names::AGREEMENT_HOUR,
            })?;
            let key = AggKey::AgreementHour {
                project: project.to_string(),
                dimension: dimension.to_string(),
                scope,
                hour,
            };
            put(
                &mut c,
                names::AGREEMENT_HOUR,
                key,
                v.value(),
                AggRow::Agreement,
            )?;
        }
        for entry in self.txn.open_table(tables::CELLS)?.iter()? {
            let (k, v) = entry?;
            let (project, code, dimension, a, b, m, cat_c, cat_k) = k.value();
            let kind = tables::cell_kind_from_code(code).ok_or(StoreError::BadKey {
                table: names::CELLS,
            })?;
            let key = AggKey::Cell {
                project: project.to_string(),
                dimension: dimension.to_string(),
                kind,
                m,
                a: a.to_string(),
                b: b.to_string(),
                c: cat_c.to_string(),
                k: cat_k.to_string(),
            };
            put(&mut c, names::CELLS, key, v.value(), AggRow::Cell)?;
        }
        scan!(tables::TASKS, |k, b| {
            c.tasks
                .insert((k.0.to_string(), k.1.to_string()), decode(names::TASKS, b)?);
        });
        scan!(tables::SESSIONS, |k, b| {
            c.sessions.insert(
                (k.0.to_string(), k.1.to_string()),
                decode(names::SESSIONS, b)?,
            );
        });
        scan!(tables::PROJECTS, |k, b| {
            c.projects
                .insert(k.to_string(), decode(names::PROJECTS, b)?);
        });
        scan!(tables::MEMBERS, |k, b| {
            c.members.insert(k.to_string(), decode(names::MEMBERS, b)?);
        });
        for entry in self.txn.open_table(tables::INDEX)?.iter()? {
            let (k, v) = entry?;
            let (project, code, id) = k.value();
            let kind =
                tables::index_kind_from_code(code).ok_or(StoreError::BadKey { table: "index" })?;
            c.index.insert(
                (project.to_string(), kind, id.to_string()),
                v.value().to_string(),
            );
        }
        for entry in self.txn.open_table(tables::ARCHIVE)?.iter()? {
            let (k, v) = entry?;
            c.archive
                .insert((crate::node::PARTITION, k.value()), v.value().to_vec());
        }
        c.positions = self.positions()?;
        Ok(c)
    }
}

impl EmbeddedStore {
    /// Runs `read` on a fresh snapshot in tokio's blocking pool.
    async fn blocking<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Snapshot) -> Result<T, StoreError> + Send + 'static,
    {
        let db: Arc<Database> = Arc::clone(self.database());
        tokio::task::spawn_blocking(move || read(&Snapshot::new(&db)?)).await?
    }
}

/// The async read side. Each call is one snapshot, run in
/// `spawn_blocking`, so the async runtime never waits on disk.
impl ReadStore for EmbeddedStore {
    type Error = StoreError;

    async fn projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        self.blocking(|s| s.projects()).await
    }

    async fn project(&self, project: &str) -> Result<Option<ProjectRecord>, StoreError> {
        let project = project.to_string();
        self.blocking(move |s| s.project(&project)).await
    }

    async fn project_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(Hour, HourRow)>, StoreError> {
        let project = project.to_string();
        self.blocking(move |s| s.project_hours(&project, hours))
            .await
    }

    async fn project_member_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, StoreError> {
        let project = project.to_string();
        self.blocking(move |s| s.project_member_hours(&project, hours))
            .await
    }

    async fn member_hours(
        &self,
        member: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, StoreError> {
        let member = member.to_string();
        self.blocking(move |s| s.member_hours(&member, hours)).await
    }

    async fn agreement_hours(
        &self,
        project: &str,
        dimension: &str,
        scope: AgreementScope,
        hours: Range<Hour>,
    ) -> Result<Vec<(Hour, AgreementRow)>, StoreError> {
        let (project, dimension) = (project.to_string(), dimension.to_string());
        self.blocking(move |s| s.agreement_hours(&project, &dimension, scope, hours))
            .await
    }

    async fn agreement_rows(
        &self,
        project: &str,
        scope: AgreementScope,
    ) -> Result<Vec<(String, Hour, AgreementRow)>, StoreError> {
        let project = project.to_string();
        self.blocking(move |s| s.agreement_rows(&project, scope))
            .await
    }

    async fn agreement_cells(
        &self,
        project: &str,
        kinds: &[CellKind],
        dimension: Option<&str>,
    ) -> Result<Vec<(CellAddress, i64)>, StoreError> {
        let (project, kinds) = (project.to_string(), kinds.to_vec());
        let dimension = dimension.map(str::to_string);
        self.blocking(move |s| s.agreement_cells(&project, &kinds, dimension.as_deref()))
            .await
    }

    async fn labels(&self, project: &str) -> Result<Vec<(String, String, LabelRow)>, StoreError> {
        let project = project.to_string();
        self.blocking(move |s| s.labels(&project)).await
    }

    async fn pairs(
        &self,
        project: &str,
        dimension: &str,
    ) -> Result<Vec<(String, String, PairRow)>, StoreError> {
        let (project, dimension) = (project.to_string(), dimension.to_string());
        self.blocking(move |s| s.pairs(&project, &dimension)).await
    }

    async fn pairs_among(
        &self,
        project: &str,
        dimension: &str,
        among: &[String],
    ) -> Result<Vec<(String, String, PairRow)>, StoreError> {
        let (project, dimension, among) =
            (project.to_string(), dimension.to_string(), among.to_vec());
        self.blocking(move |s| s.pairs_among(&project, &dimension, &among))
            .await
    }

    async fn activity(&self, project: &str) -> Result<Vec<(String, ActivityRow)>, StoreError> {
        let project = project.to_string();
        self.blocking(move |s| s.activity(&project)).await
    }

    async fn member(&self, member: &str) -> Result<Option<MemberState>, StoreError> {
        let member = member.to_string();
        self.blocking(move |s| s.member(&member)).await
    }

    async fn ready(&self) -> bool {
        self.blocking(|s| s.positions().map(|_| ())).await.is_ok()
    }
}
