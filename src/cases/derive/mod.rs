//! Derived cases: boundary and negative requests read off the request schema, each with its
//! expectation. Nothing here knows the endpoint's field names; another schema gets its own cases.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::generate::near_future;
use super::{Auth, Body, Case, Class, Expect, Origin, Patched, RequestSpec};
use crate::contract::datetimes::{parse_rfc3339, NEAR_MISSES};
use crate::contract::{pointer_token, Operation, MAX_SCHEMA_BOUND};

mod standards;

/// Valid date-times: UTC, an offset, a negative offset, fractional seconds. Written for 2099,
/// they are sent [`near_future`]: 45 days ahead, since how far ahead a server lets a date-time be
/// is a business rule no schema states (`date_time::*::far_future` sends 2099, unspecified).
const DATE_TIMES_VALID: &[(&str, &str, &str)] = &[
    ("utc", "2099-12-31T23:59:59Z", "with a Z offset"),
    (
        "offset",
        "2099-06-15T08:30:00+05:30",
        "with a +hh:mm offset",
    ),
    (
        "negative_offset",
        "2099-06-15T08:30:00-07:00",
        "with a -hh:mm offset",
    ),
    (
        "fractional_seconds",
        "2099-06-15T08:30:00.123456Z",
        "with fractional seconds",
    ),
];

/// A date-time in the past: servers may refuse an expiry that has passed, or accept it.
const DATE_TIME_PAST: &str = "2001-02-03T04:05:06Z";

/// What each JSON type looks like when sent where it does not belong.
const WRONG_TYPES: &[&str] = &["string", "integer", "number", "boolean", "array", "object"];

/// Every case the request schema implies, in a stable order.
pub fn derive(contract: &Operation) -> Vec<Case> {
    let mut d = Deriver {
        contract,
        base: Arc::new(checked_base(
            contract,
            base_instance(&contract.request_schema, &contract.request_schema, 0),
        )),
        out: Vec::new(),
    };
    d.properties();
    d.body();
    d.auth();
    d.path();
    d.methods();
    d.standards();
    let mut out = d.out;
    for case in &mut out {
        agree_with_schema(contract, case);
    }
    out
}

/// The request validator has the last word on a derived body: a "valid" body it refuses, or an
/// "invalid" one it accepts, is one the deriver built wrong for this schema (a keyword it does
/// not model, such as an exclusive bound or a `const`), so the case is unspecified rather than a
/// false alarm.
fn agree_with_schema(contract: &Operation, case: &mut Case) {
    let wrong = match case.class() {
        Class::Valid => "the schema refuses the body built as valid",
        Class::Invalid if case.expect.label == "invalid_body" => {
            "the schema accepts the body built as invalid"
        }
        _ => return,
    };
    let Some(body) = case.request.body.json() else {
        return;
    };
    if is_refused_past(contract, case, &body) {
        // Invalid by the field's policy, which the schema cannot say.
        return;
    }
    let schema_valid = contract.request_validator.is_valid(&body);
    if schema_valid == (case.class() == Class::Valid) {
        return;
    }
    case.expect = Expect::of(contract, Class::Unspecified, "");
    case.offending = None;
    case.title = format!("{} (unspecified: {wrong})", case.title);
}

fn is_future_instant(v: &Value) -> bool {
    v.as_str()
        .and_then(parse_rfc3339)
        .is_some_and(|t| t > time::OffsetDateTime::now_utc())
}

/// Whether the case is invalid because its field's policy refuses a past date-time, and its
/// value is one.
fn is_refused_past(contract: &Operation, case: &Case, body: &Value) -> bool {
    let Some(pointer) = &case.offending else {
        return false;
    };
    contract.past_date_time(pointer) == Class::Invalid
        && body
            .pointer(pointer)
            .and_then(Value::as_str)
            .and_then(parse_rfc3339)
            .is_some_and(|t| t < time::OffsetDateTime::now_utc())
}

struct Deriver<'a> {
    contract: &'a Operation,
    /// A valid body with every property present; each case changes one thing about it. Shared
    /// by every case, so memory stays linear in the number of properties.
    base: Arc<Map<String, Value>>,
    out: Vec<Case>,
}

