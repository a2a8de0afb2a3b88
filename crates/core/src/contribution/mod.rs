//! What one task contributes to the aggregates, given its state and its
//! project's config.
//!
//! Applying an event is `aggregates -= contributions(before)` and
//! `aggregates += contributions(after)`; [`diff`] cancels the entries both
//! sides share, so only what changed is touched. Because contributions are a
//! pure function of state, duplicates, reordering, updates and deletes need
//! no special cases in the aggregates.

use std::borrow::Cow;

mod agreement;
mod cancel;
mod detection;
mod diff;

use std::sync::Arc;

pub use agreement::participants;
use agreement::{agreement_contributions, TaskAgreement};
use cancel::{cancel_aligned, Sections};
pub use diff::{diff, diff_each, diff_grouped};

use crate::aggregate::CellKind;
use crate::agreement::{pair_score, scored_dimensions, PairMemo};
use crate::dims::Dims;
use crate::event::{ReviewCriteria, ReviewOutcome, TaskStatus};
use crate::participant::AgreementScope;
use crate::project::ProjectConfig;
use crate::score::SCORE_ONE;
use crate::task::{AnnotationState, TaskState};
use crate::time::{hour_of_ms, Hour};

/// The dimension name of the overall (all control tags) agreement.
pub const OVERALL: &str = "";

/// Counters of an hour row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    /// Non-skipped annotations, attributed at their `completed_at`.
    Submitted,
    /// Skipped annotations.
    Skipped,
    /// Annotations whose last action is an update.
    Updated,
    /// Result items with an id (regions, relations included).
    Regions,
    /// Annotations whose latest review accepted them, at that review's time.
    Accepted,
    /// ... fixed and accepted them.
    FixedAndAccepted,
    /// ... rejected them.
    Rejected,
    /// Sum of performance-score points (fixed point) of every review action.
    PerformanceSum,
    /// Number of review actions behind `PerformanceSum`.
    PerformanceCount,
    /// Review actions performed that accepted (credited to the reviewer).
    ReviewsAccepted,
    /// Review actions performed that fixed and accepted.
    ReviewsFixedAndAccepted,
    /// Review actions performed that rejected.
    ReviewsRejected,
    /// Tasks that became done, at the time they did.
    TasksDone,
    /// Active (idle-excluded) time, milliseconds.
    ActiveMs,
}

/// Where a label occurrence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelSource {
    /// A non-skipped annotation.
    Annotation,
    /// A model prediction.
    Prediction,
}

/// One element of a task's contribution multiset. Strings borrow from the
/// task state they were derived from (no allocation on the hot path);
/// [`Contribution::into_owned`] detaches one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Contribution<'a> {
    /// `amount` on a counter of the hour row of the project and, when
    /// `member` is set, of that member.
    Count {
        /// Hour bucket.
        hour: Hour,
        /// Member credited, if any.
        member: Option<Cow<'a, str>>,
        /// Which counter.
        counter: Counter,
        /// How much.
        amount: i64,
    },
    /// One annotation's lead time (sum, count and sketch), for its annotator and the project.
    LeadTime {
        /// Hour bucket of the annotation's completion.
        hour: Hour,
        /// Annotator.
        member: Cow<'a, str>,
        /// Cumulative lead time, milliseconds.
        ms: i64,
    },
    /// One review action's duration, for its reviewer and the project.
    ReviewTime {
        /// Hour bucket of the review's completion.
        hour: Hour,
        /// Reviewer.
        reviewer: Cow<'a, str>,
        /// Milliseconds.
        ms: i64,
    },
    /// `count` occurrences of a label in one annotation or prediction
    /// (one per region or selection carrying it).
    Label {
        /// Control tag.
        dimension: Cow<'a, str>,
        /// Label.
        label: Cow<'a, str>,
        /// Annotation or prediction.
        source: LabelSource,
        /// Occurrences.
        count: i64,
    },
    /// One common task of two participants (`a < b`) and its pair score.
    Pair {
        /// Control tag, or [`OVERALL`].
        dimension: Cow<'a, str>,
        /// First participant.
        a: Cow<'a, str>,
        /// Second participant.
        b: Cow<'a, str>,
        /// Fixed-point score.
        score: i64,
    },
    /// One task's agreement in a dimension and scope.
    TaskAgreement {
        /// Control tag, or [`OVERALL`].
        dimension: Cow<'a, str>,
        /// Which pairs, combined how.
        scope: AgreementScope,
        /// Hour of the task's latest participating annotation.
        hour: Hour,
        /// Fixed-point score.
        score: i64,
        /// Below the project's agreement threshold.
        low: bool,
    },
    /// `amount` on one cell of a dimension's sufficient statistics (see
    /// [`crate::aggregate::AggKey::Cell`]).
    Cell {
        /// Control tag.
        dimension: Cow<'a, str>,
        /// Which statistic.
        kind: CellKind,
        /// Values per task (coincidences), else 0.
        m: u32,
        /// First participant (confusion), else empty.
        a: Cow<'a, str>,
        /// Second participant (confusion), else empty.
        b: Cow<'a, str>,
        /// First category.
        c: Cow<'a, str>,
        /// Second category, else empty.
        k: Cow<'a, str>,
        /// How much.
        amount: i64,
    },
    /// The task is in this state (snapshot counts).
    Status {
        /// Current state.
        status: TaskStatus,
    },
}

