//! Hand-written validation of the request body, independent of the JSON Schema the suite checks with.

use serde_json::{Map, Value};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::faults::{Fault, FaultSet};
use crate::contract::datetimes::parse_rfc3339;

pub const NAME_MAX_CHARS: usize = 55;

/// The run of one ASCII letter or digit that makes the `stalls-on-repeated-characters` pattern
/// backtrack, and how long it then takes.
pub const STALL_RUN: usize = 40;
pub const STALL: std::time::Duration = std::time::Duration::from_millis(1500);

/// Whether a valid body would stall an anchored pattern such as `^([a-z0-9]+)*$` run over its
/// text: `name` or `description` starts with [`STALL_RUN`] or more of one ASCII letter or digit.
pub fn stalls(request: &TokenRequest) -> bool {
    [&request.name, &request.description].iter().any(|s| {
        let mut chars = s.chars();
        chars.next().is_some_and(|first| {
            first.is_ascii_alphanumeric()
                && chars.take_while(|c| *c == first).count() + 1 >= STALL_RUN
        })
    })
}

/// A body that passed validation.
#[derive(Debug)]
pub struct TokenRequest {
    pub name: String,
    pub description: String,
    pub expires_at: Option<OffsetDateTime>,
    /// The `id` the client sent, kept only by the `mass-assignment` fault.
    pub assigned_id: Option<String>,
}

/// Why a body was not accepted.
#[derive(Debug)]
pub enum Rejection {
    /// Field name -> messages, in the order the fields were checked.
    Invalid(Map<String, Value>),
    /// What a planted crash fault stands for: the server fell over instead of answering.
    Crash,
}

#[derive(Default)]
struct Errors(Map<String, Value>);

