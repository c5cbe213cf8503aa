//! Where a path value that exists comes from ([`IdSource`]): an earlier answer of another
//! operation (an OpenAPI link, or the operation that creates the resource), and the runtime
//! expression ([`Expression`]) that takes the value out of that answer.

use serde_json::Value;

/// A runtime expression the suite can evaluate on an earlier exchange (OpenAPI 3.1, 4.8.20.4),
/// or one of the creating operation's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expression {
    /// `$response.body#/pointer`.
    ResponseBody(String),
    /// `$response.header.Name`.
    ResponseHeader(String),
    /// `$request.path.name`: the value the earlier request itself carried.
    RequestPath(String),
    /// `$request.body#/pointer`.
    RequestBody(String),
    /// A value given in the link itself.
    Constant(String),
    /// The last path segment of the `Location` header (or the whole value if it has none).
    Location,
}

impl Expression {
    /// The expression of a link's parameter: a string starting with `$` is a runtime
    /// expression, anything else a constant. `None` for an expression the suite cannot evaluate
    /// (`$url`, `$method`, `$statusCode`, `$request.query.*`, embedded `{$...}`, ...).
    pub fn parse(value: &Value) -> Option<Expression> {
        let text = match value {
            Value::String(s) => s.as_str(),
            Value::Null | Value::Array(_) | Value::Object(_) => return None,
            other => return Some(Expression::Constant(other.to_string())),
        };
        if !text.starts_with('$') {
            return (!text.contains("{$")).then(|| Expression::Constant(text.to_string()));
        }
        let pointer = |rest: &str| match rest {
            "" => Some(String::new()),
            p if p.starts_with("#/") => Some(p[1..].to_string()),
            _ => None,
        };
        if let Some(rest) = text.strip_prefix("$response.body") {
            return pointer(rest).map(Expression::ResponseBody);
        }
        if let Some(rest) = text.strip_prefix("$request.body") {
            return pointer(rest).map(Expression::RequestBody);
        }
        if let Some(name) = text.strip_prefix("$response.header.") {
            return token(name).then(|| Expression::ResponseHeader(name.to_string()));
        }
        if let Some(name) = text.strip_prefix("$request.path.") {
            return (!name.is_empty()).then(|| Expression::RequestPath(name.to_string()));
        }
        None
    }

    /// The expression as a report names it.
    pub fn describe(&self) -> String {
        match self {
            Expression::ResponseBody(p) => format!("$response.body#{p}"),
            Expression::ResponseHeader(h) => format!("$response.header.{h}"),
            Expression::RequestPath(n) => format!("$request.path.{n}"),
            Expression::RequestBody(p) => format!("$request.body#{p}"),
            Expression::Constant(c) => format!("the constant {c}"),
            Expression::Location => "the last segment of its Location header".into(),
        }
    }

    /// The value this expression takes from `answer`, as a path segment's text; `None` when
    /// there is nothing there (a missing field, an empty string, an object).
    pub fn evaluate(&self, answer: &Answer<'_>) -> Option<String> {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let header = |name: &str| {
            answer
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let value = match self {
            Expression::ResponseBody(p) => answer.body?.pointer(p).and_then(text),
            Expression::RequestBody(p) => answer.request_body?.pointer(p).and_then(text),
            Expression::ResponseHeader(h) => header(h),
            Expression::RequestPath(n) => answer.request_path.get(n).cloned(),
            Expression::Constant(c) => Some(c.clone()),
            Expression::Location => header("location").map(|l| last_segment(&l)),
        };
        value.filter(|v| !v.is_empty())
    }
}

/// A header name's characters (RFC 9110 5.6.2).
fn token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The last non-empty path segment of a URL or path, without its query or fragment; the whole
/// value when it has no `/`.
pub fn last_segment(location: &str) -> String {
    let path = location.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_string()
}

/// The parts of an earlier exchange an expression reads.
pub struct Answer<'a> {
    pub body: Option<&'a Value>,
    pub headers: &'a [(String, String)],
    pub request_path: &'a std::collections::BTreeMap<String, String>,
    pub request_body: Option<&'a Value>,
}

/// How the source was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// An OpenAPI link of the producer's response, at this pointer.
    Link { pointer: String },
    /// The producer is the POST on the consumer's parent path.
    Creator,
}

/// Where operation `consumer`'s path parameter `param` takes a value that exists: the answer to
/// operation `producer`'s base request, through the first of `from` that gives one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdSource {
    pub consumer: String,
    pub param: String,
    pub producer: String,
    pub from: Vec<Expression>,
    pub via: Via,
}

impl IdSource {
    /// What the source is, for a report: `link next (at /paths/...)` or `the creating operation`.
    pub fn describe(&self) -> String {
        let how: Vec<String> = self.from.iter().map(Expression::describe).collect();
        match &self.via {
            Via::Link { pointer } => format!("the link at {pointer}: {}", how.join(", else ")),
            Via::Creator => format!("the creating operation: {}", how.join(", else ")),
        }
    }
}

