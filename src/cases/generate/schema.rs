//! Schema reader: turns a JSON Schema document into the small rule tree the generators walk.
//!
//! Everything the generators do not understand is refused here, with the schema pointer of the
//! offending keyword, so that a generator never silently produces instances the real validator
//! would judge differently.

use serde_json::{Map, Value};

use super::pattern::Pattern;
use super::GenError;
use crate::contract::pointer_token;
use crate::contract::schema::{bare_wrapper, is_annotation, is_foreign, BareWrapper, NULL_OPEN};

/// Deep enough for any real contract, shallow enough that a hostile schema cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// Subschemas read, counting each use of a `$ref` anew. A chain of definitions that each use the
/// next twice is a few lines of schema but 2^n subschemas once expanded; this stops the reader
/// long before that, and far above any real contract (a 2,000-property schema has 2,001).
const MAX_NODES: usize = 20_000;

/// Generating a string costs memory proportional to its length, so absurd bounds are refused.
pub(crate) const MAX_GENERATED_LENGTH: u64 = 1_000_000;
/// Items can be whole objects, so the array limit is lower than the string one.
pub(crate) const MAX_GENERATED_ITEMS: u64 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    pub(crate) const ALL: [JsonType; 7] = [
        JsonType::Null,
        JsonType::Boolean,
        JsonType::Integer,
        JsonType::Number,
        JsonType::String,
        JsonType::Array,
        JsonType::Object,
    ];

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    pub(crate) fn of(value: &Value) -> JsonType {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(n) if is_integral(n) => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }
}

