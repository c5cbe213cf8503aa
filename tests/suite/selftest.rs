//! The self-test: every fault caught, and a score that falls when a check is switched off.

use std::process::Command;

use clap::Parser;
use provisionr_conformance::app::cli::{Cli, Command as Sub};
use provisionr_conformance::app::selftest::{selftest, SelftestReport};

fn run(args: &[&str]) -> SelftestReport {
    let mut argv = vec!["provisionr-conformance", "selftest"];
    argv.extend_from_slice(args);
    let Sub::Selftest(a) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not selftest")
    };
    let (plan, faults) = a.plan().unwrap();
    selftest(&plan, &faults).unwrap()
}

#[test]
fn every_fault_is_caught_and_the_clean_server_passes() {
    let report = run(&[]);
    assert!(report.total >= 35, "{}", report.total);
    let missed = report.missed();
    assert!(missed.is_empty(), "missed: {missed:?}");
    assert!(report.clean_passed, "{:?}", report.clean);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn switching_off_the_enum_checks_lets_enum_faults_through() {
    let report = run(&[
        "--skip-check",
        "enum",
        "--skip-check",
        "equals",
        "--cases",
        "16",
    ]);
    let missed = report.missed();
    assert_eq!(missed, ["enum-wrong-value", "enum-uppercase", "wrong-kind"]);
    assert_ne!(report.exit_code(), 0);
    assert!(report.score() < 100.0);
}

#[test]
fn switching_off_one_warning_check_lets_its_fault_through() {
    let report = run(&[
        "--cases",
        "16",
        "--skip-check",
        "allow_header",
        "--fault",
        "no-allow-header",
        "--fault",
        "any-token",
    ]);
    let detected: Vec<(&str, bool)> = report.faults.iter().map(|f| (f.name, f.detected)).collect();
    assert_eq!(detected, [("no-allow-header", false), ("any-token", true)]);
}

#[test]
fn the_binary_prints_the_table_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("selftest.json");
    let out = Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args([
            "selftest",
            "--cases",
            "16",
            "--fault",
            "counts-bytes",
            "--skip-check",
            "status",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("counts-bytes"), "{shown}");
    assert!(shown.contains("MISSED"), "{shown}");
    assert!(shown.contains("mutation score: 0/1"), "{shown}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["total"], 1);
    assert_eq!(report["detected"], 0);
    assert_eq!(report["faults"][0]["name"], "counts-bytes");
}
