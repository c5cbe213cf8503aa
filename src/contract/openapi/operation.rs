//! One operation of the document as a contract: its security, parameters, request body and
//! documented responses, with every problem that keeps it from being tested.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::params::{parameters, path_params};
use super::read::{resolve_ref, Found, Problem, Reader};
use super::responses::{responses, Responses};
use super::schemas::{convert, drop_properties_marked};
use crate::contract::media::essence;
use crate::contract::{
    pointer_token, AuthSpec, BodyKind, Endpoint, FieldPolicy, LoadWarning, Parts, Semantic,
};

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
    /// `asserted` or `annotation`; the document's `x-conformance.formats` when absent.
    formats: Option<crate::contract::Formats>,
}

/// The request body as read.
struct Body {
    kind: BodyKind,
    content_type: String,
    schema: Value,
    /// Where the schema is (or the operation, without a body).
    pointer: String,
    required: bool,
}

/// The operation's parts, or every problem that keeps it from being tested; and the warnings
/// about it (examples that break their schemas, response keys that are no status).
pub(super) fn read(
    r: &Reader<'_>,
    f: &Found<'_>,
) -> (Result<Parts, Vec<Problem>>, Vec<LoadWarning>) {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let pointer = f.pointer.as_str();
    let security =
        super::security::security(r.doc, &r.refused, f.op, pointer).map_err(|p| problems.push(p));
    let declared = parameters(r, f.item, f.op, pointer, &mut problems);
    let body = body(r, f.op, pointer).map_err(|p| problems.push(p));
    let read_responses = responses(r, f.op, pointer, &mut problems, &mut warnings);
    let ext: Option<Extension> = match f.op.get("x-conformance") {
        Some(x) => serde_json::from_value(x.clone())
            .map_err(|e| problems.push(Problem::from_error(format!("{pointer}/x-conformance"), e)))
            .ok(),
        None => Some(Extension::default()),
    };
    super::examples::check(r, f.op, pointer, &declared, &mut warnings);
    let (Ok(security), Ok(body), Some(resp), Some(ext), true) =
        (security, body, read_responses, ext, problems.is_empty())
    else {
        // One component that cannot be taken may be reached by several schemas: said once.
        let mut seen = std::collections::BTreeSet::new();
        problems.retain(|p| seen.insert(p.pointer.clone()));
        return (Err(problems), warnings);
    };
    let Responses {
        success,
        documented,
        response_schema,
        response_at,
        status_schemas,
        media_types,
        parts: response_parts,
    } = resp;
    let title =
        f.op.get("summary")
            .and_then(Value::as_str)
            .unwrap_or(&f.id)
            .to_string();
    let response_schemas = status_schemas
        .iter()
        .map(|(s, (_, p))| (*s, p.display().to_string()))
        .collect();
    let endpoint = Endpoint {
        operation: f.id.clone(),
        title,
        method: f.method.to_ascii_uppercase(),
        path: f.template.to_string(),
        path_params: path_params(&declared),
        auth: AuthSpec {
            // The plan chooses the alternative, from the run's credentials.
            scheme: if security.is_none() {
                "none"
            } else {
                "document"
            }
            .into(),
            security,
        },
        content_type: body.content_type.clone(),
        request_schema: r.at(&body.pointer),
        response_schema: r.at(&response_at),
        response_schemas,
        response_media_types: media_types,
        success,
        expectations: expectations(&documented, ext.expectations),
        tolerated: ext.tolerated,
        semantics: ext.semantics,
        created_id: ext.created_id,
        fields: ext.fields,
        fields_source: crate::contract::FieldsSource::XConformance,
        path_methods: f.neighbours.iter().cloned().collect(),
        body_required: body.required,
        body_kind: body.kind,
        params: declared.into_iter().map(|d| d.param).collect(),
        formats: ext.formats.unwrap_or(r.formats),
    };
    let endpoint_path = PathBuf::from(r.at(pointer));
    let endpoint_text = serde_json::to_string(f.op).unwrap_or_default();
    if let Err(e) = crate::contract::validate_endpoint(&endpoint, &endpoint_path, &endpoint_text) {
        return (Err(vec![Problem::at(pointer, &e.message)]), warnings);
    }
    let parts = Parts {
        request_path: endpoint.request_schema.clone().into(),
        response_path: endpoint.response_schema.clone().into(),
        status_schemas,
        responses: response_parts,
        endpoint,
        endpoint_path,
        endpoint_text,
        request_schema: body.schema,
        response_schema,
        origin: r.file.display().to_string(),
    };
    (Ok(parts), warnings)
}

/// The JSON media type of a `content` map (`application/json` first, else a `+json` type).
pub(super) fn json_media(content: Option<&Value>) -> Option<(&String, &Value)> {
    let map = content?.as_object()?;
    map.iter()
        .find(|(m, _)| essence(m) == "application/json")
        .or_else(|| {
            map.iter()
                .find(|(m, _)| crate::contract::media::is_json_media_type(Some(m.as_str())))
        })
}

/// The request body: its kind, media type and schema (read-only properties dropped: they are
/// not sent).
fn body(r: &Reader<'_>, op: &Value, pointer: &str) -> Result<Body, Problem> {
    let at = format!("{pointer}/requestBody");
    let Some(b) = resolve_ref(r, op.get("requestBody"), &at)? else {
        return Ok(Body {
            kind: BodyKind::None,
            content_type: String::new(),
            schema: json!({}),
            pointer: pointer.to_string(),
            required: false,
        });
    };
    let base = match op.pointer("/requestBody/$ref").and_then(Value::as_str) {
        Some(target) => target.trim_start_matches('#').to_string(),
        None => at.clone(),
    };
    let content = b.get("content");
    let find = |want: &str| {
        content
            .and_then(Value::as_object)
            .and_then(|c| c.iter().find(|(m, _)| essence(m) == want))
    };
    let (kind, (media, m)) = match json_media(content) {
        Some(j) => (BodyKind::Json, j),
        None => match find("application/x-www-form-urlencoded") {
            Some(x) => (BodyKind::Form, x),
            None => match find("multipart/form-data") {
                Some(x) => (BodyKind::Multipart, x),
                None => {
                    let types: Vec<&str> = content
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|c| c.keys().map(String::as_str))
                        .collect();
                    return Err(Problem::at(
                        &format!("{base}/content"),
                        &format!(
                            "the request body is {}: the suite sends JSON, form-urlencoded and multipart bodies",
                            if types.is_empty() { "of no media type".to_string() } else { types.join(", ") }
                        ),
                    ));
                }
            },
        },
    };
    let schema_at = format!("{base}/content/{}/schema", pointer_token(media));
    let mut schema = match m.get("schema") {
        Some(s) => r.with_defs(convert(s, r.v30, &schema_at)?, &schema_at)?,
        None => Value::Object(Map::new()),
    };
    // A read-only property is not sent: it is neither required nor built into a request.
    drop_properties_marked(&mut schema, "readOnly");
    Ok(Body {
        kind,
        content_type: media.clone(),
        schema,
        pointer: schema_at,
        // OpenAPI's default is false: a document that does not say so lets the body be left out.
        required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// Statuses expected for each kind of rejection when the document lists none of them.
const DEFAULT_EXPECTATIONS: &[(&str, &[u16])] = &[
    ("invalid_body", &[400, 422]),
    ("auth", &[401]),
    ("unknown_path", &[404]),
    ("media_type", &[415, 400, 422]),
    ("method", &[405]),
    ("invalid_param", &[400, 422]),
    ("invalid_path", &[400, 404, 422]),
];

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
