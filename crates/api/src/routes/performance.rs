//! `GET /api/v1/members/{id}/performance` (JSON, or the series as CSV with
//! `format=csv`) and `GET /api/v1/members/{id}/performance.csv`.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use labelpulse_core::ingest::EventSink;
use labelpulse_core::read::{ProjectRecord, ReadStore};
use labelpulse_core::time::Hour;

use super::store_error;
use crate::app::AppState;
use crate::csv::{csv_response, performance_csv as render_csv};
use crate::error::ApiError;
use crate::params::{ApiPath, ApiQuery, DashboardQuery, Format};
use crate::views::performance::{performance_view, PerformanceInputs, PerformanceView};

/// The Member Performance dashboard: `from`, `to`, `tz`, `granularity`,
/// `workspace`, `project`, `format`.
pub async fn performance<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Response, ApiError> {
    let format = query.format()?;
    let view = load(&state, &id, &query).await?;
    match format {
        Format::Json => Ok(Json(view).into_response()),
        Format::Csv => csv(&view),
    }
}

/// The member's series as CSV: `from`, `to`, `tz`, `granularity`, `workspace`, `project`.
pub async fn performance_csv<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Response, ApiError> {
    let view = load(&state, &id, &query).await?;
    csv(&view)
}

fn csv(view: &PerformanceView) -> Result<Response, ApiError> {
    let body = render_csv(view)?;
    let name = format!("performance-{}-{}.csv", view.member_id, view.granularity);
    Ok(csv_response(body, &name))
}

/// An optional filter; an empty value means no filter.
fn filter(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

async fn load<R: ReadStore, W: EventSink>(
    state: &AppState<R, W>,
    id: &str,
    query: &DashboardQuery,
) -> Result<PerformanceView, ApiError> {
    let range = query.range(state.now())?;
    let granularity = query.granularity(&range)?;
    let reader = &state.reader;
    let (rows, member, projects) = tokio::try_join!(
        reader.member_hours(id, range.hours.clone()),
        reader.member(id),
        reader.projects(),
    )
    .map_err(store_error)?;
    // Unknown means never upserted and no activity at all; a member with
    // activity outside the range answers zeros.
    if member.is_none()
        && rows.is_empty()
        && reader
            .member_hours(id, Hour::MIN..Hour::MAX)
            .await
            .map_err(store_error)?
            .is_empty()
    {
        return Err(ApiError::not_found("member", id));
    }
    let projects: HashMap<String, ProjectRecord> =
        projects.into_iter().map(|p| (p.id.clone(), p)).collect();
    let only_project = filter(&query.project);
    let only_workspace = filter(&query.workspace);
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|(project, _, _)| only_project.is_none_or(|wanted| project == wanted))
        .filter(|(project, _, _)| {
            only_workspace.is_none_or(|wanted| {
                projects
                    .get(project)
                    .and_then(|p| p.config.workspace_id.as_deref())
                    == Some(wanted)
            })
        })
        .collect();
    let inputs = PerformanceInputs {
        member_id: id,
        member: member.as_ref(),
        rows: &rows,
        projects: &projects,
    };
    Ok(performance_view(&inputs, &range, granularity))
}
