//! Path values that exist ([`Chain`]): the first time a case needs one, the producing
//! operation's base request is sent once, as a set-up request (not a case, counted in the
//! requests), and its answer gives the value to every case and parameter that needs it.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use serde_json::Value;

use crate::cases::Case;
use crate::contract::chain::{Answer, Expression, IdSource, Via};
use crate::contract::Class;
use crate::engine::executor::Executor;
use crate::engine::outcome::{Chained, SetupRecord};
use crate::http::SentRequest;

/// One path parameter of one operation, and where its value comes from.
#[derive(Clone, Debug)]
pub struct Need {
    pub consumer: usize,
    pub producer: usize,
    pub source: IdSource,
}

/// What a set-up request got: the request as recorded, and the answer or why there is none.
pub struct Answered {
    /// `POST /things`, as a warning names the producer.
    pub label: String,
    pub request: Option<SentRequest>,
    /// The path values and body it was sent with, for `$request.*` expressions.
    pub path: BTreeMap<String, String>,
    pub request_body: Option<Value>,
    /// The status it was answered with, whatever it was.
    pub status: Option<u16>,
    pub got: Result<Got, String>,
}

/// A 2xx answer to a set-up request.
pub struct Got {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

struct Producer {
    label: String,
    /// Its base valid request, or `None` when it has no valid case.
    base: Option<Arc<Case>>,
    answer: tokio::sync::OnceCell<Arc<Answered>>,
}

/// The run's set-up requests: one per producing operation, shared by every consumer.
pub struct Chain {
    needs: Vec<Need>,
    producers: BTreeMap<usize, Producer>,
    execs: OnceLock<Vec<Weak<Executor>>>,
    records: Mutex<Vec<SetupRecord>>,
    /// Why a chained value breaks its consumer's parameter schema, by consumer and parameter
    /// (`None`: it satisfies it, or there is no schema to hold it to).
    misfits: Mutex<BTreeMap<(usize, String), Option<String>>>,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Chain {
    /// `bases`: each producer's base request and `METHOD /path`, by operation index.
    pub fn new(needs: Vec<Need>, bases: BTreeMap<usize, (String, Option<Arc<Case>>)>) -> Self {
        let producers = bases
            .into_iter()
            .filter(|(op, _)| needs.iter().any(|n| n.producer == *op))
            .map(|(op, (label, base))| {
                let answer = tokio::sync::OnceCell::new();
                (
                    op,
                    Producer {
                        label,
                        base,
                        answer,
                    },
                )
            })
            .collect();
        Chain {
            needs,
            producers,
            execs: OnceLock::new(),
            records: Mutex::new(Vec::new()),
            misfits: Mutex::new(BTreeMap::new()),
        }
    }

    /// The executors the set-up requests go through, by operation index.
    pub fn bind(&self, execs: &[Arc<Executor>]) {
        let _ = self.execs.set(execs.iter().map(Arc::downgrade).collect());
    }

    /// The set-up requests sent so far, in the order they were answered.
    pub fn records(&self) -> Vec<SetupRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The pointer of the field a creating operation's success names its object's id by.
    pub fn created_field(&self, producer: usize) -> Option<String> {
        self.needs
            .iter()
            .filter(|n| n.producer == producer && n.source.via == Via::Creator)
            .find_map(|n| match n.source.from.first() {
                Some(Expression::ResponseBody(p)) => Some(p.clone()),
                _ => None,
            })
    }

    /// Operation `op`'s case with its missing chained path values filled in, and the record of
    /// each; where none could be had, the default (`defaults`) stays and a valid case tolerates
    /// a 404 with a warning saying why.
    pub fn fill<'a>(
        &'a self,
        op: usize,
        case: Arc<Case>,
        defaults: &'a BTreeMap<String, String>,
    ) -> Boxed<'a, (Arc<Case>, Vec<Chained>)> {
        Box::pin(async move {
            let mut case = case;
            let mut chained = Vec::new();
            for need in self.needs.iter().filter(|n| n.consumer == op) {
                let param = &need.source.param;
                if case.request.path.contains_key(param) {
                    continue;
                }
                let answered = self.answer(need.producer).await;
                let value =
                    value_of(&answered, &need.source).and_then(|got| self.fits(op, param, got));
                match value {
                    Ok((value, from, status)) => {
                        Arc::make_mut(&mut case)
                            .request
                            .path
                            .insert(param.clone(), value.clone());
                        chained.push(Chained {
                            param: param.clone(),
                            value,
                            operation: need.source.producer.clone(),
                            setup: answered.request.clone().unwrap_or_else(empty_request),
                            status,
                            from,
                        });
                    }
                    Err(why) => {
                        let sent = defaults
                            .get(param)
                            .map_or("no value".into(), |v| format!("the document's example {v}"));
                        let why = format!("no id could be had for `{param}`: {why}; sent {sent}");
                        case = tolerate_404(case, &why);
                    }
                }
            }
            (case, chained)
        })
    }

