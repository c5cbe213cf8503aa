//! A misconfigured run (a wrong base URL, token or service; a target that is not there; a
//! known-failures file not made yet) says so plainly, instead of looking like dozens of
//! contract violations.

use std::path::Path;
use std::process::{Command, Output};

use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::outcome::Status;
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::http::Secret;
use provisionr_conformance::report::write::run_and_write;
use serde_json::Value;

use crate::common::{assert_valid_junit, plan, text, Served, SERVE_TOKEN};
use crate::gate::summary_of;

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");

/// `run ARGS` as a process, with the token `Served` accepts, its reports in `dir`.
fn binary(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["run", "--no-persist", "--junit", "junit.xml"])
        .args(["--summary", "summary.json", "--cases", "4"])
        .args(args)
        .env("PROVISIONR_TOKEN", SERVE_TOKEN)
        .current_dir(dir)
        .output()
        .expect("run starts")
}

/// The index of the first line for which `pick` holds.
fn line_of(lines: &[&str], pick: impl Fn(&str) -> bool) -> Option<usize> {
    lines.iter().position(|l| pick(l))
}

#[test]
fn a_wrong_base_url_is_said_first_and_last_and_its_404s_are_grouped_under_it() {
    let served = Served::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // The API root twice, as when the document's paths already hold it.
    let base_url = format!("{}/api/v1", served.base_url);
    let out = binary(
        dir.path(),
        &["--base-url", &base_url, "--service", "svc_e2e"],
    );
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!text(&out).contains(SERVE_TOKEN));

    let lines: Vec<&str> = shown.lines().collect();
    let is_hint = |l: &str| {
        l.starts_with("set-up: every valid request")
            && l.contains("was answered 404: is --base-url the API root")
            && l.contains("the requests went to /api/v1/api/v1/workspace/services/svc_e2e/")
    };
    let first = line_of(&lines, is_hint).unwrap_or_else(|| panic!("no hint:\n{shown}"));
    let running = line_of(&lines, |l| l.starts_with("running ")).unwrap();
    let summary = line_of(&lines, |l| l.starts_with("summary: ")).unwrap();
    let last = lines.iter().rposition(|l| is_hint(l)).unwrap();
    assert!(first < running, "not said before the test list:\n{shown}");
    assert!(last > summary, "not said after the summary:\n{shown}");

    // The violations and the exit code stay, grouped under the cause everywhere.
    let s = summary_of(dir.path());
    assert!(
        s["counts"]["violations"].as_u64().unwrap() > 30,
        "{}",
        s["counts"]
    );
    let causes = s["setup_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{causes:?}");
    let cause = &causes[0];
    assert_eq!(cause["status"], 404);
    assert!(cause["path"]
        .as_str()
        .unwrap()
        .starts_with("/api/v1/api/v1/"));
    let grouped = cause["cases"].as_array().unwrap().len();
    assert!(grouped as u64 > 30, "{cause}");
    assert!(grouped as u64 <= s["counts"]["failed"].as_u64().unwrap());
    assert_eq!(
        shown.matches("grouped under the set-up cause").count(),
        grouped,
        "each grouped failure is short in the console, and says so:\n{shown}"
    );
    assert!(
        lines[last].contains(&format!("({grouped} failed cases answered 404")),
        "{}",
        lines[last]
    );

    let junit_path = dir.path().join("junit.xml");
    assert_valid_junit(&junit_path);
    let xml = std::fs::read_to_string(&junit_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let property = doc
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("setup_cause"))
        .expect("a setup_cause property");
    assert_eq!(property.attribute("value"), cause["hint"].as_str());
    let with_cause = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter(|n| {
            n.attribute("message")
                .is_some_and(|m| m.contains("likely set-up cause: every valid request"))
        })
        .count();
    assert_eq!(with_cause, grouped);
}

/// The shipped suite in-process against `served`, with `token`, its summary in `dir`.
fn against(dir: &Path, served: &Served, token: &str, args: &[&str]) -> (RunOutcome, Value) {
    let summary = dir.join("summary.json");
    let mut all = vec!["--summary", summary.to_str().unwrap(), "--cases", "4"];
    all.extend_from_slice(args);
    let mut p = plan(dir, &all);
    p.target = TargetChoice::Remote {
        base_url: served.base_url.clone().parse().unwrap(),
    };
    p.token = Secret::new(token);
    p.path_values.insert("service".into(), "svc_e2e".into());
    let outcome = run_and_write(p).unwrap();
    let s = summary_of(dir);
    (outcome, s)
}

