//! What a run found, as plain data: each case's [`CaseResult`], the counts ([`Tally`]), what the
//! run was ([`RunInfo`]) and its [`RunOutcome`]. Questions about them are answered by methods
//! here; the report stage only formats them.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cases::Case;
use crate::check::Verdict;
use crate::contract::Class;
use crate::contract::Severity;
use crate::engine::collect::CreatedError;
use crate::engine::known::EntryOutcome;
use crate::engine::property::Settled;
use crate::engine::setup::SetupCause;
use crate::engine::stop::Reason;
use crate::http::{Exchange, TransportError, TransportKind};

/// How one case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    /// The server answered and broke the contract.
    Failed,
    /// The server could not be reached: not a verdict on the contract.
    Error,
    /// Every violation is accepted by an unexpired known-failures entry.
    Known,
}

/// One case, what was sent and received, and every failed check.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub case: Arc<Case>,
    pub exchange: Exchange,
    pub verdicts: Vec<Verdict>,
    /// Extra lines for the report, such as the seed and shrinking of a property case.
    pub notes: Vec<String>,
    /// Further failures of the same test that are of another kind (a property reports one
    /// shrunk example of each kind it found), in the order they are reported.
    pub more: Vec<CaseResult>,
    /// The path values taken from earlier answers (set-up requests), one per parameter.
    pub chained: Vec<Chained>,
}

/// A path value a case took from an earlier answer: which request gave it, and how.
#[derive(Clone, Debug)]
pub struct Chained {
    pub param: String,
    pub value: String,
    /// The operation whose answer gave it.
    pub operation: String,
    /// The set-up request, redacted like any other.
    pub setup: crate::http::SentRequest,
    pub status: u16,
    /// The expression or field that took it out of the answer.
    pub from: String,
}

impl Chained {
    /// One line: `` `thingId` = 42, from POST http://h/things (201), $response.body#/id (createThing) ``.
    pub fn describe(&self) -> String {
        format!(
            "path value `{}` = {}, from the set-up request {} {} (answered {}) of {}, by {}",
            self.param,
            self.value,
            self.setup.method,
            self.setup.url,
            self.status,
            self.operation,
            self.from
        )
    }
}

/// A request the run sent to get a path value that exists: not a case, not counted in the
/// results, counted in the requests.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetupRecord {
    pub operation: String,
    pub method: String,
    pub url: String,
    /// The status it was answered with, or `None` on a transport error.
    pub status: Option<u16>,
    /// What it gave, or why it gave nothing.
    pub outcome: String,
}

/// An id of something the run created, with the operation whose request created it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreatedId {
    pub operation: String,
    pub id: String,
}

impl CaseResult {
    /// A result with no notes and no further failures.
    pub fn new(case: Arc<Case>, exchange: Exchange, verdicts: Vec<Verdict>) -> Self {
        CaseResult {
            case,
            exchange,
            verdicts,
            notes: Vec::new(),
            more: Vec::new(),
            chained: Vec::new(),
        }
    }

    /// This result and each further one, in report order.
    pub fn parts(&self) -> impl Iterator<Item = &CaseResult> {
        std::iter::once(self).chain(self.more.iter())
    }

    /// Every verdict of this result and of the further failures.
    pub fn all_verdicts(&self) -> impl Iterator<Item = &Verdict> {
        self.parts().flat_map(|p| p.verdicts.iter())
    }

    /// Violations that fail the run: errors no unexpired known-failures entry accepts.
    pub fn errors(&self) -> impl Iterator<Item = &Verdict> {
        self.all_verdicts()
            .filter(|v| crate::engine::known::counts_against(v))
    }

