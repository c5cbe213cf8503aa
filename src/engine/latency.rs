//! How long each operation's requests took ([`Latency`]), and the two rules judged on it once
//! every test has ended: a request far slower than its operation's median (`latency`: a
//! backtracking pattern, a lock), and a request that passed `--timeout` while the target kept
//! answering the others (`timeout`).
//!
//! The record is bounded whatever the run's length: a log-bucket histogram for the median, the
//! few slowest requests over [`FLOOR`], and the few timed-out cases. Recording an answer is one
//! atomic add; only a request slower than [`FLOOR`] takes a lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::cases::{Body, Case};
use crate::check::{excerpt, Verdict};
use crate::contract::Severity;
use crate::engine::collect::Results;
use crate::engine::executor::Executor;
use crate::engine::outcome::CaseResult;
use crate::http::{Exchange, TransportKind};

/// The `latency` check's name, as output, JUnit and `--skip-check` show it.
pub const LATENCY: &str = crate::check::names::LATENCY;
/// The `timeout` check's name.
pub const TIMEOUT: &str = crate::check::names::TIMEOUT;

/// No request faster than this is slow, whatever the median: a GC pause or a cold cache costs
/// hundreds of milliseconds on a correct server.
pub const FLOOR: Duration = Duration::from_secs(1);
/// How many times the median a slow request takes at least.
pub const TIMES_MEDIAN: u32 = 10;
/// Answers an operation needs before its median means anything.
pub const MIN_ANSWERS: u64 = 20;
/// The slowest requests kept per operation (each over [`FLOOR`]).
const SLOW_KEPT: usize = 8;
/// The timed-out cases kept per operation (a dead target stops the run after a few).
const TIMEOUTS_KEPT: usize = 256;
/// Smaller bodies sent at most to shrink the slowest request's body.
pub const SHRINK_TRIES: usize = 6;

/// Sub-buckets per power of two: a median within 1/8 (12.5 %) of the true one.
const SUB: usize = 8;
const BUCKETS: usize = 64 * SUB;

/// An operation's latency record.
pub struct Latency {
    /// Answers by time, in microseconds on a log scale.
    buckets: Box<[AtomicU64]>,
    answers: AtomicU64,
    slow: Mutex<Vec<Slow>>,
    timeouts: Mutex<Vec<TimedOut>>,
}

/// A request slower than [`FLOOR`]: a candidate for the `latency` rule.
#[derive(Clone)]
pub struct Slow {
    pub case: Arc<Case>,
    pub elapsed: Duration,
    pub status: u16,
}

/// A case whose request passed `--timeout`, and how many answers the operation had by then.
struct TimedOut {
    case_id: String,
    message: String,
    body: String,
    answers_before: u64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            answers: AtomicU64::new(0),
            slow: Mutex::new(Vec::new()),
            timeouts: Mutex::new(Vec::new()),
        }
    }
}

/// The bucket of a time in microseconds: its power of two, then its next three bits.
fn bucket(micros: u64) -> usize {
    let v = micros.max(1);
    let exp = 63 - v.leading_zeros() as usize;
    // Under 8 µs each microsecond is its own sub-bucket.
    let sub = if exp >= 3 {
        ((v >> (exp - 3)) & 7) as usize
    } else {
        (v - (1 << exp)) as usize
    };
    (exp * SUB + sub).min(BUCKETS - 1)
}

/// The largest time (in microseconds) a bucket holds: a median read high, so a threshold read
/// from it never fails a request a true median would pass.
fn bucket_top(index: usize) -> u64 {
    let (exp, sub) = ((index / SUB) as u32, (index % SUB) as u64);
    let base = 1u64.checked_shl(exp).unwrap_or(u64::MAX);
    let step = if exp >= 3 { base >> 3 } else { 1 };
    base.saturating_add(step.saturating_mul(sub + 1))
}

impl Latency {
    /// Records one request of a case: an answer's time, a slow one's case, a timeout's case.
    pub fn observe(&self, case: &Arc<Case>, exchange: &Exchange) {
        match &exchange.outcome {
            Ok(resp) => {
                let micros = u64::try_from(exchange.elapsed.as_micros()).unwrap_or(u64::MAX);
                self.buckets[bucket(micros)].fetch_add(1, Ordering::Relaxed);
                self.answers.fetch_add(1, Ordering::Relaxed);
                if exchange.elapsed >= FLOOR {
                    self.keep_slow(Slow {
                        case: case.clone(),
                        elapsed: exchange.elapsed,
                        status: resp.status,
                    });
                }
            }
            Err(e) if e.kind == TransportKind::Timeout => {
                let mut kept = lock(&self.timeouts);
                if kept.len() < TIMEOUTS_KEPT {
                    kept.push(TimedOut {
                        case_id: case.id.clone(),
                        message: e.message.clone(),
                        // Its start only: the record stays small whatever the bodies.
                        body: excerpt(&exchange.request.body_text()),
                        answers_before: self.answers.load(Ordering::Relaxed),
                    });
                }
            }
            Err(_) => {}
        }
    }

