//! The deriver's unit tests.

use super::values::number_value;
use super::*;
use crate::cases::Auth;
use std::path::Path;

#[test]
fn number_values_stay_inside_their_bounds() {
    let cases = [
        (json!({"maximum": -1.5}), true, json!(-2)),
        (json!({"maximum": -1, "multipleOf": 2}), true, json!(-2)),
        (json!({"minimum": 1.5}), true, json!(2)),
        (json!({"exclusiveMinimum": 0}), true, json!(1)),
        (json!({"exclusiveMaximum": -3}), false, json!(-3.5)),
        (json!({"minimum": 3, "multipleOf": 5}), true, json!(5)),
        (
            json!({"minimum": -1e10, "format": "int32"}),
            true,
            json!(i32::MIN),
        ),
    ];
    for (schema, integer, expected) in cases {
        assert_eq!(number_value(&schema, integer), expected, "{schema}");
    }
}

fn cases() -> (Operation, Vec<Case>) {
    let c = Operation::embedded().unwrap();
    let cases = derive(&c);
    (c, cases)
}

#[test]
fn at_least_sixty_cases_with_unique_ids() {
    let (_, cases) = cases();
    assert!(cases.len() >= 60, "{}", cases.len());
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), cases.len());
}

/// The schema itself is the oracle: every derived body judged by the validator agrees
/// with the class the deriver gave it (for cases that vary the body only).
#[test]
fn classes_agree_with_the_schema() {
    let (c, cases) = cases();
    let mut checked = 0;
    for case in &cases {
        let body_only = case.request.auth == Auth::Valid
            && case.request.path.is_empty()
            && case.request.method == c.endpoint.method
            && case.request.content_type.as_deref() == Some(c.endpoint.content_type.as_str());
        let Some(body) = case.request.body.json().filter(|_| body_only) else {
            continue;
        };
        let valid = c.request_validator.is_valid(&body);
        match case.class() {
            Class::Valid | Class::Unspecified => {
                assert!(valid, "{} should validate: {body}", case.id)
            }
            Class::Invalid => assert!(!valid, "{} should not validate: {body}", case.id),
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked}");
}

#[test]
fn lengths_count_code_points() {
    let (_, cases) = cases();
    let emoji = cases
        .iter()
        .find(|c| c.id == "boundary::name::max_length_plus_1_emoji")
        .unwrap();
    let body = emoji.request.body.json().unwrap();
    let name = body["name"].as_str().unwrap();
    assert_eq!(name.chars().count(), 56);
    assert_eq!(emoji.class(), Class::Invalid);
    assert_eq!(emoji.offending.as_deref(), Some("/name"));
}

/// The shipped operation with `schema` as its request schema, and no field policies.
pub(super) fn operation_with(schema: Value) -> Operation {
    let mut c = Operation::embedded().unwrap();
    c.endpoint.fields.clear();
    c.request_validator = crate::contract::compile(&schema, Path::new("test")).unwrap();
    c.request_schema = schema;
    c
}

fn derive_for(schema: Value) -> Vec<Case> {
    derive(&operation_with(schema))
}

pub(super) fn find<'a>(cases: &'a [Case], id: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

#[test]
fn an_escaped_solidus_goes_where_its_decoded_value_is_valid() {
    let cases = derive_for(json!({
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "code": {"type": "string", "pattern": "^[a-z]+$"},
            "path": {"type": "string", "examples": ["x/y"], "pattern": "^x/y$"},
            "note": {"type": "string"}
        }
    }));
    let case = find(&cases, "json::escaped_solidus");
    let Body::Raw(text) = &case.request.body else {
        panic!("a raw body")
    };
    assert!(text.contains(r#""path":"x\/y""#), "{text}");
    assert_eq!(case.class(), Class::Valid);
    let only_dates = derive_for(json!({
        "type": "object",
        "properties": {"at": {"type": "string", "format": "date-time"}}
    }));
    assert!(
        !only_dates.iter().any(|c| c.id == "json::escaped_solidus"),
        "a/b is no date-time"
    );
    let free = derive_for(json!({
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "note": {"type": "string"}
        }
    }));
    let Body::Raw(text) = &find(&free, "json::escaped_solidus").request.body else {
        panic!("a raw body")
    };
    assert!(text.contains(r#""note":"a\/b""#), "{text}");
    assert!(find(&free, "json::escaped_key").class() == Class::Valid);
}

#[test]
fn prototype_keys_go_only_into_their_own_unspecified_case() {
    let (_, cases) = cases();
    let case = find(&cases, "body::prototype_keys");
    assert_eq!(case.class(), Class::Unspecified);
    let body = case.request.body.json().unwrap();
    for key in crate::cases::generate::PROTOTYPE_KEYS {
        assert!(body.get(*key).is_some(), "{key}: {body}");
    }
    for other in cases.iter().filter(|c| c.id != "body::prototype_keys") {
        let text = other.request.body.to_text();
        assert!(
            !crate::cases::generate::PROTOTYPE_KEYS
                .iter()
                .any(|k| text.contains(&format!("\"{k}\""))),
            "{}: {text}",
            other.id
        );
    }
}

#[test]
fn an_undeclared_past_is_unspecified_and_says_so() {
    let schema = json!({
        "type": "object",
        "properties": {"at": {"type": "string", "format": "date-time"}}
    });
    let cases = derive_for(schema.clone());
    let past = find(&cases, "date_time::at::past");
    assert_eq!(past.class(), Class::Unspecified);
    assert!(
        past.title
            .ends_with("(unspecified: no `fields` policy declared)"),
        "{}",
        past.title
    );
    assert_eq!(
        find(&cases, "date_time::at::year_zero").class(),
        Class::Unspecified
    );
    assert_eq!(find(&cases, "date_time::at::utc").class(), Class::Valid);
    for (class, source, says) in [
        (
            Class::Invalid,
            crate::contract::FieldsSource::EndpointFile,
            "(invalid by the endpoint file's fields policy)",
        ),
        (
            Class::Valid,
            crate::contract::FieldsSource::XConformance,
            "(valid by x-conformance fields)",
        ),
    ] {
        let mut c = Operation::embedded().unwrap();
        c.request_validator = crate::contract::compile(&schema, Path::new("t")).unwrap();
        c.request_schema = schema.clone();
        c.endpoint.fields = BTreeMap::from([(
            "/at".to_string(),
            crate::contract::FieldPolicy { past: Some(class) },
        )]);
        c.endpoint.fields_source = source;
        let cases = derive(&c);
        let past = find(&cases, "date_time::at::past");
        assert_eq!(past.class(), class);
        assert!(past.title.ends_with(says), "{}", past.title);
    }
}

#[test]
fn numbers_beyond_2_53_are_never_valid() {
    let cases = derive_for(json!({
        "type": "object",
        "properties": {
            "big": {"type": "integer", "minimum": -1e19, "examples": [9007199254740993u64]},
            "far": {"type": "integer", "minimum": 1e17},
            "n": {"type": "number", "maximum": -1e300}
        }
    }));
    let base = find(&cases, "json::whitespace");
    assert_eq!(base.class(), Class::Unspecified, "{}", base.title);
    assert!(base.title.contains("2^53"), "{}", base.title);
    for case in &cases {
        if let Some(body) = case.request.body.json() {
            if crate::cases::generate::has_unsafe_number(&body) {
                assert_eq!(case.class(), Class::Unspecified, "{}", case.id);
            }
        }
    }
    let safe = derive_for(json!({
        "type": "object",
        "properties": {"big": {"type": "integer", "minimum": -1e19, "examples": [9007199254740993u64]}}
    }));
    let base = find(&safe, "json::whitespace");
    assert_eq!(base.class(), Class::Valid);
    let body = find(&safe, "media_type::charset")
        .request
        .body
        .json()
        .unwrap();
    assert_eq!(body["big"], json!(-9_007_199_254_740_991i64));
}

#[test]
fn another_schema_gets_its_own_cases() {
    let mut c = Operation::embedded().unwrap();
    c.request_schema = json!({
        "type": "object",
        "required": ["title"],
        "additionalProperties": false,
        "properties": {"title": {"type": "string", "minLength": 2, "maxLength": 4}, "count": {"type": "integer"}}
    });
    let cases = derive(&c);
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.contains(&"boundary::title::min_length_minus_1"));
    assert!(ids.contains(&"type::count::string"));
    assert!(!ids.iter().any(|i| i.contains("name")), "{ids:?}");
    let extra = cases
        .iter()
        .find(|c| c.id == "body::unknown_property")
        .unwrap();
    assert_eq!(extra.class(), Class::Invalid);
}

fn wide(n: usize, extra: Option<(&str, Value)>) -> Value {
    let props: Map<String, Value> = (0..n)
        .map(|i| (format!("f{i}"), json!({"type": "string", "maxLength": 20})))
        .collect();
    let required: Vec<String> = (0..n).step_by(2).map(|i| format!("f{i}")).collect();
    let mut schema = json!({"type": "object", "properties": props, "required": required});
    if let Some((k, v)) = extra {
        schema[k] = v;
    }
    schema
}

/// Judging each derived body is work linear in the schema, not in the schema times its cases:
/// counted in body members handed to the validator.
#[test]
fn judging_a_wide_schema_s_cases_is_linear_work() {
    let work = |n: usize| {
        let before = judged_members();
        let cases = derive_for(wide(n, None));
        (judged_members() - before, cases.len() as u64)
    };
    let (small, small_cases) = work(100);
    let (large, large_cases) = work(800);
    assert!(
        large_cases >= 7 * small_cases,
        "{small_cases} {large_cases}"
    );
    // Linear: eight times the properties, about eight times the work (and far from 64).
    assert!(large <= 10 * small, "{small} then {large}");
    assert!(
        large <= 4 * large_cases,
        "{large} members for {large_cases} cases"
    );
}

/// The verdict on one change is the verdict on the whole body, whichever way the root is
/// written: a root with a keyword across members (`minProperties`) is judged whole.
#[test]
fn a_change_judged_alone_gets_the_whole_body_s_verdict() {
    for extra in [None, Some(("minProperties", json!(3)))] {
        let schema = wide(12, extra.clone());
        let validator = crate::contract::compile(&schema, Path::new("test")).unwrap();
        let cases = derive_for(schema);
        // The deriver builds every case of this schema right, so the judge overrules none; a
        // judge that got one wrong would have made it unspecified.
        let overruled: Vec<&str> = cases
            .iter()
            .filter(|c| c.title.contains("(unspecified: the schema"))
            .map(|c| c.id.as_str())
            .collect();
        assert!(overruled.is_empty(), "{extra:?}: {overruled:?}");
        let mut judged = 0;
        for case in &cases {
            let Some(body) = case.request.body.json() else {
                continue;
            };
            if case.expect.label != "invalid_body" && case.class() != Class::Valid {
                continue;
            }
            if case.class() == Class::Unspecified {
                continue;
            }
            judged += 1;
            assert_eq!(
                validator.is_valid(&body),
                case.class() == Class::Valid,
                "{extra:?} {}: {}",
                case.id,
                body
            );
        }
        assert!(judged > 100, "{judged}");
    }
}
