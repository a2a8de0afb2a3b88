//! A memo of pair evaluations across calls, so that a change to one
//! annotation rescores only that annotation's pairs (agreement.md 5.4).
//!
//! An entry is keyed by the identity of the two results (the addresses of
//! their shared, immutable `Arc`s) and by a fingerprint of the scored
//! dimensions (names, metrics, weights, thresholds, label weights). The memo
//! keeps a clone of both `Arc`s, so an address cannot be reused by another
//! result while its entry lives: same key, same inputs, same evaluation.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::{PairEvaluation, ScoredDimension};
use crate::task::{AnnotationState, PredictionState};

/// The shared result a participant's dims belong to.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// An annotation.
    Annotation(&'a Arc<AnnotationState>),
    /// A prediction.
    Prediction(&'a Arc<PredictionState>),
}

impl Owner<'_> {
    /// The shared result's address (its identity while it lives).
    pub(crate) fn address(self) -> usize {
        match self {
            Owner::Annotation(a) => Arc::as_ptr(a) as usize,
            Owner::Prediction(p) => Arc::as_ptr(p) as usize,
        }
    }

    fn keep(self) -> Kept {
        match self {
            Owner::Annotation(a) => Kept::Annotation(Arc::clone(a)),
            Owner::Prediction(p) => Kept::Prediction(Arc::clone(p)),
        }
    }
}

/// An owner kept alive by the memo.
#[derive(Debug)]
enum Kept {
    Annotation(#[allow(dead_code)] Arc<AnnotationState>),
    Prediction(#[allow(dead_code)] Arc<PredictionState>),
}

#[derive(Debug)]
struct Entry {
    _owners: (Kept, Kept),
    evaluation: PairEvaluation,
}

/// Pair evaluations by `(result a, result b, dimensions)`. Bounded: past
/// `capacity` entries it starts over empty.
#[derive(Debug)]
pub struct PairMemo {
    /// FxHash: the keys are addresses and a fingerprint, not attacker-chosen.
    entries: rustc_hash::FxHashMap<(usize, usize, u64), Entry>,
    capacity: usize,
    /// The last evaluation when memoizing is off (capacity 0).
    scratch: Option<PairEvaluation>,
}

impl Default for PairMemo {
    fn default() -> Self {
        PairMemo::with_capacity(16_384)
    }
}

impl PairMemo {
    /// A memo holding at most `capacity` evaluations (0 disables it).
    pub fn with_capacity(capacity: usize) -> Self {
        PairMemo {
            entries: rustc_hash::FxHashMap::default(),
            capacity,
            scratch: None,
        }
    }

    /// Forgets everything (and releases the kept results).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The evaluation of `(a, b)` under `dimensions` (fingerprint
    /// `fingerprint`), computed by `evaluate` when not memoized.
    pub(crate) fn get_or_evaluate(
        &mut self,
        (a, b): (Owner<'_>, Owner<'_>),
        fingerprint: u64,
        evaluate: impl FnOnce() -> PairEvaluation,
    ) -> &PairEvaluation {
        if self.capacity == 0 {
            return self.scratch.insert(evaluate());
        }
        let key = (a.address(), b.address(), fingerprint);
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.entries.clear();
        }
        &self
            .entries
            .entry(key)
            .or_insert_with(|| Entry {
                _owners: (a.keep(), b.keep()),
                evaluation: evaluate(),
            })
            .evaluation
    }
}

/// A fingerprint of everything about the dimensions that a pair's
/// evaluation depends on.
pub fn fingerprint(dimensions: &[ScoredDimension<'_>]) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    for d in dimensions {
        d.name.hash(&mut hasher);
        d.kind.hash(&mut hasher);
        std::mem::discriminant(&d.metric).hash(&mut hasher);
        if let super::Metric::NumericDifference { min, max } = d.metric {
            min.to_bits().hash(&mut hasher);
            max.to_bits().hash(&mut hasher);
        }
        d.weight.to_bits().hash(&mut hasher);
        d.threshold.to_bits().hash(&mut hasher);
        for (label, weight) in d.label_weights {
            label.hash(&mut hasher);
            weight.to_bits().hash(&mut hasher);
        }
    }
    hasher.finish()
}