impl Deriver<'_> {
    fn push(
        &mut self,
        id: String,
        title: String,
        kind: &str,
        expect: Expect,
        request: RequestSpec,
        offending: Option<String>,
    ) {
        let mut case = Case {
            id,
            title,
            kind: kind.to_string(),
            expect,
            request,
            offending,
            origin: Origin::Derived,
        };
        case.settle(self.contract);
        self.out.push(case);
    }

    /// The request body's object schema, its root `$ref` (as an OpenAPI component) followed.
    fn body_schema(&self) -> &Value {
        let root = &self.contract.request_schema;
        crate::contract::resolve_local(root, root)
    }

    fn expect(&self, class: Class, key: &str) -> Expect {
        Expect::of(self.contract, class, key)
    }

    fn json_request(&self, body: Value) -> RequestSpec {
        RequestSpec::json(&self.contract.endpoint, body)
    }

    /// A request with the endpoint's method, auth and content type, and a (patched) base body.
    fn patched_request(&self, body: Patched) -> RequestSpec {
        RequestSpec {
            body: Body::Patched(body),
            ..self.json_request(Value::Null)
        }
    }

    /// The base body with one property set (`Some`) or removed (`None`).
    fn with(&self, prop: &str, value: Option<Value>) -> Patched {
        Patched::with(self.base.clone(), prop, value)
    }

    /// The base body as it is.
    fn base_body(&self) -> Patched {
        Patched::base(self.base.clone())
    }

    /// One case that sets `prop` to `value`, judged by `class`.
    fn prop_case(
        &mut self,
        kind: &str,
        prop: &str,
        rule: &str,
        title: String,
        class: Class,
        value: Option<Value>,
    ) {
        let expect = self.expect(class, "invalid_body");
        let body = self.with(prop, value);
        let offending = (class == Class::Invalid).then(|| format!("/{}", pointer_token(prop)));
        self.push(
            format!("{kind}::{prop}::{rule}"),
            format!("{prop}: {title}"),
            kind,
            expect,
            self.patched_request(body),
            offending,
        );
    }

    fn properties(&mut self) {
        let root = &self.contract.request_schema;
        let schema = self.body_schema();
        let required: BTreeSet<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (prop, s) in props.clone() {
            let outer = crate::contract::resolve_local(root, &s).clone();
            let s = crate::contract::unwrap_schema(root, &s).clone();
            let types = types_of(&s);
            // A wrapper may admit null beside the schema it wraps.
            let null_open =
                outer.get(crate::contract::schema::NULL_OPEN) == Some(&Value::Bool(true));
            let wrapped_null = outer
                .as_object()
                .and_then(crate::contract::schema::bare_wrapper)
                .is_some_and(|w| w.nullable);
            if types.iter().any(|t| t == "string") {
                self.strings(&prop, &s);
            }
            if s.get("format").and_then(Value::as_str) == Some("date-time") {
                self.date_times(&prop);
            }
            if required.contains(&prop) {
                self.prop_case(
                    "required",
                    &prop,
                    "missing",
                    "absent (it is required)".into(),
                    Class::Invalid,
                    None,
                );
            } else {
                self.prop_case(
                    "required",
                    &prop,
                    "absent",
                    "absent (it is optional)".into(),
                    Class::Valid,
                    None,
                );
            }
            if !types.is_empty() {
                let nullable = types.iter().any(|t| t == "null") || wrapped_null;
                let (class, why) = if null_open {
                    (
                        Class::Unspecified,
                        "servers differ on a nullable without a type",
                    )
                } else if nullable {
                    (Class::Valid, "allowed")
                } else {
                    (Class::Invalid, "not allowed")
                };
                self.prop_case(
                    "null",
                    &prop,
                    "null",
                    format!("null ({why})"),
                    class,
                    Some(Value::Null),
                );
                for wrong in WRONG_TYPES {
                    let allowed = types
                        .iter()
                        .any(|t| t == wrong || (*wrong == "integer" && t == "number"));
                    if !allowed {
                        self.prop_case(
                            "type",
                            &prop,
                            wrong,
                            format!("a JSON {wrong} instead"),
                            Class::Invalid,
                            Some(sample_of_type(wrong)),
                        );
                    }
                }
            }
        }
    }

    /// Length boundaries in three encodings, the empty string, and characters JSON must escape.
    fn strings(&mut self, prop: &str, s: &Value) {
        // Filler text cannot satisfy a format, pattern or enum, so such strings get no length cases.
        let free_text = ["format", "pattern", "enum", "const"]
            .iter()
            .all(|k| s.get(*k).is_none());
        if !free_text {
            return;
        }
        let min = length_bound(s, "minLength").unwrap_or(0);
        let max = length_bound(s, "maxLength");
        let units: [(&str, &str, &str); 4] = [
            ("ascii", "a", "ASCII characters"),
            ("2byte", "é", "2-byte characters (é)"),
            ("emoji", "😀", "4-byte characters (emoji)"),
            (
                "combining",
                "e\u{301}",
                "code points of e + combining acute",
            ),
        ];
        if let Some(max) = max {
            for (tag, unit, what) in units {
                let at_max = repeat_code_points(unit, max);
                let over = repeat_code_points(unit, max + 1);
                self.prop_case(
                    "boundary",
                    prop,
                    &format!("max_length_{tag}"),
                    format!("exactly maxLength ({max}) {what}"),
                    Class::Valid,
                    Some(json!(at_max)),
                );
                self.prop_case(
                    "boundary",
                    prop,
                    &format!("max_length_plus_1_{tag}"),
                    format!("maxLength + 1 ({}) {what}", max + 1),
                    Class::Invalid,
                    Some(json!(over)),
                );
            }
        }
        if min > 0 {
            self.prop_case(
                "boundary",
                prop,
                "min_length",
                format!("exactly minLength ({min})"),
                Class::Valid,
                Some(json!("a".repeat(min))),
            );
            self.prop_case(
                "boundary",
                prop,
                "min_length_minus_1",
                format!("minLength - 1 ({})", min - 1),
                Class::Invalid,
                Some(json!("a".repeat(min - 1))),
            );
        } else {
            self.prop_case(
                "boundary",
                prop,
                "empty",
                "the empty string (no minLength)".into(),
                Class::Valid,
                Some(json!("")),
            );
        }
        let fit = |text: &str| -> String {
            let n = max.unwrap_or(usize::MAX).max(min);
            let cut: String = text.chars().take(n).collect();
            let pad = min.saturating_sub(cut.chars().count());
            cut + &"a".repeat(pad)
        };
        let escapes = fit("q\"b\\s/t\tn\nr\rsoh\u{1}bel\u{7}del\u{7f}'<>&");
        self.prop_case(
            "string",
            prop,
            "json_escapes",
            "quotes, backslashes and control characters".into(),
            Class::Valid,
            Some(json!(escapes)),
        );
        // JSON carries U+0000, but a careful server may refuse it: PostgreSQL's `text` cannot
        // hold it, and Django REST framework's CharField refuses it by default.
        self.prop_case(
            "string",
            prop,
            "nul",
            "a NUL character (U+0000), which a server may refuse".into(),
            Class::Unspecified,
            Some(json!(fit("nul\u{0}"))),
        );
        let mixed = fit("עברית عربي é\u{301} 😀 𠜎 \u{200f}");
        self.prop_case(
            "string",
            prop,
            "unicode_mix",
            "right-to-left, combining and astral characters".into(),
            Class::Valid,
            Some(json!(mixed)),
        );
    }

    fn date_times(&mut self, prop: &str) {
        for (rule, value, what) in DATE_TIMES_VALID {
            self.prop_case(
                "date_time",
                prop,
                rule,
                format!("a near-future date-time {what}"),
                Class::Valid,
                Some(json!(near_future(value))),
            );
        }
        for miss in NEAR_MISSES {
            self.prop_case(
                "date_time",
                prop,
                miss.id,
                format!("a date-time {}", miss.title),
                Class::Invalid,
                Some(json!(miss.text)),
            );
        }
        self.prop_case(
            "date_time",
            prop,
            "epoch_number",
            "an epoch number instead of a date-time".into(),
            Class::Invalid,
            Some(json!(4_102_444_800u64)),
        );
        let pointer = format!("/{}", pointer_token(prop));
        let past = self.contract.past_date_time(&pointer);
        self.prop_case(
            "date_time",
            prop,
            "past",
            format!(
                "a date-time in the past ({})",
                self.contract.past_reason(&pointer)
            ),
            past,
            Some(json!(DATE_TIME_PAST)),
        );
        self.date_time_edges(prop);
    }

    fn body(&mut self) {
        let required_first = self
            .body_schema()
            .get("required")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(|p| format!("/{}", pointer_token(p)));
        let any_required = required_first.is_some();
        let ep = &self.contract.endpoint;
        let invalid = self.expect(Class::Invalid, "invalid_body");
        let media = self.expect(Class::Invalid, "media_type");
        let raw = |body: &str, ct: Option<&str>| RequestSpec {
            content_type: ct.map(str::to_string),
            body: Body::Raw(body.to_string()),
            ..RequestSpec::json(ep, Value::Null)
        };
        let mut cases: Vec<(&str, &str, Expect, RequestSpec, Option<String>)> = vec![
            (
                "body::empty_object",
                "the body is {}",
                if any_required {
                    invalid.clone()
                } else {
                    self.expect(Class::Valid, "")
                },
                self.json_request(json!({})),
                required_first,
            ),
            (
                "body::array",
                "the body is a JSON array",
                invalid.clone(),
                self.json_request(json!([Value::Object((*self.base).clone())])),
                None,
            ),
            (
                "body::null",
                "the body is JSON null",
                invalid.clone(),
                self.json_request(Value::Null),
                None,
            ),
            (
                "body::string",
                "the body is a JSON string",
                invalid.clone(),
                self.json_request(json!("name")),
                None,
            ),
            (
                "body::number",
                "the body is a JSON number",
                invalid.clone(),
                self.json_request(json!(42)),
                None,
            ),
            (
                "body::malformed",
                "the body is malformed JSON",
                invalid.clone(),
                raw("{\"unterminated\": ", Some(&ep.content_type)),
                None,
            ),
            (
                "body::empty",
                "the body is empty",
                if ep.body_required {
                    invalid.clone()
                } else {
                    // No body is a request the operation takes; what it does with one is open.
                    self.expect(Class::Unspecified, "")
                },
                raw("", Some(&ep.content_type)),
                None,
            ),
        ];
        let base_text = self.base_body().to_value().to_string();
        cases.push((
            "body::text_plain",
            "a valid JSON body sent as text/plain",
            media,
            raw(&base_text, Some("text/plain")),
            None,
        ));
        // Many frameworks read a body without a Content-Type as JSON; the page does not forbid it.
        cases.push((
            "body::no_content_type",
            "a valid JSON body sent without a Content-Type (the page does not say)",
            self.expect(Class::Unspecified, ""),
            raw(&base_text, None),
            None,
        ));
        let closed = self.body_schema().get("additionalProperties") == Some(&Value::Bool(false));
        let extra = self.with("x_unknown_property", Some(json!("ignored?")));
        let (extra_expect, extra_title) = if closed {
            (
                invalid,
                "an unknown extra property (additionalProperties is false)",
            )
        } else {
            (
                self.expect(Class::Valid, ""),
                "an unknown extra property (allowed by the schema)",
            )
        };
        cases.push((
            "body::unknown_property",
            extra_title,
            extra_expect,
            self.patched_request(extra),
            closed.then(|| "/x_unknown_property".into()),
        ));
        for (id, title, expect, request, offending) in cases {
            self.push(id.into(), title.into(), "body", expect, request, offending);
        }
        self.prototype_keys();
    }

    /// `__proto__`, `constructor` and `prototype` as extra keys: a JavaScript server may refuse
    /// them (Fastify's prototype-poisoning guard answers 400), or ignore them, whatever the
    /// schema says, so the case is unspecified. No other case sends them.
    fn prototype_keys(&mut self) {
        let mut body = (*self.base).clone();
        for key in crate::cases::generate::PROTOTYPE_KEYS {
            if !body.contains_key(*key) {
                let value = if *key == "constructor" {
                    json!({"prototype": {"polluted": true}})
                } else {
                    json!({"polluted": true})
                };
                body.insert((*key).to_string(), value);
            }
        }
        let expect = self.expect(Class::Unspecified, "");
        let request = self.json_request(Value::Object(body));
        self.push(
            "body::prototype_keys".into(),
            "`__proto__`, `constructor` and `prototype` as extra properties (a server may refuse them)".into(),
            "body",
            expect,
            request,
            None,
        );
    }

    fn auth(&mut self) {
        let cases = [
            ("missing", "no Authorization header", Auth::None),
            (
                "basic_scheme",
                "the Basic scheme instead of Bearer",
                Auth::Header("Basic cHJvdmlzaW9ucjpwYXNzd29yZA==".into()),
            ),
            (
                "empty_bearer",
                "Bearer with an empty token",
                Auth::Header("Bearer ".into()),
            ),
            (
                "wrong_token",
                "a wrong bearer token",
                Auth::Header("Bearer pvt_wrong_token_0000000000000000".into()),
            ),
        ];
        for (rule, title, auth) in cases {
            let mut request = self.patched_request(self.base_body());
            request.auth = auth;
            let expect = self.expect(Class::Invalid, "auth");
            self.push(
                format!("auth::{rule}"),
                format!("auth: {title}"),
                "auth",
                expect,
                request,
                None,
            );
        }
    }

    fn path(&mut self) {
        let params: Vec<String> = self.contract.endpoint.path_params.keys().cloned().collect();
        for p in params {
            let values = [
                (
                    "unknown",
                    "does-not-exist-0000".to_string(),
                    "an unknown value",
                ),
                (
                    "needs_encoding",
                    "unknown id with space ü".to_string(),
                    "an unknown value that needs percent-encoding",
                ),
                (
                    "encoded_slash",
                    "unknown/id%".to_string(),
                    "an unknown value holding `/` and `%` (sent as %2F and %25)",
                ),
            ];
            for (rule, value, title) in values {
                let encoded_slash = value.contains(['/', '%']);
                let mut request = self.patched_request(self.base_body());
                request.path = BTreeMap::from([(p.clone(), value)]);
                let mut expect = self.expect(Class::Invalid, "unknown_path");
                // Tomcat (`encodedSolidusHandling=reject`) and Spring Security's firewall refuse
                // an encoded slash or percent sign with 400 before any application code runs,
                // against path traversal (RFC 9110 15.5.1 allows 400 for such a request).
                if encoded_slash && !expect.statuses.contains(&400) {
                    expect.statuses.push(400);
                }
                self.push(
                    format!("path::{p}::{rule}"),
                    format!("path {{{p}}}: {title}"),
                    "path",
                    expect,
                    request,
                    None,
                );
            }
        }
    }

    fn methods(&mut self) {
        let own = self.contract.endpoint.method.to_ascii_uppercase();
        for method in ["GET", "PUT", "PATCH", "DELETE"] {
            if method == own {
                continue;
            }
            let mut request = self.patched_request(self.base_body());
            request.method = method.to_string();
            if matches!(method, "GET" | "DELETE") {
                request.body = Body::Empty;
                request.content_type = None;
            }
            // A method another operation of the contract has on this path is no wrong method.
            let answered = self.contract.endpoint.path_methods.contains(method);
            let (expect, title) = if answered {
                (
                    self.expect(Class::Unspecified, ""),
                    format!("method {method} on the path (it has an operation of its own)"),
                )
            } else {
                (
                    self.expect(Class::Invalid, "method"),
                    format!("method {method} on the path"),
                )
            };
            self.push(
                format!("method::{}", method.to_ascii_lowercase()),
                title,
                "method",
                expect,
                request,
                None,
            );
        }
    }
}

