//! Composition: `allOf` merged into one rule set, `anyOf`, `oneOf` and `not` kept beside it,
//! and `unevaluatedProperties` where what is evaluated can be told from the schema alone.
//!
//! A merge is exact or refused: `allOf` means every member holds, so the merged node must accept
//! exactly what all members accept. Where the rule tree cannot say that (a member's
//! `additionalProperties: false` against another member's property), the reader refuses with
//! the pointer rather than guess.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::checks::Check;
use super::schema::{
    child, json_eq, malformed, unsupported, Additional, ArrayRules, JsonType, Node, NumberRules,
    ObjectRules, Reader, StringRules,
};
use super::GenError;
use crate::contract::pointer_token;
use crate::contract::schema::bare_wrapper;

/// The keywords this module reads; `Reader::node` leaves them to [`apply`].
const KEYWORDS: &[&str] = &[
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "unevaluatedProperties",
    "if",
    "then",
    "else",
    "dependentSchemas",
];

/// Whether [`apply`] reads `keyword`.
pub(super) fn is_keyword(keyword: &str) -> bool {
    KEYWORDS.contains(&keyword) || super::checks::KEYWORDS.contains(&keyword)
}

/// What a node requires beyond its own rules.
#[derive(Clone, Debug, Default)]
pub(crate) struct Extra {
    /// `anyOf` and `oneOf` lists, all of which must hold.
    pub groups: Vec<Group>,
    /// `not` schemas: an instance must match none of them.
    pub nots: Vec<Node>,
    /// Rules checked on drawn values.
    pub checks: Vec<Check>,
    /// `if`/`then`/`else`.
    pub conditions: Vec<Condition>,
    /// `dependentSchemas`: when the property is present, the schema applies too.
    pub dependent: Vec<(String, Node)>,
}

/// `if`/`then`/`else`; an absent `then` or `else` is the `true` schema.
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    pub test: Node,
    pub then: Option<Node>,
    pub otherwise: Option<Node>,
}

impl Condition {
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        let branch = if self.test.accepts(value) {
            &self.then
        } else {
            &self.otherwise
        };
        branch.as_ref().is_none_or(|n| n.accepts(value))
    }
}

/// One `anyOf` (some branch matches) or `oneOf` (exactly one does).
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub one: bool,
    pub pointer: String,
    pub branches: Vec<Node>,
}

impl Group {
    pub(crate) fn keyword(&self) -> &'static str {
        if self.one {
            "oneOf"
        } else {
            "anyOf"
        }
    }
}

impl Extra {
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        self.groups.iter().all(|g| {
            let matching = g.branches.iter().filter(|b| b.accepts(value)).count();
            if g.one {
                matching == 1
            } else {
                matching >= 1
            }
        }) && self.nots.iter().all(|n| !n.accepts(value))
            && self.checks.iter().all(|c| c.accepts(value))
            && self.conditions.iter().all(|c| c.accepts(value))
            && self.dependent.iter().all(|(name, n)| {
                value.get(name).is_none() || !value.is_object() || n.accepts(value)
            })
    }
}

/// Whether `Node::accepts` is the validator's verdict on `node`, not only a safe
/// under-approximation: a cut cycle and an OpenAPI 3.0 open null are under-approximations, and
/// `oneOf` and `not` need the exact verdict of what they exclude.
pub(crate) fn exact(node: &Node) -> bool {
    !node.cut
        && !node.null_open
        && node.object.properties.iter().all(|(_, n)| exact(n))
        && match &node.object.additional {
            Additional::Schema(n) => exact(n),
            _ => true,
        }
        && node.array.items.as_deref().is_none_or(exact)
        && node.array.prefix.iter().all(exact)
        && node
            .array
            .contains
            .as_deref()
            .is_none_or(|c| exact(&c.node))
        && node.extra.as_deref().is_none_or(|e| {
            e.nots.iter().all(exact)
                && e.groups.iter().all(|g| g.branches.iter().all(exact))
                && e.conditions.iter().all(|c| {
                    exact(&c.test)
                        && c.then.as_ref().is_none_or(exact)
                        && c.otherwise.as_ref().is_none_or(exact)
                })
                && e.dependent.iter().all(|(_, n)| exact(n))
        })
}

