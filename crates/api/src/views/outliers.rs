//! Outlier flags: members far from their project's cohort.
//!
//! The rule (Iglewicz and Hoaglin, 1993): over the members that have a
//! value, take the median `M` and the median absolute deviation
//! `MAD = median(|x − M|)`; a member's modified z-score is
//! `0.6745 · (x − M) / MAD`, and `|z| > 3.5` is an outlier. With fewer than
//! [`MIN_COHORT`] values, or `MAD = 0` (most members identical), nothing is
//! flagged: the rule has no scale to measure "far" by.

/// Members with a value needed before anyone is flagged.
pub const MIN_COHORT: usize = 5;

/// The modified z-score beyond which a value is an outlier.
pub const THRESHOLD: f64 = 3.5;

/// 0.6745: the 0.75 quantile of the standard normal, making MAD comparable
/// to a standard deviation.
const NORMAL_MAD: f64 = 0.6745;

/// The median of a slice (sorted in place); `None` when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Modified z-scores of `values` (`None` in, `None` out), or all `None`
/// when the cohort is too small or has no spread.
pub fn modified_z_scores(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    let none = vec![None; values.len()];
    if present.len() < MIN_COHORT {
        return none;
    }
    let Some(center) = median(&mut present) else {
        return none;
    };
    let mut deviations: Vec<f64> = present.iter().map(|x| (x - center).abs()).collect();
    let Some(mad) = median(&mut deviations).filter(|mad| *mad > 0.0) else {
        return none;
    };
    values
        .iter()
        .map(|value| value.map(|x| NORMAL_MAD * (x - center) / mad))
        .collect()
}

/// Which side of the cohort is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Only values far below (`z < −3.5`).
    Low,
    /// Only values far above (`z > 3.5`).
    High,
    /// Both.
    Both,
}

/// Per member, whether it is an outlier on `side`, and which way.
pub fn flags(values: &[Option<f64>], side: Side) -> Vec<Option<Side>> {
    modified_z_scores(values)
        .into_iter()
        .map(|z| match (z, side) {
            (Some(z), Side::Low | Side::Both) if z < -THRESHOLD => Some(Side::Low),
            (Some(z), Side::High | Side::Both) if z > THRESHOLD => Some(Side::High),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_cohort() {
        // values 10, 11, 12, 13, 40: median 12, |x-12| = 2,1,0,1,28 ->
        // MAD = 1; z(40) = 0.6745*28 = 18.9 > 3.5; z(10) = -1.349.
        let values = [
            Some(10.0),
            Some(11.0),
            Some(12.0),
            Some(13.0),
            Some(40.0),
            None,
        ];
        let z = modified_z_scores(&values);
        assert!((z[4].unwrap() - 0.6745 * 28.0).abs() < 1e-12);
        assert!((z[0].unwrap() + 0.6745 * 2.0).abs() < 1e-12);
        assert_eq!(z[5], None);
        assert_eq!(
            flags(&values, Side::Both),
            vec![None, None, None, None, Some(Side::High), None]
        );
        assert_eq!(flags(&values, Side::Low), vec![None; 6]);
    }

    #[test]
    fn small_or_flat_cohorts_flag_nothing() {
        let four = [Some(1.0), Some(2.0), Some(3.0), Some(100.0)];
        assert_eq!(flags(&four, Side::Both), vec![None; 4]);
        // MAD = 0: four identical values and one different.
        let flat = [Some(5.0), Some(5.0), Some(5.0), Some(5.0), Some(9.0)];
        assert_eq!(flags(&flat, Side::Both), vec![None; 5]);
    }

    #[test]
    fn even_cohort_median_is_the_mean_of_the_middle_two() {
        // 1, 2, 3, 4, 5, 100: median 3.5; deviations 2.5,1.5,0.5,0.5,1.5,96.5
        // -> sorted 0.5,0.5,1.5,1.5,2.5,96.5, MAD = 1.5.
        let values: Vec<Option<f64>> = [1.0, 2.0, 3.0, 4.0, 5.0, 100.0]
            .into_iter()
            .map(Some)
            .collect();
        let z = modified_z_scores(&values);
        assert!((z[5].unwrap() - 0.6745 * 96.5 / 1.5).abs() < 1e-12);
        assert!((z[0].unwrap() + 0.6745 * 2.5 / 1.5).abs() < 1e-12);
    }
}
