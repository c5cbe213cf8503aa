//! Where requests go ([`Target`]): the API root and its checks, the path values, the token
//! ([`Secret`]), the pacer of `--rate` and the HTTP clients; it prepares a case's request and
//! sends it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Once, RwLock};
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Url;

use super::credentials::{self, Credential, Place, Placeholder};
use super::exchange::{Response, SentRequest, TransportError, TransportKind, MAX_BODY};
use super::{body, params};
use crate::cases::{Auth, RequestSpec};
use crate::contract::{Endpoint, Param, ParamIn, Scheme, Style};

/// Path segment encoding: everything but RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A bearer token that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, only for the Authorization header and for redaction.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("provisionr-conformance/", env!("CARGO_PKG_VERSION"));

/// The header that carries the run id on every request.
pub const RUN_HEADER: &str = "x-conformance-run";

/// The `Accept` of every request: the JSON media types the contract documents for a success,
/// then any other JSON type at a lower weight, so that a server with several representations
/// answers JSON (RFC 9110 12.5.1) and a JSON error body (`application/problem+json`) is still
/// acceptable.
pub fn accept_header(documented: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for t in documented
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        if !parts.iter().any(|p| p.eq_ignore_ascii_case(t)) {
            parts.push(t.to_string());
        }
    }
    let essence = crate::contract::media::essence;
    if parts.is_empty() {
        parts.push("application/json".into());
    } else if !parts.iter().any(|p| essence(p) == "application/json") {
        parts.push("application/json;q=0.9".into());
    }
    parts.push("application/*+json;q=0.9".into());
    // Anything else last, rather than a 406: a strict negotiator whose errors are text or HTML
    // still answers them, and JSON stays preferred.
    parts.push("*/*;q=0.1".into());
    parts.join(", ")
}

/// Where requests go: the API root, the path parameter values, the token and the HTTP client.
#[derive(Clone, Debug)]
pub struct Target {
    /// The API root without a trailing slash, e.g. `https://wks-a1b2c3d4.provisionr.io/api/v1`.
    pub base_url: String,
    pub path_values: BTreeMap<String, String>,
    /// The environment variable the token came from, for reproduction commands.
    pub token_env: String,
    token: Secret,
    /// The `--credential`s by scheme name; a bearer-like scheme without one sends the token.
    credentials: BTreeMap<String, Credential>,
    client: reqwest::Client,
    /// Keeps no idle connection, so each request goes out on a new one: for the one resend of a
    /// request whose pooled connection was closed under it.
    fresh: reqwest::Client,
    pacer: Option<Arc<Pacer>>,
    /// The URL of each path template with the run's path values, built once.
    resolved: Arc<RwLock<HashMap<String, (String, Url)>>>,
}

/// Spaces requests evenly so a run stays under a rate limit, whatever its concurrency.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Why a path parameter value cannot fill a path segment: an empty value, `.` and `..` change
/// the path itself, since URL parsers resolve dot segments (even percent-encoded ones) away.
pub fn segment_problem(name: &str, value: &str) -> Option<String> {
    match value {
        "" => Some(format!("the path parameter `{name}` is empty")),
        "." | ".." => Some(format!(
            "the path parameter `{name}` is `{value}`, which URL parsers resolve away, so the request would go to another path"
        )),
        _ => None,
    }
}

