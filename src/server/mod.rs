//! The embedded reference server: the contract implemented faithfully, plus switchable faults
//! and legitimate variations.
//!
//! It is both the default target of a run and the subject of the self-test, which plants one
//! [`Fault`] at a time and expects the suite to notice, and switches on one [`Variation`] at a
//! time and expects the suite to raise no error.

mod clock;
mod conn;
mod faults;
mod standards;
mod token;
mod validate;
mod variations;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, Request, State};
use axum::http::header::{ALLOW, CONTENT_TYPE, HOST, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post, MethodRouter};
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultSet, UnknownFault, UnknownName};
pub use variations::{Variation, VariationSet};

use standards::{Presented, RawBody};
use token::{IdSource, Token};
use validate::{Rejection, TokenRequest};

pub const API_PREFIX: &str = "/api/v1";
const CREATE_ROUTE: &str = "/workspace/services/{service}/tokens/access";

/// How the reference server behaves beyond the contract: planted faults, legitimate variations,
/// and the choices the page leaves open. A run plan carries it whole, without looking inside.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub faults: FaultSet,
    /// Ways to differ from the reference behaviour that a correct server may take.
    pub variations: VariationSet,
    /// Refuse an `expires_at` in the past with 422: a choice the page leaves open, not a fault.
    pub reject_past_expiry: bool,
}

