//! Issued token records, their ids, and the success body that describes them.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::faults::{Fault, FaultSet};
use super::variations::{Variation, VariationSet};

pub const ID_PREFIX: &str = "wstok_";
/// The example id from the API page: what a hard-coded id in a buggy server would look like.
const CONSTANT_ID: &str = "wstok_01hq8xyzabc123def456ghi789";
pub const DEFAULT_LIFETIME: Duration = Duration::days(30);
const KIND: &str = "svc_access";
const ABILITIES: [&str; 2] = ["tokens:read", "tokens:write"];
/// The workspace the `extra-fields` variation names, as the page's example host does.
const WORKSPACE_ID: &str = "wks-a1b2c3d4";

/// A created token as the server remembers it.
#[derive(Clone, Debug)]
pub struct Token {
    pub id: String,
    /// Creation order; what an id leaking out as a number would show.
    pub serial: u64,
    // Kept so the record is complete; this endpoint never reads tokens back.
    #[allow(dead_code)]
    pub service: String,
    #[allow(dead_code)]
    pub display_name: String,
    pub description: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Ids are `wstok_` + 26 lowercase alphanumerics: a serial part so ids never repeat within a
/// server, and a keyed-hash part so they do not repeat across servers either.
pub struct IdSource {
    serial: AtomicU64,
    keys: RandomState,
}

impl IdSource {
    pub fn new() -> Self {
        Self {
            serial: AtomicU64::new(0),
            keys: RandomState::new(),
        }
    }

    pub fn next(&self, faults: &FaultSet) -> (u64, String) {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed) + 1;
        if faults.has(Fault::SameId) {
            return (serial, CONSTANT_ID.to_owned());
        }
        let mut hasher = self.keys.build_hasher();
        hasher.write_u64(serial);
        hasher.write_i128(OffsetDateTime::now_utc().unix_timestamp_nanos());
        let high = hasher.finish();
        hasher.write_u8(0);
        let low = hasher.finish();
        let random = (u128::from(high) << 64) | u128::from(low);
        let mut id = String::with_capacity(ID_PREFIX.len() + 26);
        id.push_str(ID_PREFIX);
        push_base36(&mut id, u128::from(serial), 7);
        push_base36(&mut id, random, 19);
        (serial, id)
    }
}

/// Appends exactly `width` base-36 digits of `value` (most significant first, wrapping).
fn push_base36(out: &mut String, mut value: u128, width: usize) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    out.extend(digits.into_iter().map(char::from));
}

/// Now, cut to whole microseconds so the instant equals what `created_at` says.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// RFC 3339 in UTC with microseconds, as the API page shows; nanoseconds only when a requested
/// instant carries them, so the echoed instant stays exact.
pub fn format_timestamp(instant: OffsetDateTime) -> String {
    let micros =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    let nanos =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
    let formatted = match instant.checked_to_offset(UtcOffset::UTC) {
        Some(utc) if (0..=9999).contains(&utc.year()) => {
            let items = if utc.nanosecond() % 1_000 == 0 {
                micros
            } else {
                nanos
            };
            utc.format(items)
        }
        // Near year 0 or 9999 the UTC reading has no four-digit year; keep the requested offset.
        _ => instant.format(&Rfc3339),
    };
    formatted.unwrap_or_default()
}

/// How finely the store keeps instants: the reference server keeps what it is given (its clock
/// gives microseconds); a variation keeps less, as a database column does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    AsGiven,
    Micros,
    Millis,
    Seconds,
}

impl Precision {
    /// The coarsest precision the variations ask for.
    pub fn of(variations: &VariationSet) -> Self {
        if variations.has(Variation::PrecisionSeconds) {
            Precision::Seconds
        } else if variations.has(Variation::PrecisionMilliseconds) {
            Precision::Millis
        } else if variations.has(Variation::PrecisionMicroseconds) {
            Precision::Micros
        } else {
            Precision::AsGiven
        }
    }

