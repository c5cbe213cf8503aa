//! HTTP-level answers of real stacks that are no contract violation: HEAD and OPTIONS answered
//! 2xx by a framework, and an unknown method answered by the HTTP parser before the application.

use std::net::SocketAddr;

use provisionr_conformance::engine::outcome::CaseResult;
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::server::{
    self, Fault, FaultSet, ServerConfig, Variation, VariationSet,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{plan, run_on, verdicts};

fn result<'a>(outcome: &'a RunOutcome, id: &str) -> &'a CaseResult {
    outcome
        .results
        .iter()
        .find(|r| r.case.id == id)
        .unwrap_or_else(|| panic!("no case {id}: {:?}", verdicts(outcome)))
}

fn status(r: &CaseResult) -> u16 {
    r.exchange.outcome.as_ref().map_or(0, |resp| resp.status)
}

#[test]
fn head_and_options_answered_2xx_are_judged_by_status_and_headers_only() {
    for (variation, case, answered) in [
        (
            Variation::OptionsAnsweredByFramework,
            "method::options",
            200,
        ),
        (Variation::OptionsNoContent, "method::options", 204),
        (Variation::HeadAnswered, "method::head", 200),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let varied = VariationSet::with([variation]);
        let outcome = run_on(dir.path(), FaultSet::none(), varied, &["method::"]);
        let r = result(&outcome, case);
        assert_eq!(status(r), answered, "{variation}: the variation answered");
        assert!(r.verdicts.is_empty(), "{variation}: {:?}", r.verdicts);
        assert_eq!(
            outcome.exit_code,
            0,
            "{variation}: {:?}",
            verdicts(&outcome)
        );
    }
}

#[test]
fn a_framework_answer_to_options_still_needs_a_date() {
    // Only the body checks are off: a header MUST still holds on a 2xx to OPTIONS.
    let dir = tempfile::tempdir().unwrap();
    let varied = VariationSet::with([Variation::OptionsAnsweredByFramework]);
    let faults = FaultSet::with([Fault::DateHeaderEpoch]);
    let outcome = run_on(dir.path(), faults, varied, &["method::options"]);
    let r = result(&outcome, "method::options");
    let checks: Vec<_> = r.errors().map(|v| v.check.as_str()).collect();
    assert_eq!(checks, ["date_header"], "{:?}", r.verdicts);
    assert_eq!(outcome.exit_code, 1);
}

#[test]
fn an_unknown_method_and_a_challenge_with_realm_pass() {
    let dir = tempfile::tempdir().unwrap();
    let varied = VariationSet::with([Variation::NotImplementedForUnknownMethod]);
    let outcome = run_on(dir.path(), FaultSet::none(), varied, &["method::"]);
    let r = result(&outcome, "method::unknown");
    assert_eq!(status(r), 501);
    assert!(r.verdicts.is_empty(), "{:?}", r.verdicts);
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));

    let varied = VariationSet::with([Variation::ChallengeWithRealm]);
    let outcome = run_on(dir.path(), FaultSet::none(), varied, &["auth::"]);
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    assert_eq!(outcome.tally.warnings, 0, "{:?}", verdicts(&outcome));
    for (id, challenge) in [
        ("auth::missing", "Bearer realm=\"api\""),
        (
            "auth::wrong_token",
            "error=\"invalid_token\", error_description=",
        ),
    ] {
        let r = result(&outcome, id);
        let resp = r.exchange.outcome.as_ref().unwrap();
        let got = resp.header("www-authenticate").unwrap_or_default();
        assert!(got.contains(challenge), "{id}: {got}");
        if id == "auth::missing" {
            // RFC 6750 3.1: no error code when no credential was presented.
            assert!(!got.contains("error"), "{got}");
        }
    }
}

/// Node's parser's answer to a method it does not know, written before any application code.
const CANNED_400: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/// One request read whole (head and `Content-Length` body), or `None` at end of stream.
async fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        let n = client.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    Some(bytes)
}

