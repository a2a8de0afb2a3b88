//! CSV exports of the dashboards: flat rows over the views, written with the
//! `csv` crate (quoting and escaping are its job). `null` is an empty cell.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;
use crate::views::members::{MemberRow, MembersView};
use crate::views::performance::PerformanceView;

/// The `Content-Type` of every CSV answer.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// One member of the Members CSV: [`MemberRow`] with nested statistics
/// flattened into `<field>_<stat>` columns.
#[derive(Debug, Serialize)]
pub struct MemberCsvRow<'a> {
    /// Member id.
    pub member_id: &'a str,
    /// Name.
    pub name: Option<&'a str>,
    /// Role.
    pub role: Option<&'a str>,
    /// Submitted.
    pub submitted: i64,
    /// Skipped.
    pub skipped: i64,
    /// Updated.
    pub updated: i64,
    /// Accepted.
    pub accepted: i64,
    /// Fixed and accepted.
    pub fixed_and_accepted: i64,
    /// Rejected.
    pub rejected: i64,
    /// Acceptance score.
    pub acceptance_score: Option<f64>,
    /// Performance score.
    pub performance_score: Option<f64>,
    /// `lead_time_seconds.total`.
    pub lead_time_seconds_total: f64,
    /// `lead_time_seconds.mean`.
    pub lead_time_seconds_mean: Option<f64>,
    /// `lead_time_seconds.median`.
    pub lead_time_seconds_median: Option<f64>,
    /// Agreement.
    pub agreement: Option<f64>,
    /// Agreement with the ground truth.
    pub gt_agreement: Option<f64>,
    /// Agreement with the models.
    pub prediction_agreement: Option<f64>,
    /// Outlier flags joined by `;`.
    pub outlier_flags: String,
    /// Reviews performed.
    pub reviews_performed: i64,
    /// `review_time_seconds.total`.
    pub review_time_seconds_total: f64,
    /// `review_time_seconds.mean`.
    pub review_time_seconds_mean: Option<f64>,
    /// `review_time_seconds.median`.
    pub review_time_seconds_median: Option<f64>,
    /// Last active.
    pub last_active: Option<&'a str>,
}

impl<'a> From<&'a MemberRow> for MemberCsvRow<'a> {
    fn from(row: &'a MemberRow) -> Self {
        MemberCsvRow {
            member_id: &row.member_id,
            name: row.name.as_deref(),
            role: row.role,
            submitted: row.submitted,
            skipped: row.skipped,
            updated: row.updated,
            accepted: row.accepted,
            fixed_and_accepted: row.fixed_and_accepted,
            rejected: row.rejected,
            acceptance_score: row.acceptance_score,
            performance_score: row.performance_score,
            lead_time_seconds_total: row.lead_time_seconds.total,
            lead_time_seconds_mean: row.lead_time_seconds.mean,
            lead_time_seconds_median: row.lead_time_seconds.median,
            agreement: row.agreement,
            gt_agreement: row.gt_agreement,
            prediction_agreement: row.prediction_agreement,
            outlier_flags: row.outlier_flags.join(";"),
            reviews_performed: row.reviews_performed,
            review_time_seconds_total: row.review_time_seconds.total,
            review_time_seconds_mean: row.review_time_seconds.mean,
            review_time_seconds_median: row.review_time_seconds.median,
            last_active: row.last_active.as_deref(),
        }
    }
}

/// The Members CSV: one row per member.
pub fn members_csv(view: &MembersView) -> Result<Vec<u8>, ApiError> {
    write_rows(view.members.iter().map(MemberCsvRow::from), MEMBER_COLUMNS)
}

/// The Member Performance CSV: one row per series bucket.
pub fn performance_csv(view: &PerformanceView) -> Result<Vec<u8>, ApiError> {
    write_rows(view.series.iter(), SERIES_COLUMNS)
}

/// Columns of the Members CSV, in the field order of [`MemberCsvRow`]
/// (written even when there is no row).
pub const MEMBER_COLUMNS: &[&str] = &[
    "member_id",
    "name",
    "role",
    "submitted",
    "skipped",
    "updated",
    "accepted",
    "fixed_and_accepted",
    "rejected",
    "acceptance_score",
    "performance_score",
    "lead_time_seconds_total",
    "lead_time_seconds_mean",
    "lead_time_seconds_median",
    "agreement",
    "gt_agreement",
    "prediction_agreement",
    "outlier_flags",
    "reviews_performed",
    "review_time_seconds_total",
    "review_time_seconds_mean",
    "review_time_seconds_median",
    "last_active",
];

/// Columns of the Member Performance CSV, in the field order of
/// [`PerformanceSeriesPoint`](crate::views::performance::PerformanceSeriesPoint).
pub const SERIES_COLUMNS: &[&str] = &[
    "bucket_start",
    "submitted",
    "skipped",
    "updated",
    "reviews",
    "lead_time_seconds",
    "review_time_seconds",
    "active_time_seconds",
];

/// Writes an explicit header, then the rows without serde's own header (so
/// an empty export still names its columns).
fn write_rows<T: Serialize>(
    rows: impl Iterator<Item = T>,
    header: &[&str],
) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(header).map_err(csv_error)?;
    for row in rows {
        writer.serialize(row).map_err(csv_error)?;
    }
    writer.into_inner().map_err(|e| csv_error(e.into_error()))
}

fn csv_error(error: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "csv", error.to_string())
}

/// A file name safe in a `Content-Disposition` header: characters other
/// than ASCII letters, digits, `.`, `-` and `_` become `_`.
pub fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A CSV download answer.
pub fn csv_response(body: Vec<u8>, file_name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", safe_file_name(file_name));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(CSV_CONTENT_TYPE));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::performance::PerformanceSeriesPoint;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(safe_file_name("members-p 1\"/x.csv"), "members-p_1__x.csv");
    }

    fn serde_header<T: Serialize>(row: T) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(row).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn declared_columns_follow_the_row_structs() {
        let row = MemberCsvRow {
            member_id: "m",
            name: None,
            role: None,
            submitted: 0,
            skipped: 0,
            updated: 0,
            accepted: 0,
            fixed_and_accepted: 0,
            rejected: 0,
            acceptance_score: None,
            performance_score: None,
            lead_time_seconds_total: 0.0,
            lead_time_seconds_mean: None,
            lead_time_seconds_median: None,
            agreement: None,
            gt_agreement: None,
            prediction_agreement: None,
            outlier_flags: String::new(),
            reviews_performed: 0,
            review_time_seconds_total: 0.0,
            review_time_seconds_mean: None,
            review_time_seconds_median: None,
            last_active: None,
        };
        assert_eq!(serde_header(row), MEMBER_COLUMNS.join(","));
        let point = PerformanceSeriesPoint {
            bucket_start: String::new(),
            submitted: 0,
            skipped: 0,
            updated: 0,
            reviews: 0,
            lead_time_seconds: 0.0,
            review_time_seconds: 0.0,
            active_time_seconds: 0.0,
        };
        assert_eq!(serde_header(point), SERIES_COLUMNS.join(","));
    }

    #[test]
    fn an_empty_export_still_has_its_header() {
        let bytes = write_rows(std::iter::empty::<MemberCsvRow<'_>>(), MEMBER_COLUMNS).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.trim_end(), MEMBER_COLUMNS.join(","));
    }
}
