//! Whitespace cases of a free-text string: only whitespace, around a value, and around the
//! `maxLength` boundary, where a server that trims before it counts takes one character too
//! many and a server that refuses surrounding spaces refuses a valid string. Sent every run,
//! not left to the generator's draw.

use serde_json::json;

use super::values::repeat_code_points;
use super::Deriver;
use crate::contract::Class;

impl Deriver<'_> {
    /// `string::{prop}::whitespace_only`, `string::{prop}::surrounding_whitespace`, and
    /// `boundary::{prop}::max_length_with_spaces` / `max_length_plus_spaces`.
    pub(super) fn whitespace(&mut self, prop: &str, min: usize, max: Option<usize>) {
        let n = 3.max(min).min(max.unwrap_or(usize::MAX));
        if n > 0 {
            // The schema takes it, but a server that trims before it checks a minimum refuses
            // it, as pydantic's `str_strip_whitespace` with `min_length` does.
            let (class, why) = if min == 0 {
                (Class::Valid, "no minLength")
            } else {
                (
                    Class::Unspecified,
                    "a server may trim before checking minLength",
                )
            };
            self.prop_case(
                "string",
                prop,
                "whitespace_only",
                format!("only spaces ({why})"),
                class,
                Some(json!(" ".repeat(n))),
            );
        }
        let around = format!(
            "  {}  ",
            repeat_code_points("a b", 3.max(min.saturating_sub(4)))
        );
        if max.is_none_or(|m| around.chars().count() <= m) {
            self.prop_case(
                "string",
                prop,
                "surrounding_whitespace",
                "leading and trailing spaces around the text".into(),
                Class::Valid,
                Some(json!(around)),
            );
        }
        let Some(max) = max.filter(|m| *m >= 3 && *m >= min) else {
            return;
        };
        let inner = |n: usize| format!(" {} ", "a".repeat(n));
        self.prop_case(
            "boundary",
            prop,
            "max_length_with_spaces",
            format!("exactly maxLength ({max}), a space at each end included"),
            Class::Valid,
            Some(json!(inner(max - 2))),
        );
        self.prop_case(
            "boundary",
            prop,
            "max_length_plus_spaces",
            format!(
                "maxLength ({max}) characters with a space at each end: {} in all",
                max + 2
            ),
            Class::Invalid,
            Some(json!(inner(max))),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::cases::derive::derive;
    use crate::cases::derive::tests::{find, operation_with};
    use crate::contract::Class;

    #[test]
    fn whitespace_cases_are_classed_by_the_schema_s_bounds() {
        let c = operation_with(json!({"type": "object", "properties": {
            "free": {"type": "string", "maxLength": 10},
            "least": {"type": "string", "minLength": 2}
        }}));
        let cases = derive(&c);
        for (id, class, body) in [
            ("string::free::whitespace_only", Class::Valid, json!("   ")),
            (
                "string::free::surrounding_whitespace",
                Class::Valid,
                json!("  a b  "),
            ),
            (
                "boundary::free::max_length_with_spaces",
                Class::Valid,
                json!(" aaaaaaaa "),
            ),
            (
                "boundary::free::max_length_plus_spaces",
                Class::Invalid,
                json!(" aaaaaaaaaa "),
            ),
            (
                "string::least::whitespace_only",
                Class::Unspecified,
                json!("   "),
            ),
        ] {
            let case = find(&cases, id);
            assert_eq!(case.class(), class, "{id}: {}", case.title);
            let sent = case.request.body.json().unwrap();
            let prop = id.split("::").nth(1).unwrap();
            assert_eq!(sent[prop], body, "{id}");
            // The schema agrees with every class it can state.
            if class != Class::Unspecified {
                assert_eq!(
                    c.request_validator.is_valid(&sent),
                    class == Class::Valid,
                    "{id}"
                );
            }
        }
        // No maxLength: nothing at its boundary.
        assert!(!cases
            .iter()
            .any(|c| c.id == "boundary::least::max_length_with_spaces"));
        for id in ["string::free::punctuation", "string::free::invisible"] {
            let case = find(&cases, id);
            assert_eq!(case.class(), Class::Valid, "{id}");
            assert!(
                c.request_validator
                    .is_valid(&case.request.body.json().unwrap()),
                "{id}"
            );
        }
    }
}
