//! String formats: which ones the generator knows, valid values of each, their near misses, and
//! the check `Node::accepts` uses.
//!
//! The check is the suite's own validator: for every format `jsonschema` knows, one cached
//! validator of `{"format": …}` with formats asserted, so our verdict on a value is the one the
//! request validator gives, by construction. `byte` is OpenAPI's and unknown to `jsonschema`, so
//! it is checked here, by RFC 4648; `binary` is any string.
//!
//! An unknown format is an annotation (JSON Schema 2020-12 7.2.3): it adds no rule, and
//! [`unknown_formats`] lists where one sits so `--list` can say so.

use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};

use super::format_misses::{self as m, FormatExample, FormatMiss, Verdict};
use super::{datetime, strings};
use crate::contract::pointer_token;

/// Every format with a rule: JSON Schema 2020-12's and OpenAPI's `byte` and `binary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Format {
    DateTime,
    Date,
    Time,
    Duration,
    Email,
    IdnEmail,
    Hostname,
    IdnHostname,
    Ipv4,
    Ipv6,
    Uri,
    UriReference,
    Iri,
    IriReference,
    UriTemplate,
    Uuid,
    JsonPointer,
    RelativeJsonPointer,
    Regex,
    Byte,
    Binary,
}

impl Format {
    pub(crate) const ALL: [Format; 21] = [
        Format::DateTime,
        Format::Date,
        Format::Time,
        Format::Duration,
        Format::Email,
        Format::IdnEmail,
        Format::Hostname,
        Format::IdnHostname,
        Format::Ipv4,
        Format::Ipv6,
        Format::Uri,
        Format::UriReference,
        Format::Iri,
        Format::IriReference,
        Format::UriTemplate,
        Format::Uuid,
        Format::JsonPointer,
        Format::RelativeJsonPointer,
        Format::Regex,
        Format::Byte,
        Format::Binary,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::DateTime => "date-time",
            Format::Date => "date",
            Format::Time => "time",
            Format::Duration => "duration",
            Format::Email => "email",
            Format::IdnEmail => "idn-email",
            Format::Hostname => "hostname",
            Format::IdnHostname => "idn-hostname",
            Format::Ipv4 => "ipv4",
            Format::Ipv6 => "ipv6",
            Format::Uri => "uri",
            Format::UriReference => "uri-reference",
            Format::Iri => "iri",
            Format::IriReference => "iri-reference",
            Format::UriTemplate => "uri-template",
            Format::Uuid => "uuid",
            Format::JsonPointer => "json-pointer",
            Format::RelativeJsonPointer => "relative-json-pointer",
            Format::Regex => "regex",
            Format::Byte => "byte",
            Format::Binary => "binary",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// OpenAPI's number formats and `password`: known, but no string rule (`int32` is a range).
const OPENAPI_ANNOTATIONS: &[&str] = &["int32", "int64", "float", "double", "password"];

/// Our verdict on `s` as a value of `format`: the suite validator's, or RFC 4648's for `byte`.
pub(crate) fn accepts(format: Format, s: &str) -> bool {
    match format {
        Format::DateTime => datetime::is_date_time(s),
        Format::Byte => is_base64(s),
        Format::Binary => true,
        other => validator(other).is_none_or(|v| v.is_valid(&Value::String(s.to_owned()))),
    }
}

/// One validator per format, built once: compiling is far dearer than checking.
fn validator(format: Format) -> Option<&'static jsonschema::Validator> {
    static CACHE: OnceLock<Vec<(Format, Option<jsonschema::Validator>)>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        Format::ALL
            .into_iter()
            .map(|f| {
                let schema = json!({"format": f.name()});
                let v = jsonschema::options()
                    .should_validate_formats(true)
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&schema)
                    .ok();
                (f, v)
            })
            .collect()
    });
    all.iter()
        .find(|(f, _)| *f == format)
        .and_then(|(_, v)| v.as_ref())
}

