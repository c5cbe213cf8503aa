//! One pass over a property's budget: bodies are drawn on the calling thread and fed through a
//! bounded channel to the runtime, where at most `--concurrency` are in flight. A passing body is
//! forgotten once counted; a failing one is kept only if it is the first of its kind.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{draw, Property, PropertySettings, Strat};
use crate::cases::Case;
use crate::check::Verdict;
use crate::engine::executor::Executor;
use crate::engine::outcome::CaseResult;

/// Distinct warnings a property keeps (by check and location).
const MAX_WARNINGS: usize = 32;

/// How the server answered, coarsely: the second half of a kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Answer {
    /// 5xx: reported first, since a crash is the worst news.
    ServerError,
    Success,
    ClientError,
    /// 1xx or 3xx.
    Other,
    /// No answer: connection refused, reset, timeout.
    Transport,
}

impl Answer {
    fn of(result: &CaseResult) -> Answer {
        match &result.exchange.outcome {
            Err(_) => Answer::Transport,
            Ok(r) => match r.status {
                500.. => Answer::ServerError,
                200..=299 => Answer::Success,
                400..=499 => Answer::ClientError,
                _ => Answer::Other,
            },
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Answer::ServerError => "a 5xx answer",
            Answer::Success => "a success",
            Answer::ClientError => "a 4xx answer",
            Answer::Other => "a 1xx or 3xx answer",
            Answer::Transport => "no answer",
        }
    }
}

/// A kind of failure: the check that failed and the class of the answer. Ordered for the report:
/// 5xx first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kind {
    pub answer: Answer,
    pub check: String,
}

impl Kind {
    /// Every kind a result belongs to: one per failed check, or the transport error.
    fn of(result: &CaseResult) -> Vec<Kind> {
        let answer = Answer::of(result);
        if answer == Answer::Transport {
            return vec![Kind {
                answer,
                check: "transport".into(),
            }];
        }
        let mut kinds: Vec<Kind> = Vec::new();
        for v in result.errors() {
            if !kinds.iter().any(|k| k.check == v.check) {
                kinds.push(Kind {
                    answer,
                    check: v.check.clone(),
                });
            }
        }
        kinds
    }

    /// Whether a result fails in this kind (among others).
    pub fn matches(&self, result: &CaseResult) -> bool {
        Kind::of(result).contains(self)
    }

    /// A transport error says nothing about the body, so there is nothing to shrink.
    pub fn shrinkable(&self) -> bool {
        self.answer != Answer::Transport
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.answer == Answer::Transport {
            return f.write_str("a transport error (no answer)");
        }
        write!(
            f,
            "check `{}` failed on {}",
            self.check,
            self.answer.as_str()
        )
    }
}

/// The first body of a kind (lowest number, so the same seed reports the same body), and how
/// many bodies failed that way.
#[derive(Debug)]
pub struct Found {
    pub count: u64,
    pub index: u64,
    pub result: CaseResult,
}

/// What one pass over the budget found.
#[derive(Debug, Default)]
pub struct Sweep {
    pub sent: u64,
    pub passed: u64,
    /// The first passing body, which stands for all of them in the report.
    pub first_passed: Option<(u64, CaseResult)>,
    pub warnings: Vec<Verdict>,
    pub kinds: BTreeMap<Kind, Found>,
    /// The time budget ended the drawing before the count did.
    pub out_of_time: bool,
    /// Drawing failed (proptest gave up on a filter): the pass ended early.
    pub generation_error: Option<String>,
    /// A transport error ended the pass: the target is not answering.
    pub stopped_by_transport: bool,
    /// The run was stopped (a signal, or a dead target) before the budget was spent.
    pub stopped_early: Option<crate::http::TransportError>,
}

impl Sweep {
    fn add(&mut self, index: u64, result: CaseResult) {
        if let Some(e) = result.transport_error().filter(|e| e.kind.is_stop()) {
            self.stopped_early.get_or_insert_with(|| e.clone());
            return;
        }
        self.sent += 1;
        if self.warnings.len() < MAX_WARNINGS {
            super::merge_warnings(&mut self.warnings, &result.verdicts);
        }
        let kinds = Kind::of(&result);
        if kinds.is_empty() {
            self.passed += 1;
            if self.first_passed.as_ref().is_none_or(|(i, _)| index < *i) {
                self.first_passed = Some((index, result));
            }
            return;
        }
        for kind in kinds {
            self.stopped_by_transport |= kind.answer == Answer::Transport;
            let found = self.kinds.entry(kind).or_insert_with(|| Found {
                count: 0,
                index,
                result: result.clone(),
            });
            found.count += 1;
            if index < found.index {
                found.index = index;
                found.result = result.clone();
            }
        }
    }

