//! [`ClickHouseReader`]: the query side's [`ReadStore`] over ClickHouse.
//!
//! Every read is one or two statements of [`crate::queries`] with bound
//! values, reading the latest version of each row (`FINAL`) of the
//! pre-aggregated tables: a dashboard's cost is the rows it returns. Hour
//! ranges are half-open; an empty range sends no query.

use std::ops::Range;

use clickhouse::{RowOwned, RowRead};
use labelpulse_core::aggregate::{
    ActivityRow, AgreementRow, CellKind, HourRow, LabelRow, PairRow, TotalsRow,
};
use labelpulse_core::member::MemberState;
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::read::{CellAddress, ProjectRecord, ReadStore};
use labelpulse_core::time::Hour;
use labelpulse_engine::memory::MemoryContents;
use serde::Serialize;

use crate::client::ClickHouse;
use crate::error::ClickHouseError;
use crate::load::{bind_keys, InList};
use crate::metrics::Request;
use crate::queries;
use crate::retry::RetryPolicy;
use crate::store::decode_all;
use crate::tables::{
    AgreementHourRow, CellsRow, EventArchiveRow, IdIndexRow, IngestProgressRow, LabelsRow,
    MemberActivityRow, MemberHourRow, MembersRow, PairsRow, ProjectHourRow, ProjectTotalsRow,
    ProjectsRow, SessionsRow, TasksRow,
};

/// Read access for the query service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ClickHouseReader {
    ch: ClickHouse,
}

/// One bound value of a statement.
enum Arg<'a> {
    Str(&'a str),
    Int(i64),
    UInt(u64),
    /// A list for `IN ?`.
    Strs(&'a [&'a str]),
    /// The same, owned strings.
    Strings(&'a [String]),
}

impl Serialize for Arg<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Arg::Str(s) => serializer.serialize_str(s),
            Arg::Int(i) => serializer.serialize_i64(*i),
            Arg::UInt(u) => serializer.serialize_u64(*u),
            Arg::Strs(list) => InList(list).serialize(serializer),
            Arg::Strings(list) => InList(list).serialize(serializer),
        }
    }
}

impl ClickHouseReader {
    /// A reader over `ch` (its `read` client).
    pub fn new(ch: ClickHouse) -> Self {
        ClickHouseReader { ch }
    }

    /// The clients.
    pub fn clickhouse(&self) -> &ClickHouse {
        &self.ch
    }

    async fn fetch<R: RowOwned + RowRead>(
        &self,
        what: &str,
        sql: &'static str,
        args: &[Arg<'_>],
        policy: &RetryPolicy,
    ) -> Result<Vec<R>, ClickHouseError> {
        let client = &self.ch.read;
        policy
            .run(what, || {
                let mut query = client.query(sql);
                for arg in args {
                    query = query.bind(arg);
                }
                query.fetch_all()
            })
            .await
    }

    async fn read<R: RowOwned + RowRead>(
        &self,
        what: &str,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<R>, ClickHouseError> {
        self.fetch(what, sql, args, &self.ch.policy(Request::Read))
            .await
    }

    async fn config_and_totals(
        &self,
        project: &str,
    ) -> Result<(Option<ProjectConfig>, Option<TotalsRow>), ClickHouseError> {
        let client = &self.ch.read;
        let policy = self.ch.policy(Request::Read);
        let keys = [(project,)];
        let (configs, totals) = tokio::join!(
            policy.run("read project", || bind_keys(
                client,
                queries::LOAD_PROJECTS,
                &keys
            )
            .fetch_all::<ProjectsRow>()),
            policy.run("read project totals", || bind_keys(
                client,
                queries::LOAD_TOTALS,
                &keys
            )
            .fetch_all::<ProjectTotalsRow>()),
        );
        let config = match configs?.into_iter().next() {
            Some(row) => Some(row.decode()?.1.value),
            None => None,
        };
        let totals = totals?.first().map(ProjectTotalsRow::totals);
        Ok((config, totals))
    }

    /// Up to `limit` archived events of `partition` with sequence `>= from`,
    /// in order, one copy each.
    pub async fn archive(
        &self,
        partition: u32,
        from: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Vec<u8>)>, ClickHouseError> {
        let rows: Vec<EventArchiveRow> = self
            .read(
                "read event_archive",
                queries::ARCHIVE_RANGE,
                &[
                    Arg::UInt(u64::from(partition)),
                    Arg::UInt(from),
                    Arg::UInt(limit),
                ],
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.sequence, r.event)).collect())
    }

