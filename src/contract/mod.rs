//! Operation stage: the endpoint file and the two JSON Schemas, loaded and compiled ([`Operation`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde::Deserialize;
use serde_json::Value;

pub mod class;
pub mod datetimes;
pub mod media;
pub mod openapi;
pub mod pointer;
pub mod schema;

pub use class::Class;
pub use pointer::{pointer_token, pointer_unescape};
pub use schema::{resolve_local, unwrap_schema};

use crate::diag::{kind_of, locate_key, read_text, strip_bom, FileError};

/// The shipped schemas, embedded so the binary runs from any directory.
pub static EMBEDDED_SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

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
    /// Only `bearer` is supported.
    pub scheme: String,
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
}

impl SemanticKind {
    pub fn name(self) -> &'static str {
        match self {
            SemanticKind::SameInstant => "same_instant",
            SemanticKind::MinutesBetween => "minutes_between",
            SemanticKind::Unique => "unique",
            SemanticKind::Equals => "equals",
            SemanticKind::Echo => "echo",
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

/// Reads contract files by name from a directory or from the embedded copy.
enum Source<'a> {
    Dir(&'a Path),
    Embedded,
}

impl Source<'_> {
    fn display_path(&self, name: &str) -> PathBuf {
        match self {
            Source::Dir(dir) => dir.join(name),
            Source::Embedded => Path::new("schemas").join(name),
        }
    }

    fn names(&self) -> Result<Vec<String>, FileError> {
        match self {
            Source::Dir(dir) => {
                let entries = std::fs::read_dir(dir).map_err(|e| {
                    FileError::new(*dir, format!("cannot read the schemas directory: {e}"))
                })?;
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect();
                names.sort();
                Ok(names)
            }
            Source::Embedded => Ok(EMBEDDED_SCHEMAS
                .files()
                .filter_map(|f| f.path().to_str().map(str::to_string))
                .collect()),
        }
    }

    fn read(&self, name: &str) -> Result<String, FileError> {
        match self {
            Source::Dir(dir) => read_text(&dir.join(name)),
            Source::Embedded => EMBEDDED_SCHEMAS
                .get_file(name)
                .and_then(|f| f.contents_utf8())
                .map(|text| strip_bom(text).to_string())
                .ok_or_else(|| FileError::new(self.display_path(name), "no such embedded file")),
        }
    }

    fn read_json(&self, name: &str) -> Result<Value, FileError> {
        let text = self.read(name)?;
        serde_json::from_str(&text).map_err(|e| FileError::from_json(&self.display_path(name), &e))
    }

    /// Checks a schema path of the endpoint file: it must be relative, stay inside the directory
    /// once symbolic links are resolved, and name a regular file. Anything else could read a
    /// file the contract does not own, or block on a FIFO or `/dev/urandom`.
    fn check_schema_path(&self, name: &str) -> Result<(), SchemaPathError> {
        let Source::Dir(dir) = self else {
            // The embedded copy is a fixed set of files; `read` names a missing one.
            return Ok(());
        };
        let rel = Path::new(name);
        if name.is_empty() {
            return Err(SchemaPathError::Empty);
        }
        if rel
            .components()
            .any(|c| matches!(c, Component::RootDir | Component::Prefix(_)))
        {
            return Err(SchemaPathError::Absolute(name.into()));
        }
        let root = dir
            .canonicalize()
            .map_err(|e| SchemaPathError::Unresolved(dir.display().to_string(), e))?;
        let target = dir.join(rel).canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SchemaPathError::Missing(name.into()),
            _ => SchemaPathError::Unresolved(name.into(), e),
        })?;
        if !target.starts_with(&root) {
            return Err(SchemaPathError::Outside(name.into()));
        }
        let meta =
            std::fs::metadata(&target).map_err(|e| SchemaPathError::Unresolved(name.into(), e))?;
        if !meta.is_file() {
            return Err(SchemaPathError::NotAFile(name.into(), kind_of(&meta)));
        }
        Ok(())
    }
}