/// The `type` keyword as a list (absent gives none).
fn types_of(s: &Value) -> Vec<String> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn sample_of_type(t: &str) -> Value {
    match t {
        "string" => json!("text"),
        "integer" => json!(42),
        "number" => json!(4.5),
        "boolean" => json!(true),
        "array" => json!(["text"]),
        _ => json!({"value": "text"}),
    }
}

/// A length bound of `s` small enough to build. The contract loader refuses larger ones, so only
/// a contract built in code has one, and it gets no length cases for it rather than a panic.
fn length_bound(s: &Value, keyword: &str) -> Option<usize> {
    s.get(keyword)
        .and_then(Value::as_u64)
        .filter(|n| *n <= MAX_SCHEMA_BOUND)
        .map(|n| n as usize)
}

/// `unit` repeated until the string has exactly `n` code points.
fn repeat_code_points(unit: &str, n: usize) -> String {
    unit.chars().cycle().take(n).collect()
}

/// A valid instance of an object schema, nested objects included up to a depth, so a schema
/// that refers to itself still ends.
fn base_instance(root: &Value, schema: &Value, depth: usize) -> Map<String, Value> {
    let mut out = Map::new();
    let schema = crate::contract::resolve_local(root, schema);
    if depth > 8 {
        return out;
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return out;
    };
    for (name, s) in props {
        if let Some(v) = valid_value(root, s, depth) {
            out.insert(name.clone(), v);
        }
    }
    out
}

