//! The connection under the contract: every request says it wants JSON (`Accept`), a request
//! whose keep-alive connection the server closed under it is sent once more on a new one (and a
//! method that is not idempotent is listed as a possible duplicate), and the reference server's
//! connection-level variations do on the wire what they say.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use provisionr_conformance::engine::outcome::{CaseResult, Status};
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::curl;
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::server::{
    self, Fault, FaultSet, ServerConfig, Variation, VariationSet,
};
use serde_json::Value;

use crate::common::{plan, run_on, serve_app, verdicts};

const NOTE: &str = "sent the request again on a new connection";

fn committed_openapi() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/provisionr-workspace.openapi.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// Whether an `Accept` value puts a JSON type first by weight (ties go to the earlier one), as a
/// server that negotiates reads it. `*/*` or nothing means the server's first type: XML here.
fn prefers_json(accept: Option<&str>) -> bool {
    let mut best: Option<(f32, String)> = None;
    for range in accept.unwrap_or("").split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if !media.is_empty() && best.as_ref().is_none_or(|(b, _)| q > *b) {
            best = Some((q, media));
        }
    }
    best.is_some_and(|(_, m)| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    })
}

#[test]
fn every_request_asks_for_json_so_a_negotiating_server_answers_json() {
    // The contract documents XML before JSON for each success, as a public document may; the
    // server answers its first type unless the request's Accept prefers JSON.
    let dir = tempfile::tempdir().unwrap();
    let doc = committed_openapi().replace(
        "          content:\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/WorkspaceTokenDetailedResponseData\"",
        "          content:\n            application/xml:\n              schema: { type: string }\n            application/json:\n              schema:\n                $ref: \"#/components/schemas/WorkspaceTokenDetailedResponseData\"",
    );
    assert_eq!(
        doc.matches("application/xml:").count(),
        2,
        "both successes changed"
    );
    let file = dir.path().join("xml-first.openapi.yaml");
    std::fs::write(&file, doc).unwrap();

    let mut p = plan(
        dir.path(),
        &["--openapi", file.to_str().unwrap(), "--cases", "8"],
    );
    let app = server::app(ServerConfig {
        token: p.token.expose().to_string(),
        services: p.path_values.values().cloned().collect(),
        faults: FaultSet::none(),
        variations: VariationSet::none(),
        reject_past_expiry: false,
    })
    .layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| async move {
            let json = prefers_json(
                request
                    .headers()
                    .get("accept")
                    .and_then(|v| v.to_str().ok()),
            );
            let response = next.run(request).await;
            if !json && response.status().is_success() {
                let status = response.status();
                return (
                    status,
                    [("content-type", "application/xml")],
                    "<token><id>tok_1</id></token>",
                )
                    .into_response();
            }
            response
        },
    ));
    let (addr, _rt) = serve_app(app);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    let accept = "application/json, application/*+json;q=0.9, */*;q=0.1";
    for r in &outcome.results {
        let sent: Vec<&str> = r
            .exchange
            .request
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("accept"))
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(sent, [accept], "{}", r.case.id);
        let line = curl::command(&r.exchange.request);
        assert!(line.contains(&format!("-H 'Accept: {accept}'")), "{line}");
    }
}

use axum::response::IntoResponse as _;

#[test]
fn the_accept_header_names_the_documented_json_types_first() {
    use provisionr_conformance::http::accept_header;
    assert_eq!(
        accept_header(&["application/json".into()]),
        "application/json, application/*+json;q=0.9, */*;q=0.1"
    );
    assert_eq!(
        accept_header(&["application/vnd.acme+json".into()]),
        "application/vnd.acme+json, application/json;q=0.9, application/*+json;q=0.9, */*;q=0.1"
    );
    assert_eq!(
        accept_header(&[]),
        "application/json, application/*+json;q=0.9, */*;q=0.1"
    );
}

fn noted(r: &CaseResult) -> bool {
    r.notes.iter().any(|n| n.contains(NOTE))
}

