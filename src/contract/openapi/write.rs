//! Writing the contract as an OpenAPI 3.1 document ([`document`], [`to_yaml`]).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::yaml;
use crate::contract::{pointer_token, Endpoint, Operation};

/// The contract as an OpenAPI 3.1 document: one operation per endpoint, its schemas under
/// `components`, what OpenAPI cannot say under `x-conformance`. `pin` fixes path parameters to
/// one value each (`enum`), for tools that draw them at random.
pub fn document(contracts: &[&Operation], pin: &BTreeMap<String, String>) -> Value {
    let mut paths = Map::new();
    let mut components = Components::default();
    for c in contracts {
        let e = &c.endpoint;
        let request = components.add(&c.request_schema, &format!("{}_request", e.operation));
        let mut responses = BTreeMap::new();
        for status in &e.success {
            let (schema, _) = c.response_for(*status);
            let fallback = format!("{}_response", e.operation);
            responses.insert(*status, components.add(schema, &fallback));
        }
        let item = paths
            .entry(e.path.clone())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item");
        item.insert(
            e.method.to_ascii_lowercase(),
            operation_of(e, request, &responses, pin),
        );
    }
    let title = match contracts {
        [one] => one.endpoint.title.clone(),
        _ => format!("{} operations", contracts.len()),
    };
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": { "title": title, "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer" } },
        },
    })
}

/// `components/schemas` being built. Schemas are compared as they are written there (their
/// references rewritten), so the same schema twice is kept once, and two that differ, or refer
/// to definitions that differ, never share a name.
#[derive(Default)]
struct Components {
    schemas: Map<String, Value>,
}

impl Components {
    /// Whether `name` is free, or holds `schema` already.
    fn fits(&self, name: &str, schema: &Value) -> bool {
        self.schemas.get(name).is_none_or(|s| s == schema)
    }

    /// Puts a schema and its `$defs` into `components/schemas`, and gives the reference to
    /// use for it (the schema's own `$ref` when it is only a reference to a definition). It is
    /// named by its title when that makes a component name, else by `fallback`.
    fn add(&mut self, schema: &Value, fallback: &str) -> Value {
        let mut s = schema.clone();
        let mut defs = Map::new();
        if let Value::Object(o) = &mut s {
            o.remove("$schema");
            o.remove("$id");
            if let Some(Value::Object(d)) = o.remove("$defs") {
                defs = d;
            }
        }
        // Each definition under its own name made a component name, when every one of them is
        // free or holds the same: else all under one new suffix, so none shares by accident.
        let mut bases: Vec<String> = Vec::new();
        for k in defs.keys() {
            let base = component_name(k);
            let mut unique = base.clone();
            for n in 2.. {
                if !bases.contains(&unique) {
                    break;
                }
                unique = format!("{base}_{n}");
            }
            bases.push(unique);
        }
        let mut renamed = BTreeMap::new();
        let mut rewritten_defs = Vec::new();
        for n in 1.. {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("_{n}")
            };
            renamed = defs
                .keys()
                .zip(&bases)
                .map(|(k, base)| (pointer_token(k), format!("{base}{suffix}")))
                .collect();
            rewritten_defs = defs
                .iter()
                .map(|(k, v)| {
                    let name = renamed[&pointer_token(k)].clone();
                    let rewritten = rewrite_refs(v, &renamed, &name);
                    (name, rewritten)
                })
                .collect();
            if rewritten_defs.iter().all(|(name, v)| self.fits(name, v)) {
                break;
            }
        }
        for (name, v) in rewritten_defs {
            self.schemas.insert(name, v);
        }
        let only_ref = s.as_object().is_some_and(|o| {
            o.len() == 1
                && o.get("$ref").and_then(Value::as_str).is_some_and(|r| {
                    r.strip_prefix("#/$defs/")
                        .is_some_and(|d| renamed.contains_key(d.split('/').next().unwrap_or(d)))
                })
        });
        if only_ref {
            return rewrite_refs(&s, &renamed, fallback);
        }
        let title = s
            .get("title")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && component_name(t) == *t)
            .unwrap_or(fallback);
        let title = component_name(title);
        for n in 1.. {
            let name = if n == 1 {
                title.clone()
            } else {
                format!("{title}_{n}")
            };
            let rewritten = rewrite_refs(&s, &renamed, &name);
            if self.fits(&name, &rewritten) {
                self.schemas.insert(name.clone(), rewritten);
                return json!({ "$ref": format!("#/components/schemas/{name}") });
            }
        }
        unreachable!("the names run out")
    }
}

