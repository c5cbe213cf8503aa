//! `$ref`s to other files next to the document, made local refs of the one document before it
//! is read ([`bundle`]): a part of another file becomes a component of the document (a schema
//! of `components/schemas`, a parameter of `components/parameters`, ...), and a path item is
//! written in place. Refs inside those files, local ones too, are followed relative to the file
//! that holds them. Only files inside the document's folder are read, each once; a URL is never
//! fetched. A ref that cannot be followed is pointed at a refusal, so only the operations that
//! reach it are untested, with why.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::contract::{pointer_token, pointer_unescape};

/// Files a document may refer to, besides itself.
pub const MAX_FILES: usize = 100;

/// JSON nodes the parts taken from other files may hold in all: each part is copied into the
/// document once, so this bounds the work whatever the files' shape.
pub const MAX_COPIED_NODES: usize = 1_000_000;

/// `$ref`s followed in a row before a part that is not itself a `$ref`.
const MAX_HOPS: usize = 32;

/// How the name of a refused ref's component starts: never a component name OpenAPI allows.
const REFUSED: &str = "#refused ";

/// The refs that could not be followed: the name of their component → (where, why).
pub(super) type Refused = BTreeMap<String, (String, String)>;

/// What bundling leaves for the reader to report.
#[derive(Default)]
pub(super) struct Bundled {
    pub refused: Refused,
    /// The path items whose `$ref` could not be followed: (template, pointer, why).
    pub paths: Vec<(String, String, String)>,
}

/// The refusal a local ref points at, if it is one of [`Refused`]'s.
pub(super) fn refusal<'a>(refused: &'a Refused, r: &str) -> Option<&'a (String, String)> {
    let name = r.strip_prefix("#/components/")?.split_once('/')?.1;
    refused.get(&pointer_unescape(name))
}

/// Whether a component name is that of a refused ref.
pub(super) fn is_refused(name: &str) -> bool {
    name.starts_with(REFUSED)
}

/// Rewrites, in `doc` read from `path`, every `$ref` to another file as a local ref.
pub(super) fn bundle(path: &Path, doc: &mut Value) -> Bundled {
    let mut b = Bundler::new(path, doc);
    b.inline_path_items(doc);
    let main = Ctx {
        file: MAIN,
        src_base: String::new(),
        out_base: String::new(),
    };
    b.walk(doc, Kind::Other, &main, &mut String::new());
    while let Some(job) = b.queue.pop_front() {
        let Some(mut value) = b.files[job.file].value.pointer(&job.pointer).cloned() else {
            continue;
        };
        let ctx = Ctx {
            file: job.file,
            out_base: format!("/components/{}/{}", job.section, pointer_token(&job.name)),
            src_base: job.pointer,
        };
        b.walk(&mut value, job.kind, &ctx, &mut String::new());
        b.added
            .entry(job.section)
            .or_default()
            .insert(job.name, value);
    }
    if !b.added.is_empty() {
        if !doc.get("components").is_some_and(Value::is_object) {
            doc["components"] = Value::Object(Map::new());
        }
        for (section, parts) in std::mem::take(&mut b.added) {
            let slot = &mut doc["components"][section];
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(o) = slot {
                o.extend(parts);
            }
        }
    }
    b.out
}

const MAIN: usize = 0;

/// What a part of the document is, as far as its `$ref`s go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Schema,
    Parameter,
    Response,
    RequestBody,
    Example,
    Header,
    SecurityScheme,
    Link,
    Callback,
    PathItem,
    /// Any other object: its keys say what its members are.
    Other,
}

const SECTIONS: &[(Kind, &str)] = &[
    (Kind::Schema, "schemas"),
    (Kind::Parameter, "parameters"),
    (Kind::Response, "responses"),
    (Kind::RequestBody, "requestBodies"),
    (Kind::Example, "examples"),
    (Kind::Header, "headers"),
    (Kind::SecurityScheme, "securitySchemes"),
    (Kind::Link, "links"),
    (Kind::Callback, "callbacks"),
    (Kind::PathItem, "pathItems"),
];

fn section_of(kind: Kind) -> Option<&'static str> {
    SECTIONS.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
}

fn kind_of_section(section: &str) -> Option<Kind> {
    SECTIONS
        .iter()
        .find(|(_, s)| *s == section)
        .map(|(k, _)| *k)
}

