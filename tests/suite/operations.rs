//! A contract with more than one operation: the shipped one beside a made-up second one, with its
//! own schemas and an in-process server; one run tests both, each as its own JUnit suite.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use provisionr_conformance::contract::EMBEDDED_SCHEMAS;
use provisionr_conformance::engine::run;
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::server::{app, ServerConfig};
use serde_json::{json, Value};

use crate::common::{plan, verdicts};

const PROJECT: &str = "prj_0001";

/// The shipped schemas, and a second operation: `POST /workspace/projects/{project}/notes`.
fn two_operations(dir: &Path) -> std::path::PathBuf {
    let schemas = dir.join("schemas");
    std::fs::create_dir_all(&schemas).unwrap();
    for f in EMBEDDED_SCHEMAS.files() {
        let name = f.path().to_str().unwrap();
        if name.starts_with("create-service-access-token.") {
            std::fs::write(schemas.join(name), f.contents()).unwrap();
        }
    }
    let endpoint = json!({
        "operation": "create_note",
        "title": "Create a project note",
        "method": "POST",
        "path": "/workspace/projects/{project}/notes",
        "path_params": { "project": { "example": PROJECT } },
        "auth": { "scheme": "bearer" },
        "content_type": "application/json",
        "request_schema": "create-note.request.schema.json",
        "response_schema": "create-note.response.schema.json",
        "success": [201],
        "created_id": "/id",
        "expectations": {
            "invalid_body": [400, 422], "auth": [401], "unknown_path": [404],
            "media_type": [415, 400, 422], "method": [405]
        },
        "semantics": [
            { "check": "unique", "response": "/id" },
            { "check": "echo", "request": "/title", "response": "/title", "severity": "warning" }
        ]
    });
    let request = json!({
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": { "type": "string", "minLength": 1, "maxLength": 20 },
            "pinned": { "type": "boolean" }
        }
    });
    let response = json!({
        "type": "object",
        "required": ["id", "title", "pinned"],
        "properties": {
            "id": { "type": "string", "minLength": 1 },
            "title": { "type": "string" },
            "pinned": { "type": "boolean" }
        }
    });
    for (name, v) in [
        ("create-note.endpoint.json", endpoint),
        ("create-note.request.schema.json", request),
        ("create-note.response.schema.json", response),
    ] {
        std::fs::write(schemas.join(name), v.to_string()).unwrap();
    }
    schemas
}

/// A careful implementation of the second operation, beside the reference server.
fn server(token: &str, service: &str) -> (SocketAddr, tokio::runtime::Runtime) {
    let reference = app(ServerConfig {
        token: token.to_string(),
        services: vec![service.to_string()],
        faults: Default::default(),
        variations: Default::default(),
        reject_past_expiry: false,
    });
    let token = token.to_string();
    let ids = Arc::new(AtomicU64::new(0));
    let notes = post(
        move |UrlPath(project): UrlPath<String>, headers: HeaderMap, body: Bytes| {
            let (token, ids) = (token.clone(), ids.clone());
            async move { create_note(&token, &ids, &project, &headers, &body) }
        },
    )
    .fallback(|| async {
        let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        r.headers_mut().insert("allow", "POST".parse().unwrap());
        r
    });
    let router = axum::Router::new()
        .route("/api/v1/workspace/projects/{project}/notes", notes)
        .merge(reference);
    crate::common::serve_app(router)
}

const TOKEN: &str = "pvt_two_operations_0123456789";

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({"message": message, "errors": {"title": [message]}}).to_string(),
    )
        .into_response()
}

