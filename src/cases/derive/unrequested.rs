//! `body::unknown_response_fields`: the request's schema is open, so unknown properties are
//! taken and ignored (schemas/README.md, decision 8). Ignored is checked, not assumed: the case
//! sends properties named like the response's own fields (`id`, `abilities`, ...) that the
//! request does not have, each holding a marked value no correct answer contains; the
//! `unknown_ignored` rule fails the answer that holds one (a body spread over the record, mass
//! assignment).

use serde_json::{json, Map, Value};

use super::Deriver;
use crate::contract::{resolve_local, Class, UNREQUESTED};

/// Response properties the case names at most: enough to show the spread, few enough to read.
const MOST: usize = 8;

impl Deriver<'_> {
    pub(super) fn unrequested(&mut self) {
        let schema = self.body_schema();
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            return;
        }
        let known = schema.get("properties").and_then(Value::as_object);
        let root = &self.contract.response_schema;
        let response = resolve_local(root, root);
        let mut extra = Map::new();
        for (name, s) in properties(response) {
            if extra.len() < MOST && !known.is_some_and(|k| k.contains_key(name)) {
                if let Some(v) = marked(name, resolve_local(root, s), root) {
                    extra.insert(name.clone(), v);
                }
            }
        }
        if extra.is_empty() {
            extra.insert("x_unrequested".into(), json!(format!("{UNREQUESTED}x")));
        }
        let names: Vec<String> = extra.keys().map(|k| format!("`{k}`")).collect();
        let mut body = (*self.base).clone();
        let mut added = Vec::new();
        for (k, v) in extra {
            if !body.contains_key(&k) {
                body.insert(k.clone(), v);
                added.push(k);
            }
        }
        if added.is_empty() {
            return;
        }
        let expect = self.expect(Class::Valid, "");
        let request = self.json_request(Value::Object(body));
        self.push(
            "body::unknown_response_fields".into(),
            format!(
                "unknown extra properties named like the response's {} (allowed by the schema: ignored, so none of their values comes back)",
                names.join(", ")
            ),
            "body",
            expect,
            request,
            None,
        );
    }
}

/// An object schema's `properties`, none when it has none.
fn properties(s: &Value) -> impl Iterator<Item = (&String, &Value)> {
    s.get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// A value of the property's JSON type whose strings carry the mark; none for a property that
/// holds no string (a number cannot be told from one the server chose).
fn marked(name: &str, s: &Value, root: &Value) -> Option<Value> {
    let mark = format!("{UNREQUESTED}{name}");
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["string"],
    };
    if types.contains(&"string") {
        return Some(json!(mark));
    }
    if types.contains(&"array") {
        return Some(json!([mark]));
    }
    if types.contains(&"object") {
        let mut inner = Map::new();
        for (sub, ss) in properties(s) {
            let ss = resolve_local(root, ss);
            let stringy = match ss.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => true,
            };
            if stringy {
                inner.insert(sub.clone(), json!(format!("{mark}/{sub}")));
            }
        }
        if inner.is_empty() {
            inner.insert("x".into(), json!(mark));
        }
        return Some(Value::Object(inner));
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::cases::derive::derive;
    use crate::cases::derive::tests::find;
    use crate::contract::{Class, UNREQUESTED};

    #[test]
    fn the_shipped_contract_sends_the_response_s_own_fields_marked() {
        let c = crate::contract::Operation::embedded().expect("embedded contract");
        let cases = derive(&c);
        let case = find(&cases, "body::unknown_response_fields");
        assert_eq!(case.class(), Class::Valid);
        let body = case.request.body.json().unwrap();
        assert!(c.request_validator.is_valid(&body));
        assert_eq!(body["id"], json!(format!("{UNREQUESTED}id")));
        assert_eq!(
            body["abilities"],
            json!([format!("{UNREQUESTED}abilities")])
        );
        assert_eq!(
            body["timestamp"]["created_at"],
            json!(format!("{UNREQUESTED}timestamp/created_at"))
        );
        // The request's own fields keep their valid values; a number is never sent marked.
        let stamps = body["timestamp"].as_object().unwrap();
        assert!(body["name"].is_string() && stamps.values().all(|v| v.is_string()));
    }
}