    fn keep_slow(&self, slow: Slow) {
        let mut kept = lock(&self.slow);
        kept.push(slow);
        kept.sort_by_key(|s| std::cmp::Reverse(s.elapsed));
        kept.truncate(SLOW_KEPT);
    }

    /// Answers recorded so far.
    pub fn answers(&self) -> u64 {
        self.answers.load(Ordering::Relaxed)
    }

    /// The median answer time, read high (the top of its bucket); `None` before any answer.
    pub fn median(&self) -> Option<Duration> {
        let n = self.answers();
        if n == 0 {
            return None;
        }
        let rank = (n - 1) / 2;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen > rank {
                return Some(Duration::from_micros(bucket_top(i)));
            }
        }
        None
    }

    /// Past this a request is slow: the larger of [`TIMES_MEDIAN`] × the median and [`FLOOR`];
    /// `None` while the operation has fewer than [`MIN_ANSWERS`] answers.
    pub fn threshold(&self) -> Option<(Duration, Duration)> {
        if self.answers() < MIN_ANSWERS {
            return None;
        }
        let median = self.median()?;
        let times = median.checked_mul(TIMES_MEDIAN).unwrap_or(Duration::MAX);
        Some((times.max(FLOOR), median))
    }

    /// The kept requests over the threshold, slowest first.
    pub fn slow_requests(&self) -> Vec<Slow> {
        let Some((limit, _)) = self.threshold() else {
            return Vec::new();
        };
        let kept = lock(&self.slow);
        kept.iter().filter(|s| s.elapsed > limit).cloned().collect()
    }

    /// The `timeout` verdicts, by case id: each request that passed `--timeout` while the
    /// target went on answering (an answer came after it). A request after which nothing was
    /// answered stays the run's transport error: the target had stopped answering altogether.
    pub fn timeout_verdicts(&self) -> Vec<(String, Verdict)> {
        let total = self.answers();
        let kept = lock(&self.timeouts);
        kept.iter()
            .filter(|t| total > t.answers_before)
            .map(|t| {
                let after = total - t.answers_before;
                let verdict = Verdict::new(
                    TIMEOUT,
                    Severity::Error,
                    "time",
                    format!(
                        "an answer within --timeout, as the target answered the run's other requests ({after} of them after this one)"
                    ),
                    format!("no answer: {}; body: {}", t.message, t.body),
                );
                (t.case_id.clone(), verdict)
            })
            .collect()
    }
}

/// Times smaller bodies, sent at once: for each, its time when it is still slow, else `None`.
pub type TimeAll<'a> = dyn FnMut(Vec<Case>) -> Vec<Option<Duration>> + 'a;

/// What shrinking found: the smallest body still slow, its time, and the requests sent.
pub struct Shrunk {
    pub body: Option<Value>,
    pub elapsed: Duration,
    pub tries: usize,
}

/// Shrinks a slow case's JSON body in two rounds of requests sent at once, so it costs about
/// two slow answers whatever the body: first each string halved and each property the schema
/// does not require (`required`) dropped, one variant each, at most [`SHRINK_TRIES`] − 1;
/// then every change that stayed slow, together. The smallest body still slow is kept.
pub fn shrink(slow: &Slow, required: &[String], send: &mut TimeAll<'_>) -> Shrunk {
    let mut out = Shrunk {
        body: None,
        elapsed: slow.elapsed,
        tries: 0,
    };
    let Some(original) = slow.case.request.body.json().map(|v| v.into_owned()) else {
        return out;
    };
    let changes: Vec<Change> = strings_by_length(&original)
        .into_iter()
        .map(Change::Halve)
        .chain(optional_keys(&original, required).map(Change::Drop))
        .take(SHRINK_TRIES - 1)
        .collect();
    let variants: Vec<Value> = changes.iter().map(|c| c.apply(&original)).collect();
    out.tries = variants.len();
    let times = send(variants.iter().map(|v| with_body(slow, v)).collect());
    let kept: Vec<(usize, Duration)> = times
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.map(|t| (i, t)))
        .collect();
    let smallest = kept
        .iter()
        .min_by_key(|(i, _)| variants[*i].to_string().len())
        .map(|&(i, t)| (variants[i].clone(), t));
    if kept.len() > 1 {
        let mut all = original.clone();
        // Halved first: a dropped property takes its strings with it.
        for (i, _) in kept.iter().filter(|(i, _)| changes[*i].is_halve()) {
            all = changes[*i].apply(&all);
        }
        for (i, _) in kept.iter().filter(|(i, _)| !changes[*i].is_halve()) {
            all = changes[*i].apply(&all);
        }
        out.tries += 1;
        if let Some(Some(t)) = send(vec![with_body(slow, &all)]).first() {
            out.body = Some(all);
            out.elapsed = *t;
            return out;
        }
    }
    if let Some((body, t)) = smallest {
        out.body = Some(body);
        out.elapsed = t;
    }
    out
}

