//! Report stage: what a run found ([`CaseResult`]), shown to people ([`human`]) and to CI ([`junit`]).

pub mod curl;
pub mod human;
pub mod junit;

use std::sync::Arc;
use std::time::Duration;

use crate::cases::{Case, Class};
use crate::check::Verdict;
use crate::contract::Severity;
use crate::execute::{Exchange, TransportError};

/// Writes a report file (JUnit, JSON, the created ids), creating its parent directory.
pub fn write_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

/// How one case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    /// The server answered and broke the contract.
    Failed,
    /// The server could not be reached: not a verdict on the contract.
    Error,
}

/// One case, what was sent and received, and every failed check.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub case: Arc<Case>,
    pub exchange: Exchange,
    pub verdicts: Vec<Verdict>,
    /// Extra lines for the report, such as the seed and shrinking of a property case.
    pub notes: Vec<String>,
}

impl CaseResult {
    pub fn errors(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts
            .iter()
            .filter(|v| v.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts
            .iter()
            .filter(|v| v.severity == Severity::Warning)
    }

    pub fn transport_error(&self) -> Option<&TransportError> {
        self.exchange.outcome.as_ref().err()
    }

    pub fn status(&self) -> Status {
        if self.transport_error().is_some() {
            Status::Error
        } else if self.errors().next().is_some() {
            Status::Failed
        } else {
            Status::Passed
        }
    }
}

/// What the whole run was, for the summary and the JUnit properties.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The suite name: the endpoint's operation.
    pub operation: String,
    pub target: String,
    pub base_url: String,
    pub seed: Option<u64>,
    pub strict: bool,
    pub elapsed: Duration,
    pub timestamp: std::time::SystemTime,
    /// Ids of what the run created on the target (the endpoint file's `created_id`).
    pub created: Vec<String>,
    /// Requests sent, generated bodies, shrinking and replays included.
    pub requests: usize,
}

/// Counts over a run's results.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub warnings: usize,
    pub violations: usize,
    /// Per class: (class, passed, not passed).
    pub by_class: Vec<(Class, usize, usize)>,
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
                Status::Error => t.errors += 1,
            }
            t.warnings += r.warnings().count();
            t.violations += r.errors().count();
        }
        t.by_class = Class::ALL
            .iter()
            .map(|&c| {
                let of_class = results.iter().filter(|r| r.case.class() == c);
                let (pass, fail) = of_class.fold((0, 0), |(p, f), r| {
                    if r.status() == Status::Passed {
                        (p + 1, f)
                    } else {
                        (p, f + 1)
                    }
                });
                (c, pass, fail)
            })
            .collect();
        t
    }

    /// The process exit code this tally calls for.
    pub fn exit_code(&self) -> i32 {
        if self.failed > 0 {
            crate::exit::VIOLATIONS
        } else if self.errors > 0 {
            crate::exit::UNREACHABLE
        } else {
            crate::exit::SUCCESS
        }
    }
}