fn list<'a>(value: &'a Value, at: &str, keyword: &str) -> Result<&'a Vec<Value>, GenError> {
    match value {
        Value::Array(list) if !list.is_empty() => Ok(list),
        _ => Err(malformed(
            at.to_owned(),
            format!("`{keyword}` must be a non-empty array of schemas"),
        )),
    }
}

/// Adds the compositions of `map` to `node`, the node read from its other keywords, and the
/// schema its `$ref` points at (`referenced`), which applies beside them.
pub(super) fn apply<'a>(
    reader: &mut Reader<'a>,
    map: &'a Map<String, Value>,
    mut node: Node,
    referenced: Option<Node>,
    depth: usize,
) -> Result<Node, GenError> {
    let pointer = node.pointer.clone();
    if let Some(target) = referenced {
        node = merge(node, target, &child(&pointer, &["$ref"]))?;
    }
    if let Some(all) = map.get("allOf") {
        let at = child(&pointer, &["allOf"]);
        for (i, member) in list(all, &at, "allOf")?.iter().enumerate() {
            let member = reader.node(member, child(&at, &[&i.to_string()]), depth + 1)?;
            node = merge(node, member, &at)?;
        }
    }
    for keyword in ["anyOf", "oneOf"] {
        let Some(value) = map.get(keyword) else {
            continue;
        };
        let at = child(&pointer, &[keyword]);
        let mut branches = Vec::new();
        for (i, branch) in list(value, &at, keyword)?.iter().enumerate() {
            branches.push(reader.node(branch, child(&at, &[&i.to_string()]), depth + 1)?);
        }
        let group = Group {
            one: keyword == "oneOf",
            pointer: at,
            branches,
        };
        node.extra.get_or_insert_default().groups.push(group);
    }
    if let Some(not) = map.get("not") {
        let at = child(&pointer, &["not"]);
        let not = reader.node(not, at, depth + 1)?;
        node.extra.get_or_insert_default().nots.push(not);
    }
    read_conditions(reader, map, &mut node, depth)?;
    let checks = super::checks::read(reader, map, &pointer)?;
    if !checks.is_empty() {
        node.extra.get_or_insert_default().checks.extend(checks);
    }
    if let Some(rule) = map.get("unevaluatedProperties") {
        let at = child(&pointer, &["unevaluatedProperties"]);
        unevaluated(reader, map, &mut node, rule, at, depth)?;
    }
    node.pointer = pointer;
    Ok(node)
}

/// `if`/`then`/`else` (`then` and `else` without `if` do nothing) and `dependentSchemas`.
fn read_conditions<'a>(
    reader: &mut Reader<'a>,
    map: &'a Map<String, Value>,
    node: &mut Node,
    depth: usize,
) -> Result<(), GenError> {
    let pointer = node.pointer.clone();
    let sub = |reader: &mut Reader<'a>, keyword: &str| -> Result<Option<Node>, GenError> {
        map.get(keyword)
            .map(|s| reader.node(s, child(&pointer, &[keyword]), depth + 1))
            .transpose()
    };
    if let Some(test) = sub(reader, "if")? {
        let then = sub(reader, "then")?;
        let otherwise = sub(reader, "else")?;
        let condition = Condition {
            test,
            then,
            otherwise,
        };
        node.extra
            .get_or_insert_default()
            .conditions
            .push(condition);
    }
    if let Some(deps) = map.get("dependentSchemas") {
        let at = child(&pointer, &["dependentSchemas"]);
        let Value::Object(deps) = deps else {
            return Err(malformed(at, "`dependentSchemas` must be an object"));
        };
        for (name, schema) in deps {
            let dep = reader.node(schema, child(&at, &[name]), depth + 1)?;
            node.extra
                .get_or_insert_default()
                .dependent
                .push((name.clone(), dep));
        }
    }
    Ok(())
}

