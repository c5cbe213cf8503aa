//! Check stage: judges an [`Exchange`] against its case and the contract, giving [`Verdict`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::Value;

use crate::cases::Case;
use crate::contract::{Operation, Severity};
use crate::http::Response;

mod documented;
mod http;
mod http_layer;
mod schema;
mod semantic;
mod status;
mod unique;
mod verdict;

pub use http_layer::Window;
use unique::Seen;
use verdict::BUILTIN_CHECKS;
pub use verdict::{names, Mark, Standing, Verdict};

/// Runs every check; shared by all cases of a run, since uniqueness spans the run.
pub struct Checker {
    /// Enum-typed response fields: pointer and allowed values, found by walking the schema.
    enums: Vec<(String, Vec<Value>)>,
    /// The same, for each success status with a schema of its own.
    status_enums: BTreeMap<u16, Vec<(String, Vec<Value>)>>,
    /// The same, for each documented response (an OpenAPI operation's), in their order.
    documented_enums: Vec<Vec<(String, Vec<Value>)>>,
    disabled: BTreeSet<String>,
    seen: Mutex<Seen>,
}

impl Checker {
    pub fn new(contract: &Operation, disabled: BTreeSet<String>) -> Self {
        let enums_of = |schema: &Value| {
            let mut enums = Vec::new();
            schema::collect_enums(schema, schema, String::new(), 0, &mut enums);
            enums
        };
        Checker {
            enums: enums_of(&contract.response_schema),
            status_enums: contract
                .status_schemas
                .iter()
                .map(|(status, s)| (*status, enums_of(&s.schema)))
                .collect(),
            documented_enums: contract
                .responses
                .iter()
                .map(|r| {
                    r.schema
                        .as_ref()
                        .map(|s| enums_of(&s.schema))
                        .unwrap_or_default()
                })
                .collect(),
            disabled,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// The names of every check this contract gives, built-in and semantic.
    pub fn all_names(contract: &Operation) -> BTreeSet<String> {
        BUILTIN_CHECKS
            .iter()
            .map(|n| n.to_string())
            .chain(
                contract
                    .endpoint
                    .semantics
                    .iter()
                    .map(|s| s.check.name().to_string()),
            )
            .collect()
    }

    fn on(&self, name: &str) -> bool {
        !self.disabled.contains(name)
    }

    /// Whether check `name` runs: not switched off with `--skip-check` (the engine's own
    /// checks, `latency` and `timeout`, ask too).
    pub fn is_on(&self, name: &str) -> bool {
        self.on(name)
    }

    /// All verdicts for one answered request, and a success's body when it is JSON (parsed
    /// once, here, for whoever needs it next); no `recent` rule holds a date-time against the
    /// client's clock (see [`Checker::check_at`]).
    pub fn check(
        &self,
        contract: &Operation,
        case: &Case,
        resp: &Response,
    ) -> (Vec<Verdict>, Option<Value>) {
        self.check_at(contract, case, resp, None)
    }

    /// [`Checker::check`], knowing the client's clock around the exchange (`window`), which
    /// `recent` rules hold date-times against along with the response's `Date`.
    pub fn check_at(
        &self,
        contract: &Operation,
        case: &Case,
        resp: &Response,
        window: Option<Window>,
    ) -> (Vec<Verdict>, Option<Value>) {
        let mut out = Vec::new();
        let status = resp.status;
        if self.on(names::STATUS) {
            if let Some(v) = status::status_verdict(case, status) {
                out.push(v);
            }
        }
        http::envelope(contract, case, resp, |name| self.on(name), &mut out);
        if !(200..300).contains(&status) {
            self.rejection(case, resp, &resp.body_text(), &mut out);
            if !contract.responses.is_empty() {
                self.documented_error(contract, case, resp, &mut out);
            }
            return (out, None);
        }
        // A success to a method another operation of the path has is that operation's to judge.
        if status::answers_without_content(&case.request.method, &contract.endpoint.method)
            || for_another_operation(contract, case)
        {
            return (out, None);
        }
        let (validator, enums) = if contract.responses.is_empty() {
            let enums = self.status_enums.get(&status).unwrap_or(&self.enums);
            (contract.response_for(status).1, enums.as_slice())
        } else {
            match self.documented_success(contract, resp, &mut out) {
                documented::Success::Schema(validator, enums) => (validator, enums),
                documented::Success::Done(body) => return (out, body),
            }
        };
        if self.on(names::CONTENT_TYPE) && !is_json_media_type(resp.header("content-type")) {
            out.push(Verdict::new(
                names::CONTENT_TYPE,
                Severity::Error,
                "header:Content-Type",
                "application/json",
                describe_header(resp.header("content-type")),
            ));
        }
        let body: Value = match serde_json::from_slice(&resp.body) {
            Ok(v) => v,
            Err(e) => {
                if self.on(names::RESPONSE_SCHEMA) {
                    out.push(Verdict::new(
                        names::RESPONSE_SCHEMA,
                        Severity::Error,
                        "(body)",
                        "a JSON body",
                        format!("not JSON ({e}): {}", excerpt(&resp.body_text())),
                    ));
                }
                return (out, None);
            }
        };
        // Most bodies conform: the cheap yes/no first, the error list only when it is no.
        if self.on(names::RESPONSE_SCHEMA) && !validator.is_valid(&body) {
            schema::schema_verdicts(validator, &body, &mut out);
        }
        if self.on(names::ENUM) {
            schema::enum_verdicts(enums, &body, &mut out);
        }
        let heard = http_layer::Heard {
            window,
            date: resp.header("date"),
        };
        self.semantics(contract, case, &body, &heard, &mut out);
        (out, Some(body))
    }
}

pub use crate::contract::media::is_json_media_type;

/// Whether the case's method is another operation's of the same path (a `method::` case on a
/// method the path also has): what that operation answers, its success or its refusal of a
/// credential it does not take, is that operation's to judge.
pub(crate) fn for_another_operation(contract: &Operation, case: &Case) -> bool {
    let method = case.request.method.to_ascii_uppercase();
    method != contract.endpoint.method.to_ascii_uppercase()
        && contract.endpoint.path_methods.contains(&method)
}

pub(crate) fn describe_header(h: Option<&str>) -> String {
    h.map_or("(absent)".to_string(), |v| format!("{v:?}"))
}

/// At most 300 characters of a text, with a note when cut.
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 300;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}… ({} more bytes)", &s[..i], s.len() - i),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Auth, Expect, Origin, RequestSpec};
    use crate::contract::Class;

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type(Some("application/json")));
        assert!(is_json_media_type(Some("application/json; charset=utf-8")));
        assert!(is_json_media_type(Some("application/problem+json")));
        assert!(!is_json_media_type(Some("text/plain")));
        assert!(!is_json_media_type(Some("application/jsonp")));
        assert!(!is_json_media_type(None));
    }

    /// An answer with these headers and body.
    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> Response {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, value.parse().unwrap());
        }
        Response {
            status,
            headers: map,
            body: body.as_bytes().to_vec(),
            truncated: false,
            body_cut: None,
        }
    }

    fn with_method(c: &Operation, method: &str, class: Class) -> Case {
        let mut request = RequestSpec::json(&c.endpoint, serde_json::json!({}));
        request.method = method.into();
        Case {
            id: "t".into(),
            title: "t".into(),
            kind: "t".into(),
            expect: Expect::of(c, class, "method"),
            request,
            offending: None,
            origin: Origin::File("t.json".into()),
        }
    }

    fn checks_of(verdicts: &[Verdict]) -> Vec<(&str, Severity)> {
        verdicts
            .iter()
            .map(|v| (v.check.as_str(), v.severity))
            .collect()
    }

    const DATE: (&str, &str) = ("date", "Tue, 01 Dec 2026 12:00:00 GMT");

    #[test]
    fn a_success_to_another_operation_s_method_is_not_judged_by_this_one_s_schema() {
        let mut c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let list = answer(
            200,
            &[DATE, ("content-type", "application/json")],
            r#"[{"id": 1}]"#,
        );
        let get = with_method(&c, "GET", Class::Unspecified);
        let (verdicts, _) = checker.check(&c, &get, &list);
        assert!(
            checks_of(&verdicts).contains(&("response_schema", Severity::Error)),
            "without a GET operation on the path the answer is this one's: {verdicts:?}"
        );
        c.endpoint.path_methods.insert("GET".into());
        let (verdicts, body) = checker.check(&c, &get, &list);
        assert_eq!(checks_of(&verdicts), []);
        assert_eq!(body, None);
    }

    #[test]
    fn a_401_to_another_operation_s_method_is_not_judged_by_this_one_s_scheme() {
        // The path's GET may take an API key where this POST takes a bearer token: its 401
        // need not challenge for Bearer.
        let mut c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let refused = answer(401, &[DATE, ("content-type", "application/json")], "{}");
        let get = with_method(&c, "GET", Class::Unspecified);
        let challenges = |c: &Operation| {
            let (verdicts, _) = checker.check(c, &get, &refused);
            verdicts
                .iter()
                .map(|v| (v.check.to_string(), v.severity))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            challenges(&c),
            [("www_authenticate".to_string(), Severity::Error)],
            "without a GET operation on the path the 401 is this one's"
        );
        c.endpoint.path_methods.insert("GET".into());
        assert_eq!(challenges(&c), []);
    }

    #[test]
    fn a_2xx_to_head_or_options_is_judged_by_its_status_and_headers_only() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let express = answer(
            200,
            &[
                DATE,
                ("allow", "POST"),
                ("content-type", "text/plain; charset=utf-8"),
            ],
            "POST",
        );
        let no_content = answer(204, &[DATE, ("allow", "POST, OPTIONS")], "");
        let head = answer(200, &[DATE, ("content-type", "application/json")], "");
        // A case file may send them as valid cases too: the method decides, not the case id.
        for class in [Class::Unspecified, Class::Valid] {
            let options = with_method(&c, "OPTIONS", class);
            let head_case = with_method(&c, "HEAD", class);
            for (case, resp) in [
                (&options, &express),
                (&options, &no_content),
                (&head_case, &head),
            ] {
                let (verdicts, body) = checker.check(&c, case, resp);
                let expected: &[(&str, Severity)] = match (class, resp.status) {
                    (Class::Valid, 204) => &[("status", Severity::Error)],
                    _ => &[],
                };
                assert_eq!(
                    checks_of(&verdicts),
                    expected,
                    "{} {}",
                    case.request.method,
                    resp.status
                );
                assert_eq!(body, None);
            }
        }
        // The same answer to the endpoint's own method is a broken success.
        let post = with_method(&c, "POST", Class::Unspecified);
        let (verdicts, _) = checker.check(&c, &post, &express);
        let checks: Vec<_> = verdicts.iter().map(|v| v.check.as_str()).collect();
        assert_eq!(checks, ["content_type", "response_schema"]);
        // The headers are still checked.
        let options = with_method(&c, "OPTIONS", Class::Unspecified);
        let undated = answer(204, &[("allow", "POST")], "");
        let (verdicts, _) = checker.check(&c, &options, &undated);
        assert_eq!(checks_of(&verdicts), [("date_header", Severity::Error)]);
        // Where OPTIONS is the operation's own method, its success is the contract's to judge.
        let mut own = Operation::embedded().unwrap();
        own.endpoint.method = "OPTIONS".into();
        let own_case = with_method(&own, "OPTIONS", Class::Valid);
        let (verdicts, _) = Checker::new(&own, BTreeSet::new()).check(&own, &own_case, &express);
        let checks: Vec<_> = verdicts.iter().map(|v| v.check.as_str()).collect();
        assert_eq!(checks, ["content_type", "response_schema"]);
    }

    #[test]
    fn an_error_label_warns_only_when_it_misleads() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let mut case = with_method(&c, "POST", Class::Invalid);
        case.expect = Expect::of(&c, Class::Invalid, "invalid_body");
        case.offending = Some("/name".into());
        let text = ("content-type", "text/plain");
        let json = ("content-type", "application/json");
        for (headers, body, warned) in [
            // A text body that happens to parse as a JSON scalar is still text.
            ([DATE, text], "404", vec![("error_body", Severity::Warning)]),
            ([DATE, text], "Name can't be blank", vec![]),
            (
                [DATE, text],
                "{\"name\": [\"too long\"]}",
                vec![("content_type", Severity::Warning)],
            ),
            ([DATE, json], "\"name is too long\"", vec![]),
            (
                [DATE, json],
                "name is too long",
                vec![("content_type", Severity::Warning)],
            ),
        ] {
            let (verdicts, _) = checker.check(&c, &case, &answer(422, &headers, body));
            assert_eq!(checks_of(&verdicts), warned, "{headers:?} {body}");
        }
    }

    #[test]
    fn a_parser_level_request_weighs_date_and_allow_as_warnings() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let canned = answer(400, &[("content-length", "0")], "");
        let refused = answer(405, &[DATE], "");
        for method in ["FOO", "post"] {
            let case = with_method(&c, method, Class::Unspecified);
            let (verdicts, _) = checker.check(&c, &case, &canned);
            assert_eq!(
                checks_of(&verdicts),
                [("date_header", Severity::Warning)],
                "{method}"
            );
            assert!(
                verdicts[0].expected.contains("HTTP parser"),
                "{}",
                verdicts[0].expected
            );
            let (verdicts, _) = checker.check(&c, &case, &refused);
            assert_eq!(
                checks_of(&verdicts),
                [("allow_header", Severity::Warning)],
                "{method}"
            );
        }
        // A standard method reaches the application: its answer keeps every check.
        let get = with_method(&c, "GET", Class::Unspecified);
        let (verdicts, _) = checker.check(&c, &get, &refused);
        assert_eq!(checks_of(&verdicts), [("allow_header", Severity::Error)]);
        let (verdicts, _) = checker.check(&c, &get, &canned);
        assert_eq!(checks_of(&verdicts), [("date_header", Severity::Error)]);
    }

    #[test]
    fn a_challenge_with_realm_passes_with_or_without_an_error_code() {
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let mut case = with_method(&c, "POST", Class::Invalid);
        case.expect = Expect::of(&c, Class::Invalid, "auth");
        let described = "Bearer realm=\"api\", error=\"invalid_token\", \
                         error_description=\"The access token expired, or was revoked\"";
        for (auth, challenge) in [
            (Auth::Header("Bearer wrong".into()), described),
            (Auth::None, "Bearer realm=\"api\""),
            // RFC 6750 3.1 asks for no error code here (a SHOULD NOT): harmless, not checked.
            (Auth::None, described),
        ] {
            case.request.auth = auth;
            let json = ("content-type", "application/json");
            let resp = answer(401, &[DATE, json, ("www-authenticate", challenge)], "{}");
            let (verdicts, _) = checker.check(&c, &case, &resp);
            assert_eq!(checks_of(&verdicts), [], "{challenge}");
        }
    }

    #[test]
    fn a_list_header_on_several_field_lines_is_read_as_one_list() {
        // RFC 9110 5.3: ASP.NET Core sends one `WWW-Authenticate` line per scheme, and Node's
        // setHeader with an array one `Allow` line per method.
        let c = Operation::embedded().unwrap();
        let checker = Checker::new(&c, BTreeSet::new());
        let json = ("content-type", "application/json");
        let mut auth = with_method(&c, "POST", Class::Invalid);
        auth.expect = Expect::of(&c, Class::Invalid, "auth");
        auth.request.auth = Auth::None;
        let two_challenges = [
            DATE,
            json,
            ("www-authenticate", "Basic realm=\"api\""),
            ("www-authenticate", "Bearer realm=\"api\""),
        ];
        let (verdicts, _) = checker.check(&c, &auth, &answer(401, &two_challenges, "{}"));
        assert_eq!(checks_of(&verdicts), []);
        let get = with_method(&c, "GET", Class::Invalid);
        let two_lines = [DATE, json, ("allow", "OPTIONS"), ("allow", "POST")];
        let (verdicts, _) = checker.check(&c, &get, &answer(405, &two_lines, "{}"));
        assert_eq!(checks_of(&verdicts), []);
        // Neither line names POST: still an error.
        let wrong = [DATE, json, ("allow", "OPTIONS"), ("allow", "GET")];
        let (verdicts, _) = checker.check(&c, &get, &answer(405, &wrong, "{}"));
        assert_eq!(checks_of(&verdicts), [("allow_header", Severity::Error)]);
    }

    /// The endpoint file's contract sending this one alternative.
    fn secured(schemes: Vec<crate::contract::Scheme>) -> Operation {
        let mut c = Operation::embedded().unwrap();
        c.endpoint.auth.security = crate::contract::Security {
            alternatives: vec![schemes],
            optional: false,
            chosen: Some(0),
        };
        c
    }

    fn scheme(name: &str, kind: crate::contract::SchemeKind) -> crate::contract::Scheme {
        crate::contract::Scheme {
            name: name.into(),
            kind,
        }
    }

    /// The `www_authenticate` verdicts on a 401 to a request carrying `auth`, with these
    /// challenges.
    fn challenge_verdicts(c: &Operation, auth: Auth, challenges: &[&str]) -> Vec<Severity> {
        let checker = Checker::new(c, BTreeSet::new());
        let mut case = with_method(c, "POST", Class::Invalid);
        case.expect = Expect::refused(c, &auth);
        case.request.auth = auth;
        let mut headers = vec![DATE, ("content-type", "application/json")];
        headers.extend(challenges.iter().map(|ch| ("www-authenticate", *ch)));
        let (verdicts, _) = checker.check(c, &case, &answer(401, &headers, "{}"));
        verdicts
            .iter()
            .filter(|v| v.check == names::WWW_AUTHENTICATE)
            .map(|v| v.severity)
            .collect()
    }

    #[test]
    fn each_scheme_s_401_is_judged_by_its_own_challenge_rule() {
        use crate::contract::{ParamIn, SchemeKind};
        let (e, w) = (Severity::Error, Severity::Warning);
        let key = || {
            scheme(
                "key",
                SchemeKind::ApiKey {
                    location: ParamIn::Header,
                    name: "X-Key".into(),
                },
            )
        };
        // RFC 6750 3: a bearer token's 401 names the Bearer scheme, an error without it.
        let bearer = secured(vec![scheme("jwt", SchemeKind::OAuth2)]);
        assert_eq!(challenge_verdicts(&bearer, Auth::None, &[]), [e]);
        assert_eq!(challenge_verdicts(&bearer, Auth::None, &["Basic"]), [e]);
        assert_eq!(challenge_verdicts(&bearer, Auth::None, &["Bearer"]), []);
        // RFC 7617: a basic credential's 401 without a Basic challenge is a warning.
        let basic = secured(vec![scheme("b", SchemeKind::Basic)]);
        let wrong = || Auth::Wrong("b".into());
        assert_eq!(challenge_verdicts(&basic, wrong(), &[]), [w]);
        assert_eq!(challenge_verdicts(&basic, wrong(), &["Bearer"]), [w]);
        assert_eq!(
            challenge_verdicts(&basic, wrong(), &["Basic realm=\"x\""]),
            []
        );
        assert_eq!(challenge_verdicts(&basic, Auth::None, &["Basic"]), []);
        // An API key has no challenge: with or without the header is correct.
        let api = secured(vec![key()]);
        for auth in [Auth::None, Auth::Wrong("key".into())] {
            assert_eq!(challenge_verdicts(&api, auth.clone(), &[]), []);
            assert_eq!(challenge_verdicts(&api, auth, &["ApiKey realm=\"x\""]), []);
        }
        // Together: the refusal may be about either, so a missing Bearer one is a warning; a
        // left-out key is judged as a key, a left-out token as a token (none presented).
        let both = secured(vec![scheme("jwt", SchemeKind::Bearer), key()]);
        assert_eq!(challenge_verdicts(&both, Auth::None, &[]), [w]);
        assert_eq!(challenge_verdicts(&both, Auth::None, &["Bearer"]), []);
        assert_eq!(challenge_verdicts(&both, Auth::Omit("key".into()), &[]), []);
        assert_eq!(
            challenge_verdicts(&both, Auth::Omit("jwt".into()), &[]),
            [e]
        );
        assert_eq!(
            challenge_verdicts(&both, Auth::Omit("jwt".into()), &["Bearer"]),
            []
        );
        // A token presented still asks for an error code (RFC 6750 3.1: SHOULD).
        let wrong_token = || Auth::Header("Bearer pvt_wrong".into());
        assert_eq!(challenge_verdicts(&both, wrong_token(), &["Bearer"]), [w]);
        let described = "Bearer error=\"invalid_token\"";
        assert_eq!(challenge_verdicts(&both, wrong_token(), &[described]), []);
    }

    #[test]
    fn a_401_without_security_still_needs_some_challenge() {
        let mut none = Operation::embedded().unwrap();
        none.endpoint.auth.security = crate::contract::Security::default();
        let e = Severity::Error;
        assert_eq!(challenge_verdicts(&none, Auth::Valid, &[]), [e]);
        assert_eq!(challenge_verdicts(&none, Auth::Valid, &["Basic"]), []);
    }

    #[test]
    fn excerpt_cuts_on_a_char_boundary() {
        let s = "é".repeat(400);
        let e = excerpt(&s);
        assert!(e.starts_with(&"é".repeat(300)));
        assert!(e.contains("more bytes"));
    }
}