/// Why a schema path named by the endpoint file is refused.
#[derive(Debug, thiserror::Error)]
pub enum SchemaPathError {
    #[error("it is empty")]
    Empty,
    #[error("`{0}` is an absolute path")]
    Absolute(String),
    #[error("`{0}` does not exist")]
    Missing(String),
    /// `..` or a symbolic link leads out of the schemas directory.
    #[error("`{0}` leads outside the schemas directory")]
    Outside(String),
    /// A directory, FIFO, socket or device.
    #[error("`{0}` is {1}, not a regular file")]
    NotAFile(String, &'static str),
    #[error("`{0}` cannot be resolved: {1}")]
    Unresolved(String, #[source] std::io::Error),
}

impl Operation {
    /// The contract shipped inside the binary.
    pub fn embedded() -> Result<Self, FileError> {
        Self::one(Self::embedded_all()?)
    }

    /// Every operation shipped inside the binary.
    pub fn embedded_all() -> Result<Vec<Self>, FileError> {
        Self::load_all(Source::Embedded, "embedded".into())
    }

    /// The contract in `dir`, which must hold exactly one `*.endpoint.json`.
    pub fn from_dir(dir: &Path) -> Result<Self, FileError> {
        Self::one(Self::load_dir(dir)?)
    }

    /// Every operation in `dir`: each `*.endpoint.json` and the schemas it names.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, FileError> {
        Self::load_all(Source::Dir(dir), dir.display().to_string())
    }

    fn one(mut all: Vec<Self>) -> Result<Self, FileError> {
        match all.len() {
            1 => Ok(all.remove(0)),
            _ => Err(FileError::new(
                all[0].origin.clone(),
                format!("{} endpoint files where one was expected", all.len()),
            )),
        }
    }

    fn load_all(source: Source<'_>, origin: String) -> Result<Vec<Self>, FileError> {
        let endpoints: Vec<String> = source
            .names()?
            .into_iter()
            .filter(|n| n.ends_with(".endpoint.json"))
            .collect();
        if endpoints.is_empty() {
            return Err(FileError::new(
                source.display_path(""),
                "no endpoint file: expected a `*.endpoint.json` beside the schemas",
            ));
        }
        let mut all: Vec<Operation> = Vec::new();
        for name in &endpoints {
            let contract = Self::load(&source, name, origin.clone())?;
            if let Some(first) = all
                .iter()
                .find(|c| c.endpoint.operation == contract.endpoint.operation)
            {
                return Err(FileError::new(
                    source.display_path(name),
                    format!(
                        "operation `{}` is also the operation of {}",
                        contract.endpoint.operation, first.files[0].path
                    ),
                )
                .help("give each endpoint file its own `operation`"));
            }
            all.push(contract);
        }
        note_path_methods(&mut all);
        Ok(all)
    }

    fn load(source: &Source<'_>, endpoint_name: &str, origin: String) -> Result<Self, FileError> {
        let endpoint_path = source.display_path(endpoint_name);
        let text = source.read(endpoint_name)?;
        let endpoint: Endpoint =
            serde_json::from_str(&text).map_err(|e| FileError::from_json(&endpoint_path, &e))?;
        validate_endpoint(&endpoint, &endpoint_path, &text)?;
        let named = [
            ("request_schema", &endpoint.request_schema),
            ("response_schema", &endpoint.response_schema),
        ];
        let per_status = endpoint
            .response_schemas
            .values()
            .map(|n| ("response_schemas", n));
        for (field, name) in named.into_iter().chain(per_status) {
            if let Err(problem) = source.check_schema_path(name) {
                let e = FileError::new(
                    &endpoint_path,
                    format!("`{field}` must name a file in the schemas directory: {problem}"),
                )
                .help("give the name of a regular file in the schemas directory, relative to it");
                return Err(match locate_key(&text, field) {
                    Some((line, column)) => e.at(line, column),
                    None => e,
                });
            }
        }

        let request_schema = source.read_json(&endpoint.request_schema)?;
        let response_schema = source.read_json(&endpoint.response_schema)?;
        let mut status_schemas = BTreeMap::new();
        for (status, name) in &endpoint.response_schemas {
            status_schemas.insert(
                *status,
                (source.read_json(name)?, source.display_path(name)),
            );
        }
        Self::from_parts(Parts {
            status_schemas,
            request_path: source.display_path(&endpoint.request_schema),
            response_path: source.display_path(&endpoint.response_schema),
            endpoint,
            endpoint_path,
            endpoint_text: text,
            request_schema,
            response_schema,
            origin,
        })
    }

    /// A contract from its parts, wherever they were read (endpoint files, an OpenAPI
    /// document): the request schema's bounds are checked and both schemas compiled.
    pub fn from_parts(p: Parts) -> Result<Self, FileError> {
        check_bounds(&p.request_schema, "", 0)
            .map_err(|e| FileError::new(&p.request_path, e.to_string()))?;
        for (schema, path) in std::iter::once((&p.response_schema, &p.response_path))
            .chain(p.status_schemas.values().map(|(s, path)| (s, path)))
        {
            if let Some(pointer) = too_deep(schema, 0) {
                return Err(FileError::new(
                    path,
                    BoundError::TooDeep(pointer).to_string(),
                ));
            }
        }
        let request_validator = compile(&p.request_schema, &p.request_path)?;
        let response_validator = compile(&p.response_schema, &p.response_path)?;
        let mut files = vec![
            digest_of(&p.endpoint_path, p.endpoint_text.as_bytes()),
            digest_of(&p.request_path, p.request_schema.to_string().as_bytes()),
            digest_of(&p.response_path, p.response_schema.to_string().as_bytes()),
        ];
        let mut status_schemas = BTreeMap::new();
        for (status, (schema, path)) in p.status_schemas {
            let validator = compile(&schema, &path)?;
            if !files.iter().any(|f| f.path == path.display().to_string()) {
                files.push(digest_of(&path, schema.to_string().as_bytes()));
            }
            status_schemas.insert(status, StatusSchema { schema, validator });
        }
        let endpoint_path = p.endpoint_path.clone();
        let contract = Operation {
            files,
            endpoint: p.endpoint,
            request_schema: p.request_schema,
            response_schema: p.response_schema,
            request_validator,
            response_validator,
            status_schemas,
            origin: p.origin,
            request_schema_path: p.request_path,
        };
        // A policy for a field the schema does not have, or that is no date-time, would be
        // silently ignored.
        if let Some(field) = contract
            .endpoint
            .fields
            .keys()
            .find(|f| !f.starts_with('/') || !contract.is_date_time_field(f))
        {
            return Err(FileError::new(
                endpoint_path,
                format!(
                    "fields: `{field}` is not a JSON pointer to a `format: date-time` field of the request schema ({})",
                    contract.request_schema_path.display()
                ),
            )
            .help("write it as a pointer into the request body, such as `/expires_at`"));
        }
        Ok(contract)
    }

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
    pub fn past_date_time(&self, pointer: &str) -> Class {
        self.declared_past(pointer)
            .unwrap_or(Class::Unspecified)
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

/// The operations, their files and one SHA-256 over all the files, for the summary: two runs with
/// the same digest tested the same contract.
pub fn digest_of_all<'a>(contracts: impl IntoIterator<Item = &'a Operation>) -> ContractInfo {
    use sha2::{Digest, Sha256};
    let mut all = Sha256::new();
    let mut info = ContractInfo::default();
    for c in contracts {
        info.operations.push(c.endpoint.operation.clone());
        for f in &c.files {
            all.update(f.path.as_bytes());
            all.update(f.sha256.as_bytes());
            info.files.push(f.clone());
        }
    }
    info.sha256 = hex(&all.finalize());
    info
}

fn digest_of(path: &Path, bytes: &[u8]) -> ContractFile {
    use sha2::{Digest, Sha256};
    ContractFile {
        path: path.display().to_string(),
        sha256: hex(&Sha256::digest(bytes)),
    }
}

/// Tells each operation the methods its contract's other operations use on the same path.
pub fn note_path_methods(contracts: &mut [Operation]) {
    let by_path: Vec<(String, String)> = contracts
        .iter()
        .map(|c| {
            (
                c.endpoint.path.clone(),
                c.endpoint.method.to_ascii_uppercase(),
            )
        })
        .collect();
    for c in contracts.iter_mut() {
        let own = c.endpoint.method.to_ascii_uppercase();
        for (path, method) in &by_path {
            if *path == c.endpoint.path && *method != own {
                c.endpoint.path_methods.insert(method.clone());
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compiles a schema as JSON Schema 2020-12 (unless it says otherwise) with formats asserted.
pub fn compile(schema: &Value, path: &Path) -> Result<jsonschema::Validator, FileError> {
    let mut options = jsonschema::options().should_validate_formats(true);
    if schema.get("$schema").is_none() {
        options = options.with_draft(jsonschema::Draft::Draft202012);
    }
    options.build(schema).map_err(|e| {
        let at = e.instance_path().to_string();
        let place = if at.is_empty() {
            "the root".to_string()
        } else {
            at
        };
        FileError::new(path, format!("invalid JSON Schema at {place}: {e}"))
    })
}

pub(crate) fn validate_endpoint(e: &Endpoint, path: &Path, text: &str) -> Result<(), FileError> {
    let err = |msg: String| Err(FileError::new(path, msg));
    let located = |key: &str, msg: String| {
        let e = FileError::new(path, msg);
        match locate_key(text, key) {
            Some((line, column)) => e.at(line, column),
            None => e,
        }
    };
    if !e.auth.scheme.eq_ignore_ascii_case("bearer") {
        return err(format!(
            "auth.scheme `{}` is not supported; only `bearer` is",
            e.auth.scheme
        ));
    }
    if let Err(m) = check_method(&e.method) {
        let mut err = located("method", m.to_string());
        err.help = m.help();
        return Err(err);
    }
    if let Err(problem) = check_header_value(&e.content_type) {
        return Err(located(
            "content_type",
            format!("content_type cannot be sent as a header: {problem}"),
        ));
    }
    let placeholders = path_placeholders(&e.path);
    for p in &placeholders {
        if !e.path_params.contains_key(p) {
            return err(format!(
                "path has `{{{p}}}` but path_params does not describe it"
            ));
        }
    }
    for p in e.path_params.keys() {
        if !placeholders.contains(p) {
            return err(format!(
                "path_params.{p} does not appear in the path `{}`",
                e.path
            ));
        }
    }
    if e.success.is_empty() || e.success.iter().any(|s| !(200..300).contains(s)) {
        return err(format!(
            "success must list 2xx statuses, got {:?}",
            e.success
        ));
    }
    if let Some(status) = e.response_schemas.keys().find(|s| !e.success.contains(s)) {
        return err(format!(
            "response_schemas.{status}: {status} is not one of the success statuses {:?}",
            e.success
        ));
    }
    for key in EXPECTATION_KEYS {
        match e.expectations.get(*key) {
            None => {
                return err(format!(
                    "expectations.{key} is missing (needed: {})",
                    EXPECTATION_KEYS.join(", ")
                ))
            }
            Some(s) if s.is_empty() || s.iter().any(|s| !(100..600).contains(s)) => {
                return err(format!(
                    "expectations.{key} must list HTTP statuses, got {s:?}"
                ))
            }
            _ => {}
        }
    }
    for (key, statuses) in &e.tolerated {
        let expected = match key.as_str() {
            "success" => &e.success,
            _ => match e.expectations.get(key) {
                Some(s) => s,
                None => {
                    let keys = e.expectations.keys().map(String::as_str);
                    let hint = crate::diag::did_you_mean(key, keys)
                        .map(|b| format!(" (did you mean `{b}`?)"))
                        .unwrap_or_default();
                    return err(format!(
                        "tolerated.{key}: no such expectation{hint}; tolerated takes `success` \
                         or a key of expectations"
                    ));
                }
            },
        };
        // A 5xx is never acceptable, and a status both expected and tolerated is a contradiction.
        if statuses.is_empty()
            || statuses
                .iter()
                .any(|s| !(100..500).contains(s) || expected.contains(s))
        {
            return err(format!(
                "tolerated.{key} must list HTTP statuses below 500 that {key} does not expect, \
                 got {statuses:?}"
            ));
        }
    }
    if let Some(p) = &e.created_id {
        if !p.starts_with('/') {
            return err(format!(
                "created_id `{p}` is not a JSON pointer (it must start with /)"
            ));
        }
    }
    for (i, s) in e.semantics.iter().enumerate() {
        let needs = |what: &str, present: bool| -> Result<(), FileError> {
            match present {
                true => Ok(()),
                false => Err(FileError::new(
                    path,
                    format!("semantics[{i}] ({}) needs `{what}`", s.check.name()),
                )),
            }
        };
        match s.check {
            SemanticKind::SameInstant | SemanticKind::Echo => {
                needs("request", s.request.is_some())?
            }
            SemanticKind::MinutesBetween => {
                needs("from", s.from.is_some())?;
                needs("to", s.to.is_some())?;
            }
            SemanticKind::Equals => needs("value", s.value.is_some())?,
            SemanticKind::Unique => {}
        }
        let pointers = [
            Some(&s.response),
            s.request.as_ref(),
            s.from.as_ref(),
            s.to.as_ref(),
        ];
        for p in pointers.into_iter().flatten() {
            if !(p.is_empty() || p.starts_with('/')) {
                return err(format!(
                    "semantics[{i}]: `{p}` is not a JSON pointer (it must start with /)"
                ));
            }
        }
    }
    Ok(())
}

/// Why a method from a contract or case file cannot be sent as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MethodError {
    /// RFC 9110 methods are tokens: letters, digits and ``!#$%&'*+-.^_`|~``, at least one.
    #[error(
        "`{0}` is not an HTTP method: a method is a token of letters, digits and !#$%&'*+-.^_`|~"
    )]
    NotAToken(String),
    /// Methods are case-sensitive, and servers do not treat `post` as `POST`.
    #[error("`{given}` is not an HTTP method: methods are case-sensitive, and `{standard}` is written in upper case")]
    WrongCase {
        given: String,
        standard: &'static str,
    },
}

impl MethodError {
    /// The "did you mean" for a standard method in the wrong case.
    pub fn help(&self) -> Option<String> {
        match self {
            MethodError::WrongCase { standard, .. } => Some(format!("did you mean `{standard}`?")),
            MethodError::NotAToken(_) => None,
        }
    }
}

/// The methods RFC 9110 defines, plus PATCH (RFC 5789).
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// Whether `method` is one of RFC 9110's methods or PATCH, spelt as they are (methods are
/// case-sensitive, RFC 9110 9.1).
pub fn is_standard_method(method: &str) -> bool {
    STANDARD_METHODS.contains(&method)
}

/// Checks that `method` is an RFC 9110 token and, when it spells a standard method, that it is
/// spelt in upper case: a case file's `post` would otherwise be sent as is.
pub fn check_method(method: &str) -> Result<(), MethodError> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(tchar) {
        return Err(MethodError::NotAToken(method.to_string()));
    }
    match STANDARD_METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
    {
        Some(standard) if *standard != method => Err(MethodError::WrongCase {
            given: method.to_string(),
            standard,
        }),
        _ => Ok(()),
    }
}

/// A header value from a contract or case file that the HTTP client would refuse at send time,
/// which would make the case a transport error rather than a bad file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderValueError {
    #[error("character {position} is the control character U+{code:04X}{name}; a header value cannot hold control characters other than tab", code = *character as u32, name = control_name(*character))]
    Control { position: usize, character: char },
    #[error("the HTTP client refuses it as a header value")]
    Refused,
}

fn control_name(c: char) -> &'static str {
    match c {
        '\n' => " (line feed)",
        '\r' => " (carriage return)",
        '\0' => " (NUL)",
        _ => "",
    }
}