impl ServerConfig {
    /// The server a run starts: the token it accepts, the path values it knows, its options.
    pub fn new(token: String, known: Vec<String>, options: Options) -> Self {
        ServerConfig {
            token,
            services: known,
            faults: options.faults,
            variations: options.variations,
            reject_past_expiry: options.reject_past_expiry,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The one Bearer token the server accepts.
    pub token: String,
    /// The service ids that exist.
    pub services: Vec<String>,
    pub faults: FaultSet,
    /// Ways to differ from the reference behaviour that a correct server may take.
    pub variations: VariationSet,
    /// Refuse an `expires_at` in the past with 422: a choice the page leaves open, not a fault.
    pub reject_past_expiry: bool,
}

struct AppState {
    config: ServerConfig,
    ids: IdSource,
    tokens: Mutex<HashMap<String, Token>>,
    /// Requests that got past validation; `intermittent-500` keys off it.
    passed: AtomicU64,
}

/// The API, routed under [`API_PREFIX`], with its own in-memory token store.
pub fn app(config: ServerConfig) -> Router {
    let state = Arc::new(AppState {
        config,
        ids: IdSource::new(),
        tokens: Mutex::new(HashMap::new()),
        passed: AtomicU64::new(0),
    });
    let route = if state.config.faults.has(Fault::NoAllowHeader) {
        // The bug: one handler takes every method and refuses the others itself, so nothing
        // adds `Allow`.
        any(create_or_refuse)
    } else {
        // Without our own fallback axum answers other methods with an empty 405 body.
        framework_answers(
            post(create_token).fallback(method_not_allowed),
            &state.config,
        )
    };
    let epoch_dates = state.config.faults.has(Fault::DateHeaderEpoch);
    let config_variations = state.config.variations.clone();
    let refuse_encoded_slash = state.config.varies(Variation::EncodedSlashRefused);
    let router = Router::new()
        .nest(API_PREFIX, Router::new().route(CREATE_ROUTE, route))
        .fallback(not_found)
        .with_state(state);
    let router = if refuse_encoded_slash {
        router.layer(middleware::from_fn(encoded_slash_guard))
    } else {
        router
    };
    let variations = config_variations;
    if epoch_dates {
        router.layer(middleware::map_response(epoch_date))
    } else if clock::writes_date(&variations) {
        router.layer(middleware::map_response(move |r| {
            let variations = variations.clone();
            async move { clock::date(&variations, r) }
        }))
    } else {
        router
    }
}

/// The `encoded-slash-refused` variation: Tomcat's answer to `%2F` or `%25` in a path, given
/// before any route is matched.
async fn encoded_slash_guard(request: Request, next: middleware::Next) -> Response {
    let path = request.uri().path().to_ascii_lowercase();
    if path.contains("%2f") || path.contains("%25") {
        let page = "<!doctype html><html><body><h1>HTTP Status 400 - Bad Request</h1>\
                    <p>Invalid URI: The encoded slash character is not allowed</p></body></html>";
        let html = HeaderValue::from_static("text/html;charset=utf-8");
        return (StatusCode::BAD_REQUEST, [(CONTENT_TYPE, html)], page).into_response();
    }
    next.run(request).await
}

/// The `date-header-epoch` bug: the Date header set by hand from the clock's Unix seconds.
async fn epoch_date(mut response: Response) -> Response {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(axum::http::header::DATE, v);
    }
    response
}

async fn create_or_refuse(
    method: axum::http::Method,
    state: State<Arc<AppState>>,
    service: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if method == axum::http::Method::POST {
        return create_token(state, service, headers, body).await;
    }
    let mut response = method_not_allowed(method, state).await;
    response.headers_mut().remove(ALLOW);
    response
}

impl ServerConfig {
    fn varies(&self, v: Variation) -> bool {
        self.variations.has(v)
    }
}

async fn create_token(
    State(state): State<Arc<AppState>>,
    service: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let config = &state.config;
    let faults = &config.faults;

    if let Some(refused) = refusal(&headers, config) {
        return refused;
    }

    // A service id that is not valid UTF-8 once decoded cannot name a configured service.
    let service = service.ok().map(|Path(service)| service);
    if faults.has(Fault::CrashOnEncodedService) && service.as_deref().is_none_or(needed_encoding) {
        return server_error(config);
    }
    let known = service
        .as_ref()
        .is_some_and(|s| config.services.contains(s));
    if !known && !faults.has(Fault::UnknownServiceAccepted) {
        return error(
            config,
            StatusCode::NOT_FOUND,
            "The requested service was not found.",
        );
    }

    if !standards::is_json_media_type(&headers, faults) && !faults.has(Fault::IgnoreContentType) {
        return error(
            config,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The request body must be sent as application/json.",
        );
    }

    let body = match body {
        Ok(body) => body,
        Err(rejection) => return error(config, rejection.status(), &rejection.body_text()),
    };
    let scraped = match standards::raw_body(&body, faults) {
        RawBody::Crash => return server_error(config),
        RawBody::Scraped(v) => Some(v),
        RawBody::Parse => None,
    };
    // Parsed by hand: axum's `Json` extractor answers with its own texts and statuses.
    let body: Value = match scraped.map_or_else(|| serde_json::from_slice(&body), Ok) {
        Ok(body) => body,
        Err(_) if faults.has(Fault::CrashOnMalformed) => return server_error(config),
        Err(e) => {
            return error(
                config,
                StatusCode::BAD_REQUEST,
                &format!("The request body is not valid JSON: {e}."),
            )
        }
    };

    if config.varies(Variation::PrototypeKeysRefused) && validate::has_prototype_key(&body) {
        return error(
            config,
            StatusCode::BAD_REQUEST,
            "Object contains forbidden prototype property",
        );
    }
    if config.varies(Variation::NulRefused) {
        if let Some(field) = validate::field_with_nul(&body) {
            let mut errors = Map::new();
            errors.insert(field.clone(), json!(["Null characters are not allowed."]));
            return error_with(
                config,
                StatusCode::BAD_REQUEST,
                "Invalid input.",
                Some(errors),
            );
        }
    }
    let lenient_dates = config.varies(Variation::LenientDateTime);
    let request = match validate::validate(&body, faults, lenient_dates) {
        Ok(request) => request,
        Err(Rejection::Crash) => return server_error(config),
        Err(Rejection::Invalid(errors)) => return validation_failed(config, errors),
    };
    let a_year_ahead = token::now() + time::Duration::days(365);
    if config.varies(Variation::ExpiryCappedAtAYear)
        && request.expires_at.is_some_and(|at| at > a_year_ahead)
    {
        let mut errors = Map::new();
        errors.insert(
            "expires_at".into(),
            json!(["The expires_at field must be a date within a year."]),
        );
        return validation_failed(config, errors);
    }
    if config.reject_past_expiry && request.expires_at.is_some_and(|at| at < token::now()) {
        let mut errors = Map::new();
        errors.insert(
            "expires_at".into(),
            json!(["The expires_at field must be a date in the future."]),
        );
        return validation_failed(config, errors);
    }

    if faults.has(Fault::StallsOnRepeatedCharacters) && validate::stalls(&request) {
        // Not blocking: the other requests are answered meanwhile, as on a real server.
        tokio::time::sleep(validate::STALL).await;
    }
    let passed = state.passed.fetch_add(1, Ordering::Relaxed) + 1;
    if faults.has(Fault::Intermittent500) && passed % 10 == 0 {
        return server_error(config);
    }

    let token = state.issue(service.unwrap_or_default(), request);
    created(config, &token, &headers)
}

impl AppState {
    fn issue(&self, service: String, request: TokenRequest) -> Token {
        let faults = &self.config.faults;
        // What the store keeps: a column of coarser precision cuts every instant written to it.
        let precision = token::Precision::of(&self.config.variations);
        let created_at = clock::now(&self.config.variations);
        // The bug of writing the wall clock of a server in UTC+3 and labelling it `Z`.
        let created_at = if faults.has(Fault::CreatedAtHoursOff) {
            created_at + time::Duration::hours(3)
        } else {
            created_at
        };
        let created_at = precision.cut(created_at);
        let requested = request
            .expires_at
            .filter(|_| !faults.has(Fault::IgnoresExpiry));
        let expires_at = match requested {
            // The bug of formatting the local reading and appending `Z`.
            Some(at) if faults.has(Fault::ExpiryLocalTime) => {
                at.replace_offset(time::UtcOffset::UTC)
            }
            Some(at) if faults.has(Fault::ExpiryDrops45s) => at - time::Duration::seconds(45),
            // A signed 32-bit count of seconds: past 2038 it wraps.
            Some(at) if faults.has(Fault::Y2038Wraps) => {
                let wrapped = i64::from(at.unix_timestamp() as i32);
                time::OffsetDateTime::from_unix_timestamp(wrapped)
                    .and_then(|t| t.replace_nanosecond(at.nanosecond()))
                    .unwrap_or(at)
            }
            Some(at) => at,
            None => created_at + token::DEFAULT_LIFETIME,
        };
        let expires_at = precision.cut(expires_at);
        let description = if faults.has(Fault::TruncatesDescription) {
            request.description.chars().take(50).collect()
        } else {
            request.description
        };
        let (serial, id) = self.ids.next(faults);
        // A body spread over the record's defaults: the client picks the id.
        let id = request.assigned_id.unwrap_or(id);
        let token = Token {
            id,
            serial,
            service,
            display_name: request.name,
            description,
            created_at,
            expires_at,
        };
        self.tokens
            .lock()
            // A poisoned map still holds valid tokens; losing the server over it helps no one.
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.id.clone(), token.clone());
        token
    }
}