/// `name` as OpenAPI allows a component's name (`^[a-zA-Z0-9._-]+$`): other characters as `_`.
fn component_name(name: &str) -> String {
    let out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        "schema".into()
    } else {
        out
    }
}

/// A schema moved into `components/schemas/{home}`: `#/$defs/X` references point at X's
/// component, other local references at the schema's new home.
fn rewrite_refs(v: &Value, renamed: &BTreeMap<String, String>, home: &str) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v.as_str()) {
                        ("$ref", Some(r)) if r.starts_with('#') => {
                            json!(rewrite_ref(r, renamed, home))
                        }
                        _ => rewrite_refs(v, renamed, home),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| rewrite_refs(x, renamed, home)).collect()),
        other => other.clone(),
    }
}

fn rewrite_ref(r: &str, renamed: &BTreeMap<String, String>, home: &str) -> String {
    if let Some(rest) = r.strip_prefix("#/$defs/") {
        let (def, tail) = rest.split_once('/').map_or((rest, ""), |(d, t)| (d, t));
        if let Some(name) = renamed.get(def) {
            let tail = if tail.is_empty() {
                String::new()
            } else {
                format!("/{tail}")
            };
            return format!("#/components/schemas/{name}{tail}");
        }
    }
    let rest = r.trim_start_matches('#');
    format!("#/components/schemas/{}{rest}", pointer_token(home))
}

/// What each kind of rejection means, for the response descriptions; an `auth` rejection
/// names the credentials the operation sends.
fn rejection_description(kind: &str, e: &Endpoint) -> String {
    match kind {
        "invalid_body" => "the body breaks the request schema".into(),
        "auth" => auth_description(e.auth.security.sent()),
        "unknown_path" => "a path parameter names nothing".into(),
        "media_type" => "the body is not of the request media type".into(),
        other => other.into(),
    }
}

fn auth_description(sent: &[crate::contract::Scheme]) -> String {
    match sent {
        [] => "the credentials are missing or invalid".into(),
        [one] if one.kind.sends_bearer() => "the bearer token is missing or invalid".into(),
        [one] => format!(
            "the credential ({}) is missing or invalid",
            one.kind.describe()
        ),
        several => {
            let kinds: Vec<String> = several.iter().map(|s| s.kind.describe()).collect();
            format!("a credential ({}) is missing or invalid", kinds.join(", "))
        }
    }
}

fn operation_of(
    e: &Endpoint,
    request: Value,
    success: &BTreeMap<u16, Value>,
    pin: &BTreeMap<String, String>,
) -> Value {
    let parameters: Vec<Value> = e
        .path_params
        .iter()
        .map(|(name, p)| {
            let mut schema = json!({ "type": "string" });
            let example = pin.get(name).unwrap_or(&p.example);
            if pin.contains_key(name) {
                schema["enum"] = json!([example]);
            }
            let mut param = json!({
                "name": name, "in": "path", "required": true, "schema": schema, "example": example,
            });
            if !p.description.is_empty() {
                param["description"] = json!(p.description);
            }
            param
        })
        .collect();
    let mut by_status: BTreeMap<u16, Value> = success
        .iter()
        .map(|(status, schema)| {
            let body = json!({ "description": "Success.", "content": { "application/json": { "schema": schema } } });
            (*status, body)
        })
        .collect();
    let mut meanings: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for (kind, statuses) in &e.expectations {
        if kind == "method" {
            continue;
        }
        for status in statuses {
            meanings
                .entry(*status)
                .or_default()
                .push(rejection_description(kind, e));
        }
    }
    for (status, meaning) in meanings {
        by_status.entry(status).or_insert_with(
            || json!({ "description": format!("Refused: {}.", meaning.join("; or ")) }),
        );
    }
    let responses: Map<String, Value> = by_status
        .into_iter()
        .map(|(status, r)| (status.to_string(), r))
        .collect();
    let mut ext = Map::new();
    if !e.semantics.is_empty() {
        ext.insert("semantics".into(), json!(e.semantics));
    }
    if let Some(id) = &e.created_id {
        ext.insert("created_id".into(), json!(id));
    }
    if !e.tolerated.is_empty() {
        ext.insert("tolerated".into(), json!(e.tolerated));
    }
    if !e.fields.is_empty() {
        ext.insert("fields".into(), json!(e.fields));
    }
    ext.insert("expectations".into(), json!(e.expectations));
    if e.formats != crate::contract::Formats::default() {
        ext.insert("formats".into(), json!(e.formats));
    }
    json!({
        "operationId": e.operation,
        "summary": e.title,
        "parameters": parameters,
        "security": [{ "bearerAuth": [] }],
        "requestBody": {
            "required": e.body_required,
            "content": { e.content_type.clone(): { "schema": request } },
        },
        "responses": responses,
        "x-conformance": ext,
    })
}

