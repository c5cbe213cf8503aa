//! Rules checked on a drawn value rather than built into it: `multipleOf`, `minProperties`,
//! `maxProperties`, `uniqueItems`, `dependentRequired`. Valid values are the node's other
//! values that pass them (plus exact multiples, which random numbers seldom are); invalid ones
//! are the node's valid values that fail exactly this rule.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::build::{self, restrict};
use super::schema::{child, is_integral, json_eq, malformed, JsonType, Node, Reader};
use super::{GenError, Invalid};

#[derive(Clone, Debug)]
pub(crate) enum Check {
    MultipleOf(f64),
    MinProperties(u64),
    MaxProperties(u64),
    UniqueItems,
    /// `dependentRequired`: when the first is present, so must all the others be.
    DependentRequired(Vec<(String, Vec<String>)>),
}

/// The keywords read here.
pub(super) const KEYWORDS: &[&str] = &[
    "multipleOf",
    "minProperties",
    "maxProperties",
    "uniqueItems",
    "dependentRequired",
];

fn count(value: &Value, at: String) -> Result<u64, GenError> {
    match value {
        Value::Number(n) if is_integral(n) && n.as_f64().is_some_and(|f| f >= 0.0) => {
            Ok(n.as_f64().map_or(0, |f| f as u64))
        }
        _ => Err(malformed(at, "expected a non-negative integer")),
    }
}

/// Reads the checks of `map`.
pub(super) fn read(
    _reader: &mut Reader<'_>,
    map: &Map<String, Value>,
    pointer: &str,
) -> Result<Vec<Check>, GenError> {
    let mut out = Vec::new();
    for (keyword, value) in map {
        let at = child(pointer, &[keyword]);
        out.push(match keyword.as_str() {
            "multipleOf" => match value.as_f64() {
                Some(m) if m > 0.0 && m.is_finite() => Check::MultipleOf(m),
                _ => return Err(malformed(at, "`multipleOf` must be a positive number")),
            },
            "minProperties" => Check::MinProperties(count(value, at)?),
            "maxProperties" => Check::MaxProperties(count(value, at)?),
            "uniqueItems" => match value {
                Value::Bool(true) => Check::UniqueItems,
                Value::Bool(false) => continue,
                _ => return Err(malformed(at, "`uniqueItems` must be a boolean")),
            },
            "dependentRequired" => {
                let Value::Object(deps) = value else {
                    return Err(malformed(at, "`dependentRequired` must be an object"));
                };
                let mut list = Vec::new();
                for (name, names) in deps {
                    let names = names.as_array().and_then(|l| {
                        l.iter()
                            .map(|n| n.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    });
                    let Some(names) = names else {
                        return Err(malformed(
                            at,
                            "`dependentRequired` values must be arrays of strings",
                        ));
                    };
                    list.push((name.clone(), names));
                }
                Check::DependentRequired(list)
            }
            _ => continue,
        });
    }
    Ok(out)
}

/// Whether `x / m` is an integer, read as the decimals the two print as (`0.1` is one tenth,
/// not the binary value nearest it), as jsonschema 0.61 and JSON Schema mean it; `None` past
/// what `i128` holds, where the validator falls back to another reading.
pub(crate) fn is_multiple(x: f64, m: f64) -> Option<bool> {
    if x == 0.0 {
        return Some(true);
    }
    if x.abs() < m {
        return Some(false);
    }
    let (xm, xd) = decimal(x)?;
    let (mm, md) = decimal(m)?;
    let shared = xd.min(md);
    let scale = |mantissa: i128, decimals: i32| {
        mantissa.checked_mul(10_i128.checked_pow(u32::try_from(decimals - shared).ok()?)?)
    };
    let divisor = scale(mm, xd)?;
    (divisor != 0).then(|| scale(xm, md).map(|n| n % divisor == 0))?
}

/// `x` as `mantissa / 10^decimals`, from its shortest round-trip spelling.
fn decimal(x: f64) -> Option<(i128, i32)> {
    if !x.is_finite() {
        return None;
    }
    let text = format!("{x:e}");
    let (digits, exponent) = text.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some((mantissa, fraction.len() as i32 - exponent))
}

/// `multipleOf` on a JSON number; integers are divided exactly, as the validator does.
fn multiple_of(n: &serde_json::Number, m: f64) -> Option<bool> {
    if m.fract() == 0.0 && m <= 9e15 {
        if let Some(i) = n.as_i64() {
            return Some(i % (m as i64) == 0);
        }
        if let Some(u) = n.as_u64() {
            return Some(u % (m as u64) == 0);
        }
    }
    n.as_f64().and_then(|x| is_multiple(x, m))
}

impl Check {
    pub(crate) fn keyword(&self) -> &'static str {
        match self {
            Check::MultipleOf(_) => "multipleOf",
            Check::MinProperties(_) => "minProperties",
            Check::MaxProperties(_) => "maxProperties",
            Check::UniqueItems => "uniqueItems",
            Check::DependentRequired(_) => "dependentRequired",
        }
    }

    pub(crate) fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (Check::MultipleOf(m), Value::Number(n)) => multiple_of(n, *m) == Some(true),
            (Check::MinProperties(n), Value::Object(o)) => o.len() as u64 >= *n,
            (Check::MaxProperties(n), Value::Object(o)) => o.len() as u64 <= *n,
            (Check::UniqueItems, Value::Array(items)) => items
                .iter()
                .enumerate()
                .all(|(i, a)| items[..i].iter().all(|b| !json_eq(a, b))),
            (Check::DependentRequired(deps), Value::Object(o)) => deps
                .iter()
                .all(|(k, needed)| !o.contains_key(k) || needed.iter().all(|n| o.contains_key(n))),
            _ => true,
        }
    }
}

