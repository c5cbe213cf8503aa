//! Reading an OpenAPI 3.0 or 3.1 document into operations ([`load`]): every operation is
//! tested, or listed as untested with why; only a document that is not OpenAPI, or in which
//! nothing can be tested, is refused.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::schemas::{component_schemas, BadDefs};
use super::yaml;
use crate::contract::load::Compiled;
use crate::contract::{pointer_token, Document, Operation, Untested};
use crate::diag::{read_text, FileError};

pub(super) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document and what every operation shares: its converted components.
pub(super) struct Reader<'a> {
    pub file: &'a Path,
    pub doc: &'a Value,
    pub v30: bool,
    pub defs: Map<String, Value>,
    pub bad: BadDefs,
    /// The document's `x-conformance.formats`, which an operation's may override.
    pub formats: crate::contract::Formats,
    /// The `$ref`s to other files that could not be followed.
    pub refused: super::bundle::Refused,
}

impl Reader<'_> {
    /// `schema` with the components it reaches, or why it cannot have them.
    pub fn with_defs(&self, schema: Value, pointer: &str) -> Result<Value, (String, String)> {
        super::schemas::with_defs(schema, &self.defs, &self.bad, pointer)
    }

    /// `file#pointer`, as messages and digests name a place in the document.
    pub fn at(&self, pointer: &str) -> String {
        format!("{}#{pointer}", self.file.display())
    }
}

/// Why part of an operation cannot be tested: where, and what.
pub(super) struct Problem {
    pub pointer: String,
    pub message: String,
}

impl Problem {
    pub fn at(pointer: &str, message: &str) -> Self {
        Problem {
            pointer: pointer.to_string(),
            message: message.to_string(),
        }
    }

    /// A problem at `pointer` that says what `error` says.
    pub fn from_error(pointer: String, error: impl std::error::Error) -> Self {
        Problem {
            pointer,
            message: error.to_string(),
        }
    }
}

/// The problems that name only a place and a message.
impl From<(String, String)> for Problem {
    fn from((pointer, message): (String, String)) -> Self {
        Problem { pointer, message }
    }
}

/// One operation found in `paths`, before it is read.
pub(super) struct Found<'a> {
    pub template: &'a str,
    pub item: &'a Value,
    pub method: &'a str,
    pub op: &'a Value,
    pub pointer: String,
    /// Its operationId, or the one derived from its method and path.
    pub id: String,
    /// The other methods of its path item, in upper case.
    pub neighbours: Vec<String>,
}

/// The document-level `x-conformance`: only `formats` (`asserted` or `annotation`) may be said
/// there.
fn document_formats(doc: &Value) -> Result<crate::contract::Formats, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct DocumentExtension {
        #[serde(default)]
        formats: crate::contract::Formats,
    }
    match doc.get("x-conformance") {
        None => Ok(crate::contract::Formats::default()),
        Some(x) => serde_json::from_value::<DocumentExtension>(x.clone())
            .map(|d| d.formats)
            .map_err(|e| format!("the document's `x-conformance` is not valid: {e}")),
    }
}