/// `unevaluatedProperties`: the properties no `properties` or `additionalProperties` evaluated,
/// here or in the schemas applied in place (`allOf`, `$ref`). When something applies
/// `additionalProperties` (or a nested `unevaluatedProperties`) every property is evaluated and
/// the keyword is moot; when evaluation depends on which branch matched, it is refused.
fn unevaluated<'a>(
    reader: &mut Reader<'a>,
    map: &'a Map<String, Value>,
    node: &mut Node,
    rule: &'a Value,
    at: String,
    depth: usize,
) -> Result<(), GenError> {
    let mut own = map.clone();
    own.remove("unevaluatedProperties");
    if rule == &Value::Bool(false) && close_any_of_branches(reader.root, &own, node, &at)? {
        return Ok(());
    }
    if evaluates_all(reader.root, &Value::Object(own), &at, 0)? {
        return Ok(());
    }
    node.object.additional = match rule {
        Value::Bool(true) => Additional::Any,
        Value::Bool(false) => Additional::Forbidden,
        _ => Additional::Schema(Box::new(reader.node(rule, at, depth + 1)?)),
    };
    Ok(())
}

/// `unevaluatedProperties: false` beside an `anyOf` of plain object branches (train-travel's
/// payment source: a card or a bank account): a property is evaluated by the node's own
/// `properties` or by a branch that matched. Each branch is closed to its own properties and the
/// node's, so a valid value drawn from one branch carries nothing unevaluated; drawing from
/// fewer objects than the schema admits is safe, and `oneOf` is left out, since closing a branch
/// would change which other branches match. `false` when the shape is not this one.
fn close_any_of_branches(
    root: &Value,
    own: &Map<String, Value>,
    node: &mut Node,
    at: &str,
) -> Result<bool, GenError> {
    let mut rest = own.clone();
    rest.remove("anyOf");
    let other = [
        "oneOf",
        "if",
        "dependentSchemas",
        "patternProperties",
        "not",
    ];
    if !own.contains_key("anyOf") || other.iter().any(|k| own.contains_key(*k)) {
        return Ok(false);
    }
    if evaluates_all(root, &Value::Object(rest), at, 0)? {
        return Ok(false);
    }
    let own_properties: Vec<String> = node
        .object
        .properties
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    let Some(extra) = node.extra.as_deref_mut() else {
        return Ok(false);
    };
    let [group] = extra.groups.as_mut_slice() else {
        return Ok(false);
    };
    let plain = |b: &Node| {
        matches!(b.object.additional, Additional::Any)
            && b.object.patterns.is_empty()
            && b.object.names.is_none()
            && b.extra.is_none()
            && !b.cut
    };
    if group.one || !group.branches.iter().all(plain) {
        return Ok(false);
    }
    for branch in &mut group.branches {
        for name in &own_properties {
            if branch.object.property(name).is_none() {
                let any = Node::any(format!(
                    "{}/properties/{}",
                    branch.pointer,
                    pointer_token(name)
                ));
                branch.object.properties.push((name.clone(), any));
            }
        }
        branch.object.additional = Additional::Forbidden;
    }
    Ok(true)
}

/// Whether `schema`, applied in place, evaluates every property of an object it accepts.
fn evaluates_all(root: &Value, schema: &Value, at: &str, depth: usize) -> Result<bool, GenError> {
    let refuse = |what: &str| {
        Err(unsupported(
            at.to_owned(),
            format!("`unevaluatedProperties` next to {what}"),
        ))
    };
    if depth > 32 {
        return refuse("deeply nested in-place schemas");
    }
    let Value::Object(map) = schema else {
        return Ok(schema == &Value::Bool(false));
    };
    if let Some(reference) = map.get("$ref") {
        let target = reference
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .filter(|p| p.is_empty() || p.starts_with('/'))
            .and_then(|p| root.pointer(p));
        let Some(target) = target else {
            return refuse("a `$ref` it cannot follow");
        };
        if evaluates_all(root, target, at, depth + 1)? {
            return Ok(true);
        }
    }
    if map.contains_key("additionalProperties") || map.contains_key("unevaluatedProperties") {
        return Ok(true);
    }
    if let Some(wrapper) = bare_wrapper(map) {
        return evaluates_all(root, wrapper.inner, at, depth + 1);
    }
    for conditional in [
        "anyOf",
        "oneOf",
        "if",
        "dependentSchemas",
        "patternProperties",
    ] {
        if map.contains_key(conditional) {
            return refuse(&format!("`{conditional}`"));
        }
    }
    if let Some(Value::Array(members)) = map.get("allOf") {
        for member in members {
            if evaluates_all(root, member, at, depth + 1)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn unsatisfiable(at: &str, what: impl Into<String>) -> GenError {
    GenError::Unsatisfiable {
        pointer: at.to_owned(),
        what: what.into(),
    }
}

fn tighter<T: PartialOrd>(a: Option<T>, b: Option<T>, lower: bool) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if (x < y) == lower { y } else { x }),
        (x, None) | (None, x) => x,
    }
}