/// Why a target URL was refused. The URL is always shown with any credentials masked.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("--base-url `{0}` is not a URL: {1}")]
    BadUrl(String, #[source] url::ParseError),
    #[error("--base-url `{0}` must be http or https")]
    BadScheme(String),
    #[error("--base-url `{0}` carries credentials (user:password@); remove them: the token is read from the environment and sent as a bearer token")]
    Credentials(String),
    #[error(
        "--base-url `{0}` has a {1}; give the API root only: the endpoint's path is appended to it"
    )]
    QueryOrFragment(String, &'static str),
    #[error("--base-url `{0}` is plain HTTP to a host that is not this machine, so the token would cross the network in clear; use https, or pass --allow-insecure-http to accept that")]
    Insecure(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// The URL as messages may show it: `user:password@` masked, even in text that does not parse.
pub fn mask_credentials(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://").map(|i| i + 3) else {
        return raw.to_string();
    };
    let authority_end = raw[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(raw.len(), |i| scheme_end + i);
    match raw[scheme_end..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &raw[..scheme_end], &raw[scheme_end + at + 1..]),
        None => raw.to_string(),
    }
}

/// Checks that `base_url` is an http or https API root with no credentials, query or fragment:
/// the plan parses the URL once, here, and [`Target::new`] takes it as checked.
pub fn check_base_url(base_url: &str) -> Result<reqwest::Url, TargetError> {
    let shown = mask_credentials(base_url);
    let url = reqwest::Url::parse(base_url).map_err(|e| TargetError::BadUrl(shown.clone(), e))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::BadScheme(shown));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials(shown));
    }
    if url.query().is_some() {
        return Err(TargetError::QueryOrFragment(shown, "query (`?...`)"));
    }
    if url.fragment().is_some() {
        return Err(TargetError::QueryOrFragment(shown, "fragment (`#...`)"));
    }
    Ok(url)
}

/// Refuses plain HTTP to a host other than this machine, where the token would travel in clear.
pub fn check_transport_security(url: &reqwest::Url) -> Result<(), TargetError> {
    if url.scheme() == "http" && !is_loopback(url) {
        return Err(TargetError::Insecure(url.to_string()));
    }
    Ok(())
}

/// Whether plain HTTP to this URL stays on this machine: 127.0.0.0/8, ::1 (also IPv4-mapped),
/// `localhost` and names under `.localhost` (RFC 6761).
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

