//! Check stage: judges an [`Exchange`] against its case and the contract, giving [`Verdict`]s.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Mutex;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::cases::{Case, Class};
use crate::contract::{Operation, Semantic, SemanticKind, Severity};
use crate::http::Response;

mod http;

/// The names of the built-in checks, as they appear in output, JUnit and `--skip-check`.
pub mod names {
    pub const STATUS: &str = "status";
    pub const CONTENT_TYPE: &str = "content_type";
    pub const RESPONSE_SCHEMA: &str = "response_schema";
    pub const ENUM: &str = "enum";
    pub const ERROR_BODY: &str = "error_body";
    pub const ALLOW_HEADER: &str = "allow_header";
    pub const WWW_AUTHENTICATE: &str = "www_authenticate";
    pub const DATE_HEADER: &str = "date_header";
}

/// The built-in checks; their severities and rules are tabled in the README.
const BUILTIN_CHECKS: &[&str] = &[
    names::STATUS,
    names::CONTENT_TYPE,
    names::RESPONSE_SCHEMA,
    names::ENUM,
    names::ERROR_BODY,
    names::ALLOW_HEADER,
    names::WWW_AUTHENTICATE,
    names::DATE_HEADER,
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
    /// The known-failures entry that accepts (or accepted) this violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<crate::engine::known::Mark>,
}

impl Verdict {
    pub(crate) fn new(
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
            known: None,
        }
    }

    /// One line: `check `enum` failed at /name: expected ..., got ...`.
    pub fn headline(&self) -> String {
        format!("check `{}` failed at {}", self.check, self.location)
    }

    /// The multi-line form used in failure messages.
    pub fn render(&self) -> String {
        let label = match &self.known {
            Some(m) if m.standing == crate::engine::known::Standing::Known => "known",
            _ => self.severity.as_str(),
        };
        let mut s = format!(
            "[{label}] {}\n  expected: {}\n  actual:   {}",
            self.headline(),
            self.expected,
            self.actual
        );
        if let Some(m) = &self.known {
            s.push_str(&format!("\n  {}", m.describe()));
        }
        s
    }
}

/// Runs every check; shared by all cases of a run, since uniqueness spans the run.
pub struct Checker {
    /// Enum-typed response fields: pointer and allowed values, found by walking the schema.
    enums: Vec<(String, Vec<Value>)>,
    /// The same, for each success status with a schema of its own.
    status_enums: BTreeMap<u16, Vec<(String, Vec<Value>)>>,
    disabled: BTreeSet<String>,
    seen: Mutex<Seen>,
}

/// What the `unique` check remembers: a 64-bit digest of each value, with the case that returned
/// it first packed into another 64 bits, so a run of a million bodies keeps about 20 MB and one
/// of 100,000 about 2 MB. Two different values share a digest with a chance of about n²/2⁶⁵
/// (1 in 4 billion runs of 100,000 ids).
#[derive(Default)]
struct Seen {
    first: HashMap<u64, u64, BuildHasherDefault<Digested>>,
    /// Case ids that returned a value; a generated body's number is kept apart (`property::x#12`).
    names: Vec<Box<str>>,
    name_index: HashMap<Box<str>, u64>,
}

/// Bits of a packed holder that carry a generated body's number.
const ORDINAL_BITS: u32 = 40;
const NO_ORDINAL: u64 = (1 << ORDINAL_BITS) - 1;

impl Seen {
    /// A case id packed as an interned name and, for a generated body, its number.
    fn holder(&mut self, case_id: &str) -> u64 {
        let (name, ordinal) = match case_id.rsplit_once('#') {
            Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => (
                base,
                n.parse::<u64>()
                    .map_or(NO_ORDINAL - 1, |n| n.min(NO_ORDINAL - 1)),
            ),
            _ => (case_id, NO_ORDINAL),
        };
        let name = match self.name_index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.names.len() as u64;
                self.names.push(name.into());
                self.name_index.insert(name.into(), i);
                i
            }
        };
        (name << ORDINAL_BITS) | ordinal
    }

    fn describe(&self, holder: u64) -> String {
        let (name, ordinal) = (holder >> ORDINAL_BITS, holder & NO_ORDINAL);
        let name = self.names.get(name as usize).map_or("?", |n| n);
        if ordinal == NO_ORDINAL {
            name.to_string()
        } else {
            format!("{name}#{ordinal}")
        }
    }

    /// The case that returned this value first, if that was another case.
    fn first_other(&mut self, rule: &str, value: &str, case_id: &str) -> Option<String> {
        let me = self.holder(case_id);
        let first = *self.first.entry(digest(rule, value)).or_insert(me);
        (first != me).then(|| self.describe(first))
    }
}

