//! The API root of an OpenAPI document: `--base-url` is required (the embedded server serves
//! only the shipped contract), its error shows `servers[0].url`, and when every valid request
//! gets 404 the hint compares the document's paths and server with `--base-url`. Each against a
//! server in the test that answers 404 to everything outside its root `/v1`.

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use provisionr_conformance::app::plan::plan_from_args;
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;
use serde_json::{json, Value};

use crate::common::{plan, serve_app};

const TOKEN_ENV: &str = "PVC_API_ROOT_TEST_TOKEN";

/// The documents' `servers[0].url`.
const SERVER: &str = "https://api.example.test/v1";

/// A document with one operation, `POST <path>`, and `servers[0].url` = `server`.
fn document(dir: &Path, server: &str, path: &str) -> PathBuf {
    let note = json!({
        "type": "object",
        "required": ["title"],
        "properties": { "title": { "type": "string", "minLength": 1, "maxLength": 20 } }
    });
    let doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "Notes", "version": "1" },
        "servers": [{ "url": server }],
        "components": {
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer" } }
        },
        "security": [{ "token": [] }],
        "paths": { path: { "post": {
            "operationId": "create_note",
            "requestBody": { "content": { "application/json": { "schema": note } } },
            "responses": {
                "201": { "description": "created",
                         "content": { "application/json": { "schema": note } } },
                "422": { "description": "invalid" }
            }
        } } }
    });
    let file = dir.join("notes.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    file
}

/// The server: `POST /v1/notes` echoes a valid note with 201; anything else is 404.
fn server() -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let notes = post(|body: Bytes| async move {
        let note: Option<Value> = serde_json::from_slice(&body).ok();
        let title = note
            .as_ref()
            .and_then(|n| n.get("title"))
            .and_then(Value::as_str);
        match title {
            Some(t) if !t.is_empty() && t.chars().count() <= 20 => (
                StatusCode::CREATED,
                [("content-type", "application/json")],
                json!({ "title": t }).to_string(),
            )
                .into_response(),
            _ => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
        }
    });
    let app = axum::Router::new()
        .route("/v1/notes", notes)
        .fallback(|| async { StatusCode::NOT_FOUND });
    serve_app(app)
}

/// Runs the document against `base_url`, quietly, with a summary. The plan is given the
/// document's `servers[0].url` here, as the reader of this issue fills it in.
fn run(dir: &Path, doc: &Path, base_url: &str) -> (RunOutcome, Value) {
    std::env::set_var(TOKEN_ENV, "pvt_api_root_0123456789");
    let summary = dir.join("summary.json");
    let p = plan(
        dir,
        &[
            "--openapi",
            doc.to_str().unwrap(),
            "--base-url",
            base_url,
            "--allow-insecure-http",
            "--token-env",
            TOKEN_ENV,
            "--cases",
            "4",
            "--summary",
            summary.to_str().unwrap(),
        ],
    );
    assert!(matches!(p.target, TargetChoice::Remote { .. }));
    let mut p = p;
    p.server_url = Some(SERVER.to_string());
    let outcome = run_and_write(p).unwrap();
    let s = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    (outcome, s)
}

fn hints(summary: &Value) -> Vec<String> {
    summary["setup_causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["hint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_document_needs_a_base_url_and_the_error_shows_its_server() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path(), SERVER, "/notes");
    let junit = dir.path().join("junit.xml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args(["run", "--no-persist", "--cases", "4", "--junit"])
        .arg(&junit)
        .arg("--openapi")
        .arg(&doc)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--base-url URL is required with --openapi")
            && stderr.contains("servers[0].url"),
        "{stderr}"
    );
    // Nothing was sent, and CI's test view says why.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("--base-url URL is required"), "{xml}");
    // The plan itself builds (`--list` sends nothing, and needs no target); only the run
    // against the embedded server stops.
    let argv = ["provisionr-conformance", "run", "--no-persist", "--openapi"];
    let p = plan_from_args(argv.iter().copied().chain([doc.to_str().unwrap()])).unwrap();
    assert!(p.embedded_refusal.is_some());
    // The committed document is the shipped contract, which the embedded server serves.
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/provisionr-workspace.openapi.yaml");
    let p = plan_from_args(argv.iter().copied().chain([committed.to_str().unwrap()])).unwrap();
    assert_eq!(p.embedded_refusal, None);
}

