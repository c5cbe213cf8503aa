//! Strategy builders over the rule tree: valid instances, and instances that break one rule.
//!
//! Every broken instance is a valid instance with a single defect grafted in, so the defect is
//! the only thing a validator can complain about. Pointers are built bottom-up: each level
//! reports the defect relative to itself and the parent prefixes its own step.

use std::collections::HashSet;
use std::rc::Rc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::{NewTree, Union, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};

use super::numbers::{self, Interval};
use super::schema::{
    json_eq, Additional, Format, JsonType, Node, StringRules, MAX_GENERATED_ITEMS,
    MAX_GENERATED_LENGTH,
};
use super::{compose, compose_build, formats, pattern, strings, GenError, Invalid};
use crate::contract::pointer_token;

type Values = BoxedStrategy<Value>;
type Breaks = Vec<BoxedStrategy<Invalid>>;

/// How many candidates to draw when deciding whether a narrowed strategy is worth filtering.
const PROBES: usize = 512;
/// Extra array length drawn when `maxItems` is absent.
const DEFAULT_ITEM_SPAN: u64 = 4;

pub(crate) fn valid(node: &Node) -> Result<Values, GenError> {
    if node.cut && node.types.is_empty() {
        return Err(GenError::Unsatisfiable {
            pointer: node.pointer.clone(),
            what: "a recursive `$ref` that every level requires: no finite instance".to_owned(),
        });
    }
    if node.extra.is_some() {
        return compose_build::valid(node);
    }
    let (keyword, candidates) = match (&node.enumeration, &node.constant) {
        (Some(options), _) => ("enum", options.clone()),
        (None, Some(c)) => ("const", vec![c.clone()]),
        (None, None) => return valid_ignoring_choices(node),
    };
    let mut members: Vec<Value> = Vec::new();
    for c in candidates {
        if node.accepts(&c) && !members.iter().any(|m| json_eq(m, &c)) {
            members.push(c);
        }
    }
    if members.is_empty() {
        return Err(GenError::Unsatisfiable {
            pointer: node.keyword_pointer(keyword),
            what: "no listed value satisfies the sibling keywords".to_owned(),
        });
    }
    Ok(select(members).boxed())
}

fn valid_ignoring_choices(node: &Node) -> Result<Values, GenError> {
    let mut options = Vec::new();
    // Fixed order, simplest first: shrinking steps toward earlier branches.
    for t in JsonType::ALL {
        if node.types.has(t) {
            if let Some(s) = valid_of_type(node, t)? {
                options.push(s);
            }
        }
    }
    if options.is_empty() {
        return Err(GenError::Unsatisfiable {
            pointer: node.pointer.clone(),
            what: "no allowed type has a value within the bounds".to_owned(),
        });
    }
    Ok(Union::new(options).boxed())
}

fn valid_of_type(node: &Node, t: JsonType) -> Result<Option<Values>, GenError> {
    let mut region = Interval::of(&node.number);
    if let Some((lo, hi)) = node.number.format_range {
        region = region.intersect(Interval {
            lo,
            lo_open: false,
            hi,
            hi_open: false,
        });
    }
    Ok(match t {
        JsonType::Null => Some(Just(Value::Null).boxed()),
        JsonType::Boolean => Some(any::<bool>().prop_map(Value::Bool).boxed()),
        JsonType::Integer => numbers::integer_values(region.safe(true)),
        JsonType::Number => numbers::number_values(region.safe(false)),
        JsonType::String => valid_strings(node),
        JsonType::Array => valid_arrays(node)?,
        JsonType::Object => Some(
            build_object(&object_plan(node)?, &Tweak::None)
                .prop_map(|(v, _)| v)
                .boxed(),
        ),
    })
}

fn valid_strings(node: &Node) -> Option<Values> {
    let rules = node.string.clone();
    if rules.max_length.is_some_and(|m| m < rules.min_length) {
        return None;
    }
    if rules.pattern.is_some() {
        return pattern::valid_values(node, valid_strings);
    }
    match rules.format {
        Some(f) if f != Format::Binary => {
            within_lengths(formats::valid(f), &rules).map(strings_to_values)
        }
        _ => Some(strings_to_values(strings::string(
            rules.min_length,
            rules.max_length,
        ))),
    }
}

fn strings_to_values(s: BoxedStrategy<String>) -> Values {
    s.prop_map(Value::String).boxed()
}