    /// Violations a known-failures entry accepts for now.
    pub fn known(&self) -> impl Iterator<Item = &Verdict> {
        self.all_verdicts()
            .filter(|v| v.severity == Severity::Error && !crate::engine::known::counts_against(v))
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Verdict> {
        self.all_verdicts()
            .filter(|v| v.severity == Severity::Warning)
    }

    pub fn transport_error(&self) -> Option<&TransportError> {
        self.exchange.outcome.as_ref().err()
    }

    /// Whether the case was not tested only because the `--duration` budget ran out.
    pub fn cut_by_budget(&self) -> bool {
        let mut kinds = self
            .parts()
            .filter_map(|p| p.transport_error().map(|e| e.kind));
        kinds.next() == Some(TransportKind::Budget) && kinds.all(|k| k == TransportKind::Budget)
    }

    /// A violation outranks a transport error: a property that found both has failed.
    pub fn status(&self) -> Status {
        if self.errors().next().is_some() {
            Status::Failed
        } else if self.parts().any(|p| p.transport_error().is_some()) {
            Status::Error
        } else if self.known().next().is_some() {
            Status::Known
        } else {
            Status::Passed
        }
    }
}

/// What the whole run was, for the summary and the JUnit properties.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// Sent on every request as `X-Conformance-Run`.
    pub run_id: String,
    /// Requests sent again after a `Retry-After`.
    pub retries: u64,
    /// The operations tested, each a JUnit suite.
    pub operations: Vec<String>,
    pub target: String,
    pub base_url: String,
    pub seed: Option<u64>,
    pub strict: bool,
    pub elapsed: Duration,
    pub timestamp: std::time::SystemTime,
    /// How many things the run created on the target (the endpoint file's `created_id`).
    pub created: u64,
    /// The first of their ids, at most [`CREATED_SAMPLE`]; the `--created` file has them all.
    pub created_ids: Vec<CreatedId>,
    /// The set-up requests the run sent for path values that exist, in the order they were sent.
    pub setup_requests: Vec<SetupRecord>,
    /// Cases sent twice, with a method that is not idempotent, because their connection was
    /// closed before any answer: the first send may have created something too.
    pub possible_duplicates: Vec<PossibleDuplicate>,
    /// Requests sent, generated bodies, shrinking and replays included.
    pub requests: u64,
    /// Bodies drawn by the properties (not counting shrinking).
    pub generated: u64,
    /// The token went over plain HTTP to another host (`--allow-insecure-http`).
    pub insecure_http: bool,
}

/// A case sent a second time, on a new connection, after its first connection was closed before
/// any answer came; its method is not idempotent, so the first send may have taken effect too
/// (RFC 9110 9.2.2) and the clean-up should look for a duplicate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PossibleDuplicate {
    pub case: String,
    pub method: String,
    /// The id the second send created, when it created something.
    pub created: Option<String>,
}

impl PossibleDuplicate {
    /// One line: the case, and the id its second send created.
    pub fn describe(&self) -> String {
        match &self.created {
            Some(id) => format!(
                "{} ({} sent twice; the second created {id})",
                self.case, self.method
            ),
            None => format!("{} ({} sent twice)", self.case, self.method),
        }
    }
}

/// How many created ids the JUnit report lists; a long run lists the rest only in `--created`.
pub const CREATED_SAMPLE: usize = 1000;

/// Counts over a run's results.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub warnings: usize,
    pub violations: usize,
    /// Cases whose every violation is a known failure, and those violations.
    pub known_cases: usize,
    pub known: usize,
    /// Known-failures entries whose cases no longer fail (an error under `--strict`).
    pub fixed: usize,
    /// `--strict`: a fixed known-failures entry fails the run.
    pub strict: bool,
    /// Cases not tested because the `--duration` budget ran out (counted in `errors` too):
    /// they do not change the exit code.
    pub cut: usize,
    /// Per class, in [`Class::ALL`] order.
    pub by_class: Vec<ClassCount>,
}

/// How the cases of one class ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassCount {
    pub class: Class,
    pub passed: usize,
    /// Failed only in ways a known-failures entry accepts: not passed, and not failing the run.
    pub known: usize,
    /// Failed, or not tested.
    pub other: usize,
}

impl ClassCount {
    pub fn total(&self) -> usize {
        self.passed + self.known + self.other
    }
}

