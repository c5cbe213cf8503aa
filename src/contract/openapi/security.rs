//! An operation's security as the document states it ([`Security`]): its own `security`, else
//! the document's, each alternative with the schemes of `components/securitySchemes` it names.

use serde_json::Value;

use super::read::Problem;
use crate::contract::{pointer_token, ParamIn, Scheme, SchemeKind, Security};

/// The operation's alternatives. No `security`, `security: []` or an empty list of objects is no
/// security; `{}` among them makes it optional. A scheme that is not in the components, or an
/// `apiKey` without `in` and `name`, is a problem; a scheme the suite cannot send is kept as
/// [`SchemeKind::Unsupported`], so its operation is listed rather than refused.
pub(super) fn security(
    doc: &Value,
    refused: &super::bundle::Refused,
    op: &Value,
    pointer: &str,
) -> Result<Security, Problem> {
    let (requirements, at) = match (op.get("security"), doc.get("security")) {
        (None, Some(r)) => (Some(r), "/security".to_string()),
        (r, _) => (r, format!("{pointer}/security")),
    };
    let Some(list) = requirements else {
        return Ok(Security::default());
    };
    let Some(list) = list.as_array() else {
        return Err(Problem::at(&at, "`security` is not a list of requirements"));
    };
    let mut out = Security::default();
    for (i, requirement) in list.iter().enumerate() {
        let Some(requirement) = requirement.as_object() else {
            return Err(Problem::at(
                &format!("{at}/{i}"),
                "a security requirement is not an object",
            ));
        };
        if requirement.is_empty() {
            out.optional = true;
            continue;
        }
        let mut alternative = Vec::with_capacity(requirement.len());
        for name in requirement.keys() {
            let kind =
                kind(doc, refused, name).map_err(|why| Problem::at(&format!("{at}/{i}"), &why))?;
            alternative.push(Scheme {
                name: name.clone(),
                kind,
            });
        }
        out.alternatives.push(alternative);
    }
    Ok(out)
}

/// The kind of the scheme `name`, from `components/securitySchemes` (a local `$ref` followed).
fn kind(doc: &Value, refused: &super::bundle::Refused, name: &str) -> Result<SchemeKind, String> {
    let at = format!("/components/securitySchemes/{}", pointer_token(name));
    let mut scheme = doc.pointer(&at).ok_or_else(|| {
        format!("the security scheme `{name}` is not in components/securitySchemes")
    })?;
    if let Some(r) = scheme.get("$ref").and_then(Value::as_str) {
        scheme = r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .ok_or_else(|| match super::bundle::refusal(refused, r) {
                Some((_, why)) => format!("the security scheme `{name}`: {why}"),
                None => format!(
                    "the security scheme `{name}` refers to `{r}`, which is not in the document"
                ),
            })?;
    }
    let field = |key: &str| scheme.get(key).and_then(Value::as_str);
    Ok(match field("type").unwrap_or("") {
        "http" => match field("scheme").map(str::to_ascii_lowercase).as_deref() {
            Some("bearer") => SchemeKind::Bearer,
            Some("basic") => SchemeKind::Basic,
            Some(other) => SchemeKind::Unsupported(format!("HTTP `{other}`")),
            None => return Err(format!("the http security scheme `{name}` has no `scheme`")),
        },
        "apiKey" => api_key(scheme, name)?,
        "oauth2" => SchemeKind::OAuth2,
        "openIdConnect" => SchemeKind::OpenIdConnect,
        "mutualTLS" => SchemeKind::Unsupported("mutual TLS".into()),
        other => SchemeKind::Unsupported(format!("type `{other}`")),
    })
}

fn api_key(scheme: &Value, name: &str) -> Result<SchemeKind, String> {
    let location = scheme
        .get("in")
        .and_then(Value::as_str)
        .and_then(ParamIn::parse)
        .filter(|l| *l != ParamIn::Path)
        .ok_or_else(|| {
            format!("the apiKey security scheme `{name}` has no `in` of header, query or cookie")
        })?;
    let key = scheme
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("the apiKey security scheme `{name}` has no `name`"))?;
    Ok(SchemeKind::ApiKey {
        location,
        name: key.to_string(),
    })
}
