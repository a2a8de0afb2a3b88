//! Which entities a batch will touch, so the engine can read the missing
//! ones with one store read per kind instead of one per event.

use labelpulse_core::event::EventBody;

use crate::entity::{IndexKey, IndexKind};
use crate::store::{SessionKey, TaskKey};
use crate::BatchEvent;

/// Keys a batch needs.
#[derive(Debug, Default)]
pub(crate) struct Wanted {
    /// Index entries to read (deletes by id not in the cache).
    pub(crate) index: Vec<IndexKey>,
    /// Tasks named by the events.
    direct_tasks: Vec<TaskKey>,
    /// Tasks reached through the index.
    indexed_tasks: Vec<IndexKey>,
    /// Sessions.
    pub(crate) sessions: Vec<SessionKey>,
    /// Projects.
    pub(crate) projects: Vec<String>,
    /// Members (`member.upserted`).
    pub(crate) members: Vec<String>,
}

impl Wanted {
    /// Task keys, resolving index lookups with `resolve` (after the index read).
    pub(crate) fn tasks(&self, resolve: impl Fn(&IndexKey) -> Option<String>) -> Vec<TaskKey> {
        let mut tasks = self.direct_tasks.clone();
        tasks.extend(
            self.indexed_tasks
                .iter()
                .filter_map(|key| resolve(key).map(|task| (key.0.clone(), task))),
        );
        tasks.sort();
        tasks.dedup();
        tasks
    }
}

fn dedup<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

/// The keys of a batch; `index_cached` tells which index entries are known.
pub(crate) fn keys<'b, 'e: 'b>(
    events: impl Iterator<Item = &'b BatchEvent<'e>>,
    index_cached: impl Fn(&IndexKey) -> bool,
) -> Wanted {
    let mut wanted = Wanted::default();
    for item in events {
        let envelope = &item.event.envelope;
        let project = envelope
            .project_id
            .as_deref()
            .unwrap_or_default()
            .to_string();
        let task = |id: &str| (project.clone(), id.to_string());
        let by_index = |kind: IndexKind, id: &str| (project.clone(), kind, id.to_string());
        match &item.event.body {
            EventBody::MemberUpserted(member) => {
                wanted.members.push(member.member_id.to_string());
                continue;
            }
            EventBody::Session(session) => wanted
                .sessions
                .push((project.clone(), session.member_id.to_string())),
            EventBody::ProjectUpserted(_) => {}
            EventBody::TaskCreated { task_id, .. }
            | EventBody::TaskDeleted { task_id }
            | EventBody::TaskStateChanged { task_id, .. } => {
                wanted.direct_tasks.push(task(task_id))
            }
            EventBody::Annotation(annotation) => {
                wanted.direct_tasks.push(task(&annotation.task_id))
            }
            EventBody::PredictionCreated(prediction) => {
                wanted.direct_tasks.push(task(&prediction.task_id))
            }
            EventBody::ReviewSubmitted(review) => wanted.direct_tasks.push(task(&review.task_id)),
            EventBody::AnnotationDeleted {
                annotation_id,
                task_id,
            } => match task_id {
                Some(task_id) => wanted.direct_tasks.push(task(task_id)),
                None => wanted
                    .indexed_tasks
                    .push(by_index(IndexKind::Annotation, annotation_id)),
            },
            EventBody::PredictionDeleted { prediction_id } => wanted
                .indexed_tasks
                .push(by_index(IndexKind::Prediction, prediction_id)),
            EventBody::ReviewDeleted { review_id } => wanted
                .indexed_tasks
                .push(by_index(IndexKind::Review, review_id)),
        }
        wanted.projects.push(project);
    }
    wanted.indexed_tasks = dedup(wanted.indexed_tasks);
    wanted.index = wanted
        .indexed_tasks
        .iter()
        .filter(|key| !index_cached(key))
        .cloned()
        .collect();
    wanted.direct_tasks = dedup(wanted.direct_tasks);
    wanted.sessions = dedup(wanted.sessions);
    wanted.projects = dedup(wanted.projects);
    wanted.members = dedup(wanted.members);
    wanted
}
