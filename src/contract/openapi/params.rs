//! An operation's parameters (path, query, header, cookie) as the document declares them: the
//! path item's and the operation's merged, references resolved, schemas converted like bodies,
//! and OpenAPI's serialization defaults filled in.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::read::{resolve_ref, Problem, Reader};
use super::schemas::convert;
use crate::contract::{Param, ParamIn, PathParam, Style};

/// Header parameters OpenAPI says are ignored: the request's own headers describe them.
const IGNORED_HEADERS: &[&str] = &["accept", "content-type", "authorization"];

/// One declared parameter as read, with where it is and the example found for it.
pub(super) struct Declared<'a> {
    pub param: Param,
    /// The parameter object (after `$ref`), for its examples.
    pub raw: &'a Value,
    /// The schema as the document writes it, and where, for the example checks.
    pub raw_schema: Option<(&'a Value, String)>,
}

/// The parameters of the path item and the operation (the operation's win by name and place),
/// in declaration order. Every problem found is pushed to `problems`.
pub(super) fn parameters<'a>(
    r: &Reader<'a>,
    item: &'a Value,
    op: &'a Value,
    pointer: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Declared<'a>> {
    let item_pointer = pointer.rsplit_once('/').map_or(pointer, |(p, _)| p);
    let mut merged: Vec<((String, String), String, &'a Value)> = Vec::new();
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
            let p = match resolve_ref(r, Some(p), &here) {
                Ok(v) => v.unwrap_or(p),
                Err(e) => {
                    problems.push(e.into());
                    continue;
                }
            };
            let (Some(name), Some(place)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                problems.push(Problem::at(&here, "a parameter needs `name` and `in`"));
                continue;
            };
            let key = (name.to_string(), place.to_string());
            merged.retain(|(k, _, _)| *k != key);
            merged.push((key, here, p));
        }
    }
    let mut out = Vec::new();
    for ((name, place), here, p) in merged {
        let Some(location) = ParamIn::parse(&place) else {
            problems.push(Problem::at(
                &format!("{here}/in"),
                &format!("parameter `{name}`: `in: {place}` is not path, query, header or cookie"),
            ));
            continue;
        };
        if location == ParamIn::Header
            && IGNORED_HEADERS.contains(&name.to_ascii_lowercase().as_str())
        {
            continue;
        }
        if let Some(d) = one(r, &name, location, &here, p, problems) {
            out.push(d);
        }
    }
    out
}

/// One parameter, or `None` (with the problem pushed) when it cannot be taken.
fn one<'a>(
    r: &Reader<'a>,
    name: &str,
    location: ParamIn,
    here: &str,
    p: &'a Value,
    problems: &mut Vec<Problem>,
) -> Option<Declared<'a>> {
    let style = match p.get("style").and_then(Value::as_str) {
        None => location.default_style(),
        Some(s) => match Style::parse(s).filter(|st| allowed(location, *st)) {
            Some(st) => st,
            None => {
                problems.push(Problem::at(
                    &format!("{here}/style"),
                    &format!(
                        "parameter `{name}`: style `{s}` is not one OpenAPI defines for a {} parameter",
                        location.as_str()
                    ),
                ));
                return None;
            }
        },
    };
    let explode = p
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == Style::Form);
    let (raw_schema, schema_at) = match (p.get("schema"), p.get("content")) {
        (Some(s), _) => (Some(s), format!("{here}/schema")),
        (None, Some(content)) => {
            let json = content.as_object().and_then(|c| {
                c.iter()
                    .find(|(m, _)| crate::contract::media::is_json_media_type(Some(m.as_str())))
            });
            match json {
                Some((media, m)) => (
                    m.get("schema"),
                    format!(
                        "{here}/content/{}/schema",
                        crate::contract::pointer_token(media)
                    ),
                ),
                None => {
                    let types: Vec<&str> = content
                        .as_object()
                        .into_iter()
                        .flat_map(|c| c.keys().map(String::as_str))
                        .collect();
                    problems.push(Problem::at(
                        &format!("{here}/content"),
                        &format!(
                            "parameter `{name}` is described by `content` of type {}: only a JSON one is supported",
                            types.join(", ")
                        ),
                    ));
                    return None;
                }
            }
        }
        (None, None) => (None, format!("{here}/schema")),
    };
    let schema = match raw_schema {
        Some(s) => match convert(s, r.v30, &schema_at).and_then(|c| r.with_defs(c, &schema_at)) {
            Ok(c) => c,
            Err(e) => {
                problems.push(e.into());
                return None;
            }
        },
        None => Value::Object(Map::new()),
    };
    let example = p
        .get("example")
        .or_else(|| {
            p.get("examples")
                .and_then(|e| e.as_object()?.values().find_map(|x| x.get("value")))
        })
        .or_else(|| raw_schema.and_then(|s| s.get("example")))
        .or_else(|| raw_schema.and_then(|s| s.pointer("/examples/0")))
        .cloned();
    let required =
        location == ParamIn::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false);
    Some(Declared {
        param: Param {
            name: name.to_string(),
            location,
            required,
            schema,
            style,
            explode,
            example,
            base: None,
            pointer: here.to_string(),
        },
        raw: p,
        raw_schema: raw_schema.map(|s| (s, schema_at)),
    })
}

/// The styles OpenAPI defines for each location.
fn allowed(location: ParamIn, style: Style) -> bool {
    match location {
        ParamIn::Path => matches!(style, Style::Simple | Style::Label | Style::Matrix),
        ParamIn::Query => matches!(
            style,
            Style::Form | Style::SpaceDelimited | Style::PipeDelimited | Style::DeepObject
        ),
        ParamIn::Header => style == Style::Simple,
        ParamIn::Cookie => style == Style::Form,
    }
}

/// The path parameters with their example as text (empty when the document gives none).
pub(super) fn path_params(declared: &[Declared<'_>]) -> BTreeMap<String, PathParam> {
    let mut out = BTreeMap::new();
    for d in declared
        .iter()
        .filter(|d| d.param.location == ParamIn::Path)
    {
        let p = d.raw;
        let example = d
            .param
            .example
            .as_ref()
            .or_else(|| p.pointer("/schema/enum/0"))
            .or_else(|| p.pointer("/schema/default"))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .unwrap_or_default();
        let description = p.get("description").and_then(Value::as_str).unwrap_or("");
        out.insert(
            d.param.name.clone(),
            PathParam {
                description: description.into(),
                example,
            },
        );
    }
    out
}
