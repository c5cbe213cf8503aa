//! Helpers: plans built through the real command line, and runs against a faulty server.

use std::path::{Path, PathBuf};

use clap::Parser;
use provisionr_conformance::cli::{Cli, Command};
use provisionr_conformance::report::CaseResult;
use provisionr_conformance::run::{self, Plan, RunOutcome, TargetChoice};
use provisionr_conformance::server::{Fault, FaultSet};

/// A plan from `run <args>`, quiet, with the JUnit report in `dir`.
pub fn plan(dir: &Path, args: &[&str]) -> Plan {
    let junit = dir.join("junit.xml");
    let mut argv = vec![
        "provisionr-conformance",
        "run",
        "--quiet",
        "--no-persist",
        "--junit",
        junit.to_str().unwrap(),
    ];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("arguments parse");
    let Command::Run(run_args) = cli.command else {
        panic!("not a run command")
    };
    let mut plan = run_args.plan().expect("plan builds");
    plan.verbose = false;
    // Tests run in one process: leave its signals alone.
    plan.handle_signals = false;
    plan
}

/// Runs the shipped suite against the embedded server with these faults switched on.
pub fn run_with(dir: &Path, faults: &[&str], args: &[&str]) -> RunOutcome {
    let mut p = plan(dir, args);
    let faults: Vec<Fault> = faults
        .iter()
        .map(|f| f.parse().expect("fault name"))
        .collect();
    p.target = TargetChoice::Embedded {
        faults: FaultSet::with(faults),
        reject_past_expiry: false,
    };
    run::run(p).expect("run completes")
}

/// Whether some case whose id contains `case` failed check `check`.
pub fn caught(outcome: &RunOutcome, case: &str, check: &str) -> bool {
    outcome
        .results
        .iter()
        .any(|r| r.case.id.contains(case) && r.verdicts.iter().any(|v| v.check == check))
}

/// `(case id, check)` for every verdict, for assertion messages.
pub fn verdicts(outcome: &RunOutcome) -> Vec<(String, String)> {
    outcome
        .results
        .iter()
        .flat_map(|r: &CaseResult| {
            r.verdicts
                .iter()
                .map(move |v| (r.case.id.clone(), v.check.clone()))
        })
        .collect()
}

/// Whether the result failed `check` with an actual value starting with `actual`.
pub fn failed_with(r: &CaseResult, check: &str, actual: &str) -> bool {
    r.verdicts
        .iter()
        .any(|v| v.check == check && v.actual.starts_with(actual))
}

/// The relaxed JUnit 10 XSD that every report must validate against.
pub fn junit_xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit-10-relaxed.xsd")
}

/// Validates a JUnit report against the relaxed JUnit 10 XSD: in-process with the XSD's rules
/// (nothing to install), then with xmllint as a second opinion where it is on PATH.
pub fn assert_valid_junit(report: &Path) {
    let bytes = std::fs::read(report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    let xml = String::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{} is not UTF-8: {e}", report.display()));
    let problems = crate::junit_schema::problems(&xml);
    assert!(
        problems.is_empty(),
        "{} does not validate:\n{}",
        report.display(),
        problems.join("\n")
    );
    // The XSD lets any of its elements be the root; a report of ours is always <testsuites>.
    let doc = roxmltree::Document::parse(&xml).expect("parsed above");
    assert_eq!(doc.root_element().tag_name().name(), "testsuites");
    if let Some(Err(stderr)) = xmllint(report) {
        panic!(
            "{} does not validate (xmllint):\n{stderr}",
            report.display()
        );
    }
}

/// xmllint's verdict on a file against the XSD, or `None` when xmllint is not installed.
pub fn xmllint(file: &Path) -> Option<Result<(), String>> {
    let out = match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(junit_xsd())
        .arg(file)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("xmllint is on PATH but does not run: {e}"),
    };
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}
