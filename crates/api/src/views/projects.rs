//! The project list.

use labelpulse_core::read::ProjectRecord;
use serde::Serialize;

/// One entry of `GET /api/v1/projects`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectListItem {
    /// Project id.
    pub id: String,
    /// Title (empty until a `project.upserted` arrives).
    pub title: String,
    /// Workspace, when known.
    pub workspace_id: Option<String>,
    /// Tasks that exist.
    pub tasks_total: i64,
    /// Tasks done.
    pub tasks_done: i64,
    /// Current non-skipped annotations.
    pub annotations_submitted: i64,
    /// Current skipped annotations.
    pub annotations_skipped: i64,
}

/// The list, in the store's order (by id).
pub fn project_list(projects: &[ProjectRecord]) -> Vec<ProjectListItem> {
    projects
        .iter()
        .map(|p| {
            let counts = super::project::task_counts(p);
            ProjectListItem {
                id: p.id.clone(),
                title: p.config.title.clone(),
                workspace_id: p.config.workspace_id.clone(),
                tasks_total: counts.total,
                tasks_done: counts.done,
                annotations_submitted: p.totals.submitted,
                annotations_skipped: p.totals.skipped,
            }
        })
        .collect()
}
