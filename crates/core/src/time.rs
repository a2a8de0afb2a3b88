//! Time units of the aggregates: UTC hour buckets and integer milliseconds.
//!
//! Durations and instants are kept as integer milliseconds so that adding and
//! later subtracting a contribution restores the exact previous value.

use chrono::{DateTime, Utc};

/// An hour bucket: whole hours since the Unix epoch, UTC.
pub type Hour = i64;

/// Milliseconds per hour.
pub const MS_PER_HOUR: i64 = 3_600_000;

/// Milliseconds since the Unix epoch.
pub fn epoch_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The hour bucket of an instant given in epoch milliseconds.
pub fn hour_of_ms(ms: i64) -> Hour {
    ms.div_euclid(MS_PER_HOUR)
}

/// The hour bucket of an instant.
pub fn hour_of(t: DateTime<Utc>) -> Hour {
    hour_of_ms(epoch_ms(t))
}

/// The instant an hour bucket starts.
pub fn hour_start(hour: Hour) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(hour.saturating_mul(MS_PER_HOUR)).unwrap_or_default()
}

/// Seconds (as events carry them) to whole milliseconds, rounded half away from zero.
pub fn seconds_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// Milliseconds to seconds, for output.
pub fn ms_to_seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_before_the_epoch_round_down() {
        assert_eq!(hour_of_ms(-1), -1);
        assert_eq!(hour_of_ms(0), 0);
        assert_eq!(hour_of_ms(MS_PER_HOUR - 1), 0);
        assert_eq!(hour_of_ms(MS_PER_HOUR), 1);
    }

    #[test]
    fn seconds_round_to_the_nearest_millisecond() {
        assert_eq!(seconds_to_ms(1.2344), 1234);
        assert_eq!(seconds_to_ms(1.2345), 1235);
        assert_eq!(seconds_to_ms(0.0), 0);
    }
}