fn owned(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

impl Contribution<'_> {
    /// The same contribution, owning its strings.
    pub fn into_owned(self) -> Contribution<'static> {
        match self {
            Contribution::Count {
                hour,
                member,
                counter,
                amount,
            } => Contribution::Count {
                hour,
                member: member.map(owned),
                counter,
                amount,
            },
            Contribution::LeadTime { hour, member, ms } => Contribution::LeadTime {
                hour,
                member: owned(member),
                ms,
            },
            Contribution::ReviewTime { hour, reviewer, ms } => Contribution::ReviewTime {
                hour,
                reviewer: owned(reviewer),
                ms,
            },
            Contribution::Label {
                dimension,
                label,
                source,
                count,
            } => Contribution::Label {
                dimension: owned(dimension),
                label: owned(label),
                source,
                count,
            },
            Contribution::Pair {
                dimension,
                a,
                b,
                score,
            } => Contribution::Pair {
                dimension: owned(dimension),
                a: owned(a),
                b: owned(b),
                score,
            },
            Contribution::TaskAgreement {
                dimension,
                scope,
                hour,
                score,
                low,
            } => Contribution::TaskAgreement {
                dimension: owned(dimension),
                scope,
                hour,
                score,
                low,
            },
            Contribution::Cell {
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
                amount,
            } => Contribution::Cell {
                dimension: owned(dimension),
                kind,
                m,
                a: owned(a),
                b: owned(b),
                c: owned(c),
                k: owned(k),
                amount,
            },
            Contribution::Status { status } => Contribution::Status { status },
        }
    }
}

/// What [`crate::aggregate::AggRow::apply`] reads of a contribution whose
/// row is already known: its kind and amounts (its amount, score, counter,
/// source or status), in a few bytes and borrowing nothing. The strings,
/// hour, scope and cell kind only name the row. See
/// [`Contribution::detach`] and [`Detached::attach`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detached {
    /// A [`Contribution::Count`].
    Count {
        /// Which counter.
        counter: Counter,
        /// How much.
        amount: i64,
    },
    /// A [`Contribution::LeadTime`], milliseconds.
    LeadTime(i64),
    /// A [`Contribution::ReviewTime`], milliseconds.
    ReviewTime(i64),
    /// A [`Contribution::Label`].
    Label {
        /// Annotation or prediction.
        source: LabelSource,
        /// Occurrences.
        count: i64,
    },
    /// A [`Contribution::Pair`]'s score.
    Pair(i64),
    /// A [`Contribution::TaskAgreement`].
    TaskAgreement {
        /// Fixed-point score.
        score: i64,
        /// Below the project's agreement threshold.
        low: bool,
    },
    /// A [`Contribution::Cell`]'s amount.
    Cell(i64),
    /// A [`Contribution::Status`].
    Status(TaskStatus),
}

