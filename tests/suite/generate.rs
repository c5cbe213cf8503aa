//! Oracle tests for the generator: the `jsonschema` crate (formats on) judges everything it makes.

use std::collections::BTreeSet;

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use provisionr_conformance::cases::generate::{self, GenError, Invalid};
use provisionr_conformance::contract;
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn request_schema() -> Value {
    fixture("create-service-access-token.request.schema.json")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("schema compiles")
}

fn runner(cases: u32, seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<(String, String)> {
    v.iter_errors(instance)
        .map(|e| {
            (
                e.instance_path().as_str().to_owned(),
                e.kind().keyword().to_owned(),
            )
        })
        .collect()
}

fn assert_all_valid(schema: &Value, cases: u32) {
    let v = validator(schema);
    let strategy = generate::valid(schema).expect("valid strategy");
    runner(cases, 1)
        .run(&strategy, |instance| {
            let found = errors(&v, &instance);
            if found.is_empty() {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "{instance} rejected: {found:?}"
                )))
            }
        })
        .unwrap_or_else(|e| panic!("schema {schema}: {e}"));
}

/// Returns the (pointer, keyword) pairs seen, to check coverage.
fn assert_all_invalid(schema: &Value, cases: u32) -> BTreeSet<(String, String)> {
    let v = validator(schema);
    let strategy = generate::invalid(schema).expect("invalid strategy");
    let seen = std::cell::RefCell::new(BTreeSet::new());
    runner(cases, 2)
        .run(&strategy, |inv: Invalid| {
            let found = errors(&v, &inv.value);
            let expected = (inv.pointer.clone(), inv.keyword.to_owned());
            if found.is_empty() || found.iter().any(|f| *f != expected) {
                return Err(TestCaseError::fail(format!(
                    "{} expected only {expected:?}, validator says {found:?}",
                    inv.value
                )));
            }
            seen.borrow_mut().insert(expected);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("schema {schema}: {e}"));
    seen.into_inner()
}

fn keywords(seen: &BTreeSet<(String, String)>) -> BTreeSet<&str> {
    seen.iter().map(|(_, k)| k.as_str()).collect()
}

#[test]
fn request_schema_valid_instances_validate() {
    assert_all_valid(&request_schema(), 3000);
}

#[test]
fn request_schema_invalid_instances_break_exactly_the_recorded_rule() {
    let seen = assert_all_invalid(&request_schema(), 3000);
    let props: Vec<String> = request_schema()["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| format!("/{k}"))
        .collect();
    // Every declared property is broken somewhere, plus the root.
    for p in props.iter().chain([&String::new()]) {
        assert!(
            seen.iter().any(|(q, _)| q == p),
            "{p} never broken: {seen:?}"
        );
    }
    for k in ["type", "required", "maxLength", "format"] {
        assert!(keywords(&seen).contains(k), "{k} never broken: {seen:?}");
    }
}

#[test]
fn response_schema_round_trips_through_the_oracle() {
    let schema = fixture("create-service-access-token.response.schema.json");
    assert_all_valid(&schema, 1000);
    let seen = assert_all_invalid(&schema, 2000);
    for k in ["type", "required", "minLength", "format", "enum"] {
        assert!(keywords(&seen).contains(k), "{k} never broken: {seen:?}");
    }
}

fn synthetic() -> Vec<(Value, &'static [&'static str])> {
    vec![
        (
            json!({"type": "integer", "minimum": -3, "maximum": 7}),
            &["type", "minimum", "maximum"],
        ),
        (
            json!({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10, "minimum": -5.5}),
            &["type", "exclusiveMinimum", "exclusiveMaximum"],
        ),
        // Here `minimum` is the stricter bound: `exclusiveMinimum` cannot break alone.
        (
            json!({"type": "number", "exclusiveMinimum": 0, "minimum": 0.5}),
            &["type", "minimum"],
        ),
        (
            json!({"type": "number", "minimum": 0, "exclusiveMaximum": 1}),
            &["type", "minimum", "exclusiveMaximum"],
        ),
        (
            json!({"type": "number", "exclusiveMinimum": -2.5, "maximum": 1e6}),
            &["type", "exclusiveMinimum", "maximum"],
        ),
        (json!({"type": "integer"}), &["type"]),
        (json!({"type": "boolean"}), &["type"]),
        (
            json!({"type": ["integer", "null"], "maximum": 5}),
            &["type", "maximum"],
        ),
        (json!({"enum": ["a", "b", 3, null, {"k": [1]}]}), &["enum"]),
        (
            json!({"type": "string", "enum": ["red", "green"]}),
            &["enum"],
        ),
        (
            json!({"type": "integer", "enum": [1, 2, 3], "minimum": 1, "maximum": 4}),
            &["enum"],
        ),
        (json!({"const": "fixed"}), &["const"]),
        (json!({"type": "boolean", "const": true}), &["const"]),
        (
            json!({"type": "string", "minLength": 2, "maxLength": 4}),
            &["type", "minLength", "maxLength"],
        ),
        (
            json!({"type": "string", "format": "date-time", "maxLength": 25}),
            &["type", "format", "maxLength"],
        ),
        (
            json!({"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1, "maxItems": 3}),
            &["type", "minItems", "maxItems", "minimum"],
        ),
        (
            json!({"type": "array", "items": {"type": "string"}}),
            &["type"],
        ),
        (
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "tags"],
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 2},
                    "owner": {
                        "type": ["object", "null"],
                        "required": ["a/b~c"],
                        "properties": {"a/b~c": {"type": "number", "maximum": 0}},
                        "additionalProperties": {"type": "boolean"}
                    }
                }
            }),
            &[
                "type",
                "required",
                "additionalProperties",
                "minimum",
                "maxLength",
                "maxItems",
                "maximum",
            ],
        ),
        (
            json!({
                "$defs": {"when": {"type": ["string", "null"], "format": "date-time"}},
                "type": "object",
                "properties": {"start": {"$ref": "#/$defs/when"}, "end": {"$ref": "#/$defs/when"}},
                "required": ["start"]
            }),
            &["type", "required", "format"],
        ),
        (
            json!({"minLength": 3, "maximum": 2}),
            &["minLength", "maximum"],
        ),
    ]
}

