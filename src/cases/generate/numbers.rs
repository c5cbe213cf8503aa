//! Numeric strategies: values inside (or just outside) `minimum`/`maximum`/`exclusive*` bounds,
//! leaning on the boundaries where off-by-one bugs live.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use super::schema::NumberRules;

/// Half-width of the uniform window; wider windows only add digits, not bugs.
const WINDOW: f64 = 1e6;
/// Magnitudes that overflow common server-side integer and float types.
const NOTABLE_INTS: &[i64] = &[
    0,
    1,
    -1,
    i32::MAX as i64,
    i32::MAX as i64 + 1,
    i32::MIN as i64,
    i32::MIN as i64 - 1,
    u32::MAX as i64,
    u32::MAX as i64 + 1,
    (1 << 53) - 1,
    1 << 53,
    (1 << 53) + 1,
    -(1 << 53) - 1,
    i64::MAX,
    i64::MIN,
];
const NOTABLE_FLOATS: &[f64] = &[
    0.0,
    1.0,
    -1.0,
    0.1,
    0.5,
    -0.5,
    1e-9,
    1.5,
    1e15,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
];

/// The largest magnitude every JSON parser reads exactly: RFC 7493 2.2 (I-JSON) calls integers
/// beyond ±(2^53−1) not interoperable, as RFC 8259 6 warns. Generated values stay inside.
pub const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Whether `v` is a number outside ±(2^53−1), which a correct server may refuse or misread.
pub fn beyond_safe(v: &serde_json::Number) -> bool {
    match (v.as_i64(), v.as_u64(), v.as_f64()) {
        (Some(i), _, _) => i.unsigned_abs() > MAX_SAFE as u64,
        (_, Some(u), _) => u > MAX_SAFE as u64,
        (_, _, Some(f)) => f.abs() > MAX_SAFE,
        _ => true,
    }
}

/// Whether any number inside `v` (at any depth) is [`beyond_safe`].
pub fn has_unsafe_number(v: &Value) -> bool {
    match v {
        Value::Number(n) => beyond_safe(n),
        Value::Array(items) => items.iter().any(has_unsafe_number),
        Value::Object(map) => map.values().any(has_unsafe_number),
        _ => false,
    }
}

/// A real interval; infinite ends stand for "unbounded".
#[derive(Clone, Copy, Debug)]
pub(crate) struct Interval {
    pub lo: f64,
    pub lo_open: bool,
    pub hi: f64,
    pub hi_open: bool,
}

impl Interval {
    pub(crate) fn contains(&self, x: f64) -> bool {
        x.is_finite()
            && (if self.lo_open {
                x > self.lo
            } else {
                x >= self.lo
            })
            && (if self.hi_open {
                x < self.hi
            } else {
                x <= self.hi
            })
    }

    /// The valid values under `rules`; of two lower (upper) bounds, the stricter wins.
    pub(crate) fn of(rules: &NumberRules) -> Interval {
        let (lo, lo_open) = match (rules.minimum, rules.exclusive_minimum) {
            (Some(m), Some(e)) if e >= m => (e, true),
            (Some(m), _) => (m, false),
            (None, Some(e)) => (e, true),
            (None, None) => (f64::NEG_INFINITY, true),
        };
        let (hi, hi_open) = match (rules.maximum, rules.exclusive_maximum) {
            (Some(m), Some(e)) if e <= m => (e, true),
            (Some(m), _) => (m, false),
            (None, Some(e)) => (e, true),
            (None, None) => (f64::INFINITY, true),
        };
        Interval {
            lo,
            lo_open,
            hi,
            hi_open,
        }
    }

    /// The part inside ±(2^53−1), where there is one (an integer one for `integer`); else the
    /// interval as it is, whose values then make their cases unspecified.
    pub(crate) fn safe(self, integer: bool) -> Interval {
        self.safe_part(integer).unwrap_or(self)
    }

