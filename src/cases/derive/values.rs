//! Valid values read off a request schema: the base body each derived case changes one thing
//! about, and the samples of each JSON type.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::DATE_TIMES_VALID;
use crate::cases::generate::near_future;
use crate::contract::datetimes::parse_rfc3339;
use crate::contract::{Operation, MAX_SCHEMA_BOUND};

/// The `type` keyword as a list (absent gives none).
pub(super) fn types_of(s: &Value) -> Vec<String> {
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

pub(super) fn sample_of_type(t: &str) -> Value {
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
pub(super) fn length_bound(s: &Value, keyword: &str) -> Option<usize> {
    s.get(keyword)
        .and_then(Value::as_u64)
        .filter(|n| *n <= MAX_SCHEMA_BOUND)
        .map(|n| n as usize)
}

/// `unit` repeated until the string has exactly `n` code points.
pub(super) fn repeat_code_points(unit: &str, n: usize) -> String {
    unit.chars().cycle().take(n).collect()
}

/// A valid instance of an object schema, nested objects included up to a depth, so a schema
/// that refers to itself still ends.
pub(super) fn base_instance(root: &Value, schema: &Value, depth: usize) -> Map<String, Value> {
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
pub(super) fn valid_value(root: &Value, s: &Value, depth: usize) -> Option<Value> {
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
pub(super) fn number_value(s: &Value, integer: bool) -> Value {
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
pub(super) fn checked_base(
    contract: &Operation,
    mut base: Map<String, Value>,
) -> Map<String, Value> {
    let validator = &contract.request_validator;
    // Where a discriminator names the branches, the base names its branch too.
    let tagged = super::tagged_validator(contract);
    let takes = |b: &Map<String, Value>| {
        let b = Value::Object(b.clone());
        validator.is_valid(&b) && tagged.as_ref().is_none_or(|t| t.is_valid(&b))
    };
    if takes(&base) {
        return base;
    }
    let Ok(strategy) = crate::cases::generate::valid(&contract.request_schema) else {
        return base;
    };
    // Up to 64 held at once, fewer of large ones: about 64 MB of them at most.
    let smallest = crate::cases::generate::smallest_size(&contract.request_schema).max(1);
    let n = ((64 << 20) / smallest).clamp(2, 64) as usize;
    let samples: Vec<Map<String, Value>> = crate::cases::generate::sample(&strategy, 0x5eed, n)
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
    if takes(&base) {
        return base;
    }
    samples.into_iter().max_by_key(Map::len).unwrap_or(base)
}

fn is_future_instant(v: &Value) -> bool {
    v.as_str()
        .and_then(parse_rfc3339)
        .is_some_and(|t| t > time::OffsetDateTime::now_utc())
}