#[test]
fn synthetic_schemas_round_trip_through_the_oracle() {
    for (schema, expected) in synthetic() {
        assert_all_valid(&schema, 500);
        let seen = assert_all_invalid(&schema, 1500);
        for k in expected {
            assert!(
                keywords(&seen).contains(k),
                "{schema}: {k} never broken: {seen:?}"
            );
        }
    }
}

#[test]
fn openapi_wrappers_generate_as_the_schema_they_wrap() {
    // `allOf` of one `$ref`, and a nullable `$ref` as OpenAPI 3.0 documents are converted.
    let schema = json!({
        "$defs": {"Tag": {"type": "string", "maxLength": 5, "enum": ["ab", "abc"]}},
        "type": "object",
        "required": ["tag", "parent"],
        "additionalProperties": false,
        "properties": {
            "tag": {"allOf": [{"$ref": "#/$defs/Tag"}], "description": "a tag"},
            "parent": {"anyOf": [{"$ref": "#/$defs/Tag"}, {"type": "null"}]},
            "other": {"oneOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]}
        }
    });
    assert_all_valid(&schema, 500);
    let v = validator(&schema);
    let strategy = generate::valid(&schema).unwrap();
    let mut runner = runner(300, 3);
    let (mut null, mut text) = (false, false);
    for _ in 0..300 {
        let value = strategy.new_tree(&mut runner).unwrap().current();
        null |= value["parent"].is_null();
        text |= value["parent"].is_string();
    }
    assert!(
        null && text,
        "both branches of the nullable reference are drawn"
    );
    let invalid = generate::invalid(&schema).unwrap();
    for _ in 0..1500 {
        let inv = invalid.new_tree(&mut runner).unwrap().current();
        assert!(!v.is_valid(&inv.value), "{} is valid", inv.value);
    }
    // A 3.0 `nullable` without a type (marked so by the loader): null is neither drawn as a
    // valid value nor sent as a wrong type, since servers differ on it.
    let open = json!({"type": "object", "required": ["p"], "properties": {"p": {
        "anyOf": [{"$ref": "#/$defs/Tag"}, {"type": "null"}],
        contract::schema::NULL_OPEN: true}},
        "$defs": {"Tag": {"type": "string", "maxLength": 5}}});
    let valid = generate::valid(&open).unwrap();
    let invalid = generate::invalid(&open).unwrap();
    for _ in 0..500 {
        let v = valid.new_tree(&mut runner).unwrap().current();
        assert!(v["p"].is_string(), "{v}");
        let inv = invalid.new_tree(&mut runner).unwrap().current();
        assert!(
            !inv.value.get("p").is_some_and(Value::is_null),
            "{}",
            inv.value
        );
    }
    // Null-open around schemas with no type, which admit null themselves.
    for inner in [
        json!({"enum": ["a", "b"]}),
        json!({"minLength": 1}),
        json!({"const": "c"}),
    ] {
        let open = json!({"type": "object", "required": ["p"], "properties": {"p": {
            "anyOf": [inner, {"type": "null"}], contract::schema::NULL_OPEN: true}}});
        let valid = generate::valid(&open).unwrap();
        let invalid = generate::invalid(&open).unwrap();
        for _ in 0..1000 {
            let v = valid.new_tree(&mut runner).unwrap().current();
            assert!(!v["p"].is_null(), "{inner}: {v}");
            let inv = invalid.new_tree(&mut runner).unwrap().current();
            assert!(
                !inv.value.get("p").is_some_and(Value::is_null),
                "{inner}: {}",
                inv.value
            );
        }
    }
    // `format: int32`: valid values stay in its range, and no value breaks only the format.
    let int32 = json!({"type": "integer", "format": "int32"});
    let (valid, invalid) = (
        generate::valid(&int32).unwrap(),
        generate::invalid(&int32).unwrap(),
    );
    // JSON Schema calls 5.0 an integer, and the generator draws such values too.
    let in_range = |v: &Value| {
        v.as_f64().is_some_and(|x| {
            x.fract() == 0.0 && x >= f64::from(i32::MIN) && x <= f64::from(i32::MAX)
        })
    };
    for _ in 0..500 {
        let v = valid.new_tree(&mut runner).unwrap().current();
        assert!(in_range(&v), "{v}");
        let inv = invalid.new_tree(&mut runner).unwrap().current();
        assert!(
            inv.value.as_f64().is_none_or(|x| x.fract() != 0.0),
            "{}",
            inv.value
        );
    }
    // A nullable `const` stays refused (general compositions: src/cases/generate/compose_tests.rs).
    let other = json!({"anyOf": [{"const": 1}, {"type": "null"}]});
    assert!(generate::valid(&other).is_err(), "{other}");
}

#[test]
fn date_time_values_are_near_future_and_near_misses_are_rejected() {
    let schema = json!({"type": "string", "format": "date-time"});
    let v = validator(&schema);
    let good = generate::sample(&generate::valid(&schema).unwrap(), 9, 2000).unwrap();
    let now = time::OffsetDateTime::now_utc();
    // In the future for the whole run, and never so far ahead that a server capping how far
    // ahead a date-time may be (a year, say) would refuse it.
    let (soonest, latest) = (now, now + time::Duration::days(62));
    for s in &good {
        let s = s.as_str().unwrap();
        assert!(v.is_valid(&json!(s)), "{s}");
        let at = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{s}: {e}"));
        assert!(soonest < at && at < latest, "{s}");
    }
    let bad = generate::sample(&generate::invalid(&schema).unwrap(), 9, 4000).unwrap();
    let formats: BTreeSet<String> = bad
        .iter()
        .filter(|i| i.keyword == "format")
        .map(|i| i.value.as_str().unwrap().to_owned())
        .collect();
    assert!(
        formats.len() > 500,
        "too few distinct near-misses: {}",
        formats.len()
    );
    for s in &formats {
        assert!(!v.is_valid(&json!(s)), "{s:?} accepted");
    }
    // An epoch number is a type error, not a format error.
    assert!(bad
        .iter()
        .any(|i| i.keyword == "type" && i.value == json!(4_102_444_800i64)));
}

#[test]
fn strings_cover_hostile_unicode() {
    let schema = json!({"type": "string", "maxLength": 40});
    let all: String = generate::sample(&generate::valid(&schema).unwrap(), 3, 3000)
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let has = |f: &dyn Fn(char) -> bool| all.chars().any(f);
    assert!(has(&|c| c as u32 > 0xffff), "astral");
    assert!(has(&|c| ('\u{1f600}'..='\u{1f64f}').contains(&c)), "emoji");
    assert!(
        has(&|c| ('\u{20000}'..='\u{2a6df}').contains(&c)),
        "CJK ext B"
    );
    assert!(has(&|c| ('\u{300}'..='\u{36f}').contains(&c)), "combining");
    assert!(has(&|c| ('\u{5d0}'..='\u{5ea}').contains(&c)), "Hebrew");
    assert!(has(&|c| ('\u{621}'..='\u{64a}').contains(&c)), "Arabic");
    for special in [
        '"', '\\', '\'', '<', '>', '&', '\u{1}', '\u{1f}', '\u{7f}', '\n',
    ] {
        assert!(all.contains(special), "{special:?}");
    }
    // A careful server may refuse U+0000 (PostgreSQL's text cannot hold it): never in a valid
    // body; `string::*::nul` sends it, unspecified.
    assert!(!all.contains('\u{0}'), "U+0000 in a valid string");
    // Lengths hug the bounds.
    let lengths: Vec<usize> = generate::sample(&generate::valid(&schema).unwrap(), 4, 1000)
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().chars().count())
        .collect();
    assert!(lengths.iter().filter(|l| **l == 40).count() > 100);
    assert!(lengths.iter().filter(|l| **l == 0).count() > 100);
}

