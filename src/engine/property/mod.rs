//! Property-based cases ([`Property`]): bodies generated from the request schema with proptest,
//! streamed through the executor (generate, send, check, forget), grouped by kind of failure,
//! and one of each kind shrunk to a minimal body that is kept as a regression case
//! ([`Regressions`]), written when the run ends unless the run's set-up explains the failure.
//!
//! Each body is drawn from its own seed, derived from the run seed, the property and the body's
//! number, so any body can be rebuilt (and shrunk) without keeping it.

mod request;
mod sweep;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use serde_json::{json, Value};

use crate::cases::generate::{self, GenError};
use crate::cases::{Case, Expect, Origin, RequestSpec};
use crate::check::Verdict;
use crate::contract::Class;
use crate::contract::{Operation, Severity};
use crate::engine::executor::Executor;
use crate::engine::outcome::{CaseResult, Status};

use sweep::{Found, Kind, Sweep};

/// How many bodies each property draws, how many requests are in flight, where failures go.
#[derive(Clone, Debug)]
pub struct PropertySettings {
    /// Bodies per property (an upper bound when `duration` is set).
    pub cases: u64,
    /// Keep drawing bodies until this much time has passed since the run started.
    pub duration: Option<Duration>,
    /// Requests of one property in flight at once.
    pub concurrency: usize,
    /// The most requests one shrink may send.
    pub max_shrink_steps: u32,
    /// How many kinds of failure of one property are shrunk; the rest are shown as found.
    pub max_shrunk_kinds: usize,
    /// Directory for regression case files; `None` saves nothing.
    pub persist: Option<PathBuf>,
}

impl Default for PropertySettings {
    fn default() -> Self {
        PropertySettings {
            cases: 256,
            duration: None,
            concurrency: 8,
            max_shrink_steps: 512,
            max_shrunk_kinds: 4,
            persist: None,
        }
    }
}

/// Shares a `--duration` among the properties of a run, whatever runs them in parallel: each
/// property, as it starts, takes its share of the time left, and the last one ends on time.
#[derive(Debug)]
pub struct TimeBudget {
    end: Instant,
    /// Properties not started yet.
    pending: AtomicUsize,
    /// How many properties can run at once.
    parallel: usize,
}

impl TimeBudget {
    pub fn new(end: Instant, properties: usize, parallel: usize) -> Self {
        TimeBudget {
            end,
            pending: AtomicUsize::new(properties.max(1)),
            parallel: parallel.max(1),
        }
    }

    /// When the whole budget runs out: no test starts after it.
    pub fn end(&self) -> Instant {
        self.end
    }

    /// The deadline of a property starting now.
    pub fn deadline(&self) -> Instant {
        let waiting = self
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(1)
            .max(1);
        let now = Instant::now();
        let left = self.end.saturating_duration_since(now);
        let share = self.parallel.min(waiting) as f64 / waiting as f64;
        now + left.mul_f64(share)
    }
}

/// The three properties every request schema gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    /// A valid body gives a success, a conforming response, and the semantic checks.
    ValidBody,
    /// A body with one rule broken gives the expected 4xx.
    InvalidBody,
    /// Any body gives no 5xx, and a success only with a conforming JSON body.
    AnyBody,
}

