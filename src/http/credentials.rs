//! How a request carries the credentials of its operation's chosen security ([`auth_parts`]):
//! each scheme's as the record names it, `${VAR}`, with a [`Placeholder`] saying where it is and
//! how the value is encoded when sent; the values themselves exist only while sending.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::Secret;
use crate::cases::Auth;
use crate::contract::{ParamIn, Scheme, SchemeKind};

/// A bearer-like scheme's wrong credential: never a real one.
pub const WRONG_TOKEN: &str = "pvt_wrong_token_0000000000000000";
/// HTTP basic's wrong `user:password` (sent base64-encoded).
pub const WRONG_BASIC: &str = "provisionr-wrong:wrong-password-0000";
/// An API key's wrong value.
pub const WRONG_API_KEY: &str = "wrong-api-key-0000000000000000";

/// Query encoding of a credential: everything but RFC 3986 unreserved characters.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A scheme's credential: the environment variable it came from, and its value.
#[derive(Clone, Debug)]
pub struct Credential {
    pub var: String,
    pub secret: Secret,
    /// HTTP basic's `user:password`: redacted as its password and in base64 too.
    pub basic: bool,
}

impl Credential {
    /// Every form of the credential output must not show ([`crate::redact::credential_secrets`]).
    pub fn secrets(&self) -> Vec<String> {
        crate::redact::credential_secrets(self.secret.expose(), self.basic)
    }
}

/// Where a record holds a credential's placeholder `${var}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The header at this index of the record's headers.
    Header(usize),
    /// The URL's query.
    Query,
}

/// How the value replaces the placeholder when sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// As it is (a bearer token, an API key header or cookie).
    Raw,
    /// base64 of `user:password`, after `Basic `.
    Base64,
    /// Percent-encoded, as a query value.
    Percent,
}

/// A credential's placeholder in a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub var: String,
    pub place: Place,
    pub encoding: Encoding,
}

impl Placeholder {
    /// The text that stands for the value in the record: `${VAR}`.
    pub fn text(&self) -> String {
        format!("${{{}}}", self.var)
    }

    /// The value as this placeholder sends it.
    pub fn encode(&self, value: &str) -> String {
        match self.encoding {
            Encoding::Raw => value.to_string(),
            Encoding::Base64 => crate::redact::base64(value),
            Encoding::Percent => utf8_percent_encode(value, QUERY).to_string(),
        }
    }
}

/// A piece of a request's auth: its text, and the variable whose value its placeholder stands
/// for (none for a wrong value or a header given as written).
pub(super) type Piece<T> = (T, Option<(String, Encoding)>);

/// What a request's auth adds to it.
#[derive(Default)]
pub(super) struct AuthParts {
    pub headers: Vec<Piece<(String, String)>>,
    /// `name=value` query pairs, encoded but for the placeholder.
    pub query: Vec<Piece<String>>,
    /// `name=value` cookie pairs.
    pub cookies: Vec<Piece<String>>,
    /// Why the request cannot be sent.
    pub problem: Option<String>,
}

/// The variable a scheme's credential comes from, given the run's explicit credentials and its
/// token variable (the default for a bearer-like scheme).
pub(super) fn variable<'a>(
    scheme: &Scheme,
    explicit: &'a std::collections::BTreeMap<String, Credential>,
    token_env: &'a str,
) -> Option<&'a str> {
    match explicit.get(&scheme.name) {
        Some(c) => Some(c.var.as_str()),
        None if scheme.kind.sends_bearer() => Some(token_env),
        None => None,
    }
}

/// What the request of `auth` sends for the schemes `sent` (the chosen alternative), with
/// `var` naming each scheme's variable.
pub(super) fn auth_parts<'a>(
    sent: &[Scheme],
    auth: &Auth,
    token_env: &str,
    var: impl Fn(&Scheme) -> Option<&'a str>,
) -> AuthParts {
    let mut out = AuthParts::default();
    let bearer_like = sent.iter().any(|s| s.kind.sends_bearer());
    match auth {
        Auth::None => return out,
        Auth::Header(v) if !bearer_like => out
            .headers
            .push((("Authorization".into(), v.clone()), None)),
        Auth::Scheme(p) if !bearer_like => out.headers.push((
            ("Authorization".into(), format!("{p}${{{token_env}}}")),
            Some((token_env.to_string(), Encoding::Raw)),
        )),
        _ => {}
    }
    for s in sent {
        let named = |n: &String| *n == s.name;
        let wrong = match auth {
            Auth::Omit(n) if named(n) => continue,
            Auth::Wrong(n) => named(n),
            _ => false,
        };
        if s.kind.sends_bearer() {
            match auth {
                Auth::Header(v) => {
                    out.headers
                        .push((("Authorization".into(), v.clone()), None));
                    continue;
                }
                Auth::Scheme(p) => {
                    let v = var(s).unwrap_or(token_env);
                    out.headers.push((
                        ("Authorization".into(), format!("{p}${{{v}}}")),
                        Some((v.to_string(), Encoding::Raw)),
                    ));
                    continue;
                }
                _ => {}
            }
        }
        let (value, placeholder) = match (wrong, var(s)) {
            (true, _) => (wrong_value(&s.kind), None),
            (false, Some(v)) => (format!("${{{v}}}"), Some(v.to_string())),
            (false, None) => {
                out.problem.get_or_insert(format!(
                    "not sent: the run has no credential for the security scheme `{}`",
                    s.name
                ));
                continue;
            }
        };
        add(&mut out, &s.kind, value, placeholder);
    }
    out
}

