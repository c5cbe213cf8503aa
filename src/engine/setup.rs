//! Set-up causes ([`SetupCause`]): when every valid request of an operation was answered the
//! same 401, 403 or 404, the run's set-up (the base URL, the token, a path parameter) is the
//! likely cause rather than the server's contract. The violations stay; reports group the
//! failures answered that status under the one cause, and a property does not keep them as
//! regression cases.

use serde::{Deserialize, Serialize};

use crate::contract::Class;
use crate::engine::outcome::{CaseResult, Status};

/// The answers that, given to every valid request, point at the set-up: no credentials the
/// server takes (401), credentials without the right (403), nothing at that path (404).
pub const SETUP_STATUSES: [u16; 3] = [401, 403, 404];

/// What the run was told, for the hint: never the token, only where it was read from.
#[derive(Clone, Debug, Default)]
pub struct SetUp {
    /// The environment variables of the credentials valid requests send, each with the flag
    /// that names it (`--token-env`, `--credential api_key`).
    pub credentials: Vec<(String, String)>,
    /// The operation's path parameters and the values the run sent.
    pub path_params: Vec<(String, String)>,
    /// Where an OpenAPI document's operation was sent, for the API-root hint; `None` for
    /// endpoint files.
    pub api_root: Option<ApiRoot>,
}

/// What the hint compares when every valid request of a document's operation got 404: the
/// document's server, the path of `--base-url`, and the operation's path in the document.
#[derive(Clone, Debug, Default)]
pub struct ApiRoot {
    /// `servers[0].url`, its variables filled with their defaults.
    pub server_url: Option<String>,
    /// The path of `--base-url`, such as `/v1` (empty for a bare host).
    pub base_path: String,
    /// The operation's path template, as the document writes it.
    pub operation_path: String,
}

impl ApiRoot {
    /// What the hint adds, each part ending in `; `: a path the document's paths and
    /// `--base-url` both have, a path of the server URL that `--base-url` lacks, and the
    /// server URL.
    fn hint(&self) -> String {
        let base = self.base_path.trim_end_matches('/');
        let mut out = String::new();
        let doubled = !base.is_empty()
            && (self.operation_path == base
                || self.operation_path.starts_with(&format!("{base}/")));
        if doubled {
            out.push_str(&format!(
                "the document's paths already begin with {base}, which --base-url ends with: give the root without it; "
            ));
        }
        let Some(url) = &self.server_url else {
            return out;
        };
        let server_path = server_path(url);
        let server_path = server_path.trim_end_matches('/');
        if !server_path.is_empty() && !base.ends_with(server_path) && !doubled {
            out.push_str(&format!(
                "servers[0].url has the path {server_path}, which --base-url lacks: it may belong in --base-url; "
            ));
        }
        out.push_str(&format!("the document's servers[0].url is {url}; "));
        out
    }
}

/// The path of a server URL, absolute (`https://h/v1`) or relative to the document (`/v1`).
fn server_path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) if url.starts_with('/') => url.split(['?', '#']).next().unwrap_or("").to_string(),
        Err(_) => String::new(),
    }
}

/// The one likely cause of an operation's failures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupCause {
    pub operation: String,
    /// The status every valid request was answered.
    pub status: u16,
    /// The path the valid requests went to.
    pub path: String,
    /// How many valid requests were answered `status`.
    pub valid_cases: usize,
    /// One line: what every valid request got, the likely cause, the flag to check, the path.
    pub hint: String,
    /// The failed cases answered `status`, grouped under this cause.
    pub cases: Vec<String>,
}

impl SetupCause {
    /// Whether a result is one of the failures this cause explains: it failed, and was
    /// answered the cause's status.
    pub fn explains(&self, r: &CaseResult) -> bool {
        r.status() == Status::Failed
            && r.exchange
                .outcome
                .as_ref()
                .is_ok_and(|resp| resp.status == self.status)
    }

    /// Fills [`SetupCause::cases`] from the operation's results.
    pub fn group(&mut self, results: &[CaseResult]) {
        self.cases = results
            .iter()
            .filter(|r| self.explains(r))
            .map(|r| r.case.id.clone())
            .collect();
    }
}

/// The set-up cause the valid cases of `operation` point at, if they all got the same 401, 403
/// or 404. An answer the case itself expects (a 404 the contract lists for it) does not count:
/// it says nothing about the set-up. Results of other classes are not looked at.
pub fn detect<'a>(
    operation: &str,
    results: impl IntoIterator<Item = &'a CaseResult>,
    setup: &SetUp,
) -> Option<SetupCause> {
    let mut seen: Option<(u16, String)> = None;
    let mut count = 0;
    for r in results
        .into_iter()
        .filter(|r| r.case.class() == Class::Valid)
    {
        let Ok(resp) = &r.exchange.outcome else {
            continue;
        };
        // A status only tolerated (a 404 to a document's example path value, say) still
        // counts: every valid request answered it is what the hint is for.
        if r.case.expect.statuses.contains(&resp.status) && SETUP_STATUSES.contains(&resp.status) {
            continue;
        }
        match &seen {
            None => seen = Some((resp.status, url_path(&r.exchange.request.url))),
            Some((status, _)) if *status == resp.status => {}
            Some(_) => return None,
        }
        count += 1;
    }
    let (status, path) = seen.filter(|(s, _)| SETUP_STATUSES.contains(s))?;
    Some(SetupCause {
        operation: operation.to_string(),
        hint: hint(operation, status, &path, count, setup),
        status,
        path,
        valid_cases: count,
        cases: Vec::new(),
    })
}