/// One way to make a body smaller.
enum Change {
    /// Cut the string at this pointer to its first half.
    Halve(String),
    /// Remove this top-level property.
    Drop(String),
}

impl Change {
    fn is_halve(&self) -> bool {
        matches!(self, Change::Halve(_))
    }

    fn apply(&self, v: &Value) -> Value {
        let mut out = v.clone();
        match self {
            Change::Halve(pointer) => {
                if let Some(Value::String(s)) = out.pointer_mut(pointer) {
                    let half = s.chars().count() / 2;
                    *s = s.chars().take(half).collect();
                }
            }
            Change::Drop(key) => {
                if let Value::Object(m) = &mut out {
                    m.remove(key);
                }
            }
        }
        out
    }
}

fn with_body(slow: &Slow, body: &Value) -> Case {
    let mut case = (*slow.case).clone();
    case.request.body = Body::Json(body.clone());
    case
}

/// The pointers of the strings of two characters or more in `v`, longest first.
fn strings_by_length(v: &Value) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    walk(v, String::new(), &mut |pointer, s| {
        let n = s.chars().count();
        if n >= 2 {
            found.push((n, pointer));
        }
    });
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.into_iter().map(|(_, p)| p).collect()
}

/// The top-level properties of `v` that are not required.
fn optional_keys<'a>(v: &'a Value, required: &'a [String]) -> impl Iterator<Item = String> + 'a {
    v.as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| !required.contains(k))
        .cloned()
}

fn walk(v: &Value, pointer: String, f: &mut dyn FnMut(String, &str)) {
    match v {
        Value::String(s) => f(pointer, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{pointer}/{i}"), f);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                let key = k.replace('~', "~0").replace('/', "~1");
                walk(item, format!("{pointer}/{key}"), f);
            }
        }
        _ => {}
    }
}

/// The `latency` verdict of a slow request, shrunk or not.
pub fn slow_verdict(
    slow: &Slow,
    (limit, median, answers): (Duration, Duration, u64),
    shrunk: Option<&Shrunk>,
    strict: bool,
) -> Verdict {
    let severity = if strict {
        Severity::Error
    } else {
        Severity::Warning
    };
    let body = slow.case.request.body.to_text();
    let mut actual = format!(
        "answered {} after {}, {:.0} times the median; body: {}",
        slow.status,
        ms(slow.elapsed),
        slow.elapsed.as_secs_f64() / median.as_secs_f64().max(1e-6),
        excerpt(&body)
    );
    match shrunk {
        Some(Shrunk {
            body: Some(small),
            elapsed,
            tries,
        }) => actual.push_str(&format!(
            "; shrunk ({tries} smaller bodies sent) to the smallest still slow ({} or more): {}",
            ms(*elapsed),
            excerpt(&small.to_string())
        )),
        Some(s) if s.tries > 0 => actual.push_str(&format!(
            "; none of {} smaller bodies sent was slow",
            s.tries
        )),
        Some(_) => {}
        None => actual.push_str("; not shrunk (only the slowest request of an operation is)"),
    }
    Verdict::new(
        LATENCY,
        severity,
        "time",
        format!(
            "an answer within {} ({TIMES_MEDIAN} × the median {} of the operation's {answers} answers, and at least {})",
            ms(limit),
            ms(median),
            ms(FLOOR)
        ),
        actual,
    )
}

/// Judges an operation's record once its tests have ended, while the target is still up: the
/// `timeout` verdicts, then the `latency` ones (the slowest request's body shrunk), each put on
/// the result of the test that sent it and passed through `mark` (the known-failures file).
pub(super) fn settle(
    exec: &Arc<Executor>,
    results: &Results,
    strict: bool,
    mark: &dyn Fn(&mut CaseResult),
) {
    let latency = exec.latency();
    let mut found = Vec::new();
    if exec.checks(TIMEOUT) {
        found.extend(latency.timeout_verdicts());
    }
    if let (true, Some((limit, median))) = (exec.checks(LATENCY), latency.threshold()) {
        let answers = latency.answers();
        let required = required_keys(&exec.contract().request_schema);
        for (i, slow) in latency.slow_requests().iter().enumerate() {
            let shrunk = (i == 0 && exec.stopped().is_none())
                .then(|| shrink(slow, &required, &mut |cases| exec.time_all(cases, limit)));
            let verdict = slow_verdict(slow, (limit, median, answers), shrunk.as_ref(), strict);
            found.push((slow.case.id.clone(), verdict));
        }
    }
    for (id, verdict) in found {
        results.amend(&id, |r| {
            r.verdicts.push(verdict);
            mark(r);
        });
    }
}

/// The top-level properties a request schema requires.
fn required_keys(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
#[path = "latency_tests.rs"]
mod tests;
