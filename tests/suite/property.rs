//! Property cases: failures found, shrunk and saved; seeds reproducible; regressions replayed first.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::routing::post;
use provisionr_conformance::report::{CaseResult, Status};
use provisionr_conformance::run::{self, RunOutcome, TargetChoice};
use provisionr_conformance::server::{Fault, FaultSet};
use serde_json::Value;

use crate::common::{failed_with, plan};

/// Only the properties, against the embedded server with one fault, saving into `cases/regressions`
/// under `dir`.
fn properties_against(dir: &Path, fault: &str, seed: &str) -> RunOutcome {
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    let mut p = plan(
        dir,
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--seed",
            seed,
            "property::",
        ],
    );
    p.properties.as_mut().unwrap().persist = Some(cases.join("regressions"));
    let fault: Fault = fault.parse().unwrap();
    p.target = TargetChoice::Embedded {
        faults: FaultSet::with([fault]),
        reject_past_expiry: false,
    };
    run::run(p).unwrap()
}

fn failed<'a>(outcome: &'a RunOutcome, id: &str) -> &'a CaseResult {
    let r = outcome
        .results
        .iter()
        .find(|r| r.case.id == id)
        .unwrap_or_else(|| panic!("no {id}"));
    assert_eq!(
        r.status(),
        Status::Failed,
        "{id} should fail: {:?}",
        r.notes
    );
    r
}

fn saved(dir: &Path) -> Vec<Value> {
    let regressions = dir.join("cases/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&regressions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn a_crash_on_astral_characters_is_found_shrunk_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = properties_against(dir.path(), "crash-on-astral", "7");
    let r = failed(&outcome, "property::valid_body");
    assert!(failed_with(r, "status", "500"), "{:?}", r.verdicts);
    let body = r.case.request.body.json().unwrap();
    let chars: Vec<char> = strings(body).concat().chars().collect();
    assert_eq!(chars.len(), 1, "not shrunk to one character: {body}");
    assert!(
        chars[0] as u32 > 0xFFFF,
        "the one character left is not astral: {body}"
    );
    assert!(
        r.notes.iter().any(|n| n.contains("shrunk in")),
        "{:?}",
        r.notes
    );
    let files = saved(dir.path());
    let regression = files
        .iter()
        .find(|f| {
            f["id"]
                .as_str()
                .unwrap()
                .starts_with("regression::valid_body")
        })
        .unwrap();
    assert_eq!(&regression["request"]["body"], body);
    assert_eq!(regression["seed"], 7);
}

#[test]
fn a_server_building_json_by_hand_is_found_shrunk_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = properties_against(dir.path(), "json-concat", "7");
    let r = failed(&outcome, "property::valid_body");
    assert!(
        failed_with(r, "response_schema", "not JSON"),
        "{:?}",
        r.verdicts
    );
    let body = r.case.request.body.json().unwrap();
    let description = body["description"].as_str().unwrap();
    assert_eq!(description.chars().count(), 1, "not shrunk: {body}");
    assert!(
        description
            .chars()
            .all(|c| c == '"' || c == '\\' || c < ' '),
        "{body}"
    );
    assert!(!saved(dir.path()).is_empty());
}

#[test]
fn a_server_failing_one_request_in_ten_is_found_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = properties_against(dir.path(), "intermittent-500", "7");
    let r = failed(&outcome, "property::valid_body");
    assert!(failed_with(r, "status", "500"), "{:?}", r.verdicts);
    assert!(
        r.notes.iter().any(|n| n.contains("shrunk in")),
        "{:?}",
        r.notes
    );
    assert!(saved(dir.path())
        .iter()
        .any(|f| f["found"].as_str().unwrap().contains("500")));
}

#[test]
fn a_saved_regression_is_replayed_first_next_time() {
    let dir = tempfile::tempdir().unwrap();
    properties_against(dir.path(), "crash-on-astral", "7");
    let cases = dir.path().join("cases");
    std::fs::write(
        cases.join("hand_written.json"),
        r#"{"title": "a hand-written case", "class": "valid", "request": {"body": {"name": "n", "description": "d"}}}"#,
    )
    .unwrap();
    let p = plan(
        dir.path(),
        &[
            "--cases",
            cases.to_str().unwrap(),
            "--cases",
            "4",
            "--test-threads",
            "1",
        ],
    );
    let outcome = run::run(p).unwrap();
    let first = &outcome.results[0];
    assert!(
        first.case.id.starts_with("regression::"),
        "first ran {}",
        first.case.id
    );
    assert_eq!(first.case.kind, "regression");
    assert_eq!(
        first.status(),
        Status::Passed,
        "the clean server passes the regression"
    );
    let hand = outcome
        .results
        .iter()
        .position(|r| r.case.id == "example::hand_written")
        .unwrap();
    let regressions = outcome
        .results
        .iter()
        .filter(|r| r.case.kind == "regression")
        .count();
    assert_eq!(
        hand, regressions,
        "regressions come before every other case"
    );
}

/// A server that records every body it receives and answers 422.
async fn recorder() -> (
    SocketAddr,
    Arc<Mutex<Vec<String>>>,
    tokio::task::JoinHandle<()>,
) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let sink = bodies.clone();
    let app = axum::Router::new().fallback(post(move |body: String| {
        let sink = sink.clone();
        async move {
            sink.lock().unwrap().push(body);
            (
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(serde_json::json!({"message": "recorded"})),
            )
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, bodies, task)
}

fn bodies_sent_with(seed: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, bodies, task) = rt.block_on(recorder());
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), &["--seed", seed, "--cases", "64", "property::"]);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1"),
    };
    run::run(p).unwrap();
    task.abort();
    let mut sent = bodies.lock().unwrap().clone();
    // Requests run concurrently, so they arrive in any order; the set is what the seed fixes.
    sent.sort();
    sent
}

#[test]
fn the_same_seed_sends_the_same_bodies() {
    let first = bodies_sent_with("42");
    let second = bodies_sent_with("42");
    assert!(first.len() >= 3 * 64, "{}", first.len());
    assert_eq!(first, second);
    let other = bodies_sent_with("43");
    assert_ne!(first, other);
}