    /// Everything stored, in the memory store's shape. Reads every table: for tests, audits and
    /// comparisons, not for serving requests. Also checks that the
    /// member-first table holds exactly the rows of `member_hour_v2`.
    pub async fn contents(&self) -> Result<MemoryContents, ClickHouseError> {
        let policy = self.ch.policy(Request::Load);
        let mut c = MemoryContents::default();
        macro_rules! scan {
            ($ty:ty, $sql:expr) => {
                self.fetch::<$ty>(concat!("scan ", stringify!($sql)), $sql, &[], &policy)
                    .await?
            };
        }
        for row in scan!(ProjectHourRow, queries::SCAN_PROJECT_HOURS) {
            let (key, value) = row.decode()?;
            c.aggregates.insert(key, value);
        }
        let by_project = scan!(MemberHourRow, queries::SCAN_MEMBER_HOURS);
        let mut by_member = scan!(MemberHourRow, queries::SCAN_MEMBER_HOURS_BY_MEMBER);
        let mut sorted = by_project.clone();
        sorted
            .sort_by(|a, b| (&a.project, a.hour, &a.member).cmp(&(&b.project, b.hour, &b.member)));
        by_member
            .sort_by(|a, b| (&a.project, a.hour, &a.member).cmp(&(&b.project, b.hour, &b.member)));
        if sorted != by_member {
            return Err(ClickHouseError::Inconsistent(format!(
                "member_hour_v2 has {} rows, member_hour_by_member_v2 {} (or they differ)",
                sorted.len(),
                by_member.len()
            )));
        }
        for row in by_project {
            let (key, value) = row.decode()?;
            c.aggregates.insert(key, value);
        }
        for row in scan!(ProjectTotalsRow, queries::ALL_TOTALS) {
            let (key, value) = row.decode();
            c.aggregates.insert(key, value);
        }
        for row in scan!(MemberActivityRow, queries::SCAN_ACTIVITY) {
            let (key, value) = row.decode();
            c.aggregates.insert(key, value);
        }
        for row in scan!(LabelsRow, queries::SCAN_LABELS) {
            let (key, value) = row.decode();
            c.aggregates.insert(key, value);
        }
        for row in scan!(PairsRow, queries::SCAN_PAIRS) {
            let (key, value) = row.decode();
            c.aggregates.insert(key, value);
        }
        for row in scan!(AgreementHourRow, queries::SCAN_AGREEMENT) {
            let (key, value) = row.decode()?;
            c.aggregates.insert(key, value);
        }
        for row in scan!(CellsRow, queries::SCAN_CELLS) {
            let (key, value) = row.decode()?;
            c.aggregates.insert(key, value);
        }
        c.tasks = decode_all(scan!(TasksRow, queries::SCAN_TASKS), TasksRow::decode)?
            .into_iter()
            .collect();
        c.sessions = decode_all(
            scan!(SessionsRow, queries::SCAN_SESSIONS),
            SessionsRow::decode,
        )?
        .into_iter()
        .collect();
        c.projects = decode_all(
            scan!(ProjectsRow, queries::ALL_PROJECTS),
            ProjectsRow::decode,
        )?
        .into_iter()
        .collect();
        c.members = decode_all(scan!(MembersRow, queries::SCAN_MEMBERS), MembersRow::decode)?
            .into_iter()
            .collect();
        c.index = decode_all(scan!(IdIndexRow, queries::SCAN_INDEX), IdIndexRow::decode)?
            .into_iter()
            .collect();
        c.archive = scan!(EventArchiveRow, queries::SCAN_ARCHIVE)
            .into_iter()
            .map(|r| ((r.partition, r.sequence), r.event))
            .collect();
        c.positions = scan!(IngestProgressRow, queries::POSITIONS)
            .into_iter()
            .map(|r| (r.partition, r.position))
            .collect();
        Ok(c)
    }
}