/// What the member `key` of a non-schema object holds: one part, a list or map of parts, or
/// values that are no parts (examples, extensions).
enum Slot {
    One(Kind),
    Many(Kind),
    Skip,
}

fn slot(key: &str) -> Slot {
    match key {
        k if k.starts_with("x-") => Slot::Skip,
        "example" | "value" | "default" | "enum" | "const" => Slot::Skip,
        "schema" => Slot::One(Kind::Schema),
        "requestBody" => Slot::One(Kind::RequestBody),
        "schemas" => Slot::Many(Kind::Schema),
        "parameters" => Slot::Many(Kind::Parameter),
        "requestBodies" => Slot::Many(Kind::RequestBody),
        "responses" => Slot::Many(Kind::Response),
        "headers" => Slot::Many(Kind::Header),
        "examples" => Slot::Many(Kind::Example),
        "links" => Slot::Many(Kind::Link),
        "callbacks" => Slot::Many(Kind::Callback),
        "securitySchemes" => Slot::Many(Kind::SecurityScheme),
        "paths" | "webhooks" | "pathItems" => Slot::Many(Kind::PathItem),
        _ => Slot::One(Kind::Other),
    }
}

/// Schema keywords whose value maps names to schemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "$defs",
    "definitions",
    "patternProperties",
    "dependentSchemas",
];

/// Schema keywords whose value is no schema (instances, annotations).
const SCHEMA_VALUES: &[&str] = &[
    "enum",
    "const",
    "default",
    "examples",
    "example",
    "dependentRequired",
    "discriminator",
    "xml",
    "externalDocs",
];

/// A file read: where it is, how messages name it, its content (or why it cannot be taken).
struct File {
    /// Canonical; that of the document may be left empty when it cannot be had.
    path: PathBuf,
    shown: PathBuf,
    value: Value,
}

/// Where a walk is: the file the value comes from, its pointer there and in the document.
struct Ctx {
    file: usize,
    src_base: String,
    out_base: String,
}

/// A part taken from another file, to be walked and added to the document.
struct Job {
    file: usize,
    pointer: String,
    kind: Kind,
    section: &'static str,
    name: String,
}

/// Where a ref leads: a place of the document itself, or a part of another file.
enum Target {
    Local(String),
    At(usize, String),
}

struct Bundler {
    /// The document's folder, canonical, or why it cannot be had.
    root: Result<PathBuf, String>,
    files: Vec<File>,
    /// Canonical path → index in `files`, or why it cannot be taken.
    by_path: HashMap<PathBuf, Result<usize, String>>,
    /// (file, pointer) → the name of its component.
    names: HashMap<(usize, String), String>,
    taken: BTreeMap<&'static str, BTreeSet<String>>,
    queue: VecDeque<Job>,
    added: BTreeMap<&'static str, Map<String, Value>>,
    copied: usize,
    out: Bundled,
}

impl Bundler {
    fn new(path: &Path, doc: &Value) -> Self {
        let canonical = std::fs::canonicalize(path);
        let root = match &canonical {
            Ok(c) => c
                .parent()
                .map(Path::to_path_buf)
                .ok_or_else(|| "the document has no folder".to_string()),
            Err(e) => Err(format!("the document's folder cannot be found: {e}")),
        };
        let mut by_path = HashMap::new();
        let canonical_path = canonical.unwrap_or_default();
        by_path.insert(canonical_path.clone(), Ok(MAIN));
        let mut taken = BTreeMap::new();
        for (_, section) in SECTIONS {
            let own = doc
                .pointer(&format!("/components/{section}"))
                .and_then(Value::as_object)
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            taken.insert(*section, own);
        }
        Bundler {
            root,
            files: vec![File {
                path: canonical_path,
                shown: path.to_path_buf(),
                value: Value::Null,
            }],
            by_path,
            names: HashMap::new(),
            taken,
            queue: VecDeque::new(),
            added: BTreeMap::new(),
            copied: 0,
            out: Bundled::default(),
        }
    }