/// The response refusing the caller, if its credentials do not let it in.
fn refusal(headers: &HeaderMap, config: &ServerConfig) -> Option<Response> {
    let faults = &config.faults;
    if faults.has(Fault::NoAuth) {
        return None;
    }
    let presented = standards::bearer(headers, faults);
    match presented {
        Presented::Token(_) if faults.has(Fault::AnyToken) => None,
        Presented::Token(token) if same_secret(token, &config.token) => None,
        Presented::Token(_) if faults.has(Fault::ForbiddenForBadToken) => Some(error(
            config,
            StatusCode::FORBIDDEN,
            "This action is unauthorized.",
        )),
        _ => {
            let mut response = error(config, StatusCode::UNAUTHORIZED, "Unauthenticated.");
            let challenge = if config.varies(Variation::ChallengeWithRealm) {
                Some(standards::described_challenge(&presented))
            } else {
                standards::challenge(&presented, faults)
            };
            if config.varies(Variation::ChallengePerLine) {
                response.headers_mut().append(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"api\""),
                );
            }
            if let Some(challenge) = challenge {
                response.headers_mut().append(WWW_AUTHENTICATE, challenge);
            }
            Some(response)
        }
    }
}

/// Compares without stopping at the first differing byte, so timing says little about the secret.
fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a decoded service id holds anything a client had to percent-encode in the path.
fn needed_encoding(service: &str) -> bool {
    !service
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c))
}

