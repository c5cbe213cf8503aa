//! Check stage: judges an [`Exchange`] against its case and the contract, giving [`Verdict`]s.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::cases::{Case, Class};
use crate::contract::{Contract, SemanticKind, Severity};
use crate::execute::Response;

/// The names of the built-in checks, as they appear in output, JUnit and `--skip-check`.
pub mod names {
    pub const STATUS: &str = "status";
    pub const CONTENT_TYPE: &str = "content_type";
    pub const RESPONSE_SCHEMA: &str = "response_schema";
    pub const ENUM: &str = "enum";
    pub const ERROR_BODY: &str = "error_body";
    pub const ALLOW_HEADER: &str = "allow_header";
}

/// The built-in checks; their severities and rules are tabled in the README.
const BUILTIN_CHECKS: &[&str] = &[
    names::STATUS,
    names::CONTENT_TYPE,
    names::RESPONSE_SCHEMA,
    names::ENUM,
    names::ERROR_BODY,
    names::ALLOW_HEADER,
];

/// One failed check: which, where, what was expected and what came.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Verdict {
    pub check: String,
    pub severity: Severity,
    /// JSON pointer into the response body, or `status`/`header:Name` for the envelope.
    pub location: String,
    pub expected: String,
    pub actual: String,
}

impl Verdict {
    fn new(
        check: &str,
        severity: Severity,
        location: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Verdict {
            check: check.to_string(),
            severity,
            location: location.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    /// One line: `check `enum` failed at /name: expected ..., got ...`.
    pub fn headline(&self) -> String {
        format!("check `{}` failed at {}", self.check, self.location)
    }

    /// The multi-line form used in failure messages.
    pub fn render(&self) -> String {
        format!(
            "[{}] {}\n  expected: {}\n  actual:   {}",
            self.severity.as_str(),
            self.headline(),
            self.expected,
            self.actual
        )
    }
}

/// Runs every check; shared by all cases of a run, since uniqueness spans the run.
pub struct Checker {
    /// Enum-typed response fields: pointer and allowed values, found by walking the schema.
    enums: Vec<(String, Vec<Value>)>,
    disabled: BTreeSet<String>,
    seen: Mutex<HashMap<String, HashMap<String, String>>>,
}

impl Checker {
    pub fn new(contract: &Contract, disabled: BTreeSet<String>) -> Self {
        let mut enums = Vec::new();
        collect_enums(&contract.response_schema, String::new(), &mut enums);
        Checker {
            enums,
            disabled,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The names of every check this contract gives, built-in and semantic.
    pub fn all_names(contract: &Contract) -> BTreeSet<String> {
        BUILTIN_CHECKS
            .iter()
            .map(|n| n.to_string())
            .chain(
                contract
                    .endpoint
                    .semantics
                    .iter()
                    .map(|s| s.check.name().to_string()),
            )
            .collect()
    }

    fn on(&self, name: &str) -> bool {
        !self.disabled.contains(name)
    }

    /// All verdicts for one answered request, and a success's body when it is JSON (parsed
    /// once, here, for whoever needs it next).
    pub fn check(
        &self,
        contract: &Contract,
        case: &Case,
        resp: &Response,
    ) -> (Vec<Verdict>, Option<Value>) {
        let mut out = Vec::new();
        let status = resp.status;
        if self.on(names::STATUS) {
            if let Some(v) = status_verdict(case, status) {
                out.push(v);
            }
        }
        let body_text = resp.body_text();
        if (200..300).contains(&status) {
            if self.on(names::CONTENT_TYPE) && !is_json_media_type(resp.header("content-type")) {
                out.push(Verdict::new(
                    names::CONTENT_TYPE,
                    Severity::Error,
                    "header:Content-Type",
                    "application/json",
                    describe_header(resp.header("content-type")),
                ));
            }
            let body: Value = match serde_json::from_slice(&resp.body) {
                Ok(v) => v,
                Err(e) => {
                    if self.on(names::RESPONSE_SCHEMA) {
                        out.push(Verdict::new(
                            names::RESPONSE_SCHEMA,
                            Severity::Error,
                            "(body)",
                            "a JSON body",
                            format!("not JSON ({e}): {}", excerpt(&body_text)),
                        ));
                    }
                    return (out, None);
                }
            };
            if self.on(names::RESPONSE_SCHEMA) {
                for err in contract.response_validator.iter_errors(&body) {
                    // A wrong enum value is the enum check's to report, so it reads as one.
                    if matches!(
                        err.kind(),
                        jsonschema::error::ValidationErrorKind::Enum { .. }
                    ) {
                        continue;
                    }
                    let at = err.instance_path().to_string();
                    let keyword = err.kind().keyword().to_string();
                    out.push(Verdict::new(
                        names::RESPONSE_SCHEMA,
                        Severity::Error,
                        pointer_or_root(&at),
                        format!("`{keyword}` at schema {}", err.schema_path()),
                        err.to_string(),
                    ));
                }
            }
            if self.on(names::ENUM) {
                for (pointer, values) in &self.enums {
                    if let Some(actual) = body.pointer(pointer) {
                        if !values.contains(actual) {
                            let allowed: Vec<String> =
                                values.iter().map(Value::to_string).collect();
                            out.push(Verdict::new(
                                names::ENUM,
                                Severity::Error,
                                pointer.clone(),
                                format!("one of {}", allowed.join(", ")),
                                excerpt(&actual.to_string()),
                            ));
                        }
                    }
                }
            }
            self.semantics(contract, case, &body, &mut out);
            (out, Some(body))
        } else {
            self.rejection(contract, case, resp, &body_text, &mut out);
            (out, None)
        }
    }

    fn semantics(&self, contract: &Contract, case: &Case, body: &Value, out: &mut Vec<Verdict>) {
        let request = case.request.body.json();
        for s in &contract.endpoint.semantics {
            let name = s.check.name();
            if !self.on(name) {
                continue;
            }
            let actual = body.pointer(&s.response);
            let fail = |expected: String, actual: String| {
                Verdict::new(name, s.severity, s.response.clone(), expected, actual)
            };
            match s.check {
                SemanticKind::SameInstant => {
                    let Some(wanted) =
                        lookup(request, s.request.as_deref()).and_then(Value::as_str)
                    else {
                        continue;
                    };
                    let Some(wanted_at) = parse_instant(wanted) else {
                        continue;
                    };
                    match actual.and_then(Value::as_str).and_then(parse_instant) {
                        Some(got) if got == wanted_at => {}
                        _ => out.push(fail(
                            format!("the requested instant {wanted}"),
                            actual.map_or("(absent)".into(), |v| excerpt(&v.to_string())),
                        )),
                    }
                }
                SemanticKind::MinutesBetween => {
                    let from = body
                        .pointer(s.from.as_deref().unwrap_or(""))
                        .and_then(Value::as_str)
                        .and_then(parse_instant);
                    let to = body
                        .pointer(s.to.as_deref().unwrap_or(""))
                        .and_then(Value::as_str)
                        .and_then(parse_instant);
                    let (Some(from), Some(to), Some(mins)) =
                        (from, to, actual.and_then(Value::as_f64))
                    else {
                        continue;
                    };
                    let exact = (to - from).as_seconds_f64() / 60.0;
                    if (mins - exact).abs() > 1.0 {
                        out.push(fail(
                            format!(
                                "{:.0} (minutes from {} to {})",
                                exact.floor(),
                                s.from.as_deref().unwrap_or(""),
                                s.to.as_deref().unwrap_or("")
                            ),
                            excerpt(&actual.map(Value::to_string).unwrap_or_default()),
                        ));
                    }
                }
                SemanticKind::Unique => {
                    let Some(value) = actual else { continue };
                    let key = value.to_string();
                    let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
                    let first = seen
                        .entry(s.response.clone())
                        .or_default()
                        .entry(key.clone())
                        .or_insert_with(|| case.id.clone());
                    if *first != case.id {
                        out.push(fail(
                            "a value not returned before in this run".into(),
                            format!("{} (already returned to case {first})", excerpt(&key)),
                        ));
                    }
                }
                SemanticKind::Equals => {
                    let wanted = s.value.as_ref().unwrap_or(&Value::Null);
                    if actual != Some(wanted) {
                        out.push(fail(
                            wanted.to_string(),
                            actual.map_or("(absent)".into(), |v| excerpt(&v.to_string())),
                        ));
                    }
                }
                SemanticKind::Echo => {
                    let Some(wanted) = lookup(request, s.request.as_deref()) else {
                        continue;
                    };
                    if actual != Some(wanted) {
                        out.push(fail(
                            format!(
                                "the request's {} as sent: {}",
                                s.request.as_deref().unwrap_or(""),
                                excerpt(&wanted.to_string())
                            ),
                            actual.map_or("(absent)".into(), |v| excerpt(&v.to_string())),
                        ));
                    }
                }
            }
        }
    }

    fn rejection(
        &self,
        contract: &Contract,
        case: &Case,
        resp: &Response,
        body_text: &str,
        out: &mut Vec<Verdict>,
    ) {
        let status = resp.status;
        if self.on(names::CONTENT_TYPE)
            && !body_text.trim().is_empty()
            && !is_json_media_type(resp.header("content-type"))
        {
            out.push(Verdict::new(
                names::CONTENT_TYPE,
                Severity::Warning,
                "header:Content-Type",
                "a JSON media type on an error body",
                describe_header(resp.header("content-type")),
            ));
        }
        if status == 405 && self.on(names::ALLOW_HEADER) {
            let method = &contract.endpoint.method;
            let allows = resp
                .header("allow")
                .is_some_and(|a| a.split(',').any(|m| m.trim().eq_ignore_ascii_case(method)));
            if !allows {
                out.push(Verdict::new(
                    names::ALLOW_HEADER,
                    Severity::Warning,
                    "header:Allow",
                    format!("a list containing {method}"),
                    describe_header(resp.header("allow")),
                ));
            }
        }
        let rejected_as_expected =
            case.class() == Class::Invalid && case.expect.statuses.contains(&status);
        if let (true, Some(pointer), true) = (
            rejected_as_expected,
            &case.offending,
            self.on(names::ERROR_BODY),
        ) {
            let field = pointer.rsplit('/').next().unwrap_or("");
            let named = serde_json::from_str::<Value>(body_text).is_ok_and(|v| mentions(&v, field));
            if !named {
                out.push(Verdict::new(
                    names::ERROR_BODY,
                    Severity::Warning,
                    "(body)",
                    format!("a JSON error body naming `{field}`"),
                    excerpt(body_text),
                ));
            }
        }
    }
}

fn status_verdict(case: &Case, status: u16) -> Option<Verdict> {
    let e = &case.expect;
    let ok = match e.class {
        _ if status >= 500 => false,
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

/// `application/json`, or any `application/*+json`, with or without parameters.
pub fn is_json_media_type(header: Option<&str>) -> bool {
    let Some(h) = header else { return false };
    let essence = h
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn describe_header(h: Option<&str>) -> String {
    h.map_or("(absent)".to_string(), |v| format!("{v:?}"))
}

fn pointer_or_root(p: &str) -> String {
    if p.is_empty() {
        "(body)".into()
    } else {
        p.to_string()
    }
}

fn lookup<'a>(body: Option<&'a Value>, pointer: Option<&str>) -> Option<&'a Value> {
    body?.pointer(pointer?).filter(|v| !v.is_null())
}

/// An RFC 3339 instant, or nothing.
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
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

/// At most 300 characters of a text, with a note when cut.
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 300;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}… ({} more bytes)", &s[..i], s.len() - i),
        None => s.to_string(),
    }
}

/// Walks `properties` (not arrays) for `enum` keywords; the enum check covers each one found.
fn collect_enums(schema: &Value, at: String, out: &mut Vec<(String, Vec<Value>)>) {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        out.push((at.clone(), values.clone()));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let escaped = name.replace('~', "~0").replace('/', "~1");
            collect_enums(sub, format!("{at}/{escaped}"), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type(Some("application/json")));
        assert!(is_json_media_type(Some("application/json; charset=utf-8")));
        assert!(is_json_media_type(Some("application/problem+json")));
        assert!(!is_json_media_type(Some("text/plain")));
        assert!(!is_json_media_type(Some("application/jsonp")));
        assert!(!is_json_media_type(None));
    }

    #[test]
    fn enums_are_found_by_walking_the_schema() {
        let c = Contract::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        assert_eq!(checker.enums.len(), 1);
        assert_eq!(checker.enums[0].0, "/name");
    }

    #[test]
    fn excerpt_cuts_on_a_char_boundary() {
        let s = "é".repeat(400);
        let e = excerpt(&s);
        assert!(e.starts_with(&"é".repeat(300)));
        assert!(e.contains("more bytes"));
    }
}
