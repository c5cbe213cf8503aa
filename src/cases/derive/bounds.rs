//! Boundary cases of a body property beyond its strings: a value outside its `enum` or other
//! than its `const`, the numbers at and one step past each bound, and arrays at and one past
//! `minItems` and `maxItems`, with a repeated item where `uniqueItems` forbids one. The same
//! rules as a parameter's, read off the property's schema.

use serde_json::{json, Value};

use super::params::{enum_break, ranges, Trial};
use super::values::{length_bound, types_of, valid_value};
use super::Deriver;
use crate::cases::ParamSent;
use crate::contract::Class;

/// The longest array a size case builds: a larger bound gets no case rather than a huge body.
const MAX_ITEMS_BUILT: usize = 1000;

impl Deriver<'_> {
    /// `enum::{prop}::*`, `boundary::{prop}::*` for numbers and arrays. A trial the property's
    /// schema judges otherwise than built (a `multipleOf` beside a bound, say) is left out, so
    /// no case is sent with a wrong expectation.
    pub(super) fn bounds(&mut self, prop: &str, s: &Value) {
        let types = types_of(s);
        let mut trials = Vec::new();
        if let Some(v) = s
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| enum_break(e))
        {
            trials.push(Trial::new(
                "not_in_enum",
                format!("{v}, which is not in the enum"),
                Class::Invalid,
                ParamSent::Json(v),
            ));
        }
        if let Some(v) = s.get("const").and_then(other_than) {
            trials.push(Trial::new(
                "not_const",
                format!("{v}, which is not the const"),
                Class::Invalid,
                ParamSent::Json(v),
            ));
        }
        if types.iter().any(|t| t == "integer" || t == "number") {
            trials.extend(ranges(s, !types.iter().any(|t| t == "number")));
        }
        if types.iter().any(|t| t == "array") {
            trials.extend(self.sizes(s));
        }
        if trials.is_empty() {
            return;
        }
        let Some(validator) = self.property_validator(s) else {
            return;
        };
        for t in trials {
            let ParamSent::Json(value) = t.value else {
                continue;
            };
            if validator.is_valid(&value) != (t.class == Class::Valid) {
                continue;
            }
            let kind = if t.rule.starts_with("not_") {
                "enum"
            } else {
                "boundary"
            };
            self.prop_case(kind, prop, &t.rule, t.title, t.class, Some(value));
        }
    }

    /// The property's schema on its own, with the request schema's `$defs` for its references.
    fn property_validator(&self, s: &Value) -> Option<jsonschema::Validator> {
        let mut schema = s.as_object()?.clone();
        if let Some(defs) = self.contract.request_schema.get("$defs") {
            schema.insert("$defs".into(), defs.clone());
        }
        crate::contract::compile(
            &Value::Object(schema),
            std::path::Path::new("request schema"),
        )
        .ok()
    }

    /// Arrays at and one past their size bounds, and one with an item repeated.
    fn sizes(&self, s: &Value) -> Vec<Trial> {
        let root = &self.contract.request_schema;
        let item = s
            .get("items")
            .filter(|i| i.is_object())
            .map_or(Some(json!("text")), |i| valid_value(root, i, 1));
        let Some(item) = item else {
            return Vec::new();
        };
        let unique = s.get("uniqueItems") == Some(&Value::Bool(true));
        // Distinct items where they must be: the valid one with a suffix, where it is a string.
        let items = |n: usize| -> Option<Value> {
            if n > MAX_ITEMS_BUILT {
                return None;
            }
            if !unique || n <= 1 {
                return Some(Value::Array(vec![item.clone(); n]));
            }
            let text = item.as_str()?;
            Some(Value::Array(
                (0..n).map(|i| json!(format!("{text}{i}"))).collect(),
            ))
        };
        let mut out = Vec::new();
        let mut push = |rule: &str, title: String, class: Class, n: usize| {
            if let Some(v) = items(n) {
                out.push(Trial::new(rule, title, class, ParamSent::Json(v)));
            }
        };
        if let Some(min) = length_bound(s, "minItems").filter(|m| *m > 0) {
            push(
                "min_items",
                format!("exactly minItems ({min}) items"),
                Class::Valid,
                min,
            );
            push(
                "min_items_minus_1",
                format!("minItems - 1 ({}) items", min - 1),
                Class::Invalid,
                min - 1,
            );
        }
        if let Some(max) = length_bound(s, "maxItems") {
            if max > 0 {
                push(
                    "max_items",
                    format!("exactly maxItems ({max}) items"),
                    Class::Valid,
                    max,
                );
            }
            push(
                "max_items_plus_1",
                format!("maxItems + 1 ({}) items", max + 1),
                Class::Invalid,
                max + 1,
            );
        }
        if unique {
            out.push(Trial::new(
                "repeated_item",
                "an item twice (uniqueItems)".into(),
                Class::Invalid,
                ParamSent::Json(json!([item.clone(), item])),
            ));
        }
        out
    }
}

/// A value of the const's type that differs from it.
fn other_than(c: &Value) -> Option<Value> {
    Some(match c {
        Value::String(s) => json!(format!("{s}_other")),
        Value::Number(n) => json!(n.as_f64()? + 1.0),
        Value::Bool(b) => json!(!b),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use crate::cases::derive::derive;
    use crate::cases::derive::tests::operation_with as operation;
    use crate::contract::Class;

    #[test]
    fn enums_consts_numbers_and_arrays_get_their_boundaries() {
        let schema = json!({
            "type": "object",
            "required": ["kind"],
            "properties": {
                "kind": {"type": "string", "enum": ["a", "b"]},
                "version": {"const": 2},
                "count": {"type": "integer", "minimum": 1, "maximum": 10},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "even": {"type": "integer", "minimum": 1, "multipleOf": 2},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                         "maxItems": 3, "uniqueItems": true}
            }
        });
        let c = operation(schema);
        let cases = derive(&c);
        let expected = [
            ("enum::kind::not_in_enum", Class::Invalid),
            ("enum::version::not_const", Class::Invalid),
            ("boundary::count::minimum", Class::Valid),
            ("boundary::count::minimum_minus_1", Class::Invalid),
            ("boundary::count::maximum", Class::Valid),
            ("boundary::count::maximum_plus_1", Class::Invalid),
            ("boundary::ratio::exclusive_minimum", Class::Invalid),
            ("boundary::ratio::exclusive_maximum", Class::Invalid),
            ("boundary::ratio::exclusive_maximum_minus_1", Class::Valid),
            ("boundary::tags::min_items", Class::Valid),
            ("boundary::tags::min_items_minus_1", Class::Invalid),
            ("boundary::tags::max_items", Class::Valid),
            ("boundary::tags::max_items_plus_1", Class::Invalid),
            ("boundary::tags::repeated_item", Class::Invalid),
        ];
        for (id, class) in expected {
            let case = cases
                .iter()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("no case {id}"));
            assert_eq!(case.class(), class, "{id}: {}", case.title);
            let body = case.request.body.json().unwrap();
            assert_eq!(
                c.request_validator.is_valid(&body),
                class == Class::Valid,
                "{id}: {body}"
            );
        }
        // 1 is the minimum but odd: the schema refuses it, so no case claims it valid.
        assert!(!cases.iter().any(|c| c.id == "boundary::even::minimum"));
        assert!(cases
            .iter()
            .any(|c| c.id == "boundary::even::minimum_minus_1"));
    }
}