#[test]
fn a_wrong_token_names_its_variable_and_a_token_without_rights_its_rights() {
    const WRONG: &str = "pvt_not_the_right_one_4242";
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&[]);
    let (outcome, s) = against(
        dir.path(),
        &served,
        WRONG,
        &["--token-env", "STAGING_TOKEN"],
    );
    assert_eq!(outcome.exit_code, 1);
    let hint = s["setup_causes"][0]["hint"]
        .as_str()
        .unwrap_or_else(|| panic!("{s}"));
    assert_eq!(s["setup_causes"][0]["status"], 401);
    assert!(hint.contains("was answered 401"), "{hint}");
    assert!(
        hint.contains("the token in STAGING_TOKEN (--token-env)"),
        "{hint}"
    );
    assert!(!hint.contains(WRONG));

    let forbidding = Served::start(&["forbidden-for-bad-token"]);
    let (_, s) = against(dir.path(), &forbidding, WRONG, &[]);
    let hint = s["setup_causes"][0]["hint"]
        .as_str()
        .unwrap_or_else(|| panic!("{s}"));
    assert!(hint.contains("was answered 403"), "{hint}");
    assert!(hint.contains("rights"), "{hint}");
    assert!(hint.contains("--path-param service=svc_e2e"), "{hint}");

    // The right token: no cause.
    let (outcome, s) = against(dir.path(), &served, SERVE_TOKEN, &[]);
    assert_eq!(outcome.exit_code, 0);
    assert_eq!(s["setup_causes"], serde_json::json!([]));
}

/// The files a run saved under `dir`.
fn files_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn failures_that_share_a_set_up_cause_are_not_saved_as_regression_cases() {
    let dir = tempfile::tempdir().unwrap();
    let regressions = dir.path().join("cases/regressions");
    let run_at = |base_url: String| {
        let mut p = plan(dir.path(), &["--cases", "16", "--seed", "7"]);
        p.target = TargetChoice::Remote {
            base_url: base_url.parse().unwrap(),
        };
        p.token = Secret::new(SERVE_TOKEN);
        p.path_values.insert("service".into(), "svc_e2e".into());
        p.properties.as_mut().unwrap().persist = Some(regressions.clone());
        run_and_write(p).unwrap()
    };

    let served = Served::start(&[]);
    let outcome = run_at(format!("{}/api/v1", served.base_url));
    assert_eq!(outcome.exit_code, 1);
    let valid_body = outcome
        .results
        .iter()
        .find(|r| r.case.id == "property::valid_body")
        .unwrap();
    assert_eq!(valid_body.status(), Status::Failed);
    assert_eq!(files_in(&regressions), Vec::<String>::new());
    assert!(
        valid_body
            .notes
            .iter()
            .any(|n| n.starts_with("not saved as a regression case")),
        "{:?}",
        valid_body.notes
    );

    // A real failure, in a run whose valid cases pass, is still saved.
    let failing = Served::start(&["intermittent-500"]);
    let outcome = run_at(failing.base_url.clone());
    assert_eq!(outcome.exit_code, 1);
    let saved = files_in(&regressions);
    assert!(!saved.is_empty(), "nothing saved: {:?}", outcome.results);
}

