//! The `run` command's engine: a validated [`Plan`] goes in, every case runs as a libtest-mimic
//! trial through an [`Executor`] per operation, and a [`RunOutcome`] with the results and exit
//! code comes out. It prints nothing itself (what it tells goes to an [`Observer`]) and writes
//! no report: `report::write` does, from the outcome.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::cases::Case;
use crate::check::Checker;
use crate::contract::{LoadWarning, Operation, Untested};
use crate::engine::collect::{CreatedList, Results};
use crate::engine::executor::{Executor, Settings, Totals};
use crate::engine::guard;
use crate::engine::known::{EntryOutcome, KnownFailures};
use crate::engine::observe::{Header, Observer};
use crate::engine::order::{self, on_workers, Gate};
use crate::engine::outcome::{CaseResult, OperationResults, RunInfo, RunOutcome, Status, Tally};
use crate::engine::property::{
    self, Property, PropertyRun, PropertySettings, Regressions, TimeBudget,
};
use crate::engine::setup::{SetUp, SetupCause};
use crate::engine::start::{
    chain, document_notes, libtest_args, listen_for_signals, random_id, setups,
};
pub use crate::engine::start::{random_u64, RunError};
use crate::engine::stop::{Reason, Stop};
use crate::http::{Credential, Secret, Target};
use crate::redact::Redactor;
use crate::server::{self, RunningServer, ServerConfig};

/// Which server the run tests.
#[derive(Clone, Debug)]
pub enum TargetChoice {
    /// Start the reference server on 127.0.0.1, port 0, with these options.
    Embedded(server::Options),
    /// An API root such as `https://wks-a1b2c3d4.provisionr.io/api/v1`.
    Remote { base_url: url::Url },
}

/// The cargo-test-like selection and display options.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub filter: Option<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    pub list: bool,
    pub test_threads: Option<usize>,
    /// One character per case instead of one line.
    pub quiet: bool,
}

/// One operation of the contract with the cases loaded or derived for it: one JUnit suite.
#[derive(Clone, Debug)]
pub struct Suite {
    pub contract: Arc<Operation>,
    /// Regression cases first, then case files, then derived cases, each held once (shared with
    /// the tests that send them); ids prefixed with the operation when there are several.
    pub cases: Vec<Arc<Case>>,
    /// Whether the operation's name goes before its test ids: when the contract has several
    /// operations, even if the run selects one, so ids do not change with `--operation`.
    pub prefixed: bool,
    /// Why a valid request of this operation may be answered 404 (its path value is the
    /// document's example): every valid case, generated ones too, tolerates it with this
    /// warning.
    pub tolerate_404: Option<String>,
}

/// A validated run configuration: everything checked before any request is sent.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Every operation the run tests, in order; at least one.
    pub operations: Vec<Suite>,
    /// The operations not tested, each with why: listed in every output, never a verdict.
    pub untested: Vec<Untested>,
    /// What the document was told at load (an example that breaks its schema, say).
    pub load_warnings: Vec<LoadWarning>,
    /// The document's `servers[0].url`, for the API-root hint.
    pub server_url: Option<String>,
    /// The OpenAPI document the contract comes from (`--openapi`), if any.
    pub document: Option<PathBuf>,
    /// Why the embedded server cannot be the target (a document it does not serve): no run.
    pub embedded_refusal: Option<String>,
    pub target: TargetChoice,
    pub token: Secret,
    pub token_env: String,
    /// The `--credential`s whose variables are set, by scheme name.
    pub credentials: BTreeMap<String, Credential>,
    pub path_values: BTreeMap<String, String>,
    /// Where path values that exist come from ([`crate::engine::chain`]).
    pub id_sources: Vec<crate::contract::chain::IdSource>,
    pub timeout: Duration,
    /// The longest `Retry-After` waited out.
    pub max_wait: Duration,
    pub junit: Option<PathBuf>,
    /// Where to write the summary for machines (`summary.json`).
    pub summary: Option<PathBuf>,
    /// Where to write the ids of what the run created, one per line.
    pub created_list: Option<PathBuf>,
    /// At most this many requests per second.
    pub rate: Option<u32>,
    pub strict: bool,
    pub skip_checks: BTreeSet<String>,
    /// The seed of generated cases, printed and stored in the report.
    pub seed: u64,
    /// Property settings; `None` runs no properties.
    pub properties: Option<PropertySettings>,
    pub selection: Selection,
    /// Run under the libtest harness and print the header, warnings and summary (not in-process).
    pub verbose: bool,
    /// Stop on SIGINT and SIGTERM and still write the reports (in-process callers do not).
    pub handle_signals: bool,
    /// The user accepted sending the token over plain HTTP to another host.
    pub insecure_http: bool,
    /// Violations accepted on purpose, until their dates.
    pub known_failures: Option<KnownFailures>,
    /// Rewrite this known-failures file with the run's failures.
    pub update_known_failures: Option<PathBuf>,
}

