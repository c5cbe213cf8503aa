//! Helpers: plans built through the real command line, runs against a faulty or varied server,
//! and a `serve` process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

use clap::Parser;
use provisionr_conformance::app::cli::{Cli, Command};
use provisionr_conformance::engine::outcome::CaseResult;
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::run::{Plan, TargetChoice};
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::server::{Fault, FaultSet, VariationSet};

/// Serves `app` on 127.0.0.1, port 0, on a runtime of its own, which stops it when dropped.
pub fn serve_app(app: axum::Router) -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, rt)
}

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
    let faults: Vec<Fault> = faults
        .iter()
        .map(|f| f.parse().expect("fault name"))
        .collect();
    run_on(dir, FaultSet::with(faults), VariationSet::none(), args)
}

/// Runs the shipped suite against the embedded server with these faults and variations.
pub fn run_on(dir: &Path, faults: FaultSet, variations: VariationSet, args: &[&str]) -> RunOutcome {
    let mut p = plan(dir, args);
    p.target = TargetChoice::Embedded(provisionr_conformance::server::Options {
        faults,
        variations,
        reject_past_expiry: false,
    });
    run_and_write(p).expect("run completes")
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

/// One line per error of the run: the case, the check, what was expected and what came.
pub fn error_lines(outcome: &RunOutcome) -> Vec<String> {
    outcome
        .results
        .iter()
        .flat_map(|r| {
            r.errors().map(move |e| {
                format!(
                    "{} `{}`: expected {}, got {}",
                    r.case.id, e.check, e.expected, e.actual
                )
            })
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
/// (nothing to install), then with xmllint as a second opinion where [`XMLLINT_VAR`] asks.
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

/// Set (to anything) to have xmllint double-check the JUnit reports; `.ci/run` sets it. Plain
/// `cargo test` runs no program but its own.
pub const XMLLINT_VAR: &str = "PROVISIONR_TEST_XMLLINT";

/// xmllint's verdict on a file against the XSD, or `None` when [`XMLLINT_VAR`] is not set.
pub fn xmllint(file: &Path) -> Option<Result<(), String>> {
    std::env::var_os(XMLLINT_VAR)?;
    let out = match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(junit_xsd())
        .arg(file)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("{XMLLINT_VAR} is set, but xmllint does not run: {e}"),
    };
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

/// The token a [`Served`] server accepts.
pub const SERVE_TOKEN: &str = "pvt_test_secret_9f8e7d6c5b4a";

/// A `serve` process on 127.0.0.1, port 0, knowing service `svc_e2e`; killed on drop.
pub struct Served {
    child: Child,
    pub base_url: String,
}

impl Served {
    /// With these faults switched on.
    pub fn start(faults: &[&str]) -> Self {
        let args: Vec<&str> = faults.iter().flat_map(|f| ["--fault", f]).collect();
        Self::with_args(&args)
    }

    /// With these extra `serve` arguments, such as `--variation NAME`.
    pub fn with_args(args: &[&str]) -> Self {
        let mut child = Process::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
            .args(["serve", "--addr", "127.0.0.1:0", "--service", "svc_e2e"])
            .args(args)
            .env("PROVISIONR_TOKEN", SERVE_TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base_url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string();
        Served { child, base_url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished command's stdout and stderr, in that order, as text.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// For the tests' own little servers: the `WWW-Authenticate` challenge to refuse the request
/// with, or `None` when it carries `Bearer <token>` (the scheme in any case).
pub fn bearer_refusal(headers: &axum::http::HeaderMap, token: &str) -> Option<&'static str> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let presented = auth
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim_start());
    match presented {
        Some(t) if t == token => None,
        Some(_) => Some("Bearer error=\"invalid_token\""),
        None => Some("Bearer"),
    }
}

/// Whether a request's `Content-Type` is `application/json`, parameters aside.
pub fn sends_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| t == "application/json")
}

/// A port on 127.0.0.1 that was just free: nothing listens there.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