/// Reads an OpenAPI 3.0 or 3.1 document, in YAML or JSON: one contract per operation it can
/// test, and the others listed with why.
pub fn load(path: &Path) -> Result<Document, FileError> {
    let text = read_text(path)?;
    let mut doc = parse(path, &text)?;
    let at = |pointer: &str, message: String| {
        FileError::new(path, format!("{message} (at {pointer})"))
            .help("see the README's OpenAPI section for what is supported")
    };
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    let v30 = version.starts_with("3.0");
    if !(v30 || version.starts_with("3.1")) {
        return Err(at(
            "/openapi",
            format!("OpenAPI `{version}` is not 3.0 or 3.1"),
        ));
    }
    let bundled = super::bundle::bundle(path, &mut doc);
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Err(at("/paths", "the document has no `paths` object".into()));
    };
    let (defs, mut bad) = component_schemas(&doc, v30);
    bad.extend(bundled.refused.clone());
    let formats = document_formats(&doc).map_err(|m| at("/x-conformance", m))?;
    let reader = Reader {
        file: path,
        doc: &doc,
        v30,
        defs,
        bad,
        formats,
        refused: bundled.refused,
    };
    let found = operations_of(paths);
    let mut out = Document {
        server_url: server_url(&doc),
        ..Document::default()
    };
    for (template, pointer, reason) in bundled.paths {
        out.untested.push(Untested {
            operation: template.clone(),
            method: "*".into(),
            path: template,
            pointer,
            reason,
        });
    }
    let clashes = clashes(&found);
    let mut compiled = Compiled::default();
    for f in &found {
        let untested = |pointer: &str, reason: String| Untested {
            operation: f.id.clone(),
            method: f.method.to_ascii_uppercase(),
            path: f.template.to_string(),
            pointer: pointer.to_string(),
            reason,
        };
        if let Some(others) = clashes.get(&f.pointer) {
            out.untested.push(untested(
                &format!("{}/operationId", f.pointer),
                format!(
                    "operation id `{}` is also the id of the operation at {}",
                    f.id,
                    others.join(", ")
                ),
            ));
            continue;
        }
        let (parts, warnings) = super::operation::read(&reader, f);
        out.warnings.extend(warnings);
        match parts {
            Ok(parts) => match Operation::from_parts_sharing(parts, &mut compiled) {
                Ok(op) => out.operations.push(op),
                Err(e) => {
                    let pointer = e
                        .path
                        .to_string_lossy()
                        .split_once('#')
                        .map_or(f.pointer.clone(), |(_, p)| p.to_string());
                    out.untested.push(untested(&pointer, e.message));
                }
            },
            Err(problems) => {
                for p in problems {
                    out.untested.push(untested(&p.pointer, p.message));
                }
            }
        }
    }
    out.id_sources = super::links::sources(&doc, &found, &out.operations, &mut out.warnings);
    if out.operations.is_empty() {
        if out.untested.is_empty() {
            return Err(at("/paths", "the document has no operation".into()));
        }
        let lines: Vec<String> = out
            .untested
            .iter()
            .map(|u| {
                format!(
                    "  {} ({} {}): {} (at {})",
                    u.operation, u.method, u.path, u.reason, u.pointer
                )
            })
            .collect();
        return Err(FileError::new(
            path,
            format!(
                "no operation of the document can be tested:\n{}",
                lines.join("\n")
            ),
        )
        .help("see the README's OpenAPI section for what is supported"));
    }
    Ok(out)
}

/// Every operation of `paths`, in the document's order, with its id.
fn operations_of(paths: &Map<String, Value>) -> Vec<Found<'_>> {
    let mut out = Vec::new();
    for (template, item) in paths {
        let Some(obj) = item.as_object() else {
            continue;
        };
        let methods: Vec<&str> = obj
            .keys()
            .map(String::as_str)
            .filter(|m| METHODS.contains(m))
            .collect();
        for method in &methods {
            let op = &obj[*method];
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map_or_else(|| derived_id(method, template), str::to_string);
            out.push(Found {
                template,
                item,
                method,
                op,
                pointer: format!("/paths/{}/{method}", pointer_token(template)),
                id,
                neighbours: methods
                    .iter()
                    .filter(|m| *m != method)
                    .map(|m| m.to_ascii_uppercase())
                    .collect(),
            });
        }
    }
    out
}

