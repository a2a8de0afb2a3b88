//! `GET /api/v1/projects` and `GET /api/v1/projects/{id}/dashboard`.

use axum::extract::State;
use axum::Json;
use labelpulse_core::ingest::EventSink;
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::read::ReadStore;
use serde::Serialize;

use super::store_error;
use crate::app::AppState;
use crate::error::ApiError;
use crate::params::{ApiPath, ApiQuery, DashboardQuery};
use crate::views::project::{project_dashboard, ProjectDashboard, ProjectInputs};
use crate::views::projects::{project_list, ProjectListItem};

/// The body of `GET /api/v1/projects`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectList {
    /// Every project, by id.
    pub projects: Vec<ProjectListItem>,
}

/// Every project.
pub async fn list<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
) -> Result<Json<ProjectList>, ApiError> {
    let projects = state.reader.projects().await.map_err(store_error)?;
    Ok(Json(ProjectList {
        projects: project_list(&projects),
    }))
}

/// The Project dashboard: `from`, `to`, `tz`, `granularity`.
pub async fn dashboard<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Json<ProjectDashboard>, ApiError> {
    let range = query.range(state.now())?;
    let granularity = query.granularity(&range)?;
    let reader = &state.reader;
    let project = reader
        .project(&id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("project", &id))?;
    let (hours, agreement, labels) = tokio::try_join!(
        reader.project_hours(&id, range.hours.clone()),
        reader.agreement_hours(&id, "", AgreementScope::DEFAULT, range.hours.clone()),
        reader.labels(&id),
    )
    .map_err(store_error)?;
    let inputs = ProjectInputs {
        project: &project,
        hours: &hours,
        agreement: &agreement,
        labels: &labels,
    };
    Ok(Json(project_dashboard(&inputs, &range, granularity)))
}
