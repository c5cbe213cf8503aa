//! Reading an OpenAPI 3.0 or 3.1 document into operations ([`load`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::schemas::{component_schemas, convert, drop_properties_marked, with_defs};
use super::yaml;
use crate::contract::{
    pointer_token, AuthSpec, Document, Endpoint, FieldPolicy, Operation, Parts, PathParam, Semantic,
};
use crate::diag::{read_text, FileError};

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
pub fn load(path: &Path) -> Result<Document, FileError> {
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
            let Some(mut parts) = operation(
                path, &doc, &defs, v30, template, item, method, op, &pointer,
            )
            .map_err(|r| {
                let mut e = at(&r.pointer, r.message);
                e.source = r.source;
                e
            })?
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
    Ok(Document {
        operations: contracts,
        ..Document::default()
    })
}

/// Why the reader refuses part of the document: where, what, and the error it came from.
struct Refusal {
    pointer: String,
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Refusal {
    /// A refusal at `pointer` that says what `error` says, and keeps it.
    fn from_error(pointer: String, error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Refusal {
            pointer,
            message: error.to_string(),
            source: Some(Arc::new(error)),
        }
    }
}

/// The refusals that name only a place and a message.
impl From<(String, String)> for Refusal {
    fn from((pointer, message): (String, String)) -> Self {
        Refusal {
            pointer,
            message,
            source: None,
        }
    }
}

/// JSON text, or YAML (of which JSON is a subset) turned into JSON.
fn parse(path: &Path, text: &str) -> Result<Value, FileError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| FileError::from_json(path, e));
    }
    yaml::to_json(text).map_err(|e| {
        FileError::new(path, e.message.clone())
            .at(e.line, e.column)
            .with_source(e)
    })
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
) -> Result<Option<Parts>, Refusal> {
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
            .map_err(|e| Refusal::from_error(format!("{pointer}/x-conformance"), e))?,
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
        body_kind: crate::contract::BodyKind::Json,
        params: Vec::new(),
    };
    let endpoint_path = Path::new(&format!("{}#{pointer}", file.display())).to_path_buf();
    let endpoint_text = serde_json::to_string(op).unwrap_or_default();
    crate::contract::validate_endpoint(&endpoint, &endpoint_path, &endpoint_text).map_err(|e| {
        Refusal {
            pointer: pointer.to_string(),
            message: e.message.clone(),
            source: Some(Arc::new(e)),
        }
    })?;
    Ok(Some(Parts {
        request_path: endpoint.request_schema.clone().into(),
        response_path: endpoint.response_schema.clone().into(),
        status_schemas,
        responses: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_that_is_not_yaml_keeps_the_parser_error() {
        let err = parse(Path::new("api.yaml"), "a: [1, 2\n").unwrap_err();
        assert!(err.message.starts_with("not YAML"), "{}", err.message);
        let yaml = std::error::Error::source(&err).expect("the YAML error is the source");
        let yaml = yaml.downcast_ref::<yaml::YamlError>().expect("a YamlError");
        assert!(
            std::error::Error::source(yaml).is_some(),
            "the scanner's error"
        );
        let err = parse(Path::new("api.json"), "{\"a\": }").unwrap_err();
        assert!(std::error::Error::source(&err).is_some_and(|s| s.is::<serde_json::Error>()));
    }

    #[test]
    fn a_bad_x_conformance_keeps_the_serde_error() {
        let committed =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/provisionr-workspace.openapi.yaml");
        let mut doc = parse(&committed, &read_text(&committed).unwrap()).unwrap();
        let post = doc["paths"]
            .as_object_mut()
            .and_then(|p| p.values_mut().find(|item| item.get("post").is_some()))
            .expect("a post operation");
        post["post"]["x-conformance"] = serde_json::json!({"toleratd": {}});
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("api.json");
        std::fs::write(&file, doc.to_string()).unwrap();
        let err = load(&file).unwrap_err();
        assert!(
            err.message.contains("unknown field `toleratd`"),
            "{}",
            err.message
        );
        assert!(err.message.contains("/x-conformance)"), "{}", err.message);
        let source = std::error::Error::source(&err).expect("the serde error is the source");
        assert!(source.is::<serde_json::Error>(), "{source:?}");
    }
}