fn create_note(
    token: &str,
    ids: &AtomicU64,
    project: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    if let Some(challenge) = crate::common::bearer_refusal(headers, token) {
        let mut r = error(StatusCode::UNAUTHORIZED, "unauthenticated");
        r.headers_mut()
            .insert("www-authenticate", challenge.parse().unwrap());
        return r;
    }
    if project != PROJECT {
        return error(StatusCode::NOT_FOUND, "no such project");
    }
    if !crate::common::sends_json(headers) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send application/json");
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "not JSON");
    };
    let title = body.get("title").and_then(Value::as_str);
    let pinned = body.get("pinned").map_or(Some(false), Value::as_bool);
    match (body.is_object(), title, pinned) {
        (true, Some(t), Some(p)) if !t.is_empty() && t.chars().count() <= 20 => {
            let id = format!("note_{}", ids.fetch_add(1, Ordering::SeqCst));
            (
                StatusCode::CREATED,
                [("content-type", "application/json")],
                json!({"id": id, "title": t, "pinned": p}).to_string(),
            )
                .into_response()
        }
        _ => error(StatusCode::UNPROCESSABLE_ENTITY, "title is invalid"),
    }
}

/// A plan for both operations with `args`, pointed at the server at `addr`. Built for the
/// embedded server, then pointed there: the token need not be in the environment of the whole
/// test process.
fn plan_at(dir: &Path, schemas: &Path, addr: SocketAddr, args: &[&str]) -> run::Plan {
    let project = format!("project={PROJECT}");
    let mut argv = vec![
        "--schemas",
        schemas.to_str().unwrap(),
        "--path-param",
        "service=svc_two",
        "--path-param",
        &project,
    ];
    argv.extend_from_slice(args);
    let mut p = plan(dir, &argv);
    p.target = run::TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    p.token = provisionr_conformance::http::Secret::new(TOKEN);
    p
}

#[test]
fn two_operations_run_together_each_with_its_own_suite_and_cases() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = two_operations(dir.path());
    let (addr, _rt) = server(TOKEN, "svc_two");
    let p = plan_at(dir.path(), &schemas, addr, &["--cases", "32"]);
    assert_eq!(p.operations.len(), 2);
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    let ids: Vec<&str> = outcome.results.iter().map(|r| r.case.id.as_str()).collect();
    for op in ["create_note", "create_service_access_token"] {
        assert!(
            ids.iter()
                .any(|id| id.starts_with(&format!("{op}::boundary::"))),
            "{op}: {ids:?}"
        );
        assert!(
            ids.contains(&format!("{op}::property::valid_body").as_str()),
            "{ids:?}"
        );
    }
    assert!(
        ids.contains(&"create_note::boundary::title::max_length_ascii"),
        "{ids:?}"
    );
    // Unknown-path cases for each operation's own path parameter.
    for id in [
        "create_note::path::project::unknown",
        "create_service_access_token::path::service::unknown",
    ] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    assert!(!ids
        .iter()
        .any(|id| id.starts_with("create_note::") && id.contains("expires_at")));

    let xml = std::fs::read_to_string(outcome.junit.as_ref().unwrap()).unwrap();
    crate::common::assert_valid_junit(outcome.junit.as_ref().unwrap());
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["create_note", "create_service_access_token"]);
    for suite in &report.test_suites {
        let op = suite.name.as_str();
        assert!(suite.test_cases.len() > 20, "{op}");
        assert!(suite
            .test_cases
            .iter()
            .all(|tc| tc.name.as_str().starts_with(&format!("{op}::"))));
    }
}