    fn unit_nanos(self) -> u32 {
        match self {
            Precision::AsGiven => 1,
            Precision::Micros => 1_000,
            Precision::Millis => 1_000_000,
            Precision::Seconds => 1_000_000_000,
        }
    }

    /// The instant cut (not rounded) to this precision, as a column of that precision stores it.
    pub fn cut(self, instant: OffsetDateTime) -> OffsetDateTime {
        let unit = self.unit_nanos();
        instant
            .replace_nanosecond(instant.nanosecond() / unit * unit)
            .unwrap_or(instant)
    }

    /// RFC 3339 in UTC with as many fraction digits as this precision keeps.
    fn format(self, instant: OffsetDateTime) -> String {
        let items = match self {
            Precision::AsGiven => return format_timestamp(instant),
            Precision::Micros => format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ),
            Precision::Millis => format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ),
            Precision::Seconds => {
                format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z")
            }
        };
        match instant.checked_to_offset(UtcOffset::UTC) {
            Some(utc) if (0..=9999).contains(&utc.year()) => utc.format(items),
            _ => instant.format(&Rfc3339),
        }
        .unwrap_or_default()
    }
}

/// The success body, as text: `json-concat` has to be able to corrupt the serialisation itself.
pub fn render(
    token: &Token,
    self_link: &str,
    faults: &FaultSet,
    variations: &VariationSet,
) -> String {
    // A templating bug pastes the raw text where this marker sits.
    const PASTE_HERE: &str = "{{description}}";

    let mut body = Map::new();
    if !faults.has(Fault::MissingId) {
        let id = if faults.has(Fault::IdAsNumber) {
            json!(token.serial)
        } else {
            json!(token.id)
        };
        body.insert("id".into(), id);
    }
    body.insert("name".into(), json!(kind(faults)));
    let description_key = if faults.has(Fault::RenamedDescription) {
        "desc"
    } else {
        "description"
    };
    let description = if faults.has(Fault::JsonConcat) {
        PASTE_HERE
    } else {
        token.description.as_str()
    };
    body.insert(description_key.into(), json!(description));
    if !faults.has(Fault::MissingAbilities) {
        let abilities = if faults.has(Fault::AbilitiesAsString) {
            json!(ABILITIES.join(","))
        } else {
            json!(ABILITIES)
        };
        body.insert("abilities".into(), abilities);
    }
    if !faults.has(Fault::MissingTimestamp) {
        body.insert("timestamp".into(), timestamps(token, faults, variations));
    }
    if !faults.has(Fault::MissingEmbedded) {
        body.insert("_embedded".into(), json!([]));
    }
    body.insert("_links".into(), json!({ "self": self_link }));
    if variations.has(Variation::ExtraFields) {
        body.insert("workspace_id".into(), json!(WORKSPACE_ID));
        body.insert("scopes".into(), json!(ABILITIES));
    }

    let text = serialize(Value::Object(body), variations);
    if faults.has(Fault::JsonConcat) {
        let raw = format!("\"{}\"", token.description);
        return text.replacen(&format!("\"{PASTE_HERE}\""), &raw, 1);
    }
    text
}

