//! The value of an aggregate row, and how a contribution is added to it.

use serde::{Deserialize, Serialize};

use crate::contribution::{Contribution, Counter, LabelSource};
use crate::event::TaskStatus;
use crate::sketch::Sketch;

/// Counters of one hour, for a project or for one member in a project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourRow {
    /// Non-skipped annotations completed in the hour (counted once each).
    pub submitted: i64,
    /// Skipped annotations.
    pub skipped: i64,
    /// Annotations whose last action is an update.
    pub updated: i64,
    /// Regions (result items with an id) of the submitted annotations.
    pub regions: i64,
    /// Sum of cumulative lead times, ms.
    pub lead_time_ms: i64,
    /// Number of lead times summed.
    pub lead_time_count: i64,
    /// Lead-time distribution, ms.
    pub lead_time_sketch: Sketch,
    /// Annotations whose latest review (completed in the hour) accepted them.
    pub accepted: i64,
    /// ... fixed and accepted them.
    pub fixed_and_accepted: i64,
    /// ... rejected them.
    pub rejected: i64,
    /// Performance points of review actions (fixed point).
    pub performance_sum: i64,
    /// Review actions behind `performance_sum`.
    pub performance_count: i64,
    /// Review actions performed: accepted.
    pub reviews_accepted: i64,
    /// Review actions performed: fixed and accepted.
    pub reviews_fixed_and_accepted: i64,
    /// Review actions performed: rejected.
    pub reviews_rejected: i64,
    /// Sum of review durations, ms.
    pub review_time_ms: i64,
    /// Number of review durations summed.
    pub review_time_count: i64,
    /// Review-time distribution, ms.
    pub review_time_sketch: Sketch,
    /// Tasks that became done in the hour.
    pub tasks_done: i64,
    /// Active (idle-excluded) time, ms.
    pub active_ms: i64,
}

impl HourRow {
    /// Adds `other` into `self` (for read-time roll-ups).
    pub fn merge(&mut self, other: &HourRow) {
        self.submitted += other.submitted;
        self.skipped += other.skipped;
        self.updated += other.updated;
        self.regions += other.regions;
        self.lead_time_ms += other.lead_time_ms;
        self.lead_time_count += other.lead_time_count;
        self.lead_time_sketch.merge(&other.lead_time_sketch);
        self.accepted += other.accepted;
        self.fixed_and_accepted += other.fixed_and_accepted;
        self.rejected += other.rejected;
        self.performance_sum += other.performance_sum;
        self.performance_count += other.performance_count;
        self.reviews_accepted += other.reviews_accepted;
        self.reviews_fixed_and_accepted += other.reviews_fixed_and_accepted;
        self.reviews_rejected += other.reviews_rejected;
        self.review_time_ms += other.review_time_ms;
        self.review_time_count += other.review_time_count;
        self.review_time_sketch.merge(&other.review_time_sketch);
        self.tasks_done += other.tasks_done;
        self.active_ms += other.active_ms;
    }

    fn counter(&mut self, counter: Counter) -> &mut i64 {
        match counter {
            Counter::Submitted => &mut self.submitted,
            Counter::Skipped => &mut self.skipped,
            Counter::Updated => &mut self.updated,
            Counter::Regions => &mut self.regions,
            Counter::Accepted => &mut self.accepted,
            Counter::FixedAndAccepted => &mut self.fixed_and_accepted,
            Counter::Rejected => &mut self.rejected,
            Counter::PerformanceSum => &mut self.performance_sum,
            Counter::PerformanceCount => &mut self.performance_count,
            Counter::ReviewsAccepted => &mut self.reviews_accepted,
            Counter::ReviewsFixedAndAccepted => &mut self.reviews_fixed_and_accepted,
            Counter::ReviewsRejected => &mut self.reviews_rejected,
            Counter::TasksDone => &mut self.tasks_done,
            Counter::ActiveMs => &mut self.active_ms,
        }
    }

    /// Review actions performed (all outcomes).
    pub fn reviews_performed(&self) -> i64 {
        self.reviews_accepted + self.reviews_fixed_and_accepted + self.reviews_rejected
    }

    /// True when the row has any activity (used to list members).
    pub fn has_activity(&self) -> bool {
        self.submitted != 0
            || self.skipped != 0
            || self.reviews_performed() != 0
            || self.accepted != 0
            || self.fixed_and_accepted != 0
            || self.rejected != 0
            || self.performance_count != 0
            || self.active_ms != 0
    }
}

/// Snapshot counts of a project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalsRow {
    /// Tasks per state, indexed by [`TaskStatus::index`].
    pub tasks_by_status: [i64; 5],
    /// Current non-skipped annotations.
    pub submitted: i64,
    /// Current skipped annotations.
    pub skipped: i64,
}

impl TotalsRow {
    /// Tasks that exist.
    pub fn tasks_total(&self) -> i64 {
        self.tasks_by_status.iter().sum()
    }

