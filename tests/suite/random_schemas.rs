//! The generator against schemas nobody wrote: proptest draws schemas from the keyword set the
//! generator implements, and the JSON Schema validator (formats asserted) judges what it made.
//! Every valid value must pass, every value built to break one rule must fail; a schema the
//! generator refuses must be refused with a pointer into it, never with a panic.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use provisionr_conformance::cases::generate::{self, GenError};
use serde_json::{json, Map, Value};

/// A string schema: lengths, a format, a pattern.
fn string_schema() -> impl Strategy<Value = Value> {
    let format = prop_oneof![
        Just(None),
        Just(Some("date-time")),
        Just(Some("date")),
        Just(Some("uuid")),
        Just(Some("email")),
        Just(Some("ipv4")),
        Just(Some("uri")),
        Just(Some("hostname")),
        Just(Some("a-format-nobody-knows")),
    ];
    let pattern = prop_oneof![
        4 => Just(None),
        1 => Just(Some("^[a-z]{2,5}$")),
        1 => Just(Some("^\\d{3}-\\d{2}$")),
        1 => Just(Some("[A-Z]")),
    ];
    (0u64..4, prop::option::of(0u64..12), format, pattern).prop_map(
        |(min, max, format, pattern)| {
            let mut s = Map::new();
            s.insert("type".into(), json!("string"));
            if min > 0 {
                s.insert("minLength".into(), json!(min));
            }
            if let Some(max) = max {
                s.insert("maxLength".into(), json!(min + max));
            }
            if let Some(f) = format {
                s.insert("format".into(), json!(f));
            }
            if let Some(p) = pattern {
                s.insert("pattern".into(), json!(p));
            }
            Value::Object(s)
        },
    )
}

/// A number schema: bounds, exclusive bounds, a multiple.
fn number_schema() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("integer"), Just("number")],
        prop::option::of(-50i64..50),
        prop::option::of(0i64..100),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(2), Just(5)]),
    )
        .prop_map(|(t, lo, span, exclusive, multiple)| {
            let mut s = Map::new();
            s.insert("type".into(), json!(t));
            if let Some(lo) = lo {
                let key = if exclusive {
                    "exclusiveMinimum"
                } else {
                    "minimum"
                };
                s.insert(key.into(), json!(lo));
                if let Some(span) = span {
                    s.insert("maximum".into(), json!(lo + span + 1));
                }
            }
            if let Some(m) = multiple {
                s.insert("multipleOf".into(), json!(m));
            }
            Value::Object(s)
        })
}

fn leaf_schema() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => string_schema(),
        2 => number_schema(),
        1 => Just(json!({"type": "boolean"})),
        1 => Just(json!({"enum": ["a", 1, null, [1], {"k": true}]})),
        1 => Just(json!({"const": "fixed"})),
        1 => Just(json!({"type": ["string", "null"], "maxLength": 3})),
    ]
}

/// Objects, arrays and compositions of the leaves, a few levels deep.
fn schema() -> impl Strategy<Value = Value> {
    leaf_schema().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                prop::collection::btree_map("[a-e]{1,3}", inner.clone(), 0..4),
                any::<bool>(),
                prop::option::of(inner.clone()),
            )
                .prop_map(|(props, closed, additional)| {
                    let required: Vec<&String> = props.keys().step_by(2).collect();
                    let mut s =
                        json!({"type": "object", "properties": props, "required": required});
                    if closed {
                        s["additionalProperties"] = json!(false);
                    } else if let Some(a) = additional {
                        s["additionalProperties"] = a;
                    }
                    s
                }),
            (inner.clone(), 0u64..3, prop::option::of(0u64..4)).prop_map(|(items, min, span)| {
                let mut s = json!({"type": "array", "items": items, "minItems": min});
                if let Some(span) = span {
                    s["maxItems"] = json!(min + span);
                }
                s
            }),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"allOf": [a, b]})),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"anyOf": [a, b]})),
            (inner.clone(), inner).prop_map(|(a, b)| json!({"oneOf": [a, b]})),
        ]
    })
}

/// What one schema did: `None` when the generator refused it (with a pointer), else how many
/// valid and invalid values were checked.
fn check(schema: &Value, seed: u64) -> Result<Option<(usize, usize)>, String> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .map_err(|e| format!("the drawn schema is not valid JSON Schema: {e}"))?;
    let refused = |e: GenError| match e {
        GenError::Unsupported { .. }
        | GenError::Unsatisfiable { .. }
        | GenError::NothingToBreak { .. } => Ok(None),
        other => Err(format!("refused without a reason it may give: {other}")),
    };
    let valid = match generate::valid(schema) {
        Ok(s) => s,
        Err(e) => return refused(e),
    };
    let values = generate::sample(&valid, seed, 16).map_err(|e| e.to_string())?;
    for v in &values {
        if !validator.is_valid(v) {
            return Err(format!("valid value {v} fails the validator"));
        }
    }
    let broken = match generate::invalid(schema) {
        Ok(s) => generate::sample(&s, seed, 16).map_err(|e| e.to_string())?,
        Err(e) => return refused(e).map(|_| Some((values.len(), 0))),
    };
    for b in &broken {
        if validator.is_valid(&b.value) {
            return Err(format!(
                "value {} built to break `{}` at {:?} passes the validator",
                b.value, b.keyword, b.pointer
            ));
        }
    }
    Ok(Some((values.len(), broken.len())))
}

#[test]
fn generated_values_agree_with_the_validator_on_random_schemas() {
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let built = std::cell::Cell::new(0usize);
    let result = runner.run(&(schema(), any::<u64>()), |(schema, seed)| {
        match check(&schema, seed) {
            Ok(Some(_)) => built.set(built.get() + 1),
            Ok(None) => {}
            Err(why) => return Err(TestCaseError::fail(format!("{why}\nschema: {schema}"))),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Most drawn schemas must be generable, or the test checks nothing.
    let built = built.get();
    assert!(built >= 128, "only {built} of 256 schemas were generable");
}
