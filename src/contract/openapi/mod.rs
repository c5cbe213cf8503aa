//! OpenAPI in and out: the contract its users already keep ([`load`]), and the contract as
//! OpenAPI 3.1 ([`document`]).
//!
//! Each operation with a JSON request body becomes an endpoint: its method, path template and
//! path parameters (with their examples), the bearer security scheme, the request schema, the
//! response schema of its success statuses, and its documented 4xx statuses as expectations.
//! OpenAPI 3.0's `nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum` and `example` are
//! converted to JSON Schema 2020-12. What OpenAPI cannot say (semantic rules, tolerated statuses,
//! field policies, the created id) comes from an `x-conformance` extension on the operation, in
//! the endpoint file's format. Anything else it cannot take is refused with its pointer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::contract::{
    pointer_token, pointer_unescape, AuthSpec, Endpoint, FieldPolicy, Operation, Parts, PathParam,
    Semantic,
};
use crate::diag::{read_text, FileError};

mod yaml;

/// What `x-conformance` on an operation may say: the endpoint file's keys OpenAPI has no room
/// for.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extension {
    #[serde(default)]
    semantics: Vec<Semantic>,
    created_id: Option<String>,
    #[serde(default)]
    tolerated: BTreeMap<String, Vec<u16>>,
    #[serde(default)]
    fields: BTreeMap<String, FieldPolicy>,
    #[serde(default)]
    expectations: BTreeMap<String, Vec<u16>>,
}

/// Statuses expected for each kind of rejection when the document lists none of them.
const DEFAULT_EXPECTATIONS: &[(&str, &[u16])] = &[
    ("invalid_body", &[400, 422]),
    ("auth", &[401]),
    ("unknown_path", &[404]),
    ("media_type", &[415, 400, 422]),
    ("method", &[405]),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Reads an OpenAPI 3.0 or 3.1 document, in YAML or JSON, into one contract per operation that
/// takes a JSON body.
pub fn load(path: &Path) -> Result<Vec<Operation>, FileError> {
    let text = read_text(path)?;
    let doc = parse(path, &text)?;
    let at = |pointer: &str, message: String| {
        FileError::new(path, format!("{message} (at {pointer})"))
            .help("see the README's OpenAPI section for what is supported")
    };
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    let v30 = version.starts_with("3.0");
    if !(v30 || version.starts_with("3.1")) {
        return Err(at(
            "/openapi",
            format!("OpenAPI `{version}` is not 3.0 or 3.1"),
        ));
    }
    let defs = component_schemas(&doc, v30).map_err(|(p, m)| at(&p, m))?;
    let mut contracts = Vec::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (template, item) in &paths {
        // In the document's order; every method of the path is one its other operations answer.
        let methods: Vec<&str> = item
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .map(String::as_str)
            .filter(|m| METHODS.contains(m))
            .collect();
        for method in &methods {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let pointer = format!("/paths/{}/{method}", pointer_token(template));
            let Some(mut parts) =
                operation(path, &doc, &defs, v30, template, item, method, op, &pointer)
                    .map_err(|(p, m)| at(&p, m))?
            else {
                continue;
            };
            let id = parts.endpoint.operation.clone();
            if let Some(first) = seen.insert(id.clone(), pointer.clone()) {
                return Err(at(
                    &format!("{pointer}/operationId"),
                    format!("operationId `{id}` is also the operationId at {first}"),
                ));
            }
            parts.endpoint.path_methods = methods
                .iter()
                .filter(|m| *m != method)
                .map(|m| m.to_ascii_uppercase())
                .collect();
            contracts.push(Operation::from_parts(parts)?);
        }
    }
    if contracts.is_empty() {
        return Err(at(
            "/paths",
            "no operation takes a JSON request body".into(),
        ));
    }
    Ok(contracts)
}

/// JSON text, or YAML (of which JSON is a subset) turned into JSON.
fn parse(path: &Path, text: &str) -> Result<Value, FileError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| FileError::from_json(path, &e));
    }
    yaml::to_json(text).map_err(|e| FileError::new(path, e.message).at(e.line, e.column))
}

