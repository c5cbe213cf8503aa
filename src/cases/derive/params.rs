//! Parameters: the value each one carries in valid requests ([`settle_params`]), and the cases
//! derived from each parameter's schema: a required one left out, an optional one sent, a value
//! of the wrong type, an enum break, and the length and range bounds. A query, header or cookie
//! parameter is varied through the request's parameter overrides, a path parameter through its
//! path value; every other parameter keeps its base value.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::values::{length_bound, repeat_code_points, types_of, valid_value};
use super::Deriver;
use crate::cases::generate::{self, GenError};
use crate::cases::{Expect, ParamSent, ParamValue};
use crate::contract::{Class, Endpoint, Operation, Param, ParamIn, PathParam};

/// What a rejected query, header or cookie parameter expects when the operation does not say
/// (`invalid_param`): 400, or 422 as many frameworks answer a failed validation.
pub const INVALID_PARAM: &[u16] = &[400, 422];
/// What a rejected path value expects when the operation does not say (`invalid_path`): a
/// server may also route it nowhere (404).
pub const INVALID_PATH: &[u16] = &[400, 404, 422];

/// The longest parameter value a case expects a server to read: past it, a correct server may
/// refuse the request line or the header as too long (414, 431).
const MAX_SENT_LENGTH: usize = 4000;

/// One value a case gives a parameter (or a body property).
pub(super) struct Trial {
    pub(super) rule: String,
    pub(super) title: String,
    pub(super) class: Class,
    pub(super) value: ParamSent,
}

impl Trial {
    pub(super) fn new(rule: &str, title: String, class: Class, value: ParamSent) -> Self {
        Trial {
            rule: rule.to_string(),
            title,
            class,
            value,
        }
    }
}

/// A parameter value as a path segment's text: a string as it is, anything else as JSON (a
/// number as its digits).
pub fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value the parameter's schema accepts: one read off the schema, else a short string, else
/// one the generator draws. The error says why none could be built.
pub fn valid_param_value(
    schema: &Value,
    validator: &jsonschema::Validator,
) -> Result<Value, GenError> {
    let read = valid_value(schema, schema, 0).filter(|v| !v.is_null() || validator.is_valid(v));
    // An empty array or object says nothing in a query, header or cookie (an exploded `[]` is no
    // pair at all), so a required parameter would go missing: one item first, when the schema
    // takes it.
    let one_item = match &read {
        Some(Value::Array(a)) if a.is_empty() => {
            let items = crate::contract::unwrap_schema(schema, schema)
                .get("items")
                .cloned()
                .unwrap_or(json!({}));
            valid_value(schema, &items, 1).map(|item| json!([item]))
        }
        _ => None,
    };
    if let Some(v) = one_item
        .into_iter()
        .chain(read)
        .chain([json!("a")])
        .find(|v| validator.is_valid(v))
    {
        return Ok(v);
    }
    let strategy = generate::valid(schema)?;
    generate::sample(&strategy, 0x5eed, 32)?
        .into_iter()
        .find(|v| validator.is_valid(v))
        .ok_or_else(|| GenError::Unsatisfiable {
            pointer: String::new(),
            what: "no value built from the schema passes it".into(),
        })
}

/// Gives each parameter its base value: its example when its schema accepts it, else, for a
/// required (or path) parameter, a value built from the schema; an optional one without a
/// valid example stays out of valid requests. A path parameter without an example gets the
/// base value's text, so a run needs no `--path-param` for it. The error is the pointer and the
/// reason of the first parameter that cannot be given a value.
pub fn settle_params(endpoint: &mut Endpoint) -> Result<(), (String, String)> {
    for p in &mut endpoint.params {
        let at = format!("{}/schema", p.pointer);
        let validator = crate::contract::compile(&p.schema, Path::new(&at)).map_err(|e| {
            (
                at.clone(),
                format!("the schema of parameter `{}`: {}", p.name, e.message),
            )
        })?;
        let example = p.example.clone().filter(|v| validator.is_valid(v));
        p.base = match example {
            Some(v) => Some(v),
            None if p.required || p.location == ParamIn::Path => {
                Some(valid_param_value(&p.schema, &validator).map_err(|e| {
                    (
                        at.clone(),
                        format!("cannot build a value of parameter `{}`: {e}", p.name),
                    )
                })?)
            }
            None => None,
        };
        if let (ParamIn::Path, Some(base)) = (p.location, &p.base) {
            let entry = endpoint
                .path_params
                .entry(p.name.clone())
                .or_insert_with(|| PathParam {
                    description: String::new(),
                    example: String::new(),
                });
            if entry.example.is_empty() {
                entry.example = as_text(base);
            }
        }
    }
    Ok(())
}