/// One test of the run: a single case, or a property over many generated cases.
#[derive(Clone)]
enum Unit {
    Case(Arc<Case>),
    Property(Property),
}

/// A unit of one operation, with the id and kind the run shows.
#[derive(Clone)]
struct Test {
    op: usize,
    /// When it runs ([`order::wave`]): what changes or deletes runs last.
    wave: usize,
    unit: Unit,
    id: String,
    kind: String,
}

impl Plan {
    /// What goes before the ids of operation `op`'s tests: its name, when the contract has
    /// several.
    pub fn prefix(&self, op: usize) -> Option<String> {
        let o = &self.operations[op];
        o.prefixed.then(|| o.contract.endpoint.operation.clone())
    }

    /// What masks the run's secrets in every output: the engine's test list and the reports
    /// mask the same.
    pub fn redactor(&self) -> Redactor {
        let forms = self.credentials.values().flat_map(Credential::secrets);
        Redactor::new(std::iter::once(self.token.expose().to_string()).chain(forms))
    }
}

/// What every test of a run shares: an executor per operation, and the rest.
struct Context {
    execs: Vec<Arc<Executor>>,
    /// Each operation's results, as its tests end.
    results: Vec<Results>,
    /// Told what happens; the engine prints nothing itself.
    observer: Arc<dyn Observer>,
    /// What the run created, across operations.
    created: Arc<CreatedList>,
    chain: Option<Arc<crate::engine::chain::Chain>>,
    redactor: Redactor,
    seed: u64,
    settings: PropertySettings,
    budget: Option<TimeBudget>,
    known: Option<KnownFailures>,
    /// The day known-failures entries are judged against.
    today: time::Date,
    /// Shrunk property failures, written when the run ends unless the set-up explains them.
    regressions: Regressions,
    /// What each operation was told (the token variable, the path parameters), for the hint.
    setups: Vec<SetUp>,
    /// Each operation's set-up cause, once its valid cases have run.
    causes: Mutex<Vec<Option<SetupCause>>>,
    /// The valid cases' results by test index, with the operation of each, as each wave's
    /// first pass ran them.
    firsts: Mutex<BTreeMap<usize, (usize, CaseResult)>>,
}

impl Context {
    /// Runs one test to its result, blocking this (non-runtime) thread on the requests, and
    /// marks the violations the known-failures file accepts. A test the budget has no time
    /// left for is cut; a panic is the test's `internal` error ([`guard`]).
    fn run_test(&self, test: &Test) -> CaseResult {
        let exec = &self.execs[test.op];
        let not_run = |error| match &test.unit {
            Unit::Case(case) => guard::not_sent(exec, case.clone(), error),
            Unit::Property(p) => property::not_started(*p, exec, error),
        };
        let duration = self.settings.duration.unwrap_or_default();
        if let Some(e) =
            (self.budget.as_ref()).and_then(|b| guard::out_of_budget(b.end(), duration))
        {
            return not_run(e);
        }
        let test_run = || match &test.unit {
            Unit::Case(case) => exec.execute_blocking(case.clone()),
            Unit::Property(p) => {
                let run = PropertyRun {
                    seed: self.seed,
                    deadline: self.budget.as_ref().map(TimeBudget::deadline),
                    end: self.budget.as_ref().map(TimeBudget::end),
                    regressions: &self.regressions,
                };
                property::run(exec, *p, &self.settings, &run)
            }
        };
        let mut result = guard::guarded(test_run, not_run);
        if let Some(known) = &self.known {
            known.mark(&mut result, self.today);
        }
        result
    }