impl Property {
    pub const ALL: [Property; 3] = [
        Property::ValidBody,
        Property::InvalidBody,
        Property::AnyBody,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Property::ValidBody => "valid_body",
            Property::InvalidBody => "invalid_body",
            Property::AnyBody => "any_body",
        }
    }

    pub fn id(self) -> String {
        format!("property::{}", self.name())
    }

    pub fn title(self) -> &'static str {
        match self {
            Property::ValidBody => "generated valid bodies succeed and the responses conform",
            Property::InvalidBody => "generated bodies with one rule broken are rejected",
            Property::AnyBody => "any body: never a 5xx, never a success that does not conform",
        }
    }

    fn class(self) -> Class {
        match self {
            Property::ValidBody => Class::Valid,
            Property::InvalidBody => Class::Invalid,
            Property::AnyBody => Class::Unspecified,
        }
    }

    /// The seed of body `index`: the same run seed always gives the same bodies.
    pub fn body_seed(self, run_seed: u64, index: u64) -> u64 {
        generate::mix(self.seed(run_seed) ^ generate::mix(index))
    }

    /// Each property draws from its own stream of the run seed.
    fn seed(self, run_seed: u64) -> u64 {
        let salt = match self {
            Property::ValidBody => 0x9e37_79b9_7f4a_7c15,
            Property::InvalidBody => 0xbf58_476d_1ce4_e5b9,
            Property::AnyBody => 0x94d0_49bb_1331_11eb,
        };
        run_seed ^ salt
    }

    /// Bodies with what is at fault in them, when something is.
    pub fn strategy(self, schema: &Value) -> Result<BoxedStrategy<(Value, Fault)>, GenError> {
        let valid = generate::valid(schema)?;
        let invalid = generate::invalid(schema)?.prop_map(|i| {
            // `required` and `additionalProperties` point at the object, not at one field.
            let field = (!i.pointer.is_empty()
                && !matches!(i.keyword, "required" | "additionalProperties"))
            .then_some(i.pointer);
            let format = i.keyword == "format";
            (i.value, Fault { field, format })
        });
        Ok(match self {
            Property::ValidBody => valid.prop_map(|v| (v, Fault::default())).boxed(),
            Property::InvalidBody => invalid.boxed(),
            Property::AnyBody => prop_oneof![
                valid.prop_map(|v| (v, Fault::default())),
                invalid.prop_map(|(v, _)| (v, Fault::default())),
                any_json().prop_map(|v| (v, Fault::default())),
            ]
            .boxed(),
        })
    }

    /// The case one generated body makes; for an operation without a body, the generated
    /// object of its parameters, sent as their values, and a broken one judged as a rejected
    /// parameter (`offending` its name).
    pub fn case(self, contract: &Operation, id: String, body: Value, fault: Fault) -> Case {
        let Fault {
            field: offending,
            format,
        } = fault;
        // A value that breaks only its format is invalid only where the contract asserts formats.
        let class = match self.class() {
            Class::Invalid if format => contract.format_class(),
            class => class,
        };
        let (expect, request, offending) = if request::in_params(contract) {
            let at = offending.and_then(|p| request::param_at(contract, &p));
            let location = at.as_ref().map_or(crate::contract::ParamIn::Query, |a| a.0);
            let request = RequestSpec {
                params: request::overrides(contract, &body),
                ..RequestSpec::json(&contract.endpoint, Value::Null)
            };
            let class = match class {
                // A break a server reads back as valid text is no invalid request.
                Class::Invalid if request::reads_valid(contract, &body) => Class::Unspecified,
                class => class,
            };
            let expect = crate::cases::derive::param_expect(contract, class, location);
            let at = at.filter(|_| class == Class::Invalid);
            (expect, request, at.map(|a| a.1))
        } else {
            (
                Expect::of(contract, class, "invalid_body"),
                RequestSpec::json(&contract.endpoint, body),
                offending.filter(|_| class == Class::Invalid),
            )
        };
        let mut case = Case {
            id,
            title: self.title().to_string(),
            kind: "property".into(),
            expect,
            request,
            offending,
            origin: Origin::Derived,
        };
        case.settle(contract);
        case
    }
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Checks every property can be generated from this schema, so a bad schema stops the run early.
pub fn validate(schema: &Value) -> Result<(), GenError> {
    // Every property's strategy is made of these two, so building each once checks them all.
    let _ = generate::valid(schema)?;
    let _ = generate::invalid(schema)?;
    Ok(())
}

/// What a generated body breaks: the request field at fault (a JSON pointer), when one is, and
/// whether only its `format` is broken.
#[derive(Clone, Debug, Default)]
pub struct Fault {
    pub field: Option<String>,
    pub format: bool,
}

type Strat = BoxedStrategy<(Value, Fault)>;
type Tree = Box<dyn ValueTree<Value = (Value, Fault)>>;

/// Body `index` of a property, as a shrinkable tree, rebuilt from its seed.
fn draw(strategy: &Strat, prop: Property, run_seed: u64, index: u64) -> Result<Tree, String> {
    let mut runner = generate::runner(prop.body_seed(run_seed, index));
    strategy.new_tree(&mut runner).map_err(|e| e.to_string())
}

