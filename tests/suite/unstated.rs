//! What a contract does not state is not held against a server: a past date-time where no
//! `fields` policy is declared, and numbers beyond ±(2^53−1) (RFC 7493 2.2). A small OpenAPI
//! document without `x-conformance`, judged against careful servers of its own.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use provisionr_conformance::contract::Class;
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::run;
use provisionr_conformance::report::write::run_and_write;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::common::{error_lines as errors, plan, text, verdicts};

const TOKEN: &str = "pvt_unstated_0123456789abcdef";

/// `POST /events`: a name, a date-time with an example in the future, and a bounded or unbounded
/// integer. 422 is documented, and nothing says whether `starts_at` may be in the past.
fn document(dir: &Path, count: Value) -> PathBuf {
    let doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "events", "version": "1" },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        },
        "security": [{ "bearer": [] }],
        "paths": { "/events": { "post": {
            "operationId": "create_event",
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object",
                "required": ["name", "starts_at"],
                "properties": {
                    "name": { "type": "string", "maxLength": 20 },
                    "starts_at": {
                        "type": "string", "format": "date-time",
                        "examples": ["2098-03-04T05:06:07Z"]
                    },
                    "count": count
                }
            } } } },
            "responses": {
                "201": { "description": "created", "content": { "application/json": { "schema": {
                    "type": "object",
                    "required": ["id", "name", "starts_at"],
                    "properties": {
                        "id": { "type": "string" },
                        "name": { "type": "string" },
                        "starts_at": { "type": "string", "format": "date-time" },
                        "count": { "type": "integer" }
                    }
                } } } },
                "400": { "description": "not JSON, or a number JavaScript cannot hold" },
                "401": { "description": "no or a wrong token" },
                "415": { "description": "not JSON" },
                "422": { "description": "invalid, or `starts_at` is not in the future" }
            }
        } } }
    });
    let path = dir.join("events.openapi.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

/// How the server judges a `starts_at` it could parse.
#[derive(Clone, Copy)]
enum DateRule {
    /// 422 "must be in the future" for a past instant: a business rule the document does not state.
    FutureOnly,
    /// 422 for every date-time: a broken server.
    RefuseAll,
}

fn error(status: StatusCode, field: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({"message": message, "errors": {field: [message]}}).to_string(),
    )
        .into_response()
}

/// Any number a JavaScript `Number` cannot hold exactly, at any depth.
fn beyond_2_53(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_i64().map_or(n.as_u64().is_some(), |i| {
                i.unsigned_abs() > (1u64 << 53) - 1
            }) || n
                .as_f64()
                .is_some_and(|f| f.abs() > 9_007_199_254_740_991.0)
        }
        Value::Array(a) => a.iter().any(beyond_2_53),
        Value::Object(m) => m.values().any(beyond_2_53),
        _ => false,
    }
}

/// RFC 3339 as `format: date-time` has it (`T` or `t` between date and time).
fn date_time(s: &str) -> Option<OffsetDateTime> {
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn create_event(
    rule: DateRule,
    count_rule: &jsonschema::Validator,
    ids: &AtomicU64,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    if let Some(challenge) = crate::common::bearer_refusal(headers, TOKEN) {
        let mut r = error(StatusCode::UNAUTHORIZED, "token", "unauthenticated");
        r.headers_mut()
            .insert("www-authenticate", challenge.parse().unwrap());
        return r;
    }
    if !crate::common::sends_json(headers) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "body",
            "send application/json",
        );
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "body", "not JSON");
    };
    if beyond_2_53(&body) {
        return error(StatusCode::BAD_REQUEST, "count", "number out of range");
    }
    let Some(obj) = body.as_object() else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            "must be an object",
        );
    };
    let mut bad: Map<String, Value> = Map::new();
    let name = obj.get("name").and_then(Value::as_str);
    if name.is_none_or(|n| n.chars().count() > 20) {
        bad.insert("name".into(), json!(["name is invalid"]));
    }
    let starts_at = obj
        .get("starts_at")
        .and_then(Value::as_str)
        .and_then(date_time);
    match (starts_at, rule) {
        (None, _) => {
            bad.insert("starts_at".into(), json!(["starts_at is not a date-time"]));
        }
        (Some(_), DateRule::RefuseAll) => {
            bad.insert("starts_at".into(), json!(["starts_at is refused"]));
        }
        (Some(t), DateRule::FutureOnly) if t < OffsetDateTime::now_utc() => {
            bad.insert(
                "starts_at".into(),
                json!(["starts_at must be in the future"]),
            );
        }
        (Some(_), DateRule::FutureOnly) => {}
    }
    let count = obj.get("count");
    if count.is_some_and(|c| !count_rule.is_valid(c)) {
        bad.insert("count".into(), json!(["count is out of range"]));
    }
    if !bad.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            [("content-type", "application/json")],
            json!({"message": "invalid", "errors": bad}).to_string(),
        )
            .into_response();
    }
    let mut created = json!({
        "id": format!("evt_{}", ids.fetch_add(1, Ordering::SeqCst)),
        "name": name,
        "starts_at": obj["starts_at"],
    });
    if let Some(c) = count.and_then(Value::as_f64) {
        created["count"] = json!(c as i64);
    }
    (
        StatusCode::CREATED,
        [("content-type", "application/json")],
        created.to_string(),
    )
        .into_response()
}

