//! Every rule the suite enforces, proven against a server that breaks exactly that rule.

use crate::common::{caught, run_with, verdicts};

#[test]
fn the_clean_server_passes_with_no_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &[], &[]);
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    assert!(outcome.results.len() >= 65, "{}", outcome.results.len());
    assert_eq!(outcome.tally.warnings, 0, "{:?}", verdicts(&outcome));
    assert!(outcome.results.iter().all(|r| r.exchange.outcome.is_ok()));
}

/// (fault, case id fragment, check that must catch it).
const RULES: &[(&str, &str, &str)] = &[
    ("enum-wrong-value", "example::page_example", "enum"),
    ("counts-bytes", "boundary::name::max_length_2byte", "status"),
    (
        "max-length-off-by-one",
        "boundary::name::max_length_ascii",
        "status",
    ),
    (
        "naive-date-time",
        "date_time::expires_at::no_offset",
        "status",
    ),
    ("crash-on-null", "null::expires_at::null", "status"),
    (
        "no-required-description",
        "required::description::missing",
        "status",
    ),
    ("any-token", "auth::wrong_token", "status"),
    (
        "unknown-service-accepted",
        "path::service::unknown",
        "status",
    ),
    (
        "ignores-expiry",
        "date_time::expires_at::offset",
        "same_instant",
    ),
    ("content-type-text", "example::page_example", "content_type"),
    ("missing-id", "example::page_example", "response_schema"),
    (
        "mins-in-seconds",
        "example::page_example",
        "minutes_between",
    ),
    ("same-id", "", "unique"),
    ("wrong-kind", "example::page_example", "equals"),
    ("truncates-description", "example::page_example", "echo"),
];

#[test]
fn each_rule_is_enforced_against_a_server_that_breaks_it() {
    let mut missed = Vec::new();
    for (fault, case, check) in RULES {
        let dir = tempfile::tempdir().unwrap();
        let outcome = run_with(dir.path(), &[fault], &[]);
        if !caught(&outcome, case, check) {
            missed.push(format!(
                "{fault}: no `{check}` verdict on {case}: {:?}",
                verdicts(&outcome)
            ));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

#[test]
fn warnings_do_not_fail_a_run_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let relaxed = run_with(dir.path(), &["wrong-kind"], &[]);
    assert!(relaxed.tally.warnings > 0);
    assert_eq!(relaxed.exit_code, 0);
    let strict = run_with(dir.path(), &["wrong-kind"], &["--strict"]);
    assert_eq!(strict.exit_code, 1);
}

#[test]
fn a_skipped_check_reports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &["enum-wrong-value"], &["--skip-check", "enum"]);
    assert!(!caught(&outcome, "", "enum"));
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
}
