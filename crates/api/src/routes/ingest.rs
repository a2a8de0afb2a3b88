//! `POST /api/v1/events`: NDJSON (one event per line, blank lines ignored)
//! or JSON (an array of events, or one event object).
//!
//! Every event is validated with [`labelpulse_core::decode()`]; the valid ones
//! go, as their raw bytes and in order, to the [`EventSink`], and the answer
//! is sent only once the sink has made them durable. Invalid events never
//! block valid ones: each is reported with its 1-based line (NDJSON) or
//! 1-based position in the array (JSON).
//!
//! Status: 200 all valid, 207 some valid and some not, 400 none valid (or
//! nothing to ingest), 413 body over the limit, 415 other content type, 503
//! the sink failed.

use axum::extract::{FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use labelpulse_core::ingest::EventSink;
use labelpulse_core::read::ReadStore;
use labelpulse_core::DecodeError;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::app::AppState;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// The body of an ingest answer (200, 207 and the 400 of an all-invalid batch).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestResponse {
    /// Events made durable.
    pub accepted: usize,
    /// Events refused.
    pub rejected: usize,
    /// One entry per refused event, in body order.
    pub errors: Vec<IngestError>,
}

/// Why one event was refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestError {
    /// 1-based line of an NDJSON body, or 1-based position in a JSON array.
    pub line: usize,
    /// The decode error, as text.
    pub reason: String,
    /// The decode error's bounded kind (`DecodeError::kind`).
    pub kind: &'static str,
    /// The offending field, as a dotted path, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// How the body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/x-ndjson` (or `application/ndjson`).
    NdJson,
    /// `application/json`.
    Json,
}

/// The framing a `Content-Type` names; 415 for any other.
pub fn body_kind(headers: &HeaderMap) -> Result<BodyKind, ApiError> {
    let unsupported = |found: &str| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content type `{found}` is not application/x-ndjson or application/json"),
        )
    };
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(unsupported(""));
    };
    let text = value.to_str().map_err(|_| unsupported("<not ascii>"))?;
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-ndjson" | "application/ndjson" => Ok(BodyKind::NdJson),
        "application/json" => Ok(BodyKind::Json),
        _ => Err(unsupported(text)),
    }
}

/// One event of the body, not yet validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// 1-based line or array position.
    pub line: usize,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// Splits a body into events. Fails (400) only when a JSON body is not JSON
/// at all, so its events cannot be told apart.
pub fn split(kind: BodyKind, body: &[u8]) -> Result<Vec<Item<'_>>, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match kind {
        BodyKind::NdJson => Ok(body
            .split(|b| *b == b'\n')
            .enumerate()
            .map(|(index, line)| Item {
                line: index + 1,
                bytes: line.strip_suffix(b"\r").unwrap_or(line),
            })
            .filter(|item| !item.bytes.iter().all(u8::is_ascii_whitespace))
            .collect()),
        BodyKind::Json => {
            let trimmed = body.trim_ascii();
            if trimmed.is_empty() {
                return Ok(Vec::new());
            }
            if trimmed.first() != Some(&b'[') {
                return Ok(vec![Item {
                    line: 1,
                    bytes: trimmed,
                }]);
            }
            let elements: Vec<&RawValue> = serde_json::from_slice(trimmed).map_err(|error| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_body",
                    format!("the body is not a JSON array: {error}"),
                )
            })?;
            Ok(elements
                .into_iter()
                .enumerate()
                .map(|(index, raw)| Item {
                    line: index + 1,
                    bytes: raw.get().as_bytes(),
                })
                .collect())
        }
    }
}