#[test]
fn operation_selects_and_ids_do_not_change_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = two_operations(dir.path());
    // A case file for the operation left out is read, not refused, and not run.
    let cases = dir.path().join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(
        cases.join("other.json"),
        json!({"operation": "create_service_access_token", "title": "mine", "kind": "example",
               "class": "valid", "request": {"body": {"name": "n", "description": "d"}}})
        .to_string(),
    )
    .unwrap();
    let args = |operation: Option<&str>| {
        let mut a = vec![
            "--schemas".to_string(),
            schemas.to_str().unwrap().to_string(),
            "--cases".to_string(),
            cases.to_str().unwrap().to_string(),
        ];
        if let Some(o) = operation {
            a.extend(["--operation".to_string(), o.to_string()]);
        }
        a
    };
    let ids = |p: &run::Plan| -> Vec<String> {
        p.operations
            .iter()
            .flat_map(|o| o.cases.iter().map(|c| c.id.clone()))
            .collect()
    };
    let argv = args(Some("create_note"));
    let only = plan(
        dir.path(),
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(only.operations.len(), 1);
    let argv = args(None);
    let both = plan(
        dir.path(),
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // The same ids as in the whole run, for baselines and known failures written from it.
    let note_ids: Vec<String> = ids(&both)
        .into_iter()
        .filter(|i| i.starts_with("create_note::"))
        .collect();
    assert_eq!(ids(&only), note_ids);
    assert!(note_ids.contains(&"create_note::boundary::title::max_length_ascii".to_string()));
    let other: Vec<String> = ids(&both)
        .into_iter()
        .filter(|i| i.starts_with("create_service_access_token::") && i.contains("other"))
        .collect();
    assert_eq!(other.len(), 1, "{other:?}");
    assert_eq!(only.prefix(0).as_deref(), Some("create_note"));
    let argv = [
        "provisionr-conformance",
        "run",
        "--schemas",
        schemas.to_str().unwrap(),
        "--operation",
        "create_nte",
    ];
    let err = provisionr_conformance::app::plan::plan_from_args(argv)
        .unwrap_err()
        .to_string();
    assert!(err.contains("did you mean `create_note`?"), "{err}");
}

#[test]
fn the_engine_names_no_field_parameter_or_variable_of_this_api() {
    // Another contract must work as well as this one: the stages that run cases name nothing
    // of it. The command line and the reference server may.
    let stages = ["cases", "check", "report", "engine", "http"];
    let files: Vec<(String, String)> = crate::layers::rust_files(&crate::layers::src())
        .into_iter()
        .filter(|(rel, _)| stages.contains(&crate::layers::stage_of(rel).as_str()))
        .collect();
    assert!(files.len() > 15, "{}", files.len());
    let mut found = Vec::new();
    for (rel, text) in &files {
        for word in ["service", "expires_at", "PROVISIONR"] {
            for (n, line) in text.lines().enumerate() {
                if line.contains(word) {
                    found.push(format!("src/{rel}:{}: {word}: {line}", n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn two_operations_that_find_the_same_body_keep_a_regression_file_each() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = two_operations(dir.path());
    // Every request crashes the server, so both operations' `valid_body` and `invalid_body`
    // fail, and `invalid_body` shrinks to the same minimal body for both.
    let crash = axum::Router::new().fallback(|| async {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "application/json")],
            "{}",
        )
    });
    let (addr, _rt) = crate::common::serve_app(crash);
    let mut p = plan_at(dir.path(), &schemas, addr, &["--cases", "8", "valid_body"]);
    let saved = dir.path().join("regressions");
    p.properties.as_mut().unwrap().persist = Some(saved.clone());
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 1);
    let mut names: Vec<String> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let kinds: Vec<&str> = names
        .iter()
        .map(|n| n.rsplit_once('-').unwrap().0)
        .collect();
    assert_eq!(
        kinds,
        [
            "create_note-invalid_body",
            "create_note-valid_body",
            "create_service_access_token-invalid_body",
            "create_service_access_token-valid_body"
        ]
    );
    for name in &names {
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(saved.join(name)).unwrap()).unwrap();
        assert!(
            name.starts_with(file["operation"].as_str().unwrap()),
            "{file}"
        );
    }
}

#[test]
fn a_set_up_cause_is_found_per_operation() {
    let dir = tempfile::tempdir().unwrap();
    let schemas = two_operations(dir.path());
    let (addr, _rt) = server(TOKEN, "svc_two");
    let summary = dir.path().join("summary.json");
    // A project the server does not have: every valid request of create_note is a 404, while
    // the other operation passes.
    let p = plan_at(
        dir.path(),
        &schemas,
        addr,
        &[
            "--cases",
            "4",
            "--path-param",
            "project=prj_nope",
            "--summary",
            summary.to_str().unwrap(),
        ],
    );
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 1);
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let causes = s["setup_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{causes:?}");
    assert_eq!(causes[0]["operation"], "create_note");
    let hint = causes[0]["hint"].as_str().unwrap();
    assert!(hint.contains("--path-param project=prj_nope"), "{hint}");
    let grouped = causes[0]["cases"].as_array().unwrap();
    assert!(!grouped.is_empty());
    assert!(grouped
        .iter()
        .all(|c| c.as_str().unwrap().starts_with("create_note::")));
}
