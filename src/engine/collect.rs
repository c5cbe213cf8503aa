//! What a run collects as its tests end: each operation's results, put back in test order
//! ([`Results`]), and the ids of what the run created ([`CreatedList`], the `--created` file).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::diag::AtomicFile;
use crate::engine::outcome::{CaseResult, CreatedId, PossibleDuplicate, CREATED_SAMPLE};

/// The results of one operation's tests, recorded in the order they end and given back in the
/// order of the tests.
#[derive(Default)]
pub struct Results(Mutex<Vec<(usize, CaseResult)>>);

impl Results {
    /// Keeps the result of the test at `index` of the run.
    pub fn record(&self, index: usize, result: CaseResult) {
        lock(&self.0).push((index, result));
    }

    /// Changes the result of the test that sent case `id`: the case's own, else (a body a
    /// property generated, `property::valid_body#17`) its property's. Nothing when none is.
    pub fn amend(&self, id: &str, change: impl FnOnce(&mut CaseResult)) {
        let mut kept = lock(&self.0);
        let test = id.split_once('#').map_or(id, |(test, _)| test);
        let found = match kept.iter().position(|(_, r)| r.case.id == id) {
            Some(i) => Some(i),
            None => kept.iter().position(|(_, r)| r.case.id == test),
        };
        if let Some(i) = found {
            change(&mut kept[i].1);
        }
    }

    /// The recorded results in test order; none is kept.
    pub fn take_ordered(&self) -> Vec<CaseResult> {
        let mut indexed = std::mem::take(&mut *lock(&self.0));
        indexed.sort_by_key(|(i, _)| *i);
        indexed.into_iter().map(|(_, r)| r).collect()
    }
}

/// The `--created` file could not be opened or finished.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the list of created ids to {path}: {source}")]
pub struct CreatedError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The ids of what the run created: counted, the first few kept for the report, and every one
/// streamed to the `--created` file as it arrives. The file is written under a temporary name
/// and renamed when the run ends, so a reader never sees half a list. It is opened before the
/// first request, so an unwritable path stops the run before it creates anything. A run of one
/// operation (or of endpoint files) writes one id a line, as clean-up scripts read it; a
/// document's run of several writes `<operation>\t<id>` lines.
pub struct CreatedList(Mutex<Ledger>);

impl CreatedList {
    /// `several`: the run has more than one operation, so each line names its operation.
    pub fn open(path: Option<&Path>, several: bool) -> Result<Self, CreatedError> {
        Ledger::open(path, several)
            .map(|l| CreatedList(Mutex::new(l)))
            .map_err(|(path, source)| CreatedError { path, source })
    }

    pub(crate) fn push(&self, operation: &str, id: String) {
        lock(&self.0).push(CreatedId {
            operation: operation.to_string(),
            id,
        });
    }

    /// Marks a case that went out twice: the clean-up should look for a second thing it made.
    pub(crate) fn mark(&self, duplicate: PossibleDuplicate) {
        lock(&self.0).duplicates.push(duplicate);
    }

    /// The cases sent twice with a method that is not idempotent, in the order they were sent.
    /// The `--created` file stays one id per line; these go into the summary and the JUnit.
    pub fn possible_duplicates(&self) -> Vec<PossibleDuplicate> {
        lock(&self.0).duplicates.clone()
    }

    /// How many, and the first ids (at most [`CREATED_SAMPLE`]).
    pub fn counts(&self) -> (u64, Vec<CreatedId>) {
        let l = lock(&self.0);
        (l.count, l.sample.clone())
    }

    /// Flushes the list and moves it into place.
    pub fn close(&self) -> Result<(), CreatedError> {
        lock(&self.0)
            .close()
            .map_err(|(path, source)| CreatedError { path, source })
    }
}

struct Ledger {
    count: u64,
    sample: Vec<CreatedId>,
    several: bool,
    duplicates: Vec<PossibleDuplicate>,
    file: Option<AtomicFile>,
    failed: Option<std::io::Error>,
}

impl Ledger {
    fn open(path: Option<&Path>, several: bool) -> Result<Self, (PathBuf, std::io::Error)> {
        let file = match path {
            None => None,
            Some(path) => Some(AtomicFile::create(path).map_err(|e| (path.to_path_buf(), e))?),
        };
        Ok(Ledger {
            count: 0,
            sample: Vec::new(),
            several,
            duplicates: Vec::new(),
            file,
            failed: None,
        })
    }

    fn push(&mut self, id: CreatedId) {
        self.count += 1;
        if let Some(w) = &mut self.file {
            if self.failed.is_none() {
                let written = if self.several {
                    writeln!(w, "{}\t{}", id.operation, id.id)
                } else {
                    writeln!(w, "{}", id.id)
                };
                if let Err(e) = written {
                    self.failed = Some(e);
                }
            }
        }
        if self.sample.len() < CREATED_SAMPLE {
            self.sample.push(id);
        }
    }

    /// Moves the list into place; a write that failed on the way fails it, and no temporary
    /// file is left behind either way.
    fn close(&mut self) -> Result<(), (PathBuf, std::io::Error)> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let path = file.path().to_path_buf();
        match self.failed.take() {
            Some(e) => Err((path, e)),
            None => file.commit().map_err(|e| (path, e)),
        }
    }
}