    /// The property-level lines that open a failed property's report.
    pub fn summary_lines(&self, prop: Property, run_seed: u64) -> Vec<String> {
        let failed = self.sent - self.passed;
        let mut lines = vec![format!(
            "property {}: {failed} of {} bodies failed, in {} kind{} (seed {run_seed}; replay with --seed {run_seed})",
            prop.name(),
            self.sent,
            self.kinds.len(),
            if self.kinds.len() == 1 { "" } else { "s" },
        )];
        if self.stopped_by_transport {
            lines.push(
                "drawing stopped at the first transport error: the target is not answering".into(),
            );
        }
        if self.out_of_time {
            lines.push("drawing stopped when the --duration ran out".into());
        }
        if let Some(e) = &self.stopped_early {
            lines.push(format!("drawing stopped early: {}", e.message));
        }
        lines
    }
}

/// One pass: draw on this thread, send and check on the runtime, fold the results.
pub fn run(
    exec: &Arc<Executor>,
    strategy: &Strat,
    prop: Property,
    settings: &PropertySettings,
    run_seed: u64,
    deadline: Option<Instant>,
) -> Sweep {
    let concurrency = settings.concurrency.max(1);
    let (tx, rx) = mpsc::channel::<(u64, Arc<Case>)>(concurrency);
    let stop = Arc::new(AtomicBool::new(false));
    let folding = exec
        .handle()
        .spawn(fold(exec.clone(), rx, concurrency, stop.clone()));
    let contract = exec.contract().clone();
    let mut generation_error = None;
    let mut out_of_time = false;
    for index in 0..settings.cases.max(1) {
        if stop.load(Ordering::Relaxed) || exec.stopped().is_some() {
            break;
        }
        // The first body is always sent, so even a spent budget tests something.
        if index > 0 && deadline.is_some_and(|d| Instant::now() >= d) {
            out_of_time = true;
            break;
        }
        let tree = match draw(strategy, prop, run_seed, index) {
            Ok(tree) => tree,
            Err(e) => {
                generation_error = Some(e);
                break;
            }
        };
        let (body, fault) = tree.current();
        drop(tree);
        exec.count_generated();
        let id = exec.case_id(&format!("{}#{index}", prop.id()));
        let case = Arc::new(prop.case(&contract, id, body, fault));
        if tx.blocking_send((index, case)).is_err() {
            break;
        }
    }
    drop(tx);
    // A panic while sending is the property's: it unwinds to the test, which ends as its
    // internal error (`engine::guard`), never as an empty sweep that passed.
    let mut sweep = match exec.handle().block_on(folding) {
        Ok(sweep) => sweep,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Sweep::default(),
    };
    sweep.out_of_time = out_of_time;
    sweep.generation_error = generation_error;
    sweep
}

/// Keeps up to `concurrency` requests in flight and folds each result into the sweep as it
/// lands; raises `stop` at the first transport error.
async fn fold(
    exec: Arc<Executor>,
    mut rx: mpsc::Receiver<(u64, Arc<Case>)>,
    concurrency: usize,
    stop: Arc<AtomicBool>,
) -> Sweep {
    let mut sweep = Sweep::default();
    let mut tasks = JoinSet::new();
    let mut open = true;
    loop {
        tokio::select! {
            biased;
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                let joined = match joined {
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    other => other,
                };
                if let Ok((index, result)) = joined {
                    sweep.add(index, result);
                    if (sweep.stopped_by_transport || sweep.stopped_early.is_some()) && open {
                        // Nothing more is sent to a target that stopped answering.
                        stop.store(true, Ordering::Relaxed);
                        rx.close();
                        open = false;
                    }
                }
            }
            next = rx.recv(), if open && tasks.len() < concurrency => match next {
                Some((index, case)) => {
                    let exec = exec.clone();
                    tasks.spawn(async move { (index, exec.execute(case).await) });
                }
                None => open = false,
            },
            else => break,
        }
    }
    sweep
}