/// A scheme's credential `value` (a placeholder, or a wrong value as sent) in its place.
fn add(out: &mut AuthParts, kind: &SchemeKind, value: String, var: Option<String>) {
    let with = |e: Encoding| var.clone().map(|v| (v, e));
    match kind {
        SchemeKind::Basic => out.headers.push((
            ("Authorization".into(), format!("Basic {value}")),
            with(Encoding::Base64),
        )),
        SchemeKind::ApiKey { location, name } => match location {
            ParamIn::Query => out.query.push((
                format!("{}={value}", utf8_percent_encode(name, QUERY)),
                with(Encoding::Percent),
            )),
            ParamIn::Cookie => out
                .cookies
                .push((format!("{name}={value}"), with(Encoding::Raw))),
            _ => out
                .headers
                .push(((name.clone(), value), with(Encoding::Raw))),
        },
        SchemeKind::Unsupported(what) => {
            out.problem.get_or_insert(format!(
                "not sent: the suite cannot send {what} credentials"
            ));
        }
        _ => out.headers.push((
            ("Authorization".into(), format!("Bearer {value}")),
            with(Encoding::Raw),
        )),
    }
}

/// The wrong credential of a scheme, as sent.
fn wrong_value(kind: &SchemeKind) -> String {
    match kind {
        SchemeKind::Basic => crate::redact::base64(WRONG_BASIC),
        SchemeKind::ApiKey { .. } => WRONG_API_KEY.into(),
        _ => WRONG_TOKEN.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(name: &str, kind: SchemeKind) -> Scheme {
        Scheme::new(name, kind)
    }

    fn key(location: ParamIn, name: &str) -> SchemeKind {
        SchemeKind::ApiKey {
            location,
            name: name.into(),
        }
    }

    #[test]
    fn each_scheme_goes_in_its_place_and_a_wrong_one_as_its_fixed_value() {
        let sent = [
            scheme("basic", SchemeKind::Basic),
            scheme("h", key(ParamIn::Header, "X-Key")),
            scheme("q", key(ParamIn::Query, "api key")),
            scheme("c", key(ParamIn::Cookie, "sid")),
        ];
        let var = |s: &Scheme| Some(if s.name == "basic" { "B" } else { "K" });
        let valid = auth_parts(&sent, &Auth::Valid, "T", var);
        assert_eq!(valid.headers[0].0 .1, "Basic ${B}");
        assert_eq!(valid.headers[0].1, Some(("B".into(), Encoding::Base64)));
        assert_eq!(valid.headers[1].0, ("X-Key".into(), "${K}".into()));
        assert_eq!(valid.query[0].0, "api%20key=${K}");
        assert_eq!(valid.cookies[0].0, "sid=${K}");
        let wrong = auth_parts(&sent, &Auth::Wrong("basic".into()), "T", var);
        assert_eq!(
            wrong.headers[0].0 .1,
            format!("Basic {}", crate::redact::base64(WRONG_BASIC))
        );
        assert_eq!(wrong.headers[0].1, None);
        let omit = auth_parts(&sent, &Auth::Omit("q".into()), "T", var);
        assert!(omit.query.is_empty() && omit.headers.len() == 2);
        assert!(auth_parts(&sent, &Auth::None, "T", var).headers.is_empty());
    }

    #[test]
    fn a_bearer_header_case_replaces_only_the_bearer_scheme() {
        let sent = [
            scheme("oauth", SchemeKind::OAuth2),
            scheme("h", key(ParamIn::Header, "X-Key")),
        ];
        let var = |_: &Scheme| Some("V");
        let parts = auth_parts(&sent, &Auth::Header("Bearer x".into()), "T", var);
        assert_eq!(
            parts.headers[0],
            (("Authorization".into(), "Bearer x".into()), None)
        );
        assert_eq!(parts.headers[1].0 .1, "${V}");
        let parts = auth_parts(&sent, &Auth::Scheme("bearer ".into()), "T", var);
        assert_eq!(parts.headers[0].0 .1, "bearer ${V}");
        let p = Placeholder {
            var: "V".into(),
            place: Place::Query,
            encoding: Encoding::Percent,
        };
        assert_eq!(p.encode("a b&c"), "a%20b%26c");
    }
}
