//! Two-rater statistics from a pair's confusion table: raw agreement,
//! Cohen's κ (unweighted, linear, quadratic) and Light's κ (agreement.md
//! 3.2, 3.3).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::Undefined;

/// A confusion table of one participant pair (a, b): counts of (a's
/// category, b's category) over their common tasks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Confusion {
    /// Every category of a non-zero cell, sorted.
    categories: Vec<String>,
    /// (a's category index, b's category index, count), non-zero, sorted.
    cells: Vec<(usize, usize, i64)>,
    /// Σ of the counts.
    tasks: i64,
    /// Why the table cannot be read.
    fault: Option<Undefined>,
}

/// Cohen's κ of one pair under each weighting, each with its own reason
/// when undefined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohenKappa {
    /// Cohen (1960), disagreement weights \[i ≠ j\].
    pub unweighted: Result<f64, Undefined>,
    /// Cohen (1968) with weights |i − j| on declared positions.
    pub linear: Result<f64, Undefined>,
    /// Cohen (1968) with weights (i − j)² on declared positions.
    pub quadratic: Result<f64, Undefined>,
}

impl Confusion {
    /// Sums ((a's category, b's category), count) pairs; zero counts are
    /// ignored and repeated cells are added.
    pub fn from_cells<'a>(
        cells: impl IntoIterator<Item = ((Cow<'a, str>, Cow<'a, str>), i64)>,
    ) -> Confusion {
        let mut fault = None;
        let mut summed: BTreeMap<(Cow<'a, str>, Cow<'a, str>), i64> = BTreeMap::new();
        for (cell, count) in cells {
            if count == 0 {
                continue;
            }
            let slot = summed.entry(cell).or_insert(0);
            match slot.checked_add(count) {
                Some(sum) => *slot = sum,
                None => fault = Some(Undefined::Overflow),
            }
        }
        summed.retain(|_, n| *n != 0);
        let names: BTreeSet<&str> = summed
            .keys()
            .flat_map(|(a, b)| [a.as_ref(), b.as_ref()])
            .collect();
        let categories: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let index = |name: &str| categories.binary_search_by(|c| c.as_str().cmp(name)).ok();
        let mut out = Confusion::default();
        for ((a, b), &n) in &summed {
            if n < 0 {
                fault = fault.or(Some(Undefined::InconsistentCounts));
            }
            if let (Some(a), Some(b)) = (index(a), index(b)) {
                out.cells.push((a, b, n));
            }
            match out.tasks.checked_add(n) {
                Some(t) => out.tasks = t,
                None => fault = fault.or(Some(Undefined::Overflow)),
            }
        }
        out.categories = categories;
        out.fault = fault;
        out
    }

    /// The number of common tasks.
    pub fn tasks(&self) -> i64 {
        self.tasks
    }

    /// The categories of the table (sorted).
    pub fn categories(&self) -> Vec<&str> {
        self.categories.iter().map(String::as_str).collect()
    }

    /// Fails when the table cannot be read or is empty.
    fn readable(&self) -> Result<(), Undefined> {
        match self.fault {
            Some(fault) => Err(fault),
            None if self.tasks == 0 => Err(Undefined::NoCommonTasks),
            None => Ok(()),
        }
    }

    /// The share of common tasks where a and b gave the same category.
    pub fn observed_agreement(&self) -> Result<f64, Undefined> {
        self.readable()?;
        let same: i64 = self
            .cells
            .iter()
            .filter(|(a, b, _)| a == b)
            .map(|&(_, _, n)| n)
            .sum();
        Ok(same as f64 / self.tasks as f64)
    }

    /// Cohen's κ: unweighted, and linear and quadratic weights on the
    /// positions in `order` (the declared category order, first occurrence;
    /// a category not in it gives [`Undefined::UnorderedCategory`] for the
    /// weighted ones, no order [`Undefined::NoOrder`]). Computed exactly in
    /// integers, κ_w = (Σ w r c − n Σ w O) / Σ w r c, then divided once.
    pub fn cohen(&self, order: Option<&[String]>) -> CohenKappa {
        if let Err(e) = self.readable() {
            return CohenKappa {
                unweighted: Err(e),
                linear: Err(e),
                quadratic: Err(e),
            };
        }
        let distinct = |i: i128, j: i128| i128::from(i != j);
        let index_positions: Vec<i128> = (0..self.categories.len() as i128).collect();
        let unweighted = self.weighted(&index_positions, distinct);
        let positions = order
            .ok_or(Undefined::NoOrder)
            .and_then(|o| self.positions(o));
        let (linear, quadratic) = match positions {
            Ok(p) => (
                self.weighted(&p, |i, j| (i - j).abs()),
                self.weighted(&p, |i, j| (i - j) * (i - j)),
            ),
            Err(e) => (Err(e), Err(e)),
        };
        CohenKappa {
            unweighted,
            linear,
            quadratic,
        }
    }

    /// The declared position of every category.
    fn positions(&self, order: &[String]) -> Result<Vec<i128>, Undefined> {
        self.categories
            .iter()
            .map(|c| {
                let p = order.iter().position(|o| o == c);
                p.map(|p| p as i128).ok_or(Undefined::UnorderedCategory)
            })
            .collect()
    }

    /// 1 − n Σ w O / Σ w r c for disagreement weights w(position i, position j).
    fn weighted(
        &self,
        position: &[i128],
        w: impl Fn(i128, i128) -> i128,
    ) -> Result<f64, Undefined> {
        let k = self.categories.len();
        let mut rows = vec![0i128; k];
        let mut cols = vec![0i128; k];
        let mut observed: i128 = 0;
        for &(a, b, n) in &self.cells {
            let n = i128::from(n);
            rows[a] += n;
            cols[b] += n;
            let term = w(position[a], position[b]).checked_mul(n);
            observed = term
                .and_then(|t| observed.checked_add(t))
                .ok_or(Undefined::Overflow)?;
        }
        let mut chance: i128 = 0;
        for (i, &r) in rows.iter().enumerate() {
            for (j, &c) in cols.iter().enumerate() {
                let term = r
                    .checked_mul(c)
                    .and_then(|rc| rc.checked_mul(w(position[i], position[j])));
                chance = term
                    .and_then(|t| chance.checked_add(t))
                    .ok_or(Undefined::Overflow)?;
            }
        }
        if chance <= 0 {
            return Err(Undefined::NoVariation);
        }
        let numerator = i128::from(self.tasks)
            .checked_mul(observed)
            .and_then(|no| chance.checked_sub(no))
            .ok_or(Undefined::Overflow)?;
        Ok(numerator as f64 / chance as f64)
    }
}