fn hour_rows(rows: Vec<ProjectHourRow>) -> Result<Vec<(Hour, HourRow)>, ClickHouseError> {
    rows.into_iter()
        .map(|row| Ok((row.hour, row.hour_row()?)))
        .collect()
}

impl ReadStore for ClickHouseReader {
    type Error = ClickHouseError;

    async fn projects(&self) -> Result<Vec<ProjectRecord>, ClickHouseError> {
        let (configs, totals) = tokio::join!(
            self.read::<ProjectsRow>("read projects", queries::ALL_PROJECTS, &[]),
            self.read::<ProjectTotalsRow>("read project totals", queries::ALL_TOTALS, &[]),
        );
        let configs = configs?
            .into_iter()
            .map(|row| row.decode().map(|(id, config)| (id, config.value)))
            .collect::<Result<Vec<_>, _>>()?;
        let totals = totals?.into_iter().map(|row| {
            let totals = row.totals();
            (row.project, totals)
        });
        Ok(ProjectRecord::join(configs, totals))
    }

    async fn project(&self, project: &str) -> Result<Option<ProjectRecord>, ClickHouseError> {
        let (config, totals) = self.config_and_totals(project).await?;
        Ok(ProjectRecord::from_parts(
            project.to_string(),
            config,
            totals,
        ))
    }

