//! In-process tests of the clean contract and of every planted fault.

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
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    if !ids.insert(id.clone()) {
        return Err(format!("id {id} repeated"));
    }
    Ok(())
}

/// Runs the calls in order against one server; the first broken expectation, if any.
async fn run(faults: FaultSet, calls: &[Call]) -> Result<(), String> {
    let app = app(config(faults));
    let mut ids = HashSet::new();
    for call in calls {
        let reply = send(&app, call).await;
        conforms(call, &reply, &mut ids).map_err(|e| {
            let body = String::from_utf8_lossy(&reply.body);
            format!("{} {}: {e}\n  body: {body}", call.method, call.body)
        })?;
    }
    Ok(())
}

/// For each fault, requests on which the clean server honours the contract and the faulty one
/// does not. The exhaustive match makes a new fault without a probe a compile error.
fn probe(fault: Fault) -> Vec<Call> {
    let with = |extra: Value| {
        let mut body = json!({"name": "n", "description": "d"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                body.insert(k.clone(), v.clone());
            }
        }
        Call::post(body)
    };
    let name_of = |name: String| Call::post(json!({"name": name, "description": "d"}));
    use Fault::*;
    match fault {
        MissingId | MissingAbilities | MissingTimestamp | MissingEmbedded | MissingRequestedAt
        | IdAsNumber | AbilitiesAsString | MinsAsString | RenamedDescription
        | CamelCaseTimestamps | EnumWrongValue | EnumUppercase | TimestampNoOffset
        | TimestampSpace | TimestampEpoch | ContentTypeText | WrongKind | IgnoresExpiry
        | ExpiryLocalTime | ExpiryDrops45s | MinsInSeconds | MinsInHours => vec![Call::valid()],
        JsonConcat => vec![with(json!({"description": "say \"hi\" \\ bye"}))],
        NoMaxLength | CrashOnLongName | OkForErrors | ServerErrorForValidation => {
            vec![name_of("a".repeat(56)).expect(422)]
        }
        NoRequiredDescription => vec![Call::post(json!({"name": "n"})).expect(422)],
        NoRequiredName => vec![Call::post(json!({"description": "d"})).expect(422)],
        CoerceTypes | CrashOnWrongType => {
            vec![Call::post(json!({"name": 42, "description": "d"})).expect(422)]
        }
        NaiveDateTime => vec![with(json!({"expires_at": "2099-01-02T03:04:05"})).expect(422)],
        RegexDateTime => vec![with(json!({"expires_at": "2099-02-30T00:00:00Z"})).expect(422)],
        NullNameAccepted => {
            vec![Call::post(json!({"name": null, "description": "d"})).expect(422)]
        }
        IgnoreContentType => vec![Call::valid().content_type(Some("text/plain")).expect(415)],
        MaxLengthOffByOne => vec![name_of("a".repeat(55))],
        CountsBytes => vec![name_of("é".repeat(55))],
        CountsUtf16 => vec![name_of("😀".repeat(55))],
        RejectsNullExpiry | CrashOnNull => vec![with(json!({"expires_at": null}))],
        RequiresExpiresAt => vec![with(json!({}))],
        RejectsFractionalSeconds => {
            vec![with(json!({"expires_at": "2099-01-02T03:04:05.123456Z"}))]
        }
        OnlyUtc => vec![with(json!({"expires_at": FAR_FUTURE}))],
        RejectsEmptyStrings => vec![Call::post(json!({"name": "", "description": ""}))],
        RejectsUnknownFields => vec![with(json!({"scope": "all"}))],
        CrashOnAstral => vec![with(json!({"description": "rocket 🚀"}))],
        CrashOnMalformed => vec![
            Call::raw("{\"name\":").expect(400),
            Call::raw("").expect(400),
        ],
        CrashOnNonObject => vec![Call::raw("[]").expect(422)],
        Intermittent500 | SameId => vec![Call::valid(); 10],
        ForbiddenForBadToken | AnyToken => {
            vec![Call::valid().auth(Some("Bearer wrong")).expect(401)]
        }
        NotFoundForMethod => vec![Call::valid().method(Method::GET).expect(405)],
        NoAuth => vec![Call::valid().auth(None).expect(401)],
        UnknownServiceAccepted => vec![Call::valid().service("svc_nope").expect(404)],
        CrashOnEncodedService => vec![Call::valid().service("svc%20nope").expect(404)],
        TruncatesDescription => vec![with(json!({"description": "x".repeat(60)}))],
        UnnamedValidationErrors => vec![name_of("a".repeat(56)).expect(422)],
        NoAllowHeader => vec![Call::valid().method(Method::GET).expect(405)],
        MediaTypeParamsRefused => {
            vec![Call::valid().content_type(Some("application/json; charset=utf-8"))]
        }
        MediaTypeCaseSensitive => vec![Call::valid().content_type(Some("APPLICATION/JSON"))],
        RegexParsedJson => vec![Call::raw("{\"name\" : \"n\", \"description\" : \"d\"}")],
        CrashOnDeepNesting => vec![Call::raw(&format!(
            "{{\"name\":\"n\",\"description\":\"d\",\"x\":{}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        ))
        .expect(400)],
        CrashOnLoneSurrogate | CrashOnLoneSurrogateCloses => {
            vec![Call::raw("{\"name\":\"\\ud800\",\"description\":\"d\"}").expect(400)]
        }
        BearerCaseSensitive => vec![Call::valid().auth(Some(&format!("bearer {TOKEN}")))],
        NoWwwAuthenticate | BasicChallenge => vec![Call::valid().auth(None).expect(401)],
        DateHeaderEpoch => vec![Call::valid()],
        CrashOnUnknownMethod => vec![Call::valid()
            .method(Method::from_bytes(b"FOO").expect("a method"))
            .expect(405)],
        CrashOnLeapSecond => vec![with(json!({"expires_at": "2099-12-31T23:59:60Z"}))],
        CrashOnUtcOverflow => {
            vec![with(json!({"expires_at": "9999-12-31T23:59:59-01:00"}))]
        }
        EpochStringDateTime => vec![with(json!({"expires_at": "4102444800"})).expect(422)],
        EpochNumberDateTime => vec![with(json!({"expires_at": 4_102_444_800u64})).expect(422)],
    }
}

#[tokio::test]
async fn every_fault_is_caught_by_its_probe() {
    assert!(Fault::ALL.len() >= 40);
    for &fault in Fault::ALL {
        let calls = probe(fault);
        if let Err(e) = run(FaultSet::none(), &calls).await {
            panic!("clean server fails the probe for {fault}: {e}");
        }
        assert!(
            run(FaultSet::with([fault]), &calls).await.is_err(),
            "{fault} slipped through its probe"
        );
    }
}

#[tokio::test]
async fn clean_statuses() {
    let wrong_auth = [
        "Bearer wrong",
        "Basic dGVzdDp0ZXN0",
        "Bearer ",
        "Bearer",
        "Token x",
    ];
    let mut calls = vec![
        Call::valid(),
        Call::valid().content_type(Some("application/json; charset=utf-8")),
        Call::valid().content_type(Some("application/vnd.provisionr+json")),
        Call::valid().auth(Some(format!("bearer {TOKEN}").as_str())),
        Call::valid().service("svc%202"),
        Call::valid().auth(None).expect(401),
        Call::valid().service("svc_nope").expect(404),
        Call::valid().service("%FF").expect(404),
        Call::valid().content_type(None).expect(415),
        Call::valid().content_type(Some("text/plain")).expect(415),
        Call::valid()
            .content_type(Some("application/x-www-form-urlencoded"))
            .expect(415),
        Call::valid()
            .content_type(Some("application/+json"))
            .expect(415),
        Call::raw("").expect(400),
        Call::raw("{\"name\": \"n\",").expect(400),
        Call::raw("{} trailing").expect(400),
        Call::raw("\u{FEFF}{}").expect(400),
        Call::raw("{}").expect(422),
        Call::raw("null").expect(422),
        Call::raw("\"text\"").expect(422),
        Call::raw("7").expect(422),
        Call::post(json!({"name": "n", "description": 1})).expect(422),
        Call::post(json!({"name": "n", "description": "d", "expires_at": 5})).expect(422),
    ];
    calls.extend(wrong_auth.map(|auth| Call::valid().auth(Some(auth)).expect(401)));
    for method in [
        Method::GET,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ] {
        calls.push(Call::valid().method(method).expect(405));
    }
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn checks_run_in_the_documented_order() {
    let calls = [
        // Method before auth.
        Call::valid().method(Method::GET).auth(None).expect(405),
        // Auth before service.
        Call::valid().service("svc_nope").auth(None).expect(401),
        // Service before media type.
        Call::valid()
            .service("svc_nope")
            .content_type(None)
            .expect(404),
        // Media type before JSON.
        Call::raw("{").content_type(Some("text/plain")).expect(415),
        // JSON before validation.
        Call::raw("[").expect(400),
    ];
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn unknown_paths_are_json_404() {
    let app = app(config(FaultSet::none()));
    for uri in [
        "/",
        "/api/v1",
        "/api/v1/workspace/services/x/tokens",
        "/api/v2/x",
    ] {
        let request = HttpRequest::builder()
            .uri(uri)
            .body(Body::empty())
            .expect("request");
        let reply = send_request(&app, request).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(reply.json()["message"].is_string());
    }
}

#[tokio::test]
async fn validation_errors_name_every_offending_field() {
    let app = app(config(FaultSet::none()));
    let call = Call::post(json!({"name": "x".repeat(56), "expires_at": "tomorrow"})).expect(422);
    let body = send(&app, &call).await.json();
    assert_eq!(body["message"], "The given data was invalid.");
    let errors = body["errors"].as_object().expect("errors");
    for field in ["name", "description", "expires_at"] {
        assert!(
            errors[field].as_array().is_some_and(|m| !m.is_empty()),
            "{field}"
        );
    }
    let body = send(&app, &Call::raw("[1]").expect(422)).await.json();
    assert!(body["errors"]["body"].is_array());
}

#[tokio::test]
async fn name_limit_is_55_code_points() {
    let call =
        |name: String, expect| Call::post(json!({"name": name, "description": ""})).expect(expect);
    let calls = [
        call("😀".repeat(55), 201),
        call("😀".repeat(56), 422),
        call("a".repeat(55), 201),
        call("a".repeat(56), 422),
        call(String::new(), 201),
    ];
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn expires_at_accepts_exactly_rfc3339_date_times() {
    let valid = [
        "2099-01-02T03:04:05Z",
        "2099-01-02T03:04:05+05:30",
        "2099-01-02T03:04:05.123456Z",
        "2099-01-02T03:04:05.123456789-07:00",
        "2000-01-01T00:00:00Z",
    ];
    let call = |at: &str, expect| {
        Call::post(json!({"name": "n", "description": "d", "expires_at": at})).expect(expect)
    };
    let mut calls: Vec<Call> = valid.iter().map(|at| call(at, 201)).collect();
    calls.extend(NEAR_MISSES.iter().map(|m| call(m.text, 422)));
    calls.push(Call::post(
        json!({"name": "n", "description": "d", "expires_at": null}),
    ));
    calls.push(Call::post(json!({"name": "n", "description": "d"})));
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn expires_at_mins_matches_the_timestamps() {
    let app = app(config(FaultSet::none()));
    let default = send(&app, &Call::post(json!({"name": "n", "description": "d"}))).await;
    let stamps = &default.json()["timestamp"];
    assert_eq!(stamps["expires_at_mins"], 43_200);
    assert_eq!(stamps["created_at"], stamps["requested_at"]);
    assert!(stamps["last_used_at"].is_null());
    let created = instant(&stamps["created_at"]).expect("created_at");
    assert_eq!(
        instant(&stamps["expires_at"]).expect("expires_at"),
        created + token::DEFAULT_LIFETIME
    );

    // An expiry in the past is accepted and floors to a negative count.
    let past =
        Call::post(json!({"name": "n", "description": "d", "expires_at": "2000-01-01T00:00:30Z"}));
    let body = send(&app, &past).await.json();
    let created = instant(&body["timestamp"]["created_at"]).expect("created_at");
    let expected = (parse_rfc3339("2000-01-01T00:00:30Z").expect("valid") - created)
        .whole_nanoseconds()
        .div_euclid(60_000_000_000);
    assert_eq!(
        body["timestamp"]["expires_at_mins"]
            .as_i64()
            .map(i128::from),
        Some(expected)
    );
    assert!(expected < 0);
}

#[tokio::test]
async fn success_body_matches_the_schema_and_links_to_the_token() {
    let app = app(config(FaultSet::none()));
    let (mut parts, body) = Call::valid().request().into_parts();
    parts
        .headers
        .insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
    let reply = send_request(&app, HttpRequest::from_parts(parts, body)).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let body = reply.json();
    assert!(RESPONSE_SCHEMA.is_valid(&body), "{body}");
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("wstok_"));
    assert_eq!(body["_embedded"], json!([]));
    let link = format!("http://127.0.0.1:8080{API_PREFIX}/workspace/tokens/{id}");
    assert_eq!(body["_links"]["self"], link.as_str());
    assert_eq!(header(&reply, LOCATION), link);
    assert_eq!(
        body["timestamp"]["expires_at"],
        "2099-01-01T21:34:05.000000Z"
    );
}

#[tokio::test]
async fn hostile_input_never_crashes() {
    let app = app(config(FaultSet::none()));
    let deep = "[".repeat(10_000);
    let huge = format!(
        "{{\"name\":\"n\",\"description\":\"{}\"}}",
        "x".repeat(3 << 20)
    );
    let cases = [
        (Call::raw(&deep), 400),
        (Call::raw(&huge), 413),
        (
            Call::raw("{\"name\":\"\\ud800\",\"description\":\"d\"}"),
            400,
        ),
        (
            Call::post(
                json!({"name": "n", "description": "d", "expires_at": "２099-01-02T03:04:05Z"}),
            ),
            422,
        ),
        (
            Call::post(
                json!({"name": "n", "description": "d", "expires_at": "9999-12-31T23:59:59-23:59"}),
            ),
            201,
        ),
        (
            Call::post(
                json!({"name": "n", "description": "d", "expires_at": "0000-01-01T00:00:00+23:59"}),
            ),
            201,
        ),
        (
            Call::post(json!({"name": {"a": 1}, "description": ["d"], "expires_at": {}})),
            422,
        ),
        (Call::valid().service("%2F%2e%2e"), 404),
    ];
    for (call, status) in cases {
        let reply = send(&app, &call).await;
        let start: String = call.body.chars().take(80).collect();
        assert_eq!(reply.status.as_u16(), status, "{start}");
        assert!(reply.json()["message"].is_string() || status == 201);
    }
}

#[tokio::test]
async fn faults_never_panic_on_odd_input() {
    let odd = [
        Call::raw(""),
        Call::raw("[]"),
        Call::raw("{\"name\": null, \"description\": null, \"expires_at\": null}"),
        Call::post(
            json!({"name": "😀".repeat(60), "description": "\"\\\u{1}", "expires_at": "2099-99-99T99:99:99.999999999999+99:99"}),
        ),
        Call::post(
            json!({"name": 1.5, "description": {"x": [1]}, "expires_at": "0000-00-00T00:00:00-99:99"}),
        ),
        Call::valid().service("%FF"),
        Call::valid().auth(Some("Bearer wrong")),
        Call::valid().method(Method::DELETE),
    ];
    let everything = FaultSet::with(Fault::ALL.iter().copied());
    for faults in Fault::ALL
        .iter()
        .map(|&f| FaultSet::with([f]))
        .chain([everything])
    {
        let app = app(config(faults));
        for call in &odd {
            let _ = send(&app, call).await;
        }
    }
}

/// A minimal HTTP/1.1 exchange, enough to prove the spawned server answers on the socket
/// (blocking std I/O: the crate's tokio has no `io-util`).
async fn raw_exchange(addr: SocketAddr, request: String) -> std::io::Result<String> {
    use std::io::{Read, Write};
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        Ok(String::from_utf8_lossy(&response).into_owned())
    })
    .await
    .map_err(std::io::Error::other)?
}

#[tokio::test]
async fn spawned_server_counts_hits_and_shuts_down() {
    let server = spawn(([127, 0, 0, 1], 0).into(), config(FaultSet::none()))
        .await
        .expect("bind");
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(server.base_url(), format!("http://{addr}/api/v1"));
    assert_eq!(server.hits(), 0);

    let body = r#"{"name":"n","description":"d"}"#;
    let create = format!(
        "POST /api/v1/workspace/services/{SERVICE}/tokens/access HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = raw_exchange(addr, create).await.expect("exchange");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains(&format!("http://{addr}/api/v1/workspace/tokens/wstok_")));

    let stray = format!("GET /nowhere HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let response = raw_exchange(addr, stray).await.expect("exchange");
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert_eq!(server.hits(), 2);

    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// `timestamp.<key>` of a success body, as text.
fn stamp(r: &Reply, key: &str) -> Option<String> {
    r.json()["timestamp"][key].as_str().map(str::to_owned)
}

/// The number of fraction digits of a UTC date-time, if it has a fraction.
fn fraction(text: Option<String>) -> Option<usize> {
    text.and_then(|t| {
        t.split_once('.')
            .map(|(_, f)| f.trim_end_matches('Z').len())
    })
}

/// For each variation, a request and what shows the variation took effect: true on the varied
/// server's reply, false on the reference one's. The exhaustive match makes a new variation
/// without a probe a compile error.
fn variation_probe(variation: Variation) -> (Call, fn(&Reply) -> bool) {
    let fine = Call::post(json!({
        "name": "n",
        "description": "d",
        "expires_at": "2100-01-01T00:00:00.123456789Z",
    }));
    let expiry = |expires_at: &str| {
        Call::post(json!({"name": "n", "description": "d", "expires_at": expires_at}))
    };
    let too_long = Call::post(json!({"name": "a".repeat(56), "description": "d"})).expect(422);
    use Variation::*;
    match variation {
        PrecisionMicroseconds => (fine, |r| {
            stamp(r, "expires_at").as_deref() == Some("2100-01-01T00:00:00.123456Z")
        }),
        PrecisionMilliseconds => (fine, |r| {
            stamp(r, "expires_at").as_deref() == Some("2100-01-01T00:00:00.123Z")
                && fraction(stamp(r, "created_at")) == Some(3)
        }),
        PrecisionSeconds => (fine, |r| {
            stamp(r, "expires_at").as_deref() == Some("2100-01-01T00:00:00Z")
                && fraction(stamp(r, "created_at")).is_none()
                && fraction(stamp(r, "requested_at")).is_none()
        }),
        NotFoundForOtherMethods => (Call::valid().method(Method::GET).expect(405), |r| {
            r.status == StatusCode::NOT_FOUND
        }),
        LenientDateTime => (expiry("2099-01-02 03:04:05,5+0100").expect(422), |r| {
            r.status == StatusCode::CREATED
                && stamp(r, "expires_at").as_deref() == Some("2099-01-02T02:04:05.500000Z")
        }),
        OkForCreate => (Call::valid(), |r| r.status == StatusCode::OK),
        LastUsedAtCreated => (Call::valid(), |r| {
            stamp(r, "last_used_at").is_some() && stamp(r, "last_used_at") == stamp(r, "created_at")
        }),
        ExtraFields => (Call::valid(), |r| {
            let body = r.json();
            body["workspace_id"].is_string() && body["scopes"].is_array()
        }),
        ProblemJson => (too_long, |r| {
            let body = r.json();
            header(r, CONTENT_TYPE) == "application/problem+json"
                && body["status"] == 422
                && body["invalid-params"][0]["name"] == "name"
        }),
        NestedErrorObject => (too_long, |r| {
            r.json()["error"]["fields"][0]["field"] == "name"
        }),
        CharsetParameter => (Call::valid(), |r| {
            header(r, CONTENT_TYPE) == "application/json; charset=utf-8"
        }),
        PrettyJson => (Call::valid(), |r| {
            let text = String::from_utf8_lossy(&r.body);
            text.starts_with("{\n  \"_links\"") && r.json()["id"].is_string()
        }),
        NumericUtcOffset => (Call::valid(), |r| {
            stamp(r, "created_at").is_some_and(|s| s.ends_with("+00:00"))
                && stamp(r, "expires_at").is_some_and(|s| s.ends_with("+00:00"))
        }),
        PrecisionNanoseconds => (Call::valid(), |r| {
            fraction(stamp(r, "created_at")) == Some(9)
                && fraction(stamp(r, "expires_at")) == Some(9)
        }),
        LowercaseTZ => (Call::valid(), |r| {
            stamp(r, "created_at").is_some_and(|s| s.contains('t') && s.ends_with('z'))
        }),
        RelativeLinks => (Call::valid(), |r| {
            header(r, LOCATION).starts_with("/api/v1/workspace/tokens/")
                && r.json()["_links"]["self"] == header(r, LOCATION)
        }),
        BadRequestForValidation => (too_long, |r| r.status == StatusCode::BAD_REQUEST),
        PlainTextErrors => (too_long, |r| {
            header(r, CONTENT_TYPE).starts_with("text/plain")
                && String::from_utf8_lossy(&r.body).contains("The name field")
        }),
        OptionsAnsweredByFramework => (Call::valid().method(Method::OPTIONS).expect(405), |r| {
            r.status == StatusCode::OK
                && header(r, ALLOW) == "POST"
                && header(r, CONTENT_TYPE).starts_with("text/plain")
                && &r.body[..] == b"POST"
        }),
        OptionsNoContent => (Call::valid().method(Method::OPTIONS).expect(405), |r| {
            r.status == StatusCode::NO_CONTENT
                && header(r, ALLOW).contains("POST")
                && r.body.is_empty()
        }),
        HeadAnswered => (Call::valid().method(Method::HEAD).expect(405), |r| {
            r.status == StatusCode::OK && r.body.is_empty()
        }),
        NotImplementedForUnknownMethod => {
            let foo = Method::from_bytes(b"FOO").expect("a method token");
            (Call::valid().method(foo).expect(405), |r| {
                r.status == StatusCode::NOT_IMPLEMENTED
            })
        }
        ChallengeWithRealm => (Call::valid().auth(Some("Bearer wrong")).expect(401), |r| {
            let challenge = header(r, WWW_AUTHENTICATE);
            challenge.starts_with("Bearer realm=\"api\", error=\"invalid_token\"")
                && challenge.contains("error_description=")
        }),
        PrototypeKeysRefused => (
            Call::post(json!({"name": "n", "description": "d", "x": [{"constructor": {}}]})),
            |r| r.status == StatusCode::BAD_REQUEST,
        ),
        NulRefused => (
            Call::post(json!({"name": "a\u{0}b", "description": "d"})),
            |r| r.status == StatusCode::BAD_REQUEST && r.json()["errors"]["name"].is_array(),
        ),
        EncodedSlashRefused => (Call::valid().service("a%2Fb").expect(404), |r| {
            r.status == StatusCode::BAD_REQUEST
        }),
        ExpiryCappedAtAYear => (Call::valid(), |r| {
            r.status == StatusCode::UNPROCESSABLE_ENTITY
                && r.json()["errors"]["expires_at"].is_array()
        }),
        ChallengePerLine => (Call::valid().auth(None).expect(401), |r| {
            let lines: Vec<_> = r.headers.get_all(WWW_AUTHENTICATE).iter().collect();
            lines.len() == 2 && lines[0] == "Basic realm=\"api\""
        }),
        // Below the router: each is proven on the wire in tests/suite/transport.rs.
        ClosesAfterError | ConnectionClose | Chunked | ParserRejectsUnknownMethod => {
            (Call::valid(), |_| false)
        }
    }
}

/// The variations that act on the connection, which a request to the router cannot show.
const ON_THE_WIRE: &[Variation] = &[
    Variation::ClosesAfterError,
    Variation::ConnectionClose,
    Variation::Chunked,
    Variation::ParserRejectsUnknownMethod,
];

fn varied(variation: Variation) -> Router {
    app(ServerConfig {
        variations: VariationSet::with([variation]),
        ..config(FaultSet::none())
    })
}

#[tokio::test]
async fn every_variation_takes_effect_and_only_where_it_says() {
    let clean = app(config(FaultSet::none()));
    for &variation in Variation::ALL.iter().filter(|v| !ON_THE_WIRE.contains(v)) {
        let (call, shows) = variation_probe(variation);
        let reference = send(&clean, &call).await;
        let mut ids = HashSet::new();
        if let Err(e) = conforms(&call, &reference, &mut ids) {
            panic!("the reference server fails the probe for {variation}: {e}");
        }
        assert!(
            !shows(&reference),
            "{variation}: the reference server shows it too"
        );
        let reply = send(&varied(variation), &call).await;
        let body = String::from_utf8_lossy(&reply.body);
        assert!(
            shows(&reply),
            "{variation} did not take effect: {} {body}",
            reply.status
        );
        // A 2xx to HEAD or OPTIONS is no token creation, and carries no token.
        if reply.status.is_success() && call.method == Method::POST {
            let body: Value = serde_json::from_slice(&reply.body).expect("JSON");
            assert!(RESPONSE_SCHEMA.is_valid(&body), "{variation}: {body}");
        }
    }
}

#[tokio::test]
async fn a_coarser_store_keeps_the_minutes_consistent() {
    for variation in [
        Variation::PrecisionMicroseconds,
        Variation::PrecisionMilliseconds,
        Variation::PrecisionSeconds,
    ] {
        let app = varied(variation);
        for expires_at in [json!(null), json!("2099-06-15T08:30:00.987654321+02:00")] {
            let call =
                Call::post(json!({"name": "n", "description": "d", "expires_at": expires_at}));
            let stamps = send(&app, &call).await.json()["timestamp"].clone();
            let created = instant(&stamps["created_at"]).unwrap();
            let expires = instant(&stamps["expires_at"]).unwrap();
            let minutes = (expires - created)
                .whole_nanoseconds()
                .div_euclid(60_000_000_000);
            assert_eq!(
                stamps["expires_at_mins"].as_i64().map(i128::from),
                Some(minutes),
                "{variation}: {stamps}"
            );
        }
    }
}