impl Contribution<'_> {
    /// What applying this contribution to a known row reads of it.
    pub fn detach(&self) -> Detached {
        match self {
            Contribution::Count {
                counter, amount, ..
            } => Detached::Count {
                counter: *counter,
                amount: *amount,
            },
            Contribution::LeadTime { ms, .. } => Detached::LeadTime(*ms),
            Contribution::ReviewTime { ms, .. } => Detached::ReviewTime(*ms),
            Contribution::Label { source, count, .. } => Detached::Label {
                source: *source,
                count: *count,
            },
            Contribution::Pair { score, .. } => Detached::Pair(*score),
            Contribution::TaskAgreement { score, low, .. } => Detached::TaskAgreement {
                score: *score,
                low: *low,
            },
            Contribution::Cell { amount, .. } => Detached::Cell(*amount),
            Contribution::Status { status } => Detached::Status(*status),
        }
    }
}

impl Detached {
    /// A contribution that changes a row exactly as the detached one did:
    /// its strings empty, its hour 0, its scope the default, its cell kind
    /// `Single` with `m` 0 (none of which [`crate::aggregate::AggRow::apply`]
    /// reads). Allocates nothing.
    pub fn attach(self) -> Contribution<'static> {
        const EMPTY: Cow<'static, str> = Cow::Borrowed("");
        match self {
            Detached::Count { counter, amount } => Contribution::Count {
                hour: 0,
                member: None,
                counter,
                amount,
            },
            Detached::LeadTime(ms) => Contribution::LeadTime {
                hour: 0,
                member: EMPTY,
                ms,
            },
            Detached::ReviewTime(ms) => Contribution::ReviewTime {
                hour: 0,
                reviewer: EMPTY,
                ms,
            },
            Detached::Label { source, count } => Contribution::Label {
                dimension: EMPTY,
                label: EMPTY,
                source,
                count,
            },
            Detached::Pair(score) => Contribution::Pair {
                dimension: EMPTY,
                a: EMPTY,
                b: EMPTY,
                score,
            },
            Detached::TaskAgreement { score, low } => Contribution::TaskAgreement {
                dimension: EMPTY,
                scope: AgreementScope::DEFAULT,
                hour: 0,
                score,
                low,
            },
            Detached::Cell(amount) => Contribution::Cell {
                dimension: EMPTY,
                kind: CellKind::Single,
                m: 0,
                a: EMPTY,
                b: EMPTY,
                c: EMPTY,
                k: EMPTY,
                amount,
            },
            Detached::Status(status) => Contribution::Status { status },
        }
    }
}

/// Appends the contributions of one task to `out` (unsorted).
pub fn task_contributions<'a>(
    task: &'a TaskState,
    config: &'a ProjectConfig,
    out: &mut Vec<Contribution<'a>>,
) {
    task_contributions_memo(task, config, &mut PairMemo::with_capacity(0), out);
}

/// [`task_contributions`] with pair evaluations memoized in `memo` across
/// calls (the engine keeps one, so a change rescores only the changed
/// result's pairs).
pub fn task_contributions_memo<'a>(
    task: &'a TaskState,
    config: &'a ProjectConfig,
    memo: &mut PairMemo,
    out: &mut Vec<Contribution<'a>>,
) {
    out.reserve(estimated_len(task, config));
    base_contributions(task, config, out);
    task_agreement_contributions(task, config, memo, out);
}

