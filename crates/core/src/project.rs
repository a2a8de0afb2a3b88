//! A project's settings, as the engine keeps them.

use serde::{Deserialize, Serialize};

use crate::event::{Control, ProjectUpserted, ReviewCriteria};

/// Settings that change metric semantics; defaults apply until the first
/// `project.upserted` arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectConfig {
    /// Display title.
    pub title: String,
    /// Workspace, from the envelope of `project.upserted`.
    pub workspace_id: Option<String>,
    /// Annotations required per task.
    pub overlap: u32,
    /// Low-agreement threshold, 0..=1.
    pub agreement_threshold: f64,
    /// When a task counts as reviewed.
    pub review_criteria: ReviewCriteria,
    /// Control tags.
    pub controls: Vec<Control>,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        ProjectConfig {
            title: String::new(),
            workspace_id: None,
            overlap: 1,
            agreement_threshold: 0.0,
            review_criteria: ReviewCriteria::None,
            controls: Vec::new(),
        }
    }
}

impl ProjectConfig {
    /// The config a `project.upserted` event describes.
    pub fn from_event(event: &ProjectUpserted<'_>, workspace_id: Option<&str>) -> Self {
        ProjectConfig {
            title: event.title.to_string(),
            workspace_id: workspace_id.map(str::to_string),
            overlap: event.overlap,
            agreement_threshold: event.agreement_threshold,
            review_criteria: event.review_criteria,
            controls: event.controls.clone(),
        }
    }

    /// The declared control of a dimension.
    pub fn control(&self, name: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.name == name)
    }

    /// True when a change from `self` to `other` changes any task's
    /// contributions (everything but the title and workspace).
    pub fn scoring_differs(&self, other: &ProjectConfig) -> bool {
        self.overlap != other.overlap
            || self.agreement_threshold != other.agreement_threshold
            || self.review_criteria != other.review_criteria
            || self.controls != other.controls
    }
}
