//! The false-alarm half: a server that differs from the reference one only where the page and
//! HTTP allow it passes, and an expiry that is really wrong still fails.

use std::path::Path;
use std::process::{Command, Output};

use clap::Parser;
use provisionr_conformance::app::cli::{Cli, Command as Sub};
use provisionr_conformance::contract::EMBEDDED_SCHEMAS;
use provisionr_conformance::report::Status;
use provisionr_conformance::app::selftest::selftest;
use provisionr_conformance::server::{FaultSet, Variation, VariationSet};

use crate::common::{run_on, run_with, text, verdicts, Served, SERVE_TOKEN};

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");

/// The checks a variation may warn on: what it changes, and no other.
fn may_warn(v: Variation) -> &'static [&'static str] {
    match v {
        Variation::PrecisionMicroseconds
        | Variation::PrecisionMilliseconds
        | Variation::PrecisionSeconds => &["same_instant"],
        // Accepting an unambiguous variant of RFC 3339 is a `status` warning.
        Variation::NotFoundForOtherMethods | Variation::LenientDateTime => &["status"],
        // A parser's 400 has no `Date`; on a request a parser may answer (an unknown method)
        // the HTTP-level checks are warnings (decision 11).
        Variation::ParserRejectsUnknownMethod => &["date_header"],
        _ => &[],
    }
}

#[test]
fn each_variation_passes_with_no_error() {
    let mut alarms = Vec::new();
    for &v in Variation::ALL {
        let dir = tempfile::tempdir().unwrap();
        let varied = VariationSet::with([v]);
        let outcome = run_on(dir.path(), FaultSet::none(), varied, &["--cases", "16"]);
        for r in &outcome.results {
            for e in r.errors() {
                alarms.push(format!(
                    "{v}: {} `{}`: expected {}, got {}",
                    r.case.id, e.check, e.expected, e.actual
                ));
            }
            if r.status() == Status::Error {
                alarms.push(format!("{v}: {} could not be tested", r.case.id));
            }
            for w in r
                .warnings()
                .filter(|w| !may_warn(v).contains(&w.check.as_str()))
            {
                alarms.push(format!(
                    "{v}: {} warned `{}`: expected {}, got {}",
                    r.case.id, w.check, w.expected, w.actual
                ));
            }
        }
        assert_eq!(outcome.exit_code, 0, "{v}: {:?}", verdicts(&outcome));
    }
    assert!(alarms.is_empty(), "false alarms:\n{}", alarms.join("\n"));
}

/// A case file asking for an expiry with sub-microsecond digits, in its own case directory.
fn fine_expiry_cases(dir: &Path) -> String {
    let cases = dir.join("cases");
    std::fs::create_dir(&cases).unwrap();
    let case = r#"{
  "title": "An expiry to a tenth of a microsecond is kept",
  "class": "valid",
  "request": { "body": { "name": "n", "description": "d", "expires_at": "2100-01-01T00:00:00.1234567Z" } }
}"#;
    std::fs::write(cases.join("fine_expiry.json"), case).unwrap();
    cases.to_str().unwrap().to_string()
}

/// `run --base-url` against `serve` started with `serve_args`.
fn run_against(serve_args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::with_args(serve_args);
    let cases = fine_expiry_cases(dir.path());
    let junit = dir.path().join("junit.xml");
    Command::new(BIN)
        .args(["run", "--no-persist", "--cases", "16", "--cases", &cases])
        .args(["--base-url", &served.base_url, "--service", "svc_e2e"])
        .args(["--junit", junit.to_str().unwrap()])
        .env("PROVISIONR_TOKEN", SERVE_TOKEN)
        .current_dir(dir.path())
        .output()
        .expect("run starts")
}

#[test]
fn expiries_cut_to_the_stored_precision_pass_with_a_warning() {
    for (variation, kept) in [
        ("precision-microseconds", "kept to microseconds"),
        ("precision-milliseconds", "kept to milliseconds"),
        ("precision-seconds", "kept to whole seconds"),
    ] {
        let out = run_against(&["--variation", variation]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(0), "{variation}:\n{shown}");
        let warned = shown.lines().any(|l| {
            l.starts_with("warning: example::fine_expiry: check `same_instant` failed")
                && l.contains(kept)
        });
        assert!(warned, "{variation}: no `same_instant` warning:\n{shown}");
    }
}

