//! The array keywords beyond `items`: `prefixItems` (with `items` then governing the rest),
//! `contains` with `minContains`/`maxContains`, and `unevaluatedItems: false` where what is
//! evaluated can be told from the schema alone.
//!
//! Arrays are drawn in three parts: the prefix, each position from its own schema; items that
//! match `contains`; and the other items, which do not. Counting matches is then a matter of
//! construction, and each defect is one change to such an array.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{Map, Value};

use super::build::{self, restrict};
use super::schema::{child, malformed, unsupported, ArrayRules, Node, Reader, MAX_GENERATED_ITEMS};
use super::{GenError, Invalid};

type Values = BoxedStrategy<Value>;
type Breaks = Vec<BoxedStrategy<Invalid>>;

/// The keywords read here besides `items`; `Reader::node` leaves them to [`read`].
pub(super) const KEYWORDS: &[&str] = &[
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];

/// Extra items drawn when nothing bounds the length.
const SPAN: u64 = 4;
/// How many lengths past the least one are considered: enough variety, bounded work.
const LENGTHS: u64 = 32;

/// `contains` and the number of items that must match it.
#[derive(Clone, Debug)]
pub(crate) struct Contains {
    pub node: Node,
    pub min: u64,
    pub max: Option<u64>,
}

impl Contains {
    fn count(&self, items: &[Value]) -> u64 {
        items.iter().filter(|i| self.node.accepts(i)).count() as u64
    }
}

/// `items`: a schema for the items past the prefix, or `false` (none past the prefix).
pub(super) fn read_items<'a>(
    reader: &mut Reader<'a>,
    value: &'a Value,
    at: String,
    depth: usize,
    rules: &mut ArrayRules,
) -> Result<(), GenError> {
    match value {
        Value::Array(_) => Err(unsupported(
            at,
            "array-form `items` (draft 2019-09 and earlier; 2020-12 spells it `prefixItems`)",
        )),
        Value::Bool(false) => {
            rules.closed = Some("items");
            Ok(())
        }
        _ => {
            rules.items = Some(Box::new(reader.node(value, at, depth + 1)?));
            Ok(())
        }
    }
}

/// Reads `prefixItems`, `contains` (with its counts) and `unevaluatedItems` of `map`.
pub(super) fn read<'a>(
    reader: &mut Reader<'a>,
    map: &'a Map<String, Value>,
    pointer: &str,
    depth: usize,
    rules: &mut ArrayRules,
) -> Result<(), GenError> {
    if let Some(value) = map.get("prefixItems") {
        let at = child(pointer, &["prefixItems"]);
        let Value::Array(list) = value else {
            return Err(malformed(at, "`prefixItems` must be an array of schemas"));
        };
        for (i, sub) in list.iter().enumerate() {
            let sub_at = child(&at, &[&i.to_string()]);
            if sub == &Value::Bool(false) {
                return Err(unsupported(sub_at, "a `false` schema in `prefixItems`"));
            }
            rules.prefix.push(reader.node(sub, sub_at, depth + 1)?);
        }
    }
    if let Some(value) = map.get("contains") {
        let at = child(pointer, &["contains"]);
        let node = reader.node(value, at, depth + 1)?;
        let count = |k: &str| -> Result<Option<u64>, GenError> {
            map.get(k)
                .map(|v| {
                    v.as_u64().ok_or_else(|| {
                        malformed(child(pointer, &[k]), "expected a non-negative integer")
                    })
                })
                .transpose()
        };
        let min = count("minContains")?.unwrap_or(1);
        if min > MAX_GENERATED_ITEMS {
            return Err(unsupported(
                child(pointer, &["minContains"]),
                format!("`minContains` above {MAX_GENERATED_ITEMS}, too large to generate"),
            ));
        }
        rules.contains = Some(Box::new(Contains {
            node,
            min,
            max: count("maxContains")?,
        }));
    }
    match map.get("unevaluatedItems") {
        None | Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            let at = child(pointer, &["unevaluatedItems"]);
            // Items evaluated by an in-place applicator count too; that is not read here.
            for k in [
                "$ref",
                "$dynamicRef",
                "allOf",
                "anyOf",
                "oneOf",
                "if",
                "dependentSchemas",
            ] {
                if map.contains_key(k) {
                    return Err(unsupported(at, format!("`unevaluatedItems` beside `{k}`")));
                }
            }
            if rules.contains.is_some() {
                return Err(unsupported(at, "`unevaluatedItems` beside `contains`"));
            }
            if rules.items.is_none() && rules.closed.is_none() {
                rules.closed = Some("unevaluatedItems");
            }
        }
        Some(_) => {
            return Err(unsupported(
                child(pointer, &["unevaluatedItems"]),
                "`unevaluatedItems` with a schema (only `false` is supported)",
            ))
        }
    }
    Ok(())
}