#[test]
fn shrinks_to_a_single_astral_character() {
    let schema = request_schema();
    let strategy: BoxedStrategy<Value> = generate::valid(&schema).unwrap();
    fn has_astral(v: &Value) -> bool {
        match v {
            Value::String(s) => s.chars().any(|c| c as u32 > 0xffff),
            Value::Array(a) => a.iter().any(has_astral),
            Value::Object(o) => o
                .iter()
                .any(|(k, v)| k.chars().any(|c| c as u32 > 0xffff) || has_astral(v)),
            _ => false,
        }
    }
    for seed in 11..=16 {
        shrink_once(&schema, &strategy, seed, has_astral);
    }
}

fn shrink_once(
    schema: &Value,
    strategy: &BoxedStrategy<Value>,
    seed: u64,
    has_astral: fn(&Value) -> bool,
) {
    let result = runner(5000, seed).run(strategy, |v| {
        if has_astral(&v) {
            Err(TestCaseError::fail("astral"))
        } else {
            Ok(())
        }
    });
    let Err(TestError::Fail(_, minimal)) = result else {
        panic!("expected a failure, got {result:?}");
    };
    let obj = minimal.as_object().unwrap();
    let schema_props = schema["properties"].as_object().unwrap();
    for (name, _) in schema_props {
        let required = schema["required"]
            .as_array()
            .unwrap()
            .contains(&json!(name));
        assert_eq!(obj.contains_key(name), required, "{name} in {minimal}");
    }
    // Exactly one string (a value or an extra property's name) carries the failure, and it is a
    // single astral character; every declared string is empty or that character.
    let mut strings = Vec::new();
    collect_strings(&minimal, &mut strings);
    let astral: Vec<&String> = strings
        .iter()
        .filter(|s| s.chars().any(|c| c as u32 > 0xffff))
        .collect();
    assert_eq!(astral.len(), 1, "{minimal}");
    assert_eq!(astral[0].chars().count(), 1, "{minimal}");
    for name in schema_props.keys() {
        if let Some(Value::String(s)) = obj.get(name) {
            assert!(s.is_empty() || s == astral[0], "{minimal}");
        }
    }
    println!("minimal: {minimal}");
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        // Keys of unknown extra properties are strings a server reads too.
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            out.push(k.clone());
            collect_strings(v, out)
        }),
        _ => {}
    }
}

