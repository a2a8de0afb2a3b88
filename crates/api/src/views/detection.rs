//! Detection quality of the region dimensions (boxes, polygons, spans):
//! precision, recall and F1 at the control's IoU threshold, against the
//! ground truth per participant, and between the participants of a scope.
//!
//! Read-time arithmetic over the integer cells
//! [`CellKind::TruthDetection`], [`CellKind::PairsDetection`] (project
//! level, a few per dimension) and [`CellKind::ParticipantDetection`] (one
//! per participant: read only when the request names a dimension); the
//! matching rule is [`labelpulse_core::agreement::detection_counts`].

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{confusion_scope, detection_count, CellKind};
use labelpulse_core::participant::{canonical_order, ParticipantKind, Participants};
use labelpulse_core::read::{CellAddress, ProjectRecord};
use serde::Serialize;

use super::stats::ratio;

/// One region dimension's detection quality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionDetection {
    /// Control tag.
    pub dimension: String,
    /// IoU at or above which two same-label regions match (the control's `threshold`).
    pub iou_threshold: Option<f64>,
    /// Between the participants of the scope, summed over pairs.
    pub pairs: PairDetection,
    /// Against the ground truth, all participants of the scope together.
    pub ground_truth: DetectionScores,
    /// Against the ground truth, per participant of the matrix (canonical
    /// order: members, then models); only when the request names a
    /// `dimension` (else empty).
    pub by_participant: Vec<ParticipantDetection>,
}

/// Symmetric detection agreement of pairs: F1 does not depend on which
/// side is the reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairDetection {
    /// One-to-one matches.
    pub matched: i64,
    /// Regions of either side without a match.
    pub unmatched: i64,
    /// `2 matched / (2 matched + unmatched)`; `null` without regions.
    pub f1: Option<f64>,
}

/// Detection counts of candidates against a reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DetectionScores {
    /// Candidate regions matched to a reference region.
    pub true_positives: i64,
    /// Candidate regions without a match.
    pub false_positives: i64,
    /// Reference regions without a match.
    pub false_negatives: i64,
    /// `tp / (tp + fp)`; `null` without candidate regions.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)`; `null` without reference regions.
    pub recall: Option<f64>,
    /// `2 tp / (2 tp + fp + fn)`; `null` when all counts are 0.
    pub f1: Option<f64>,
}

/// One participant against the ground truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantDetection {
    /// Member id or `model:<version>`.
    pub participant: String,
    /// What the id names.
    pub kind: ParticipantKind,
    /// Its counts.
    #[serde(flatten)]
    pub scores: DetectionScores,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tp: i64,
    fp: i64,
    fn_: i64,
}

impl Counts {
    fn add(&mut self, category: &str, count: i64) {
        match category {
            detection_count::TP => self.tp += count,
            detection_count::FP => self.fp += count,
            detection_count::FN => self.fn_ += count,
            _ => {}
        }
    }

    fn merge(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }

    fn scores(self) -> DetectionScores {
        DetectionScores {
            true_positives: self.tp,
            false_positives: self.fp,
            false_negatives: self.fn_,
            precision: ratio(self.tp, self.tp + self.fp),
            recall: ratio(self.tp, self.tp + self.fn_),
            f1: ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_),
        }
    }
}

#[derive(Debug, Default)]
struct DimensionCounts<'a> {
    /// Matched and unmatched per pair scope.
    pairs: BTreeMap<&'a str, (i64, i64)>,
    /// Counts against the ground truth per candidate scope.
    truth: BTreeMap<&'a str, Counts>,
    /// Counts against the ground truth per participant.
    participants: BTreeMap<&'a str, Counts>,
}

/// The detection cell kinds of the agreement view: the project-level ones
/// always, the per-participant ones with one `dimension`.
pub fn detection_kinds(one_dimension: bool) -> Vec<CellKind> {
    let mut kinds = vec![CellKind::TruthDetection, CellKind::PairsDetection];
    if one_dimension {
        kinds.push(CellKind::ParticipantDetection);
    }
    kinds
}

/// True for the cell kinds [`detection_view`] reads.
pub fn is_detection(kind: CellKind) -> bool {
    matches!(
        kind,
        CellKind::TruthDetection | CellKind::PairsDetection | CellKind::ParticipantDetection
    )
}

/// Detection quality of every region dimension with cells, for the scope's
/// participants; `matrix_participants` orders (and limits) the per-participant list.
pub fn detection_view(
    project: &ProjectRecord,
    cells: &[(CellAddress, i64)],
    participants: Participants,
    matrix_participants: &[String],
) -> Vec<DimensionDetection> {
    let mut by_dimension: BTreeMap<&str, DimensionCounts<'_>> = BTreeMap::new();
    for (address, count) in cells {
        match address.kind {
            CellKind::PairsDetection => {
                let entry = by_dimension
                    .entry(address.dimension.as_str())
                    .or_default()
                    .pairs
                    .entry(address.a.as_str())
                    .or_default();
                match address.c.as_str() {
                    detection_count::MATCHED => entry.0 += count,
                    detection_count::UNMATCHED => entry.1 += count,
                    _ => {}
                }
            }
            CellKind::TruthDetection | CellKind::ParticipantDetection => {
                let entry = by_dimension.entry(address.dimension.as_str()).or_default();
                let by = if address.kind == CellKind::TruthDetection {
                    &mut entry.truth
                } else {
                    &mut entry.participants
                };
                by.entry(address.a.as_str())
                    .or_default()
                    .add(&address.c, *count);
            }
            _ => {}
        }
    }
    let scopes = confusion_scope::of(participants);
    by_dimension
        .into_iter()
        .map(|(dimension, counts)| {
            let (matched, unmatched) = scopes
                .iter()
                .filter_map(|scope| counts.pairs.get(scope))
                .fold((0, 0), |(m, u), (dm, du)| (m + dm, u + du));
            let in_scope = |id: &str| {
                let kind = ParticipantKind::of(id);
                kind != ParticipantKind::GroundTruth && participants.includes(kind, kind)
            };
            let mut total = Counts::default();
            for scope in scopes {
                if let Some(c) = counts.truth.get(scope) {
                    total.merge(*c);
                }
            }
            let mut listed: Vec<&String> = matrix_participants
                .iter()
                .filter(|id| in_scope(id) && counts.participants.contains_key(id.as_str()))
                .collect();
            listed.sort_by(|a, b| canonical_order(a, b));
            DimensionDetection {
                dimension: dimension.to_string(),
                iou_threshold: project.config.control(dimension).map(|c| c.threshold),
                pairs: PairDetection {
                    matched,
                    unmatched,
                    f1: ratio(2 * matched, 2 * matched + unmatched),
                },
                ground_truth: total.scores(),
                by_participant: listed
                    .into_iter()
                    .map(|id| ParticipantDetection {
                        participant: id.clone(),
                        kind: ParticipantKind::of(id),
                        scores: counts
                            .participants
                            .get(id.as_str())
                            .copied()
                            .unwrap_or_default()
                            .scores(),
                    })
                    .collect(),
            }
        })
        .collect()
}
