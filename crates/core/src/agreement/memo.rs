//! A memo of pair evaluations across calls, so that a change to one
//! annotation rescores only that annotation's pairs (agreement.md 5.4).
//!
//! An entry is keyed by the identity of the two results (the addresses of
//! their shared, immutable `Arc`s) and by a fingerprint of the scored
//! dimensions (names, metrics, weights, thresholds, label weights). The memo
//! keeps a weak reference to both `Arc`s, which keeps their allocation (not
//! their contents), so an address cannot be reused by another result while
//! its entry lives: same key, same inputs, same evaluation. A result
//! nothing else holds any more is freed at once, and its entries are
//! evicted first when the memo fills.
//!
//! Beside the evaluations, the memo keeps each result's region dimensions
//! prepared for matching ([`PreparedRegions`], keyed by the result's and
//! the dimension value's addresses, kept the same way), so a change
//! prepares only the changed result's regions, not every partner's.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};

use super::prepared::PreparedRegions;
use super::{PairEvaluation, ScoredDimension};
use crate::dims::DimValue;
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
            Owner::Annotation(a) => Kept::Annotation(Arc::downgrade(a)),
            Owner::Prediction(p) => Kept::Prediction(Arc::downgrade(p)),
        }
    }
}

/// An owner's allocation kept by the memo (so its address stays its own).
#[derive(Debug)]
enum Kept {
    Annotation(Weak<AnnotationState>),
    Prediction(Weak<PredictionState>),
}

impl Kept {
    /// True while something besides the memo holds the result.
    fn alive(&self) -> bool {
        match self {
            Kept::Annotation(a) => a.strong_count() > 0,
            Kept::Prediction(p) => p.strong_count() > 0,
        }
    }
}

#[derive(Debug)]
struct Entry {
    owners: (Kept, Kept),
    evaluation: PairEvaluation,
}

/// The fewest prepared region lists kept (also when evaluations are not
/// memoized), so one task's partners are prepared once.
const PREPARED_CAPACITY: usize = 64;

/// Pair evaluations by `(result a, result b, dimensions)`, and prepared
/// region lists by `(result, dimension value)`. Bounded: when full, it
/// evicts the entries of results nothing else holds, and starts over empty
/// if that leaves it more than half full.
#[derive(Debug)]
pub struct PairMemo {
    /// FxHash: the keys are addresses and a fingerprint, not attacker-chosen.
    entries: rustc_hash::FxHashMap<(usize, usize, u64), Entry>,
    capacity: usize,
    /// The last evaluation when memoizing is off (capacity 0).
    scratch: Option<PairEvaluation>,
    prepared: PreparedCache,
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
            prepared: PreparedCache {
                entries: rustc_hash::FxHashMap::default(),
                capacity: capacity.max(PREPARED_CAPACITY),
            },
        }
    }

    /// Forgets everything (and releases the kept results).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.prepared.entries.clear();
    }

    /// The number of memoized evaluations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no evaluation is memoized.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The evaluation of `(a, b)` under `dimensions` (fingerprint
    /// `fingerprint`), computed by `evaluate` when not memoized; `evaluate`
    /// gets the prepared regions of both results.
    pub(crate) fn get_or_evaluate(
        &mut self,
        (a, b): (Owner<'_>, Owner<'_>),
        fingerprint: u64,
        evaluate: impl FnOnce(&mut Preparer<'_, '_>) -> PairEvaluation,
    ) -> &PairEvaluation {
        let mut preparer = Preparer {
            cache: &mut self.prepared,
            owners: (a, b),
        };
        if self.capacity == 0 {
            return self.scratch.insert(evaluate(&mut preparer));
        }
        let key = (a.address(), b.address(), fingerprint);
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            make_room(&mut self.entries, self.capacity, |e| {
                e.owners.0.alive() && e.owners.1.alive()
            });
        }
        &self
            .entries
            .entry(key)
            .or_insert_with(|| Entry {
                owners: (a.keep(), b.keep()),
                evaluation: evaluate(&mut preparer),
            })
            .evaluation
    }
}

/// Makes room in a full map: drops the entries `alive` rejects, and then
/// everything if more than half the capacity is still in use (so a sweep
/// over the map happens at most once per `capacity / 2` insertions).
fn make_room<K, V>(
    entries: &mut rustc_hash::FxHashMap<K, V>,
    capacity: usize,
    alive: impl Fn(&V) -> bool,
) {
    entries.retain(|_, entry| alive(entry));
    if entries.len() > capacity / 2 {
        entries.clear();
    }
}

/// A prepared region list and the result it belongs to.
#[derive(Debug)]
struct Prepared {
    owner: Kept,
    regions: Arc<PreparedRegions>,
}

/// Prepared region lists by `(result address, dimension value address)`.
#[derive(Debug)]
struct PreparedCache {
    entries: rustc_hash::FxHashMap<(usize, usize), Prepared>,
    capacity: usize,
}

impl PreparedCache {
    /// `value` of `owner`, prepared, built unless it is cached.
    fn get(&mut self, owner: Owner<'_>, value: &DimValue) -> Arc<PreparedRegions> {
        let key = (owner.address(), std::ptr::from_ref(value) as usize);
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            make_room(&mut self.entries, self.capacity, |p| p.owner.alive());
        }
        let entry = self.entries.entry(key).or_insert_with(|| Prepared {
            owner: owner.keep(),
            regions: Arc::new(PreparedRegions::new(&value.regions)),
        });
        Arc::clone(&entry.regions)
    }
}

/// The prepared regions of the two results of the pair being evaluated.
pub(crate) struct Preparer<'m, 'o> {
    cache: &'m mut PreparedCache,
    owners: (Owner<'o>, Owner<'o>),
}

impl Preparer<'_, '_> {
    /// The prepared regions of `a` (a value of the pair's first result) and
    /// `b` (of its second), each built at most once while its result lives.
    pub(crate) fn both(
        &mut self,
        a: &DimValue,
        b: &DimValue,
    ) -> (Arc<PreparedRegions>, Arc<PreparedRegions>) {
        (
            self.cache.get(self.owners.0, a),
            self.cache.get(self.owners.1, b),
        )
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
