//! `pattern`, `patternProperties` and `propertyNames`: strings drawn from an ECMA-262 regular
//! expression, strings one character off it, and the object members those keywords govern.
//!
//! JSON Schema's `pattern` is ECMA-262 and matches anywhere in the string. The validator
//! translates it to Rust syntax with `jsonschema-regex` (`\d` and `\w` ASCII, `\s` ECMA's white
//! space and line terminators, `.` no line terminator) and matches with `fancy-regex`. We parse
//! the same translation with `regex-syntax` to generate, and ask a validator of the one keyword
//! whether a string matches, so our verdict is the validator's own, never an approximation.

use std::rc::Rc;
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;
use regex_syntax::hir::{Class, ClassUnicode, Hir, HirKind, Look};
use serde_json::{json, Value};

use super::schema::{JsonType, Node, MAX_GENERATED_LENGTH};
use super::{strings, GenError, Invalid};

/// Extra repetitions drawn past an unbounded (or very wide) repetition's minimum.
const DEFAULT_SPAN: u32 = 8;
/// The longest shortest match generated: a pattern needing more is refused rather than built,
/// since every repeated piece is a strategy of its own.
const MAX_PATTERN_LENGTH: usize = 10_000;
/// Compiled patterns remembered per thread.
const MAX_REMEMBERED: usize = 4096;
/// Draws made to decide whether a narrowed strategy is worth filtering. Fewer than
/// `build::restrict` makes: every pattern node costs a few of these, and a wide schema has many.
const PROBES: usize = 64;
/// Probes after which a strategy every draw of which passed is taken as it is, with a filter.
const FIRST_PROBES: usize = 8;
/// One-character changes tried on a matching string before giving up on breaking it.
const TRIES: u64 = 48;
/// Characters put in or swapped in to break a pattern: punctuation, a space, letters of both
/// cases, a digit, a non-ASCII letter (which `\w` does not match in ECMA-262) and an ideographic
/// space (which `\s` does).
const BREAK_CHARS: [char; 12] = [
    '!', ' ', 'a', 'Z', '0', '-', '_', '.', '@', 'é', '~', '\u{3000}',
];

/// A compiled `pattern`: the validator's matcher and the parsed expression to generate from.
/// Shared: a node and its clones hold the same one.
#[derive(Clone, Debug)]
pub(crate) struct Pattern(Arc<Compiled>);

#[derive(Debug)]
struct Compiled {
    matcher: jsonschema::Validator,
    hir: Hir,
}

fn malformed(pointer: String, what: String) -> GenError {
    GenError::Malformed { pointer, what }
}

fn unsupported(pointer: String, what: String) -> GenError {
    GenError::Unsupported { pointer, what }
}

impl Pattern {
    /// The `pattern` keyword's value at `at`.
    pub(crate) fn read(value: &Value, at: String) -> Result<Pattern, GenError> {
        match value.as_str() {
            Some(source) => Pattern::compile(source, at),
            None => Err(malformed(at, "`pattern` must be a string".to_owned())),
        }
    }

