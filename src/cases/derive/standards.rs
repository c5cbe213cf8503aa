//! Cases from the standards under the contract: HTTP semantics (RFC 9110), JSON (RFC 8259),
//! bearer tokens (RFC 6750) and date-times (RFC 3339). They are derived from what the endpoint
//! file declares (its media type, its auth scheme, its methods) and from the formats of the
//! request schema, not from this endpoint's names. `schemas/standards.md` tables each
//! requirement with its section, its strength, and the case or check that covers it.
//!
//! A MUST is a case whose wrong answer is an error. A SHOULD, or a choice the standard leaves to
//! the server, tolerates the other answer with a warning, or is unspecified (any 4xx or a
//! success, never a 5xx).

use serde_json::{json, Value};

use super::Deriver;
use crate::cases::{Auth, Body, Expect, RequestSpec};
use crate::contract::Class;

/// Date-times at the edges of RFC 3339, each with its class and, for a valid one a server may
/// still refuse, why a refusal is only a warning.
const DATE_TIME_EDGES: &[(&str, &str, &str, Edge)] = &[
    (
        "lowercase_t_z",
        "2099-06-15t08:30:00z",
        "with lower-case t and z (RFC 3339 5.6 allows them)",
        Edge::ValidTolerated("RFC 3339 lets a specification require upper case; the page does not, but refusing it misleads no client"),
    ),
    (
        "nanoseconds",
        "2099-06-15T08:30:00.123456789Z",
        "with nine fraction digits (RFC 3339 allows any number)",
        Edge::ValidTolerated("servers store a bounded precision; refusing finer digits is a representation choice"),
    ),
    (
        "minus_zero_offset",
        "2099-06-15T08:30:00-00:00",
        "with the offset -00:00 (RFC 3339 4.3: UTC, local offset unknown)",
        Edge::ValidTolerated("-00:00 is rare and some parsers refuse it; the instant is still known"),
    ),
    (
        "largest_offset",
        "2099-06-15T08:30:00+23:59",
        "with the largest offset, +23:59",
        Edge::ValidTolerated("common date libraries (Java's, .NET's) stop at +18:00 or +14:00"),
    ),
    (
        "leap_second",
        "2099-12-31T23:59:60Z",
        "on a leap second, 23:59:60Z",
        Edge::Unspecified,
    ),
    (
        "far_future",
        "2099-12-31T23:59:59Z",
        "far in the future, in 2099 (how far ahead a server takes one is its business rule)",
        Edge::Unspecified,
    ),
    (
        "last_instant",
        "9999-12-31T23:59:59Z",
        "at the last second of year 9999",
        Edge::Unspecified,
    ),
    (
        "overflows_utc",
        "9999-12-31T23:59:59-01:00",
        "at the end of year 9999 west of UTC, which is year 10000 in UTC",
        Edge::Unspecified,
    ),
    // The ends of the ranges date-times are commonly stored in. A value past one is kept wrong
    // (a 32-bit column wraps 2038 to 1901) or refused by the database (a 500): `same_instant`
    // judges the first on any success, and no case takes a 5xx.
    (
        "y2038_last",
        "2038-01-19T03:14:07Z",
        "at the last second of signed 32-bit Unix time (where MySQL's TIMESTAMP ends)",
        Edge::Unspecified,
    ),
    (
        "y2038_next",
        "2038-01-19T03:14:08Z",
        "one second past signed 32-bit Unix time",
        Edge::Unspecified,
    ),
    (
        "u32_next",
        "2106-02-07T06:28:16Z",
        "one second past unsigned 32-bit Unix time",
        Edge::Unspecified,
    ),
    (
        "before_epoch",
        "1969-12-31T23:59:59Z",
        "one second before the Unix epoch",
        Edge::Past(true),
    ),
    (
        "i32_first",
        "1901-12-13T20:45:52Z",
        "at the first second of signed 32-bit Unix time",
        Edge::Past(true),
    ),
    (
        "sql_server_first",
        "1753-01-01T00:00:00Z",
        "at the first day of SQL Server's `datetime`",
        Edge::Past(true),
    ),
    (
        "mysql_datetime_first",
        "1000-01-01T00:00:00Z",
        "at the first day of MySQL's DATETIME",
        Edge::Past(true),
    ),
    (
        "year_one",
        "0001-01-01T00:00:00Z",
        "in year 1, where Python's and .NET's date-times start",
        Edge::Past(true),
    ),
    (
        "year_zero",
        "0000-01-01T00:00:00Z",
        "in year 0000",
        Edge::Past(false),
    ),
    (
        "no_seconds",
        "2099-06-15T08:30Z",
        "without seconds",
        Edge::Invalid,
    ),
    (
        "epoch_string",
        "4102444800",
        "as a string of Unix seconds",
        Edge::Invalid,
    ),
];

