//! The semantic rules an endpoint file lists (`same_instant`, `minutes_between`, `unique`,
//! `equals`, `echo`, and `recent` and `links_to` in [`super::http_layer`]): what a response's
//! values mean, beyond their schema.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::http_layer::{self, Heard};
use super::{excerpt, Checker, Verdict};
use crate::cases::Case;
use crate::contract::{Operation, Semantic, SemanticKind, Severity};

impl Checker {
    pub(super) fn semantics(
        &self,
        contract: &Operation,
        case: &Case,
        body: &Value,
        heard: &Heard<'_>,
        out: &mut Vec<Verdict>,
    ) {
        let request = case.request.body.json();
        let request = request.as_deref();
        for s in &contract.endpoint.semantics {
            let name = s.check.name();
            if !self.on(name) {
                continue;
            }
            let actual = body.pointer(&s.response);
            let failed = match s.check {
                SemanticKind::SameInstant => same_instant(s, request, actual),
                SemanticKind::MinutesBetween => minutes_between(s, body, actual).map(Failure::from),
                SemanticKind::Unique => self.unique(s, &case.id, actual).map(Failure::from),
                SemanticKind::Equals => equals(s, actual).map(Failure::from),
                SemanticKind::Echo => echo(s, request, actual).map(Failure::from),
                SemanticKind::UnknownIgnored => unknown_ignored(request, actual).map(Failure::from),
                SemanticKind::Recent => http_layer::recent(s, actual, heard).map(Failure::from),
                SemanticKind::LinksTo => http_layer::links_to(s, body, actual).map(Failure::from),
            };
            if let Some(f) = failed {
                // A difference the rule tolerates weighs at most a warning, whatever the file says.
                let severity = if f.tolerated {
                    s.severity.min(Severity::Warning)
                } else {
                    s.severity
                };
                out.push(Verdict::new(
                    name,
                    severity,
                    s.response.clone(),
                    f.expected,
                    f.actual,
                ));
            }
        }
    }
}

/// A failed semantic rule: what was expected, and what came.
pub(super) type Failed = Option<(String, String)>;

/// A failed semantic rule, and whether the difference is one the rule tolerates: a
/// representation choice rather than a wrong value, weighing at most a warning.
struct Failure {
    expected: String,
    actual: String,
    tolerated: bool,
}

impl From<(String, String)> for Failure {
    fn from((expected, actual): (String, String)) -> Self {
        Failure {
            expected,
            actual,
            tolerated: false,
        }
    }
}

fn shown(actual: Option<&Value>) -> String {
    actual.map_or("(absent)".into(), |v| excerpt(&v.to_string()))
}

