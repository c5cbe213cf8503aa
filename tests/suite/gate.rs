//! The release gate and the nightly job: the summary for machines and its schema, known
//! failures with an expiry, `diff` between two runs, politeness on shared servers (Retry-After,
//! identifying headers), and case ids that stay stable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::outcome::Status;
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::server::{Fault, FaultSet, ServerConfig};
use serde_json::Value;

use crate::common::{plan, verdicts};

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");

fn summary_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/summary.schema.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the summary schema compiles")
}

/// The summary a run wrote, checked against its schema.
pub(crate) fn summary_of(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = summary_schema()
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "summary.json breaks its schema: {errors:#?}"
    );
    v
}

/// The shipped suite against the embedded server with `faults`, writing its reports in `dir`.
fn gate_run(dir: &Path, faults: &[Fault], args: &[&str]) -> RunOutcome {
    let summary = dir.join("summary.json");
    let mut all = vec![
        "--summary",
        summary.to_str().unwrap(),
        "--seed",
        "5",
        "--cases",
        "32",
    ];
    all.extend_from_slice(args);
    let mut p = plan(dir, &all);
    p.target = TargetChoice::Embedded(provisionr_conformance::server::Options {
        faults: FaultSet::with(faults.iter().copied()),
        variations: Default::default(),
        reject_past_expiry: false,
    });
    run_and_write(p).unwrap()
}

