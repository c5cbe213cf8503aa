//! The document's schemas as JSON Schema 2020-12: OpenAPI 3.0's keywords converted, components
//! carried as `$defs`, and `readOnly`/`writeOnly` properties dropped where they do not apply.

use serde_json::{json, Map, Value};

use crate::contract::{pointer_token, pointer_unescape};

/// `components/schemas`, converted, to be carried under `$defs` by the schemas that reach
/// them; those that cannot be converted are kept apart with why, to refuse only the operations
/// that reach them.
pub(super) fn component_schemas(doc: &Value, v30: bool) -> (Map<String, Value>, BadDefs) {
    let mut out = Map::new();
    let mut bad = BadDefs::new();
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in schemas {
            let pointer = format!("/components/schemas/{}", pointer_token(name));
            match convert(s, v30, &pointer) {
                Ok(c) => {
                    out.insert(name.clone(), c);
                }
                Err(e) => {
                    bad.insert(name.clone(), e);
                }
            }
        }
    }
    (out, bad)
}

/// Components that could not be converted: name → (pointer, why).
pub(super) type BadDefs = std::collections::BTreeMap<String, (String, String)>;

/// A schema of the document as JSON Schema 2020-12: 3.0 keywords converted, component
/// references pointed at `$defs`.
pub(super) fn convert(s: &Value, v30: bool, pointer: &str) -> Result<Value, (String, String)> {
    match s {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| convert(x, v30, &format!("{pointer}/{i}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                let at = format!("{pointer}/{}", pointer_token(k));
                if k == "$ref" {
                    let r = v.as_str().unwrap_or("");
                    let Some(name) = r.strip_prefix("#/components/schemas/") else {
                        return Err((
                            at,
                            format!("`$ref: {r}`: only #/components/schemas/... is supported"),
                        ));
                    };
                    out.insert(k.clone(), json!(format!("#/$defs/{name}")));
                } else if matches!(
                    k.as_str(),
                    "properties"
                        | "$defs"
                        | "definitions"
                        | "patternProperties"
                        | "dependentSchemas"
                ) {
                    // A map of names to schemas: the names are not keywords.
                    let mut m = Map::new();
                    for (name, sub) in v.as_object().into_iter().flatten() {
                        m.insert(
                            name.clone(),
                            convert(sub, v30, &format!("{at}/{}", pointer_token(name)))?,
                        );
                    }
                    out.insert(k.clone(), Value::Object(m));
                } else if matches!(
                    k.as_str(),
                    "enum" | "const" | "default" | "examples" | "example" | "dependentRequired"
                ) {
                    // Instances, not schemas: taken as they are.
                    out.insert(k.clone(), v.clone());
                } else if k == "discriminator" {
                    // An annotation to JSON Schema, kept for the generator: valid values name
                    // their branch (contract::discriminator).
                    out.insert(k.clone(), v.clone());
                } else if matches!(k.as_str(), "xml" | "externalDocs") {
                    // OpenAPI's annotations, which constrain nothing JSON Schema checks.
                } else {
                    out.insert(k.clone(), convert(v, v30, &at)?);
                }
            }
            // Before 3.0's `nullable` may wrap the schema, so the wrapped one is converted too.
            openapi_formats(&mut out);
            if let Some(example) = out.remove("example") {
                out.entry("examples").or_insert_with(|| json!([example]));
            }
            if v30 {
                convert_30(&mut out);
            } else if let Some(nullable) = out.remove("nullable") {
                // Not a keyword of 3.1 (JSON Schema ignores it), yet written in 3.1 documents
                // that mean 3.0's: whether a server takes null there is open.
                if nullable == Value::Bool(true) {
                    wrap_null_open(&mut out);
                }
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

/// OpenAPI 3.0's own keywords as 2020-12 says them.
fn convert_30(o: &mut Map<String, Value>) {
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Bool(exclusive)) = o.get(flag).cloned() {
            o.remove(flag);
            if exclusive {
                if let Some(b) = o.remove(bound) {
                    o.insert(flag.into(), b);
                }
            }
        }
    }
    if o.remove("nullable") == Some(Value::Bool(true)) {
        match o.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                o.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(a)) => {
                if !a.contains(&json!("null")) {
                    a.push(json!("null"));
                }
            }
            _ => {
                // No type to widen (`$ref`, `allOf`, `oneOf`, ...): null, or the schema. 3.0.3
                // says `nullable` then adds nothing, common practice says it adds null.
                wrap_null_open(o);
                return;
            }
        }
        if let Some(Value::Array(e)) = o.get_mut("enum") {
            if !e.contains(&Value::Null) {
                e.push(Value::Null);
            }
        }
    }
}