/// Whether the rules need this module rather than the plain `items` generator.
pub(crate) fn special(rules: &ArrayRules) -> bool {
    !rules.prefix.is_empty() || rules.contains.is_some() || rules.closed.is_some()
}

/// The array rules' verdict on `items`.
pub(crate) fn accepts(rules: &ArrayRules, items: &[Value]) -> bool {
    let len = items.len() as u64;
    let p = rules.prefix.len();
    len >= rules.min_items
        && rules.max_items.is_none_or(|m| len <= m)
        && items
            .iter()
            .enumerate()
            .all(|(i, item)| match rules.prefix.get(i) {
                Some(node) => node.accepts(item),
                None => {
                    rules.closed.is_none() && rules.items.as_ref().is_none_or(|n| n.accepts(item))
                }
            })
        && (rules.closed.is_none() || items.len() <= p)
        && rules.contains.as_ref().is_none_or(|c| {
            let n = c.count(items);
            n >= c.min && c.max.is_none_or(|m| n <= m)
        })
}

/// The valid values each part of an array is drawn from.
struct Parts {
    prefix: Vec<Values>,
    /// Items past the prefix that do not match `contains`; `None` when there can be none.
    rest: Option<Values>,
    /// Items past the prefix that match `contains`; `None` when there can be none.
    matches: Option<Values>,
    /// The most items an array can have: a prefix schema no value satisfies (a `$ref` cycle
    /// cut at the depth bound) ends the array before it.
    cap: Option<u64>,
}

fn not_matching(values: Values, contains: Option<&Contains>) -> Option<Values> {
    match contains {
        None => Some(values),
        Some(c) => {
            let node = c.node.clone();
            restrict(values, "matches `contains`", move |v| !node.accepts(v))
        }
    }
}