/// A header parameter OpenAPI says to ignore (3.1 4.8.12.1): `Accept`, `Content-Type` and
/// `Authorization` are the request's own.
pub fn ignored(p: &Param) -> bool {
    p.location == ParamIn::Header
        && ["accept", "content-type", "authorization"]
            .iter()
            .any(|h| p.name.eq_ignore_ascii_case(h))
}

/// A number as JSON: an integer when it is one within ±(2^53−1).
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() <= generate::MAX_SAFE {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// Every value the parameter's schema implies a case for; for a path parameter only the
/// invalid ones (a valid path value is the run's own).
fn trials(p: &Param, validator: &jsonschema::Validator) -> Vec<Trial> {
    let s = crate::contract::unwrap_schema(&p.schema, &p.schema);
    let types: Vec<String> = types_of(s).into_iter().filter(|t| t != "null").collect();
    let mut out = Vec::new();
    if p.location != ParamIn::Path {
        if p.required {
            out.push(Trial::new(
                "missing",
                "left out (it is required)".into(),
                Class::Invalid,
                ParamSent::Absent,
            ));
        } else if let Ok(v) = p
            .base
            .clone()
            .map_or_else(|| valid_param_value(&p.schema, validator), Ok)
        {
            out.push(Trial::new(
                "present",
                "sent with a valid value (it is optional)".into(),
                Class::Valid,
                ParamSent::Json(v),
            ));
        }
    }
    let scalar = ["integer", "number", "boolean"];
    if !types.is_empty() && types.iter().all(|t| scalar.contains(&t.as_str())) {
        let (text, what) = if types.iter().all(|t| t == "boolean") {
            ("not-a-boolean", "a text that is no boolean")
        } else {
            ("not-a-number", "a text that is no number")
        };
        out.push(Trial::new(
            "type",
            what.into(),
            Class::Invalid,
            ParamSent::Raw(text.into()),
        ));
    }
    if let Some(v) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| enum_break(e))
    {
        out.push(Trial::new(
            "enum",
            format!("{v}, which is not in the enum"),
            Class::Invalid,
            ParamSent::Json(v),
        ));
    }
    if types.iter().any(|t| t == "string") {
        out.extend(lengths(s));
    }
    if types.iter().any(|t| t == "integer" || t == "number") {
        out.extend(ranges(s, !types.iter().any(|t| t == "number")));
    }
    // The schema has the last word on a value built for it (a `multipleOf`, a `pattern`): one it
    // judges otherwise than the trial is left out rather than sent with a wrong expectation.
    out.retain(|t| match &t.value {
        ParamSent::Json(v) => validator.is_valid(v) == (t.class == Class::Valid),
        _ => true,
    });
    if p.location == ParamIn::Path {
        out.retain(|t| t.class == Class::Invalid && !matches!(t.value, ParamSent::Absent));
        out.retain(|t| !matches!(&t.value, ParamSent::Json(v) if as_text(v).is_empty()));
    }
    out
}

/// A value outside an enum of strings or of integers.
pub(super) fn enum_break(values: &[Value]) -> Option<Value> {
    if values.is_empty() {
        return None;
    }
    if values.iter().all(Value::is_string) {
        let mut v = "not_in_enum".to_string();
        while values.iter().any(|e| e.as_str() == Some(&v)) {
            v.push('x');
        }
        return Some(json!(v));
    }
    let ints: Option<Vec<i64>> = values.iter().map(Value::as_i64).collect();
    ints.and_then(|i| i.into_iter().max())
        .and_then(|m| m.checked_add(1))
        .map(|m| json!(m))
}

/// `minLength` and `maxLength` at the bound and one past it, for free text (a format, pattern or
/// enum leaves no filler text valid).
fn lengths(s: &Value) -> Vec<Trial> {
    let free = ["format", "pattern", "enum", "const"]
        .iter()
        .all(|k| s.get(*k).is_none());
    let mut out = Vec::new();
    if !free {
        return out;
    }
    if let Some(min) = length_bound(s, "minLength").filter(|m| *m > 0) {
        let text = |n: usize| ParamSent::Json(json!(repeat_code_points("a", n)));
        out.push(Trial::new(
            "min_length",
            format!("exactly minLength ({min})"),
            Class::Valid,
            text(min),
        ));
        out.push(Trial::new(
            "min_length_minus_1",
            format!("minLength - 1 ({})", min - 1),
            Class::Invalid,
            text(min - 1),
        ));
    }
    if let Some(max) = length_bound(s, "maxLength") {
        let text = |n: usize| ParamSent::Json(json!(repeat_code_points("a", n)));
        // RFC 9110 4.1 asks a server to take 8,000 octets of request line, and common header
        // limits are 8 KiB: a longer value may be refused with 414 or 431 whatever its schema.
        let fits = |n: usize| n <= MAX_SENT_LENGTH;
        let class = |n: usize, class: Class| if fits(n) { class } else { Class::Unspecified };
        if max > 0 {
            out.push(Trial::new(
                "max_length",
                format!("exactly maxLength ({max})"),
                class(max, Class::Valid),
                text(max),
            ));
        }
        out.push(Trial::new(
            "max_length_plus_1",
            format!("maxLength + 1 ({})", max + 1),
            class(max + 1, Class::Invalid),
            text(max + 1),
        ));
    }
    out
}

