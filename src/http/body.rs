//! Request bodies as they go out: a JSON object sent under `application/x-www-form-urlencoded`
//! or `multipart/form-data` is encoded at send time; anything else is sent as its text.

use serde_json::{Map, Value};

use crate::cases::Body;

/// The boundary of every multipart body: fixed, so that a request and its record are the same
/// every run.
pub const BOUNDARY: &str = "provisionr-conformance-7d3f9a1c";

/// The encoding a Content-Type asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Text,
    Form,
    Multipart,
}

/// The encoding of a media type (its parameters ignored).
pub fn encoding_of(content_type: Option<&str>) -> Encoding {
    let essence = content_type
        .and_then(|c| c.split(';').next())
        .unwrap_or("")
        .trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Encoding::Form
    } else if essence.eq_ignore_ascii_case("multipart/form-data") {
        Encoding::Multipart
    } else {
        Encoding::Text
    }
}

/// The `boundary` parameter of a media type, when it has one.
fn boundary_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
    })
}

/// The Content-Type header to send: a multipart type without a boundary gets the body's.
pub fn content_type_header(content_type: &str) -> String {
    if encoding_of(Some(content_type)) == Encoding::Multipart && boundary_of(content_type).is_none()
    {
        format!("{content_type}; boundary={BOUNDARY}")
    } else {
        content_type.to_string()
    }
}

/// The bytes of a body sent under `content_type`. A JSON object (or a patched one) under a form
/// type is encoded as that form; a raw body, or a body that is no object, is sent as its text.
pub fn encode(body: &Body, content_type: Option<&str>) -> String {
    let encoding = encoding_of(content_type);
    if encoding == Encoding::Text || matches!(body, Body::Raw(_) | Body::Empty) {
        return body.to_text();
    }
    let Some(value) = body.json() else {
        return body.to_text();
    };
    match (encoding, value.as_object()) {
        (Encoding::Form, Some(map)) => form(map),
        (Encoding::Multipart, Some(map)) => {
            let boundary = content_type.and_then(boundary_of).unwrap_or(BOUNDARY);
            multipart(map, boundary)
        }
        _ => body.to_text(),
    }
}

/// A form field's text: a string as it is, any other value as its JSON text.
fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Each field with each of its values: an array is one value per item (repeated keys).
fn fields(map: &Map<String, Value>) -> impl Iterator<Item = (&str, String)> {
    map.iter().flat_map(|(k, v)| match v {
        Value::Array(items) => items
            .iter()
            .map(|i| (k.as_str(), field_text(i)))
            .collect::<Vec<_>>(),
        other => vec![(k.as_str(), field_text(other))],
    })
}

/// `application/x-www-form-urlencoded`: scalars as text, arrays as repeated keys, objects and
/// `null` as their JSON text.
pub fn form(map: &Map<String, Value>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields(map) {
        out.append_pair(k, &v);
    }
    out.finish()
}

/// `multipart/form-data` (RFC 7578): one part per field value, between `boundary` lines.
pub fn multipart(map: &Map<String, Value>, boundary: &str) -> String {
    let mut out = String::new();
    for (k, v) in fields(map) {
        // RFC 7578 4.2 and the HTML standard: a quote and line breaks in a name are escaped.
        let name = k
            .replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        out.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{v}\r\n"
        ));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_form_body_is_encoded_from_the_object() {
        let body = Body::Json(
            json!({"name": "a b&c", "n": 3, "tags": ["x", "y"], "o": {"k": 1}, "z": null}),
        );
        let ct = Some("application/x-www-form-urlencoded");
        assert_eq!(
            encode(&body, ct),
            "name=a+b%26c&n=3&tags=x&tags=y&o=%7B%22k%22%3A1%7D&z=null"
        );
        assert_eq!(encode(&Body::Raw("{".into()), ct), "{");
        assert_eq!(encode(&body, Some("application/json")), body.to_text());
    }

    #[test]
    fn a_multipart_body_has_one_part_per_value_and_its_boundary_in_the_type() {
        let body = Body::Json(json!({"name": "x", "tags": ["a", "b"]}));
        let text = encode(&body, Some("multipart/form-data"));
        assert_eq!(text.matches("Content-Disposition").count(), 3);
        assert!(text.starts_with(&format!("--{BOUNDARY}\r\n")), "{text}");
        assert!(text.ends_with(&format!("--{BOUNDARY}--\r\n")), "{text}");
        assert_eq!(
            content_type_header("multipart/form-data"),
            format!("multipart/form-data; boundary={BOUNDARY}")
        );
        assert_eq!(
            content_type_header("multipart/form-data; boundary=x"),
            "multipart/form-data; boundary=x"
        );
        assert_eq!(content_type_header("application/json"), "application/json");
    }
}