impl Errors {
    fn add(&mut self, field: &str, message: String) {
        let entry = self
            .0
            .entry(field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(messages) = entry {
            messages.push(Value::String(message));
        }
    }
}

/// `lenient_dates` also accepts the unambiguous RFC 3339 variants of [`parse_lenient`].
pub fn validate(
    body: &Value,
    faults: &FaultSet,
    lenient_dates: bool,
) -> Result<TokenRequest, Rejection> {
    let Some(obj) = body.as_object() else {
        if faults.has(Fault::CrashOnNonObject) {
            return Err(Rejection::Crash);
        }
        let mut errors = Errors::default();
        errors.add("body", "The request body must be a JSON object.".to_owned());
        return Err(Rejection::Invalid(errors.0));
    };
    crash_faults(obj, faults)?;

    let mut errors = Errors::default();
    let name = string_field(obj, "name", faults, &mut errors);
    let description = string_field(obj, "description", faults, &mut errors);
    let expires_at = expires_at_field(obj, faults, lenient_dates, &mut errors);
    if faults.has(Fault::RejectsUnknownFields) {
        for key in obj.keys() {
            if !matches!(key.as_str(), "name" | "description" | "expires_at") {
                errors.add(key, format!("The {key} field is prohibited."));
            }
        }
    }

    match (name, description, expires_at) {
        (Some(name), Some(description), Some(expires_at)) if errors.0.is_empty() => {
            Ok(TokenRequest {
                name,
                description,
                expires_at,
                assigned_id: faults
                    .has(Fault::MassAssignment)
                    .then(|| obj.get("id").and_then(Value::as_str).map(str::to_owned))
                    .flatten(),
            })
        }
        _ => Err(Rejection::Invalid(errors.0)),
    }
}

/// The spots where a careless implementation would index, unwrap or slice and fall over.
fn crash_faults(obj: &Map<String, Value>, faults: &FaultSet) -> Result<(), Rejection> {
    if let Some(at) = obj.get("expires_at").and_then(Value::as_str) {
        // A date library that knows no leap second, or a conversion to UTC past year 9999.
        if faults.has(Fault::CrashOnLeapSecond) && at.get(17..19) == Some("60") {
            return Err(Rejection::Crash);
        }
        let overflows =
            parse_rfc3339(at).is_some_and(|t| t.checked_to_offset(UtcOffset::UTC).is_none());
        let before_epoch = parse_rfc3339(at).is_some_and(|t| t.unix_timestamp() < 0);
        if faults.has(Fault::CrashBeforeEpoch) && before_epoch {
            return Err(Rejection::Crash);
        }
        if faults.has(Fault::CrashOnUtcOverflow) && overflows {
            return Err(Rejection::Crash);
        }
    }
    if faults.has(Fault::CrashOnNull) && obj.values().any(Value::is_null) {
        return Err(Rejection::Crash);
    }
    if faults.has(Fault::CrashOnAstral)
        && obj
            .values()
            .filter_map(Value::as_str)
            .any(|s| s.chars().any(|c| u32::from(c) > 0xFFFF))
    {
        return Err(Rejection::Crash);
    }
    let strings = || obj.values().filter_map(Value::as_str);
    if faults.has(Fault::CrashOnInvisible)
        && strings().any(|s| s.chars().any(|c| matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')))
    {
        return Err(Rejection::Crash);
    }
    if faults.has(Fault::CrashOnFormatString)
        && obj
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|s| s.contains("%s") || s.contains("%d") || s.contains('{'))
    {
        return Err(Rejection::Crash);
    }
    if faults.has(Fault::CrashOnWrongType) {
        let wrong = |key: &str, null_ok: bool| match obj.get(key) {
            None | Some(Value::String(_)) => false,
            Some(Value::Null) => !null_ok,
            Some(_) => true,
        };
        if wrong("name", false) || wrong("description", false) || wrong("expires_at", true) {
            return Err(Rejection::Crash);
        }
    }
    if faults.has(Fault::CrashOnLongName)
        && obj
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|s| s.chars().count() > NAME_MAX_CHARS)
    {
        return Err(Rejection::Crash);
    }
    Ok(())
}

/// `name` and `description`: required strings; `name` also has a length limit.
fn string_field(
    obj: &Map<String, Value>,
    key: &str,
    faults: &FaultSet,
    errors: &mut Errors,
) -> Option<String> {
    let is_name = key == "name";
    let value = match obj.get(key) {
        Some(Value::String(s)) => s.clone(),
        None if is_name && faults.has(Fault::NoRequiredName) => String::new(),
        None if !is_name && faults.has(Fault::NoRequiredDescription) => String::new(),
        None => {
            errors.add(key, format!("The {key} field is required."));
            return None;
        }
        Some(Value::Null) if is_name && faults.has(Fault::NullNameAccepted) => String::new(),
        Some(other) if faults.has(Fault::CoerceTypes) && coerced(other).is_some() => {
            coerced(other).unwrap_or_default()
        }
        Some(_) => {
            errors.add(key, format!("The {key} field must be a string."));
            return None;
        }
    };
    if faults.has(Fault::RejectsEmptyStrings) && value.is_empty() {
        // Laravel's `required` treats "" as missing, which is where this bug usually comes from.
        errors.add(key, format!("The {key} field is required."));
        return None;
    }
    if faults.has(Fault::RejectsBlank) && !value.is_empty() && value.trim().is_empty() {
        errors.add(key, format!("The {key} field is required."));
        return None;
    }
    if faults.has(Fault::RejectsSurroundingWhitespace) && value.trim() != value {
        errors.add(
            key,
            format!("The {key} field must not start or end with a space."),
        );
        return None;
    }
    if is_name && !faults.has(Fault::NoMaxLength) {
        let limit = if faults.has(Fault::MaxLengthOffByOne) {
            NAME_MAX_CHARS - 1
        } else {
            NAME_MAX_CHARS
        };
        let length = if faults.has(Fault::TrimsBeforeLengthCheck) {
            value.trim().chars().count()
        } else if faults.has(Fault::CountsBytes) {
            value.len()
        } else if faults.has(Fault::CountsUtf16) {
            value.encode_utf16().count()
        } else {
            value.chars().count()
        };
        if length > limit {
            errors.add(
                key,
                format!("The {key} field must not be greater than {limit} characters."),
            );
            return None;
        }
    }
    Some(value)
}

/// The `coerce-types` bug as ajv's `coerceTypes: "array"` (Fastify's default) does it for a
/// `string`: a number or boolean becomes its JSON text, null the empty string, and an array of
/// one such value that value. Objects and other arrays are still refused.
fn coerced(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(items) if items.len() == 1 && !items[0].is_array() => {
            coerced(&items[0]).or_else(|| items[0].as_str().map(str::to_owned))
        }
        _ => None,
    }
}

