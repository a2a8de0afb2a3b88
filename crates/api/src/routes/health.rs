//! `GET /healthz` (the process answers) and `GET /readyz` (the store can serve reads).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use labelpulse_core::ingest::EventSink;
use labelpulse_core::read::ReadStore;
use serde::Serialize;

use crate::app::AppState;

/// The body of both health answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
}

/// Always 200 `{"status":"ok"}` while the process serves requests.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// 200 `{"status":"ok"}` when [`ReadStore::ready`], else 503 `{"status":"unavailable"}`.
pub async fn readyz<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
) -> (StatusCode, Json<Health>) {
    if state.reader.ready().await {
        (StatusCode::OK, Json(Health { status: "ok" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
            }),
        )
    }
}
