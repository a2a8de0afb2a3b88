//! The entity tables' rows: tasks (postcard), sessions, projects (controls
//! as JSON, enums by their wire names), members and the id index.

use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use labelpulse_engine::entity::{IndexKey, IndexKind, MemberState, SessionState};
use labelpulse_engine::store::{SessionKey, TaskKey};
use labelpulse_engine::Versioned;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::tables::{names, IdIndexRow, MembersRow, ProjectsRow, SessionsRow, TasksRow};

use super::{json, versioned, CodecError};

/// The `tasks` row of a task state.
pub fn task_row(key: &TaskKey, row: &Versioned<TaskState>) -> Result<TasksRow, CodecError> {
    let state = postcard::to_allocvec(&row.value).map_err(|source| CodecError::Postcard {
        table: names::TASKS,
        source,
    })?;
    Ok(TasksRow {
        project: key.0.clone(),
        task: key.1.clone(),
        version: row.version,
        state,
    })
}

fn postcard_strict<T: DeserializeOwned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<T, CodecError> {
    let (value, rest) = postcard::take_from_bytes(bytes)
        .map_err(|source| CodecError::Postcard { table, source })?;
    if !rest.is_empty() {
        return Err(CodecError::Trailing {
            table,
            extra: rest.len(),
        });
    }
    Ok(value)
}

impl TasksRow {
    /// Key and state.
    pub fn decode(self) -> Result<(TaskKey, Versioned<TaskState>), CodecError> {
        let state = postcard_strict(names::TASKS, &self.state)?;
        Ok(((self.project, self.task), versioned(self.version, state)))
    }
}

/// The `sessions` row of a session.
pub fn session_row(key: &SessionKey, row: &Versioned<SessionState>) -> SessionsRow {
    SessionsRow {
        project: key.0.clone(),
        member: key.1.clone(),
        version: row.version,
        latest_ms: row.value.latest_ms,
        open: u8::from(row.value.open),
    }
}

impl SessionsRow {
    /// Key and session.
    pub fn decode(self) -> Result<(SessionKey, Versioned<SessionState>), CodecError> {
        let open = match self.open {
            0 => false,
            1 => true,
            other => {
                return Err(CodecError::Value {
                    table: names::SESSIONS,
                    column: "open",
                    detail: format!("{other} is not 0 or 1"),
                })
            }
        };
        Ok((
            (self.project, self.member),
            versioned(
                self.version,
                SessionState {
                    latest_ms: self.latest_ms,
                    open,
                },
            ),
        ))
    }
}

/// The wire name of a unit enum (`"one"`, `"annotator"`).
fn enum_name<T: Serialize>(
    table: &'static str,
    column: &'static str,
    value: &T,
) -> Result<String, CodecError> {
    match json(table, serde_json::to_value(value))? {
        serde_json::Value::String(name) => Ok(name),
        other => Err(CodecError::Value {
            table,
            column,
            detail: format!("not a unit enum: {other}"),
        }),
    }
}

fn enum_from_name<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    name: &str,
) -> Result<T, CodecError> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|error| {
        CodecError::Value {
            table,
            column,
            detail: format!("{name:?}: {error}"),
        }
    })
}

/// The `projects` row of a project's settings.
pub fn project_row(
    project: &str,
    row: &Versioned<ProjectConfig>,
) -> Result<ProjectsRow, CodecError> {
    let config = &row.value;
    Ok(ProjectsRow {
        project: project.to_string(),
        version: row.version,
        title: config.title.clone(),
        workspace_id: config.workspace_id.clone(),
        overlap: config.overlap,
        agreement_threshold: config.agreement_threshold,
        review_criteria: enum_name(names::PROJECTS, "review_criteria", &config.review_criteria)?,
        controls: json(names::PROJECTS, serde_json::to_string(&config.controls))?,
    })
}

impl ProjectsRow {
    /// Project id and settings.
    pub fn decode(self) -> Result<(String, Versioned<ProjectConfig>), CodecError> {
        let config = ProjectConfig {
            title: self.title,
            workspace_id: self.workspace_id,
            overlap: self.overlap,
            agreement_threshold: self.agreement_threshold,
            review_criteria: enum_from_name(
                names::PROJECTS,
                "review_criteria",
                &self.review_criteria,
            )?,
            controls: json(names::PROJECTS, serde_json::from_str(&self.controls))?,
        };
        Ok((self.project, versioned(self.version, config)))
    }
}

/// The `members` row of a member.
pub fn member_row(member: &str, row: &Versioned<MemberState>) -> Result<MembersRow, CodecError> {
    Ok(MembersRow {
        member: member.to_string(),
        version: row.version,
        name: row.value.name.clone(),
        email: row.value.email.clone(),
        role: enum_name(names::MEMBERS, "role", &row.value.role)?,
        occurred_ms: row.value.occurred_ms,
    })
}

impl MembersRow {
    /// Member id and state.
    pub fn decode(self) -> Result<(String, Versioned<MemberState>), CodecError> {
        let state = MemberState {
            name: self.name,
            email: self.email,
            role: enum_from_name(names::MEMBERS, "role", &self.role)?,
            occurred_ms: self.occurred_ms,
        };
        Ok((self.member, versioned(self.version, state)))
    }
}

/// The `u8` an [`IndexKind`] is stored as.
pub fn index_kind_code(kind: IndexKind) -> u8 {
    match kind {
        IndexKind::Annotation => 0,
        IndexKind::Prediction => 1,
        IndexKind::Review => 2,
    }
}

/// The `id_index` row of an index entry.
pub fn index_row(key: &IndexKey, task: &str) -> IdIndexRow {
    IdIndexRow {
        project: key.0.clone(),
        kind: index_kind_code(key.1),
        id: key.2.clone(),
        task: task.to_string(),
    }
}

impl IdIndexRow {
    /// Key and task.
    pub fn decode(self) -> Result<(IndexKey, String), CodecError> {
        let kind = match self.kind {
            0 => IndexKind::Annotation,
            1 => IndexKind::Prediction,
            2 => IndexKind::Review,
            other => {
                return Err(CodecError::Value {
                    table: names::ID_INDEX,
                    column: "kind",
                    detail: format!("unknown index kind {other}"),
                })
            }
        };
        Ok(((self.project, kind, self.id), self.task))
    }
}
