//! The service index (`GET /`): where a newcomer who opens the printed URL
//! starts. It names the service, links every route, and lists the projects
//! with their headline counts and the links of their dashboards, so the
//! base URL itself shows live numbers.

use labelpulse_core::read::ProjectRecord;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Serialize;

use super::projects::{project_list, ProjectListItem};
use crate::app::{path_of, Endpoint};

/// Bytes escaped in a path segment (RFC 3986: everything but unreserved
/// characters and sub-delimiters stays readable; `/`, `?`, `#`, `%` and
/// spaces are escaped so an id is always one segment).
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The body of `GET /`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceIndex {
    /// Always `labelpulse`.
    pub service: &'static str,
    /// The service's version (the crate's).
    pub version: &'static str,
    /// The service-wide routes, by name.
    pub links: ServiceLinks,
    /// Every project (as `GET /api/v1/projects` lists it) with its links.
    pub projects: Vec<IndexedProject>,
}

/// The service-wide routes (paths relative to the base URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceLinks {
    /// The project list.
    pub projects: &'static str,
    /// The OpenAPI document describing every route.
    pub openapi: &'static str,
    /// HTTP ingest (POST).
    pub events: &'static str,
    /// Prometheus metrics.
    pub metrics: &'static str,
    /// Liveness.
    pub healthz: &'static str,
    /// Readiness.
    pub readyz: &'static str,
}

/// The service-wide links, from the route table.
pub fn service_links() -> ServiceLinks {
    ServiceLinks {
        projects: path_of(Endpoint::Projects),
        openapi: path_of(Endpoint::OpenApi),
        events: path_of(Endpoint::Events),
        metrics: path_of(Endpoint::Metrics),
        healthz: path_of(Endpoint::Healthz),
        readyz: path_of(Endpoint::Readyz),
    }
}

/// One project of the index: its list entry and its dashboards' links.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexedProject {
    /// What `GET /api/v1/projects` says of it.
    #[serde(flatten)]
    pub project: ProjectListItem,
    /// Its dashboards.
    pub links: ProjectLinks,
}

/// A project's dashboards (paths relative to the base URL, the id escaped
/// as one path segment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectLinks {
    /// The Project dashboard.
    pub dashboard: String,
    /// The Members dashboard.
    pub members: String,
    /// The Members dashboard as CSV.
    pub members_csv: String,
    /// The agreement page.
    pub agreement: String,
}

impl ProjectLinks {
    /// The links of project `id`: the route table's templates with the id
    /// escaped as one path segment.
    pub fn of(id: &str) -> ProjectLinks {
        let escaped = utf8_percent_encode(id, PATH_SEGMENT).to_string();
        let link = |endpoint| path_of(endpoint).replace("{id}", &escaped);
        ProjectLinks {
            dashboard: link(Endpoint::ProjectDashboard),
            members: link(Endpoint::ProjectMembers),
            members_csv: link(Endpoint::ProjectMembersCsv),
            agreement: link(Endpoint::ProjectAgreement),
        }
    }
}

/// The index over the stored projects.
pub fn service_index(projects: &[ProjectRecord]) -> ServiceIndex {
    ServiceIndex {
        service: "labelpulse",
        version: env!("CARGO_PKG_VERSION"),
        links: service_links(),
        projects: project_list(projects)
            .into_iter()
            .map(|project| IndexedProject {
                links: ProjectLinks::of(&project.id),
                project,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_id_is_linked_as_it_is() {
        let links = ProjectLinks::of("p-1");
        assert_eq!(links.dashboard, "/api/v1/projects/p-1/dashboard");
        assert_eq!(links.members, "/api/v1/projects/p-1/members");
        assert_eq!(links.members_csv, "/api/v1/projects/p-1/members.csv");
        assert_eq!(links.agreement, "/api/v1/projects/p-1/agreement");
    }

    #[test]
    fn an_id_with_reserved_characters_stays_one_escaped_segment() {
        let links = ProjectLinks::of("a/b c?d#e%f");
        assert_eq!(
            links.dashboard,
            "/api/v1/projects/a%2Fb%20c%3Fd%23e%25f/dashboard"
        );
        assert_eq!(
            ProjectLinks::of("Проект").dashboard,
            "/api/v1/projects/%D0%9F%D1%80%D0%BE%D0%B5%D0%BA%D1%82/dashboard"
        );
    }

    #[test]
    fn an_empty_store_has_links_and_no_projects() {
        let index = service_index(&[]);
        assert_eq!(index.service, "labelpulse");
        assert_eq!(index.links.projects, "/api/v1/projects");
        assert_eq!(index.links.openapi, "/api/v1/openapi.json");
        assert_eq!(index.links.events, "/api/v1/events");
        assert_eq!(
            (index.links.metrics, index.links.healthz, index.links.readyz),
            ("/metrics", "/healthz", "/readyz")
        );
        assert!(index.projects.is_empty());
    }
}