/// Runs one property: streams its bodies through the executor, then shrinks one failure of each
/// kind it found.
pub fn run(
    exec: &Arc<Executor>,
    prop: Property,
    settings: &PropertySettings,
    run: &PropertyRun,
) -> CaseResult {
    let (run_seed, deadline) = (run.seed, run.deadline);
    let contract = exec.contract().clone();
    let schema = match request::generated(&contract) {
        request::Generated::Body(schema) | request::Generated::Params(schema) => schema,
        request::Generated::Nothing => {
            let why = "the operation takes no body and no query, header or cookie parameter";
            return not_run(prop, exec, format!("nothing to generate: {why}"));
        }
    };
    let strategy = match prop.strategy(&schema) {
        Ok(s) => s,
        Err(e) => return not_run(prop, exec, format!("cannot generate: {e}")),
    };
    let sweep = sweep::run(exec, &strategy, prop, settings, run_seed, deadline);
    if let Some(reason) = &sweep.generation_error {
        if sweep.sent == 0 {
            return not_run(prop, exec, format!("cannot generate: {reason}"));
        }
    }
    if sweep.kinds.is_empty() {
        let stopped = sweep
            .stopped_early
            .clone()
            .or_else(|| exec.stopped().map(crate::engine::executor::stop_error));
        if let Some(e) = stopped {
            let mut result = not_run(prop, exec, e.message.clone());
            result.exchange.outcome = Err(e);
            result.notes.push(format!(
                "property {}: {} bodies passed before the run stopped",
                prop.name(),
                sweep.passed
            ));
            return result;
        }
        return passed(prop, exec, sweep, run_seed);
    }
    let shrinker = Shrinker {
        exec,
        strategy: &strategy,
        prop,
        run_seed,
        settings,
        regressions: run.regressions,
        end: run.end,
    };
    let summary = sweep.summary_lines(prop, run_seed);
    let mut parts: Vec<CaseResult> = sweep
        .kinds
        .iter()
        .enumerate()
        .map(|(k, (kind, found))| shrinker.report(k, kind, found))
        .collect();
    let mut first = parts.remove(0);
    first.notes.splice(0..0, summary);
    merge_warnings(&mut first.verdicts, &sweep.warnings);
    first.more = parts;
    first
}

/// Shrinks and reports one kind of failure of a property.
struct Shrinker<'a> {
    exec: &'a Arc<Executor>,
    strategy: &'a Strat,
    prop: Property,
    run_seed: u64,
    settings: &'a PropertySettings,
    regressions: &'a Regressions,
    end: Option<Instant>,
}

impl Shrinker<'_> {
    /// The example of kind number `k`, shrunk when it is among the first kinds and can be,
    /// re-sent once, kept as a regression case, and named as the property.
    fn report(&self, k: usize, kind: &Kind, found: &Found) -> CaseResult {
        let shrink = k < self.settings.max_shrunk_kinds;
        let mut notes = vec![format!(
            "kind: {kind}, in {} of the bodies sent; the first was body #{}",
            found.count, found.index
        )];
        let (best, steps) = match (shrink, kind.shrinkable()) {
            (true, true) => self.shrink(kind, found),
            (false, true) => {
                notes.push(format!(
                    "not shrunk: only the first {} kinds are",
                    self.settings.max_shrunk_kinds
                ));
                (found.result.clone(), 0)
            }
            (_, false) => (found.result.clone(), 0),
        };
        if kind.shrinkable() {
            notes.push(format!(
                "shrunk in {steps} requests to the {} byte body below",
                best.exchange.request.body.len()
            ));
            notes.extend(self.replay(&best));
        }
        let id = self.exec.case_id(&self.prop.id());
        if let (Some(dir), Status::Failed) = (&self.settings.persist, best.status()) {
            let (path, text) = regression_file(dir, self.prop, &best, self.run_seed, self.exec);
            let note = format!(
                "to be saved as regression case {} when the run ends",
                path.display()
            );
            notes.push(note.clone());
            self.regressions.keep(Pending {
                case_id: id.clone(),
                part: k,
                path,
                text,
                note,
            });
        }
        CaseResult {
            case: Arc::new(renamed(&best.case, id)),
            notes,
            ..best
        }
    }

    /// proptest's shrink loop, sending each candidate one at a time: simplify while it still
    /// fails in the same kind, complicate when it does not. A 500 never shrinks into a 201.
    fn shrink(&self, kind: &Kind, found: &Found) -> (CaseResult, u32) {
        let mut best = found.result.clone();
        let Ok(mut tree) = draw(self.strategy, self.prop, self.run_seed, found.index) else {
            return (best, 0);
        };
        let contract = self.exec.contract();
        let mut steps = 0;
        if !tree.simplify() {
            return (best, steps);
        }
        let time_left = || self.end.is_none_or(|end| Instant::now() < end);
        while steps < self.settings.max_shrink_steps && self.exec.stopped().is_none() && time_left()
        {
            steps += 1;
            let (body, fault) = tree.current();
            let id = self
                .exec
                .case_id(&format!("{}#shrink{steps}", self.prop.id()));
            let case = self.prop.case(contract, id, body, fault);
            let result = self.exec.execute_blocking(Arc::new(case));
            let kept = if kind.matches(&result) {
                best = result;
                tree.simplify()
            } else {
                tree.complicate()
            };
            if !kept {
                break;
            }
        }
        (best, steps)
    }

    /// Sends the minimal body once more, under another id so the uniqueness check sees a new
    /// request; a pass then means the failure may be intermittent.
    fn replay(&self, best: &CaseResult) -> Option<String> {
        let id = self.exec.case_id(&format!("{}#replay", self.prop.id()));
        let again = self
            .exec
            .execute_blocking(Arc::new(renamed(&best.case, id)));
        (again.status() == Status::Passed).then(|| {
            "the minimal body passed when sent again: the failure may be intermittent".into()
        })
    }
}

