//! Auth cases per scheme, from the chosen alternative of the operation's security
//! ([`crate::contract::Security::sent`]): no credential at all, today's bearer cases for a
//! bearer-like scheme, a wrong credential of every other scheme, and each scheme of a
//! combination left out.

use super::Deriver;
use crate::cases::{Auth, Expect};
use crate::contract::{Class, Scheme, Security};

/// The cases of a bearer-like scheme: the Authorization header as written.
const BEARER: [(&str, &str, &str); 3] = [
    (
        "basic_scheme",
        "the Basic scheme instead of Bearer",
        "Basic cHJvdmlzaW9ucjpwYXNzd29yZA==",
    ),
    ("empty_bearer", "Bearer with an empty token", "Bearer "),
    (
        "wrong_token",
        "a wrong bearer token",
        "Bearer pvt_wrong_token_0000000000000000",
    ),
];

/// A scheme's name as a case id writes it: every character outside `[A-Za-z0-9_-]` as `_`.
pub(crate) fn id_of(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A scheme as titles name it: its name and its kind.
fn named(s: &Scheme) -> String {
    format!("`{}` ({})", s.name, s.kind.describe())
}

/// What leaving `omitted` out of the chosen alternative makes of a request: valid when the
/// schemes left satisfy another alternative (each of its schemes among them), or are none and
/// anonymous requests are allowed; unspecified when anonymous requests are allowed (a server
/// may read a partial credential as no credential, or refuse it); else invalid.
fn omitted_class(security: &Security, omitted: &str) -> Class {
    let left: Vec<&str> = security
        .sent()
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| *n != omitted)
        .collect();
    let satisfied = security
        .alternatives
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != security.chosen)
        .any(|(_, alt)| alt.iter().all(|s| left.contains(&s.name.as_str())));
    if satisfied || (left.is_empty() && security.anonymous_allowed()) {
        Class::Valid
    } else if security.anonymous_allowed() {
        Class::Unspecified
    } else {
        Class::Invalid
    }
}

