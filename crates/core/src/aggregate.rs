//! The stored aggregates (DESIGN.md §5): keys, row values, and how a
//! [`Contribution`] lands on them.
//!
//! Rows are absolute values. Every counter is an integer (milliseconds,
//! fixed-point scores), so adding a contribution and later removing it
//! restores the row exactly.

use serde::{Deserialize, Serialize};

use crate::contribution::{Contribution, Counter, LabelSource};
use crate::event::TaskStatus;
use crate::participant::{AgreementScope, ParticipantKind};
use crate::sketch::Sketch;
use crate::time::Hour;

/// The key of one aggregate row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AggKey {
    /// project x hour
    ProjectHour {
        /// Project.
        project: String,
        /// Hour bucket.
        hour: Hour,
    },
    /// project x member x hour
    MemberHour {
        /// Project.
        project: String,
        /// Member.
        member: String,
        /// Hour bucket.
        hour: Hour,
    },
    /// Snapshot counts of a project (tasks by state, annotations).
    ProjectTotals {
        /// Project.
        project: String,
    },
    /// A member's last activity in a project.
    MemberActivity {
        /// Project.
        project: String,
        /// Member.
        member: String,
    },
    /// project x dimension x label: occurrences by source.
    Label {
        /// Project.
        project: String,
        /// Control tag.
        dimension: String,
        /// Label.
        label: String,
    },
    /// project x dimension x participant pair (`a < b`).
    Pair {
        /// Project.
        project: String,
        /// Control tag, or the overall dimension `""`.
        dimension: String,
        /// First participant.
        a: String,
        /// Second participant.
        b: String,
    },
    /// project x scope x dimension x hour: task-agreement statistics.
    AgreementHour {
        /// Project.
        project: String,
        /// Control tag, or the overall dimension `""`.
        dimension: String,
        /// Which pairs, combined how.
        scope: AgreementScope,
        /// Hour bucket.
        hour: Hour,
    },
    /// project x dimension x cell: one integer of the exact sufficient
    /// statistics behind the chance-corrected agreement and the confusion
    /// matrices (see [`CellKind`]).
    Cell {
        /// Project.
        project: String,
        /// Control tag.
        dimension: String,
        /// Which statistic.
        kind: CellKind,
        /// Values per task (coincidences), else 0.
        m: u32,
        /// First participant (confusion), else empty.
        a: String,
        /// Second participant (confusion), else empty.
        b: String,
        /// First category.
        c: String,
        /// Second category (coincidence, confusion), else empty.
        k: String,
    },
}

/// What a [`AggKey::Cell`] counts. Categories are the values of a
/// categorical dimension (`crate::reliability` defines them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CellKind {
    /// Tasks whose only value is `c` (m = 1; Fleiss' π uses them).
    Single,
    /// Σ over tasks with `m` values of `n_c·n_k − [c = k]·n_c` (Krippendorff's
    /// coincidences, bucketed by m).
    Coincidence,
    /// Common tasks where participant `a` said `c` and `b` said `k`.
    Confusion,
    /// The project's symmetric confusion between participants: every pair
    /// of the scope `a` (`annotators`: annotator pairs; `models`: pairs
    /// with a model) adds 1 to `(c, k)` with `c <= k` (the view counts it
    /// in both orders).
    PairsConfusion,
    /// The project's directional confusion against the ground truth: `c`
    /// the ground truth's category, `k` the participant's, for participants
    /// of the scope `a` (`annotators` or `models`).
    TruthConfusion,
    /// Sum of the pair scores (fixed point) of participant `a` with
    /// participants of kind `b` (`member`, `model`, `ground_truth`).
    ParticipantScore,
    /// Number of those pairs (common tasks).
    ParticipantTasks,
    /// Detection counts of the participants of the scope `a` (`annotators`
    /// or `models`: the candidates) against the ground truth (the
    /// reference) in a region dimension, summed over their common tasks:
    /// `c` is `tp`, `fp` or `fn` (see [`crate::agreement::detection_counts`]).
    TruthDetection,
    /// The same per participant `a` (an annotator or a model).
    ParticipantDetection,
    /// Detection counts between participants of the scope `a`
    /// (`annotators` or `models`, as in [`CellKind::PairsConfusion`]) in a
    /// region dimension, summed over pairs: `c` is `matched` (one-to-one
    /// matches) or `unmatched` (regions of either side left over).
    PairsDetection,
}