/// A body as text: compact, or pretty-printed with every object's keys reversed under the
/// `pretty-json` variation.
pub fn serialize(body: Value, variations: &VariationSet) -> String {
    if !variations.has(Variation::PrettyJson) {
        return body.to_string();
    }
    fn reverse(v: Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.reverse();
                Value::Object(entries.into_iter().map(|(k, v)| (k, reverse(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(reverse).collect()),
            other => other,
        }
    }
    serde_json::to_string_pretty(&reverse(body)).unwrap_or_default()
}

/// A UTC timestamp as a variation writes it: `+00:00` for `Z`, lower-case `t` and `z`, or nine
/// fraction digits.
fn represent(text: String, variations: &VariationSet) -> String {
    let Some(stem) = text.strip_suffix('Z') else {
        return text;
    };
    let mut stem = stem.to_string();
    if variations.has(Variation::PrecisionNanoseconds) {
        match stem.find('.') {
            Some(dot) => {
                let digits = stem.len() - dot - 1;
                stem.push_str(&"0".repeat(9usize.saturating_sub(digits)));
            }
            None => stem.push_str(".000000000"),
        }
    }
    if variations.has(Variation::NumericUtcOffset) {
        stem + "+00:00"
    } else if variations.has(Variation::LowercaseTZ) {
        stem.replacen('T', "t", 1) + "z"
    } else {
        stem + "Z"
    }
}

fn kind(faults: &FaultSet) -> String {
    let kind = if faults.has(Fault::WrongKind) {
        "personal_access"
    } else if faults.has(Fault::EnumWrongValue) {
        "service_access"
    } else {
        KIND
    };
    if faults.has(Fault::EnumUppercase) {
        kind.to_ascii_uppercase()
    } else {
        kind.to_owned()
    }
}

fn timestamps(token: &Token, faults: &FaultSet, variations: &VariationSet) -> Value {
    let precision = Precision::of(variations);
    let key = |snake: &str| {
        if faults.has(Fault::CamelCaseTimestamps) {
            camel_case(snake)
        } else {
            snake.to_owned()
        }
    };
    let created_text = represent(precision.format(token.created_at), variations);
    let created_at = if faults.has(Fault::TimestampEpoch) {
        json!(token.created_at.unix_timestamp())
    } else if faults.has(Fault::TimestampNoOffset) {
        json!(created_text.trim_end_matches('Z'))
    } else if faults.has(Fault::TimestampSpace) {
        json!(created_text.replacen('T', " ", 1))
    } else {
        json!(created_text)
    };

    let unit_nanos: i128 = if faults.has(Fault::MinsInSeconds) {
        1_000_000_000
    } else if faults.has(Fault::MinsInHours) {
        3_600_000_000_000
    } else {
        60_000_000_000
    };
    let lifetime = (token.expires_at - token.created_at).whole_nanoseconds();
    // Floor, not truncation: an expiry 30 s in the past is -1 minutes away, not 0.
    let mins = i64::try_from(lifetime.div_euclid(unit_nanos)).unwrap_or(i64::MAX);
    let mins = if faults.has(Fault::MinsAsString) {
        json!(mins.to_string())
    } else {
        json!(mins)
    };

    let mut stamps = Map::new();
    let last_used_at = if variations.has(Variation::LastUsedAtCreated) {
        created_at.clone()
    } else {
        Value::Null
    };
    stamps.insert(key("created_at"), created_at);
    stamps.insert(key("last_used_at"), last_used_at);
    stamps.insert(
        key("expires_at"),
        json!(represent(precision.format(token.expires_at), variations)),
    );
    stamps.insert(key("expires_at_mins"), mins);
    if !faults.has(Fault::MissingRequestedAt) {
        stamps.insert(key("requested_at"), json!(created_text));
    }
    Value::Object(stamps)
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use time::macros::datetime;

    #[test]
    fn ids_are_prefixed_lowercase_alphanumeric_and_unique() {
        let source = IdSource::new();
        let ids: HashSet<_> = (0..1000)
            .map(|_| source.next(&FaultSet::none()).1)
            .collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            let tail = id.strip_prefix(ID_PREFIX).expect("prefix");
            assert_eq!(tail.len(), 26, "{id}");
            assert!(tail
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        }
    }

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        assert_eq!(
            format_timestamp(datetime!(2024-03-15 16:00:00 +05:30)),
            "2024-03-15T10:30:00.000000Z"
        );
        assert_eq!(
            format_timestamp(datetime!(2024-03-15 10:30:00.123456789 UTC)),
            "2024-03-15T10:30:00.123456789Z"
        );
        assert_eq!(
            format_timestamp(datetime!(0000-01-01 00:00:00 +23:59)),
            "0000-01-01T00:00:00+23:59"
        );
    }

    #[test]
    fn camel_case_keys() {
        assert_eq!(camel_case("expires_at_mins"), "expiresAtMins");
        assert_eq!(camel_case("created_at"), "createdAt");
    }
}