#[test]
fn shrinks_strings_toward_short_ascii() {
    let schema = json!({"type": "string", "minLength": 3, "maxLength": 30});
    let strategy = generate::valid(&schema).unwrap();
    let result = runner(1000, 12).run(&strategy, |v| {
        if v.as_str().unwrap().chars().count() >= 3 {
            Err(TestCaseError::fail("any"))
        } else {
            Ok(())
        }
    });
    let Err(TestError::Fail(_, minimal)) = result else {
        panic!("expected a failure");
    };
    assert_eq!(minimal, json!("aaa"));
}

#[test]
fn same_seed_same_values() {
    let schema = request_schema();
    let s = generate::valid(&schema).unwrap();
    let i = generate::invalid(&schema).unwrap();
    assert_eq!(
        generate::sample(&s, 42, 50).unwrap(),
        generate::sample(&s, 42, 50).unwrap()
    );
    assert_ne!(
        generate::sample(&s, 42, 50).unwrap(),
        generate::sample(&s, 43, 50).unwrap()
    );
    // A fresh strategy from the same schema draws the same values too.
    let again = generate::invalid(&schema).unwrap();
    assert_eq!(
        generate::sample(&i, 5, 50).unwrap(),
        generate::sample(&again, 5, 50).unwrap()
    );
}

