//! Times as milliseconds since the Unix epoch (UTC): read from RFC 3339 text (any offset) or a
//! number of seconds, written back as RFC 3339; the UTC civil fields seasonality needs.

use jiff::Timestamp;
use serde_json::Value;

/// Milliseconds since the epoch, UTC.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// A time as text (`2026-11-30T08:00:00Z`, `2026-11-30 08:00:00+01:00`, a date `2026-11-30`) or
/// as a number of seconds since the epoch.
pub fn parse(value: &Value) -> Result<Millis, String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite())
            .map(|s| (s * 1000.0).round() as Millis)
            .ok_or_else(|| format!("{n} is not a time")),
        Value::String(s) => parse_text(s),
        Value::Null => Err("no time".into()),
        other => Err(format!("{other} is not a time")),
    }
}

/// [`parse`] for text.
pub fn parse_text(text: &str) -> Result<Millis, String> {
    let t = text.trim();
    if let Ok(seconds) = t.parse::<f64>()
        && seconds.is_finite()
    {
        return Ok((seconds * 1000.0).round() as Millis);
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    // A space for the `T`, or no offset at all (dbt writes naive UTC times).
    let normal = t.replacen(' ', "T", 1);
    for candidate in [normal.clone(), format!("{normal}Z")] {
        if let Ok(ts) = candidate.parse::<Timestamp>() {
            return Ok(ts.as_millisecond());
        }
    }
    if let Ok(date) = t.parse::<jiff::civil::Date>() {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "“{t}” is not a time (RFC 3339, e.g. 2026-11-30T08:00:00Z)"
    ))
}

/// RFC 3339 in UTC, to the second.
pub fn format(at: Millis) -> String {
    Timestamp::from_millisecond(at)
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_else(|_| at.to_string())
}

/// UTC civil fields of a time: (day of week 0 = Monday, hour, day of month 1–31).
pub fn civil(at: Millis) -> (u8, u8, u8) {
    let days = at.div_euclid(DAY);
    let hour = (at.rem_euclid(DAY) / HOUR) as u8;
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    let weekday = (days + 3).rem_euclid(7) as u8;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    (weekday, hour, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_every_shape_teams_send() {
        let base = parse_text("2026-11-30T08:00:00Z").unwrap();
        for (text, want) in [
            ("2026-11-30T09:00:00+01:00", base),
            ("2026-11-30 08:00:00", base),
            ("2026-11-30T08:00:00.000000Z", base),
            ("2026-11-30T08:00:00", base),
            ("2026-11-30", base - 8 * HOUR),
            ("1796025600", 1_796_025_600_000),
        ] {
            assert_eq!(parse_text(text).unwrap(), want, "{text}");
        }
        assert_eq!(parse(&serde_json::json!(1.5)).unwrap(), 1500);
        assert!(parse_text("yesterday").unwrap_err().contains("yesterday"));
        assert!(parse(&Value::Null).is_err());
        assert_eq!(format(base), "2026-11-30T08:00:00Z");
    }

    #[test]
    fn civil_fields_are_utc() {
        // 2026-11-30 is a Monday; 2024-02-29 a Thursday.
        assert_eq!(
            civil(parse_text("2026-11-30T08:30:00Z").unwrap()),
            (0, 8, 30)
        );
        assert_eq!(
            civil(parse_text("2024-02-29T23:59:59Z").unwrap()),
            (3, 23, 29)
        );
        assert_eq!(
            civil(parse_text("1969-12-31T00:00:00Z").unwrap()),
            (2, 0, 31)
        );
    }
}
