//! Per-task entity state and how events change it.
//!
//! Every transition is order-insensitive where the contract allows: an
//! annotation or review keeps its newest version by `completed_at`, deletes
//! leave tombstones so a late update cannot resurrect an entity, and a
//! repeated event changes nothing. Aggregates are derived from this state
//! (see [`crate::contribution`]), never from event counts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dims::Dims;
use crate::event::{
    AnnotationAction, AnnotationEvent, PredictionCreated, ReviewOutcome, ReviewSubmitted,
    TaskStatus,
};
use crate::time::{epoch_ms, seconds_to_ms};

/// The current state of one task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskState {
    /// The task exists (created, or implied by an annotation) and is not deleted.
    pub exists: bool,
    /// Deleted; events other than a later `task.created` are ignored.
    pub deleted: bool,
    /// `occurred_at` of the latest `task.deleted`, epoch ms: a `task.created`
    /// not after it is a late duplicate and cannot resurrect the task.
    pub deleted_ms: Option<i64>,
    /// Per-task overlap override.
    pub overlap: Option<u32>,
    /// The latest producer-sent state, when producers send them.
    pub explicit_status: Option<ExplicitStatus>,
    /// Current annotations, sorted by id. Shared (`Arc`), so keeping the
    /// state before a change costs no deep copy.
    pub annotations: Vec<Arc<AnnotationState>>,
    /// Current predictions, sorted by id.
    pub predictions: Vec<Arc<PredictionState>>,
    /// Current reviews, sorted by id.
    pub reviews: Vec<Arc<ReviewState>>,
    /// Ids of deleted annotations, predictions and reviews, sorted.
    pub tombstones: Vec<String>,
}

/// A state sent with `task.state_changed`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExplicitStatus {
    /// The state entered.
    pub status: TaskStatus,
    /// When, epoch milliseconds.
    pub at_ms: i64,
}

/// One annotation as currently known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnotationState {
    /// Annotation id.
    pub id: String,
    /// Annotator.
    pub member_id: String,
    /// Skipped (cancelled).
    pub skipped: bool,
    /// The last action was an update.
    pub updated: bool,
    /// Marked as ground truth.
    pub ground_truth: bool,
    /// Cumulative lead time, milliseconds.
    pub lead_time_ms: i64,
    /// Last submit or update, epoch milliseconds.
    pub completed_ms: i64,
    /// The normalized result.
    pub dims: Dims,
}

/// One prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionState {
    /// Prediction id.
    pub id: String,
    /// Model version.
    pub model_version: String,
    /// The normalized result.
    pub dims: Dims,
}

/// One review action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewState {
    /// Review id.
    pub id: String,
    /// The reviewed annotation.
    pub annotation_id: String,
    /// Reviewer.
    pub reviewer_id: String,
    /// Outcome.
    pub outcome: ReviewOutcome,
    /// Opened, epoch milliseconds.
    pub started_ms: i64,
    /// Acted, epoch milliseconds.
    pub completed_ms: i64,
    /// The reviewer's fixed result, for fix-and-accept.
    pub fixed: Option<Dims>,
}

/// Whether an event changed the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// State changed; contributions must be re-derived.
    Changed,
    /// Nothing changed (duplicate, stale, tombstoned or deleted task).
    Unchanged,
}

fn changed(yes: bool) -> Change {
    if yes {
        Change::Changed
    } else {
        Change::Unchanged
    }
}

impl AnnotationState {
    /// The state an annotation event describes.
    pub fn from_event(event: &AnnotationEvent<'_>) -> Self {
        AnnotationState {
            id: event.annotation_id.to_string(),
            member_id: event.member_id.to_string(),
            skipped: event.was_cancelled,
            updated: event.action == AnnotationAction::Updated,
            ground_truth: event.ground_truth,
            lead_time_ms: seconds_to_ms(event.lead_time_seconds),
            completed_ms: epoch_ms(event.completed_at),
            dims: Dims::from_result(&event.result),
        }
    }

    /// Total order deciding which of two versions of an annotation is newer:
    /// later `completed_at`, then larger cumulative lead time, then update
    /// over submit. Equal keys mean the same version.
    fn recency(&self) -> (i64, i64, bool) {
        (self.completed_ms, self.lead_time_ms, self.updated)
    }
}

impl ReviewState {
    /// The state a review event describes.
    pub fn from_event(event: &ReviewSubmitted<'_>) -> Self {
        ReviewState {
            id: event.review_id.to_string(),
            annotation_id: event.annotation_id.to_string(),
            reviewer_id: event.reviewer_id.to_string(),
            outcome: event.outcome,
            started_ms: epoch_ms(event.started_at),
            completed_ms: epoch_ms(event.completed_at),
            fixed: event.fixed_result.as_deref().map(Dims::from_result),
        }
    }

    /// Review time, milliseconds.
    pub fn duration_ms(&self) -> i64 {
        (self.completed_ms - self.started_ms).max(0)
    }
}

/// Inserts or replaces by id in a vector sorted by id; `newer` decides a replace.
fn upsert<T>(
    items: &mut Vec<T>,
    id: impl Fn(&T) -> &str,
    item: T,
    newer: impl Fn(&T, &T) -> bool,
) -> bool {
    match items.binary_search_by(|existing| id(existing).cmp(id(&item))) {
        Ok(index) if newer(&item, &items[index]) => {
            items[index] = item;
            true
        }
        Ok(_) => false,
        Err(index) => {
            items.insert(index, item);
            true
        }
    }
}