fn unsupported_pointer(schema: Value) -> String {
    let err = generate::valid(&schema)
        .err()
        .unwrap_or_else(|| panic!("{schema} accepted"));
    assert!(generate::invalid(&schema).is_err());
    assert!(
        matches!(
            err,
            GenError::Unsupported { .. } | GenError::Malformed { .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(err.pointer().unwrap()));
    err.pointer().unwrap().to_owned()
}

#[test]
fn unsupported_constructs_are_errors_naming_the_schema_pointer() {
    let cases = [
        (
            json!({"properties": {"a": {"type": "string", "pattern": "^(?=x)"}}}),
            "/properties/a/pattern",
        ),
        (
            json!({"properties": {"a": {"$ref": "https://example.com/s.json"}}}),
            "/properties/a/$ref",
        ),
        (
            json!({"properties": {"a": {"$ref": "other.json#/x"}}}),
            "/properties/a/$ref",
        ),
        (json!({"items": {"$ref": "#/$defs/missing"}}), "/items/$ref"),
        (json!({"type": "string", "format": 5}), "/format"),
        (json!({"type": "strin"}), "/type"),
        (json!({"maxLength": -1}), "/maxLength"),
        (
            json!({"properties": {"a/b": {"anyOf": []}}}),
            "/properties/a~1b/anyOf",
        ),
        (json!({"items": [{"type": "string"}]}), "/items"),
        (json!(42), ""),
        (json!(false), ""),
    ];
    for (schema, pointer) in cases {
        assert_eq!(unsupported_pointer(schema.clone()), pointer, "{schema}");
    }
    // Deep nesting is refused rather than overflowing the stack.
    let mut deep = json!({"type": "string"});
    for _ in 0..10_000 {
        let mut wrapper = serde_json::Map::new();
        wrapper.insert("items".to_owned(), deep);
        deep = Value::Object(wrapper);
    }
    assert!(generate::valid(&deep).is_err());
    drop_deep(deep);
}

/// A keyword of no JSON Schema vocabulary (OpenAPI's `discriminator`, a vendor's `nullable`)
/// constrains nothing, to the validator or the generator; an asserting keyword the generator
/// does not implement is still refused, by name.
#[test]
fn a_keyword_of_no_vocabulary_is_ignored_and_an_unimplemented_one_refused() {
    let schema = json!({
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "string", "maxLength": 4, "nullable": true, "x-order": 1}},
        "discriminator": {"propertyName": "a"},
    });
    let validator = jsonschema::validator_for(&schema).unwrap();
    let strategy = generate::valid(&schema).unwrap();
    for v in generate::sample(&strategy, 11, 200).unwrap() {
        assert!(validator.is_valid(&v), "{v}");
    }
    let refused = json!({"properties": {"a": {"$dynamicRef": "#x"}}});
    let err = generate::valid(&refused).unwrap_err();
    assert_eq!(err.pointer(), Some("/properties/a/$dynamicRef"), "{err}");
}