    /// The `latency` and `timeout` rules of each operation, once every test has ended and while
    /// the target is up (a slow body is shrunk by sending it again).
    fn settle_latency(&self, strict: bool) {
        let mark = |r: &mut CaseResult| {
            if let Some(known) = &self.known {
                known.mark(r, self.today);
            }
        };
        for (exec, results) in self.execs.iter().zip(&self.results) {
            crate::engine::latency::settle(exec, results, strict, &mark);
        }
    }

    /// What libtest shows for a result of operation `op`: nothing when it passed (or failed
    /// only in known ways); ignored, with the kind of error, when it could not be tested (the
    /// error is printed once after the list); the failure text otherwise, short when the
    /// operation's set-up cause explains it.
    fn libtest_outcome(&self, op: usize, result: &CaseResult) -> Result<Completion, Failed> {
        let text = match result.status() {
            Status::Passed | Status::Known => return Ok(Completion::Completed),
            Status::Error => {
                return Ok(Completion::ignored_with(
                    self.observer.not_tested_reason(result),
                ))
            }
            Status::Failed => {
                let cause = self.cause(op).filter(|c| c.explains(result));
                self.observer
                    .failure_text(result, cause.as_ref(), &self.redactor)
            }
        };
        Err(Failed::from(self.redactor.for_terminal(&text)))
    }

    /// Operation `op`'s set-up cause, once known.
    fn cause(&self, op: usize) -> Option<SetupCause> {
        lock(&self.causes).get(op)?.clone()
    }

    /// Each operation's set-up cause, from the results of the valid cases run so far.
    fn find_causes(&self, plan: &Plan) {
        let first = lock(&self.firsts);
        let causes = plan
            .operations
            .iter()
            .enumerate()
            .map(|(op, o)| {
                let of_op = first.values().filter(|(o, _)| *o == op).map(|(_, r)| r);
                crate::engine::setup::detect(
                    &o.contract.endpoint.operation,
                    of_op,
                    &self.setups[op],
                )
            })
            .collect();
        *lock(&self.causes) = causes;
    }

    /// Runs the selected valid cases of one wave on worker threads, before its other tests:
    /// their results by test index, with the operation of each, kept for the set-up causes.
    fn first_pass(
        &self,
        threads: usize,
        valid: &[(usize, Test)],
    ) -> Vec<(usize, (usize, CaseResult))> {
        let done = Mutex::new(Vec::new());
        on_workers(
            threads,
            valid.iter().map(|(i, t)| (*i, t)),
            |index, test: &Test| {
                let result = self.run_test(test);
                lock(&done).push((index, (test.op, result)));
            },
        );
        let done = done.into_inner().unwrap_or_else(|p| p.into_inner());
        lock(&self.firsts).extend(done.iter().cloned());
        done
    }

    /// Why the run stopped early, if it did (the stop is shared by every executor).
    fn stopped(&self) -> Option<Reason> {
        self.execs.first().and_then(|e| e.stopped())
    }

    fn requests_so_far(&self) -> u64 {
        self.execs.iter().map(|e| e.requests_so_far()).sum()
    }
}

