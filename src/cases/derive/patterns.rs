//! `pattern` cases: a string the pattern matches, and the same string one character off, which
//! only the pattern refuses. Both are drawn by the generator from the pattern itself with a
//! fixed seed, so every run sends the same two strings.

use serde_json::{json, Value};

use super::Deriver;
use crate::cases::generate::pattern_pair;
use crate::contract::Class;

/// The seed the derived pattern strings are drawn with: fixed, so the cases are the same in
/// every run and in `--list`.
const SEED: u64 = 0x7a77_e54e;

impl Deriver<'_> {
    /// `pattern::{prop}::matching` (valid) and `pattern::{prop}::one_char_off` (invalid: a
    /// pattern is an assertion, unlike a format). None for a pattern the generator cannot
    /// invert, whose operation is listed not tested, nor for a string with `enum` or `const`.
    pub(super) fn patterns(&mut self, prop: &str, s: &Value) {
        let Some(source) = s.get("pattern").and_then(Value::as_str) else {
            return;
        };
        let Some((good, bad)) = pattern_pair(s, SEED) else {
            return;
        };
        self.prop_case(
            "pattern",
            prop,
            "matching",
            format!("a string the pattern {source} matches"),
            Class::Valid,
            Some(json!(good)),
        );
        if let Some(bad) = bad {
            self.prop_case(
                "pattern",
                prop,
                "one_char_off",
                format!("a matching string one character off, so {source} does not match"),
                Class::Invalid,
                Some(json!(bad)),
            );
        }
    }
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use crate::cases::derive::derive;
    use crate::cases::derive::tests::operation_with as operation;
    use crate::contract::Class;

    #[test]
    fn a_pattern_gets_a_matching_case_and_one_a_character_off() {
        let schema = json!({
            "type": "object",
            "required": ["phone", "slug"],
            "properties": {
                "phone": {"type": "string", "pattern": r"^(\([0-9]{3}\))?[0-9]{3}-[0-9]{4}$"},
                "slug": {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 20},
                "code": {"type": "string", "pattern": r"^\w+$", "minLength": 2},
                "tag": {"type": "string", "pattern": "[a-z]"}
            }
        });
        let c = operation(schema);
        let cases = derive(&c);
        for prop in ["phone", "slug", "code", "tag"] {
            for (rule, class) in [("matching", Class::Valid), ("one_char_off", Class::Invalid)] {
                let id = format!("pattern::{prop}::{rule}");
                let case = cases
                    .iter()
                    .find(|c| c.id == id)
                    .unwrap_or_else(|| panic!("no case {id}"));
                assert_eq!(case.class(), class, "{id}");
                let body = case.request.body.json().expect("a JSON body");
                assert_eq!(
                    c.request_validator.is_valid(&body),
                    class == Class::Valid,
                    "{id}: {body}"
                );
            }
        }
        // The same cases every run.
        let again = derive(&c);
        let ids = |cs: &[crate::cases::Case]| -> Vec<String> {
            cs.iter()
                .filter(|c| c.id.starts_with("pattern::"))
                .map(|c| format!("{}{:?}", c.id, c.request.body.json()))
                .collect()
        };
        assert_eq!(ids(&cases), ids(&again));
    }

    #[test]
    fn a_pattern_the_generator_cannot_invert_gets_no_case() {
        let c = operation(json!({
            "type": "object",
            "properties": {"locked": {"type": "string", "pattern": "^(?=a)a+$"}}
        }));
        assert!(!derive(&c).iter().any(|c| c.id.starts_with("pattern::")));
    }
}