#[test]
fn a_ref_chain_that_doubles_at_each_step_is_refused() {
    // Twenty-five definitions, each using the next twice: 2^25 subschemas once expanded.
    let mut defs = serde_json::Map::new();
    for i in 0..25 {
        let next = json!({"$ref": format!("#/$defs/d{}", i + 1)});
        defs.insert(
            format!("d{i}"),
            json!({"type": "object", "required": ["a", "b"], "properties": {"a": next, "b": next}}),
        );
    }
    defs.insert("d25".into(), json!({"type": "string"}));
    let schema = json!({"$defs": defs, "$ref": "#/$defs/d0"});
    for err in [
        generate::valid(&schema).err(),
        generate::invalid(&schema).err(),
    ] {
        let err = err.expect("refused");
        assert!(matches!(err, GenError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("subschemas"), "{err}");
    }
}

/// serde_json drops deep values recursively; do it on a big stack.
fn drop_deep(v: Value) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || drop(v))
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn unsatisfiable_and_unbreakable_schemas_are_errors() {
    let unsat = [
        json!({"type": "string", "minLength": 5, "maxLength": 2}),
        json!({"type": "integer", "minimum": 0.2, "maximum": 0.8}),
        json!({"type": "string", "enum": [1, 2]}),
        json!({"type": "object", "required": ["x"], "additionalProperties": false}),
    ];
    for schema in unsat {
        let err = generate::valid(&schema)
            .err()
            .unwrap_or_else(|| panic!("{schema}"));
        assert!(matches!(err, GenError::Unsatisfiable { .. }), "{err}");
    }
    for schema in [json!({}), json!(true), json!({"title": "anything"})] {
        assert!(generate::valid(&schema).is_ok());
        assert!(matches!(
            generate::invalid(&schema),
            Err(GenError::NothingToBreak { .. })
        ));
    }
}

