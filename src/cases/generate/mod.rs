//! Schema-driven test data: instances a JSON Schema accepts, and instances that break exactly one
//! of its rules, as shrinking proptest strategies.
//!
//! Typical use: `sample(&valid(&schema)?, seed, 10)?` for ten reproducible request bodies, or
//! `runner(seed)` with `TestRunner::run` to get shrinking on failure.

#[cfg(test)]
mod array_tests;
mod arrays;
mod build;
mod checks;
mod compose;
mod compose_build;
#[cfg(test)]
mod compose_tests;
mod datetime;
mod format_misses;
#[cfg(test)]
mod format_tests;
mod formats;

pub use datetime::{near_future, unambiguous_variant};
pub use format_misses::{FormatExample, FormatMiss, Verdict};
pub use formats::{
    format_examples, format_near_misses, is_base64, is_known_format, unknown_formats,
};
pub use numbers::{has_unsafe_number, MAX_SAFE};
pub use pattern::pattern_pair;
pub use size::MAX_VALUE_BYTES;
pub use strings::PROTOTYPE_KEYS;
mod numbers;
mod pattern;
mod schema;
mod size;
mod strings;

use proptest::strategy::{BoxedStrategy, Strategy, Union, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

/// An instance that breaks exactly one rule of its schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    /// The instance to send.
    pub value: Value,
    /// RFC 6901 pointer to the instance location whose rule is broken (`""` is the root); for
    /// `required` and `additionalProperties` that is the object holding the properties.
    pub pointer: String,
    /// The JSON Schema keyword broken, e.g. `"maxLength"`.
    pub keyword: &'static str,
}

/// Why no strategy could be built. Every variant names the schema pointer it concerns.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A keyword, format or `$ref` form the generators do not implement.
    #[error("schema pointer \"{pointer}\": unsupported: {what}")]
    Unsupported {
        /// Schema pointer of the offending keyword.
        pointer: String,
        /// What is unsupported.
        what: String,
    },
    /// The schema itself is not valid JSON Schema.
    #[error("schema pointer \"{pointer}\": malformed schema: {what}")]
    Malformed {
        /// Schema pointer of the offending keyword.
        pointer: String,
        /// What is wrong.
        what: String,
    },
    /// No instance satisfies the (sub)schema, so no valid instance can be built.
    #[error("schema pointer \"{pointer}\": no instance can satisfy it: {what}")]
    Unsatisfiable {
        /// Schema pointer of the unsatisfiable schema or keyword.
        pointer: String,
        /// Which rules conflict.
        what: String,
    },
    /// Every instance that breaks one rule breaks another too (or nothing can be broken).
    #[error("schema pointer \"{pointer}\": no rule can be broken on its own")]
    NothingToBreak {
        /// Schema pointer of the schema.
        pointer: String,
    },
    /// The smallest valid value is past [`MAX_VALUE_BYTES`]: building one would exhaust memory.
    #[error("schema pointer \"{pointer}\": the smallest valid value is about {} MB, above the budget of {} MB for one value; most of it is asked for here", bytes >> 20, MAX_VALUE_BYTES >> 20)]
    TooLarge {
        /// Schema pointer of the rule that contributes most.
        pointer: String,
        /// The smallest value's size, in bytes of JSON text.
        bytes: u64,
    },
    /// A strategy gave up while drawing (proptest's reject limits).
    #[error("drawing a sample failed: {0}")]
    Sampling(String),
}

impl GenError {
    /// The schema pointer the error concerns, if any.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            GenError::Unsupported { pointer, .. }
            | GenError::Malformed { pointer, .. }
            | GenError::Unsatisfiable { pointer, .. }
            | GenError::TooLarge { pointer, .. }
            | GenError::NothingToBreak { pointer } => Some(pointer),
            GenError::Sampling(_) => None,
        }
    }
}

