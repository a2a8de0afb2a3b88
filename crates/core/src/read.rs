//! The read side: what the query service needs from a store. Implemented
//! by the embedded store and (later) ClickHouse; the API depends only on this.
//!
//! Every method returns stored aggregate rows; the math that turns rows into
//! dashboard numbers (ratios, quantiles, time-zone buckets) happens in the
//! query service, never in the store.

use std::future::Future;
use std::ops::Range;

use crate::aggregate::{
    ActivityRow, AgreementRow, CellKind, HourRow, LabelRow, PairRow, TotalsRow,
};
use crate::member::MemberState;
use crate::participant::AgreementScope;
use crate::project::ProjectConfig;
use crate::time::Hour;

/// A project as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    /// Project id.
    pub id: String,
    /// Its settings (defaults until a `project.upserted` arrives).
    pub config: ProjectConfig,
    /// Snapshot counts.
    pub totals: TotalsRow,
}

/// Where a sufficient-statistics cell is, within a project (the fields of
/// [`crate::aggregate::AggKey::Cell`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellAddress {
    /// Control tag.
    pub dimension: String,
    /// Which statistic.
    pub kind: CellKind,
    /// Values per task (coincidences), else 0.
    pub m: u32,
    /// First participant (confusion), else empty.
    pub a: String,
    /// Second participant (confusion), else empty.
    pub b: String,
    /// First category.
    pub c: String,
    /// Second category, else empty.
    pub k: String,
}

/// Read access to the aggregates. Hour ranges are half-open `[start, end)`.
pub trait ReadStore: Send + Sync + 'static {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Every project, sorted by id.
    fn projects(&self) -> impl Future<Output = Result<Vec<ProjectRecord>, Self::Error>> + Send;

    /// One project, if known.
    fn project(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<Option<ProjectRecord>, Self::Error>> + Send;

    /// The project's hour rows in the range, sorted by hour.
    fn project_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(Hour, HourRow)>, Self::Error>> + Send;

    /// Every member's hour rows of the project in the range: `(member, hour, row)`.
    fn project_member_hours(
        &self,
        project: &str,
        hours: Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(String, Hour, HourRow)>, Self::Error>> + Send;

    /// One member's hour rows across projects: `(project, hour, row)`.
    fn member_hours(
        &self,
        member: &str,
        hours: Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(String, Hour, HourRow)>, Self::Error>> + Send;

    /// Task-agreement rows of one dimension (`""` = overall) and scope, sorted by hour.
    fn agreement_hours(
        &self,
        project: &str,
        dimension: &str,
        scope: AgreementScope,
        hours: Range<Hour>,
    ) -> impl Future<Output = Result<Vec<(Hour, AgreementRow)>, Self::Error>> + Send;

    /// Every task-agreement row of a scope, all dimensions and hours:
    /// `(dimension, hour, row)`, sorted.
    fn agreement_rows(
        &self,
        project: &str,
        scope: AgreementScope,
    ) -> impl Future<Output = Result<Vec<(String, Hour, AgreementRow)>, Self::Error>> + Send;

    /// The project's sufficient-statistics cells of the given kinds (and of
    /// one dimension, when given) with a non-zero count, sorted by address.
    fn agreement_cells(
        &self,
        project: &str,
        kinds: &[CellKind],
        dimension: Option<&str>,
    ) -> impl Future<Output = Result<Vec<(CellAddress, i64)>, Self::Error>> + Send;

    /// Label occurrences: `(dimension, label, row)`, sorted.
    fn labels(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<Vec<(String, String, LabelRow)>, Self::Error>> + Send;

    /// Pair rows of one dimension: `(a, b, row)` with `a` before `b` in
    /// [`crate::participant::canonical_order`], sorted by `(a, b)` bytes.
    fn pairs(
        &self,
        project: &str,
        dimension: &str,
    ) -> impl Future<Output = Result<Vec<(String, String, PairRow)>, Self::Error>> + Send;

    /// The pair rows of one dimension between participants of `among`
    /// (both sides in it), sorted like [`ReadStore::pairs`].
    fn pairs_among(
        &self,
        project: &str,
        dimension: &str,
        among: &[String],
    ) -> impl Future<Output = Result<Vec<(String, String, PairRow)>, Self::Error>> + Send;

    /// Last activity of every member in the project, sorted by member.
    fn activity(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<Vec<(String, ActivityRow)>, Self::Error>> + Send;

    /// A member, if ever upserted.
    fn member(
        &self,
        member: &str,
    ) -> impl Future<Output = Result<Option<MemberState>, Self::Error>> + Send;

    /// True when the store can serve reads (for `/readyz`).
    fn ready(&self) -> impl Future<Output = bool> + Send;
}
