//! A mergeable, deletable quantile sketch over non-negative milliseconds.
//!
//! Log-spaced buckets in the style of DDSketch (Masson et al., VLDB 2019):
//! bucket `i` holds values in `(γ^(i-1), γ^i]` with `γ = (1+α)/(1-α)` and
//! `α = 1%`, and a quantile is answered with the bucket's midpoint
//! `2γ^i/(γ+1)`, which is within 1% of every value in the bucket. Counts are
//! signed integers, so a value can be removed exactly as it was added; that
//! is what existing crates (e.g. `sketches-ddsketch`) do not offer, and what
//! entity-transition diffs need.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Relative accuracy of a quantile answer.
pub const RELATIVE_ACCURACY: f64 = 0.01;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

/// The sketch: bucket index to count, plus a count of zeros.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sketch {
    zeros: i64,
    buckets: BTreeMap<i32, i64>,
}

impl Sketch {
    /// The bucket a positive value falls in.
    fn index(value: i64) -> i32 {
        ((value as f64).ln() / gamma().ln()).ceil() as i32
    }

    /// The representative value of a bucket.
    fn representative(index: i32) -> f64 {
        2.0 * gamma().powi(index) / (gamma() + 1.0)
    }

    /// Adds `weight` occurrences of `value` (negative `weight` removes them).
    /// Negative values are treated as zero.
    pub fn add(&mut self, value: i64, weight: i64) {
        if value <= 0 {
            self.zeros += weight;
            return;
        }
        let index = Self::index(value);
        let count = self.buckets.entry(index).or_insert(0);
        *count += weight;
        if *count == 0 {
            self.buckets.remove(&index);
        }
    }

    /// Adds every count of `other` into `self`.
    pub fn merge(&mut self, other: &Sketch) {
        self.zeros += other.zeros;
        for (index, count) in &other.buckets {
            let entry = self.buckets.entry(*index).or_insert(0);
            *entry += count;
            if *entry == 0 {
                self.buckets.remove(index);
            }
        }
    }

    /// The count of values at or below zero.
    pub fn zeros(&self) -> i64 {
        self.zeros
    }

    /// The non-empty buckets as `(index, count)`, by ascending index.
    pub fn buckets(&self) -> impl ExactSizeIterator<Item = (i32, i64)> + '_ {
        self.buckets.iter().map(|(index, count)| (*index, *count))
    }

    /// The sketch of a zero count and `(index, count)` buckets, as
    /// [`Sketch::zeros`] and [`Sketch::buckets`] give them. Buckets with a
    /// count of 0 are left out; `None` when an index repeats.
    pub fn from_parts(zeros: i64, buckets: impl IntoIterator<Item = (i32, i64)>) -> Option<Self> {
        let mut sketch = Sketch {
            zeros,
            buckets: BTreeMap::new(),
        };
        for (index, count) in buckets {
            if sketch.buckets.insert(index, count).is_some() {
                return None;
            }
        }
        sketch.buckets.retain(|_, count| *count != 0);
        Some(sketch)
    }

    /// Number of values held.
    pub fn count(&self) -> i64 {
        self.zeros + self.buckets.values().sum::<i64>()
    }

    /// True when the sketch holds no value.
    pub fn is_empty(&self) -> bool {
        self.zeros == 0 && self.buckets.is_empty()
    }

    /// The `q`-quantile (0..=1): the value of rank `floor(q·(n−1))` in sorted
    /// order (0-based), within 1% relative error. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n <= 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * (n - 1) as f64).floor() as i64;
        if rank < self.zeros {
            return Some(0.0);
        }
        let mut seen = self.zeros;
        for (index, count) in &self.buckets {
            seen += count;
            if rank < seen {
                return Some(Self::representative(*index));
            }
        }
        self.buckets
            .keys()
            .next_back()
            .map(|index| Self::representative(*index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn median_of_hand_values_is_within_one_percent() {
        let mut sketch = Sketch::default();
        for v in [10_000, 20_000, 30_000, 40_000, 1_000_000] {
            sketch.add(v, 1);
        }
        // Sorted: 10s 20s 30s 40s 1000s; rank floor(0.5*4)=2 -> 30 s.
        let median = sketch.quantile(0.5).unwrap();
        assert!((median - 30_000.0).abs() <= 300.0, "{median}");
        // p90: rank floor(0.9*4)=3 -> 40 s.
        let p90 = sketch.quantile(0.9).unwrap();
        assert!((p90 - 40_000.0).abs() <= 400.0, "{p90}");
    }

    #[test]
    fn parts_rebuild_the_sketch() {
        let mut sketch = Sketch::default();
        for value in [0, 0, 5, 5, 900, 70_000] {
            sketch.add(value, 1);
        }
        let buckets: Vec<(i32, i64)> = sketch.buckets().collect();
        assert_eq!(sketch.zeros(), 2);
        assert_eq!(buckets.iter().map(|(_, c)| c).sum::<i64>(), 4);
        assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(Sketch::from_parts(2, buckets.clone()), Some(sketch.clone()));
        // A zero count is no bucket; a repeated index is no sketch.
        let with_empty = buckets.iter().copied().chain([(10_000, 0)]);
        assert_eq!(Sketch::from_parts(2, with_empty), Some(sketch));
        assert_eq!(Sketch::from_parts(0, [(3, 1), (3, 2)]), None);
    }

    #[test]
    fn removing_restores_the_empty_sketch() {
        let mut sketch = Sketch::default();
        sketch.add(5, 1);
        sketch.add(0, 1);
        sketch.add(5, -1);
        sketch.add(0, -1);
        assert!(sketch.is_empty());
        assert_eq!(sketch, Sketch::default());
        assert_eq!(sketch.quantile(0.5), None);
    }

    proptest! {
        #[test]
        fn every_quantile_is_within_relative_accuracy(mut values in prop::collection::vec(1i64..10_000_000, 1..200), q in 0.0f64..=1.0) {
            let mut sketch = Sketch::default();
            for v in &values { sketch.add(*v, 1); }
            values.sort_unstable();
            let rank = (q * (values.len() - 1) as f64).floor() as usize;
            let exact = values[rank] as f64;
            let estimate = sketch.quantile(q).unwrap();
            prop_assert!((estimate - exact).abs() <= exact * RELATIVE_ACCURACY * 1.0001, "{} vs {}", estimate, exact);
        }

        #[test]
        fn merge_equals_adding_everything(a in prop::collection::vec(0i64..1_000_000, 0..50), b in prop::collection::vec(0i64..1_000_000, 0..50)) {
            let mut left = Sketch::default();
            for v in &a { left.add(*v, 1); }
            let mut right = Sketch::default();
            for v in &b { right.add(*v, 1); }
            let mut all = Sketch::default();
            for v in a.iter().chain(&b) { all.add(*v, 1); }
            left.merge(&right);
            prop_assert_eq!(left, all);
        }
    }
}
