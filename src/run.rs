//! The `run` command: a validated [`Plan`] goes in, every case runs as a libtest-mimic trial,
//! and a [`RunOutcome`] with the results and exit code comes out.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::cases::Case;
use crate::check::Checker;
use crate::contract::{Contract, Severity};
use crate::execute::{Secret, Target};
use crate::property::{self, Property, PropertySettings};
use crate::redact::Redactor;
use crate::report::{self, CaseResult, RunInfo, Status, Tally};
use crate::server::{self, FaultSet, ServerConfig};

/// Which server the run tests.
#[derive(Clone, Debug)]
pub enum TargetChoice {
    /// Start the reference server on 127.0.0.1, port 0, with these faults switched on.
    Embedded {
        faults: FaultSet,
        /// Have it refuse expiries in the past, as the page allows.
        reject_past_expiry: bool,
    },
    /// An API root such as `https://wks-a1b2c3d4.provisionr.io/api/v1`.
    Remote { base_url: String },
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

/// A validated run configuration: everything checked before any request is sent.
#[derive(Clone, Debug)]
pub struct Plan {
    pub contract: Arc<Contract>,
    pub cases: Vec<Case>,
    pub target: TargetChoice,
    pub token: Secret,
    pub token_env: String,
    pub path_values: BTreeMap<String, String>,
    pub timeout: Duration,
    pub junit: Option<PathBuf>,
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
    /// Run under the libtest harness and print the header, warnings and summary; in-process
    /// callers (tests, the self-test) turn this off and run the cases silently.
    pub verbose: bool,
}

/// What a run found.
#[derive(Debug)]
pub struct RunOutcome {
    pub results: Vec<CaseResult>,
    pub tally: Tally,
    pub exit_code: i32,
    pub junit: Option<PathBuf>,
    /// Ids of what the run's successful requests created, in the order they were answered.
    pub created: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Target(#[from] crate::execute::TargetError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start the embedded reference server: {0}")]
    Server(std::io::Error),
    #[error("cannot write the JUnit report to {0}: {1}")]
    Junit(PathBuf, String),
    #[error("cannot write the list of created ids to {0}: {1}")]
    Created(PathBuf, String),
}

/// What every trial shares.
pub(crate) struct Shared {
    pub(crate) contract: Arc<Contract>,
    checker: Checker,
    target: Target,
    strict: bool,
    redactor: Redactor,
    pub(crate) handle: tokio::runtime::Handle,
    results: Mutex<Vec<(usize, CaseResult)>>,
    created: Mutex<Vec<String>>,
    /// Requests sent, shrinking and replays included.
    sent: std::sync::atomic::AtomicUsize,
}

/// One test of the run: a single case, or a property over many generated cases.
#[derive(Clone)]
enum Unit {
    Case(Arc<Case>),
    Property(Property),
}

impl Unit {
    fn id(&self) -> String {
        match self {
            Unit::Case(c) => c.id.clone(),
            Unit::Property(p) => p.id(),
        }
    }

    fn kind(&self) -> String {
        match self {
            Unit::Case(c) => c.kind.clone(),
            Unit::Property(_) => "property".into(),
        }
    }
}

impl Shared {
    /// Runs one unit to its result, blocking this (non-runtime) thread on the requests.
    fn run_unit(
        self: &Arc<Self>,
        unit: Unit,
        plan_seed: u64,
        settings: &PropertySettings,
    ) -> CaseResult {
        match unit {
            Unit::Case(case) => self.handle.block_on(self.execute(case)),
            Unit::Property(p) => property::run(self, p, settings, plan_seed),
        }
    }

    /// Sends the cases with at most `concurrency` in flight; results in the cases' order.
    pub(crate) async fn execute_all(
        self: Arc<Self>,
        cases: Vec<Arc<Case>>,
        concurrency: usize,
    ) -> Vec<CaseResult> {
        let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, case) in cases.into_iter().enumerate() {
            let (shared, limit) = (self.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (i, shared.execute(case).await)
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok(pair) = joined {
                out.push(pair);
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, r)| r).collect()
    }

