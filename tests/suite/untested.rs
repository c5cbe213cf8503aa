//! What a document cannot test is listed, never judged: each untested operation with its reason
//! and place in the document, in the console, the JUnit report (a skipped testcase) and the
//! summary; the load warnings beside them; and the exit code is the tested operations' alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use provisionr_conformance::contract::{LoadWarning, Untested};
use provisionr_conformance::engine::observe::DocumentNotes;
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::report::{diff, human};
use serde_json::{json, Value};

use crate::common::{assert_valid_junit, plan};

fn untested() -> Untested {
    Untested {
        operation: "list_pets".into(),
        method: "GET".into(),
        path: "/pets".into(),
        pointer: "/paths/~1pets/get/security/0".into(),
        reason: "the security scheme `api_key` (apiKey) is not supported until the next issue"
            .into(),
    }
}

fn warning() -> LoadWarning {
    LoadWarning {
        pointer: "/components/schemas/Pet/example".into(),
        message: "the example breaks its schema: \"id\" is required".into(),
    }
}

#[test]
fn the_console_lines_name_the_operation_its_reason_and_its_place() {
    let doc = PathBuf::from("petstore.yaml");
    let notes = DocumentNotes {
        document: Some(&doc),
        untested: &[untested()],
        warnings: &[warning()],
        listing: false,
    };
    assert_eq!(
        human::document_lines(&notes),
        [
            "not tested: list_pets (GET /pets): the security scheme `api_key` (apiKey) is not supported until the next issue (at /paths/~1pets/get/security/0)",
            "warning: petstore.yaml#/components/schemas/Pet/example: the example breaks its schema: \"id\" is required",
        ]
    );
}

#[test]
fn untested_operations_are_in_the_junit_and_the_summary_and_change_no_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let junit = dir.path().join("junit.xml");
    let mut p = plan(
        dir.path(),
        &["--cases", "4", "--summary", summary.to_str().unwrap()],
    );
    p.untested = vec![untested()];
    p.load_warnings = vec![warning()];
    p.document = Some(dir.path().join("petstore.yaml"));
    let outcome = run_and_write(p).unwrap();
    assert_eq!(
        outcome.exit_code, 0,
        "the shipped suite passes the embedded server"
    );
    assert_eq!(outcome.tally.total, outcome.tally.passed);

    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let skipped: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("classname") == Some("list_pets"))
        .collect();
    assert_eq!(skipped.len(), 1, "{xml}");
    let reason = skipped[0]
        .children()
        .find(|n| n.has_tag_name("skipped"))
        .and_then(|n| n.attribute("message"));
    assert_eq!(
        reason,
        Some("the security scheme `api_key` (apiKey) is not supported until the next issue (at /paths/~1pets/get/security/0)")
    );
    // Counted as skipped, never as a failure.
    let root = doc.root_element();
    assert_eq!(root.attribute("failures"), Some("0"), "{xml}");

    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["verdict"], "pass");
    assert_eq!(s["untested"][0]["operation"], "list_pets");
    assert_eq!(s["untested"][0]["pointer"], "/paths/~1pets/get/security/0");
    assert_eq!(
        s["load_warnings"][0]["pointer"],
        "/components/schemas/Pet/example"
    );
    assert_summary_schema_has(&["untested", "load_warnings"]);

    // `diff` still reads a summary of an earlier version, which has neither array.
    let mut old = s.clone();
    old.as_object_mut().unwrap().remove("untested");
    old.as_object_mut().unwrap().remove("load_warnings");
    let old_file = dir.path().join("old.json");
    std::fs::write(&old_file, old.to_string()).unwrap();
    let (old, new) = (
        diff::load(&old_file).unwrap(),
        diff::load(&summary).unwrap(),
    );
    assert!(old.untested.is_empty());
    assert_eq!(diff::compare(&old, &new).exit_code(), 0);
}

/// The summary's schema describes these fields (its `additionalProperties` is false).
fn assert_summary_schema_has(fields: &[&str]) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/summary.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    for f in fields {
        assert!(schema["properties"].get(f).is_some(), "{f}");
    }
}

/// End to end: a document with one testable
/// operation and one behind an API key: the run lists the second with its reason, tests the
/// first, and exits as a run of the first alone does.
#[test]
fn a_document_with_an_untested_operation_runs_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let note = json!({
        "type": "object", "required": ["title"],
        "properties": { "title": { "type": "string", "minLength": 1, "maxLength": 20 } }
    });
    let doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "Notes", "version": "1" },
        "servers": [{ "url": "https://api.example.test" }],
        "components": { "securitySchemes": {
            "token": { "type": "http", "scheme": "bearer" },
            "key": { "type": "apiKey", "in": "header", "name": "X-Key" }
        } },
        "security": [{ "token": [] }],
        "paths": { "/notes": {
            "post": {
                "operationId": "create_note",
                "requestBody": { "content": { "application/json": { "schema": note } } },
                "responses": { "201": { "description": "created",
                    "content": { "application/json": { "schema": note } } } }
            },
            "get": {
                "operationId": "list_notes",
                "security": [{ "key": [] }],
                "responses": { "200": { "description": "ok" } }
            }
        } }
    });
    let file = dir.path().join("notes.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let (addr, _rt) = crate::common::serve_app(axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::CREATED,
            [("content-type", "application/json")],
            r#"{"title":"t"}"#,
        )
    }));
    let run = |extra: &[&str]| {
        let junit = dir.path().join("junit.xml");
        Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
            .args(["run", "--no-persist", "--cases", "4", "--openapi"])
            .arg(&file)
            .args([
                "--base-url",
                &format!("http://{addr}"),
                "--allow-insecure-http",
            ])
            .args(["--token-env", "PVC_UNTESTED_E2E_TOKEN", "--junit"])
            .arg(&junit)
            .args(extra)
            .env("PVC_UNTESTED_E2E_TOKEN", "pvt_untested_0123456789")
            .output()
            .unwrap()
    };
    let all = run(&[]);
    let stdout = String::from_utf8_lossy(&all.stdout);
    assert!(
        stdout.contains("not tested: list_notes (GET /notes): "),
        "{stdout}\n{}",
        String::from_utf8_lossy(&all.stderr)
    );
    assert_ne!(all.status.code(), Some(2));
    let xml = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        xml.contains("classname=\"list_notes\"") && xml.contains("<skipped"),
        "{xml}"
    );
    let alone = run(&["--operation", "create_note"]);
    assert_eq!(all.status.code(), alone.status.code());
    // Naming the untested operation says why it is not tested.
    let named = run(&["--operation", "list_notes"]);
    assert_eq!(named.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&named.stderr).contains("is not tested: "));
}