/// JSON Schema calls `1.0` an integer, so integrality is about the value, not the spelling.
pub(crate) fn is_integral(n: &serde_json::Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// The set of instance types a schema admits; `number` admits integers too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Types(u8);

impl Types {
    pub(crate) const ANY: Types = Types(0x7f);
    pub(crate) const NONE: Types = Types(0);

    fn only(list: &[JsonType]) -> Types {
        let mut bits = 0;
        for t in list {
            bits |= 1 << (*t as u8);
        }
        Types(bits)
    }

    /// Whether a value of type `t` passes `type`; integers pass `number`.
    pub(crate) fn admits(self, t: JsonType) -> bool {
        self.has(t) || (t == JsonType::Integer && self.has(JsonType::Number))
    }

    /// Whether `t` was named (or implied by an absent `type`).
    pub(crate) fn has(self, t: JsonType) -> bool {
        self.0 & (1 << (t as u8)) != 0
    }

    /// The types both admit: `number` and `integer` meet in `integer`.
    pub(crate) fn intersect(self, other: Types) -> Types {
        let widen = |t: Types| {
            if t.has(JsonType::Number) {
                t.0 | 1 << (JsonType::Integer as u8)
            } else {
                t.0
            }
        };
        Types(widen(self) & widen(other))
    }

    /// No type at all: the schema admits nothing.
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn union(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }
}

pub(crate) use super::formats::Format;

#[derive(Clone, Debug, Default)]
pub(crate) struct StringRules {
    pub min_length: u64,
    pub max_length: Option<u64>,
    pub format: Option<Format>,
    pub pattern: Option<Pattern>,
}

impl StringRules {
    pub(crate) fn length_ok(&self, len: u64) -> bool {
        len >= self.min_length && self.max_length.is_none_or(|m| len <= m)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NumberRules {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    /// The range a `format` implies (`int32`): valid values stay inside it, but no case breaks
    /// it, since a format may be only an annotation to the server.
    pub format_range: Option<(f64, f64)>,
}

impl NumberRules {
    pub(crate) fn accepts(&self, x: f64) -> bool {
        self.minimum.is_none_or(|m| x >= m)
            && self.maximum.is_none_or(|m| x <= m)
            && self.exclusive_minimum.is_none_or(|m| x > m)
            && self.exclusive_maximum.is_none_or(|m| x < m)
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ArrayRules {
    /// `None` when `items` is absent: any item is allowed.
    pub items: Option<Box<Node>>,
    pub min_items: u64,
    pub max_items: Option<u64>,
    /// `prefixItems`: position i's schema; `items` then governs only the items past them.
    pub prefix: Vec<Node>,
    /// The keyword (`items: false`, `unevaluatedItems: false`) that forbids items past the prefix.
    pub closed: Option<&'static str>,
    pub contains: Option<Box<super::arrays::Contains>>,
}

#[derive(Clone, Debug)]
pub(crate) enum Additional {
    Any,
    Forbidden,
    Schema(Box<Node>),
}

#[derive(Clone, Debug)]
pub(crate) struct ObjectRules {
    pub properties: Vec<(String, Node)>,
    pub required: Vec<String>,
    pub additional: Additional,
    /// `patternProperties`, in document order.
    pub patterns: Vec<(Pattern, Node)>,
    /// `propertyNames`: the schema every member's name obeys.
    pub names: Option<Box<Node>>,
}

impl Default for ObjectRules {
    fn default() -> Self {
        ObjectRules {
            properties: Vec::new(),
            required: Vec::new(),
            additional: Additional::Any,
            patterns: Vec::new(),
            names: None,
        }
    }
}

impl ObjectRules {
    pub(crate) fn property(&self, name: &str) -> Option<&Node> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node)
    }
}

/// One schema, reduced to the rules the generators understand.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// Schema pointer, for error messages.
    pub pointer: String,
    pub types: Types,
    pub string: StringRules,
    pub number: NumberRules,
    pub array: ArrayRules,
    pub object: ObjectRules,
    pub enumeration: Option<Vec<Value>>,
    pub constant: Option<Value>,
    /// Null is accepted but neither drawn as valid nor sent as a wrong type: OpenAPI 3.0's
    /// `nullable` on a schema without `type`, which 3.0.3 says admits no null and common
    /// practice says does (see [`NULL_OPEN`]).
    pub null_open: bool,
    /// `anyOf`, `oneOf` and `not`, which the struct's conjunction of rules cannot express.
    pub extra: Option<Box<super::compose::Extra>>,
    /// A `$ref` cycle cut at the depth bound: it stands for deeper values the generator does
    /// not build, so nothing is drawn here and no defect is grafted here.
    pub cut: bool,
}

impl Node {
    pub(crate) fn any(pointer: String) -> Node {
        Node {
            pointer,
            types: Types::ANY,
            string: StringRules::default(),
            number: NumberRules::default(),
            array: ArrayRules::default(),
            object: ObjectRules::default(),
            enumeration: None,
            constant: None,
            null_open: false,
            extra: None,
            cut: false,
        }
    }

    pub(crate) fn keyword_pointer(&self, keyword: &str) -> String {
        format!("{}/{}", self.pointer, pointer_token(keyword))
    }

    /// Our own verdict, used to pick `enum` members that satisfy their sibling keywords.
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        if let Some(options) = &self.enumeration {
            if !options.iter().any(|o| json_eq(o, value)) {
                return false;
            }
        }
        if let Some(c) = &self.constant {
            if !json_eq(c, value) {
                return false;
            }
        }
        self.accepts_ignoring_choices(value) && self.extra.as_ref().is_none_or(|e| e.accepts(value))
    }

    /// Every rule except `enum` and `const`.
    pub(crate) fn accepts_ignoring_choices(&self, value: &Value) -> bool {
        if !self.types.admits(JsonType::of(value)) {
            return false;
        }
        match value {
            Value::Null | Value::Bool(_) => true,
            Value::Number(n) => n.as_f64().is_some_and(|x| self.number.accepts(x)),
            Value::String(s) => {
                self.string.length_ok(s.chars().count() as u64)
                    && self
                        .string
                        .format
                        .is_none_or(|f| super::formats::accepts(f, s))
                    && self.string.pattern.as_ref().is_none_or(|p| p.matches(s))
            }
            Value::Array(items) => super::arrays::accepts(&self.array, items),
            Value::Object(map) => self.object_accepts(map),
        }
    }

    fn object_accepts(&self, map: &Map<String, Value>) -> bool {
        let rules = &self.object;
        if !rules.required.iter().all(|r| map.contains_key(r)) {
            return false;
        }
        map.iter().all(|(k, v)| {
            // `additionalProperties` governs only names neither `properties` nor
            // `patternProperties` does.
            let mut matched = false;
            for (pattern, node) in &rules.patterns {
                if pattern.matches(k) {
                    matched = true;
                    if !node.accepts(v) {
                        return false;
                    }
                }
            }
            let name_ok = rules
                .names
                .as_ref()
                .is_none_or(|n| n.accepts(&Value::String(k.clone())));
            name_ok
                && match rules.property(k) {
                    Some(node) => node.accepts(v),
                    None if matched => true,
                    None => match &rules.additional {
                        Additional::Any => true,
                        Additional::Forbidden => false,
                        Additional::Schema(node) => node.accepts(v),
                    },
                }
        })
    }
}

/// Equality as JSON Schema defines it for `enum` and `const`: `1` equals `1.0`, key order is moot.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Reads a whole document; `$ref`s are resolved against this document only.
pub(crate) fn read(root: &Value) -> Result<Node, GenError> {
    let root_id = root
        .get("$id")
        .and_then(Value::as_str)
        .map(|id| id.trim_end_matches('#').to_owned());
    let mut reader = Reader {
        root,
        root_id,
        ref_stack: Vec::new(),
        reentries: 0,
        nodes: 0,
        anchors: None,
    };
    reader.node(root, String::new(), 0)
}

pub(super) struct Reader<'a> {
    pub(super) root: &'a Value,
    root_id: Option<String>,
    /// Targets being expanded, to find `$ref` cycles.
    ref_stack: Vec<String>,
    /// How many of `ref_stack`'s entries re-enter a target already on it: the unrolling depth
    /// of the cycles on the current path, bounded by [`MAX_REENTRIES`] in all.
    reentries: usize,
    /// Subschemas read so far.
    nodes: usize,
    /// `$anchor` names and the pointers they stand for, gathered at the first anchor `$ref`.
    anchors: Option<std::collections::HashMap<String, String>>,
}