/// SipHash-1-3 with fixed keys over the rule and the value.
fn digest(rule: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x7072_6f76_6973_696f, 0x006e_722d_636f_6e66);
    rule.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

/// The map's keys are digests already, so its hasher passes them through.
#[derive(Default)]
struct Digested(u64);

impl std::hash::Hasher for Digested {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Checker {
    pub fn new(contract: &Operation, disabled: BTreeSet<String>) -> Self {
        let enums_of = |schema: &Value| {
            let mut enums = Vec::new();
            collect_enums(schema, schema, String::new(), 0, &mut enums);
            enums
        };
        Checker {
            enums: enums_of(&contract.response_schema),
            status_enums: contract
                .status_schemas
                .iter()
                .map(|(status, s)| (*status, enums_of(&s.schema)))
                .collect(),
            disabled,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// The names of every check this contract gives, built-in and semantic.
    pub fn all_names(contract: &Operation) -> BTreeSet<String> {
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
        contract: &Operation,
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
        http::envelope(contract, case, resp, |name| self.on(name), &mut out);
        if !(200..300).contains(&status) {
            self.rejection(case, resp, &resp.body_text(), &mut out);
            return (out, None);
        }
        if answers_without_content(&case.request.method, &contract.endpoint.method) {
            return (out, None);
        }
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
                        format!("not JSON ({e}): {}", excerpt(&resp.body_text())),
                    ));
                }
                return (out, None);
            }
        };
        // Most bodies conform: the cheap yes/no first, the error list only when it is no.
        let (_, validator) = contract.response_for(status);
        if self.on(names::RESPONSE_SCHEMA) && !validator.is_valid(&body) {
            schema_verdicts(validator, &body, &mut out);
        }
        if self.on(names::ENUM) {
            self.enum_verdicts(status, &body, &mut out);
        }
        self.semantics(contract, case, &body, &mut out);
        (out, Some(body))
    }

    fn enum_verdicts(&self, status: u16, body: &Value, out: &mut Vec<Verdict>) {
        let enums = self.status_enums.get(&status).unwrap_or(&self.enums);
        for (pointer, values) in enums {
            if let Some(actual) = body.pointer(pointer) {
                if !values.contains(actual) {
                    let allowed: Vec<String> = values.iter().map(Value::to_string).collect();
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

    fn semantics(&self, contract: &Operation, case: &Case, body: &Value, out: &mut Vec<Verdict>) {
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

    /// `unique`: no value returned twice in one run.
    fn unique(&self, s: &Semantic, case_id: &str, actual: Option<&Value>) -> Failed {
        let key = actual?.to_string();
        let first = self
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first_other(&s.response, &key, case_id)?;
        Some((
            "a value not returned before in this run".into(),
            format!("{} (already returned to case {first})", excerpt(&key)),
        ))
    }
}

/// A failed semantic rule: what was expected, and what came.
type Failed = Option<(String, String)>;

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
        return Some((expected, shown(actual)).into());
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

impl Checker {
    fn rejection(&self, case: &Case, resp: &Response, body_text: &str, out: &mut Vec<Verdict>) {
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

/// One verdict per schema error, but for a wrong enum value: the enum check reports that, so it
/// reads as a wrong enum.
fn schema_verdicts(validator: &jsonschema::Validator, body: &Value, out: &mut Vec<Verdict>) {
    for err in validator.iter_errors(body) {
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

/// A 2xx to HEAD or OPTIONS is judged by its status and headers only: a 2xx to HEAD has no
/// content (RFC 9110 9.3.2), and RFC 9110 9.3.7 defines no format for an OPTIONS body (Express
/// answers `text/plain` `POST`, others 204 with none). Neither is the success the contract
/// describes, unless HEAD or OPTIONS is the operation's own method (an OpenAPI `options:`
/// operation), whose success the contract does describe.
fn answers_without_content(method: &str, operation_method: &str) -> bool {
    matches!(method, "HEAD" | "OPTIONS") && method != operation_method
}

fn status_verdict(case: &Case, status: u16) -> Option<Verdict> {
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

pub use crate::contract::media::is_json_media_type;

pub(crate) fn describe_header(h: Option<&str>) -> String {
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

/// At most 300 characters of a text, with a note when cut.
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 300;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}… ({} more bytes)", &s[..i], s.len() - i),
        None => s.to_string(),
    }
}

/// Walks `properties` (not arrays), following local `$ref`s, for `enum` keywords; the enum
/// check covers each one found. A schema that refers to itself ends at a depth.
fn collect_enums(
    root: &Value,
    schema: &Value,
    at: String,
    depth: usize,
    out: &mut Vec<(String, Vec<Value>)>,
) {
    let schema = crate::contract::resolve_local(root, schema);
    if depth > 16 {
        return;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        out.push((at.clone(), values.clone()));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let escaped = crate::contract::pointer_token(name);
            collect_enums(root, sub, format!("{at}/{escaped}"), depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Auth, Expect, Origin, RequestSpec};

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
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        assert_eq!(checker.enums.len(), 1);
        assert_eq!(checker.enums[0].0, "/name");
    }

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
        checker.semantics(&c, &case("2099-06-15T08:30:00.123456Z"), &body, &mut out);
        let severities: Vec<_> = out
            .iter()
            .filter(|v| v.check == "same_instant")
            .map(|v| v.severity)
            .collect();
        assert_eq!(severities, [Severity::Warning]);
        out.clear();
        checker.semantics(&c, &case("2099-06-15T08:31:00.123Z"), &body, &mut out);
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

    /// An answer with these headers and body.
    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> Response {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, value.parse().unwrap());
        }
        Response {
            status,
            headers: map,
            body: body.as_bytes().to_vec(),
            truncated: false,
            body_cut: None,
        }
    }

    fn with_method(c: &Operation, method: &str, class: Class) -> Case {
        let mut request = RequestSpec::json(&c.endpoint, serde_json::json!({}));
        request.method = method.into();
        Case {
            id: "t".into(),
            title: "t".into(),
            kind: "t".into(),
            expect: Expect::of(c, class, "method"),
            request,
            offending: None,
            origin: Origin::File("t.json".into()),
        }
    }

    fn checks_of(verdicts: &[Verdict]) -> Vec<(&str, Severity)> {
        verdicts
            .iter()
            .map(|v| (v.check.as_str(), v.severity))
            .collect()
    }

    const DATE: (&str, &str) = ("date", "Tue, 01 Dec 2026 12:00:00 GMT");

    #[test]
    fn a_2xx_to_head_or_options_is_judged_by_its_status_and_headers_only() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let express = answer(
            200,
            &[
                DATE,
                ("allow", "POST"),
                ("content-type", "text/plain; charset=utf-8"),
            ],
            "POST",
        );
        let no_content = answer(204, &[DATE, ("allow", "POST, OPTIONS")], "");
        let head = answer(200, &[DATE, ("content-type", "application/json")], "");
        // A case file may send them as valid cases too: the method decides, not the case id.
        for class in [Class::Unspecified, Class::Valid] {
            let options = with_method(&c, "OPTIONS", class);
            let head_case = with_method(&c, "HEAD", class);
            for (case, resp) in [
                (&options, &express),
                (&options, &no_content),
                (&head_case, &head),
            ] {
                let (verdicts, body) = checker.check(&c, case, resp);
                let expected: &[(&str, Severity)] = match (class, resp.status) {
                    (Class::Valid, 204) => &[("status", Severity::Error)],
                    _ => &[],
                };
                assert_eq!(
                    checks_of(&verdicts),
                    expected,
                    "{} {}",
                    case.request.method,
                    resp.status
                );
                assert_eq!(body, None);
            }
        }
        // The same answer to the endpoint's own method is a broken success.
        let post = with_method(&c, "POST", Class::Unspecified);
        let (verdicts, _) = checker.check(&c, &post, &express);
        let checks: Vec<_> = verdicts.iter().map(|v| v.check.as_str()).collect();
        assert_eq!(checks, ["content_type", "response_schema"]);
        // The headers are still checked.
        let options = with_method(&c, "OPTIONS", Class::Unspecified);
        let undated = answer(204, &[("allow", "POST")], "");
        let (verdicts, _) = checker.check(&c, &options, &undated);
        assert_eq!(checks_of(&verdicts), [("date_header", Severity::Error)]);
        // Where OPTIONS is the operation's own method, its success is the contract's to judge.
        let mut own = Operation::embedded().unwrap();
        own.endpoint.method = "OPTIONS".into();
        let own_case = with_method(&own, "OPTIONS", Class::Valid);
        let (verdicts, _) = Checker::new(&own, BTreeSet::new()).check(&own, &own_case, &express);
        let checks: Vec<_> = verdicts.iter().map(|v| v.check.as_str()).collect();
        assert_eq!(checks, ["content_type", "response_schema"]);
    }

    #[test]
    fn an_error_label_warns_only_when_it_misleads() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let mut case = with_method(&c, "POST", Class::Invalid);
        case.expect = Expect::of(&c, Class::Invalid, "invalid_body");
        case.offending = Some("/name".into());
        let text = ("content-type", "text/plain");
        let json = ("content-type", "application/json");
        for (headers, body, warned) in [
            // A text body that happens to parse as a JSON scalar is still text.
            ([DATE, text], "404", vec![("error_body", Severity::Warning)]),
            ([DATE, text], "Name can't be blank", vec![]),
            (
                [DATE, text],
                "{\"name\": [\"too long\"]}",
                vec![("content_type", Severity::Warning)],
            ),
            ([DATE, json], "\"name is too long\"", vec![]),
            (
                [DATE, json],
                "name is too long",
                vec![("content_type", Severity::Warning)],
            ),
        ] {
            let (verdicts, _) = checker.check(&c, &case, &answer(422, &headers, body));
            assert_eq!(checks_of(&verdicts), warned, "{headers:?} {body}");
        }
    }

    #[test]
    fn a_parser_level_request_weighs_date_and_allow_as_warnings() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let canned = answer(400, &[("content-length", "0")], "");
        let refused = answer(405, &[DATE], "");
        for method in ["FOO", "post"] {
            let case = with_method(&c, method, Class::Unspecified);
            let (verdicts, _) = checker.check(&c, &case, &canned);
            assert_eq!(
                checks_of(&verdicts),
                [("date_header", Severity::Warning)],
                "{method}"
            );
            assert!(
                verdicts[0].expected.contains("HTTP parser"),
                "{}",
                verdicts[0].expected
            );
            let (verdicts, _) = checker.check(&c, &case, &refused);
            assert_eq!(
                checks_of(&verdicts),
                [("allow_header", Severity::Warning)],
                "{method}"
            );
        }
        // A standard method reaches the application: its answer keeps every check.
        let get = with_method(&c, "GET", Class::Unspecified);
        let (verdicts, _) = checker.check(&c, &get, &refused);
        assert_eq!(checks_of(&verdicts), [("allow_header", Severity::Error)]);
        let (verdicts, _) = checker.check(&c, &get, &canned);
        assert_eq!(checks_of(&verdicts), [("date_header", Severity::Error)]);
    }

    #[test]
    fn a_challenge_with_realm_passes_with_or_without_an_error_code() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let mut case = with_method(&c, "POST", Class::Invalid);
        case.expect = Expect::of(&c, Class::Invalid, "auth");
        let described = "Bearer realm=\"api\", error=\"invalid_token\", \
                         error_description=\"The access token expired, or was revoked\"";
        for (auth, challenge) in [
            (Auth::Header("Bearer wrong".into()), described),
            (Auth::None, "Bearer realm=\"api\""),
            // RFC 6750 3.1 asks for no error code here (a SHOULD NOT): harmless, not checked.
            (Auth::None, described),
        ] {
            case.request.auth = auth;
            let json = ("content-type", "application/json");
            let resp = answer(401, &[DATE, json, ("www-authenticate", challenge)], "{}");
            let (verdicts, _) = checker.check(&c, &case, &resp);
            assert_eq!(checks_of(&verdicts), [], "{challenge}");
        }
    }

    #[test]
    fn a_list_header_on_several_field_lines_is_read_as_one_list() {
        // RFC 9110 5.3: ASP.NET Core sends one `WWW-Authenticate` line per scheme, and Node's
        // setHeader with an array one `Allow` line per method.
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let json = ("content-type", "application/json");
        let mut auth = with_method(&c, "POST", Class::Invalid);
        auth.expect = Expect::of(&c, Class::Invalid, "auth");
        auth.request.auth = Auth::None;
        let two_challenges = [
            DATE,
            json,
            ("www-authenticate", "Basic realm=\"api\""),
            ("www-authenticate", "Bearer realm=\"api\""),
        ];
        let (verdicts, _) = checker.check(&c, &auth, &answer(401, &two_challenges, "{}"));
        assert_eq!(checks_of(&verdicts), []);
        let get = with_method(&c, "GET", Class::Invalid);
        let two_lines = [DATE, json, ("allow", "OPTIONS"), ("allow", "POST")];
        let (verdicts, _) = checker.check(&c, &get, &answer(405, &two_lines, "{}"));
        assert_eq!(checks_of(&verdicts), []);
        // Neither line names POST: still an error.
        let wrong = [DATE, json, ("allow", "OPTIONS"), ("allow", "GET")];
        let (verdicts, _) = checker.check(&c, &get, &answer(405, &wrong, "{}"));
        assert_eq!(checks_of(&verdicts), [("allow_header", Severity::Error)]);
    }

    #[test]
    fn excerpt_cuts_on_a_char_boundary() {
        let s = "é".repeat(400);
        let e = excerpt(&s);
        assert!(e.starts_with(&"é".repeat(300)));
        assert!(e.contains("more bytes"));
    }
}