/// RFC 4648 section 4 base64, padded, in the standard alphabet, with no line breaks. Non-zero
/// pad bits (3.5 lets a decoder refuse them or not) are accepted.
pub fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pads = b.iter().rev().take_while(|&&c| c == b'=').count();
    pads <= 2
        && b[..b.len() - pads]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A strategy from a regular expression written here (never from user input).
fn re(pattern: &str) -> BoxedStrategy<String> {
    match proptest::string::string_regex(pattern) {
        Ok(s) => s.boxed(),
        Err(_) => Just(String::new()).boxed(),
    }
}

fn pick(items: &'static [&'static str]) -> BoxedStrategy<String> {
    select(items).prop_map(str::to_owned).boxed()
}

/// A DNS label: a letter, then letters and digits, with at most one inner hyphen, never in
/// the third and fourth positions together (RFC 5891 reserves `??--` for A-labels).
fn label() -> BoxedStrategy<String> {
    re("[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?")
}

fn hostname() -> BoxedStrategy<String> {
    let made = (vec(label(), 0..=2), re("[a-z]{2,6}")).prop_map(|(mut labels, tld)| {
        labels.push(tld);
        labels.join(".")
    });
    prop_oneof![
        6 => made,
        1 => pick(&["localhost", "xn--bcher-kva.example", "api-2.eu-west-1.example.net"]),
    ]
    .boxed()
}

const UNICODE_LABELS: &[&str] = &["bücher", "例え", "テスト", "пример", "mañana", "δοκιμή"];

fn idn_hostname() -> BoxedStrategy<String> {
    let unicode = (
        pick(UNICODE_LABELS),
        vec(label(), 0..=1),
        pick(UNICODE_LABELS),
    )
        .prop_map(|(first, middle, last)| {
            let mut labels = vec![first];
            labels.extend(middle);
            labels.push(last);
            labels.join(".")
        });
    prop_oneof![3 => unicode, 1 => hostname()].boxed()
}

fn local_part() -> BoxedStrategy<String> {
    re("[a-z][a-z0-9]{0,9}([._+-][a-z0-9]{1,8}){0,2}")
}

/// A mail domain has a dot: RFC 5321 allows `user@localhost`, but many servers refuse it (the
/// `dotless_domain` near miss), so no valid value leans on it.
fn mail_domain() -> BoxedStrategy<String> {
    (vec(label(), 1..=2), re("[a-z]{2,6}"))
        .prop_map(|(mut labels, tld)| {
            labels.push(tld);
            labels.join(".")
        })
        .boxed()
}

fn ipv4() -> BoxedStrategy<String> {
    any::<[u8; 4]>()
        .prop_map(|o| std::net::Ipv4Addr::from(o).to_string())
        .boxed()
}

fn ipv6() -> BoxedStrategy<String> {
    (any::<[u16; 8]>(), 0u8..4)
        .prop_map(|(groups, form)| {
            let addr = std::net::Ipv6Addr::from(groups);
            match form {
                0 => addr.to_string(),
                1 => groups.map(|g| format!("{g:04x}")).join(":"),
                2 => addr.to_string().to_ascii_uppercase(),
                _ => {
                    let [a, b, c, d] = groups[6..8]
                        .iter()
                        .flat_map(|g| g.to_be_bytes())
                        .collect::<Vec<u8>>()[..]
                    else {
                        return addr.to_string();
                    };
                    format!("::ffff:{a}.{b}.{c}.{d}")
                }
            }
        })
        .boxed()
}

/// A path of unreserved characters and percent escapes, `/` first.
fn path(unicode: bool) -> BoxedStrategy<String> {
    let ascii = re("[A-Za-z0-9._~-]{1,8}|%20|%C3%BC");
    let segment = if unicode {
        prop_oneof![3 => ascii, 1 => pick(&["über", "パス", "café"])].boxed()
    } else {
        ascii
    };
    vec(segment, 0..=3)
        .prop_map(|segments| format!("/{}", segments.join("/")))
        .boxed()
}