/// Whether a key `__proto__`, `constructor` or `prototype` appears anywhere in `body`: what the
/// `prototype-keys-refused` variation refuses.
pub fn has_prototype_key(body: &Value) -> bool {
    match body {
        Value::Object(map) => map.iter().any(|(k, v)| {
            matches!(k.as_str(), "__proto__" | "constructor" | "prototype") || has_prototype_key(v)
        }),
        Value::Array(items) => items.iter().any(has_prototype_key),
        _ => false,
    }
}

/// The first top-level field whose value holds U+0000 in a string, at any depth.
pub fn field_with_nul(body: &Value) -> Option<String> {
    fn holds(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains('\u{0}'),
            Value::Array(items) => items.iter().any(holds),
            Value::Object(map) => map.iter().any(|(k, v)| k.contains('\u{0}') || holds(v)),
            _ => false,
        }
    }
    body.as_object()?
        .iter()
        .find(|(k, v)| k.contains('\u{0}') || holds(v))
        .map(|(k, _)| k.clone())
}

/// `expires_at`: optional, null or an RFC 3339 date-time. `Some(None)` means "use the default".
fn expires_at_field(
    obj: &Map<String, Value>,
    faults: &FaultSet,
    lenient: bool,
    errors: &mut Errors,
) -> Option<Option<OffsetDateTime>> {
    const KEY: &str = "expires_at";
    match obj.get(KEY) {
        None if faults.has(Fault::RequiresExpiresAt) => {
            errors.add(KEY, "The expires_at field is required.".to_owned());
            None
        }
        None => Some(None),
        Some(Value::Null) if faults.has(Fault::RejectsNullExpiry) => {
            errors.add(KEY, "The expires_at field must be a valid date.".to_owned());
            None
        }
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => {
            match parse_expiry(s, faults).or_else(|| lenient.then(|| parse_lenient(s)).flatten()) {
                Some(instant) => Some(Some(instant)),
                None => {
                    errors.add(
                        KEY,
                        "The expires_at field must be a valid RFC 3339 date-time.".to_owned(),
                    );
                    None
                }
            }
        }
        Some(Value::Number(n)) if faults.has(Fault::EpochNumberDateTime) => {
            match n
                .as_i64()
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            {
                Some(instant) => Some(Some(instant)),
                None => {
                    errors.add(KEY, "The expires_at field must be a valid date.".to_owned());
                    None
                }
            }
        }
        Some(_) => {
            errors.add(
                KEY,
                "The expires_at field must be a string or null.".to_owned(),
            );
            None
        }
    }
}

fn parse_expiry(s: &str, faults: &FaultSet) -> Option<OffsetDateTime> {
    if faults.has(Fault::RejectsFractionalSeconds) && s.contains('.') {
        return None;
    }
    if faults.has(Fault::OnlyUtc) && !s.ends_with(['Z', 'z']) {
        return None;
    }
    if faults.has(Fault::RegexDateTime) {
        return parse_by_shape(s);
    }
    if faults.has(Fault::EpochStringDateTime)
        && !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
    {
        return s
            .parse()
            .ok()
            .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok());
    }
    parse_rfc3339(s).or_else(|| {
        if faults.has(Fault::NaiveDateTime) && !s.ends_with(['Z', 'z']) {
            parse_rfc3339(&format!("{s}Z"))
        } else {
            None
        }
    })
}

