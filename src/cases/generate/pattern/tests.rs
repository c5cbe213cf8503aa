use serde_json::{json, Value};

use super::super::{invalid, sample, valid, GenError};
use super::*;

/// The reference verdict: the validator the conformance suite itself trusts.
fn oracle(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .expect("schema compiles")
}

/// Valid values pass and every break fails, for `seeds` seeds; returns what was drawn.
fn check(schema: &Value, seeds: u64) -> (Vec<Value>, Vec<super::super::Invalid>) {
    let v = oracle(schema);
    let good = valid(schema).expect("valid strategy");
    let bad = invalid(schema).expect("invalid strategy");
    let (mut goods, mut bads) = (Vec::new(), Vec::new());
    for seed in 0..seeds {
        for g in sample(&good, seed, 4).expect("valid sample") {
            assert!(v.is_valid(&g), "{schema}: valid {g} refused");
            goods.push(g);
        }
        for b in sample(&bad, seed, 4).expect("invalid sample") {
            assert!(!v.is_valid(&b.value), "{schema}: break {b:?} accepted");
            bads.push(b);
        }
    }
    (goods, bads)
}

const REAL_WORLD: &[&str] = &[
    r"^rdme_\w+$",
    r"^[a-z0-9-]+$",
    r"^\d{3}-\d{4}$",
    r"^(\([0-9]{3}\))?[0-9]{3}-[0-9]{4}$",
    r"[a-z]",
    r"^[A-Z]{2}$",
    r"^\S+@\S+$",
    r"^(draft|published|archived)$",
    r"^v\d+(\.\d+){1,2}$",
    r"^[a-f0-9]{8,12}$",
    r"^#?([a-fA-F0-9]{6}|[a-fA-F0-9]{3})$",
    r"^\s*\w.*$",
    r"^[^\s]{1,20}$",
    r"\d",
];

#[test]
fn real_world_patterns_generate_matches_and_one_character_breaks() {
    for source in REAL_WORLD {
        let schema = json!({"type": "string", "pattern": source});
        let (goods, bads) = check(&schema, 60);
        assert!(goods.len() >= 200, "{source}");
        let pattern_breaks = bads.iter().filter(|b| b.keyword == "pattern").count();
        assert!(
            pattern_breaks > 0,
            "{source}: no pattern break among {bads:?}"
        );
        let distinct: std::collections::HashSet<String> =
            goods.iter().map(|g| g.to_string()).collect();
        assert!(
            distinct.len() > 1 || source.contains('|'),
            "{source}: {distinct:?}"
        );
    }
}

#[test]
fn length_bounds_and_patterns_are_broken_one_at_a_time() {
    let schema =
        json!({"type": "string", "pattern": "^[a-z0-9-]+$", "minLength": 3, "maxLength": 12});
    let (goods, bads) = check(&schema, 60);
    for g in &goods {
        let n = g.as_str().unwrap().chars().count();
        assert!((3..=12).contains(&n), "{g}");
    }
    for keyword in ["minLength", "maxLength", "pattern"] {
        assert!(
            bads.iter().any(|b| b.keyword == keyword),
            "no {keyword} break"
        );
    }
    // Each break is a matching string of the wrong length, or one of the right length that
    // does not match.
    let re = Pattern::compile("^[a-z0-9-]+$", String::new()).unwrap();
    for b in &bads {
        let Some(s) = b.value.as_str() else {
            assert_eq!(b.keyword, "type", "{b:?}");
            continue;
        };
        let n = s.chars().count();
        match b.keyword {
            "pattern" => assert!((3..=12).contains(&n) && !re.matches(s), "{b:?}"),
            "minLength" | "maxLength" => assert!(re.matches(s), "{b:?}"),
            _ => {}
        }
    }
}

#[test]
fn ecma_word_and_digit_classes_stay_ascii() {
    let schema = json!({"type": "string", "pattern": r"^\w+\d*$"});
    let good = valid(&schema).unwrap();
    for seed in 0..80 {
        for g in sample(&good, seed, 8).unwrap() {
            let s = g.as_str().unwrap();
            assert!(
                s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{s:?}"
            );
        }
    }
    // And the validator agrees that ECMA's `\w` refuses a non-ASCII letter.
    assert!(!oracle(&schema).is_valid(&json!("é")));
}

#[test]
fn an_uninvertible_pattern_is_unsupported_with_its_pointer() {
    for (source, what) in [
        (r"^(?=.*\d)\w+$", "lookahead"),
        (r"^(?<!x)a$", "lookbehind"),
        (r"^(a)\1$", "backreference"),
        (r"\bword\b", "word boundary"),
    ] {
        let schema = json!({"type": "object", "properties": {"code": {"type": "string", "pattern": source}}});
        match valid(&schema) {
            Err(GenError::Unsupported { pointer, what: why }) => {
                assert_eq!(pointer, "/properties/code/pattern", "{source}");
                assert!(why.contains(what) && why.contains("cannot invert"), "{why}");
            }
            other => panic!("{source}: {other:?}"),
        }
    }
}