/// The same case under another id.
fn renamed(case: &Case, id: String) -> Case {
    Case { id, ..case.clone() }
}

/// A passing property: its first exchange stands for all, with every distinct warning.
fn passed(prop: Property, exec: &Executor, sweep: Sweep, run_seed: u64) -> CaseResult {
    let Some((_, first)) = sweep.first_passed else {
        return not_run(prop, exec, "no body was generated".into());
    };
    let mut note = format!(
        "property {}: {} generated bodies passed (seed {run_seed})",
        prop.name(),
        sweep.sent
    );
    if sweep.out_of_time {
        note.push_str("; drawing stopped when the --duration ran out");
    }
    let mut verdicts = Vec::new();
    merge_warnings(&mut verdicts, &sweep.warnings);
    CaseResult {
        case: Arc::new(renamed(&first.case, exec.case_id(&prop.id()))),
        verdicts,
        notes: vec![note],
        ..first
    }
}

/// A property that could not send anything: reported as not tested, with the reason.
/// The result of a property that ended with `error` before it could report (cut by the budget,
/// or a panic of the suite).
pub(crate) fn not_started(
    prop: Property,
    exec: &Executor,
    error: crate::http::TransportError,
) -> CaseResult {
    let mut result = not_run(prop, exec, error.message.clone());
    result.exchange.outcome = Err(error);
    result
}

fn not_run(prop: Property, exec: &Executor, reason: String) -> CaseResult {
    let contract = exec.contract();
    let exchange = crate::http::Exchange {
        request: crate::http::SentRequest {
            method: contract.endpoint.method.clone(),
            url: String::new(),
            headers: Vec::new(),
            placeholders: Vec::new(),
            body: Default::default(),
            body_cut: None,
        },
        outcome: Err(crate::http::TransportError::new(
            crate::http::TransportKind::Other,
            reason,
        )),
        elapsed: Duration::ZERO,
    };
    CaseResult::new(
        Arc::new(prop.case(
            contract,
            exec.case_id(&prop.id()),
            Value::Null,
            Fault::default(),
        )),
        exchange,
        Vec::new(),
    )
}

/// The case file of a minimal failing body, which later runs replay first: its path and text.
/// The file goes into the source tree, so it passes through the redactor: a server that echoes
/// the token into the failure must not get it committed.
fn regression_file(
    dir: &Path,
    prop: Property,
    best: &CaseResult,
    seed: u64,
    exec: &Executor,
) -> (PathBuf, String) {
    let redactor = exec.redactor();
    let body = best
        .case
        .request
        .body
        .json()
        .map(std::borrow::Cow::into_owned)
        .unwrap_or(Value::Null);
    let params = &best.case.request.params;
    let hash = match params.is_empty() {
        true => fnv1a(body.to_string().as_bytes()),
        false => fnv1a(serde_json::to_string(params).unwrap_or_default().as_bytes()),
    };
    let stem = file_stem(exec.operation_prefix(), prop, hash);
    let found = best
        .errors()
        .next()
        .map(|v| {
            redactor.apply(&format!(
                "{}: expected {}, got {}",
                v.headline(),
                v.expected,
                v.actual
            ))
        })
        .unwrap_or_default();
    let contract = exec.contract();
    let case = Case {
        id: format!("regression::{stem}"),
        title: format!(
            "property {} regression, found with seed {seed}",
            prop.name()
        ),
        kind: "regression".into(),
        expect: regression_expect(contract, prop, &best.case),
        request: RequestSpec {
            params: params.clone(),
            ..RequestSpec::json(&contract.endpoint, body)
        },
        offending: best.case.offending.clone(),
        origin: Origin::Derived,
    };
    let provenance = crate::cases::file::Provenance {
        operation: exec.operation_prefix(),
        seed: Some(seed),
        found: Some(found),
    };
    let text = crate::cases::file::to_text(&case, contract, &provenance);
    (dir.join(format!("{stem}.json")), redactor.apply(&text))
}