/// The categories `c` of [`CellKind::TruthDetection`],
/// [`CellKind::ParticipantDetection`] and [`CellKind::PairsDetection`].
pub mod detection_count {
    /// True positives: candidate regions matched to a reference region.
    pub const TP: &str = "tp";
    /// False positives: candidate regions without a match.
    pub const FP: &str = "fp";
    /// False negatives: reference regions without a match.
    pub const FN: &str = "fn";
    /// Matches between the two sides of a pair.
    pub const MATCHED: &str = "matched";
    /// Regions of either side of a pair without a match.
    pub const UNMATCHED: &str = "unmatched";
}

/// The scopes of [`CellKind::PairsConfusion`] and [`CellKind::TruthConfusion`].
pub mod confusion_scope {
    /// Annotators only.
    pub const ANNOTATORS: &str = "annotators";
    /// Models (pairs with at least one model; a model against the ground truth).
    pub const MODELS: &str = "models";

    /// The stored scopes whose pairs a request for `participants` sums.
    pub fn of(participants: crate::participant::Participants) -> &'static [&'static str] {
        use crate::participant::Participants;
        match participants {
            Participants::Annotators => &[ANNOTATORS],
            Participants::Models => &[MODELS],
            Participants::All => &[ANNOTATORS, MODELS],
        }
    }
}