    /// `source` compiled, or why not: malformed when the validator refuses it, unsupported when
    /// the generator cannot invert it (a lookaround, a backreference, a word boundary).
    pub(crate) fn compile(source: &str, at: String) -> Result<Pattern, GenError> {
        thread_local! {
            /// A schema repeats its patterns (every id field, every `x-` extension), and a
            /// matcher costs more to build than to use.
            static SEEN: std::cell::RefCell<std::collections::HashMap<String, Pattern>> =
                std::cell::RefCell::default();
        }
        if let Some(p) = SEEN.with(|seen| seen.borrow().get(source).cloned()) {
            return Ok(p);
        }
        let p = Pattern::build(source, at)?;
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            if seen.len() >= MAX_REMEMBERED {
                seen.clear();
            }
            seen.insert(source.to_owned(), p.clone());
        });
        Ok(p)
    }

    fn build(source: &str, at: String) -> Result<Pattern, GenError> {
        let matcher = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&json!({ "pattern": source }))
            .map_err(|e| malformed(at.clone(), format!("pattern {source:?} is not valid: {e}")))?;
        let translated = jsonschema_regex::to_rust_regex(source).map_err(|()| {
            malformed(
                at.clone(),
                format!("pattern {source:?} is not an ECMA-262 regular expression"),
            )
        })?;
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(&translated)
            .map_err(|e| unsupported(at.clone(), refusal(source, &translated, &e)))?;
        match hir.properties().minimum_len() {
            None => {
                return Err(GenError::Unsatisfiable {
                    pointer: at,
                    what: format!("pattern {source:?} matches no string"),
                })
            }
            Some(n) if n > MAX_PATTERN_LENGTH => {
                return Err(unsupported(
                    at,
                    format!("pattern {source:?} needs strings too long to generate"),
                ))
            }
            Some(_) => {}
        }
        if let Err(why) = strategy(&hir, DEFAULT_SPAN) {
            return Err(unsupported(
                at,
                format!("pattern {source:?} has {why} the generator cannot invert"),
            ));
        }
        Ok(Pattern(Arc::new(Compiled { matcher, hir })))
    }

    /// Whether the validator finds a match anywhere in `s`.
    pub(crate) fn matches(&self, s: &str) -> bool {
        self.0.matcher.is_valid(&Value::String(s.to_owned()))
    }

    /// Strings built from the expression, unbounded repetitions drawn up to `span` past their
    /// minimum. An unanchored end may get a few arbitrary characters, since a match anywhere is
    /// enough. Not checked against the matcher: callers narrow with [`narrow`].
    fn strings(&self, span: u32) -> BoxedStrategy<String> {
        let hir = &self.0.hir;
        let core = strategy(hir, span).unwrap_or_else(|_| Just(String::new()).boxed());
        let props = hir.properties();
        let pad = |anchored: bool| -> BoxedStrategy<String> {
            if anchored {
                Just(String::new()).boxed()
            } else {
                proptest::option::weighted(0.2, strings::string(1, Some(3)))
                    .prop_map(Option::unwrap_or_default)
                    .boxed()
            }
        };
        let before = pad(props.look_set_prefix().contains(Look::Start));
        let after = pad(props.look_set_suffix().contains(Look::End));
        (before, core, after)
            .prop_map(|(a, b, c)| a + &b + &c)
            .boxed()
    }
}

/// Why `regex-syntax` could not take a pattern the validator accepts.
fn refusal(source: &str, translated: &str, e: &regex_syntax::Error) -> String {
    use regex_syntax::ast::ErrorKind;
    let what = match e {
        regex_syntax::Error::Parse(p) => match p.kind() {
            ErrorKind::UnsupportedLookAround => {
                let at = p.span().start.offset;
                if translated.get(at..).is_some_and(|t| t.starts_with("(?<")) {
                    "a lookbehind"
                } else {
                    "a lookahead"
                }
            }
            ErrorKind::UnsupportedBackreference => "a backreference",
            _ => "syntax",
        },
        _ => "syntax",
    };
    format!("pattern {source:?} has {what} the generator cannot invert")
}

/// A strategy for the strings `hir` matches, or what in it cannot be inverted.
fn strategy(hir: &Hir, span: u32) -> Result<BoxedStrategy<String>, &'static str> {
    Ok(match hir.kind() {
        HirKind::Empty => Just(String::new()).boxed(),
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) => Just(s.to_owned()).boxed(),
            Err(_) => return Err("a literal that is not UTF-8"),
        },
        HirKind::Class(Class::Unicode(class)) => class_chars(class)?,
        HirKind::Class(Class::Bytes(_)) => return Err("a byte class"),
        // Whether a start or end anchor holds is left to the matcher the caller narrows with.
        HirKind::Look(Look::Start | Look::End) => Just(String::new()).boxed(),
        HirKind::Look(Look::StartLF | Look::EndLF | Look::StartCRLF | Look::EndCRLF) => {
            return Err("a line anchor")
        }
        HirKind::Look(_) => return Err("a word boundary"),
        HirKind::Repetition(rep) => {
            let min = rep.min;
            let top = min.saturating_add(span);
            let max = rep.max.map_or(top, |m| m.min(top));
            // Nested repetitions multiply; halving the inner span keeps the product small.
            let sub = strategy(&rep.sub, (span / 2).max(1))?;
            vec(sub, min as usize..=max as usize)
                .prop_map(|parts| parts.concat())
                .boxed()
        }
        HirKind::Capture(cap) => strategy(&cap.sub, span)?,
        HirKind::Concat(parts) => parts
            .iter()
            .map(|p| strategy(p, span))
            .collect::<Result<Vec<_>, _>>()?
            .prop_map(|parts| parts.concat())
            .boxed(),
        HirKind::Alternation(options) => Union::new(
            options
                .iter()
                .map(|o| strategy(o, span))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .boxed(),
    })
}

