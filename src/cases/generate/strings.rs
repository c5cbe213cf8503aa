//! String strategies: hostile Unicode, lengths that hug the bounds, shrinking toward short ASCII.
//!
//! A string is drawn as a list of text units plus a length selector, and is the units repeated
//! to that length. Both halves shrink independently: the unit list loses units and each unit
//! drifts toward `'a'`, then the length selector falls toward the minimum. A failure caused by
//! one character therefore shrinks to that character alone.

use std::collections::HashSet;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Resolution of the length selector; finer is pointless since pieces are few.
const SELECTOR_SCALE: u32 = 1000;
/// How far past the minimum an unbounded string may reach.
const LONG_TAIL: u64 = 2048;
/// Distinct units per string; longer strings repeat them.
const MAX_UNITS: usize = 64;

/// The kinds of text unit, simplest first, with their weights: shrinking walks toward the first.
const CATEGORIES: &[(u32, Members)] = &[
    (200, Members::Range('a', 'z')),
    (100, Members::Range(' ', '~')),
    (
        60,
        Members::List(&[
            '"', '\\', '\'', '<', '>', '&', '/', '`', '{', '}', '%', '$', '#', ';',
        ]),
    ),
    (60, Members::Controls),
    (20, Members::Range('\u{a0}', '\u{17f}')),
    (40, Members::Range('\u{300}', '\u{36f}')),
    (13, Members::Range('\u{5d0}', '\u{5ea}')),
    (13, Members::Range('\u{621}', '\u{64a}')),
    (
        14,
        Members::List(&[
            '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}',
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ]),
    ),
    (
        20,
        Members::List(&[
            '\u{200b}', '\u{200c}', '\u{200d}', '\u{feff}', '\u{2028}', '\u{2029}', '\u{fffd}',
            '\u{fffe}', '\u{ffff}', '\u{ad}', '\u{85}', '\u{a0}', '\u{3000}',
        ]),
    ),
    (20, Members::Range('\u{4e00}', '\u{9fff}')),
    (15, Members::Range('\u{1f600}', '\u{1f64f}')),
    (15, Members::Range('\u{1f300}', '\u{1f5ff}')),
    (15, Members::Range('\u{20000}', '\u{2a6df}')),
    (
        15,
        Members::List(&[
            '\u{10000}',
            '\u{1d11e}',
            '\u{1f3fb}',
            '\u{e0001}',
            '\u{10ffff}',
        ]),
    ),
    (20, Members::AnyChar),
    (
        32,
        Members::Clusters(&[
            "e\u{301}",
            "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}",
            "\u{1f1fa}\u{1f1f8}",
            "\u{1f44d}\u{1f3fd}",
            "\r\n",
            "\u{5e9}\u{5c1}\u{5b8}",
            "a\u{30a}\u{301}\u{323}",
        ]),
    ),
];

/// What a category holds.
enum Members {
    Range(char, char),
    List(&'static [char]),
    /// U+0001 to U+001F and U+007F: what JSON must escape, and DEL. U+0000 is left out: a
    /// careful server may refuse it (PostgreSQL's `text` cannot hold it, and Django REST
    /// framework refuses it by default), so it is a derived case of its own, unspecified.
    Controls,
    /// Any Unicode scalar value but U+0000.
    AnyChar,
    Clusters(&'static [&'static str]),
}

/// A text unit, borrowed from the tables: drawing one allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Char(char),
    Cluster(&'static str),
}

impl Unit {
    fn chars(self) -> impl Iterator<Item = char> {
        let (one, many) = match self {
            Unit::Char(c) => (Some(c), ""),
            Unit::Cluster(s) => (None, s),
        };
        one.into_iter().chain(many.chars())
    }
}

impl Members {
    fn len(&self) -> u64 {
        match self {
            Members::Range(lo, hi) => u64::from(*hi as u32 - *lo as u32) + 1,
            Members::List(l) => l.len() as u64,
            Members::Controls => 32,
            Members::AnyChar => 0x11_0000 - 0x800 - 1,
            Members::Clusters(c) => c.len() as u64,
        }
    }

