//! An operation's documented responses: every status, range and `default` with its media types
//! and JSON schema, and which statuses mean success.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::operation::json_media;
use super::read::{resolve_ref, Problem, Reader};
use super::schemas::{convert, unrequire_properties_marked};
use crate::contract::{pointer_token, LoadWarning, ResponsePart, StatusKey};

/// What the responses say, as the endpoint takes it.
pub(super) struct Responses {
    pub success: Vec<u16>,
    /// The documented codes (not ranges), for the expectations.
    pub documented: Vec<u16>,
    /// The schema most success responses share, `true` when they have none.
    pub response_schema: Value,
    pub response_at: String,
    /// Success codes with another schema than the shared one.
    pub status_schemas: BTreeMap<u16, (Value, PathBuf)>,
    pub media_types: Vec<String>,
    pub parts: Vec<ResponsePart>,
}

/// One documented response as read.
struct Entry {
    key: StatusKey,
    media_types: Vec<String>,
    /// The JSON body's schema, converted, and where it is written.
    schema: Option<(Value, String)>,
    /// Where the response is written.
    at: String,
}

/// The responses of `op`; `None` when a problem (pushed) keeps them from being read.
pub(super) fn responses(
    r: &Reader<'_>,
    op: &Value,
    pointer: &str,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<LoadWarning>,
) -> Option<Responses> {
    let list_at = format!("{pointer}/responses");
    let map = op.get("responses").and_then(Value::as_object);
    let mut entries = Vec::new();
    let before = problems.len();
    for (code, resp) in map.into_iter().flatten() {
        let at = format!("{list_at}/{}", pointer_token(code));
        let Some(key) = StatusKey::parse(code) else {
            warnings.push(LoadWarning {
                pointer: at,
                message: format!(
                    "`{code}` is no HTTP status, status range (4XX) or `default`: the response is ignored"
                ),
            });
            continue;
        };
        let resolved = match resolve_ref(r, Some(resp), &at) {
            Ok(v) => v.unwrap_or(resp),
            Err(e) => {
                problems.push(e.into());
                continue;
            }
        };
        let base = match resp.get("$ref").and_then(Value::as_str) {
            Some(target) => target.trim_start_matches('#').to_string(),
            None => at.clone(),
        };
        let content = resolved.get("content");
        let media_types: Vec<String> = content
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|c| c.keys().cloned())
            .collect();
        let schema = match json_media(content).and_then(|(m, v)| Some((m, v.get("schema")?))) {
            None => None,
            Some((media, s)) => {
                let schema_at = format!("{base}/content/{}/schema", pointer_token(media));
                match convert(s, r.v30, &schema_at).and_then(|c| r.with_defs(c, &schema_at)) {
                    Ok(mut c) => {
                        // A write-only property is never in a response.
                        unrequire_properties_marked(&mut c, "writeOnly");
                        Some((c, schema_at))
                    }
                    Err(e) => {
                        problems.push(e.into());
                        continue;
                    }
                }
            }
        };
        entries.push(Entry {
            key,
            media_types,
            schema,
            at: base,
        });
    }
    if problems.len() > before {
        return None;
    }
    if entries.is_empty() {
        // OpenAPI 3.1 lets `responses` be left out: nothing is said but that a valid request
        // succeeds, so any 2xx is success and no body is checked.
        entries.push(Entry {
            key: StatusKey::Range(2),
            media_types: Vec::new(),
            schema: None,
            at: list_at.clone(),
        });
    }
    Some(judged(r, entries, &list_at))
}

/// Which responses define success, and the schemas of those.
fn judged(r: &Reader<'_>, entries: Vec<Entry>, list_at: &str) -> Responses {
    let is_2xx = |k: StatusKey| match k {
        StatusKey::Code(c) => (200..300).contains(&c),
        StatusKey::Range(d) => d == 2,
        StatusKey::Default => false,
    };
    let any_2xx = entries.iter().any(|e| is_2xx(e.key));
    let has_default = entries.iter().any(|e| e.key == StatusKey::Default);
    // The responses that say what success is: the 2xx ones, else `default`, else all of them
    // (an operation documented only by its errors is tested for those).
    let defining: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            if any_2xx {
                is_2xx(e.key)
            } else if has_default {
                e.key == StatusKey::Default
            } else {
                true
            }
        })
        .collect();
    let mut success: Vec<u16> = Vec::new();
    for e in &defining {
        match e.key {
            StatusKey::Code(c) => success.push(c),
            StatusKey::Range(d) => success.extend(d * 100..=d * 100 + 99),
            StatusKey::Default => success.extend(200..=299),
        }
    }
    success.sort_unstable();
    success.dedup();
    // A range or `default` covers the statuses not named: its schema is the shared one.
    let broad = defining
        .iter()
        .find(|e| !matches!(e.key, StatusKey::Code(_)));
    let shared: Option<&(Value, String)> = match broad {
        Some(e) => e.schema.as_ref(),
        None => {
            let count = |s: &Option<(Value, String)>| {
                defining
                    .iter()
                    .filter(|e| e.schema.as_ref().map(|x| &x.0) == s.as_ref().map(|x| &x.0))
                    .count()
            };
            defining
                .iter()
                .map(|e| &e.schema)
                .max_by_key(|s| count(s))
                .and_then(Option::as_ref)
        }
    };
    let shared_value = shared.map(|s| &s.0);
    let mut status_schemas = BTreeMap::new();
    for e in &defining {
        if let StatusKey::Code(c) = e.key {
            if e.schema.as_ref().map(|s| &s.0) != shared_value {
                let (schema, at) = match &e.schema {
                    Some((s, at)) => (s.clone(), at.clone()),
                    None => (Value::Bool(true), e.at.clone()),
                };
                status_schemas.insert(c, (schema, PathBuf::from(r.at(&at))));
            }
        }
    }
    let mut media_types: Vec<String> = Vec::new();
    for e in &defining {
        for m in &e.media_types {
            if crate::contract::media::is_json_media_type(Some(m)) && !media_types.contains(m) {
                media_types.push(m.clone());
            }
        }
    }
    if media_types.is_empty() {
        for m in defining.iter().flat_map(|e| &e.media_types) {
            if !media_types.contains(m) {
                media_types.push(m.clone());
            }
        }
    }
    let (response_schema, response_at) = match shared {
        Some((s, at)) => (s.clone(), at.clone()),
        None => (Value::Bool(true), list_at.to_string()),
    };
    let documented = entries
        .iter()
        .filter_map(|e| match e.key {
            StatusKey::Code(c) => Some(c),
            _ => None,
        })
        .collect();
    let parts = entries
        .into_iter()
        .map(|e| ResponsePart {
            key: e.key,
            media_types: e.media_types,
            schema: e.schema.map(|(s, at)| (s, PathBuf::from(r.at(&at)))),
        })
        .collect();
    Responses {
        success,
        documented,
        response_schema,
        response_at,
        status_schemas,
        media_types,
        parts,
    }
}