/// The first example, else the const, first enum value, or a value built from the type.
fn valid_value(root: &Value, s: &Value, depth: usize) -> Option<Value> {
    // A wrapper (a nullable reference, `allOf` of one) stands for the schema it wraps; its
    // annotations are its own.
    let outer = crate::contract::resolve_local(root, s);
    let s = crate::contract::unwrap_schema(root, outer);
    let date_time = s.get("format").and_then(Value::as_str) == Some("date-time");
    let null_open = outer.get(crate::contract::schema::NULL_OPEN) == Some(&Value::Bool(true));
    let first_example = |x: &Value| {
        x.get("examples")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned()
    };
    if let Some(v) = first_example(outer)
        .or_else(|| first_example(s))
        // A date-time example is often in the past by now, which a field's policy may refuse:
        // only a future one is taken. Null where servers differ on it is not taken either.
        .filter(|v| !date_time || is_future_instant(v))
        .filter(|v| !(null_open && v.is_null()))
        // A number beyond ±(2^53−1) would make every case built on the base unspecified.
        .filter(|v| !crate::cases::generate::has_unsafe_number(v))
    {
        return Some(v);
    }
    if let Some(v) = s
        .get("const")
        .or_else(|| s.get("enum").and_then(|e| e.get(0)))
    {
        return Some(v.clone());
    }
    let types = types_of(s);
    let t = types.iter().find(|t| *t != "null").or(types.first())?;
    Some(match t.as_str() {
        "string" if s.get("format").and_then(Value::as_str) == Some("date-time") => {
            json!(near_future(DATE_TIMES_VALID[0].1))
        }
        "string" => {
            let min = length_bound(s, "minLength").unwrap_or(1);
            let max = length_bound(s, "maxLength").unwrap_or(usize::MAX);
            json!("a".repeat(min.clamp(1, max.max(1)).min(max)))
        }
        "integer" => number_value(s, true),
        "number" => number_value(s, false),
        "boolean" => json!(true),
        "array" => json!([]),
        "object" => Value::Object(base_instance(root, s, depth + 1)),
        _ => Value::Null,
    })
}