/// About how many contributions a task has (a capacity hint, so a fresh
/// list grows once instead of doubling its way there).
fn estimated_len(task: &TaskState, config: &ProjectConfig) -> usize {
    if !task.exists {
        return 0;
    }
    let participants = task.annotations.len() + task.predictions.len() + 1;
    let pairs = participants * (participants - 1) / 2;
    let dimensions = config.controls.len() + 1;
    let base = 8 * task.annotations.len() + 4 * task.reviews.len() + 4 * task.predictions.len() + 2;
    // Per dimension and pair: its pair row, confusion and detection cells;
    // per dimension: task agreements and single-value cells.
    base + dimensions * (3 * pairs + 6)
}

/// The contributions of a task before and after one change under one
/// config, appended to `before` and `after`: what [`task_contributions_memo`]
/// gives for each state, except that entries equal on both sides may be
/// left out of both, so their [`diff`] is the same. Left out are the
/// agreement part when the change cannot alter it
/// ([`agreement_inputs_equal`]); the contributions of the annotations,
/// reviews and predictions both states share; the per-pair agreement
/// contributions of the pairs of participants both share; and whatever
/// else is equal at the same place on both sides.
pub fn change_contributions<'a>(
    old: &'a TaskState,
    new: &'a TaskState,
    config: &'a ProjectConfig,
    memo: &mut PairMemo,
    before: &mut Vec<Contribution<'a>>,
    after: &mut Vec<Contribution<'a>>,
) {
    before.reserve(estimated_len(old, config));
    after.reserve(estimated_len(new, config));
    // The base section and the agreement's.
    let mut sections = Sections::with_capacity(1 + agreement::SECTIONS);
    let (b0, a0) = (before.len(), after.len());
    if old.exists && new.exists {
        base_change(old, new, config, before, after);
    } else {
        base_contributions(old, config, before);
        base_contributions(new, config, after);
    }
    sections.push((b0..before.len(), a0..after.len()));
    if !agreement_inputs_equal(old, new) {
        let x = old
            .exists
            .then(|| TaskAgreement::of(old, config, memo))
            .flatten();
        let y = new
            .exists
            .then(|| TaskAgreement::of(new, config, memo))
            .flatten();
        match (&x, &y) {
            (Some(x), Some(y)) => {
                let shared = x.shared_pairs(y);
                let skip = |pair: usize| shared.get(pair).copied().unwrap_or(false);
                // Dimensions whose every entry both sides share are left out.
                let same = x.same_dimensions(y);
                let cuts_x = x.contribute_against(config, skip, &same, before);
                let cuts_y = y.contribute_against(config, skip, &same, after);
                for s in 0..agreement::SECTIONS {
                    sections.push((cuts_x[s]..cuts_x[s + 1], cuts_y[s]..cuts_y[s + 1]));
                }
            }
            _ => {
                if let Some(x) = &x {
                    x.contribute(config, |_| false, before);
                }
                if let Some(y) = &y {
                    y.contribute(config, |_| false, after);
                }
            }
        }
    }
    cancel_aligned(before, after, &sections);
}

/// [`base_contributions`] of two existing states of a task, leaving out of
/// both the contributions of the annotations, reviews and predictions they
/// share at the same position (the very same `Arc`), which are equal: a
/// review's and a prediction's depend on it alone, an annotation's on it
/// and the task's reviews (so only when those are all shared too).
fn base_change<'a>(
    old: &'a TaskState,
    new: &'a TaskState,
    config: &'a ProjectConfig,
    before: &mut Vec<Contribution<'a>>,
    after: &mut Vec<Contribution<'a>>,
) {
    fn shared<T>(x: &[Arc<T>], y: &[Arc<T>], index: usize) -> bool {
        matches!((x.get(index), y.get(index)), (Some(a), Some(b)) if Arc::ptr_eq(a, b))
    }
    let reviews_shared = old.reviews.len() == new.reviews.len()
        && (0..old.reviews.len()).all(|r| shared(&old.reviews, &new.reviews, r));
    let skip = Skip {
        annotation: &|k| reviews_shared && shared(&old.annotations, &new.annotations, k),
        review: &|r| shared(&old.reviews, &new.reviews, r),
        prediction: &|p| shared(&old.predictions, &new.predictions, p),
    };
    base_parts(old, config, &skip, before);
    base_parts(new, config, &skip, after);
}

