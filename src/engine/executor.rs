//! The executor: the one path every request of a run takes ([`Executor`]). It sends a case
//! (waiting out a `Retry-After`, resending once on a closed connection), checks the answer and
//! masks the secrets in what is kept, so derived cases, case files, properties and the
//! self-test are sent, judged and counted the same way. What the run collects lives in
//! [`crate::engine::collect`].

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cases::Case;
use crate::check::Checker;
use crate::contract::chain::last_segment;
use crate::contract::{Operation, Severity};
use crate::engine::chain::{nothing, tolerate_404, Answered, Chain, Got};
use crate::engine::collect::CreatedList;
use crate::engine::latency::Latency;
use crate::engine::outcome::{CaseResult, Chained, PossibleDuplicate, Status};
use crate::engine::stop::{Reason, Stop};
use crate::http::{
    Exchange, Prepared, Response, SentRequest, Target, TransportError, TransportKind,
};
use crate::redact::{secret_values, Redactor, MASKED, SECRET_FIELDS};

/// Sends cases and judges the answers; shared by every test of a run.
pub struct Executor {
    contract: Arc<Operation>,
    target: Target,
    checker: Checker,
    strict: bool,
    handle: tokio::runtime::Handle,
    stop: Arc<Stop>,
    redactor: Redactor,
    max_wait: Duration,
    /// Requests sent again after a `Retry-After`.
    retries: AtomicU64,
    /// Requests sent again on a new connection after theirs was closed before any answer.
    resent: AtomicU64,
    /// Transport errors since the last answer.
    failing_in_a_row: AtomicU32,
    /// The case (as the run names it) and status of the answer received last, which a request
    /// whose connection was closed under it names: that answer may have been the server's last
    /// on the connection.
    last_answer: Mutex<Option<(String, u16)>>,
    requests: AtomicU64,
    generated: AtomicU64,
    created: Arc<CreatedList>,
    /// Put before each case id when the run has more than one operation.
    prefix: Option<String>,
    tolerate_404: Option<String>,
    /// The run's set-up requests, and this operation's index among the run's.
    chain: Option<(Arc<Chain>, usize)>,
    /// The operation is a document's: any POST success or 201 goes to the created list.
    documented: bool,
    /// How long the answers took, for the `latency` and `timeout` rules.
    latency: Latency,
}

/// How the executor judges and what it must keep safe.
pub struct Settings {
    /// Warnings count as errors.
    pub strict: bool,
    pub stop: Arc<Stop>,
    /// The run's secrets, kept out of every output, the created-id list included.
    pub redactor: Redactor,
    /// The ids of what the run created, shared by every operation's executor.
    pub created: Arc<CreatedList>,
    /// The operation's name, put before case ids when the run has more than one operation.
    pub prefix: Option<String>,
    /// The longest `Retry-After` the run waits out.
    pub max_wait: Duration,
    /// Why a valid case of the operation may get 404: each valid case without it tolerates it.
    pub tolerate_404: Option<String>,
}

/// The counts a run ends with, beside its results.
#[derive(Debug, Default)]
pub struct Totals {
    pub requests: u64,
    pub generated: u64,
    /// Requests sent again after a `Retry-After`.
    pub retries: u64,
    /// Requests sent again on a new connection after theirs was closed before any answer.
    pub resent: u64,
}

impl Executor {
    pub fn new(
        contract: Arc<Operation>,
        target: Target,
        checker: Checker,
        handle: tokio::runtime::Handle,
        settings: Settings,
    ) -> Self {
        Executor {
            contract,
            target,
            checker,
            strict: settings.strict,
            handle,
            stop: settings.stop,
            redactor: settings.redactor,
            max_wait: settings.max_wait,
            retries: AtomicU64::new(0),
            resent: AtomicU64::new(0),
            failing_in_a_row: AtomicU32::new(0),
            last_answer: Mutex::new(None),
            requests: AtomicU64::new(0),
            generated: AtomicU64::new(0),
            created: settings.created,
            prefix: settings.prefix,
            tolerate_404: settings.tolerate_404,
            chain: None,
            documented: false,
            latency: Latency::default(),
        }
    }