#[test]
fn a_refused_connection_is_printed_once_with_its_count_and_not_counted_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::closed_port();
    let base_url = format!("http://127.0.0.1:{port}/api/v1");
    let out = binary(
        dir.path(),
        &["--base-url", &base_url, "--service", "svc_e2e"],
    );
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let s = summary_of(dir.path());
    let cases = s["counts"]["cases"].as_u64().unwrap();
    assert_eq!(s["counts"]["not_tested"], cases);

    let result = shown
        .lines()
        .find(|l| l.starts_with("test result: "))
        .unwrap_or_else(|| panic!("no test result line:\n{shown}"));
    assert!(
        result.contains(&format!("0 passed; 0 failed; {cases} ignored")),
        "{result}"
    );
    assert!(
        shown.contains(&format!("0 failed, {cases} not tested")),
        "{shown}"
    );

    // Each distinct transport error once, with how many cases it stopped.
    let not_tested = s["not_tested"].as_array().unwrap();
    let mut messages: Vec<&str> = not_tested
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    messages.sort();
    messages.dedup();
    assert!(
        messages.iter().any(|m| m.contains("Connection refused")),
        "{messages:?}"
    );
    for m in &messages {
        let n = not_tested.iter().filter(|t| t["message"] == *m).count();
        assert_eq!(
            shown.matches(m).count(),
            1,
            "{m} printed more than once:\n{shown}"
        );
        let cases = if n == 1 { "case" } else { "cases" };
        assert!(shown.contains(&format!("{n} {cases}: ")), "{shown}");
    }
    assert!(shown.lines().count() < cases as usize + 40, "{shown}");

    // The JUnit report keeps one <error> per case.
    let xml = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let errors = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .count();
    assert_eq!(errors as u64, cases);
}

#[test]
fn a_missing_known_failures_file_says_an_empty_one_accepts_nothing_and_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path(), &["--known-failures", "ci/known-failures.toml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(err.contains("an empty file accepts nothing"), "{err}");
    assert!(err.contains("touch ci/known-failures.toml"), "{err}");
    assert!(
        err.contains("--known-failures ci/known-failures.toml --update-known-failures"),
        "{err}"
    );
}

#[test]
fn a_known_failure_whose_reason_reads_todo_is_a_warning_on_the_console_and_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("known.toml"),
        "[[known]]\ncase = \"example::page_example\"\ncheck = \"status\"\n\
         reason = \"TODO: say why this failure is accepted, and link the issue that tracks it\"\n\
         expires = 2099-12-31\n",
    )
    .unwrap();
    let out = binary(
        dir.path(),
        &[
            "--known-failures",
            "known.toml",
            "example::page_example",
            "--exact",
        ],
    );
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        shown.contains(
            "warning: known failure `example::page_example` / `status`: its reason still reads TODO"
        ),
        "{shown}"
    );
    let s = summary_of(dir.path());
    let warning = s["known_failure_entries"][0]["warning"].as_str();
    assert!(warning.is_some_and(|w| w.contains("TODO")), "{s}");
}

#[test]
fn the_class_fractions_do_not_count_known_failures_as_passed() {
    let served = Served::start(&["counts-bytes"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("known.toml"),
        "[[known]]\ncase = \"*\"\ncheck = \"*\"\nreason = \"all accepted in the test\"\nexpires = 2099-12-31\n",
    )
    .unwrap();
    let out = binary(
        dir.path(),
        &[
            "--base-url",
            &served.base_url,
            "--service",
            "svc_e2e",
            "--known-failures",
            "known.toml",
        ],
    );
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = summary_of(dir.path());
    assert!(
        s["counts"]["known"].as_u64().unwrap() > 0,
        "{}",
        s["counts"]
    );
    let line = shown
        .lines()
        .find(|l| l.starts_with("summary: "))
        .unwrap_or_else(|| panic!("{shown}"));
    for (class, counts) in s["counts"]["by_class"].as_object().unwrap() {
        let n = |k: &str| counts[k].as_u64().unwrap();
        let total = n("passed") + n("known") + n("failed") + n("not_tested");
        let mut expected = format!("{class} {}/{total}", n("passed"));
        if n("known") > 0 {
            expected.push_str(&format!(" (+{} known)", n("known")));
        }
        assert!(line.contains(&expected), "{expected} not in {line}");
    }
}

#[test]
fn failures_that_share_a_set_up_cause_are_not_written_as_known_failures() {
    let served = Served::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known.toml");
    let file_arg = file.to_str().unwrap();
    let mut p = plan(
        dir.path(),
        &[
            "--cases",
            "4",
            "--known-failures",
            file_arg,
            "--update-known-failures",
        ],
    );
    p.target = TargetChoice::Remote {
        base_url: format!("{}/api/v1", served.base_url).parse().unwrap(),
    };
    p.token = Secret::new(SERVE_TOKEN);
    p.path_values.insert("service".into(), "svc_e2e".into());
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 1);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(!written.contains("[[known]]"), "{written}");
}