/// The producer of a path parameter by the parent-path rule: the template before `/{param}`
/// (`/things` for `/things/{thingId}` and `/things/{thingId}/parts/{partId}`), or `None` when
/// `param` is not a whole segment of it.
pub fn parent_path<'a>(template: &'a str, param: &str) -> Option<&'a str> {
    let at = template.find(&format!("/{{{param}}}"))?;
    let end = at + param.len() + 3;
    let whole = template[end..].is_empty() || template[end..].starts_with('/');
    (whole && at > 0).then(|| &template[..at])
}

/// Whether a field name is an id's: `id`, or ending in `Id`, `ID` or `_id`.
pub fn id_like(name: &str) -> bool {
    name.eq_ignore_ascii_case("id")
        || name.ends_with("Id")
        || name.ends_with("ID")
        || name.ends_with("_id")
}

/// The field names a created object may carry parameter `param` under, in order: the name
/// itself and its `thing_id`/`thingID` forms, then `id` when the parameter is an id's.
pub fn field_candidates(param: &str) -> Vec<String> {
    let mut out = vec![param.to_string()];
    if let Some(stem) = param.strip_suffix("Id") {
        out.push(format!("{}_id", snake(stem)));
        out.push(format!("{stem}ID"));
    } else if let Some(stem) = param.strip_suffix("_id") {
        out.push(format!("{}Id", camel(stem)));
    }
    if param != "id" && id_like(param) {
        out.push("id".into());
    }
    out.dedup();
    out
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        match c {
            '_' => up = true,
            c if up => {
                out.push(c.to_ascii_uppercase());
                up = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn link_expressions_the_suite_evaluates() {
        let parse = |v: Value| Expression::parse(&v);
        assert_eq!(
            parse(json!("$response.body#/data/key")),
            Some(Expression::ResponseBody("/data/key".into()))
        );
        assert_eq!(
            parse(json!("$response.header.Location")),
            Some(Expression::ResponseHeader("Location".into()))
        );
        assert_eq!(
            parse(json!("$request.path.id")),
            Some(Expression::RequestPath("id".into()))
        );
        assert_eq!(
            parse(json!("$request.body#/name")),
            Some(Expression::RequestBody("/name".into()))
        );
        assert_eq!(parse(json!(7)), Some(Expression::Constant("7".into())));
        assert_eq!(
            parse(json!("abc")),
            Some(Expression::Constant("abc".into()))
        );
        for bad in [
            "$url",
            "$method",
            "$statusCode",
            "$request.query.q",
            "$response.body/x",
            "$response.header.",
            "id-{$response.body#/id}",
        ] {
            assert_eq!(parse(json!(bad)), None, "{bad}");
        }
    }

    #[test]
    fn expressions_read_the_answer() {
        let body = json!({"data": {"key": "k1", "n": 5, "o": {}}, "empty": ""});
        let headers = vec![("location".to_string(), "/things/42?x=1".to_string())];
        let path = BTreeMap::from([("org".to_string(), "o1".to_string())]);
        let req = json!({"name": "n"});
        let answer = Answer {
            body: Some(&body),
            headers: &headers,
            request_path: &path,
            request_body: Some(&req),
        };
        let eval = |e: Expression| e.evaluate(&answer);
        assert_eq!(
            eval(Expression::ResponseBody("/data/key".into())),
            Some("k1".into())
        );
        assert_eq!(
            eval(Expression::ResponseBody("/data/n".into())),
            Some("5".into())
        );
        assert_eq!(eval(Expression::ResponseBody("/data/o".into())), None);
        assert_eq!(eval(Expression::ResponseBody("/empty".into())), None);
        assert_eq!(eval(Expression::ResponseBody("/nope".into())), None);
        assert_eq!(eval(Expression::Location), Some("42".into()));
        assert_eq!(
            eval(Expression::ResponseHeader("Location".into())),
            Some("/things/42?x=1".into())
        );
        assert_eq!(
            eval(Expression::RequestPath("org".into())),
            Some("o1".into())
        );
        assert_eq!(
            eval(Expression::RequestBody("/name".into())),
            Some("n".into())
        );
        assert_eq!(last_segment("abc"), "abc");
        assert_eq!(last_segment("https://h/things/9/"), "9");
    }

    #[test]
    fn parent_paths_and_field_names() {
        assert_eq!(parent_path("/things/{thingId}", "thingId"), Some("/things"));
        assert_eq!(
            parent_path("/things/{thingId}/parts/{partId}", "thingId"),
            Some("/things")
        );
        assert_eq!(
            parent_path("/things/{thingId}/parts/{partId}", "partId"),
            Some("/things/{thingId}/parts")
        );
        assert_eq!(parent_path("/{id}", "id"), None);
        assert_eq!(parent_path("/things/{id}.json", "id"), None);
        assert_eq!(parent_path("/things/{idx}", "id"), None);
        assert_eq!(
            field_candidates("thingId"),
            vec!["thingId", "thing_id", "thingID", "id"]
        );
        assert_eq!(
            field_candidates("thing_id"),
            vec!["thing_id", "thingId", "id"]
        );
        assert_eq!(field_candidates("id"), vec!["id"]);
        assert_eq!(field_candidates("slug"), vec!["slug"]);
        assert!(id_like("petId") && id_like("user_id") && !id_like("idea"));
    }
}