/// The id of an operation without `operationId`: its method and path segments, braces removed,
/// joined by `_`, anything but letters, digits and `_` made `_` (`get_pets_petId`).
pub(super) fn derived_id(method: &str, template: &str) -> String {
    let mut raw = method.to_ascii_lowercase();
    for segment in template.split('/').filter(|s| !s.is_empty()) {
        raw.push('_');
        raw.extend(segment.chars().filter(|c| !matches!(c, '{' | '}')));
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The operations whose id another one has: each operation's pointer → the others' pointers.
fn clashes(found: &[Found<'_>]) -> BTreeMap<String, Vec<String>> {
    let mut by_id: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in found {
        by_id.entry(&f.id).or_default().push(&f.pointer);
    }
    let mut out = BTreeMap::new();
    for pointers in by_id.values().filter(|p| p.len() > 1) {
        for p in pointers {
            let others = pointers
                .iter()
                .filter(|o| *o != p)
                .map(|o| o.to_string())
                .collect();
            out.insert(p.to_string(), others);
        }
    }
    out
}

/// `servers[0].url` with its `{variables}` filled with their defaults.
fn server_url(doc: &Value) -> Option<String> {
    let server = doc.pointer("/servers/0")?;
    let mut url = server.get("url")?.as_str()?.to_string();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, v) in vars {
            if let Some(default) = v.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
    }
    Some(url)
}

/// JSON text, or YAML (of which JSON is a subset) turned into JSON.
fn parse(path: &Path, text: &str) -> Result<Value, FileError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| FileError::from_json(path, e));
    }
    yaml::to_json(text).map_err(|e| {
        FileError::new(path, e.message.clone())
            .at(e.line, e.column)
            .with_source(e)
    })
}

/// `value`, or the component a local `$ref` in it names (another file's part, bundled, is one).
pub(super) fn resolve_ref<'a>(
    r: &Reader<'a>,
    value: Option<&'a Value>,
    pointer: &str,
) -> Result<Option<&'a Value>, (String, String)> {
    let Some(v) = value else { return Ok(None) };
    match v.get("$ref").and_then(Value::as_str) {
        None => Ok(Some(v)),
        Some(target) => target
            .strip_prefix('#')
            .and_then(|p| r.doc.pointer(p))
            .map(Some)
            .ok_or_else(|| {
                let message = match super::bundle::refusal(&r.refused, target) {
                    Some((_, why)) => why.clone(),
                    None => format!("`$ref: {target}` points at nothing"),
                };
                (pointer.to_string(), message)
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_that_is_not_yaml_keeps_the_parser_error() {
        let err = parse(Path::new("api.yaml"), "a: [1, 2\n").unwrap_err();
        assert!(err.message.starts_with("not YAML"), "{}", err.message);
        let yaml = std::error::Error::source(&err).expect("the YAML error is the source");
        let yaml = yaml.downcast_ref::<yaml::YamlError>().expect("a YamlError");
        assert!(
            std::error::Error::source(yaml).is_some(),
            "the scanner's error"
        );
        let err = parse(Path::new("api.json"), "{\"a\": }").unwrap_err();
        assert!(std::error::Error::source(&err).is_some_and(|s| s.is::<serde_json::Error>()));
    }

    #[test]
    fn a_bad_x_conformance_is_named_with_its_pointer() {
        let committed =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/provisionr-workspace.openapi.yaml");
        let mut doc = parse(&committed, &read_text(&committed).unwrap()).unwrap();
        let post = doc["paths"]
            .as_object_mut()
            .and_then(|p| p.values_mut().find(|item| item.get("post").is_some()))
            .expect("a post operation");
        post["post"]["x-conformance"] = serde_json::json!({"toleratd": {}});
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("api.json");
        std::fs::write(&file, doc.to_string()).unwrap();
        let err = load(&file).unwrap_err();
        assert!(
            err.message.contains("unknown field `toleratd`"),
            "{}",
            err.message
        );
        assert!(err.message.contains("/x-conformance)"), "{}", err.message);
    }

    #[test]
    fn ids_are_derived_from_method_and_path() {
        assert_eq!(derived_id("GET", "/pets/{petId}"), "get_pets_petId");
        assert_eq!(derived_id("post", "/a-b/{c.d}/"), "post_a_b_c_d");
        assert_eq!(derived_id("get", "/"), "get");
    }
}
