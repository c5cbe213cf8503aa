//! RFC 3339 `date-time` strategies: near-future instants that any server must accept, and
//! near-misses that a `format: date-time` check must reject.
//!
//! Valid values fall 2 to 60 days ahead of the day the strategy is built: in the future for the
//! whole run, and not so far ahead that a server capping how far ahead a date-time may be (an
//! expiry of at most a year, a MySQL `TIMESTAMP` that ends in 2038) refuses them, a business rule
//! no schema states. Leap seconds are left out because RFC 3339 only allows them at 23:59:60 UTC,
//! which is a rule of its own and not what these values probe.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

#[derive(Clone, Debug)]
struct Parts {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    fraction: Option<String>,
    offset: String,
}

impl Parts {
    fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn time(&self) -> String {
        let fraction = self
            .fraction
            .as_ref()
            .map(|f| format!(".{f}"))
            .unwrap_or_default();
        format!(
            "{:02}:{:02}:{:02}{fraction}",
            self.hour, self.minute, self.second
        )
    }

    fn render(&self) -> String {
        format!("{}T{}{}", self.date(), self.time(), self.offset)
    }
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

pub(super) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub(super) fn offset() -> BoxedStrategy<String> {
    let numeric = (any::<bool>(), 0u32..=23, select(vec![0u32, 30, 45, 59]))
        .prop_map(|(east, h, m)| format!("{}{h:02}:{m:02}", if east { '+' } else { '-' }));
    prop_oneof![
        3 => Just("Z".to_owned()),
        3 => numeric,
        1 => select(vec!["+00:00", "-00:00", "+23:59", "-23:59", "+05:45", "-09:30"])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

/// The first and last day ahead of today that generated valid date-times fall on.
const NEAR_FUTURE_DAYS: std::ops::RangeInclusive<i64> = 2..=60;

/// How many days ahead the derived valid date-times fall: in the near future, and apart from
/// the default lifetimes servers give (30 days is common), so an ignored value shows.
pub const DERIVED_DAYS_AHEAD: i64 = 45;

/// The UTC date `days` from today, as `(year, month, day)`.
fn date_ahead(days: i64) -> (u32, u32, u32) {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    (
        u32::try_from(date.year()).unwrap_or(2100),
        u32::from(u8::from(date.month())),
        u32::from(date.day()),
    )
}

/// A valid date-time template of the deriver (written for a date in 2099) moved to the date
/// [`DERIVED_DAYS_AHEAD`] days from today, keeping its clock, fraction and offset.
pub fn near_future(template: &str) -> String {
    let (year, month, day) = date_ahead(DERIVED_DAYS_AHEAD);
    match template.get(..10) {
        Some(date) if date.starts_with("2099-") => {
            format!("{year:04}-{month:02}-{day:02}{}", &template[10..])
        }
        _ => template.to_string(),
    }
}

fn parts() -> BoxedStrategy<Parts> {
    let days: Vec<(u32, u32, u32)> = NEAR_FUTURE_DAYS.map(date_ahead).collect();
    let clock = prop_oneof![
        4 => (0u32..=23, 0u32..=59, 0u32..=59),
        1 => Just((23, 59, 59)),
    ];
    let fraction = proptest::option::weighted(
        0.35,
        vec(proptest::char::range('0', '9'), 1..=9).prop_map(|d| d.into_iter().collect()),
    );
    (select(days), clock, fraction, offset())
        .prop_map(
            |((year, month, day), (hour, minute, second), fraction, offset)| Parts {
                year,
                month,
                day,
                hour,
                minute,
                second,
                fraction,
                offset,
            },
        )
        .boxed()
}

/// RFC 3339 `date-time` values in the near future, with `Z` or numeric offsets and optional
/// fractions.
pub(crate) fn valid() -> BoxedStrategy<String> {
    parts().prop_map(|p| p.render()).boxed()
}

/// RFC 3339 `full-date` values, any year from 1970 to 2099: a date is often a birthday or a
/// deadline, so the past and the future both belong.
pub(crate) fn valid_date() -> BoxedStrategy<String> {
    (1970u32..=2099, 1u32..=12, 0u32..31)
        .prop_map(|(year, month, day)| {
            let day = 1 + day % days_in_month(year, month);
            format!("{year:04}-{month:02}-{day:02}")
        })
        .boxed()
}

/// RFC 3339 `full-time` values: a clock, an optional fraction and an offset, leap seconds left
/// out (they are only valid at 23:59:60 UTC, a rule of their own).
pub(crate) fn valid_time() -> BoxedStrategy<String> {
    let fraction = proptest::option::weighted(
        0.3,
        vec(proptest::char::range('0', '9'), 1..=6).prop_map(|d| d.into_iter().collect::<String>()),
    );
    (0u32..=23, 0u32..=59, 0u32..=59, fraction, offset())
        .prop_map(|(h, m, s, fraction, offset)| {
            let fraction = fraction.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{h:02}:{m:02}:{s:02}{fraction}{offset}")
        })
        .boxed()
}

/// Strings that look like date-times but break RFC 3339 in one way each.
pub(crate) fn invalid() -> BoxedStrategy<String> {
    let bent = (parts(), 0usize..NEAR_MISSES).prop_map(|(p, which)| near_miss(&p, which));
    let fixed = select(vec![
        "",
        "tomorrow",
        "now",
        "null",
        "never",
        "T",
        "Z",
        "0",
        "4102444800",
        "Infinity",
        "2100-13",
        "2100-01-01T",
        "2100-01-01TZ",
        "2100-01-01T00:00Z",
        "2100-01-01T00:00:00ZZ",
        "21000101T000000Z",
        "2100-1-1T0:0:0Z",
        "2100/01/01T00:00:00Z",
        "01/02/2100 00:00:00",
        "Fri, 01 Jan 2100 00:00:00 GMT",
        "\u{ff12}\u{ff11}\u{ff10}\u{ff10}-01-01T00:00:00Z",
        "2100-01-01T00:00:00.Z",
    ])
    .prop_map(str::to_owned);
    prop_oneof![4 => bent, 1 => fixed].boxed()
}

const NEAR_MISSES: usize = 24;

fn near_miss(p: &Parts, which: usize) -> String {
    let (date, time, offset) = (p.date(), p.time(), p.offset.as_str());
    let with = |f: &dyn Fn(&mut Parts)| {
        let mut q = p.clone();
        f(&mut q);
        q.render()
    };
    match which {
        0 => format!("{date}T{time}"),
        1 => format!("{date} {time}{offset}"),
        2 => date,
        3 => format!("{time}{offset}"),
        4 => with(&|q| {
            q.hour = 24;
            q.minute = 0;
            q.second = 0;
            q.fraction = None;
        }),
        5 => with(&|q| q.minute = 60),
        6 => with(&|q| q.second = 61),
        // 60 is only a leap second at 23:59 UTC; at noon UTC it is never one.
        7 => with(&|q| {
            q.hour = 12;
            q.second = 60;
            q.offset = "Z".to_owned();
        }),
        8 => with(&|q| q.day = days_in_month(q.year, q.month) + 1),
        9 => with(&|q| {
            q.month = 2;
            q.day = 30;
        }),
        10 => with(&|q| {
            q.year = 2100;
            q.month = 2;
            q.day = 29;
        }),
        11 => with(&|q| q.month = 13),
        12 => with(&|q| q.month = 0),
        13 => with(&|q| q.day = 0),
        14 => with(&|q| q.offset = "+24:00".to_owned()),
        15 => with(&|q| q.offset = "+01:60".to_owned()),
        16 => with(&|q| q.offset = "+0100".to_owned()),
        17 => with(&|q| q.offset = "+01".to_owned()),
        18 => with(&|q| q.offset = " UTC".to_owned()),
        19 => format!("{date}T{time},5{offset}"),
        20 => format!("{}{}", p.year + 10_000, &p.render()[4..]),
        21 => format!(" {}", p.render()),
        22 => format!("{}\n", p.render()),
        _ => format!("{}-{}", &p.render()[2..4], &p.render()[5..]),
    }
}

/// Whether `s` is not an RFC 3339 date-time but a variant of one whose instant is unambiguous:
/// a space (or lower-case `t`) for `T`, a comma decimal sign, a basic offset (`+0100`), an offset
/// without minutes (`+01`), a lower-case `z`, ISO 8601's `24:00:00` (the end of the day), or
/// surrounding whitespace. Lenient parsers
/// (pydantic, ajv-formats, ISO 8601 libraries) accept these; accepting one cannot mislead a
/// client about the instant. Missing offsets and impossible values are not variants.
pub fn unambiguous_variant(s: &str) -> bool {
    !is_date_time(s) && normalized(s).is_some_and(|n| is_date_time(&n))
}

/// `s` rewritten into RFC 3339 form, undoing each variant [`unambiguous_variant`] allows.
fn normalized(s: &str) -> Option<String> {
    let s = s.trim();
    let sep = s.find([' ', 't', 'T']).filter(|&i| i == 10)?;
    let (date, time) = (&s[..sep], &s[sep + 1..]);
    let time = time.replacen(',', ".", 1);
    let (clock, offset) = match time.find(['+', '-', 'Z', 'z']) {
        Some(i) => (&time[..i], &time[i..]),
        None => return None,
    };
    // `hh:mm` without seconds names the minute's first second.
    let clock = if clock.len() == 5 {
        format!("{clock}:00")
    } else {
        clock.to_string()
    };
    // ISO 8601's `24:00:00` is the end of the day, the next day's midnight: ECMAScript's
    // `Date.parse` and PostgreSQL read it so. Any second of the same date stands in for it here,
    // since only the date's validity is left to check.
    let clock = match clock.strip_prefix("24:00:00") {
        Some(rest) if rest.is_empty() || rest.trim_start_matches(['.', '0']).is_empty() => {
            "23:59:59".to_string()
        }
        _ => clock,
    };
    let offset = match offset {
        "z" | "Z" => "Z".to_string(),
        o if o.len() == 5 && o[1..].bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}:{}", &o[..3], &o[3..])
        }
        o if o.len() == 3 && o[1..].bytes().all(|b| b.is_ascii_digit()) => format!("{o}:00"),
        o => o.to_string(),
    };
    Some(format!("{date}T{clock}{offset}"))
}

/// RFC 3339 `date-time`, with the leniencies JSON Schema validators allow (`t`, `z`, any number
/// of fraction digits, a leap second only where it lands on 23:59:60 UTC).
pub(crate) fn is_date_time(s: &str) -> bool {
    let Some(t) = s.find(['T', 't']) else {
        return false;
    };
    let (date, time) = (&s[..t], &s[t + 1..]);
    is_date(date) && is_time(time)
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    match (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10])) {
        (Some(y), Some(m), Some(d)) => (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m),
        _ => false,
    }
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || !s.is_char_boundary(8) || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(&s[0..2]), digits(&s[3..5]), digits(&s[6..8]))
    else {
        return false;
    };
    if h > 23 || m > 59 || sec > 60 {
        return false;
    }
    let mut rest = &s[8..];
    if let Some(after_dot) = rest.strip_prefix('.') {
        let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &after_dot[n..];
    }
    let minutes_east: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || (rb[0] != b'+' && rb[0] != b'-') || rb[3] != b':' {
                return false;
            }
            let (Some(oh), Some(om)) = (digits(&rest[1..3]), digits(&rest[4..6])) else {
                return false;
            };
            if oh > 23 || om > 59 {
                return false;
            }
            let sign = if rb[0] == b'+' { 1 } else { -1 };
            sign * i64::from(oh * 60 + om)
        }
    };
    if sec == 60 {
        let utc = (i64::from(h * 60 + m) - minutes_east).rem_euclid(24 * 60);
        return utc == 23 * 60 + 59;
    }
    true
}

