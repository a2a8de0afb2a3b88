//! [`Coincidences`]: the summed cells of one dimension, and the statistics
//! read from them that need no level of measurement (percent agreement,
//! Fleiss' κ, mean Jaccard, the per-label binary view).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::cells::StatCell;
use super::sets::jaccard;
use super::Undefined;

/// Category of a present label in [`Coincidences::binary`].
pub const PRESENT: &str = "1";
/// Category of an absent label in [`Coincidences::binary`].
pub const ABSENT: &str = "0";

/// Summed cells of one dimension (what the store returns), with the
/// marginals derived from them. Built from (cell, count) pairs; cells with
/// count 0 are ignored and repeated cells are added. Owns its strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coincidences {
    /// Every category of a non-zero cell, sorted.
    pub(super) categories: Vec<String>,
    /// Single\[c\] by category index, non-zero only, sorted.
    singles: Vec<(usize, i64)>,
    /// C\[m\]\[c\]\[k\] by category indices, non-zero only, sorted by (m, c, k).
    pub(super) pairs: Vec<Pair>,
    /// Per unit size m >= 2, ascending.
    sizes: Vec<Size>,
    /// U\[1\].
    single_units: i64,
    /// Pairable marginals n_c = Σ_{m>=2} G\[m\]\[c\], by category index.
    pub(super) marginals: Vec<i64>,
    /// n = Σ_c n_c.
    pub(super) total: i64,
    /// Why the cells cannot be read, when they are not a sum of tasks.
    fault: Option<Undefined>,
}

/// One non-zero coincidence cell, by category indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pair {
    /// Unit size.
    pub(super) m: u32,
    /// First category index.
    pub(super) c: usize,
    /// Second category index.
    pub(super) k: usize,
    /// Summed amount.
    pub(super) amount: i64,
}

/// The units of one size m >= 2.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Size {
    m: u32,
    /// U\[m\].
    units: i64,
    /// G\[m\]\[c\] by category index.
    marginal: Vec<i64>,
}