    async fn project_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(Hour, HourRow)>, ClickHouseError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        let rows = self
            .read(
                "read project_hour_v2",
                queries::PROJECT_HOURS,
                &[
                    Arg::Str(project),
                    Arg::Int(hours.start),
                    Arg::Int(hours.end),
                ],
            )
            .await?;
        hour_rows(rows)
    }

    async fn project_member_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, ClickHouseError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        let rows: Vec<MemberHourRow> = self
            .read(
                "read member_hour_v2",
                queries::PROJECT_MEMBER_HOURS,
                &[
                    Arg::Str(project),
                    Arg::Int(hours.start),
                    Arg::Int(hours.end),
                ],
            )
            .await?;
        rows.into_iter()
            .map(|row| {
                let value = row.hour_row()?;
                Ok((row.member, row.hour, value))
            })
            .collect()
    }

    async fn member_hours(
        &self,
        member: &str,
        hours: Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, ClickHouseError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        let rows: Vec<MemberHourRow> = self
            .read(
                "read member_hour_by_member_v2",
                queries::MEMBER_HOURS,
                &[Arg::Str(member), Arg::Int(hours.start), Arg::Int(hours.end)],
            )
            .await?;
        rows.into_iter()
            .map(|row| {
                let value = row.hour_row()?;
                Ok((row.project, row.hour, value))
            })
            .collect()
    }

    async fn agreement_hours(
        &self,
        project: &str,
        dimension: &str,
        scope: AgreementScope,
        hours: Range<Hour>,
    ) -> Result<Vec<(Hour, AgreementRow)>, ClickHouseError> {
        if hours.start >= hours.end {
            return Ok(Vec::new());
        }
        let rows: Vec<AgreementHourRow> = self
            .read(
                "read task_agreement_hour",
                queries::AGREEMENT_HOURS,
                &[
                    Arg::Str(project),
                    Arg::Str(scope.participants.as_str()),
                    Arg::Str(scope.mode.as_str()),
                    Arg::Str(dimension),
                    Arg::Int(hours.start),
                    Arg::Int(hours.end),
                ],
            )
            .await?;
        rows.into_iter()
            .map(|row| Ok((row.hour, row.agreement_row()?)))
            .collect()
    }

    async fn agreement_rows(
        &self,
        project: &str,
        scope: AgreementScope,
    ) -> Result<Vec<(String, Hour, AgreementRow)>, ClickHouseError> {
        let rows: Vec<AgreementHourRow> = self
            .read(
                "read task_agreement_hour",
                queries::AGREEMENT_ROWS,
                &[
                    Arg::Str(project),
                    Arg::Str(scope.participants.as_str()),
                    Arg::Str(scope.mode.as_str()),
                ],
            )
            .await?;
        rows.into_iter()
            .map(|row| {
                let value = row.agreement_row()?;
                Ok((row.dimension, row.hour, value))
            })
            .collect()
    }

    async fn agreement_cells(
        &self,
        project: &str,
        kinds: &[CellKind],
        dimension: Option<&str>,
    ) -> Result<Vec<(CellAddress, i64)>, ClickHouseError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let every = u64::from(dimension.is_none());
        let rows: Vec<CellsRow> = self
            .read(
                "read agreement_cells",
                queries::PROJECT_CELLS,
                &[
                    Arg::Str(project),
                    Arg::Strs(&names),
                    Arg::UInt(every),
                    Arg::Str(dimension.unwrap_or("")),
                ],
            )
            .await?;
        let mut out = rows
            .iter()
            .map(|row| Ok((row.address()?, row.count)))
            .collect::<Result<Vec<_>, ClickHouseError>>()?;
        out.sort_by(|x, y| x.0.cmp(&y.0));
        Ok(out)
    }

    async fn labels(
        &self,
        project: &str,
    ) -> Result<Vec<(String, String, LabelRow)>, ClickHouseError> {
        let rows: Vec<LabelsRow> = self
            .read("read labels", queries::PROJECT_LABELS, &[Arg::Str(project)])
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let value = row.label_row();
                (row.dimension, row.label, value)
            })
            .collect())
    }

    async fn pairs_among(
        &self,
        project: &str,
        dimension: &str,
        among: &[String],
    ) -> Result<Vec<(String, String, PairRow)>, ClickHouseError> {
        if among.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<PairsRow> = self
            .read(
                "read pairs",
                queries::PROJECT_PAIRS_AMONG,
                &[
                    Arg::Str(project),
                    Arg::Str(dimension),
                    Arg::Strings(among),
                    Arg::Strings(among),
                ],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter(|row| row.a != row.b)
            .map(|row| {
                let value = row.pair_row();
                (row.a, row.b, value)
            })
            .collect())
    }

    async fn pairs(
        &self,
        project: &str,
        dimension: &str,
    ) -> Result<Vec<(String, String, PairRow)>, ClickHouseError> {
        let rows: Vec<PairsRow> = self
            .read(
                "read pairs",
                queries::PROJECT_PAIRS,
                &[Arg::Str(project), Arg::Str(dimension)],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let value = row.pair_row();
                (row.a, row.b, value)
            })
            .collect())
    }

    async fn activity(&self, project: &str) -> Result<Vec<(String, ActivityRow)>, ClickHouseError> {
        let rows: Vec<MemberActivityRow> = self
            .read(
                "read member_activity",
                queries::PROJECT_ACTIVITY,
                &[Arg::Str(project)],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let value = row.activity();
                (row.member, value)
            })
            .collect())
    }

    async fn member(&self, member: &str) -> Result<Option<MemberState>, ClickHouseError> {
        let rows: Vec<MembersRow> = self
            .read(
                "read member",
                queries::LOAD_MEMBERS.few,
                &[Arg::Strs(&[member])],
            )
            .await?;
        match rows.into_iter().next() {
            Some(row) => Ok(Some(row.decode()?.1.value)),
            None => Ok(None),
        }
    }

    async fn ready(&self) -> bool {
        // One attempt, not counted: the answer is the readiness itself.
        let policy = RetryPolicy {
            budget: std::time::Duration::ZERO,
            ..self.ch.config.policy(Request::Read)
        };
        let client = &self.ch.read;
        policy
            .run("ping", || client.query(queries::PING).fetch_one::<u8>())
            .await
            .is_ok()
    }
}
