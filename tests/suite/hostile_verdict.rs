//! A verdict only when it is true (issue 21, items 1 to 4 and 17): a panic in a case is that
//! case's `internal` error and never a pass; counts past what a run can use are refused; a run
//! that stops at set-up leaves no earlier summary behind; a failing stdout costs no report;
//! `--duration` bounds the whole run; SIGHUP stops a run as SIGINT does.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;

use crate::common::{assert_valid_junit, plan};
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::server::{FaultSet, ServerConfig};

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");
const TOKEN: &str = "pvt_verdict_test_token_a1b2c3";

fn bin(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("PROVISIONR_TOKEN", TOKEN)
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

/// `run` in `dir` with its reports there; a few generated bodies, so it is quick.
fn run_bin(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["run", "--no-persist", "--cases", "2"];
    all.extend_from_slice(args);
    bin(dir, &all).output().expect("the binary starts")
}

fn summary(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_panic_in_a_case_is_its_internal_error_and_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let summary_path = dir.path().join("summary.json");
    let mut p = plan(
        dir.path(),
        &["--cases", "2", "--summary", summary_path.to_str().unwrap()],
    );
    // Past the flag's limit, as the issue's `--concurrency 9223372036854775807` was: the
    // properties' channel panics when it is made.
    p.properties.as_mut().unwrap().concurrency = usize::MAX / 2;
    let outcome = run_and_write(p).expect("the run completes");
    assert_eq!(outcome.exit_code, 3, "a panic is never a pass");
    let internal: Vec<_> = outcome
        .results
        .iter()
        .filter_map(|r| r.transport_error())
        .filter(|e| e.kind.as_str() == "internal")
        .collect();
    assert_eq!(internal.len(), 3, "one per property");
    assert!(internal[0].message.contains("not a verdict on the server"));
    assert!(
        internal[0].message.contains("semaphore"),
        "{}",
        internal[0].message
    );
    let junit = dir.path().join("junit.xml");
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("type=\"internal\"").count(), 3, "{xml}");
    let s = summary(&summary_path);
    assert_eq!(s["verdict"], "not_tested");
    assert_eq!(s["exit_code"], 3);
    let kinds: Vec<&Value> = s["not_tested"].as_array().unwrap().iter().collect();
    assert!(kinds.iter().all(|n| n["type"] == "internal"), "{kinds:?}");
}

#[test]
fn counts_past_what_a_run_can_use_are_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        ["--concurrency", "9223372036854775807"],
        ["--concurrency", "1025"],
        ["--test-threads", "100000"],
    ] {
        let out = run_bin(dir.path(), &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("from 1 to 1024"), "{args:?}: {err}");
    }
    for key in ["concurrency", "test_threads"] {
        let config = dir.path().join("conformance.toml");
        std::fs::write(
            &config,
            format!("[profiles.big]\n{key} = 9223372036854775807\n"),
        )
        .unwrap();
        let out = run_bin(
            dir.path(),
            &["--config", "conformance.toml", "--profile", "big"],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {err}");
        assert!(
            err.contains(key) && err.contains("conformance.toml"),
            "{err}"
        );
    }
    // The limits themselves are taken.
    let out = run_bin(
        dir.path(),
        &["--concurrency", "1024", "--test-threads", "1024", "--list"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", crate::common::text(&out));
}

#[test]
fn a_run_that_stops_at_set_up_leaves_no_earlier_summary() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conformance.toml");
    std::fs::write(&config, "[profiles.bad]\nrate = \"fast\"\n").unwrap();
    let created = dir.path().join("created.txt");
    let reports = dir.path().join("reports");
    let bad: [&[&str]; 3] = [
        &["--rate", "0"],
        &["--seed", "1", "--seed", "2"],
        &["--config", "conformance.toml", "--profile", "bad"],
    ];
    for args in bad {
        let green = run_bin(dir.path(), &["--created", "created.txt"]);
        assert_eq!(
            green.status.code(),
            Some(0),
            "{}",
            crate::common::text(&green)
        );
        assert_eq!(summary(&reports.join("summary.json"))["verdict"], "pass");
        let kept = std::fs::read_to_string(&created).unwrap();
        assert!(!kept.is_empty());
        let mut all = vec!["--created", "created.txt"];
        all.extend_from_slice(args);
        let out = run_bin(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            !reports.join("summary.json").exists(),
            "{args:?}: the earlier run's summary still says pass"
        );
        let xml = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
        assert!(xml.contains("type=\"setup\""), "{args:?}: {xml}");
        // The earlier run's created ids are still there for the clean-up.
        assert_eq!(std::fs::read_to_string(&created).unwrap(), kept, "{args:?}");
    }
}

#[test]
fn a_failing_stdout_costs_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let out = bin(dir.path(), &["run", "--no-persist", "--cases", "2"])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_valid_junit(&dir.path().join("reports/junit.xml"));
    assert_eq!(
        summary(&dir.path().join("reports/summary.json"))["verdict"],
        "pass"
    );
}

