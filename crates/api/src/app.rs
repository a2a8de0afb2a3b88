//! The router: [`ROUTES`] (the one list of what is served, also checked
//! against `openapi.json`), the shared [`AppState`], and the layers every
//! route passes through (request metrics, the ingest body limit, JSON
//! answers for unknown routes and methods).

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use chrono::{DateTime, Utc};
use labelpulse_core::ingest::EventSink;
use labelpulse_core::read::ReadStore;

use crate::error::ApiError;
use crate::metrics::{Metrics, UNMATCHED_ROUTE};
use crate::routes;

/// "Now", injectable so tests can fix the default ranges.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Default limit of an ingest body: 8 MiB.
pub const DEFAULT_MAX_INGEST_BYTES: usize = 8 * 1024 * 1024;

/// Service settings.
#[derive(Clone)]
pub struct Settings {
    /// Largest accepted `POST /api/v1/events` body, bytes (413 beyond).
    pub max_ingest_bytes: usize,
    /// The clock default ranges end at.
    pub clock: Clock,
}

impl Default for Settings {
    /// 8 MiB bodies, the system clock.
    fn default() -> Self {
        Settings {
            max_ingest_bytes: DEFAULT_MAX_INGEST_BYTES,
            clock: Arc::new(Utc::now),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("max_ingest_bytes", &self.max_ingest_bytes)
            .finish_non_exhaustive()
    }
}

/// What every handler shares: the read side, the ingest sink, settings and
/// metrics. Cheap to clone.
pub struct AppState<R, W> {
    /// The read side the dashboards are computed from.
    pub reader: Arc<R>,
    /// Where valid ingested events go.
    pub sink: Arc<W>,
    /// Settings.
    pub settings: Settings,
    /// The API's metrics (and the registry `/metrics` serves).
    pub metrics: Metrics,
}

impl<R, W> Clone for AppState<R, W> {
    fn clone(&self) -> Self {
        AppState {
            reader: Arc::clone(&self.reader),
            sink: Arc::clone(&self.sink),
            settings: self.settings.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

impl<R, W> AppState<R, W> {
    /// A state with default settings and fresh metrics.
    pub fn new(reader: Arc<R>, sink: Arc<W>) -> Self {
        AppState {
            reader,
            sink,
            settings: Settings::default(),
            metrics: Metrics::new(),
        }
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Replaces the metrics (e.g. ones registered in a shared registry).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The current time, by the configured clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.settings.clock)()
    }
}

/// HTTP methods the service answers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Verb {
    /// Lower-case name, as OpenAPI's path items spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }
}

/// Which handler a route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The service index: links and the project list.
    Index,
    /// The project list.
    Projects,
    /// The Project dashboard.
    ProjectDashboard,
    /// The agreement page (summary, matrix, confusion, statistics).
    ProjectAgreement,
    /// The Members dashboard (JSON or CSV by `format`).
    ProjectMembers,
    /// The Members dashboard as CSV.
    ProjectMembersCsv,
    /// The Member Performance dashboard (JSON or CSV by `format`).
    MemberPerformance,
    /// The Member Performance series as CSV.
    MemberPerformanceCsv,
    /// HTTP ingest.
    Events,
    /// Liveness.
    Healthz,
    /// Readiness.
    Readyz,
    /// Prometheus metrics.
    Metrics,
    /// The OpenAPI document.
    OpenApi,
}

/// One served route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    /// Method.
    pub verb: Verb,
    /// Path template (axum's and OpenAPI's `{param}` syntax).
    pub path: &'static str,
    /// Handler.
    pub endpoint: Endpoint,
}

const fn route(verb: Verb, path: &'static str, endpoint: Endpoint) -> RouteSpec {
    RouteSpec {
        verb,
        path,
        endpoint,
    }
}

