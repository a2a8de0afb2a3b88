//! Agreement scores as fixed-point integers.
//!
//! A score in `[0, 1]` is stored as an integer number of nano-units, so sums
//! of scores can be added and subtracted without floating-point drift and the
//! same events always give the same bytes.

/// One whole score (1.0) in fixed-point units.
pub const SCORE_ONE: i64 = 1_000_000_000;

/// A score in `[0, 1]` to fixed point (clamped, rounded to nearest).
pub fn to_fixed(score: f64) -> i64 {
    if score.is_nan() {
        return 0;
    }
    (score.clamp(0.0, 1.0) * SCORE_ONE as f64).round() as i64
}

/// Fixed point back to a float.
pub fn to_f64(fixed: i64) -> f64 {
    fixed as f64 / SCORE_ONE as f64
}

/// The mean of fixed-point scores, rounded to nearest; `None` when empty.
pub fn mean_fixed(sum: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| (sum + count / 2).div_euclid(count))
}

/// The histogram bucket (0..=9) of a score: `[0, 0.1)`, ..., `[0.9, 1.0]`.
pub fn decile(fixed: i64) -> usize {
    ((fixed.clamp(0, SCORE_ONE) * 10) / SCORE_ONE).min(9) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_put_one_in_the_last_bucket() {
        assert_eq!(decile(0), 0);
        assert_eq!(decile(to_fixed(0.0999)), 0);
        assert_eq!(decile(to_fixed(0.1)), 1);
        assert_eq!(decile(to_fixed(0.95)), 9);
        assert_eq!(decile(SCORE_ONE), 9);
    }

    #[test]
    fn mean_rounds_to_nearest() {
        assert_eq!(mean_fixed(SCORE_ONE, 3), Some(333_333_333));
        assert_eq!(mean_fixed(2 * SCORE_ONE, 3), Some(666_666_667));
        assert_eq!(mean_fixed(0, 0), None);
    }
}
