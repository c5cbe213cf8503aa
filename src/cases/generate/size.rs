//! What the smallest valid value of a schema weighs, read off the rule tree without building
//! anything: a few lines of schema (`minItems: 5000` of `minItems: 5000` of `minLength: 1000`)
//! can ask for gigabytes, and such an operation is listed as not tested with the pointer of
//! the rule that asks, instead of exhausting memory.

use serde_json::Value;

use super::schema::{JsonType, Node};
use super::GenError;

/// The most bytes of JSON text the smallest valid value of one request schema may take: above
/// any real body's smallest form (Express refuses bodies past 100 KB by default, nginx past
/// 1 MB), low enough that the derived cases, some of which hold the body whole as text (the
/// JSON-grammar and media-type cases), stay in a few hundred MB.
pub const MAX_VALUE_BYTES: u64 = 1 << 20;

/// How deep the walk goes; deeper rules add what they add below this bound only.
const MAX_DEPTH: usize = 64;

/// A lower bound of the size, in bytes of JSON text, of every value `node` accepts (the
/// compositions beside it can only add to it), and the pointer of the rule that contributes
/// most to it.
pub(super) fn smallest<'a>(node: &'a Node, depth: usize) -> (u64, &'a str) {
    let here = node.pointer.as_str();
    if node.cut || depth > MAX_DEPTH {
        return (0, here);
    }
    if let Some(c) = &node.constant {
        return (text_len(c), here);
    }
    if let Some(values) = &node.enumeration {
        return (values.iter().map(text_len).min().unwrap_or(0), here);
    }
    let scalar = [
        JsonType::Null,
        JsonType::Boolean,
        JsonType::Integer,
        JsonType::Number,
    ];
    if scalar.iter().any(|t| node.types.has(*t)) {
        return (1, here);
    }
    let mut best: Option<(u64, &'a str)> = None;
    let mut consider = |size: (u64, &'a str)| {
        if best.is_none_or(|b| size.0 < b.0) {
            best = Some(size);
        }
    };
    if node.types.has(JsonType::String) {
        consider((node.string.min_length.saturating_add(2), here));
    }
    if node.types.has(JsonType::Array) {
        consider(array(node, depth));
    }
    if node.types.has(JsonType::Object) {
        consider(object(node, depth));
    }
    // Types that admit nothing: nothing to weigh.
    best.unwrap_or((0, here))
}

fn array<'a>(node: &'a Node, depth: usize) -> (u64, &'a str) {
    let rules = &node.array;
    let mut total: u64 = 2;
    let mut top = (0, node.pointer.as_str());
    let mut add = |size: u64, count: u64, at: &'a str| {
        let weight = size.saturating_add(1).saturating_mul(count);
        total = total.saturating_add(weight);
        if weight > top.0 {
            top = (weight, at);
        }
    };
    let from_prefix = rules.prefix.len().min(rules.min_items as usize);
    for item in &rules.prefix[..from_prefix] {
        let (size, at) = smallest(item, depth + 1);
        add(size, 1, at);
    }
    let rest = rules.min_items.saturating_sub(from_prefix as u64);
    if rest > 0 {
        match &rules.items {
            Some(item) => {
                let (size, at) = smallest(item, depth + 1);
                // The rule that multiplies is this array's `minItems` when its items are small.
                let at = if size <= 8 { node.pointer.as_str() } else { at };
                add(size, rest, at);
            }
            None => add(1, rest, node.pointer.as_str()),
        }
    }
    (total, top.1)
}

fn object(node: &Node, depth: usize) -> (u64, &str) {
    let rules = &node.object;
    let mut total: u64 = 2;
    let mut top = (0, node.pointer.as_str());
    for name in &rules.required {
        let (size, at) = rules
            .properties
            .iter()
            .find(|(n, _)| n == name)
            .map_or((1, node.pointer.as_str()), |(_, p)| smallest(p, depth + 1));
        let weight = size.saturating_add(name.len() as u64 + 4);
        total = total.saturating_add(weight);
        if weight > top.0 {
            top = (weight, at);
        }
    }
    (total, top.1)
}

fn text_len(v: &Value) -> u64 {
    v.to_string().len() as u64
}

/// A value past a quarter of the budget: an optional property this large is never drawn,
/// and an array of such items is drawn at its `minItems`, so a drawn value stays near the
/// smallest one in size.
pub(super) fn bulky(node: &Node) -> bool {
    smallest(node, 0).0 > MAX_VALUE_BYTES / 4
}

/// Refuses a schema whose smallest valid value is past [`MAX_VALUE_BYTES`], naming the rule
/// that asks for most of it.
pub(super) fn check(node: &Node) -> Result<(), GenError> {
    let (size, pointer) = smallest(node, 0);
    if size <= MAX_VALUE_BYTES {
        return Ok(());
    }
    Err(GenError::TooLarge {
        pointer: pointer.to_string(),
        bytes: size,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{valid, GenError};

    #[test]
    fn a_schema_whose_smallest_value_is_gigabytes_is_refused_at_the_rule_that_asks() {
        let nested = json!({"type": "object", "required": ["a"], "properties": {"a": {
            "type": "array", "minItems": 5000, "items": {
                "type": "array", "minItems": 5000, "items": {"type": "string", "minLength": 1000}}}}});
        match valid(&nested) {
            Err(GenError::TooLarge { pointer, bytes }) => {
                assert!(bytes > 20_000_000_000, "{bytes}");
                assert_eq!(pointer, "/properties/a/items/items");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        let many = json!({"type": "array", "minItems": 10000, "items": {"type": "string", "minLength": 10000}});
        match valid(&many) {
            Err(GenError::TooLarge { pointer, .. }) => assert_eq!(pointer, "/items"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn optional_bulk_is_never_drawn_and_bulky_items_only_as_many_as_required() {
        // An enum of one large string: as large as a long minLength, without drawing it.
        let big = json!({"enum": ["x".repeat(300_000)]});
        let schema = json!({"type": "object", "required": ["list"], "properties": {
            "bulk": big,
            "list": {"type": "array", "minItems": 2, "items": big}
        }});
        let strategy = valid(&schema).unwrap();
        for v in super::super::sample(&strategy, 7, 16).unwrap() {
            assert!(v.get("bulk").is_none());
            assert_eq!(v["list"].as_array().map(Vec::len), Some(2));
        }
    }

    #[test]
    fn large_but_reasonable_values_and_optional_or_alternative_bulk_pass() {
        for schema in [
            json!({"type": "string", "minLength": 1000000}),
            json!({"type": "array", "minItems": 100, "items": {"type": "string", "minLength": 10000}}),
            // Optional: the smallest value leaves it out.
            json!({"type": "object", "properties": {"a": {"type": "array", "minItems": 10000,
                "items": {"type": "string", "minLength": 100000}}}}),
            // A null is a valid value too.
            json!({"type": ["array", "null"], "minItems": 10000,
                "items": {"type": "string", "minLength": 100000}}),
            json!({"enum": ["a", {"big": "x"}]}),
        ] {
            assert!(valid(&schema).is_ok(), "{schema}");
        }
    }
}
