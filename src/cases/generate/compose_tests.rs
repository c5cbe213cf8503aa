//! Composition and recursion against the validator: valid values from many seeds pass
//! jsonschema 0.61 (2020-12, formats asserted) and every invalid value fails it.

use serde_json::{json, Value};

use super::{invalid, sample, valid, GenError};

/// The oracle of the generator's tests: jsonschema 2020-12 with formats asserted.
pub(super) fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .expect("schema compiles")
}

/// Valid values from 60 seeds pass, invalid ones (if `breaks`) fail; returns the valid values.
fn check(schema: Value, breaks: bool) -> Vec<Value> {
    let v = validator(&schema);
    let strategy = valid(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"));
    let mut all = Vec::new();
    for seed in 0..60 {
        for value in sample(&strategy, seed, 4).unwrap() {
            assert!(v.is_valid(&value), "{schema}\nvalid? {value}");
            all.push(value);
        }
    }
    if breaks {
        let strategy = invalid(&schema).unwrap_or_else(|e| panic!("{schema}: {e}"));
        for seed in 0..60 {
            for inv in sample(&strategy, seed, 4).unwrap() {
                assert!(
                    !v.is_valid(&inv.value),
                    "{schema}\ninvalid? {} ({} at {})",
                    inv.value,
                    inv.keyword,
                    inv.pointer
                );
            }
        }
    }
    all
}

fn refused(schema: Value) -> GenError {
    valid(&schema)
        .err()
        .unwrap_or_else(|| panic!("{schema} accepted"))
}

#[test]
fn all_of_merges_openapi_inheritance() {
    let schema = json!({
        "$defs": {"Base": {"type": "object", "required": ["id"],
            "properties": {"id": {"type": "integer", "minimum": 1}}}},
        "allOf": [
            {"$ref": "#/$defs/Base"},
            {"properties": {"name": {"type": "string", "maxLength": 4}, "id": {"maximum": 9}},
             "required": ["name"]}
        ]
    });
    let values = check(schema, true);
    assert!(
        values
            .iter()
            .all(|v| v["id"].as_f64().is_some_and(|i| (1.0..=9.0).contains(&i))),
        "{values:?}"
    );
    assert!(values.iter().all(|v| v["name"].is_string()));
}

#[test]
fn all_of_intersects_types_bounds_and_enums() {
    check(
        json!({"allOf": [{"type": ["number", "string"]}, {"type": "integer", "minimum": 3}, {"maximum": 7}]}),
        true,
    );
    check(
        json!({"allOf": [{"type": "string"}, {"maxLength": 3}, {"minLength": 2}]}),
        true,
    );
    let values = check(
        json!({"allOf": [{"enum": [1, 2, 3, "a"]}, {"enum": [2, 3, "b"]}, {"not": {"const": 3}}]}),
        true,
    );
    assert!(values.iter().all(|v| v == &json!(2)));
    check(
        json!({"allOf": [{"type": "array", "items": {"type": "integer"}}, {"items": {"minimum": 0}, "maxItems": 3}]}),
        true,
    );
}

#[test]
fn all_of_conflicts_are_unsatisfiable() {
    for schema in [
        json!({"allOf": [{"type": "string"}, {"type": "integer"}]}),
        json!({"allOf": [{"enum": [1]}, {"enum": [2]}]}),
        json!({"allOf": [{"const": 1}, {"const": 2}]}),
        json!({"allOf": [{"type": "string", "minLength": 5}, {"maxLength": 3}]}),
        json!({"allOf": [{"type": "integer", "minimum": 5}, {"maximum": 3}]}),
        json!({"allOf": [{"required": ["a"]}, {"properties": {"b": {}}, "additionalProperties": false}]}),
    ] {
        let err = refused(schema.clone());
        assert!(
            matches!(err, GenError::Unsatisfiable { .. }),
            "{schema}: {err}"
        );
    }
}

#[test]
fn additional_properties_in_a_member_is_merged_or_refused() {
    // Each member's `additionalProperties` applies to the other members' properties too.
    check(
        json!({"allOf": [
            {"properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "integer", "maximum": 5}},
            {"properties": {"b": {"minimum": 2}}, "required": ["b"]}
        ]}),
        true,
    );
    let err = refused(json!({"allOf": [
        {"properties": {"a": {}}, "additionalProperties": false},
        {"properties": {"b": {}}}
    ]}));
    assert!(
        matches!(err, GenError::Unsupported { ref pointer, .. } if pointer == "/allOf"),
        "{err}"
    );
}

#[test]
fn unevaluated_properties_false_closes_the_merged_object() {
    let schema = json!({
        "$defs": {"Base": {"properties": {"id": {"type": "string"}}, "required": ["id"]}},
        "type": "object",
        "allOf": [{"$ref": "#/$defs/Base"}, {"properties": {"n": {"type": "integer"}}}],
        "unevaluatedProperties": false
    });
    let values = check(schema.clone(), true);
    for v in values {
        assert!(
            v.as_object().unwrap().keys().all(|k| k == "id" || k == "n"),
            "{v}"
        );
    }
    let breaks = sample(&invalid(&schema).unwrap(), 1, 200).unwrap();
    assert!(breaks.iter().any(|b| b.keyword == "additionalProperties"));
    // With an `additionalProperties` in place every property is evaluated: the keyword is moot.
    check(
        json!({"allOf": [{"additionalProperties": {"type": "integer"}}], "unevaluatedProperties": false}),
        true,
    );
    check(
        json!({"properties": {"a": {}}, "unevaluatedProperties": {"type": "boolean"}}),
        true,
    );
    // Beside a `oneOf`, closing a branch would change which others match: refused.
    let err =
        refused(json!({"oneOf": [{"properties": {"a": {}}}], "unevaluatedProperties": false}));
    assert!(err.to_string().contains("unevaluatedProperties"), "{err}");
}

/// train-travel's payment source: `unevaluatedProperties: false` beside an `anyOf` of a card and
/// a bank account. Each value carries the properties of the branch it was drawn from (and the
/// node's own), nothing else.
#[test]
fn unevaluated_properties_false_beside_an_any_of_of_objects() {
    let schema = json!({
        "type": "object",
        "properties": {"kind": {"type": "string", "maxLength": 3}},
        "unevaluatedProperties": false,
        "anyOf": [
            {"properties": {"object": {"const": "card"}, "number": {"type": "string"}},
             "required": ["object", "number"]},
            {"type": "object",
             "properties": {"object": {"const": "bank_account"}, "iban": {"type": "string"}},
             "required": ["object", "iban"]}
        ]
    });
    let values = check(schema.clone(), true);
    let allowed = |v: &Value| {
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let card = keys
            .iter()
            .all(|k| ["kind", "object", "number"].contains(k));
        let bank = keys.iter().all(|k| ["kind", "object", "iban"].contains(k));
        card || bank
    };
    assert!(values.iter().all(allowed), "{values:?}");
    assert!(values.iter().any(|v| v["object"] == "card"));
    assert!(values.iter().any(|v| v["object"] == "bank_account"));
}

#[test]
fn recursive_trees_and_lists_are_finite() {
    let tree = json!({
        "type": "object", "required": ["v"],
        "properties": {"v": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#"}}}
    });
    let values = check(tree, true);
    assert!(values
        .iter()
        .any(|v| v["children"].as_array().is_some_and(|c| !c.is_empty())));
    let list = json!({
        "$defs": {"Node": {"type": "object", "required": ["v", "next"], "properties": {
            "v": {"type": "string"}, "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}},
        "$ref": "#/$defs/Node"
    });
    let values = check(list, true);
    assert!(values.iter().any(|v| v["next"].is_object()));
    let optional = json!({"$defs": {"L": {"type": "object", "properties": {"next": {"$ref": "#/$defs/L"}}}}, "$ref": "#/$defs/L"});
    check(optional, true);
    // Binary trees: the unrolling is bounded along each path, so it stays small.
    let binary = json!({"type": "object", "properties": {"l": {"$ref": "#"}, "r": {"$ref": "#"}, "x": {"type": "boolean"}}});
    check(binary, true);
}

#[test]
fn recursion_required_at_every_level_is_unsatisfiable() {
    let schema =
        json!({"type": "object", "required": ["next"], "properties": {"next": {"$ref": "#"}}});
    let err = refused(schema);
    assert!(matches!(err, GenError::Unsatisfiable { .. }), "{err}");
    let schema = json!({"type": "array", "minItems": 1, "items": {"$ref": "#"}});
    assert!(matches!(refused(schema), GenError::Unsatisfiable { .. }));
}

#[test]
fn any_of_draws_from_each_branch() {
    let values = check(
        json!({"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer", "minimum": 10}]}),
        true,
    );
    assert!(values.iter().any(Value::is_string) && values.iter().any(Value::is_number));
    let breaks = sample(
        &invalid(&json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})).unwrap(),
        3,
        100,
    )
    .unwrap();
    assert!(breaks.iter().all(|b| b.keyword == "anyOf"));
    check(
        json!({"type": "object", "required": ["k"], "anyOf": [{"required": ["a"]}, {"required": ["b"]}]}),
        true,
    );
}

#[test]
fn one_of_values_match_exactly_one_branch() {
    let schema =
        json!({"oneOf": [{"type": "integer", "maximum": 10}, {"type": "integer", "minimum": 5}]});
    let values = check(schema, true);
    assert!(values.iter().all(|v| {
        let i = v.as_f64().unwrap();
        !(5.0..=10.0).contains(&i)
    }));
    check(json!({"oneOf": [{}, {"type": "null"}]}), false);
    check(json!({"oneOf": [{"type": "string"}]}), true);
    check(
        json!({"type": "object", "oneOf": [
            {"properties": {"kind": {"const": "a"}, "x": {"type": "integer"}}, "required": ["kind"]},
            {"properties": {"kind": {"const": "b"}}, "required": ["kind"]}
        ]}),
        true,
    );
}

#[test]
fn not_filters_valid_values_and_builds_invalid_ones() {
    let schema = json!({"type": "integer", "minimum": 0, "maximum": 20, "not": {"minimum": 5, "maximum": 15}});
    let values = check(schema.clone(), true);
    assert!(values
        .iter()
        .all(|v| !(5.0..=15.0).contains(&v.as_f64().unwrap())));
    let breaks = sample(&invalid(&schema).unwrap(), 2, 100).unwrap();
    assert!(breaks.iter().any(|b| b.keyword == "not"));
    check(json!({"type": "string", "not": {"maxLength": 2}}), true);
}

#[test]
fn malformed_compositions_name_their_pointer() {
    for (schema, pointer) in [
        (
            json!({"properties": {"a": {"anyOf": []}}}),
            "/properties/a/anyOf",
        ),
        (json!({"allOf": {}}), "/allOf"),
    ] {
        let err = refused(schema);
        assert!(matches!(err, GenError::Malformed { .. }), "{err}");
        assert_eq!(err.pointer(), Some(pointer));
    }
}

#[test]
fn multiple_of_integral_and_fractional() {
    let values = check(
        json!({"type": "integer", "multipleOf": 5, "minimum": 12}),
        true,
    );
    assert!(
        values
            .iter()
            .all(|v| v.as_f64().is_some_and(|i| i % 5.0 == 0.0 && i >= 12.0)),
        "{values:?}"
    );
    check(
        json!({"type": "number", "multipleOf": 0.01, "maximum": 100}),
        true,
    );
    check(json!({"type": "number", "multipleOf": 2.5}), true);
    let breaks = sample(
        &invalid(&json!({"type": "integer", "multipleOf": 3})).unwrap(),
        4,
        100,
    )
    .unwrap();
    assert!(breaks.iter().any(|b| b.keyword == "multipleOf"));
    // Our exact test agrees with the validator's on awkward binary fractions.
    let v = validator(&json!({"multipleOf": 0.1}));
    for x in [
        0.3,
        0.7,
        0.2,
        0.4,
        1.6,
        3.0,
        1e-3,
        12.8,
        0.1,
        99.5,
        1_070_468.14,
        0.35,
        1e20,
    ] {
        assert_eq!(
            super::checks::is_multiple(x, 0.1),
            Some(v.is_valid(&json!(x))),
            "{x}"
        );
    }
}

#[test]
fn property_counts_unique_items_and_dependent_required() {
    check(
        json!({"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "minProperties": 2}),
        true,
    );
    check(json!({"type": "object", "maxProperties": 1}), true);
    let values = check(
        json!({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9}, "uniqueItems": true, "minItems": 2}),
        true,
    );
    assert!(values.iter().all(|v| v.as_array().unwrap().len() >= 2));
    let breaks = sample(
        &invalid(&json!({"type": "array", "items": {"type": "boolean"}, "uniqueItems": true}))
            .unwrap(),
        5,
        100,
    )
    .unwrap();
    assert!(breaks.iter().any(|b| b.keyword == "uniqueItems"));
    check(
        json!({"type": "object", "properties": {"card": {"type": "string"}, "cvv": {"type": "string"}},
        "dependentRequired": {"card": ["cvv"]}}),
        true,
    );
}

/// Random compositions of small schemas: whatever is generated agrees with the validator, and
/// what is refused is refused with a pointer.
#[test]
fn random_compositions_agree_with_the_validator() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    let leaf = prop_oneof![
        Just(json!({"type": "integer", "minimum": 0, "maximum": 20})),
        Just(json!({"type": "integer", "multipleOf": 3})),
        Just(json!({"type": "number", "multipleOf": 0.5, "maximum": 10})),
        Just(json!({"type": "string", "maxLength": 3})),
        Just(json!({"type": "string", "minLength": 2})),
        Just(json!({"enum": [1, 2, "a", null]})),
        Just(json!({"const": 4})),
        Just(json!({"type": "null"})),
        Just(
            json!({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]})
        ),
        Just(
            json!({"properties": {"b": {"type": "string"}}, "additionalProperties": {"type": "boolean"}})
        ),
        Just(
            json!({"type": "array", "items": {"type": "integer", "maximum": 3}, "uniqueItems": true})
        ),
        Just(json!({"minProperties": 1})),
        Just(json!({})),
    ];
    let schemas = leaf.prop_recursive(3, 16, 3, |inner| {
        let list = proptest::collection::vec(inner.clone(), 1..=3);
        prop_oneof![
            list.clone().prop_map(|l| json!({"allOf": l})),
            list.clone().prop_map(|l| json!({"anyOf": l})),
            list.prop_map(|l| json!({"oneOf": l})),
            inner.clone().prop_map(|s| json!({"not": s})),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"allOf": [a], "not": b})),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(i, t, e)| json!({"if": i, "then": t, "else": e})),
            (inner.clone(), inner)
                .prop_map(|(a, d)| json!({"allOf": [a], "dependentSchemas": {"a": d}})),
        ]
    });
    let mut runner = super::runner(77);
    let (mut generated, mut broken) = (0, 0);
    for _ in 0..400 {
        let schema = schemas.new_tree(&mut runner).unwrap().current();
        let v = validator(&schema);
        match valid(&schema) {
            Ok(s) => {
                if let Ok(values) = sample(&s, 9, 20) {
                    generated += 1;
                    for value in values {
                        assert!(v.is_valid(&value), "{schema}\nvalid? {value}");
                    }
                }
            }
            Err(e) => assert!(e.pointer().is_some(), "{schema}: {e}"),
        }
        if let Ok(s) = invalid(&schema) {
            if let Ok(values) = sample(&s, 9, 20) {
                broken += 1;
                for inv in values {
                    assert!(!v.is_valid(&inv.value), "{schema}\ninvalid? {inv:?}");
                }
            }
        }
    }
    assert!(generated > 150 && broken > 150, "{generated} {broken}");
}