/// Lengths `min..=max` (or a little past `min` when unbounded), leaning toward both ends.
fn lengths(min: u64, max: Option<u64>) -> Vec<(u32, std::ops::RangeInclusive<usize>)> {
    let hi = max
        .unwrap_or(min + DEFAULT_ITEM_SPAN)
        .min(min + MAX_GENERATED_ITEMS);
    let (min, hi) = (min as usize, hi as usize);
    let mut out = vec![(6, min..=hi.min(min + 8)), (2, min..=min)];
    if hi - min <= 256 {
        out.push((2, hi..=hi));
    }
    out
}

fn arrays(item: Values, min: u64, max: Option<u64>) -> Values {
    let options = lengths(min, max)
        .into_iter()
        .map(|(w, range)| (w, vec(item.clone(), range).prop_map(Value::Array).boxed()))
        .collect();
    Union::new_weighted(options).boxed()
}

fn item_values(node: &Node) -> Result<Values, GenError> {
    match &node.array.items {
        Some(items) => valid(items),
        None => Ok(any_value()),
    }
}

fn valid_arrays(node: &Node) -> Result<Option<Values>, GenError> {
    let rules = &node.array;
    if rules.max_items.is_some_and(|m| m < rules.min_items) {
        return Ok(None);
    }
    if super::arrays::special(rules) {
        return super::arrays::valid(node);
    }
    if rules.min_items == 0 && rules.items.as_deref().is_some_and(compose::reaches_cut) {
        // Past the depth bound a recursive array is empty.
        if let Err(GenError::Unsatisfiable { .. }) = item_values(node) {
            return Ok(Some(Just(Value::Array(Vec::new())).boxed()));
        }
    }
    // Items this large come only as many as `minItems` asks for.
    let max = match rules.items.as_deref() {
        Some(item) if super::size::bulky(item) => Some(rules.min_items),
        _ => rules.max_items,
    };
    Ok(Some(arrays(item_values(node)?, rules.min_items, max)))
}

