//! Krippendorff's α at a level of measurement (agreement.md 3.5).

use super::coincidence::Coincidences;
use super::Undefined;

/// Level of measurement for α.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level<'o> {
    /// δ_ck = \[c ≠ k\].
    Nominal,
    /// Krippendorff's ordinal metric over this declared order (positions of
    /// first occurrence); a category not in the order makes the result
    /// [`Undefined::UnorderedCategory`].
    Ordinal(&'o [String]),
    /// Interval metric (v_c − v_k)² over the categories parsed with
    /// `str::parse::<f64>`; a category that does not parse to a finite number
    /// makes the result [`Undefined::NotNumeric`].
    Interval,
}

impl Coincidences {
    /// Krippendorff's α at a level: 1 − (n − 1) Σ o_ck δ_ck / Σ n_c n_k δ_ck
    /// over the pairable values (tasks with one value are ignored). Every
    /// category seen, pairable or not, must fit the level. Reasons, first
    /// match wins: inconsistent counts, no pairable units, a category that
    /// does not fit the level, no variation.
    pub fn alpha(&self, level: &Level<'_>) -> Result<f64, Undefined> {
        self.readable()?;
        match level {
            Level::Nominal => self.nominal_alpha(),
            Level::Ordinal(order) => {
                let delta = self.ordinal_distances(order)?;
                let k = self.categories.len();
                self.metric_alpha(|c, d| delta[c * k + d])
            }
            Level::Interval => {
                let values = self.numeric_values()?;
                self.metric_alpha(|c, k| (values[c] - values[k]) * (values[c] - values[k]))
            }
        }
    }

    /// Nominal α with the exact integer D_e numerator n² − Σ_c n_c².
    fn nominal_alpha(&self) -> Result<f64, Undefined> {
        let n = i128::from(self.total);
        let mut same: i128 = 0;
        for &n_c in &self.marginals {
            let sq = i128::from(n_c) * i128::from(n_c);
            same = same.checked_add(sq).ok_or(Undefined::Overflow)?;
        }
        let expected = n
            .checked_mul(n)
            .and_then(|n2| n2.checked_sub(same))
            .ok_or(Undefined::Overflow)?;
        if expected <= 0 {
            return Err(Undefined::NoVariation);
        }
        let observed = self.weighted_sum(|c, k| f64::from(u8::from(c != k)), |m| m - 1.0);
        Ok(1.0 - (n - 1) as f64 * observed / expected as f64)
    }

    /// α for a distance over category indices, in f64.
    fn metric_alpha(&self, delta: impl Fn(usize, usize) -> f64) -> Result<f64, Undefined> {
        let seen: Vec<(usize, f64)> = self
            .marginals
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(c, &n)| (c, n as f64))
            .collect();
        let mut expected = 0.0;
        for &(c, n_c) in &seen {
            for &(k, n_k) in &seen {
                expected += n_c * n_k * delta(c, k);
            }
        }
        if expected <= 0.0 || !expected.is_finite() {
            return Err(Undefined::NoVariation);
        }
        let observed = self.weighted_sum(&delta, |m| m - 1.0);
        Ok(1.0 - (self.total as f64 - 1.0) * observed / expected)
    }

    /// 4 δ_ck of the ordinal metric, (2 Σ_{g=c..k} n_g − n_c − n_k)², as a
    /// row-major K × K matrix (the factor 4 cancels in α).
    fn ordinal_distances(&self, order: &[String]) -> Result<Vec<f64>, Undefined> {
        let mut position = Vec::with_capacity(self.categories.len());
        for c in &self.categories {
            let p = order.iter().position(|o| o == c);
            position.push(p.ok_or(Undefined::UnorderedCategory)?);
        }
        // cumulative[p] = Σ of the pairable marginals at positions < p.
        let mut at = vec![0i128; order.len()];
        for (&p, &n_c) in position.iter().zip(&self.marginals) {
            at[p] = i128::from(n_c);
        }
        let mut cumulative = Vec::with_capacity(order.len() + 1);
        cumulative.push(0i128);
        let mut running = 0i128;
        for n in at {
            running += n;
            cumulative.push(running);
        }
        let k = self.categories.len();
        let mut delta = vec![0.0; k * k];
        for c in 0..k {
            for d in 0..k {
                let (lo, hi) = (position[c].min(position[d]), position[c].max(position[d]));
                let between = cumulative[hi + 1] - cumulative[lo];
                let ends = i128::from(self.marginals[c]) + i128::from(self.marginals[d]);
                let root = (2 * between - ends) as f64;
                delta[c * k + d] = root * root;
            }
        }
        Ok(delta)
    }

    /// The finite numeric value of every category.
    fn numeric_values(&self) -> Result<Vec<f64>, Undefined> {
        self.categories
            .iter()
            .map(|c| match c.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(Undefined::NotNumeric),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliability::unit_cells;

    fn from_units(units: &[&[&str]]) -> Coincidences {
        let mut cells = Vec::new();
        for unit in units {
            unit_cells(unit, &mut cells);
        }
        Coincidences::from_cells(cells)
    }

    fn order(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn interval_needs_numbers_everywhere() {
        let stats = from_units(&[&["1", "2"], &["2", "2"], &["high"]]);
        assert_eq!(stats.alpha(&Level::Interval), Err(Undefined::NotNumeric));
        assert!(stats.alpha(&Level::Nominal).is_ok());
        let nan = from_units(&[&["1", "NaN"]]);
        assert_eq!(nan.alpha(&Level::Interval), Err(Undefined::NotNumeric));
    }

    #[test]
    fn ordinal_needs_every_category_in_the_order() {
        let stats = from_units(&[&["low", "mid"], &["mid", "mid"], &["high"]]);
        let partial = order(&["low", "mid"]);
        assert_eq!(
            stats.alpha(&Level::Ordinal(&partial)),
            Err(Undefined::UnorderedCategory)
        );
        let full = order(&["low", "mid", "high"]);
        assert!(stats.alpha(&Level::Ordinal(&full)).is_ok());
    }

    #[test]
    fn unused_categories_do_not_change_ordinal_alpha() {
        let stats = from_units(&[&["1", "2"], &["2", "3", "3"], &["1", "1"], &["3", "1"]]);
        let short = order(&["1", "2", "3"]);
        let long = order(&["0", "1", "2", "2.5", "3", "4"]);
        let (a, b) = (
            stats.alpha(&Level::Ordinal(&short)).unwrap(),
            stats.alpha(&Level::Ordinal(&long)).unwrap(),
        );
        assert!((a - b).abs() < 1e-15);
    }

    #[test]
    fn equal_numbers_have_no_interval_variation() {
        let stats = from_units(&[&["1", "1.0"], &["1.0", "1.0"]]);
        assert_eq!(stats.alpha(&Level::Interval), Err(Undefined::NoVariation));
        assert!(stats.alpha(&Level::Nominal).is_ok());
    }

    #[test]
    fn perfect_agreement_is_one() {
        let stats = from_units(&[&["1", "1"], &["2", "2", "2"], &["4", "4"]]);
        let levels = order(&["1", "2", "4"]);
        for level in [Level::Nominal, Level::Interval, Level::Ordinal(&levels)] {
            assert_eq!(stats.alpha(&level), Ok(1.0));
        }
    }
}
