//! Request inputs: query parameters and path ids, with every failure
//! answered in the JSON error shape (axum's own rejections included).
//!
//! Unknown query parameters are ignored; known ones are parsed here into
//! the [`QueryRange`], [`Granularity`] and [`Format`] the routes use.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::ApiError;
use crate::range::{Granularity, QueryRange};
use crate::views::agreement::{DEFAULT_MATRIX_LIMIT, MAX_MATRIX_LIMIT};

/// The most series buckets one answer may hold (about 416 days by hour).
pub const MAX_SERIES_BUCKETS: i64 = 10_000;

/// Query parameters of the dashboard routes. All optional; which ones a
/// route reads is up to the route (and documented in `openapi.json`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DashboardQuery {
    /// Range start: RFC 3339 instant or `YYYY-MM-DD` (local midnight).
    pub from: Option<String>,
    /// Range end: RFC 3339 instant (exclusive) or `YYYY-MM-DD` (inclusive).
    pub to: Option<String>,
    /// IANA time zone, default UTC.
    pub tz: Option<String>,
    /// `hour|day|week|month`, default `day`.
    pub granularity: Option<String>,
    /// `json|csv`, default `json`.
    pub format: Option<String>,
    /// Performance: only projects of this workspace.
    pub workspace: Option<String>,
    /// Performance: only this project.
    pub project: Option<String>,
    /// Members: the most participants the agreement matrix shows.
    pub matrix_limit: Option<String>,
}

impl DashboardQuery {
    /// The resolved range (`from`, `to`, `tz`), defaults relative to `now`.
    pub fn range(&self, now: DateTime<Utc>) -> Result<QueryRange, ApiError> {
        QueryRange::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.tz.as_deref(),
            now,
        )
    }

    /// The granularity (default day), refused when the range would need
    /// more than [`MAX_SERIES_BUCKETS`] buckets.
    pub fn granularity(&self, range: &QueryRange) -> Result<Granularity, ApiError> {
        let granularity = match self.granularity.as_deref() {
            None => Granularity::Day,
            Some(text) => Granularity::parse(text)?,
        };
        let hours_per_bucket = match granularity {
            Granularity::Hour => 1,
            Granularity::Day => 23,
            Granularity::Week => 167,
            Granularity::Month => 671,
        };
        let span = range.hours.end.saturating_sub(range.hours.start);
        if span / hours_per_bucket > MAX_SERIES_BUCKETS {
            return Err(ApiError::bad_parameter(
                "granularity",
                format!(
                    "`{}` over this range gives more than {MAX_SERIES_BUCKETS} buckets; choose a coarser one",
                    granularity.as_str()
                ),
            ));
        }
        Ok(granularity)
    }

    /// The answer format (default JSON).
    pub fn format(&self) -> Result<Format, ApiError> {
        Format::parse(self.format.as_deref())
    }
}

/// Parses `matrix_limit`: a whole number in `1..=MAX_MATRIX_LIMIT`,
/// default [`DEFAULT_MATRIX_LIMIT`].
pub fn matrix_limit(text: Option<&str>) -> Result<usize, ApiError> {
    let Some(text) = text else {
        return Ok(DEFAULT_MATRIX_LIMIT);
    };
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_MATRIX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_parameter(
            "matrix_limit",
            format!("`{text}` is not a whole number from 1 to {MAX_MATRIX_LIMIT}"),
        )),
    }
}

/// How a dashboard is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `text/csv`.
    Csv,
}

impl Format {
    /// Parses `json|csv`; absent means JSON.
    pub fn parse(text: Option<&str>) -> Result<Self, ApiError> {
        match text {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(ApiError::bad_parameter(
                "format",
                format!("`{other}` is not one of json, csv"),
            )),
        }
    }
}

/// `Query<T>` whose rejection is an [`ApiError`] (400, `bad_query`).
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                rejection.body_text(),
            )),
        }
    }
}

/// `Path<T>` whose rejection is an [`ApiError`] (400, `bad_path`).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_path",
                rejection.body_text(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn format_defaults_to_json_and_names_itself_when_bad() {
        assert_eq!(Format::parse(None).unwrap(), Format::Json);
        assert_eq!(Format::parse(Some("csv")).unwrap(), Format::Csv);
        assert_eq!(
            Format::parse(Some("xml")).unwrap_err().parameter(),
            Some("format")
        );
    }

    #[test]
    fn granularity_defaults_to_day_and_is_bounded() {
        let query = DashboardQuery::default();
        let range = query.range(now()).unwrap();
        assert_eq!(query.granularity(&range).unwrap(), Granularity::Day);
        let long = DashboardQuery {
            from: Some("2020-01-01".into()),
            to: Some("2026-01-01".into()),
            granularity: Some("hour".into()),
            ..DashboardQuery::default()
        };
        let range = long.range(now()).unwrap();
        assert_eq!(
            long.granularity(&range).unwrap_err().parameter(),
            Some("granularity")
        );
        let daily = DashboardQuery {
            granularity: Some("day".into()),
            ..long
        };
        assert_eq!(daily.granularity(&range).unwrap(), Granularity::Day);
    }
}