fn query_fragment() -> BoxedStrategy<String> {
    (
        proptest::option::weighted(
            0.4,
            re("[a-z]{1,5}=[A-Za-z0-9]{0,5}(&[a-z]{1,5}=[0-9]{1,3})?"),
        ),
        proptest::option::weighted(0.3, re("[a-z0-9-]{0,6}")),
    )
        .prop_map(|(q, f)| {
            let q = q.map(|q| format!("?{q}")).unwrap_or_default();
            let f = f.map(|f| format!("#{f}")).unwrap_or_default();
            q + &f
        })
        .boxed()
}

fn absolute(unicode: bool) -> BoxedStrategy<String> {
    let host = if unicode {
        prop_oneof![hostname(), idn_hostname()].boxed()
    } else {
        prop_oneof![
            6 => hostname(),
            1 => ipv4(),
            1 => ipv6().prop_map(|a| format!("[{a}]")),
        ]
        .boxed()
    };
    let port = proptest::option::weighted(0.2, 1u16..=65535);
    let web = (
        pick(&["https", "http", "ftp", "x-app+v1.2"]),
        host,
        port,
        path(unicode),
        query_fragment(),
    )
        .prop_map(|(scheme, host, port, path, rest)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{path}{rest}")
        });
    let urn = (
        re("[a-z]{2,8}"),
        re("[A-Za-z0-9]{1,10}(:[A-Za-z0-9]{1,6})?"),
    )
        .prop_map(|(nid, nss)| format!("urn:{nid}:{nss}"));
    let mailto = (local_part(), mail_domain()).prop_map(|(l, h)| format!("mailto:{l}@{h}"));
    prop_oneof![6 => web, 1 => urn, 1 => mailto].boxed()
}

fn reference(unicode: bool) -> BoxedStrategy<String> {
    let relative =
        (path(unicode), query_fragment(), 0u8..3).prop_map(|(path, rest, form)| match form {
            0 => format!("{path}{rest}"),
            1 => format!("..{path}{rest}"),
            _ => format!("a{path}{rest}"),
        });
    let fragment = re("[a-z0-9-]{1,8}").prop_map(|f| format!("#{f}"));
    prop_oneof![3 => absolute(unicode), 3 => relative, 1 => fragment].boxed()
}

fn uri_template() -> BoxedStrategy<String> {
    let name = re("[a-z][a-z0-9_]{0,6}");
    let operator = pick(&["", "+", "#", ".", "/", ";", "?", "&"]);
    let modifier = pick(&["", "", "*", ":3"]);
    let expression = (operator, vec((name, modifier), 1..=3)).prop_map(|(op, vars)| {
        let vars: Vec<String> = vars.into_iter().map(|(n, m)| n + &m).collect();
        format!("{{{op}{}}}", vars.join(","))
    });
    let piece = (
        re("[a-z/]{0,6}"),
        proptest::option::weighted(0.8, expression),
    )
        .prop_map(|(lit, e)| lit + &e.unwrap_or_default());
    (
        pick(&["", "https://example.com", "/api"]),
        vec(piece, 1..=3),
    )
        .prop_map(|(base, pieces)| base + &pieces.concat())
        .boxed()
}

/// Version 4 UUIDs with the RFC 9562 variant, what servers mint, in lower or upper case (RFC
/// 9562 4 reads both). The other defined versions, nil and max are the deriver's named cases.
fn uuid() -> BoxedStrategy<String> {
    (any::<[u8; 16]>(), 0u8..6)
        .prop_map(|(mut b, form)| {
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            let text = format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            );
            if form == 5 {
                text.to_ascii_uppercase()
            } else {
                text
            }
        })
        .boxed()
}

fn json_pointer() -> BoxedStrategy<String> {
    vec(re("([a-z0-9 ._-]|~0|~1){0,6}"), 0..=4)
        .prop_map(|tokens| tokens.iter().map(|t| format!("/{t}")).collect())
        .boxed()
}

fn relative_json_pointer() -> BoxedStrategy<String> {
    (0u32..=5, 0u8..3, json_pointer())
        .prop_map(|(up, form, pointer)| match form {
            0 => format!("{up}{pointer}"),
            1 => format!("{up}#"),
            _ => up.to_string(),
        })
        .boxed()
}