/// In front of `backend`: answers `FOO` as Node's HTTP parser does, and hands every other
/// request to the backend on a connection of its own, closed after the answer (and saying so).
async fn parser_in_front(listener: TcpListener, backend: SocketAddr) {
    loop {
        let Ok((mut client, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let Some(request) = read_request(&mut client).await else {
                return;
            };
            if request.starts_with(b"FOO ") {
                let _ = client.write_all(CANNED_400).await;
                let _ = client.shutdown().await;
                return;
            }
            let line_end = request.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
            let mut forwarded = request[..line_end].to_vec();
            forwarded.extend_from_slice(b"Connection: close\r\n");
            forwarded.extend_from_slice(&request[line_end..]);
            let Ok(mut upstream) = TcpStream::connect(backend).await else {
                return;
            };
            let mut answer = Vec::new();
            if upstream.write_all(&forwarded).await.is_err()
                || upstream.read_to_end(&mut answer).await.is_err()
            {
                return;
            }
            let _ = client.write_all(&closing(answer)).await;
            let _ = client.shutdown().await;
        });
    }
}

/// The answer with `Connection: close`, so the client does not reuse what the proxy closes.
fn closing(answer: Vec<u8>) -> Vec<u8> {
    let head_end = answer.windows(4).position(|w| w == b"\r\n\r\n");
    let says_so = head_end.is_some_and(|end| {
        String::from_utf8_lossy(&answer[..end])
            .to_ascii_lowercase()
            .contains("\r\nconnection: close")
    });
    match answer.windows(2).position(|w| w == b"\r\n") {
        Some(line_end) if !says_so => {
            let mut out = answer[..line_end + 2].to_vec();
            out.extend_from_slice(b"Connection: close\r\n");
            out.extend_from_slice(&answer[line_end + 2..]);
            out
        }
        _ => answer,
    }
}

/// Runs `args` against the reference server (with `faults`) behind a parser that answers `FOO`.
fn behind_a_parser(faults: &[Fault], args: &[&str]) -> RunOutcome {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), args);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = ServerConfig {
        token: p.token.expose().to_string(),
        services: p.path_values.values().cloned().collect(),
        faults: FaultSet::with(faults.iter().copied()),
        variations: VariationSet::none(),
        reject_past_expiry: false,
    };
    let backend = rt
        .block_on(server::spawn("127.0.0.1:0".parse().unwrap(), config))
        .unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let front = listener.local_addr().unwrap();
    rt.spawn(parser_in_front(listener, backend.local_addr()));
    p.target = TargetChoice::Remote {
        base_url: format!("http://{front}{}", server::API_PREFIX)
            .parse()
            .unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    assert!(backend.hits() > 0, "the backend answered nothing");
    drop(backend);
    outcome
}

#[test]
fn a_parser_level_400_without_date_warns_unless_strict() {
    let relaxed = behind_a_parser(&[], &["method::"]);
    let unknown = result(&relaxed, "method::unknown");
    assert_eq!(status(unknown), 400, "the parser answered");
    assert_eq!(unknown.errors().count(), 0, "{:?}", unknown.verdicts);
    let warned: Vec<_> = unknown.warnings().map(|v| v.check.as_str()).collect();
    assert_eq!(warned, ["date_header"]);
    assert_eq!(relaxed.exit_code, 0, "{:?}", verdicts(&relaxed));

    let strict = behind_a_parser(&[], &["method::", "--strict"]);
    let unknown = result(&strict, "method::unknown");
    let failed: Vec<_> = unknown.errors().map(|v| v.check.as_str()).collect();
    assert_eq!(failed, ["date_header"]);
    assert_eq!(strict.exit_code, 1);
}

#[test]
fn a_405_without_allow_from_the_application_is_still_an_error() {
    // Behind the same parser, a standard method reaches the application, whose answer keeps
    // every check.
    let outcome = behind_a_parser(&[Fault::NoAllowHeader], &["method::"]);
    for id in [
        "method::get",
        "method::put",
        "method::patch",
        "method::delete",
    ] {
        let r = result(&outcome, id);
        assert_eq!(status(r), 405, "{id}");
        let failed: Vec<_> = r.errors().map(|v| v.check.as_str()).collect();
        assert_eq!(failed, ["allow_header"], "{id}");
    }
    assert_eq!(outcome.exit_code, 1);
}