/// The node accepting exactly what both `a` and `b` accept (`allOf: [a, b]`), keeping `a`'s
/// pointer; `at` names the `allOf` in errors. Every field is destructured so that a rule added
/// to the tree cannot be dropped here unnoticed.
pub(crate) fn merge(a: Node, b: Node, at: &str) -> Result<Node, GenError> {
    let Node {
        pointer,
        types,
        string,
        number,
        array,
        object,
        enumeration,
        constant,
        null_open,
        extra,
        cut,
    } = a;
    let null_ok = |t: super::schema::Types, open: bool| open || t.admits(JsonType::Null);
    let merged_types = types.intersect(b.types);
    let null_open =
        (null_open || b.null_open) && null_ok(types, null_open) && null_ok(b.types, b.null_open);
    let cut = cut || b.cut;
    if merged_types.is_empty() && !null_open && !cut {
        return Err(unsatisfiable(at, "the members admit no common type"));
    }
    let enumeration = match (enumeration, b.enumeration) {
        (Some(x), Some(y)) => {
            let both: Vec<Value> = x
                .into_iter()
                .filter(|v| y.iter().any(|w| json_eq(v, w)))
                .collect();
            if both.is_empty() {
                return Err(unsatisfiable(
                    at,
                    "the members' `enum` lists share no value",
                ));
            }
            Some(both)
        }
        (x, None) | (None, x) => x,
    };
    let constant = match (constant, b.constant) {
        (Some(x), Some(y)) if !json_eq(&x, &y) => {
            return Err(unsatisfiable(at, "the members' `const` values differ"))
        }
        (x, None) | (None, x) => x,
        (x, _) => x,
    };
    let extra = match (extra, b.extra) {
        (Some(mut x), Some(y)) => {
            x.groups.extend(y.groups);
            x.nots.extend(y.nots);
            x.checks.extend(y.checks);
            x.conditions.extend(y.conditions);
            x.dependent.extend(y.dependent);
            Some(x)
        }
        (x, None) | (None, x) => x,
    };
    Ok(Node {
        pointer,
        types: merged_types,
        string: merge_strings(string, b.string, at)?,
        number: merge_numbers(number, b.number),
        array: merge_arrays(array, b.array, at)?,
        object: merge_objects(object, b.object, at)?,
        enumeration,
        constant,
        null_open,
        extra,
        cut,
    })
}

fn merge_strings(a: StringRules, b: StringRules, at: &str) -> Result<StringRules, GenError> {
    let StringRules {
        min_length,
        max_length,
        format,
        pattern,
    } = a;
    // Two patterns at once would need their intersection, which the generator cannot draw from.
    let pattern = match (pattern, b.pattern) {
        (Some(_), Some(_)) => {
            return Err(unsupported(
                at.to_owned(),
                "members with a `pattern` each (their intersection cannot be generated)",
            ))
        }
        (x, None) | (None, x) => x,
    };
    let format = match (format, b.format) {
        (Some(x), Some(y)) if x != y => {
            return Err(unsupported(
                at.to_owned(),
                "members with two different formats",
            ))
        }
        (x, None) | (None, x) => x,
        (x, _) => x,
    };
    Ok(StringRules {
        min_length: min_length.max(b.min_length),
        max_length: tighter(max_length, b.max_length, false),
        format,
        pattern,
    })
}

