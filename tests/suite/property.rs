//! Property cases: failures found, shrunk and saved; seeds reproducible; regressions replayed first.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::routing::post;
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::outcome::{CaseResult, Status};
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;
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
    p.target = TargetChoice::Embedded(provisionr_conformance::server::Options {
        faults: FaultSet::with([fault]),
        variations: Default::default(),
        reject_past_expiry: false,
    });
    run_and_write(p).unwrap()
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
    let chars: Vec<char> = strings(&body).concat().chars().collect();
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
    assert_eq!(regression["request"]["body"], *body);
    assert_eq!(regression["seed"], 7);

    // Read back by the case-file parser, the saved file is the case that failed: the same
    // request (method, auth, content type, body) and expectation, as a regression case.
    let contract = provisionr_conformance::contract::Operation::embedded().unwrap();
    let id = regression["id"].as_str().unwrap();
    let stem = id.strip_prefix("regression::").unwrap();
    let path = dir.path().join(format!("cases/regressions/{stem}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let back = provisionr_conformance::cases::file::parse(&path, &text, &contract).unwrap();
    assert_eq!(back.id, id);
    assert_eq!(back.kind, "regression");
    assert_eq!(back.class(), r.case.class());
    assert_eq!(back.request, r.case.request);
    assert_eq!(back.expect.statuses, r.case.expect.statuses);
    assert_eq!(back.offending, r.case.offending);
    assert!(back.title.contains("found with seed 7"), "{}", back.title);
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
    let outcome = run_and_write(p).unwrap();
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
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    run_and_write(p).unwrap();
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

/// The reference server, except that a `name` holding an astral character answers 500 and a
/// `description` longer than ten characters gets a success without `id`: two bugs of two kinds.
async fn two_bugs(token: &str, services: Vec<String>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use axum::body::{to_bytes, Body};
    use axum::http::{Request, StatusCode};
    use axum::response::{IntoResponse, Response};

    async fn bugs(req: Request<Body>, next: axum::middleware::Next) -> Response {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let sent: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let text = |key: &str| sent[key].as_str().unwrap_or("").to_string();
        if text("name").chars().any(|c| c as u32 > 0xffff) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Server Error").into_response();
        }
        let long = text("description").chars().count() > 10;
        let resp = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        if !long || !resp.status().is_success() {
            return resp;
        }
        let (parts, body) = resp.into_parts();
        let mut json: Value =
            serde_json::from_slice(&to_bytes(body, usize::MAX).await.unwrap()).unwrap();
        json.as_object_mut().unwrap().remove("id");
        let mut resp = Response::from_parts(parts, Body::from(json.to_string()));
        resp.headers_mut()
            .remove(axum::http::header::CONTENT_LENGTH);
        resp
    }

    let app = provisionr_conformance::server::app(provisionr_conformance::server::ServerConfig {
        token: token.to_string(),
        services,
        faults: FaultSet::none(),
        variations: Default::default(),
        reject_past_expiry: false,
    })
    .layer(axum::middleware::from_fn(bugs));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

#[test]
fn two_kinds_of_failure_are_both_reported_each_shrunk_within_its_kind() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(
        dir.path(),
        &["--seed", "3", "--cases", "300", "property::valid_body"],
    );
    let services = p.path_values.values().cloned().collect();
    let (addr, task) = rt.block_on(two_bugs(p.token.expose(), services));
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    task.abort();
    let r = failed(&outcome, "property::valid_body");
    let parts: Vec<&CaseResult> = r.parts().collect();
    assert_eq!(parts.len(), 2, "{:#?}", r.notes);

    // The crash comes first, shrunk to one astral character in `name`, and still a 500.
    let crash = parts[0];
    assert!(failed_with(crash, "status", "500"), "{:?}", crash.verdicts);
    let body = crash.case.request.body.json().unwrap();
    let name: Vec<char> = body["name"].as_str().unwrap().chars().collect();
    assert_eq!(name.len(), 1, "not shrunk: {body}");
    assert!(name[0] as u32 > 0xffff, "{body}");
    assert!(
        crash
            .notes
            .iter()
            .any(|n| n.contains("check `status` failed on a 5xx answer")),
        "{:?}",
        crash.notes
    );

    // The schema break is reported too, shrunk to the shortest description that still breaks
    // it, and it is still a success, never the crash.
    let schema = parts[1];
    let status = schema.exchange.outcome.as_ref().unwrap().status;
    assert!((200..300).contains(&status), "{status}");
    assert!(
        schema
            .verdicts
            .iter()
            .any(|v| v.check == "response_schema" && v.actual.contains("id")),
        "{:?}",
        schema.verdicts
    );
    let body = schema.case.request.body.json().unwrap();
    assert_eq!(
        body["description"].as_str().unwrap().chars().count(),
        11,
        "not shrunk to the boundary: {body}"
    );
    assert!(
        !body["name"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c as u32 > 0xffff),
        "{body}"
    );

    // Both are in the JUnit report: each in the failure's text, and each as a property.
    let xml = std::fs::read_to_string(outcome.junit.as_ref().unwrap()).unwrap();
    assert!(xml.contains("-- failure 2 of 2 --"), "{xml}");
    let failures: Vec<&str> = xml
        .lines()
        .filter(|l| l.contains("<property name=\"failure\""))
        .collect();
    assert_eq!(failures.len(), 2, "{xml}");
    assert!(failures[0].contains("check `status`"), "{}", failures[0]);
    assert!(
        failures[1].contains("check `response_schema`"),
        "{}",
        failures[1]
    );
}

#[test]
fn no_request_record_holds_the_token() {
    const TOKEN: &str = "pvt_record_check_7a6b5c4d3e2f";
    let dir = tempfile::tempdir().unwrap();
    // A fault that makes the properties fail, so shrinking and replays are recorded too.
    let mut p = plan(dir.path(), &["--cases", "32"]);
    p.token = provisionr_conformance::http::Secret::new(TOKEN);
    p.target = TargetChoice::Embedded(provisionr_conformance::server::Options {
        faults: FaultSet::with([Fault::CrashOnAstral]),
        variations: Default::default(),
        reject_past_expiry: false,
    });
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 1, "the fault should be caught");
    let mut with_placeholder = 0;
    for r in &outcome.results {
        for part in r.parts() {
            let record = format!("{:?}", part.exchange.request);
            assert!(!record.contains(TOKEN), "{}: {record}", r.case.id);
            with_placeholder += usize::from(record.contains("Bearer ${PROVISIONR_TOKEN}"));
        }
    }
    assert!(
        with_placeholder > 60,
        "{with_placeholder} records name the placeholder"
    );
}