impl CellKind {
    /// Every kind.
    pub const ALL: [CellKind; 10] = [
        CellKind::Single,
        CellKind::Coincidence,
        CellKind::Confusion,
        CellKind::PairsConfusion,
        CellKind::TruthConfusion,
        CellKind::ParticipantScore,
        CellKind::ParticipantTasks,
        CellKind::TruthDetection,
        CellKind::ParticipantDetection,
        CellKind::PairsDetection,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CellKind::Single => "single",
            CellKind::Coincidence => "coincidence",
            CellKind::Confusion => "confusion",
            CellKind::PairsConfusion => "pairs_confusion",
            CellKind::TruthConfusion => "truth_confusion",
            CellKind::ParticipantScore => "participant_score",
            CellKind::ParticipantTasks => "participant_tasks",
            CellKind::TruthDetection => "truth_detection",
            CellKind::ParticipantDetection => "participant_detection",
            CellKind::PairsDetection => "pairs_detection",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<CellKind> {
        CellKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A borrowed [`AggKey`], for cache lookups without allocating. It hashes
/// and compares exactly like the owned key (same variants, same field
/// order; `&str` hashes like `String`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggKeyRef<'a> {
    /// See [`AggKey::ProjectHour`].
    ProjectHour {
        /// Project.
        project: &'a str,
        /// Hour bucket.
        hour: Hour,
    },
    /// See [`AggKey::MemberHour`].
    MemberHour {
        /// Project.
        project: &'a str,
        /// Member.
        member: &'a str,
        /// Hour bucket.
        hour: Hour,
    },
    /// See [`AggKey::ProjectTotals`].
    ProjectTotals {
        /// Project.
        project: &'a str,
    },
    /// See [`AggKey::MemberActivity`].
    MemberActivity {
        /// Project.
        project: &'a str,
        /// Member.
        member: &'a str,
    },
    /// See [`AggKey::Label`].
    Label {
        /// Project.
        project: &'a str,
        /// Control tag.
        dimension: &'a str,
        /// Label.
        label: &'a str,
    },
    /// See [`AggKey::Pair`].
    Pair {
        /// Project.
        project: &'a str,
        /// Control tag.
        dimension: &'a str,
        /// First participant.
        a: &'a str,
        /// Second participant.
        b: &'a str,
    },
    /// See [`AggKey::AgreementHour`].
    AgreementHour {
        /// Project.
        project: &'a str,
        /// Control tag.
        dimension: &'a str,
        /// Which pairs, combined how.
        scope: AgreementScope,
        /// Hour bucket.
        hour: Hour,
    },
    /// See [`AggKey::Cell`].
    Cell {
        /// Project.
        project: &'a str,
        /// Control tag.
        dimension: &'a str,
        /// Which statistic.
        kind: CellKind,
        /// Values per task.
        m: u32,
        /// First participant.
        a: &'a str,
        /// Second participant.
        b: &'a str,
        /// First category.
        c: &'a str,
        /// Second category.
        k: &'a str,
    },
}

impl<'a> AggKeyRef<'a> {
    /// The project the row belongs to.
    pub fn project(&self) -> &'a str {
        match *self {
            AggKeyRef::ProjectHour { project, .. }
            | AggKeyRef::MemberHour { project, .. }
            | AggKeyRef::ProjectTotals { project }
            | AggKeyRef::MemberActivity { project, .. }
            | AggKeyRef::Label { project, .. }
            | AggKeyRef::Pair { project, .. }
            | AggKeyRef::AgreementHour { project, .. }
            | AggKeyRef::Cell { project, .. } => project,
        }
    }

    /// The owned key.
    pub fn to_key(&self) -> AggKey {
        match *self {
            AggKeyRef::ProjectHour { project, hour } => AggKey::ProjectHour {
                project: project.into(),
                hour,
            },
            AggKeyRef::MemberHour {
                project,
                member,
                hour,
            } => AggKey::MemberHour {
                project: project.into(),
                member: member.into(),
                hour,
            },
            AggKeyRef::ProjectTotals { project } => AggKey::ProjectTotals {
                project: project.into(),
            },
            AggKeyRef::MemberActivity { project, member } => AggKey::MemberActivity {
                project: project.into(),
                member: member.into(),
            },
            AggKeyRef::Label {
                project,
                dimension,
                label,
            } => AggKey::Label {
                project: project.into(),
                dimension: dimension.into(),
                label: label.into(),
            },
            AggKeyRef::Pair {
                project,
                dimension,
                a,
                b,
            } => AggKey::Pair {
                project: project.into(),
                dimension: dimension.into(),
                a: a.into(),
                b: b.into(),
            },
            AggKeyRef::AgreementHour {
                project,
                dimension,
                scope,
                hour,
            } => AggKey::AgreementHour {
                project: project.into(),
                dimension: dimension.into(),
                scope,
                hour,
            },
            AggKeyRef::Cell {
                project,
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
            } => AggKey::Cell {
                project: project.into(),
                dimension: dimension.into(),
                kind,
                m,
                a: a.into(),
                b: b.into(),
                c: c.into(),
                k: k.into(),
            },
        }
    }
}

impl AggKey {
    /// The borrowed form of this key.
    pub fn as_ref(&self) -> AggKeyRef<'_> {
        match self {
            AggKey::ProjectHour { project, hour } => AggKeyRef::ProjectHour {
                project,
                hour: *hour,
            },
            AggKey::MemberHour {
                project,
                member,
                hour,
            } => AggKeyRef::MemberHour {
                project,
                member,
                hour: *hour,
            },
            AggKey::ProjectTotals { project } => AggKeyRef::ProjectTotals { project },
            AggKey::MemberActivity { project, member } => {
                AggKeyRef::MemberActivity { project, member }
            }
            AggKey::Label {
                project,
                dimension,
                label,
            } => AggKeyRef::Label {
                project,
                dimension,
                label,
            },
            AggKey::Pair {
                project,
                dimension,
                a,
                b,
            } => AggKeyRef::Pair {
                project,
                dimension,
                a,
                b,
            },
            AggKey::AgreementHour {
                project,
                dimension,
                scope,
                hour,
            } => AggKeyRef::AgreementHour {
                project,
                dimension,
                scope: *scope,
                hour: *hour,
            },
            AggKey::Cell {
                project,
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
            } => AggKeyRef::Cell {
                project,
                dimension,
                kind: *kind,
                m: *m,
                a,
                b,
                c,
                k,
            },
        }
    }
}