/// The schema, or null where servers differ on whether null is allowed: `anyOf: [schema,
/// {type: null}]` marked [`NULL_OPEN`](crate::contract::schema::NULL_OPEN), so the validator
/// accepts null and the generator neither sends it as valid nor as invalid. The annotations stay
/// outside, where readers look for them.
fn wrap_null_open(o: &mut Map<String, Value>) {
    let rest = std::mem::take(o);
    let (outside, rest): (Map<String, Value>, Map<String, Value>) =
        rest.into_iter().partition(|(k, _)| {
            crate::contract::schema::is_annotation(k) && !k.starts_with('$') && k != "definitions"
        });
    o.extend(outside);
    o.insert(
        "anyOf".into(),
        json!([Value::Object(rest), { "type": "null" }]),
    );
    o.insert(crate::contract::schema::NULL_OPEN.into(), json!(true));
}

/// OpenAPI's formats that constrain nothing a JSON Schema validator checks are dropped:
/// `int64`, `float`, `double`, and `password`, a display hint. `int32` stays: validators ignore
/// it, and the generator keeps valid values inside its range without ever breaking it (a server
/// may hold it or not). Other formats stay, for JSON Schema to assert or the generator to refuse.
fn openapi_formats(o: &mut Map<String, Value>) {
    let format = o.get("format").and_then(Value::as_str);
    if matches!(format, Some("int64" | "float" | "double" | "password")) {
        o.remove("format");
    }
}

/// A schema with the components it refers to, directly or through other components: each
/// schema carries only its own, so a large document is not copied into every schema. A
/// component that could not be converted, or that does not exist, is an error at `pointer`.
pub(super) fn with_defs(
    mut schema: Value,
    defs: &Map<String, Value>,
    bad: &BadDefs,
    pointer: &str,
) -> Result<Value, (String, String)> {
    let mut pending = Vec::new();
    def_refs(&schema, &mut pending);
    let mut wanted = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if wanted.insert(name.clone()) {
            match defs.get(&name) {
                Some(d) => def_refs(d, &mut pending),
                None => {
                    return Err(match bad.get(&name) {
                        Some((at, why)) if super::bundle::is_refused(&name) => (at.clone(), why.clone()),
                        Some((at, why)) => (
                            at.clone(),
                            format!("the schema at {pointer} uses component `{name}`, which cannot be taken: {why}"),
                        ),
                        None => (
                            pointer.to_string(),
                            format!("`$ref: #/components/schemas/{name}` points at nothing"),
                        ),
                    })
                }
            }
        }
    }
    let kept: Map<String, Value> = defs
        .iter()
        .filter(|(k, _)| wanted.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let (Value::Object(o), false) = (&mut schema, kept.is_empty()) {
        o.insert("$defs".into(), Value::Object(kept));
    }
    Ok(schema)
}

/// The component names `#/$defs/NAME...` references in `v` name.
fn def_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, sub) in o {
                match (k.as_str(), sub.as_str()) {
                    ("$ref", Some(r)) => {
                        if let Some(rest) = r.strip_prefix("#/$defs/") {
                            let token = rest.split('/').next().unwrap_or(rest);
                            out.push(pointer_unescape(token));
                        }
                    }
                    _ => def_refs(sub, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| def_refs(x, out)),
        _ => {}
    }
}

/// Removes, in every object schema of `schema` (its `$defs` too), the properties marked
/// `readOnly: true` from a request, and their `required` entries: they are not sent.
pub(super) fn drop_properties_marked(schema: &mut Value, flag: &str) {
    let root = schema.clone();
    drop_marked(schema, &root, flag, true, 0);
}

/// Makes the properties marked `writeOnly: true` optional in a response, and keeps them
/// declared: OpenAPI says such a property SHOULD NOT be answered, no MUST, so an answer that
/// holds one (a document's example often does) breaks no `additionalProperties: false` or
/// `unevaluatedProperties: false` beside it.
pub(super) fn unrequire_properties_marked(schema: &mut Value, flag: &str) {
    let root = schema.clone();
    drop_marked(schema, &root, flag, false, 0);
}