    fn get(&self, i: u64) -> Unit {
        let c = match self {
            Members::Range(lo, _) => char::from_u32(*lo as u32 + i as u32),
            Members::List(l) => l.get(i as usize).copied(),
            Members::Controls => char::from_u32(if i < 31 { i as u32 + 1 } else { 0x7f }),
            // Skip U+0000 and the surrogates, which are not scalar values.
            Members::AnyChar => {
                let i = i + 1;
                char::from_u32(if i < 0xd800 { i } else { i + 0x800 } as u32)
            }
            Members::Clusters(c) => return Unit::Cluster(c.get(i as usize).map_or("a", |s| s)),
        };
        Unit::Char(c.unwrap_or('a'))
    }
}

/// The length of the unit number line; each category gets a share by weight.
const UNIT_SCALE: u64 = 1 << 30;

/// Where each category starts on the line, and how long its share is.
static SPANS: std::sync::LazyLock<Vec<(u64, u64)>> = std::sync::LazyLock::new(|| {
    let total: u64 = CATEGORIES.iter().map(|(w, _)| u64::from(*w)).sum();
    let mut start = 0;
    CATEGORIES
        .iter()
        .map(|(weight, _)| {
            let span = UNIT_SCALE * u64::from(*weight) / total;
            start += span;
            (start - span, span)
        })
        .collect()
});

/// The unit at point `x` of the number line.
pub(crate) fn unit_at(x: u64) -> Unit {
    for ((start, span), (_, members)) in SPANS.iter().zip(CATEGORIES) {
        if x < start + span {
            return members.get((x - start) * members.len() / span);
        }
    }
    Unit::Char('a')
}

/// One character (or a short cluster) chosen for how often it breaks parsers, escapers and
/// length checks, as a point on a number line laid out simplest first: drawing costs one random
/// number, and shrinking is a binary search toward `'a'`.
pub(crate) fn unit() -> impl Strategy<Value = u64> + Clone {
    0..UNIT_SCALE
}

/// `len` code points of the units at `points`, repeated as often as needed.
fn repeat_units(points: &[u64], len: usize) -> String {
    let units: Vec<Unit> = points.iter().map(|&x| unit_at(x)).collect();
    units
        .iter()
        .cycle()
        .flat_map(|u| u.chars())
        .take(len)
        .collect()
}

/// Strings whose length in code points lies in `min..=max`, leaning toward both ends.
pub(crate) fn string(min: u64, max: Option<u64>) -> BoxedStrategy<String> {
    let pieces = length_pieces(min, max);
    let top = pieces.last().map_or(min, |p| p.hi);
    if top == 0 {
        return Just(String::new()).boxed();
    }
    let units = vec(unit(), 1..=(top.min(MAX_UNITS as u64) as usize));
    (units, 0..SELECTOR_SCALE)
        .prop_map(move |(points, selector)| {
            repeat_units(&points, pick_length(&pieces, selector) as usize)
        })
        .boxed()
}

#[derive(Clone, Copy, Debug)]
struct Piece {
    share: u32,
    lo: u64,
    hi: u64,
}

/// Slices of the selector range, mapped to length ranges in increasing order so that a smaller
/// selector never means a longer string: that is what lets shrinking find the shortest failure.
fn length_pieces(min: u64, max: Option<u64>) -> Vec<Piece> {
    let cap = min.saturating_add(LONG_TAIL);
    let raw = match max {
        Some(max) if max <= cap => vec![
            (200, min, min),
            (150, min, min.saturating_add(2)),
            (300, min.saturating_add(2), max.saturating_sub(2)),
            (150, max.saturating_sub(2), max),
            (200, max, max),
        ],
        _ => vec![
            (200, min, min),
            (150, min, min.saturating_add(2)),
            (450, min.saturating_add(2), min.saturating_add(64)),
            (200, min.saturating_add(64), cap),
        ],
    };
    let top = max.map_or(cap, |m| m.min(cap)).max(min);
    let mut floor = min;
    raw.into_iter()
        .map(|(share, lo, hi)| {
            let lo = lo.clamp(floor, top);
            let hi = hi.clamp(lo, top);
            floor = hi;
            Piece { share, lo, hi }
        })
        .collect()
}

