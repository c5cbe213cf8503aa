//! Cases for a body that is one of several schemas: a valid body of each `oneOf` or `anyOf`
//! branch, one per discriminator value where OpenAPI's `discriminator` names the branches,
//! and a discriminator value that names no branch. The bodies are drawn by the generator with
//! a fixed seed, so every run sends the same ones.

use serde_json::{Map, Value};

use super::Deriver;
use crate::cases::generate;
use crate::contract::discriminator::{discriminator_of, with_tag, Discriminator};
use crate::contract::{pointer_token, Class};

/// The seed the branch bodies are drawn with.
const SEED: u64 = 0xb4a2_c0de;

/// How many bodies are drawn for a branch before taking one the whole schema refuses.
const DRAWS: usize = 16;

/// At most this many branch cases per operation: a union of hundreds of schemas gets a case
/// for each of the first ones, not hundreds of requests.
const MAX_BRANCHES: usize = 32;

impl Deriver<'_> {
    /// `branch::{keyword}::{i}` for each branch of the body's root `oneOf` or `anyOf` (null
    /// branches aside), or `discriminator::{property}::{value}` for each value a discriminator
    /// names, valid; and `discriminator::{property}::unmapped`. A body that also matches
    /// another branch of a `oneOf` is unspecified: many servers parse unions loosely, taking
    /// the first branch that fits.
    pub(super) fn branches(&mut self) {
        let body = self.body_schema().clone();
        let Some(object) = body.as_object() else {
            return;
        };
        let discriminator = discriminator_of(object);
        let Some((keyword, branches)) = ["oneOf", "anyOf"]
            .into_iter()
            .find_map(|k| Some((k, object.get(k)?.as_array()?.clone())))
        else {
            return;
        };
        let mut made = 0;
        for (i, branch) in branches.iter().enumerate() {
            if made >= MAX_BRANCHES || is_null_branch(&self.contract.request_schema, branch) {
                continue;
            }
            let values = discriminator
                .as_ref()
                .map(|d| d.values[i].clone())
                .unwrap_or_default();
            if values.is_empty() {
                made += 1;
                let Some(value) = self.branch_body(object, keyword, branch.clone()) else {
                    continue;
                };
                let title = format!("a body of {keyword} branch {i}");
                self.branch_case(format!("branch::{keyword}::{i}"), title, value, keyword);
                continue;
            }
            let d = discriminator.as_ref().expect("values come from it");
            for v in values {
                made += 1;
                let tagged = with_tag(branch.clone(), &d.property, std::slice::from_ref(&v));
                let Some(value) = self.branch_body(object, keyword, tagged) else {
                    continue;
                };
                let title = format!("{}: {v:?}, with a body of the branch it names", d.property);
                let id = format!("discriminator::{}::{}", d.property, pointer_token(&v));
                self.branch_case(id, title, value, keyword);
            }
        }
        if let Some(d) = discriminator {
            self.unmapped(object, keyword, &branches, &d);
        }
    }

    /// A valid body of `branch` with the body schema's other keywords (and the contract's
    /// `$defs`), the first of the drawn ones the whole schema takes, else the first drawn.
    fn branch_body(
        &self,
        body: &Map<String, Value>,
        keyword: &str,
        branch: Value,
    ) -> Option<Value> {
        let schema = self.branch_schema(body, keyword, branch);
        let strategy = generate::valid(&schema).ok()?;
        let drawn = generate::sample(&strategy, SEED, DRAWS).ok()?;
        drawn
            .iter()
            .find(|v| self.takes(v))
            .or(drawn.first())
            .cloned()
    }

    /// The body schema with only `branch` left of its `oneOf` or `anyOf`.
    fn branch_schema(&self, body: &Map<String, Value>, keyword: &str, branch: Value) -> Value {
        let mut schema = body.clone();
        schema.insert(keyword.into(), Value::Array(vec![branch]));
        schema.remove("discriminator");
        if let Some(defs) = self.contract.request_schema.get("$defs") {
            schema.insert("$defs".into(), defs.clone());
        }
        Value::Object(schema)
    }

    /// Valid, or unspecified when the whole schema refuses it: it matches another `oneOf`
    /// branch too.
    fn branch_case(&mut self, id: String, title: String, value: Value, keyword: &str) {
        let (class, title) = if self.takes(&value) {
            (Class::Valid, title)
        } else {
            (
                Class::Unspecified,
                format!("{title} (unspecified: it matches another {keyword} branch too, and servers parse unions loosely)"),
            )
        };
        let expect = self.expect(class, "invalid_body");
        let request = self.json_request(value);
        self.push(id, title, "branch", expect, request, None);
    }

    /// The first named branch's body with a discriminator value that names no branch. Invalid
    /// where the branches' schemas refuse it; otherwise unspecified, since OpenAPI 3.1 makes
    /// the discriminator an annotation and a server may take the body by its shape.
    fn unmapped(
        &mut self,
        body: &Map<String, Value>,
        keyword: &str,
        branches: &[Value],
        d: &Discriminator,
    ) {
        let Some((branch, values)) = branches.iter().zip(&d.values).find(|(_, v)| !v.is_empty())
        else {
            return;
        };
        let tagged = with_tag(branch.clone(), &d.property, &values[..1]);
        let Some(Value::Object(mut value)) = self.branch_body(body, keyword, tagged) else {
            return;
        };
        // Only the value changes: a body the schema refused before it proves nothing.
        if !self.takes(&Value::Object(value.clone())) {
            return;
        }
        let wrong = d.unmapped();
        value.insert(d.property.clone(), Value::String(wrong.clone()));
        let value = Value::Object(value);
        let title = format!("{}: {wrong:?}, a value that names no branch", d.property);
        let (class, title, offending) = if self.contract.request_validator.is_valid(&value) {
            (
                Class::Unspecified,
                format!("{title} (unspecified: the branches' schemas take it, and OpenAPI 3.1 makes the discriminator an annotation)"),
                None,
            )
        } else {
            (
                Class::Invalid,
                title,
                Some(format!("/{}", pointer_token(&d.property))),
            )
        };
        let expect = self.expect(class, "invalid_body");
        let request = self.json_request(value);
        let id = format!("discriminator::{}::unmapped", d.property);
        self.push(id, title, "branch", expect, request, offending);
    }
}