fn created(config: &ServerConfig, token: &Token, headers: &HeaderMap) -> Response {
    let faults = &config.faults;
    let link = if config.varies(Variation::RelativeLinks) {
        token_path(&token.id)
    } else {
        self_link(headers, &token.id)
    };
    let body_link = if faults.has(Fault::SelfLinkWrongId) {
        // The bug: a link built from another record's id than the one just created.
        link.replace(&token.id, &format!("{}x", token.id))
    } else if config.varies(Variation::RelativeSelfLink) {
        // Relative to the request's path, `.../services/{service}/tokens/access`.
        format!("../../../tokens/{}", token.id)
    } else {
        link.clone()
    };
    let body = token::render(token, &body_link, faults, &config.variations);
    let content_type = if faults.has(Fault::ContentTypeText) {
        "text/plain; charset=utf-8"
    } else {
        json_media_type(config, "application/json")
    };
    let status = if config.varies(Variation::OkForCreate) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// The path of a token's own resource.
fn token_path(id: &str) -> String {
    format!("{API_PREFIX}/workspace/tokens/{id}")
}

/// Absolute when the Host header is a plain host[:port]; a path otherwise.
fn self_link(headers: &HeaderMap, id: &str) -> String {
    let path = token_path(id);
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).filter(|h| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    });
    match host {
        Some(host) => format!("http://{host}{path}"),
        None => path,
    }
}

fn validation_failed(config: &ServerConfig, errors: Map<String, Value>) -> Response {
    let faults = &config.faults;
    if faults.has(Fault::ServerErrorForValidation) {
        return server_error(config);
    }
    let status = if faults.has(Fault::OkForErrors) {
        StatusCode::OK
    } else if config.varies(Variation::BadRequestForValidation) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let named = (!faults.has(Fault::UnnamedValidationErrors)).then_some(errors);
    error_with(config, status, "The given data was invalid.", named)
}

fn error(config: &ServerConfig, status: StatusCode, message: &str) -> Response {
    error_with(config, status, message, None)
}

/// An error answer: `{"message", "errors"}` as Laravel words it, or in the shape a variation
/// picks. `errors` maps each invalid field to its messages.
fn error_with(
    config: &ServerConfig,
    status: StatusCode,
    message: &str,
    errors: Option<Map<String, Value>>,
) -> Response {
    let messages = |v: &Value| -> String {
        let all: Vec<&str> = v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        all.join(" ")
    };
    if config.varies(Variation::PlainTextErrors) {
        let mut text = message.to_string();
        for m in errors.iter().flat_map(|e| e.values()) {
            text.push(' ');
            text.push_str(&messages(m));
        }
        let plain = HeaderValue::from_static("text/plain; charset=utf-8");
        return (status, [(CONTENT_TYPE, plain)], text + "\n").into_response();
    }
    let (content_type, body) = if config.varies(Variation::ProblemJson) {
        let mut problem = json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": message,
        });
        if let Some(errors) = &errors {
            let params: Vec<Value> = errors
                .iter()
                .map(|(field, m)| json!({ "name": field, "reason": messages(m) }))
                .collect();
            problem["invalid-params"] = Value::Array(params);
        }
        ("application/problem+json", problem)
    } else if config.varies(Variation::NestedErrorObject) {
        let mut inner = json!({ "code": status.as_u16(), "message": message });
        if let Some(errors) = &errors {
            let fields: Vec<Value> = errors
                .iter()
                .map(|(field, m)| json!({ "field": field, "message": messages(m) }))
                .collect();
            inner["fields"] = Value::Array(fields);
        }
        ("application/json", json!({ "error": inner }))
    } else {
        let mut body = json!({ "message": message });
        if let Some(errors) = errors {
            body["errors"] = Value::Object(errors);
        }
        ("application/json", body)
    };
    let content_type = HeaderValue::from_static(json_media_type(config, content_type));
    let body = token::serialize(body, &config.variations);
    (status, [(CONTENT_TYPE, content_type)], body).into_response()
}

