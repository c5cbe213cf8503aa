//! The canary: a server that echoes the bearer token back in every form it can (as the `id`, as
//! the `name`, JSON-escaped the PHP way, percent-encoded, in headers), run through `run`, the
//! property shrinker, `--created` and `selftest`, with tokens holding `/`, `"`, `\`, `$` and a
//! trailing space. No output file, stdout or stderr may hold the token in any of those forms.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::common::assert_valid_junit;

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");
/// The value of a secret-looking response field, which must be masked wherever it would show.
const PLAIN_TEXT_TOKEN: &str = "ptt_MASK_ME_4242_zz";

const TOKENS: &[&str] = &[
    "pvt_canary/slash/0001",
    "pvt_canary\"quote\\back$dollar_0002",
    "pvt_canary_trailing_0003 ",
];

fn json_inner(s: &str) -> String {
    let q = Value::String(s.to_string()).to_string();
    q[1..q.len() - 1].to_string()
}

fn percent(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// Every form of the token a leak could take, and the masked field's value.
fn forbidden(token: &str) -> Vec<String> {
    let mut out = vec![PLAIN_TEXT_TOKEN.to_string()];
    for t in [token, token.trim()] {
        let json = json_inner(t);
        out.extend([
            t.to_string(),
            json.clone(),
            json.replace('/', "\\/"),
            percent(t),
            percent(t).to_lowercase(),
        ]);
    }
    out.sort();
    out.dedup();
    out
}

/// Echoes the token of the Authorization header into a 201 for every request.
async fn echo(headers: HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let token = auth.strip_prefix("Bearer ").unwrap_or(&auth);
    let json = json_inner(token);
    let php = json.replace('/', "\\/");
    // Written by hand, as a PHP server would: `name` with escaped slashes, the token as the id.
    let body = format!(
        r#"{{"id":"{json}","name":"{php}","description":"{pct}","abilities":[],"timestamp":{{"created_at":"2026-01-01T00:00:00Z","last_used_at":null,"expires_at":null,"expires_at_mins":null,"requested_at":"2026-01-01T00:00:00Z"}},"_embedded":[],"plain_text_token":"{PLAIN_TEXT_TOKEN}","debug":"{auth_json}"}}"#,
        pct = percent(token),
        auth_json = json_inner(&auth),
    );
    let mut resp = (StatusCode::CREATED, body).into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(token) {
        h.insert("x-echo", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("/tokens?t={}", percent(token))) {
        h.insert("location", v);
    }
    resp
}

fn echo_server() -> (SocketAddr, tokio::runtime::Runtime) {
    crate::common::serve_app(axum::Router::new().fallback(echo))
}

fn bin(dir: &Path, token: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("PROVISIONR_TOKEN", token)
        .current_dir(dir)
        .output()
        .expect("the binary starts")
}

/// Every file under `dir`, with its text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            out.push((path.display().to_string(), text));
        }
    }
    out
}

fn assert_clean(token: &str, place: &str, text: &str) {
    for form in forbidden(token) {
        assert!(
            !text.contains(&form),
            "{place} holds the token {token:?} as {form:?}"
        );
    }
}

#[test]
fn no_output_holds_the_token_in_any_form() {
    let (addr, _rt) = echo_server();
    for token in TOKENS {
        let dir = tempfile::tempdir().unwrap();
        let cases = dir.path().join("cases");
        std::fs::create_dir(&cases).unwrap();
        let base = format!("http://{addr}/api/v1");
        // `run`, with shrinking saved into the cases directory and the created ids listed.
        let out = bin(
            dir.path(),
            token,
            &[
                "run",
                "--base-url",
                &base,
                "--service",
                "svc_canary",
                "--cases",
                cases.to_str().unwrap(),
                "--cases",
                "16",
                "--seed",
                "7",
                "--junit",
                "reports/junit.xml",
                "--created",
                "reports/created.txt",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("[REDACTED]"),
            "the echo should show, redacted"
        );
        assert!(stdout.contains("shrunk in"), "the shrinker should have run");
        assert_clean(token, "run's stdout", &stdout);
        assert_clean(token, "run's stderr", &String::from_utf8_lossy(&out.stderr));
        assert_valid_junit(&dir.path().join("reports/junit.xml"));
        let created = std::fs::read_to_string(dir.path().join("reports/created.txt")).unwrap();
        assert!(created.lines().count() > 0, "no created ids were listed");

        // `selftest`, with the same token given to the reference server.
        let out = bin(
            dir.path(),
            token,
            &[
                "selftest",
                "--cases",
                "8",
                "--fault",
                "enum-wrong-value",
                "--json",
                "reports/selftest.json",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_clean(token, "selftest's output", &format!("{out:?}"));

        let written = files(dir.path());
        assert!(
            written.iter().any(|(p, _)| p.contains("regressions")),
            "no regression case was saved: {:?}",
            written.iter().map(|(p, _)| p).collect::<Vec<_>>()
        );
        for (path, text) in &written {
            assert_clean(token, path, text);
        }
    }
}