/// RFC 3339 with the unambiguous relaxations pydantic and ajv-formats accept: a space for `T`, a
/// comma decimal sign, a basic offset (`+0100`). No offset, impossible values and other shapes
/// are still refused.
pub fn parse_lenient(s: &str) -> Option<OffsetDateTime> {
    let mut t = s.to_owned();
    // ISO 8601's end of the day, `24:00:00`, is the next day's midnight, as `Date.parse` reads it.
    if t.get(11..19) == Some("24:00:00") {
        let rest = t.get(19..).unwrap_or("");
        let offset = rest.trim_start_matches(['.', '0']);
        if rest.starts_with('.') || rest.len() == offset.len() {
            let day_end = format!("{}23:59:59{offset}", t.get(..11)?);
            return parse_lenient(&day_end).map(|at| at + time::Duration::SECOND);
        }
    }
    // Each byte tested is ASCII, so the ranges replaced sit on character boundaries.
    if t.as_bytes().get(10) == Some(&b' ') {
        t.replace_range(10..11, "T");
    }
    if t.as_bytes().get(19) == Some(&b',') {
        t.replace_range(19..20, ".");
    }
    let b = t.as_bytes();
    let n = b.len();
    if n > 19 && matches!(b[n - 5], b'+' | b'-') && b[n - 4..].iter().all(u8::is_ascii_digit) {
        t.insert(n - 2, ':');
    }
    parse_rfc3339(&t)
}