/// A JSON value as YAML text.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    let mut emitter = yaml_rust2::YamlEmitter::new(&mut out);
    let dumped = emitter.dump(&json_to_yaml(v)).is_ok();
    out.push('\n');
    // The emitter leaves some strings unquoted that YAML 1.2 reads as numbers (`0o17`, `0x1F`),
    // and a number beyond i64 would come back rounded. JSON is YAML too: where the YAML would
    // not read back as the same document, the document is printed as JSON.
    if dumped && yaml::to_json(&out).is_ok_and(|back| back == *v) {
        out
    } else {
        let mut json = serde_json::to_string_pretty(v).unwrap_or_default();
        json.push('\n');
        json
    }
}

fn json_to_yaml(v: &Value) -> yaml_rust2::Yaml {
    use yaml_rust2::Yaml;
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(a) => Yaml::Array(a.iter().map(json_to_yaml).collect()),
        Value::Object(o) => Yaml::Hash(
            o.iter()
                .map(|(k, v)| (Yaml::String(k.clone()), json_to_yaml(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_yaml_reads_back_as_the_same_document() {
        let plain = json!({"a": {"b": [1, "x", null, true, 2.5]}, "c": "text"});
        let text = to_yaml(&plain);
        assert!(!text.trim_start().starts_with('{'), "{text}");
        assert_eq!(yaml::to_json(&text).unwrap(), plain);
        // Strings YAML would read as numbers, and a number beyond i64.
        for tricky in [
            json!({"s": "0o17"}),
            json!({"s": "0x1F"}),
            json!({"n": u64::MAX}),
        ] {
            let text = to_yaml(&tricky);
            assert_eq!(yaml::to_json(&text).unwrap(), tricky, "{text}");
        }
    }

    #[test]
    fn an_auth_refusal_names_the_credentials_sent() {
        use crate::contract::{ParamIn, Scheme, SchemeKind};
        let scheme = |kind| Scheme {
            name: "s".into(),
            kind,
        };
        let key = SchemeKind::ApiKey {
            location: ParamIn::Header,
            name: "X-Key".into(),
        };
        assert_eq!(
            auth_description(&[scheme(SchemeKind::Bearer)]),
            "the bearer token is missing or invalid"
        );
        assert_eq!(
            auth_description(&[scheme(key.clone())]),
            "the credential (API key in the header `X-Key`) is missing or invalid"
        );
        assert_eq!(
            auth_description(&[scheme(SchemeKind::Basic), scheme(key)]),
            "a credential (HTTP basic, API key in the header `X-Key`) is missing or invalid"
        );
    }

    #[test]
    fn components_share_only_what_is_the_same_once_written() {
        let mut c = Components::default();
        // Two contracts, each with `Outer` referring to its own `Inner`: the same text, but
        // different schemas once the references are followed.
        let first = json!({"$defs": {"Inner": {"type": "string"},
                                     "Outer": {"$ref": "#/$defs/Inner"}},
                           "$ref": "#/$defs/Outer"});
        let second = json!({"$defs": {"Inner": {"type": "integer"},
                                      "Outer": {"$ref": "#/$defs/Inner"}},
                            "$ref": "#/$defs/Outer"});
        let a = c.add(&first, "a");
        let b = c.add(&second, "b");
        assert_eq!(a, json!({"$ref": "#/components/schemas/Outer"}));
        assert_eq!(b, json!({"$ref": "#/components/schemas/Outer_2"}));
        assert_eq!(
            c.schemas["Outer_2"],
            json!({"$ref": "#/components/schemas/Inner_2"})
        );
        assert_eq!(c.schemas["Inner_2"], json!({"type": "integer"}));
        // The same schema again is kept once.
        assert_eq!(c.add(&first, "c"), a);
        assert_eq!(c.schemas.len(), 4);
        // A main schema is compared as written too, and names become component names.
        let odd = json!({"title": "not a name", "$defs": {"a b": {"type": "string"}},
                         "properties": {"x": {"$ref": "#/$defs/a b"}}});
        assert_eq!(
            c.add(&odd, "create note"),
            json!({"$ref": "#/components/schemas/create_note"})
        );
        assert_eq!(
            c.schemas["create_note"]["properties"]["x"],
            json!({"$ref": "#/components/schemas/a_b"})
        );
        let other = json!({"properties": {"x": {"type": "string"}}});
        assert_eq!(
            c.add(&other, "create note"),
            json!({"$ref": "#/components/schemas/create_note_2"})
        );
    }
}
