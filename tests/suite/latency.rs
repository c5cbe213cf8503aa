//! A request that stalls the server: `latency` (a warning, an error under `--strict`, with the
//! body that caused it shrunk), no verdict on a uniformly slow server, and a request that passes
//! `--timeout` failing its case unless the target stopped answering altogether.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::common::{plan, serve_app};
use provisionr_conformance::contract::Severity;
use provisionr_conformance::engine::outcome::{CaseResult, RunOutcome, Status};
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;

/// A server that answers every request 201 after `base`, and after `stall` when the body holds
/// forty `a` in a row (as a backtracking pattern would).
fn server(base: Duration, stall: Duration) -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let app = axum::Router::new().fallback(move |body: Bytes| async move {
        let stalls = String::from_utf8_lossy(&body).contains(&"a".repeat(40));
        tokio::time::sleep(if stalls { stall } else { base }).await;
        (
            StatusCode::CREATED,
            [("content-type", "application/json")],
            "{}",
        )
            .into_response()
    });
    serve_app(app)
}

/// The derived cases, not the properties (over twenty answers; `boundary::name::max_length_ascii`
/// holds fifty-five `a`) against `addr`; the JUnit report lies in the directory given back.
fn run_against(addr: std::net::SocketAddr, extra: &[&str]) -> (RunOutcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--skip", "property::"];
    args.extend_from_slice(extra);
    let mut p = plan(dir.path(), &args);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    (run_and_write(p).expect("run completes"), dir)
}

fn latency_of<'a>(outcome: &'a RunOutcome, case: &str) -> Option<&'a CaseResult> {
    outcome
        .results
        .iter()
        .find(|r| r.case.id == case && r.all_verdicts().any(|v| v.check == "latency"))
}

fn latency_count(outcome: &RunOutcome) -> usize {
    outcome
        .results
        .iter()
        .flat_map(|r| r.all_verdicts())
        .filter(|v| v.check == "latency")
        .count()
}

const STALLING: &str = "boundary::name::max_length_ascii";

#[test]
fn a_stalling_input_is_a_warning_with_its_body_shrunk_and_an_error_under_strict() {
    let (addr, _rt) = server(Duration::ZERO, Duration::from_millis(1500));
    let (outcome, _dir) = run_against(addr, &[]);
    let r = latency_of(&outcome, STALLING).unwrap_or_else(|| {
        panic!(
            "no latency verdict on {STALLING}: {:?}",
            crate::common::verdicts(&outcome)
        )
    });
    let v = r.all_verdicts().find(|v| v.check == "latency").unwrap();
    assert_eq!(v.severity, Severity::Warning);
    assert!(v.expected.contains("10 × the median"), "{}", v.expected);
    assert!(v.actual.contains(&"a".repeat(55)), "the body: {}", v.actual);
    // The slowest request of the operation is shrunk: it keeps the stalling name and loses
    // the property that does not matter.
    let shrunk: Vec<&str> = outcome
        .results
        .iter()
        .flat_map(|r| r.all_verdicts())
        .filter_map(|v| {
            v.actual
                .split_once("to the smallest still slow")
                .map(|(_, s)| s)
        })
        .collect();
    assert_eq!(shrunk.len(), 1, "one shrunk body: {shrunk:?}");
    assert!(shrunk[0].contains(&"a".repeat(40)), "{}", shrunk[0]);
    assert!(!shrunk[0].contains("expires_at"), "{}", shrunk[0]);

    let (strict, _dir) = run_against(addr, &["--strict"]);
    let r = latency_of(&strict, STALLING).expect("a latency verdict under --strict");
    assert_eq!(r.status(), Status::Failed);
    assert!(r
        .errors()
        .any(|v| v.check == "latency" && v.severity == Severity::Error));
    assert_eq!(strict.exit_code, 1);
}

#[test]
fn a_uniformly_slow_server_gets_no_latency_verdict() {
    // 150 ms each, 1.2 s for the stalling input: over a second, but under 10 × the median.
    let (addr, _rt) = server(Duration::from_millis(150), Duration::from_millis(1200));
    let (outcome, _dir) = run_against(addr, &[]);
    assert_eq!(
        latency_count(&outcome),
        0,
        "{:?}",
        crate::common::verdicts(&outcome)
    );
}

/// A server that never answers a request whose body holds forty `a`, and answers the rest.
#[test]
fn a_request_past_timeout_while_the_rest_is_answered_fails_its_case() {
    let (addr, _rt) = server(Duration::ZERO, Duration::from_secs(30));
    let (outcome, _dir) = run_against(addr, &["--timeout", "1"]);
    let r = outcome
        .results
        .iter()
        .find(|r| r.case.id == STALLING)
        .unwrap();
    assert_eq!(r.status(), Status::Failed, "{:?}", r.verdicts);
    let v = r
        .errors()
        .find(|v| v.check == "timeout")
        .expect("a timeout verdict");
    assert!(
        v.actual.contains(&"a".repeat(55)),
        "the request: {}",
        v.actual
    );
    assert_ne!(outcome.exit_code, 3, "not a transport error of the run");
    assert!(outcome.stopped.is_none());
    let xml = std::fs::read_to_string(outcome.junit.as_ref().unwrap()).unwrap();
    assert!(
        xml.contains("type=\"timeout\""),
        "a JUnit failure of type timeout"
    );
}

#[test]
fn a_target_that_stops_answering_is_the_run_s_transport_error() {
    let (addr, _rt) = server(Duration::from_secs(30), Duration::from_secs(30));
    let (outcome, _dir) = run_against(addr, &["--timeout", "1"]);
    assert_eq!(outcome.exit_code, 3);
    assert!(
        outcome.stopped.is_some(),
        "the run stops sending to a dead target"
    );
    assert!(outcome
        .results
        .iter()
        .all(|r| r.status() == Status::Error && r.all_verdicts().next().is_none()));
}