    /// Tasks in one state.
    pub fn tasks_in(&self, status: TaskStatus) -> i64 {
        self.tasks_by_status[status.index()]
    }
}

/// A member's latest activity in a project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRow {
    /// Epoch ms of the latest annotation, review or heartbeat time seen.
    pub last_active_ms: i64,
}

/// Label occurrences by source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRow {
    /// In non-skipped annotations.
    pub annotations: i64,
    /// In predictions.
    pub predictions: i64,
}

/// Agreement of two participants over their common tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairRow {
    /// Sum of per-task pair scores (fixed point).
    pub score_sum: i64,
    /// Common tasks.
    pub tasks: i64,
}

/// Task-agreement statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementRow {
    /// Tasks with >= 2 participants.
    pub tasks: i64,
    /// Sum of task agreements (fixed point).
    pub score_sum: i64,
    /// Tasks per decile `[0,0.1) .. [0.9,1]`.
    pub histogram: [i64; 10],
    /// Tasks below the project's threshold.
    pub low: i64,
}

impl AgreementRow {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &AgreementRow) {
        self.tasks += other.tasks;
        self.score_sum += other.score_sum;
        for (mine, theirs) in self.histogram.iter_mut().zip(other.histogram) {
            *mine += theirs;
        }
        self.low += other.low;
    }
}

/// One integer of the sufficient statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellRow {
    /// The count.
    pub count: i64,
}

/// The value of one aggregate row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AggRow {
    /// For `ProjectHour` and `MemberHour`.
    Hour(HourRow),
    /// For `ProjectTotals`.
    Totals(TotalsRow),
    /// For `MemberActivity`.
    Activity(ActivityRow),
    /// For `Label`.
    Label(LabelRow),
    /// For `Pair`.
    Pair(PairRow),
    /// For `AgreementHour`.
    Agreement(AgreementRow),
    /// For `Cell`.
    Cell(CellRow),
}

impl AggRow {
    /// True when the row holds nothing: what an absent row means.
    pub fn is_empty(&self) -> bool {
        match self {
            AggRow::Hour(row) => *row == HourRow::default(),
            AggRow::Totals(row) => *row == TotalsRow::default(),
            AggRow::Activity(row) => *row == ActivityRow::default(),
            AggRow::Label(row) => *row == LabelRow::default(),
            AggRow::Pair(row) => *row == PairRow::default(),
            AggRow::Agreement(row) => *row == AgreementRow::default(),
            AggRow::Cell(row) => *row == CellRow::default(),
        }
    }

    /// Adds (`sign` = 1) or removes (`sign` = -1) a contribution.
    /// A contribution that does not fit the row kind is ignored. A pair's
    /// share of a participant-totals cell is not added here: only the
    /// cell's key knows its kind, so the caller adds what
    /// [`participant_total`](super::participant_total) says (the engine's `rows::add_at`).
    pub fn apply(&mut self, contribution: &Contribution<'_>, sign: i64) {
        match (self, contribution) {
            (
                AggRow::Hour(row),
                Contribution::Count {
                    counter, amount, ..
                },
            ) => {
                *row.counter(*counter) += sign * amount;
            }
            (AggRow::Totals(row), Contribution::Count { counter, .. }) => match counter {
                Counter::Submitted => row.submitted += sign,
                Counter::Skipped => row.skipped += sign,
                _ => {}
            },
            (AggRow::Hour(row), Contribution::LeadTime { ms, .. }) => {
                row.lead_time_ms += sign * ms;
                row.lead_time_count += sign;
                row.lead_time_sketch.add(*ms, sign);
            }
            (AggRow::Hour(row), Contribution::ReviewTime { ms, .. }) => {
                row.review_time_ms += sign * ms;
                row.review_time_count += sign;
                row.review_time_sketch.add(*ms, sign);
            }
            (AggRow::Label(row), Contribution::Label { source, count, .. }) => match source {
                LabelSource::Annotation => row.annotations += sign * count,
                LabelSource::Prediction => row.predictions += sign * count,
            },
            (AggRow::Pair(row), Contribution::Pair { score, .. }) => {
                row.score_sum += sign * score;
                row.tasks += sign;
            }
            (AggRow::Agreement(row), Contribution::TaskAgreement { score, low, .. }) => {
                row.tasks += sign;
                row.score_sum += sign * score;
                row.histogram[crate::score::decile(*score)] += sign;
                if *low {
                    row.low += sign;
                }
            }
            (AggRow::Cell(row), Contribution::Cell { amount, .. }) => {
                row.count += sign * amount;
            }
            (AggRow::Totals(row), Contribution::Status { status }) => {
                row.tasks_by_status[status.index()] += sign;
            }
            _ => {}
        }
    }

    /// Adds `amount` to a cell row's count: what [`participant_total`](super::participant_total)
    /// says a pair adds to a participant-totals cell, signed. Any other
    /// row kind is left as it is.
    pub fn add_to_cell(&mut self, amount: i64) {
        if let AggRow::Cell(row) = self {
            row.count += amount;
        }
    }
}
