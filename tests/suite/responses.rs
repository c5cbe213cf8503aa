//! The documented responses of an OpenAPI operation, against a server in the test that answers
//! as it is told: the range (`2XX`) and `default` schemas, a documented error schema on a case
//! that expects that status (an error) and on one outside the contract (a warning), a response
//! without a body schema checked for its media type, and the auth scheme `none`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use provisionr_conformance::cases::{Case, Expect, Origin, RequestSpec};
use provisionr_conformance::check::{Checker, Verdict};
use provisionr_conformance::contract::{
    compile, BodyKind, Class, DocumentedResponse, Operation, Severity, StatusKey, StatusSchema,
};
use provisionr_conformance::http::{Response, Secret, Target};
use serde_json::{json, Value};

use crate::common::serve_app;

/// A documented response with these media types and, when given, this JSON schema.
fn documented(key: StatusKey, media: &[&str], schema: Option<Value>) -> DocumentedResponse {
    let path = Path::new("test.openapi.yaml#/paths/~1things/get/responses");
    DocumentedResponse {
        key,
        media_types: media.iter().map(|m| m.to_string()).collect(),
        schema: schema.map(|schema| StatusSchema {
            validator: compile(&schema, path).expect("the test's schema compiles"),
            schema,
        }),
        schema_path: Some(path.to_path_buf()),
    }
}

/// The shipped operation, turned into a bodiless `GET /things` with these responses.
fn operation(responses: Vec<DocumentedResponse>) -> Operation {
    let mut op = Operation::embedded().unwrap();
    op.endpoint.method = "GET".into();
    op.endpoint.path = "/things".into();
    op.endpoint.body_kind = BodyKind::None;
    op.endpoint.success = vec![200];
    op.endpoint.semantics.clear();
    op.responses = responses;
    op
}

fn case(op: &Operation, class: Class, statuses: &[u16], origin: Origin) -> Case {
    Case {
        id: "t".into(),
        title: "t".into(),
        kind: "example".into(),
        expect: Expect {
            class,
            label: "success".into(),
            statuses: statuses.to_vec(),
            tolerated: Vec::new(),
            tolerated_why: None,
        },
        request: RequestSpec::json(&op.endpoint, json!({})),
        offending: None,
        origin,
    }
}

/// A server that answers every request with this status, Content-Type and body.
fn answering(status: u16, content_type: &'static str, body: &'static str) -> axum::Router {
    axum::Router::new().fallback(move || async move {
        (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", content_type)],
            body,
        )
    })
}

fn target(addr: std::net::SocketAddr) -> Target {
    Target::new(
        &format!("http://{addr}"),
        BTreeMap::new(),
        Secret::new("pvt_test_token"),
        "API_TOKEN",
        Duration::from_secs(5),
        "run-test",
    )
    .unwrap()
}

/// Sends the case to `app` and returns what the server answered.
fn exchange(app: axum::Router, op: &Operation, case: &Case) -> Response {
    let (addr, rt) = serve_app(app);
    let target = target(addr);
    let prepared = target.prepare(&op.endpoint, &case.request);
    rt.block_on(target.transmit(&prepared)).expect("answered")
}

/// The verdicts on `case` when the server answers `status`, `content_type` and `body`.
fn judged(
    op: &Operation,
    case: &Case,
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> Vec<Verdict> {
    let resp = exchange(answering(status, content_type, body), op, case);
    assert_eq!(resp.status, status);
    Checker::new(op, BTreeSet::new()).check(op, case, &resp).0
}

fn checks(verdicts: &[Verdict]) -> Vec<(&str, Severity)> {
    let mut out: Vec<_> = verdicts
        .iter()
        .map(|v| (v.check.as_str(), v.severity))
        .collect();
    out.dedup();
    out
}

fn id_schema() -> Value {
    json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}})
}

const JSON: &str = "application/json";

