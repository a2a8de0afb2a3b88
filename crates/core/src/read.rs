//! The read side: what the query service needs from a store. Implemented
//! by the embedded store and ClickHouse; the API depends only on this.
//!
//! Every method returns stored aggregate rows; the math that turns rows into
//! dashboard numbers (ratios, quantiles, time-zone buckets) happens in the
//! query service, never in the store.

use std::collections::BTreeMap;
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

impl ProjectRecord {
    /// The project `id` from what a store holds of it: `None` when it has
    /// neither settings nor totals (an unknown project), else defaults for
    /// the missing part.
    pub fn from_parts(
        id: String,
        config: Option<ProjectConfig>,
        totals: Option<TotalsRow>,
    ) -> Option<ProjectRecord> {
        if config.is_none() && totals.is_none() {
            return None;
        }
        Some(ProjectRecord {
            id,
            config: config.unwrap_or_default(),
            totals: totals.unwrap_or_default(),
        })
    }

    /// Every project that has settings or totals, sorted by id: the
    /// store's settings rows and totals rows joined by project id.
    pub fn join(
        configs: impl IntoIterator<Item = (String, ProjectConfig)>,
        totals: impl IntoIterator<Item = (String, TotalsRow)>,
    ) -> Vec<ProjectRecord> {
        let mut found: BTreeMap<String, (Option<ProjectConfig>, Option<TotalsRow>)> =
            BTreeMap::new();
        for (id, config) in configs {
            found.entry(id).or_default().0 = Some(config);
        }
        for (id, row) in totals {
            found.entry(id).or_default().1 = Some(row);
        }
        found
            .into_iter()
            .filter_map(|(id, (config, totals))| ProjectRecord::from_parts(id, config, totals))
            .collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(title: &str) -> ProjectConfig {
        ProjectConfig {
            title: title.to_string(),
            ..ProjectConfig::default()
        }
    }

    fn totals(submitted: i64) -> TotalsRow {
        TotalsRow {
            submitted,
            ..TotalsRow::default()
        }
    }

    #[test]
    fn a_project_with_neither_settings_nor_totals_is_unknown() {
        assert_eq!(ProjectRecord::from_parts("p".into(), None, None), None);
        let only_totals = ProjectRecord::from_parts("p".into(), None, Some(totals(3)));
        assert_eq!(
            only_totals,
            Some(ProjectRecord {
                id: "p".into(),
                config: ProjectConfig::default(),
                totals: totals(3),
            })
        );
    }

    #[test]
    fn settings_and_totals_join_by_project_sorted_by_id() {
        let joined = ProjectRecord::join(
            [
                ("b".to_string(), config("B")),
                ("a".to_string(), config("A")),
            ],
            [("c".to_string(), totals(7)), ("a".to_string(), totals(2))],
        );
        let expected = vec![
            ProjectRecord {
                id: "a".into(),
                config: config("A"),
                totals: totals(2),
            },
            ProjectRecord {
                id: "b".into(),
                config: config("B"),
                totals: TotalsRow::default(),
            },
            ProjectRecord {
                id: "c".into(),
                config: ProjectConfig::default(),
                totals: totals(7),
            },
        ];
        assert_eq!(joined, expected);
    }
}
