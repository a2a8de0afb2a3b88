//! `GET /metrics`: the registry in the Prometheus text format.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use labelpulse_core::ingest::EventSink;
use labelpulse_core::read::ReadStore;

use crate::app::AppState;
use crate::error::ApiError;
use crate::metrics::TEXT_FORMAT;

/// Every metric of the state's registry.
pub async fn metrics<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
) -> Result<Response, ApiError> {
    let text = state
        .metrics
        .render()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "metrics", e.to_string()))?;
    Ok(([(CONTENT_TYPE, TEXT_FORMAT)], text).into_response())
}
