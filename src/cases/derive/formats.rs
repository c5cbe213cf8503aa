//! Format cases: for a string property with a format (other than `date-time`, which has cases
//! of its own), a few valid values and each near miss of the format's table.
//!
//! A near miss the standard and the validator both refuse is invalid where the contract asserts
//! formats, and unspecified where `format` is an annotation (JSON Schema 2020-12's default); a
//! disputed one is unspecified either way, with the dispute in its title.

use serde_json::{json, Value};

use super::values::{length_bound, types_of};
use super::Deriver;
use crate::cases::generate::{format_examples, format_near_misses, Verdict};
use crate::contract::Class;

impl Deriver<'_> {
    /// The format cases of `prop`, whose (unwrapped) schema is `s`. Values that do not fit
    /// `minLength`/`maxLength` are left out: they would break two rules at once.
    pub(super) fn formats(&mut self, prop: &str, s: &Value) {
        let Some(name) = s.get("format").and_then(Value::as_str) else {
            return;
        };
        if name == "date-time" || !types_of(s).iter().any(|t| t == "string") {
            return;
        }
        let min = length_bound(s, "minLength").unwrap_or(0);
        let max = length_bound(s, "maxLength");
        let fits = |text: &str| {
            let n = text.chars().count();
            n >= min && max.is_none_or(|m| n <= m)
        };
        for ex in format_examples(name).iter().filter(|e| fits(e.text)) {
            self.prop_case(
                "format",
                prop,
                ex.id,
                format!("a valid {name} {}", ex.title),
                Class::Valid,
                Some(json!(ex.text)),
            );
        }
        let asserted = self.contract.format_class();
        for miss in format_near_misses(name).iter().filter(|m| fits(m.text)) {
            let what = format!("a {name} {}", miss.title);
            let (class, title) = match miss.verdict {
                Verdict::Invalid if asserted == Class::Invalid => {
                    (asserted, format!("{what} ({})", miss.rfc))
                }
                Verdict::Invalid => (
                    asserted,
                    format!("{what} ({}; {})", miss.rfc, self.contract.format_reason()),
                ),
                Verdict::Disputed { reason, .. } => (
                    Class::Unspecified,
                    format!("{what} (unspecified: {reason}; {})", miss.rfc),
                ),
            };
            self.prop_case(
                "format",
                prop,
                miss.id,
                title,
                class,
                Some(json!(miss.text)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use crate::cases::derive::derive;
    use crate::cases::Case;
    use crate::contract::{Class, Formats, Operation};

    fn derive_with(schema: serde_json::Value, formats: Formats) -> Vec<Case> {
        let mut c = Operation::embedded().unwrap();
        c.endpoint.fields.clear();
        c.endpoint.formats = formats;
        c.request_validator = crate::contract::compile(&schema, Path::new("t")).unwrap();
        c.request_schema = schema;
        derive(&c)
    }

    fn class_of(cases: &[Case], id: &str) -> Class {
        cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id}"))
            .class()
    }

    #[test]
    fn uuid_cases_follow_the_contract_s_format_rule() {
        let schema = json!({
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string", "format": "uuid"}}
        });
        for (formats, broken) in [
            (Formats::Asserted, Class::Invalid),
            (Formats::Annotation, Class::Unspecified),
        ] {
            let cases = derive_with(schema.clone(), formats);
            for id in ["v4", "nil", "upper_case"] {
                assert_eq!(class_of(&cases, &format!("format::id::{id}")), Class::Valid);
            }
            for id in ["braces", "no_hyphens", "urn", "empty"] {
                let case = cases.iter().find(|c| c.id == format!("format::id::{id}"));
                let case = case.unwrap();
                assert_eq!(case.class(), broken, "{id} under {formats:?}");
                assert!(case.title.contains("RFC 9562"), "{}", case.title);
                if broken != Class::Invalid {
                    assert!(case.title.contains("annotation"), "{}", case.title);
                }
            }
            let version = cases
                .iter()
                .find(|c| c.id == "format::id::unknown_version")
                .unwrap();
            assert_eq!(version.class(), Class::Unspecified);
            assert!(version.title.contains("unspecified:"), "{}", version.title);
        }
    }

    #[test]
    fn format_cases_keep_to_the_length_bounds_and_skip_date_times() {
        let schema = json!({
            "type": "object",
            "properties": {
                "ip": {"type": "string", "format": "ipv4", "maxLength": 9},
                "at": {"type": "string", "format": "date-time"},
                "n": {"type": "integer", "format": "int64"}
            }
        });
        let cases = derive_with(schema, Formats::Asserted);
        assert!(cases.iter().any(|c| c.id == "format::ip::zeros"));
        assert!(!cases.iter().any(|c| c.id == "format::ip::broadcast"));
        assert!(!cases.iter().any(|c| c.id.starts_with("format::at::")));
        assert!(!cases.iter().any(|c| c.id.starts_with("format::n::")));
    }
}
