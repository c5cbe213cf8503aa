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
    /// The environment variable that holds the token (`--token-env`).
    pub token_env: String,
    /// The operation's path parameters and the values the run sent.
    pub path_params: Vec<(String, String)>,
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
/// or 404. An answer the case itself accepts (a 404 the contract lists for it) does not count:
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
        let expect = &r.case.expect;
        let accepted =
            expect.statuses.contains(&resp.status) || expect.tolerated.contains(&resp.status);
        if accepted && SETUP_STATUSES.contains(&resp.status) {
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
    let env = &setup.token_env;
    let question = match (status, params.is_empty()) {
        (401, _) => format!(
            "is the token in {env} (--token-env) one this server accepts, and not expired or revoked?"
        ),
        (403, true) => {
            format!("does the token in {env} (--token-env) have the rights this operation needs?")
        }
        (403, false) => format!(
            "does the token in {env} (--token-env) have the rights this operation needs, on {params}?"
        ),
        (_, true) => "is --base-url the API root?".to_string(),
        (_, false) => {
            format!("is --base-url the API root, and does {params} name something that exists?")
        }
    };
    format!("{head}: {question} the requests went to {path}")
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
                placeholder: None,
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
            token_env: "MY_TOKEN".into(),
            path_params: vec![("team".into(), "t_1".into())],
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