/// Every route the service serves: [`app`] registers exactly these, and the
/// OpenAPI test checks `openapi.json` describes exactly these.
pub const ROUTES: &[RouteSpec] = &[
    route(Verb::Get, "/", Endpoint::Index),
    route(Verb::Get, "/api/v1/projects", Endpoint::Projects),
    route(
        Verb::Get,
        "/api/v1/projects/{id}/dashboard",
        Endpoint::ProjectDashboard,
    ),
    route(
        Verb::Get,
        "/api/v1/projects/{id}/agreement",
        Endpoint::ProjectAgreement,
    ),
    route(
        Verb::Get,
        "/api/v1/projects/{id}/members",
        Endpoint::ProjectMembers,
    ),
    route(
        Verb::Get,
        "/api/v1/projects/{id}/members.csv",
        Endpoint::ProjectMembersCsv,
    ),
    route(
        Verb::Get,
        "/api/v1/members/{id}/performance",
        Endpoint::MemberPerformance,
    ),
    route(
        Verb::Get,
        "/api/v1/members/{id}/performance.csv",
        Endpoint::MemberPerformanceCsv,
    ),
    route(Verb::Post, "/api/v1/events", Endpoint::Events),
    route(Verb::Get, "/healthz", Endpoint::Healthz),
    route(Verb::Get, "/readyz", Endpoint::Readyz),
    route(Verb::Get, "/metrics", Endpoint::Metrics),
    route(Verb::Get, "/api/v1/openapi.json", Endpoint::OpenApi),
];

/// The path template [`ROUTES`] serves `endpoint` at (`""` for an
/// endpoint it does not serve; the router's tests check every one is).
pub fn path_of(endpoint: Endpoint) -> &'static str {
    ROUTES
        .iter()
        .find(|route| route.endpoint == endpoint)
        .map_or("", |route| route.path)
}

fn method_router<R: ReadStore, W: EventSink>(spec: &RouteSpec) -> MethodRouter<AppState<R, W>> {
    let filter = spec.verb.filter();
    match spec.endpoint {
        Endpoint::Index => on(filter, routes::index::index::<R, W>),
        Endpoint::Projects => on(filter, routes::projects::list::<R, W>),
        Endpoint::ProjectDashboard => on(filter, routes::projects::dashboard::<R, W>),
        Endpoint::ProjectAgreement => on(filter, routes::agreement::agreement::<R, W>),
        Endpoint::ProjectMembers => on(filter, routes::members::members::<R, W>),
        Endpoint::ProjectMembersCsv => on(filter, routes::members::members_csv::<R, W>),
        Endpoint::MemberPerformance => on(filter, routes::performance::performance::<R, W>),
        Endpoint::MemberPerformanceCsv => on(filter, routes::performance::performance_csv::<R, W>),
        Endpoint::Events => on(filter, routes::ingest::ingest::<R, W>),
        Endpoint::Healthz => on(filter, routes::health::healthz),
        Endpoint::Readyz => on(filter, routes::health::readyz::<R, W>),
        Endpoint::Metrics => on(filter, routes::metrics::metrics::<R, W>),
        Endpoint::OpenApi => on(filter, routes::openapi::openapi),
    }
}

/// The service: every route of [`ROUTES`] over `state`.
pub fn app<R: ReadStore, W: EventSink>(state: AppState<R, W>) -> Router {
    let mut router = Router::new();
    for spec in ROUTES {
        router = router.route(spec.path, method_router::<R, W>(spec));
    }
    router
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.settings.max_ingest_bytes))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            count_request,
        ))
        .with_state(state)
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}

/// Counts every answer by route template (never the raw path) and status.
async fn count_request(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let response = next.run(request).await;
    metrics.http_request(
        route.as_deref().unwrap_or(UNMATCHED_ROUTE),
        response.status().as_u16(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn routes_are_unique_and_every_endpoint_is_served() {
        let paths: HashSet<(&str, &str)> =
            ROUTES.iter().map(|r| (r.verb.as_str(), r.path)).collect();
        assert_eq!(paths.len(), ROUTES.len());
        let unique_paths: HashSet<&str> = ROUTES.iter().map(|r| r.path).collect();
        assert_eq!(
            unique_paths.len(),
            ROUTES.len(),
            "one method per path: app() registers paths once"
        );
        let endpoints: HashSet<String> =
            ROUTES.iter().map(|r| format!("{:?}", r.endpoint)).collect();
        assert_eq!(endpoints.len(), 13);
    }
}
