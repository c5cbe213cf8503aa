//! The members of an object that `patternProperties` and `propertyNames` govern.
//!
//! A member's name picks its schemas: every `patternProperties` pattern it matches (besides its
//! `properties` entry, if any), and `additionalProperties` only when neither names it. Every
//! name obeys `propertyNames`. So the values of undeclared members are drawn for each source at
//! once, and the name drawn picks among them.

use std::collections::HashSet;
use std::rc::Rc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::Value;

use super::super::build::{any_value, invalid, valid};
use super::super::schema::{Additional, Node, ObjectRules};
use super::super::strings::{self, PROTOTYPE_KEYS};
use super::super::GenError;
use super::{narrow, Pattern, DEFAULT_SPAN};
use crate::contract::pointer_token;

type Values = BoxedStrategy<Value>;

/// A member added to an object with one defect: its name, its value, where the defect sits
/// relative to the object, and the keyword broken.
pub(crate) type Member = (String, Value, String, &'static str);

fn governed(rules: &ObjectRules) -> bool {
    !rules.patterns.is_empty() || rules.names.is_some()
}

/// Where the values of undeclared members come from.
#[derive(Debug)]
struct Sources {
    patterns: Vec<(Pattern, Node)>,
    names: Option<Node>,
    taken: HashSet<String>,
    /// One value for each pattern's schema, then one for `additionalProperties`; `None` where
    /// there is no valid value (or no additional member is allowed).
    draws: BoxedStrategy<Vec<Option<Value>>>,
}

impl Sources {
    fn new(node: &Node, known: &[String]) -> Sources {
        let rules = &node.object;
        let mut draws: Vec<BoxedStrategy<Option<Value>>> = rules
            .patterns
            .iter()
            .map(|(_, sub)| optional(valid(sub).ok()))
            .collect();
        draws.push(optional(additional_values(rules)));
        Sources {
            patterns: rules.patterns.clone(),
            names: rules.names.as_deref().cloned(),
            taken: known
                .iter()
                .cloned()
                .chain(PROTOTYPE_KEYS.iter().map(|k| (*k).to_owned()))
                .collect(),
            draws: draws.boxed(),
        }
    }

    /// Whether `name` may be an undeclared member: not declared, not a prototype key, and
    /// accepted by `propertyNames`.
    fn free(&self, name: &str) -> bool {
        !self.taken.contains(name) && self.names_ok(name)
    }

    fn names_ok(&self, name: &str) -> bool {
        self.names
            .as_ref()
            .is_none_or(|n| n.accepts(&Value::String(name.to_owned())))
    }

    fn matching(&self, name: &str) -> Vec<usize> {
        (0..self.patterns.len())
            .filter(|&i| self.patterns[i].0.matches(name))
            .collect()
    }

    /// The value drawn for a member named `name`: from the first pattern it matches, if that
    /// value satisfies every pattern it matches, else from `additionalProperties`.
    fn pick(&self, name: &str, drawn: &[Option<Value>]) -> Option<Value> {
        let matching = self.matching(name);
        match matching.first() {
            Some(&i) => {
                let v = drawn.get(i).cloned().flatten()?;
                matching
                    .iter()
                    .all(|&j| self.patterns[j].1.accepts(&v))
                    .then_some(v)
            }
            None => drawn.get(self.patterns.len()).cloned().flatten(),
        }
    }
}

fn optional(values: Option<Values>) -> BoxedStrategy<Option<Value>> {
    match values {
        Some(v) => v.prop_map(Some).boxed(),
        None => Just(None).boxed(),
    }
}

fn additional_values(rules: &ObjectRules) -> Option<Values> {
    match &rules.additional {
        Additional::Any => Some(any_value()),
        Additional::Schema(extra) => valid(extra).ok(),
        Additional::Forbidden => None,
    }
}

/// Names for members no pattern governs: drawn from `propertyNames` when there is one, else the
/// usual unknown names.
fn plain_names(node: &Node, known: &[String]) -> BoxedStrategy<String> {
    let from_names = node
        .object
        .names
        .as_deref()
        .and_then(|n| valid(n).ok())
        .map(|v| {
            v.prop_filter_map("a name is a string", |v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .boxed()
        });
    from_names.unwrap_or_else(|| strings::unknown_name(known))
}

/// A declared property's values, narrowed to those every pattern matching its name accepts.
pub(crate) fn declared_values(
    node: &Node,
    name: &str,
    required: bool,
    values: Values,
) -> Result<Values, GenError> {
    let rules = &node.object;
    if !governed(rules) {
        return Ok(values);
    }
    if let Some(names) = &rules.names {
        if !names.accepts(&Value::String(name.to_owned())) {
            let pointer = node.keyword_pointer("propertyNames");
            let what = format!("property \"{name}\" is declared but its name breaks propertyNames");
            return Err(if required {
                GenError::Unsatisfiable { pointer, what }
            } else {
                GenError::Unsupported { pointer, what }
            });
        }
    }
    let matching: Vec<Node> = rules
        .patterns
        .iter()
        .filter(|(p, _)| p.matches(name))
        .map(|(_, sub)| sub.clone())
        .collect();
    if matching.is_empty() {
        return Ok(values);
    }
    narrow(
        values,
        "a matching patternProperties schema refuses it",
        move |v| matching.iter().all(|m| m.accepts(v)),
    )
    .ok_or_else(|| GenError::Unsatisfiable {
        pointer: node.keyword_pointer("patternProperties"),
        what: format!("no value of \"{name}\" found that its patternProperties also accept"),
    })
}

/// The values of a required property `properties` does not declare, when `patternProperties`
/// or `propertyNames` has a say; `None` leaves it to `additionalProperties`.
pub(crate) fn member_values(node: &Node, name: &str) -> Result<Option<Values>, GenError> {
    if !governed(&node.object) {
        return Ok(None);
    }
    let sources = Rc::new(Sources::new(node, &[]));
    if !sources.names_ok(name) {
        return Err(GenError::Unsatisfiable {
            pointer: node.keyword_pointer("required"),
            what: format!("required property \"{name}\" breaks propertyNames"),
        });
    }
    if sources.matching(name).is_empty() {
        return Ok(None);
    }
    let owned = name.to_owned();
    let s = sources.clone();
    let picked = sources
        .draws
        .clone()
        .prop_map(move |d| s.pick(&owned, &d))
        .boxed();
    let values = narrow(
        picked,
        "no value fits every matching pattern",
        Option::is_some,
    )
    .map(|s| s.prop_filter_map("no value", |v| v).boxed());
    values.map(Some).ok_or_else(|| GenError::Unsatisfiable {
        pointer: node.keyword_pointer("patternProperties"),
        what: format!("no value of required \"{name}\" found that its patternProperties accept"),
    })
}

/// The undeclared members drawn into a valid object, when `patternProperties` or
/// `propertyNames` governs them; `None` leaves them to the caller's usual extras.
pub(crate) fn extras(node: &Node, known: &[String]) -> Option<BoxedStrategy<Vec<(String, Value)>>> {
    let rules = &node.object;
    if !governed(rules) {
        return None;
    }
    let sources = Rc::new(Sources::new(node, known));
    let mut names: Vec<BoxedStrategy<String>> = rules
        .patterns
        .iter()
        .map(|(p, _)| p.strings(DEFAULT_SPAN))
        .collect();
    if !matches!(rules.additional, Additional::Forbidden) {
        names.push(plain_names(node, known));
    }
    if names.is_empty() {
        return Some(Just(Vec::new()).boxed());
    }
    let s = sources.clone();
    let members = (Union::new(names), sources.draws.clone())
        .prop_map(move |(name, drawn)| {
            let value = s.pick(&name, &drawn).filter(|_| s.free(&name))?;
            Some((name, value))
        })
        .boxed();
    let Some(member) = narrow(members, "no member fits", Option::is_some) else {
        return Some(Just(Vec::new()).boxed());
    };
    let member = member.prop_filter_map("no member", |m| m);
    Some(
        proptest::option::weighted(0.2, vec(member, 1..=2))
            .prop_map(Option::unwrap_or_default)
            .boxed(),
    )
}

/// Names that only `additionalProperties` governs, for its breaks: not declared, matched by no
/// pattern, accepted by `propertyNames`. `None` when none is found.
pub(crate) fn free_names(node: &Node, known: &[String]) -> Option<BoxedStrategy<String>> {
    if !governed(&node.object) {
        return Some(strings::unknown_name(known));
    }
    let sources = Sources::new(node, known);
    narrow(
        plain_names(node, known),
        "a pattern or propertyNames governs it",
        move |n| sources.free(n) && sources.matching(n).is_empty(),
    )
}

/// Members that break one rule of `patternProperties` or `propertyNames`: a name a pattern
/// matches with a value that breaks that pattern's schema, and a name that breaks
/// `propertyNames` with a value its other rules accept.
pub(crate) fn member_breaks(
    node: &Node,
    known: &[String],
) -> Result<Vec<BoxedStrategy<Member>>, GenError> {
    let rules = &node.object;
    let mut out = Vec::new();
    if !governed(rules) {
        return Ok(out);
    }
    let sources = Rc::new(Sources::new(node, known));
    for (i, (pattern, sub)) in rules.patterns.iter().enumerate() {
        for broken in invalid(sub)? {
            let s = sources.clone();
            let members = (pattern.strings(DEFAULT_SPAN), broken)
                .prop_map(move |(name, inv)| {
                    // Another pattern matching the name must accept the value, so that only
                    // this pattern's schema is broken.
                    let others_ok = s
                        .matching(&name)
                        .iter()
                        .all(|&j| j == i || s.patterns[j].1.accepts(&inv.value));
                    (s.free(&name) && others_ok).then(|| {
                        let at = format!("/{}{}", pointer_token(&name), inv.pointer);
                        (name, inv.value, at, inv.keyword)
                    })
                })
                .boxed();
            if let Some(m) = narrow(members, "no member breaks only it", Option::is_some) {
                out.push(m.prop_filter_map("no member", |m| m).boxed());
            }
        }
    }
    let Some(names) = &rules.names else {
        return Ok(out);
    };
    for broken in invalid(names)? {
        let s = sources.clone();
        let members = (broken, sources.draws.clone())
            .prop_map(move |(inv, drawn)| {
                let Value::String(name) = inv.value else {
                    return None;
                };
                if s.taken.contains(&name) {
                    return None;
                }
                let value = s.pick(&name, &drawn)?;
                Some((name, value, String::new(), "propertyNames"))
            })
            .boxed();
        if let Some(m) = narrow(
            members,
            "no name breaks only propertyNames",
            Option::is_some,
        ) {
            out.push(m.prop_filter_map("no member", |m| m).boxed());
        }
    }
    Ok(out)
}