    /// Each path item of `paths` that is a `$ref` to another file, written in its place (the
    /// reader reads path items where they are).
    fn inline_path_items(&mut self, doc: &mut Value) {
        let Some(Value::Object(paths)) = doc.get_mut("paths") else {
            return;
        };
        for (template, item) in paths.iter_mut() {
            let Some(r) = item.get("$ref").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            if r.starts_with('#') {
                continue;
            }
            let at = format!("/paths/{}", pointer_token(template));
            let mut value = match self.follow(&r, MAIN, true).and_then(|t| self.copy(t)) {
                Ok(Ok((file, pointer, mut value))) => {
                    let ctx = Ctx {
                        file,
                        src_base: pointer,
                        out_base: at,
                    };
                    self.walk(&mut value, Kind::PathItem, &ctx, &mut String::new());
                    value
                }
                Ok(Err(local)) => serde_json::json!({ "$ref": local }),
                Err(why) => {
                    let message = self.message(&r, MAIN, &format!("{at}/$ref"), &why);
                    self.out
                        .paths
                        .push((template.clone(), format!("{at}/$ref"), message));
                    continue;
                }
            };
            std::mem::swap(item, &mut value);
        }
    }

    /// The part a target names, copied, within the copy budget; a local target as its ref.
    fn copy(&mut self, t: Target) -> Result<Result<(usize, String, Value), String>, String> {
        match t {
            Target::Local(r) => Ok(Err(r)),
            Target::At(file, pointer) => {
                let value = self.files[file].value.pointer(&pointer).cloned();
                let value = value.unwrap_or(Value::Null);
                self.spend(&value)?;
                Ok(Ok((file, pointer, value)))
            }
        }
    }

