//! `GET /api/v1/projects/{id}/members` (JSON, or CSV with `format=csv`) and
//! `GET /api/v1/projects/{id}/members.csv`.

use std::collections::{BTreeSet, HashMap};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use labelpulse_core::aggregate::CellKind;
use labelpulse_core::ingest::EventSink;
use labelpulse_core::participant::{ParticipantKind, Participants, GROUND_TRUTH};
use labelpulse_core::read::ReadStore;

use super::store_error;
use crate::app::AppState;
use crate::csv::{csv_response, members_csv as render_csv};
use crate::error::ApiError;
use crate::params::{matrix_limit, ApiPath, ApiQuery, DashboardQuery, Format};
use crate::views::agreement::matrix_participants;
use crate::views::members::{members_view, MembersInputs, MembersView};

/// The Members dashboard: `from`, `to`, `tz`, `format`.
pub async fn members<R: ReadStore, W: EventSink>(
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

/// The Members dashboard as CSV: `from`, `to`, `tz`.
pub async fn members_csv<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Response, ApiError> {
    let view = load(&state, &id, &query).await?;
    csv(&view)
}

fn csv(view: &MembersView) -> Result<Response, ApiError> {
    let body = render_csv(view)?;
    let name = format!("members-{}-{}.csv", view.project_id, date_part(&view.from));
    Ok(csv_response(body, &name))
}

/// The `YYYY-MM-DD` of an RFC 3339 text (all of it when shorter).
fn date_part(text: &str) -> &str {
    text.get(..10).unwrap_or(text)
}

async fn load<R: ReadStore, W: EventSink>(
    state: &AppState<R, W>,
    id: &str,
    query: &DashboardQuery,
) -> Result<MembersView, ApiError> {
    let range = query.range(state.now())?;
    let matrix_limit = matrix_limit(query.matrix_limit.as_deref())?;
    let reader = &state.reader;
    let project = reader
        .project(id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("project", id))?;
    let totals_kinds = [CellKind::ParticipantScore, CellKind::ParticipantTasks];
    let (project_hours, member_hours, totals, activity) = tokio::try_join!(
        reader.project_hours(id, range.hours.clone()),
        reader.project_member_hours(id, range.hours.clone()),
        reader.agreement_cells(id, &totals_kinds, Some("")),
        reader.activity(id),
    )
    .map_err(store_error)?;
    let (chosen, total_participants) =
        matrix_participants(&totals, Participants::All, matrix_limit);
    let mut among = chosen.clone();
    among.push(GROUND_TRUTH.to_string());
    let pairs = reader
        .pairs_among(id, "", &among)
        .await
        .map_err(store_error)?;
    let ids: BTreeSet<&str> = member_hours
        .iter()
        .map(|(member, _, _)| member.as_str())
        .chain(totals.iter().map(|(address, _)| address.a.as_str()))
        .filter(|id| ParticipantKind::of(id) == ParticipantKind::Member)
        .collect();
    let mut members = HashMap::with_capacity(ids.len());
    for member in ids {
        if let Some(state) = reader.member(member).await.map_err(store_error)? {
            members.insert(member.to_string(), state);
        }
    }
    let inputs = MembersInputs {
        project: &project,
        project_hours: &project_hours,
        member_hours: &member_hours,
        pairs: &pairs,
        matrix_participants: &chosen,
        total_participants,
        totals: &totals,
        activity: &activity,
        members: &members,
        matrix_limit,
    };
    Ok(members_view(&inputs, &range))
}