impl Target {
    /// `run_id` goes out on every request as `X-Conformance-Run`, beside the `User-Agent`, so a
    /// server's logs can be matched to the run.
    pub fn new(
        base_url: &str,
        path_values: BTreeMap<String, String>,
        token: Secret,
        token_env: &str,
        timeout: Duration,
        run_id: &str,
    ) -> Result<Self, TargetError> {
        static TLS: Once = Once::new();
        // reqwest is built without a default crypto provider so that no C toolchain beyond ring's is needed.
        TLS.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(run_id) {
            headers.insert(RUN_HEADER, v);
        }
        let builder = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(USER_AGENT)
                .default_headers(headers.clone())
        };
        let client = builder().build().map_err(TargetError::Client)?;
        let fresh = builder()
            .pool_max_idle_per_host(0)
            .build()
            .map_err(TargetError::Client)?;
        Ok(Target {
            base_url: base_url.trim_end_matches('/').to_string(),
            path_values,
            token_env: token_env.to_string(),
            token,
            credentials: BTreeMap::new(),
            client,
            fresh,
            pacer: None,
            resolved: Default::default(),
        })
    }

    /// At most `per_second` requests per second from now on, across every task of the run.
    pub fn with_rate(mut self, per_second: Option<u32>) -> Self {
        self.pacer = per_second.filter(|r| *r > 0).map(|r| {
            Arc::new(Pacer {
                interval: Duration::from_secs_f64(1.0 / f64::from(r)),
                next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
            })
        });
        self
    }

    /// The full URL for a request: path parameters percent-encoded as segments (in their
    /// `label` or `matrix` form when the operation says so), and the query parameters.
    pub fn url(&self, endpoint: &Endpoint, spec: &RequestSpec) -> String {
        let mut url = self.path_url(endpoint, spec);
        let query = extras(endpoint, spec).query;
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        url
    }

    /// The URL up to its path.
    fn path_url(&self, endpoint: &Endpoint, spec: &RequestSpec) -> String {
        let mut path = endpoint.path.clone();
        for name in crate::contract::path_placeholders(&endpoint.path) {
            let value = spec
                .path
                .get(&name)
                .or_else(|| self.path_values.get(&name))
                .map(String::as_str)
                .unwrap_or("");
            let styled = endpoint
                .params
                .iter()
                .find(|p| p.location == ParamIn::Path && p.name == name)
                .filter(|p| p.style != Style::Simple);
            let encoded = match styled {
                Some(p) => params::path_value(p, &serde_json::Value::String(value.into())),
                None => utf8_percent_encode(value, SEGMENT).to_string(),
            };
            path = path.replace(&format!("{{{name}}}"), &encoded);
        }
        format!("{}{}", self.base_url, path)
    }

    /// The record of a request, ready to send. The record names each credential by its
    /// placeholder; the real values exist only while sending.
    pub fn prepare(&self, endpoint: &Endpoint, spec: &RequestSpec) -> Prepared {
        let extras = extras(endpoint, spec);
        let auth = self.auth_parts(endpoint, &spec.auth);
        let (mut url, resolved) = self.resolve(endpoint, spec);
        let mut parsed = resolved.map_err(|e| format!("not sent: the URL {url} is not valid: {e}"));
        let mut placeholders = Vec::new();
        let mut query = extras.query;
        for (q, var) in auth.query {
            if let Some((var, encoding)) = var {
                let place = Place::Query;
                placeholders.push(Placeholder {
                    var,
                    place,
                    encoding,
                });
            }
            query.push(q);
        }
        if !query.is_empty() {
            let query = query.join("&");
            url.push('?');
            url.push_str(&query);
            if let Ok(u) = &mut parsed {
                u.set_query(Some(&query));
            }
        }
        if let (Some(problem), Ok(_)) = (extras.problem.or(auth.problem), &parsed) {
            parsed = Err(problem);
        }
        let mut headers: Vec<(String, String)> = Vec::with_capacity(3 + extras.headers.len());
        headers.push((
            "Accept".into(),
            accept_header(&endpoint.response_media_types),
        ));
        let mut cookies = extras.cookies;
        let mut cookie_vars = Vec::new();
        for (c, var) in auth.cookies {
            cookie_vars.extend(var);
            cookies.push(c);
        }
        let cookie =
            (!cookies.is_empty()).then(|| (("Cookie".into(), cookies.join("; ")), cookie_vars));
        let ct = spec
            .content_type
            .as_ref()
            .map(|ct| ("Content-Type".into(), body::content_type_header(ct)));
        let pieces = auth
            .headers
            .into_iter()
            .map(|(h, var)| (h, Vec::from_iter(var)))
            .chain(
                ct.into_iter()
                    .chain(extras.headers)
                    .map(|h| (h, Vec::new())),
            )
            .chain(cookie);
        for (header, vars) in pieces {
            for (var, encoding) in vars {
                let place = Place::Header(headers.len());
                placeholders.push(Placeholder {
                    var,
                    place,
                    encoding,
                });
            }
            headers.push(header);
        }
        let request = SentRequest {
            method: spec.method.clone(),
            url,
            headers,
            placeholders,
            body: Bytes::from(body::encode(&spec.body, spec.content_type.as_deref())),
            body_cut: None,
        };
        Prepared { request, parsed }
    }

    /// What the request of `auth` sends for the endpoint's chosen security.
    fn auth_parts(&self, endpoint: &Endpoint, auth: &Auth) -> credentials::AuthParts {
        let sent = endpoint.auth.security.sent();
        let var = |s: &Scheme| credentials::variable(s, &self.credentials, &self.token_env);
        credentials::auth_parts(sent, auth, &self.token_env, var)
    }

    /// The run's credentials by scheme name, beside the token (`--credential`).
    pub fn with_credentials(mut self, credentials: BTreeMap<String, Credential>) -> Self {
        self.credentials = credentials;
        self
    }

    /// The value of a credential's variable: the token's, or a `--credential`'s.
    fn value_of(&self, var: &str) -> Option<&str> {
        if let Some(c) = self.credentials.values().find(|c| c.var == var) {
            return Some(c.secret.expose());
        }
        (var == self.token_env).then(|| self.token.expose())
    }

    /// Sends a prepared request, waiting first for its slot under `--rate`.
    pub async fn transmit(&self, prepared: &Prepared) -> Result<Response, TransportError> {
        self.transmit_with(&self.client, prepared).await
    }

    /// Sends a prepared request on a new connection, never a pooled one: the resend of a request
    /// whose connection was closed before any answer came ([`TransportError::closed_unanswered`]).
    pub async fn transmit_fresh(&self, prepared: &Prepared) -> Result<Response, TransportError> {
        self.transmit_with(&self.fresh, prepared).await
    }

    async fn transmit_with(
        &self,
        client: &reqwest::Client,
        prepared: &Prepared,
    ) -> Result<Response, TransportError> {
        if let Some(pacer) = &self.pacer {
            pacer.wait().await;
        }
        match &prepared.parsed {
            Ok(url) => self.fire(client, &prepared.request, url.clone()).await,
            Err(why) => Err(TransportError::new(TransportKind::Other, why.clone())),
        }
    }

    /// The text with each placeholder at `place` replaced by its value, encoded as it is sent.
    fn fill(&self, req: &SentRequest, place: Place, text: &str) -> Result<String, TransportError> {
        let mut out = text.to_string();
        for p in req.placeholders.iter().filter(|p| p.place == place) {
            let value = self.value_of(&p.var).ok_or_else(|| {
                let why = format!("not sent: the run has no credential in {}", p.var);
                TransportError::new(TransportKind::Other, why)
            })?;
            out = out.replace(&p.text(), &p.encode(value));
        }
        Ok(out)
    }

    /// How records and reproduction commands name the token: `${VAR}`.
    pub fn placeholder(&self) -> String {
        format!("${{{}}}", self.token_env)
    }

    /// The URL as text and parsed. The run's own path values give the same URL every time, so
    /// that one is built and parsed once per path template.
    fn resolve(&self, endpoint: &Endpoint, spec: &RequestSpec) -> (String, Result<Url, String>) {
        // A styled path parameter (`label`, `matrix`) is the operation's own: two operations on
        // one path template may style it differently, so such a URL is not cached by template.
        let styled = endpoint
            .params
            .iter()
            .any(|p| p.location == ParamIn::Path && p.style != Style::Simple);
        if !spec.path.is_empty() || styled {
            let url = self.path_url(endpoint, spec);
            let parsed = match spec.path.iter().find_map(|(k, v)| segment_problem(k, v)) {
                Some(problem) => Err(problem),
                None => Url::parse(&url).map_err(|e| e.to_string()),
            };
            return (url, parsed);
        }
        let cached = self
            .resolved
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&endpoint.path)
            .cloned();
        if let Some((url, parsed)) = cached {
            return (url, Ok(parsed));
        }
        let url = self.path_url(endpoint, spec);
        let parsed = Url::parse(&url).map_err(|e| e.to_string());
        if let Ok(p) = &parsed {
            self.resolved
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(endpoint.path.clone(), (url.clone(), p.clone()));
        }
        (url, parsed)
    }

    async fn fire(
        &self,
        client: &reqwest::Client,
        req: &SentRequest,
        url: Url,
    ) -> Result<Response, TransportError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| TransportError::new(TransportKind::Other, e.to_string()))?;
        let mut url = url;
        if req.placeholders.iter().any(|p| p.place == Place::Query) {
            let recorded = req.url.split_once('?').map_or("", |(_, q)| q);
            let query = self.fill(req, Place::Query, recorded)?;
            url.set_query(Some(&query));
        }
        let mut builder = client.request(method, url);
        for (i, (k, v)) in req.headers.iter().enumerate() {
            builder = if req.placeholders.iter().any(|p| p.place == Place::Header(i)) {
                let real = self.fill(req, Place::Header(i), v)?;
                let mut value = HeaderValue::try_from(real).map_err(|_| {
                    TransportError::new(
                        TransportKind::Other,
                        format!("not sent: the credential cannot be sent in an HTTP header `{k}` (it holds a control character)"),
                    )
                })?;
                value.set_sensitive(true);
                builder.header(k.as_str(), value)
            } else {
                builder.header(k.as_str(), v.as_str())
            };
        }
        if !req.body.is_empty() {
            builder = builder.body(req.body.clone());
        }
        let mut resp = builder.send().await.map_err(TransportError::from_send)?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let expected = resp.content_length().unwrap_or(0).min(64 * 1024) as usize;
        let mut bytes = Vec::with_capacity(expected);
        let mut truncated = false;
        while let Some(chunk) = resp.chunk().await.map_err(TransportError::from_reqwest)? {
            if bytes.len() + chunk.len() > MAX_BODY {
                bytes.extend_from_slice(&chunk[..MAX_BODY - bytes.len()]);
                truncated = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body: bytes,
            truncated,
            body_cut: None,
        })
    }
}