    /// Sends a case and judges the answer: the one path every kind of case goes through.
    pub(crate) async fn execute(&self, case: Arc<Case>) -> CaseResult {
        let exchange = self
            .target
            .send(&self.contract.endpoint, &case.request)
            .await;
        let (mut verdicts, body) = match &exchange.outcome {
            Ok(resp) => self.checker.check(&self.contract, &case, resp),
            Err(_) => (Vec::new(), None),
        };
        if let Some(body) = &body {
            self.note_created(body);
        }
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.strict {
            for v in &mut verdicts {
                v.severity = Severity::Error;
            }
        }
        CaseResult {
            case,
            exchange,
            verdicts,
            notes: Vec::new(),
        }
    }

    /// Remembers the id of what a success created, for the list of what the run left behind.
    fn note_created(&self, body: &serde_json::Value) {
        let Some(pointer) = &self.contract.endpoint.created_id else {
            return;
        };
        let id = body
            .pointer(pointer)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
        if let Some(id) = id {
            self.created
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id);
        }
    }

    fn record(&self, index: usize, result: CaseResult) {
        self.results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((index, result));
    }

    /// What libtest shows for a result: nothing when it passed, the failure text otherwise.
    fn libtest_outcome(&self, result: &CaseResult) -> Result<(), Failed> {
        match result.status() {
            Status::Passed => Ok(()),
            _ => Err(Failed::from(report::human::failure_text(
                result,
                &self.target,
                &self.redactor,
            ))),
        }
    }
}

/// Runs the plan: starts the embedded server if asked, runs the trials, writes the JUnit report.
pub fn run(plan: Plan) -> Result<RunOutcome, RunError> {
    let args = libtest_args(&plan.selection);
    if plan.selection.list {
        let _ = libtest_mimic::run(&args, list_trials(&plan));
        return Ok(RunOutcome {
            results: Vec::new(),
            tally: Tally::default(),
            exit_code: crate::exit::SUCCESS,
            junit: None,
            created: Vec::new(),
        });
    }
    let started = Instant::now();
    let timestamp = SystemTime::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;

    let (base_url, server, target_label) = match &plan.target {
        TargetChoice::Remote { base_url } => {
            (base_url.clone(), None, format!("{base_url} (--base-url)"))
        }
        TargetChoice::Embedded {
            faults,
            reject_past_expiry,
        } => {
            let config = ServerConfig {
                token: plan.token.expose().to_string(),
                services: plan.path_values.values().cloned().collect(),
                faults: faults.clone(),
                reject_past_expiry: *reject_past_expiry,
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], 0));
            let running = runtime
                .block_on(server::spawn(addr, config))
                .map_err(RunError::Server)?;
            let url = running.base_url();
            (
                url.clone(),
                Some(running),
                format!("embedded reference server at {url}"),
            )
        }
    };
    if plan.verbose {
        match &plan.target {
            TargetChoice::Embedded { .. } => println!(
                "target: {target_label} (no --base-url given; pass --base-url to test a real workspace)"
            ),
            TargetChoice::Remote { .. } => println!("target: {target_label}"),
        }
        if plan.properties.is_some() {
            println!(
                "seed: {} (replay the same generated bodies with --seed {})",
                plan.seed, plan.seed
            );
        }
    }
    let target = Target::new(
        &base_url,
        plan.path_values.clone(),
        plan.token.clone(),
        &plan.token_env,
        plan.timeout,
    )?
    .with_rate(plan.rate);
    let redactor = Redactor::new([plan.token.expose().to_string()]);
    let shared = Arc::new(Shared {
        checker: Checker::new(&plan.contract, plan.skip_checks.clone()),
        contract: plan.contract.clone(),
        target,
        strict: plan.strict,
        redactor: redactor.clone(),
        handle: runtime.handle().clone(),
        results: Mutex::new(Vec::new()),
        created: Mutex::new(Vec::new()),
        sent: std::sync::atomic::AtomicUsize::new(0),
    });

    let units = units(&plan);
    let settings = plan.properties.clone().unwrap_or_default();
    if plan.verbose {
        let trials = units
            .iter()
            .enumerate()
            .map(|(index, unit)| {
                let (shared, unit, settings) = (shared.clone(), unit.clone(), settings.clone());
                let (seed, id, kind) = (plan.seed, unit.id(), unit.kind());
                Trial::test(id, move || {
                    let result = shared.run_unit(unit, seed, &settings);
                    let outcome = shared.libtest_outcome(&result);
                    shared.record(index, result);
                    outcome
                })
                .with_kind(kind)
            })
            .collect::<Vec<_>>();
        let _ = libtest_mimic::run(&args, trials);
    } else {
        // In-process callers (tests, the self-test) want results, not libtest's printing.
        let selected: Vec<(usize, Unit)> = units
            .into_iter()
            .enumerate()
            .filter(|(_, u)| !args.is_filtered_out(&Trial::test(u.id(), || Ok(()))))
            .collect();
        let queue = Mutex::new(selected.into_iter());
        let workers = plan.selection.test_threads.unwrap_or(8);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some((index, unit)) = next else { break };
                    let result = shared.run_unit(unit, plan.seed, &settings);
                    shared.record(index, result);
                });
            }
        });
    }

    if let Some(s) = server {
        runtime.block_on(s.shutdown());
    }
    let mut indexed =
        std::mem::take(&mut *shared.results.lock().unwrap_or_else(|p| p.into_inner()));
    indexed.sort_by_key(|(i, _)| *i);
    let results: Vec<CaseResult> = indexed.into_iter().map(|(_, r)| r).collect();
    let tally = Tally::of(&results);
    let info = RunInfo {
        operation: plan.contract.endpoint.operation.clone(),
        target: target_label,
        base_url,
        seed: plan.properties.as_ref().map(|_| plan.seed),
        strict: plan.strict,
        elapsed: started.elapsed(),
        timestamp,
        created: std::mem::take(&mut *shared.created.lock().unwrap_or_else(|p| p.into_inner())),
        requests: shared.sent.load(std::sync::atomic::Ordering::Relaxed),
    };
    if plan.verbose {
        for line in report::human::warning_lines(&results) {
            println!("{}", redactor.apply(&line));
        }
        if let Some(note) = report::human::not_tested_note(&results) {
            println!("{}", redactor.apply(&note));
        }
        println!("{}", report::human::summary(&info, &tally));
    }
    if let Some(path) = &plan.junit {
        let xml = report::junit::render(&info, &results, &shared.target, &redactor)
            .map_err(|e| RunError::Junit(path.clone(), e))?;
        report::write_file(path, &xml).map_err(|e| RunError::Junit(path.clone(), e.to_string()))?;
        if plan.verbose {
            println!("junit: {}", path.display());
        }
    }
    if let Some(path) = &plan.created_list {
        let text: String = info.created.iter().map(|id| format!("{id}\n")).collect();
        report::write_file(path, &text)
            .map_err(|e| RunError::Created(path.clone(), e.to_string()))?;
        if plan.verbose {
            println!("created ids: {}", path.display());
        }
    }
    Ok(RunOutcome {
        exit_code: tally.exit_code(),
        results,
        tally,
        junit: plan.junit.clone(),
        created: info.created,
    })
}

fn libtest_args(sel: &Selection) -> Arguments {
    Arguments {
        filter: sel.filter.clone(),
        exact: sel.exact,
        skip: sel.skip.clone(),
        list: sel.list,
        test_threads: sel.test_threads,
        quiet: sel.quiet,
        ..Arguments::default()
    }
}

/// The run's tests in order: the cases (regressions first, as loaded), then the properties.
fn units(plan: &Plan) -> Vec<Unit> {
    let cases = plan.cases.iter().cloned().map(|c| Unit::Case(Arc::new(c)));
    let props = plan
        .properties
        .iter()
        .flat_map(|_| Property::ALL.map(Unit::Property));
    cases.chain(props).collect()
}

/// Trials for `--list`, grouped by kind.
fn list_trials(plan: &Plan) -> Vec<Trial> {
    let mut sorted: Vec<(String, String)> =
        units(plan).iter().map(|u| (u.kind(), u.id())).collect();
    sorted.sort();
    sorted
        .into_iter()
        .map(|(kind, id)| Trial::test(id, || Ok(())).with_kind(kind))
        .collect()
}
