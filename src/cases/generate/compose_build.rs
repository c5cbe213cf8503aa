//! Strategies for the nodes with `anyOf`, `oneOf` or `not` beside their own rules.
//!
//! A valid value is drawn from one branch merged with the node's own rules, then kept only when
//! the whole node accepts it (a `oneOf` value must match no other branch, a `not` value must not
//! match its schema). That check is ours, so it is made only where it is the validator's verdict
//! ([`exact`]); elsewhere the node is refused rather than risk a value the server may rightly
//! reject.

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::Value;

use super::build::{self, restrict};
use super::checks::{self, Check};
use super::compose::{exact, merge, Extra};
use super::schema::{Node, Types};
use super::{GenError, Invalid};

type Values = BoxedStrategy<Value>;
type Breaks = Vec<BoxedStrategy<Invalid>>;

fn split(node: &Node) -> (Node, Extra) {
    let mut base = node.clone();
    let extra = base.extra.take().map(|e| *e).unwrap_or_default();
    (base, extra)
}

pub(crate) fn valid(node: &Node) -> Result<Values, GenError> {
    let (base, extra) = split(node);
    for group in extra.groups.iter().filter(|g| g.one) {
        if let Some(b) = group.branches.iter().find(|b| !exact(b)) {
            return Err(not_exact(b, "oneOf"));
        }
    }
    if let Some(n) = extra.nots.iter().find(|n| !exact(n)) {
        return Err(not_exact(n, "not"));
    }
    if let Some(c) = extra.conditions.iter().find(|c| !exact(&c.test)) {
        return Err(not_exact(&c.test, "if"));
    }
    let candidates = match extra.groups.first() {
        None => build::valid(&base)?,
        Some(group) => {
            let mut options = Vec::new();
            let mut first_error = None;
            for branch in &group.branches {
                match merge(base.clone(), branch.clone(), &group.pointer)
                    .and_then(|m| build::valid(&m))
                {
                    Ok(s) => options.push(s),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            match first_error {
                Some(e) if options.is_empty() => return Err(e),
                _ => Union::new(options).boxed(),
            }
        }
    };
    let mut candidates = candidates;
    // Values meeting each `if` and `then`, or each `else`, which base values seldom do by chance.
    for c in &extra.conditions {
        let then = c.then.as_ref().map(|then| {
            merge(base.clone(), c.test.clone(), &c.test.pointer)
                .and_then(|m| merge(m, then.clone(), &then.pointer))
        });
        let otherwise = c
            .otherwise
            .as_ref()
            .map(|e| merge(base.clone(), e.clone(), &e.pointer));
        for merged in [then, otherwise].into_iter().flatten() {
            if let Ok(s) = merged.and_then(|m| build::valid(&m)) {
                candidates = Union::new(vec![candidates, s]).boxed();
            }
        }
    }
    for check in &extra.checks {
        if let Check::MultipleOf(m) = check {
            if let Some(multiples) = checks::multiples(&base, *m) {
                candidates = Union::new(vec![candidates, multiples]).boxed();
            }
        }
    }
    let whole = node.clone();
    restrict(candidates, "composition", move |v| whole.accepts(v)).ok_or_else(|| {
        GenError::Unsupported {
            pointer: node.pointer.clone(),
            what: "no value found that satisfies its `anyOf`/`oneOf`/`not` together".to_owned(),
        }
    })
}

fn not_exact(node: &Node, keyword: &str) -> GenError {
    GenError::Unsupported {
        pointer: node.pointer.clone(),
        what: format!(
            "a `{keyword}` schema holding a recursive `$ref` or an open null: which values it excludes cannot be told exactly"
        ),
    }
}

fn at_root(value: Value, keyword: &'static str) -> Invalid {
    Invalid {
        value,
        pointer: String::new(),
        keyword,
    }
}

/// The node's own defects, each still rejected whatever the compositions say; a value its
/// `not` schema accepts; and, for a union, a type no branch admits.
pub(crate) fn invalid(node: &Node) -> Result<Breaks, GenError> {
    let (base, extra) = split(node);
    let mut out = build::invalid(&base)?;
    for check in &extra.checks {
        out.extend(checks::breaks(&base, check));
    }
    for not in &extra.nots {
        if let Ok(s) = merge(base.clone(), not.clone(), &not.pointer).and_then(|m| build::valid(&m))
        {
            out.push(s.prop_map(|v| at_root(v, "not")).boxed());
        }
    }
    for group in &extra.groups {
        // A branch's `type` bounds what it accepts, unless the branch is a cut cycle.
        if group.branches.iter().any(|b| b.cut) {
            continue;
        }
        let mut union = Types::NONE;
        let mut open = false;
        for b in &group.branches {
            union = union.union(b.types);
            open |= b.null_open;
        }
        let mut outside = Node::any(group.pointer.clone());
        outside.types = union;
        outside.null_open = open;
        if let Some(wrong) = build::wrong_types(&outside) {
            let keyword = group.keyword();
            out.push(wrong.prop_map(move |v| at_root(v, keyword)).boxed());
        }
    }
    Ok(out)
}