fn merge_numbers(a: NumberRules, b: NumberRules) -> NumberRules {
    let NumberRules {
        minimum,
        maximum,
        exclusive_minimum,
        exclusive_maximum,
        format_range,
    } = a;
    let format_range = match (format_range, b.format_range) {
        (Some((l1, h1)), Some((l2, h2))) => Some((l1.max(l2), h1.min(h2))),
        (x, None) | (None, x) => x,
    };
    NumberRules {
        minimum: tighter(minimum, b.minimum, true),
        maximum: tighter(maximum, b.maximum, false),
        exclusive_minimum: tighter(exclusive_minimum, b.exclusive_minimum, true),
        exclusive_maximum: tighter(exclusive_maximum, b.exclusive_maximum, false),
        format_range,
    }
}

/// Each member's `items` governs the positions past its own prefix, so where only one member
/// has `prefixItems` the other's `items` meets each prefix schema. Two prefixes, or two
/// `contains`, are refused: the rule tree holds one of each.
fn merge_arrays(a: ArrayRules, b: ArrayRules, at: &str) -> Result<ArrayRules, GenError> {
    let ArrayRules {
        items,
        min_items,
        max_items,
        prefix,
        closed,
        contains,
    } = a;
    let refuse = |what: &str| {
        Err(unsupported(
            at.to_owned(),
            format!("`allOf` members that both set `{what}`"),
        ))
    };
    if !prefix.is_empty() && !b.prefix.is_empty() {
        return refuse("prefixItems");
    }
    if contains.is_some() && b.contains.is_some() {
        return refuse("contains");
    }
    let (a_len, b_len) = (prefix.len() as u64, b.prefix.len() as u64);
    let (prefix, other_items) = if b.prefix.is_empty() {
        (prefix, b.items.clone())
    } else {
        (b.prefix, items.clone())
    };
    let prefix = match other_items {
        Some(y) => prefix
            .into_iter()
            .map(|x| merge(x, (*y).clone(), at))
            .collect::<Result<Vec<_>, _>>()?,
        None => prefix,
    };
    let merged_len = prefix.len() as u64;
    let mut max_items = tighter(max_items, b.max_items, false);
    // A member closed after a shorter prefix than the merged one bounds the length.
    for (c, len) in [(closed, a_len), (b.closed, b_len)] {
        if c.is_some() && len < merged_len {
            max_items = tighter(max_items, Some(len), false);
        }
    }
    let items = match (items, b.items) {
        (Some(x), Some(y)) => Some(Box::new(merge(*x, *y, at)?)),
        (x, None) | (None, x) => x,
    };
    Ok(ArrayRules {
        items,
        min_items: min_items.max(b.min_items),
        max_items,
        prefix,
        closed: closed.or(b.closed),
        contains: contains.or(b.contains),
    })
}