impl hashbrown::Equivalent<AggKey> for AggKeyRef<'_> {
    fn equivalent(&self, key: &AggKey) -> bool {
        *self == key.as_ref()
    }
}

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

impl AggKey {
    /// The project the row belongs to.
    pub fn project(&self) -> &str {
        match self {
            AggKey::ProjectHour { project, .. }
            | AggKey::MemberHour { project, .. }
            | AggKey::ProjectTotals { project }
            | AggKey::MemberActivity { project, .. }
            | AggKey::Label { project, .. }
            | AggKey::Pair { project, .. }
            | AggKey::AgreementHour { project, .. }
            | AggKey::Cell { project, .. } => project,
        }
    }

    /// The hour bucket of an hour row (project-hour, member-hour,
    /// agreement-hour); `None` for the other kinds.
    pub fn hour(&self) -> Option<Hour> {
        match self {
            AggKey::ProjectHour { hour, .. }
            | AggKey::MemberHour { hour, .. }
            | AggKey::AgreementHour { hour, .. } => Some(*hour),
            _ => None,
        }
    }

    /// An empty row of the right kind.
    pub fn empty_row(&self) -> AggRow {
        match self {
            AggKey::ProjectHour { .. } | AggKey::MemberHour { .. } => {
                AggRow::Hour(HourRow::default())
            }
            AggKey::ProjectTotals { .. } => AggRow::Totals(TotalsRow::default()),
            AggKey::MemberActivity { .. } => AggRow::Activity(ActivityRow::default()),
            AggKey::Label { .. } => AggRow::Label(LabelRow::default()),
            AggKey::Pair { .. } => AggRow::Pair(PairRow::default()),
            AggKey::AgreementHour { .. } => AggRow::Agreement(AgreementRow::default()),
            AggKey::Cell { .. } => AggRow::Cell(CellRow::default()),
        }
    }
}

/// The cells of a participant's totals ([`CellKind::ParticipantScore`],
/// [`CellKind::ParticipantTasks`]), in the order a pair's contribution
/// lands on them.
pub const PARTICIPANT_TOTALS: [CellKind; 2] =
    [CellKind::ParticipantScore, CellKind::ParticipantTasks];

/// What a [`Contribution::Pair`] adds to a participant-totals cell of
/// `kind` it lands on (see [`targets_ref`]): its score to
/// [`CellKind::ParticipantScore`], one common task to
/// [`CellKind::ParticipantTasks`]. `None` for any other cell or
/// contribution, which [`AggRow::apply`] adds as it is. A participant's
/// totals are, by definition, the sums of the pair rows it is part of, per
/// kind of the other participant: each pair's change is added to both
/// participants' totals, so no task computes totals of its own.
pub fn participant_total(kind: CellKind, contribution: &Contribution<'_>) -> Option<i64> {
    match (kind, contribution) {
        (CellKind::ParticipantScore, Contribution::Pair { score, .. }) => Some(*score),
        (CellKind::ParticipantTasks, Contribution::Pair { .. }) => Some(1),
        _ => None,
    }
}

