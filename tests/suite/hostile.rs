//! Hostile targets and careless command lines: the binary refuses what would test the wrong URL
//! or leak the token, never dies without its reports, gives up on a dead target, and stops
//! cleanly on SIGINT and SIGTERM. Every report left behind validates against the XSD.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{assert_valid_junit, plan, text};
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");
const TOKEN: &str = "pvt_hostile_test_token_a1b2c3";

fn bin(dir: &Path, token: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("PROVISIONR_TOKEN", token)
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

fn run_bin(dir: &Path, args: &[&str]) -> Output {
    let junit = dir.join("junit.xml");
    let mut all = vec!["run", "--no-persist", "--junit", junit.to_str().unwrap()];
    all.extend_from_slice(args);
    bin(dir, TOKEN, &all).output().expect("the binary starts")
}

/// A raw TCP server on 127.0.0.1:0 that counts connections and hands each to `handle` on its
/// own thread.
fn tcp_server(handle: fn(std::net::TcpStream)) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || handle(stream));
        }
    });
    (addr, count)
}

/// Accepts, reads, and never answers.
fn hang(mut stream: std::net::TcpStream) {
    let mut buf = [0u8; 4096];
    while stream.read(&mut buf).is_ok_and(|n| n > 0) {}
}

fn base(addr: SocketAddr) -> String {
    format!("http://{addr}/api/v1")
}

#[test]
fn credentials_in_the_base_url_are_refused_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_bin(
        dir.path(),
        &[
            "--base-url",
            "http://user:s3cretpw@127.0.0.1:9/api/v1",
            "--service",
            "s",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("--base-url") && shown.contains("credentials"),
        "{shown}"
    );
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    for place in [&shown, &junit] {
        assert!(!place.contains("s3cretpw"), "the password leaked: {place}");
    }
    assert_valid_junit(&dir.path().join("junit.xml"));
}

#[test]
fn a_query_or_a_fragment_in_the_base_url_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (url, what) in [
        ("http://127.0.0.1:9/api/v1?x=1", "query"),
        ("http://127.0.0.1:9/api/v1#frag", "fragment"),
        ("http://127.0.0.1:9/api/v1?", "query"),
    ] {
        let out = run_bin(dir.path(), &["--base-url", url, "--service", "s"]);
        assert_eq!(out.status.code(), Some(2), "{url}: {}", text(&out));
        assert!(
            text(&out).contains("--base-url") && text(&out).contains(what),
            "{url}: {}",
            text(&out)
        );
    }
}

#[test]
fn path_values_that_change_the_path_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for service in ["..", ".", ""] {
        let out = run_bin(
            dir.path(),
            &[
                "--base-url",
                "http://127.0.0.1:9/api/v1",
                "--service",
                service,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{service:?}: {}", text(&out));
        assert!(text(&out).contains("--service"), "{}", text(&out));
    }
}

#[test]
fn plain_http_to_another_host_needs_a_flag_and_the_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // TEST-NET-1 (RFC 5737): reserved for documentation, never routed.
    let url = "http://192.0.2.1:9/api/v1";
    let out = run_bin(dir.path(), &["--base-url", url, "--service", "s"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--allow-insecure-http"),
        "{}",
        text(&out)
    );

    let out = run_bin(
        dir.path(),
        &[
            "--base-url",
            url,
            "--service",
            "s",
            "--allow-insecure-http",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("plain HTTP"), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("name=\"insecure_http\""), "{junit}");
    assert_valid_junit(&dir.path().join("junit.xml"));
}

/// Answers 413 after the first read and closes while the body is still uploading.
fn refuse_early(mut stream: std::net::TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    let _ = stream.read(&mut buf);
    let _ = stream.write_all(
        b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[test]
fn a_server_that_closes_during_a_large_upload_is_a_transport_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    let big = serde_json::json!({
        "title": "a body of 8 MB",
        "class": "unspecified",
        "request": {"raw_body": "a".repeat(8 << 20)},
    });
    std::fs::write(cases.join("big.json"), big.to_string()).unwrap();
    let (addr, _) = tcp_server(refuse_early);
    let out = run_bin(
        dir.path(),
        &[
            "--base-url",
            &base(addr),
            "--service",
            "s",
            "--cases",
            cases.to_str().unwrap(),
            "example::big",
            "--exact",
        ],
    );
    // Killed by SIGPIPE, the process would have no exit code at all.
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1 | 3)),
        "{:?}: {}",
        out.status,
        text(&out)
    );
    assert_valid_junit(&dir.path().join("junit.xml"));
}