    /// Marks the operation as a document's (`--openapi`): what any POST success or 201 creates
    /// goes to the created list, not only what an endpoint file's `created_id` names.
    pub fn documented(mut self, documented: bool) -> Self {
        self.documented = documented;
        self
    }

    /// Takes path values that exist from `chain`'s set-up requests; `op` is this operation's
    /// index in the run.
    pub fn with_chain(mut self, chain: Arc<Chain>, op: usize) -> Self {
        self.chain = Some((chain, op));
        self
    }

    /// The case with its chained path values, and the record of each.
    async fn chained(&self, case: Arc<Case>) -> (Arc<Case>, Vec<Chained>) {
        match &self.chain {
            Some((chain, op)) => chain.fill(*op, case, &self.target.path_values).await,
            None => (case, Vec::new()),
        }
    }

    /// Sends this operation's base request as a set-up request for another operation's path
    /// values: through the same path as a case (its own chained values, `Retry-After`, the
    /// created list), but not judged and not a result.
    pub async fn set_up(&self, case: Arc<Case>, label: &str) -> Answered {
        let (case, _) = self.chained(case).await;
        let prepared = self.target.prepare(&self.contract.endpoint, &case.request);
        let mut path = self.target.path_values.clone();
        path.extend(case.request.path.clone());
        let request_body = serde_json::from_slice(&prepared.request.body).ok();
        if let Some(reason) = self.stop.reason() {
            let mut answered = nothing(label.into(), reason.describe());
            answered.request = Some(prepared.request);
            return answered;
        }
        let started = Instant::now();
        let mut sending = Sending::default();
        let outcome = self.transmit_politely(&prepared, &mut sending).await;
        let exchange = Exchange {
            request: prepared.request,
            outcome,
            elapsed: started.elapsed(),
        };
        self.watch_target(&exchange);
        let (status, got) = match &exchange.outcome {
            Err(e) => (None, Err(format!("{label} failed: {}", e.message))),
            Ok(resp) if !(200..300).contains(&resp.status) => (
                Some(resp.status),
                Err(format!("{label} answered {}", resp.status)),
            ),
            Ok(resp) => {
                let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
                self.note_created(resp, body.as_ref());
                let got = Got {
                    status: resp.status,
                    headers: header_pairs(resp),
                    body,
                };
                (Some(resp.status), Ok(got))
            }
        };
        Answered {
            label: label.into(),
            request: Some(exchange.request),
            path,
            request_body,
            status,
            got,
        }
    }

    pub fn contract(&self) -> &Arc<Operation> {
        &self.contract
    }

    /// The runtime the requests run on; callers outside it block on futures through it.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Sends a case and judges the answer: the one path every kind of case goes through. Once
    /// the run is stopped, nothing more is sent, and a request in flight may be cut.
    pub async fn execute(&self, case: Arc<Case>) -> CaseResult {
        let (case, chained) = self.chained(case).await;
        let case = self.tolerating_404(case);
        let prepared = self.target.prepare(&self.contract.endpoint, &case.request);
        if let Some(reason) = self.stop.reason() {
            let exchange = stopped(prepared.request, reason, Duration::ZERO);
            return CaseResult::new(case, exchange, Vec::new());
        }
        let started = Instant::now();
        let sent = std::time::SystemTime::now();
        let mut sending = Sending::default();
        let outcome = self.transmit_politely(&prepared, &mut sending).await;
        let window = crate::check::Window::since(sent);
        let exchange = Exchange {
            request: prepared.request,
            outcome,
            elapsed: started.elapsed(),
        };
        self.watch_target(&exchange);
        if !sending.waited && !sending.resent {
            // A wait for `Retry-After`, or a first send closed under it, is not the server's time.
            self.latency.observe(&case, &exchange);
        }
        if let Ok(resp) = &exchange.outcome {
            *lock(&self.last_answer) = Some((self.case_id(&case.id), resp.status));
        }
        let (mut verdicts, body) = match &exchange.outcome {
            Ok(resp) => self
                .checker
                .check_at(&self.contract, &case, resp, Some(window)),
            Err(_) => (Vec::new(), None),
        };
        let created = match &exchange.outcome {
            Ok(resp) => self.note_created(resp, body.as_ref()),
            Err(_) => None,
        };
        if sending.resent && !idempotent(&exchange.request.method) {
            self.created.mark(PossibleDuplicate {
                case: self.case_id(&case.id),
                method: exchange.request.method.clone(),
                created,
            });
        }
        let notes = sending.notes;
        if self.strict {
            for v in &mut verdicts {
                v.severity = Severity::Error;
            }
        }
        let mut result = CaseResult::new(case, exchange, verdicts);
        result.notes = notes;
        result.chained = chained;
        mask_secret_fields(&mut result, body.as_ref());
        if result.status() == Status::Passed {
            result.exchange.compact(crate::http::KEPT_OF_A_PASS);
        } else {
            result
                .exchange
                .compact_response(crate::http::KEPT_OF_A_FAILURE);
        }
        result
    }

