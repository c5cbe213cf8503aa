//! Servers that answer garbage, hang, or echo secrets: no panic, the right exit code, a valid
//! report, and no token in it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use crate::common::{failed_with, plan};
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::outcome::Status;
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;

const TOKEN: &str = "pvt_garbage_test_token_5f4e3d";

/// A raw TCP server on 127.0.0.1:0 that answers every request with `respond(request)`; it
/// serves a bounded number of connections on a background thread.
fn raw_server(respond: fn(&str) -> Option<Vec<u8>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || serve_one(&mut stream, respond));
        }
    });
    addr
}

fn serve_one(stream: &mut TcpStream, respond: fn(&str) -> Option<Vec<u8>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
    let mut buf = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buf).unwrap_or(0);
    let request = String::from_utf8_lossy(&buf[..n]).to_string();
    match respond(&request) {
        Some(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        // Hang: hold the connection open past the client's timeout.
        None => std::thread::sleep(Duration::from_secs(3)),
    }
}

fn http(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn run_against(addr: SocketAddr, dir: &std::path::Path, extra: &[&str]) -> RunOutcome {
    let mut args = vec!["example::page_example", "--exact"];
    args.extend_from_slice(extra);
    let mut p = plan(dir, &args);
    p.token = provisionr_conformance::http::Secret::new(TOKEN);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    run_and_write(p).unwrap()
}

/// The report, after checking it validates: every fault leaves a valid report behind.
fn junit(outcome: &RunOutcome) -> String {
    let path = outcome.junit.as_ref().unwrap();
    crate::common::assert_valid_junit(path);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_success_with_invalid_utf8_and_broken_json_is_a_violation() {
    let addr = raw_server(|_| {
        Some(http(
            "201 Created",
            "application/json",
            b"\xff\xfe{\"id\": \x1b[31m",
        ))
    });
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_against(addr, dir.path(), &[]);
    assert_eq!(outcome.exit_code, 1);
    let r = &outcome.results[0];
    assert!(
        failed_with(r, "response_schema", "not JSON"),
        "{:?}",
        r.verdicts
    );
    let xml = junit(&outcome);
    assert!(
        !xml.contains('\u{1b}'),
        "an escape character reached the XML"
    );
}

#[test]
fn an_answer_that_is_not_http_is_an_error_not_a_violation() {
    let addr = raw_server(|_| Some(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()));
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_against(addr, dir.path(), &[]);
    assert_eq!(outcome.exit_code, 3);
    assert_eq!(outcome.results[0].status(), Status::Error);
    assert!(junit(&outcome).contains("<error"));
}

#[test]
fn a_server_that_hangs_times_out() {
    let addr = raw_server(|_| None);
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_against(addr, dir.path(), &["--timeout", "1"]);
    assert_eq!(outcome.exit_code, 3);
    let e = outcome.results[0]
        .transport_error()
        .expect("a transport error");
    assert_eq!(e.kind.as_str(), "timeout", "{}", e.message);
    assert!(junit(&outcome).contains("type=\"timeout\""));
}

#[test]
fn a_server_that_echoes_the_token_does_not_leak_it() {
    // The body and a header carry the Authorization header back, as a careless debug page would.
    let addr = raw_server(|req| {
        let auth = req
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .unwrap_or("")
            .to_string();
        let body = format!("{{\"debug\": \"{}\"}}", auth.replace('"', ""));
        let mut resp = http(
            "500 Internal Server Error",
            "application/json",
            body.as_bytes(),
        );
        let header = format!("X-Echo: {auth}\r\n");
        let at = resp.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        resp.splice(at..at, header.into_bytes());
        Some(resp)
    });
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_against(addr, dir.path(), &[]);
    assert_eq!(outcome.exit_code, 1);
    let xml = junit(&outcome);
    assert!(
        xml.contains("[REDACTED]"),
        "the echo should be visible, redacted: {xml}"
    );
    assert!(
        !xml.contains(TOKEN),
        "the token leaked into the JUnit report"
    );
}