/// Runs the plan: starts the target, runs every test through an executor per operation, and
/// tells `observer` what happens; the reports are written from the outcome by the caller.
pub fn run(plan: &Plan, observer: Arc<dyn Observer>) -> Result<RunOutcome, RunError> {
    let args = libtest_args(&plan.selection);
    if plan.selection.list {
        let _ = libtest_mimic::run(&args, list_trials(plan));
        for op in &plan.operations {
            for note in crate::cases::generate::list_notes(&op.contract.request_schema) {
                // On stderr: stdout stays the list that tools parse.
                let name = &op.contract.endpoint.operation;
                observer.note(&format!("note: {name}: {note}"));
            }
        }
        observer.document_notes(&document_notes(plan, true));
        return Ok(RunOutcome::listed());
    }
    if let (TargetChoice::Embedded(_), Some(why)) = (&plan.target, &plan.embedded_refusal) {
        return Err(RunError::NeedsBaseUrl(why.clone()));
    }
    let started = (Instant::now(), SystemTime::now());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let stop = Arc::new(Stop::default());
    if plan.handle_signals {
        runtime.spawn(listen_for_signals(stop.clone(), observer.clone()));
    }
    let live = start_target(plan, &runtime)?;
    observer.header(&Header {
        target: &live.label,
        embedded: matches!(plan.target, TargetChoice::Embedded(_)),
        insecure_http: plan.insecure_http,
        seed: plan.properties.as_ref().map(|_| plan.seed),
    });
    observer.document_notes(&document_notes(plan, false));
    let ctx = context(plan, &live, &runtime, &args, stop, started.0, observer)?;
    run_units(plan, &ctx, &args);
    ctx.settle_latency(plan.strict);
    if let Some(s) = live.server {
        runtime.block_on(s.shutdown());
    }
    let live = Live {
        server: None,
        ..live
    };
    Ok(finish(plan, &ctx, &live, started))
}

/// The server under test, as the run sees it.
struct Live {
    /// Sent on every request (`X-Conformance-Run`) and kept in the summary.
    run_id: String,
    base_url: String,
    label: String,
    /// The embedded server, stopped when the run ends.
    server: Option<RunningServer>,
}

/// Starts the embedded server when the plan asks for it.
fn start_target(plan: &Plan, runtime: &tokio::runtime::Runtime) -> Result<Live, RunError> {
    match &plan.target {
        TargetChoice::Remote { base_url } => {
            // As the user wrote it: the parser adds a `/` to a bare host, which the run would
            // then show in its header, JUnit report and summary.
            let shown = match base_url.path() {
                "/" => base_url.as_str().trim_end_matches('/'),
                _ => base_url.as_str(),
            };
            Ok(Live {
                run_id: random_id(),
                base_url: shown.to_string(),
                label: format!("{shown} (--base-url)"),
                server: None,
            })
        }
        TargetChoice::Embedded(options) => {
            let config = ServerConfig::new(
                plan.token.expose().to_string(),
                plan.path_values.values().cloned().collect(),
                options.clone(),
            );
            let addr = SocketAddr::from(([127, 0, 0, 1], 0));
            let running = runtime
                .block_on(server::spawn(addr, config))
                .map_err(RunError::Server)?;
            let url = running.base_url();
            Ok(Live {
                run_id: random_id(),
                label: format!("embedded reference server at {url}"),
                base_url: url,
                server: Some(running),
            })
        }
    }
}
/// An executor per operation and what the tests share; the `--created` file is opened here,
/// before any request is sent.
fn context(
    plan: &Plan,
    live: &Live,
    runtime: &tokio::runtime::Runtime,
    args: &Arguments,
    stop: Arc<Stop>,
    started: Instant,
    observer: Arc<dyn Observer>,
) -> Result<Arc<Context>, RunError> {
    let target = Target::new(
        &live.base_url,
        plan.path_values.clone(),
        plan.token.clone(),
        &plan.token_env,
        plan.timeout,
        &live.run_id,
    )?
    .with_rate(plan.rate)
    .with_credentials(plan.credentials.clone());
    let redactor = plan.redactor();
    // Endpoint-file runs keep one id a line, however many operations they have.
    let several = plan.operations.len() > 1 && plan.document.is_some();
    let created = Arc::new(CreatedList::open(plan.created_list.as_deref(), several)?);
    let chain = chain(plan);
    let mut execs = Vec::new();
    for (op, operation) in plan.operations.iter().enumerate() {
        let contract = &operation.contract;
        let exec = Executor::new(
            contract.clone(),
            target.clone(),
            Checker::new(contract, plan.skip_checks.clone()),
            runtime.handle().clone(),
            Settings {
                strict: plan.strict,
                stop: stop.clone(),
                redactor: redactor.clone(),
                created: created.clone(),
                prefix: plan.prefix(op),
                max_wait: plan.max_wait,
                tolerate_404: operation.tolerate_404.clone(),
            },
        );
        let exec = match &chain {
            Some(c) => exec.with_chain(c.clone(), op),
            None => exec,
        }
        .documented(plan.document.is_some());
        execs.push(Arc::new(exec));
    }
    if let Some(c) = &chain {
        c.bind(&execs);
    }
    let settings = plan.properties.clone().unwrap_or_default();
    let budget = settings.duration.map(|d| {
        let selected = tests(plan)
            .iter()
            .filter(|t| matches!(t.unit, Unit::Property(_)) && !filtered_out(args, t))
            .count();
        TimeBudget::new(started + d, selected, threads(plan))
    });
    Ok(Arc::new(Context {
        results: execs.iter().map(|_| Results::default()).collect(),
        execs,
        observer,
        created,
        chain,
        redactor,
        seed: plan.seed,
        settings,
        budget,
        known: plan.known_failures.clone(),
        today: crate::engine::known::today(),
        regressions: Regressions::default(),
        setups: setups(plan),
        causes: Mutex::new(Vec::new()),
        firsts: Mutex::new(BTreeMap::new()),
    }))
}