/// `same_instant`: the response date-time is the instant the request asked for. Under one second
/// off is tolerated: servers keep the precision of their clock or column (Python microseconds,
/// JavaScript milliseconds, a `DATETIME` whole seconds), which is no broken token.
fn same_instant(s: &Semantic, request: Option<&Value>, actual: Option<&Value>) -> Option<Failure> {
    let wanted = lookup(request, s.request.as_deref()).and_then(Value::as_str)?;
    let wanted_at = parse_instant(wanted)?;
    let expected = format!("the requested instant {wanted}");
    let text = actual.and_then(Value::as_str);
    let Some(got) = text.and_then(parse_instant) else {
        let why = match text {
            Some(_) => " (not an RFC 3339 date-time: its instant cannot be read)",
            None => "",
        };
        return Some((expected, format!("{}{why}", shown(actual))).into());
    };
    let (want_ns, got_ns) = (wanted_at.unix_timestamp_nanos(), got.unix_timestamp_nanos());
    let off = got_ns - want_ns;
    if off == 0 {
        return None;
    }
    if off.abs() >= NANOS_PER_SECOND {
        return Some((expected, shown(actual)).into());
    }
    let how = match kept_to(want_ns, got_ns, fraction_digits(text.unwrap_or_default())) {
        Some(precision) => format!("matches the requested instant kept to {precision}"),
        None => format!(
            "{} s {}",
            seconds(off.abs()),
            if off < 0 { "early" } else { "late" }
        ),
    };
    Some(Failure {
        expected,
        actual: format!("{} ({how}; under one second off)", shown(actual)),
        tolerated: true,
    })
}

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// The digits after the decimal sign of an RFC 3339 date-time's seconds (0 when there are none).
fn fraction_digits(date_time: &str) -> u32 {
    let Some(start) = date_time.find(['.', ',']) else {
        return 0;
    };
    let digits = date_time[start + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    u32::try_from(digits).unwrap_or(u32::MAX)
}

/// The finest precision, no finer than the `digits` the response shows, at which the requested
/// instant (cut or rounded) is the one returned: the precision the server keeps.
fn kept_to(wanted: i128, got: i128, digits: u32) -> Option<String> {
    (0..=digits.min(9)).rev().find_map(|d| {
        let unit = 10i128.pow(9 - d);
        let cut = wanted - wanted.rem_euclid(unit);
        let rounded = {
            let up = wanted + unit / 2;
            up - up.rem_euclid(unit)
        };
        (got == cut || got == rounded).then(|| precision_name(d))
    })
}

fn precision_name(digits: u32) -> String {
    match digits {
        0 => "whole seconds".into(),
        3 => "milliseconds".into(),
        6 => "microseconds".into(),
        9 => "nanoseconds".into(),
        d => format!("{d} decimal places of a second"),
    }
}

/// A span of nanoseconds as seconds, without trailing zeros.
fn seconds(nanos: i128) -> String {
    let text = format!(
        "{}.{:09}",
        nanos / NANOS_PER_SECOND,
        nanos % NANOS_PER_SECOND
    );
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `minutes_between`: the number is the whole minutes from one date-time to another (within one).
fn minutes_between(s: &Semantic, body: &Value, actual: Option<&Value>) -> Failed {
    let instant = |pointer: &Option<String>| {
        body.pointer(pointer.as_deref().unwrap_or(""))
            .and_then(Value::as_str)
            .and_then(parse_instant)
    };
    let (from, to, mins) = (instant(&s.from)?, instant(&s.to)?, actual?.as_f64()?);
    let exact = (to - from).as_seconds_f64() / 60.0;
    ((mins - exact).abs() > 1.0).then(|| {
        (
            format!(
                "{:.0} (minutes from {} to {})",
                exact.floor(),
                s.from.as_deref().unwrap_or(""),
                s.to.as_deref().unwrap_or("")
            ),
            shown(actual),
        )
    })
}

/// `equals`: the value is the one the endpoint file names.
fn equals(s: &Semantic, actual: Option<&Value>) -> Failed {
    let wanted = s.value.as_ref().unwrap_or(&Value::Null);
    (actual != Some(wanted)).then(|| (wanted.to_string(), shown(actual)))
}

/// `echo`: the value is the request's, as sent.
fn echo(s: &Semantic, request: Option<&Value>, actual: Option<&Value>) -> Failed {
    let wanted = lookup(request, s.request.as_deref())?;
    (actual != Some(wanted)).then(|| {
        (
            format!(
                "the request's {} as sent: {}",
                s.request.as_deref().unwrap_or(""),
                excerpt(&wanted.to_string())
            ),
            shown(actual),
        )
    })
}

/// `unknown_ignored`: the first string of the answer that holds a marked value the request sent,
/// where it is, and where it was sent.
fn unknown_ignored(request: Option<&Value>, actual: Option<&Value>) -> Failed {
    let mut sent = Vec::new();
    leaves(request?, String::new(), &mut |at, s| {
        if s.starts_with(crate::contract::UNREQUESTED) {
            sent.push((at, s.to_owned()));
        }
    });
    if sent.is_empty() {
        return None;
    }
    let mut found = None;
    leaves(actual?, String::new(), &mut |at, s| {
        if found.is_none() {
            if let Some((from, _)) = sent.iter().find(|(_, v)| s.contains(v.as_str())) {
                found = Some((at, from.clone(), s.to_owned()));
            }
        }
    });
    let (at, from, value) = found?;
    Some((
        "no value sent under an unknown request property (they are ignored)".into(),
        format!(
            "`{}` holds {} from the request's unknown `{from}`",
            if at.is_empty() { "/" } else { &at },
            excerpt(&Value::String(value).to_string())
        ),
    ))
}

/// Every string in `v`, with its JSON pointer.
fn leaves(v: &Value, at: String, f: &mut impl FnMut(String, &str)) {
    match v {
        Value::String(s) => f(at, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                leaves(item, format!("{at}/{i}"), f);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                leaves(
                    item,
                    format!("{at}/{}", crate::contract::pointer_token(k)),
                    f,
                );
            }
        }
        _ => {}
    }
}

fn lookup<'a>(body: Option<&'a Value>, pointer: Option<&str>) -> Option<&'a Value> {
    body?.pointer(pointer?).filter(|v| !v.is_null())
}