#[test]
fn paths_that_already_begin_with_the_base_url_s_path_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _rt) = server();
    // The document's paths carry /v1, and so does --base-url: the requests go to /v1/v1/notes.
    let doc = document(dir.path(), SERVER, "/v1/notes");
    let (_, summary) = run(dir.path(), &doc, &format!("http://{addr}/v1"));
    let hints = hints(&summary);
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert!(
        hints[0].contains("the document's paths already begin with /v1, which --base-url ends with: give the root without it"),
        "{}",
        hints[0]
    );
    assert!(
        hints[0].contains("servers[0].url is https://api.example.test/v1"),
        "{}",
        hints[0]
    );
    assert!(hints[0].ends_with("the requests went to /v1/v1/notes"));
}

#[test]
fn a_server_path_the_base_url_lacks_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _rt) = server();
    // servers[0].url ends in /v1, --base-url is the bare host: the requests go to /notes.
    let doc = document(dir.path(), SERVER, "/notes");
    let (_, summary) = run(dir.path(), &doc, &format!("http://{addr}"));
    let hints = hints(&summary);
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert!(
        hints[0].contains(
            "servers[0].url has the path /v1, which --base-url lacks: it may belong in --base-url"
        ),
        "{}",
        hints[0]
    );
    assert!(!hints[0].contains("already begin"), "{}", hints[0]);
}

#[test]
fn the_right_root_gets_no_hint() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _rt) = server();
    let doc = document(dir.path(), SERVER, "/notes");
    let (outcome, summary) = run(dir.path(), &doc, &format!("http://{addr}/v1"));
    assert!(hints(&summary).is_empty(), "{:?}", hints(&summary));
    let created = outcome
        .results
        .iter()
        .filter(|r| {
            r.exchange
                .outcome
                .as_ref()
                .is_ok_and(|resp| resp.status == 201)
        })
        .count();
    assert!(created > 0, "the valid requests reached the root");
}

/// A document whose operation has a path parameter with an example, `POST /notes/{book}`.
fn document_with_book(dir: &Path) -> PathBuf {
    let file = document(dir, SERVER, "/notes/{book}");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["paths"]["/notes/{book}"]["post"]["parameters"] = json!([{
        "name": "book", "in": "path", "required": true,
        "schema": { "type": "string", "example": "b_1" }
    }]);
    std::fs::write(&file, doc.to_string()).unwrap();
    file
}

#[test]
fn a_document_s_example_path_value_may_get_404_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // The server has book b_2 only; every other path is 404.
    let notes = post(|| async {
        (
            StatusCode::CREATED,
            [("content-type", "application/json")],
            json!({ "title": "t" }).to_string(),
        )
    });
    let app = axum::Router::new()
        .route("/v1/notes/b_2", notes)
        .fallback(|| async { StatusCode::NOT_FOUND });
    let (addr, _rt) = serve_app(app);
    let doc = document_with_book(dir.path());
    let base = format!("http://{addr}/v1");
    // No --path-param: the example b_1 is sent, and a valid case's 404 is a warning, not a
    // rejected valid request.
    let (outcome, summary) = run(dir.path(), &doc, &base);
    let valid: Vec<_> = outcome
        .results
        .iter()
        .filter(|r| r.case.class() == provisionr_conformance::contract::Class::Valid)
        .collect();
    assert!(!valid.is_empty());
    for r in &valid {
        assert!(
            r.errors().all(|v| v.check != "status"),
            "{}: {:?}",
            r.case.id,
            r.verdicts
        );
    }
    let warned = summary["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["check"] == "status")
        .map(|w| w["actual"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert!(!warned.is_empty());
    assert!(
        warned.iter().all(|a| a.starts_with("404 (tolerated: ")
            && a.contains(
                "the path value is the document's example, which the server may not have"
            )),
        "{warned:?}"
    );
    // A 404 to every valid request still points at the set-up.
    assert_eq!(hints(&summary).len(), 1);
}

#[test]
fn a_path_value_given_gets_no_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document_with_book(dir.path());
    std::env::set_var(TOKEN_ENV, "pvt_api_root_0123456789");
    let p = plan(
        dir.path(),
        &[
            "--openapi",
            doc.to_str().unwrap(),
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--token-env",
            TOKEN_ENV,
            "--path-param",
            "book=b_2",
        ],
    );
    assert_eq!(p.path_values["book"], "b_2");
    for case in &p.operations[0].cases {
        assert!(!case.expect.tolerated.contains(&404), "{}", case.id);
    }
}