/// The project's confusion cell a pair's confusion cell (`a` said `c`,
/// `b` said `k`, `a` before `b` in canonical order) also counts in:
/// against the ground truth, [`CellKind::TruthConfusion`] of the other
/// side's scope with the ground truth's category first; otherwise
/// [`CellKind::PairsConfusion`] of the pair's scope (annotators when both
/// are members, else models), categories in order. Returns `(kind, scope,
/// c, k)` of that cell.
pub fn project_confusion<'s>(
    a: &'s str,
    b: &'s str,
    c: &'s str,
    k: &'s str,
) -> (CellKind, &'static str, &'s str, &'s str) {
    let (first, second) = (ParticipantKind::of(a), ParticipantKind::of(b));
    let is_member = |kind: ParticipantKind| kind == ParticipantKind::Member;
    if second == ParticipantKind::GroundTruth {
        let scope = if is_member(first) {
            confusion_scope::ANNOTATORS
        } else {
            confusion_scope::MODELS
        };
        return (CellKind::TruthConfusion, scope, k, c);
    }
    let pair_scope = if is_member(first) && is_member(second) {
        confusion_scope::ANNOTATORS
    } else {
        confusion_scope::MODELS
    };
    let (x, y) = if c <= k { (c, k) } else { (k, c) };
    (CellKind::PairsConfusion, pair_scope, x, y)
}