/// How a date-time edge is judged.
#[derive(Clone, Copy)]
enum Edge {
    /// Valid; a refusal is a warning, for the reason given.
    ValidTolerated(&'static str),
    /// The standard allows either answer: a success or a 4xx, never a 5xx.
    Unspecified,
    /// In the past: judged as the endpoint file's `fields` policy says. `false` where common
    /// date libraries cannot hold the value, so that a valid past leaves it unspecified.
    Past(bool),
    /// Not RFC 3339: a rejection (an unambiguous variant tolerates a success with a warning).
    Invalid,
}

/// Nesting depth of the deeply nested JSON case: past the recursion limit of common parsers.
const DEEP: usize = 10_000;

impl Deriver<'_> {
    /// Everything this module derives, in a stable order.
    pub(super) fn standards(&mut self) {
        let json_body = self.contract.endpoint.body_kind == crate::contract::BodyKind::Json;
        if json_body && is_json(&self.contract.endpoint.content_type) {
            self.media_types();
            self.json_grammar();
        }
        let sent = self.contract.endpoint.auth.security.sent();
        if sent.iter().any(|s| s.kind.sends_bearer()) {
            self.bearer();
        }
        self.other_methods();
    }

    /// RFC 3339 edges for one `format: date-time` property.
    pub(super) fn date_time_edges(&mut self, prop: &str) {
        let past = self
            .contract
            .past_date_time(&format!("/{}", crate::contract::pointer_token(prop)));
        for (rule, value, what, edge) in DATE_TIME_EDGES {
            let class = match edge {
                Edge::ValidTolerated(_) => Class::Valid,
                Edge::Unspecified => Class::Unspecified,
                Edge::Invalid => self.contract.format_class(),
                // Year 0000 is in the past, but many date libraries cannot hold it (Python's
                // and .NET's start at year 1): a field whose past is valid leaves it open.
                Edge::Past(false) if past == Class::Valid => Class::Unspecified,
                Edge::Past(_) => past,
            };
            // The valid edges probe the form, not the calendar: sent in the near future.
            let value = match edge {
                Edge::ValidTolerated(_) => crate::cases::generate::near_future(value),
                _ => value.to_string(),
            };
            self.prop_case(
                "date_time",
                prop,
                rule,
                format!("a date-time {what}"),
                class,
                Some(json!(value)),
            );
            if let Edge::ValidTolerated(why) = edge {
                let rejections = self.expect(Class::Invalid, "invalid_body").statuses;
                let case = self.out.last_mut().expect("just pushed");
                case.expect.tolerated.extend(rejections);
                case.expect.tolerated_why = Some((*why).to_string());
            }
        }
    }

    /// RFC 9110 8.3.1: the type and subtype are case-insensitive, and parameters such as
    /// `charset` may follow.
    fn media_types(&mut self) {
        let declared = self.contract.endpoint.content_type.clone();
        // The type without its parameters: a declared `application/json; charset=utf-8` must
        // not become `...; charset=utf-8; charset=utf-8`.
        let essence = declared.split(';').next().unwrap_or("").trim().to_string();
        let valid = [
            (
                "charset",
                format!("{essence}; charset=utf-8"),
                "with a charset parameter",
            ),
            (
                "charset_upper_no_space",
                format!("{essence};charset=UTF-8"),
                "with `;charset=UTF-8`, no space",
            ),
            (
                "upper_case",
                declared.to_ascii_uppercase(),
                "in upper case (media types are case-insensitive)",
            ),
        ];
        for (rule, content_type, title) in valid {
            let mut request = self.patched_request(self.base_body());
            request.content_type = Some(content_type);
            let expect = self.expect(Class::Valid, "");
            self.push_kind("media_type", rule, title, expect, request);
        }
        let form = self.raw(&self.base_text(), Some("application/x-www-form-urlencoded"));
        let expect = self.expect(Class::Invalid, "media_type");
        self.push_kind(
            "media_type",
            "form_urlencoded",
            "a JSON body sent as application/x-www-form-urlencoded",
            expect,
            form,
        );
        let vendor = self.raw(&self.base_text(), Some("application/vnd.conformance+json"));
        let expect = self.expect(Class::Unspecified, "");
        self.push_kind(
            "media_type",
            "structured_suffix",
            "a JSON body as a +json media type the endpoint does not declare",
            expect,
            vendor,
        );
    }

