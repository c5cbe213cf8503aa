//! Contract stage: the endpoint file and the two JSON Schemas, loaded and compiled ([`Operation`]).
//!
//! The types live here; [`load`] reads and compiles them, [`validate`] checks an endpoint file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

pub mod chain;
pub mod class;
pub mod datetimes;
pub mod discriminator;
mod document;
mod load;
pub mod media;
pub mod openapi;
mod parameters;
pub mod pointer;
pub mod schema;
mod security;
mod validate;

pub use class::Class;
pub use document::{Document, LoadWarning, Untested};
pub use load::{compile, digest_of_all, note_path_methods, SchemaPathError, EMBEDDED_SCHEMAS};
pub use parameters::{
    governing, passes_as_sent, BodyKind, DocumentedResponse, Param, ParamIn, ResponsePart,
    StatusKey, Style,
};
pub use pointer::{pointer_token, pointer_unescape};
pub use schema::{resolve_local, unwrap_schema};
pub use security::{Scheme, SchemeKind, Security};
pub(crate) use validate::validate_endpoint;
pub use validate::{
    check_header_value, check_method, is_standard_method, BoundError, HeaderValueError,
    MethodError, MAX_SCHEMA_BOUND,
};

/// How much a failed check weighs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Printed and counted, but does not fail the run unless `--strict`.
    Warning,
    /// A contract violation: a JUnit `<failure>` and exit code 1.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What the endpoint file says about one endpoint: everything the engine must not hard-code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Machine name, used as the JUnit suite name and classname prefix.
    pub operation: String,
    pub title: String,
    pub method: String,
    /// Path template below the API root, with `{param}` placeholders.
    pub path: String,
    #[serde(default)]
    pub path_params: BTreeMap<String, PathParam>,
    pub auth: AuthSpec,
    /// The media type of the request body.
    pub content_type: String,
    pub request_schema: String,
    /// The schema of a success body.
    pub response_schema: String,
    /// A success status whose body has another schema than `response_schema`: the status and
    /// its schema file.
    #[serde(default)]
    pub response_schemas: BTreeMap<u16, String>,
    /// The JSON media types the success responses are documented with, which every request
    /// names in its `Accept` header.
    #[serde(default = "response_media_types_default")]
    pub response_media_types: Vec<String>,
    /// Statuses that count as success for a valid request.
    pub success: Vec<u16>,
    /// Statuses expected for each kind of rejection (`invalid_body`, `auth`, ...).
    pub expectations: BTreeMap<String, Vec<u16>>,
    /// Per expectation key (or `success`), other statuses accepted with a warning: what a SHOULD
    /// of HTTP allows a correct server to answer instead.
    #[serde(default)]
    pub tolerated: BTreeMap<String, Vec<u16>>,
    #[serde(default)]
    pub semantics: Vec<Semantic>,
    /// JSON pointer to the id of what a success created, so a run can list what it left behind.
    #[serde(default)]
    pub created_id: Option<String>,
    /// Policies for request fields, by JSON pointer: what the page leaves open about a field,
    /// which no schema keyword can say.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldPolicy>,
    /// Where `fields` was declared, for the case titles that cite it.
    #[serde(skip)]
    pub fields_source: FieldsSource,
    /// Other methods the same path template answers (the contract's other operations on it),
    /// in upper case: a request with one of them is no wrong method. Worked out on loading.
    #[serde(skip)]
    pub path_methods: BTreeSet<String>,
    /// Whether a request must have a body (OpenAPI's `requestBody.required`). When it need not,
    /// an empty body is no invalid request: the case that sends one is unspecified.
    #[serde(default = "body_required_default")]
    pub body_required: bool,
    /// What the request body is: JSON (every endpoint file), none, or a form.
    #[serde(default)]
    pub body_kind: BodyKind,
    /// Every parameter (path, query, header, cookie) with its schema and serialization; an
    /// endpoint file's path parameters are in `path_params` alone.
    #[serde(default)]
    pub params: Vec<Param>,
    /// Whether the request schema's `format`s are assertions the server must enforce, or
    /// annotations it may ignore (JSON Schema 2020-12's and OpenAPI 3.1's default).
    #[serde(default)]
    pub formats: Formats,
}

/// What `format` is in a contract's request schema. As an annotation, a value that breaks only
/// its format may be accepted or refused (never answered 5xx); asserted, it must be refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Formats {
    /// JSON Schema 2020-12's default: a server may check a format or not.
    #[default]
    Annotation,
    /// The contract says the server checks every format it knows.
    Asserted,
}

fn body_required_default() -> bool {
    true
}

/// Where an endpoint's `fields` policies were declared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldsSource {
    /// An endpoint file's `fields`.
    #[default]
    EndpointFile,
    /// An OpenAPI operation's `x-conformance.fields`.
    XConformance,
}