fn regex() -> BoxedStrategy<String> {
    let atom = pick(&[
        "a", "[a-z]", "\\d", "\\w", "(ab|cd)", ".", "[0-9A-F]", "\\.", "x",
    ]);
    let quantifier = pick(&["", "", "*", "+", "?", "{2}", "{1,3}"]);
    (any::<bool>(), vec((atom, quantifier), 0..=4), any::<bool>())
        .prop_map(|(start, parts, end)| {
            let body: String = parts.into_iter().map(|(a, q)| a + &q).collect();
            format!(
                "{}{body}{}",
                if start { "^" } else { "" },
                if end { "$" } else { "" }
            )
        })
        .boxed()
}

fn duration() -> BoxedStrategy<String> {
    // RFC 3339 appendix A: runs of adjacent units (`Y` and `D` need `M` between them).
    const DATE_RUNS: &[&[char]] = &[
        &[],
        &['D'],
        &['M'],
        &['Y'],
        &['M', 'D'],
        &['Y', 'M'],
        &['Y', 'M', 'D'],
    ];
    const TIME_RUNS: &[&[char]] = &[
        &[],
        &['H'],
        &['M'],
        &['S'],
        &['H', 'M'],
        &['M', 'S'],
        &['H', 'M', 'S'],
    ];
    let number = || prop_oneof![3 => 0u32..=59, 1 => 0u32..=10_000];
    let units = (select(DATE_RUNS), select(TIME_RUNS), vec(number(), 6)).prop_map(
        |(date, time, numbers)| {
            let date = if date.is_empty() && time.is_empty() {
                &['D'][..]
            } else {
                date
            };
            let mut n = numbers.into_iter();
            let mut out = String::from("P");
            for u in date {
                out.push_str(&format!("{}{u}", n.next().unwrap_or(1)));
            }
            if !time.is_empty() {
                out.push('T');
                for u in time {
                    out.push_str(&format!("{}{u}", n.next().unwrap_or(1)));
                }
            }
            out
        },
    );
    prop_oneof![6 => units, 1 => (1u32..=52).prop_map(|w| format!("P{w}W"))].boxed()
}

/// Valid values of `format`, varied, shrinking toward simple ones. `length` bounds are the
/// caller's (`within_lengths`).
pub(crate) fn valid(format: Format) -> BoxedStrategy<String> {
    match format {
        Format::DateTime => datetime::valid(),
        Format::Date => datetime::valid_date(),
        Format::Time => datetime::valid_time(),
        Format::Duration => duration(),
        Format::Email => (local_part(), mail_domain())
            .prop_map(|(l, h)| format!("{l}@{h}"))
            .boxed(),
        Format::IdnEmail => (
            prop_oneof![local_part(), pick(&["用户", "josé", "почта"])],
            idn_hostname(),
        )
            .prop_map(|(l, h)| format!("{l}@{h}"))
            .boxed(),
        Format::Hostname => hostname(),
        Format::IdnHostname => idn_hostname(),
        Format::Ipv4 => ipv4(),
        Format::Ipv6 => ipv6(),
        Format::Uri => absolute(false),
        Format::UriReference => reference(false),
        Format::Iri => absolute(true),
        Format::IriReference => reference(true),
        Format::UriTemplate => uri_template(),
        Format::Uuid => uuid(),
        Format::JsonPointer => json_pointer(),
        Format::RelativeJsonPointer => relative_json_pointer(),
        Format::Regex => regex(),
        Format::Byte => vec(any::<u8>(), 0..=24).prop_map(|b| base64(&b)).boxed(),
        Format::Binary => strings::string(0, Some(16)),
    }
}

