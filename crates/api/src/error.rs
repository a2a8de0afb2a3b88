//! API errors and their JSON form: `{"error": {"code", "message", "parameter"?}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// The query parameter at fault, for 400s about parameters.
    pub parameter: Option<&'static str>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
}

impl ApiError {
    /// 400: a query parameter is invalid.
    pub fn bad_parameter(parameter: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_parameter",
            message: format!("{parameter}: {}", message.into()),
            parameter: Some(parameter),
        }
    }

    /// 404: an unknown id.
    pub fn not_found(what: &str, id: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("{what} `{id}` not found"),
            parameter: None,
        }
    }

    /// 500 or 503: the store failed.
    pub fn store(error: impl std::fmt::Display) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "store_unavailable",
            message: error.to_string(),
            parameter: None,
        }
    }

    /// Any other status.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            parameter: None,
        }
    }

    /// The parameter at fault, if any.
    pub fn parameter(&self) -> Option<&'static str> {
        self.parameter
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                parameter: self.parameter,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
