//! The request validator's last word on each derived body, in time linear in the schema.
//!
//! A derived case is the shared base body with one property changed. Validating every case's
//! whole body is quadratic in the number of properties (2,000 properties give some 38,000
//! cases of 2,000 members each), so where the schema's root says nothing about the object as a
//! whole, a case is judged by its one change alone, which gives the same verdict.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Body, Case, Expect};
use crate::contract::datetimes::parse_rfc3339;
use crate::contract::schema::is_annotation;
use crate::contract::{Class, Operation};

thread_local! {
    /// Members of the bodies handed to a validator on this thread: the judge's work.
    static JUDGED: Cell<u64> = const { Cell::new(0) };
}

/// How many body members the judge has validated on this thread so far: a count of work, for
/// the tests and the benchmark that hold deriving to linear cost.
pub fn judged_members() -> u64 {
    JUDGED.with(Cell::get)
}

fn count(members: usize) {
    JUDGED.with(|c| c.set(c.get() + members as u64));
}

/// Judges derived cases against the request validator.
pub(super) struct Judge<'a> {
    contract: &'a Operation,
    base: &'a Arc<Map<String, Value>>,
    /// Set when a change can be judged on its own.
    local: Option<Local>,
    /// The schema as a server that routes by its discriminators reads it, where it has one.
    tagged: Option<&'a jsonschema::Validator>,
}

/// The root schema without `required`, and what `required` lists: a valid base with one member
/// set is valid when that member alone passes the relaxed root, and with one removed when the
/// member is not required.
struct Local {
    relaxed: jsonschema::Validator,
    required: BTreeSet<String>,
}

impl<'a> Judge<'a> {
    pub(super) fn new(
        contract: &'a Operation,
        base: &'a Arc<Map<String, Value>>,
        tagged: Option<&'a jsonschema::Validator>,
    ) -> Self {
        Judge {
            contract,
            base,
            local: Local::new(contract, base),
            tagged,
        }
    }

    /// A "valid" body the validator refuses, or an "invalid" one it accepts, is one the deriver
    /// built wrong for this schema (a keyword it does not model, such as an exclusive bound or a
    /// `const`), so the case becomes unspecified rather than a false alarm.
    pub(super) fn agree(&self, case: &mut Case) {
        let wrong = match case.class() {
            Class::Valid => "the schema refuses the body built as valid",
            Class::Invalid if case.expect.label == "invalid_body" => {
                "the schema accepts the body built as invalid"
            }
            _ => return,
        };
        if self.refused_past(case) {
            // Invalid by the field's policy, which the schema cannot say.
            return;
        }
        let Some(schema_valid) = self.schema_valid(&case.request.body) else {
            return;
        };
        let wrong = if schema_valid && case.class() == Class::Valid && !self.tag_valid(case) {
            "its discriminator value names no branch, which a server that routes by it refuses"
        } else if schema_valid == (case.class() == Class::Valid) {
            return;
        } else {
            wrong
        };
        case.expect = Expect::of(self.contract, Class::Unspecified, "");
        case.offending = None;
        case.title = format!("{} (unspecified: {wrong})", case.title);
    }

    /// Whether a body the schema takes names its branch wherever a discriminator is.
    fn tag_valid(&self, case: &Case) -> bool {
        let Some(tagged) = self.tagged else {
            return true;
        };
        let body = match &case.request.body {
            Body::Raw(text) => serde_json::from_str::<Value>(text).ok(),
            other => other.json().map(std::borrow::Cow::into_owned),
        };
        body.is_none_or(|b| {
            count(b.as_object().map_or(1, Map::len));
            tagged.is_valid(&b)
        })
    }

    /// The validator's verdict on a JSON body; `None` for a body that is not JSON.
    fn schema_valid(&self, body: &Body) -> Option<bool> {
        if let (Body::Patched(p), Some(local)) = (body, &self.local) {
            if Arc::ptr_eq(p.shared(), self.base) {
                return Some(match p.change() {
                    None => true,
                    Some((property, None)) => !local.required.contains(property),
                    Some((property, Some(value))) => {
                        count(1);
                        let mut alone = Map::new();
                        alone.insert(property.to_string(), value.clone());
                        local.relaxed.is_valid(&Value::Object(alone))
                    }
                });
            }
        }
        // A raw body that is JSON (insignificant whitespace, an escape form) is judged as the
        // JSON it reads as.
        let body = match body {
            Body::Raw(text) => std::borrow::Cow::Owned(serde_json::from_str::<Value>(text).ok()?),
            other => other.json()?,
        };
        count(body.as_object().map_or(1, Map::len));
        Some(self.contract.request_validator.is_valid(&body))
    }

    /// Whether the case is invalid because its field's policy refuses a past date-time, and its
    /// value is one.
    fn refused_past(&self, case: &Case) -> bool {
        let Some(pointer) = &case.offending else {
            return false;
        };
        if self.contract.past_date_time(pointer) != Class::Invalid {
            return false;
        }
        case.request
            .body
            .value_at(pointer)
            .as_deref()
            .and_then(Value::as_str)
            .and_then(parse_rfc3339)
            .is_some_and(|t| t < time::OffsetDateTime::now_utc())
    }
}

impl Local {
    /// Only a root that is a plain object schema (`type`, `properties`, `required`,
    /// `additionalProperties` and annotations) judges members one by one: any other root
    /// keyword (`minProperties`, `dependentRequired`, a composition, a `$ref`) relates members
    /// to each other. The base must be valid, as the verdict on a change assumes it.
    fn new(contract: &Operation, base: &Arc<Map<String, Value>>) -> Option<Local> {
        let root = contract.request_schema.as_object()?;
        let plain = root.iter().all(|(k, v)| match k.as_str() {
            "type" => v == "object",
            "properties" | "required" | "additionalProperties" => true,
            k => is_annotation(k),
        });
        if !plain {
            return None;
        }
        count(base.len());
        if !contract
            .request_validator
            .is_valid(&Value::Object((**base).clone()))
        {
            return None;
        }
        let required = root
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let mut relaxed = root.clone();
        relaxed.remove("required");
        let relaxed =
            crate::contract::compile(&Value::Object(relaxed), &contract.request_schema_path)
                .ok()?;
        Some(Local { relaxed, required })
    }
}