impl Coincidences {
    /// Sums (cell, count) pairs; zero counts are ignored.
    pub fn from_cells<'a>(cells: impl IntoIterator<Item = (StatCell<'a>, i64)>) -> Coincidences {
        let mut fault = None;
        let mut summed: BTreeMap<StatCell<'a>, i64> = BTreeMap::new();
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
        summed.retain(|_, amount| *amount != 0);
        let mut out = Coincidences::build(&summed);
        out.fault = out.fault.or(fault);
        out
    }

    /// Indexes a summed, zero-free map and derives the marginals.
    fn build(summed: &BTreeMap<StatCell<'_>, i64>) -> Coincidences {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for cell in summed.keys() {
            match cell {
                StatCell::Single { c } => {
                    names.insert(c);
                }
                StatCell::Coincidence { c, k, .. } => {
                    names.insert(c);
                    names.insert(k);
                }
            }
        }
        let categories: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let index = |name: &str| categories.binary_search_by(|c| c.as_str().cmp(name)).ok();
        let mut out = Coincidences {
            marginals: vec![0; categories.len()],
            ..Coincidences::default()
        };
        let mut fault = None;
        for (cell, &amount) in summed {
            if amount < 0 {
                fault = Some(Undefined::InconsistentCounts);
            }
            match cell {
                StatCell::Single { c } => {
                    if let Some(c) = index(c) {
                        out.singles.push((c, amount));
                    }
                }
                StatCell::Coincidence { m, c, k } => {
                    let transposed = StatCell::Coincidence {
                        m: *m,
                        c: Cow::Borrowed(k.as_ref()),
                        k: Cow::Borrowed(c.as_ref()),
                    };
                    if *m < 2 || summed.get(&transposed) != Some(&amount) {
                        fault = Some(Undefined::InconsistentCounts);
                    }
                    if let (Some(c), Some(k)) = (index(c), index(k)) {
                        out.pairs.push(Pair {
                            m: *m,
                            c,
                            k,
                            amount,
                        });
                    }
                }
            }
        }
        if let Err(e) = out.derive_marginals(categories.len()) {
            fault = fault.or(Some(e));
        }
        out.categories = categories;
        out.fault = fault;
        out
    }

    /// Fills `sizes`, `single_units`, `marginals` and `total` from the cells.
    fn derive_marginals(&mut self, k: usize) -> Result<(), Undefined> {
        let overflow = Undefined::Overflow;
        self.single_units = 0;
        for &(_, n) in &self.singles {
            self.single_units = self.single_units.checked_add(n).ok_or(overflow)?;
        }
        let mut sizes: Vec<Size> = Vec::new();
        let mut result = Ok(());
        for pair in &self.pairs {
            if sizes.last().map(|s| s.m) != Some(pair.m) {
                sizes.push(Size {
                    m: pair.m,
                    units: 0,
                    marginal: vec![0; k],
                });
            }
            if let Some(size) = sizes.last_mut() {
                let row = &mut size.marginal[pair.c];
                *row = row.checked_add(pair.amount).ok_or(overflow)?;
            }
        }
        for size in &mut sizes {
            let pairs_per_value = i64::from(size.m.max(2)) - 1;
            let mut values: i64 = 0;
            for g in &mut size.marginal {
                if *g % pairs_per_value != 0 {
                    result = Err(Undefined::InconsistentCounts);
                }
                *g /= pairs_per_value;
                values = values.checked_add(*g).ok_or(overflow)?;
            }
            let m = i64::from(size.m.max(2));
            if values % m != 0 {
                result = Err(Undefined::InconsistentCounts);
            }
            size.units = values / m;
            for (n_c, g) in self.marginals.iter_mut().zip(&size.marginal) {
                *n_c = n_c.checked_add(*g).ok_or(overflow)?;
            }
        }
        self.total = 0;
        for &n_c in &self.marginals {
            self.total = self.total.checked_add(n_c).ok_or(overflow)?;
        }
        self.sizes = sizes;
        result
    }

    /// The summed non-zero cells, sorted by cell (what `from_cells` got,
    /// with repeated cells added).
    pub fn cells(&self) -> impl Iterator<Item = (StatCell<'_>, i64)> + '_ {
        let singles = self.singles.iter().map(|&(c, n)| {
            let c = Cow::Borrowed(self.categories[c].as_str());
            (StatCell::Single { c }, n)
        });
        let pairs = self.pairs.iter().map(|p| {
            let cell = StatCell::Coincidence {
                m: p.m,
                c: Cow::Borrowed(self.categories[p.c].as_str()),
                k: Cow::Borrowed(self.categories[p.k].as_str()),
            };
            (cell, p.amount)
        });
        singles.chain(pairs)
    }

    /// Tasks with >= 1 value.
    pub fn units(&self) -> i64 {
        self.single_units.saturating_add(self.pairable_units())
    }

    /// Tasks with >= 2 values (N₂).
    pub fn pairable_units(&self) -> i64 {
        self.sizes.iter().fold(0, |n, s| n.saturating_add(s.units))
    }

    /// Categories seen (sorted).
    pub fn categories(&self) -> Vec<&str> {
        self.categories.iter().map(String::as_str).collect()
    }

    /// Fails when the cells cannot be read or no task is pairable.
    pub(super) fn readable(&self) -> Result<(), Undefined> {
        match self.fault {
            Some(fault) => Err(fault),
            None if self.pairable_units() == 0 => Err(Undefined::NoPairableUnits),
            None => Ok(()),
        }
    }

    /// Σ_m (Σ_{c,k} C\[m\]\[c\]\[k\] · w(c, k)) / divisor(m), summed per size in
    /// ascending m (deterministic for equal cells).
    pub(super) fn weighted_sum(
        &self,
        w: impl Fn(usize, usize) -> f64,
        divisor: impl Fn(f64) -> f64,
    ) -> f64 {
        let mut total = 0.0;
        let mut pairs = self.pairs.iter().peekable();
        while let Some(first) = pairs.peek().copied() {
            let mut sum = 0.0;
            while let Some(p) = pairs.next_if(|p| p.m == first.m) {
                sum += p.amount as f64 * w(p.c, p.k);
            }
            total += sum / divisor(f64::from(first.m));
        }
        total
    }

    /// Fleiss' P̄: the mean exact-match task agreement over tasks with m >= 2
    /// (agreement.md 3.1).
    pub fn percent_agreement(&self) -> Result<f64, Undefined> {
        self.readable()?;
        let agree = self.weighted_sum(|c, k| f64::from(u8::from(c == k)), |m| m * (m - 1.0));
        Ok(agree / self.pairable_units() as f64)
    }

    /// Fleiss' κ, generalized for a varying number of values per task
    /// (Gwet 2014, irrCAC `fleiss()`; agreement.md 3.4): p_a = P̄ over tasks
    /// with m >= 2, π_k = mean over tasks with m >= 1 of n_uk / m_u. Tasks with
    /// one value count in π_k only.
    pub fn fleiss_kappa(&self) -> Result<f64, Undefined> {
        let p_a = self.percent_agreement()?;
        let mut shares = vec![0.0; self.categories.len()];
        for &(c, n) in &self.singles {
            shares[c] += n as f64;
        }
        for size in &self.sizes {
            let m = f64::from(size.m);
            for (share, &g) in shares.iter_mut().zip(&size.marginal) {
                *share += g as f64 / m;
            }
        }
        if shares.iter().filter(|&&s| s > 0.0).count() < 2 {
            return Err(Undefined::NoVariation);
        }
        let units = self.units() as f64;
        let p_e: f64 = shares.iter().map(|s| (s / units) * (s / units)).sum();
        if p_e >= 1.0 {
            return Err(Undefined::NoVariation);
        }
        Ok((p_a - p_e) / (1.0 - p_e))
    }

    /// Mean over tasks with m >= 2 of the mean pairwise Jaccard similarity of
    /// their set categories (agreement.md 3.6; J(∅, ∅) = 1):
    /// Σ_m Σ_ck C\[m\]\[c\]\[k\] J(c, k) / (m (m − 1)) / N₂.
    pub fn mean_jaccard(&self) -> Result<f64, Undefined> {
        self.readable()?;
        let sum = self.weighted_sum(
            |c, k| jaccard(&self.categories[c], &self.categories[k]),
            |m| m * (m - 1.0),
        );
        Ok(sum / self.pairable_units() as f64)
    }

    /// The same statistics for one label of a multi-choice dimension: every
    /// category c becomes [`PRESENT`] or [`ABSENT`] by `present(c)`, and the
    /// cells aggregate linearly (o^L_xy = Σ over c→x, k→y of o_ck), exactly as
    /// if the cells had been built from the mapped values.
    pub fn binary(&self, present: impl Fn(&str) -> bool) -> Coincidences {
        let label: Vec<&'static str> = self
            .categories
            .iter()
            .map(|c| if present(c) { PRESENT } else { ABSENT })
            .collect();
        let singles = self
            .singles
            .iter()
            .map(|&(c, n)| (StatCell::Single { c: label[c].into() }, n));
        let pairs = self.pairs.iter().map(|p| {
            let cell = StatCell::Coincidence {
                m: p.m,
                c: label[p.c].into(),
                k: label[p.k].into(),
            };
            (cell, p.amount)
        });
        let mut out = Coincidences::from_cells(singles.chain(pairs));
        out.fault = self.fault.or(out.fault);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliability::{unit_cells, Level};

    fn from_units(units: &[&[&str]]) -> Coincidences {
        let mut cells = Vec::new();
        for unit in units {
            unit_cells(unit, &mut cells);
        }
        Coincidences::from_cells(cells)
    }

    fn co(m: u32, c: &'static str, k: &'static str) -> StatCell<'static> {
        StatCell::Coincidence {
            m,
            c: c.into(),
            k: k.into(),
        }
    }

    #[test]
    fn nothing_pairable_is_undefined() {
        for stats in [from_units(&[]), from_units(&[&["a"], &["b"]])] {
            assert_eq!(stats.pairable_units(), 0);
            assert_eq!(stats.percent_agreement(), Err(Undefined::NoPairableUnits));
            assert_eq!(
                stats.alpha(&Level::Nominal),
                Err(Undefined::NoPairableUnits)
            );
            assert_eq!(stats.fleiss_kappa(), Err(Undefined::NoPairableUnits));
            assert_eq!(stats.mean_jaccard(), Err(Undefined::NoPairableUnits));
        }
        assert_eq!(from_units(&[&["a"], &["b"]]).units(), 2);
    }

    #[test]
    fn one_category_has_no_variation() {
        let stats = from_units(&[&["3", "3"], &["3", "3", "3"], &["3"]]);
        assert_eq!(stats.percent_agreement(), Ok(1.0));
        let order = ["3".to_string()];
        for level in [Level::Nominal, Level::Interval, Level::Ordinal(&order)] {
            assert_eq!(stats.alpha(&level), Err(Undefined::NoVariation));
        }
        assert_eq!(stats.fleiss_kappa(), Err(Undefined::NoVariation));
    }

    #[test]
    fn single_values_count_in_fleiss_pi_only() {
        let pairable: &[&[&str]] = &[&["a", "a"], &["a", "b"], &["b", "b", "a"]];
        let with_single: Vec<&[&str]> = pairable.iter().copied().chain([&["b"][..]]).collect();
        let (without, with) = (from_units(pairable), from_units(&with_single));
        assert_eq!(with.units(), 4);
        assert_eq!(with.pairable_units(), 3);
        assert_eq!(without.alpha(&Level::Nominal), with.alpha(&Level::Nominal));
        assert_eq!(without.percent_agreement(), with.percent_agreement());
        // π = (1 + 1/2 + 1/3, 0 + 1/2 + 2/3) / 3 without, and (…, … + 1) / 4 with.
        let fleiss = |pi_a: f64, pi_b: f64| {
            let (p_a, p_e) = (4.0 / 9.0, pi_a * pi_a + pi_b * pi_b);
            (p_a - p_e) / (1.0 - p_e)
        };
        let close = |x: Result<f64, Undefined>, y: f64| (x.unwrap() - y).abs() < 1e-12;
        assert!(close(
            without.fleiss_kappa(),
            fleiss(11.0 / 18.0, 7.0 / 18.0)
        ));
        assert!(close(with.fleiss_kappa(), fleiss(11.0 / 24.0, 13.0 / 24.0)));
    }

    #[test]
    fn repeated_cells_add_and_round_trip() {
        let stats = from_units(&[&["a", "b"], &["a", "b"], &["c"], &["a", "b"]]);
        let cells: Vec<_> = stats.cells().collect();
        assert_eq!(
            cells,
            vec![
                (StatCell::Single { c: "c".into() }, 1),
                (co(2, "a", "b"), 3),
                (co(2, "b", "a"), 3)
            ]
        );
        assert_eq!(Coincidences::from_cells(cells), stats);
        assert_eq!(stats.categories(), ["a", "b", "c"]);
    }

    #[test]
    fn cells_that_cancel_are_dropped() {
        let added = from_units(&[&["a", "b"], &["a", "a"]]);
        let mut cells: Vec<_> = added.cells().map(|(c, n)| (c.into_owned(), n)).collect();
        let mut removed = Vec::new();
        unit_cells(&["a", "b"], &mut removed);
        cells.extend(removed.into_iter().map(|(c, n)| (c, -n)));
        assert_eq!(Coincidences::from_cells(cells), from_units(&[&["a", "a"]]));
    }

    #[test]
    fn impossible_cells_are_inconsistent() {
        let cases = [
            vec![(StatCell::Single { c: "a".into() }, -1)],
            vec![(co(2, "a", "b"), 1)],
            vec![(co(1, "a", "a"), 2)],
            vec![(co(3, "a", "a"), 3)],
            vec![(co(3, "a", "b"), 2), (co(3, "b", "a"), 2)],
        ];
        for cells in cases {
            let stats = Coincidences::from_cells(cells);
            assert_eq!(
                stats.percent_agreement(),
                Err(Undefined::InconsistentCounts)
            );
            assert_eq!(
                stats.alpha(&Level::Interval),
                Err(Undefined::InconsistentCounts)
            );
        }
    }

    #[test]
    fn huge_counts_overflow_as_a_value() {
        let big = i64::MAX - 1;
        let summed = Coincidences::from_cells([(co(2, "a", "a"), big), (co(2, "a", "a"), big)]);
        assert_eq!(summed.fleiss_kappa(), Err(Undefined::Overflow));
        let cells = [(co(2, "a", "b"), big), (co(2, "b", "a"), big)];
        let squared = Coincidences::from_cells(cells);
        assert_eq!(squared.alpha(&Level::Nominal), Err(Undefined::Overflow));
    }

    #[test]
    fn binary_is_the_view_of_mapped_values() {
        let ab = crate::reliability::set_category(&["a", "b"]);
        let a = crate::reliability::set_category(&["a"]);
        let (ab, a) = (ab.as_str(), a.as_str());
        let stats = from_units(&[&[ab, a, ""], &[a, a], &[""], &[ab, ""]]);
        let has_b = |c: &str| crate::reliability::set_labels(c).any(|l| l == "b");
        let expected = from_units(&[&["1", "0", "0"], &["0", "0"], &["0"], &["1", "0"]]);
        assert_eq!(stats.binary(has_b), expected);
    }

    #[test]
    fn mean_jaccard_of_a_small_example() {
        let (ab, b) = ("a\u{1f}b", "b");
        // Task 1: J(ab, b) = 1/2; task 2: pairs (ab,ab) 1, (ab,"") 0, (ab,"") 0 → 1/3.
        let stats = from_units(&[&[ab, b], &[ab, ab, ""]]);
        let expected = (0.5 + 1.0 / 3.0) / 2.0;
        assert!((stats.mean_jaccard().unwrap() - expected).abs() < 1e-15);
    }
}
