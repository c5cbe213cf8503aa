//! Derived cases: boundary and negative requests read off the request schema, each with its
//! expectation. Nothing here knows the endpoint's field names; another schema gets its own cases.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::generate::near_future;
use super::{Body, Case, Expect, Origin, Patched, RequestSpec};
use crate::contract::datetimes::NEAR_MISSES;
use crate::contract::{pointer_token, BodyKind, Class, Operation, ParamIn, StatusKey};

mod agree;
mod auth;
mod bounds;
mod branches;
mod budget;
mod formats;
mod params;
mod patterns;
mod standards;
#[cfg(test)]
mod tests;
mod unrequested;
mod values;
mod whitespace;

pub use agree::judged_members;
pub use budget::{check_budget, MAX_DERIVED_BYTES};
pub use params::{
    as_text, ignored, param_expect, settle_params, valid_param_value, INVALID_PARAM, INVALID_PATH,
};
use values::{
    base_instance, checked_base, length_bound, repeat_code_points, sample_of_type, types_of,
};

/// Valid date-times: UTC, an offset, a negative offset, fractional seconds. Written for 2099,
/// they are sent [`near_future`]: 45 days ahead, since how far ahead a server lets a date-time be
/// is a business rule no schema states (`date_time::*::far_future` sends 2099, unspecified).
pub(super) const DATE_TIMES_VALID: &[(&str, &str, &str)] = &[
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

/// Every case the request schema and the parameters imply, in a stable order. An operation
/// without a body gets no body cases; a form body no JSON-syntax cases; an operation without
/// security no auth cases.
pub fn derive(contract: &Operation) -> Vec<Case> {
    let base = Arc::new(checked_base(
        contract,
        base_instance(&contract.request_schema, &contract.request_schema, 0),
    ));
    let mut d = Deriver {
        contract,
        shared: Patched::base(base.clone()),
        base,
        tagged: tagged_validator(contract),
        out: Vec::new(),
    };
    let kind = contract.endpoint.body_kind;
    if kind != BodyKind::Json {
        // No JSON body cases, some of them valid, say what a valid request looks like: this one
        // does.
        d.base_request();
    }
    if kind != BodyKind::None {
        d.properties();
    }
    if kind == BodyKind::Json {
        d.body();
        d.branches();
    }
    if !contract.endpoint.auth.security.sent().is_empty() {
        d.auth();
    }
    d.path();
    d.params();
    d.methods();
    d.standards();
    let mut out = d.out;
    let judge = agree::Judge::new(contract, &d.base, d.tagged.as_ref());
    for case in &mut out {
        judge.agree(case);
    }
    out
}

struct Deriver<'a> {
    contract: &'a Operation,
    /// A valid body with every property present; each case changes one thing about it. Shared
    /// by every case, so memory stays linear in the number of properties.
    base: Arc<Map<String, Value>>,
    /// `base` as the body of a case, with what every case that changes it needs to know.
    shared: Patched,
    /// The request schema with each discriminated branch required to carry its value, where a
    /// discriminator is: a body it refuses is not valid to a server that routes by it.
    tagged: Option<jsonschema::Validator>,
    out: Vec<Case>,
}