/// A number inside the bounds (inclusive or exclusive) and a multiple of `multipleOf`, when
/// there is one in reach; 0 when nothing bounds it.
fn number_value(s: &Value, integer: bool) -> Value {
    let f = |k: &str| s.get(k).and_then(Value::as_f64);
    let step = if integer { 1.0 } else { 0.5 };
    let low = match (f("minimum"), f("exclusiveMinimum")) {
        (Some(m), Some(x)) if x >= m => Some(x + step),
        (Some(m), _) => Some(m),
        (None, Some(x)) => Some(x + step),
        (None, None) => None,
    };
    let high = match (f("maximum"), f("exclusiveMaximum")) {
        (Some(m), Some(x)) if x <= m => Some(x - step),
        (Some(m), _) => Some(m),
        (None, Some(x)) => Some(x - step),
        (None, None) => None,
    };
    // From a lower bound, rounding goes up; from an upper bound, down: either stays inside.
    let (mut v, from_high) = match (low, high) {
        (Some(l), _) => (l, false),
        (None, Some(h)) if h < 0.0 => (h, true),
        _ => (0.0, false),
    };
    // Inside ±(2^53−1) where the bounds allow it (RFC 7493 2.2): clamping toward zero keeps
    // a value above a lower bound below it, and the other way round.
    let safe = crate::cases::generate::MAX_SAFE;
    if low.is_none_or(|l| l <= safe) && high.is_none_or(|h| h >= -safe) {
        v = v.clamp(-safe, safe);
    }
    let round = |x: f64| if from_high { x.floor() } else { x.ceil() };
    if integer {
        v = round(v);
    }
    if let Some(m) = f("multipleOf").filter(|m| *m > 0.0) {
        v = round(v / m) * m;
    }
    if s.get("format").and_then(Value::as_str) == Some("int32") {
        // What a server that holds the format takes, whether or not it checks it.
        v = v.clamp(f64::from(i32::MIN), f64::from(i32::MAX));
    }
    if integer || v.fract() == 0.0 {
        if let Some(i) = (v.abs() <= safe).then_some(v as i64) {
            return json!(i);
        }
    }
    json!(v)
}