#[test]
fn a_closed_output_pipe_does_not_cost_the_run_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let mut child = bin(
        dir.path(),
        TOKEN,
        &["run", "--no-persist", "--junit", junit.to_str().unwrap()],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Read one line, then hang up, as `| head -1` does.
    let mut first = [0u8; 1];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_valid_junit(&junit);
}

fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stopped_by(signal: i32, expected: i32) {
    let dir = tempfile::tempdir().unwrap();
    let (addr, seen) = tcp_server(hang);
    let junit = dir.path().join("junit.xml");
    let created = dir.path().join("created.txt");
    let mut child = bin(
        dir.path(),
        TOKEN,
        &[
            "run",
            "--no-persist",
            "--junit",
            junit.to_str().unwrap(),
            "--created",
            created.to_str().unwrap(),
            "--base-url",
            &base(addr),
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
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, signal) };
    let mut status = None;
    wait_for("the run to end", Duration::from_secs(20), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.unwrap().code(), Some(expected), "{err}");
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("type=\"interrupted\""), "{xml}");
    assert!(created.exists(), "the --created list was not written");
}

#[test]
fn sigint_stops_the_run_and_the_reports_are_written() {
    stopped_by(libc::SIGINT, 130);
}

#[test]
fn sigterm_stops_the_run_and_the_reports_are_written() {
    stopped_by(libc::SIGTERM, 143);
}

#[test]
fn a_flag_error_replaces_an_old_report() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    for bad in [
        vec!["--seed", "abc"],
        vec!["--timeout", "-1"],
        vec!["--cases", "0"],
        vec!["--no-such-flag"],
    ] {
        std::fs::write(&junit, "<testsuites name=\"an old green run\"/>").unwrap();
        let out = run_bin(dir.path(), &bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(
            !xml.contains("an old green run"),
            "{bad:?} left the old report"
        );
        assert!(xml.contains("type=\"setup\""), "{xml}");
        assert_valid_junit(&junit);
    }
}

#[test]
fn an_unwritable_report_path_stops_the_run_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, seen) = tcp_server(hang);
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "not a directory").unwrap();
    let under_file = file.join("report.xml");
    for flag in ["--junit", "--created"] {
        let mut cmd = bin(dir.path(), TOKEN, &["run", "--no-persist"]);
        cmd.args(["--base-url", &base(addr), "--service", "s"])
            .arg(flag)
            .arg(&under_file);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out));
        assert!(text(&out).contains("report.xml"), "{}", text(&out));
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0, "requests were sent");
}

#[test]
fn a_target_that_never_answers_is_given_up_after_five_errors_in_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, seen) = tcp_server(hang);
    let mut p = plan(dir.path(), &["--timeout", "1"]);
    p.target = TargetChoice::Remote {
        base_url: base(addr).parse().unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 3);
    let aborted = outcome
        .results
        .iter()
        .filter(|r| {
            r.transport_error()
                .is_some_and(|e| e.kind.as_str() == "aborted")
        })
        .count();
    assert!(aborted > 60, "{aborted} aborted");
    // One round of the 8 tests in flight, and the few started before the fifth error.
    assert!(outcome.requests() <= 16, "{} requests", outcome.requests());
    assert!(seen.load(Ordering::SeqCst) <= 16);
    let junit: PathBuf = outcome.junit.unwrap();
    assert_valid_junit(&junit);
    assert!(std::fs::read_to_string(junit)
        .unwrap()
        .contains("type=\"aborted\""));
}
