//! The array keywords against the validator: valid values from many seeds pass jsonschema 0.61
//! (2020-12, formats asserted), and every invalid value fails it.

use serde_json::{json, Value};

use super::{invalid, sample, valid, GenError};

use super::compose_tests::validator;

/// Valid values from 60 seeds pass, invalid ones fail; returns the valid values and the
/// keywords the invalid ones name.
fn check(schema: Value) -> (Vec<Value>, Vec<(&'static str, String)>) {
    let v = validator(&schema);
    let strategy = valid(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"));
    let mut all = Vec::new();
    for seed in 0..60 {
        for value in sample(&strategy, seed, 4).unwrap() {
            assert!(v.is_valid(&value), "{schema}\nvalid? {value}");
            all.push(value);
        }
    }
    let strategy = invalid(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"));
    let mut named = Vec::new();
    for seed in 0..60 {
        for inv in sample(&strategy, seed, 4).unwrap() {
            assert!(
                !v.is_valid(&inv.value),
                "{schema}\ninvalid? {} ({} at {})",
                inv.value,
                inv.keyword,
                inv.pointer
            );
            let found: Vec<(String, String)> = v
                .iter_errors(&inv.value)
                .map(|e| {
                    let at = e.instance_path().as_str().to_owned();
                    (at, e.kind().keyword().to_owned())
                })
                .collect();
            let expected = (inv.pointer.clone(), inv.keyword.to_owned());
            assert!(
                found.contains(&expected),
                "{schema}
{}: expected {expected:?}, found {found:?}",
                inv.value
            );
            named.push((inv.keyword, inv.pointer));
        }
    }
    (all, named)
}

fn names(named: &[(&'static str, String)], keyword: &str) -> Vec<String> {
    named
        .iter()
        .filter(|(k, _)| *k == keyword)
        .map(|(_, p)| p.clone())
        .collect()
}

#[test]
fn a_prefix_items_tuple_draws_each_position_from_its_schema() {
    let schema = json!({
        "type": "array",
        "prefixItems": [{"type": "string", "format": "uuid"}, {"type": "integer", "minimum": 5}],
        "items": {"type": "boolean"},
        "minItems": 1
    });
    let (values, named) = check(schema);
    assert!(values.iter().any(|v| v.as_array().unwrap().len() > 2));
    assert!(values.iter().any(|v| v.as_array().unwrap().len() == 1));
    for kw in ["format", "minimum", "minItems"] {
        assert!(!names(&named, kw).is_empty(), "no {kw} break: {named:?}");
    }
    assert!(names(&named, "format").iter().all(|p| p == "/0"));
    assert!(names(&named, "minimum").iter().all(|p| p == "/1"));
    // A wrong type past the prefix breaks `items`, at its own position.
    let type_at: Vec<String> = names(&named, "type");
    assert!(type_at
        .iter()
        .any(|p| p.starts_with('/') && p[1..].parse::<usize>().unwrap() >= 2));
}

#[test]
fn items_false_and_unevaluated_items_false_close_the_tuple() {
    for closing in ["items", "unevaluatedItems"] {
        let mut schema = json!({
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string", "maxLength": 3}],
        });
        schema[closing] = json!(false);
        let (values, named) = check(schema.clone());
        assert!(
            values.iter().all(|v| v.as_array().unwrap().len() <= 2),
            "{schema}"
        );
        assert!(
            values.iter().any(|v| v.as_array().unwrap().len() == 2),
            "{schema}"
        );
        let reported = if closing == "items" {
            "falseSchema"
        } else {
            closing
        };
        assert!(!names(&named, reported).is_empty(), "{schema}: {named:?}");
        assert!(
            !names(&named, "maxLength").is_empty(),
            "{schema}: {named:?}"
        );
    }
    // `unevaluatedItems` beside `items` is moot; beside a composition it is refused.
    check(
        json!({"prefixItems": [{"type": "null"}], "items": {"type": "integer"}, "unevaluatedItems": false}),
    );
    let err =
        valid(&json!({"allOf": [{"prefixItems": [true]}], "unevaluatedItems": false})).unwrap_err();
    assert!(matches!(err, GenError::Unsupported { .. }), "{err}");
    assert_eq!(err.pointer(), Some("/unevaluatedItems"));
    let err = valid(&json!({"unevaluatedItems": {"type": "string"}})).unwrap_err();
    assert_eq!(err.pointer(), Some("/unevaluatedItems"));
}

#[test]
fn contains_with_min_and_max_counts_matching_items() {
    let schema = json!({
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 50},
        "contains": {"minimum": 10, "maximum": 20},
        "minContains": 2,
        "maxContains": 3
    });
    let (values, named) = check(schema);
    for v in &values {
        let n = v
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| (10.0..=20.0).contains(&i.as_f64().unwrap()))
            .count();
        assert!((2..=3).contains(&n), "{v}");
    }
    for kw in ["contains", "maximum"] {
        assert!(!names(&named, kw).is_empty(), "no {kw} break: {named:?}");
    }
    // Both bounds are broken: too few matches and too many.
    let broken = invalid(
        &json!({"type": "array", "items": {"type": "integer", "minimum": 0},
        "contains": {"minimum": 10}, "minContains": 2, "maxContains": 3}),
    )
    .unwrap();
    let counts: Vec<usize> = (0..60)
        .flat_map(|seed| sample(&broken, seed, 4).unwrap())
        .filter(|inv| inv.keyword == "contains")
        .map(|inv| {
            let list = inv.value.as_array().unwrap().clone();
            list.iter().filter(|i| i.as_f64().unwrap() >= 10.0).count()
        })
        .collect();
    assert!(counts.contains(&1) && counts.contains(&4), "{counts:?}");
    // Plain `contains` asks for one match, and a break with none names `contains`.
    let (_, named) = check(json!({"type": "array", "contains": {"const": "x"}, "maxItems": 4}));
    assert!(!names(&named, "contains").is_empty(), "{named:?}");
    check(json!({"contains": {"type": "string"}, "minContains": 0, "maxContains": 1}));
    // Huge counts are refused or left unbroken, never drawn.
    let err = valid(&json!({"contains": {"type": "string"}, "minContains": 1_000_000_000u64}))
        .unwrap_err();
    assert_eq!(err.pointer(), Some("/minContains"), "{err}");
    check(
        json!({"type": "array", "contains": {"type": "string"}, "maxContains": 1_000_000_000u64}),
    );
}

#[test]
fn prefix_items_merge_with_another_members_items_and_two_prefixes_are_refused() {
    let schema = json!({"allOf": [
        {"type": "array", "prefixItems": [{"type": "integer"}]},
        {"items": {"type": "integer", "minimum": 3, "maximum": 9}, "maxItems": 3}
    ]});
    let (values, _) = check(schema);
    assert!(values
        .iter()
        .flat_map(|v| v.as_array().unwrap())
        .all(|i| { i.as_f64().is_some_and(|x| (3.0..=9.0).contains(&x)) }));
    check(json!({"allOf": [
        {"type": "array", "prefixItems": [{"type": "integer"}, true], "items": false},
        {"contains": {"type": "string"}, "maxContains": 1, "minContains": 0}
    ]}));
    let err =
        valid(&json!({"allOf": [{"prefixItems": [true]}, {"prefixItems": [true]}]})).unwrap_err();
    assert!(matches!(err, GenError::Unsupported { .. }), "{err}");
    check(
        json!({"type": "object", "properties": {"pair": {"type": "array",
        "prefixItems": [{"enum": ["a", "b"]}, {"type": "number"}], "items": false, "minItems": 2}},
        "required": ["pair"]}),
    );
}

#[test]
fn length_bounds_meet_the_prefix_and_contains() {
    for schema in [
        json!({"prefixItems": [{"type": "integer"}, {"type": "string"}, {"type": "null"}], "maxItems": 2}),
        json!({"type": "array", "prefixItems": [{"type": "integer"}], "minItems": 4, "maxItems": 6,
            "contains": {"type": "string", "format": "email"}, "maxContains": 2}),
        json!({"type": "array", "items": false}),
        json!({"type": "array", "prefixItems": [{"type": "boolean"}], "uniqueItems": true,
            "items": {"type": "integer"}, "contains": {"const": 7}}),
        json!({"type": "array", "contains": {"type": "integer"}, "minContains": 3, "maxItems": 3}),
        json!({"$defs": {"T": {"type": "array", "prefixItems": [{"type": "integer"}, {"$ref": "#/$defs/T"}]}},
            "$ref": "#/$defs/T"}),
    ] {
        check(schema);
    }
}

/// `oneOf` and `not` rest on our own verdict on arrays, which must be the validator's.
#[test]
fn unions_and_not_over_tuples_and_contains_agree_with_the_validator() {
    check(json!({"type": "array", "oneOf": [
        {"prefixItems": [{"type": "integer"}], "items": false},
        {"contains": {"type": "string"}, "maxContains": 1}
    ]}));
    check(
        json!({"type": "array", "maxItems": 4, "items": {"type": ["integer", "string"]},
        "not": {"contains": {"type": "string"}, "minContains": 2}}),
    );
    check(json!({"type": "array", "anyOf": [
        {"prefixItems": [{"const": 1}, {"const": 2}], "unevaluatedItems": false},
        {"items": {"type": "boolean"}, "minItems": 1}
    ]}));
}
