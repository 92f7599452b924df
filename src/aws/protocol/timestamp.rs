//! Timestamps on the wire: reading the caller's values (epoch seconds or ISO 8601), writing
//! them in a protocol's format (ISO 8601, RFC 822 HTTP dates, epoch seconds), and reading a
//! service's timestamps back into the client's output convention (ISO 8601 UTC strings).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

use crate::aws::model::TimestampFormat;

/// Reads a caller's timestamp: epoch seconds (number) or an ISO 8601 / RFC 3339 string.
pub fn from_input(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(number) => number.as_f64().and_then(from_epoch_seconds),
        Value::String(text) => parse_text(text),
        _ => None,
    }
}

/// Reads a timestamp written by a service, in any of the formats services use.
pub fn parse_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(epoch) = text.parse::<f64>() {
        return from_epoch_seconds(epoch);
    }
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    if let Ok(parsed) = DateTime::parse_from_rfc2822(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    // ISO 8601 without an offset (taken as UTC), with or without fractional seconds.
    let naive = text.trim_end_matches('Z');
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(naive, format).ok())
    .map(|naive| Utc.from_utc_datetime(&naive))
}

/// Epoch seconds, possibly fractional, as a UTC time (millisecond precision is kept exactly).
pub fn from_epoch_seconds(epoch: f64) -> Option<DateTime<Utc>> {
    if !epoch.is_finite() {
        return None;
    }
    let millis = (epoch * 1000.0).round();
    // Beyond this range `as i64` would saturate; no service timestamp is that far away.
    if millis.abs() > 8.0e15 {
        return None;
    }
    DateTime::from_timestamp_millis(millis as i64)
}

/// The client's output form: ISO 8601 in UTC, fractional seconds only when non-zero.
pub fn to_output(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A timestamp written as text in the given format (query strings, headers, XML, query bodies).
pub fn format_text(time: &DateTime<Utc>, format: TimestampFormat) -> String {
    match format {
        TimestampFormat::Iso8601 => iso8601(time),
        TimestampFormat::Rfc822 => time.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        TimestampFormat::UnixTimestamp => epoch_number(time).to_string(),
    }
}

/// Epoch seconds as a JSON number: an integer unless there are fractional milliseconds.
pub fn epoch_number(time: &DateTime<Utc>) -> Value {
    let millis = time.timestamp_subsec_millis();
    if millis == 0 {
        Value::from(time.timestamp())
    } else {
        Value::from(time.timestamp() as f64 + f64::from(millis) / 1000.0)
    }
}

/// ISO 8601 as botocore writes it: whole seconds, or microseconds when there is a fraction.
fn iso8601(time: &DateTime<Utc>) -> String {
    if time.timestamp_subsec_micros() == 0 {
        time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn input_accepts_epoch_and_iso() {
        let epoch = from_input(&json!(1398796238)).unwrap();
        let iso = from_input(&json!("2014-04-29T18:30:38Z")).unwrap();
        assert_eq!(epoch, iso);
        let offset = from_input(&json!("2014-04-29T19:30:38+01:00")).unwrap();
        assert_eq!(offset, iso);
        assert_eq!(from_input(&json!(true)), None);
        assert_eq!(from_input(&json!("yesterday")), None);
    }

    #[test]
    fn formats_each_wire_format() {
        let time = from_input(&json!(1576540098)).unwrap();
        assert_eq!(
            format_text(&time, TimestampFormat::Iso8601),
            "2019-12-16T23:48:18Z"
        );
        assert_eq!(
            format_text(&time, TimestampFormat::Rfc822),
            "Mon, 16 Dec 2019 23:48:18 GMT"
        );
        assert_eq!(
            format_text(&time, TimestampFormat::UnixTimestamp),
            "1576540098"
        );
        let fractional = from_input(&json!(946845296.123)).unwrap();
        assert_eq!(
            format_text(&fractional, TimestampFormat::Iso8601),
            "2000-01-02T20:34:56.123000Z"
        );
        assert_eq!(epoch_number(&fractional), json!(946845296.123));
    }

    #[test]
    fn output_is_utc_iso_with_fraction_only_when_present() {
        let parsed = parse_text("Tue, 29 Apr 2014 18:30:38 GMT").unwrap();
        assert_eq!(to_output(&parsed), "2014-04-29T18:30:38Z");
        let parsed = parse_text("2019-12-17T00:48:18+01:00").unwrap();
        assert_eq!(to_output(&parsed), "2019-12-16T23:48:18Z");
        let parsed = parse_text("2000-01-02T20:34:56.123Z").unwrap();
        assert_eq!(to_output(&parsed), "2000-01-02T20:34:56.123Z");
        let parsed = parse_text("1398796238").unwrap();
        assert_eq!(to_output(&parsed), "2014-04-29T18:30:38Z");
    }
}