fn remove<T>(items: &mut Vec<T>, id: impl Fn(&T) -> &str, target: &str) -> bool {
    match items.binary_search_by(|existing| id(existing).cmp(target)) {
        Ok(index) => {
            items.remove(index);
            true
        }
        Err(_) => false,
    }
}

impl TaskState {
    fn is_tombstoned(&self, id: &str) -> bool {
        self.tombstones
            .binary_search_by(|t| t.as_str().cmp(id))
            .is_ok()
    }

    fn bury(&mut self, id: &str) {
        if let Err(index) = self.tombstones.binary_search_by(|t| t.as_str().cmp(id)) {
            self.tombstones.insert(index, id.to_string());
        }
    }

    /// `task.created` at `at_ms`: (re)creates the task; a deleted task starts
    /// empty, but only when the creation is later than the deletion.
    pub fn create(&mut self, overlap: Option<u32>, at_ms: i64) -> Change {
        if self.deleted_ms.is_some_and(|deleted| at_ms <= deleted) {
            return Change::Unchanged;
        }
        let before = self.clone();
        if self.deleted {
            *self = TaskState {
                deleted_ms: self.deleted_ms,
                ..TaskState::default()
            };
        }
        self.exists = true;
        if overlap.is_some() {
            self.overlap = overlap;
        }
        changed(*self != before)
    }

    /// `task.deleted` at `at_ms`: everything the task contributed goes away.
    pub fn delete(&mut self, at_ms: i64) -> Change {
        let deleted_ms = Some(self.deleted_ms.map_or(at_ms, |old| old.max(at_ms)));
        if self.deleted && deleted_ms == self.deleted_ms {
            return Change::Unchanged;
        }
        *self = TaskState {
            deleted: true,
            deleted_ms,
            ..TaskState::default()
        };
        Change::Changed
    }

    /// `task.state_changed`: the latest by time wins (ties: the later event).
    pub fn set_status(&mut self, status: TaskStatus, at_ms: i64) -> Change {
        if self.deleted {
            return Change::Unchanged;
        }
        let newer = self
            .explicit_status
            .is_none_or(|current| at_ms >= current.at_ms);
        let next = ExplicitStatus { status, at_ms };
        if !newer || self.explicit_status == Some(next) {
            return Change::Unchanged;
        }
        self.explicit_status = Some(next);
        self.exists = true;
        Change::Changed
    }

    /// An annotation event: keeps the newest version of the annotation.
    pub fn upsert_annotation(&mut self, annotation: AnnotationState) -> Change {
        if self.deleted || self.is_tombstoned(&annotation.id) {
            return Change::Unchanged;
        }
        let was_existing = self.exists;
        self.exists = true;
        let replaced = upsert(
            &mut self.annotations,
            |a| &a.id,
            Arc::new(annotation),
            |new, old| new.recency() > old.recency(),
        );
        changed(replaced || !was_existing)
    }

    /// `annotation.deleted`.
    pub fn delete_annotation(&mut self, id: &str) -> Change {
        if self.deleted {
            return Change::Unchanged;
        }
        let removed = remove(&mut self.annotations, |a| &a.id, id);
        let new_tombstone = !self.is_tombstoned(id);
        self.bury(id);
        changed(removed || new_tombstone)
    }

    /// `prediction.created`.
    pub fn upsert_prediction(&mut self, event: &PredictionCreated<'_>) -> Change {
        if self.deleted || self.is_tombstoned(&event.prediction_id) {
            return Change::Unchanged;
        }
        let prediction = PredictionState {
            id: event.prediction_id.to_string(),
            model_version: event.model_version.to_string(),
            dims: Dims::from_result(&event.result),
        };
        let was_existing = self.exists;
        self.exists = true;
        let inserted = upsert(
            &mut self.predictions,
            |p| &p.id,
            Arc::new(prediction),
            |new, old| new != old,
        );
        changed(inserted || !was_existing)
    }

    /// `prediction.deleted`.
    pub fn delete_prediction(&mut self, id: &str) -> Change {
        if self.deleted {
            return Change::Unchanged;
        }
        let removed = remove(&mut self.predictions, |p| &p.id, id);
        let new_tombstone = !self.is_tombstoned(id);
        self.bury(id);
        changed(removed || new_tombstone)
    }

    /// `review.submitted`: keeps the newest version of the review.
    pub fn upsert_review(&mut self, review: ReviewState) -> Change {
        if self.deleted || self.is_tombstoned(&review.id) {
            return Change::Unchanged;
        }
        let was_existing = self.exists;
        self.exists = true;
        let replaced = upsert(
            &mut self.reviews,
            |r| &r.id,
            Arc::new(review),
            |new, old| (new.completed_ms, new.started_ms) > (old.completed_ms, old.started_ms),
        );
        changed(replaced || !was_existing)
    }

    /// `review.deleted`.
    pub fn delete_review(&mut self, id: &str) -> Change {
        if self.deleted {
            return Change::Unchanged;
        }
        let removed = remove(&mut self.reviews, |r| &r.id, id);
        let new_tombstone = !self.is_tombstoned(id);
        self.bury(id);
        changed(removed || new_tombstone)
    }

    /// The annotation with this id.
    pub fn annotation(&self, id: &str) -> Option<&AnnotationState> {
        self.annotations
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|index| &*self.annotations[index])
    }

    /// The latest review of an annotation: greatest `completed_at`, then id.
    pub fn latest_review(&self, annotation_id: &str) -> Option<&ReviewState> {
        self.reviews
            .iter()
            .filter(|r| r.annotation_id == annotation_id)
            .max_by(|a, b| (a.completed_ms, &a.id).cmp(&(b.completed_ms, &b.id)))
            .map(|review| &**review)
    }
}