/// Checks that `value` can be sent as an HTTP header value, by the HTTP client's own rule (no
/// control characters but tab), naming the first character at fault.
pub fn check_header_value(value: &str) -> Result<(), HeaderValueError> {
    if reqwest::header::HeaderValue::from_str(value).is_ok() {
        return Ok(());
    }
    match value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_ascii_control() && *c != '\t')
    {
        Some((at, character)) => Err(HeaderValueError::Control {
            position: at + 1,
            character,
        }),
        None => Err(HeaderValueError::Refused),
    }
}

/// The largest `minLength`, `maxLength`, `minItems` or `maxItems` a request schema may set. The
/// deriver builds strings of exactly `maxLength + 1` characters and the generator draws up to the
/// bounds, so a bound of 2^64 - 1 asks for exabytes; 1 MiB is far beyond any real field.
pub const MAX_SCHEMA_BOUND: u64 = 1 << 20;

const BOUND_KEYWORDS: [&str; 4] = ["minLength", "maxLength", "minItems", "maxItems"];
/// Keywords whose value is one schema (or, for old-style `items`, a list of them).
const SUBSCHEMA: [&str; 12] = [
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value maps names to schemas.
const SUBSCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is a list of schemas.
const SUBSCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// Deeper than any file serde_json parses (it stops at 128 levels); guards schemas built in code.
const MAX_SCHEMA_DEPTH: usize = 256;

/// A length or item-count bound of the request schema that the suite cannot honour.
#[derive(Debug, thiserror::Error)]
pub enum BoundError {
    #[error("`{keyword}` at {pointer} must be a non-negative integer, found {found}")]
    NotACount {
        keyword: String,
        pointer: String,
        found: Value,
    },
    #[error("`{keyword}` at {pointer} is {found}, above the limit of {MAX_SCHEMA_BOUND} (1 MiB): the suite builds strings and arrays of that size")]
    TooLarge {
        keyword: String,
        pointer: String,
        found: Value,
    },
    #[error("the schema at {0} is nested deeper than {MAX_SCHEMA_DEPTH} levels")]
    TooDeep(String),
}

/// Checks every length and item-count bound in a schema and its subschemas: a non-negative
/// integer no larger than [`MAX_SCHEMA_BOUND`]. The error names the keyword's JSON pointer.
fn check_bounds(schema: &Value, pointer: &str, depth: usize) -> Result<(), BoundError> {
    if depth > MAX_SCHEMA_DEPTH {
        return Err(BoundError::TooDeep(pointer.into()));
    }
    let Value::Object(map) = schema else {
        return Ok(());
    };
    for (keyword, value) in map {
        let at = format!("{pointer}/{}", pointer_token(keyword));
        if BOUND_KEYWORDS.contains(&keyword.as_str()) {
            check_bound(keyword, value, at)?;
        } else if SUBSCHEMA.contains(&keyword.as_str()) {
            match value {
                Value::Array(list) => check_list(list, &at, depth)?,
                _ => check_bounds(value, &at, depth + 1)?,
            }
        } else if SUBSCHEMA_MAPS.contains(&keyword.as_str()) {
            if let Value::Object(subs) = value {
                for (name, sub) in subs {
                    check_bounds(sub, &format!("{at}/{}", pointer_token(name)), depth + 1)?;
                }
            }
        } else if SUBSCHEMA_LISTS.contains(&keyword.as_str()) {
            if let Value::Array(list) = value {
                check_list(list, &at, depth)?;
            }
        }
    }
    Ok(())
}

/// Where `value` nests deeper than [`MAX_SCHEMA_DEPTH`], if it does: response schemas have no
/// bounds the suite builds from, but are compiled and walked all the same.
fn too_deep(value: &Value, depth: usize) -> Option<String> {
    if depth > MAX_SCHEMA_DEPTH {
        return Some(String::new());
    }
    // The pointer is built on the way back, only when something is too deep.
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            too_deep(v, depth + 1).map(|rest| format!("/{}{rest}", pointer_token(k)))
        }),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .find_map(|(i, v)| too_deep(v, depth + 1).map(|rest| format!("/{i}{rest}"))),
        _ => None,
    }
}