/// Instances `schema` accepts.
/// A `oneOf` or `anyOf` with an OpenAPI `discriminator` gives values that name their branch.
pub fn valid(schema: &Value) -> Result<BoxedStrategy<Value>, GenError> {
    let schema = crate::contract::discriminator::tagged(schema);
    let node = schema::read(&schema)?;
    size::check(&node)?;
    build::valid(&node)
}

/// A lower bound of the size, in bytes of JSON text, of the values `schema` accepts (0 for a
/// schema the generator refuses).
pub fn smallest_size(schema: &Value) -> u64 {
    schema::read(schema).map_or(0, |node| size::smallest(&node, 0).0)
}

/// Instances `schema` rejects for exactly one reason, with that reason.
pub fn invalid(schema: &Value) -> Result<BoxedStrategy<Invalid>, GenError> {
    let node = schema::read(schema)?;
    size::check(&node)?;
    let breaks = build::invalid(&node)?;
    if breaks.is_empty() {
        return Err(GenError::NothingToBreak {
            pointer: node.pointer,
        });
    }
    Ok(Union::new(breaks).boxed())
}

/// What `run --list` says of a request schema beyond its cases: the numbers drawn outside
/// ±(2^53−1), and the formats the suite does not know, which it reads as annotations.
pub fn list_notes(schema: &Value) -> Vec<String> {
    let unsafe_numbers = unsafe_only_numbers(schema).into_iter().map(|pointer| {
        format!("schema pointer \"{pointer}\" admits no number inside ±(2^53−1); its cases are unspecified (RFC 7493 2.2)")
    });
    let unknown = unknown_formats(schema).into_iter().map(|(pointer, format)| {
        format!("schema pointer \"{pointer}\" has format \"{format}\", which the suite does not know: an annotation, drawn as a plain string and never broken")
    });
    unsafe_numbers.chain(unknown).collect()
}

/// Schema pointers of the numbers `schema` admits, but none inside ±(2^53−1) (such as
/// `minimum: 1e17`): their values are drawn outside it, and the cases that carry them are
/// unspecified (RFC 7493 2.2). `run --list` names them.
pub fn unsafe_only_numbers(schema: &Value) -> Vec<String> {
    fn walk(node: &schema::Node, depth: usize, out: &mut Vec<String>) {
        use schema::JsonType;
        if depth > 32 {
            return;
        }
        let (int, num) = (
            node.types.has(JsonType::Integer),
            node.types.has(JsonType::Number),
        );
        if int || num {
            let region = numbers::Interval::of(&node.number);
            let integer = !num;
            let admits_any = if integer {
                region.integers().is_some()
            } else {
                region.lo <= region.hi
            };
            if admits_any && region.safe_part(integer).is_none() {
                out.push(node.pointer.clone());
            }
        }
        for (_, child) in &node.object.properties {
            walk(child, depth + 1, out);
        }
        if let Some(items) = &node.array.items {
            walk(items, depth + 1, out);
        }
        for item in &node.array.prefix {
            walk(item, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    if let Ok(node) = schema::read(schema) {
        walk(&node, 0, &mut out);
    }
    out
}

/// A runner whose draws depend only on `seed`: the same seed gives the same values. XorShift,
/// not ChaCha: a property builds one runner per body, and proptest seeds a fresh generator for
/// every lazily built branch of a union, so the generator's set-up cost counts.
pub fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&mix(seed).to_le_bytes());
    bytes[8..].copy_from_slice(&mix(seed ^ 0x5bd1_e995).to_le_bytes());
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::XorShift, &bytes))
}

/// SplitMix64's finaliser: spreads a seed over all 64 bits, so no seed gives XorShift a zero
/// state.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` values of `strategy`, reproducible from `seed`.
pub fn sample<S: Strategy>(strategy: &S, seed: u64, n: usize) -> Result<Vec<S::Value>, GenError> {
    let mut runner = runner(seed);
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .map(|tree| tree.current())
                .map_err(|reason| GenError::Sampling(reason.to_string()))
        })
        .collect()
}
