//! `GET /api/v1/openapi.json`: the hand-written OpenAPI 3.1 document,
//! kept true to the code by the crate's OpenAPI tests.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// Serves [`OPENAPI_JSON`].
pub async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}