/// Whether a property's schema is marked `flag: true`: itself, what its `$ref` points at, a
/// member of its `allOf`, or every branch but `{type: null}` of its `anyOf`/`oneOf` (a nullable
/// wrapper). `budget` bounds the schemas looked at, which references could multiply.
fn is_marked(root: &Value, s: &Value, flag: &str, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    if s.get(flag) == Some(&Value::Bool(true)) {
        return true;
    }
    let target = crate::contract::resolve_local(root, s);
    if !std::ptr::eq(target, s) && is_marked(root, target, flag, budget) {
        return true;
    }
    let list = |k: &str| s.get(k).and_then(Value::as_array).into_iter().flatten();
    if list("allOf").any(|m| is_marked(root, m, flag, budget)) {
        return true;
    }
    let null = json!({ "type": "null" });
    ["anyOf", "oneOf"].iter().any(|k| {
        let branches: Vec<&Value> = list(k).filter(|m| **m != null).collect();
        !branches.is_empty() && branches.iter().all(|m| is_marked(root, m, flag, budget))
    })
}

fn drop_marked(v: &mut Value, root: &Value, flag: &str, remove: bool, depth: usize) {
    if depth > 256 {
        return;
    }
    match v {
        Value::Object(o) => {
            let marked: Vec<String> = o
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(_, sub)| is_marked(root, sub, flag, &mut 256))
                .map(|(name, _)| name.clone())
                .collect();
            if !marked.is_empty() && remove {
                if let Some(Value::Object(props)) = o.get_mut("properties") {
                    for name in &marked {
                        props.remove(name);
                    }
                }
            }
            if !marked.is_empty() {
                if let Some(Value::Array(required)) = o.get_mut("required") {
                    required.retain(|r| !r.as_str().is_some_and(|r| marked.iter().any(|m| m == r)));
                }
            }
            for (k, sub) in o.iter_mut() {
                if !matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                    drop_marked(sub, root, flag, remove, depth + 1);
                }
            }
        }
        Value::Array(a) => {
            for sub in a {
                drop_marked(sub, root, flag, remove, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_schema_carries_only_the_components_it_reaches() {
        let defs = json!({
            "A": {"$ref": "#/$defs/B"},
            "B": {"type": "string"},
            "a/b": {"type": "integer"},
            "Unused": {"type": "boolean"},
        });
        let defs = defs.as_object().unwrap();
        let bad = BadDefs::from([("Bad".to_string(), ("/x".to_string(), "no".to_string()))]);
        let s = with_defs(
            json!({"properties": {"x": {"$ref": "#/$defs/A"}, "y": {"$ref": "#/$defs/a~1b"}}}),
            defs,
            &bad,
            "",
        )
        .unwrap();
        let kept: Vec<&str> = s["$defs"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(kept, ["A", "B", "a/b"]);
        // A reference that cannot be followed, or leads to a component that could not be
        // converted, is an error.
        let e = with_defs(json!({"$ref": "#/$defs/Gone"}), defs, &bad, "/p").unwrap_err();
        assert_eq!(e.0, "/p");
        let e = with_defs(json!({"$ref": "#/$defs/Bad"}), defs, &bad, "/p").unwrap_err();
        assert_eq!(e.0, "/x");
        assert!(with_defs(json!({"type": "null"}), defs, &bad, "")
            .unwrap()
            .get("$defs")
            .is_none());
    }

    /// 3.1 has no `nullable`, but documents written in 3.0's habits use it: null is then open
    /// (the validator takes it, no case sends it either way).
    #[test]
    fn a_nullable_in_a_3_1_document_leaves_null_open() {
        let s = convert(
            &json!({"type": "string", "maxLength": 3, "nullable": true, "description": "d"}),
            false,
            "",
        )
        .unwrap();
        assert_eq!(
            s,
            json!({
                "description": "d",
                "anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}],
                crate::contract::schema::NULL_OPEN: true,
            })
        );
        let plain = convert(&json!({"type": "string", "nullable": false}), false, "").unwrap();
        assert_eq!(plain, json!({"type": "string"}));
    }

    #[test]
    fn names_in_schema_maps_are_not_keywords() {
        let s = json!({
            "properties": {"example": {"type": "string", "example": "x"}},
            "dependentSchemas": {"example": {"required": ["enum"], "example": 1}},
            "dependentRequired": {"example": ["enum"]},
        });
        let converted = convert(&s, true, "").unwrap();
        assert_eq!(
            converted,
            json!({
                "properties": {"example": {"type": "string", "examples": ["x"]}},
                "dependentSchemas": {"example": {"required": ["enum"], "examples": [1]}},
                "dependentRequired": {"example": ["enum"]},
            })
        );
    }
}