/// `count` is judged by its own schema (type and bounds); everything else by hand.
fn server(rule: DateRule, count: &Value) -> (SocketAddr, tokio::runtime::Runtime) {
    let ids = Arc::new(AtomicU64::new(0));
    let count_rule = Arc::new(jsonschema::validator_for(count).unwrap());
    let events = post(move |headers: HeaderMap, body: Bytes| {
        let (ids, count_rule) = (ids.clone(), count_rule.clone());
        async move { create_event(rule, &count_rule, &ids, &headers, &body) }
    })
    .fallback(|| async {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method",
            "method not allowed",
        );
        r.headers_mut().insert("allow", "POST".parse().unwrap());
        r
    });
    crate::common::serve_app(axum::Router::new().route("/events", events))
}

fn run_against(doc: &Path, rule: DateRule, args: &[&str]) -> RunOutcome {
    let dir = tempfile::tempdir().unwrap();
    let document: Value = serde_json::from_str(&std::fs::read_to_string(doc).unwrap()).unwrap();
    let count = document
        .pointer(
            "/paths/~1events/post/requestBody/content/application~1json/schema/properties/count",
        )
        .unwrap();
    let (addr, _rt) = server(rule, count);
    let mut argv = vec!["--openapi", doc.to_str().unwrap()];
    argv.extend_from_slice(args);
    let mut p = plan(dir.path(), &argv);
    p.target = run::TargetChoice::Remote {
        base_url: format!("http://{addr}").parse().unwrap(),
    };
    p.token = provisionr_conformance::http::Secret::new(TOKEN);
    run_and_write(p).unwrap()
}

#[test]
fn a_past_date_time_refused_by_an_unstated_rule_is_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(
        dir.path(),
        json!({"type": "integer", "minimum": 0, "maximum": 1000}),
    );
    let outcome = run_against(&doc, DateRule::FutureOnly, &["--cases", "32"]);
    assert!(errors(&outcome).is_empty(), "{:#?}", errors(&outcome));
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    let past = outcome
        .results
        .iter()
        .find(|r| r.case.id == "date_time::starts_at::past")
        .expect("the past case is derived");
    assert_eq!(past.case.class(), Class::Unspecified);
    assert!(
        past.case
            .title
            .contains("(unspecified: no `fields` policy declared)"),
        "{}",
        past.case.title
    );
    assert_eq!(past.exchange.outcome.as_ref().unwrap().status, 422);
}

#[test]
fn a_server_that_refuses_every_date_time_is_still_caught() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(
        dir.path(),
        json!({"type": "integer", "minimum": 0, "maximum": 1000}),
    );
    let outcome = run_against(&doc, DateRule::RefuseAll, &["--cases", "8"]);
    assert_eq!(outcome.exit_code, 1);
    for id in [
        "media_type::charset",
        "date_time::starts_at::utc",
        "property::valid_body",
    ] {
        assert!(
            outcome
                .results
                .iter()
                .any(|r| r.case.id.starts_with(id) && r.errors().any(|e| e.check == "status")),
            "{id}: {:?}",
            verdicts(&outcome)
        );
    }
}

#[test]
fn integers_beyond_2_53_are_never_sent_as_valid() {
    let dir = tempfile::tempdir().unwrap();
    for count in [
        json!({"type": "integer"}),
        json!({"type": "integer", "maximum": 1e19}),
        json!({"type": "integer", "minimum": -1e19, "format": "int64"}),
    ] {
        let doc = document(dir.path(), count.clone());
        let outcome = run_against(&doc, DateRule::FutureOnly, &["--cases", "64"]);
        assert!(
            errors(&outcome).is_empty(),
            "{count}: {:#?}",
            errors(&outcome)
        );
        assert_eq!(outcome.exit_code, 0, "{count}: {:?}", verdicts(&outcome));
    }
}

#[test]
fn a_number_with_no_value_inside_2_53_is_named_by_list() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path(), json!({"type": "integer", "minimum": 1e17}));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args(["run", "--list", "--openapi", doc.to_str().unwrap()])
        .env("PROVISIONR_TOKEN", TOKEN)
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("\"/properties/count\" admits no number inside ±(2^53−1)"),
        "{all}"
    );
    // Its cases still run, and are unspecified rather than false alarms.
    let outcome = run_against(&doc, DateRule::FutureOnly, &["--cases", "16"]);
    assert!(errors(&outcome).is_empty(), "{:#?}", errors(&outcome));
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
}

/// A format the suite does not know is an annotation (schemas/README.md, decision 16): the
/// operation is tested, its values drawn as plain strings, and `--list` says so.
#[test]
fn an_unknown_format_is_named_by_list_and_tested_as_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(
        dir.path(),
        json!({"type": "string", "format": "currency-code"}),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args(["run", "--list", "--openapi", doc.to_str().unwrap()])
        .env("PROVISIONR_TOKEN", TOKEN)
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(
            "\"/properties/count/format\" has format \"currency-code\", which the suite does not know"
        ),
        "{all}"
    );
    let outcome = run_against(&doc, DateRule::FutureOnly, &["--cases", "16"]);
    assert!(errors(&outcome).is_empty(), "{:#?}", errors(&outcome));
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
}