/// How many tests run at once: `--test-threads`, or [`DEFAULT_THREADS`].
fn threads(plan: &Plan) -> usize {
    plan.selection.test_threads.unwrap_or(DEFAULT_THREADS)
}

/// Tests run at once by default. A test spends its time waiting for the server, not on a CPU,
/// so more than one per CPU; and a target that hangs shows itself in one round of timeouts.
pub const DEFAULT_THREADS: usize = 8;

fn filtered_out(args: &Arguments, test: &Test) -> bool {
    args.is_filtered_out(&Trial::test(test.id.clone(), || Ok(())))
}

/// Runs every selected test, wave by wave ([`order`]): what changes or deletes what exists
/// runs last. In each wave the valid cases run first, whose answers tell whether the set-up (the
/// base URL, the token, a path parameter) is the likely cause of what follows; the first wave's
/// are said before the test list. Then every test runs as a libtest trial when verbose, else
/// silently on worker threads.
fn run_units(plan: &Plan, ctx: &Arc<Context>, args: &Arguments) {
    let tests = tests(plan);
    let mut valid: Vec<Vec<(usize, Test)>> = vec![Vec::new(); order::WAVES];
    for (i, t) in tests.iter().enumerate() {
        let is_valid =
            matches!(&t.unit, Unit::Case(c) if c.class() == crate::contract::Class::Valid);
        if is_valid && !filtered_out(args, t) {
            valid[t.wave].push((i, t.clone()));
        }
    }
    if !plan.verbose {
        for (wave, valid) in valid.iter().enumerate() {
            let first = ctx.first_pass(threads(plan), valid);
            let ran: BTreeSet<usize> = first.iter().map(|(i, _)| *i).collect();
            for (index, (op, result)) in first {
                ctx.results[op].record(index, result);
            }
            let rest = tests
                .iter()
                .cloned()
                .enumerate()
                .filter(|(i, t)| t.wave == wave && !ran.contains(i) && !filtered_out(args, t));
            on_workers(threads(plan), rest, |index, test| {
                let result = ctx.run_test(&test);
                ctx.results[test.op].record(index, result);
            });
        }
        ctx.find_causes(plan);
        return;
    }
    let selected: Vec<usize> = tests
        .iter()
        .filter(|t| !filtered_out(args, t))
        .map(|t| t.wave)
        .collect();
    let gate = Arc::new(Gate::new(selected.iter().copied()));
    let done: Done = Arc::new(Mutex::new(BTreeMap::new()));
    // The wave the list starts with: its valid cases run before the list, for the causes.
    let first_wave = selected.iter().copied().min().unwrap_or(0);
    gate.first_pass(first_wave, || {
        lock(&done).extend(ctx.first_pass(threads(plan), &valid[first_wave]));
    });
    ctx.find_causes(plan);
    let causes: Vec<SetupCause> = lock(&ctx.causes).iter().flatten().cloned().collect();
    ctx.observer
        .setup_causes(&causes.iter().collect::<Vec<_>>(), &ctx.redactor);
    let counting = ctx.clone();
    ctx.observer
        .tests_starting(selected.len(), Box::new(move || counting.requests_so_far()));
    let valid = Arc::new(valid);
    let trials = tests
        .into_iter()
        .enumerate()
        .map(|(index, test)| {
            let waves = Waves {
                gate: gate.clone(),
                valid: valid.clone(),
                threads: threads(plan),
            };
            trial(ctx, index, test, &done, waves)
        })
        .collect::<Vec<_>>();
    let _ = libtest_mimic::run(args, trials);
    ctx.observer.tests_finished();
    // The causes of the later waves' operations too, for the reports.
    ctx.find_causes(plan);
}

