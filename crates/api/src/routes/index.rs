//! `GET /`: the service index (see [`crate::views::index`]).

use axum::extract::State;
use axum::Json;
use labelpulse_core::ingest::EventSink;
use labelpulse_core::read::ReadStore;

use super::store_error;
use crate::app::AppState;
use crate::error::ApiError;
use crate::views::index::{service_index, ServiceIndex};

/// The service's links and every project with its headline counts.
pub async fn index<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
) -> Result<Json<ServiceIndex>, ApiError> {
    let projects = state.reader.projects().await.map_err(store_error)?;
    Ok(Json(service_index(&projects)))
}