fn pick_length(pieces: &[Piece], selector: u32) -> u64 {
    let mut start = 0;
    for piece in pieces {
        if selector < start + piece.share {
            let offset = u128::from(selector - start);
            let span = u128::from(piece.hi - piece.lo);
            let steps = u128::from(piece.share.saturating_sub(1).max(1));
            return piece.lo + (span * offset / steps) as u64;
        }
        start += piece.share;
    }
    pieces.last().map_or(0, |p| p.hi)
}

/// Keys a JavaScript server may refuse in any body, as Fastify's prototype-poisoning guard does:
/// no generated body carries them as unknown properties (the derived `body::prototype_keys`
/// case sends them, unspecified).
pub const PROTOTYPE_KEYS: &[&str] = &["__proto__", "constructor", "prototype"];

/// Property names that are not in `known`: classic troublemakers, near-misses of the known
/// names (case, separators, stray whitespace), and arbitrary Unicode. Never one of
/// [`PROTOTYPE_KEYS`].
pub(crate) fn unknown_name(known: &[String]) -> BoxedStrategy<String> {
    // Sets, not list scans: with thousands of properties a scan per name is quadratic.
    let taken: HashSet<String> = known
        .iter()
        .cloned()
        .chain(PROTOTYPE_KEYS.iter().map(|k| (*k).to_owned()))
        .collect();
    let fresh = |list: Vec<String>| -> Vec<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut out: Vec<String> = Vec::new();
        for name in list {
            if !taken.contains(&name) && seen.insert(name.clone()) {
                out.push(name);
            }
        }
        out
    };
    let classic = fresh(
        ["extra", "unexpected", "", "$ref", "null", "0"]
            .map(str::to_owned)
            .to_vec(),
    );
    let near = fresh(known.iter().flat_map(|k| near_misses(k)).collect());
    let random = string(1, Some(12))
        .prop_filter("name collides with a declared or prototype key", move |n| {
            !taken.contains(n)
        })
        .boxed();
    let mut options: Vec<(u32, BoxedStrategy<String>)> = Vec::new();
    if !classic.is_empty() {
        options.push((3, select(classic).boxed()));
    }
    if !near.is_empty() {
        options.push((3, select(near).boxed()));
    }
    options.push((4, random));
    proptest::strategy::Union::new_weighted(options).boxed()
}

fn near_misses(name: &str) -> Vec<String> {
    let mut out = vec![
        name.to_uppercase(),
        format!("{name} "),
        format!(" {name}"),
        format!("{name}\u{200b}"),
        name.replace('_', "-"),
        name.replace('_', ""),
    ];
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        out.push(first.to_uppercase().chain(chars).collect());
    }
    // snake_case <-> camelCase, the commonest client/server mismatch.
    let mut camel = String::new();
    let mut upper_next = false;
    for c in name.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            camel.extend(c.to_uppercase());
            upper_next = false;
        } else {
            camel.push(c);
        }
    }
    out.push(camel);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_selector_is_monotone_and_hits_bounds() {
        for (min, max) in [
            (0, Some(0)),
            (0, Some(1)),
            (0, Some(55)),
            (3, Some(5)),
            (7, None),
        ] {
            let pieces = length_pieces(min, max);
            let lengths: Vec<u64> = (0..SELECTOR_SCALE)
                .map(|s| pick_length(&pieces, s))
                .collect();
            assert!(lengths.windows(2).all(|w| w[0] <= w[1]), "{min} {max:?}");
            assert_eq!(lengths[0], min);
            if let Some(max) = max {
                assert_eq!(*lengths.last().unwrap(), max);
                assert!(lengths.iter().all(|l| *l <= max));
            }
        }
    }
}