/// A mutex's data, poisoned or not: a panicked test leaves nothing half written here.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Results already in hand (the valid cases run first), taken by their trials.
type Done = Arc<Mutex<BTreeMap<usize, (usize, CaseResult)>>>;

/// What a trial needs to keep to its wave: the gate, each wave's valid cases (its first pass),
/// and how many run at once.
struct Waves {
    gate: Arc<Gate>,
    valid: Arc<Vec<Vec<(usize, Test)>>>,
    threads: usize,
}

fn trial(ctx: &Arc<Context>, index: usize, test: Test, done: &Done, waves: Waves) -> Trial {
    let (id, kind) = (test.id.clone(), test.kind.clone());
    let (ctx, done) = (ctx.clone(), done.clone());
    Trial::ignorable_test(id, move || {
        let wave = test.wave;
        let _entered = waves.gate.enter(wave);
        waves.gate.first_pass(wave, || {
            let first = ctx.first_pass(waves.threads, &waves.valid[wave]);
            lock(&done).extend(first);
        });
        let ran_first = lock(&done).remove(&index);
        let result = match ran_first {
            Some((_, result)) => result,
            None => ctx.run_test(&test),
        };
        let outcome = ctx.libtest_outcome(test.op, &result);
        ctx.observer.test_done(outcome.is_err());
        ctx.results[test.op].record(index, result);
        outcome
    })
    .with_kind(kind)
}

/// Counts the results, settles the set-up causes and the regression cases, and finishes the
/// created-id list: the outcome the reports are written from.
fn finish(plan: &Plan, ctx: &Context, live: &Live, started: (Instant, SystemTime)) -> RunOutcome {
    let mut results = Vec::new();
    let mut operations = Vec::new();
    let mut totals = Totals::default();
    for ((exec, collected), operation) in ctx.execs.iter().zip(&ctx.results).zip(&plan.operations) {
        let t = exec.totals();
        totals.requests += t.requests;
        totals.generated += t.generated;
        totals.retries += t.retries;
        let start = results.len();
        results.append(&mut collected.take_ordered());
        operations.push(OperationResults {
            operation: operation.contract.endpoint.operation.clone(),
            range: start..results.len(),
            cause: None,
        });
    }
    let regressions = settle_causes(ctx, &mut results, &mut operations);
    let known_entries: Vec<EntryOutcome> = ctx
        .known
        .as_ref()
        .map(|k| k.outcomes(&results, ctx.today))
        .unwrap_or_default();
    let mut tally = Tally::of(&results);
    tally.fixed = known_entries
        .iter()
        .filter(|e| e.outcome.is_fixed())
        .count();
    tally.strict = plan.strict;
    let stopped = ctx.stopped();
    let exit_code = stopped
        .and_then(Reason::exit_code)
        .unwrap_or_else(|| tally.exit_code());
    let info = run_info(plan, ctx, live, totals, started);
    RunOutcome {
        exit_code,
        tally,
        junit: plan.junit.clone(),
        stopped,
        results,
        info: Some(info),
        operations,
        known_entries,
        today: ctx.today,
        regressions,
        created_unfinished: ctx.created.close().err(),
    }
}