impl Deriver<'_> {
    /// The auth cases, when valid requests send a credential (an operation with no security,
    /// or with no alternative chosen, gets none).
    pub(super) fn auth(&mut self) {
        let security = self.contract.endpoint.auth.security.clone();
        let sent = security.sent();
        if sent.is_empty() {
            return;
        }
        let anonymous = security.anonymous_allowed();
        let all: Vec<String> = sent.iter().map(named).collect();
        let missing = if anonymous {
            let title = format!(
                "no credential at all (anonymous requests are allowed; sent otherwise: {})",
                all.join(", ")
            );
            (title, self.expect(Class::Valid, ""))
        } else {
            let title = format!("no credential at all (needed: {})", all.join(", "));
            (title, Expect::refused(self.contract, &Auth::None))
        };
        self.auth_case("missing".into(), missing.0, missing.1, Auth::None);
        // A wrong credential where none is needed: the server may ignore it, or refuse it.
        let wrong = |d: &Self, auth: &Auth| {
            if anonymous {
                d.expect(Class::Unspecified, "")
            } else {
                Expect::refused(d.contract, auth)
            }
        };
        if let Some(bearer) = sent.iter().find(|s| s.kind.sends_bearer()) {
            for (rule, title, header) in BEARER {
                let auth = Auth::Header(header.into());
                let expect = wrong(self, &auth);
                let title = format!("{title} for {}", named(bearer));
                self.auth_case(rule.into(), title, expect, auth);
            }
        }
        for s in sent.iter().filter(|s| !s.kind.sends_bearer()) {
            let auth = Auth::Wrong(s.name.clone());
            let expect = wrong(self, &auth);
            let title = format!("a wrong credential for {}", named(s));
            self.auth_case(format!("wrong::{}", id_of(&s.name)), title, expect, auth);
        }
        if sent.len() < 2 {
            return;
        }
        for s in sent {
            let auth = Auth::Omit(s.name.clone());
            let (expect, why) = match omitted_class(&security, &s.name) {
                Class::Valid => (self.expect(Class::Valid, ""), "another alternative is met"),
                Class::Unspecified => (
                    self.expect(Class::Unspecified, ""),
                    "anonymous requests are allowed",
                ),
                Class::Invalid => (Expect::refused(self.contract, &auth), "it is required"),
            };
            let title = format!("the credential for {} left out ({why})", named(s));
            self.auth_case(format!("omitted::{}", id_of(&s.name)), title, expect, auth);
        }
    }

    fn auth_case(&mut self, rule: String, title: String, expect: Expect, auth: Auth) {
        let mut request = self.patched_request(self.base_body());
        request.auth = auth;
        self.push(
            format!("auth::{rule}"),
            format!("auth: {title}"),
            "auth",
            expect,
            request,
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::derive;
    use super::*;
    use crate::cases::Case;
    use crate::contract::{Operation, ParamIn, SchemeKind};

    fn scheme(name: &str, kind: SchemeKind) -> Scheme {
        Scheme::new(name, kind)
    }

    fn key(name: &str, location: ParamIn) -> Scheme {
        scheme(
            name,
            SchemeKind::ApiKey {
                location,
                name: "X-Key".into(),
            },
        )
    }

    /// The endpoint file's contract with this security, alternative `chosen` chosen.
    fn with_security(alternatives: Vec<Vec<Scheme>>, optional: bool, chosen: usize) -> Operation {
        let mut c = Operation::embedded().unwrap();
        c.endpoint.auth.scheme = "document".into();
        c.endpoint.auth.security = Security {
            alternatives,
            optional,
            chosen: Some(chosen),
        };
        c
    }

    /// The auth cases: id, class, statuses and what the request sends.
    fn auth_cases(c: &Operation) -> Vec<(String, Class, Vec<u16>, Auth)> {
        derive(c)
            .into_iter()
            .filter(|k: &Case| k.kind == "auth")
            .map(|k| (k.id, k.expect.class, k.expect.statuses, k.request.auth))
            .collect()
    }

    fn ids(c: &Operation) -> Vec<(String, Class)> {
        auth_cases(c)
            .into_iter()
            .map(|(id, class, _, _)| (id, class))
            .collect()
    }

    fn owned(v: &[(&str, Class)]) -> Vec<(String, Class)> {
        v.iter().map(|(id, c)| (id.to_string(), *c)).collect()
    }

    #[test]
    fn a_bearer_operation_keeps_today_s_cases() {
        let endpoint_file = Operation::embedded().unwrap();
        let bearer = with_security(vec![vec![scheme("jwt", SchemeKind::Bearer)]], false, 0);
        let oauth = with_security(vec![vec![scheme("o", SchemeKind::OAuth2)]], false, 0);
        let today = owned(&[
            ("auth::missing", Class::Invalid),
            ("auth::basic_scheme", Class::Invalid),
            ("auth::empty_bearer", Class::Invalid),
            ("auth::wrong_token", Class::Invalid),
            ("auth::scheme_lower_case", Class::Valid),
            ("auth::scheme_upper_case", Class::Valid),
            ("auth::two_spaces", Class::Valid),
        ]);
        for c in [&endpoint_file, &bearer, &oauth] {
            assert_eq!(ids(c), today);
            // RFC 6750: a bearer token is refused with 401, the contract's `auth` statuses.
            for (id, class, statuses, _) in auth_cases(c) {
                if class == Class::Invalid {
                    assert_eq!(statuses, [401], "{id}");
                }
            }
        }
        let titles: Vec<String> = derive(&oauth)
            .into_iter()
            .filter(|k| k.kind == "auth")
            .map(|k| k.title)
            .collect();
        assert!(
            titles[1].contains("`o` (OAuth2 (sent as a bearer token))"),
            "{titles:?}"
        );
    }

    #[test]
    fn a_bearer_operation_documenting_403_accepts_it() {
        let mut c = with_security(vec![vec![scheme("jwt", SchemeKind::Bearer)]], false, 0);
        c.responses.push(crate::contract::DocumentedResponse {
            key: crate::contract::StatusKey::Code(403),
            media_types: Vec::new(),
            schema: None,
            schema_path: None,
        });
        let (_, _, statuses, _) = &auth_cases(&c)[0];
        assert_eq!(statuses, &[401, 403]);
    }

    #[test]
    fn an_api_key_operation_gets_a_wrong_key_and_401_or_403() {
        for location in [ParamIn::Header, ParamIn::Query, ParamIn::Cookie] {
            let c = with_security(vec![vec![key("api key", location)]], false, 0);
            let cases = auth_cases(&c);
            assert_eq!(
                ids(&c),
                owned(&[
                    ("auth::missing", Class::Invalid),
                    ("auth::wrong::api_key", Class::Invalid),
                ])
            );
            assert_eq!(cases[1].3, Auth::Wrong("api key".into()));
            for (id, _, statuses, _) in cases {
                assert_eq!(statuses, [401, 403], "{id}");
            }
        }
    }

    #[test]
    fn a_basic_operation_gets_a_wrong_password() {
        let c = with_security(vec![vec![scheme("basicAuth", SchemeKind::Basic)]], false, 0);
        assert_eq!(
            ids(&c),
            owned(&[
                ("auth::missing", Class::Invalid),
                ("auth::wrong::basicAuth", Class::Invalid),
            ])
        );
        assert!(auth_cases(&c).iter().all(|k| k.2 == [401, 403]));
    }

    #[test]
    fn two_schemes_together_are_each_wrong_and_each_left_out() {
        let c = with_security(
            vec![vec![
                scheme("jwt", SchemeKind::Bearer),
                key("key", ParamIn::Header),
            ]],
            false,
            0,
        );
        let cases = auth_cases(&c);
        assert_eq!(
            ids(&c),
            owned(&[
                ("auth::missing", Class::Invalid),
                ("auth::basic_scheme", Class::Invalid),
                ("auth::empty_bearer", Class::Invalid),
                ("auth::wrong_token", Class::Invalid),
                ("auth::wrong::key", Class::Invalid),
                ("auth::omitted::jwt", Class::Invalid),
                ("auth::omitted::key", Class::Invalid),
                ("auth::scheme_lower_case", Class::Valid),
                ("auth::scheme_upper_case", Class::Valid),
                ("auth::two_spaces", Class::Valid),
            ])
        );
        let statuses = |id: &str| cases.iter().find(|k| k.0 == id).unwrap().2.clone();
        // The missing key may be what the server refuses: 401 or 403.
        assert_eq!(statuses("auth::missing"), [401, 403]);
        assert_eq!(statuses("auth::wrong_token"), [401]);
        assert_eq!(statuses("auth::omitted::jwt"), [401]);
        assert_eq!(statuses("auth::omitted::key"), [401, 403]);
    }

    #[test]
    fn leaving_one_out_may_leave_another_alternative_met() {
        // [key + basic] or [key]: without basic, the key alone satisfies the second.
        let c = with_security(
            vec![
                vec![
                    key("key", ParamIn::Query),
                    scheme("basic", SchemeKind::Basic),
                ],
                vec![key("key", ParamIn::Query)],
            ],
            false,
            0,
        );
        assert_eq!(
            ids(&c),
            owned(&[
                ("auth::missing", Class::Invalid),
                ("auth::wrong::key", Class::Invalid),
                ("auth::wrong::basic", Class::Invalid),
                ("auth::omitted::key", Class::Invalid),
                ("auth::omitted::basic", Class::Valid),
            ])
        );
    }

    #[test]
    fn optional_security_makes_no_credential_valid() {
        let one = with_security(vec![vec![key("key", ParamIn::Header)]], true, 0);
        assert_eq!(
            ids(&one),
            owned(&[
                ("auth::missing", Class::Valid),
                ("auth::wrong::key", Class::Unspecified),
            ])
        );
        let bearer = with_security(vec![vec![scheme("b", SchemeKind::Bearer)]], true, 0);
        let classes = ids(&bearer);
        assert_eq!(classes[0], ("auth::missing".into(), Class::Valid));
        assert_eq!(classes[3], ("auth::wrong_token".into(), Class::Unspecified));
        let two = with_security(
            vec![vec![
                key("k", ParamIn::Cookie),
                scheme("b", SchemeKind::Basic),
            ]],
            true,
            0,
        );
        let classes = ids(&two);
        assert_eq!(classes[0], ("auth::missing".into(), Class::Valid));
        assert_eq!(classes[3], ("auth::omitted::k".into(), Class::Unspecified));
    }

    #[test]
    fn no_security_or_no_chosen_alternative_gets_no_auth_case() {
        let mut none = Operation::embedded().unwrap();
        none.endpoint.auth.security = Security::default();
        assert_eq!(ids(&none), []);
        let mut unchosen = with_security(vec![vec![key("k", ParamIn::Header)]], false, 0);
        unchosen.endpoint.auth.security.chosen = None;
        assert_eq!(ids(&unchosen), []);
    }

    #[test]
    fn a_scheme_id_keeps_only_safe_characters() {
        assert_eq!(id_of("api_key-2"), "api_key-2");
        assert_eq!(id_of("my key/ü"), "my_key__");
    }
}