/// `components/schemas`, converted, to be carried under `$defs` by every schema.
fn component_schemas(doc: &Value, v30: bool) -> Result<Map<String, Value>, (String, String)> {
    let mut out = Map::new();
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in schemas {
            let pointer = format!("/components/schemas/{}", pointer_token(name));
            out.insert(name.clone(), convert(s, v30, &pointer)?);
        }
    }
    Ok(out)
}

/// A schema of the document as JSON Schema 2020-12: 3.0 keywords converted, component
/// references pointed at `$defs`.
fn convert(s: &Value, v30: bool, pointer: &str) -> Result<Value, (String, String)> {
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
                } else if matches!(k.as_str(), "discriminator" | "xml" | "externalDocs") {
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
                // says `nullable` then adds nothing, common practice says it adds null: the
                // validator accepts null, and the generator neither sends it as valid nor as
                // invalid. The annotations stay outside, where readers look for them.
                let rest = std::mem::take(o);
                let (outside, rest): (Map<String, Value>, Map<String, Value>) =
                    rest.into_iter().partition(|(k, _)| {
                        crate::contract::schema::is_annotation(k)
                            && !k.starts_with('$')
                            && k != "definitions"
                    });
                o.extend(outside);
                o.insert(
                    "anyOf".into(),
                    json!([Value::Object(rest), { "type": "null" }]),
                );
                o.insert(crate::contract::schema::NULL_OPEN.into(), json!(true));
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

/// A schema with the components it refers to, directly or through other components (all of
/// them where a reference cannot be followed): each operation carries only its own, so a large
/// document is not copied into every schema.
fn with_defs(mut schema: Value, defs: &Map<String, Value>) -> Value {
    let mut pending = Vec::new();
    def_refs(&schema, &mut pending);
    let mut wanted = std::collections::BTreeSet::new();
    let mut followed_all = true;
    while let Some(name) = pending.pop() {
        if wanted.insert(name.clone()) {
            match defs.get(&name) {
                Some(d) => def_refs(d, &mut pending),
                None => followed_all = false,
            }
        }
    }
    let kept: Map<String, Value> = defs
        .iter()
        .filter(|(k, _)| !followed_all || wanted.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let (Value::Object(o), false) = (&mut schema, kept.is_empty()) {
        o.insert("$defs".into(), Value::Object(kept));
    }
    schema
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

/// One operation's parts, or `None` when it takes no JSON body.
#[allow(clippy::too_many_arguments)]
fn operation(
    file: &Path,
    doc: &Value,
    defs: &Map<String, Value>,
    v30: bool,
    template: &str,
    item: &Value,
    method: &str,
    op: &Value,
    pointer: &str,
) -> Result<Option<Parts>, (String, String)> {
    let body = resolve_ref(
        doc,
        op.get("requestBody"),
        &format!("{pointer}/requestBody"),
    )?;
    let Some((content_type, request)) = body.and_then(|b| json_content(b.get("content"))) else {
        return Ok(None);
    };
    let content_pointer = format!(
        "{pointer}/requestBody/content/{}",
        pointer_token(&content_type)
    );
    let mut request = with_defs(
        convert(request, v30, &format!("{content_pointer}/schema"))?,
        defs,
    );
    // A read-only property is not sent: it is neither required nor built into a request.
    drop_properties_marked(&mut request, "readOnly");
    let operation_id = op
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            (
                format!("{pointer}/operationId"),
                "an operation needs an operationId".into(),
            )
        })?;
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let by_status = success_responses(doc, &responses, pointer)?;
    let success: Vec<u16> = by_status.keys().copied().collect();
    // The schema most success statuses share is the endpoint's; the others are per status.
    let count = |s: &Value| by_status.values().filter(|(_, t)| t == s).count();
    let shared = by_status
        .values()
        .map(|(_, s)| s)
        .max_by_key(|s| count(s))
        .cloned()
        .unwrap_or_default();
    let schema_at = |at: &str| (format!("{}#{at}", file.display()), at.to_string());
    let response_of = |schema: &Value, at: &str| -> Result<Value, (String, String)> {
        let mut converted = with_defs(convert(schema, v30, at)?, defs);
        // A write-only property is never in a response.
        drop_properties_marked(&mut converted, "writeOnly");
        Ok(converted)
    };
    let (_, (first_at, _)) = by_status
        .iter()
        .find(|(_, (_, s))| *s == shared)
        .expect("the shared schema is one status's");
    let (response_name, response_at) = schema_at(first_at);
    let response = response_of(&shared, &response_at)?;
    let mut response_schemas = BTreeMap::new();
    let mut status_schemas = BTreeMap::new();
    for (status, (schema_pointer, schema)) in &by_status {
        if *schema != shared {
            let (name, at) = schema_at(schema_pointer);
            let converted = response_of(schema, &at)?;
            response_schemas.insert(*status, name.clone());
            status_schemas.insert(*status, (converted, PathBuf::from(name)));
        }
    }
    let documented: Vec<u16> = responses.keys().filter_map(|k| k.parse().ok()).collect();
    let ext: Extension = match op.get("x-conformance") {
        Some(x) => serde_json::from_value(x.clone())
            .map_err(|e| (format!("{pointer}/x-conformance"), e.to_string()))?,
        None => Extension::default(),
    };
    let endpoint = Endpoint {
        operation: operation_id.to_string(),
        title: op
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or(operation_id)
            .to_string(),
        method: method.to_ascii_uppercase(),
        path: template.to_string(),
        path_params: path_params(doc, item, op, pointer)?,
        auth: AuthSpec {
            scheme: bearer_scheme(doc, op, pointer)?,
        },
        content_type: content_type.clone(),
        request_schema: format!("{}#{content_pointer}/schema", file.display()),
        response_schema: response_name,
        response_schemas,
        response_media_types: success_media_types(doc, &responses),
        success,
        expectations: expectations(&documented, ext.expectations),
        tolerated: ext.tolerated,
        semantics: ext.semantics,
        created_id: ext.created_id,
        fields: ext.fields,
        fields_source: crate::contract::FieldsSource::XConformance,
        path_methods: Default::default(),
        // OpenAPI's default is false: a document that does not say so lets the body be left out.
        body_required: body
            .and_then(|b| b.get("required"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let endpoint_path = Path::new(&format!("{}#{pointer}", file.display())).to_path_buf();
    let endpoint_text = serde_json::to_string(op).unwrap_or_default();
    crate::contract::validate_endpoint(&endpoint, &endpoint_path, &endpoint_text)
        .map_err(|e| (pointer.to_string(), e.message))?;
    Ok(Some(Parts {
        request_path: endpoint.request_schema.clone().into(),
        response_path: endpoint.response_schema.clone().into(),
        status_schemas,
        endpoint,
        endpoint_path,
        endpoint_text,
        request_schema: request,
        response_schema: response,
        origin: file.display().to_string(),
    }))
}

/// `value`, or the component a local `$ref` in it names.
fn resolve_ref<'a>(
    doc: &'a Value,
    value: Option<&'a Value>,
    pointer: &str,
) -> Result<Option<&'a Value>, (String, String)> {
    let Some(v) = value else { return Ok(None) };
    match v.get("$ref").and_then(Value::as_str) {
        None => Ok(Some(v)),
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .map(Some)
            .ok_or_else(|| {
                (
                    pointer.to_string(),
                    format!("`$ref: {r}` points at nothing"),
                )
            }),
    }
}

/// The JSON media type of a `content` map and its schema.
fn json_content(content: Option<&Value>) -> Option<(String, &Value)> {
    content?.as_object()?.iter().find_map(|(media, v)| {
        crate::contract::media::is_json_media_type(Some(media))
            .then(|| v.get("schema").map(|s| (media.clone(), s)))
            .flatten()
    })
}

/// The 2xx statuses, each with the media type and schema of its JSON body (a response may be a
/// `$ref` to `components/responses`).
fn success_responses(
    doc: &Value,
    responses: &Map<String, Value>,
    pointer: &str,
) -> Result<BTreeMap<u16, (String, Value)>, (String, String)> {
    // Each status with the pointer of its body schema (where a `$ref` leads) and the schema.
    let mut out = BTreeMap::new();
    for (code, r) in responses {
        let Ok(status) = code.parse::<u16>() else {
            continue;
        };
        if !(200..300).contains(&status) {
            continue;
        }
        let at = format!(
            "{pointer}/responses/{pointer_token_code}",
            pointer_token_code = pointer_token(code)
        );
        let resolved = resolve_ref(doc, Some(r), &at)?.unwrap_or(r);
        let base = match r.get("$ref").and_then(Value::as_str) {
            Some(target) => target.trim_start_matches('#').to_string(),
            None => at.clone(),
        };
        let Some((media, schema)) = json_content(resolved.get("content")) else {
            return Err((
                base,
                "a success response without a JSON body schema is not supported".into(),
            ));
        };
        let schema_pointer = format!("{base}/content/{}/schema", pointer_token(&media));
        out.insert(status, (schema_pointer, schema.clone()));
    }
    if out.is_empty() {
        return Err((
            format!("{pointer}/responses"),
            "an operation needs a 2xx response with a JSON body schema".into(),
        ));
    }
    Ok(out)
}

/// Every JSON media type a 2xx response documents, in document order, for the `Accept` header.
fn success_media_types(doc: &Value, responses: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (code, r) in responses {
        if !code.parse::<u16>().is_ok_and(|s| (200..300).contains(&s)) {
            continue;
        }
        let resolved = resolve_ref(doc, Some(r), "").ok().flatten().unwrap_or(r);
        let content = resolved.get("content").and_then(Value::as_object);
        for media in content.into_iter().flat_map(|c| c.keys()) {
            if crate::contract::media::is_json_media_type(Some(media)) && !out.contains(media) {
                out.push(media.clone());
            }
        }
    }
    out
}

/// The documented 4xx statuses of each kind of rejection; a kind the document is silent on
/// keeps the usual statuses. `x-conformance` may set any of them.
fn expectations(
    documented: &[u16],
    mut given: BTreeMap<String, Vec<u16>>,
) -> BTreeMap<String, Vec<u16>> {
    let mut out = BTreeMap::new();
    for (key, defaults) in DEFAULT_EXPECTATIONS {
        let listed: Vec<u16> = defaults
            .iter()
            .copied()
            .filter(|s| documented.contains(s))
            .collect();
        if let Some(statuses) = given.remove(*key) {
            // Said in x-conformance: taken as it is.
            out.insert(key.to_string(), statuses);
            continue;
        }
        let mut statuses = if listed.is_empty() || *key == "method" {
            defaults.to_vec()
        } else {
            listed
        };
        // 415 is HTTP's own answer to a media type the operation does not take: correct even
        // where the document lists only 400 or 422.
        if *key == "media_type" && !statuses.contains(&415) {
            statuses.insert(0, 415);
        }
        out.insert(key.to_string(), statuses);
    }
    out.extend(given);
    out
}

/// The path parameters of the path item and the operation, each with an example value. An
/// operation's parameter replaces the path item's of the same name and place.
fn path_params(
    doc: &Value,
    item: &Value,
    op: &Value,
    pointer: &str,
) -> Result<BTreeMap<String, PathParam>, (String, String)> {
    let item_pointer = pointer.rsplit_once('/').map_or(pointer, |(p, _)| p);
    // (name, in) → where the parameter is and what it says; the last one given wins.
    type Merged<'a> = Vec<((String, String), (String, &'a Value))>;
    let mut merged: Merged = Vec::new();
    for (list, at) in [
        (item.get("parameters"), item_pointer),
        (op.get("parameters"), pointer),
    ] {
        for (i, p) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let here = format!("{at}/parameters/{i}");
            let p = resolve_ref(doc, Some(p), &here)?.unwrap_or(p);
            let (Some(name), Some(place)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            let key = (name.to_string(), place.to_string());
            merged.retain(|(k, _)| *k != key);
            merged.push((key, (here, p)));
        }
    }
    let mut out = BTreeMap::new();
    for ((name, place), (here, p)) in merged {
        if place != "path" {
            if p.get("required") == Some(&Value::Bool(true)) {
                return Err((
                    here,
                    format!("a required {place} parameter (`{name}`) is not supported"),
                ));
            }
            continue;
        }
        // The example is the value a run uses unless --path-param gives one; without one,
        // --path-param is required.
        let example = p
            .get("example")
            .or_else(|| p.pointer("/schema/example"))
            .or_else(|| p.pointer("/schema/examples/0"))
            .or_else(|| {
                p.get("examples")
                    .and_then(|e| e.as_object()?.values().next()?.get("value"))
            })
            .or_else(|| p.pointer("/schema/enum/0"))
            .or_else(|| p.pointer("/schema/default"))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_default();
        let description = p.get("description").and_then(Value::as_str).unwrap_or("");
        out.insert(
            name,
            PathParam {
                description: description.into(),
                example,
            },
        );
    }
    Ok(out)
}

