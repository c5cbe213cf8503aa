//! Credentials for every security scheme, end to end through the binary: a small document per
//! scheme and a server that checks exactly that credential (401 otherwise). The valid cases
//! pass, the auth negative cases are sent, a server that takes a wrong credential is caught,
//! and the credential (raw, base64, percent-encoded) is in no output. A scheme without a
//! credential lists its operations with the flag that would enable them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use crate::common::{bearer_refusal, serve_app, text};

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");

/// What each test's server takes: the request's headers and URI, true when its credential is
/// the right one.
type Accepts = Arc<dyn Fn(&HeaderMap, &Uri) -> bool + Send + Sync>;

/// A server with `GET /api/things`, answering 200 when `accepts`, else 401 with `challenge`.
fn server(accepts: Accepts, challenge: &'static str) -> (String, tokio::runtime::Runtime) {
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let accepts = accepts.clone();
        async move { answer(&method, &uri, &headers, &*accepts, challenge) }
    });
    let (addr, rt) = serve_app(app);
    (format!("http://{addr}/api"), rt)
}

fn answer(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    accepts: &(dyn Fn(&HeaderMap, &Uri) -> bool + Send + Sync),
    challenge: &str,
) -> Response {
    if !["/api/things", "/api/open"].contains(&uri.path()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [("allow", "GET, HEAD")]).into_response();
    }
    if uri.path() == "/api/open" {
        return StatusCode::OK.into_response();
    }
    if !accepts(headers, uri) {
        let mut r = (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "unauthorized"})),
        )
            .into_response();
        // RFC 6750's challenge, with an error code when a token was presented.
        let challenge = match challenge {
            "Bearer" => bearer_refusal(headers, "\0").unwrap_or("Bearer"),
            other => other,
        };
        if !challenge.is_empty() {
            r.headers_mut()
                .insert("www-authenticate", challenge.parse().unwrap());
        }
        return r;
    }
    axum::Json(json!({"id": "t_1"})).into_response()
}

/// A document with `GET /things` under `security`, and these schemes.
fn document(dir: &Path, schemes: Value, security: Value) -> PathBuf {
    let d = json!({
        "openapi": "3.1.0",
        "info": {"title": "things", "version": "1"},
        "components": {"securitySchemes": schemes},
        "paths": {"/things": {"get": {
            "operationId": "list_things",
            "security": security,
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["id"],
                    "properties": {"id": {"type": "string"}}}}}},
                "401": {"description": "no credential"}
            }
        }}}
    });
    let file = dir.join("things.json");
    std::fs::write(&file, d.to_string()).unwrap();
    file
}

/// The binary's `run` on the document against `base`, with these variables set.
fn run(dir: &Path, file: &Path, base: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("PROVISIONR_TOKEN")
        // Properties have nothing to generate for an operation without parameters or body.
        .args([
            "run",
            "--no-persist",
            "--seed",
            "1",
            "--skip",
            "property::",
            "--openapi",
        ])
        .arg(file)
        .args(["--base-url", base, "--junit"])
        .arg(dir.join("junit.xml"))
        .arg("--summary")
        .arg(dir.join("summary.json"))
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Each test case of the JUnit report: its name and `passed`, `failure`, `error` or `skipped`.
fn results(dir: &Path) -> Vec<(String, String)> {
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            let name = n.attribute("name").unwrap_or("").to_string();
            let status = ["failure", "error", "skipped"]
                .into_iter()
                .find(|t| n.children().any(|c| c.has_tag_name(*t)))
                .unwrap_or("passed");
            (name, status.to_string())
        })
        .collect()
}

/// Every case passed (the properties are skipped).
fn all_passed(results: &[(String, String)]) -> bool {
    results.iter().all(|(_, st)| st == "passed")
}

fn status_of<'a>(results: &'a [(String, String)], id: &str) -> Option<&'a str> {
    results
        .iter()
        .find(|(n, _)| n == id || n.ends_with(&format!("::{id}")))
        .map(|(_, s)| s.as_str())
}

/// No output of the run holds the credential in any form it was sent or could be echoed.
fn assert_hidden(dir: &Path, out: &Output, forms: &[String]) {
    let mut outputs = vec![("output", text(out))];
    for f in ["junit.xml", "summary.json"] {
        outputs.push((f, std::fs::read_to_string(dir.join(f)).unwrap_or_default()));
    }
    for (what, body) in &outputs {
        for form in forms {
            assert!(
                !body.contains(form.as_str()),
                "{what} holds `{form}`:\n{body}"
            );
        }
    }
}

fn header_is(h: &HeaderMap, name: &str, value: &str) -> bool {
    h.get(name).and_then(|v| v.to_str().ok()) == Some(value)
}

