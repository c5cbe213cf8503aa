//! One exchange with the target: the request as it went out ([`SentRequest`]), what came back
//! ([`Response`]) or why nothing did ([`TransportError`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;

use super::credentials::Placeholder;

/// The most of a response body kept; a larger body is cut and said to be cut.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The request as it went out, except that it never holds a credential: where one went (a
/// header, the query, the Cookie header) the record holds the placeholder `${VAR}` that reports
/// print and shells expand.
#[derive(Clone, Debug)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Where the record holds a credential's placeholder, and how it is encoded when sent.
    pub placeholders: Vec<Placeholder>,
    pub body: Bytes,
    /// The body's full length, when only its start is kept (see [`Exchange::compact`]).
    pub body_cut: Option<usize>,
}

impl SentRequest {
    /// The body as text (bodies are built from strings, so this is exact).
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// What the server answered.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_BODY`] and was cut.
    pub truncated: bool,
    /// The body's full length, when only its start is kept (see [`Exchange::compact`]).
    pub body_cut: Option<usize>,
}

impl Response {
    /// How long a 429 or 503 asks the client to wait before trying again (`Retry-After`, in
    /// seconds or as an HTTP date); `None` for any other answer.
    pub fn retry_after(&self) -> Option<Duration> {
        if !matches!(self.status, 429 | 503) {
            return None;
        }
        let value = self.header("retry-after")?.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(
            at.duration_since(std::time::SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }

    /// The first value of a header, by case-insensitive name; a value that is not text reads as
    /// absent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every field line of a list header joined into one list, as RFC 9110 5.3 reads them:
    /// `WWW-Authenticate: Basic` and `WWW-Authenticate: Bearer` on two lines are one header.
    pub fn header_list(&self, name: &str) -> Option<String> {
        let lines: Vec<&str> = self
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!lines.is_empty()).then(|| lines.join(", "))
    }

    /// Every header as text, in the order received.
    pub fn header_lines(&self) -> impl Iterator<Item = (&str, std::borrow::Cow<'_, str>)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v.as_bytes())))
    }

    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    Connect,
    Timeout,
    Other,
    /// Not sent, or cut, because a signal stopped the run.
    Interrupted,
    /// Not sent, or cut, because the target had stopped answering.
    Aborted,
    /// The server asked twice to come back later (429 or 503 with `Retry-After`), or asked to
    /// wait longer than `--max-wait`.
    Throttled,
    /// Not sent: the `--duration` budget had run out. Listed, but no failure of the run.
    Budget,
    /// The suite itself failed on the case (a panic): a bug of the suite, not a verdict.
    Internal,
}

impl TransportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Connect => "connect",
            TransportKind::Timeout => "timeout",
            TransportKind::Other => "transport",
            TransportKind::Interrupted => "interrupted",
            TransportKind::Aborted => "aborted",
            TransportKind::Throttled => "throttled",
            TransportKind::Budget => "budget",
            TransportKind::Internal => "internal",
        }
    }

    /// The request reached no verdict because the run stopped, not because of the target.
    pub fn is_stop(self) -> bool {
        matches!(self, TransportKind::Interrupted | TransportKind::Aborted)
    }
}

/// The request could not be completed: not a contract violation.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    pub kind: TransportKind,
    /// What happened, with the chain of causes spelt out ("error sending request: ...:
    /// Connection refused"), as reports show it.
    pub message: String,
    /// The HTTP client's error, when it came from one.
    #[source]
    pub source: Option<Arc<reqwest::Error>>,
    /// The connection was closed or reset after the request went out on it and before any
    /// answer arrived: what a server that drops an idle keep-alive connection looks like to the
    /// client that just picked it from the pool (RFC 9112 9.3.1). Not a connect error, not a
    /// timeout, not a cut body.
    pub closed_unanswered: bool,
}

impl TransportError {
    pub fn new(kind: TransportKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source: None,
            closed_unanswered: false,
        }
    }

    /// An error of `send()`, before any response head was read: it may be a closed connection.
    pub(super) fn from_send(e: reqwest::Error) -> Self {
        let closed = !e.is_timeout() && !e.is_connect() && closed_under_us(&e);
        let mut error = Self::from_reqwest(e);
        error.closed_unanswered = closed;
        error
    }

    pub(super) fn from_reqwest(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        };
        // The chain carries the useful part ("Connection refused"); the top is only "error sending request".
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        TransportError {
            kind,
            message,
            source: Some(Arc::new(e)),
            closed_unanswered: false,
        }
    }
}

/// Whether the cause of a failed send is the peer closing or resetting the connection: hyper's
/// "connection closed before message completed" (or a request it never got to write), or a
/// reset, an abort or a broken pipe from the socket.
fn closed_under_us(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() || h.is_canceled() {
                return true;
            }
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        source = s.source();
    }
    false
}

/// One request and its outcome.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub request: SentRequest,
    pub outcome: Result<Response, TransportError>,
    pub elapsed: Duration,
}

/// How much of each body a passing case keeps for its report.
pub const KEPT_OF_A_PASS: usize = 4 * 1024;

/// How much of its answer's body a failing case keeps once judged: enough to read what was
/// wrong in the report, and a bound on what many failing cases of large answers hold.
pub const KEPT_OF_A_FAILURE: usize = 64 * 1024;

impl Exchange {
    /// Keeps only the first `limit` bytes of each body (on a character boundary), noting the
    /// full lengths: a passing case's report needs no more, and a run of many large bodies then
    /// keeps memory and reports linear in the number of cases.
    pub fn compact(&mut self, limit: usize) {
        if self.request.body.len() > limit {
            let keep = char_floor(&self.request.body, limit);
            self.request.body_cut = Some(self.request.body.len());
            self.request.body = self.request.body.slice(..keep);
        }
        self.compact_response(limit);
    }

    /// Keeps only the first `limit` bytes of the answer's body, noting its full length; the
    /// request stays whole, for the curl line and the regression file that reproduce it.
    pub fn compact_response(&mut self, limit: usize) {
        if let Ok(resp) = &mut self.outcome {
            if resp.body.len() > limit {
                let keep = char_floor(&resp.body, limit);
                resp.body_cut = Some(resp.body.len());
                resp.body.truncate(keep);
                resp.body.shrink_to_fit();
            }
        }
    }
}

/// The largest length up to `limit` that does not split a UTF-8 character.
fn char_floor(bytes: &[u8], limit: usize) -> usize {
    let mut at = limit.min(bytes.len());
    while at > 0 && at < bytes.len() && (bytes[at] & 0xc0) == 0x80 {
        at -= 1;
    }
    at
}