/// Which annotations, reviews and predictions (by position) a call of
/// [`base_parts`] leaves out.
struct Skip<'s> {
    annotation: &'s dyn Fn(usize) -> bool,
    review: &'s dyn Fn(usize) -> bool,
    prediction: &'s dyn Fn(usize) -> bool,
}

/// The agreement part of [`task_contributions_memo`]: pairs, task
/// agreement and statistics cells. It depends only on the task's
/// existence, annotations, predictions and the config (see
/// [`agreement_inputs_equal`]), so an event that changes none of them (a
/// review, a state change) leaves it as it was.
pub fn task_agreement_contributions<'a>(
    task: &'a TaskState,
    config: &'a ProjectConfig,
    memo: &mut PairMemo,
    out: &mut Vec<Contribution<'a>>,
) {
    if task.exists {
        agreement_contributions(task, config, memo, out);
    }
}

/// True when two states of a task have the same agreement inputs (its
/// existence and the very same shared annotations and predictions), so
/// under one config their [`task_agreement_contributions`] are equal.
pub fn agreement_inputs_equal(before: &TaskState, after: &TaskState) -> bool {
    fn same<T>(x: &[Arc<T>], y: &[Arc<T>]) -> bool {
        x.len() == y.len() && x.iter().zip(y).all(|(a, b)| Arc::ptr_eq(a, b))
    }
    before.exists == after.exists
        && same(&before.annotations, &after.annotations)
        && same(&before.predictions, &after.predictions)
}

/// Everything of [`task_contributions_memo`] but agreement: counters,
/// times, labels, the task's status.
pub fn base_contributions<'a>(
    task: &'a TaskState,
    config: &'a ProjectConfig,
    out: &mut Vec<Contribution<'a>>,
) {
    let none = |_: usize| false;
    let skip = Skip {
        annotation: &none,
        review: &none,
        prediction: &none,
    };
    base_parts(task, config, &skip, out);
}

/// [`base_contributions`] but those of the parts `skip` names.
fn base_parts<'a>(
    task: &'a TaskState,
    config: &'a ProjectConfig,
    skip: &Skip<'_>,
    out: &mut Vec<Contribution<'a>>,
) {
    if !task.exists {
        return;
    }
    for (index, annotation) in task.annotations.iter().enumerate() {
        if !(skip.annotation)(index) {
            annotation_contributions(task, annotation, config, out);
        }
    }
    for (index, review) in task.reviews.iter().enumerate() {
        if (skip.review)(index) {
            continue;
        }
        let hour = hour_of_ms(review.completed_ms);
        let counter = match review.outcome {
            ReviewOutcome::Accepted => Counter::ReviewsAccepted,
            ReviewOutcome::FixedAndAccepted => Counter::ReviewsFixedAndAccepted,
            ReviewOutcome::Rejected => Counter::ReviewsRejected,
        };
        out.push(count(hour, Some(&review.reviewer_id), counter, 1));
        out.push(Contribution::ReviewTime {
            hour,
            reviewer: Cow::Borrowed(&review.reviewer_id),
            ms: review.duration_ms(),
        });
    }
    for (index, prediction) in task.predictions.iter().enumerate() {
        if !(skip.prediction)(index) {
            label_contributions(&prediction.dims, LabelSource::Prediction, out);
        }
    }
    let (status, done_ms) = status_of(task, config);
    out.push(Contribution::Status { status });
    if let (TaskStatus::Done, Some(done_ms)) = (status, done_ms) {
        out.push(count(hour_of_ms(done_ms), None, Counter::TasksDone, 1));
    }
}

