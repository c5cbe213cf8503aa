//! The status of an answer, and what a rejection says: `status` (the class of the case against
//! the status), and on a non-2xx the label of the error body (`content_type`) and whether it
//! names the offending field (`error_body`).

use serde_json::Value;

use super::{describe_header, excerpt, is_json_media_type, names, Checker, Verdict};
use crate::cases::Case;
use crate::contract::Class;
use crate::contract::Severity;
use crate::http::Response;

impl Checker {
    pub(super) fn rejection(
        &self,
        case: &Case,
        resp: &Response,
        body_text: &str,
        out: &mut Vec<Verdict>,
    ) {
        let status = resp.status;
        // The page documents no error body, so any honest label will do: only a label that
        // says JSON over text that is not, or text over JSON, misleads a client.
        let parsed = serde_json::from_str::<Value>(body_text).ok();
        // A text body `404` or `true` parses as JSON too; only an object or an array is plainly
        // JSON. A body cut at the size limit cannot be told either way.
        let looks_json = parsed
            .as_ref()
            .is_some_and(|v| v.is_object() || v.is_array());
        let labelled_json = is_json_media_type(resp.header("content-type"));
        let misleads = if labelled_json {
            parsed.is_none()
        } else {
            looks_json
        };
        if self.on(names::CONTENT_TYPE)
            && misleads
            && !resp.truncated
            && !body_text.trim().is_empty()
        {
            let expected = if labelled_json {
                "a JSON error body under a JSON media type"
            } else {
                "a JSON media type on a JSON error body"
            };
            out.push(Verdict::new(
                names::CONTENT_TYPE,
                Severity::Warning,
                "header:Content-Type",
                expected,
                describe_header(resp.header("content-type")),
            ));
        }
        let rejected_as_expected =
            case.class() == Class::Invalid && case.expect.statuses.contains(&status);
        if let (true, Some(pointer), true) = (
            rejected_as_expected,
            &case.offending,
            self.on(names::ERROR_BODY),
        ) {
            let field = pointer.rsplit('/').next().unwrap_or("");
            let named = match &parsed {
                Some(v) => mentions(v, field),
                None => names_as_a_word(body_text, field),
            };
            if !named {
                out.push(Verdict::new(
                    names::ERROR_BODY,
                    Severity::Warning,
                    "(body)",
                    format!("an error body naming `{field}` (JSON, or text)"),
                    excerpt(body_text),
                ));
            }
        }
    }
}

/// A 2xx to HEAD or OPTIONS is judged by its status and headers only: a 2xx to HEAD has no
/// content (RFC 9110 9.3.2), and RFC 9110 9.3.7 defines no format for an OPTIONS body (Express
/// answers `text/plain` `POST`, others 204 with none). Neither is the success the contract
/// describes, unless HEAD or OPTIONS is the operation's own method (an OpenAPI `options:`
/// operation), whose success the contract does describe.
pub(super) fn answers_without_content(method: &str, operation_method: &str) -> bool {
    matches!(method, "HEAD" | "OPTIONS") && method != operation_method
}

pub(super) fn status_verdict(case: &Case, status: u16) -> Option<Verdict> {
    let e = &case.expect;
    // A 5xx passes only where a case lists it, as an unknown method may be answered 501.
    let ok = match e.class {
        Class::Valid | Class::Invalid => e.statuses.contains(&status),
        Class::Unspecified => (200..300).contains(&status) || (400..500).contains(&status),
    };
    if ok {
        return None;
    }
    let expected = match e.class {
        Class::Unspecified => "a success or a 4xx, never a 5xx".to_string(),
        _ => format!("{} ({})", join_statuses(&e.statuses), e.label),
    };
    if e.class != Class::Unspecified && e.tolerated.contains(&status) {
        return Some(Verdict::new(
            names::STATUS,
            Severity::Warning,
            "status",
            expected,
            match &e.tolerated_why {
                Some(why) => format!("{status} (tolerated: {why})"),
                None => format!(
                    "{status} (tolerated for {}: allowed by a SHOULD, not a MUST)",
                    e.label
                ),
            },
        ));
    }
    let why = match (e.class, status) {
        (_, 500..) => " (server error)",
        (Class::Invalid, 200..=299) => " (accepted an invalid request)",
        (Class::Valid, 400..=499) => " (rejected a valid request)",
        _ => "",
    };
    Some(Verdict::new(
        names::STATUS,
        Severity::Error,
        "status",
        expected,
        format!("{status}{why}"),
    ))
}

fn join_statuses(s: &[u16]) -> String {
    s.iter().map(u16::to_string).collect::<Vec<_>>().join("|")
}

/// Whether a JSON value names `field` as a key or inside a string.
fn mentions(v: &Value, field: &str) -> bool {
    match v {
        Value::String(s) => s.contains(field),
        Value::Array(a) => a.iter().any(|x| mentions(x, field)),
        Value::Object(o) => o
            .iter()
            .any(|(k, x)| k == field || k.contains(field) || mentions(x, field)),
        _ => false,
    }
}

/// Whether a text error body names `field` as a word of its own (`The name field is
/// required.`), not inside another word (`rename`).
fn names_as_a_word(text: &str, field: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    // Rails says "Name can't be blank": compared without ASCII case (lengths stay the same).
    let (text, field) = (text.to_ascii_lowercase(), field.to_ascii_lowercase());
    !field.is_empty()
        && text.match_indices(field.as_str()).any(|(i, _)| {
            let before = text[..i].chars().next_back().is_none_or(|c| !is_word(c));
            let after = text[i + field.len()..]
                .chars()
                .next()
                .is_none_or(|c| !is_word(c));
            before && after
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Expect, Origin, RequestSpec};
    use crate::contract::Operation;

    #[test]
    fn a_tolerated_status_is_a_warning_and_any_other_an_error() {
        let c = Operation::embedded().unwrap();
        let case = Case {
            id: "method::get".into(),
            title: "t".into(),
            kind: "method".into(),
            expect: Expect::of(&c, Class::Invalid, "method"),
            request: RequestSpec::json(&c.endpoint, serde_json::json!({})),
            offending: None,
            origin: Origin::Derived,
        };
        assert_eq!(case.expect.tolerated, [404]);
        assert_eq!(status_verdict(&case, 405), None);
        let v = status_verdict(&case, 404).expect("a 404 is reported");
        assert_eq!(v.severity, Severity::Warning);
        assert!(v.actual.starts_with("404 (tolerated"), "{}", v.actual);
        for other in [400, 403, 410, 500] {
            let v = status_verdict(&case, other).expect("reported");
            assert_eq!(v.severity, Severity::Error, "{other}");
        }
        let body = Case {
            expect: Expect::of(&c, Class::Invalid, "invalid_body"),
            ..case
        };
        assert!(body.expect.tolerated.is_empty());
        assert_eq!(
            status_verdict(&body, 404).unwrap().severity,
            Severity::Error
        );
    }
}
