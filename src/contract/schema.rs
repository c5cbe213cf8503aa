//! Schema-level helpers the contract, the deriver, the generator and the checks share: local
//! references, the wrappers OpenAPI documents are full of, and which keywords only annotate.

use serde_json::{Map, Value};

/// Keywords that never constrain an instance; `$defs` only hosts `$ref` targets.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "$dynamicAnchor",
    "$vocabulary",
    "$defs",
    "definitions",
    "title",
    "description",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    // The content vocabulary only annotates by default (2020-12 Validation 8.1).
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Every keyword of JSON Schema 2020-12's vocabularies that can constrain an instance (the
/// annotations are [`ANNOTATIONS`]). A keyword in neither list belongs to no vocabulary: JSON
/// Schema ignores it (Core 4.3.1), and so do the generators; a keyword here that they do not
/// implement is refused instead.
const ASSERTING: &[&str] = &[
    "$ref",
    "$dynamicRef",
    "$recursiveRef",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "prefixItems",
    "items",
    "additionalItems",
    "contains",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "dependencies",
    "format",
];

/// Whether `keyword` belongs to no JSON Schema vocabulary (an OpenAPI or vendor keyword such as
/// 3.1's stray `nullable` or `discriminator`), so that it constrains nothing.
pub fn is_foreign(keyword: &str) -> bool {
    !ASSERTING.contains(&keyword) && !is_annotation(keyword)
}

/// The annotation the OpenAPI loader puts on a 3.0 `nullable` schema without a `type`, which it
/// writes `anyOf: [schema, {type: null}]`: servers differ on whether null is allowed there.
pub const NULL_OPEN: &str = "x-conformance-null-open";

/// `s` itself, or what its local `$ref` (`#/...`) points at, followed up to a bound so a cycle
/// cannot hang the caller; the deriver, the generator and the checks resolve references alike.
pub fn resolve_local<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(target) = s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| root.pointer(pointer))
        else {
            break;
        };
        s = target;
    }
    s
}

/// The schema a wrapper stands for, following local references: `allOf` with one member, or
/// `anyOf`/`oneOf` of a schema and `{"type": "null"}` (a nullable reference).
pub fn unwrap_schema<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    let mut s = resolve_local(root, s);
    for _ in 0..32 {
        match s.as_object().and_then(bare_wrapper) {
            Some(w) => s = resolve_local(root, w.inner),
            None => break,
        }
    }
    s
}

/// A bare wrapper's composition and the schema it wraps.
pub struct BareWrapper<'a> {
    /// `allOf`, `anyOf` or `oneOf`.
    pub keyword: &'a str,
    /// Where the wrapped schema is in the list.
    pub index: usize,
    pub inner: &'a Value,
    /// Whether null is admitted beside it.
    pub nullable: bool,
}

/// The compositions OpenAPI documents are full of, when nothing but annotations stand beside
/// them: `allOf` with one schema (a `$ref` with annotations), and `anyOf` or `oneOf` of a schema
/// and `{"type": "null"}` (a nullable `$ref`).
pub fn bare_wrapper(map: &Map<String, Value>) -> Option<BareWrapper<'_>> {
    let mut constraints = map.iter().filter(|(k, _)| !is_annotation(k));
    let (Some((keyword, Value::Array(list))), None) = (constraints.next(), constraints.next())
    else {
        return None;
    };
    let null = serde_json::json!({ "type": "null" });
    let (index, inner, nullable) = match (keyword.as_str(), list.as_slice()) {
        ("allOf", [only]) => (0, only, false),
        ("anyOf" | "oneOf", [a, b]) if *b == null && *a != null => (0, a, true),
        ("anyOf" | "oneOf", [a, b]) if *a == null && *b != null => (1, b, true),
        _ => return None,
    };
    Some(BareWrapper {
        keyword,
        index,
        inner,
        nullable,
    })
}

/// Whether `keyword` only annotates (constrains nothing): JSON Schema's annotations and
/// `x-` extensions.
pub fn is_annotation(keyword: &str) -> bool {
    ANNOTATIONS.contains(&keyword) || keyword.starts_with("x-")
}