/// `{type: null}` (or a `$ref` to it): the null a nullable wrapper adds, which `body::null`
/// covers.
fn is_null_branch(root: &Value, branch: &Value) -> bool {
    let b = crate::contract::resolve_local(root, branch);
    b.get("type").and_then(Value::as_str) == Some("null")
}

#[cfg(test)]
mod tests {

    use serde_json::{json, Value};

    use crate::cases::derive::derive;
    use crate::cases::derive::tests::{find, operation_with as operation};

    use crate::contract::Class;

    /// Cat and Dog differ by shape; `tag` says whether each constrains `petType` itself.
    fn pets(tag: bool) -> Value {
        let pet_type = |v: &str| {
            if tag {
                json!({"type": "string", "enum": [v]})
            } else {
                json!({"type": "string"})
            }
        };
        json!({
            "oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}],
            "discriminator": {"propertyName": "petType", "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}},
            "$defs": {
                "Cat": {"type": "object", "required": ["petType", "meow"], "additionalProperties": false,
                        "properties": {"petType": pet_type("cat"), "meow": {"type": "boolean"}}},
                "Dog": {"type": "object", "required": ["petType", "bark"], "additionalProperties": false,
                        "properties": {"petType": pet_type("dog"), "bark": {"type": "integer"}}}
            }
        })
    }

    #[test]
    fn a_case_per_mapping_value_each_naming_its_branch() {
        for tag in [false, true] {
            let c = operation(pets(tag));
            let cases = derive(&c);
            for (value, field) in [("cat", "meow"), ("dog", "bark")] {
                let case = find(&cases, &format!("discriminator::petType::{value}"));
                assert_eq!(case.class(), Class::Valid, "{tag} {}", case.title);
                let body = case.request.body.json().unwrap();
                assert_eq!(body["petType"], value, "{body}");
                assert!(body.get(field).is_some(), "{body}");
                assert!(c.request_validator.is_valid(&body), "{body}");
            }
        }
    }

    #[test]
    fn a_value_that_names_no_branch_is_invalid_only_where_the_branches_refuse_it() {
        let loose = derive(&operation(pets(false)));
        let case = find(&loose, "discriminator::petType::unmapped");
        assert_eq!(case.class(), Class::Unspecified, "{}", case.title);
        assert!(case.title.contains("annotation"), "{}", case.title);
        let strict = operation(pets(true));
        let cases = derive(&strict);
        let case = find(&cases, "discriminator::petType::unmapped");
        assert_eq!(case.class(), Class::Invalid, "{}", case.title);
        assert_eq!(case.offending.as_deref(), Some("/petType"));
        let body = case.request.body.json().unwrap();
        assert_eq!(body["petType"], "x_unmapped");
        assert!(!strict.request_validator.is_valid(&body));
    }

    #[test]
    fn a_branch_body_that_also_matches_another_one_of_branch_is_unspecified() {
        let schema = json!({"oneOf": [
            {"type": "object", "properties": {"b": {"type": "string"}}},
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
            {"type": "null"}
        ]});
        let c = operation(schema);
        let cases = derive(&c);
        let first = find(&cases, "branch::oneOf::0");
        assert_eq!(first.class(), Class::Valid, "{}", first.title);
        assert!(c
            .request_validator
            .is_valid(&first.request.body.json().unwrap()));
        let second = find(&cases, "branch::oneOf::1");
        assert_eq!(second.class(), Class::Unspecified, "{}", second.title);
        assert!(
            !cases.iter().any(|c| c.id == "branch::oneOf::2"),
            "null is body::null's"
        );
        // An anyOf's overlap is no ambiguity: both are valid.
        let any = json!({"anyOf": [{"type": "object"}, {"type": "object", "required": ["a"]}]});
        let c = operation(any);
        let cases = derive(&c);
        for i in 0..2 {
            assert_eq!(
                find(&cases, &format!("branch::anyOf::{i}")).class(),
                Class::Valid
            );
        }
    }
}
