//! The `unique` rule: no value returned twice in one run. The checker remembers a digest of
//! every value it has seen, with the case that returned it first.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde_json::Value;

use super::semantic::Failed;
use super::{excerpt, Checker};
use crate::contract::Semantic;

/// What the `unique` check remembers: a 64-bit digest of each value, with the case that returned
/// it first packed into another 64 bits, so a run of a million bodies keeps about 20 MB and one
/// of 100,000 about 2 MB. Two different values share a digest with a chance of about n²/2⁶⁵
/// (1 in 4 billion runs of 100,000 ids).
#[derive(Default)]
pub(super) struct Seen {
    first: HashMap<u64, u64, BuildHasherDefault<Digested>>,
    /// Case ids that returned a value; a generated body's number is kept apart (`property::x#12`).
    names: Vec<Box<str>>,
    name_index: HashMap<Box<str>, u64>,
}

/// Bits of a packed holder that carry a generated body's number.
const ORDINAL_BITS: u32 = 40;
const NO_ORDINAL: u64 = (1 << ORDINAL_BITS) - 1;

impl Seen {
    /// A case id packed as an interned name and, for a generated body, its number.
    fn holder(&mut self, case_id: &str) -> u64 {
        let (name, ordinal) = match case_id.rsplit_once('#') {
            Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => (
                base,
                n.parse::<u64>()
                    .map_or(NO_ORDINAL - 1, |n| n.min(NO_ORDINAL - 1)),
            ),
            _ => (case_id, NO_ORDINAL),
        };
        let name = match self.name_index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.names.len() as u64;
                self.names.push(name.into());
                self.name_index.insert(name.into(), i);
                i
            }
        };
        (name << ORDINAL_BITS) | ordinal
    }

    fn describe(&self, holder: u64) -> String {
        let (name, ordinal) = (holder >> ORDINAL_BITS, holder & NO_ORDINAL);
        let name = self.names.get(name as usize).map_or("?", |n| n);
        if ordinal == NO_ORDINAL {
            name.to_string()
        } else {
            format!("{name}#{ordinal}")
        }
    }

    /// The case that returned this value first, if that was another case.
    fn first_other(&mut self, rule: &str, value: &str, case_id: &str) -> Option<String> {
        let me = self.holder(case_id);
        let first = *self.first.entry(digest(rule, value)).or_insert(me);
        (first != me).then(|| self.describe(first))
    }
}

/// SipHash-1-3 with fixed keys over the rule and the value.
fn digest(rule: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x7072_6f76_6973_696f, 0x006e_722d_636f_6e66);
    rule.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

/// The map's keys are digests already, so its hasher passes them through.
#[derive(Default)]
struct Digested(u64);

impl std::hash::Hasher for Digested {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Checker {
    /// `unique`: no value returned twice in one run.
    pub(super) fn unique(&self, s: &Semantic, case_id: &str, actual: Option<&Value>) -> Failed {
        let key = actual?.to_string();
        let first = self
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first_other(&s.response, &key, case_id)?;
        Some((
            "a value not returned before in this run".into(),
            format!("{} (already returned to case {first})", excerpt(&key)),
        ))
    }
}