/// The operation's security, which must be an HTTP bearer scheme: one of the alternatives, and
/// no alternative that needs no credentials or another scheme beside it.
fn bearer_scheme(doc: &Value, op: &Value, pointer: &str) -> Result<String, (String, String)> {
    let (requirements, at) = match (op.get("security"), doc.get("security")) {
        (None, Some(r)) => (Some(r), "/security".to_string()),
        (r, _) => (r, format!("{pointer}/security")),
    };
    let alternatives: Vec<&Map<String, Value>> = requirements
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let is_bearer = |name: &str| {
        let scheme = doc.pointer(&format!(
            "/components/securitySchemes/{}",
            pointer_token(name)
        ));
        scheme.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("http")
            && scheme
                .and_then(|s| s.get("scheme"))
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
    };
    let refuse = |message: &str| Err((at.clone(), message.to_string()));
    if requirements.is_some_and(|r| r.as_array().is_some_and(Vec::is_empty)) {
        return refuse("`security: []` means the operation needs no credentials; the suite tests operations behind an HTTP bearer scheme");
    }
    if alternatives.iter().any(|a| a.is_empty()) {
        return refuse("an empty security requirement lets requests in without credentials, so the missing-token cases could not expect 401: not supported");
    }
    if alternatives.iter().any(|a| a.len() > 1) {
        return refuse("a security requirement with several schemes at once is not supported; the suite sends a bearer token alone");
    }
    if alternatives.iter().any(|a| a.keys().any(|n| is_bearer(n))) {
        Ok("bearer".into())
    } else {
        refuse("the operation needs an HTTP bearer security scheme, the only one supported")
    }
}