#[cfg(test)]
mod variant_tests {
    use super::unambiguous_variant;

    #[test]
    fn unambiguous_variants_are_told_from_errors() {
        for variant in [
            "2099-01-02 03:04:05Z",
            "2099-01-02T03:04:05,5Z",
            "2099-01-02T03:04:05+0100",
            "2099-01-02T03:04:05+01",
            "2099-01-02T03:04Z",
            " 2099-01-02T03:04:05Z",
            "2099-01-02T03:04:05Z\n",
            "2099-01-02T24:00:00Z",
            "2099-01-02T24:00:00.000+01:00",
        ] {
            assert!(unambiguous_variant(variant), "{variant:?}");
        }
        for not_variant in [
            "2099-01-02T03:04:05Z",
            "2099-01-02T03:04:05",
            "2099-01-02 03:04:05",
            "2099-01-02T24:00:01Z",
            "2099-01-02T24:30:00Z",
            "2099-02-30T24:00:00Z",
            "2099-02-30T00:00:00Z",
            "2099-13-01T00:00:00Z",
            "2099-01-02T03:04:05+24:00",
            "2099-01-02",
            "tomorrow",
            "4102444800",
            "",
        ] {
            assert!(!unambiguous_variant(not_variant), "{not_variant:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;

    /// The reference verdict: the validator the conformance suite itself trusts.
    fn oracle(s: &str) -> bool {
        let schema = serde_json::json!({"type": "string", "format": "date-time"});
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema compiles")
            .is_valid(&serde_json::json!(s))
    }

    #[test]
    fn every_near_miss_kind_is_rejected_by_the_oracle() {
        let mut runner = super::super::runner(3);
        for _ in 0..300 {
            let p = parts().new_tree(&mut runner).unwrap().current();
            assert!(oracle(&p.render()) && is_date_time(&p.render()), "{p:?}");
            for which in 0..NEAR_MISSES {
                let s = near_miss(&p, which);
                assert!(!oracle(&s), "kind {which}: {s:?} accepted");
                assert!(!is_date_time(&s), "kind {which}: {s:?}");
            }
        }
        for _ in 0..2000 {
            let s = invalid().new_tree(&mut runner).unwrap().current();
            assert!(!oracle(&s) && !is_date_time(&s), "{s:?}");
        }
    }

    #[test]
    fn checker_agrees_with_hand_picked_cases() {
        for ok in [
            "2100-01-01T00:00:00Z",
            "2104-02-29T23:59:59.123456789+23:59",
            "8999-12-31t23:59:59z",
            "2100-06-30T23:59:60Z",
            "2100-07-01T01:59:60+02:00",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2100-02-29T00:00:00Z",
            "2100-01-01T24:00:00Z",
            "2100-01-01T12:00:60Z",
            "2100-01-01T00:00:00+24:00",
            "2100-01-01 00:00:00Z",
            "2100-01-01T00:00:00",
            "tomorrow",
            "",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
        for miss in crate::contract::datetimes::NEAR_MISSES {
            assert!(!is_date_time(miss.text), "{}: {:?}", miss.id, miss.text);
            assert!(!oracle(miss.text), "{}: {:?}", miss.id, miss.text);
        }
    }
}