/// Any JSON value, kept small: used where the schema says nothing.
pub(crate) fn any_value() -> Values {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..=1000).prop_map(Value::from),
        select(vec![0.5, -1.25, 1e-7, 3.0e15]).prop_map(numbers::float_value),
        strings::string(0, Some(8)).prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..=3).prop_map(Value::Array),
            vec((strings::string(0, Some(6)), inner), 0..=3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

#[derive(Debug)]
struct Field {
    name: String,
    required: bool,
    /// `None` for an optional property past the depth bound of a `$ref` cycle: left out.
    values: Option<Values>,
}

/// What an object's instances are drawn from. The slots are built once and shared by every
/// object strategy of the node, valid or with one defect, so that breaking each of n properties
/// costs n strategies rather than n objects of n slots each.
#[derive(Debug)]
struct ObjectPlan {
    fields: Vec<Field>,
    known: Vec<String>,
    /// Each field's value, or its absence, when nothing about that field is tweaked.
    slots: Vec<BoxedStrategy<Option<Entry>>>,
    /// The unknown extra properties drawn into an object.
    extras: BoxedStrategy<Vec<(String, Value)>>,
}

#[derive(Clone, Debug)]
struct Entry {
    name: String,
    value: Value,
    /// Where the defect sits, relative to the object, and the keyword broken.
    broken: Option<(String, &'static str)>,
}

#[derive(Clone, Debug)]
enum Tweak {
    None,
    Drop(usize),
    Break(usize, BoxedStrategy<Invalid>),
    Extra(BoxedStrategy<Entry>),
}

type Drawn = (Value, Option<(String, &'static str)>);

/// An object with one tweak, put together from the shared plan only when a value is drawn.
/// The object it builds draws exactly as `build_object` does, so bodies and shrinking are the
/// same as if it had been built up front.
#[derive(Debug)]
struct TweakedObject {
    plan: Rc<ObjectPlan>,
    tweak: Tweak,
}

impl Strategy for TweakedObject {
    type Tree = Box<dyn ValueTree<Value = Drawn>>;
    type Value = Drawn;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        build_object(&self.plan, &self.tweak).new_tree(runner)
    }
}

fn object_plan(node: &Node) -> Result<ObjectPlan, GenError> {
    let rules = &node.object;
    // Sets, not list scans: a schema may have thousands of properties.
    let required: HashSet<&str> = rules.required.iter().map(String::as_str).collect();
    let declared: HashSet<&str> = rules.properties.iter().map(|(n, _)| n.as_str()).collect();
    let mut fields = Vec::new();
    for (name, sub) in &rules.properties {
        let required = required.contains(name.as_str());
        let values = match valid(sub) {
            Err(GenError::Unsatisfiable { .. }) if !required && compose::reaches_cut(sub) => None,
            // Memory, not meaning: such a property is never drawn, and a body without it is valid.
            Ok(_) if !required && super::size::bulky(sub) => None,
            other => Some(pattern::declared_values(node, name, required, other?)?),
        };
        fields.push(Field {
            name: name.clone(),
            required,
            values,
        });
    }
    for name in &rules.required {
        if declared.contains(name.as_str()) {
            continue;
        }
        let values = match (pattern::member_values(node, name)?, &rules.additional) {
            (Some(values), _) => values,
            (None, Additional::Any) => any_value(),
            (None, Additional::Schema(extra)) => valid(extra)?,
            (None, Additional::Forbidden) => {
                return Err(GenError::Unsatisfiable {
                    pointer: node.keyword_pointer("required"),
                    what: format!(
                        "required property \"{name}\" is not declared and additionalProperties is false"
                    ),
                })
            }
        };
        fields.push(Field {
            name: name.clone(),
            required: true,
            values: Some(values),
        });
    }
    let known: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    let extra_values = match &rules.additional {
        Additional::Any => Some(any_value()),
        // An unsatisfiable extra schema just means no extras.
        Additional::Schema(extra) => valid(extra).ok(),
        Additional::Forbidden => None,
    };
    let extras = match (pattern::extras(node, &known), extra_values) {
        (Some(governed), _) => governed,
        (None, Some(values)) => {
            proptest::option::weighted(0.2, vec((strings::unknown_name(&known), values), 1..=2))
                .prop_map(Option::unwrap_or_default)
                .boxed()
        }
        (None, None) => Just(Vec::new()).boxed(),
    };
    let slots = fields.iter().map(plain_slot).collect();
    Ok(ObjectPlan {
        fields,
        known,
        slots,
        extras,
    })
}

/// A field's value when nothing about it is tweaked: always there when required, else half the
/// time.
fn plain_slot(field: &Field) -> BoxedStrategy<Option<Entry>> {
    let name = field.name.clone();
    let Some(values) = &field.values else {
        return Just(None).boxed();
    };
    if field.required {
        values
            .clone()
            .prop_map(move |v| entry(name.clone(), v))
            .boxed()
    } else {
        proptest::option::weighted(0.5, values.clone())
            .prop_map(move |v| v.and_then(|v| entry(name.clone(), v)))
            .boxed()
    }
}

fn entry(name: String, value: Value) -> Option<Entry> {
    Some(Entry {
        name,
        value,
        broken: None,
    })
}

/// The object strategy for one tweak: the shared slots, with the tweaked one swapped in.
fn build_object(plan: &ObjectPlan, tweak: &Tweak) -> BoxedStrategy<Drawn> {
    let mut slots = plan.slots.clone();
    match tweak {
        Tweak::Drop(d) => slots[*d] = Just(None).boxed(),
        Tweak::Break(b, broken) => {
            let name = plan.fields[*b].name.clone();
            slots[*b] = broken
                .clone()
                .prop_map(move |inv| {
                    Some(Entry {
                        broken: Some((
                            format!("/{}{}", pointer_token(&name), inv.pointer),
                            inv.keyword,
                        )),
                        name: name.clone(),
                        value: inv.value,
                    })
                })
                .boxed();
        }
        Tweak::None | Tweak::Extra(_) => {}
    }
    let forced = match tweak {
        Tweak::Extra(e) => e.clone().prop_map(Some).boxed(),
        _ => Just(None).boxed(),
    };
    (slots, plan.extras.clone(), forced)
        .prop_map(|(slots, extras, forced)| {
            let mut map = Map::new();
            let mut broken = None;
            for e in slots.into_iter().flatten() {
                broken = broken.or(e.broken);
                map.insert(e.name, e.value);
            }
            for (name, value) in extras {
                if !map.contains_key(&name) {
                    map.insert(name, value);
                }
            }
            if let Some(e) = forced {
                map.remove(&e.name);
                broken = broken.or(e.broken);
                map.insert(e.name, e.value);
            }
            (Value::Object(map), broken)
        })
        .boxed()
}

fn at_root(value: Value, keyword: &'static str) -> Invalid {
    Invalid {
        value,
        pointer: String::new(),
        keyword,
    }
}

pub(crate) fn invalid(node: &Node) -> Result<Breaks, GenError> {
    if node.cut {
        return Ok(Breaks::new());
    }
    if node.extra.is_some() {
        return compose_build::invalid(node);
    }
    if node.enumeration.is_some() || node.constant.is_some() {
        return Ok(choice_breaks(node));
    }
    let mut out = Breaks::new();
    if let Some(wrong) = wrong_types(node) {
        out.push(wrong.prop_map(|v| at_root(v, "type")).boxed());
    }
    if node.types.has(JsonType::String) {
        out.extend(string_breaks(node));
    }
    if node.types.admits(JsonType::Integer) {
        out.extend(number_breaks(node));
    }
    if node.types.has(JsonType::Array) {
        out.extend(array_breaks(node)?);
    }
    if node.types.has(JsonType::Object) {
        out.extend(object_breaks(node)?);
    }
    Ok(out)
}

/// `enum`/`const` outrank every other rule: any other defect would break them too, so the only
/// clean defect is a value that obeys everything else but is not listed.
fn choice_breaks(node: &Node) -> Breaks {
    let (keyword, listed) = match (&node.enumeration, &node.constant) {
        (Some(_), Some(_)) => return Breaks::new(),
        (Some(options), None) => ("enum", options.clone()),
        (None, Some(c)) => ("const", vec![c.clone()]),
        (None, None) => return Breaks::new(),
    };
    let Ok(rest) = valid_ignoring_choices(node) else {
        return Breaks::new();
    };
    restrict(rest, "value is listed", move |v| {
        !listed.iter().any(|l| json_eq(l, v))
    })
    .map(|s| s.prop_map(move |v| at_root(v, keyword)).boxed())
    .into_iter()
    .collect()
}

/// Values of every type the schema does not admit. An integer-only schema also gets fractions
/// inside its bounds, so that only `type` is broken.
pub(crate) fn wrong_types(node: &Node) -> Option<Values> {
    let types = node.types;
    let mut options: Vec<Values> = Vec::new();
    if !types.admits(JsonType::Null) && !node.null_open {
        options.push(Just(Value::Null).boxed());
    }
    if !types.admits(JsonType::Boolean) {
        options.push(any::<bool>().prop_map(Value::Bool).boxed());
    }
    if !types.admits(JsonType::Integer) {
        // Epoch seconds and milliseconds of 2100: the classic wrong spelling of a date-time.
        let numbers = select(vec![
            Value::from(0),
            Value::from(1),
            Value::from(-1),
            Value::from(4_102_444_800i64),
            Value::from(4_102_444_800_000i64),
            numbers::float_value(1.5),
            numbers::float_value(-0.5),
        ]);
        options.push(prop_oneof![numbers, any::<i32>().prop_map(Value::from)].boxed());
    } else if !types.has(JsonType::Number) {
        let region = Interval::of(&node.number).safe(false);
        let fractions =
            numbers::floats(region).and_then(|f| restrict(f, "integral", |x| x.fract() != 0.0));
        if let Some(f) = fractions {
            options.push(f.prop_map(numbers::float_value).boxed());
        }
    }
    if !types.admits(JsonType::String) {
        let lookalikes = select(vec![
            "",
            "0",
            "1",
            "true",
            "null",
            "[]",
            "{}",
            "2100-01-01T00:00:00Z",
        ])
        .prop_map(|s| Value::String(s.to_owned()));
        options.push(
            prop_oneof![
                lookalikes,
                strings::string(0, Some(8)).prop_map(Value::String)
            ]
            .boxed(),
        );
    }
    if !types.admits(JsonType::Array) {
        options.push(
            prop_oneof![
                Just(Value::Array(Vec::new())),
                vec(any_value(), 1..=3).prop_map(Value::Array)
            ]
            .boxed(),
        );
    }
    if !types.admits(JsonType::Object) {
        let small = vec((strings::string(0, Some(6)), any_value()), 1..=3)
            .prop_map(|kv| Value::Object(kv.into_iter().collect()));
        options.push(prop_oneof![Just(Value::Object(Map::new())), small].boxed());
    }
    (!options.is_empty()).then(|| Union::new(options).boxed())
}

fn string_breaks(node: &Node) -> Breaks {
    let rules = node.string.clone();
    let (min, max) = (rules.min_length, rules.max_length);
    if max.is_some_and(|m| m < min) {
        return Breaks::new();
    }
    if rules.pattern.is_some() {
        return pattern::string_breaks(node);
    }
    let len = |s: &String| s.chars().count() as u64;
    let mut out: Vec<(&'static str, Option<BoxedStrategy<String>>)> = Vec::new();
    match rules.format {
        None | Some(Format::Binary) => {
            if min > 0 {
                out.push(("minLength", Some(strings::string(0, Some(min - 1)))));
            }
            if let Some(max) = max.filter(|m| *m < MAX_GENERATED_LENGTH) {
                out.push(("maxLength", Some(strings::string(max + 1, Some(max + 8)))));
            }
        }
        Some(f) => {
            if min > 0 {
                let short = restrict(formats::valid(f), "long enough", move |s| len(s) < min);
                out.push(("minLength", short));
            }
            if let Some(max) = max {
                let long = restrict(formats::valid(f), "short enough", move |s| {
                    len(s) > max && len(s) >= min
                });
                out.push(("maxLength", long));
            }
            let bad = formats::invalid(f).and_then(|bad| within_lengths(bad, &rules));
            out.push(("format", bad));
        }
    }
    out.into_iter()
        .filter_map(|(keyword, s)| {
            s.map(|s| {
                s.prop_map(move |s| at_root(Value::String(s), keyword))
                    .boxed()
            })
        })
        .collect()
}

fn number_breaks(node: &Node) -> Breaks {
    let rules = node.number;
    let float_ok = node.types.has(JsonType::Number);
    numbers::breaches(&rules)
        .into_iter()
        .filter_map(|b| {
            let region = b.region.safe(!float_ok);
            let values = if float_ok {
                numbers::number_values(region)
            } else {
                numbers::integers(region).map(|s| s.prop_map(Value::from).boxed())
            }?;
            let keyword = b.keyword;
            Some(values.prop_map(move |v| at_root(v, keyword)).boxed())
        })
        .collect()
}

fn array_breaks(node: &Node) -> Result<Breaks, GenError> {
    let rules = &node.array;
    let (min, max) = (rules.min_items, rules.max_items);
    if max.is_some_and(|m| m < min) {
        return Ok(Breaks::new());
    }
    if super::arrays::special(rules) {
        return super::arrays::breaks(node);
    }
    let item = match item_values(node) {
        Err(GenError::Unsatisfiable { .. })
            if rules.items.as_deref().is_some_and(compose::reaches_cut) =>
        {
            return Ok(Breaks::new())
        }
        other => other?,
    };
    let mut out = Breaks::new();
    if min > 0 {
        let short = arrays(item.clone(), 0, Some(min - 1));
        out.push(short.prop_map(|v| at_root(v, "minItems")).boxed());
    }
    if let Some(max) = max.filter(|m| *m < MAX_GENERATED_ITEMS) {
        let long = arrays(item.clone(), max + 1, Some(max + 3));
        out.push(long.prop_map(|v| at_root(v, "maxItems")).boxed());
    }
    let Some(items) = &rules.items else {
        return Ok(out);
    };
    // One bad item among good ones, so the total length still obeys the bounds.
    let hi = max.unwrap_or(min + DEFAULT_ITEM_SPAN);
    if hi == 0 {
        return Ok(out);
    }
    let lo_others = min.max(1) - 1;
    let hi_others = (hi - 1).min(lo_others + 8);
    let others = vec(item, lo_others as usize..=hi_others as usize);
    for broken in invalid(items)? {
        let s = (others.clone(), broken, any::<Index>()).prop_map(|(mut items, inv, at)| {
            let at = at.index(items.len() + 1);
            items.insert(at, inv.value);
            Invalid {
                value: Value::Array(items),
                pointer: format!("/{at}{}", inv.pointer),
                keyword: inv.keyword,
            }
        });
        out.push(s.boxed());
    }
    Ok(out)
}

fn object_breaks(node: &Node) -> Result<Breaks, GenError> {
    let rules = &node.object;
    let plan = Rc::new(object_plan(node)?);
    let tweaked = |tweak: Tweak| {
        TweakedObject {
            plan: plan.clone(),
            tweak,
        }
        .boxed()
    };
    // Grafted defects carry their own pointer and keyword; only a dropped property has none,
    // so `fallback` is what a `Drop` reports.
    let finish = |s: BoxedStrategy<Drawn>, fallback: &'static str| {
        s.prop_map(move |(value, broken)| {
            let (pointer, keyword) = broken.unwrap_or((String::new(), fallback));
            Invalid {
                value,
                pointer,
                keyword,
            }
        })
        .boxed()
    };
    let mut out = Breaks::new();
    for (i, field) in plan.fields.iter().enumerate() {
        if field.required {
            out.push(finish(tweaked(Tweak::Drop(i)), "required"));
        }
        // The declared properties come first, in order; the fields after them are only listed
        // in `required` and have no schema of their own to break.
        if field.values.is_none() {
            continue;
        }
        if let Some((_, sub)) = rules.properties.get(i) {
            for broken in invalid(sub)? {
                out.push(finish(tweaked(Tweak::Break(i, broken)), "type"));
            }
        }
    }
    let names = pattern::free_names(node, &plan.known);
    match (&rules.additional, names) {
        (Additional::Any, _) | (_, None) => {}
        (Additional::Forbidden, Some(names)) => {
            let extra = (names, any_value())
                .prop_map(|(name, value)| Entry {
                    name,
                    value,
                    broken: Some((String::new(), "additionalProperties")),
                })
                .boxed();
            out.push(finish(tweaked(Tweak::Extra(extra)), "additionalProperties"));
        }
        (Additional::Schema(sub), Some(names)) => {
            for broken in invalid(sub)? {
                let extra = (names.clone(), broken)
                    .prop_map(|(name, inv)| Entry {
                        broken: Some((
                            format!("/{}{}", pointer_token(&name), inv.pointer),
                            inv.keyword,
                        )),
                        name,
                        value: inv.value,
                    })
                    .boxed();
                out.push(finish(tweaked(Tweak::Extra(extra)), "type"));
            }
        }
    }
    for member in pattern::member_breaks(node, &plan.known)? {
        let extra = member
            .prop_map(|(name, value, pointer, keyword)| Entry {
                name,
                value,
                broken: Some((pointer, keyword)),
            })
            .boxed();
        out.push(finish(tweaked(Tweak::Extra(extra)), "type"));
    }
    Ok(out)
}

/// Format strategies ignore `minLength`/`maxLength`; this makes them obey, when they must.
fn within_lengths(s: BoxedStrategy<String>, rules: &StringRules) -> Option<BoxedStrategy<String>> {
    if rules.min_length == 0 && rules.max_length.is_none() {
        return Some(s);
    }
    let rules = rules.clone();
    restrict(s, "outside length bounds", move |s| {
        rules.length_ok(s.chars().count() as u64)
    })
}

/// Narrows `s` to values passing `pred`. A cheap filter when most values pass; when few do, the
/// passing values found by a fixed-seed probe (proptest gives up on filters that reject often);
/// `None` when nothing passes.
pub(crate) fn restrict<T, F>(
    s: BoxedStrategy<T>,
    why: &'static str,
    pred: F,
) -> Option<BoxedStrategy<T>>
where
    T: Clone + std::fmt::Debug + PartialEq + 'static,
    F: Fn(&T) -> bool + 'static,
{
    probe_restrict(
        s,
        why,
        pred,
        Probes {
            draws: PROBES,
            settle: None,
            seed: 0x5eed_5eed,
        },
    )
}

/// How [`probe_restrict`] probes: `draws` at most, stopping after `settle` draws that all passed.
pub(crate) struct Probes {
    pub draws: usize,
    pub settle: Option<usize>,
    pub seed: u64,
}

/// [`restrict`] with its probing spelled out.
pub(crate) fn probe_restrict<T, F>(
    s: BoxedStrategy<T>,
    why: &'static str,
    pred: F,
    probes: Probes,
) -> Option<BoxedStrategy<T>>
where
    T: Clone + std::fmt::Debug + PartialEq + 'static,
    F: Fn(&T) -> bool + 'static,
{
    let mut runner = super::runner(probes.seed);
    let (mut drawn, mut hits) = (0usize, Vec::new());
    for probe in 0..probes.draws {
        // Most narrowed strategies are exact already: a few passing draws in a row settle it.
        if Some(probe) == probes.settle && hits.len() == drawn {
            break;
        }
        if let Ok(tree) = s.new_tree(&mut runner) {
            drawn += 1;
            let v = tree.current();
            if pred(&v) && !hits.contains(&v) {
                hits.push(v);
            }
        }
    }
    if hits.is_empty() {
        None
    } else if hits.len() * 2 >= drawn {
        Some(s.prop_filter(why, pred).boxed())
    } else {
        Some(select(hits).boxed())
    }
}