/// A property declared by one member meets the other member's schema for it: its own
/// declaration, or else its `additionalProperties`.
fn merge_objects(a: ObjectRules, b: ObjectRules, at: &str) -> Result<ObjectRules, GenError> {
    let ObjectRules {
        properties,
        mut required,
        additional,
        patterns,
        names,
    } = a;
    // A member's `patternProperties` changes what its own `additionalProperties` covers, and
    // the other member's `additionalProperties` does not see them: only the plain case merges.
    let open = |p: &[(super::pattern::Pattern, Node)], other: &Additional| {
        p.is_empty() || matches!(other, Additional::Any)
    };
    if (!patterns.is_empty() && !b.patterns.is_empty())
        || !open(&patterns, &b.additional)
        || !open(&b.patterns, &additional)
    {
        return Err(unsupported(
            at.to_owned(),
            "`patternProperties` in a member beside another member's `patternProperties` or `additionalProperties`",
        ));
    }
    let patterns = if patterns.is_empty() {
        b.patterns
    } else {
        patterns
    };
    let names = match (names, b.names) {
        (Some(_), Some(_)) => {
            return Err(unsupported(
                at.to_owned(),
                "members with a `propertyNames` each",
            ))
        }
        (x, None) | (None, x) => x,
    };
    for name in b.required {
        if !required.contains(&name) {
            required.push(name);
        }
    }
    let mut b_props: HashMap<String, Node> = HashMap::with_capacity(b.properties.len());
    let mut b_order = Vec::with_capacity(b.properties.len());
    for (name, node) in b.properties {
        b_order.push(name.clone());
        b_props.insert(name, node);
    }
    let against = |node: Node, name: &str, other: &Additional| -> Result<Node, GenError> {
        match other {
            Additional::Any => Ok(node),
            Additional::Schema(s) => merge(node, (**s).clone(), at),
            Additional::Forbidden if required.iter().any(|r| r == name) => Err(unsatisfiable(
                at,
                format!("property \"{name}\" is required but another member forbids it"),
            )),
            Additional::Forbidden => Err(unsupported(
                at.to_owned(),
                format!("property \"{name}\" declared by one member and forbidden by another's `additionalProperties: false`"),
            )),
        }
    };
    let mut merged = Vec::with_capacity(properties.len() + b_order.len());
    for (name, node) in properties {
        let node = match b_props.remove(&name) {
            Some(other) => merge(node, other, at)?,
            None => against(node, &name, &b.additional)?,
        };
        merged.push((name, node));
    }
    for name in b_order {
        if let Some(node) = b_props.remove(&name) {
            let node = against(node, &name, &additional)?;
            merged.push((name, node));
        }
    }
    let additional = match (additional, b.additional) {
        (Additional::Forbidden, _) | (_, Additional::Forbidden) => Additional::Forbidden,
        (Additional::Schema(x), Additional::Schema(y)) => {
            Additional::Schema(Box::new(merge(*x, *y, at)?))
        }
        (x, Additional::Any) | (Additional::Any, x) => x,
    };
    Ok(ObjectRules {
        properties: merged,
        required,
        additional,
        patterns,
        names,
    })
}

/// Whether a `$ref` cycle was cut somewhere in `node`: its unsatisfiability may be the depth
/// bound's, not the schema's.
pub(crate) fn reaches_cut(node: &Node) -> bool {
    node.cut
        || node.object.properties.iter().any(|(_, n)| reaches_cut(n))
        || matches!(&node.object.additional, Additional::Schema(n) if reaches_cut(n))
        || node.array.items.as_deref().is_some_and(reaches_cut)
        || node.array.prefix.iter().any(reaches_cut)
        || node
            .array
            .contains
            .as_deref()
            .is_some_and(|c| reaches_cut(&c.node))
        || node.extra.as_deref().is_some_and(|e| {
            e.nots.iter().any(reaches_cut)
                || e.groups.iter().any(|g| g.branches.iter().any(reaches_cut))
                || e.dependent.iter().any(|(_, n)| reaches_cut(n))
                || e.conditions.iter().any(|c| {
                    reaches_cut(&c.test)
                        || c.then.as_ref().is_some_and(reaches_cut)
                        || c.otherwise.as_ref().is_some_and(reaches_cut)
                })
        })
}

/// Every `$anchor` of the document and the pointer of the schema holding it. A subschema with
/// its own `$id` starts another resource whose anchors are not this document's: not entered.
/// Instance data (`enum`, `const`, `default`, `examples`) is not entered either.
pub(super) fn anchors(root: &Value) -> HashMap<String, String> {
    fn walk(value: &Value, pointer: String, depth: usize, out: &mut HashMap<String, String>) {
        if depth > 64 {
            return;
        }
        match value {
            Value::Object(map) => {
                if depth > 0 && map.contains_key("$id") {
                    return;
                }
                if let Some(name) = map.get("$anchor").and_then(Value::as_str) {
                    out.entry(name.to_owned())
                        .or_insert_with(|| pointer.clone());
                }
                for (k, v) in map {
                    if !matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                        walk(v, format!("{pointer}/{}", pointer_token(k)), depth + 1, out);
                    }
                }
            }
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    walk(v, format!("{pointer}/{i}"), depth + 1, out);
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    walk(root, String::new(), 0, &mut out);
    out
}