/// Light's κ: the mean of the defined unweighted Cohen's κ over the pairs
/// with common tasks. [`Undefined::NoCommonTasks`] when no pair has one;
/// when none of those is defined, the reason of the first.
pub fn light_kappa<'c>(pairs: impl IntoIterator<Item = &'c Confusion>) -> Result<f64, Undefined> {
    let mut sum = 0.0;
    let mut defined = 0usize;
    let mut first_reason = None;
    for pair in pairs {
        if pair.tasks() == 0 && pair.fault.is_none() {
            continue;
        }
        match pair.cohen(None).unweighted {
            Ok(kappa) => {
                sum += kappa;
                defined += 1;
            }
            Err(e) => {
                first_reason.get_or_insert(e);
            }
        }
    }
    match (defined, first_reason) {
        (0, Some(reason)) => Err(reason),
        (0, None) => Err(Undefined::NoCommonTasks),
        (n, _) => Ok(sum / n as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cells: &[(&'static str, &'static str, i64)]) -> Confusion {
        Confusion::from_cells(cells.iter().map(|&(a, b, n)| ((a.into(), b.into()), n)))
    }

    fn order(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn no_common_tasks() {
        let empty = table(&[("a", "a", 0)]);
        assert_eq!(empty.tasks(), 0);
        assert_eq!(empty.observed_agreement(), Err(Undefined::NoCommonTasks));
        let k = empty.cohen(Some(&order(&["a"])));
        assert_eq!(k.unweighted, Err(Undefined::NoCommonTasks));
        assert_eq!(k.quadratic, Err(Undefined::NoCommonTasks));
        assert_eq!(light_kappa([&empty]), Err(Undefined::NoCommonTasks));
    }

    #[test]
    fn one_common_task() {
        let agree = table(&[("a", "a", 1)]);
        assert_eq!(agree.observed_agreement(), Ok(1.0));
        assert_eq!(agree.cohen(None).unweighted, Err(Undefined::NoVariation));
        let disagree = table(&[("a", "b", 1)]);
        let levels = order(&["a", "b"]);
        let k = disagree.cohen(Some(&levels));
        assert_eq!(disagree.observed_agreement(), Ok(0.0));
        assert_eq!(
            (k.unweighted, k.linear, k.quadratic),
            (Ok(0.0), Ok(0.0), Ok(0.0))
        );
    }

    #[test]
    fn weights_need_a_declared_order() {
        let t = table(&[("1", "1", 3), ("1", "2", 1), ("2", "3", 2), ("3", "3", 4)]);
        let k = t.cohen(None);
        assert!(k.unweighted.is_ok());
        assert_eq!(
            (k.linear, k.quadratic),
            (Err(Undefined::NoOrder), Err(Undefined::NoOrder))
        );
        let partial = order(&["1", "2"]);
        let k = t.cohen(Some(&partial));
        assert_eq!(k.linear, Err(Undefined::UnorderedCategory));
        assert!(k.unweighted.is_ok());
    }

    #[test]
    fn two_category_order_weights_equal_unweighted() {
        let t = table(&[
            ("y", "y", 20),
            ("y", "n", 5),
            ("n", "y", 10),
            ("n", "n", 15),
        ]);
        let k = t.cohen(Some(&order(&["n", "y"])));
        let u = k.unweighted.unwrap();
        assert!((k.linear.unwrap() - u).abs() < 1e-15);
        assert!((k.quadratic.unwrap() - u).abs() < 1e-15);
    }

    #[test]
    fn order_of_one_or_no_variation() {
        let t = table(&[("a", "a", 4)]);
        let k = t.cohen(Some(&order(&["a"])));
        assert_eq!(k.unweighted, Err(Undefined::NoVariation));
        assert_eq!(k.linear, Err(Undefined::NoVariation));
        assert_eq!(k.quadratic, Err(Undefined::NoVariation));
    }

    #[test]
    fn light_averages_defined_pairs() {
        let perfect = table(&[("a", "a", 2), ("b", "b", 2)]);
        let chance = table(&[("a", "b", 1), ("b", "a", 1), ("a", "a", 1), ("b", "b", 1)]);
        let flat = table(&[("a", "a", 3)]);
        let none = Confusion::default();
        assert_eq!(light_kappa([&perfect, &chance, &flat, &none]), Ok(0.5));
        assert_eq!(light_kappa([&none, &flat]), Err(Undefined::NoVariation));
    }

    #[test]
    fn negative_counts_are_inconsistent() {
        let t = table(&[("a", "a", 2), ("a", "b", -1)]);
        assert_eq!(t.observed_agreement(), Err(Undefined::InconsistentCounts));
        assert_eq!(light_kappa([&t]), Err(Undefined::InconsistentCounts));
    }
}
