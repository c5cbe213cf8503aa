//! The semantic rules held against the server's own HTTP layer (issue 22, family 5): `recent`, a
//! date-time against the client's clock and the response's `Date`, and `links_to`, a link
//! against the record's id.

use std::time::SystemTime;

use percent_encoding::percent_decode_str;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::excerpt;
use super::semantic::{parse_instant, Failed};
use crate::contract::{Semantic, DEFAULT_SKEW_MINUTES};

/// The client's clock around one exchange: just before the request went out, and once the
/// answer was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub sent: SystemTime,
    pub received: SystemTime,
}

impl Window {
    /// The window from `sent` to now.
    pub fn since(sent: SystemTime) -> Self {
        Window {
            sent,
            received: SystemTime::now(),
        }
    }
}

/// What the HTTP layer says about one answer: the client's clock around it (when the run
/// measured it) and the response's `Date` header as sent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Heard<'a> {
    pub window: Option<Window>,
    pub date: Option<&'a str>,
}

/// `recent`: the date-time is within the skew of the client's clock between sending and
/// receiving, or of the response's `Date` (RFC 9110 5.6.7, whole seconds, so one second more).
/// Far from both is wrong, whatever the offset says: a server whose clock is hours off but whose
/// `Date` agrees is judged by its own clock. A missing or unparsable `Date` leaves the client's
/// clock; a value that is no date-time is the schema's to judge.
pub(super) fn recent(s: &Semantic, actual: Option<&Value>, heard: &Heard<'_>) -> Failed {
    let text = actual?.as_str()?;
    let at = parse_instant(text)?;
    let skew = Duration::minutes(i64::from(s.skew_minutes.unwrap_or(DEFAULT_SKEW_MINUTES)));
    let window = heard.window.map(|w| {
        (
            OffsetDateTime::from(w.sent),
            OffsetDateTime::from(w.received),
        )
    });
    let date = heard
        .date
        .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .map(OffsetDateTime::from);
    let by_client = window.map(|(sent, received)| sent - skew <= at && at <= received + skew);
    let by_date = date.map(|d| d - skew <= at && at < d + Duration::SECOND + skew);
    // Near either clock passes; with neither to hold it against there is nothing to judge.
    if by_client.unwrap_or(false) || by_date.unwrap_or(false) {
        return None;
    }
    if by_client.is_none() && by_date.is_none() {
        return None;
    }
    let minutes = skew.whole_minutes();
    let mut against = Vec::new();
    let mut offsets = Vec::new();
    if let Some((sent, received)) = window {
        against.push(format!(
            "the client's clock ({} to {})",
            stamp(sent),
            stamp(received)
        ));
        let off = if at < sent { at - sent } else { at - received };
        offsets.push(format!("{} the client's clock", span(off)));
    }
    if let (Some(d), Some(raw)) = (date, heard.date) {
        against.push(format!("the response's Date ({})", excerpt(raw.trim())));
        offsets.push(format!("{} Date", span(at - d)));
    }
    Some((
        format!(
            "an instant within {minutes} minutes of {}",
            against.join(" or of ")
        ),
        format!("{} ({})", excerpt(text), offsets.join("; ")),
    ))
}

/// An instant as RFC 3339 in UTC, to the millisecond.
fn stamp(at: OffsetDateTime) -> String {
    let items = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(items)
        .unwrap_or_default()
}

/// How far ahead of or behind something an instant is: `3 h 0 min ahead of`, `42 s behind`.
fn span(off: Duration) -> String {
    let secs = off.whole_seconds().unsigned_abs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let size = match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) => format!("{m} min {s} s"),
        _ => format!("{h} h {m} min"),
    };
    let way = if off.is_negative() {
        "behind"
    } else {
        "ahead of"
    };
    format!("{size} {way}")
}