/// The validator of [`crate::contract::discriminator::tagged`]'s schema, when it differs.
fn tagged_validator(contract: &Operation) -> Option<jsonschema::Validator> {
    match crate::contract::discriminator::tagged(&contract.request_schema) {
        std::borrow::Cow::Owned(s) => {
            crate::contract::compile(&s, std::path::Path::new("request schema")).ok()
        }
        std::borrow::Cow::Borrowed(_) => None,
    }
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
            kind: kind.into(),
            expect,
            request,
            offending,
            origin: Origin::Derived,
        };
        case.settle(self.contract);
        self.out.push(case);
    }

    /// The request body's object schema, its root `$ref` (as an OpenAPI component) followed.
    /// Whether a body is valid under every reading of the schema: JSON Schema's, and a
    /// discriminator's where one is.
    fn takes(&self, body: &Value) -> bool {
        self.contract.request_validator.is_valid(body)
            && self.tagged.as_ref().is_none_or(|t| t.is_valid(body))
    }

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

    /// A request with the endpoint's method, auth and content type, and a (patched) base body;
    /// none for an operation that takes no body.
    fn patched_request(&self, body: Patched) -> RequestSpec {
        let mut request = self.json_request(Value::Null);
        if self.contract.endpoint.body_kind != BodyKind::None {
            request.body = Body::Patched(body);
        }
        request
    }

    /// The base body with one property set (`Some`) or removed (`None`).
    fn with(&self, prop: &str, value: Option<Value>) -> Patched {
        self.shared.with(prop, value)
    }

    /// The base body as it is.
    fn base_body(&self) -> Patched {
        self.shared.clone()
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
                self.patterns(&prop, &s);
            }
            if s.get("format").and_then(Value::as_str) == Some("date-time") {
                self.date_times(&prop);
            }
            self.formats(&prop, &s);
            self.bounds(&prop, &s);
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
            // A form field has no null: only a JSON body gets the null cases.
            let json = self.contract.endpoint.body_kind == BodyKind::Json;
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
                if json {
                    self.prop_case(
                        "null",
                        &prop,
                        "null",
                        format!("null ({why})"),
                        class,
                        Some(Value::Null),
                    );
                }
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
        self.whitespace(prop, min, max);
        let punctuation = fit("it's \"q\" {b} %s %d %% ${x} {{y}} \\ \\n #1");
        self.prop_case(
            "string",
            prop,
            "punctuation",
            "apostrophes, quotes, braces, percent signs and backslashes (format-string and template syntax)".into(),
            Class::Valid,
            Some(json!(punctuation)),
        );
        let invisible = fit(
            "a\u{200b}b\u{200c}c\u{200d}d\u{2060}e\u{feff}f\u{202e}g\u{2066}h\u{2069}i\u{200e}j",
        );
        self.prop_case(
            "string",
            prop,
            "invisible",
            "zero-width characters and bidirectional marks (U+200B..U+200D, U+2060, U+FEFF, U+202E, U+2066, U+2069, U+200E)".into(),
            Class::Valid,
            Some(json!(invisible)),
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
        let class = self.contract.format_class();
        for miss in NEAR_MISSES {
            let title = match class {
                Class::Invalid => format!("a date-time {}", miss.title),
                _ => format!(
                    "a date-time {} ({})",
                    miss.title,
                    self.contract.format_reason()
                ),
            };
            self.prop_case(
                "date_time",
                prop,
                miss.id,
                title,
                class,
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
        self.unrequested();
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

    /// The operation's base request as it is: every required parameter with its example or a
    /// value built from its schema, and the base body when there is one.
    fn base_request(&mut self) {
        let request = if self.contract.endpoint.body_kind == BodyKind::None {
            self.json_request(Value::Null)
        } else {
            self.patched_request(self.base_body())
        };
        let expect = self.expect(Class::Valid, "");
        self.push(
            "example::base_request".into(),
            "the base request: the document's examples, or values built from the schemas".into(),
            "example",
            expect,
            request,
            None,
        );
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
                let class = self.path_value_class(&p, &value);
                let mut request = self.patched_request(self.base_body());
                request.path = BTreeMap::from([(p.clone(), value)]);
                let mut expect = match class {
                    Some(class) if class != Class::Invalid => self.expect(class, ""),
                    Some(_) => params::param_expect(self.contract, Class::Invalid, ParamIn::Path),
                    None => self.expect(Class::Invalid, "unknown_path"),
                };
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

    /// How a document's operation judges an unknown value of the path parameter `name`: invalid
    /// when its schema refuses the text (an integer id sent letters), unspecified when the
    /// schema takes it but the operation documents no 404 (nothing says an unknown id is
    /// refused, and a mock answers it with its example); `None` keeps the unknown-path
    /// expectation (an endpoint file, or a documented 404).
    fn path_value_class(&self, name: &str, text: &str) -> Option<Class> {
        let param = self
            .contract
            .endpoint
            .params
            .iter()
            .find(|q| q.location == ParamIn::Path && q.name == name)?;
        let validator =
            crate::contract::compile(&param.schema, std::path::Path::new(&param.pointer)).ok()?;
        let read = serde_json::from_str::<Value>(text)
            .ok()
            .filter(|v| v.is_number() || v.is_boolean());
        let taken = std::iter::once(Value::String(text.to_string()))
            .chain(read)
            .any(|v| validator.is_valid(&v));
        if !taken {
            return Some(Class::Invalid);
        }
        let documents_404 = self
            .contract
            .responses
            .iter()
            .any(|r| matches!(r.key, StatusKey::Code(404) | StatusKey::Range(4)));
        (!documents_404).then_some(Class::Unspecified)
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
