//! RFC 3339 date-times as the contract reads them: the one strict parser, and the one table of
//! near-misses that the deriver sends, the reference server refuses and its tests probe.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A string that looks like a date-time but is not one by RFC 3339.
#[derive(Clone, Copy, Debug)]
pub struct NearMiss {
    /// The rule part of the derived case id, e.g. `space_separator`.
    pub id: &'static str,
    /// The string sent.
    pub text: &'static str,
    /// How a case title says it: "a date-time {title}".
    pub title: &'static str,
}

/// Near-miss date-times that RFC 3339 rejects. The unambiguous variants among them (a space for
/// `T`, a comma decimal sign, a basic or hours-only offset) tolerate a success with a warning:
/// see `cases::Case::tolerate_date_time_variant`.
pub const NEAR_MISSES: &[NearMiss] = &[
    NearMiss {
        id: "no_offset",
        text: "2099-01-02T03:04:05",
        title: "without an offset",
    },
    NearMiss {
        id: "space_separator",
        text: "2099-01-02 03:04:05Z",
        title: "with a space instead of T",
    },
    NearMiss {
        id: "date_only",
        text: "2099-01-02",
        title: "as a date only",
    },
    NearMiss {
        id: "hour_24",
        text: "2099-01-02T24:00:00Z",
        title: "at 24:00:00",
    },
    NearMiss {
        id: "february_30",
        text: "2099-02-30T00:00:00Z",
        title: "on February 30",
    },
    NearMiss {
        id: "month_13",
        text: "2099-13-01T00:00:00Z",
        title: "in month 13",
    },
    NearMiss {
        id: "offset_24",
        text: "2099-01-02T03:04:05+24:00",
        title: "with offset +24:00",
    },
    NearMiss {
        id: "comma_decimal",
        text: "2099-01-02T03:04:05,5Z",
        title: "with a comma decimal sign",
    },
    NearMiss {
        id: "basic_offset",
        text: "2099-01-02T03:04:05+0100",
        title: "with a basic offset +0100",
    },
    NearMiss {
        id: "offset_hours_only",
        text: "2099-01-02T03:04:05+01",
        title: "with an offset of hours only",
    },
    NearMiss {
        id: "natural_language",
        text: "tomorrow",
        title: "as \"tomorrow\"",
    },
    NearMiss {
        id: "empty",
        text: "",
        title: "as the empty string",
    },
];

/// RFC 3339 `date-time`, agreeing with JSON Schema's `format: date-time` as `jsonschema` checks it.
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    // `time` accepts any byte as the date/time separator; RFC 3339's grammar only has `T` (or `t`).
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .or_else(|| leap_second(s))
}

/// `time` takes `:60` only on the last second of a month; the format allows it at 23:59 UTC on any
/// day. It stands for the nanosecond before the next minute, as `time` itself represents it.
fn leap_second(s: &str) -> Option<OffsetDateTime> {
    if s.get(17..19) != Some("60") {
        return None;
    }
    let as_59 = format!("{}59{}", s.get(..17)?, s.get(19..)?);
    let instant = OffsetDateTime::parse(&as_59, &Rfc3339).ok()?;
    let utc = instant.checked_to_offset(UtcOffset::UTC)?;
    if (utc.hour(), utc.minute()) != (23, 59) {
        return None;
    }
    instant.replace_nanosecond(999_999_999).ok()
}
