//! Helpers: plans built through the real command line, and runs against a faulty server.

use std::path::Path;

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
        variations: Default::default(),
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

/// Validates a JUnit report against the relaxed JUnit 10 XSD.
pub fn xmllint(report: &Path) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit-10-relaxed.xsd");
    let out = std::process::Command::new("xmllint")
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