#[test]
fn a_time_budget_keeps_drawing_until_it_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(dir.path(), &["--duration", "400ms", "property::valid_body"]);
    assert_eq!(p.properties.as_ref().unwrap().cases, u64::MAX);
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 0);
    let r = &outcome.results[0];
    assert!(
        r.notes.iter().any(|n| n.contains("--duration ran out")),
        "{:?}",
        r.notes
    );
    assert_eq!(outcome.generated(), outcome.requests());
    assert!(outcome.generated() > 1, "{}", outcome.generated());
}

#[test]
fn a_regression_saved_before_today_s_rules_is_replayed_under_them() {
    // Saved by an older version as valid: a number beyond 2^53 is unspecified today (RFC 7493
    // 2.2), so a server that refuses it is no longer failed by the replay.
    let dir = tempfile::tempdir().unwrap();
    let regressions = dir.path().join("cases/regressions");
    std::fs::create_dir_all(&regressions).unwrap();
    std::fs::write(
        regressions.join("old.json"),
        r#"{"id": "regression::old", "kind": "regression", "title": "saved", "class": "valid",
            "request": {"body": {"name": "n", "description": "d", "extra": 9007199254740993}}}"#,
    )
    .unwrap();
    let cases = dir.path().join("cases");
    let p = plan(
        dir.path(),
        &["--cases", cases.to_str().unwrap(), "regression::old"],
    );
    let outcome = run_and_write(p).unwrap();
    let old = outcome
        .results
        .iter()
        .find(|r| r.case.id == "regression::old")
        .expect("the regression ran");
    assert_eq!(
        old.case.class(),
        provisionr_conformance::contract::Class::Unspecified,
        "{}",
        old.case.title
    );
}
