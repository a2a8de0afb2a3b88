//! The simulator's distributions, on platform-independent math.
//!
//! `f64::ln` and `f64::exp` call the platform's libm, whose last bit may differ
//! between targets and library versions; the simulator rounds sampled
//! durations to milliseconds, so one differing bit could (rarely) change an
//! output byte. The `libm` crate (a pure-Rust port of musl's libm) gives the
//! same bits everywhere, so a given seed yields the same stream everywhere.

use rand::Rng;

/// Natural logarithm, platform-independent.
pub(crate) fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// Exponential function, platform-independent; `x` is clamped to [-700, 700].
pub(crate) fn exp(x: f64) -> f64 {
    libm::exp(x.clamp(-700.0, 700.0))
}

/// Uniform in (0, 1], never zero (safe for `ln`).
pub(crate) fn unit_open0<R: Rng>(rng: &mut R) -> f64 {
    1.0 - rng.gen::<f64>()
}

/// Standard normal variate (Marsaglia's polar method).
pub(crate) fn normal<R: Rng>(rng: &mut R) -> f64 {
    loop {
        let u = 2.0 * rng.gen::<f64>() - 1.0;
        let v = 2.0 * rng.gen::<f64>() - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * ln(s) / s).sqrt();
        }
    }
}

/// Log-normal variate with the given median and log-space sigma.
pub(crate) fn lognormal<R: Rng>(rng: &mut R, median: f64, sigma: f64) -> f64 {
    median * exp(sigma * normal(rng))
}

/// Exponential variate with the given mean.
pub(crate) fn exponential<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    -ln(unit_open0(rng)) * mean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_and_exp_match_std_closely() {
        let mut x = 1e-300;
        while x < 1e300 {
            let rel = (ln(x) - x.ln()).abs() / x.ln().abs().max(1e-300);
            assert!(rel < 1e-13 || (ln(x) - x.ln()).abs() < 1e-15, "ln({x})");
            x *= 1.37;
        }
        assert_eq!(ln(1.0), 0.0);
        let mut y = -700.0;
        while y < 700.0 {
            let rel = (exp(y) - y.exp()).abs() / y.exp();
            assert!(rel < 1e-13, "exp({y})");
            y += 0.731;
        }
        assert!(ln(5e-324).is_finite());
    }
}
