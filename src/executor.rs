//! The executor: the one path every request of a run takes ([`Executor`]). It owns the target,
//! the checker and the running counts, so derived cases, case files, properties and the
//! self-test are sent, judged and counted the same way.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::cases::Case;
use crate::check::{Checker, Verdict};
use crate::contract::{Contract, Severity};
use crate::execute::Target;
use crate::report::{CaseResult, CREATED_SAMPLE};

/// Sends cases and judges the answers; shared by every test of a run.
pub struct Executor {
    contract: Arc<Contract>,
    target: Target,
    checker: Checker,
    strict: bool,
    handle: tokio::runtime::Handle,
    requests: AtomicU64,
    generated: AtomicU64,
    created: Mutex<Ledger>,
    results: Mutex<Vec<(usize, CaseResult)>>,
}

/// The counts a run ends with, beside its results.
#[derive(Debug, Default)]
pub struct Totals {
    pub requests: u64,
    pub generated: u64,
    pub created: u64,
    /// The first created ids, at most [`CREATED_SAMPLE`].
    pub created_ids: Vec<String>,
}

/// Why the executor could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    #[error("cannot write the list of created ids to {path}: {source}")]
    Created {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Executor {
    /// `created_list` is opened now, so an unwritable path stops the run before any request.
    pub fn new(
        contract: Arc<Contract>,
        target: Target,
        checker: Checker,
        strict: bool,
        handle: tokio::runtime::Handle,
        created_list: Option<&Path>,
    ) -> Result<Self, ExecutorError> {
        let ledger = Ledger::open(created_list)
            .map_err(|(path, source)| ExecutorError::Created { path, source })?;
        Ok(Executor {
            contract,
            target,
            checker,
            strict,
            handle,
            requests: AtomicU64::new(0),
            generated: AtomicU64::new(0),
            created: Mutex::new(ledger),
            results: Mutex::new(Vec::new()),
        })
    }

    pub fn contract(&self) -> &Arc<Contract> {
        &self.contract
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The runtime the requests run on; callers outside it block on futures through it.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Sends a case and judges the answer: the one path every kind of case goes through.
    pub async fn execute(&self, case: Arc<Case>) -> CaseResult {
        let exchange = self
            .target
            .send(&self.contract.endpoint, &case.request)
            .await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let (mut verdicts, body) = match &exchange.outcome {
            Ok(resp) => self.checker.check(&self.contract, &case, resp),
            Err(_) => (Vec::new(), None),
        };
        if let Some(body) = &body {
            self.note_created(body);
        }
        if self.strict {
            for v in &mut verdicts {
                v.severity = Severity::Error;
            }
        }
        CaseResult::new(case, exchange, verdicts)
    }

    /// [`Executor::execute`] from a thread outside the runtime.
    pub fn execute_blocking(&self, case: Arc<Case>) -> CaseResult {
        self.handle.block_on(self.execute(case))
    }

    /// Counts a body a property drew.
    pub fn count_generated(&self) {
        self.generated.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps the result of the test at `index` of the run.
    pub fn record(&self, index: usize, result: CaseResult) {
        lock(&self.results).push((index, result));
    }

    /// The recorded results in test order, and the counts; closes the created-id list.
    pub fn finish(&self) -> Result<(Vec<CaseResult>, Totals), ExecutorError> {
        let mut indexed = std::mem::take(&mut *lock(&self.results));
        indexed.sort_by_key(|(i, _)| *i);
        let results = indexed.into_iter().map(|(_, r)| r).collect();
        let mut ledger = lock(&self.created);
        let (created, created_ids) = (ledger.count, std::mem::take(&mut ledger.sample));
        ledger
            .close()
            .map_err(|(path, source)| ExecutorError::Created { path, source })?;
        let totals = Totals {
            requests: self.requests.load(Ordering::Relaxed),
            generated: self.generated.load(Ordering::Relaxed),
            created,
            created_ids,
        };
        Ok((results, totals))
    }

    /// Notes the id of what a success created, for the list of what the run left behind.
    fn note_created(&self, body: &Value) {
        let Some(pointer) = &self.contract.endpoint.created_id else {
            return;
        };
        if let Some(v) = body.pointer(pointer) {
            let id = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            lock(&self.created).push(id);
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
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The ids of what the run created: counted, the first few kept for the report, and every one
/// streamed to the `--created` file as it arrives. The file is written under a temporary name
/// and renamed when the run ends, so a reader never sees half a list.
struct Ledger {
    count: u64,
    sample: Vec<String>,
    file: Option<(BufWriter<File>, PathBuf, PathBuf)>,
    failed: Option<std::io::Error>,
}

impl Ledger {
    fn open(path: Option<&Path>) -> Result<Self, (PathBuf, std::io::Error)> {
        let file = match path {
            None => None,
            Some(path) => {
                let temp = crate::report::temp_path(path);
                let created = crate::report::create_parent(path)
                    .and_then(|()| File::create(&temp))
                    .map_err(|e| (path.to_path_buf(), e))?;
                Some((BufWriter::new(created), temp, path.to_path_buf()))
            }
        };
        Ok(Ledger {
            count: 0,
            sample: Vec::new(),
            file,
            failed: None,
        })
    }

    fn push(&mut self, id: String) {
        self.count += 1;
        if let Some((w, _, _)) = &mut self.file {
            if self.failed.is_none() {
                if let Err(e) = writeln!(w, "{id}") {
                    self.failed = Some(e);
                }
            }
        }
        if self.sample.len() < CREATED_SAMPLE {
            self.sample.push(id);
        }
    }

    fn close(&mut self) -> Result<(), (PathBuf, std::io::Error)> {
        let Some((mut w, temp, path)) = self.file.take() else {
            return Ok(());
        };
        let flushed = match self.failed.take() {
            Some(e) => Err(e),
            None => w.flush(),
        };
        drop(w);
        flushed
            .and_then(|()| std::fs::rename(&temp, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                (path, e)
            })
    }
}
