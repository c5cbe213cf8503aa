//! In-process tests of the clean contract and of every planted fault: the harness here (calls,
//! replies, the conformance check), the tests by subject in the files beside it.

use std::collections::HashSet;
use std::sync::LazyLock;

use axum::body::Body;
use axum::http::header::AUTHORIZATION;
use axum::http::{Method, Request as HttpRequest};
use http_body_util::BodyExt;
use serde_json::json;
use time::OffsetDateTime;
use tower::ServiceExt;

use super::*;
use crate::contract::datetimes::{parse_rfc3339, NEAR_MISSES};

mod faults;
mod requests;
mod variations;
mod wire;

const TOKEN: &str = "test-token-123";
const SERVICE: &str = "svc_01hq8demo";
/// A configured service whose id must be percent-encoded in the path.
const SPACED_SERVICE: &str = "svc 2";
const FAR_FUTURE: &str = "2099-01-02T03:04:05+05:30";

fn config(faults: FaultSet) -> ServerConfig {
    ServerConfig {
        token: TOKEN.to_owned(),
        services: vec![SERVICE.to_owned(), SPACED_SERVICE.to_owned()],
        faults,
        variations: Default::default(),
        reject_past_expiry: false,
    }
}

/// One request and the status the contract wants for it.
#[derive(Clone, Debug)]
struct Call {
    method: Method,
    /// The path segment as sent, already percent-encoded.
    service: String,
    auth: Option<String>,
    content_type: Option<String>,
    body: String,
    expect: u16,
}

impl Call {
    fn post(body: Value) -> Self {
        Self::raw(&body.to_string())
    }

    fn valid() -> Self {
        Self::post(
            json!({"name": "CI deploy", "description": "Vault-managed", "expires_at": FAR_FUTURE}),
        )
    }

    fn raw(body: &str) -> Self {
        Self {
            method: Method::POST,
            service: SERVICE.to_owned(),
            auth: Some(format!("Bearer {TOKEN}")),
            content_type: Some("application/json".to_owned()),
            body: body.to_owned(),
            expect: 201,
        }
    }

    fn expect(mut self, status: u16) -> Self {
        self.expect = status;
        self
    }

    fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    fn auth(mut self, auth: Option<&str>) -> Self {
        self.auth = auth.map(str::to_owned);
        self
    }

    fn content_type(mut self, content_type: Option<&str>) -> Self {
        self.content_type = content_type.map(str::to_owned);
        self
    }

    fn service(mut self, encoded: &str) -> Self {
        self.service = encoded.to_owned();
        self
    }

    fn request(&self) -> HttpRequest<Body> {
        let uri = format!(
            "{API_PREFIX}/workspace/services/{}/tokens/access",
            self.service
        );
        // Every HTTP/1.1 client sends Host (RFC 9112 3.2).
        let mut builder = HttpRequest::builder()
            .method(self.method.clone())
            .uri(uri)
            .header(HOST, "127.0.0.1:8080");
        if let Some(auth) = &self.auth {
            builder = builder.header(AUTHORIZATION, auth);
        }
        if let Some(content_type) = &self.content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder
            .body(Body::from(self.body.clone()))
            .expect("test request")
    }

    fn body_json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

async fn send_request(app: &Router, request: HttpRequest<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

async fn send(app: &Router, call: &Call) -> Reply {
    send_request(app, call.request()).await
}

static RESPONSE_SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/create-service-access-token.response.schema.json"
    )))
    .expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
});

fn header(reply: &Reply, name: axum::http::HeaderName) -> &str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn instant(value: &Value) -> Result<OffsetDateTime, String> {
    value
        .as_str()
        .and_then(parse_rfc3339)
        .ok_or_else(|| format!("not a date-time: {value}"))
}