/// The valid events (raw bytes, in order) and the errors of the others.
pub fn validate(items: &[Item<'_>]) -> (Vec<Vec<u8>>, Vec<IngestError>) {
    let mut valid = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for item in items {
        match labelpulse_core::decode(item.bytes) {
            Ok(_) => valid.push(item.bytes.to_vec()),
            Err(error) => errors.push(ingest_error(item.line, &error)),
        }
    }
    (valid, errors)
}

fn ingest_error(line: usize, error: &DecodeError) -> IngestError {
    IngestError {
        line,
        reason: error.to_string(),
        kind: error.kind(),
        field: error.field().map(str::to_string),
    }
}

fn count_rejected(metrics: &Metrics, errors: &[IngestError]) {
    for error in errors {
        metrics.ingest_rejected(error.kind);
    }
}

/// The handler.
pub async fn ingest<R: ReadStore, W: EventSink>(
    State(state): State<AppState<R, W>>,
    request: Request,
) -> Result<Response, ApiError> {
    let kind = body_kind(request.headers())?;
    // Read after the content-type check; the body limit is the router's
    // `DefaultBodyLimit` (413 beyond it).
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "payload_too_large"
            } else {
                "bad_body"
            };
            ApiError::new(status, code, rejection.body_text())
        })?;
    let items = match split(kind, &body) {
        Ok(items) => items,
        Err(error) => {
            state.metrics.ingest_rejected("malformed");
            return Err(error);
        }
    };
    if items.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the body holds no event",
        ));
    }
    let (valid, errors) = validate(&items);
    count_rejected(&state.metrics, &errors);
    if valid.is_empty() {
        let body = IngestResponse {
            accepted: 0,
            rejected: errors.len(),
            errors,
        };
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    }
    let receipt = state.sink.ingest(valid).await.map_err(|error| {
        tracing::warn!(%error, "ingest sink failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "sink_unavailable",
            error.to_string(),
        )
    })?;
    state.metrics.ingest_accepted(receipt.accepted);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    let body = IngestResponse {
        accepted: receipt.accepted,
        rejected: errors.len(),
        errors,
    };
    Ok((status, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{"event_id":"e1","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p1","task_id":"t1"}"#;

    #[test]
    fn ndjson_lines_are_numbered_from_one_and_blank_lines_skipped() {
        let body = format!("{VALID}\r\n\n   \n{{\"type\":1}}\n{VALID}");
        let items = split(BodyKind::NdJson, body.as_bytes()).unwrap();
        let lines: Vec<usize> = items.iter().map(|i| i.line).collect();
        assert_eq!(lines, vec![1, 4, 5]);
        assert_eq!(items[0].bytes, VALID.as_bytes());
        let (valid, errors) = validate(&items);
        assert_eq!(valid.len(), 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
    }

    #[test]
    fn a_json_array_is_split_into_raw_elements_and_an_object_is_one_event() {
        let body = format!("  [{VALID}, 7, {VALID}]  ");
        let items = split(BodyKind::Json, body.as_bytes()).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[2].line, 3);
        assert_eq!(items[0].bytes, VALID.as_bytes());
        let (valid, errors) = validate(&items);
        assert_eq!((valid.len(), errors.len()), (2, 1));
        assert_eq!(errors[0].line, 2);
        let single = split(BodyKind::Json, VALID.as_bytes()).unwrap();
        assert_eq!(
            single,
            vec![Item {
                line: 1,
                bytes: VALID.as_bytes()
            }]
        );
        assert!(split(BodyKind::Json, b"[{").is_err());
        assert!(split(BodyKind::Json, b"  ").unwrap().is_empty());
    }

    #[test]
    fn content_types_are_matched_on_their_essence() {
        let mut headers = HeaderMap::new();
        assert!(body_kind(&headers).is_err());
        headers.insert(
            CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(body_kind(&headers).unwrap(), BodyKind::Json);
        headers.insert(CONTENT_TYPE, "application/x-ndjson".parse().unwrap());
        assert_eq!(body_kind(&headers).unwrap(), BodyKind::NdJson);
        headers.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(
            body_kind(&headers).unwrap_err().status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }

    #[test]
    fn errors_name_line_kind_and_field() {
        let items = [Item {
            line: 9,
            bytes: br#"{"event_id":"e1","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p1"}"#,
        }];
        let (_, errors) = validate(&items);
        assert_eq!(errors[0].line, 9);
        assert_eq!(errors[0].kind, "missing_field");
        assert_eq!(errors[0].field.as_deref(), Some("task_id"));
        assert_eq!(errors[0].reason, "invalid field `task_id`: missing");
    }
}