impl FieldsSource {
    /// The source as a case title cites it.
    pub fn phrase(self) -> &'static str {
        match self {
            FieldsSource::EndpointFile => "the endpoint file's fields policy",
            FieldsSource::XConformance => "x-conformance fields",
        }
    }
}

fn response_media_types_default() -> Vec<String> {
    vec!["application/json".to_string()]
}

/// What the contract says about one request field beyond its schema.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldPolicy {
    /// How a date-time in the past is judged: `valid` (a birth date), `invalid`, or
    /// `unspecified` (an expiry, which a server may refuse once it has passed; also what an
    /// undeclared field gets, since no schema keyword says how a date-time relates to now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past: Option<Class>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathParam {
    #[serde(default)]
    pub description: String,
    /// Used when the run names no value (the embedded server knows this one).
    pub example: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSpec {
    /// An endpoint file's scheme: only `bearer` is supported. A document's operation says
    /// `none` when it has no security, else `document` (its `security` says the rest).
    pub scheme: String,
    /// The alternatives and the one the run sends; an endpoint file's `bearer` is
    /// [`Security::bearer`].
    #[serde(skip)]
    pub security: Security,
}

/// A rule about a successful response's meaning, beyond its shape.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Semantic {
    pub check: SemanticKind,
    /// JSON pointer into the request body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// JSON pointer into the response body.
    pub response: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// `recent`: how many minutes from the client's clock or the response's `Date` a date-time
    /// may be (clock skew); [`DEFAULT_SKEW_MINUTES`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_minutes: Option<u32>,
    #[serde(default = "default_error")]
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc: String,
}

fn default_error() -> Severity {
    Severity::Error
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SemanticKind {
    /// The response date-time at `response` is the same instant as the request's at `request`.
    SameInstant,
    /// The integer at `response` is the whole minutes from `from` to `to` (within one minute).
    MinutesBetween,
    /// The value at `response` is never seen twice in one run.
    Unique,
    /// The value at `response` equals `value`.
    Equals,
    /// The value at `response` equals the request's value at `request`.
    Echo,
    /// No string the request sent marked [`UNREQUESTED`] (under a property the request's schema
    /// does not name) appears anywhere in the body at `response`: unknown fields are ignored.
    UnknownIgnored,
    /// The date-time at `response` is within `skew_minutes` of the client's clock around the
    /// exchange, or of the response's `Date` header (issue 22, family 5).
    Recent,
    /// The link at `response` (a URL string, or an object with `href`), when present, names the
    /// value at `to` (the record's id) as one of its path segments.
    LinksTo,
}

/// The mark of a value sent under an unknown request property, which no correct answer holds.
pub const UNREQUESTED: &str = "unrequested:";

/// The clock skew a `recent` rule allows when it names none: five minutes, as Kerberos and
/// most token validators allow, so a server clock some seconds off passes.
pub const DEFAULT_SKEW_MINUTES: u32 = 5;

/// The most a `recent` rule's `skew_minutes` may be: a day, beyond which the rule says nothing.
pub const MAX_SKEW_MINUTES: u32 = 1440;

impl SemanticKind {
    pub fn name(self) -> &'static str {
        match self {
            SemanticKind::SameInstant => "same_instant",
            SemanticKind::MinutesBetween => "minutes_between",
            SemanticKind::Unique => "unique",
            SemanticKind::Equals => "equals",
            SemanticKind::Echo => "echo",
            SemanticKind::UnknownIgnored => "unknown_ignored",
            SemanticKind::Recent => "recent",
            SemanticKind::LinksTo => "links_to",
        }
    }
}

/// The expectation keys that derived cases rely on.
pub const EXPECTATION_KEYS: &[&str] = &[
    "invalid_body",
    "auth",
    "unknown_path",
    "media_type",
    "method",
];

/// What a contract is made of, wherever it was read; see [`Operation::from_parts`].
pub struct Parts {
    pub endpoint: Endpoint,
    /// Where the endpoint came from, for messages: a file, or a place in a document.
    pub endpoint_path: PathBuf,
    /// The text the endpoint was read from, for its digest.
    pub endpoint_text: String,
    pub request_schema: Value,
    pub request_path: PathBuf,
    pub response_schema: Value,
    pub response_path: PathBuf,
    /// The success statuses with a schema of their own, and where each was read.
    pub status_schemas: BTreeMap<u16, (Value, PathBuf)>,
    /// Every documented response, for the checks of statuses other than the 2xx above and of
    /// media types; empty for an endpoint file, whose success schemas say it all.
    pub responses: Vec<ResponsePart>,
    /// A directory, "embedded", or a document.
    pub origin: String,
}