/// A request ready to send: its record, and its URL parsed (or why it cannot be).
#[derive(Debug)]
pub struct Prepared {
    pub request: SentRequest,
    /// The URL parsed, or why the request cannot be sent (a message of its own).
    parsed: Result<Url, String>,
}

/// What a request's query, header and cookie parameters add to it.
#[derive(Default)]
struct Extras {
    /// Encoded pairs, one entry per parameter.
    query: Vec<String>,
    headers: Vec<(String, String)>,
    /// `name=value` pairs, one entry per parameter.
    cookies: Vec<String>,
    /// Why the request cannot be sent: a header or cookie value that no header can carry.
    problem: Option<String>,
}

/// Header parameters OpenAPI ignores (4.8.12.1): the request's own headers say these.
const IGNORED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// Every non-path parameter of the endpoint with the request's value for it, or else its base
/// value; then any value the request gives for a parameter the endpoint does not declare, in
/// its location's default style.
fn extras(endpoint: &Endpoint, spec: &RequestSpec) -> Extras {
    let mut out = Extras::default();
    if endpoint.params.is_empty() && spec.params.is_empty() {
        return out;
    }
    for p in endpoint
        .params
        .iter()
        .filter(|p| p.location != ParamIn::Path)
    {
        let serialized = match spec.param(p.location, &p.name) {
            Some(sent) => params::serialize(p, sent),
            None => p.base.as_ref().and_then(|b| params::serialize_json(p, b)),
        };
        add(&mut out, p, serialized);
    }
    for v in &spec.params {
        let declared = endpoint
            .params
            .iter()
            .any(|p| p.location == v.location && p.name == v.name);
        if declared || v.location == ParamIn::Path {
            continue;
        }
        let style = v.location.default_style();
        let undeclared = Param {
            name: v.name.clone(),
            location: v.location,
            required: false,
            schema: serde_json::Value::Object(Default::default()),
            style,
            explode: style == Style::Form,
            example: None,
            base: None,
            pointer: String::new(),
        };
        let serialized = params::serialize(&undeclared, &v.value);
        add(&mut out, &undeclared, serialized);
    }
    out
}

fn add(out: &mut Extras, p: &Param, serialized: Option<params::Serialized>) {
    let at = if p.pointer.is_empty() {
        String::new()
    } else {
        format!(" (declared at {})", p.pointer)
    };
    match serialized {
        None => {}
        Some(params::Serialized::Query(q)) => out.query.push(q),
        Some(params::Serialized::Header(name, _))
            if IGNORED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) => {}
        Some(params::Serialized::Header(name, value)) => {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                out.problem.get_or_insert(format!(
                    "not sent: the header parameter `{name}`{at} is not a valid header name"
                ));
            } else if let Some(why) = params::header_problem(&value) {
                out.problem.get_or_insert(format!(
                    "not sent: the value of the header parameter `{name}`{at} {why}"
                ));
            }
            out.headers.push((name, value));
        }
        Some(params::Serialized::Cookie(c)) => {
            if let Some(why) = params::header_problem(&c) {
                out.problem.get_or_insert(format!(
                    "not sent: the value of the cookie parameter `{}`{at} {why}",
                    p.name
                ));
            }
            out.cookies.push(c);
        }
    }
}