#[test]
fn the_summary_validates_against_its_schema_passing_failing_and_not_tested() {
    let dir = tempfile::tempdir().unwrap();
    let clean = gate_run(dir.path(), &[], &[]);
    assert_eq!(clean.exit_code, 0);
    let s = summary_of(dir.path());
    assert_eq!(s["verdict"], "pass");
    assert_eq!(s["counts"]["cases"], clean.results.len());
    assert_eq!(s["requests"], clean.requests());
    assert_eq!(s["contract"]["files"].as_array().unwrap().len(), 3);

    let failing = gate_run(dir.path(), &[Fault::EnumWrongValue], &[]);
    assert_eq!(failing.exit_code, 1);
    let s = summary_of(dir.path());
    assert_eq!(s["verdict"], "fail");
    let enums: Vec<&Value> = s["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "enum" && f["case"] == "example::page_example")
        .collect();
    assert_eq!(enums.len(), 1, "{:#?}", s["violations"]);
    assert_eq!(enums[0]["location"], "/name");
    let enum_errors = failing
        .results
        .iter()
        .flat_map(|r| r.errors())
        .filter(|v| v.check == "enum")
        .count();
    assert_eq!(s["counts"]["by_check"]["enum"]["errors"], enum_errors);

    // A target that is not there: every case not tested, and the summary says why.
    let port = crate::common::closed_port();
    let summary = dir.path().join("summary.json");
    let mut p = plan(dir.path(), &["--summary", summary.to_str().unwrap()]);
    p.target = TargetChoice::Remote {
        base_url: format!("http://127.0.0.1:{port}/api/v1").parse().unwrap(),
    };
    assert_eq!(run_and_write(p).unwrap().exit_code, 3);
    let s = summary_of(dir.path());
    assert_eq!(s["verdict"], "not_tested");
    assert!(s["not_tested"].as_array().unwrap().len() > 60);
}

/// The (case, check) pairs that failed.
fn failures(outcome: &RunOutcome) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = outcome
        .results
        .iter()
        .flat_map(|r| {
            r.errors()
                .map(move |v| (r.case.id.clone(), v.check.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn entry(case: &str, check: &str, expires: &str) -> String {
    format!(
        "[[known]]\ncase = \"{case}\"\ncheck = \"{check}\"\nreason = \"accepted in the test\"\nexpires = {expires}\n\n"
    )
}

#[test]
fn known_failures_are_known_expired_fixed_or_new() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known.toml");
    let file_arg = file.to_str().unwrap().to_string();
    let bare = gate_run(dir.path(), &[Fault::CountsBytes], &[]);
    let failing = failures(&bare);
    assert!(failing.len() >= 3, "{failing:?}");

    // Every failure known: the gate passes, and says what it accepted.
    let all: String = failing
        .iter()
        .map(|(case, check)| entry(case, check, "2099-12-31"))
        .collect();
    std::fs::write(&file, &all).unwrap();
    let known = gate_run(
        dir.path(),
        &[Fault::CountsBytes],
        &["--known-failures", &file_arg],
    );
    assert_eq!(known.exit_code, 0, "{:?}", verdicts(&known));
    assert_eq!(known.tally.known, failing.len());
    assert!(known.results.iter().any(|r| r.status() == Status::Known));
    let s = summary_of(dir.path());
    assert_eq!(s["known_failures"].as_array().unwrap().len(), failing.len());
    assert!(s["known_failure_entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["outcome"] == "known"));

    // One left out: new, so the gate fails on exactly that one.
    let (left_case, left_check) = failing[0].clone();
    let rest: String = failing[1..]
        .iter()
        .map(|(case, check)| entry(case, check, "2099-12-31"))
        .collect();
    std::fs::write(&file, &rest).unwrap();
    let one_new = gate_run(
        dir.path(),
        &[Fault::CountsBytes],
        &["--known-failures", &file_arg],
    );
    assert_eq!(one_new.exit_code, 1);
    assert_eq!(
        failures(&one_new),
        vec![(left_case.clone(), left_check.clone())]
    );

    // Expired: it fails again, saying the acceptance expired.
    std::fs::write(
        &file,
        format!("{rest}{}", entry(&left_case, &left_check, "2020-01-01")),
    )
    .unwrap();
    let expired = gate_run(
        dir.path(),
        &[Fault::CountsBytes],
        &["--known-failures", &file_arg],
    );
    assert_eq!(expired.exit_code, 1);
    let s = summary_of(dir.path());
    let v = &s["violations"][0];
    assert!(
        v["known"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01"),
        "{v}"
    );

    // Fixed: an entry for a case that passes is reported, and fails the gate under --strict.
    std::fs::write(
        &file,
        format!(
            "{all}{}",
            entry("example::page_example", "status", "2099-12-31")
        ),
    )
    .unwrap();
    let fixed = gate_run(
        dir.path(),
        &[Fault::CountsBytes],
        &["--known-failures", &file_arg],
    );
    assert_eq!(fixed.exit_code, 0);
    let s = summary_of(dir.path());
    assert!(s["known_failure_entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["case"] == "example::page_example" && e["outcome"] == "fixed"));
    let strict = gate_run(
        dir.path(),
        &[Fault::CountsBytes],
        &["--known-failures", &file_arg, "--strict"],
    );
    assert_eq!(strict.exit_code, 1);
}

#[test]
fn update_known_failures_keeps_reasons_and_adds_the_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known.toml");
    let file_arg = file.to_str().unwrap().to_string();
    let bare = gate_run(dir.path(), &[Fault::CountsBytes], &[]);
    let failing = failures(&bare);
    let (case, check) = &failing[0];
    std::fs::write(
        &file,
        format!(
            "[[known]]\ncase = \"{case}\"\ncheck = \"{check}\"\nreason = \"the reason we keep\"\nlink = \"https://tracker.example/1\"\nexpires = 2099-01-02\n\n{}",
            entry("example::page_example", "status", "2099-12-31")
        ),
    )
    .unwrap();
    gate_run(
        dir.path(),
        &[Fault::CountsBytes],
        &["--known-failures", &file_arg, "--update-known-failures"],
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("the reason we keep"), "{written}");
    assert!(written.contains("2099-01-02"), "{written}");
    assert!(
        !written.contains("example::page_example"),
        "the fixed entry stays: {written}"
    );
    assert_eq!(
        written.matches("[[known]]").count(),
        failing.len(),
        "{written}"
    );
    // The written file accepts every failure of the run.
    let again = gate_run(
        dir.path(),
        &[Fault::CountsBytes],
        &["--known-failures", &file_arg],
    );
    assert_eq!(again.exit_code, 0, "{:?}", verdicts(&again));
}

#[test]
fn a_bad_known_failures_file_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known.toml");
    std::fs::write(
        &file,
        "[[known]]\ncase = \"x\"\ncheck = \"status\"\nreason = \"r\"\nexpirs = 2099-01-01\n",
    )
    .unwrap();
    let out = std::process::Command::new(BIN)
        .args(["run", "--no-persist", "--known-failures"])
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("known.toml:5:1"), "{err}");
    assert!(err.contains("did you mean `expires`?"), "{err}");
}

fn binary(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn diff_lists_new_fixed_and_still_failing_and_exits_1_on_new() {
    let dir = tempfile::tempdir().unwrap();
    let summary_after = |faults: &[Fault], name: &str| -> PathBuf {
        gate_run(dir.path(), faults, &[]);
        let to = dir.path().join(name);
        std::fs::rename(dir.path().join("summary.json"), &to).unwrap();
        to
    };
    let old = summary_after(&[Fault::CountsBytes], "old.json");
    let same = summary_after(&[Fault::CountsBytes], "same.json");
    let worse = summary_after(&[Fault::CountsBytes, Fault::EnumWrongValue], "worse.json");
    let clean = summary_after(&[], "clean.json");
    let arg = |p: &PathBuf| p.to_str().unwrap().to_string();

    let out = binary(dir.path(), &["diff", &arg(&old), &arg(&same)]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("new (0)") && shown.contains("fixed (0)"),
        "{shown}"
    );

    let out = binary(dir.path(), &["diff", &arg(&old), &arg(&worse)]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("check `enum` failed at /name"), "{shown}");

    let out = binary(dir.path(), &["diff", &arg(&old), &arg(&clean)]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        !shown.contains("fixed (0)") && shown.contains("still failing (0)"),
        "{shown}"
    );

    let out = binary(dir.path(), &["diff", &arg(&old), "no-such.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such.json"));

    // A device is refused at once, not read until memory runs out.
    #[cfg(unix)]
    {
        let out = binary(dir.path(), &["diff", &arg(&old), "/dev/zero"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("/dev/zero") && err.contains("not a regular file"),
            "{err}"
        );
    }
}

/// The reference server behind a layer that answers `429 Retry-After: <wait>` the first time it
/// sees each request (method, path and body) and lets the second through, and records each
/// request's identifying headers.
/// The User-Agent and X-Conformance-Run of each request a test server saw.
type SentBy = Arc<Mutex<Vec<(String, String)>>>;

fn throttling(
    config: ServerConfig,
    wait: &'static str,
) -> (SocketAddr, SentBy, tokio::runtime::Runtime) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let first_time = Arc::new(Mutex::new(std::collections::HashSet::new()));
    let log = seen.clone();
    let app = provisionr_conformance::server::app(config).layer(axum::middleware::from_fn(
        move |req: Request<Body>, next: axum::middleware::Next| {
            let (log, first_time) = (log.clone(), first_time.clone());
            let header = |n: &str| {
                req.headers()
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            let sent_by = (header("user-agent"), header("x-conformance-run"));
            async move {
                log.lock().unwrap().push(sent_by);
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                let key = (
                    parts.method.to_string(),
                    parts.uri.to_string(),
                    bytes.clone(),
                );
                if first_time.lock().unwrap().insert(key) {
                    let mut r: Response = StatusCode::TOO_MANY_REQUESTS.into_response();
                    r.headers_mut().insert("retry-after", wait.parse().unwrap());
                    return r;
                }
                next.run(Request::from_parts(parts, Body::from(bytes)))
                    .await
            }
        },
    ));
    let (addr, rt) = crate::common::serve_app(app);
    (addr, seen, rt)
}

/// Points the plan at a throttling reference server that knows the plan's token and service.
fn throttle(
    p: &mut provisionr_conformance::engine::run::Plan,
    wait: &'static str,
) -> (SentBy, tokio::runtime::Runtime) {
    let config = ServerConfig {
        token: p.token.expose().to_string(),
        services: p.path_values.values().cloned().collect(),
        faults: FaultSet::none(),
        variations: Default::default(),
        reject_past_expiry: false,
    };
    let (addr, seen, rt) = throttling(config, wait);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    (seen, rt)
}

#[test]
fn a_429_with_retry_after_is_waited_out_and_retried_once_and_every_request_says_who_sent_it() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let mut p = plan(
        dir.path(),
        &[
            "--summary",
            summary.to_str().unwrap(),
            "--test-threads",
            "1",
            "--cases",
            "4",
        ],
    );
    let (seen, _rt) = throttle(&mut p, "0");
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    let s = summary_of(dir.path());
    // Every request was answered 429 the first time (but for a few that repeat an earlier
    // request exactly), and passed on its one retry.
    let (retries, requests) = (
        s["retries"].as_u64().unwrap(),
        s["requests"].as_u64().unwrap(),
    );
    assert!(
        retries > 70 && retries * 2 <= requests,
        "{retries} of {requests}"
    );
    assert!(outcome.results[0]
        .notes
        .iter()
        .any(|n| n.contains("Retry-After")));
    let run_id = s["run_id"].as_str().unwrap().to_string();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len() as u64, s["requests"].as_u64().unwrap());
    for (agent, id) in seen.iter() {
        assert!(agent.starts_with("provisionr-conformance/"), "{agent}");
        assert_eq!(id, &run_id);
    }
}

#[test]
fn a_retry_after_longer_than_max_wait_leaves_the_case_not_tested() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(
        dir.path(),
        &["example::page_example", "--exact", "--max-wait", "1"],
    );
    let (_, _rt) = throttle(&mut p, "120");
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 3);
    let e = outcome.results[0].transport_error().unwrap();
    assert_eq!(e.kind.as_str(), "throttled");
    assert!(e.message.contains("--max-wait"), "{}", e.message);
}

#[test]
fn derived_case_ids_stay_stable() {
    // Known-failures files and `diff` name cases by id: a renamed case would silently turn a
    // known failure into a new one. Update the fixture only on purpose, and say so in the
    // changelog.
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path(), &["run", "--list"]);
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once("] ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.strip_suffix(": test"))
        .map(str::to_string)
        .collect();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/case-ids.txt");
    let expected: Vec<String> = std::fs::read_to_string(&fixture)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(
        listed,
        expected,
        "case ids changed; see {}",
        fixture.display()
    );
}

#[test]
fn no_progress_line_without_a_terminal() {
    // The progress line draws on stderr only when stdout and stderr are terminals; here both
    // are pipes, as in CI, so neither may carry it.
    let dir = tempfile::tempdir().unwrap();
    let out = binary(
        dir.path(),
        &[
            "run",
            "--no-persist",
            "--duration",
            "1s",
            "property::valid_body",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains("\x1b[2K"), "{name}: {text}");
        assert!(!text.contains("requests ("), "{name}: {text}");
        assert!(!text.contains('\r'), "{name}: {text}");
    }
}
