//! LabelPulse's query service: dashboards as JSON and CSV, HTTP ingest,
//! health checks, Prometheus metrics and an OpenAPI document.
//!
//! Depends on `core` and the read-side [`labelpulse_core::read::ReadStore`]
//! and [`labelpulse_core::ingest::EventSink`] traits only: never on Kafka,
//! never on a concrete store. Numbers are finished here from summed
//! numerators and denominators; undefined ratios are `null`.
//!
//! "Compute" and "serve" are apart: [`views`] turns rows into dashboards
//! (pure functions), [`routes`] reads rows and serializes views, [`app()`]
//! wires the routes of [`app::ROUTES`] into an axum router.

pub mod app;
pub mod csv;
pub mod error;
pub mod metrics;
pub mod params;
pub mod range;
pub mod routes;
pub mod views;

pub use app::{app, AppState, Settings, ROUTES};
pub use error::ApiError;
