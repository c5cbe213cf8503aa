//! Where each operation's path parameters take a value that exists ([`sources`]): an OpenAPI
//! link of another operation's success response, else the operation that creates the resource
//! (the POST on the parent path), in that order.

use serde_json::Value;

use super::read::Found;
use crate::contract::chain::{field_candidates, id_like, parent_path, Expression, IdSource, Via};
use crate::contract::{pointer_token, resolve_local, LoadWarning, Operation};

/// Every path parameter's source among `operations` (the ones the document can test), the
/// first found for each: links in the document's order, then the creating operation. A link
/// whose expression the suite cannot evaluate is a warning naming the link's pointer.
pub(super) fn sources(
    doc: &Value,
    found: &[Found<'_>],
    operations: &[Operation],
    warnings: &mut Vec<LoadWarning>,
) -> Vec<IdSource> {
    let tested = |id: &str| operations.iter().find(|o| o.endpoint.operation == id);
    let mut out: Vec<IdSource> = Vec::new();
    for f in found {
        if tested(&f.id).is_none() {
            continue;
        }
        for link in links_of(doc, f, found, warnings) {
            let Some(consumer) = tested(&link.consumer) else {
                continue;
            };
            let known = consumer.endpoint.path_params.contains_key(&link.param);
            let taken = out
                .iter()
                .any(|s| s.consumer == link.consumer && s.param == link.param);
            if known && !taken && link.consumer != link.producer {
                out.push(link);
            }
        }
    }
    for consumer in operations {
        for param in consumer.endpoint.path_params.keys() {
            let e = &consumer.endpoint;
            if out
                .iter()
                .any(|s| s.consumer == e.operation && &s.param == param)
            {
                continue;
            }
            if let Some(source) = creator(consumer, param, operations) {
                out.push(source);
            }
        }
    }
    out
}

/// The source by the parent-path rule: the POST on the path before `/{param}`, its success body's
/// field named like the parameter (checked against its success schema when it names fields),
/// else the last segment of its `Location`.
fn creator(consumer: &Operation, param: &str, operations: &[Operation]) -> Option<IdSource> {
    let parent = parent_path(&consumer.endpoint.path, param)?;
    let producer = operations
        .iter()
        .find(|o| o.endpoint.method == "POST" && o.endpoint.path == parent)?;
    let fields = fields_of(&producer.response_schema);
    let candidates = field_candidates(param);
    let mut chosen: Vec<String> = match &fields {
        Some(names) => candidates
            .into_iter()
            .filter(|c| names.contains(c))
            .take(1)
            .collect(),
        None => candidates,
    };
    if let (true, Some(names)) = (chosen.is_empty(), &fields) {
        let ids: Vec<&String> = names.iter().filter(|n| id_like(n)).collect();
        if let [only] = ids.as_slice() {
            chosen.push((*only).clone());
        }
    }
    let mut from: Vec<Expression> = chosen
        .iter()
        .map(|f| Expression::ResponseBody(format!("/{}", pointer_token(f))))
        .collect();
    from.push(Expression::Location);
    Some(IdSource {
        consumer: consumer.endpoint.operation.clone(),
        param: param.to_string(),
        producer: producer.endpoint.operation.clone(),
        from,
        via: Via::Creator,
    })
}

/// The property names a success schema gives its object, or `None` when it names none.
fn fields_of(schema: &Value) -> Option<Vec<String>> {
    let s = resolve_local(schema, schema);
    let mut names: Vec<String> = s
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let part = resolve_local(schema, part);
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            names.extend(p.keys().cloned());
        }
    }
    (!names.is_empty()).then_some(names)
}

/// The links of operation `f`'s success responses, as sources of their target's path values.
fn links_of(
    doc: &Value,
    f: &Found<'_>,
    found: &[Found<'_>],
    warnings: &mut Vec<LoadWarning>,
) -> Vec<IdSource> {
    let mut out = Vec::new();
    let Some(responses) = f.op.get("responses").and_then(Value::as_object) else {
        return out;
    };
    for (status, response) in responses {
        if !status.starts_with('2') {
            continue;
        }
        let response = resolve_local(doc, response);
        let Some(links) = response.get("links").and_then(Value::as_object) else {
            continue;
        };
        for (name, link) in links {
            let pointer = format!(
                "{}/responses/{}/links/{}",
                f.pointer,
                pointer_token(status),
                pointer_token(name)
            );
            let link = resolve_local(doc, link);
            let Some(target) = link_target(link, found) else {
                warnings.push(LoadWarning {
                    pointer: pointer.clone(),
                    message: "the link's operationId or operationRef names no operation of the document (only local `#/paths/...` references are followed); not used for path values".into(),
                });
                continue;
            };
            let params = link.get("parameters").and_then(Value::as_object);
            for (key, value) in params.into_iter().flatten() {
                let param = match key.split_once('.') {
                    Some(("path", name)) => name,
                    Some(_) => continue,
                    None => key.as_str(),
                };
                let Some(expression) = Expression::parse(value) else {
                    warnings.push(LoadWarning {
                        pointer: format!("{pointer}/parameters/{}", pointer_token(key)),
                        message: format!(
                            "the link's expression {value} is not one the suite evaluates ($response.body#/..., $response.header.X, $request.path.x, $request.body#/..., or a constant); `{param}` takes its value elsewhere"
                        ),
                    });
                    continue;
                };
                out.push(IdSource {
                    consumer: target.to_string(),
                    param: param.to_string(),
                    producer: f.id.clone(),
                    from: vec![expression],
                    via: Via::Link {
                        pointer: pointer.clone(),
                    },
                });
            }
        }
    }
    out
}

/// The id of the operation a link names by `operationId` or a local `operationRef`.
fn link_target<'a>(link: &Value, found: &'a [Found<'_>]) -> Option<&'a str> {
    if let Some(id) = link.get("operationId").and_then(Value::as_str) {
        return found
            .iter()
            .find(|f| f.op.get("operationId").and_then(Value::as_str) == Some(id))
            .map(|f| f.id.as_str());
    }
    let reference = link.get("operationRef").and_then(Value::as_str)?;
    let pointer = reference.strip_prefix('#')?;
    found
        .iter()
        .find(|f| f.pointer == pointer)
        .map(|f| f.id.as_str())
}
