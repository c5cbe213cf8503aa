//! Property-based cases: bodies generated from the request schema with proptest, sent
//! concurrently, and on failure shrunk one request at a time to a minimal body that is saved as a
//! regression case ([`Property`], [`PropertySettings`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use serde_json::{json, Value};

use crate::cases::generate::{self, GenError};
use crate::cases::{Case, Class, Expect, Origin, RequestSpec};
use crate::contract::Contract;
use crate::report::{CaseResult, Status};
use crate::run::Shared;

/// How many bodies each property draws, how many requests are in flight, where failures go.
#[derive(Clone, Debug)]
pub struct PropertySettings {
    /// Bodies per property.
    pub cases: u32,
    /// Requests of one property in flight at once.
    pub concurrency: usize,
    /// The most requests one shrink may send.
    pub max_shrink_steps: u32,
    /// Directory for regression case files; `None` saves nothing.
    pub persist: Option<PathBuf>,
}

impl Default for PropertySettings {
    fn default() -> Self {
        PropertySettings {
            cases: 256,
            concurrency: 8,
            max_shrink_steps: 512,
            persist: None,
        }
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

    /// Each property draws from its own stream of the run seed.
    fn seed(self, run_seed: u64) -> u64 {
        let salt = match self {
            Property::ValidBody => 0x9e37_79b9_7f4a_7c15,
            Property::InvalidBody => 0xbf58_476d_1ce4_e5b9,
            Property::AnyBody => 0x94d0_49bb_1331_11eb,
        };
        run_seed ^ salt
    }

    /// Bodies with the request field at fault (a JSON pointer), when one is.
    pub fn strategy(
        self,
        schema: &Value,
    ) -> Result<BoxedStrategy<(Value, Option<String>)>, GenError> {
        let valid = generate::valid(schema)?;
        let invalid = generate::invalid(schema)?.prop_map(|i| {
            // `required` and `additionalProperties` point at the object, not at one field.
            let field = (!i.pointer.is_empty()
                && !matches!(i.keyword, "required" | "additionalProperties"))
            .then_some(i.pointer);
            (i.value, field)
        });
        Ok(match self {
            Property::ValidBody => valid.prop_map(|v| (v, None)).boxed(),
            Property::InvalidBody => invalid.boxed(),
            Property::AnyBody => prop_oneof![
                valid.prop_map(|v| (v, None)),
                invalid.prop_map(|(v, _)| (v, None)),
                any_json().prop_map(|v| (v, None)),
            ]
            .boxed(),
        })
    }

    /// The case one generated body makes.
    pub fn case(
        self,
        contract: &Contract,
        id: String,
        body: Value,
        offending: Option<String>,
    ) -> Case {
        Case {
            id,
            title: self.title().to_string(),
            kind: "property".into(),
            expect: Expect::of(contract, self.class(), "invalid_body"),
            request: RequestSpec::json(&contract.endpoint, body),
            offending,
            origin: Origin::Derived,
        }
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
    for p in Property::ALL {
        let _ = p.strategy(schema)?;
    }
    Ok(())
}

/// Runs one property: draws the bodies from the seed, sends them, shrinks the first failure.
pub(crate) fn run(
    shared: &Arc<Shared>,
    prop: Property,
    settings: &PropertySettings,
    run_seed: u64,
) -> CaseResult {
    let contract = shared.contract.clone();
    let seed = prop.seed(run_seed);
    let strategy = match prop.strategy(&contract.request_schema) {
        Ok(s) => s,
        Err(e) => return not_run(prop, &contract, format!("cannot generate: {e}")),
    };
    let mut runner = generate::runner(seed);
    let mut trees = Vec::new();
    for _ in 0..settings.cases {
        match strategy.new_tree(&mut runner) {
            Ok(t) => trees.push(t),
            Err(e) => return not_run(prop, &contract, format!("cannot generate: {e}")),
        }
    }
    // The set of requests is fixed by the seed before any is sent; only their timing varies.
    let cases: Vec<Arc<Case>> = trees
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (body, offending) = t.current();
            Arc::new(prop.case(&contract, format!("{}#{i}", prop.id()), body, offending))
        })
        .collect();
    let results = shared
        .handle
        .block_on(shared.clone().execute_all(cases, settings.concurrency));
    let first_failure = results.iter().position(|r| r.status() != Status::Passed);
    let Some(k) = first_failure else {
        return passed(prop, &contract, results, seed, settings.cases);
    };
    let original = results[k].clone();
    let mut notes = vec![format!(
        "property {}: body #{k} of {} failed (seed {run_seed}; replay with --seed {run_seed})",
        prop.name(),
        settings.cases
    )];
    let (best, steps) = if original.status() == Status::Failed {
        shrink(
            shared,
            prop,
            &contract,
            trees.swap_remove(k),
            original,
            settings.max_shrink_steps,
        )
    } else {
        (original, 0)
    };
    let minimal_body = best.case.request.body.to_text();
    notes.push(format!(
        "shrunk in {steps} requests to the {} byte body below",
        minimal_body.len()
    ));
    // The minimal case under another id, so the uniqueness check sees a new request.
    let renamed = |id: String| Case {
        id,
        ..(*best.case).clone()
    };
    let replay = shared
        .handle
        .block_on(shared.execute(Arc::new(renamed(format!("{}#replay", prop.id())))));
    if replay.status() == Status::Passed {
        notes.push(
            "the minimal body passed when sent again: the failure may be intermittent".into(),
        );
    }
    if let (Some(dir), Status::Failed) = (&settings.persist, best.status()) {
        match save_regression(dir, prop, &best, run_seed) {
            Ok(path) => notes.push(format!("saved as regression case {}", path.display())),
            Err(e) => notes.push(format!(
                "could not save the regression case in {}: {e}",
                dir.display()
            )),
        }
    }
    let case = renamed(prop.id());
    CaseResult {
        case: Arc::new(case),
        exchange: best.exchange,
        verdicts: best.verdicts,
        notes,
    }
}

