//! Checks of an endpoint file and of a request schema's bounds, beyond what serde reads.

use std::path::Path;

use serde_json::Value;

use super::{
    path_placeholders, pointer_token, Endpoint, SemanticKind, EXPECTATION_KEYS, MAX_SKEW_MINUTES,
};
use crate::diag::{locate_key, FileError};

pub(crate) fn validate_endpoint(e: &Endpoint, path: &Path, text: &str) -> Result<(), FileError> {
    let err = |msg: String| Err(FileError::new(path, msg));
    let located = |key: &str, msg: String| {
        let e = FileError::new(path, msg);
        match locate_key(text, key) {
            Some((line, column)) => e.at(line, column),
            None => e,
        }
    };
    // An OpenAPI operation may also need no credentials, and succeed with the statuses it
    // documents when it documents no 2xx.
    let from_document = e.fields_source == super::FieldsSource::XConformance;
    if !(e.auth.scheme.eq_ignore_ascii_case("bearer")
        || (from_document && matches!(e.auth.scheme.as_str(), "none" | "document")))
    {
        return err(format!(
            "auth.scheme `{}` is not supported; only `bearer` is",
            e.auth.scheme
        ));
    }
    if let Err(m) = check_method(&e.method) {
        let mut err = located("method", m.to_string());
        err.help = m.help();
        return Err(err);
    }
    if e.body_kind == super::BodyKind::None && e.content_type.is_empty() {
        // No body, no Content-Type.
    } else if let Err(problem) = check_header_value(&e.content_type) {
        return Err(located(
            "content_type",
            format!("content_type cannot be sent as a header: {problem}"),
        ));
    }
    let placeholders = path_placeholders(&e.path);
    for p in &placeholders {
        if !e.path_params.contains_key(p) {
            return err(format!(
                "path has `{{{p}}}` but path_params does not describe it"
            ));
        }
    }
    for p in e.path_params.keys() {
        if !placeholders.contains(p) {
            return err(format!(
                "path_params.{p} does not appear in the path `{}`",
                e.path
            ));
        }
    }
    let success_range = if from_document { 100..600 } else { 200..300 };
    if e.success.is_empty() || e.success.iter().any(|s| !success_range.contains(s)) {
        return err(format!(
            "success must list 2xx statuses, got {:?}",
            e.success
        ));
    }
    if let Some(status) = e.response_schemas.keys().find(|s| !e.success.contains(s)) {
        return err(format!(
            "response_schemas.{status}: {status} is not one of the success statuses {:?}",
            e.success
        ));
    }
    for key in EXPECTATION_KEYS {
        match e.expectations.get(*key) {
            None => {
                return err(format!(
                    "expectations.{key} is missing (needed: {})",
                    EXPECTATION_KEYS.join(", ")
                ))
            }
            Some(s) if s.is_empty() || s.iter().any(|s| !(100..600).contains(s)) => {
                return err(format!(
                    "expectations.{key} must list HTTP statuses, got {s:?}"
                ))
            }
            _ => {}
        }
    }
    for (key, statuses) in &e.tolerated {
        let expected = match key.as_str() {
            "success" => &e.success,
            _ => match e.expectations.get(key) {
                Some(s) => s,
                None => {
                    let keys = e.expectations.keys().map(String::as_str);
                    let hint = crate::diag::did_you_mean(key, keys)
                        .map(|b| format!(" (did you mean `{b}`?)"))
                        .unwrap_or_default();
                    return err(format!(
                        "tolerated.{key}: no such expectation{hint}; tolerated takes `success` \
                         or a key of expectations"
                    ));
                }
            },
        };
        // A 5xx is never acceptable, and a status both expected and tolerated is a contradiction.
        if statuses.is_empty()
            || statuses
                .iter()
                .any(|s| !(100..500).contains(s) || expected.contains(s))
        {
            return err(format!(
                "tolerated.{key} must list HTTP statuses below 500 that {key} does not expect, \
                 got {statuses:?}"
            ));
        }
    }
    if let Some(p) = &e.created_id {
        if !p.starts_with('/') {
            return err(format!(
                "created_id `{p}` is not a JSON pointer (it must start with /)"
            ));
        }
    }
    for (i, s) in e.semantics.iter().enumerate() {
        let needs = |what: &str, present: bool| -> Result<(), FileError> {
            match present {
                true => Ok(()),
                false => Err(FileError::new(
                    path,
                    format!("semantics[{i}] ({}) needs `{what}`", s.check.name()),
                )),
            }
        };
        match s.check {
            SemanticKind::SameInstant | SemanticKind::Echo => {
                needs("request", s.request.is_some())?
            }
            SemanticKind::MinutesBetween => {
                needs("from", s.from.is_some())?;
                needs("to", s.to.is_some())?;
            }
            SemanticKind::Equals => needs("value", s.value.is_some())?,
            SemanticKind::Unique | SemanticKind::Recent | SemanticKind::UnknownIgnored => {}
            SemanticKind::LinksTo => needs("to", s.to.is_some())?,
        }
        if let Some(m) = s.skew_minutes {
            if s.check != SemanticKind::Recent {
                return err(format!(
                    "semantics[{i}] ({}): `skew_minutes` belongs to `recent` rules",
                    s.check.name()
                ));
            }
            if !(1..=MAX_SKEW_MINUTES).contains(&m) {
                return err(format!(
                    "semantics[{i}] (recent): `skew_minutes` must be 1 to {MAX_SKEW_MINUTES}, got {m}"
                ));
            }
        }
        let pointers = [
            Some(&s.response),
            s.request.as_ref(),
            s.from.as_ref(),
            s.to.as_ref(),
        ];
        for p in pointers.into_iter().flatten() {
            if !(p.is_empty() || p.starts_with('/')) {
                return err(format!(
                    "semantics[{i}]: `{p}` is not a JSON pointer (it must start with /)"
                ));
            }
        }
    }
    Ok(())
}