/// How often one path through the schema may go round a `$ref` cycle. A bound on the whole
/// path rather than on each cycle, so several cycles do not multiply each other's unrolling.
const MAX_REENTRIES: usize = 3;

pub(super) fn malformed(pointer: String, what: impl Into<String>) -> GenError {
    GenError::Malformed {
        pointer,
        what: what.into(),
    }
}

pub(super) fn unsupported(pointer: String, what: impl Into<String>) -> GenError {
    GenError::Unsupported {
        pointer,
        what: what.into(),
    }
}

pub(super) fn child(pointer: &str, tokens: &[&str]) -> String {
    let mut out = pointer.to_owned();
    for t in tokens {
        out.push('/');
        out.push_str(&pointer_token(t));
    }
    out
}

impl<'a> Reader<'a> {
    pub(super) fn node(
        &mut self,
        schema: &'a Value,
        pointer: String,
        depth: usize,
    ) -> Result<Node, GenError> {
        if depth > MAX_DEPTH {
            return Err(unsupported(
                pointer,
                format!("schema nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(unsupported(
                pointer,
                format!("the schema expands to more than {MAX_NODES} subschemas (each use of a `$ref` counts)"),
            ));
        }
        let map = match schema {
            Value::Bool(true) => return Ok(Node::any(pointer)),
            Value::Bool(false) => {
                return Err(unsupported(
                    pointer,
                    "the `false` schema (only `additionalProperties: false` is supported)",
                ))
            }
            Value::Object(map) => map,
            other => {
                return Err(malformed(
                    pointer,
                    format!("a schema must be an object or a boolean, found {other}"),
                ))
            }
        };
        let mut referenced = None;
        if let Some(reference) = map.get("$ref") {
            let target = self.reference(reference, pointer.clone(), depth)?;
            if map
                .keys()
                .all(|k| k == "$ref" || is_annotation(k) || is_foreign(k))
            {
                return Ok(target);
            }
            // 2020-12: the keywords beside a `$ref` apply too, as if in an `allOf`.
            referenced = Some(target);
        }
        if let Some(node) = self.wrapper(map, &pointer, depth)? {
            return Ok(node);
        }
        let mut node = Node::any(pointer.clone());
        for (keyword, value) in map {
            let at = child(&pointer, &[keyword]);
            match keyword.as_str() {
                k if is_annotation(k) => {}
                "type" => node.types = read_types(value, at)?,
                "enum" => match value {
                    Value::Array(options) => node.enumeration = Some(options.clone()),
                    _ => return Err(malformed(at, "`enum` must be an array")),
                },
                "const" => node.constant = Some(value.clone()),
                "minLength" => node.string.min_length = read_count(value, at)?,
                "maxLength" => node.string.max_length = Some(read_count(value, at)?),
                "format" if value == "int32" => {
                    node.number.format_range = Some((f64::from(i32::MIN), f64::from(i32::MAX)));
                }
                "format" => node.string.format = read_format(value, at)?,
                "minimum" => node.number.minimum = Some(read_number(value, at)?),
                "maximum" => node.number.maximum = Some(read_number(value, at)?),
                "exclusiveMinimum" => node.number.exclusive_minimum = Some(read_number(value, at)?),
                "exclusiveMaximum" => node.number.exclusive_maximum = Some(read_number(value, at)?),
                "minItems" => node.array.min_items = read_count(value, at)?,
                "maxItems" => node.array.max_items = Some(read_count(value, at)?),
                "items" => super::arrays::read_items(self, value, at, depth, &mut node.array)?,
                "properties" => {
                    let Value::Object(props) = value else {
                        return Err(malformed(at, "`properties` must be an object"));
                    };
                    for (name, sub) in props {
                        let sub_at = child(&at, &[name]);
                        let sub_node = self.node(sub, sub_at, depth + 1)?;
                        node.object.properties.push((name.clone(), sub_node));
                    }
                }
                "required" => node.object.required = read_required(value, at)?,
                "pattern" => node.string.pattern = Some(Pattern::read(value, at)?),
                "patternProperties" => {
                    let Value::Object(props) = value else {
                        return Err(malformed(at, "`patternProperties` must be an object"));
                    };
                    for (source, sub) in props {
                        let sub_at = child(&at, &[source]);
                        let pattern = Pattern::compile(source, sub_at.clone())?;
                        let sub_node = self.node(sub, sub_at, depth + 1)?;
                        node.object.patterns.push((pattern, sub_node));
                    }
                }
                "propertyNames" => {
                    node.object.names = Some(Box::new(self.node(value, at, depth + 1)?));
                }
                "additionalProperties" => {
                    node.object.additional = match value {
                        Value::Bool(true) => Additional::Any,
                        Value::Bool(false) => Additional::Forbidden,
                        _ => Additional::Schema(Box::new(self.node(value, at, depth + 1)?)),
                    }
                }
                k if k == "$ref" || super::compose::is_keyword(k) => {}
                k if super::arrays::KEYWORDS.contains(&k) => {}
                // A keyword of no vocabulary constrains nothing, to the validator either.
                k if is_foreign(k) => {}
                _ => return Err(unsupported(at, format!("keyword `{keyword}`"))),
            }
        }
        super::arrays::read(self, map, &pointer, depth, &mut node.array)?;
        check_limits(&node)?;
        super::compose::apply(self, map, node, referenced, depth)
    }

    /// The two compositions OpenAPI documents are full of, read as the schema they wrap:
    /// `allOf` with one schema (a `$ref` with annotations beside it), and `anyOf` or `oneOf` of a
    /// schema and `{"type": "null"}` (a nullable `$ref`), which admits null besides. Other
    /// compositions are refused by the caller.
    fn wrapper(
        &mut self,
        map: &'a Map<String, Value>,
        pointer: &str,
        depth: usize,
    ) -> Result<Option<Node>, GenError> {
        let Some(BareWrapper {
            keyword,
            index,
            inner,
            nullable,
        }) = bare_wrapper(map)
        else {
            return Ok(None);
        };
        let at = child(pointer, &[keyword, &index.to_string()]);
        let mut node = self.node(inner, at, depth + 1)?;
        if keyword == "oneOf" && node.types.admits(JsonType::Null) {
            // Null would match both branches, which `oneOf` refuses.
            return Ok(None);
        }
        if nullable && node.extra.is_some() {
            // "This or null" is no longer "this, with null allowed": read as a general union.
            if map.get(NULL_OPEN) == Some(&Value::Bool(true)) {
                return Err(unsupported(
                    child(pointer, &[keyword]),
                    "an OpenAPI 3.0 nullable schema with compositions inside",
                ));
            }
            return Ok(None);
        }
        if nullable && map.get(NULL_OPEN) == Some(&Value::Bool(true)) {
            // Null is neither a valid value nor a wrong type here, even where the wrapped
            // schema has no `type` and so admits it.
            node.null_open = true;
            node.types = Types(node.types.0 & !(1 << (JsonType::Null as u8)));
        } else if nullable {
            if node.constant.is_some() {
                return Err(unsupported(
                    child(pointer, &[keyword]),
                    "a nullable `const`",
                ));
            }
            node.types = Types(node.types.0 | 1 << (JsonType::Null as u8));
            if let Some(options) = &mut node.enumeration {
                if !options.contains(&Value::Null) {
                    options.push(Value::Null);
                }
            }
        }
        Ok(Some(node))
    }

    fn reference(
        &mut self,
        reference: &Value,
        pointer: String,
        depth: usize,
    ) -> Result<Node, GenError> {
        let at = child(&pointer, &["$ref"]);
        let Some(reference) = reference.as_str() else {
            return Err(malformed(at, "`$ref` must be a string"));
        };
        let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let local = base.is_empty() || self.root_id.as_deref() == Some(base);
        if !local {
            return Err(unsupported(at, format!("non-local `$ref` \"{reference}\"")));
        }
        let target_pointer = if !fragment.is_empty() && !fragment.starts_with('/') {
            let anchors = self
                .anchors
                .get_or_insert_with(|| super::compose::anchors(self.root));
            match anchors.get(fragment) {
                Some(found) => found.clone(),
                None => {
                    return Err(malformed(
                        at,
                        format!("no `$anchor` \"{fragment}\" in this document"),
                    ))
                }
            }
        } else {
            percent_decode(fragment)
        };
        let Some(target) = self.root.pointer(&target_pointer) else {
            return Err(malformed(
                at,
                format!("`$ref` \"{reference}\" points at nothing"),
            ));
        };
        let reentry = self.ref_stack.contains(&target_pointer);
        if reentry && self.reentries >= MAX_REENTRIES {
            let mut cut = Node::any(at);
            cut.types = Types(0);
            cut.cut = true;
            return Ok(cut);
        }
        self.reentries += usize::from(reentry);
        self.ref_stack.push(target_pointer.clone());
        let result = self.node(target, target_pointer, depth + 1);
        self.ref_stack.pop();
        self.reentries -= usize::from(reentry);
        result
    }
}

fn read_types(value: &Value, at: String) -> Result<Types, GenError> {
    let names: Vec<&Value> = match value {
        Value::String(_) => vec![value],
        Value::Array(list) if !list.is_empty() => list.iter().collect(),
        _ => {
            return Err(malformed(
                at,
                "`type` must be a type name or a non-empty array of them",
            ))
        }
    };
    let mut types = Vec::new();
    for name in names {
        match name.as_str().and_then(JsonType::parse) {
            Some(t) => types.push(t),
            None => return Err(malformed(at, format!("unknown type {name}"))),
        }
    }
    Ok(Types::only(&types))
}

fn read_count(value: &Value, at: String) -> Result<u64, GenError> {
    let count = match value {
        Value::Number(n) if is_integral(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        }),
        _ => None,
    };
    count.ok_or_else(|| {
        malformed(
            at,
            format!("expected a non-negative integer, found {value}"),
        )
    })
}

