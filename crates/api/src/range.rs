//! Date ranges, time zones and series buckets.
//!
//! Aggregates are stored per UTC hour. A range in a zone maps to a half-open
//! range of UTC hours; a series bucket (local hour, day, week or month) is
//! the UTC hours from one local boundary to the next, so a DST day has 23 or
//! 25 of them. In zones whose offset is not a whole hour, boundaries fall
//! inside a UTC hour and are rounded down to it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use labelpulse_core::time::{hour_of, Hour, MS_PER_HOUR};

use crate::error::ApiError;

/// Series granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One bucket per hour.
    Hour,
    /// Local midnight to midnight.
    Day,
    /// Local Monday midnight to Monday midnight.
    Week,
    /// Local first of the month to the next.
    Month,
}

impl Granularity {
    /// Parses `hour|day|week|month`.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "hour" => Ok(Granularity::Hour),
            "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            other => Err(ApiError::bad_parameter(
                "granularity",
                format!("`{other}` is not one of hour, day, week, month"),
            )),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }
}

/// A resolved query range.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRange {
    /// Start instant (inclusive).
    pub from: DateTime<Utc>,
    /// End instant (exclusive).
    pub to: DateTime<Utc>,
    /// The zone buckets and output times are in.
    pub tz: Tz,
    /// UTC hours covered, half-open.
    pub hours: std::ops::Range<Hour>,
}

/// The longest range served, in days (about 10 years).
const MAX_RANGE_DAYS: i64 = 3660;

/// Parses a time zone name (IANA).
pub fn parse_tz(text: Option<&str>) -> Result<Tz, ApiError> {
    match text {
        None | Some("") => Ok(Tz::UTC),
        Some(name) => name.parse::<Tz>().map_err(|_| {
            ApiError::bad_parameter("tz", format!("`{name}` is not an IANA time zone"))
        }),
    }
}

/// The instant a local wall-clock time means in `tz`: the earlier one when a
/// DST fall-back makes it ambiguous, the first instant after the gap when a
/// spring-forward skips it.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..4 {
        if let Some(instant) = tz.from_local_datetime(&probe).earliest() {
            return instant.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&local)
}

fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, date.and_time(NaiveTime::MIN))
}

/// A `from`/`to` value: an RFC 3339 instant, or a date meaning local
/// midnight (for `to`, a date is inclusive: the range ends at the next
/// local midnight).
fn parse_bound(
    name: &'static str,
    text: &str,
    tz: Tz,
    is_end: bool,
) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.with_timezone(&Utc));
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) if is_end => date
            .succ_opt()
            .map(|next| local_midnight(tz, next))
            .ok_or_else(|| ApiError::bad_parameter(name, "date out of range")),
        Ok(date) => Ok(local_midnight(tz, date)),
        Err(_) => Err(ApiError::bad_parameter(
            name,
            format!("`{text}` is neither an RFC 3339 timestamp nor a YYYY-MM-DD date"),
        )),
    }
}

fn ceil_hour(t: DateTime<Utc>) -> Hour {
    let ms = t.timestamp_millis();
    ms.div_euclid(MS_PER_HOUR) + i64::from(ms.rem_euclid(MS_PER_HOUR) != 0)
}

impl QueryRange {
    /// Resolves `from`, `to` and `tz`. Defaults: `to` = now, `from` = local
    /// midnight 29 days before `to`'s local date (30 local days).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        tz: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let tz = parse_tz(tz)?;
        let to = match to {
            Some(text) => parse_bound("to", text, tz, true)?,
            None => now,
        };
        let from = match from {
            Some(text) => parse_bound("from", text, tz, false)?,
            None => {
                // The local date of the range's last instant: `to` is
                // exclusive, so a `to` at local midnight (a date) ends the
                // day before.
                let last = to - Duration::nanoseconds(1);
                let local_date = last.with_timezone(&tz).date_naive();
                local_midnight(tz, local_date - Duration::days(29))
            }
        };
        if from >= to {
            return Err(ApiError::bad_parameter("from", "must be before `to`"));
        }
        if to - from > Duration::days(MAX_RANGE_DAYS) {
            return Err(ApiError::bad_parameter(
                "from",
                format!("range longer than {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(QueryRange {
            from,
            to,
            tz,
            hours: hour_of(from)..ceil_hour(to),
        })
    }

    /// An instant, in the range's zone, as RFC 3339.
    pub fn format(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).to_rfc3339()
    }

    /// Series buckets: their starts (as UTC hours), in order. The first
    /// bucket starts at the range's first hour; each later bucket at the
    /// next local boundary of the granularity.
    pub fn buckets(&self, granularity: Granularity) -> Vec<Bucket> {
        let mut starts = vec![self.from];
        let mut cursor = self.from;
        loop {
            let next = next_boundary(cursor, self.tz, granularity);
            if next >= self.to || next <= cursor {
                break;
            }
            starts.push(next);
            cursor = next;
        }
        starts
            .into_iter()
            .map(|start| Bucket {
                start,
                first_hour: hour_of(start),
            })
            .collect()
    }
}

/// One series bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// When it starts.
    pub start: DateTime<Utc>,
    /// Its first UTC hour.
    pub first_hour: Hour,
}

