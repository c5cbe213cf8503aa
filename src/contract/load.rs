//! Loading a contract: endpoint files and schemas read from a directory or the embedded copy,
//! checked and compiled into [`Operation`]s.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde_json::Value;

use super::validate::{check_bounds, too_deep, validate_endpoint, BoundError};
use super::{ContractFile, ContractInfo, Endpoint, Operation, Parts, StatusSchema};
use crate::diag::{kind_of, locate_key, read_text, strip_bom, FileError};

/// The shipped schemas, embedded so the binary runs from any directory.
pub static EMBEDDED_SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

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
                        .with_source(e)
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
        serde_json::from_str(&text).map_err(|e| FileError::from_json(&self.display_path(name), e))
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
            serde_json::from_str(&text).map_err(|e| FileError::from_json(&endpoint_path, e))?;
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
                .with_source(problem)
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
            responses: Vec::new(),
            origin,
        })
    }

    /// A contract from its parts, wherever they were read (endpoint files, an OpenAPI
    /// document): the request schema's bounds are checked and both schemas compiled.
    pub fn from_parts(p: Parts) -> Result<Self, FileError> {
        Self::from_parts_sharing(p, &mut Compiled::default())
    }

    /// [`Operation::from_parts`], compiling each distinct schema once across the operations
    /// `compiled` has seen (a document's operations share their components' schemas).
    pub fn from_parts_sharing(p: Parts, compiled: &mut Compiled) -> Result<Self, FileError> {
        let mut compile = |schema: &Value, path: &Path| compiled.get(schema, path);
        check_bounds(&p.request_schema, "", 0)
            .map_err(|e| FileError::new(&p.request_path, e.to_string()).with_source(e))?;
        for (schema, path) in std::iter::once((&p.response_schema, &p.response_path))
            .chain(p.status_schemas.values().map(|(s, path)| (s, path)))
        {
            if let Some(pointer) = too_deep(schema, 0) {
                let e = BoundError::TooDeep(pointer);
                return Err(FileError::new(path, e.to_string()).with_source(e));
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
        let mut responses = Vec::with_capacity(p.responses.len());
        for r in p.responses {
            let (schema, schema_path) = match r.schema {
                Some((schema, path)) => {
                    let validator = compile(&schema, &path)?;
                    (Some(StatusSchema { schema, validator }), Some(path))
                }
                None => (None, None),
            };
            responses.push(super::DocumentedResponse {
                key: r.key,
                media_types: r.media_types,
                schema,
                schema_path,
            });
        }
        let endpoint_path = p.endpoint_path.clone();
        let mut endpoint = p.endpoint;
        if endpoint.auth.security.is_none() && endpoint.auth.scheme.eq_ignore_ascii_case("bearer") {
            endpoint.auth.security = super::Security::bearer();
        }
        let contract = Operation {
            responses,
            files,
            endpoint,
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

/// Validators already compiled, by the schema's text: a validator is shared, not copied.
#[derive(Default)]
pub struct Compiled {
    by_text: std::collections::HashMap<String, jsonschema::Validator>,
}

impl Compiled {
    /// The validator of `schema`, compiled when it is new.
    pub fn get(&mut self, schema: &Value, path: &Path) -> Result<jsonschema::Validator, FileError> {
        let text = schema.to_string();
        if let Some(v) = self.by_text.get(&text) {
            return Ok(v.clone());
        }
        let v = compile(schema, path)?;
        self.by_text.insert(text, v.clone());
        Ok(v)
    }
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
        FileError::new(path, format!("invalid JSON Schema at {place}: {e}")).with_source(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name of the one shipped file whose name ends with `suffix`.
    /// The shipped schemas in a temporary directory, with `from` replaced by `to` in the file
    /// ending in `suffix`, and that file's path.
    fn shipped_edited(suffix: &str, from: &str, to: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        for f in EMBEDDED_SCHEMAS.files() {
            std::fs::write(dir.path().join(f.path()), f.contents()).unwrap();
        }
        let path = dir.path().join(shipped(suffix));
        let text = std::fs::read_to_string(&path).unwrap().replace(from, to);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn shipped(suffix: &str) -> String {
        let mut names = EMBEDDED_SCHEMAS
            .files()
            .filter_map(|f| f.path().to_str())
            .filter(|n| n.ends_with(suffix));
        let name = names.next().expect("a shipped file").to_string();
        assert!(names.next().is_none(), "one shipped {suffix}");
        name
    }

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
    fn a_broken_endpoint_file_names_file_and_line() {
        let (dir, ep) = shipped_edited(".endpoint.json", "\"success\"", "\"sucess\"");
        let err = Operation::from_dir(dir.path()).unwrap_err();
        assert_eq!(err.path, ep);
        assert!(err.location.is_some());
        assert_eq!(err.help.as_deref(), Some("did you mean `success`?"));
        let source = std::error::Error::source(&err).expect("the JSON error is the source");
        assert!(source.is::<serde_json::Error>(), "{source:?}");
        // The message the user sees is what it was before the source was kept.
        assert!(
            err.to_string().starts_with("unknown field `sucess`"),
            "{err}"
        );
    }

    #[test]
    fn errors_keep_what_they_were_made_from() {
        let missing = Path::new("/nonexistent/schemas/dir");
        let err = Operation::load_dir(missing).unwrap_err();
        let source = std::error::Error::source(&err).expect("the I/O error is the source");
        assert!(source.is::<std::io::Error>(), "{source:?}");

        let (dir, _req) = shipped_edited(
            ".request.schema.json",
            "\"maxLength\": 55",
            "\"maxLength\": 1e12",
        );
        let err = Operation::from_dir(dir.path()).unwrap_err();
        let source = std::error::Error::source(&err).expect("the bound error is the source");
        assert!(source.is::<BoundError>(), "{source:?}");
    }

    #[test]
    fn a_broken_schema_is_reported_with_its_pointer() {
        let (dir, req) = shipped_edited(
            ".request.schema.json",
            "\"maxLength\": 55",
            "\"maxLength\": \"55\"",
        );
        let err = Operation::from_dir(dir.path()).unwrap_err();
        assert_eq!(err.path, req);
        assert!(
            err.message.contains("/properties/name/maxLength"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_schema_seen_before_is_compiled_once() {
        let mut compiled = Compiled::default();
        let schema = serde_json::json!({"type": "integer"});
        let a = compiled.get(&schema, Path::new("a")).unwrap();
        let b = compiled.get(&schema.clone(), Path::new("b")).unwrap();
        assert_eq!(compiled.by_text.len(), 1);
        assert!(a.is_valid(&serde_json::json!(1)) && !b.is_valid(&serde_json::json!("x")));
        compiled
            .get(&serde_json::json!({"type": "string"}), Path::new("c"))
            .unwrap();
        assert_eq!(compiled.by_text.len(), 2);
    }
}