/// Strings that break only `format`: its `Invalid` near misses (date-time has a strategy of
/// its own). `None` where nothing breaks the format (`binary`).
pub(crate) fn invalid(format: Format) -> Option<BoxedStrategy<String>> {
    if format == Format::DateTime {
        return Some(datetime::invalid());
    }
    let texts: Vec<String> = near_misses_of(format)
        .iter()
        .filter(|m| m.verdict == Verdict::Invalid)
        .map(|m| m.text.to_owned())
        .collect();
    (!texts.is_empty()).then(|| select(texts).boxed())
}

pub(crate) fn near_misses_of(format: Format) -> &'static [FormatMiss] {
    tables(format).0
}

pub(crate) fn examples_of(format: Format) -> &'static [FormatExample] {
    tables(format).1
}

fn tables(format: Format) -> (&'static [FormatMiss], &'static [FormatExample]) {
    match format {
        Format::DateTime | Format::Binary => (&[], &[]),
        Format::Date => (m::DATE, m::DATE_OK),
        Format::Time => (m::TIME, m::TIME_OK),
        Format::Duration => (m::DURATION, m::DURATION_OK),
        Format::Email => (m::EMAIL, m::EMAIL_OK),
        Format::IdnEmail => (m::IDN_EMAIL, m::IDN_EMAIL_OK),
        Format::Hostname => (m::HOSTNAME, m::HOSTNAME_OK),
        Format::IdnHostname => (m::IDN_HOSTNAME, m::IDN_HOSTNAME_OK),
        Format::Ipv4 => (m::IPV4, m::IPV4_OK),
        Format::Ipv6 => (m::IPV6, m::IPV6_OK),
        Format::Uri => (m::URI, m::URI_OK),
        Format::UriReference => (m::URI_REFERENCE, m::URI_REFERENCE_OK),
        Format::Iri => (m::IRI, m::IRI_OK),
        Format::IriReference => (m::IRI_REFERENCE, m::IRI_REFERENCE_OK),
        Format::UriTemplate => (m::URI_TEMPLATE, m::URI_TEMPLATE_OK),
        Format::Uuid => (m::UUID, m::UUID_OK),
        Format::JsonPointer => (m::JSON_POINTER, m::JSON_POINTER_OK),
        Format::RelativeJsonPointer => (m::RELATIVE_JSON_POINTER, m::RELATIVE_JSON_POINTER_OK),
        Format::Regex => (m::REGEX, m::REGEX_OK),
        Format::Byte => (m::BYTE, m::BYTE_OK),
    }
}

/// The near misses of the format named `name` (none for `date-time`, which has its own table,
/// nor for an unknown format).
pub fn format_near_misses(name: &str) -> &'static [FormatMiss] {
    Format::parse(name).map_or(&[], near_misses_of)
}

/// The valid values the deriver sends for the format named `name`.
pub fn format_examples(name: &str) -> &'static [FormatExample] {
    Format::parse(name).map_or(&[], examples_of)
}

/// Whether `name` is a format the generator gives a rule (`date-time`, `uuid`, `byte`, ...).
pub fn is_known_format(name: &str) -> bool {
    Format::parse(name).is_some()
}

/// Where `schema` names a format nobody defines, as `(schema pointer, format)`: an annotation
/// with no rule, which `--list` notes. OpenAPI's number formats and `password` are known.
pub fn unknown_formats(schema: &Value) -> Vec<(String, String)> {
    fn walk(v: &Value, at: &str, depth: usize, out: &mut Vec<(String, String)>) {
        if depth > 64 {
            return;
        }
        match v {
            Value::Object(map) => {
                if let Some(name) = map.get("format").and_then(Value::as_str) {
                    if Format::parse(name).is_none() && !OPENAPI_ANNOTATIONS.contains(&name) {
                        out.push((format!("{at}/format"), name.to_owned()));
                    }
                }
                for (k, child) in map {
                    // Instances, not schemas: a `format` key in them is data.
                    if matches!(
                        k.as_str(),
                        "enum" | "const" | "default" | "example" | "examples"
                    ) {
                        continue;
                    }
                    walk(child, &format!("{at}/{}", pointer_token(k)), depth + 1, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), depth + 1, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(schema, "", 0, &mut out);
    out
}