#[test]
fn a_success_is_judged_by_the_2xx_range_schema() {
    let op = operation(vec![documented(
        StatusKey::Range(2),
        &[JSON],
        Some(id_schema()),
    )]);
    let valid = case(&op, Class::Valid, &[200], Origin::Derived);
    // The shipped response schema asks for much more than an id: only the range's is used.
    assert_eq!(judged(&op, &valid, 200, JSON, r#"{"id": "a1"}"#), []);
    let broken = judged(&op, &valid, 200, JSON, r#"{"id": 5}"#);
    assert_eq!(checks(&broken), [("response_schema", Severity::Error)]);
    assert_eq!(broken[0].location, "/id");
    // Under --skip-check it is silent.
    let resp = exchange(answering(200, JSON, r#"{"id": 5}"#), &op, &valid);
    let off = BTreeSet::from(["response_schema".to_string()]);
    assert_eq!(Checker::new(&op, off).check(&op, &valid, &resp).0, []);
}

#[test]
fn default_governs_a_status_the_document_does_not_list() {
    let op = operation(vec![
        documented(StatusKey::Code(200), &[JSON], Some(id_schema())),
        documented(
            StatusKey::Default,
            &[JSON],
            Some(json!({"type": "object", "required": ["message"]})),
        ),
    ]);
    let valid = case(&op, Class::Valid, &[200, 409], Origin::Derived);
    assert_eq!(
        judged(&op, &valid, 409, JSON, r#"{"message": "taken"}"#),
        []
    );
    let broken = judged(&op, &valid, 409, JSON, r#"{"code": 1}"#);
    assert_eq!(checks(&broken), [("error_schema", Severity::Error)]);
    assert!(broken[0].expected.contains("default"), "{:?}", broken[0]);
    // The 200 is still the code's own schema, not default's.
    assert_eq!(judged(&op, &valid, 200, JSON, r#"{"id": "x"}"#), []);
}

#[test]
fn a_documented_error_schema_is_an_error_where_expected_and_a_warning_outside_the_contract() {
    let problem = json!({
        "type": "object",
        "required": ["title", "status"],
        "properties": {"status": {"type": "integer"}}
    });
    let op = operation(vec![
        documented(StatusKey::Code(200), &[JSON], Some(id_schema())),
        documented(
            StatusKey::Range(4),
            &["application/problem+json"],
            Some(problem),
        ),
    ]);
    let good = r#"{"title": "Not allowed", "status": 405}"#;
    let bad = r#"{"error": "nope"}"#;
    let ct = "application/problem+json";
    // An operation that documents only an error status for a valid request.
    let valid = case(&op, Class::Valid, &[404], Origin::Derived);
    assert_eq!(judged(&op, &valid, 404, ct, good), []);
    let broken = judged(&op, &valid, 404, ct, bad);
    assert_eq!(checks(&broken), [("error_schema", Severity::Error)]);
    // A case file's invalid request that expects the status from the document.
    let filed = case(
        &op,
        Class::Invalid,
        &[400],
        Origin::File("cases.json".into()),
    );
    assert_eq!(
        checks(&judged(&op, &filed, 400, ct, bad)),
        [("error_schema", Severity::Error)]
    );
    // A derived invalid request is outside the contract: a framework's 400 rarely matches.
    let derived = case(&op, Class::Invalid, &[400], Origin::Derived);
    let warned = judged(&op, &derived, 400, ct, bad);
    assert_eq!(checks(&warned), [("error_schema", Severity::Warning)]);
    assert_eq!(judged(&op, &derived, 400, ct, good), []);
    // A text body is not judged by the JSON schema; its media type is not the documented one.
    assert_eq!(
        checks(&judged(&op, &derived, 400, "text/plain", "Bad Request")),
        [("content_type", Severity::Warning)]
    );
}

#[test]
fn an_error_body_under_a_media_type_the_document_does_not_list_is_a_warning() {
    let op = operation(vec![
        documented(StatusKey::Code(200), &[JSON], Some(id_schema())),
        documented(StatusKey::Code(404), &["application/problem+json"], None),
    ]);
    let valid = case(&op, Class::Valid, &[200, 404], Origin::Derived);
    let html = judged(&op, &valid, 404, "text/html", "<p>Not found</p>");
    assert_eq!(checks(&html), [("content_type", Severity::Warning)]);
    assert_eq!(
        judged(&op, &valid, 404, "application/problem+json", r#"{"a": 1}"#),
        []
    );
    // A JSON type stands for another where the document lists a JSON one.
    assert_eq!(judged(&op, &valid, 404, JSON, r#"{"a": 1}"#), []);
}

#[test]
fn a_response_without_a_body_schema_is_checked_for_its_media_type_only() {
    let op = operation(vec![documented(
        StatusKey::Code(200),
        &["text/plain"],
        None,
    )]);
    let valid = case(&op, Class::Valid, &[200], Origin::Derived);
    assert_eq!(
        judged(&op, &valid, 200, "text/plain; charset=utf-8", "ok"),
        []
    );
    let wrong = judged(&op, &valid, 200, "text/html", "<p>ok</p>");
    assert_eq!(checks(&wrong), [("content_type", Severity::Error)]);
    // A JSON answer is no text/plain.
    let json = judged(&op, &valid, 200, JSON, "{}");
    assert_eq!(checks(&json), [("content_type", Severity::Error)]);
    // A response documented without content is not checked for a body.
    let bare = operation(vec![documented(StatusKey::Code(200), &[], None)]);
    let valid = case(&bare, Class::Valid, &[200], Origin::Derived);
    assert_eq!(judged(&bare, &valid, 200, "text/html", "<p>ok</p>"), []);
    // Wildcards.
    let any = operation(vec![documented(StatusKey::Code(200), &["image/*"], None)]);
    let valid = case(&any, Class::Valid, &[200], Origin::Derived);
    assert_eq!(judged(&any, &valid, 200, "image/png", "png"), []);
    assert_eq!(
        checks(&judged(&any, &valid, 200, "text/png", "png")),
        [("content_type", Severity::Error)]
    );
}

#[test]
fn an_endpoint_file_keeps_its_checks() {
    // No documented responses: the success schema is the endpoint file's, as before.
    let op = operation(Vec::new());
    let valid = case(&op, Class::Valid, &[200], Origin::Derived);
    let verdicts = judged(&op, &valid, 200, JSON, r#"{"id": "a1"}"#);
    assert!(
        checks(&verdicts).contains(&("response_schema", Severity::Error)),
        "{verdicts:?}"
    );
    assert!(Checker::all_names(&op).contains("error_schema"));
}

/// A server that refuses a request carrying Authorization, and accepts one without.
fn refusing_authorization() -> axum::Router {
    axum::Router::new().fallback(|headers: HeaderMap| async move {
        if headers.contains_key("authorization") {
            (StatusCode::BAD_REQUEST, "Authorization was sent")
        } else {
            (StatusCode::OK, "none")
        }
    })
}

#[test]
fn auth_scheme_none_sends_no_authorization() {
    let mut op = operation(Vec::new());
    let valid = case(&op, Class::Valid, &[200], Origin::Derived);
    // With bearer, the server sees the token and says so: the server tells the two apart.
    assert_eq!(exchange(refusing_authorization(), &op, &valid).status, 400);
    op.endpoint.auth.scheme = "none".into();
    op.endpoint.auth.security = provisionr_conformance::contract::Security::default();
    assert_eq!(exchange(refusing_authorization(), &op, &valid).status, 200);
    let (addr, _rt) = serve_app(refusing_authorization());
    let sent = target(addr).prepare(&op.endpoint, &valid.request).request;
    assert!(
        sent.headers
            .iter()
            .all(|(k, _)| !k.eq_ignore_ascii_case("authorization")),
        "{:?}",
        sent.headers
    );
    assert!(sent.placeholders.is_empty());
}