fn run_info(
    plan: &Plan,
    ctx: &Context,
    live: &Live,
    totals: Totals,
    (started, timestamp): (Instant, SystemTime),
) -> RunInfo {
    let (created, created_ids) = ctx.created.counts();
    RunInfo {
        run_id: live.run_id.clone(),
        operations: plan
            .operations
            .iter()
            .map(|o| o.contract.endpoint.operation.clone())
            .collect(),
        target: live.label.clone(),
        base_url: live.base_url.clone(),
        seed: plan.properties.as_ref().map(|_| plan.seed),
        strict: plan.strict,
        elapsed: started.elapsed(),
        timestamp,
        created,
        created_ids,
        setup_requests: ctx.chain.as_ref().map(|c| c.records()).unwrap_or_default(),
        possible_duplicates: ctx.created.possible_duplicates(),
        requests: totals.requests,
        generated: totals.generated,
        retries: totals.retries,
        insecure_http: plan.insecure_http,
    }
}

/// Gives each operation its set-up cause, with the failures it groups, and settles the
/// regression cases (not written where the set-up explains them).
fn settle_causes(
    ctx: &Context,
    results: &mut [CaseResult],
    operations: &mut [OperationResults],
) -> property::Settled {
    let mut causes: Vec<Option<SetupCause>> = lock(&ctx.causes).clone();
    causes.resize(operations.len(), None);
    let mut regressions = property::Settled::default();
    for (mut cause, op) in causes.into_iter().zip(operations.iter_mut()) {
        let of_op = &mut results[op.range.clone()];
        for r in of_op.iter_mut() {
            let explained = |part: &CaseResult| {
                cause
                    .as_ref()
                    .filter(|c| c.explains(part))
                    .map(|c| format!("every valid request was answered {}", c.status))
            };
            ctx.regressions.settle(r, explained, &mut regressions);
        }
        if let Some(c) = &mut cause {
            c.group(of_op);
        }
        op.cause = cause;
    }
    regressions
}

/// The run's tests in order: wave by wave ([`order::wave`]), for each operation in the plan's
/// order, its cases (regressions first, as loaded), then its properties.
fn tests(plan: &Plan) -> Vec<Test> {
    let mut out = Vec::new();
    let mut ops: Vec<(usize, usize)> = plan
        .operations
        .iter()
        .enumerate()
        .map(|(op, o)| (order::wave(&o.contract.endpoint.method), op))
        .collect();
    ops.sort();
    for (wave, op) in ops {
        let operation = &plan.operations[op];
        for case in &operation.cases {
            out.push(Test {
                op,
                wave,
                id: case.id.clone(),
                kind: case.kind.to_string(),
                unit: Unit::Case(case.clone()),
            });
        }
        if plan.properties.is_some() {
            for p in Property::ALL {
                let id = match plan.prefix(op) {
                    Some(prefix) => format!("{prefix}::{}", p.id()),
                    None => p.id(),
                };
                out.push(Test {
                    op,
                    wave,
                    id,
                    kind: "property".into(),
                    unit: Unit::Property(p),
                });
            }
        }
    }
    out
}

/// Trials for `--list`, grouped by kind.
fn list_trials(plan: &Plan) -> Vec<Trial> {
    let mut sorted: Vec<(String, String)> = tests(plan)
        .into_iter()
        .map(|t| {
            let group = match plan.prefix(t.op) {
                Some(op) => format!("{op}::{}", t.kind),
                None => t.kind,
            };
            (group, t.id)
        })
        .collect();
    sorted.sort();
    sorted
        .into_iter()
        .map(|(kind, id)| Trial::test(id, || Ok(())).with_kind(kind))
        .collect()
}