/// Why a method from a contract or case file cannot be sent as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MethodError {
    /// RFC 9110 methods are tokens: letters, digits and ``!#$%&'*+-.^_`|~``, at least one.
    #[error(
        "`{0}` is not an HTTP method: a method is a token of letters, digits and !#$%&'*+-.^_`|~"
    )]
    NotAToken(String),
    /// Methods are case-sensitive, and servers do not treat `post` as `POST`.
    #[error("`{given}` is not an HTTP method: methods are case-sensitive, and `{standard}` is written in upper case")]
    WrongCase {
        given: String,
        standard: &'static str,
    },
}

impl MethodError {
    /// The "did you mean" for a standard method in the wrong case.
    pub fn help(&self) -> Option<String> {
        match self {
            MethodError::WrongCase { standard, .. } => Some(format!("did you mean `{standard}`?")),
            MethodError::NotAToken(_) => None,
        }
    }
}

/// The methods RFC 9110 defines, plus PATCH (RFC 5789).
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// Whether `method` is one of RFC 9110's methods or PATCH, spelt as they are (methods are
/// case-sensitive, RFC 9110 9.1).
pub fn is_standard_method(method: &str) -> bool {
    STANDARD_METHODS.contains(&method)
}

/// Checks that `method` is an RFC 9110 token and, when it spells a standard method, that it is
/// spelt in upper case: a case file's `post` would otherwise be sent as is.
pub fn check_method(method: &str) -> Result<(), MethodError> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(tchar) {
        return Err(MethodError::NotAToken(method.to_string()));
    }
    match STANDARD_METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
    {
        Some(standard) if *standard != method => Err(MethodError::WrongCase {
            given: method.to_string(),
            standard,
        }),
        _ => Ok(()),
    }
}

/// A header value from a contract or case file that the HTTP client would refuse at send time,
/// which would make the case a transport error rather than a bad file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderValueError {
    #[error("character {position} is the control character U+{code:04X}{name}; a header value cannot hold control characters other than tab", code = *character as u32, name = control_name(*character))]
    Control { position: usize, character: char },
    #[error("the HTTP client refuses it as a header value")]
    Refused,
}

fn control_name(c: char) -> &'static str {
    match c {
        '\n' => " (line feed)",
        '\r' => " (carriage return)",
        '\0' => " (NUL)",
        _ => "",
    }
}