/// The `regex-date-time` bug: `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`
/// and then out-of-range parts rolled over, the way PHP's date parsing normalises them.
fn parse_by_shape(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let literal = |i: usize, c: u8| b.get(i) == Some(&c);
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if !separators.iter().all(|&(i, c)| literal(i, c)) {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut i = 19;
    let mut nanos = 0i64;
    if literal(i, b'.') {
        let start = i + 1;
        let end = start + b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if end == start {
            return None;
        }
        let scale = b[start..end]
            .iter()
            .take(9)
            .fold((0i64, 100_000_000i64), |(acc, m), c| {
                (acc + i64::from(c - b'0') * m, m / 10)
            });
        nanos = scale.0;
        i = end;
    }
    let offset_seconds = match b.get(i) {
        Some(b'Z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && literal(i + 3, b':') => {
            let magnitude = digits(i + 1..i + 3)? * 3600 + digits(i + 4..i + 6)? * 60;
            if *sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };

    let months = year * 12 + month - 1;
    let first = Date::from_calendar_date(
        i32::try_from(months.div_euclid(12)).ok()?,
        Month::try_from(u8::try_from(months.rem_euclid(12) + 1).ok()?).ok()?,
        1,
    )
    .ok()?;
    let elapsed = Duration::days(day - 1)
        + Duration::hours(hour)
        + Duration::minutes(minute)
        + Duration::seconds(second - offset_seconds)
        + Duration::nanoseconds(nanos);
    PrimitiveDateTime::new(first, Time::MIDNIGHT)
        .assume_utc()
        .checked_add(elapsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::datetimes::NEAR_MISSES;
    use serde_json::json;

    const VALID: &[&str] = &[
        "2099-01-02T03:04:05Z",
        "2099-01-02T03:04:05+05:30",
        "2099-01-02T03:04:05.123456Z",
        "2099-01-02T03:04:05-00:00",
        "2099-01-02t03:04:05z",
        "2099-01-02T03:04:05.123456789123Z",
        "2016-12-31T23:59:60Z",
        "2099-01-02T23:59:60Z",
        "2099-01-02T18:29:60-05:30",
        "2000-02-29T00:00:00Z",
        "2000-01-01T00:00:00-23:59",
    ];

    /// Refused beside the contract's near-misses ([`NEAR_MISSES`]).
    const INVALID: &[&str] = &[
        "2099-01-02T03:04:05.Z",
        "2099-01-02T03:04:05+05:60",
        "2099-01-02T03:04:05+0530",
        "2099-01-02T03:04:60Z",
        "2100-02-29T00:00:00Z",
        "2099-1-02T03:04:05Z",
        "2099-01-02T03:04:05Z ",
        "2099-01-02T03:04Z",
        "2099-01-02X03:04:05Z",
        "２099-01-02T03:04:05Z",
    ];

    fn schema_says_valid(s: &str) -> bool {
        let schema = json!({"type": "string", "format": "date-time"});
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema compiles");
        validator.is_valid(&json!(s))
    }

    #[test]
    fn date_time_acceptance_matches_the_list_and_jsonschema() {
        for s in VALID {
            assert!(parse_rfc3339(s).is_some(), "should accept {s:?}");
            assert!(schema_says_valid(s), "jsonschema disagrees on {s:?}");
        }
        let near_misses = NEAR_MISSES.iter().map(|m| m.text);
        for s in near_misses.chain(INVALID.iter().copied()) {
            assert!(parse_rfc3339(s).is_none(), "should reject {s:?}");
            assert!(!schema_says_valid(s), "jsonschema disagrees on {s:?}");
        }
    }

    #[test]
    fn offsets_are_kept_as_instants() {
        let a = parse_rfc3339("2099-01-02T03:04:05+05:30").expect("valid");
        let b = parse_rfc3339("2099-01-01T21:34:05Z").expect("valid");
        assert_eq!(a, b);
        let leap = parse_rfc3339("2099-01-02T23:59:60Z").expect("valid");
        assert_eq!(leap.nanosecond(), 999_999_999);
    }

    #[test]
    fn shape_only_parsing_rolls_impossible_dates_over() {
        let rolled = |s| parse_by_shape(s).map(|d| d.to_offset(UtcOffset::UTC));
        let expect = |s| parse_rfc3339(s);
        assert_eq!(
            rolled("2099-02-30T00:00:00Z"),
            expect("2099-03-02T00:00:00Z")
        );
        assert_eq!(
            rolled("2099-13-01T00:00:00Z"),
            expect("2100-01-01T00:00:00Z")
        );
        assert_eq!(
            rolled("2099-01-02T24:00:00Z"),
            expect("2099-01-03T00:00:00Z")
        );
        assert_eq!(
            rolled("2099-01-02T03:04:05+24:00"),
            expect("2099-01-01T03:04:05Z")
        );
        assert!(rolled("2099-00-00T99:99:99.5+99:99").is_some());
        for bad in [
            "",
            "2099-01-02",
            "2099-01-02 03:04:05Z",
            "2099-01-02T03:04:05",
        ] {
            assert!(parse_by_shape(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn lenient_parsing_takes_the_unambiguous_variants_only() {
        let same = |lenient: &str, strict: &str| {
            assert!(
                parse_rfc3339(lenient).is_none(),
                "{lenient:?} is strict RFC 3339"
            );
            assert_eq!(parse_lenient(lenient), parse_rfc3339(strict), "{lenient:?}");
        };
        same("2099-01-02 03:04:05Z", "2099-01-02T03:04:05Z");
        same("2099-01-02T03:04:05,5Z", "2099-01-02T03:04:05.5Z");
        same("2099-01-02T03:04:05+0100", "2099-01-02T03:04:05+01:00");
        same(
            "2099-01-02 03:04:05,25-0530",
            "2099-01-02T03:04:05.25-05:30",
        );
        same("2099-01-02T24:00:00Z", "2099-01-03T00:00:00Z");
        same("2099-12-31T24:00:00.000+01:00", "2100-01-01T00:00:00+01:00");
        for s in VALID {
            assert_eq!(parse_lenient(s), parse_rfc3339(s), "{s:?}");
        }
        for bad in [
            "2099-01-02T03:04:05",
            "2099-01-02 03:04:05",
            "2099-01-02",
            "2099-01-02T24:00:01Z",
            "2099-01-02T24:00:00.5Z",
            "2099-02-30T24:00:00Z",
            "2099-02-30 00:00:00Z",
            "2099-13-01T00:00:00Z",
            "2099-01-02T03:04:05+2400",
            "2099-01-02T03:04:05.12345",
            "tomorrow",
            "",
        ] {
            assert!(parse_lenient(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn name_limit_counts_code_points() {
        let body = |name: String| json!({"name": name, "description": ""});
        let clean = FaultSet::none();
        assert!(validate(&body("😀".repeat(55)), &clean, false).is_ok());
        assert!(validate(&body("😀".repeat(56)), &clean, false).is_err());
        assert!(validate(&body("a".repeat(55)), &clean, false).is_ok());
        assert!(validate(&body(String::new()), &clean, false).is_ok());
    }

    #[test]
    fn every_offending_field_is_named() {
        let body = json!({"name": 5, "expires_at": "soon"});
        let Err(Rejection::Invalid(errors)) = validate(&body, &FaultSet::none(), false) else {
            panic!("expected a validation failure");
        };
        let keys: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(keys, ["name", "description", "expires_at"]);
    }

    #[test]
    fn coerce_types_coerces_as_ajv_does() {
        let coerce = FaultSet::with([Fault::CoerceTypes]);
        let name_of = |name: Value| {
            validate(&json!({"name": name, "description": "d"}), &coerce, false).map(|r| r.name)
        };
        assert_eq!(name_of(json!(123)).unwrap(), "123");
        assert_eq!(name_of(json!(1.5)).unwrap(), "1.5");
        assert_eq!(name_of(json!(true)).unwrap(), "true");
        assert_eq!(name_of(json!(null)).unwrap(), "");
        assert_eq!(name_of(json!([7])).unwrap(), "7");
        assert_eq!(name_of(json!(["text"])).unwrap(), "text");
        for refused in [
            json!({"value": "text"}),
            json!([1, 2]),
            json!([[1]]),
            json!([]),
        ] {
            assert!(name_of(refused.clone()).is_err(), "{refused}");
        }
    }

    #[test]
    fn epoch_number_is_read_as_unix_seconds_only_with_its_fault() {
        let body = json!({"name": "n", "description": "d", "expires_at": 4_102_444_800u64});
        assert!(validate(&body, &FaultSet::none(), false).is_err());
        let read = validate(&body, &FaultSet::with([Fault::EpochNumberDateTime]), false)
            .expect("read as Unix seconds");
        assert_eq!(read.expires_at, parse_rfc3339("2100-01-01T00:00:00Z"));
    }

    #[test]
    fn prototype_keys_are_found_at_any_depth() {
        for body in [
            json!({"__proto__": {}}),
            json!({"a": [{"constructor": {"prototype": {}}}]}),
            json!({"a": {"b": {"prototype": 1}}}),
        ] {
            assert!(has_prototype_key(&body), "{body}");
        }
        for body in [
            json!({"name": "__proto__"}),
            json!(["constructor"]),
            json!({"proto": 1}),
        ] {
            assert!(!has_prototype_key(&body), "{body}");
        }
    }

    #[test]
    fn non_objects_are_rejected_under_body() {
        for body in [json!([]), json!(null), json!("x"), json!(1)] {
            let Err(Rejection::Invalid(errors)) = validate(&body, &FaultSet::none(), false) else {
                panic!("expected a validation failure for {body}");
            };
            assert!(errors.contains_key("body"));
        }
    }
}