/// The rows a contribution lands on, borrowed, appended to `out`: a pair's
/// contribution lands on its pair row and on the participant totals of both
/// participants ([`participant_total`]), a pair's confusion cell also on
/// the project's ([`project_confusion`]), any other on one to three rows.
pub fn targets_ref<'a>(
    project: &'a str,
    contribution: &'a Contribution<'_>,
    out: &mut Vec<AggKeyRef<'a>>,
) {
    match contribution {
        Contribution::Count {
            hour,
            member,
            counter,
            ..
        } => {
            out.push(AggKeyRef::ProjectHour {
                project,
                hour: *hour,
            });
            if let Some(member) = member {
                out.push(AggKeyRef::MemberHour {
                    project,
                    member,
                    hour: *hour,
                });
            }
            if matches!(counter, Counter::Submitted | Counter::Skipped) {
                out.push(AggKeyRef::ProjectTotals { project });
            }
        }
        Contribution::LeadTime { hour, member, .. } => {
            out.push(AggKeyRef::ProjectHour {
                project,
                hour: *hour,
            });
            out.push(AggKeyRef::MemberHour {
                project,
                member,
                hour: *hour,
            });
        }
        Contribution::ReviewTime { hour, reviewer, .. } => {
            out.push(AggKeyRef::ProjectHour {
                project,
                hour: *hour,
            });
            out.push(AggKeyRef::MemberHour {
                project,
                member: reviewer,
                hour: *hour,
            });
        }
        Contribution::Label {
            dimension, label, ..
        } => out.push(AggKeyRef::Label {
            project,
            dimension,
            label,
        }),
        Contribution::Pair {
            dimension, a, b, ..
        } => {
            out.push(AggKeyRef::Pair {
                project,
                dimension,
                a,
                b,
            });
            for (me, other) in [(a, b), (b, a)] {
                for kind in PARTICIPANT_TOTALS {
                    out.push(AggKeyRef::Cell {
                        project,
                        dimension,
                        kind,
                        m: 0,
                        a: me,
                        b: ParticipantKind::of(other).as_str(),
                        c: "",
                        k: "",
                    });
                }
            }
        }
        Contribution::TaskAgreement {
            dimension,
            scope,
            hour,
            ..
        } => out.push(AggKeyRef::AgreementHour {
            project,
            dimension,
            scope: *scope,
            hour: *hour,
        }),
        Contribution::Cell {
            dimension,
            kind,
            m,
            a,
            b,
            c,
            k,
            ..
        } => {
            out.push(AggKeyRef::Cell {
                project,
                dimension,
                kind: *kind,
                m: *m,
                a,
                b,
                c,
                k,
            });
            if *kind == CellKind::Confusion {
                let (kind, scope, c, k) = project_confusion(a, b, c, k);
                out.push(AggKeyRef::Cell {
                    project,
                    dimension,
                    kind,
                    m: 0,
                    a: scope,
                    b: "",
                    c,
                    k,
                });
            }
        }
        Contribution::Status { .. } => out.push(AggKeyRef::ProjectTotals { project }),
    }
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
    /// [`participant_total`] says (the engine's `rows::add_at`).
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

    /// Adds `amount` to a cell row's count: what [`participant_total`]
    /// says a pair adds to a participant-totals cell, signed. Any other
    /// row kind is left as it is.
    pub fn add_to_cell(&mut self, amount: i64) {
        if let AggRow::Cell(row) = self {
            row.count += amount;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow::Borrowed as B;

    use super::*;

    fn targets(contribution: &Contribution<'_>) -> Vec<String> {
        let mut keys = Vec::new();
        targets_ref("p", contribution, &mut keys);
        keys.iter()
            .map(|key| format!("{:?}", key.to_key()))
            .collect()
    }

    fn cell(kind: CellKind, a: &str, b: &str, c: &str, k: &str) -> String {
        let key = AggKeyRef::Cell {
            project: "p",
            dimension: "d",
            kind,
            m: 0,
            a,
            b,
            c,
            k,
        };
        format!("{:?}", key.to_key())
    }

    #[test]
    fn a_pair_lands_on_both_participants_totals_by_the_other_sides_kind() {
        let pair = Contribution::Pair {
            dimension: B("d"),
            a: B("m1"),
            b: B("model:v1"),
            score: 7,
        };
        let (score, tasks) = (CellKind::ParticipantScore, CellKind::ParticipantTasks);
        let pair_key = AggKeyRef::Pair {
            project: "p",
            dimension: "d",
            a: "m1",
            b: "model:v1",
        };
        assert_eq!(
            targets(&pair),
            vec![
                format!("{:?}", pair_key.to_key()),
                cell(score, "m1", "model", "", ""),
                cell(tasks, "m1", "model", "", ""),
                cell(score, "model:v1", "member", "", ""),
                cell(tasks, "model:v1", "member", "", ""),
            ]
        );
        assert_eq!(participant_total(score, &pair), Some(7));
        assert_eq!(participant_total(tasks, &pair), Some(1));
        assert_eq!(participant_total(CellKind::Confusion, &pair), None);
    }

    #[test]
    fn add_to_cell_adds_to_a_cells_count_only() {
        let mut cell = AggRow::Cell(CellRow { count: 5 });
        cell.add_to_cell(7);
        cell.add_to_cell(-2);
        assert_eq!(cell, AggRow::Cell(CellRow { count: 10 }));
        let mut pair = AggRow::Pair(PairRow::default());
        pair.add_to_cell(3);
        assert_eq!(pair, AggRow::Pair(PairRow::default()));
    }

    #[test]
    fn a_pairs_confusion_lands_on_its_scopes_project_cell() {
        let confusion = |a: &'static str, b: &'static str| Contribution::Cell {
            dimension: B("d"),
            kind: CellKind::Confusion,
            m: 0,
            a: B(a),
            b: B(b),
            c: B("pos"),
            k: B("neg"),
            amount: 1,
        };
        let own = |a, b| cell(CellKind::Confusion, a, b, "pos", "neg");
        // Between annotators, and with a model: symmetric, categories in order.
        assert_eq!(
            targets(&confusion("m1", "m2")),
            vec![
                own("m1", "m2"),
                cell(CellKind::PairsConfusion, "annotators", "", "neg", "pos")
            ]
        );
        assert_eq!(
            targets(&confusion("m1", "model:v1")),
            vec![
                own("m1", "model:v1"),
                cell(CellKind::PairsConfusion, "models", "", "neg", "pos")
            ]
        );
        // Against the ground truth: its category first, the other's scope.
        assert_eq!(
            targets(&confusion("m1", "ground_truth")),
            vec![
                own("m1", "ground_truth"),
                cell(CellKind::TruthConfusion, "annotators", "", "neg", "pos")
            ]
        );
        assert_eq!(
            targets(&confusion("model:v1", "ground_truth"))[1],
            cell(CellKind::TruthConfusion, "models", "", "neg", "pos")
        );
    }
}
