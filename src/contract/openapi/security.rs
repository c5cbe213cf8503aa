//! An operation's security as the suite can satisfy it: an HTTP bearer token, or none.

use serde_json::{Map, Value};

use super::read::Problem;
use crate::contract::pointer_token;

/// `bearer` when an alternative of the operation's security is one HTTP bearer scheme, `none`
/// when it needs no credentials (no security, `security: []`, or `{}` among the alternatives);
/// anything else is a problem naming the schemes.
pub(super) fn scheme(doc: &Value, op: &Value, pointer: &str) -> Result<String, Problem> {
    let (requirements, at) = match (op.get("security"), doc.get("security")) {
        (None, Some(r)) => (Some(r), "/security".to_string()),
        (r, _) => (r, format!("{pointer}/security")),
    };
    let Some(list) = requirements else {
        return Ok("none".into());
    };
    let Some(list) = list.as_array() else {
        return Err(Problem::at(&at, "`security` is not a list of requirements"));
    };
    let alternatives: Vec<&Map<String, Value>> = list.iter().filter_map(Value::as_object).collect();
    if alternatives.is_empty() || alternatives.iter().any(|a| a.is_empty()) {
        return Ok("none".into());
    }
    let kind = |name: &str| -> Option<String> {
        let s = doc.pointer(&format!(
            "/components/securitySchemes/{}",
            pointer_token(name)
        ))?;
        let s = match s.get("$ref").and_then(Value::as_str) {
            Some(r) => doc.pointer(r.strip_prefix('#')?)?,
            None => s,
        };
        let t = s.get("type").and_then(Value::as_str).unwrap_or("?");
        Some(match s.get("scheme").and_then(Value::as_str) {
            Some(scheme) if t == "http" => format!("http {}", scheme.to_ascii_lowercase()),
            _ => t.to_string(),
        })
    };
    if alternatives
        .iter()
        .any(|a| a.len() == 1 && a.keys().all(|n| kind(n).as_deref() == Some("http bearer")))
    {
        return Ok("bearer".into());
    }
    let named: Vec<String> = alternatives
        .iter()
        .map(|a| {
            let each: Vec<String> = a
                .keys()
                .map(|n| match kind(n) {
                    Some(k) => format!("`{n}` ({k})"),
                    None => format!("`{n}` (not in components/securitySchemes)"),
                })
                .collect();
            if each.len() > 1 {
                format!("{} at once", each.join(" and "))
            } else {
                each.join("")
            }
        })
        .collect();
    Err(Problem::at(
        &at,
        &format!(
            "security {} cannot be satisfied: the suite sends only HTTP bearer credentials so far",
            named.join(" or ")
        ),
    ))
}
