//! The rows a contribution lands on.

use crate::contribution::{Contribution, Counter};
use crate::participant::ParticipantKind;

use super::key::{confusion_scope, AggKeyRef, CellKind};

/// The cells of a participant's totals ([`CellKind::ParticipantScore`],
/// [`CellKind::ParticipantTasks`]), in the order a pair's contribution
/// lands on them.
pub const PARTICIPANT_TOTALS: [CellKind; 2] =
    [CellKind::ParticipantScore, CellKind::ParticipantTasks];

/// What a [`Contribution::Pair`] adds to a participant-totals cell of
/// `kind` it lands on (see [`targets_ref`]): its score to
/// [`CellKind::ParticipantScore`], one common task to
/// [`CellKind::ParticipantTasks`]. `None` for any other cell or
/// contribution, which [`AggRow::apply`](super::AggRow::apply) adds as it is. A participant's
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