/// proptest's shrink loop, sending each candidate: simplify while it still fails the same check,
/// complicate when it passes.
fn shrink(
    shared: &Arc<Shared>,
    prop: Property,
    contract: &Contract,
    mut tree: Box<dyn ValueTree<Value = (Value, Option<String>)>>,
    original: CaseResult,
    max_steps: u32,
) -> (CaseResult, u32) {
    let check = original.errors().next().map(|v| v.check.clone());
    let still_fails = |r: &CaseResult| {
        r.status() == Status::Failed && r.errors().any(|v| Some(&v.check) == check.as_ref())
    };
    let mut best = original;
    let mut steps = 0;
    if !tree.simplify() {
        return (best, steps);
    }
    while steps < max_steps {
        steps += 1;
        let (body, offending) = tree.current();
        let case = prop.case(
            contract,
            format!("{}#shrink{steps}", prop.id()),
            body,
            offending,
        );
        let result = shared.handle.block_on(shared.execute(Arc::new(case)));
        if still_fails(&result) {
            best = result;
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    (best, steps)
}

/// A passing property: the first exchange stands for all, with every distinct warning.
fn passed(
    prop: Property,
    contract: &Contract,
    results: Vec<CaseResult>,
    seed: u64,
    n: u32,
) -> CaseResult {
    let mut verdicts = Vec::new();
    for r in &results {
        for w in r.warnings() {
            if !verdicts
                .iter()
                .any(|v: &crate::check::Verdict| v.check == w.check && v.location == w.location)
            {
                verdicts.push(w.clone());
            }
        }
    }
    let Some(first) = results.into_iter().next() else {
        return not_run(prop, contract, "no body was generated".into());
    };
    let (exchange, body) = (
        first.exchange,
        first
            .case
            .request
            .body
            .json()
            .cloned()
            .unwrap_or(Value::Null),
    );
    CaseResult {
        case: Arc::new(prop.case(contract, prop.id(), body, None)),
        exchange,
        verdicts,
        notes: vec![format!(
            "property {}: {n} generated bodies passed (property seed {seed})",
            prop.name()
        )],
    }
}

/// A property that could not send anything: reported as not tested, with the reason.
fn not_run(prop: Property, contract: &Contract, reason: String) -> CaseResult {
    let exchange = crate::execute::Exchange {
        request: crate::execute::SentRequest {
            method: contract.endpoint.method.clone(),
            url: String::new(),
            headers: Vec::new(),
            body: String::new(),
        },
        outcome: Err(crate::execute::TransportError::new(
            crate::execute::TransportKind::Other,
            reason,
        )),
        elapsed: std::time::Duration::ZERO,
    };
    CaseResult {
        case: Arc::new(prop.case(contract, prop.id(), Value::Null, None)),
        exchange,
        verdicts: Vec::new(),
        notes: Vec::new(),
    }
}

/// Writes the minimal failing body as a case file that later runs replay first.
fn save_regression(
    dir: &Path,
    prop: Property,
    best: &CaseResult,
    seed: u64,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let body = best
        .case
        .request
        .body
        .json()
        .cloned()
        .unwrap_or(Value::Null);
    let hash = fnv1a(body.to_string().as_bytes());
    let stem = format!("{}-{hash:016x}", prop.name());
    let found = best
        .errors()
        .next()
        .map(|v| {
            format!(
                "{}: expected {}, got {}",
                v.headline(),
                v.expected,
                v.actual
            )
        })
        .unwrap_or_default();
    let mut file = json!({
        "id": format!("regression::{stem}"),
        "title": format!("property {} regression, found with seed {seed}", prop.name()),
        "kind": "regression",
        "class": prop.class().as_str(),
        "seed": seed,
        "found": found,
        "request": { "body": body },
    });
    if let Some(p) = &best.case.offending {
        file["offending"] = json!(p);
    }
    let path = dir.join(format!("{stem}.json"));
    let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    std::fs::write(&path, text + "\n")?;
    Ok(path)
}

/// A stable hash for regression file names (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