/// Multiples of `m` inside `node`'s own rules: `k·m` spelt as a decimal, for small `k` and
/// for `k` just above the minimum.
pub(crate) fn multiples(node: &Node, m: f64) -> Option<BoxedStrategy<Value>> {
    if !node.types.admits(JsonType::Integer) {
        return None;
    }
    let (mm, md) = decimal(m)?;
    let lo = node.number.minimum.or(node.number.exclusive_minimum);
    let near = lo
        .filter(|l| l.abs() < 1e15)
        .map_or(0, |l| (l / m).ceil() as i64);
    let mut candidates: Vec<Value> = Vec::new();
    for k in (-50i64..=50).chain(near - 2..=near + 20) {
        let Some(product) = mm.checked_mul(i128::from(k)) else {
            continue;
        };
        let value = if md <= 0 {
            product
                .checked_mul(10_i128.checked_pow(md.unsigned_abs()).unwrap_or(0))
                .and_then(|p| i64::try_from(p).ok())
                .map(Value::from)
        } else {
            format!("{product}e-{md}")
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
        };
        if let Some(v) = value.filter(|v| node.accepts(v)) {
            if !candidates.contains(&v) {
                candidates.push(v);
            }
        }
    }
    (!candidates.is_empty()).then(|| proptest::sample::select(candidates).boxed())
}

/// Values valid for `base` that fail `check`.
pub(crate) fn breaks(base: &Node, check: &Check) -> Option<BoxedStrategy<Invalid>> {
    let keyword = check.keyword();
    let values = build::valid(base).ok()?;
    let values = match check {
        Check::UniqueItems => {
            let whole = base.clone();
            values
                .prop_map(move |v| match v {
                    Value::Array(mut items) if !items.is_empty() => {
                        items.push(items[0].clone());
                        let v = Value::Array(items);
                        if whole.accepts(&v) {
                            v
                        } else {
                            Value::Null
                        }
                    }
                    other => other,
                })
                .boxed()
        }
        _ => values,
    };
    let check = check.clone();
    let base = base.clone();
    let rejected = restrict(values, "passes the check", move |v| {
        let fails = match (&check, v) {
            // Only where the validator's answer is known.
            (Check::MultipleOf(m), Value::Number(n)) => multiple_of(n, *m) == Some(false),
            _ => !check.accepts(v),
        };
        fails && base.accepts(v)
    })?;
    Some(
        rejected
            .prop_map(move |value| Invalid {
                value,
                pointer: String::new(),
                keyword,
            })
            .boxed(),
    )
}