/// One character of `class`, printable ASCII nine times in ten when the class has any, so that
/// values read well and shrink toward the start of the class.
fn class_chars(class: &ClassUnicode) -> Result<BoxedStrategy<String>, &'static str> {
    let all: Vec<(u32, u32)> = class
        .ranges()
        .iter()
        .map(|r| (u32::from(r.start()), u32::from(r.end())))
        .collect();
    if all.is_empty() {
        return Err("a class that matches no character");
    }
    let ascii: Vec<(u32, u32)> = all
        .iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a.max(0x20), b.min(0x7e));
            (a <= b).then_some((a, b))
        })
        .collect();
    let size =
        |ranges: &[(u32, u32)]| -> u64 { ranges.iter().map(|(a, b)| u64::from(b - a) + 1).sum() };
    let (in_ascii, in_all) = (size(&ascii), size(&all));
    // One range, not a union of two: a union costs a generator of its own per draw, and a
    // string has a class per character. The first nine tenths (each ASCII character nine
    // times) are ASCII, so shrinking toward 0 stays there.
    let ascii_part = 9 * in_ascii;
    Ok((0..ascii_part + in_all)
        .prop_map(move |i| {
            if i < ascii_part {
                nth(&ascii, i / 9)
            } else {
                nth(&all, i - ascii_part)
            }
        })
        .boxed())
}

/// The `i`th character of `ranges`; a surrogate code (a class range may span them) gives the
/// range's first character instead.
fn nth(ranges: &[(u32, u32)], mut i: u64) -> String {
    for &(a, b) in ranges {
        let size = u64::from(b - a) + 1;
        if i < size {
            let c = char::from_u32(a + i as u32).or_else(|| char::from_u32(a));
            return c.map(String::from).unwrap_or_default();
        }
        i -= size;
    }
    String::new()
}

/// Narrows `s` to values passing `pred`, as `build::restrict` does with fewer probes: a filter
/// when most draws pass, the passing draws found by a fixed-seed probe when few do, `None` when
/// none does.
pub(crate) fn narrow<T, F>(
    s: BoxedStrategy<T>,
    why: &'static str,
    pred: F,
) -> Option<BoxedStrategy<T>>
where
    T: Clone + std::fmt::Debug + PartialEq + 'static,
    F: Fn(&T) -> bool + 'static,
{
    let probes = super::build::Probes {
        draws: PROBES,
        settle: Some(FIRST_PROBES),
        seed: 0x0bad_5eed,
    };
    super::build::probe_restrict(s, why, pred, probes)
}

/// Unbounded repetitions reach a `minLength` they would otherwise rarely meet.
fn span_for(min_length: u64) -> u32 {
    DEFAULT_SPAN.max(min_length.min(u64::from(u32::MAX / 4)) as u32)
}

/// `node`'s string rules as a predicate, with `edit` applied to a copy first (to lift a rule).
fn string_check(node: &Node, edit: impl FnOnce(&mut Node)) -> impl Fn(&String) -> bool + 'static {
    let mut rules = node.clone();
    rules.types = super::schema::Types::ANY;
    rules.enumeration = None;
    rules.constant = None;
    edit(&mut rules);
    move |s: &String| rules.accepts_ignoring_choices(&Value::String(s.clone()))
}

/// Strings of a node with a `pattern` that obey all its string rules: drawn from the pattern,
/// or, for a `format` whose strings the pattern rarely spells (a date-time pattern drawing
/// month 37), drawn by `without_pattern` for the node less its pattern and kept when they match.
pub(crate) fn valid_values(
    node: &Node,
    without_pattern: impl Fn(&Node) -> Option<BoxedStrategy<Value>>,
) -> Option<BoxedStrategy<Value>> {
    if let Some(s) = valid_strings(node) {
        return Some(s.prop_map(Value::String).boxed());
    }
    let pattern = node.string.pattern.clone()?;
    node.string.format?;
    let mut plain = node.clone();
    plain.string.pattern = None;
    narrow(
        without_pattern(&plain)?,
        "does not match the pattern",
        move |v| v.as_str().is_some_and(|s| pattern.matches(s)),
    )
}

/// Strings of a node with a `pattern` that obey all its string rules, drawn from the pattern.
pub(crate) fn valid_strings(node: &Node) -> Option<BoxedStrategy<String>> {
    let pattern = node.string.pattern.as_ref()?;
    let ok = string_check(node, |_| {});
    narrow(
        pattern.strings(span_for(node.string.min_length)),
        "does not match the pattern",
        ok,
    )
}