/// The contract's files and one SHA-256 over them, as the summary reports them.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ContractInfo {
    /// The operations tested, in order.
    pub operations: Vec<String>,
    /// SHA-256 over the contract files, in order.
    pub sha256: String,
    pub files: Vec<ContractFile>,
}

/// One contract file and its SHA-256.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ContractFile {
    pub path: String,
    pub sha256: String,
}

/// The endpoint, its schemas, and their compiled validators.
pub struct Operation {
    pub endpoint: Endpoint,
    pub request_schema: Value,
    pub response_schema: Value,
    pub request_validator: jsonschema::Validator,
    pub response_validator: jsonschema::Validator,
    /// The success statuses whose bodies have a schema of their own.
    pub status_schemas: BTreeMap<u16, StatusSchema>,
    /// Every documented response (an OpenAPI operation's); empty for an endpoint file.
    pub responses: Vec<DocumentedResponse>,
    /// Where the files came from, for messages: a directory, or "embedded".
    pub origin: String,
    /// The request schema's path as messages show it.
    pub request_schema_path: PathBuf,
    /// Each contract file and its SHA-256 (the endpoint file as written; the schemas as
    /// compact JSON, so whitespace does not count).
    pub files: Vec<ContractFile>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("endpoint", &self.endpoint.operation)
            .field("origin", &self.origin)
            .finish()
    }
}

/// The response schema of one success status, compiled.
pub struct StatusSchema {
    pub schema: Value,
    pub validator: jsonschema::Validator,
}

impl Operation {
    /// The schema a success body with this status must meet, and its validator.
    pub fn response_for(&self, status: u16) -> (&Value, &jsonschema::Validator) {
        match self.status_schemas.get(&status) {
            Some(s) => (&s.schema, &s.validator),
            None => (&self.response_schema, &self.response_validator),
        }
    }

    /// Statuses for a named expectation; names are checked when the endpoint is loaded.
    pub fn expectation(&self, key: &str) -> Option<&[u16]> {
        self.endpoint.expectations.get(key).map(Vec::as_slice)
    }

    /// Statuses accepted with a warning where expectation `key` (or `success`) is expected.
    pub fn tolerated(&self, key: &str) -> &[u16] {
        self.endpoint.tolerated.get(key).map_or(&[], Vec::as_slice)
    }

    /// How a past date-time at `pointer` is judged: the declared `fields` policy, else
    /// unspecified (a schema cannot say whether a past instant is allowed; a server with a
    /// business rule such as "an expiry is in the future" may refuse it).
    /// The class of a value that breaks only its `format`: invalid where the contract asserts
    /// formats, unspecified where they are annotations (see [`Formats`]).
    pub fn format_class(&self) -> Class {
        match self.endpoint.formats {
            Formats::Asserted => Class::Invalid,
            Formats::Annotation => Class::Unspecified,
        }
    }

    /// Why a format break has its class, as a case title says it.
    pub fn format_reason(&self) -> &'static str {
        match self.endpoint.formats {
            Formats::Asserted => "the contract asserts formats",
            Formats::Annotation => {
                "unspecified: `format` is an annotation unless the contract asserts formats"
            }
        }
    }

    pub fn past_date_time(&self, pointer: &str) -> Class {
        self.declared_past(pointer).unwrap_or(Class::Unspecified)
    }

    /// The `past` policy declared for the field at `pointer`, if any.
    pub fn declared_past(&self, pointer: &str) -> Option<Class> {
        self.endpoint.fields.get(pointer).and_then(|f| f.past)
    }

    /// Where the class of a past date-time at `pointer` comes from, as a case title says it:
    /// `valid by the endpoint file's fields policy`, `unspecified: no ...`.
    pub fn past_reason(&self, pointer: &str) -> String {
        match self.declared_past(pointer) {
            Some(class) => format!(
                "{} by {}",
                class.as_str(),
                self.endpoint.fields_source.phrase()
            ),
            None => "unspecified: no `fields` policy declared".into(),
        }
    }

    /// Whether the request field at `pointer` is declared `format: date-time`, following
    /// `properties` and `items`.
    pub fn is_date_time_field(&self, pointer: &str) -> bool {
        let root = &self.request_schema;
        let mut schema = unwrap_schema(root, root);
        for token in pointer::tokens(pointer) {
            let next = schema
                .get("properties")
                .and_then(|p| p.get(&token))
                .or_else(|| schema.get("items"));
            match next {
                Some(s) => schema = unwrap_schema(root, s),
                None => return false,
            }
        }
        schema.get("format").and_then(Value::as_str) == Some("date-time")
    }
}

/// The `{name}` placeholders of a path template, in order.
pub fn path_placeholders(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}