impl Tally {
    pub fn of(results: &[CaseResult]) -> Self {
        let mut t = Tally {
            total: results.len(),
            ..Tally::default()
        };
        for r in results {
            match r.status() {
                Status::Passed => t.passed += 1,
                Status::Failed => t.failed += 1,
                Status::Error => {
                    t.errors += 1;
                    if r.cut_by_budget() {
                        t.cut += 1;
                    }
                }
                Status::Known => t.known_cases += 1,
            }
            t.warnings += r.warnings().count();
            t.violations += r.errors().count();
            t.known += r.known().count();
        }
        t.by_class = Class::ALL
            .iter()
            .map(|&class| {
                let mut count = ClassCount {
                    class,
                    passed: 0,
                    known: 0,
                    other: 0,
                };
                for r in results.iter().filter(|r| r.case.class() == class) {
                    match r.status() {
                        Status::Passed => count.passed += 1,
                        Status::Known => count.known += 1,
                        Status::Failed | Status::Error => count.other += 1,
                    }
                }
                count
            })
            .collect();
        t
    }

    /// The process exit code this tally calls for.
    pub fn exit_code(&self) -> i32 {
        if self.failed > 0 || (self.strict && self.fixed > 0) {
            crate::exit::VIOLATIONS
        } else if self.errors > self.cut {
            crate::exit::UNREACHABLE
        } else {
            crate::exit::SUCCESS
        }
    }
}

/// What a run found: its results and counts, and everything its reports are written from.
#[derive(Debug)]
pub struct RunOutcome {
    pub results: Vec<CaseResult>,
    pub tally: Tally,
    pub exit_code: i32,
    pub junit: Option<PathBuf>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<Reason>,
    /// What the run was; `None` when it only listed its tests (`--list`).
    pub info: Option<RunInfo>,
    /// Each operation, where its results lie in `results`, and its set-up cause.
    pub operations: Vec<OperationResults>,
    /// What became of each known-failures entry.
    pub known_entries: Vec<EntryOutcome>,
    /// The day the known-failures entries were judged against.
    pub today: time::Date,
    /// What became of the shrunk property failures.
    pub regressions: Settled,
    /// The `--created` file could not be finished (reported after the other reports).
    pub created_unfinished: Option<CreatedError>,
}

/// One operation's part of a run's results.
#[derive(Clone, Debug)]
pub struct OperationResults {
    pub operation: String,
    /// Where its results lie in [`RunOutcome::results`].
    pub range: Range<usize>,
    /// What the set-up likely caused, with the failures it groups.
    pub cause: Option<SetupCause>,
}

impl RunOutcome {
    /// How many things the run's successful requests created; none for `--list`.
    pub fn created(&self) -> u64 {
        self.info.as_ref().map_or(0, |i| i.created)
    }

    /// Requests sent, shrinking and replays included.
    pub fn requests(&self) -> u64 {
        self.info.as_ref().map_or(0, |i| i.requests)
    }

    /// Bodies the properties drew.
    pub fn generated(&self) -> u64 {
        self.info.as_ref().map_or(0, |i| i.generated)
    }

    /// The outcome of `--list`: nothing ran.
    pub fn listed() -> Self {
        RunOutcome {
            results: Vec::new(),
            tally: Tally::default(),
            exit_code: crate::exit::SUCCESS,
            junit: None,
            stopped: None,
            info: None,
            operations: Vec::new(),
            known_entries: Vec::new(),
            today: crate::engine::known::today(),
            regressions: Settled::default(),
            created_unfinished: None,
        }
    }

    /// The results of one operation.
    pub fn of_operation(&self, op: &OperationResults) -> &[CaseResult] {
        &self.results[op.range.clone()]
    }

    /// Every operation's set-up cause, in order.
    pub fn setup_causes(&self) -> impl Iterator<Item = &SetupCause> {
        self.operations.iter().filter_map(|o| o.cause.as_ref())
    }

    /// The results no set-up cause explains, and how many it does.
    pub fn not_explained(&self) -> (Vec<CaseResult>, usize) {
        let mut kept = Vec::new();
        for op in &self.operations {
            kept.extend(
                self.of_operation(op)
                    .iter()
                    .filter(|r| !op.cause.as_ref().is_some_and(|c| c.explains(r)))
                    .cloned(),
            );
        }
        let left_out = self.results.len() - kept.len();
        (kept, left_out)
    }

    /// Why the run stopped early, as the summary names it.
    pub fn stopped_name(&self) -> Option<String> {
        self.stopped.map(|r| match r {
            Reason::Signal(n) => crate::engine::stop::signal_name(n).to_string(),
            Reason::DeadTarget(_) => "dead_target".to_string(),
        })
    }
}