    /// Sends once; a 429 or 503 with `Retry-After` is waited out (up to `--max-wait`) and sent
    /// once more, and noted. Being asked to come back later is never a violation by itself.
    async fn transmit_politely(
        &self,
        prepared: &Prepared,
        sending: &mut Sending,
    ) -> Result<Response, TransportError> {
        let first = self.transmit_resending(prepared, sending).await;
        let Some(wait) = first.as_ref().ok().and_then(Response::retry_after) else {
            return first;
        };
        let status = first.as_ref().map_or(0, |r| r.status);
        if wait > self.max_wait {
            return Err(TransportError::new(
                TransportKind::Throttled,
                format!(
                    "not tested: the server answered {status} and asked to wait {} s (Retry-After), more than --max-wait {} s",
                    wait.as_secs(),
                    self.max_wait.as_secs()
                ),
            ));
        }
        self.retries.fetch_add(1, Ordering::Relaxed);
        sending.waited = true;
        sending.notes.push(format!(
            "the server answered {status} with Retry-After: waited {:.1} s and sent the request again",
            wait.as_secs_f64()
        ));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            reason = self.stop.cut() => return Err(stop_error(reason)),
        }
        let second = self.transmit_resending(prepared, sending).await;
        match &second {
            Ok(r) if r.retry_after().is_some() => Err(TransportError::new(
                TransportKind::Throttled,
                format!(
                    "not tested: the server answered {} with Retry-After again, after the wait",
                    r.status
                ),
            )),
            _ => second,
        }
    }

    /// Sends once; a request whose connection was closed or reset before any answer came (a
    /// server that drops a keep-alive connection without `Connection: close`) is sent once more
    /// on a new connection, and noted. A method that is not idempotent (RFC 9110 9.2.2) may have
    /// taken effect the first time: [`Executor::execute`] marks the case a possible duplicate.
    async fn transmit_resending(
        &self,
        prepared: &Prepared,
        sending: &mut Sending,
    ) -> Result<Response, TransportError> {
        let first = self.transmit_once(prepared, false).await;
        let closed = match &first {
            Err(e) if e.closed_unanswered && !sending.resent => e.clone(),
            _ => return first,
        };
        let before = match lock(&self.last_answer).as_ref() {
            Some((case, status)) => {
                // Answers on other connections may come between, so it is a lead, not a cause.
                format!(
                    "the run's last answer before it, on any connection, was {status}, to `{case}`"
                )
            }
            None => "no answer had been received before it".to_string(),
        };
        sending.resent = true;
        self.resent.fetch_add(1, Ordering::Relaxed);
        let method = &prepared.request.method;
        let mut note = format!(
            "the connection was closed before any answer came ({}; {before}): sent the request again on a new connection",
            closed.message
        );
        if !idempotent(method) {
            note.push_str(&format!(
                "; {method} is not idempotent (RFC 9110 9.2.2), so the first send may have taken effect: listed as a possible duplicate for the clean-up"
            ));
        }
        sending.notes.push(note);
        match self.transmit_once(prepared, true).await {
            Err(mut again) if !again.kind.is_stop() => {
                again.message = format!(
                    "the connection was closed before any answer came ({}), and the request sent again on a new connection failed too: {}; {before}",
                    closed.message, again.message
                );
                Err(again)
            }
            second => second,
        }
    }

    async fn transmit_once(
        &self,
        prepared: &Prepared,
        fresh: bool,
    ) -> Result<Response, TransportError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let sent = async {
            if fresh {
                self.target.transmit_fresh(prepared).await
            } else {
                self.target.transmit(prepared).await
            }
        };
        tokio::select! {
            outcome = sent => outcome,
            reason = self.stop.cut() => Err(stop_error(reason)),
        }
    }

    /// The case, tolerating a 404 when it is valid and the operation's path value may name
    /// nothing on the server ([`Settings::tolerate_404`]).
    fn tolerating_404(&self, case: Arc<Case>) -> Arc<Case> {
        match &self.tolerate_404 {
            Some(why) => tolerate_404(case, why),
            None => case,
        }
    }

    /// The run's redactor, for everything that leaves the process.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Counts transport errors in a row; at [`DEAD_AFTER`] the target is taken for dead and the
    /// run stops sending.
    fn watch_target(&self, exchange: &Exchange) {
        match &exchange.outcome {
            Ok(_) => self.failing_in_a_row.store(0, Ordering::Relaxed),
            Err(e) if e.kind == TransportKind::Throttled => {
                self.failing_in_a_row.store(0, Ordering::Relaxed)
            }
            Err(e) if e.kind.is_stop() => {}
            Err(_) => {
                let n = self.failing_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= DEAD_AFTER {
                    self.stop.raise(Reason::DeadTarget(n));
                }
            }
        }
    }

    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<Reason> {
        self.stop.reason()
    }

    /// [`Executor::execute`] from a thread outside the runtime.
    pub fn execute_blocking(&self, case: Arc<Case>) -> CaseResult {
        self.handle.block_on(self.execute(case))
    }

    /// How long this operation's answers took.
    pub fn latency(&self) -> &Latency {
        &self.latency
    }

    /// Whether check `name` runs (not `--skip-check`ed).
    pub fn checks(&self, name: &str) -> bool {
        self.checker.is_on(name)
    }

    /// Sends `cases` at once, from a thread outside the runtime, to time them: for each, its
    /// time when it is answered later than `limit`, else `None` (answered in time, or not at
    /// all). Counted in the requests; what they create goes to the created list.
    pub fn time_all(self: &Arc<Self>, cases: Vec<Case>, limit: Duration) -> Vec<Option<Duration>> {
        let mut times = vec![None; cases.len()];
        self.handle.block_on(async {
            let mut sent = tokio::task::JoinSet::new();
            for (i, case) in cases.into_iter().enumerate() {
                let exec = self.clone();
                sent.spawn(async move { (i, exec.time_once(&case, limit).await) });
            }
            while let Some(joined) = sent.join_next().await {
                if let Ok((i, t)) = joined {
                    times[i] = t;
                }
            }
        });
        times
    }

    /// The whole answer is waited for (up to `--timeout`): a request cut short may still
    /// create something, which the created list would then miss.
    async fn time_once(&self, case: &Case, limit: Duration) -> Option<Duration> {
        let prepared = self.target.prepare(&self.contract.endpoint, &case.request);
        let started = Instant::now();
        let resp = self.transmit_once(&prepared, false).await.ok()?;
        let elapsed = started.elapsed();
        let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
        self.note_created(&resp, body.as_ref());
        Some(elapsed).filter(|e| *e > limit)
    }

    /// Requests sent so far, for a progress line.
    pub fn requests_so_far(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Counts a body a property drew.
    pub fn count_generated(&self) {
        self.generated.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far: the run's totals once every test has ended.
    pub fn totals(&self) -> Totals {
        Totals {
            requests: self.requests.load(Ordering::Relaxed),
            generated: self.generated.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            resent: self.resent.load(Ordering::Relaxed),
        }
    }

    /// The operation's name when the run has several, which case ids and saved cases carry.
    pub fn operation_prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// A case id as the run shows it: prefixed with the operation when there are several.
    pub fn case_id(&self, id: &str) -> String {
        match &self.prefix {
            Some(op) => format!("{op}::{id}"),
            None => id.to_string(),
        }
    }

    /// Notes the id of what a success created, for the list of what the run left behind, and
    /// returns it as listed: the `created_id` field when the contract names one; else, for a
    /// POST's success or any 201, the creating rule's field (or `id`), else the `Location`.
    fn note_created(&self, resp: &Response, body: Option<&Value>) -> Option<String> {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let endpoint = &self.contract.endpoint;
        let id = if let Some(pointer) = &endpoint.created_id {
            let v = body?.pointer(pointer)?;
            v.as_str().map_or_else(|| v.to_string(), str::to_string)
        } else {
            let creates = (endpoint.method == "POST" && (200..300).contains(&resp.status))
                || resp.status == 201;
            if !(creates && self.documented) {
                return None;
            }
            let field = self.chain.as_ref().and_then(|(c, op)| c.created_field(*op));
            let from_body = [field.as_deref(), Some("/id")]
                .into_iter()
                .flatten()
                .find_map(|p| body.and_then(|b| b.pointer(p)).and_then(text));
            from_body
                .or_else(|| resp.header("location").map(last_segment))
                .filter(|id| !id.is_empty())?
        };
        let id = self.redactor.apply(&id);
        self.created.push(&endpoint.operation, id.clone());
        Some(id)
    }
}

/// Masks the values of secret-looking response fields (a `plain_text_token`, say) in what is
/// kept of an exchange: the body, the headers and the verdicts. The checks saw the real values.
fn mask_secret_fields(result: &mut CaseResult, parsed: Option<&Value>) {
    let Ok(resp) = &mut result.exchange.outcome else {
        return;
    };
    let reparsed;
    let body = match parsed {
        Some(body) => body,
        None => {
            let lower = resp.body_text().to_ascii_lowercase();
            if !SECRET_FIELDS.iter().any(|f| lower.contains(f)) {
                return;
            }
            let Ok(v) = serde_json::from_slice::<Value>(&resp.body) else {
                return;
            };
            reparsed = v;
            &reparsed
        }
    };
    let secrets = secret_values(body);
    if secrets.is_empty() {
        return;
    }
    let mask = Redactor::with_marker(secrets, MASKED);
    resp.body = mask.apply(&resp.body_text()).into_bytes();
    for value in resp.headers.values_mut() {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let masked = mask.apply(&text);
        if masked != text {
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&masked) {
                *value = v;
            }
        }
    }
    for v in &mut result.verdicts {
        v.expected = mask.apply(&v.expected);
        v.actual = mask.apply(&v.actual);
    }
}