/// One [`Contribution::Label`] per distinct label of each dimension, with
/// its number of occurrences (`occurrences` are sorted).
fn label_contributions<'a>(dims: &'a Dims, source: LabelSource, out: &mut Vec<Contribution<'a>>) {
    for value in &dims.values {
        for run in value.occurrences.chunk_by(|a, b| a == b) {
            out.push(Contribution::Label {
                dimension: Cow::Borrowed(&value.name),
                label: Cow::Borrowed(&run[0]),
                source,
                count: run.len() as i64,
            });
        }
    }
}

fn count(hour: Hour, member: Option<&str>, counter: Counter, amount: i64) -> Contribution<'_> {
    Contribution::Count {
        hour,
        member: member.map(Cow::Borrowed),
        counter,
        amount,
    }
}

fn annotation_contributions<'a>(
    task: &'a TaskState,
    annotation: &'a AnnotationState,
    config: &'a ProjectConfig,
    out: &mut Vec<Contribution<'a>>,
) {
    let member = Some(annotation.member_id.as_str());
    let hour = hour_of_ms(annotation.completed_ms);
    if annotation.skipped {
        out.push(count(hour, member, Counter::Skipped, 1));
    } else {
        out.push(count(hour, member, Counter::Submitted, 1));
        if annotation.updated {
            out.push(count(hour, member, Counter::Updated, 1));
        }
        if annotation.dims.regions > 0 {
            out.push(count(
                hour,
                member,
                Counter::Regions,
                i64::from(annotation.dims.regions),
            ));
        }
        out.push(Contribution::LeadTime {
            hour,
            member: Cow::Borrowed(&annotation.member_id),
            ms: annotation.lead_time_ms,
        });
        label_contributions(&annotation.dims, LabelSource::Annotation, out);
    }
    if let Some(latest) = task.latest_review(&annotation.id) {
        let counter = match latest.outcome {
            ReviewOutcome::Accepted => Counter::Accepted,
            ReviewOutcome::FixedAndAccepted => Counter::FixedAndAccepted,
            ReviewOutcome::Rejected => Counter::Rejected,
        };
        out.push(count(hour_of_ms(latest.completed_ms), member, counter, 1));
    }
    for review in task
        .reviews
        .iter()
        .filter(|r| r.annotation_id == annotation.id)
    {
        let points = match (review.outcome, &review.fixed) {
            (ReviewOutcome::Accepted, _) => SCORE_ONE,
            (ReviewOutcome::Rejected, _) => 0,
            (ReviewOutcome::FixedAndAccepted, None) => SCORE_ONE,
            (ReviewOutcome::FixedAndAccepted, Some(fixed)) => {
                let dimensions = scored_dimensions(config, [&annotation.dims, fixed]);
                pair_score(&dimensions, &annotation.dims, fixed).unwrap_or(SCORE_ONE)
            }
        };
        let review_hour = hour_of_ms(review.completed_ms);
        out.push(count(review_hour, member, Counter::PerformanceSum, points));
        out.push(count(review_hour, member, Counter::PerformanceCount, 1));
    }
}

