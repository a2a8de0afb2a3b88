//! The Project dashboard: computed from stored rows, independent of how it
//! is served (JSON today, HTML pages later).

use labelpulse_core::aggregate::{AgreementRow, HourRow, LabelRow};
use labelpulse_core::event::TaskStatus;
use labelpulse_core::read::ProjectRecord;
use labelpulse_core::time::{ms_to_seconds, Hour};
use serde::Serialize;

use super::stats::{lead_time_stats, ratio, score_mean, time_stats, LeadTimeStats, TimeStats};
use crate::range::{bucket_index, Granularity, QueryRange};

/// `GET /api/v1/projects/{id}/dashboard`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectDashboard {
    /// Project id.
    pub project_id: String,
    /// Title.
    pub title: String,
    /// Workspace, when known.
    pub workspace_id: Option<String>,
    /// Range start, in the zone.
    pub from: String,
    /// Range end (exclusive), in the zone.
    pub to: String,
    /// IANA zone.
    pub tz: String,
    /// Series granularity.
    pub granularity: &'static str,
    /// Current task counts (not range-filtered).
    pub tasks: TaskCounts,
    /// Annotations completed in the range.
    pub annotations: AnnotationCounts,
    /// Latest review outcomes of annotations, by review time in the range.
    pub reviews: ReviewCounts,
    /// Lead time of the submitted annotations completed in the range.
    pub lead_time_seconds: LeadTimeStats,
    /// (Lead time + review time in the range) / tasks done in the range.
    pub time_per_task_seconds: Option<f64>,
    /// Duration of review actions completed in the range.
    pub review_time_seconds: TimeStats,
    /// Label occurrences in current annotations and predictions (not range-filtered).
    pub label_distribution: Vec<LabelCount>,
    /// Task agreement of tasks whose latest participating annotation is in the range.
    pub agreement: AgreementSummary,
    /// Per bucket of the granularity.
    pub series: Vec<ProjectSeriesPoint>,
}

/// Task counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskCounts {
    /// Tasks that exist.
    pub total: i64,
    /// Done + needs review + in review.
    pub annotated: i64,
    /// Done.
    pub done: i64,
    /// Total − done.
    pub remaining: i64,
    /// Needs review + in review.
    pub pending_review: i64,
}

/// Annotation counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotationCounts {
    /// Non-skipped annotations (each once, even when updated).
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Last action an update.
    pub updated: i64,
    /// Result items with an id.
    pub regions: i64,
}

/// Review counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewCounts {
    /// Latest review accepted.
    pub accepted: i64,
    /// Latest review fixed and accepted.
    pub fixed_and_accepted: i64,
    /// Latest review rejected.
    pub rejected: i64,
    /// The three together.
    pub reviewed: i64,
    /// (accepted + fixed and accepted) / reviewed.
    pub acceptance_score: Option<f64>,
}

/// One label-distribution entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelCount {
    /// Control tag.
    pub dimension: String,
    /// Label.
    pub label: String,
    /// Occurrences in annotations.
    pub annotations: i64,
    /// Occurrences in predictions.
    pub predictions: i64,
}

/// Agreement summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementSummary {
    /// Mean task agreement.
    pub mean: Option<f64>,
    /// Tasks with >= 2 participating annotations.
    pub tasks: i64,
    /// Tasks per decile `[0,0.1) .. [0.9,1]`.
    pub histogram: [i64; 10],
    /// Tasks below the project's agreement threshold.
    pub low_agreement_tasks: i64,
}

/// One bucket of the project series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectSeriesPoint {
    /// Bucket start, in the zone.
    pub bucket_start: String,
    /// Submitted annotations.
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Latest reviews accepted.
    pub accepted: i64,
    /// Latest reviews fixed and accepted.
    pub fixed_and_accepted: i64,
    /// Latest reviews rejected.
    pub rejected: i64,
    /// Tasks done.
    pub tasks_done: i64,
    /// Sum of lead times.
    pub lead_time_seconds: f64,
    /// Sum of review times.
    pub review_time_seconds: f64,
}

/// Everything the dashboard is computed from.
pub struct ProjectInputs<'a> {
    /// The project.
    pub project: &'a ProjectRecord,
    /// Its hour rows in the range.
    pub hours: &'a [(Hour, HourRow)],
    /// Its overall agreement rows in the range.
    pub agreement: &'a [(Hour, AgreementRow)],
    /// Its label rows.
    pub labels: &'a [(String, String, LabelRow)],
}

