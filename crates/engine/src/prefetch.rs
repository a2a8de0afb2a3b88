//! Which entities a batch will touch and the engine does not hold, so it
//! can read them with one store read per kind instead of one per event.
//! Keys are gathered borrowed and deduplicated first: a batch names the
//! same task and session many times, and most of them are cached, so an
//! owned key is made only for what the store is asked.

use labelpulse_core::event::EventBody;
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;

use crate::cache::Cached;
use crate::entity::{IndexKey, IndexKind, MemberState, SessionState};
use crate::map::{HashMap, HashSet, StrPair};
use crate::store::{SessionKey, TaskKey};
use crate::BatchEvent;

/// The engine's cached entities, looked at (not changed) by [`keys`].
pub(crate) struct CacheView<'c> {
    pub(crate) index: &'c HashMap<IndexKey, String>,
    pub(crate) tasks: &'c HashMap<TaskKey, Cached<TaskState>>,
    pub(crate) sessions: &'c HashMap<SessionKey, Cached<SessionState>>,
    pub(crate) projects: &'c HashMap<String, Cached<ProjectConfig>>,
    pub(crate) members: &'c HashMap<String, Cached<MemberState>>,
}

/// Keys a batch needs that are not cached.
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
    /// Task keys, resolving index lookups with `resolve` (after the index
    /// read) and leaving out those `cached` holds.
    pub(crate) fn tasks(
        &self,
        resolve: impl Fn(&IndexKey) -> Option<String>,
        cached: impl Fn(&TaskKey) -> bool,
    ) -> Vec<TaskKey> {
        let mut tasks = self.direct_tasks.clone();
        tasks.extend(
            self.indexed_tasks
                .iter()
                .filter_map(|key| resolve(key).map(|task| (key.0.clone(), task)))
                .filter(|key| !cached(key)),
        );
        tasks.sort();
        tasks.dedup();
        tasks
    }
}

/// Sorted owned copies of borrowed keys (sorted: the store is asked in a
/// deterministic order).
fn owned_pairs(pairs: HashSet<StrPair<'_>>) -> Vec<(String, String)> {
    let mut owned: Vec<(String, String)> = pairs.into_iter().map(StrPair::to_owned).collect();
    owned.sort_unstable();
    owned
}

fn owned_strs(strs: HashSet<&str>) -> Vec<String> {
    let mut owned: Vec<String> = strs.into_iter().map(str::to_string).collect();
    owned.sort_unstable();
    owned
}

/// The keys of a batch that `cache` does not hold. The index entry of a
/// delete is not asked for when an earlier event of the batch creates that
/// annotation, prediction or review: applying it remembers the entry
/// first (and should it not, the delete reads the entry itself). Only a
/// batch with such deletes is walked a second time, for those creations.
pub(crate) fn keys<'b, 'e: 'b>(
    events: impl Iterator<Item = &'b BatchEvent<'e>> + Clone,
    cache: &CacheView<'_>,
) -> Wanted {
    let mut tasks: HashSet<StrPair<'b>> = HashSet::default();
    let mut sessions: HashSet<StrPair<'b>> = HashSet::default();
    let mut projects: HashSet<&'b str> = HashSet::default();
    let mut members: HashSet<&'b str> = HashSet::default();
    // Deletes reached through the index: (position in the batch, key).
    let mut deletes: Vec<(usize, IdRef<'b>)> = Vec::new();
    for (position, item) in events.clone().enumerate() {
        let envelope = &item.event.envelope;
        let project: &'b str = envelope.project_id.as_deref().unwrap_or_default();
        let mut task = |id: &'b str| {
            let key = StrPair(project, id);
            if !cache.tasks.contains_key(&key) {
                tasks.insert(key);
            }
        };
        let mut by_index =
            |kind: IndexKind, id: &'b str| deletes.push((position, (project, kind, id)));
        match &item.event.body {
            EventBody::MemberUpserted(member) => {
                let member: &'b str = &member.member_id;
                if !cache.members.contains_key(member) {
                    members.insert(member);
                }
                continue;
            }
            EventBody::Session(session) => {
                let key = StrPair(project, &session.member_id);
                if !cache.sessions.contains_key(&key) {
                    sessions.insert(key);
                }
            }
            EventBody::ProjectUpserted(_) => {}
            EventBody::TaskCreated { task_id, .. }
            | EventBody::TaskDeleted { task_id }
            | EventBody::TaskStateChanged { task_id, .. } => task(task_id),
            EventBody::Annotation(annotation) => task(&annotation.task_id),
            EventBody::PredictionCreated(prediction) => task(&prediction.task_id),
            EventBody::ReviewSubmitted(review) => task(&review.task_id),
            EventBody::AnnotationDeleted {
                annotation_id,
                task_id,
            } => match task_id {
                Some(task_id) => task(task_id),
                None => by_index(IndexKind::Annotation, annotation_id),
            },
            EventBody::PredictionDeleted { prediction_id } => {
                by_index(IndexKind::Prediction, prediction_id)
            }
            EventBody::ReviewDeleted { review_id } => by_index(IndexKind::Review, review_id),
        }
        if !cache.projects.contains_key(project) {
            projects.insert(project);
        }
    }
    let mut indexed = not_created_before(deletes, events);
    indexed.sort_unstable();
    indexed.dedup();
    let index = indexed
        .iter()
        .filter(|key| !cache.index.contains_key(*key))
        .cloned()
        .collect();
    Wanted {
        index,
        direct_tasks: owned_pairs(tasks),
        indexed_tasks: indexed,
        sessions: owned_pairs(sessions),
        projects: owned_strs(projects),
        members: owned_strs(members),
    }
}