/// The base body, made to pass the schema where the heuristics of [`valid_value`] missed: each
/// top-level property the validator objects to takes its value from a generated valid body; if
/// that is not enough, a generated body is the base.
fn checked_base(contract: &Operation, mut base: Map<String, Value>) -> Map<String, Value> {
    let validator = &contract.request_validator;
    if validator.is_valid(&Value::Object(base.clone())) {
        return base;
    }
    let Ok(strategy) = super::generate::valid(&contract.request_schema) else {
        return base;
    };
    let samples: Vec<Map<String, Value>> = super::generate::sample(&strategy, 0x5eed, 64)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .collect();
    let instance = Value::Object(base.clone());
    let wrong: BTreeSet<String> = validator
        .iter_errors(&instance)
        .filter_map(|e| crate::contract::pointer::first_token(&e.instance_path().to_string()))
        .collect();
    for prop in &wrong {
        if let Some(v) = samples.iter().find_map(|m| m.get(prop)) {
            base.insert(prop.clone(), v.clone());
        }
    }
    if validator.is_valid(&Value::Object(base.clone())) {
        return base;
    }
    samples.into_iter().max_by_key(Map::len).unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn number_values_stay_inside_their_bounds() {
        let cases = [
            (json!({"maximum": -1.5}), true, json!(-2)),
            (json!({"maximum": -1, "multipleOf": 2}), true, json!(-2)),
            (json!({"minimum": 1.5}), true, json!(2)),
            (json!({"exclusiveMinimum": 0}), true, json!(1)),
            (json!({"exclusiveMaximum": -3}), false, json!(-3.5)),
            (json!({"minimum": 3, "multipleOf": 5}), true, json!(5)),
            (
                json!({"minimum": -1e10, "format": "int32"}),
                true,
                json!(i32::MIN),
            ),
        ];
        for (schema, integer, expected) in cases {
            assert_eq!(number_value(&schema, integer), expected, "{schema}");
        }
    }

    fn cases() -> (Operation, Vec<Case>) {
        let c = Operation::embedded().unwrap();
        let cases = derive(&c);
        (c, cases)
    }

    #[test]
    fn at_least_sixty_cases_with_unique_ids() {
        let (_, cases) = cases();
        assert!(cases.len() >= 60, "{}", cases.len());
        let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), cases.len());
    }

    /// The schema itself is the oracle: every derived body judged by the validator agrees
    /// with the class the deriver gave it (for cases that vary the body only).
    #[test]
    fn classes_agree_with_the_schema() {
        let (c, cases) = cases();
        let mut checked = 0;
        for case in &cases {
            let body_only = case.request.auth == Auth::Valid
                && case.request.path.is_empty()
                && case.request.method == c.endpoint.method
                && case.request.content_type.as_deref() == Some(c.endpoint.content_type.as_str());
            let Some(body) = case.request.body.json().filter(|_| body_only) else {
                continue;
            };
            let valid = c.request_validator.is_valid(&body);
            match case.class() {
                Class::Valid | Class::Unspecified => {
                    assert!(valid, "{} should validate: {body}", case.id)
                }
                Class::Invalid => assert!(!valid, "{} should not validate: {body}", case.id),
            }
            checked += 1;
        }
        assert!(checked > 40, "{checked}");
    }

    #[test]
    fn lengths_count_code_points() {
        let (_, cases) = cases();
        let emoji = cases
            .iter()
            .find(|c| c.id == "boundary::name::max_length_plus_1_emoji")
            .unwrap();
        let body = emoji.request.body.json().unwrap();
        let name = body["name"].as_str().unwrap();
        assert_eq!(name.chars().count(), 56);
        assert_eq!(emoji.class(), Class::Invalid);
        assert_eq!(emoji.offending.as_deref(), Some("/name"));
    }

    fn derive_for(schema: Value) -> Vec<Case> {
        let mut c = Operation::embedded().unwrap();
        c.endpoint.fields.clear();
        c.request_validator = crate::contract::compile(&schema, Path::new("test")).unwrap();
        c.request_schema = schema;
        derive(&c)
    }

    fn find<'a>(cases: &'a [Case], id: &str) -> &'a Case {
        cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id}"))
    }

    #[test]
    fn an_escaped_solidus_goes_where_its_decoded_value_is_valid() {
        let cases = derive_for(json!({
            "type": "object",
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "code": {"type": "string", "pattern": "^[a-z]+$"},
                "path": {"type": "string", "examples": ["x/y"], "pattern": "^x/y$"},
                "note": {"type": "string"}
            }
        }));
        let case = find(&cases, "json::escaped_solidus");
        let Body::Raw(text) = &case.request.body else {
            panic!("a raw body")
        };
        assert!(text.contains(r#""path":"x\/y""#), "{text}");
        assert_eq!(case.class(), Class::Valid);
        let only_dates = derive_for(json!({
            "type": "object",
            "properties": {"at": {"type": "string", "format": "date-time"}}
        }));
        assert!(
            !only_dates.iter().any(|c| c.id == "json::escaped_solidus"),
            "a/b is no date-time"
        );
        let free = derive_for(json!({
            "type": "object",
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "note": {"type": "string"}
            }
        }));
        let Body::Raw(text) = &find(&free, "json::escaped_solidus").request.body else {
            panic!("a raw body")
        };
        assert!(text.contains(r#""note":"a\/b""#), "{text}");
        assert!(find(&free, "json::escaped_key").class() == Class::Valid);
    }

    #[test]
    fn prototype_keys_go_only_into_their_own_unspecified_case() {
        let (_, cases) = cases();
        let case = find(&cases, "body::prototype_keys");
        assert_eq!(case.class(), Class::Unspecified);
        let body = case.request.body.json().unwrap();
        for key in crate::cases::generate::PROTOTYPE_KEYS {
            assert!(body.get(*key).is_some(), "{key}: {body}");
        }
        for other in cases.iter().filter(|c| c.id != "body::prototype_keys") {
            let text = other.request.body.to_text();
            assert!(
                !crate::cases::generate::PROTOTYPE_KEYS
                    .iter()
                    .any(|k| text.contains(&format!("\"{k}\""))),
                "{}: {text}",
                other.id
            );
        }
    }

    #[test]
    fn an_undeclared_past_is_unspecified_and_says_so() {
        let schema = json!({
            "type": "object",
            "properties": {"at": {"type": "string", "format": "date-time"}}
        });
        let cases = derive_for(schema.clone());
        let past = find(&cases, "date_time::at::past");
        assert_eq!(past.class(), Class::Unspecified);
        assert!(
            past.title
                .ends_with("(unspecified: no `fields` policy declared)"),
            "{}",
            past.title
        );
        assert_eq!(
            find(&cases, "date_time::at::year_zero").class(),
            Class::Unspecified
        );
        assert_eq!(find(&cases, "date_time::at::utc").class(), Class::Valid);
        for (class, source, says) in [
            (
                Class::Invalid,
                crate::contract::FieldsSource::EndpointFile,
                "(invalid by the endpoint file's fields policy)",
            ),
            (
                Class::Valid,
                crate::contract::FieldsSource::XConformance,
                "(valid by x-conformance fields)",
            ),
        ] {
            let mut c = Operation::embedded().unwrap();
            c.request_validator = crate::contract::compile(&schema, Path::new("t")).unwrap();
            c.request_schema = schema.clone();
            c.endpoint.fields = BTreeMap::from([(
                "/at".to_string(),
                crate::contract::FieldPolicy { past: Some(class) },
            )]);
            c.endpoint.fields_source = source;
            let cases = derive(&c);
            let past = find(&cases, "date_time::at::past");
            assert_eq!(past.class(), class);
            assert!(past.title.ends_with(says), "{}", past.title);
        }
    }

    #[test]
    fn numbers_beyond_2_53_are_never_valid() {
        let cases = derive_for(json!({
            "type": "object",
            "properties": {
                "big": {"type": "integer", "minimum": -1e19, "examples": [9007199254740993u64]},
                "far": {"type": "integer", "minimum": 1e17},
                "n": {"type": "number", "maximum": -1e300}
            }
        }));
        let base = find(&cases, "json::whitespace");
        assert_eq!(base.class(), Class::Unspecified, "{}", base.title);
        assert!(base.title.contains("2^53"), "{}", base.title);
        for case in &cases {
            if let Some(body) = case.request.body.json() {
                if crate::cases::generate::has_unsafe_number(&body) {
                    assert_eq!(case.class(), Class::Unspecified, "{}", case.id);
                }
            }
        }
        let safe = derive_for(json!({
            "type": "object",
            "properties": {"big": {"type": "integer", "minimum": -1e19, "examples": [9007199254740993u64]}}
        }));
        let base = find(&safe, "json::whitespace");
        assert_eq!(base.class(), Class::Valid);
        let body = find(&safe, "media_type::charset")
            .request
            .body
            .json()
            .unwrap();
        assert_eq!(body["big"], json!(-9_007_199_254_740_991i64));
    }

    #[test]
    fn another_schema_gets_its_own_cases() {
        let mut c = Operation::embedded().unwrap();
        c.request_schema = json!({
            "type": "object",
            "required": ["title"],
            "additionalProperties": false,
            "properties": {"title": {"type": "string", "minLength": 2, "maxLength": 4}, "count": {"type": "integer"}}
        });
        let cases = derive(&c);
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert!(ids.contains(&"boundary::title::min_length_minus_1"));
        assert!(ids.contains(&"type::count::string"));
        assert!(!ids.iter().any(|i| i.contains("name")), "{ids:?}");
        let extra = cases
            .iter()
            .find(|c| c.id == "body::unknown_property")
            .unwrap();
        assert_eq!(extra.class(), Class::Invalid);
    }
}
