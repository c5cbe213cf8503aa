//! JUnit XML: one testcase per case, `<failure>` for a violation, `<error>` for a transport problem.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{CaseResult, RunInfo, Status};
use crate::execute::Target;
use crate::redact::Redactor;

/// Builds the report as XML text; every string passes through the redactor.
pub fn render(
    info: &RunInfo,
    results: &[CaseResult],
    target: &Target,
    redactor: &Redactor,
) -> Result<String, String> {
    let x = |s: &str| redactor.for_xml(s);
    let mut report = Report::new("provisionr-conformance");
    let mut suite = TestSuite::new(x(&info.operation));
    suite.set_time(info.elapsed);
    suite.set_timestamp(chrono_time(info.timestamp));
    let mut props = vec![
        ("target", info.target.clone()),
        ("base_url", info.base_url.clone()),
        ("strict", info.strict.to_string()),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
    ];
    if let Some(seed) = info.seed {
        props.push(("seed", seed.to_string()));
    }
    let warnings = super::human::warning_lines(results);
    props.push(("warnings", warnings.len().to_string()));
    props.push(("created", info.created.len().to_string()));
    props.push(("requests", info.requests.to_string()));
    if !info.created.is_empty() {
        // What the run left on the target, for clean-up after a run against staging.
        suite.set_system_out(x(&format!("created ids:\n{}\n", info.created.join("\n"))));
    }
    for (k, v) in props {
        suite.add_property(Property::new(k, x(&v)));
    }
    for w in &warnings {
        suite.add_property(Property::new("warning", x(w)));
    }
    for r in results {
        let mut status = match r.status() {
            Status::Passed => TestCaseStatus::success(),
            Status::Failed => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let first = r.errors().next();
                if let Some(v) = first {
                    st.set_message(x(&format!(
                        "{}: expected {}, got {}",
                        v.headline(),
                        v.expected,
                        v.actual
                    )));
                    st.set_type(x(&v.check));
                }
                st.set_description(x(&super::human::failure_text(r, target, redactor)));
                st
            }
            Status::Error => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                if let Some(e) = r.transport_error() {
                    st.set_message(x(&e.message));
                    st.set_type(e.kind.as_str());
                }
                st.set_description(x(&super::human::failure_text(r, target, redactor)));
                st
            }
        };
        if r.status() == Status::Passed && r.warnings().next().is_some() {
            // Passing cases keep their warnings visible without turning them into failures.
            status = TestCaseStatus::success();
        }
        let mut tc = TestCase::new(x(&r.case.id), status);
        tc.set_classname(x(&format!("{}.{}", info.operation, r.case.kind)));
        tc.set_time(r.exchange.elapsed);
        tc.set_system_out(x(&super::human::exchange_text(r)));
        suite.add_test_case(tc);
    }
    report.add_test_suite(suite);
    report.to_string().map_err(|e| e.to_string())
}

/// A report with one `<error>` testcase, for a run that could not start (a bad flag or file).
pub fn render_setup_error(message: &str) -> String {
    let x = |s: &str| Redactor::default().for_xml(s);
    let mut suite = TestSuite::new("provisionr-conformance");
    let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
    st.set_message(x(message.lines().next().unwrap_or(message)));
    st.set_type("setup");
    st.set_description(x(message));
    let mut tc = TestCase::new("setup", st);
    tc.set_classname("provisionr-conformance.setup");
    suite.add_test_case(tc);
    let mut report = Report::new("provisionr-conformance");
    report.add_test_suite(suite);
    // Serializing a report built only from owned strings cannot fail in practice; fall back to
    // a minimal valid document rather than panic.
    report
        .to_string()
        .unwrap_or_else(|_| "<testsuites name=\"provisionr-conformance\"/>".to_string())
}

fn chrono_time(t: std::time::SystemTime) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::<chrono::Utc>::from(t).fixed_offset()
}