/// A borrowed index key: project, kind, id.
type IdRef<'b> = (&'b str, IndexKind, &'b str);

/// The id an event creates, if any (what applying it remembers in the index).
fn created_id<'b>(item: &'b BatchEvent<'_>) -> Option<IdRef<'b>> {
    let project = item
        .event
        .envelope
        .project_id
        .as_deref()
        .unwrap_or_default();
    match &item.event.body {
        EventBody::Annotation(a) => Some((project, IndexKind::Annotation, &a.annotation_id)),
        EventBody::PredictionCreated(p) => Some((project, IndexKind::Prediction, &p.prediction_id)),
        EventBody::ReviewSubmitted(r) => Some((project, IndexKind::Review, &r.review_id)),
        _ => None,
    }
}

/// The keys of `deletes` that no event of the batch before the delete
/// creates, owned.
fn not_created_before<'b, 'e: 'b>(
    deletes: Vec<(usize, IdRef<'b>)>,
    events: impl Iterator<Item = &'b BatchEvent<'e>>,
) -> Vec<IndexKey> {
    if deletes.is_empty() {
        return Vec::new();
    }
    let deleted: HashSet<IdRef<'b>> = deletes.iter().map(|(_, key)| *key).collect();
    let mut first_created: HashMap<IdRef<'b>, usize> = HashMap::default();
    for (position, item) in events.enumerate() {
        if let Some(key) = created_id(item).filter(|key| deleted.contains(key)) {
            first_created.entry(key).or_insert(position);
        }
    }
    deletes
        .into_iter()
        .filter(|(position, key)| first_created.get(key).is_none_or(|at| at > position))
        .map(|(_, (project, kind, id))| (project.to_string(), kind, id.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Versioned;
    use labelpulse_core::Event;

    fn fresh<T>(value: T) -> Cached<T> {
        Cached::clean(Versioned { version: 1, value })
    }

    fn annotation(task: &str, member: &str) -> String {
        format!(
            r#"{{"event_id":"e-{task}-{member}","type":"annotation.submitted","schema_version":1,"occurred_at":"2026-03-01T00:00:00Z","project_id":"p","annotation_id":"a-{task}-{member}","task_id":"{task}","member_id":"{member}","lead_time_seconds":3,"completed_at":"2026-03-01T00:00:00Z","result":[]}}"#
        )
    }

    fn heartbeat(member: &str) -> String {
        format!(
            r#"{{"event_id":"h-{member}","type":"session.heartbeat","schema_version":1,"occurred_at":"2026-03-01T00:00:00Z","project_id":"p","member_id":"{member}"}}"#
        )
    }

    fn decode_all(lines: &[String]) -> Vec<Event<'_>> {
        lines
            .iter()
            .map(|line| labelpulse_core::decode(line.as_bytes()).expect("valid event"))
            .collect()
    }

    /// The batch of `lines`, numbered from 1.
    fn batch_of<'a>(lines: &'a [String], events: &'a [Event<'a>]) -> Vec<BatchEvent<'a>> {
        events
            .iter()
            .zip(lines)
            .enumerate()
            .map(|(i, (event, line))| BatchEvent {
                sequence: i as u64 + 1,
                raw: line.as_bytes(),
                event,
            })
            .collect()
    }

    #[test]
    fn only_uncached_keys_are_wanted_once_each() {
        let lines = [
            annotation("t1", "m1"),
            annotation("t2", "m1"),
            annotation("t2", "m2"),
            annotation("t3", "m2"),
            heartbeat("m1"),
            heartbeat("m2"),
            heartbeat("m2"),
        ];
        let events = decode_all(&lines);
        let batch = batch_of(&lines, &events);
        let mut tasks = HashMap::default();
        tasks.insert(
            ("p".to_string(), "t1".to_string()),
            fresh(TaskState::default()),
        );
        let mut sessions = HashMap::default();
        sessions.insert(
            ("p".to_string(), "m1".to_string()),
            fresh(SessionState::default()),
        );
        let mut projects = HashMap::default();
        let (index, members) = (HashMap::default(), HashMap::default());
        let cache = CacheView {
            index: &index,
            tasks: &tasks,
            sessions: &sessions,
            projects: &projects,
            members: &members,
        };
        let wanted = keys(batch.iter(), &cache);
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            wanted.tasks(|_| None, |_| false),
            vec![pair("p", "t2"), pair("p", "t3")]
        );
        assert_eq!(wanted.sessions, vec![pair("p", "m2")]);
        assert_eq!(wanted.projects, vec!["p".to_string()]);
        assert!(wanted.index.is_empty() && wanted.members.is_empty());

        projects.insert("p".to_string(), fresh(ProjectConfig::default()));
        let cache = CacheView {
            index: &index,
            tasks: &tasks,
            sessions: &sessions,
            projects: &projects,
            members: &members,
        };
        assert!(keys(batch.iter(), &cache).projects.is_empty());
    }

    #[test]
    fn a_delete_of_what_the_batch_created_reads_no_index_entry() {
        let deleted = |kind: &str, field: &str, id: &str| {
            format!(
                r#"{{"event_id":"d-{id}","type":"{kind}.deleted","schema_version":1,"occurred_at":"2026-03-01T00:00:00Z","project_id":"p","{field}":"{id}"}}"#
            )
        };
        let lines = [
            deleted("annotation", "annotation_id", "a-t1-m1"),
            annotation("t1", "m1"),
            deleted("annotation", "annotation_id", "a-t1-m1"),
            deleted("annotation", "annotation_id", "a-t9-m1"),
            deleted("review", "review_id", "r9"),
        ];
        let events = decode_all(&lines);
        let batch = batch_of(&lines, &events);
        let (tasks, sessions, projects, index, members) = (
            HashMap::default(),
            HashMap::default(),
            HashMap::default(),
            HashMap::default(),
            HashMap::default(),
        );
        let cache = CacheView {
            index: &index,
            tasks: &tasks,
            sessions: &sessions,
            projects: &projects,
            members: &members,
        };
        let key = |kind, id: &str| ("p".to_string(), kind, id.to_string());
        // The first delete comes before the submission: its entry is read.
        assert_eq!(
            keys(batch.iter(), &cache).index,
            vec![
                key(IndexKind::Annotation, "a-t1-m1"),
                key(IndexKind::Annotation, "a-t9-m1"),
                key(IndexKind::Review, "r9"),
            ]
        );
        // Without it, only what the batch does not create.
        assert_eq!(
            keys(batch[1..].iter(), &cache).index,
            vec![
                key(IndexKind::Annotation, "a-t9-m1"),
                key(IndexKind::Review, "r9"),
            ]
        );
    }
}
