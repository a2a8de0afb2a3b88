//! What a pair of a task's participants contributes to detection quality
//! (precision, recall, F1 of region dimensions): integer cells, summed
//! exactly over tasks and pairs.

use std::borrow::Cow;

use super::agreement::Participant;
use super::Contribution;
use crate::aggregate::{confusion_scope, detection_count, CellKind};
use crate::agreement::{DetectionCounts, ScoredDimension};
use crate::participant::ParticipantKind;

/// A task's detection cells: against the ground truth per participant
/// (one pair each), and between participants summed over the task's pairs
/// per dimension and scope before they become contributions (one cell per
/// task instead of one per pair).
#[derive(Debug, Default)]
pub(super) struct TaskDetection<'a> {
    /// `(dimension, scope, matched, unmatched)`.
    between: Vec<(&'a str, &'static str, u64, u64)>,
}

impl<'a> TaskDetection<'a> {
    /// Adds the pair `(a, b)`: against the ground truth when one side is it
    /// ([`CellKind::ParticipantDetection`] and [`CellKind::TruthDetection`]
    /// for the other side, appended to `out`),
    /// else between the two ([`CellKind::PairsDetection`], scope
    /// `annotators` for two members, `models` when a model is in the pair).
    /// `counts` are the pair's per dimension (`a` the candidate); with
    /// `truth` `None` the ground-truth cells are left out (the sums between
    /// participants are kept).
    pub(super) fn add_pair(
        &mut self,
        dimensions: &[ScoredDimension<'a>],
        a: &Participant<'a>,
        b: &Participant<'a>,
        counts: &[Option<DetectionCounts>],
        mut truth_out: Option<&mut Vec<Contribution<'a>>>,
    ) {
        for (dimension, counts) in dimensions.iter().zip(counts) {
            let Some(counts) = counts else {
                continue;
            };
            match (a.kind, b.kind) {
                (ParticipantKind::GroundTruth, ParticipantKind::GroundTruth) => {}
                (_, ParticipantKind::GroundTruth) => {
                    if let Some(out) = truth_out.as_deref_mut() {
                        truth(dimension.name, a, *counts, out);
                    }
                }
                (ParticipantKind::GroundTruth, _) => {
                    // The counts take `a` as the candidate: swap the roles.
                    let swapped = DetectionCounts {
                        tp: counts.tp,
                        fp: counts.fn_,
                        fn_: counts.fp,
                    };
                    if let Some(out) = truth_out.as_deref_mut() {
                        truth(dimension.name, b, swapped, out);
                    }
                }
                (ParticipantKind::Member, ParticipantKind::Member) => {
                    self.add_between(dimension.name, confusion_scope::ANNOTATORS, *counts);
                }
                _ => self.add_between(dimension.name, confusion_scope::MODELS, *counts),
            }
        }
    }

    fn add_between(&mut self, dimension: &'a str, scope: &'static str, counts: DetectionCounts) {
        let slot = match self
            .between
            .iter()
            .position(|(d, s, _, _)| *d == dimension && *s == scope)
        {
            Some(index) => &mut self.between[index],
            None => {
                self.between.push((dimension, scope, 0, 0));
                let last = self.between.len() - 1;
                &mut self.between[last]
            }
        };
        slot.2 += counts.tp;
        slot.3 += counts.fp + counts.fn_;
    }

    /// Appends the summed between-participant cells.
    pub(super) fn finish(self, out: &mut Vec<Contribution<'a>>) {
        for (dimension, scope, matched, unmatched) in self.between {
            let cells = [
                (detection_count::MATCHED, matched),
                (detection_count::UNMATCHED, unmatched),
            ];
            for (category, amount) in cells {
                push(
                    out,
                    dimension,
                    CellKind::PairsDetection,
                    Cow::Borrowed(scope),
                    category,
                    amount,
                );
            }
        }
    }
}

/// A candidate's counts against the ground truth: per participant, and
/// for its scope (`annotators` for a member, `models` for a model).
fn truth<'a>(
    dimension: &'a str,
    candidate: &Participant<'a>,
    counts: DetectionCounts,
    out: &mut Vec<Contribution<'a>>,
) {
    let scope = match candidate.kind {
        ParticipantKind::Member => confusion_scope::ANNOTATORS,
        _ => confusion_scope::MODELS,
    };
    let cells = [
        (detection_count::TP, counts.tp),
        (detection_count::FP, counts.fp),
        (detection_count::FN, counts.fn_),
    ];
    for (category, amount) in cells {
        let id = candidate.id.clone();
        push(
            out,
            dimension,
            CellKind::ParticipantDetection,
            id,
            category,
            amount,
        );
        let scope = Cow::Borrowed(scope);
        push(
            out,
            dimension,
            CellKind::TruthDetection,
            scope,
            category,
            amount,
        );
    }
}

fn push<'a>(
    out: &mut Vec<Contribution<'a>>,
    dimension: &'a str,
    kind: CellKind,
    a: Cow<'a, str>,
    category: &'static str,
    amount: u64,
) {
    let Ok(amount) = i64::try_from(amount) else {
        return;
    };
    if amount == 0 {
        return;
    }
    out.push(Contribution::Cell {
        dimension: Cow::Borrowed(dimension),
        kind,
        m: 0,
        a,
        b: Cow::Borrowed(""),
        c: Cow::Borrowed(category),
        k: Cow::Borrowed(""),
        amount,
    });
}