    /// Counts `v`'s nodes against [`MAX_COPIED_NODES`].
    fn spend(&mut self, v: &Value) -> Result<(), String> {
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            self.copied += 1;
            if self.copied > MAX_COPIED_NODES {
                return Err(format!(
                    "the parts of other files hold more than {MAX_COPIED_NODES} values in all"
                ));
            }
            match v {
                Value::Array(a) => stack.extend(a),
                Value::Object(o) => stack.extend(o.values()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Rewrites the `$ref`s in `v`, a `kind` at `ctx` + `rel`.
    fn walk(&mut self, v: &mut Value, kind: Kind, ctx: &Ctx, rel: &mut String) {
        let Value::Object(o) = v else {
            if let (Value::Array(a), Kind::Other) = (v, kind) {
                self.each(
                    a.iter_mut().enumerate().map(|(i, x)| (i.to_string(), x)),
                    kind,
                    ctx,
                    rel,
                );
            }
            return;
        };
        if let Some(Value::String(r)) = o.get("$ref") {
            let r = r.clone();
            let len = rel.len();
            rel.push_str("/$ref");
            let local = self.rewrite(&r, kind, ctx, rel);
            rel.truncate(len);
            o.insert("$ref".into(), Value::String(local));
            if kind != Kind::Schema {
                return;
            }
        }
        match kind {
            Kind::Schema => {
                for (k, sub) in o.iter_mut() {
                    let len = rel.len();
                    rel.push('/');
                    rel.push_str(&pointer_token(k));
                    if SCHEMA_MAPS.contains(&k.as_str()) {
                        if let Value::Object(m) = sub {
                            let items = m.iter_mut().map(|(n, x)| (pointer_token(n), x));
                            self.each(items, Kind::Schema, ctx, rel);
                        }
                    } else if !SCHEMA_VALUES.contains(&k.as_str()) && k != "$ref" {
                        match sub {
                            Value::Array(a) => {
                                let items = a.iter_mut().enumerate();
                                self.each(items.map(|(i, x)| (i.to_string(), x)), kind, ctx, rel);
                            }
                            other => self.walk(other, Kind::Schema, ctx, rel),
                        }
                    }
                    rel.truncate(len);
                }
            }
            Kind::Link | Kind::Example => {}
            Kind::Callback => {
                let items = o
                    .iter_mut()
                    .filter(|(k, _)| !k.starts_with("x-"))
                    .map(|(k, x)| (pointer_token(k), x));
                self.each(items, Kind::PathItem, ctx, rel);
            }
            _ => {
                for (k, sub) in o.iter_mut() {
                    let len = rel.len();
                    rel.push('/');
                    rel.push_str(&pointer_token(k));
                    match (slot(k), sub) {
                        (Slot::Skip, _) => {}
                        (Slot::One(kind), sub) => self.walk(sub, kind, ctx, rel),
                        (Slot::Many(kind), Value::Array(a)) => {
                            let items = a.iter_mut().enumerate();
                            self.each(items.map(|(i, x)| (i.to_string(), x)), kind, ctx, rel);
                        }
                        (Slot::Many(kind), Value::Object(m)) => {
                            let items = m.iter_mut().map(|(n, x)| (pointer_token(n), x));
                            self.each(items, kind, ctx, rel);
                        }
                        (Slot::Many(_), _) => {}
                    }
                    rel.truncate(len);
                }
            }
        }
    }

    /// Walks each (token, value) of a list or map at `rel`.
    fn each<'v>(
        &mut self,
        items: impl Iterator<Item = (String, &'v mut Value)>,
        kind: Kind,
        ctx: &Ctx,
        rel: &mut String,
    ) {
        for (token, x) in items {
            let len = rel.len();
            rel.push('/');
            rel.push_str(&token);
            self.walk(x, kind, ctx, rel);
            rel.truncate(len);
        }
    }

    /// The local ref that stands for `r`, a `$ref` of a `kind` at `ctx` + `rel`.
    fn rewrite(&mut self, r: &str, kind: Kind, ctx: &Ctx, rel: &str) -> String {
        if ctx.file == MAIN && r.starts_with('#') {
            return r.to_string();
        }
        match self.component(r, kind, ctx.file) {
            Ok(local) => local,
            Err(why) => {
                let name = format!("{REFUSED}{}", self.out.refused.len());
                let message = self.message(r, ctx.file, &format!("{}{rel}", ctx.src_base), &why);
                let at = format!("{}{rel}", ctx.out_base);
                self.out.refused.insert(name.clone(), (at, message));
                let section = section_of(kind).unwrap_or("schemas");
                format!("#/components/{section}/{}", pointer_token(&name))
            }
        }
    }

    /// Names the `$ref` and its place in a message.
    fn message(&self, r: &str, file: usize, pointer: &str, why: &str) -> String {
        format!(
            "`$ref: {r}` at {}#{pointer}: {why}",
            self.files[file].shown.display()
        )
    }

    /// The component that stands for `r`'s target, made (and queued) the first time.
    fn component(&mut self, r: &str, kind: Kind, from: usize) -> Result<String, String> {
        let (file, pointer) = match self.follow(r, from, kind != Kind::Schema)? {
            Target::Local(local) => return Ok(local),
            Target::At(file, pointer) => (file, pointer),
        };
        let section = match section_of(kind) {
            Some(s) => s,
            None => pointer
                .strip_prefix("/components/")
                .and_then(|rest| rest.split('/').next())
                .and_then(|s| SECTIONS.iter().find(|(_, x)| *x == s))
                .map(|(_, s)| *s)
                .ok_or("a ref to another file is taken only where OpenAPI allows a reference")?,
        };
        if let Some(name) = self.names.get(&(file, pointer.clone())) {
            return Ok(format!("#/components/{section}/{}", pointer_token(name)));
        }
        let target = self.files[file].value.pointer(&pointer).cloned();
        self.spend(&target.unwrap_or(Value::Null))?;
        let name = self.fresh_name(section, file, &pointer);
        self.names.insert((file, pointer.clone()), name.clone());
        self.queue.push_back(Job {
            file,
            pointer,
            kind: kind_of_section(section).unwrap_or(kind),
            section,
            name: name.clone(),
        });
        Ok(format!("#/components/{section}/{}", pointer_token(&name)))
    }

    /// A readable name for a part, not yet taken in `section`: the last token of its pointer,
    /// or its file's stem, with a suffix on a clash.
    fn fresh_name(&mut self, section: &'static str, file: usize, pointer: &str) -> String {
        let raw = match pointer.rsplit('/').next().filter(|t| !t.is_empty()) {
            Some(token) => pointer_unescape(token),
            None => self.files[file]
                .shown
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let mut base: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if base.is_empty() {
            base = "external".into();
        }
        let taken = self.taken.entry(section).or_default();
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        taken.insert(name.clone());
        name
    }

    /// Where `r`, written in file `from`, leads; with `chains`, through parts that are only a
    /// `$ref` (a parameter that refers on), as the reader follows one ref only.
    fn follow(&mut self, r: &str, mut from: usize, chains: bool) -> Result<Target, String> {
        let mut r = r.to_string();
        for _ in 0..MAX_HOPS {
            let (path, fragment) = r.split_once('#').unwrap_or((&r, ""));
            if path.is_empty() && from == MAIN {
                return Ok(Target::Local(r.clone()));
            }
            let file = if path.is_empty() {
                from
            } else {
                self.locate(path, from)?
            };
            let pointer = percent_decode(fragment);
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(format!(
                    "`#{fragment}` is no JSON pointer: only `#/...` fragments are taken"
                ));
            }
            if file == MAIN {
                return Ok(Target::Local(format!("#{pointer}")));
            }
            let Some(target) = self.files[file].value.pointer(&pointer) else {
                return Err(format!(
                    "`#{pointer}` points at nothing in {}",
                    self.files[file].shown.display()
                ));
            };
            match target.get("$ref").and_then(Value::as_str) {
                Some(next) if chains => {
                    r = next.to_string();
                    from = file;
                }
                _ => return Ok(Target::At(file, pointer)),
            }
        }
        Err(format!("more than {MAX_HOPS} `$ref`s in a row"))
    }

    /// The file `path`, written in file `from`, read once: only inside the document's folder.
    fn locate(&mut self, path: &str, from: usize) -> Result<usize, String> {
        if has_scheme(path) || path.starts_with("//") {
            return Err(
                "a URL: the suite never fetches a reference; save the file next to the document"
                    .into(),
            );
        }
        let decoded = percent_decode(path);
        let shown = self.files[from]
            .shown
            .parent()
            .unwrap_or(Path::new(""))
            .join(&decoded);
        if decoded.starts_with('/')
            || decoded.starts_with('\\')
            || Path::new(&decoded).is_absolute()
        {
            return Err(
                "an absolute path: only files inside the document's folder are read, named relative to the file that refers to them"
                    .into(),
            );
        }
        let root = self.root.clone()?;
        let dir = self.files[from].path.parent().unwrap_or(&root);
        let canonical = std::fs::canonicalize(dir.join(&decoded)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("{} does not exist", shown.display())
            } else {
                format!("{} cannot be read: {e}", shown.display())
            }
        })?;
        if !canonical.starts_with(&root) {
            return Err(format!(
                "{} is outside the document's folder (through `..` or a link): only files inside it are read",
                shown.display()
            ));
        }
        if let Some(known) = self.by_path.get(&canonical) {
            return known.clone();
        }
        let read = if self.files.len() > MAX_FILES {
            Err(format!(
                "the document refers to more than {MAX_FILES} files"
            ))
        } else {
            read_part_file(&canonical, &shown).map(|value| {
                let inside = canonical.strip_prefix(&root).unwrap_or(&canonical);
                let shown = self.files[MAIN]
                    .shown
                    .parent()
                    .unwrap_or(Path::new(""))
                    .join(inside);
                self.files.push(File {
                    path: canonical.clone(),
                    shown,
                    value,
                });
                self.files.len() - 1
            })
        };
        self.by_path.insert(canonical, read.clone());
        read
    }
}

/// A referenced file, JSON or YAML, bounded as the document is.
fn read_part_file(canonical: &Path, shown: &Path) -> Result<Value, String> {
    let text = crate::diag::read_text(canonical)
        .map_err(|e| format!("{}: {}", shown.display(), e.message))?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", shown.display()));
    }
    let value = super::yaml::to_json(&text).map_err(|e| {
        format!(
            "{} is not JSON or YAML: {} (line {}, column {})",
            shown.display(),
            e.message,
            e.line,
            e.column
        )
    })?;
    if value.is_object() || value.is_array() {
        Ok(value)
    } else {
        Err(format!(
            "{} is not JSON or YAML with objects: it holds a single value",
            shown.display()
        ))
    }
}

/// Whether a reference starts with a URI scheme (`https:`, `file:`, `C:`).
fn has_scheme(r: &str) -> bool {
    let Some((scheme, _)) = r.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `%XX` escapes decoded (a reference is a URI); bytes that are not UTF-8 are kept escaped.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
#[path = "bundle_tests.rs"]
mod tests;