fn check_list(list: &[Value], at: &str, depth: usize) -> Result<(), BoundError> {
    for (i, sub) in list.iter().enumerate() {
        check_bounds(sub, &format!("{at}/{i}"), depth + 1)?;
    }
    Ok(())
}

fn check_bound(keyword: &str, value: &Value, pointer: String) -> Result<(), BoundError> {
    // JSON Schema counts 10.0 as an integer; 1e300 is one too, just far too large.
    let count = match value {
        Value::Number(n) if n.is_u64() => n.as_u64().map(|v| v as f64),
        Value::Number(n) => n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0),
        _ => None,
    };
    match count {
        None => Err(BoundError::NotACount {
            keyword: keyword.into(),
            pointer,
            found: value.clone(),
        }),
        Some(c) if c > MAX_SCHEMA_BOUND as f64 => Err(BoundError::TooLarge {
            keyword: keyword.into(),
            pointer,
            found: value.clone(),
        }),
        Some(_) => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_contract_loads_and_validates_formats() {
        let c = Operation::embedded().expect("shipped contract loads");
        assert_eq!(c.endpoint.method, "POST");
        let bad = serde_json::json!({"name": "n", "description": "d", "expires_at": "2099-01-01 00:00:00Z"});
        assert!(
            !c.request_validator.is_valid(&bad),
            "format: date-time must be asserted"
        );
        let good = serde_json::json!({"name": "n", "description": "d", "expires_at": "2099-01-01T00:00:00Z"});
        assert!(c.request_validator.is_valid(&good));
    }

    #[test]
    fn a_response_schema_nested_too_deep_is_found_with_its_pointer() {
        let mut deep = serde_json::json!({"type": "string"});
        // With "type"'s value, the deepest value is at MAX_SCHEMA_DEPTH.
        for _ in 0..MAX_SCHEMA_DEPTH - 1 {
            deep = serde_json::json!({"items": deep});
        }
        assert_eq!(too_deep(&deep, 0), None, "the limit itself is fine");
        let deeper = serde_json::json!({"properties": {"a/b": deep}});
        let at = too_deep(&deeper, 0).expect("found");
        assert!(at.starts_with("/properties/a~1b/items/items"), "{at}");
    }

    #[test]
    fn maxlength_counts_code_points() {
        let c = Operation::embedded().unwrap();
        let emoji55 = "😀".repeat(55);
        let ok = serde_json::json!({"name": emoji55, "description": ""});
        assert!(c.request_validator.is_valid(&ok));
        let emoji56 = "😀".repeat(56);
        let bad = serde_json::json!({"name": emoji56, "description": ""});
        assert!(!c.request_validator.is_valid(&bad));
    }

    #[test]
    fn header_values_are_judged_as_the_http_client_judges_them() {
        let odd = [0x80, 0xa0, 0xff, 0x2028, 0xfeff, 0x1f600];
        for c in (0u32..0x80).chain(odd).filter_map(char::from_u32) {
            let v = format!("a{c}b");
            let client = reqwest::header::HeaderValue::from_str(&v).is_ok();
            assert_eq!(check_header_value(&v).is_ok(), client, "{c:?}");
        }
        assert_eq!(
            check_header_value("x\ny"),
            Err(HeaderValueError::Control {
                position: 2,
                character: '\n'
            })
        );
    }

    #[test]
    fn methods_are_tokens_and_standard_ones_upper_case() {
        for ok in ["POST", "GET", "PURGE", "M-SEARCH", "x~!"] {
            assert_eq!(check_method(ok), Ok(()), "{ok}");
        }
        for bad in ["", "PO ST", "GET\n", "PÖST", "(GET)"] {
            assert!(
                matches!(check_method(bad), Err(MethodError::NotAToken(_))),
                "{bad}"
            );
        }
        let e = check_method("pAtCh").unwrap_err();
        assert_eq!(e.help().as_deref(), Some("did you mean `PATCH`?"));
    }

    #[test]
    fn a_broken_endpoint_file_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        for f in EMBEDDED_SCHEMAS.files() {
            std::fs::write(dir.path().join(f.path()), f.contents()).unwrap();
        }
        let ep = dir.path().join("create-service-access-token.endpoint.json");
        let text = std::fs::read_to_string(&ep)
            .unwrap()
            .replace("\"success\"", "\"sucess\"");
        std::fs::write(&ep, text).unwrap();
        let err = Operation::from_dir(dir.path()).unwrap_err();
        assert_eq!(err.path, ep);
        assert!(err.location.is_some());
        assert_eq!(err.help.as_deref(), Some("did you mean `success`?"));
    }

    /// The shipped contract in a temporary directory, its endpoint file edited by `edit`.
    fn edited_endpoint(edit: impl Fn(&str) -> String) -> Result<Operation, FileError> {
        let dir = tempfile::tempdir().unwrap();
        for f in EMBEDDED_SCHEMAS.files() {
            let text = f.contents_utf8().unwrap();
            let is_endpoint = f.path().to_string_lossy().ends_with(".endpoint.json");
            let text = if is_endpoint {
                edit(text)
            } else {
                text.to_string()
            };
            std::fs::write(dir.path().join(f.path()), text).unwrap();
        }
        Operation::from_dir(dir.path())
    }

    #[test]
    fn tolerated_statuses_are_checked_against_the_expectations() {
        let c = Operation::embedded().unwrap();
        assert_eq!(c.tolerated("method"), [404]);
        assert!(c.tolerated("invalid_body").is_empty());
        let tolerate = |map: &'static str| {
            edited_endpoint(move |t| t.replace(r#""method": [404]"#, map))
                .map(|_| ())
                .map_err(|e| e.message)
        };
        assert_eq!(tolerate(r#""success": [204]"#), Ok(()));
        let unknown = tolerate(r#""methd": [404]"#).unwrap_err();
        assert!(unknown.contains("did you mean `method`"), "{unknown}");
        for bad in [
            r#""method": [500]"#,
            r#""method": [405]"#,
            r#""method": []"#,
        ] {
            assert!(tolerate(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_broken_schema_is_reported_with_its_pointer() {
        let dir = tempfile::tempdir().unwrap();
        for f in EMBEDDED_SCHEMAS.files() {
            std::fs::write(dir.path().join(f.path()), f.contents()).unwrap();
        }
        let req = dir
            .path()
            .join("create-service-access-token.request.schema.json");
        let text = std::fs::read_to_string(&req)
            .unwrap()
            .replace("\"maxLength\": 55", "\"maxLength\": \"55\"");
        std::fs::write(&req, text).unwrap();
        let err = Operation::from_dir(dir.path()).unwrap_err();
        assert_eq!(err.path, req);
        assert!(
            err.message.contains("/properties/name/maxLength"),
            "{}",
            err.message
        );
    }
}