/// A JSON media type as the server labels it: with `charset=utf-8` when a variation says so.
fn json_media_type(config: &ServerConfig, essence: &'static str) -> &'static str {
    match (config.varies(Variation::CharsetParameter), essence) {
        (false, essence) => essence,
        (true, "application/problem+json") => "application/problem+json; charset=utf-8",
        (true, _) => "application/json; charset=utf-8",
    }
}

/// What the framework answers when a handler falls over.
fn server_error(config: &ServerConfig) -> Response {
    error(config, StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
}

async fn method_not_allowed(
    method: axum::http::Method,
    State(state): State<Arc<AppState>>,
) -> Response {
    let config = &state.config;
    if config.faults.has(Fault::CrashOnUnknownMethod) && !standards::known_method(&method) {
        return server_error(config);
    }
    if config.varies(Variation::NotImplementedForUnknownMethod) && !standards::known_method(&method)
    {
        return error(
            config,
            StatusCode::NOT_IMPLEMENTED,
            "The method is not implemented by this server.",
        );
    }
    if config.faults.has(Fault::NotFoundForMethod)
        || config.varies(Variation::NotFoundForOtherMethods)
    {
        return not_found(State(state)).await;
    }
    let mut response = error(
        config,
        StatusCode::METHOD_NOT_ALLOWED,
        "The method is not supported for this route. Supported methods: POST.",
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST"));
    response
}

/// HEAD and OPTIONS on the route as a framework answers them itself, where a variation says so.
fn framework_answers(
    route: MethodRouter<Arc<AppState>>,
    config: &ServerConfig,
) -> MethodRouter<Arc<AppState>> {
    let route = if config.varies(Variation::OptionsAnsweredByFramework)
        || config.varies(Variation::OptionsNoContent)
    {
        route.options(options)
    } else {
        route
    };
    if config.varies(Variation::HeadAnswered) {
        route.head(head)
    } else {
        route
    }
}

async fn options(State(state): State<Arc<AppState>>) -> Response {
    if state.config.varies(Variation::OptionsNoContent) {
        return (StatusCode::NO_CONTENT, [(ALLOW, "POST, OPTIONS")]).into_response();
    }
    // Express (its router 2) lists the route's methods in `Allow` and again as the body.
    let text = HeaderValue::from_static("text/plain; charset=utf-8");
    let allow = HeaderValue::from_static("POST");
    (
        StatusCode::OK,
        [(ALLOW, allow), (CONTENT_TYPE, text)],
        "POST",
    )
        .into_response()
}

async fn head(State(state): State<Arc<AppState>>) -> Response {
    let content_type = json_media_type(&state.config, "application/json");
    (StatusCode::OK, [(CONTENT_TYPE, content_type)]).into_response()
}

async fn not_found(State(state): State<Arc<AppState>>) -> Response {
    error(&state.config, StatusCode::NOT_FOUND, "Not Found.")
}

/// A server bound to a local port, serving on a tokio task until [`RunningServer::shutdown`].
pub struct RunningServer {
    addr: SocketAddr,
    hits: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received on any path and method, so a test can tell a run really reached us.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Stops accepting, lets in-flight requests finish, and waits (briefly) for the task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            // A client holding a connection open must not hang the caller forever.
            let grace = std::time::Duration::from_secs(5);
            if tokio::time::timeout(grace, &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `addr` (port 0 picks a free one) and serves [`app`] on a tokio task, through a
/// connection loop of our own so that variations below the router have a place ([`conn`]).
pub async fn spawn(addr: SocketAddr, config: ServerConfig) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let hits = Arc::new(AtomicU64::new(0));
    let wire = conn::Wire::of(&config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(conn::serve(
        listener,
        app(config),
        wire,
        hits.clone(),
        stopped,
    ));
    Ok(RunningServer {
        addr,
        hits,
        stop: Some(stop),
        task: Some(task),
    })
}
