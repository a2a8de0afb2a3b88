//! The key of an aggregate row, owned ([`AggKey`]) and borrowed
//! ([`AggKeyRef`]), and what a statistics cell counts ([`CellKind`]).

use serde::{Deserialize, Serialize};

use crate::participant::AgreementScope;
use crate::time::Hour;

use super::rows::{
    ActivityRow, AggRow, AgreementRow, CellRow, HourRow, LabelRow, PairRow, TotalsRow,
};

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