#[test]
fn a_request_whose_connection_was_closed_under_it_is_resent_and_passes() {
    // After each error answer the server closes the connection without `Connection: close`,
    // when the next request arrives on it: that request is sent again on a new connection.
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let created = dir.path().join("created.txt");
    let varied = VariationSet::with([Variation::ClosesAfterError]);
    let outcome = run_on(
        dir.path(),
        FaultSet::none(),
        varied,
        &[
            "--cases",
            "8",
            "--test-threads",
            "1",
            "--summary",
            summary.to_str().unwrap(),
            "--created",
            created.to_str().unwrap(),
        ],
    );
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    assert!(
        outcome.stopped.is_none(),
        "the target was not taken for dead"
    );
    let resent: Vec<&CaseResult> = outcome.results.iter().filter(|r| noted(r)).collect();
    assert!(resent.len() >= 5, "{} resent", resent.len());
    for r in &outcome.results {
        assert_eq!(r.status(), Status::Passed, "{}: {:?}", r.case.id, r.notes);
    }
    // The note names the answer that came before, which the server closed the connection after.
    let note = resent[0].notes.iter().find(|n| n.contains(NOTE)).unwrap();
    assert!(
        note.contains("the run's last answer before it, on any connection, was 4"),
        "{note}"
    );

    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let marked = summary["possible_duplicates"].as_array().unwrap();
    // RFC 9110 9.2.2: POST, PATCH and a method HTTP does not define (`FOO`) may have taken
    // effect the first time; GET, PUT, DELETE and the like may be repeated.
    let idempotent = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];
    let (repeatable, effectful): (Vec<&CaseResult>, Vec<&CaseResult>) = resent
        .iter()
        .partition(|r| idempotent.contains(&r.exchange.request.method.as_str()));
    assert!(effectful
        .iter()
        .any(|r| r.exchange.request.method == "POST"));
    let marked_cases: Vec<&str> = marked.iter().map(|d| d["case"].as_str().unwrap()).collect();
    for r in &effectful {
        let case = r.case.id.as_str();
        assert!(
            marked_cases.contains(&case),
            "{case} not in {marked_cases:?}"
        );
    }
    for r in &repeatable {
        assert!(!marked_cases.contains(&r.case.id.as_str()), "{}", r.case.id);
    }
    // Beside the cases, only bodies a property drew (`property::NAME#N`) were resent.
    for d in marked {
        let case = d["case"].as_str().unwrap();
        let method = d["method"].as_str().unwrap();
        assert!(!idempotent.contains(&method), "{case}: {method}");
        assert!(
            effectful.iter().any(|r| r.case.id == case) || case.contains('#'),
            "{case}"
        );
    }
    // A resent valid body may have created a token: its id is in the mark and in the
    // --created file, which stays one id per line.
    let ids = std::fs::read_to_string(&created).unwrap();
    assert!(
        ids.lines()
            .all(|l| !l.is_empty() && !l.contains(char::is_whitespace)),
        "{ids}"
    );
    for d in marked {
        if let Some(id) = d["created"].as_str() {
            assert!(ids.lines().any(|l| l == id), "{id} not in {ids}");
        }
    }
    let noted_in_xml = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        noted_in_xml.contains("name=\"possible_duplicates\""),
        "the JUnit says so too"
    );
}

#[test]
fn a_lone_surrogate_crash_that_closes_the_connection_blames_no_other_case() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_on(
        dir.path(),
        FaultSet::with([Fault::CrashOnLoneSurrogateCloses]),
        VariationSet::none(),
        &["--cases", "8", "--test-threads", "1"],
    );
    assert_eq!(outcome.exit_code, 1);
    let bad: Vec<(&str, Status)> = outcome
        .results
        .iter()
        .filter(|r| r.status() != Status::Passed)
        .map(|r| (r.case.id.as_str(), r.status()))
        .collect();
    assert_eq!(
        bad,
        [("json::lone_surrogate", Status::Failed)],
        "{:?}",
        verdicts(&outcome)
    );
    let crashed = &outcome
        .results
        .iter()
        .find(|r| r.case.id == "json::lone_surrogate")
        .unwrap();
    assert!(crashed.verdicts.iter().any(|v| v.check == "status"));
    // The request sent next lost the race to the closed connection, was sent again and says
    // whose answer came before (results are in list order, not in the order they were sent).
    let resent: Vec<&str> = outcome
        .results
        .iter()
        .filter(|r| {
            r.notes
                .iter()
                .any(|n| n.contains(NOTE) && n.contains("500, to `json::lone_surrogate`"))
        })
        .map(|r| r.case.id.as_str())
        .collect();
    assert_eq!(resent.len(), 1, "{resent:?}");
}

/// A server on 127.0.0.1 that answers one request per connection and then closes each
/// connection unanswered when the next request arrives; a new connection is refused an answer
/// altogether once the first answer is out.
fn answers_once() -> (SocketAddr, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut answered = false;
        for stream in listener.incoming().take(40) {
            let Ok(mut stream) = stream else { break };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let mut buf = [0u8; 65536];
            if !answered {
                let _ = stream.read(&mut buf);
                let body = "{\"message\":\"Server Error\"}";
                let _ = write!(
                    stream,
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\ndate: {}\r\n\r\n{body}",
                    body.len(),
                    httpdate::fmt_http_date(std::time::SystemTime::now())
                );
                answered = true;
            }
            // The next request on this connection, or the first on a new one: read, then close.
            let _ = stream.read(&mut buf);
            drop(stream);
        }
    });
    (addr, handle)
}

#[test]
fn a_failure_after_the_resend_names_the_case_answered_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _server) = answers_once();
    let mut p = plan(dir.path(), &["auth::", "--test-threads", "1"]);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    // Results are in list order; the one answered is the one sent first.
    let answered: Vec<_> = outcome
        .results
        .iter()
        .filter(|r| r.exchange.outcome.is_ok())
        .collect();
    assert_eq!(answered.len(), 1, "{:?}", verdicts(&outcome));
    let first = answered[0];
    assert_eq!(
        first.exchange.outcome.as_ref().map(|r| r.status).ok(),
        Some(500)
    );
    let second = outcome
        .results
        .iter()
        .find(|r| {
            r.transport_error()
                .is_some_and(|e| e.message.contains("sent again"))
        })
        .expect("a case after it was not answered");
    let e = second.transport_error().unwrap();
    assert!(
        e.message
            .contains("sent again on a new connection failed too")
            && e.message.contains(&format!("500, to `{}`", first.case.id)),
        "{}",
        e.message
    );
    assert!(noted(second), "{:?}", second.notes);
}