    /// RFC 8259: what a parser must accept, and what it may accept or refuse.
    fn json_grammar(&mut self) {
        let text = self.base_text();
        let first_key = self.base.keys().next().cloned();
        let mut valid = vec![(
            "whitespace",
            format!("\n\t {} \r\n", pretty(&self.base)),
            "insignificant whitespace around and inside the body (RFC 8259 2)",
        )];
        let mut unspecified = vec![
            (
                "byte_order_mark",
                format!("\u{feff}{text}"),
                "a byte-order mark before the body (RFC 8259 8.1: a parser MAY ignore it)",
            ),
            (
                "trailing_comma",
                format!("{},}}", &text[..text.len() - 1]),
                "a trailing comma (not JSON; RFC 8259 9: a parser MAY accept extensions)",
            ),
            (
                "deep_nesting",
                nested_extra(&text, DEEP),
                "an extra property nested 10,000 arrays deep (RFC 8259 9: a parser MAY limit depth)",
            ),
        ];
        if let Some(key) = first_key {
            let escaped = text.replacen(
                &format!("\"{key}\":"),
                &format!("\"{}\":", escape_first(&key)),
                1,
            );
            // Decoded, the escape names the same key, so the body is the valid base body.
            if self.decodes_valid(&escaped) {
                valid.push((
                    "escaped_key",
                    escaped,
                    "a property name written with a \\u escape (RFC 8259 7)",
                ));
            }
            unspecified.push((
                "duplicate_key",
                format!(
                    "{},\"{key}\":{}}}",
                    &text[..text.len() - 1],
                    self.base.get(&key).map_or("null".into(), Value::to_string)
                ),
                "a property given twice (RFC 8259 4: names SHOULD be unique)",
            ));
        }
        if let Some(body) = self.escaped_solidus() {
            valid.push((
                "escaped_solidus",
                body,
                "a string with an escaped solidus, \\/ (RFC 8259 7)",
            ));
        }
        if let Some(string_key) = self.first_string_key() {
            unspecified.push((
                "lone_surrogate",
                with_raw_string(&self.base, &string_key, "\\ud800"),
                "a string holding a lone surrogate escape, \\ud800 (RFC 8259 8.2: unpredictable)",
            ));
        }
        let declared = self.contract.endpoint.content_type.clone();
        for (rule, body, title) in valid {
            let expect = self.expect(Class::Valid, "");
            let request = self.raw(&body, Some(&declared));
            self.push_kind("json", rule, title, expect, request);
        }
        for (rule, body, title) in unspecified {
            let expect = self.expect(Class::Unspecified, "");
            let request = self.raw(&body, Some(&declared));
            self.push_kind("json", rule, title, expect, request);
        }
    }

    /// RFC 9110 11.1 and RFC 6750 2.1: the scheme is case-insensitive, and one or more spaces
    /// separate it from the token.
    fn bearer(&mut self) {
        let cases: [(&str, &str, &str, Option<&str>); 3] = [
            (
                "scheme_lower_case",
                "bearer ",
                "the scheme written `bearer`",
                None,
            ),
            (
                "scheme_upper_case",
                "BEARER ",
                "the scheme written `BEARER`",
                None,
            ),
            (
                "two_spaces",
                "Bearer  ",
                "two spaces between the scheme and the token",
                Some("RFC 6750's grammar allows 1*SP, but most servers split on one space"),
            ),
        ];
        for (rule, scheme, title, tolerated) in cases {
            let mut request = self.patched_request(self.base_body());
            request.auth = Auth::Scheme(scheme.into());
            let mut expect = self.expect(Class::Valid, "");
            if let Some(why) = tolerated {
                expect.tolerated = Expect::refused(self.contract, &request.auth).statuses;
                expect.tolerated_why = Some(why.into());
            }
            self.push_kind("auth", rule, title, expect, request);
        }
    }

