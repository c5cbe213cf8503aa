//! Operations that change or delete what exists run last: with several operations, the tests
//! of PUT and PATCH operations start after those of GET, HEAD and POST have ended, and DELETE
//! after all the others, whether the run shows a test list or not. An in-test server records
//! the order of the operations it is asked for.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use provisionr_conformance::engine::run;
use provisionr_conformance::report::write::run_and_write;
use serde_json::json;

use crate::common::{plan, serve_app};

/// Endpoint files for three operations, each under a path of its own: `/a/things` (POST),
/// `/b/things` (PUT) and `/c/things` (DELETE).
fn three_operations(dir: &Path) -> PathBuf {
    let schemas = dir.join("schemas");
    std::fs::create_dir_all(&schemas).unwrap();
    let schema = json!({
        "type": "object",
        "required": ["title"],
        "properties": { "title": { "type": "string", "minLength": 1, "maxLength": 8 } }
    });
    std::fs::write(schemas.join("thing.schema.json"), schema.to_string()).unwrap();
    for (op, method, prefix) in [
        ("make_thing", "POST", "a"),
        ("put_thing", "PUT", "b"),
        ("drop_thing", "DELETE", "c"),
    ] {
        let endpoint = json!({
            "operation": op,
            "title": op,
            "method": method,
            "path": format!("/{prefix}/things"),
            "auth": { "scheme": "bearer" },
            "content_type": "application/json",
            "request_schema": "thing.schema.json",
            "response_schema": "thing.schema.json",
            "success": [200],
            "expectations": {
                "invalid_body": [400, 422], "auth": [401], "unknown_path": [404],
                "media_type": [415, 400, 422], "method": [405]
            }
        });
        let name = format!("{op}.endpoint.json");
        std::fs::write(schemas.join(name), endpoint.to_string()).unwrap();
    }
    schemas
}

/// Records the first path segment under the root of every request, in the order they come.
fn recording() -> (
    std::net::SocketAddr,
    tokio::runtime::Runtime,
    Arc<Mutex<Vec<String>>>,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let log = log.clone();
        async move {
            let path = req.uri().path().trim_start_matches("/api/");
            let segment = path.split('/').next().unwrap_or("").to_string();
            log.lock().unwrap().push(segment);
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                json!({ "title": "t" }).to_string(),
            )
                .into_response()
        }
    });
    let (addr, rt) = serve_app(app);
    (addr, rt, seen)
}

/// The last place each operation's path was asked for, and the first.
fn span(seen: &[String], segment: &str) -> (usize, usize) {
    let at: Vec<usize> = (0..seen.len()).filter(|&i| seen[i] == segment).collect();
    assert!(!at.is_empty(), "no request to /{segment}: {seen:?}");
    (at[0], at[at.len() - 1])
}

fn assert_in_waves(seen: &[String]) {
    let (a, b, c) = (span(seen, "a"), span(seen, "b"), span(seen, "c"));
    assert!(a.1 < b.0, "a PUT before the last POST: {a:?} {b:?}");
    assert!(b.1 < c.0, "a DELETE before the last PUT: {b:?} {c:?}");
}

fn ordered_plan(dir: &Path, addr: std::net::SocketAddr) -> run::Plan {
    let schemas = three_operations(dir);
    let mut p = plan(
        dir,
        &["--schemas", schemas.to_str().unwrap(), "--cases", "4"],
    );
    p.target = run::TargetChoice::Remote {
        base_url: format!("http://{addr}/api").parse().unwrap(),
    };
    p
}

#[test]
fn deletes_run_after_every_other_operation_and_puts_after_posts() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _rt, seen) = recording();
    let p = ordered_plan(dir.path(), addr);
    // The plan lists the DELETE operation first: the order is the methods', not the files'.
    let names: Vec<&str> = p
        .operations
        .iter()
        .map(|o| o.contract.endpoint.operation.as_str())
        .collect();
    assert_eq!(names, ["drop_thing", "make_thing", "put_thing"]);
    let outcome = run_and_write(p).unwrap();
    assert!(outcome.results.len() > 30);
    assert_in_waves(&seen.lock().unwrap());
    // The results and the JUnit suites keep the plan's order.
    assert_eq!(outcome.operations[0].operation, "drop_thing");
}

#[test]
fn the_waves_hold_in_the_test_list_too() {
    // The binary shows the test list (libtest trials, eight at a time); its output is kept
    // out of this test's.
    let dir = tempfile::tempdir().unwrap();
    let (addr, _rt, seen) = recording();
    let schemas = three_operations(dir.path());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args(["run", "--no-persist", "--cases", "4", "--schemas"])
        .arg(&schemas)
        .args(["--base-url", &format!("http://{addr}/api")])
        .args(["--token-env", "PVC_ORDER_TEST_TOKEN", "--junit"])
        .arg(dir.path().join("junit.xml"))
        .env("PVC_ORDER_TEST_TOKEN", "pvt_order_0123456789")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_in_waves(&seen.lock().unwrap());
}
