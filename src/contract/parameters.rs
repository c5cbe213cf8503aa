//! What an operation takes besides its body, and what it answers: its parameters ([`Param`]),
//! the kind of its request body ([`BodyKind`]) and its documented responses
//! ([`DocumentedResponse`]), as an OpenAPI document describes them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a parameter goes (OpenAPI's `in`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamIn {
    Path,
    Query,
    Header,
    Cookie,
}

impl ParamIn {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
            ParamIn::Header => "header",
            ParamIn::Cookie => "cookie",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => ParamIn::Header,
            "cookie" => ParamIn::Cookie,
            _ => return None,
        })
    }

    /// OpenAPI's default `style` for this location.
    pub fn default_style(self) -> Style {
        match self {
            ParamIn::Path | ParamIn::Header => Style::Simple,
            ParamIn::Query | ParamIn::Cookie => Style::Form,
        }
    }
}

/// OpenAPI's parameter serialization styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Style {
    Simple,
    Form,
    Label,
    Matrix,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

impl Style {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "simple" => Style::Simple,
            "form" => Style::Form,
            "label" => Style::Label,
            "matrix" => Style::Matrix,
            "spaceDelimited" => Style::SpaceDelimited,
            "pipeDelimited" => Style::PipeDelimited,
            "deepObject" => Style::DeepObject,
            _ => return None,
        })
    }
}

/// One parameter of an operation: its place, schema and serialization.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "in")]
    pub location: ParamIn,
    #[serde(default)]
    pub required: bool,
    /// The parameter's JSON Schema (2020-12, converted like the body's), `{}` when none is given.
    #[serde(default = "any_schema")]
    pub schema: Value,
    pub style: Style,
    pub explode: bool,
    /// A documented example, used as the parameter's value in valid requests when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    /// The value valid requests carry: the example, else one built from the schema when the
    /// cases are assembled. `None` for an optional parameter left out of valid requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Value>,
    /// Where the parameter is declared, for messages (a JSON pointer into the document).
    #[serde(default)]
    pub pointer: String,
}

fn any_schema() -> Value {
    Value::Object(Default::default())
}

/// What an operation's request body is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// A JSON body (`application/json` or a `+json` type): every body case applies.
    #[default]
    Json,
    /// No request body: GET, DELETE, and any operation without `requestBody`.
    None,
    /// `application/x-www-form-urlencoded`, built from the schema's object.
    Form,
    /// `multipart/form-data` fields, built from the schema's object.
    Multipart,
}

/// A documented response's status: one code, a range (`4XX`), or `default`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusKey {
    Code(u16),
    /// The first digit of the range: `4` for `4XX`.
    Range(u16),
    Default,
}

impl StatusKey {
    /// `200`, `4XX` (any case of `X`), or `default`.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "default" {
            return Some(StatusKey::Default);
        }
        let b = s.as_bytes();
        if b.len() == 3 && b[1..].eq_ignore_ascii_case(b"xx") {
            let d = (b[0] as char).to_digit(10)? as u16;
            return (1..=5).contains(&d).then_some(StatusKey::Range(d));
        }
        let code = s.parse::<u16>().ok()?;
        (100..=599).contains(&code).then_some(StatusKey::Code(code))
    }

    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusKey::Code(c) => c == status,
            StatusKey::Range(d) => status / 100 == d,
            StatusKey::Default => true,
        }
    }
}

impl std::fmt::Display for StatusKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusKey::Code(c) => write!(f, "{c}"),
            StatusKey::Range(d) => write!(f, "{d}XX"),
            StatusKey::Default => f.write_str("default"),
        }
    }
}

/// One documented response of an operation, compiled.
pub struct DocumentedResponse {
    pub key: StatusKey,
    /// Every media type its `content` lists, in document order; empty for a response without
    /// content.
    pub media_types: Vec<String>,
    /// The schema of its JSON body, compiled, when it documents one.
    pub schema: Option<super::StatusSchema>,
    /// Where the schema was read, for messages.
    pub schema_path: Option<std::path::PathBuf>,
}

/// One documented response as read, before compiling.
pub struct ResponsePart {
    pub key: StatusKey,
    pub media_types: Vec<String>,
    pub schema: Option<(Value, std::path::PathBuf)>,
}

/// The documented response that governs `status`, as OpenAPI chooses it: the exact code, else
/// its range, else `default`.
/// Whether a parameter value passes its schema as a server reads it: the value itself, or the
/// text it is sent as read back as a number or boolean (`10` in a path is an integer id).
pub fn passes_as_sent(validator: &jsonschema::Validator, v: &Value) -> bool {
    let as_text = match v {
        Value::Number(_) | Value::Bool(_) => Some(Value::String(v.to_string())),
        Value::String(t) => serde_json::from_str::<Value>(t)
            .ok()
            .filter(|r| r.is_number() || r.is_boolean()),
        _ => None,
    };
    validator.is_valid(v) || as_text.is_some_and(|c| validator.is_valid(&c))
}

pub fn governing(responses: &[DocumentedResponse], status: u16) -> Option<&DocumentedResponse> {
    responses
        .iter()
        .find(|r| r.key == StatusKey::Code(status))
        .or_else(|| {
            responses
                .iter()
                .find(|r| matches!(r.key, StatusKey::Range(_)) && r.key.matches(status))
        })
        .or_else(|| responses.iter().find(|r| r.key == StatusKey::Default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_keys_read_and_match_as_openapi_defines_them() {
        assert_eq!(StatusKey::parse("404"), Some(StatusKey::Code(404)));
        assert_eq!(StatusKey::parse("4XX"), Some(StatusKey::Range(4)));
        assert_eq!(StatusKey::parse("2xx"), Some(StatusKey::Range(2)));
        assert_eq!(StatusKey::parse("default"), Some(StatusKey::Default));
        assert_eq!(StatusKey::parse("6XX"), None);
        assert_eq!(StatusKey::parse("abc"), None);
        // Keys of documents are text of any kind: three bytes of one character too.
        assert_eq!(StatusKey::parse("€"), None);
        assert_eq!(StatusKey::parse("éX"), None);
        assert!(StatusKey::Range(4).matches(418));
        assert!(!StatusKey::Range(4).matches(500));
        assert_eq!(StatusKey::Range(5).to_string(), "5XX");
    }
}
