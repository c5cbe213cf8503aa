//! Every format against the suite's validator: generated values and listed examples pass it
//! and our own check, `Invalid` near misses fail both, `Disputed` ones really are disputed.

use std::path::Path;

use serde_json::json;

use super::format_misses::Verdict;
use super::formats::{self, Format};
use super::sample;

/// The suite's validator for `{"type": "string", "format": name}`, formats asserted.
fn oracle(format: Format) -> jsonschema::Validator {
    let schema = json!({"type": "string", "format": format.name()});
    crate::contract::compile(&schema, Path::new("t")).unwrap()
}

/// `byte` is OpenAPI's, unknown to `jsonschema`: it is judged by RFC 4648's alphabet and
/// padding, written here as a regular expression, apart from `is_base64`.
fn rfc_4648(s: &str) -> bool {
    regex::Regex::new("^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
        .unwrap()
        .is_match(s)
}

/// The reference verdict: the validator's, or RFC 4648's for `byte`.
fn truth(format: Format, v: &jsonschema::Validator, s: &str) -> bool {
    match format {
        Format::Byte => rfc_4648(s),
        _ => v.is_valid(&json!(s)),
    }
}

#[test]
fn valid_values_of_every_format_pass_the_validator_and_our_check() {
    for format in Format::ALL {
        let v = oracle(format);
        let strategy = formats::valid(format);
        let mut distinct = std::collections::BTreeSet::new();
        for seed in 0..60 {
            for s in sample(&strategy, seed, 5).unwrap() {
                assert!(truth(format, &v, &s), "{}: {s:?} refused", format.name());
                assert!(formats::accepts(format, &s), "{}: {s:?}", format.name());
                distinct.insert(s);
            }
        }
        if format != Format::Binary {
            assert!(distinct.len() > 20, "{}: {distinct:?}", format.name());
        }
        for ex in formats::examples_of(format) {
            assert!(truth(format, &v, ex.text), "{}: {}", format.name(), ex.id);
            assert!(
                formats::accepts(format, ex.text),
                "{}: {}",
                format.name(),
                ex.id
            );
        }
    }
}

#[test]
fn near_misses_are_refused_or_really_disputed() {
    for format in Format::ALL {
        let v = oracle(format);
        for miss in formats::near_misses_of(format) {
            let (name, id) = (format.name(), miss.id);
            let validator = truth(format, &v, miss.text);
            // Our check agrees with the validator on every value we list.
            assert_eq!(
                formats::accepts(format, miss.text),
                validator,
                "{name}: {id}"
            );
            match miss.verdict {
                Verdict::Invalid => assert!(!validator, "{name}: {id} accepted"),
                Verdict::Disputed { rfc_allows, .. } => {
                    assert!(rfc_allows || validator, "{name}: {id} is refused by both");
                }
            }
        }
    }
    // The disputes named in the tables, side by side.
    let said = |f: Format, id: &str| {
        let m = formats::near_misses_of(f)
            .iter()
            .find(|m| m.id == id)
            .unwrap();
        truth(f, &oracle(f), m.text)
    };
    assert!(said(Format::Email, "quoted_local"));
    assert!(said(Format::Email, "address_literal"));
    assert!(!said(Format::Hostname, "trailing_dot"));
    assert!(said(Format::Uuid, "unknown_version"));
}

#[test]
fn ids_are_unique_within_a_format() {
    for format in Format::ALL {
        let mut ids: Vec<&str> = formats::near_misses_of(format)
            .iter()
            .map(|m| m.id)
            .chain(formats::examples_of(format).iter().map(|e| e.id))
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "{}", format.name());
    }
}

/// Through the public API: a string schema with a format and length bounds.
#[test]
fn generated_values_and_format_breaks_are_judged_as_labelled() {
    for format in Format::ALL {
        for schema in [
            json!({"type": "string", "format": format.name()}),
            json!({"type": "string", "format": format.name(), "minLength": 3, "maxLength": 40}),
        ] {
            let v = crate::contract::compile(&schema, Path::new("t")).unwrap();
            let good = super::valid(&schema).unwrap();
            for value in sample(&good, 7, 200).unwrap() {
                let s = value.as_str().unwrap();
                assert!(v.is_valid(&value), "{schema}: {value}");
                assert!(truth(format, &oracle(format), s), "{schema}: {value}");
            }
            let Ok(bad) = super::invalid(&schema) else {
                continue;
            };
            for inv in sample(&bad, 11, 300).unwrap() {
                let s = inv.value.as_str().map(str::to_owned);
                match (inv.keyword, s) {
                    ("format", Some(s)) => {
                        assert!(!truth(format, &oracle(format), &s), "{schema}: {s:?}");
                        let n = s.chars().count();
                        let bounded = schema.get("minLength").is_some();
                        assert!(!bounded || (3..=40).contains(&n), "{schema}: {s:?}");
                    }
                    _ if format != Format::Byte => {
                        assert!(!v.is_valid(&inv.value), "{schema}: {inv:?}")
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn unknown_formats_are_annotations_and_listed() {
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {"type": "string", "format": "x-colour"},
            "b": {"type": "integer", "format": "int64"},
            "format": {"type": "string", "format": "uuid"},
            "c": {"enum": [{"format": "data"}]},
        },
        "required": ["a"]
    });
    let values = super::valid(&schema).unwrap();
    let v = crate::contract::compile(&schema, Path::new("t")).unwrap();
    for value in sample(&values, 1, 50).unwrap() {
        assert!(v.is_valid(&value), "{value}");
    }
    assert_eq!(
        formats::unknown_formats(&schema),
        vec![("/properties/a/format".to_owned(), "x-colour".to_owned())]
    );
    assert!(super::valid(&json!({"format": 5})).is_err());
}

#[test]
fn base64_matches_rfc_4648_test_vectors() {
    // RFC 4648 section 10.
    for (plain, want) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(formats::base64(plain.as_bytes()), want);
        assert!(formats::is_base64(want) && rfc_4648(want), "{want}");
    }
}

#[test]
fn standards_md_lists_every_near_miss() {
    let text = include_str!("../../../schemas/standards.md");
    for format in Format::ALL {
        for miss in formats::near_misses_of(format) {
            let cell = format!("`{}`", miss.id);
            let section = format!("`format: {}`", format.name());
            let at = text
                .find(&section)
                .unwrap_or_else(|| panic!("no {section}"));
            let rest = &text[at..];
            let end = rest[1..].find("\n#").map_or(rest.len(), |e| e + 1);
            assert!(rest[..end].contains(&cell), "{section}: {cell}");
        }
    }
}
