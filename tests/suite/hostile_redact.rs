//! The token in a form nobody redacted (issue 21, items 5 to 8): JSON-escaped once and twice in
//! `summary.json`, base64 at each alignment, base64 of `Bearer <token>` and hex, a profile value
//! that expanded the token, and `diff` of a hostile summary. The canary (`canary.rs`) greps
//! every output for every form; these tests each hold one item.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::canary::{assert_clean, base64_core, bin, echo_server, files, hex, META_TOKEN};

/// `run` against the echo server, in `dir`, with `token`: exit 1 (the echo is a violation).
fn run_echo(dir: &Path, token: &str) -> Output {
    let (addr, _rt) = echo_server();
    let base = format!("http://{addr}/api/v1");
    let out = bin(
        dir,
        token,
        &[
            "run",
            "--base-url",
            &base,
            "--service",
            "svc_canary",
            "--cases",
            "4",
            "--seed",
            "7",
            "--no-persist",
            "--junit",
            "reports/junit.xml",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    out
}

fn json_inner(s: &str) -> String {
    let q = Value::String(s.to_string()).to_string();
    q[1..q.len() - 1].to_string()
}

#[test]
fn the_summary_holds_no_json_escaped_or_double_escaped_token() {
    let dir = tempfile::tempdir().unwrap();
    run_echo(dir.path(), META_TOKEN);
    let summary = std::fs::read_to_string(dir.path().join("reports/summary.json")).unwrap();
    assert!(
        summary.contains("[REDACTED]"),
        "the echo should show, redacted"
    );
    let once = json_inner(META_TOKEN);
    for form in [
        once.clone(),
        json_inner(&once),
        json_inner(&json_inner(&once)),
    ] {
        assert!(!summary.contains(&form), "summary.json holds {form:?}");
    }
    // Not even the start or the end of it.
    assert!(
        !summary.contains("c4n"),
        "summary.json holds part of the token"
    );
    assert!(
        !summary.contains("pvt_0004"),
        "summary.json holds part of the token"
    );
}

#[test]
fn base64_at_each_alignment_bearer_base64_and_hex_are_redacted_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_echo(dir.path(), META_TOKEN);
    let mut texts = files(dir.path());
    texts.push(("stdout".into(), String::from_utf8_lossy(&out.stdout).into()));
    texts.push(("stderr".into(), String::from_utf8_lossy(&out.stderr).into()));
    let bearer = provisionr_conformance::redact::base64(&format!("Bearer {META_TOKEN}"));
    for (place, text) in &texts {
        for a in 0..3 {
            let core = base64_core(META_TOKEN, a);
            assert!(!text.contains(&core), "{place}: base64 at alignment {a}");
        }
        assert!(
            !text.contains(&bearer[..bearer.len() - 4]),
            "{place}: Bearer base64"
        );
        assert!(!text.contains(&hex(META_TOKEN)), "{place}: hex");
        assert!(
            !text.contains(&hex(META_TOKEN).to_uppercase()),
            "{place}: HEX"
        );
    }
    // The warning is for short secrets only.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("shorter than"));
}

#[test]
fn a_secret_too_short_for_its_encoded_forms_is_warned_about_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_echo(dir.path(), "k3y_t0k");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("shorter than 8").count(), 1, "{stderr}");
    assert!(!stderr.contains("k3y_t0k"), "{stderr}");
    // Its text forms are redacted still.
    assert_clean("k3y_t0k", "stdout", &String::from_utf8_lossy(&out.stdout));
}

/// `run --profile leak` from a config file holding `profile`, with `token` in the environment.
fn run_profile(dir: &Path, token: &str, profile: &str) -> Output {
    std::fs::write(
        dir.join("provisionr-conformance.toml"),
        format!("[profiles.leak]\n{profile}\n"),
    )
    .unwrap();
    bin(dir, token, &["run", "--profile", "leak", "--no-persist"])
}

fn assert_no_part_of(token: &str, place: &str, text: &str) {
    assert_clean(token, place, text);
    for part in [&token[..6], &token[token.len() - 6..]] {
        assert!(!text.contains(part), "{place} holds {part:?}: {text}");
    }
}

#[test]
fn a_profile_value_that_expanded_the_token_is_redacted_in_errors_and_the_junit() {
    let token = "pvt_profile_expanded_0007";
    let dir = tempfile::tempdir().unwrap();
    let out = run_profile(
        dir.path(),
        token,
        "base_url = \"http://127.0.0.1:1/api/v1?k=${PROVISIONR_TOKEN}\"\nservice = \"svc\"\n\
         junit = \"reports/junit.xml\"",
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[REDACTED]"), "{stderr}");
    assert_no_part_of(token, "stderr", &stderr);
    assert_no_part_of(token, "stdout", &String::from_utf8_lossy(&out.stdout));
    let junit = std::fs::read_to_string(dir.path().join("reports/junit.xml")).unwrap();
    assert_no_part_of(token, "the JUnit", &junit);

    let out = run_profile(
        dir.path(),
        token,
        "base_url = \"http://127.0.0.1:1/api/v1\"\nservice = \"svc\"\n\
         junit = \"/proc/${PROVISIONR_TOKEN}/j.xml\"",
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/proc/[REDACTED]/j.xml"), "{stderr}");
    assert_no_part_of(token, "stderr", &stderr);
}

#[test]
fn diff_redacts_a_hostile_summary_and_strips_its_terminal_controls() {
    let dir = tempfile::tempdir().unwrap();
    run_echo(dir.path(), META_TOKEN);
    let old = dir.path().join("reports/summary.json");
    let mut summary: Value = serde_json::from_str(&std::fs::read_to_string(&old).unwrap()).unwrap();
    let hostile = format!(
        "{META_TOKEN}\u{1b}]0;pwned-title\u{7}\u{1b}[2J\u{1b}[1;31m\u{9b}31m\u{9d}8;;x\u{9c}\r\
         \u{8}\u{202e}\nnew (0):"
    );
    summary["violations"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "case": format!("case\u{1b}[A{META_TOKEN}"), "kind": "fixed", "check": "status",
            "severity": "error", "location": "/id", "expected": "201", "actual": hostile,
        }));
    let new = dir.path().join("reports/hostile.json");
    std::fs::write(&new, serde_json::to_string(&summary).unwrap()).unwrap();
    let out = bin(
        dir.path(),
        META_TOKEN,
        &["diff", old.to_str().unwrap(), new.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("case[REDACTED]"), "{stdout}");
    assert_clean(META_TOKEN, "diff's stdout", &stdout);
    assert!(!stdout.contains("pwned-title"), "{stdout}");
    let controls: Vec<char> = stdout
        .chars()
        .filter(|c| (c.is_control() && *c != '\n') || *c == '\u{202e}')
        .collect();
    assert!(controls.is_empty(), "controls {controls:?} in {stdout}");
    // The field's line break cannot forge a line of the diff.
    assert_eq!(stdout.lines().filter(|l| l.starts_with("new (")).count(), 1);
}