#[test]
fn arbitrary_schemas_never_panic() {
    // Random JSON as a schema: every outcome is fine except a panic.
    let keys = proptest::sample::select(vec![
        "type",
        "enum",
        "const",
        "minLength",
        "maxLength",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "items",
        "minItems",
        "maxItems",
        "properties",
        "required",
        "additionalProperties",
        "$ref",
        "title",
    ]);
    let leaf = proptest::prop_oneof![proptest::sample::select(vec![
        json!("string"),
        json!("integer"),
        json!("number"),
        json!("null"),
        json!("object"),
        json!("array"),
        json!("boolean"),
        json!("date-time"),
        json!(["string", "null"]),
        json!(0),
        json!(1),
        json!(-1),
        json!(3),
        json!(1.5),
        json!(true),
        json!(false),
        json!(["a"]),
        json!("#/$defs/x"),
        json!("#"),
        json!(null),
        json!(1e300),
    ]),];
    let schemas = leaf.prop_recursive(3, 24, 4, move |inner| {
        proptest::collection::vec((keys.clone(), inner), 0..4)
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
    });
    let edge_cases = vec![
        json!({"type": "number", "minimum": 1e308, "maximum": 1.7976931348623157e308}),
        json!({"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 1}),
        json!({"type": "integer", "minimum": 9.3e18}),
        json!({"type": "integer", "maximum": -9.3e18, "exclusiveMaximum": -1e300}),
        json!({"type": "string", "maxLength": 1e20}),
        json!({"type": "string", "maxLength": u64::MAX, "minLength": 5}),
        json!({"type": "array", "maxItems": u64::MAX}),
        json!({"type": "array", "minItems": 20000}),
        json!({"type": "string", "format": "date-time", "maxLength": 3}),
        json!({"type": "string", "format": "date-time", "minLength": 36}),
        json!({"enum": []}),
        json!({"type": "boolean", "enum": [true, false]}),
        json!({"type": "null", "const": null}),
        json!({"$ref": "#"}),
        json!({"$ref": "#/%24defs/a", "$defs": {"a": {"type": "string"}}}),
        json!({"$ref": "#/$defs/a~1b", "$defs": {"a/b": {"type": "string"}}}),
        json!({"$id": "https://x.test/s.json", "$ref": "https://x.test/s.json#/$defs/a", "$defs": {"a": true}}),
        json!({"type": "object", "properties": {"": {"type": "string"}}, "required": [""]}),
    ];
    for schema in edge_cases {
        if let Ok(s) = generate::valid(&schema) {
            assert_all_valid(&schema, 50);
            let _ = generate::sample(&s, 1, 3);
        }
        if generate::invalid(&schema).is_ok() {
            assert_all_invalid(&schema, 50);
        }
    }
    let mut r = runner(3000, 13);
    for _ in 0..3000 {
        let schema = schemas.new_tree(&mut r).unwrap().current();
        if let Ok(s) = generate::valid(&schema) {
            let _ = generate::sample(&s, 1, 3);
        }
        if let Ok(s) = generate::invalid(&schema) {
            let _ = generate::sample(&s, 1, 3);
        }
    }
}

/// Whether a key `__proto__`, `constructor` or `prototype` appears at any depth.
fn prototype_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| generate::PROTOTYPE_KEYS.contains(&k.as_str()) || prototype_key(v)),
        Value::Array(a) => a.iter().any(prototype_key),
        _ => false,
    }
}

#[test]
fn valid_bodies_hold_no_prototype_key_and_no_number_beyond_2_53() {
    let schema = json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "big": {"type": "integer", "maximum": 1e19},
            "x": {"type": "number"},
            "nested": {"type": "object", "properties": {"n": {"type": "integer", "minimum": -1e18}}}
        }
    });
    let bodies = generate::sample(&generate::valid(&schema).unwrap(), 7, 2000).unwrap();
    let with_extras = bodies
        .iter()
        .filter(|b| b.as_object().unwrap().len() > 4)
        .count();
    assert!(with_extras > 50, "{with_extras} bodies with extra keys");
    for body in &bodies {
        assert!(!prototype_key(body), "{body}");
        assert!(!generate::has_unsafe_number(body), "{body}");
    }
    // Every bound inside the range: each one is broken with a number inside it too.
    let bounded = json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "small": {"type": "integer", "minimum": -5, "maximum": 100},
            "x": {"type": "number", "exclusiveMaximum": 1e15}
        }
    });
    let invalid = generate::sample(&generate::invalid(&bounded).unwrap(), 7, 2000).unwrap();
    for i in &invalid {
        assert!(!prototype_key(&i.value), "{:?}", i.value);
        assert!(!generate::has_unsafe_number(&i.value), "{:?}", i.value);
    }
    assert!(generate::unsafe_only_numbers(&schema).is_empty());
}

#[test]
fn a_number_with_no_value_inside_2_53_is_named() {
    let schema = json!({
        "type": "object",
        "properties": {
            "far": {"type": "integer", "minimum": 1e17},
            "low": {"type": "number", "exclusiveMaximum": -1e16},
            "ok": {"type": "integer", "minimum": 5}
        }
    });
    assert_eq!(
        generate::unsafe_only_numbers(&schema),
        ["/properties/far", "/properties/low"]
    );
    // Its values are still drawn, outside the range: the cases carrying them are unspecified.
    let bodies = generate::sample(&generate::valid(&schema).unwrap(), 3, 50).unwrap();
    assert!(bodies.iter().all(|b| validator(&schema).is_valid(b)));
}