/// Checks that `value` can be sent as an HTTP header value, by the HTTP client's own rule (no
/// control characters but tab), naming the first character at fault.
pub fn check_header_value(value: &str) -> Result<(), HeaderValueError> {
    if reqwest::header::HeaderValue::from_str(value).is_ok() {
        return Ok(());
    }
    match value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_ascii_control() && *c != '\t')
    {
        Some((at, character)) => Err(HeaderValueError::Control {
            position: at + 1,
            character,
        }),
        None => Err(HeaderValueError::Refused),
    }
}

/// The largest `minLength`, `maxLength`, `minItems` or `maxItems` a request schema may set. The
/// deriver builds strings of exactly `maxLength + 1` characters and the generator draws up to the
/// bounds, so a bound of 2^64 - 1 asks for exabytes; 1 MiB is far beyond any real field.
pub const MAX_SCHEMA_BOUND: u64 = 1 << 20;

const BOUND_KEYWORDS: [&str; 4] = ["minLength", "maxLength", "minItems", "maxItems"];
/// Keywords whose value is one schema (or, for old-style `items`, a list of them).
const SUBSCHEMA: [&str; 12] = [
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value maps names to schemas.
const SUBSCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keywords whose value is a list of schemas.
const SUBSCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// Deeper than any file serde_json parses (it stops at 128 levels); guards schemas built in code.
const MAX_SCHEMA_DEPTH: usize = 256;

/// A length or item-count bound of the request schema that the suite cannot honour.
#[derive(Debug, thiserror::Error)]
pub enum BoundError {
    #[error("`{keyword}` at {pointer} must be a non-negative integer, found {found}")]
    NotACount {
        keyword: String,
        pointer: String,
        found: Value,
    },
    #[error("`{keyword}` at {pointer} is {found}, above the limit of {MAX_SCHEMA_BOUND} (1 MiB): the suite builds strings and arrays of that size")]
    TooLarge {
        keyword: String,
        pointer: String,
        found: Value,
    },
    #[error("the schema at {0} is nested deeper than {MAX_SCHEMA_DEPTH} levels")]
    TooDeep(String),
}

/// Checks every length and item-count bound in a schema and its subschemas: a non-negative
/// integer no larger than [`MAX_SCHEMA_BOUND`]. The error names the keyword's JSON pointer.
pub(super) fn check_bounds(schema: &Value, pointer: &str, depth: usize) -> Result<(), BoundError> {
    if depth > MAX_SCHEMA_DEPTH {
        return Err(BoundError::TooDeep(pointer.into()));
    }
    let Value::Object(map) = schema else {
        return Ok(());
    };
    for (keyword, value) in map {
        let at = format!("{pointer}/{}", pointer_token(keyword));
        if BOUND_KEYWORDS.contains(&keyword.as_str()) {
            check_bound(keyword, value, at)?;
        } else if SUBSCHEMA.contains(&keyword.as_str()) {
            match value {
                Value::Array(list) => check_list(list, &at, depth)?,
                _ => check_bounds(value, &at, depth + 1)?,
            }
        } else if SUBSCHEMA_MAPS.contains(&keyword.as_str()) {
            if let Value::Object(subs) = value {
                for (name, sub) in subs {
                    check_bounds(sub, &format!("{at}/{}", pointer_token(name)), depth + 1)?;
                }
            }
        } else if SUBSCHEMA_LISTS.contains(&keyword.as_str()) {
            if let Value::Array(list) = value {
                check_list(list, &at, depth)?;
            }
        }
    }
    Ok(())
}

/// Where `value` nests deeper than [`MAX_SCHEMA_DEPTH`], if it does: response schemas have no
/// bounds the suite builds from, but are compiled and walked all the same.
pub(super) fn too_deep(value: &Value, depth: usize) -> Option<String> {
    if depth > MAX_SCHEMA_DEPTH {
        return Some(String::new());
    }
    // The pointer is built on the way back, only when something is too deep.
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            too_deep(v, depth + 1).map(|rest| format!("/{}{rest}", pointer_token(k)))
        }),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .find_map(|(i, v)| too_deep(v, depth + 1).map(|rest| format!("/{i}{rest}"))),
        _ => None,
    }
}

fn check_list(list: &[Value], at: &str, depth: usize) -> Result<(), BoundError> {
    for (i, sub) in list.iter().enumerate() {
        check_bounds(sub, &format!("{at}/{i}"), depth + 1)?;
    }
    Ok(())
}

