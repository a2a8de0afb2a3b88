//! The Member Performance dashboard: one member across projects.

use std::collections::{BTreeMap, HashMap};

use labelpulse_core::aggregate::HourRow;
use labelpulse_core::member::MemberState;
use labelpulse_core::read::ProjectRecord;
use labelpulse_core::time::{ms_to_seconds, Hour};
use serde::Serialize;

use super::stats::{ratio, score_mean};
use crate::range::{bucket_index, Granularity, QueryRange};

/// `GET /api/v1/members/{id}/performance`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerformanceView {
    /// Member id.
    pub member_id: String,
    /// Name, when upserted.
    pub name: Option<String>,
    /// Role, when upserted.
    pub role: Option<&'static str>,
    /// Range start, in the zone.
    pub from: String,
    /// Range end (exclusive).
    pub to: String,
    /// IANA zone.
    pub tz: String,
    /// Series granularity.
    pub granularity: &'static str,
    /// Their annotations.
    pub annotations: AnnotationPerformance,
    /// The reviews they performed.
    pub reviews: ReviewPerformance,
    /// Active (idle-excluded) time from heartbeats.
    pub active_time_seconds: f64,
    /// Per bucket.
    pub series: Vec<PerformanceSeriesPoint>,
    /// Per project, sorted by project id.
    pub by_project: Vec<ProjectPerformance>,
}

/// Annotation side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotationPerformance {
    /// Submitted (non-skipped, each once).
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Last action an update.
    pub updated: i64,
    /// Sum of lead times of the submitted annotations.
    pub time_annotating_seconds: f64,
    /// Mean over every review action on their annotations.
    pub performance_score: Option<f64>,
    /// Lead time per annotation.
    pub lead_time_seconds: MeanMedian,
}

/// Mean and median.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanMedian {
    /// Mean.
    pub mean: Option<f64>,
    /// Median within 1%.
    pub median: Option<f64>,
}

/// Review side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewPerformance {
    /// Review actions performed.
    pub total: i64,
    /// ... that accepted.
    pub accepted: i64,
    /// ... that fixed and accepted.
    pub fixed_and_accepted: i64,
    /// ... that rejected.
    pub rejected: i64,
    /// Sum of review durations.
    pub time_reviewing_seconds: f64,
}

/// One bucket of the member series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerformanceSeriesPoint {
    /// Bucket start, in the zone.
    pub bucket_start: String,
    /// Submitted.
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Updated.
    pub updated: i64,
    /// Review actions performed.
    pub reviews: i64,
    /// Sum of lead times.
    pub lead_time_seconds: f64,
    /// Sum of review durations.
    pub review_time_seconds: f64,
    /// Active time.
    pub active_time_seconds: f64,
}

/// One project of the member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectPerformance {
    /// Project id.
    pub project_id: String,
    /// Title.
    pub title: Option<String>,
    /// Workspace.
    pub workspace_id: Option<String>,
    /// Submitted.
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Updated.
    pub updated: i64,
    /// Latest review accepted.
    pub accepted: i64,
    /// Latest review fixed and accepted.
    pub fixed_and_accepted: i64,
    /// Latest review rejected.
    pub rejected: i64,
    /// Acceptance score.
    pub acceptance_score: Option<f64>,
    /// Performance score.
    pub performance_score: Option<f64>,
    /// Sum of lead times.
    pub time_annotating_seconds: f64,
    /// Review actions performed.
    pub reviews: i64,
    /// Sum of review durations.
    pub time_reviewing_seconds: f64,
    /// Active time.
    pub active_time_seconds: f64,
}

/// Everything the view is computed from.
pub struct PerformanceInputs<'a> {
    /// Member id.
    pub member_id: &'a str,
    /// The member, when upserted.
    pub member: Option<&'a MemberState>,
    /// Their hour rows across projects (already filtered by workspace/project).
    pub rows: &'a [(String, Hour, HourRow)],
    /// Projects by id, for titles and workspaces.
    pub projects: &'a HashMap<String, ProjectRecord>,
}

/// Computes the Member Performance view.
pub fn performance_view(
    inputs: &PerformanceInputs<'_>,
    range: &QueryRange,
    granularity: Granularity,
) -> PerformanceView {
    let buckets = range.buckets(granularity);
    let mut series = vec![HourRow::default(); buckets.len()];
    let mut per_project: BTreeMap<&str, HourRow> = BTreeMap::new();
    let mut total = HourRow::default();
    for (project, hour, row) in inputs
        .rows
        .iter()
        .filter(|(_, h, _)| range.hours.contains(h))
    {
        total.merge(row);
        per_project.entry(project.as_str()).or_default().merge(row);
        if let Some(index) = bucket_index(&buckets, *hour) {
            series[index].merge(row);
        }
    }
    PerformanceView {
        member_id: inputs.member_id.to_string(),
        name: inputs.member.map(|m| m.name.clone()),
        role: inputs.member.map(|m| m.role.as_str()),
        from: range.format(range.from),
        to: range.format(range.to),
        tz: range.tz.name().to_string(),
        granularity: granularity.as_str(),
        annotations: AnnotationPerformance {
            submitted: total.submitted,
            skipped: total.skipped,
            updated: total.updated,
            time_annotating_seconds: ms_to_seconds(total.lead_time_ms),
            performance_score: score_mean(total.performance_sum, total.performance_count),
            lead_time_seconds: MeanMedian {
                mean: ratio(total.lead_time_ms, total.lead_time_count).map(|ms| ms / 1000.0),
                median: total.lead_time_sketch.quantile(0.5).map(|ms| ms / 1000.0),
            },
        },
        reviews: ReviewPerformance {
            total: total.reviews_performed(),
            accepted: total.reviews_accepted,
            fixed_and_accepted: total.reviews_fixed_and_accepted,
            rejected: total.reviews_rejected,
            time_reviewing_seconds: ms_to_seconds(total.review_time_ms),
        },
        active_time_seconds: ms_to_seconds(total.active_ms),
        series: buckets
            .iter()
            .zip(series)
            .map(|(bucket, row)| PerformanceSeriesPoint {
                bucket_start: range.format(bucket.start),
                submitted: row.submitted,
                skipped: row.skipped,
                updated: row.updated,
                reviews: row.reviews_performed(),
                lead_time_seconds: ms_to_seconds(row.lead_time_ms),
                review_time_seconds: ms_to_seconds(row.review_time_ms),
                active_time_seconds: ms_to_seconds(row.active_ms),
            })
            .collect(),
        by_project: per_project
            .into_iter()
            .map(|(project, row)| {
                let record = inputs.projects.get(project);
                let reviewed = row.accepted + row.fixed_and_accepted + row.rejected;
                ProjectPerformance {
                    project_id: project.to_string(),
                    title: record.map(|p| p.config.title.clone()),
                    workspace_id: record.and_then(|p| p.config.workspace_id.clone()),
                    submitted: row.submitted,
                    skipped: row.skipped,
                    updated: row.updated,
                    accepted: row.accepted,
                    fixed_and_accepted: row.fixed_and_accepted,
                    rejected: row.rejected,
                    acceptance_score: ratio(row.accepted + row.fixed_and_accepted, reviewed),
                    performance_score: score_mean(row.performance_sum, row.performance_count),
                    time_annotating_seconds: ms_to_seconds(row.lead_time_ms),
                    reviews: row.reviews_performed(),
                    time_reviewing_seconds: ms_to_seconds(row.review_time_ms),
                    active_time_seconds: ms_to_seconds(row.active_ms),
                }
            })
            .collect(),
    }
}
