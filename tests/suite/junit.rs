//! The JUnit report: valid against the relaxed XSD, with failures, errors and redaction.

use crate::common::{assert_valid_junit, plan, run_with};
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;

#[test]
fn a_passing_run_writes_valid_junit() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &[], &[]);
    assert_eq!(outcome.exit_code, 0);
    let path = outcome.junit.unwrap();
    assert_valid_junit(&path);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), outcome.results.len());
    assert!(xml.contains("classname=\"create_service_access_token.boundary\""));
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn violations_become_failures_in_valid_junit() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &["enum-wrong-value"], &[]);
    assert_eq!(outcome.exit_code, 1);
    let path = outcome.junit.unwrap();
    assert_valid_junit(&path);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(
        xml.contains("<failure message=\"check `enum` failed at /name"),
        "{xml}"
    );
    assert!(xml.contains("type=\"enum\""));
}

#[test]
fn an_unreachable_target_is_an_error_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    // A port that was just free: nothing listens there.
    let port = crate::common::closed_port();
    let mut p = plan(dir.path(), &[]);
    p.target = TargetChoice::Remote {
        base_url: format!("http://127.0.0.1:{port}/api/v1").parse().unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 3);
    assert!(outcome
        .results
        .iter()
        .all(|r| r.transport_error().is_some()));
    let path = outcome.junit.unwrap();
    assert_valid_junit(&path);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains("<error message="), "{xml}");
    assert!(xml.contains("type=\"connect\""), "{xml}");
    assert!(!xml.contains("<failure"));
}

#[test]
fn the_report_parses_back_with_one_testcase_per_case() {
    use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &["counts-bytes"], &[]);
    let xml = std::fs::read_to_string(outcome.junit.as_ref().unwrap()).unwrap();
    let report = Report::deserialize_from_str(&xml).expect("quick-junit reads its own report back");
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "create_service_access_token");
    assert_eq!(suite.test_cases.len(), outcome.results.len());
    for (tc, r) in suite.test_cases.iter().zip(&outcome.results) {
        assert_eq!(tc.name.as_str(), r.case.id);
        let classname = tc.classname.as_ref().unwrap().as_str();
        assert_eq!(
            classname,
            format!("create_service_access_token.{}", r.case.kind)
        );
    }
    let failed: Vec<(&str, Option<&str>)> = suite
        .test_cases
        .iter()
        .filter_map(|tc| match &tc.status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ty,
                ..
            } => Some((tc.name.as_str(), ty.as_ref().map(|t| t.as_str()))),
            _ => None,
        })
        .collect();
    assert!(
        failed.contains(&("boundary::name::max_length_emoji", Some("status"))),
        "{failed:?}"
    );
    assert!(
        failed.iter().all(|(_, ty)| *ty == Some("status")),
        "{failed:?}"
    );
    let seed = suite
        .properties
        .iter()
        .find(|p| p.name.as_str() == "seed")
        .expect("seed property");
    assert!(seed.value.as_str().parse::<u64>().is_ok());
}
