//! The reference server's side of the standards under the contract, and the faults that break
//! them: how the media type, the raw JSON text and the bearer scheme are read.

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};

use super::faults::{Fault, FaultSet};

/// Whether the request's media type is JSON (RFC 9110 8.3.1: type and subtype are
/// case-insensitive, and parameters may follow), as the media-type faults bend it.
pub(super) fn is_json_media_type(headers: &HeaderMap, faults: &FaultSet) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if faults.has(Fault::MediaTypeParamsRefused) && value.contains(';') {
        return false;
    }
    let essence = value.split(';').next().unwrap_or_default().trim();
    if faults.has(Fault::MediaTypeCaseSensitive) && essence != essence.to_ascii_lowercase() {
        return false;
    }
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let subtype = subtype.to_ascii_lowercase();
    kind.eq_ignore_ascii_case("application")
        && (subtype == "json" || (subtype.len() > "+json".len() && subtype.ends_with("+json")))
}

/// What a bearer `Authorization` header held.
pub(super) enum Presented<'a> {
    /// No bearer credential: no header, or another scheme.
    Nothing,
    /// The scheme with no token.
    Empty,
    Token(&'a str),
}

/// The bearer credential of a request: the scheme is case-insensitive (RFC 9110 11.1) and one
/// or more spaces separate it from the token (RFC 6750 2.1); the token itself is compared as is.
pub(super) fn bearer<'a>(headers: &'a HeaderMap, faults: &FaultSet) -> Presented<'a> {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Presented::Nothing;
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let scheme_ok = if faults.has(Fault::BearerCaseSensitive) {
        scheme == "Bearer"
    } else {
        scheme.eq_ignore_ascii_case("bearer")
    };
    match (scheme_ok, rest.trim_start_matches(' ')) {
        (false, _) => Presented::Nothing,
        (true, "") => Presented::Empty,
        (true, token) => Presented::Token(token),
    }
}

/// The `WWW-Authenticate` challenge of a 401 (RFC 6750 3 and 3.1), as the faults bend it.
pub(super) fn challenge(presented: &Presented<'_>, faults: &FaultSet) -> Option<HeaderValue> {
    if faults.has(Fault::NoWwwAuthenticate) {
        return None;
    }
    if faults.has(Fault::BasicChallenge) {
        return Some(HeaderValue::from_static("Basic realm=\"api\""));
    }
    Some(HeaderValue::from_static(match presented {
        Presented::Nothing => "Bearer realm=\"provisionr\"",
        Presented::Empty => "Bearer realm=\"provisionr\", error=\"invalid_request\"",
        Presented::Token(_) => "Bearer realm=\"provisionr\", error=\"invalid_token\"",
    }))
}

/// The `challenge-with-realm` variation's challenge: RFC 6750 3's `realm`, `error` and
/// `error_description`, and no error code when no credential was presented (RFC 6750 3.1).
pub(super) fn described_challenge(presented: &Presented<'_>) -> HeaderValue {
    HeaderValue::from_static(match presented {
        Presented::Nothing => "Bearer realm=\"api\"",
        Presented::Empty => {
            "Bearer realm=\"api\", error=\"invalid_request\", error_description=\"No access token was sent, only the scheme\""
        }
        Presented::Token(_) => {
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired, was revoked, or is malformed\""
        }
    })
}

/// What the raw body's faults make of it before it is parsed.
pub(super) enum RawBody {
    /// Parse it as JSON, as the clean server does.
    Parse,
    /// The server falls over.
    Crash,
    /// The `regex-parsed-json` bug: the fields a pattern found, and nothing else.
    Scraped(Value),
}

pub(super) fn raw_body(bytes: &[u8], faults: &FaultSet) -> RawBody {
    if faults.has(Fault::CrashOnDeepNesting) && depth(bytes) > 100 {
        return RawBody::Crash;
    }
    let text = String::from_utf8_lossy(bytes);
    let crashes =
        faults.has(Fault::CrashOnLoneSurrogate) || faults.has(Fault::CrashOnLoneSurrogateCloses);
    if crashes && has_lone_surrogate(&text) {
        return RawBody::Crash;
    }
    if faults.has(Fault::RegexParsedJson) {
        return RawBody::Scraped(scrape(&text));
    }
    RawBody::Parse
}

/// The deepest nesting of `[` and `{` outside strings.
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') | (false, _, b'"') => in_string = !in_string,
            (false, _, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A `\uD800`-`\uDBFF` escape not followed by a `\uDC00`-`\uDFFF` one.
fn has_lone_surrogate(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let in_range = |s: &str, first: std::ops::RangeInclusive<u8>| {
        s.len() >= 6
            && s.starts_with("\\ud")
            && first.contains(&s.as_bytes()[3])
            && s.as_bytes()[4..6].iter().all(u8::is_ascii_hexdigit)
    };
    let mut at = 0;
    while let Some(i) = lower[at..].find("\\ud") {
        let escape = &lower[at + i..];
        if in_range(escape, b'8'..=b'b') && !in_range(escape.get(6..).unwrap_or(""), b'c'..=b'f') {
            return true;
        }
        at += i + 3;
    }
    false
}

/// `"key":value` for each field, found in the raw text exactly so: no whitespace around the
/// colon, no escapes in the key.
fn scrape(text: &str) -> Value {
    let mut fields = Map::new();
    for key in ["name", "description", "expires_at"] {
        let Some(at) = text.find(&format!("\"{key}\":")) else {
            continue;
        };
        let rest = &text[at + key.len() + 3..];
        if rest.starts_with(char::is_whitespace) {
            continue;
        }
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        if let Some(Ok(v)) = values.next() {
            fields.insert(key.to_string(), v);
        }
    }
    Value::Object(fields)
}

/// Whether a method is one HTTP defines (RFC 9110 9 and RFC 5789's PATCH).
pub(super) fn known_method(method: &axum::http::Method) -> bool {
    crate::contract::is_standard_method(method.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_and_depth_are_read_from_the_raw_text() {
        assert!(has_lone_surrogate(r#"{"a":"\ud800"}"#));
        assert!(has_lone_surrogate(r#"{"a":"\uD83D x"}"#));
        assert!(!has_lone_surrogate(r#"{"a":"\ud83d\ude00"}"#));
        assert!(!has_lone_surrogate(r#"{"a":"\u0041"}"#));
        assert_eq!(depth(br#"{"a":[[1]],"b":"[[[["}"#), 3);
    }

    #[test]
    fn scraping_misses_what_a_parser_reads() {
        let found = scrape(r#"{"name":"n","description":"d"}"#);
        assert_eq!(found["name"], "n");
        let spaced = scrape("{\"name\" : \"n\"}");
        assert!(spaced.get("name").is_none());
        let escaped = scrape(r#"{"\u006eame":"n"}"#);
        assert!(escaped.get("name").is_none());
    }
}
