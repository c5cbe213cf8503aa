//! The document's own examples checked against its schemas: a mock that serves an example that
//! breaks its schema fails for the document's sake, and the user should know why.

use serde_json::Value;

use super::params::Declared;
use super::read::{resolve_ref, Reader};
use super::schemas::convert;
use crate::contract::{pointer_token, LoadWarning};

/// Pushes a warning for every example of the operation's request body, responses and
/// parameters that its schema rejects.
pub(super) fn check(
    r: &Reader<'_>,
    op: &Value,
    pointer: &str,
    declared: &[Declared<'_>],
    warnings: &mut Vec<LoadWarning>,
) {
    let body_at = format!("{pointer}/requestBody");
    if let Ok(Some(body)) = resolve_ref(r, op.get("requestBody"), &body_at) {
        let base = ref_base(op.get("requestBody"), &body_at);
        media_examples(r, body.get("content"), &base, warnings);
    }
    for (code, resp) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let at = format!("{pointer}/responses/{}", pointer_token(code));
        if let Ok(Some(resolved)) = resolve_ref(r, Some(resp), &at) {
            let base = ref_base(Some(resp), &at);
            media_examples(r, resolved.get("content"), &base, warnings);
        }
    }
    for d in declared {
        if let Some((schema, schema_at)) = &d.raw_schema {
            let mut found = own_examples(r, d.raw, &d.param.pointer);
            found.extend(schema_examples(schema, schema_at));
            judge(r, schema, schema_at, found, warnings);
        }
    }
}

/// Where a value that may be a `$ref` is written: its target, or `at`.
fn ref_base(v: Option<&Value>, at: &str) -> String {
    match v.and_then(|v| v.get("$ref")).and_then(Value::as_str) {
        Some(target) => target.trim_start_matches('#').to_string(),
        None => at.to_string(),
    }
}

/// The examples of each JSON media type of a `content` map, judged by its schema.
fn media_examples(
    r: &Reader<'_>,
    content: Option<&Value>,
    base: &str,
    warnings: &mut Vec<LoadWarning>,
) {
    for (media, m) in content.and_then(Value::as_object).into_iter().flatten() {
        if !crate::contract::media::is_json_media_type(Some(media)) {
            continue;
        }
        let at = format!("{base}/content/{}", pointer_token(media));
        let Some(schema) = m.get("schema") else {
            continue;
        };
        let schema_at = format!("{at}/schema");
        let mut found = own_examples(r, m, &at);
        found.extend(schema_examples(schema, &schema_at));
        judge(r, schema, &schema_at, found, warnings);
    }
}

/// `example` and `examples.*.value` of a media type or parameter object, with their pointers.
fn own_examples<'a>(r: &Reader<'a>, holder: &'a Value, at: &str) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    if let Some(e) = holder.get("example") {
        out.push((format!("{at}/example"), e));
    }
    for (name, e) in holder
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let here = format!("{at}/examples/{}", pointer_token(name));
        let (e, here) = match e.get("$ref").and_then(Value::as_str) {
            Some(target) => match target.strip_prefix('#').and_then(|p| r.doc.pointer(p)) {
                Some(v) => (v, target.trim_start_matches('#').to_string()),
                None => continue,
            },
            None => (e, here),
        };
        if let Some(v) = e.get("value") {
            out.push((format!("{here}/value"), v));
        }
    }
    out
}

/// The schema's own top-level `example` and `examples` (3.1's list).
fn schema_examples<'a>(schema: &'a Value, at: &str) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    if let Some(e) = schema.get("example") {
        out.push((format!("{at}/example"), e));
    }
    if let Some(list) = schema.get("examples").and_then(Value::as_array) {
        for (i, e) in list.iter().enumerate() {
            out.push((format!("{at}/examples/{i}"), e));
        }
    }
    out
}

/// A warning for each example `schema` rejects; the schema is compiled only when there is one.
fn judge(
    r: &Reader<'_>,
    schema: &Value,
    schema_at: &str,
    found: Vec<(String, &Value)>,
    warnings: &mut Vec<LoadWarning>,
) {
    if found.is_empty() {
        return;
    }
    let Ok(converted) = convert(schema, r.v30, schema_at).and_then(|c| r.with_defs(c, schema_at))
    else {
        return;
    };
    let Ok(validator) = crate::contract::compile(&converted, std::path::Path::new(schema_at))
    else {
        return;
    };
    for (at, example) in found {
        if let Some(e) = validator.iter_errors(example).next() {
            let place = e.instance_path().to_string();
            let place = if place.is_empty() {
                String::new()
            } else {
                format!(" at {place}")
            };
            warnings.push(LoadWarning {
                pointer: at,
                message: format!("the example breaks its schema ({schema_at}){place}: {e}"),
            });
        }
    }
}
