//! Writing a run's reports: the JUnit report, the summary and the updated known-failures file,
//! each written whole or not at all ([`crate::diag::write_atomic`]), from the engine's
//! [`RunOutcome`]. [`run_and_write`] is what the `run` command, the self-test and the tests
//! call: it checks the report paths, runs the plan, prints the closing lines and writes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::junit::JunitError;
use super::progress::Terminal;
use crate::diag::{write_atomic, AtomicFile};
use crate::engine::collect::CreatedError;
use crate::engine::known::KnownFailures;
use crate::engine::observe::{Observer, Silent};
use crate::engine::outcome::RunOutcome;
use crate::engine::property::Settled;
use crate::engine::run::{self, Plan, RunError};
use crate::redact::Redactor;

/// Why a run and its reports did not complete. Each file has its own variant, so the message
/// names the file that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("cannot write {what} to {path}: {source} (checked before sending anything)")]
    ReportPath {
        /// Which file: "the JUnit report", "the known-failures file".
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the JUnit report to {path}: {source}")]
    Junit {
        path: PathBuf,
        #[source]
        source: JunitError,
    },
    #[error("cannot write the summary to {path}: {source}")]
    Summary {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the known-failures file to {path}: {source}")]
    KnownFailures {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The `--created` list could not be finished after the run; it opened before anything was
    /// sent, so this is no error of the command line.
    #[error(transparent)]
    CreatedUnfinished(CreatedError),
}

impl WriteError {
    /// Whether the error was found before anything was sent: the command line or a path is
    /// wrong, not the target.
    pub fn before_sending(&self) -> bool {
        match self {
            WriteError::Run(e) => e.before_sending(),
            WriteError::ReportPath { .. } => true,
            _ => false,
        }
    }

    /// Whether the run stopped before it had results (its runtime or the embedded server did
    /// not start): no report of its own was written, so an earlier run's must not stand.
    pub fn stopped_at_setup(&self) -> bool {
        matches!(self, WriteError::Run(_))
    }
}

/// Runs the plan and writes its reports: a report path that cannot be written fails the run
/// before anything is sent; a verbose plan shows the run on the terminal.
pub fn run_and_write(plan: Plan) -> Result<RunOutcome, WriteError> {
    if !plan.selection.list {
        let paths = [
            (&plan.junit, "the JUnit report"),
            (&plan.summary, "the summary"),
            (
                &plan.update_known_failures,
                "the known-failures file (--update-known-failures)",
            ),
        ];
        for (path, what) in paths {
            if let Some(path) = path {
                check_writable(path, what)?;
            }
        }
    }
    let observer: Arc<dyn Observer> = if plan.verbose {
        Arc::new(Terminal::default())
    } else {
        Arc::new(Silent)
    };
    let mut outcome = run::run(&plan, observer)?;
    if plan.selection.list {
        return Ok(outcome);
    }
    let redactor = plan.redactor();
    if plan.verbose {
        for line in closing_lines(&plan, &outcome) {
            println!("{}", redactor.for_terminal(&line));
        }
    }
    write_reports(&plan, &mut outcome, &redactor)?;
    Ok(outcome)
}

/// Removes the summary at `path`, if there is one: a run that stopped at set-up has no
/// summary, and an earlier run's must not be read as its verdict. (The `--created` list is
/// never removed: a clean-up job may still need an earlier run's.)
pub fn remove_summary(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        // Refused as a report path already; nothing of a run's to remove.
        return Ok(());
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// A report path that cannot be written fails the run before anything is sent.
fn check_writable(path: &Path, what: &'static str) -> Result<(), WriteError> {
    let fail = |source| WriteError::ReportPath {
        what,
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        return Err(fail(std::io::Error::other("it is a directory")));
    }
    // Created and dropped uncommitted: the directory and a file beside the report can be
    // made, and nothing is left behind.
    drop(AtomicFile::create(path).map_err(fail)?);
    Ok(())
}

/// The lines after the test list: warnings, known failures, entries to remove, what could not
/// be tested, the regression cases, the summary, and the set-up causes again.
fn closing_lines(plan: &Plan, outcome: &RunOutcome) -> Vec<String> {
    let results = &outcome.results;
    let mut lines = super::human::warning_lines(results);
    lines.extend(super::human::late_error_lines(results));
    lines.extend(super::human::known_lines(results));
    if let Some(k) = &plan.known_failures {
        lines.extend(super::human::known_entry_lines(
            k.path(),
            &outcome.known_entries,
            plan.strict,
        ));
    }
    lines.extend(super::human::not_tested_lines(results));
    lines.extend(regression_lines(&outcome.regressions));
    if let Some(info) = &outcome.info {
        lines.push(super::human::summary(info, &outcome.tally));
    }
    lines.extend(outcome.setup_causes().map(super::human::setup_closing_line));
    lines
}

/// What became of the shrunk property failures.
fn regression_lines(settled: &Settled) -> Vec<String> {
    let mut out = Vec::new();
    if !settled.saved.is_empty() {
        let names: Vec<String> = settled
            .saved
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        out.push(format!(
            "saved {} regression {} (replayed first by later runs): {}",
            names.len(),
            if names.len() == 1 { "case" } else { "cases" },
            names.join(", ")
        ));
    }
    if settled.dropped > 0 {
        out.push(format!(
            "not saved as regression cases: {} property {} the run's set-up explains",
            settled.dropped,
            if settled.dropped == 1 {
                "failure"
            } else {
                "failures"
            }
        ));
    }
    out.extend(settled.unwritten.iter().map(|w| format!("warning: {w}")));
    out
}

/// The JUnit report, the summary, the created-id list (finished by the engine; its error is
/// reported here, in this order) and the updated known-failures file.
fn write_reports(
    plan: &Plan,
    outcome: &mut RunOutcome,
    redactor: &Redactor,
) -> Result<(), WriteError> {
    if let Some(path) = &plan.junit {
        write_junit(path, plan, outcome, redactor)?;
        if plan.verbose {
            println!("junit: {}", path.display());
        }
    }
    if let Some(path) = &plan.summary {
        write_summary(plan, path, outcome, redactor)?;
        if plan.verbose {
            println!("summary file: {}", path.display());
        }
    }
    if let Some(e) = outcome.created_unfinished.take() {
        return Err(WriteError::CreatedUnfinished(e));
    }
    if let (Some(path), true) = (&plan.created_list, plan.verbose) {
        println!("created ids: {}", path.display());
    }
    if let Some(path) = &plan.update_known_failures {
        // A failure the set-up explains is no failure of the server to accept for a month.
        let (kept, left_out) = outcome.not_explained();
        let text = KnownFailures::updated(plan.known_failures.as_ref(), &kept, outcome.today);
        write_atomic(path, redactor.apply(&text).as_bytes()).map_err(|source| {
            WriteError::KnownFailures {
                path: path.clone(),
                source,
            }
        })?;
        if plan.verbose {
            let note = match left_out {
                0 => String::new(),
                n => format!(" (without the {n} failed cases the set-up explains)"),
            };
            println!("known failures updated: {}{note}", path.display());
        }
    }
    Ok(())
}

fn write_junit(
    path: &Path,
    plan: &Plan,
    outcome: &RunOutcome,
    redactor: &Redactor,
) -> Result<(), WriteError> {
    let fail = |source| WriteError::Junit {
        path: path.to_path_buf(),
        source,
    };
    let Some(info) = &outcome.info else {
        return Ok(());
    };
    let suites: Vec<super::junit::Suite<'_>> = outcome
        .operations
        .iter()
        .map(|op| super::junit::Suite {
            operation: op.operation.as_str(),
            results: outcome.of_operation(op),
            cause: op.cause.as_ref(),
        })
        .collect();
    let xml = super::junit::render(info, &suites, &plan.untested, redactor).map_err(fail)?;
    write_atomic(path, xml.as_bytes()).map_err(|e| fail(JunitError::Io(e)))
}

fn write_summary(
    plan: &Plan,
    path: &Path,
    outcome: &RunOutcome,
    redactor: &Redactor,
) -> Result<(), WriteError> {
    let Some(info) = &outcome.info else {
        return Ok(());
    };
    let facts = super::summary::Facts {
        info,
        tally: &outcome.tally,
        exit_code: outcome.exit_code,
        contract: crate::contract::digest_of_all(
            plan.operations.iter().map(|o| o.contract.as_ref()),
        ),
        known_entries: outcome.known_entries.clone(),
        stopped: outcome.stopped_name(),
        setup_causes: outcome.setup_causes().cloned().collect(),
        untested: plan.untested.clone(),
        load_warnings: plan.load_warnings.clone(),
    };
    let summary = super::summary::build(facts, &outcome.results);
    let json = super::summary::render(&summary, redactor);
    write_atomic(path, json.as_bytes()).map_err(|source| WriteError::Summary {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> CreatedError {
        CreatedError {
            path: PathBuf::from("reports/created.txt"),
            source: std::io::Error::other("disk full"),
        }
    }

    #[test]
    fn a_created_list_is_a_usage_error_only_when_it_cannot_be_opened() {
        // Opened before anything was sent: the path is wrong, and the run exits 2 with a set-up
        // report. Unfinished after the run: the JUnit report of the run stands, exit 3.
        assert!(WriteError::Run(RunError::Created(created())).before_sending());
        assert!(!WriteError::CreatedUnfinished(created()).before_sending());
    }
}
