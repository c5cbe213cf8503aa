//! What an operation's derived cases cost to build, estimated before any is built: a length
//! case holds a string of `maxLength + 1` characters, in four encodings, so 200 properties of
//! `maxLength: 1000000` ask for gigabytes. Past the budget the operation is listed as not
//! tested, with the pointer of the rule that costs most.

use serde_json::Value;

use super::values::{length_bound, types_of, valid_value};
use crate::contract::{pointer_token, Operation};

/// The most bytes the derived cases of one operation may hold: some 40 times what 2,000
/// properties of `maxLength: 40` need, and far from exhausting memory.
pub const MAX_DERIVED_BYTES: u64 = 256 << 20;

/// Bytes per code point the eight length cases hold together: at `maxLength` and one past it,
/// in ASCII (1), 2-byte (2), 4-byte (4) and combining-sequence (3) characters.
const LENGTH_CASE_BYTES: u64 = 2 * (1 + 2 + 4 + 3);

/// Refuses an operation whose derived cases would hold more than [`MAX_DERIVED_BYTES`]:
/// (pointer, why).
pub fn check_budget(contract: &Operation) -> Result<(), (String, String)> {
    let root = &contract.request_schema;
    let body = crate::contract::resolve_local(root, root);
    let Some(props) = body.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    let mut top = (0, String::new());
    for (name, s) in props {
        let s = crate::contract::unwrap_schema(root, s);
        let (cost, keyword) = property_cost(root, s);
        total = total.saturating_add(cost);
        if cost > top.0 {
            top = (
                cost,
                format!("/properties/{}/{keyword}", pointer_token(name)),
            );
        }
    }
    if total <= MAX_DERIVED_BYTES {
        return Ok(());
    }
    Err((
        top.1,
        format!(
            "its derived cases would hold about {} MB, above the budget of {} MB (a length or size case holds a value one past the bound); the rule here costs most",
            total >> 20,
            MAX_DERIVED_BYTES >> 20
        ),
    ))
}

/// What one property's boundary cases hold, and the keyword that costs most.
fn property_cost(root: &Value, s: &Value) -> (u64, &'static str) {
    let types = types_of(s);
    let free_text = ["format", "pattern", "enum", "const"]
        .iter()
        .all(|k| s.get(*k).is_none());
    let mut cost: (u64, &'static str) = (0, "maxLength");
    if free_text && types.iter().any(|t| t == "string") {
        let max = length_bound(s, "maxLength").unwrap_or(0) as u64;
        let min = length_bound(s, "minLength").unwrap_or(0) as u64;
        cost = (
            max.saturating_add(1).saturating_mul(LENGTH_CASE_BYTES) + 2 * min,
            if max > 0 { "maxLength" } else { "minLength" },
        );
    }
    if types.iter().any(|t| t == "array") {
        let item = s
            .get("items")
            .and_then(|i| valid_value(root, i, 1))
            .map_or(8, |v| v.to_string().len() as u64 + 1);
        let max = length_bound(s, "maxItems").unwrap_or(0) as u64;
        let min = length_bound(s, "minItems").unwrap_or(0) as u64;
        let arrays = (2 * max + 2 + 2 * min).saturating_mul(item);
        if arrays > cost.0 {
            cost.1 = if max > 0 { "maxItems" } else { "minItems" };
        }
        cost.0 = cost.0.saturating_add(arrays);
    }
    cost
}

#[cfg(test)]
mod tests {

    use serde_json::{json, Map, Value};

    use super::*;
    use crate::cases::derive::tests::operation_with as operation;

    fn strings(n: usize, max: u64) -> Value {
        let props: Map<String, Value> = (0..n)
            .map(|i| (format!("f{i}"), json!({"type": "string", "maxLength": max})))
            .collect();
        json!({"type": "object", "properties": props})
    }

    #[test]
    fn many_long_strings_pass_the_budget_and_the_operation_is_refused_with_a_pointer() {
        assert!(check_budget(&operation(strings(2000, 40))).is_ok());
        assert!(check_budget(&operation(strings(10, 1 << 20))).is_ok());
        let (pointer, why) = check_budget(&operation(strings(200, 1 << 20))).unwrap_err();
        assert!(pointer.ends_with("/maxLength"), "{pointer}");
        assert!(why.contains("above the budget of 256 MB"), "{why}");
        let arrays = json!({"type": "object", "properties": {"a": {"type": "array",
            "maxItems": 1000000, "items": {"type": "string", "minLength": 1000}}}});
        let (pointer, _) = check_budget(&operation(arrays)).unwrap_err();
        assert_eq!(pointer, "/properties/a/maxItems");
    }
}
