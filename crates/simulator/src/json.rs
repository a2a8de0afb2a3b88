//! A minimal, allocation-light JSON writer for the fixed event shapes.
//!
//! Events are written field by field into one `String`: no `serde_json::Value`
//! and no intermediate structs on the hot path. Numbers that are not integers
//! are kept as scaled integers and written with a fixed number of decimals,
//! so the output never depends on float formatting.

use std::fmt::Write;

/// Appends `v` as a JSON string literal (quotes included, escaped).
pub(crate) fn push_json_str(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

/// Appends `,"key":` (the key is a trusted literal).
#[inline]
pub(crate) fn push_key(s: &mut String, key: &str) {
    s.push_str(",\"");
    s.push_str(key);
    s.push_str("\":");
}

/// Appends `,"key":"value"` with the value escaped.
#[inline]
pub(crate) fn field_str(s: &mut String, key: &str, v: &str) {
    push_key(s, key);
    push_json_str(s, v);
}

/// Appends `,"key":123`.
#[inline]
pub(crate) fn field_int(s: &mut String, key: &str, v: i64) {
    push_key(s, key);
    push_int(s, v);
}

/// Appends `,"key":true|false`.
#[inline]
pub(crate) fn field_bool(s: &mut String, key: &str, v: bool) {
    push_key(s, key);
    s.push_str(if v { "true" } else { "false" });
}

/// Appends `,"key":"<RFC 3339 UTC time>"`.
#[inline]
pub(crate) fn field_time(s: &mut String, key: &str, ms: i64) {
    push_key(s, key);
    s.push('"');
    push_rfc3339(s, ms);
    s.push('"');
}

/// Appends an integer.
#[inline]
pub(crate) fn push_int(s: &mut String, v: i64) {
    let _ = write!(s, "{v}");
}

/// Appends `scaled / 10^decimals` with exactly `decimals` fraction digits,
/// e.g. `push_fixed(s, 12345, 3)` writes `12.345`.
pub(crate) fn push_fixed(s: &mut String, scaled: i64, decimals: u32) {
    let p = 10i64.pow(decimals);
    if scaled < 0 {
        s.push('-');
    }
    let a = scaled.unsigned_abs();
    let p = p as u64;
    let _ = write!(s, "{}.{:0width$}", a / p, a % p, width = decimals as usize);
}

/// Appends `,"key":<fixed decimal>`.
#[inline]
pub(crate) fn field_fixed(s: &mut String, key: &str, scaled: i64, decimals: u32) {
    push_key(s, key);
    push_fixed(s, scaled, decimals);
}

fn push_digits(s: &mut String, v: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        s.push((b'0' + ((v / div) % 10) as u8) as char);
        div /= 10;
    }
}

/// Civil date (year, month, day) from days since 1970-01-01 (proleptic
/// Gregorian; Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the Unix epoch.
pub(crate) fn push_rfc3339(s: &mut String, ms: i64) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000) as u32;
    let (y, m, d) = civil_from_days(days);
    push_digits(s, y.clamp(0, 9999) as u32, 4);
    s.push('-');
    push_digits(s, m, 2);
    s.push('-');
    push_digits(s, d, 2);
    s.push('T');
    push_digits(s, in_day / 3_600_000, 2);
    s.push(':');
    push_digits(s, in_day / 60_000 % 60, 2);
    s.push(':');
    push_digits(s, in_day / 1000 % 60, 2);
    s.push('.');
    push_digits(s, in_day % 1000, 3);
    s.push('Z');
}

/// Appends `n` lowercase hex digits of `v` (most significant first).
pub(crate) fn push_hex(s: &mut String, v: u64, n: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..n).rev() {
        s.push(HEX[((v >> (i * 4)) & 0xf) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{SecondsFormat, TimeZone, Utc};

    #[test]
    fn rfc3339_matches_chrono() {
        let mut ms = -1_000_000_000_000i64;
        while ms < 5_000_000_000_000 {
            let mut s = String::new();
            push_rfc3339(&mut s, ms);
            let c = Utc
                .timestamp_millis_opt(ms)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true);
            assert_eq!(s, c);
            ms += 7_777_777_777;
        }
    }

    #[test]
    fn fixed_and_escape() {
        let mut s = String::new();
        push_fixed(&mut s, 12_345, 3);
        s.push(' ');
        push_fixed(&mut s, 5, 2);
        s.push(' ');
        push_fixed(&mut s, -7, 1);
        assert_eq!(s, "12.345 0.05 -0.7");
        let mut e = String::new();
        push_json_str(&mut e, "a\"b\\c\nd\u{1}");
        assert_eq!(e, r#""a\"b\\c\nd\u0001""#);
        let v: String = serde_json::from_str(&e).unwrap();
        assert_eq!(v, "a\"b\\c\nd\u{1}");
    }
}
