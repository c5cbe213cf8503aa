//! Every rule the suite enforces, proven against a server that breaks exactly that rule.

use crate::common::{caught, plan, run_with, verdicts};
use provisionr_conformance::cases::Class;
use provisionr_conformance::run::{self, TargetChoice};
use provisionr_conformance::server::FaultSet;

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
    (
        "unnamed-validation-errors",
        "boundary::name::max_length_plus_1_ascii",
        "error_body",
    ),
    ("no-allow-header", "method::get", "allow_header"),
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

#[test]
fn a_server_that_refuses_past_expiries_is_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), &[]);
    p.target = TargetChoice::Embedded {
        faults: FaultSet::none(),
        variations: Default::default(),
        reject_past_expiry: true,
    };
    let outcome = run::run(p).unwrap();
    let past = outcome
        .results
        .iter()
        .find(|r| r.case.id == "date_time::expires_at::past")
        .unwrap();
    assert_eq!(past.case.class(), Class::Unspecified);
    assert_eq!(
        past.exchange.outcome.as_ref().unwrap().status,
        422,
        "the server did refuse it"
    );
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    assert_eq!(outcome.tally.warnings, 0);
}

#[test]
fn an_unspecified_case_still_may_not_crash_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(
        dir.path(),
        &["server-error-for-validation"],
        &["date_time::expires_at::"],
    );
    assert!(caught(
        &outcome,
        "date_time::expires_at::no_offset",
        "status"
    ));
    assert_eq!(outcome.exit_code, 1);
}