/// `links_to`: the link (a string, or an object with `href` as HAL writes it), absolute or
/// relative, names the record's id as one of its path segments, percent-decoded. No link, or
/// no id, is nothing to judge: the schema says whether either must be there.
pub(super) fn links_to(s: &Semantic, body: &Value, actual: Option<&Value>) -> Failed {
    let link = match actual? {
        Value::String(link) => link.as_str(),
        Value::Object(o) => o.get("href")?.as_str()?,
        _ => return None,
    };
    let id = match body.pointer(s.to.as_deref()?)? {
        Value::String(id) if !id.is_empty() => id.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    if path_segments(link).contains(&id) {
        return None;
    }
    Some((
        format!(
            "a link naming the record's {} `{}` as a path segment",
            s.to.as_deref().unwrap_or(""),
            excerpt(&id)
        ),
        excerpt(&format!("{link:?}")),
    ))
}

/// The percent-decoded segments of a URL's path, absolute or relative (resolved against a
/// placeholder base); for a URL with no hierarchical path (`urn:...`), the parts of its path
/// between `/` and `:`.
fn path_segments(link: &str) -> Vec<String> {
    let parsed = match url::Url::parse(link) {
        Ok(url) => Ok(url),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse("http://relative.invalid/").and_then(|base| base.join(link))
        }
        Err(e) => Err(e),
    };
    let Ok(url) = parsed else {
        return Vec::new();
    };
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    match url.path_segments() {
        Some(segments) => segments.map(decode).collect(),
        None => url.path().split(['/', ':']).map(decode).collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration as StdDuration, UNIX_EPOCH};

    use super::*;

    fn rule(json: Value) -> Semantic {
        serde_json::from_value(json).expect("a semantic rule")
    }

    fn created_rule(skew: Option<u32>) -> Semantic {
        let mut r = rule(serde_json::json!({"check": "recent", "response": "/made/at"}));
        r.skew_minutes = skew;
        r
    }

    /// 2026-12-03T14:00:00Z as the client's clock: sent then, received 800 ms later.
    fn window() -> Window {
        let sent = UNIX_EPOCH + StdDuration::from_secs(1_796_306_400);
        Window {
            sent,
            received: sent + StdDuration::from_millis(800),
        }
    }

    fn judged(at: &str, window: Option<Window>, date: Option<&str>) -> Failed {
        let value = serde_json::json!(at);
        recent(&created_rule(None), Some(&value), &Heard { window, date })
    }

    const DATE: &str = "Thu, 03 Dec 2026 14:00:00 GMT";

    #[test]
    fn the_window_is_where_the_clock_says() {
        assert_eq!(stamp(window().sent.into()), "2026-12-03T14:00:00.000Z");
    }

    #[test]
    fn recent_passes_within_the_skew_of_the_client_s_clock() {
        let w = Some(window());
        for at in [
            "2026-12-03T14:00:00.400Z",
            "2026-12-03T13:55:00Z",
            "2026-12-03T14:05:00.800Z",
            "2026-12-03T17:00:00.4+03:00",
            "2026-12-03t09:04:59-04:55",
        ] {
            assert_eq!(judged(at, w, None), None, "{at}");
        }
        for at in ["2026-12-03T13:54:59.999Z", "2026-12-03T14:05:00.801Z"] {
            assert!(judged(at, w, None).is_some(), "{at}");
        }
    }

    #[test]
    fn local_time_labelled_z_is_hours_from_both_clocks() {
        // A server in UTC+3 writing its wall clock with `Z`.
        let (expected, actual) =
            judged("2026-12-03T17:00:00.400Z", Some(window()), Some(DATE)).expect("an error");
        assert!(
            expected.contains("within 5 minutes of the client's clock"),
            "{expected}"
        );
        assert!(expected.contains(DATE), "{expected}");
        assert!(
            actual.contains("2 h 59 min ahead of the client's clock"),
            "{actual}"
        );
        assert!(actual.contains("3 h 0 min ahead of Date"), "{actual}");
        let (_, actual) = judged("2026-12-03T13:50:18Z", None, Some(DATE)).expect("an error");
        assert!(actual.contains("9 min 42 s behind Date"), "{actual}");
    }

    #[test]
    fn a_server_clock_hours_off_is_judged_by_its_own_date() {
        let date = "Thu, 03 Dec 2026 17:00:00 GMT";
        // created_at agrees with Date, to its one-second resolution and the skew.
        for at in [
            "2026-12-03T17:00:00.999Z",
            "2026-12-03T16:56:00Z",
            "2026-12-03T17:05:00.999Z",
        ] {
            assert_eq!(judged(at, Some(window()), Some(date)), None, "{at}");
        }
        assert!(judged("2026-12-03T17:05:01.001Z", Some(window()), Some(date)).is_some());
        // RFC 9110 5.6.7's obsolete forms are still HTTP-dates.
        let rfc850 = "Thursday, 03-Dec-26 17:00:00 GMT";
        assert_eq!(judged("2026-12-03T17:00:00Z", None, Some(rfc850)), None);
    }

    #[test]
    fn a_missing_or_broken_date_leaves_the_client_s_clock() {
        for date in [None, Some("1796306400"), Some("tomorrow")] {
            assert_eq!(
                judged("2026-12-03T14:01:00Z", Some(window()), date),
                None,
                "{date:?}"
            );
            let (expected, _) =
                judged("2026-12-03T18:00:00Z", Some(window()), date).expect("an error");
            assert!(!expected.contains("Date"), "{expected}");
        }
        // Nothing to hold it against, or nothing to judge.
        assert_eq!(judged("2026-12-03T18:00:00Z", None, None), None);
        assert_eq!(judged("not a date", Some(window()), Some(DATE)), None);
        let r = created_rule(None);
        let heard = Heard {
            window: Some(window()),
            date: None,
        };
        assert_eq!(recent(&r, None, &heard), None);
        assert_eq!(recent(&r, Some(&serde_json::json!(12)), &heard), None);
    }

    #[test]
    fn the_skew_is_the_rule_s() {
        let value = serde_json::json!("2026-12-03T14:20:00Z");
        let heard = Heard {
            window: Some(window()),
            date: Some(DATE),
        };
        assert!(recent(&created_rule(None), Some(&value), &heard).is_some());
        assert_eq!(recent(&created_rule(Some(30)), Some(&value), &heard), None);
        let (expected, _) = recent(&created_rule(Some(1)), Some(&value), &heard).unwrap();
        assert!(expected.contains("within 1 minutes"), "{expected}");
    }

    fn link_rule() -> Semantic {
        rule(serde_json::json!({"check": "links_to", "response": "/links/self", "to": "/key"}))
    }

    fn linked(id: Value, link: Value) -> Failed {
        let body = serde_json::json!({"key": id, "links": {"self": link}});
        links_to(&link_rule(), &body, body.pointer("/links/self"))
    }

    #[test]
    fn links_to_finds_the_id_in_absolute_and_relative_links() {
        let id = || serde_json::json!("tok_01");
        for link in [
            "http://127.0.0.1:8080/api/v1/workspace/tokens/tok_01",
            "https://host/tokens/tok_01?expand=all#top",
            "https://host/tokens/tok_01/",
            "/api/v1/workspace/tokens/tok_01",
            "../../../tokens/tok_01",
            "tok_01",
            "//cdn.example/tokens/tok_01",
            "urn:token:tok_01",
        ] {
            assert_eq!(linked(id(), serde_json::json!(link)), None, "{link}");
            assert_eq!(
                linked(id(), serde_json::json!({"href": link})),
                None,
                "{link}"
            );
        }
        for link in [
            "http://host/api/v1/workspace/tokens/tok_02",
            "/tokens/tok_012",
            "/tokens?id=tok_01",
            "/tokens#tok_01",
            "http://tok_01/tokens",
            "",
        ] {
            let (expected, actual) = linked(id(), serde_json::json!(link)).expect("a wrong link");
            assert!(expected.contains("/key `tok_01`"), "{expected}");
            assert!(actual.contains(link), "{actual}");
        }
    }

    #[test]
    fn links_to_decodes_percent_encoding_and_reads_numbers() {
        let spaced = serde_json::json!("tok 01/ä");
        assert_eq!(
            linked(spaced.clone(), serde_json::json!("/t/tok%2001%2F%C3%A4")),
            None
        );
        assert!(linked(spaced, serde_json::json!("/t/tok%2001/%C3%A4")).is_some());
        assert_eq!(
            linked(serde_json::json!(42), serde_json::json!("/t/42")),
            None
        );
        assert!(linked(serde_json::json!(42), serde_json::json!("/t/43")).is_some());
    }

    #[test]
    fn links_to_has_nothing_to_judge_without_a_link_or_an_id() {
        let body = serde_json::json!({"key": "tok_01"});
        assert_eq!(links_to(&link_rule(), &body, None), None);
        for (id, link) in [
            (serde_json::json!(null), serde_json::json!("/t/x")),
            (serde_json::json!(""), serde_json::json!("/t/x")),
            (serde_json::json!("tok_01"), serde_json::json!(7)),
            (
                serde_json::json!("tok_01"),
                serde_json::json!({"rel": "self"}),
            ),
            (serde_json::json!("tok_01"), serde_json::json!(null)),
        ] {
            assert_eq!(linked(id.clone(), link.clone()), None, "{id} {link}");
        }
    }
}