#[test]
fn an_expiry_45_seconds_early_fails_the_run() {
    let out = run_against(&["--fault", "expiry-drops-45s"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("[error] check `same_instant` failed at /timestamp/expires_at"),
        "{shown}"
    );
}

#[test]
fn a_404_for_another_method_is_a_warning_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["method::", "--cases", "16"];
    let relaxed = run_with(dir.path(), &["not-found-for-method"], &args);
    assert_eq!(relaxed.exit_code, 0, "{:?}", verdicts(&relaxed));
    // The methods the route refuses warn; HEAD, OPTIONS and an unknown method allow a 404.
    let refused = [
        "method::get",
        "method::put",
        "method::patch",
        "method::delete",
    ];
    for r in &relaxed.results {
        let warned: Vec<_> = r.warnings().map(|v| v.check.as_str()).collect();
        let expected: &[&str] = if refused.contains(&r.case.id.as_str()) {
            &["status"]
        } else {
            &[]
        };
        assert_eq!(warned, expected, "{}", r.case.id);
    }
    let strict = run_with(
        dir.path(),
        &["not-found-for-method"],
        &[&args[..], &["--strict"]].concat(),
    );
    assert_eq!(strict.exit_code, 1, "{:?}", verdicts(&strict));
}

fn selftest_args(args: &[&str]) -> provisionr_conformance::app::cli::SelftestArgs {
    let mut argv = vec!["provisionr-conformance", "selftest", "--cases", "16"];
    argv.extend_from_slice(args);
    let Sub::Selftest(a) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not selftest")
    };
    a
}

#[test]
fn selftest_variation_narrows_to_that_variation_and_lists_its_warnings() {
    let (plan, subjects) = selftest_args(&["--variation", "precision-milliseconds"])
        .plan()
        .unwrap();
    let report = selftest(&plan, &subjects).unwrap();
    assert_eq!((report.total, report.variations_total), (0, 1));
    let v = &report.variations[0];
    assert_eq!(v.name, "precision-milliseconds");
    assert!(v.passed, "{:?}", v.false_alarms);
    let warned = v.warnings.iter().any(|d| {
        d.case == "date_time::expires_at::fractional_seconds" && d.checks == ["same_instant"]
    });
    assert!(warned, "{:?}", v.warnings);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn selftest_fails_when_a_variation_raises_an_error() {
    // Without the endpoint file's tolerance, a 404 for another method is an error again.
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    std::fs::create_dir(&schemas).unwrap();
    for f in EMBEDDED_SCHEMAS.files() {
        let text = f.contents_utf8().unwrap();
        let cut = text.replace("\"tolerated\": {\n    \"method\": [404]\n  },\n", "");
        if f.path().to_string_lossy().ends_with(".endpoint.json") {
            assert_ne!(cut, text, "the tolerance was not found to remove");
        }
        std::fs::write(schemas.join(f.path()), cut).unwrap();
    }
    let json = dir.path().join("selftest.json");
    let out = Command::new(BIN)
        .args(["selftest", "--cases", "16", "--schemas"])
        .arg(&schemas)
        .args([
            "--variation",
            "not-found-for-other-methods",
            "--variation",
            "ok-for-create",
        ])
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("false alarms: 1/2 variations passed with no error"),
        "{shown}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["variations_passed"], 1);
    assert_eq!(
        report["variations"][0]["name"],
        "not-found-for-other-methods"
    );
    assert_eq!(report["variations"][0]["passed"], false);
    assert_eq!(
        report["variations"][0]["false_alarms"][0]["checks"][0],
        "status"
    );
}

#[test]
fn accepting_an_unambiguous_date_time_variant_warns_and_fails_only_under_strict() {
    let dir = tempfile::tempdir().unwrap();
    let lenient = VariationSet::with([Variation::LenientDateTime]);
    let only = ["date_time::", "--cases", "8"];
    let outcome = run_on(dir.path(), FaultSet::none(), lenient.clone(), &only);
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    for variant in ["space_separator", "comma_decimal", "basic_offset"] {
        let r = outcome
            .results
            .iter()
            .find(|r| r.case.id == format!("date_time::expires_at::{variant}"))
            .unwrap();
        assert!(
            r.warnings()
                .any(|w| w.check == "status" && w.actual.contains("unambiguous variant")),
            "{variant}: {:?}",
            r.verdicts
        );
    }
    // Ambiguous or impossible date-times stay errors: a server reading a missing offset as UTC
    // is caught, whatever its leniency.
    let naive = FaultSet::with([provisionr_conformance::server::Fault::NaiveDateTime]);
    let outcome = run_on(dir.path(), naive, lenient.clone(), &only);
    assert_eq!(outcome.exit_code, 1);
    let strict = run_on(
        dir.path(),
        FaultSet::none(),
        lenient,
        &["--strict", "date_time::"],
    );
    assert_eq!(strict.exit_code, 1, "--strict makes the leniency an error");
}