/// Removes, in every object schema of `schema` (its `$defs` too), the properties marked
/// `flag: true` (`readOnly` from a request, `writeOnly` from a response), and their
/// `required` entries.
fn drop_properties_marked(schema: &mut Value, flag: &str) {
    let root = schema.clone();
    drop_marked(schema, &root, flag, 0);
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

fn drop_marked(v: &mut Value, root: &Value, flag: &str, depth: usize) {
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
            if !marked.is_empty() {
                if let Some(Value::Object(props)) = o.get_mut("properties") {
                    for name in &marked {
                        props.remove(name);
                    }
                }
                if let Some(Value::Array(required)) = o.get_mut("required") {
                    required.retain(|r| !r.as_str().is_some_and(|r| marked.iter().any(|m| m == r)));
                }
            }
            for (k, sub) in o.iter_mut() {
                if !matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                    drop_marked(sub, root, flag, depth + 1);
                }
            }
        }
        Value::Array(a) => {
            for sub in a {
                drop_marked(sub, root, flag, depth + 1);
            }
        }
        _ => {}
    }
}

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

/// What each kind of rejection means, for the response descriptions.
fn rejection_description(kind: &str) -> &str {
    match kind {
        "invalid_body" => "the body breaks the request schema",
        "auth" => "the bearer token is missing or invalid",
        "unknown_path" => "a path parameter names nothing",
        "media_type" => "the body is not of the request media type",
        other => other,
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
    let mut meanings: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for (kind, statuses) in &e.expectations {
        if kind == "method" {
            continue;
        }
        for status in statuses {
            meanings
                .entry(*status)
                .or_default()
                .push(rejection_description(kind));
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
    fn each_schema_carries_only_the_components_it_reaches() {
        let defs = json!({
            "A": {"$ref": "#/$defs/B"},
            "B": {"type": "string"},
            "a/b": {"type": "integer"},
            "Unused": {"type": "boolean"},
        });
        let defs = defs.as_object().unwrap();
        let s = with_defs(
            json!({"properties": {"x": {"$ref": "#/$defs/A"}, "y": {"$ref": "#/$defs/a~1b"}}}),
            defs,
        );
        let kept: Vec<&str> = s["$defs"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(kept, ["A", "B", "a/b"]);
        // A reference that cannot be followed keeps them all.
        let s = with_defs(json!({"$ref": "#/$defs/Gone"}), defs);
        assert_eq!(s["$defs"].as_object().unwrap().len(), 4);
        assert!(with_defs(json!({"type": "null"}), defs)
            .get("$defs")
            .is_none());
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