/// A response's headers as name and text pairs, for runtime expressions.
fn header_pairs(resp: &Response) -> Vec<(String, String)> {
    resp.headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// What happened while one case was sent: the notes for its report, and whether it was sent
/// again on a new connection.
#[derive(Default)]
struct Sending {
    notes: Vec<String>,
    resent: bool,
    /// It waited out a `Retry-After`.
    waited: bool,
}

/// Whether a request with this method may be repeated with the effect of one (RFC 9110 9.2.2).
/// Methods are case-sensitive (9.1), so `put` is not PUT: a method HTTP does not define is taken
/// as not idempotent.
fn idempotent(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
    )
}

/// Transport errors in a row, with no answer in between, after which the target is taken for
/// dead: enough to ride out a reset connection, few enough to stop within about two timeouts.
pub const DEAD_AFTER: u32 = 5;

/// The exchange of a request the stop kept from being sent, or cut.
fn stopped(request: SentRequest, reason: Reason, elapsed: Duration) -> Exchange {
    Exchange {
        request,
        outcome: Err(stop_error(reason)),
        elapsed,
    }
}

/// The transport error of a request the stop kept from being sent, or cut.
pub fn stop_error(reason: Reason) -> TransportError {
    let kind = match reason {
        Reason::Signal(_) => TransportKind::Interrupted,
        Reason::DeadTarget(_) => TransportKind::Aborted,
    };
    TransportError::new(kind, reason.describe())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
