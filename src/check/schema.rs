//! The body against the schema: `response_schema` (every schema error but a wrong enum value)
//! and `enum` (every enum-typed field found by walking the schema).

use serde_json::Value;

use super::{excerpt, names, Verdict};
use crate::contract::Severity;

/// One verdict per enum-typed field of `enums` whose value in the body is none of its values.
pub(super) fn enum_verdicts(enums: &[(String, Vec<Value>)], body: &Value, out: &mut Vec<Verdict>) {
    for (pointer, values) in enums {
        if let Some(actual) = body.pointer(pointer) {
            if !values.contains(actual) {
                let allowed: Vec<String> = values.iter().map(Value::to_string).collect();
                out.push(Verdict::new(
                    names::ENUM,
                    Severity::Error,
                    pointer.clone(),
                    format!("one of {}", allowed.join(", ")),
                    excerpt(&actual.to_string()),
                ));
            }
        }
    }
}

/// One verdict per schema error, but for a wrong enum value: the enum check reports that, so it
/// reads as a wrong enum.
pub(super) fn schema_verdicts(
    validator: &jsonschema::Validator,
    body: &Value,
    out: &mut Vec<Verdict>,
) {
    for err in validator.iter_errors(body) {
        if matches!(
            err.kind(),
            jsonschema::error::ValidationErrorKind::Enum { .. }
        ) {
            continue;
        }
        let at = err.instance_path().to_string();
        let keyword = err.kind().keyword().to_string();
        out.push(Verdict::new(
            names::RESPONSE_SCHEMA,
            Severity::Error,
            pointer_or_root(&at),
            format!("`{keyword}` at schema {}", err.schema_path()),
            err.to_string(),
        ));
    }
}

fn pointer_or_root(p: &str) -> String {
    if p.is_empty() {
        "(body)".into()
    } else {
        p.to_string()
    }
}

/// Walks `properties` (not arrays), following local `$ref`s, for `enum` keywords; the enum
/// check covers each one found. A schema that refers to itself ends at a depth.
pub(super) fn collect_enums(
    root: &Value,
    schema: &Value,
    at: String,
    depth: usize,
    out: &mut Vec<(String, Vec<Value>)>,
) {
    let schema = crate::contract::resolve_local(root, schema);
    if depth > 16 {
        return;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        out.push((at.clone(), values.clone()));
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let escaped = crate::contract::pointer_token(name);
            collect_enums(root, sub, format!("{at}/{escaped}"), depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::check::Checker;
    use crate::contract::Operation;

    #[test]
    fn enums_are_found_by_walking_the_schema() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        assert_eq!(checker.enums.len(), 1);
        assert_eq!(checker.enums[0].0, "/name");
    }
}