fn read_number(value: &Value, at: String) -> Result<f64, GenError> {
    value
        .as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| malformed(at, format!("expected a number, found {value}")))
}

/// A format the generator does not know is an annotation (JSON Schema 2020-12 7.2.3): no rule.
fn read_format(value: &Value, at: String) -> Result<Option<Format>, GenError> {
    match value.as_str() {
        Some(name) => Ok(Format::parse(name)),
        None => Err(malformed(at, "`format` must be a string")),
    }
}

fn read_required(value: &Value, at: String) -> Result<Vec<String>, GenError> {
    let Value::Array(list) = value else {
        return Err(malformed(at, "`required` must be an array of strings"));
    };
    let mut out: Vec<String> = Vec::new();
    for name in list {
        let Some(name) = name.as_str() else {
            return Err(malformed(at, "`required` must be an array of strings"));
        };
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    Ok(out)
}

fn check_limits(node: &Node) -> Result<(), GenError> {
    // Only minimums force big instances; a huge maximum is simply never reached.
    for (keyword, value, limit) in [
        ("minLength", node.string.min_length, MAX_GENERATED_LENGTH),
        ("minItems", node.array.min_items, MAX_GENERATED_ITEMS),
    ] {
        if value > limit {
            return Err(unsupported(
                node.keyword_pointer(keyword),
                format!("`{keyword}` above {limit}, too large to generate"),
            ));
        }
    }
    Ok(())
}

/// URI fragments may percent-encode pointer characters; malformed escapes are kept verbatim.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
