//! An operation's security as the run sends it ([`Security`]): the alternatives the contract
//! lists, each one or more schemes sent together, and the one the run's credentials satisfy.

use super::ParamIn;

/// How a security scheme carries its credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemeKind {
    /// HTTP `bearer` (RFC 6750): `Authorization: Bearer <token>`.
    Bearer,
    /// HTTP `basic` (RFC 7617): `Authorization: Basic base64(user:password)`.
    Basic,
    /// `apiKey`: the key itself, as the named header, query parameter or cookie.
    ApiKey { location: ParamIn, name: String },
    /// OAuth2: a token the user obtained, sent as a bearer token (RFC 6750).
    OAuth2,
    /// OpenID Connect: a token the user obtained, sent as a bearer token.
    OpenIdConnect,
    /// A scheme the suite cannot send (mutual TLS, HTTP digest, ...), as the contract names it.
    Unsupported(String),
}

impl SchemeKind {
    /// Whether the credential goes as `Authorization: Bearer <token>`.
    pub fn sends_bearer(&self) -> bool {
        matches!(
            self,
            SchemeKind::Bearer | SchemeKind::OAuth2 | SchemeKind::OpenIdConnect
        )
    }

    /// The kind as messages name it: `HTTP bearer`, `API key in the header X-Key`, ...
    pub fn describe(&self) -> String {
        match self {
            SchemeKind::Bearer => "HTTP bearer".into(),
            SchemeKind::Basic => "HTTP basic".into(),
            SchemeKind::ApiKey { location, name } => {
                let place = match location {
                    ParamIn::Query => "query parameter",
                    other => other.as_str(),
                };
                format!("API key in the {place} `{name}`")
            }
            SchemeKind::OAuth2 => "OAuth2 (sent as a bearer token)".into(),
            SchemeKind::OpenIdConnect => "OpenID Connect (sent as a bearer token)".into(),
            SchemeKind::Unsupported(what) => format!("{what} (not supported)"),
        }
    }
}

/// A security scheme by the name the contract gives it (`components/securitySchemes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheme {
    pub name: String,
    pub kind: SchemeKind,
}

/// An operation's security: any one alternative satisfies it, and every scheme of an
/// alternative is sent together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Security {
    /// The non-empty alternatives, in the contract's order; none at all: no security.
    pub alternatives: Vec<Vec<Scheme>>,
    /// `{}` is among the alternatives: a request with no credential is valid too.
    pub optional: bool,
    /// The alternative valid requests send, by index into `alternatives`: the first whose every
    /// scheme has a credential ([`Security::choose`]); `None` until chosen, or when none has.
    pub chosen: Option<usize>,
}

impl Scheme {
    pub fn new(name: &str, kind: SchemeKind) -> Self {
        Scheme {
            name: name.into(),
            kind,
        }
    }
}

impl Security {
    /// One HTTP bearer scheme, chosen: an endpoint file's `auth.scheme = "bearer"`.
    pub fn bearer() -> Self {
        Security {
            alternatives: vec![vec![Scheme {
                name: "bearer".into(),
                kind: SchemeKind::Bearer,
            }]],
            optional: false,
            chosen: Some(0),
        }
    }

    /// Whether the operation asks for no credential at all.
    pub fn is_none(&self) -> bool {
        self.alternatives.is_empty()
    }

    /// Chooses the first alternative that can be sent ([`Security::sendable`]) and whose
    /// every scheme `has_credential`; returns whether one was found.
    pub fn choose(&mut self, has_credential: impl Fn(&Scheme) -> bool) -> bool {
        self.chosen = self
            .alternatives
            .iter()
            .position(|alt| Security::sendable(alt) && alt.iter().all(&has_credential));
        self.chosen.is_some()
    }

    /// Whether the suite can send an alternative: every scheme supported, and at most one of
    /// them in the `Authorization` header (bearer and basic together cannot be).
    pub fn sendable(alternative: &[Scheme]) -> bool {
        let authorization = alternative
            .iter()
            .filter(|s| match &s.kind {
                SchemeKind::Basic => true,
                SchemeKind::ApiKey { location, name } => {
                    *location == ParamIn::Header && name.eq_ignore_ascii_case("authorization")
                }
                k => k.sends_bearer(),
            })
            .count();
        authorization <= 1
            && alternative
                .iter()
                .all(|s| !matches!(s.kind, SchemeKind::Unsupported(_)))
    }

    /// The schemes valid requests send: the chosen alternative's, or none.
    pub fn sent(&self) -> &[Scheme] {
        self.chosen
            .and_then(|i| self.alternatives.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether a request with no credential is valid: no security, or `{}` among the
    /// alternatives.
    pub fn anonymous_allowed(&self) -> bool {
        self.is_none() || self.optional
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(name: &str, kind: SchemeKind) -> Scheme {
        Scheme::new(name, kind)
    }

    #[test]
    fn the_first_alternative_with_every_credential_is_chosen() {
        let key = scheme(
            "key",
            SchemeKind::ApiKey {
                location: ParamIn::Header,
                name: "X-Key".into(),
            },
        );
        let mut s = Security {
            alternatives: vec![
                vec![scheme("mtls", SchemeKind::Unsupported("mutualTLS".into()))],
                vec![key.clone(), scheme("basic", SchemeKind::Basic)],
                vec![key.clone()],
            ],
            optional: false,
            chosen: None,
        };
        assert!(s.choose(|_| true));
        assert_eq!(s.sent().len(), 2);
        assert!(s.choose(|sc| sc.name == "key"));
        assert_eq!(s.sent(), [key]);
        assert!(!s.choose(|_| false));
        assert!(s.sent().is_empty());
    }
}