    /// The part inside ±(2^53−1), if it holds a value (an integer one for `integer`).
    pub(crate) fn safe_part(self, integer: bool) -> Option<Interval> {
        let inside = self.intersect(Interval {
            lo: -MAX_SAFE,
            lo_open: false,
            hi: MAX_SAFE,
            hi_open: false,
        });
        let some = if integer {
            inside.integers().is_some()
        } else {
            inside.lo < inside.hi || (inside.lo == inside.hi && inside.contains(inside.lo))
        };
        some.then_some(inside)
    }

    /// Both intervals at once: the stricter end wins on each side.
    pub(crate) fn intersect(self, other: Interval) -> Interval {
        let (lo, lo_open) = if other.lo > self.lo || (other.lo == self.lo && other.lo_open) {
            (other.lo, other.lo_open)
        } else {
            (self.lo, self.lo_open)
        };
        let (hi, hi_open) = if other.hi < self.hi || (other.hi == self.hi && other.hi_open) {
            (other.hi, other.hi_open)
        } else {
            (self.hi, self.hi_open)
        };
        Interval {
            lo,
            lo_open,
            hi,
            hi_open,
        }
    }

    /// The integers inside, if any (saturating at the `i64` range).
    pub(crate) fn integers(&self) -> Option<(i64, i64)> {
        let lo = if self.lo.is_infinite() {
            i64::MIN
        } else if self.lo_open {
            to_i64((self.lo.floor() as i128).saturating_add(1))
        } else {
            to_i64(self.lo.ceil() as i128)
        };
        let hi = if self.hi.is_infinite() {
            i64::MAX
        } else if self.hi_open {
            to_i64((self.hi.ceil() as i128).saturating_sub(1))
        } else {
            to_i64(self.hi.floor() as i128)
        };
        (lo <= hi && self.contains(lo as f64) && self.contains(hi as f64)).then_some((lo, hi))
    }
}