/// The bucket an hour falls in (the last one starting at or before it).
pub fn bucket_index(buckets: &[Bucket], hour: Hour) -> Option<usize> {
    match buckets.partition_point(|b| b.first_hour <= hour) {
        0 => None,
        n => Some(n - 1),
    }
}

/// The first local boundary strictly after `t`.
fn next_boundary(t: DateTime<Utc>, tz: Tz, granularity: Granularity) -> DateTime<Utc> {
    let local = t.with_timezone(&tz).naive_local();
    let date = local.date();
    match granularity {
        Granularity::Hour => {
            let next = DateTime::from_timestamp((hour_of(t) + 1) * 3600, 0).unwrap_or(t);
            next.max(t + Duration::seconds(1))
        }
        Granularity::Day => date.succ_opt().map_or(t, |d| local_midnight(tz, d)),
        Granularity::Week => {
            let days = 7 - i64::from(date.weekday().num_days_from_monday());
            local_midnight(tz, date + Duration::days(days))
        }
        Granularity::Month => {
            let (year, month) = if date.month() == 12 {
                (date.year() + 1, 1)
            } else {
                (date.year(), date.month() + 1)
            };
            NaiveDate::from_ymd_opt(year, month, 1).map_or(t, |d| local_midnight(tz, d))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_local_day_is_midnight_to_midnight_in_the_zone() {
        let range = QueryRange::parse(
            Some("2026-03-02"),
            Some("2026-03-02"),
            Some("Europe/Berlin"),
            now(),
        )
        .unwrap();
        // Berlin is UTC+1 in March before the DST switch.
        assert_eq!(
            range.from,
            "2026-03-01T23:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            range.to,
            "2026-03-02T23:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(range.hours.end - range.hours.start, 24);
    }

    #[test]
    fn spring_forward_day_has_23_hours_and_fall_back_25() {
        // Europe/Berlin: 2026-03-29 02:00 -> 03:00; 2026-10-25 03:00 -> 02:00.
        let spring = QueryRange::parse(
            Some("2026-03-29"),
            Some("2026-03-29"),
            Some("Europe/Berlin"),
            now(),
        )
        .unwrap();
        assert_eq!(spring.hours.end - spring.hours.start, 23);
        let autumn = QueryRange::parse(
            Some("2026-10-25"),
            Some("2026-10-25"),
            Some("Europe/Berlin"),
            now(),
        )
        .unwrap();
        assert_eq!(autumn.hours.end - autumn.hours.start, 25);
    }

    #[test]
    fn daily_buckets_across_dst_follow_local_midnights() {
        let range = QueryRange::parse(
            Some("2026-03-28"),
            Some("2026-03-30"),
            Some("Europe/Berlin"),
            now(),
        )
        .unwrap();
        let buckets = range.buckets(Granularity::Day);
        let hours: Vec<i64> = buckets
            .windows(2)
            .map(|w| w[1].first_hour - w[0].first_hour)
            .collect();
        assert_eq!(buckets.len(), 3);
        assert_eq!(hours, vec![24, 23]);
        assert_eq!(range.format(buckets[2].start), "2026-03-30T00:00:00+02:00");
        // An hour of the 29th at 01:30 UTC (03:30 local) falls in bucket 1.
        let hour = hour_of("2026-03-29T01:30:00Z".parse().unwrap());
        assert_eq!(bucket_index(&buckets, hour), Some(1));
    }

    #[test]
    fn weeks_start_on_local_monday_and_months_on_the_first() {
        let range =
            QueryRange::parse(Some("2026-03-04"), Some("2026-04-14"), Some("UTC"), now()).unwrap();
        let weeks = range.buckets(Granularity::Week);
        assert_eq!(range.format(weeks[1].start), "2026-03-09T00:00:00+00:00");
        let months = range.buckets(Granularity::Month);
        assert_eq!(months.len(), 2);
        assert_eq!(range.format(months[1].start), "2026-04-01T00:00:00+00:00");
    }

    #[test]
    fn bad_parameters_are_named() {
        let error = QueryRange::parse(Some("yesterday"), None, None, now()).unwrap_err();
        assert_eq!(error.parameter(), Some("from"));
        let error = QueryRange::parse(None, None, Some("Mars/Olympus"), now()).unwrap_err();
        assert_eq!(error.parameter(), Some("tz"));
        let error =
            QueryRange::parse(Some("2026-03-05"), Some("2026-03-01"), None, now()).unwrap_err();
        assert_eq!(error.parameter(), Some("from"));
        assert!(Granularity::parse("fortnight").is_err());
    }

    #[test]
    fn default_from_with_a_date_to_spans_thirty_local_days() {
        let range =
            QueryRange::parse(None, Some("2026-03-10"), Some("Europe/Berlin"), now()).unwrap();
        assert_eq!(range.format(range.from), "2026-02-09T00:00:00+01:00");
        assert_eq!(range.format(range.to), "2026-03-11T00:00:00+01:00");
        assert_eq!(range.buckets(Granularity::Day).len(), 30);
    }

    #[test]
    fn default_range_is_thirty_local_days_ending_now() {
        let range = QueryRange::parse(None, None, None, now()).unwrap();
        assert_eq!(range.to, now());
        assert_eq!(
            range.from,
            "2026-02-09T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