/// The path of a request URL, or the URL itself when it does not parse.
fn url_path(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.path().to_string())
}

/// The credentials as the hint names them: `the token in VAR (--token-env)`, ...
fn credentials(vars: &[(String, String)]) -> String {
    vars.iter()
        .map(|(var, flag)| match flag.as_str() {
            "--token-env" => format!("the token in {var} ({flag})"),
            _ => format!("the credential in {var} ({flag})"),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn hint(operation: &str, status: u16, path: &str, count: usize, setup: &SetUp) -> String {
    let cases = if count == 1 { "case" } else { "cases" };
    let head =
        format!("every valid request of {operation} ({count} {cases}) was answered {status}");
    let params = setup
        .path_params
        .iter()
        .map(|(name, value)| format!("--path-param {name}={value}"))
        .collect::<Vec<_>>()
        .join(" and ");
    let env = credentials(&setup.credentials);
    let question = match (status, params.is_empty()) {
        (401 | 403, _) if setup.credentials.is_empty() => "the valid requests sent no credential: \
             does this operation need one (--credential SCHEME=VAR)?"
            .to_string(),
        (401, _) => {
            format!("is {env} one this server accepts, and not expired or revoked?")
        }
        (403, true) => format!("does {env} have the rights this operation needs?"),
        (403, false) => {
            format!("does {env} have the rights this operation needs, on {params}?")
        }
        (_, true) => "is --base-url the API root?".to_string(),
        (_, false) => {
            format!("is --base-url the API root, and does {params} name something that exists?")
        }
    };
    let root = match (status, &setup.api_root) {
        (404, Some(root)) => root.hint(),
        _ => String::new(),
    };
    format!("{head}: {question} {root}the requests went to {path}")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::cases::{Auth, Body, Case, Expect, Origin, RequestSpec};
    use crate::http::{Exchange, Response, SentRequest, TransportError, TransportKind};

    fn case(id: &str, class: Class, statuses: &[u16]) -> Arc<Case> {
        Arc::new(Case {
            id: id.into(),
            title: id.into(),
            kind: "example".into(),
            expect: Expect {
                class,
                label: "success".into(),
                statuses: statuses.to_vec(),
                tolerated: Vec::new(),
                tolerated_why: None,
            },
            request: RequestSpec {
                method: "POST".into(),
                path: Default::default(),
                auth: Auth::Valid,
                content_type: None,
                body: Body::Empty,
                params: Vec::new(),
            },
            offending: None,
            origin: Origin::Derived,
        })
    }

    fn answered(case: Arc<Case>, status: Option<u16>) -> CaseResult {
        let outcome = match status {
            Some(status) => Ok(Response {
                status,
                headers: Default::default(),
                body: Vec::new(),
                truncated: false,
                body_cut: None,
            }),
            None => Err(TransportError::new(TransportKind::Connect, "refused")),
        };
        let exchange = Exchange {
            request: SentRequest {
                method: "POST".into(),
                url: "http://127.0.0.1:9/api/v1/api/v1/things?x=1".into(),
                headers: Vec::new(),
                placeholders: Vec::new(),
                body: Default::default(),
                body_cut: None,
            },
            outcome,
            elapsed: Duration::ZERO,
        };
        CaseResult::new(case, exchange, Vec::new())
    }

    fn setup() -> SetUp {
        SetUp {
            credentials: vec![("MY_TOKEN".into(), "--token-env".into())],
            path_params: vec![("team".into(), "t_1".into())],
            api_root: None,
        }
    }

    fn valid(id: &str, status: Option<u16>) -> CaseResult {
        answered(case(id, Class::Valid, &[201]), status)
    }

    #[test]
    fn the_same_404_to_every_valid_request_names_the_base_url_and_the_path() {
        let results = [valid("a", Some(404)), valid("b", Some(404))];
        let cause = detect("op", &results, &setup()).expect("a cause");
        assert_eq!((cause.status, cause.valid_cases), (404, 2));
        assert_eq!(cause.path, "/api/v1/api/v1/things");
        assert!(cause.hint.contains("--base-url"), "{}", cause.hint);
        assert!(cause.hint.contains("--path-param team=t_1"));
        assert!(cause
            .hint
            .ends_with("the requests went to /api/v1/api/v1/things"));
    }

    fn root(server_url: Option<&str>, base_path: &str, operation_path: &str) -> SetUp {
        SetUp {
            api_root: Some(ApiRoot {
                server_url: server_url.map(String::from),
                base_path: base_path.into(),
                operation_path: operation_path.into(),
            }),
            ..setup()
        }
    }

    #[test]
    fn a_document_s_404_hint_compares_its_paths_and_server_with_the_base_url() {
        let results = [valid("a", Some(404))];
        let hint = |s: SetUp| detect("op", &results, &s).unwrap().hint;
        let doubled = hint(root(Some("http://h/v1"), "/v1", "/v1/pets"));
        assert!(
            doubled.contains("the document's paths already begin with /v1, which --base-url ends with: give the root without it"),
            "{doubled}"
        );
        assert!(
            doubled.contains("servers[0].url is http://h/v1"),
            "{doubled}"
        );
        let lacking = hint(root(Some("https://h.example/v1"), "", "/pets"));
        assert!(
            lacking.contains("servers[0].url has the path /v1, which --base-url lacks"),
            "{lacking}"
        );
        let relative = hint(root(Some("/v1/"), "/api", "/pets"));
        assert!(relative.contains("has the path /v1"), "{relative}");
        // A base URL that has the server's path: only the server is shown.
        let fine = hint(root(Some("https://h/v1"), "/v1", "/pets"));
        assert!(
            !fine.contains("lacks") && !fine.contains("already"),
            "{fine}"
        );
        assert!(fine.ends_with("the requests went to /api/v1/api/v1/things"));
        // Not for a 401, and not for an endpoint file.
        let unauthorized = [valid("a", Some(401))];
        let s = root(Some("https://h/v1"), "", "/pets");
        assert!(!detect("op", &unauthorized, &s)
            .unwrap()
            .hint
            .contains("servers"));
        assert!(!hint(setup()).contains("servers"));
    }

    #[test]
    fn a_tolerated_404_still_counts_towards_the_hint() {
        let mut c = (*case("a", Class::Valid, &[200])).clone();
        c.expect.tolerated = vec![404];
        let r = answered(Arc::new(c), Some(404));
        assert_eq!(detect("op", [&r], &setup()).unwrap().status, 404);
    }

    #[test]
    fn a_401_names_the_token_variable_and_a_403_the_rights() {
        let cause = detect("op", &[valid("a", Some(401))], &setup()).unwrap();
        assert!(
            cause.hint.contains("MY_TOKEN (--token-env)"),
            "{}",
            cause.hint
        );
        let cause = detect("op", &[valid("a", Some(403))], &setup()).unwrap();
        assert!(cause.hint.contains("rights"), "{}", cause.hint);
        assert!(cause.hint.contains("team=t_1"), "{}", cause.hint);
        let keys = SetUp {
            credentials: vec![
                ("KEY".into(), "--credential api_key".into()),
                ("BASIC".into(), "--credential basic".into()),
            ],
            ..setup()
        };
        let cause = detect("op", &[valid("a", Some(401))], &keys).unwrap();
        assert!(
            cause.hint.contains("the credential in KEY (--credential api_key) and the credential in BASIC (--credential basic)"),
            "{}",
            cause.hint
        );
    }

    #[test]
    fn no_cause_when_the_answers_differ_or_are_not_a_set_up_status() {
        let mixed = [valid("a", Some(404)), valid("b", Some(201))];
        assert_eq!(detect("op", &mixed, &setup()), None);
        let mixed = [valid("a", Some(404)), valid("b", Some(401))];
        assert_eq!(detect("op", &mixed, &setup()), None);
        assert_eq!(detect("op", &[valid("a", Some(500))], &setup()), None);
        assert_eq!(detect("op", &[valid("a", None)], &setup()), None);
        assert_eq!(detect("op", &[], &setup()), None);
    }

    #[test]
    fn only_valid_cases_count_and_transport_errors_do_not() {
        let invalid = answered(case("i", Class::Invalid, &[422]), Some(201));
        let results = [invalid, valid("a", Some(404)), valid("b", None)];
        let cause = detect("op", &results, &setup()).unwrap();
        assert_eq!(cause.valid_cases, 1);
    }

    #[test]
    fn a_404_the_case_accepts_does_not_count_towards_the_hint() {
        let lookup = answered(case("lookup", Class::Valid, &[200, 404]), Some(404));
        assert_eq!(detect("op", [&lookup], &setup()), None);
        // Beside other valid requests that succeed, it is no cause either.
        let results = [lookup.clone(), valid("a", Some(201))];
        assert_eq!(detect("op", &results, &setup()), None);
        // And it does not hide a cause the other valid requests share.
        let results = [lookup, valid("a", Some(404)), valid("b", Some(404))];
        assert_eq!(detect("op", &results, &setup()).unwrap().valid_cases, 2);
    }
}
