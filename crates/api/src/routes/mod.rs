//! HTTP handlers: "serve" over the views' "compute". Each handler parses
//! its inputs ([`crate::params`]), reads rows from the [`ReadStore`], calls
//! one view function and serializes its result; no dashboard math here.
//!
//! [`ReadStore`]: labelpulse_core::read::ReadStore

pub mod agreement;
pub mod health;
pub mod index;
pub mod ingest;
pub mod members;
pub mod metrics;
pub mod openapi;
pub mod performance;
pub mod projects;

use crate::error::ApiError;

/// A store failure as a 503, logged once here.
pub(crate) fn store_error(error: impl std::fmt::Display) -> ApiError {
    tracing::warn!(%error, "store read failed");
    ApiError::store(error)
}