/// The reference server behind a layer that holds every answer for `delay`, counting requests.
fn slow_server(
    token: &str,
    services: Vec<String>,
    delay: Duration,
) -> (SocketAddr, Arc<AtomicUsize>, tokio::runtime::Runtime) {
    let config = ServerConfig {
        token: token.to_string(),
        services,
        faults: FaultSet::none(),
        variations: Default::default(),
        reject_past_expiry: false,
    };
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let app = provisionr_conformance::server::app(config).layer(axum::middleware::from_fn(
        move |req: Request<Body>, next: axum::middleware::Next| {
            count.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(delay).await;
                next.run(req).await
            }
        },
    ));
    let (addr, rt) = crate::common::serve_app(app);
    (addr, seen, rt)
}

#[test]
fn the_duration_bounds_the_whole_run_and_cuts_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let summary_path = dir.path().join("summary.json");
    let mut p = plan(
        dir.path(),
        &[
            "--duration",
            "1s",
            "--cases",
            "4",
            "--summary",
            summary_path.to_str().unwrap(),
        ],
    );
    let services = p.path_values.values().cloned().collect();
    let (addr, seen, _rt) = slow_server(p.token.expose(), services, Duration::from_millis(400));
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    let outcome = run_and_write(p).expect("the run completes");
    let cut: Vec<_> = outcome
        .results
        .iter()
        .filter(|r| r.cut_by_budget())
        .collect();
    // At 400 ms an answer, 8 at a time, a 1 s budget leaves most of the ~110 tests unsent.
    assert!(cut.len() > outcome.results.len() / 2, "{} cut", cut.len());
    assert!(seen.load(Ordering::SeqCst) < outcome.results.len());
    assert_eq!(outcome.tally.cut, cut.len());
    // What was tested passed; the cut cases do not change the exit code.
    assert_eq!(outcome.tally.failed, 0);
    assert_eq!(outcome.exit_code, 0);
    let junit = dir.path().join("junit.xml");
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("type=\"budget\"").count(), cut.len());
    assert!(xml.contains("cut by the --duration budget (1s)"), "{xml}");
    let s = summary(&summary_path);
    assert_eq!(s["verdict"], "pass");
    let budget = s["not_tested"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "budget")
        .count();
    assert_eq!(budget, cut.len());
}

/// A raw TCP server on 127.0.0.1:0 that accepts, reads and never answers, counting
/// connections.
fn hanging_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while stream.read(&mut buf).is_ok_and(|n| n > 0) {}
            });
        }
    });
    (addr, count)
}

fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sighup_stops_the_run_and_the_reports_and_ledger_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, seen) = hanging_server();
    let base = format!("http://{addr}/api/v1");
    let mut child = bin(
        dir.path(),
        &[
            "run",
            "--no-persist",
            "--created",
            "created.txt",
            "--base-url",
            &base,
            "--service",
            "s",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_for("the first request", Duration::from_secs(20), || {
        seen.load(Ordering::SeqCst) > 0
    });
    let err = Arc::new(std::sync::Mutex::new(String::new()));
    let (mut stderr, into) = (child.stderr.take().unwrap(), err.clone());
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    wait_for("the stop", Duration::from_secs(20), || {
        err.lock().unwrap().contains("SIGHUP received")
    });
    // A closed terminal may hang up twice: the second does not cost the reports.
    // SAFETY: as above.
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    let mut status = None;
    wait_for("the run to end", Duration::from_secs(20), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    reader.join().unwrap();
    let err = err.lock().unwrap().clone();
    assert_eq!(status.unwrap().code(), Some(129), "{err}");
    assert!(err.contains("SIGHUP received"), "{err}");
    let junit = dir.path().join("reports/junit.xml");
    assert_valid_junit(&junit);
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("type=\"interrupted\""));
    let s = summary(&dir.path().join("reports/summary.json"));
    assert_eq!(s["stopped"], "SIGHUP");
    assert_eq!(s["verdict"], "interrupted");
    assert!(dir.path().join("created.txt").exists(), "no ledger");
}