/// The contract as the suite would check it; `Err` says what broke.
fn conforms(call: &Call, reply: &Reply, ids: &mut HashSet<String>) -> Result<(), String> {
    if reply.status.as_u16() != call.expect {
        return Err(format!("status {} != {}", reply.status, call.expect));
    }
    // In-process there is no connection to add Date; one the app sets must be an HTTP-date.
    let date = header(reply, axum::http::header::DATE);
    if !date.is_empty() && httpdate::parse_http_date(date).is_err() {
        return Err(format!("Date {date:?} is not an HTTP-date"));
    }
    if header(reply, CONTENT_TYPE) != "application/json" {
        return Err(format!("content-type {:?}", header(reply, CONTENT_TYPE)));
    }
    // A HEAD answer has no content (RFC 9110 9.3.2): axum drops the body, keeps the headers.
    if call.method == Method::HEAD {
        return match call.expect {
            405 if header(reply, ALLOW) != "POST" => Err("405 without Allow: POST".into()),
            _ => Ok(()),
        };
    }
    let body: Value = serde_json::from_slice(&reply.body).map_err(|e| format!("not JSON: {e}"))?;
    if call.expect != 201 {
        if !body["message"].is_string() {
            return Err("error body without message".into());
        }
        return match call.expect {
            401 if !header(reply, WWW_AUTHENTICATE).starts_with("Bearer") => {
                Err("401 without WWW-Authenticate: Bearer".into())
            }
            405 if header(reply, ALLOW) != "POST" => Err("405 without Allow: POST".into()),
            422 if body["errors"].as_object().is_none_or(Map::is_empty) => {
                Err("422 without errors".into())
            }
            _ => Ok(()),
        };
    }

    let problems: Vec<String> = RESPONSE_SCHEMA
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    if !problems.is_empty() {
        return Err(format!("schema: {problems:?}"));
    }
    if header(reply, LOCATION).is_empty() {
        return Err("201 without Location".into());
    }
    if body["name"] != "svc_access" {
        return Err(format!("name {}", body["name"]));
    }
    let request = call.body_json().unwrap_or_default();
    if body["description"] != request["description"] {
        return Err(format!("description {} not echoed", body["description"]));
    }
    let stamps = &body["timestamp"];
    let created = instant(&stamps["created_at"])?;
    let expires = instant(&stamps["expires_at"])?;
    let wanted = match &request["expires_at"] {
        Value::Null => created + token::DEFAULT_LIFETIME,
        requested => instant(requested)?,
    };
    if expires != wanted {
        return Err(format!("expires_at {expires} != requested {wanted}"));
    }
    let minutes = (expires - created)
        .whole_nanoseconds()
        .div_euclid(60_000_000_000);
    if stamps["expires_at_mins"].as_i64().map(i128::from) != Some(minutes) {
        return Err(format!(
            "expires_at_mins {} != {minutes}",
            stamps["expires_at_mins"]
        ));
    }
    for (key, sent) in request.as_object().into_iter().flatten() {
        let known = matches!(key.as_str(), "name" | "description" | "expires_at");
        if !known && body.get(key) == Some(sent) {
            return Err(format!("the unknown field {key} was kept: {sent}"));
        }
    }
    recent(created, reply)?;
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    let link = body["_links"]["self"].as_str().unwrap_or_default();
    let path = link.split(['?', '#']).next().unwrap_or_default();
    if !path.split('/').any(|segment| segment == id) {
        return Err(format!("_links.self {link:?} does not name id {id}"));
    }
    if !ids.insert(id.clone()) {
        return Err(format!("id {id} repeated"));
    }
    Ok(())
}

/// `created_at` within five minutes of now, or of the `Date` the app set: the `recent` rule.
fn recent(created: OffsetDateTime, reply: &Reply) -> Result<(), String> {
    let skew = time::Duration::minutes(5);
    let date = httpdate::parse_http_date(header(reply, axum::http::header::DATE)).ok();
    let near = |clock: OffsetDateTime| (created - clock).abs() <= skew;
    if near(OffsetDateTime::now_utc()) || date.map(OffsetDateTime::from).is_some_and(near) {
        return Ok(());
    }
    Err(format!(
        "created_at {created} is far from now and from Date"
    ))
}

/// Runs the calls in order against one server; the first broken expectation, if any.
async fn run(faults: FaultSet, calls: &[Call]) -> Result<(), String> {
    let app = app(config(faults));
    let mut ids = HashSet::new();
    for call in calls {
        let started = std::time::Instant::now();
        let reply = send(&app, call).await;
        // A stall is a bug even when the answer is right; the clean server answers in ms.
        if started.elapsed() > std::time::Duration::from_millis(1200) {
            return Err(format!(
                "{} {}: took {:?}",
                call.method,
                call.body,
                started.elapsed()
            ));
        }
        conforms(call, &reply, &mut ids).map_err(|e| {
            let body = String::from_utf8_lossy(&reply.body);
            format!("{} {}: {e}\n  body: {body}", call.method, call.body)
        })?;
    }
    Ok(())
}
