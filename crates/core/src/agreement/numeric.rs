//! Numeric difference for `rating` and `number`.

/// Label Studio's "numeric difference" over a declared range:
/// `1 − |a − b| / (max − min)`, clamped to `[0, 1]`. Needs `max > min`.
/// Example: 4 vs 2 on 1..=5 → 1 − 2/4 = 0.5.
pub fn numeric_difference(a: f64, b: f64, min: f64, max: f64) -> f64 {
    (1.0 - (a - b).abs() / (max - min)).clamp(0.0, 1.0)
}
