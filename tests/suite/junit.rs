//! The JUnit report: valid against the relaxed XSD, with failures, errors and redaction.

use std::path::Path;
use std::process::Command;

use crate::common::{plan, run_with};
use provisionr_conformance::run::{self, TargetChoice};

fn xmllint(report: &Path) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit-10-relaxed.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(report)
        .output()
        .expect("xmllint runs (install Debian's libxml2-utils)");
    assert!(
        out.status.success(),
        "{} does not validate:\n{}",
        report.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_passing_run_writes_valid_junit() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &[], &[]);
    assert_eq!(outcome.exit_code, 0);
    let path = outcome.junit.unwrap();
    xmllint(&path);
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
    xmllint(&path);
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut p = plan(dir.path(), &[]);
    p.target = TargetChoice::Remote {
        base_url: format!("http://127.0.0.1:{port}/api/v1"),
    };
    let outcome = run::run(p).unwrap();
    assert_eq!(outcome.exit_code, 3);
    assert!(outcome
        .results
        .iter()
        .all(|r| r.transport_error().is_some()));
    let path = outcome.junit.unwrap();
    xmllint(&path);
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains("<error message="), "{xml}");
    assert!(xml.contains("type=\"connect\""), "{xml}");
    assert!(!xml.contains("<failure"));
}