#[test]
fn an_unmatchable_pattern_under_the_length_bounds_is_unsatisfiable() {
    let schema = json!({"type": "string", "pattern": r"^[A-Z]{2}$", "minLength": 3});
    assert!(matches!(
        valid(&schema),
        Err(GenError::Unsatisfiable { .. })
    ));
}

#[test]
fn the_derived_pair_matches_and_then_does_not() {
    for source in REAL_WORLD {
        let schema = json!({"type": "string", "pattern": source, "maxLength": 40});
        let v = oracle(&schema);
        let (good, bad) = pattern_pair(&schema, 7).expect("a pair");
        assert!(v.is_valid(&json!(good)), "{source}: {good:?}");
        let bad = bad.expect("a break");
        assert!(!v.is_valid(&json!(bad)), "{source}: {bad:?}");
        assert_eq!(
            pattern_pair(&schema, 7),
            Some((good, Some(bad))),
            "fixed seed"
        );
    }
    assert_eq!(pattern_pair(&json!({"type": "string"}), 7), None);
}

#[test]
fn pattern_properties_govern_matching_names_and_additional_the_rest() {
    let schema = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}, "x-rate": {"type": "integer", "minimum": 0}},
        "required": ["id"],
        "patternProperties": {"^x-": {"type": "integer", "maximum": 100}},
        "additionalProperties": false
    });
    let (goods, bads) = check(&schema, 80);
    assert!(
        goods.iter().any(|g| g
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("x-") && k != "x-rate")),
        "no patterned extra member drawn"
    );
    for g in &goods {
        if let Some(rate) = g.get("x-rate") {
            let r = rate.as_i64().unwrap();
            assert!((0..=100).contains(&r), "{g}");
        }
    }
    let keywords: Vec<&str> = bads.iter().map(|b| b.keyword).collect();
    for keyword in ["additionalProperties", "maximum", "type"] {
        assert!(
            keywords.contains(&keyword),
            "no {keyword} break in {keywords:?}"
        );
    }
}

#[test]
fn property_names_govern_every_extra_member() {
    for schema in [
        json!({"type": "object", "propertyNames": {"pattern": "^[a-z]+$", "maxLength": 6}}),
        json!({"type": "object", "propertyNames": {"pattern": "^[a-z]+$"},
               "additionalProperties": {"type": "integer"}}),
        json!({"type": "object", "propertyNames": {"maxLength": 3},
               "patternProperties": {"^a": {"type": "string"}}, "additionalProperties": false}),
    ] {
        let (goods, bads) = check(&schema, 60);
        assert!(
            goods.iter().any(|g| !g.as_object().unwrap().is_empty()),
            "{schema}: no member drawn"
        );
        assert!(
            bads.iter().any(|b| b.keyword == "propertyNames"),
            "{schema}: no propertyNames break"
        );
    }
}

#[test]
fn no_property_names_break_where_no_extra_member_is_allowed() {
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}},
                        "propertyNames": {"maxLength": 3}, "additionalProperties": false});
    let (_, bads) = check(&schema, 30);
    assert!(
        bads.iter().all(|b| b.keyword != "propertyNames"),
        "{bads:?}"
    );
}

#[test]
fn a_pattern_beside_a_format_it_rarely_spells_still_generates() {
    let schema = json!({"type": "string", "format": "date-time",
                        "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"});
    let (goods, bads) = check(&schema, 50);
    assert!(!goods.is_empty());
    let pattern_breaks = bads.iter().filter(|b| b.keyword == "pattern").count();
    assert!(
        pattern_breaks > 0,
        "no pattern break among {} breaks",
        bads.len()
    );
}

#[test]
fn a_hostile_pattern_is_refused_not_built() {
    for source in [r"^(a{1000}){1000}$", r"[^\s\S]"] {
        let schema = json!({"type": "string", "pattern": source});
        assert!(valid(&schema).is_err(), "{source}");
    }
}

#[test]
fn an_uninvertible_pattern_property_is_unsupported_at_its_key() {
    let schema = json!({"type": "object", "patternProperties": {"^(?=x)": {"type": "integer"}}});
    match valid(&schema) {
        Err(GenError::Unsupported { pointer, what }) => {
            assert_eq!(pointer, "/patternProperties/^(?=x)");
            assert!(what.contains("lookahead"), "{what}");
        }
        other => panic!("{other:?}"),
    }
}
