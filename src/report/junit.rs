//! JUnit XML: one testcase per case, `<failure>` for a violation, `<error>` for a transport problem.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::check::Verdict;
use crate::contract::{Severity, Untested};
use crate::engine::outcome::{CaseResult, RunInfo, Status};
use crate::engine::setup::SetupCause;
use crate::redact::Redactor;

/// Why the JUnit report could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    #[error(transparent)]
    Render(#[from] quick_junit::SerializeError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// One operation's results, and the set-up cause they point at, if any.
pub struct Suite<'a> {
    pub operation: &'a str,
    pub results: &'a [CaseResult],
    pub cause: Option<&'a SetupCause>,
}

/// Builds the report as XML text, one `<testsuite>` per operation with its results; every string
/// passes through the redactor. The run's facts are properties of every suite; the created ids
/// are listed once, in the first.
pub fn render(
    info: &RunInfo,
    suites: &[Suite<'_>],
    untested: &[Untested],
    redactor: &Redactor,
) -> Result<String, JunitError> {
    let x = |s: &str| redactor.for_xml(s);
    let mut report = Report::new("provisionr-conformance");
    for (i, s) in suites.iter().enumerate() {
        let mut suite = TestSuite::new(x(s.operation));
        suite.set_time(info.elapsed);
        suite.set_timestamp(chrono_time(info.timestamp));
        if let Some(cause) = s.cause {
            suite.add_property(Property::new("setup_cause", x(&cause.hint)));
        }
        for (k, v) in suite_properties(info, s.results) {
            suite.add_property(Property::new(k, x(&v)));
        }
        if i == 0 && !(info.created_ids.is_empty() && info.possible_duplicates.is_empty()) {
            suite.set_system_out(x(&created_text(info)));
        }
        for r in s.results.iter() {
            let cause = s.cause.filter(|c| c.explains(r));
            suite.add_test_case(test_case(s.operation, r, cause, redactor));
        }
        report.add_test_suite(suite);
    }
    if !untested.is_empty() {
        report.add_test_suite(untested_suite(info, untested, redactor));
    }
    Ok(report.to_string()?)
}

/// The operations the document could not test, one skipped testcase each with the reason and
/// its place in the document: shown, never counted as a failure.
fn untested_suite(info: &RunInfo, untested: &[Untested], redactor: &Redactor) -> TestSuite {
    let x = |s: &str| redactor.for_xml(s);
    let mut suite = TestSuite::new("not tested");
    suite.set_timestamp(chrono_time(info.timestamp));
    for u in untested {
        let mut st = TestCaseStatus::skipped();
        st.set_message(x(&format!("{} (at {})", u.reason, u.pointer)));
        let mut tc = TestCase::new(x(&format!("{} ({} {})", u.operation, u.method, u.path)), st);
        tc.set_classname(x(&u.operation));
        suite.add_test_case(tc);
    }
    suite
}

/// The run's facts, one `warning` per warning, and one `failure` per kind of failure of a test
/// that failed in several ways, so none hides behind the first.
fn suite_properties(info: &RunInfo, results: &[CaseResult]) -> Vec<(&'static str, String)> {
    let mut props = vec![
        ("target", info.target.clone()),
        ("base_url", info.base_url.clone()),
        ("strict", info.strict.to_string()),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
    ];
    if let Some(seed) = info.seed {
        props.push(("seed", seed.to_string()));
    }
    if info.insecure_http {
        props.push((
            "insecure_http",
            "true: the token went over plain HTTP to another host (--allow-insecure-http)".into(),
        ));
    }
    let warnings = super::human::warning_lines(results);
    props.push(("warnings", warnings.len().to_string()));
    props.push(("created", info.created.to_string()));
    if !info.possible_duplicates.is_empty() {
        props.push((
            "possible_duplicates",
            info.possible_duplicates.len().to_string(),
        ));
    }
    props.push(("requests", info.requests.to_string()));
    props.push(("generated", info.generated.to_string()));
    props.extend(warnings.into_iter().map(|w| ("warning", w)));
    for r in results.iter().filter(|r| !r.more.is_empty()) {
        for part in r.parts() {
            if let Some(v) = part.verdicts.iter().find(|v| v.severity == Severity::Error) {
                props.push(("failure", format!("{}: {}", r.case.id, one_line(v))));
            }
        }
    }
    props
}

/// What the run left on the target, for clean-up after a run against staging.
fn created_text(info: &RunInfo) -> String {
    let mut text = String::new();
    if !info.created_ids.is_empty() {
        let lines: Vec<String> = info
            .created_ids
            .iter()
            .map(|c| format!("{} (created by {})", c.id, c.operation))
            .collect();
        text = format!("created ids:\n{}\n", lines.join("\n"));
    }
    let more = info.created.saturating_sub(info.created_ids.len() as u64);
    if more > 0 {
        text.push_str(&format!(
            "... and {more} more (the --created file lists them all)\n"
        ));
    }
    if !info.possible_duplicates.is_empty() {
        text.push_str("possible duplicates (sent twice after a closed connection; the first send may have created something too):\n");
        for d in &info.possible_duplicates {
            text.push_str(&d.describe());
            text.push('\n');
        }
    }
    text
}

fn one_line(v: &Verdict) -> String {
    format!(
        "{}: expected {}, got {}",
        v.headline(),
        v.expected,
        v.actual
    )
}

/// One testcase: `<failure>` for a violation, `<error>` when it could not be tested. A failure
/// a set-up cause explains says so in its message.
fn test_case(
    operation: &str,
    r: &CaseResult,
    cause: Option<&SetupCause>,
    redactor: &Redactor,
) -> TestCase {
    let x = |s: &str| redactor.for_xml(s);
    let status = match r.status() {
        // Passing cases keep their warnings in system-out without becoming failures.
        Status::Passed => TestCaseStatus::success(),
        // Accepted on purpose until a date: shown as skipped, as test runners show an xfail.
        Status::Known => {
            let mut st = TestCaseStatus::skipped();
            if let Some(m) = r.known().find_map(|v| v.known.as_ref()) {
                st.set_message(x(&m.describe()));
            }
            st.set_description(x(&super::human::failure_text(r, redactor)));
            st
        }
        Status::Failed => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            if let Some(v) = r.errors().next() {
                let message = match cause {
                    Some(c) => format!("{} (likely set-up cause: {})", one_line(v), c.hint),
                    None => one_line(v),
                };
                st.set_message(x(&message));
                st.set_type(x(&v.check));
            }
            st.set_description(x(&super::human::failure_text(r, redactor)));
            st
        }
        // Cut by the `--duration` budget: not tested, and no error of the run.
        Status::Error if r.cut_by_budget() => {
            let mut st = TestCaseStatus::skipped();
            if let Some(e) = r.transport_error() {
                st.set_message(x(&e.message));
                st.set_type(e.kind.as_str());
            }
            st
        }
        Status::Error => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            if let Some(e) = r.parts().find_map(CaseResult::transport_error) {
                st.set_message(x(&e.message));
                st.set_type(e.kind.as_str());
            }
            st.set_description(x(&super::human::failure_text(r, redactor)));
            st
        }
    };
    let mut tc = TestCase::new(x(&r.case.id), status);
    tc.set_classname(x(&format!("{operation}.{}", r.case.kind)));
    tc.set_time(r.exchange.elapsed);
    tc.set_system_out(x(&super::human::exchange_text(r)));
    tc
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
