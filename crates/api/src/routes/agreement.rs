//! `GET /api/v1/projects/{id}/agreement`.

use axum::extract::State;
use axum::Json;
use labelpulse_core::aggregate::CellKind;
use labelpulse_core::ingest::EventSink;
use labelpulse_core::participant::{AgreementScope, Mode, Participants, GROUND_TRUTH};
use labelpulse_core::read::ReadStore;
use serde::Deserialize;

use super::store_error;
use crate::app::AppState;
use crate::error::ApiError;
use crate::params::{matrix_limit, ApiPath, ApiQuery};
use crate::views::agreement::{
    agreement_view, cell_kinds, matrix_participants, AgreementInputs, AgreementQuery, AgreementView,
};

/// Query parameters of the agreement route; all optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AgreementParams {
    /// One control tag (default: overall, every dimension).
    pub dimension: Option<String>,
    /// One label of `dimension` (its present/absent variable).
    pub label: Option<String>,
    /// `annotators` (default), `models` or `all`.
    pub participants: Option<String>,
    /// `pairwise` (default) or `consensus`.
    pub mode: Option<String>,
    /// The most participants the matrix shows (default 100).
    pub matrix_limit: Option<String>,
}

impl AgreementParams {
    /// The validated query.
    pub fn query(&self) -> Result<AgreementQuery, ApiError> {
        let participants = match self.participants.as_deref() {
            None => Participants::Annotators,
            Some(text) => Participants::parse(text).ok_or_else(|| {
                ApiError::bad_parameter(
                    "participants",
                    format!("`{text}` is not one of annotators, models, all"),
                )
            })?,
        };
        let mode = match self.mode.as_deref() {
            None => Mode::Pairwise,
            Some(text) => Mode::parse(text).ok_or_else(|| {
                ApiError::bad_parameter(
                    "mode",
                    format!("`{text}` is not one of pairwise, consensus"),
                )
            })?,
        };
        let nonempty = |value: &Option<String>, name: &'static str| match value.as_deref() {
            Some("") => Err(ApiError::bad_parameter(name, "must not be empty")),
            other => Ok(other.map(str::to_string)),
        };
        let dimension = nonempty(&self.dimension, "dimension")?;
        let label = nonempty(&self.label, "label")?;
        if label.is_some() && dimension.is_none() {
            return Err(ApiError::bad_parameter(
                "label",
                "a label needs its `dimension`",
            ));
        }
        Ok(AgreementQuery {
            scope: AgreementScope { participants, mode },
            dimension,
            label,
            matrix_limit: matrix_limit(self.matrix_limit.as_deref())?,
        })
    }
}

/// The agreement page: `dimension`, `label`, `participants`, `mode`.
pub async fn agreement<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<AgreementParams>,
) -> Result<Json<AgreementView>, ApiError> {
    let query = params.query()?;
    let reader = &state.reader;
    let project = reader
        .project(&id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("project", &id))?;
    let dimension = query.dimension.clone().unwrap_or_default();
    let kinds = cell_kinds(&query);
    let totals_kinds = [CellKind::ParticipantTasks];
    let (rows, totals, cells) = tokio::try_join!(
        reader.agreement_rows(&id, query.scope),
        reader.agreement_cells(&id, &totals_kinds, Some(&dimension)),
        reader.agreement_cells(&id, &kinds, query.dimension.as_deref()),
    )
    .map_err(store_error)?;
    let (chosen, total_participants) =
        matrix_participants(&totals, query.scope.participants, query.matrix_limit);
    let mut among = chosen.clone();
    among.push(GROUND_TRUTH.to_string());
    let pairs = reader
        .pairs_among(&id, &dimension, &among)
        .await
        .map_err(store_error)?;
    let inputs = AgreementInputs {
        project: &project,
        rows: &rows,
        pairs: &pairs,
        matrix_participants: &chosen,
        total_participants,
        cells: &cells,
    };
    Ok(Json(agreement_view(&inputs, &query)))
}