/// An unsatisfiable schema just means no such item; other errors stand.
fn satisfiable(r: Result<Values, GenError>) -> Result<Option<Values>, GenError> {
    match r {
        Ok(values) => Ok(Some(values)),
        Err(GenError::Unsatisfiable { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn parts(node: &Node) -> Result<Parts, GenError> {
    let rules = &node.array;
    let contains = rules.contains.as_deref();
    if let Some(c) = contains.filter(|c| !super::compose::exact(&c.node)) {
        // Matches are counted by our own verdict, which must then be the validator's.
        return Err(unsupported(
            c.node.pointer.clone(),
            "a `contains` schema the generator can only approximate",
        ));
    }
    if let Some(c) = contains.filter(|c| c.min > 0 && rules.closed.is_some()) {
        // Matches would have to come from the prefix, which is drawn not matching.
        return Err(unsupported(
            c.node.pointer.clone(),
            "`contains` beside a closed `prefixItems`",
        ));
    }
    let mut prefix = Vec::new();
    for sub in &rules.prefix {
        let Some(values) = satisfiable(build::valid(sub))? else {
            let cap = Some(prefix.len() as u64);
            return Ok(Parts {
                prefix,
                rest: None,
                matches: None,
                cap,
            });
        };
        match not_matching(values, contains) {
            Some(values) => prefix.push(values),
            None => {
                return Err(unsupported(
                    sub.pointer.clone(),
                    "a `prefixItems` schema whose every value matches `contains`",
                ))
            }
        }
    }
    let rest_values = match &rules.items {
        Some(items) => satisfiable(build::valid(items))?,
        None => Some(build::any_value()),
    };
    let rest = match (&rules.closed, rest_values) {
        (Some(_), _) | (_, None) => None,
        (None, Some(values)) => not_matching(values, contains),
    };
    let matches = match (contains, &rules.closed) {
        (Some(c), None) => match satisfiable(build::valid(&c.node))? {
            Some(values) => match &rules.items {
                Some(items) => {
                    let items = (**items).clone();
                    restrict(values, "breaks `items`", move |v| items.accepts(v))
                }
                None => Some(values),
            },
            None => None,
        },
        _ => None,
    };
    Ok(Parts {
        prefix,
        rest,
        matches,
        cap: None,
    })
}

/// Arrays of `lo..=hi` items with `c_lo..=c_hi` of the items past the prefix matching
/// `contains`; `None` when no such array can be drawn.
fn draw(
    parts: &Parts,
    lo: u64,
    hi: u64,
    c_lo: u64,
    c_hi: u64,
) -> Option<BoxedStrategy<Vec<Value>>> {
    let p = parts.prefix.len() as u64;
    let hi = parts.cap.map_or(hi, |cap| hi.min(cap));
    let mut shapes = Vec::new();
    for len in lo..=hi.min(lo + LENGTHS) {
        let slots = len.saturating_sub(p);
        for c in c_lo..=c_hi.min(slots).min(c_lo + LENGTHS) {
            let others = slots - c;
            if (c > 0 && parts.matches.is_none()) || (others > 0 && parts.rest.is_none()) {
                continue;
            }
            shapes.push((len.min(p) as usize, c as usize, others as usize));
        }
    }
    if shapes.is_empty() {
        return None;
    }
    let prefix = parts.prefix.clone();
    let matches = parts
        .matches
        .clone()
        .unwrap_or_else(|| Just(Value::Null).boxed());
    let rest = parts
        .rest
        .clone()
        .unwrap_or_else(|| Just(Value::Null).boxed());
    Some(
        select(shapes)
            .prop_flat_map(move |(k, c, o)| {
                let head = prefix[..k].to_vec();
                (
                    head,
                    vec(matches.clone(), c),
                    vec(rest.clone(), o),
                    vec(any::<Index>(), c),
                )
            })
            .prop_map(|(mut head, found, mut others, at)| {
                for (value, at) in found.into_iter().zip(at) {
                    let i = at.index(others.len() + 1);
                    others.insert(i, value);
                }
                head.extend(others);
                head
            })
            .boxed(),
    )
}

/// The length bounds and `contains` counts of valid arrays.
fn bounds(rules: &ArrayRules) -> (u64, u64, u64, u64) {
    let p = rules.prefix.len() as u64;
    let (c_lo, c_max) = rules
        .contains
        .as_ref()
        .map_or((0, Some(0)), |c| (c.min, c.max));
    let c_hi = c_max.unwrap_or(c_lo + 2);
    let mut hi = rules
        .max_items
        .unwrap_or(rules.min_items.max(p + c_lo) + SPAN);
    if rules.closed.is_some() {
        hi = hi.min(p);
    }
    (rules.min_items, hi, c_lo, c_hi)
}

/// Keeps arrays whose `contains` count is in range: a prefix value or a broken item may match.
fn counted(
    s: BoxedStrategy<Vec<Value>>,
    rules: &ArrayRules,
    lo: u64,
    hi: u64,
) -> BoxedStrategy<Vec<Value>> {
    match rules.contains.as_deref() {
        None => s,
        Some(c) => {
            let c = c.clone();
            s.prop_filter("`contains` count", move |items| {
                let n = c.count(items);
                n >= lo && n <= hi
            })
            .boxed()
        }
    }
}

pub(crate) fn valid(node: &Node) -> Result<Option<Values>, GenError> {
    let rules = &node.array;
    let parts = parts(node)?;
    let (lo, hi, c_lo, c_hi) = bounds(rules);
    Ok(draw(&parts, lo, hi, c_lo, c_hi)
        .map(|s| counted(s, rules, c_lo, c_hi).prop_map(Value::Array).boxed()))
}

fn finish(
    s: BoxedStrategy<Vec<Value>>,
    pointer: String,
    keyword: &'static str,
) -> BoxedStrategy<Invalid> {
    s.prop_map(move |items| Invalid {
        value: Value::Array(items),
        pointer: pointer.clone(),
        keyword,
    })
    .boxed()
}

/// Arrays that break one rule each: a length bound, a prefix item, an item past the prefix,
/// an item where none may be, too few or too many matches for `contains`.
pub(crate) fn breaks(node: &Node) -> Result<Breaks, GenError> {
    let rules = &node.array;
    let parts = parts(node)?;
    let (lo, hi, c_lo, c_hi) = bounds(rules);
    let p = rules.prefix.len() as u64;
    if hi < lo || c_hi < c_lo {
        return Ok(Breaks::new());
    }
    let mut out = Breaks::new();
    let mut push = |s: Option<BoxedStrategy<Vec<Value>>>, n: (u64, u64), kw, ptr: String| {
        if let Some(s) = s {
            out.push(finish(counted(s, rules, n.0, n.1), ptr, kw));
        }
    };
    let root = String::new;
    if lo > 0 {
        push(
            draw(&parts, 0, lo - 1, c_lo, c_hi),
            (c_lo, c_hi),
            "minItems",
            root(),
        );
    }
    if let Some(max) = rules.max_items.filter(|m| *m < MAX_GENERATED_ITEMS) {
        let long = draw(&parts, max + 1, max + 3, c_lo, c_hi);
        push(long, (c_lo, c_hi), "maxItems", root());
    }
    if let Some(c) = rules.contains.as_deref() {
        if c_lo > 0 {
            // jsonschema names `contains` for a count out of range, whichever bound it breaks.
            let few = draw(&parts, lo, hi, c_lo - 1, c_lo - 1);
            push(few, (c_lo - 1, c_lo - 1), "contains", root());
        }
        if let Some(max) = c.max.filter(|m| *m < MAX_GENERATED_ITEMS) {
            let many_hi = rules.max_items.unwrap_or(lo.max(p + max + 1) + SPAN);
            let many = draw(&parts, lo, many_hi, max + 1, max + 1);
            push(many, (max + 1, max + 1), "contains", root());
        }
    }
    if let Some(kw) = rules.closed {
        let room = rules.max_items.is_none_or(|m| m > p);
        let extra = not_matching(build::any_value(), rules.contains.as_deref());
        if let (true, Some(s), Some(extra)) = (room, draw(&parts, p, p, c_lo, c_hi), extra) {
            let s = (s, extra)
                .prop_map(|(mut items, v)| {
                    items.push(v);
                    items
                })
                .boxed();
            // `items: false` is the false schema at the extra item; `unevaluatedItems` is
            // reported at the array.
            let (kw, pointer) = if kw == "items" {
                ("falseSchema", format!("/{p}"))
            } else {
                (kw, root())
            };
            push(Some(s), (c_lo, c_hi), kw, pointer);
        }
    }
    let counts = (c_lo, c_hi);
    for (i, sub) in rules.prefix.iter().enumerate() {
        let Some(s) = draw(&parts, lo.max(i as u64 + 1), hi, c_lo, c_hi) else {
            continue;
        };
        for broken in build::invalid(sub)? {
            let s = (s.clone(), broken).prop_map(move |(mut items, inv)| {
                items[i] = inv.value;
                Invalid {
                    value: Value::Array(items),
                    pointer: format!("/{i}{}", inv.pointer),
                    keyword: inv.keyword,
                }
            });
            out.push(counted_invalid(s.boxed(), rules, counts));
        }
    }
    if let (Some(items), None, true) = (&rules.items, rules.closed, hi > p) {
        if let Some(s) = draw(&parts, lo.saturating_sub(1).max(p), hi - 1, c_lo, c_hi) {
            for broken in build::invalid(items)? {
                let s = (s.clone(), broken, any::<Index>()).prop_map(move |(mut list, inv, at)| {
                    let at = p as usize + at.index(list.len() - p as usize + 1);
                    list.insert(at, inv.value);
                    Invalid {
                        value: Value::Array(list),
                        pointer: format!("/{at}{}", inv.pointer),
                        keyword: inv.keyword,
                    }
                });
                out.push(counted_invalid(s.boxed(), rules, counts));
            }
        }
    }
    Ok(out)
}

fn counted_invalid(
    s: BoxedStrategy<Invalid>,
    rules: &ArrayRules,
    (lo, hi): (u64, u64),
) -> BoxedStrategy<Invalid> {
    match rules.contains.as_deref() {
        None => s,
        Some(c) => {
            let c = c.clone();
            s.prop_filter("`contains` count", move |inv| {
                let n = inv.value.as_array().map_or(0, |l| c.count(l));
                n >= lo && n <= hi
            })
            .boxed()
        }
    }
}