/// The reference server with one variation or fault, on a runtime of its own.
fn reference(variations: &[Variation], faults: &[Fault]) -> (SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = rt
        .block_on(server::spawn(
            "127.0.0.1:0".parse().unwrap(),
            ServerConfig {
                token: "t0ken".into(),
                services: vec!["svc".into()],
                faults: FaultSet::with(faults.iter().copied()),
                variations: VariationSet::with(variations.iter().copied()),
                reject_past_expiry: false,
            },
        ))
        .unwrap();
    let addr = running.local_addr();
    // Kept serving until the runtime is dropped.
    std::mem::forget(running);
    (addr, rt)
}

const PATH: &str = "/api/v1/workspace/services/svc/tokens/access";

/// One request on `stream`, and everything read until the answer is complete (by its
/// Content-Length or its last chunk) or the connection closes.
fn exchange(stream: &mut TcpStream, method: &str, token: &str) -> String {
    let body = r#"{"name":"n","description":"d"}"#;
    // One write: a request in pieces could be closed on after its first piece.
    let request = format!(
        "{method} {PATH} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse::<usize>().ok());
            match length {
                Some(n) if rest.len() >= n => break,
                None if rest.ends_with("0\r\n\r\n") => break,
                _ => {}
            }
        }
    }
    String::from_utf8_lossy(&got).to_ascii_lowercase()
}

/// Whether the peer has closed `stream` (a read returns end of file).
fn closed(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    matches!(stream.read(&mut [0u8; 16]), Ok(0))
}

#[test]
fn connection_close_says_so_and_closes() {
    let (addr, _rt) = reference(&[Variation::ConnectionClose], &[]);
    let mut s = TcpStream::connect(addr).unwrap();
    let answer = exchange(&mut s, "POST", "t0ken");
    assert!(answer.starts_with("http/1.1 201"), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(closed(&mut s));
}

#[test]
fn chunked_frames_success_and_error_bodies_without_content_length() {
    let (addr, _rt) = reference(&[Variation::Chunked], &[]);
    let mut s = TcpStream::connect(addr).unwrap();
    for (token, status) in [("t0ken", "201"), ("wrong", "401")] {
        let answer = exchange(&mut s, "POST", token);
        assert!(
            answer.starts_with(&format!("http/1.1 {status}")),
            "{answer}"
        );
        assert!(
            answer.contains("\r\ntransfer-encoding: chunked\r\n"),
            "{answer}"
        );
        assert!(!answer.contains("content-length"), "{answer}");
    }
}

#[test]
fn parser_rejects_unknown_method_answers_400_before_routing_without_date() {
    let (addr, _rt) = reference(&[Variation::ParserRejectsUnknownMethod], &[]);
    let mut s = TcpStream::connect(addr).unwrap();
    let routed = exchange(&mut s, "GET", "t0ken");
    assert!(routed.starts_with("http/1.1 405"), "{routed}");
    assert!(
        routed.contains("\r\ndate: "),
        "a routed answer keeps Date: {routed}"
    );
    let refused = exchange(&mut s, "FOO", "t0ken");
    assert!(
        refused.starts_with("http/1.1 400 bad request\r\n"),
        "{refused}"
    );
    assert!(refused.contains("\r\nconnection: close\r\n"), "{refused}");
    assert!(!refused.contains("\r\ndate: "), "{refused}");
    assert!(closed(&mut s));
}

#[test]
fn closes_after_server_error_drops_the_connection_without_saying_so() {
    for (variations, faults, answer_status) in [
        (&[Variation::ClosesAfterError][..], &[][..], "401"),
        (&[][..], &[Fault::CrashOnLoneSurrogateCloses][..], "500"),
    ] {
        let (addr, _rt) = reference(variations, faults);
        let mut s = TcpStream::connect(addr).unwrap();
        // A success leaves the connection open.
        let ok = exchange(&mut s, "POST", "t0ken");
        assert!(ok.starts_with("http/1.1 201"), "{ok}");
        let answer = if answer_status == "500" {
            let body = r#"{"name":"\ud800","description":"d"}"#;
            let request = format!(
                "POST {PATH} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t0ken\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            s.write_all(request.as_bytes()).unwrap();
            let mut buf = [0u8; 8192];
            let n = s.read(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase()
        } else {
            exchange(&mut s, "POST", "wrong")
        };
        assert!(
            answer.starts_with(&format!("http/1.1 {answer_status}")),
            "{answer}"
        );
        assert!(!answer.contains("connection: close"), "{answer}");
        // Still open: the close comes when the next request arrives, which gets no answer.
        assert!(!closed(&mut s), "closed before the next request");
        let next = exchange(&mut s, "POST", "t0ken");
        assert_eq!(next, "", "the next request was answered");
    }
}
