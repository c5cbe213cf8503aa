//! The binary end to end: `serve` in one process, `run --base-url` in another.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{text, Served, SERVE_TOKEN as TOKEN};

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");

fn run(dir: &Path, args: &[&str]) -> Output {
    let junit = dir.join("junit.xml");
    Command::new(BIN)
        .args(["run", "--junit", junit.to_str().unwrap()])
        .args(args)
        .env("PROVISIONR_TOKEN", TOKEN)
        .current_dir(dir)
        .output()
        .expect("run starts")
}

#[test]
fn a_conforming_server_passes_and_a_wrong_enum_fails() {
    let dir = tempfile::tempdir().unwrap();
    let clean = Served::start(&[]);
    let out = run(
        dir.path(),
        &["--base-url", &clean.base_url, "--service", "svc_e2e"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).starts_with(&format!("target: {}", clean.base_url)),
        "{}",
        text(&out)
    );

    let broken = Served::start(&["enum-wrong-value"]);
    let out = run(
        dir.path(),
        &["--base-url", &broken.base_url, "--service", "svc_e2e"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("check `enum` failed at /name"), "{shown}");
    assert!(shown.contains("\"service_access\""), "{shown}");
    assert!(
        shown.contains("-H \"Authorization: Bearer ${PROVISIONR_TOKEN}\""),
        "{shown}"
    );
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    for place in [&shown, &junit] {
        assert!(!place.contains(TOKEN), "the token leaked");
    }
}

#[test]
fn the_embedded_server_is_the_default_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.starts_with("target: embedded reference server at http://127.0.0.1:"),
        "{shown}"
    );
    assert!(shown.contains("0 failed"), "{shown}");
    assert!(!shown.contains(TOKEN));
}

#[test]
fn list_shows_cases_grouped_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--list"]);
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    let kinds: Vec<&str> = shown
        .lines()
        .filter_map(|l| l.strip_prefix('[').and_then(|l| l.split(']').next()))
        .collect();
    assert!(kinds.len() >= 65, "{shown}");
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted, "not grouped by kind");
    assert!(
        !dir.path().join("junit.xml").exists(),
        "--list must not write a report"
    );
}

#[test]
fn a_filter_runs_only_matching_cases() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["auth::", "--test-threads", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 7, "{junit}");
    assert!(
        junit.matches("<testcase name=\"auth::").count() == 7,
        "{junit}"
    );
}

#[test]
fn a_bad_case_file_names_file_and_location_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    std::fs::write(
        cases.join("typo.json"),
        "{\n  \"title\": \"t\",\n  \"clas\": \"valid\"\n}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["--cases", cases.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("typo.json:3:"), "{shown}");
    assert!(shown.contains("did you mean `class`?"), "{shown}");
    let junit =
        std::fs::read_to_string(dir.path().join("junit.xml")).expect("the report is still written");
    assert!(junit.contains("<error"), "{junit}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let no_service = run(dir.path(), &["--base-url", "http://127.0.0.1:9/api/v1"]);
    assert_eq!(no_service.status.code(), Some(2));
    assert!(
        text(&no_service).contains("--service"),
        "{}",
        text(&no_service)
    );
    let bad_check = run(dir.path(), &["--skip-check", "enun"]);
    assert_eq!(bad_check.status.code(), Some(2));
    assert!(
        text(&bad_check).contains("did you mean `enum`?"),
        "{}",
        text(&bad_check)
    );
    let bad_flag = run(dir.path(), &["--no-such-flag"]);
    assert_eq!(bad_flag.status.code(), Some(2));
    let no_token = Command::new(BIN)
        .args([
            "run",
            "--base-url",
            "http://127.0.0.1:9/api/v1",
            "--service",
            "s",
        ])
        .env_remove("PROVISIONR_TOKEN")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(no_token.status.code(), Some(2));
    assert!(
        text(&no_token).contains("PROVISIONR_TOKEN"),
        "{}",
        text(&no_token)
    );
}

#[test]
fn run_help_shows_our_options() {
    let out = Command::new(BIN).args(["run", "--help"]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--base-url",
        "--service",
        "--token-env",
        "--junit",
        "--list",
        "--exact",
        "--skip",
        "--test-threads",
    ] {
        assert!(shown.contains(flag), "{flag} missing from:\n{shown}");
    }
    assert!(
        !shown.contains("--nocapture"),
        "libtest's own template leaked into --help"
    );
}

#[test]
fn created_tokens_are_listed_for_clean_up() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("created.txt");
    let out = run(
        dir.path(),
        &[
            "example::",
            "--created",
            list.to_str().unwrap(),
            "--no-persist",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ids: Vec<String> = std::fs::read_to_string(&list)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].starts_with("wstok_"), "{ids:?}");
    assert!(text(&out).contains("created 1"), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains(&format!("created ids:\n{}", ids[0])),
        "{junit}"
    );
    assert!(
        junit.contains("<property name=\"created\" value=\"1\"/>"),
        "{junit}"
    );
}

#[test]
fn rate_spaces_requests_out() {
    let dir = tempfile::tempdir().unwrap();
    // Seven requests at 4 per second cannot finish in less than 1.5 s, however fast the server;
    // unthrottled, the whole run takes a fraction of that.
    let started = std::time::Instant::now();
    let out = run(dir.path(), &["auth::", "--rate", "4", "--no-persist"]);
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    let n = junit.matches("<testcase ").count();
    assert_eq!(n, 7, "{junit}");
    assert!(elapsed.as_secs_f64() >= 1.5, "{n} requests in {elapsed:?}");
}

#[test]
fn an_error_is_printed_with_its_cause_once() {
    // The `--created` file cannot be opened under a plain file: an error with an I/O error as
    // its source, whose message already includes it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain"), "").unwrap();
    let created = dir.path().join("plain").join("created.txt");
    let out = run(dir.path(), &["--created", created.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: cannot write the list of created ids to"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("(os error").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("error: ").count(), 1, "{stderr}");
}