fn check_bound(keyword: &str, value: &Value, pointer: String) -> Result<(), BoundError> {
    // JSON Schema counts 10.0 as an integer; 1e300 is one too, just far too large.
    let count = match value {
        Value::Number(n) if n.is_u64() => n.as_u64().map(|v| v as f64),
        Value::Number(n) => n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0),
        _ => None,
    };
    match count {
        None => Err(BoundError::NotACount {
            keyword: keyword.into(),
            pointer,
            found: value.clone(),
        }),
        Some(c) if c > MAX_SCHEMA_BOUND as f64 => Err(BoundError::TooLarge {
            keyword: keyword.into(),
            pointer,
            found: value.clone(),
        }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Operation, EMBEDDED_SCHEMAS};
    use crate::diag::FileError;

    #[test]
    fn a_response_schema_nested_too_deep_is_found_with_its_pointer() {
        let mut deep = serde_json::json!({"type": "string"});
        // With "type"'s value, the deepest value is at MAX_SCHEMA_DEPTH.
        for _ in 0..MAX_SCHEMA_DEPTH - 1 {
            deep = serde_json::json!({"items": deep});
        }
        assert_eq!(too_deep(&deep, 0), None, "the limit itself is fine");
        let deeper = serde_json::json!({"properties": {"a/b": deep}});
        let at = too_deep(&deeper, 0).expect("found");
        assert!(at.starts_with("/properties/a~1b/items/items"), "{at}");
    }

    #[test]
    fn header_values_are_judged_as_the_http_client_judges_them() {
        let odd = [0x80, 0xa0, 0xff, 0x2028, 0xfeff, 0x1f600];
        for c in (0u32..0x80).chain(odd).filter_map(char::from_u32) {
            let v = format!("a{c}b");
            let client = reqwest::header::HeaderValue::from_str(&v).is_ok();
            assert_eq!(check_header_value(&v).is_ok(), client, "{c:?}");
        }
        assert_eq!(
            check_header_value("x\ny"),
            Err(HeaderValueError::Control {
                position: 2,
                character: '\n'
            })
        );
    }

    #[test]
    fn methods_are_tokens_and_standard_ones_upper_case() {
        for ok in ["POST", "GET", "PURGE", "M-SEARCH", "x~!"] {
            assert_eq!(check_method(ok), Ok(()), "{ok}");
        }
        for bad in ["", "PO ST", "GET\n", "PÖST", "(GET)"] {
            assert!(
                matches!(check_method(bad), Err(MethodError::NotAToken(_))),
                "{bad}"
            );
        }
        let e = check_method("pAtCh").unwrap_err();
        assert_eq!(e.help().as_deref(), Some("did you mean `PATCH`?"));
    }

    /// The shipped contract in a temporary directory, its endpoint file edited by `edit`.
    fn edited_endpoint(edit: impl Fn(&str) -> String) -> Result<Operation, FileError> {
        let dir = tempfile::tempdir().unwrap();
        for f in EMBEDDED_SCHEMAS.files() {
            let text = f.contents_utf8().unwrap();
            let is_endpoint = f.path().to_string_lossy().ends_with(".endpoint.json");
            let text = if is_endpoint {
                edit(text)
            } else {
                text.to_string()
            };
            std::fs::write(dir.path().join(f.path()), text).unwrap();
        }
        Operation::from_dir(dir.path())
    }

    #[test]
    fn tolerated_statuses_are_checked_against_the_expectations() {
        let c = Operation::embedded().unwrap();
        assert_eq!(c.tolerated("method"), [404]);
        assert!(c.tolerated("invalid_body").is_empty());
        let tolerate = |map: &'static str| {
            edited_endpoint(move |t| t.replace(r#""method": [404]"#, map))
                .map(|_| ())
                .map_err(|e| e.message)
        };
        assert_eq!(tolerate(r#""success": [204]"#), Ok(()));
        let unknown = tolerate(r#""methd": [404]"#).unwrap_err();
        assert!(unknown.contains("did you mean `method`"), "{unknown}");
        for bad in [
            r#""method": [500]"#,
            r#""method": [405]"#,
            r#""method": []"#,
        ] {
            assert!(tolerate(bad).is_err(), "{bad} was accepted");
        }
    }
}