/// `s` with one character replaced, removed, added or put in the other case so that `ok` holds, tried in an order
/// `key` picks; `None` when none of the tries does.
pub(crate) fn one_char_off(s: &str, key: u64, ok: impl Fn(&String) -> bool) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as u64;
    for t in 0..TRIES {
        let r = super::mix(key ^ t.wrapping_mul(0x9e37_79b9));
        let at = ((r >> 8) % (n + 1)) as usize;
        let c = BREAK_CHARS[((r >> 32) % BREAK_CHARS.len() as u64) as usize];
        let mut v = chars.clone();
        match r % 4 {
            0 if at < v.len() => v[at] = c,
            1 if at < v.len() => {
                v.remove(at);
            }
            // A letter in the other case: what `T` and `t` in a date-time differ by.
            2 if at < v.len() && v[at].is_ascii_alphabetic() => v[at] = flip_case(v[at]),
            _ => v.insert(at, c),
        }
        let candidate: String = v.into_iter().collect();
        if ok(&candidate) {
            return Some(candidate);
        }
    }
    None
}

fn flip_case(c: char) -> char {
    if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

/// What breaks only the pattern: every other string rule holds, the pattern finds no match.
fn pattern_break_check(node: &Node) -> impl Fn(&String) -> bool + 'static {
    let pattern = node.string.pattern.clone();
    let rest = string_check(node, |n| n.string.pattern = None);
    move |s: &String| rest(s) && pattern.as_ref().is_some_and(|p| !p.matches(s))
}

/// The single-defect strings of a node with a `pattern`: too short or too long but matching,
/// and matching but for one character. A value that matches and breaks only the `format` is not
/// built: a format generator knows nothing of the pattern.
pub(crate) fn string_breaks(node: &Node) -> Vec<BoxedStrategy<Invalid>> {
    let Some(pattern) = &node.string.pattern else {
        return Vec::new();
    };
    let (min, max) = (node.string.min_length, node.string.max_length);
    let len = |s: &String| s.chars().count() as u64;
    let mut out: Vec<(&'static str, Option<BoxedStrategy<String>>)> = Vec::new();
    if min > 0 {
        let free = string_check(node, |n| n.string.min_length = 0);
        let short = narrow(pattern.strings(span_for(min)), "long enough", move |s| {
            len(s) < min && free(s)
        });
        out.push(("minLength", short));
    }
    if let Some(max) = max.filter(|m| *m < MAX_GENERATED_LENGTH) {
        let free = string_check(node, |n| n.string.max_length = None);
        let long = narrow(
            pattern.strings(span_for(max + 8)),
            "short enough",
            move |s| len(s) > max && free(s),
        );
        out.push(("maxLength", long));
    }
    let good = valid_strings(node).or_else(|| {
        let any = super::build::valid(node).ok()?;
        let strings = any.prop_map(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        });
        narrow(strings.boxed(), "not a string", Option::is_some)
            .map(|s| s.prop_filter_map("not a string", |s| s).boxed())
    });
    if let Some(good) = good {
        let ok = Rc::new(pattern_break_check(node));
        let offs = (good, any::<u64>())
            .prop_map(move |(s, key)| one_char_off(&s, key, |t| ok(t)))
            .boxed();
        let off = narrow(offs, "no one-character break", |o: &Option<String>| {
            o.is_some()
        })
        .map(|s| s.prop_filter_map("no one-character break", |o| o).boxed());
        out.push(("pattern", off));
    }
    out.into_iter()
        .filter_map(|(keyword, s)| {
            s.map(|s| {
                s.prop_map(move |s| Invalid {
                    value: Value::String(s),
                    pointer: String::new(),
                    keyword,
                })
                .boxed()
            })
        })
        .collect()
}

/// A string `schema` accepts, drawn from its `pattern` with `seed`, and that string one
/// character off, breaking only the pattern. `None` when the schema has no pattern, has an
/// `enum` or `const` (their own cases cover it), or is one the generator refuses.
pub fn pattern_pair(schema: &Value, seed: u64) -> Option<(String, Option<String>)> {
    let node = super::schema::read(schema).ok()?;
    if node.string.pattern.is_none()
        || !node.types.has(JsonType::String)
        || node.enumeration.is_some()
        || node.constant.is_some()
    {
        return None;
    }
    let drawn = super::sample(&super::build::valid(&node).ok()?, seed, 16).ok()?;
    let good = drawn.into_iter().find_map(|v| match v {
        Value::String(s) if node.accepts(&Value::String(s.clone())) => Some(s),
        _ => None,
    })?;
    let bad = one_char_off(&good, seed, pattern_break_check(&node));
    Some((good, bad))
}

mod objects;
pub(crate) use objects::{declared_values, extras, free_names, member_breaks, member_values};

#[cfg(test)]
mod tests;