fn to_i64(x: i128) -> i64 {
    x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// One way to break exactly one numeric keyword: the keyword and where its violators live.
pub(crate) struct Breach {
    pub keyword: &'static str,
    pub region: Interval,
}

/// For each bound present, the values that violate it while honouring every other bound.
pub(crate) fn breaches(rules: &NumberRules) -> Vec<Breach> {
    let inf = f64::INFINITY;
    let valid = Interval::of(rules);
    // A lower-bound breach must still respect the upper bounds, and vice versa.
    let upper = Interval {
        lo: -inf,
        lo_open: true,
        ..valid
    };
    let lower = Interval {
        hi: inf,
        hi_open: true,
        ..valid
    };
    let mut out = Vec::new();
    if let Some(m) = rules.minimum {
        let region = Interval {
            lo: rules.exclusive_minimum.unwrap_or(-inf),
            lo_open: true,
            hi: m,
            hi_open: true,
        };
        out.push(Breach {
            keyword: "minimum",
            region: region.intersect(upper),
        });
    }
    if let Some(e) = rules.exclusive_minimum {
        let region = Interval {
            lo: rules.minimum.unwrap_or(-inf),
            lo_open: rules.minimum.is_none(),
            hi: e,
            hi_open: false,
        };
        out.push(Breach {
            keyword: "exclusiveMinimum",
            region: region.intersect(upper),
        });
    }
    if let Some(m) = rules.maximum {
        let region = Interval {
            lo: m,
            lo_open: true,
            hi: rules.exclusive_maximum.unwrap_or(inf),
            hi_open: true,
        };
        out.push(Breach {
            keyword: "maximum",
            region: region.intersect(lower),
        });
    }
    if let Some(e) = rules.exclusive_maximum {
        let region = Interval {
            lo: e,
            lo_open: false,
            hi: rules.maximum.unwrap_or(inf),
            hi_open: rules.maximum.is_none(),
        };
        out.push(Breach {
            keyword: "exclusiveMaximum",
            region: region.intersect(lower),
        });
    }
    out
}

/// Integers in `region`, leaning toward its ends and toward sizes that overflow servers.
pub(crate) fn integers(region: Interval) -> Option<BoxedStrategy<i64>> {
    let (lo, hi) = region.integers()?;
    let mut edges: Vec<i64> = vec![lo, lo.saturating_add(1), hi, hi.saturating_sub(1)];
    edges.extend_from_slice(NOTABLE_INTS);
    edges.retain(|x| (lo..=hi).contains(x));
    edges.sort_unstable();
    edges.dedup();
    let centre = 0i64.clamp(lo, hi);
    let window =
        centre.saturating_sub(WINDOW as i64).max(lo)..=centre.saturating_add(WINDOW as i64).min(hi);
    Some(prop_oneof![3 => window, 2 => select(edges)].boxed())
}

/// Floats in `region`, leaning toward its ends (including the nearest float inside an open end).
pub(crate) fn floats(region: Interval) -> Option<BoxedStrategy<f64>> {
    // Also guards `clamp` below, which panics on an inverted range.
    if region.lo > region.hi {
        return None;
    }
    let mut edges: Vec<f64> = Vec::new();
    if region.lo.is_finite() {
        let first = if region.lo_open {
            region.lo.next_up()
        } else {
            region.lo
        };
        edges.extend([first, first + 1.0, region.lo + 0.5]);
    }
    if region.hi.is_finite() {
        let last = if region.hi_open {
            region.hi.next_down()
        } else {
            region.hi
        };
        edges.extend([last, last - 1.0, region.hi - 0.5]);
    }
    if region.lo.is_finite() && region.hi.is_finite() {
        edges.push(region.lo / 2.0 + region.hi / 2.0);
    }
    edges.extend_from_slice(NOTABLE_FLOATS);
    edges.retain(|x| region.contains(*x));
    edges.sort_by(f64::total_cmp);
    edges.dedup_by(|a, b| a.to_bits() == b.to_bits());
    let centre = 0f64.clamp(region.lo, region.hi);
    let (a, b) = (
        (centre - WINDOW).max(region.lo),
        (centre + WINDOW).min(region.hi),
    );
    let mut options: Vec<(u32, BoxedStrategy<f64>)> = Vec::new();
    if a < b {
        // The window may touch an open end; those draws are moved to the nearest edge inside.
        let inside = region;
        let fallback = edges.first().copied().unwrap_or(a);
        options.push((
            3,
            (a..=b)
                .prop_map(move |x| if inside.contains(x) { x } else { fallback })
                .boxed(),
        ));
    }
    if !edges.is_empty() {
        options.push((2, select(edges).boxed()));
    }
    if options.is_empty() {
        return None;
    }
    Some(proptest::strategy::Union::new_weighted(options).boxed())
}

/// Valid values of a `number`: floats and integers alike.
pub(crate) fn number_values(region: Interval) -> Option<BoxedStrategy<Value>> {
    let mut options: Vec<BoxedStrategy<Value>> = Vec::new();
    if let Some(ints) = integers(region) {
        options.push(ints.prop_map(Value::from).boxed());
    }
    if let Some(fs) = floats(region) {
        options.push(fs.prop_map(float_value).boxed());
    }
    (!options.is_empty()).then(|| proptest::strategy::Union::new(options).boxed())
}

/// Valid values of an `integer`; a few are spelled as floats (`5.0`), which JSON Schema calls
/// integers too and which servers typed as ints sometimes reject.
pub(crate) fn integer_values(region: Interval) -> Option<BoxedStrategy<Value>> {
    let ints = integers(region)?;
    let as_float = ints.clone().prop_map(|i| {
        if i.unsigned_abs() < (1 << 53) {
            float_value(i as f64)
        } else {
            Value::from(i)
        }
    });
    Some(prop_oneof![9 => ints.prop_map(Value::from), 1 => as_float].boxed())
}

pub(crate) fn float_value(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}