/// An RFC 3339 instant, or nothing.
pub(super) fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::cases::{Expect, Origin, RequestSpec};
    use crate::contract::Class;

    /// A rule of a made-up endpoint: the engine names no field of this API.
    fn rule(json: serde_json::Value) -> Semantic {
        serde_json::from_value(json).expect("a semantic rule")
    }

    fn expiry_rule() -> Semantic {
        rule(serde_json::json!({
            "check": "same_instant", "request": "/until", "response": "/kept/until"
        }))
    }

    /// `same_instant` on a request for `wanted` answered with `got`: `None` when it passes, else
    /// whether the difference is tolerated and what `actual` says.
    fn same(wanted: &str, got: &str) -> Option<(bool, String)> {
        let rule = expiry_rule();
        let request = serde_json::json!({ "until": wanted });
        let answer = serde_json::json!(got);
        same_instant(&rule, Some(&request), Some(&answer)).map(|f| (f.tolerated, f.actual))
    }

    #[test]
    fn same_instant_tolerates_a_coarser_precision_and_says_which() {
        assert_eq!(
            same("2100-01-01T00:00:00.5+01:00", "2099-12-31T23:00:00.500Z"),
            None
        );
        let kept = [
            (
                "2100-01-01T00:00:00.0000001Z",
                "2100-01-01T00:00:00.000000Z",
                "microseconds",
            ),
            (
                "2099-06-15T08:30:00.123456Z",
                "2099-06-15T08:30:00.123Z",
                "milliseconds",
            ),
            (
                "2099-06-15T08:30:00.999Z",
                "2099-06-15T08:30:01Z",
                "whole seconds",
            ),
            (
                "2099-06-15T08:30:00.123456Z",
                "2099-06-15T08:30:00Z",
                "whole seconds",
            ),
            (
                "2099-06-15T08:30:00.123456Z",
                "2099-06-15T08:30:00.000000Z",
                "whole seconds",
            ),
            (
                "2099-06-15T08:30:00.123456-07:00",
                "2099-06-15T15:30:00Z",
                "whole seconds",
            ),
        ];
        for (wanted, got, precision) in kept {
            let (tolerated, actual) = same(wanted, got).expect("a difference is reported");
            assert!(tolerated, "{wanted} -> {got}");
            assert!(actual.contains(&format!("kept to {precision}")), "{actual}");
        }
        let (tolerated, actual) = same("2099-06-15T08:30:00Z", "2099-06-15T08:29:59.75Z").unwrap();
        assert!(tolerated && actual.contains("0.25 s early"), "{actual}");
    }

    #[test]
    fn same_instant_is_an_error_from_one_second_off() {
        for (wanted, got) in [
            ("2099-06-15T08:30:00Z", "2099-06-15T08:29:15Z"),
            ("2099-06-15T08:30:00.5Z", "2099-06-15T08:30:01.5Z"),
            ("2099-06-15T08:30:00+02:00", "2099-06-15T08:30:00Z"),
            ("2099-06-15T08:30:00Z", "not a date"),
        ] {
            let (tolerated, _) = same(wanted, got).expect("a difference is reported");
            assert!(!tolerated, "{wanted} -> {got}");
        }
    }

    #[test]
    fn a_tolerated_difference_weighs_a_warning_and_a_wrong_instant_an_error() {
        let mut c = Operation::embedded().unwrap();
        c.endpoint.semantics = vec![expiry_rule()];
        let checker = Checker::new(&c, BTreeSet::new());
        let case = |until: &str| Case {
            id: "t".into(),
            title: "t".into(),
            kind: "t".into(),
            expect: Expect::of(&c, Class::Valid, ""),
            request: RequestSpec::json(&c.endpoint, serde_json::json!({"until": until})),
            offending: None,
            origin: Origin::Derived,
        };
        let body = serde_json::json!({"kept": {"until": "2099-06-15T08:30:00.123Z"}});
        let mut out = Vec::new();
        let heard = Heard::default();
        checker.semantics(
            &c,
            &case("2099-06-15T08:30:00.123456Z"),
            &body,
            &heard,
            &mut out,
        );
        let severities: Vec<_> = out
            .iter()
            .filter(|v| v.check == "same_instant")
            .map(|v| v.severity)
            .collect();
        assert_eq!(severities, [Severity::Warning]);
        out.clear();
        checker.semantics(
            &c,
            &case("2099-06-15T08:31:00.123Z"),
            &body,
            &heard,
            &mut out,
        );
        let severities: Vec<_> = out
            .iter()
            .filter(|v| v.check == "same_instant")
            .map(|v| v.severity)
            .collect();
        assert_eq!(severities, [Severity::Error]);
    }

    #[test]
    fn minutes_between_allows_timestamps_cut_to_whole_seconds() {
        let rule = rule(serde_json::json!({
            "check": "minutes_between", "response": "/kept/minutes",
            "from": "/kept/since", "to": "/kept/until"
        }));
        // Thirty days counted from the instants before they were cut: 43199.98 minutes apart
        // once cut, still 43200 by the server's count.
        let body = serde_json::json!({"kept": {
            "since": "2099-06-15T08:30:00Z",
            "until": "2099-07-15T08:29:59Z",
            "minutes": 43200,
        }});
        let mins = body.pointer("/kept/minutes");
        assert_eq!(minutes_between(&rule, &body, mins), None);
        let body = serde_json::json!({"kept": {
            "since": "2099-06-15T08:30:00.999Z",
            "until": "2099-07-15T08:30:00Z",
            "minutes": 43199,
        }});
        let mins = body.pointer("/kept/minutes");
        assert_eq!(minutes_between(&rule, &body, mins), None);
    }

    #[test]
    fn unknown_ignored_finds_a_marked_value_wherever_it_comes_back() {
        let mark = |s: &str| format!("{}{s}", crate::contract::UNREQUESTED);
        let request = serde_json::json!({"name": "n", "ref": mark("ref"), "tags": [mark("tags")]});
        let sent = Some(&request);
        // A correct answer holds none; a request with no mark is never judged.
        let clean = serde_json::json!({"id": "tok_1", "ref": "r-9", "tags": []});
        assert_eq!(unknown_ignored(sent, Some(&clean)), None);
        let unmarked = serde_json::json!({"ref": "x"});
        let echoed = serde_json::json!({"ref": "x"});
        assert_eq!(unknown_ignored(Some(&unmarked), Some(&echoed)), None);
        // Copied as it was, or pasted into another field of the answer.
        let spread = serde_json::json!({"meta": {"labels": ["a", mark("tags")]}});
        let (_, actual) = unknown_ignored(sent, Some(&spread)).expect("caught");
        assert!(
            actual.contains("`/meta/labels/1`") && actual.contains("`/tags/0`"),
            "{actual}"
        );
        let pasted = serde_json::json!({"description": format!("see {}", mark("ref"))});
        let (_, actual) = unknown_ignored(sent, Some(&pasted)).expect("caught");
        assert!(
            actual.contains("`/description`") && actual.contains("`/ref`"),
            "{actual}"
        );
    }
}