/// A regression file's name, without `.json`: the property and the hash of what it sends,
/// after the operation when the run has several.
fn file_stem(operation: Option<&str>, prop: Property, hash: u64) -> String {
    // Two operations may find the same body: each keeps its own file. An operation id may hold
    // any character (an OpenAPI operationId is free text): only a safe file name is made of it.
    match operation {
        Some(op) => {
            let mut safe: String = op
                .chars()
                .take(48)
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            if safe != op {
                // Changed or cut short: the whole id's hash keeps two ids apart.
                safe = format!("{safe}-{:08x}", fnv1a(op.as_bytes()) as u32);
            }
            format!("{safe}-{}-{hash:016x}", prop.name())
        }
        None => format!("{}-{hash:016x}", prop.name()),
    }
}

/// What a regression case expects: a body's rejection, or for generated parameters the
/// rejection of the one at fault.
fn regression_expect(contract: &Operation, prop: Property, best: &Case) -> Expect {
    if best.request.params.is_empty() {
        return Expect::of(contract, prop.class(), "invalid_body");
    }
    let at = best
        .request
        .params
        .iter()
        .find(|p| best.offending.as_deref() == Some(p.name.as_str()));
    let location = at.map_or(crate::contract::ParamIn::Query, |p| p.location);
    crate::cases::derive::param_expect(contract, prop.class(), location)
}

/// Where a property runs: the run's seed, its deadline, and where its regression cases wait.
pub struct PropertyRun<'a> {
    pub seed: u64,
    pub deadline: Option<Instant>,
    /// When the run's `--duration` budget runs out: shrinking stops there too.
    pub end: Option<Instant>,
    pub regressions: &'a Regressions,
}

/// Regression cases found during a run, written when it ends: a failure whose likely cause is
/// the run's set-up (every valid request answered 404, say) is not a regression to keep.
#[derive(Debug, Default)]
pub struct Regressions(Mutex<Vec<Pending>>);

/// A regression case waiting for the end of the run.
#[derive(Clone, Debug)]
struct Pending {
    /// The test it belongs to, and which part of its result (0 the first, then `more`).
    case_id: String,
    part: usize,
    path: PathBuf,
    text: String,
    /// The note on the result, replaced by what became of the file.
    note: String,
}

/// What became of a run's regression cases.
#[derive(Debug, Default)]
pub struct Settled {
    pub saved: Vec<PathBuf>,
    /// Not saved, because the run's set-up explains them.
    pub dropped: usize,
    /// Could not be written, with why.
    pub unwritten: Vec<String>,
}

impl Regressions {
    fn keep(&self, p: Pending) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(p);
    }

    /// Writes or drops the regression cases of `result`, and notes on it which. `setup_cause`
    /// says, for one part of the result, the set-up cause that explains it, if one does.
    pub fn settle(
        &self,
        result: &mut CaseResult,
        setup_cause: impl Fn(&CaseResult) -> Option<String>,
        settled: &mut Settled,
    ) {
        let mine: Vec<Pending> = {
            let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let (mine, rest) = all.drain(..).partition(|p| p.case_id == result.case.id);
            *all = rest;
            mine
        };
        for p in mine {
            let part = match p.part {
                0 => &mut *result,
                n => match result.more.get_mut(n - 1) {
                    Some(part) => part,
                    None => continue,
                },
            };
            let note = match setup_cause(part) {
                Some(cause) => {
                    settled.dropped += 1;
                    format!("not saved as a regression case: the likely cause is the run's set-up ({cause})")
                }
                None => match crate::diag::write_atomic(&p.path, p.text.as_bytes()) {
                    Ok(()) => {
                        settled.saved.push(p.path.clone());
                        format!("saved as regression case {}", p.path.display())
                    }
                    Err(e) => {
                        let why = format!(
                            "could not save the regression case {}: {e}",
                            p.path.display()
                        );
                        settled.unwritten.push(why.clone());
                        why
                    }
                },
            };
            match part.notes.iter_mut().find(|n| **n == p.note) {
                Some(n) => *n = note,
                None => part.notes.push(note),
            }
        }
    }
}

/// Distinct warnings, by check and location, for a test that stands for many requests.
pub fn merge_warnings(into: &mut Vec<Verdict>, from: &[Verdict]) {
    for w in from.iter().filter(|v| v.severity == Severity::Warning) {
        if !into
            .iter()
            .any(|v| v.check == w.check && v.location == w.location)
        {
            into.push(w.clone());
        }
    }
}

/// A stable hash for regression file names (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
