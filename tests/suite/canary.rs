//! The canary: a server that echoes the bearer token back in every form it can (raw, JSON-escaped
//! once and twice and the PHP way, `\u`-escaped, percent-encoded, HTML-escaped, base64 at each
//! alignment inside a longer text, base64 of `Bearer <token>`, hex, in headers), run through
//! `run`, the property shrinker, `--created`, `selftest` and `diff`, with tokens holding `/`,
//! `"`, `\`, `$`, a trailing space, and one of every metacharacter class. No output file,
//! stdout or stderr may hold the token in any of those forms.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::common::assert_valid_junit;
use provisionr_conformance::redact::base64;

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");
/// The value of a secret-looking response field, which must be masked wherever it would show.
const PLAIN_TEXT_TOKEN: &str = "ptt_MASK_ME_4242_zz";

const TOKENS: &[&str] = &[
    "pvt_canary/slash/0001",
    "pvt_canary\"quote\\back$dollar_0002",
    "pvt_canary_trailing_0003 ",
    META_TOKEN,
];

/// One of every metacharacter class: JSON (`"` `\` `/`), shell (`$()` `` ` `` `;` `|` `&`),
/// HTML (`<>` `'`), URL (`%` `+` `=` `?` `#`), glob (`*` `[]` `{}`), and a space.
pub const META_TOKEN: &str = "c4n\"ary\\$(id)`x`;|&<b>'%2F+=?#/{*}~ [0] pvt_0004";

fn json_inner(s: &str) -> String {
    let q = Value::String(s.to_string()).to_string();
    q[1..q.len() - 1].to_string()
}

fn percent(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// `\u`-escapes of every character but letters and digits.
pub fn escape_u(s: &str) -> String {
    s.chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_string(),
            false => format!("\\u{:04x}", c as u32),
        })
        .collect()
}

/// Percent-escapes with lower-case hex digits (the token's own characters as they are).
fn lower_percent(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..=at]);
        out.push_str(&rest[at + 1..at + 3].to_lowercase());
        rest = &rest[at + 3..];
    }
    out + rest
}

pub fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The base64 of a text holding `token` after `a` other bytes.
pub fn embedded_base64(token: &str, a: usize) -> String {
    base64(&format!("{}{token}, and more", &"key="[..a]))
}

/// The characters of `embedded_base64(token, a)` that encode the token's bytes alone: what any
/// base64 text that holds the token at that alignment contains.
pub fn base64_core(token: &str, a: usize) -> String {
    let encoded = embedded_base64(token, a);
    let (first, last) = ((8 * a).div_ceil(6), 8 * (a + token.len()) / 6);
    encoded[first..last].to_string()
}

/// Every form of the token a leak could take, and the masked field's value.
pub fn forbidden(token: &str) -> Vec<String> {
    let mut out = vec![PLAIN_TEXT_TOKEN.to_string()];
    for t in [token, token.trim()] {
        let json = json_inner(t);
        out.extend([
            t.to_string(),
            json.clone(),
            json.replace('/', "\\/"),
            json_inner(&json),
            escape_u(t),
            percent(t),
            lower_percent(&percent(t)),
            html(t),
            hex(t),
            hex(t).to_uppercase(),
        ]);
        out.extend((0..3).map(|a| base64_core(t, a)));
    }
    out.sort();
    out.dedup();
    out
}

/// Echoes the token of the Authorization header into a 201 for every request, in every form.
pub async fn echo(headers: HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let token = auth.strip_prefix("Bearer ").unwrap_or(&auth);
    let json = json_inner(token);
    let php = json.replace('/', "\\/");
    // Written by hand, as a PHP server would: `name` with escaped slashes, the token as the id.
    let embedded: Vec<String> = (0..3).map(|a| embedded_base64(token, a)).collect();
    let encoded = serde_json::json!({
        "json_in_json": json_inner(&format!("{{\"t\":\"{json}\"}}")),
        "html": html(token),
        "base64": embedded,
        "bearer_base64": base64(&auth),
        "hex": hex(token),
        "HEX": hex(token).to_uppercase(),
    });
    let body = format!(
        r#"{{"id":"{json}","name":"{php}","description":"{pct}","abilities":[],"timestamp":{{"created_at":"2026-01-01T00:00:00Z","last_used_at":null,"expires_at":null,"expires_at_mins":null,"requested_at":"2026-01-01T00:00:00Z"}},"_embedded":[],"plain_text_token":"{PLAIN_TEXT_TOKEN}","debug":"{auth_json}","u":"{u}","echo":{encoded}}}"#,
        pct = percent(token),
        auth_json = json_inner(&auth),
        u = escape_u(token),
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

pub fn echo_server() -> (SocketAddr, tokio::runtime::Runtime) {
    crate::common::serve_app(axum::Router::new().fallback(echo))
}

pub fn bin(dir: &Path, token: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("PROVISIONR_TOKEN", token)
        .current_dir(dir)
        .output()
        .expect("the binary starts")
}

/// Every file under `dir`, with its text.
pub fn files(dir: &Path) -> Vec<(String, String)> {
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

pub fn assert_clean(token: &str, place: &str, text: &str) {
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

        // `diff` of the run's summary and a hostile one whose violation holds the echo.
        let out = diff_hostile(dir.path(), token);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let shown = format!("{out:?}");
        assert_clean(token, "diff's output", &shown);
        assert!(shown.contains("[REDACTED]"), "{shown}");

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

/// `diff` of `dir`'s `reports/summary.json` and a copy with one more violation whose `actual`
/// holds the token in every form, the token in the environment.
pub fn diff_hostile(dir: &Path, token: &str) -> Output {
    let old = dir.join("reports/summary.json");
    let mut summary: Value = serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    // The masked field's value is the server's, not a secret `diff` knows.
    let forms: Vec<String> = forbidden(token)
        .into_iter()
        .filter(|f| f != PLAIN_TEXT_TOKEN)
        .collect();
    let actual = forms.join(" | ");
    summary["violations"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "case": "echoed", "kind": "fixed", "check": "status", "severity": "error",
            "location": "/id", "expected": "201", "actual": actual,
        }));
    let new = dir.join("reports/hostile.json");
    std::fs::write(&new, serde_json::to_string(&summary).unwrap()).unwrap();
    let out = bin(
        dir,
        token,
        &["diff", old.to_str().unwrap(), new.to_str().unwrap()],
    );
    // The test's own input, not an output.
    std::fs::remove_file(&new).unwrap();
    out
}