/// Sums hour rows of the range.
pub fn sum_hours<'a>(rows: impl IntoIterator<Item = &'a HourRow>) -> HourRow {
    let mut total = HourRow::default();
    for row in rows {
        total.merge(row);
    }
    total
}

/// The task counts of a snapshot row.
pub fn task_counts(project: &ProjectRecord) -> TaskCounts {
    let totals = &project.totals;
    let done = totals.tasks_in(TaskStatus::Done);
    let pending_review =
        totals.tasks_in(TaskStatus::NeedsReview) + totals.tasks_in(TaskStatus::InReview);
    TaskCounts {
        total: totals.tasks_total(),
        annotated: done + pending_review,
        done,
        remaining: totals.tasks_total() - done,
        pending_review,
    }
}

/// Computes the Project dashboard.
pub fn project_dashboard(
    inputs: &ProjectInputs<'_>,
    range: &QueryRange,
    granularity: Granularity,
) -> ProjectDashboard {
    let in_range = |hour: &Hour| range.hours.contains(hour);
    let total = sum_hours(
        inputs
            .hours
            .iter()
            .filter(|(h, _)| in_range(h))
            .map(|(_, row)| row),
    );
    let mut agreement = AgreementRow::default();
    for (_, row) in inputs.agreement.iter().filter(|(h, _)| in_range(h)) {
        agreement.merge(row);
    }
    let buckets = range.buckets(granularity);
    let mut series: Vec<HourRow> = vec![HourRow::default(); buckets.len()];
    for (hour, row) in inputs.hours.iter().filter(|(h, _)| in_range(h)) {
        if let Some(index) = bucket_index(&buckets, *hour) {
            series[index].merge(row);
        }
    }
    let reviewed = total.accepted + total.fixed_and_accepted + total.rejected;
    let config = &inputs.project.config;
    ProjectDashboard {
        project_id: inputs.project.id.clone(),
        title: config.title.clone(),
        workspace_id: config.workspace_id.clone(),
        from: range.format(range.from),
        to: range.format(range.to),
        tz: range.tz.name().to_string(),
        granularity: granularity.as_str(),
        tasks: task_counts(inputs.project),
        annotations: AnnotationCounts {
            submitted: total.submitted,
            skipped: total.skipped,
            updated: total.updated,
            regions: total.regions,
        },
        reviews: ReviewCounts {
            accepted: total.accepted,
            fixed_and_accepted: total.fixed_and_accepted,
            rejected: total.rejected,
            reviewed,
            acceptance_score: ratio(total.accepted + total.fixed_and_accepted, reviewed),
        },
        lead_time_seconds: lead_time_stats(
            total.lead_time_ms,
            total.lead_time_count,
            &total.lead_time_sketch,
        ),
        time_per_task_seconds: ratio(total.lead_time_ms + total.review_time_ms, total.tasks_done)
            .map(|ms| ms / 1000.0),
        review_time_seconds: time_stats(
            total.review_time_ms,
            total.review_time_count,
            &total.review_time_sketch,
        ),
        label_distribution: inputs
            .labels
            .iter()
            .filter(|(_, _, row)| row.annotations != 0 || row.predictions != 0)
            .map(|(dimension, label, row)| LabelCount {
                dimension: dimension.clone(),
                label: label.clone(),
                annotations: row.annotations,
                predictions: row.predictions,
            })
            .collect(),
        agreement: AgreementSummary {
            mean: score_mean(agreement.score_sum, agreement.tasks),
            tasks: agreement.tasks,
            histogram: agreement.histogram,
            low_agreement_tasks: agreement.low,
        },
        series: buckets
            .iter()
            .zip(series)
            .map(|(bucket, row)| ProjectSeriesPoint {
                bucket_start: range.format(bucket.start),
                submitted: row.submitted,
                skipped: row.skipped,
                accepted: row.accepted,
                fixed_and_accepted: row.fixed_and_accepted,
                rejected: row.rejected,
                tasks_done: row.tasks_done,
                lead_time_seconds: ms_to_seconds(row.lead_time_ms),
                review_time_seconds: ms_to_seconds(row.review_time_ms),
            })
            .collect(),
    }
}