    /// RFC 9110 9.1 and 9.3: HEAD and OPTIONS on a route that does not serve them, and a method
    /// the server does not know, which it SHOULD answer 501.
    fn other_methods(&mut self) {
        for method in ["HEAD", "OPTIONS"] {
            let mut request = self.patched_request(self.base_body());
            request.method = method.into();
            request.body = Body::Empty;
            request.content_type = None;
            let expect = self.expect(Class::Unspecified, "");
            let rule = method.to_ascii_lowercase();
            let title = format!("method {method} on the path (either answer is allowed)");
            self.push_kind("method", &rule, &title, expect, request);
        }
        let mut request = self.patched_request(self.base_body());
        request.method = "FOO".into();
        let expect = Expect {
            class: Class::Invalid,
            label: "unknown method".into(),
            statuses: vec![400, 404, 405, 501],
            tolerated: Vec::new(),
            tolerated_why: None,
        };
        self.push_kind(
            "method",
            "unknown",
            "an unknown method, FOO (RFC 9110 9.1: SHOULD be 501)",
            expect,
            request,
        );
    }

    fn push_kind(
        &mut self,
        kind: &str,
        rule: &str,
        title: &str,
        expect: Expect,
        request: RequestSpec,
    ) {
        self.push(
            format!("{kind}::{rule}"),
            title.to_string(),
            kind,
            expect,
            request,
            None,
        );
    }

    /// A request carrying `body` as text, with the endpoint's method and auth.
    fn raw(&self, body: &str, content_type: Option<&str>) -> RequestSpec {
        RequestSpec {
            content_type: content_type.map(str::to_string),
            body: Body::Raw(body.to_string()),
            ..self.json_request(Value::Null)
        }
    }

    fn base_text(&self) -> String {
        Value::Object((*self.base).clone()).to_string()
    }

    /// Whether `text`, once decoded, is a body the schema accepts: an escape form is a valid
    /// case only when what it decodes to is valid (RFC 8259 7: `\/` is `/`).
    fn decodes_valid(&self, text: &str) -> bool {
        serde_json::from_str::<Value>(text).is_ok_and(|v| self.takes(&v))
    }

    /// The base body with a `\/` in one of its strings, decoding to a valid body: a solidus of
    /// the field's own valid value escaped, else `a/b` in a field that takes it (free text, not
    /// a date-time). `None` when no string field can carry one: then the case is not derived,
    /// since a decoded value the field refuses would make a valid case a false alarm.
    fn escaped_solidus(&self) -> Option<String> {
        // Built one at a time, and at most a few: the first that decodes valid is taken, so a
        // wide body is not written out once per string field.
        let strings = || self.base.iter().filter_map(|(k, v)| Some((k, v.as_str()?)));
        let own = strings()
            .filter(|(_, v)| v.contains('/'))
            .map(|(key, value)| {
                let raw = Value::String(value.into()).to_string();
                let inner = &raw[1..raw.len() - 1];
                with_raw_string(&self.base, key, &inner.replace('/', "\\/"))
            });
        let planted = strings().map(|(key, _)| with_raw_string(&self.base, key, "a\\/b"));
        own.chain(planted)
            .take(8)
            .find(|body| self.decodes_valid(body))
    }

    fn first_string_key(&self) -> Option<String> {
        self.base
            .iter()
            .find(|(_, v)| v.is_string())
            .map(|(k, _)| k.clone())
    }
}

fn is_json(media_type: &str) -> bool {
    crate::contract::media::is_json_media_type(Some(media_type))
}

fn pretty(body: &serde_json::Map<String, Value>) -> String {
    serde_json::to_string_pretty(&Value::Object(body.clone())).unwrap_or_default()
}

/// `key` with its first character written as a `\u` escape.
fn escape_first(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if (c as u32) < 0x10000 => format!("\\u{:04x}{}", c as u32, chars.as_str()),
        _ => key.to_string(),
    }
}

/// The body with `key`'s string replaced by `raw`, written into the JSON text as it is.
fn with_raw_string(body: &serde_json::Map<String, Value>, key: &str, raw: &str) -> String {
    const MARK: &str = "\u{1}conformance-raw\u{1}";
    let mut copy = body.clone();
    copy.insert(key.to_string(), json!(MARK));
    let text = Value::Object(copy).to_string();
    text.replacen(
        &Value::String(MARK.into()).to_string(),
        &format!("\"{raw}\""),
        1,
    )
}

/// The body with an extra property holding arrays nested `depth` deep.
fn nested_extra(text: &str, depth: usize) -> String {
    let inner = text.trim_end_matches('}');
    let comma = if inner.trim_end().ends_with('{') {
        ""
    } else {
        ","
    };
    format!(
        "{inner}{comma}\"x_nested\":{}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}