/// `minimum`, `maximum` and their exclusive forms: the bound and the number one step past it.
pub(super) fn ranges(s: &Value, integer: bool) -> Vec<Trial> {
    let step = if integer { 1.0 } else { 0.5 };
    let f = |k: &str| s.get(k).and_then(Value::as_f64).filter(|v| v.is_finite());
    let mut out = Vec::new();
    let mut pair = |rule: &str, at: f64, at_class: Class, past_rule: &str, past: f64| {
        let (other, what) = match at_class {
            Class::Valid => (Class::Invalid, "just outside"),
            _ => (Class::Valid, "just inside"),
        };
        out.push(Trial::new(
            rule,
            format!("{} ({rule})", number(at)),
            at_class,
            ParamSent::Json(number(at)),
        ));
        out.push(Trial::new(
            past_rule,
            format!("{} ({what} {rule})", number(past)),
            other,
            ParamSent::Json(number(past)),
        ));
    };
    if let Some(m) = f("minimum") {
        pair("minimum", m, Class::Valid, "minimum_minus_1", m - step);
    }
    if let Some(x) = f("exclusiveMinimum") {
        pair(
            "exclusive_minimum",
            x,
            Class::Invalid,
            "exclusive_minimum_plus_1",
            x + step,
        );
    }
    if let Some(m) = f("maximum") {
        pair("maximum", m, Class::Valid, "maximum_plus_1", m + step);
    }
    if let Some(x) = f("exclusiveMaximum") {
        pair(
            "exclusive_maximum",
            x,
            Class::Invalid,
            "exclusive_maximum_minus_1",
            x - step,
        );
    }
    out
}

/// What a case judged `class` for a parameter in `location` expects: for an invalid one, the
/// operation's `invalid_param` (query, header, cookie) or `invalid_path`, else
/// [`INVALID_PARAM`] or [`INVALID_PATH`].
pub fn param_expect(contract: &Operation, class: Class, location: ParamIn) -> Expect {
    let (key, fallback) = match location {
        ParamIn::Path => ("invalid_path", INVALID_PATH),
        _ => ("invalid_param", INVALID_PARAM),
    };
    let mut expect = Expect::of(contract, class, key);
    if class == Class::Invalid && contract.expectation(key).is_none() {
        expect.statuses = fallback.to_vec();
    }
    expect
}

impl Deriver<'_> {
    /// The cases of every parameter the operation declares, in declaration order.
    pub(super) fn params(&mut self) {
        for p in self.contract.endpoint.params.clone() {
            if ignored(&p) {
                continue;
            }
            let at = format!("{}/schema", p.pointer);
            let Ok(validator) = crate::contract::compile(&p.schema, Path::new(&at)) else {
                // Listed as untested when the cases were assembled.
                continue;
            };
            for t in trials(&p, &validator) {
                self.param_case(&p, t);
            }
        }
    }

    fn param_case(&mut self, p: &Param, t: Trial) {
        let expect = param_expect(self.contract, t.class, p.location);
        let mut request = self.patched_request(self.base_body());
        let offending = match p.location {
            ParamIn::Path => {
                let text = match &t.value {
                    ParamSent::Json(v) => as_text(v),
                    ParamSent::Raw(s) => s.clone(),
                    ParamSent::Absent => return,
                };
                request.path = BTreeMap::from([(p.name.clone(), text)]);
                None
            }
            location => {
                request.params = vec![ParamValue {
                    location,
                    name: p.name.clone(),
                    value: t.value,
                }];
                (t.class == Class::Invalid).then(|| p.name.clone())
            }
        };
        let loc = p.location.as_str();
        self.push(
            format!("{loc}::{}::{}", p.name, t.rule),
            format!("{loc} parameter {}: {}", p.name, t.title),
            loc,
            expect,
            request,
            offending,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(schema: Value) -> Value {
        let validator = crate::contract::compile(&schema, Path::new("schema")).unwrap();
        valid_param_value(&schema, &validator).unwrap()
    }

    #[test]
    fn a_required_array_gets_an_item_so_it_is_sent_at_all() {
        // Petstore's findPetsByStatus: `status=available`, not a request without `status`.
        let status = json!({"type": "array", "items": {"type": "string",
            "enum": ["available", "pending", "sold"], "default": "available"}});
        assert_eq!(built(status), json!(["available"]));
        assert_eq!(
            built(json!({"type": "array", "items": {"type": "integer"}})),
            json!([0])
        );
        // A schema that takes only the empty array keeps it.
        assert_eq!(built(json!({"type": "array", "maxItems": 0})), json!([]));
    }
}
