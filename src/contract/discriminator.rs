//! OpenAPI's `discriminator`: the property whose value names the branch of the `oneOf` or
//! `anyOf` beside it. JSON Schema ignores the keyword; OpenAPI 3.0 servers route by it (a
//! pydantic discriminated union, Jackson's type ids, ajv's `discriminator` option), while 3.1
//! calls it an annotation. So a value the suite builds as valid names its branch, which every
//! server takes, and a value that names no branch is invalid only where the branches' own
//! schemas refuse it.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

/// A `discriminator` beside a `oneOf` or `anyOf`: the property, and for each branch (by index)
/// the values that name it. A branch no value names (an inline schema outside the mapping)
/// has none.
#[derive(Clone, Debug, PartialEq)]
pub struct Discriminator {
    pub property: String,
    /// `oneOf` or `anyOf`.
    pub keyword: &'static str,
    pub values: Vec<Vec<String>>,
}

impl Discriminator {
    /// A value that names no branch: what a wrong discriminator case sends.
    pub fn unmapped(&self) -> String {
        let mut v = "x_unmapped".to_string();
        while self.values.iter().flatten().any(|x| *x == v) {
            v.push('_');
        }
        v
    }
}

/// The component name a `$ref` or a mapping target names: `#/components/schemas/Cat`,
/// `#/$defs/Cat` and a bare `Cat` all name `Cat`.
fn target_name(r: &str) -> Option<&str> {
    if let Some(name) = r
        .strip_prefix("#/components/schemas/")
        .or_else(|| r.strip_prefix("#/$defs/"))
    {
        return (!name.contains('/')).then_some(name);
    }
    (!r.contains('/') && !r.contains('#')).then_some(r)
}

/// The discriminator of one schema object, if it has one beside a `oneOf` or `anyOf`. A
/// mapping names a branch by its component; a `$ref` branch no mapping value names is named by
/// its component's name (OpenAPI's implicit mapping).
pub fn discriminator_of(schema: &Map<String, Value>) -> Option<Discriminator> {
    let d = schema.get("discriminator")?;
    let property = d.get("propertyName")?.as_str()?.to_string();
    let (keyword, branches) = ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| Some((k, schema.get(k)?.as_array()?)))?;
    let mapping: Vec<(&str, &str)> = d
        .get("mapping")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(value, target)| Some((value.as_str(), target_name(target.as_str()?)?)))
        .collect();
    let values = branches
        .iter()
        .map(|b| {
            let Some(name) = b.get("$ref").and_then(Value::as_str).and_then(target_name) else {
                return Vec::new();
            };
            let named: Vec<String> = mapping
                .iter()
                .filter(|(_, target)| *target == name)
                .map(|(value, _)| value.to_string())
                .collect();
            if named.is_empty() {
                vec![name.to_string()]
            } else {
                named
            }
        })
        .collect();
    Some(Discriminator {
        property,
        keyword,
        values,
    })
}

/// `schema` with each discriminated branch required to carry a value that names it: what a
/// valid value is built from. Borrowed when the schema has no discriminator.
pub fn tagged(schema: &Value) -> Cow<'_, Value> {
    if !has_discriminator(schema, 0) {
        return Cow::Borrowed(schema);
    }
    let mut out = schema.clone();
    tag(&mut out, 0);
    Cow::Owned(out)
}

/// How deep the walk goes, as the generator's own bound on nesting.
const MAX_DEPTH: usize = 64;

fn has_discriminator(v: &Value, depth: usize) -> bool {
    match v {
        _ if depth > MAX_DEPTH => false,
        Value::Object(o) => {
            o.get("discriminator").is_some_and(Value::is_object)
                || o.values().any(|x| has_discriminator(x, depth + 1))
        }
        Value::Array(a) => a.iter().any(|x| has_discriminator(x, depth + 1)),
        _ => false,
    }
}

fn tag(v: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(o) => {
            if let Some(d) = discriminator_of(o) {
                if let Some(Value::Array(branches)) = o.get_mut(d.keyword) {
                    for (branch, values) in branches.iter_mut().zip(&d.values) {
                        if !values.is_empty() {
                            *branch = with_tag(branch.take(), &d.property, values);
                        }
                    }
                }
            }
            o.values_mut().for_each(|x| tag(x, depth + 1));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| tag(x, depth + 1)),
        _ => {}
    }
}

/// `branch`, with `property` required and one of `values`.
pub fn with_tag(branch: Value, property: &str, values: &[String]) -> Value {
    json!({"allOf": [
        branch,
        {"properties": {property: {"enum": values}}, "required": [property]}
    ]})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pets() -> Value {
        json!({
            "oneOf": [
                {"$ref": "#/$defs/Cat"},
                {"$ref": "#/$defs/Dog"},
                {"$ref": "#/$defs/Lizard"}
            ],
            "discriminator": {
                "propertyName": "petType",
                "mapping": {"dog": "#/components/schemas/Dog", "hound": "Dog", "cat": "#/components/schemas/Cat"}
            },
            "$defs": {
                "Cat": {"type": "object", "properties": {"petType": {"type": "string"}}},
                "Dog": {"type": "object", "properties": {"petType": {"type": "string"}}},
                "Lizard": {"type": "object"}
            }
        })
    }

    #[test]
    fn a_mapping_names_its_branches_and_a_ref_outside_it_is_named_by_its_component() {
        let mut schema = pets();
        schema["oneOf"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "object"}));
        let d = discriminator_of(schema.as_object().unwrap()).unwrap();
        assert_eq!(d.property, "petType");
        assert_eq!(d.keyword, "oneOf");
        assert_eq!(
            d.values,
            vec![
                vec!["cat".to_string()],
                vec!["dog".to_string(), "hound".to_string()],
                vec!["Lizard".to_string()],
                vec![],
            ]
        );
        assert_eq!(d.unmapped(), "x_unmapped");
    }

    #[test]
    fn tagging_requires_each_named_branch_to_carry_its_value() {
        let schema = pets();
        let tagged = tagged(&schema).into_owned();
        let v = jsonschema::validator_for(&tagged).unwrap();
        let original = jsonschema::validator_for(&schema).unwrap();
        // Untagged, the three shapes overlap, so oneOf refuses every pet; tagged, each value
        // names exactly one branch, and a value that names none is refused.
        for pet in ["cat", "dog", "hound", "Lizard"] {
            let body = json!({ "petType": pet });
            assert!(v.is_valid(&body), "{body}");
            assert!(!original.is_valid(&body), "{body}");
        }
        for wrong in ["Cat", "x_unmapped"] {
            assert!(!v.is_valid(&json!({ "petType": wrong })), "{wrong}");
        }
        let plain = json!({"type": "object"});
        assert!(matches!(super::tagged(&plain), Cow::Borrowed(_)));
    }

    #[test]
    fn an_any_of_is_tagged_and_a_discriminator_without_branches_is_left_alone() {
        let any = json!({"anyOf": [{"$ref": "#/$defs/A"}], "discriminator": {"propertyName": "k"},
                         "$defs": {"A": {"type": "object"}}});
        let t = tagged(&any).into_owned();
        let v = jsonschema::validator_for(&t).unwrap();
        assert!(v.is_valid(&json!({"k": "A"})));
        assert!(!v.is_valid(&json!({"k": "B"})));
        assert!(!v.is_valid(&json!({})));
        let lone = json!({"type": "object", "discriminator": {"propertyName": "k"}});
        assert_eq!(tagged(&lone).into_owned(), lone);
    }
}