#[test]
fn keywords_beside_a_ref_apply_too() {
    let schema = json!({
        "$defs": {"Base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
        "$ref": "#/$defs/Base",
        "properties": {"id": {"minimum": 100}, "tag": {"type": "string"}},
        "required": ["tag"]
    });
    let values = check(schema, true);
    assert!(values
        .iter()
        .all(|v| v["id"].as_f64().is_some_and(|i| i >= 100.0) && v["tag"].is_string()));
    let schema = json!({
        "$defs": {"Base": {"properties": {"id": {"type": "integer"}}}},
        "$ref": "#/$defs/Base", "unevaluatedProperties": false
    });
    let values = check(schema, true);
    assert!(values
        .iter()
        .all(|v| !v.is_object() || v.as_object().unwrap().keys().all(|k| k == "id")));
}

#[test]
fn anchors_and_defs_resolve() {
    let schema = json!({
        "$defs": {"node": {"$anchor": "node", "type": "object", "required": ["v"],
            "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#node"}}}}},
        "$ref": "#node"
    });
    check(schema, true);
    let err = refused(json!({"$ref": "#nowhere"}));
    assert!(
        matches!(err, GenError::Malformed { ref pointer, .. } if pointer == "/$ref"),
        "{err}"
    );
}

#[test]
fn mutually_recursive_definitions_stay_bounded() {
    // Eight definitions each holding all eight: unrolled without a bound this is 8^n nodes.
    let mut defs = serde_json::Map::new();
    for i in 0..8 {
        let props: serde_json::Map<String, Value> = (0..8)
            .map(|j| (format!("p{j}"), json!({"$ref": format!("#/$defs/d{j}")})))
            .collect();
        defs.insert(
            format!("d{i}"),
            json!({"type": "object", "properties": props}),
        );
    }
    let schema = json!({"$defs": defs, "$ref": "#/$defs/d0"});
    let started = std::time::Instant::now();
    match valid(&schema) {
        Ok(s) => {
            let v = validator(&schema);
            for value in sample(&s, 1, 20).unwrap() {
                assert!(v.is_valid(&value), "{value}");
            }
        }
        Err(e) => assert!(e.to_string().contains("subschemas"), "{e}"),
    }
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn if_then_else_and_dependent_schemas() {
    let schema = json!({
        "type": "object",
        "properties": {"country": {"enum": ["US", "CA"]}, "zip": {"type": "string"}},
        "required": ["country", "zip"],
        "if": {"properties": {"country": {"const": "US"}}},
        "then": {"properties": {"zip": {"maxLength": 5, "minLength": 5}}},
        "else": {"properties": {"zip": {"maxLength": 3}}}
    });
    let values = check(schema, true);
    assert!(
        values.iter().any(|v| v["country"] == "US") && values.iter().any(|v| v["country"] == "CA")
    );
    check(
        json!({"type": "integer", "if": {"minimum": 10}, "then": {"multipleOf": 2}}),
        true,
    );
    check(
        json!({"type": "object", "properties": {"card": {"type": "integer"}},
        "dependentSchemas": {"card": {"required": ["cvv"], "properties": {"cvv": {"type": "string"}}}}}),
        true,
    );
}

/// OpenAPI's discriminator: every valid value names its branch (a mapping key, or the
/// component's name for a branch the mapping leaves out), whichever branch it was drawn from,
/// and the discriminator itself breaks nothing JSON Schema checks.
#[test]
fn a_discriminated_one_of_gives_values_that_name_their_branch() {
    let schema = json!({
        "$defs": {
            "Cat": {"type": "object", "required": ["kind", "lives"],
                    "properties": {"kind": {"type": "string"}, "lives": {"type": "integer", "minimum": 1, "maximum": 9}}},
            "Dog": {"type": "object", "required": ["kind"], "additionalProperties": false,
                    "properties": {"kind": {"type": "string"}, "bark": {"type": "boolean"}}}
        },
        "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
        "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/components/schemas/Cat"}}
    });
    let values = check(schema, true);
    let kinds: std::collections::BTreeSet<&str> =
        values.iter().filter_map(|v| v["kind"].as_str()).collect();
    assert_eq!(kinds, ["Dog", "cat"].into_iter().collect(), "{values:?}");
    for v in &values {
        match v["kind"].as_str() {
            Some("cat") => assert!(v.get("lives").is_some(), "{v}"),
            Some("Dog") => assert!(v.get("lives").is_none(), "{v}"),
            other => panic!("{other:?} in {v}"),
        }
    }
}