    /// The chained value, unless it breaks the schema of consumer `op`'s parameter: a value
    /// the operation itself documents as wrong (a mock's `-9007199254740991` for an id of 1 to
    /// 10) would fail its valid cases for the producer's answer. The document's example is sent
    /// then, with a 404 tolerated.
    fn fits(
        &self,
        op: usize,
        param: &str,
        got: (String, String, u16),
    ) -> Result<(String, String, u16), String> {
        let key = (op, param.to_string());
        let mut misfits = self.misfits.lock().unwrap_or_else(|e| e.into_inner());
        let why = misfits.entry(key).or_insert_with(|| {
            let exec = self
                .execs
                .get()
                .and_then(|e| e.get(op))
                .and_then(Weak::upgrade)?;
            let contract = exec.contract();
            let p = contract.endpoint.params.iter().find(|p| p.name == param)?;
            // As the parameter's own values are held to it (`settle_params`).
            let at = format!("{}/schema", p.pointer);
            let validator = crate::contract::compile(&p.schema, std::path::Path::new(&at)).ok()?;
            let value = Value::String(got.0.clone());
            (!crate::contract::passes_as_sent(&validator, &value)).then(|| {
                format!(
                    "the value {} ({}) breaks the parameter's own schema",
                    got.0, got.1
                )
            })
        });
        match why {
            Some(why) => Err(why.clone()),
            None => Ok(got),
        }
    }

    /// The answer to producer `op`'s set-up request, sent the first time it is asked for.
    fn answer(&self, op: usize) -> Boxed<'_, Arc<Answered>> {
        Box::pin(async move {
            let Some(producer) = self.producers.get(&op) else {
                return Arc::new(nothing("?".into(), "the producer is not in the run".into()));
            };
            producer
                .answer
                .get_or_init(|| async {
                    let exec = self
                        .execs
                        .get()
                        .and_then(|e| e.get(op))
                        .and_then(Weak::upgrade);
                    let answered = match (exec, &producer.base) {
                        (Some(exec), Some(base)) => {
                            exec.set_up(base.clone(), &producer.label).await
                        }
                        (None, _) => nothing(producer.label.clone(), "the run has ended".into()),
                        (_, None) => nothing(
                            producer.label.clone(),
                            format!("{} has no valid request to send", producer.label),
                        ),
                    };
                    self.record(&answered);
                    Arc::new(answered)
                })
                .await
                .clone()
        })
    }

    fn record(&self, answered: &Answered) {
        let Some(request) = &answered.request else {
            return;
        };
        let status = answered.status;
        let outcome = match &answered.got {
            Ok(_) => "gave the path values".to_string(),
            Err(why) => why.clone(),
        };
        let operation = answered.label.clone();
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(SetupRecord {
                operation,
                method: request.method.clone(),
                url: request.url.clone(),
                status,
                outcome,
            });
    }
}

/// The value `source` takes from a set-up answer, with the expression that gave it and the
/// status; or why there is none.
fn value_of(answered: &Answered, source: &IdSource) -> Result<(String, String, u16), String> {
    let got = answered.got.as_ref().map_err(Clone::clone)?;
    let answer = Answer {
        body: got.body.as_ref(),
        headers: &got.headers,
        request_path: &answered.path,
        request_body: answered.request_body.as_ref(),
    };
    for e in &source.from {
        if let Some(v) = e.evaluate(&answer) {
            return Ok((v, e.describe(), got.status));
        }
    }
    let tried: Vec<String> = source.from.iter().map(Expression::describe).collect();
    Err(format!(
        "{} answered {} with no value at {}",
        answered.label,
        got.status,
        tried.join(" or ")
    ))
}

/// A set-up that sent nothing.
pub fn nothing(label: String, why: String) -> Answered {
    Answered {
        label,
        request: None,
        path: BTreeMap::new(),
        request_body: None,
        status: None,
        got: Err(why),
    }
}

fn empty_request() -> SentRequest {
    SentRequest {
        method: String::new(),
        url: String::new(),
        headers: Vec::new(),
        placeholders: Vec::new(),
        body: Default::default(),
        body_cut: None,
    }
}

/// The case, tolerating a 404 with `why` when it is valid or invalid and does not already.
/// An invalid request to a path naming nothing may get 404 as rightly as 400: no order of the
/// two checks is laid down, and many servers look the resource up before reading the body.
pub fn tolerate_404(case: Arc<Case>, why: &str) -> Arc<Case> {
    let e = &case.expect;
    if case.class() == Class::Unspecified || e.statuses.contains(&404) || e.tolerated.contains(&404)
    {
        return case;
    }
    let mut tolerant = (*case).clone();
    tolerant.expect.tolerated.push(404);
    tolerant.expect.tolerated_why = Some(match tolerant.expect.tolerated_why.take() {
        Some(earlier) => format!("{earlier}; 404: {why}"),
        None => why.to_string(),
    });
    Arc::new(tolerant)
}
