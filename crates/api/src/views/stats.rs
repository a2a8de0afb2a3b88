//! Small read-time helpers: ratios from summed numerators and denominators,
//! and time statistics from summed milliseconds and merged sketches.

use labelpulse_core::score::SCORE_ONE;
use labelpulse_core::sketch::Sketch;
use labelpulse_core::time::ms_to_seconds;
use serde::Serialize;

/// `numerator / denominator`, `None` (JSON `null`) when the denominator is 0.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

/// A mean of fixed-point scores as a float, `None` when there is none.
pub fn score_mean(sum: i64, count: i64) -> Option<f64> {
    ratio(sum, count.saturating_mul(SCORE_ONE))
}

/// Total, mean and median of durations, seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeStats {
    /// Sum of durations.
    pub total: f64,
    /// Mean (`null` with no duration).
    pub mean: Option<f64>,
    /// Median within 1% (`null` with no duration).
    pub median: Option<f64>,
}

/// [`TimeStats`] plus the 90th percentile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadTimeStats {
    /// Sum of lead times.
    pub total: f64,
    /// Mean.
    pub mean: Option<f64>,
    /// Median within 1%.
    pub median: Option<f64>,
    /// 90th percentile within 1%.
    pub p90: Option<f64>,
}

/// Time statistics from a sum (ms), a count and a sketch (ms).
pub fn time_stats(sum_ms: i64, count: i64, sketch: &Sketch) -> TimeStats {
    TimeStats {
        total: ms_to_seconds(sum_ms),
        mean: ratio(sum_ms, count).map(|ms| ms / 1000.0),
        median: sketch.quantile(0.5).map(|ms| ms / 1000.0),
    }
}

/// Lead-time statistics from a sum (ms), a count and a sketch (ms).
pub fn lead_time_stats(sum_ms: i64, count: i64, sketch: &Sketch) -> LeadTimeStats {
    let base = time_stats(sum_ms, count, sketch);
    LeadTimeStats {
        total: base.total,
        mean: base.mean,
        median: base.median,
        p90: sketch.quantile(0.9).map(|ms| ms / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_ratios_are_none_not_zero_or_nan() {
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(3, 4), Some(0.75));
        assert_eq!(score_mean(SCORE_ONE / 2, 1), Some(0.5));
        let empty = time_stats(0, 0, &Sketch::default());
        assert_eq!(empty.mean, None);
        assert_eq!(empty.median, None);
        assert_eq!(empty.total, 0.0);
    }
}