/// The task's state and, when done, the time it became done.
///
/// With producer-sent states, the latest one. Otherwise derived: `initial`
/// with no annotation; `annotating` until the counted annotations from
/// distinct members reach the overlap; then `done` (review criteria `none`),
/// or `needs_review` / `in_review` / `done` by how many counted annotations
/// have an accepting latest review (`one`: any; `all`: every one). The done
/// time is the latest completion among the counted annotations and the
/// accepting reviews.
pub fn status_of(task: &TaskState, config: &ProjectConfig) -> (TaskStatus, Option<i64>) {
    if let Some(explicit) = task.explicit_status {
        return (explicit.status, Some(explicit.at_ms));
    }
    if task.annotations.is_empty() {
        return (TaskStatus::Initial, None);
    }
    // One pass over the counted annotations (those not skipped whose
    // latest review did not reject them), each review looked up once.
    let mut members: Vec<&str> = Vec::with_capacity(task.annotations.len());
    let (mut counted, mut annotated_ms) = (0, None);
    let (mut accepting, mut accepted_ms) = (0, None);
    for annotation in task.annotations.iter().filter(|a| !a.skipped) {
        let latest = task.latest_review(&annotation.id);
        if latest.is_some_and(|r| r.outcome == ReviewOutcome::Rejected) {
            continue;
        }
        members.push(&annotation.member_id);
        counted += 1;
        annotated_ms = annotated_ms.max(Some(annotation.completed_ms));
        // Counted, so its latest review (if any) accepted it.
        if let Some(review) = latest {
            accepting += 1;
            accepted_ms = accepted_ms.max(Some(review.completed_ms));
        }
    }
    members.sort_unstable();
    members.dedup();
    let required = task.overlap.unwrap_or(config.overlap).max(1) as usize;
    if members.len() < required {
        return (TaskStatus::Annotating, None);
    }
    let done_ms = annotated_ms.max(accepted_ms);
    match config.review_criteria {
        ReviewCriteria::None => (TaskStatus::Done, annotated_ms),
        ReviewCriteria::One if accepting > 0 => (TaskStatus::Done, done_ms),
        ReviewCriteria::One => (TaskStatus::NeedsReview, None),
        ReviewCriteria::All if accepting == counted => (TaskStatus::Done, done_ms),
        ReviewCriteria::All if accepting == 0 => (TaskStatus::NeedsReview, None),
        ReviewCriteria::All => (TaskStatus::InReview, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{participant_total, targets_ref, AggKeyRef};
    use crate::participant::{Mode, Participants};
    use crate::task::ReviewState;

    /// One contribution of every kind, with strings and amounts set.
    fn every_kind() -> Vec<Contribution<'static>> {
        let text = |s: &'static str| Cow::Borrowed(s);
        let scope = AgreementScope {
            participants: Participants::Annotators,
            mode: Mode::Pairwise,
        };
        vec![
            count(5, Some("m"), Counter::Submitted, 1),
            count(5, Some("m"), Counter::Regions, 7),
            count(5, None, Counter::TasksDone, 1),
            Contribution::LeadTime {
                hour: 5,
                member: text("m"),
                ms: 1_234,
            },
            Contribution::ReviewTime {
                hour: 5,
                reviewer: text("r"),
                ms: 99,
            },
            Contribution::Label {
                dimension: text("d"),
                label: text("l"),
                source: LabelSource::Prediction,
                count: 3,
            },
            Contribution::Pair {
                dimension: text("d"),
                a: text("a"),
                b: text("b"),
                score: 700_000,
            },
            Contribution::TaskAgreement {
                dimension: text("d"),
                scope,
                hour: 5,
                score: 300_000,
                low: true,
            },
            Contribution::Cell {
                dimension: text("d"),
                kind: CellKind::Confusion,
                m: 2,
                a: text("a"),
                b: text("b"),
                c: text("c"),
                k: text("k"),
                amount: 4,
            },
            Contribution::Status {
                status: TaskStatus::Done,
            },
        ]
    }

    /// `status_of` as it was written first (three lists, each latest
    /// review looked up twice): the reference of the one-pass version.
    fn status_reference(task: &TaskState, config: &ProjectConfig) -> (TaskStatus, Option<i64>) {
        if let Some(explicit) = task.explicit_status {
            return (explicit.status, Some(explicit.at_ms));
        }
        if task.annotations.is_empty() {
            return (TaskStatus::Initial, None);
        }
        let counts = |a: &AnnotationState| {
            !a.skipped
                && task
                    .latest_review(&a.id)
                    .is_none_or(|r| r.outcome != ReviewOutcome::Rejected)
        };
        let counted: Vec<&AnnotationState> = task
            .annotations
            .iter()
            .filter(|a| counts(a))
            .map(|a| &**a)
            .collect();
        let mut members: Vec<&str> = counted.iter().map(|a| a.member_id.as_str()).collect();
        members.sort_unstable();
        members.dedup();
        let required = task.overlap.unwrap_or(config.overlap).max(1) as usize;
        if members.len() < required {
            return (TaskStatus::Annotating, None);
        }
        let annotated_ms = counted.iter().map(|a| a.completed_ms).max();
        let accepting: Vec<i64> = counted
            .iter()
            .filter_map(|a| task.latest_review(&a.id))
            .filter(|r| r.outcome != ReviewOutcome::Rejected)
            .map(|r| r.completed_ms)
            .collect();
        let done_ms = annotated_ms.max(accepting.iter().copied().max());
        match config.review_criteria {
            ReviewCriteria::None => (TaskStatus::Done, annotated_ms),
            ReviewCriteria::One if !accepting.is_empty() => (TaskStatus::Done, done_ms),
            ReviewCriteria::One => (TaskStatus::NeedsReview, None),
            ReviewCriteria::All if accepting.len() == counted.len() => (TaskStatus::Done, done_ms),
            ReviewCriteria::All if accepting.is_empty() => (TaskStatus::NeedsReview, None),
            ReviewCriteria::All => (TaskStatus::InReview, None),
        }
    }

    #[test]
    fn status_of_agrees_with_its_reference() {
        let outcomes = [
            ReviewOutcome::Accepted,
            ReviewOutcome::FixedAndAccepted,
            ReviewOutcome::Rejected,
        ];
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % n
        };
        let mut statuses = std::collections::BTreeSet::new();
        for case in 0..3_000 {
            let annotations: Vec<Arc<AnnotationState>> = (0..next(6))
                .map(|i| {
                    Arc::new(AnnotationState {
                        id: format!("a{i}"),
                        member_id: format!("m{}", next(3)),
                        skipped: next(5) == 0,
                        updated: false,
                        ground_truth: false,
                        lead_time_ms: 0,
                        completed_ms: next(100) as i64,
                        dims: Dims::default(),
                    })
                })
                .collect();
            let reviews: Vec<Arc<ReviewState>> = (0..next(6))
                .map(|r| {
                    Arc::new(ReviewState {
                        id: format!("r{r}"),
                        annotation_id: format!("a{}", next(6)),
                        reviewer_id: "v".to_string(),
                        outcome: outcomes[next(3) as usize],
                        started_ms: 0,
                        completed_ms: next(100) as i64,
                        fixed: None,
                    })
                })
                .collect();
            let task = TaskState {
                exists: true,
                overlap: (next(3) == 0).then(|| next(4) as u32),
                annotations,
                reviews,
                ..TaskState::default()
            };
            let config = ProjectConfig {
                overlap: 1 + next(3) as u32,
                review_criteria: [
                    ReviewCriteria::None,
                    ReviewCriteria::One,
                    ReviewCriteria::All,
                ][case % 3],
                ..ProjectConfig::default()
            };
            let status = status_of(&task, &config);
            assert_eq!(status, status_reference(&task, &config), "{task:?}");
            statuses.insert(format!("{:?}", status.0));
        }
        // Every derived state was met.
        assert_eq!(statuses.len(), 5, "{statuses:?}");
    }

    #[test]
    fn a_detached_contribution_changes_its_rows_alike() {
        for contribution in every_kind() {
            let detached = contribution.detach().attach();
            let mut keys = Vec::new();
            targets_ref("p", &contribution, &mut keys);
            assert!(!keys.is_empty());
            for key in keys {
                // A pair's share of a participant's totals survives detaching.
                if let AggKeyRef::Cell { kind, .. } = key {
                    let total = participant_total(kind, &contribution);
                    assert_eq!(total, participant_total(kind, &detached));
                    assert_eq!(
                        total.is_some(),
                        matches!(contribution, Contribution::Pair { .. })
                    );
                }
                for sign in [1, -1] {
                    let (mut x, mut y) = (key.to_key().empty_row(), key.to_key().empty_row());
                    x.apply(&contribution, sign);
                    y.apply(&detached, sign);
                    assert_eq!(x, y, "{contribution:?}");
                }
            }
        }
    }
}