fn query_has(uri: &Uri, pair: &str) -> bool {
    uri.query().unwrap_or("").split('&').any(|p| p == pair)
}

fn cookie_has(h: &HeaderMap, pair: &str) -> bool {
    h.get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == pair)
}

/// One scheme end to end: a correct server passes every case, and the wrong-credential case
/// (`wrong_id`) is sent and passes; a server that also takes that case's wrong value is caught
/// there; the credential is in no output.
struct Scheme {
    schemes: Value,
    security: Value,
    env: Vec<(&'static str, &'static str)>,
    args: Vec<&'static str>,
    accepts: Accepts,
    /// What a lax server also takes: the wrong value of the scheme.
    lax: Accepts,
    challenge: &'static str,
    wrong_id: &'static str,
    forms: Vec<String>,
}

fn check_scheme(s: Scheme) {
    let dir = tempfile::tempdir().unwrap();
    let file = document(dir.path(), s.schemes.clone(), s.security.clone());
    let (base, _rt) = server(s.accepts.clone(), s.challenge);
    let out = run(dir.path(), &file, &base, &s.env, &s.args);
    let all = results(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}\n{all:?}", text(&out));
    assert!(!all.is_empty());
    assert!(all_passed(&all), "{all:?}");
    assert_eq!(
        status_of(&all, "auth::missing"),
        Some("passed"),
        "auth::missing: {all:?}"
    );
    assert_eq!(
        status_of(&all, s.wrong_id),
        Some("passed"),
        "{}: {all:?}",
        s.wrong_id
    );
    assert_hidden(dir.path(), &out, &s.forms);
    // A server that takes the wrong credential too is caught on that case.
    let (accepts, lax) = (s.accepts.clone(), s.lax.clone());
    let either: Accepts = Arc::new(move |h, u| accepts(h, u) || lax(h, u));
    let (base, _rt2) = server(either, s.challenge);
    let out = run(dir.path(), &file, &base, &s.env, &s.args);
    let all = results(dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(status_of(&all, s.wrong_id), Some("failure"), "{all:?}");
    assert_hidden(dir.path(), &out, &s.forms);
}

const TOKEN: &str = "pvt_sec_token_4f3e2d1c/0b+a";
const KEY: &str = "key/with space&plus+9f8e";
const BASIC: &str = "alice:pa$$ w0rd/x";

fn base64(s: &str) -> String {
    provisionr_conformance::redact::base64(s)
}

fn percent(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

fn forms(secret: &str) -> Vec<String> {
    vec![secret.to_string(), percent(secret), base64(secret)]
}

fn bearer_scheme(schemes: Value, name: &'static str) -> Scheme {
    Scheme {
        schemes,
        security: json!([{name: []}]),
        env: vec![("PROVISIONR_TOKEN", TOKEN)],
        args: vec![],
        accepts: Arc::new(|h, _| bearer_refusal(h, TOKEN).is_none()),
        lax: Arc::new(|h, _| bearer_refusal(h, "pvt_wrong_token_0000000000000000").is_none()),
        challenge: "Bearer",
        wrong_id: "auth::wrong_token",
        forms: forms(TOKEN),
    }
}

#[test]
fn http_bearer_sends_the_token() {
    check_scheme(bearer_scheme(
        json!({"t": {"type": "http", "scheme": "bearer"}}),
        "t",
    ));
}

#[test]
fn oauth2_sends_its_token_as_bearer() {
    let flows =
        json!({"clientCredentials": {"tokenUrl": "https://auth.example/token", "scopes": {}}});
    check_scheme(bearer_scheme(
        json!({"o": {"type": "oauth2", "flows": flows}}),
        "o",
    ));
}

#[test]
fn openid_connect_sends_its_token_as_bearer() {
    let url = "https://auth.example/.well-known/openid-configuration";
    let schemes = json!({"oidc": {"type": "openIdConnect", "openIdConnectUrl": url}});
    let mut s = bearer_scheme(schemes, "oidc");
    // Its own variable through --credential, instead of the token's.
    s.env = vec![("OIDC_TOKEN", TOKEN)];
    s.args = vec!["--credential", "oidc=OIDC_TOKEN"];
    check_scheme(s);
}

#[test]
fn http_basic_sends_user_and_password_in_base64() {
    let expected = format!("Basic {}", base64(BASIC));
    let wrong = format!("Basic {}", base64("provisionr-wrong:wrong-password-0000"));
    let mut f = forms(BASIC);
    f.push("pa$$ w0rd/x".into());
    check_scheme(Scheme {
        schemes: json!({"b": {"type": "http", "scheme": "basic"}}),
        security: json!([{"b": []}]),
        env: vec![("THINGS_BASIC", BASIC)],
        args: vec!["--credential", "b=THINGS_BASIC"],
        accepts: Arc::new(move |h, _| header_is(h, "authorization", &expected)),
        lax: Arc::new(move |h, _| header_is(h, "authorization", &wrong)),
        challenge: "Basic realm=\"things\"",
        wrong_id: "auth::wrong::b",
        forms: f,
    });
}

fn api_key(location: &str, accepts: Accepts, lax: Accepts) -> Scheme {
    Scheme {
        schemes: json!({"api_key": {"type": "apiKey", "in": location, "name": "X-Api-Key"}}),
        security: json!([{"api_key": []}]),
        env: vec![("THINGS_KEY", KEY)],
        args: vec!["--credential", "api_key=THINGS_KEY"],
        accepts,
        lax,
        challenge: "",
        wrong_id: "auth::wrong::api_key",
        forms: forms(KEY),
    }
}

const WRONG_KEY: &str = "wrong-api-key-0000000000000000";

#[test]
fn an_api_key_in_a_header() {
    check_scheme(api_key(
        "header",
        Arc::new(|h, _| header_is(h, "x-api-key", KEY)),
        Arc::new(|h, _| header_is(h, "x-api-key", WRONG_KEY)),
    ));
}

#[test]
fn an_api_key_in_the_query_is_percent_encoded() {
    let pair = format!("X-Api-Key={}", utf8_percent_encode(KEY, NON_ALPHANUMERIC));
    check_scheme(api_key(
        "query",
        Arc::new(move |_, u| query_has(u, &pair)),
        Arc::new(|_, u| query_has(u, &format!("X-Api-Key={WRONG_KEY}"))),
    ));
}

#[test]
fn an_api_key_in_a_cookie() {
    const COOKIE_KEY: &str = "cookie_key_7a6b5c";
    let mut s = api_key(
        "cookie",
        Arc::new(|h, _| cookie_has(h, &format!("X-Api-Key={COOKIE_KEY}"))),
        Arc::new(|h, _| cookie_has(h, &format!("X-Api-Key={WRONG_KEY}"))),
    );
    s.env = vec![("THINGS_KEY", COOKIE_KEY)];
    s.forms = forms(COOKIE_KEY);
    check_scheme(s);
}

#[test]
fn two_schemes_required_together_are_both_sent() {
    let mut f = forms(TOKEN);
    f.extend(forms(KEY));
    let both: Accepts =
        Arc::new(move |h, _| bearer_refusal(h, TOKEN).is_none() && header_is(h, "x-api-key", KEY));
    let dir = tempfile::tempdir().unwrap();
    let schemes = json!({
        "t": {"type": "http", "scheme": "bearer"},
        "k": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    });
    let file = document(dir.path(), schemes, json!([{"t": [], "k": []}]));
    let (base, _rt) = server(both, "Bearer");
    let env = [("PROVISIONR_TOKEN", TOKEN), ("THINGS_KEY", KEY)];
    let out = run(
        dir.path(),
        &file,
        &base,
        &env,
        &["--credential", "k=THINGS_KEY"],
    );
    let all = results(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}\n{all:?}", text(&out));
    assert!(all_passed(&all), "{all:?}");
    // Each one left out is refused (H1a's cases).
    assert_eq!(
        status_of(&all, "auth::omitted::t"),
        Some("passed"),
        "{all:?}"
    );
    assert_eq!(
        status_of(&all, "auth::omitted::k"),
        Some("passed"),
        "{all:?}"
    );
    assert_hidden(dir.path(), &out, &f);
}

#[test]
fn optional_security_without_a_credential_sends_none() {
    let dir = tempfile::tempdir().unwrap();
    let schemes = json!({"api_key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}});
    let file = document(dir.path(), schemes, json!([{"api_key": []}, {}]));
    // The server refuses any key it is given: the valid requests must send none.
    let (base, _rt) = server(Arc::new(|h, _| h.get("x-api-key").is_none()), "");
    let out = run(dir.path(), &file, &base, &[], &[]);
    let all = results(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}\n{all:?}", text(&out));
    assert!(all_passed(&all), "{all:?}");
    assert!(
        !text(&out).contains("not tested: list_things"),
        "{}",
        text(&out)
    );
}

#[test]
fn alternatives_take_the_first_the_run_has_a_credential_for() {
    let dir = tempfile::tempdir().unwrap();
    let schemes = json!({
        "b": {"type": "http", "scheme": "basic"},
        "api_key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    });
    // Basic first, but only the key is given: the key is sent.
    let file = document(dir.path(), schemes, json!([{"b": []}, {"api_key": []}]));
    let (base, _rt) = server(
        Arc::new(|h, _| header_is(h, "x-api-key", KEY) && h.get("authorization").is_none()),
        "",
    );
    let env = [("THINGS_KEY", KEY)];
    let out = run(
        dir.path(),
        &file,
        &base,
        &env,
        &["--credential", "api_key=THINGS_KEY"],
    );
    let all = results(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}\n{all:?}", text(&out));
    assert!(all_passed(&all), "{all:?}");
    assert_hidden(dir.path(), &out, &forms(KEY));
}

/// Two operations, one with an API key the run has no credential for, one open.
fn two_operations(dir: &Path) -> PathBuf {
    let mut d: Value = serde_json::from_str(
        &std::fs::read_to_string(document(
            dir,
            json!({"api_key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}),
            json!([{"api_key": []}]),
        ))
        .unwrap(),
    )
    .unwrap();
    d["paths"]["/open"] = json!({"get": {"operationId": "open", "security": [],
        "responses": {"200": {"description": "ok"}}}});
    let file = dir.join("two.json");
    std::fs::write(&file, d.to_string()).unwrap();
    file
}

#[test]
fn an_operation_without_its_credential_is_listed_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_operations(dir.path());
    let out = run(
        dir.path(),
        &file,
        "http://127.0.0.1:9/api",
        &[],
        &["--list"],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("needs a credential for `api_key` (API key in the header `X-Api-Key`): export it in a variable and pass --credential api_key=VAR"),
        "{shown}"
    );
    // The same in the JUnit (skipped) and the summary.
    let (base, _rt) = server(Arc::new(|_, _| true), "");
    let out = run(dir.path(), &file, &base, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("<skipped") && junit.contains("--credential api_key=VAR"),
        "{junit}"
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(summary.contains("--credential api_key=VAR"), "{summary}");
    // Nothing testable left: exit 2 with the reason.
    let file = document(
        dir.path(),
        json!({"api_key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}),
        json!([{"api_key": []}]),
    );
    let out = run(dir.path(), &file, "http://127.0.0.1:9/api", &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("nothing in the contract can be tested"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("--credential api_key=VAR"),
        "{}",
        text(&out)
    );
    // The variable named but not set says so.
    let out = run(
        dir.path(),
        &file,
        "http://127.0.0.1:9/api",
        &[],
        &["--credential", "api_key=THINGS_UNSET_KEY"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("THINGS_UNSET_KEY of --credential api_key=THINGS_UNSET_KEY is not set"),
        "{}",
        text(&out)
    );
}

#[test]
fn bad_credential_flags_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let schemes = json!({
        "b": {"type": "http", "scheme": "basic"},
        "api_key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    });
    let file = document(dir.path(), schemes, json!([{"b": []}, {"api_key": []}]));
    let base = "http://127.0.0.1:9/api";
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Env, &[&str], &str); 5] = [
        (
            &[],
            &["--credential", "api_kee=K"],
            "did you mean `api_key`?",
        ),
        (
            &[],
            &["--credential", "api_key=1BAD"],
            "is not a variable name",
        ),
        (
            &[("K", "x")],
            &["--credential", "api_key=K", "--credential", "api_key=K"],
            "given twice",
        ),
        (
            &[("B", "no-colon")],
            &["--credential", "b=B"],
            "must hold `user:password`",
        ),
        (&[], &["--credential", "api_key"], "is not SCHEME=ENV_VAR"),
    ];
    for (env, args, message) in cases {
        let mut all = vec!["--list"];
        all.extend(args);
        let out = run(dir.path(), &file, base, env, &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
        // The value of the variable is never echoed.
        assert!(!text(&out).contains("no-colon"), "{}", text(&out));
    }
}

#[test]
fn the_curl_line_fills_each_credential_in_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let schemes = json!({
        "b": {"type": "http", "scheme": "basic"},
        "q": {"type": "apiKey", "in": "query", "name": "key"}
    });
    let file = document(dir.path(), schemes, json!([{"b": [], "q": []}]));
    // An id that breaks the schema: the valid case fails and prints its curl line.
    let app = axum::Router::new().fallback(|| async { axum::Json(json!({"id": 5})) });
    let (addr, _rt) = serve_app(app);
    let base = format!("http://{addr}/api");
    let env = [("THINGS_BASIC", BASIC), ("THINGS_KEY", KEY)];
    let args = [
        "--credential",
        "b=THINGS_BASIC",
        "--credential",
        "q=THINGS_KEY",
    ];
    let out = run(dir.path(), &file, &base, &env, &args);
    let shown = text(&out);
    assert!(shown.contains(r#"-u "${THINGS_BASIC}""#), "{shown}");
    assert!(shown.contains("key=${THINGS_KEY}\""), "{shown}");
    let mut f = forms(BASIC);
    f.extend(forms(KEY));
    assert_hidden(dir.path(), &out, &f);
}
