//! What a run tells while it runs ([`Observer`]): the engine calls it and never prints, so the
//! report stage decides what reaches the terminal (`report::progress::Terminal`), and in-process
//! callers (tests, the self-test) hand it [`Silent`].

use std::path::Path;

use crate::contract::{LoadWarning, Untested};
use crate::engine::outcome::CaseResult;
use crate::engine::setup::SetupCause;
use crate::redact::Redactor;

/// What the run is about to test, for the header.
pub struct Header<'a> {
    /// The target as the run names it, such as "embedded reference server at http://...".
    pub target: &'a str,
    /// The run started the embedded reference server (no `--base-url`).
    pub embedded: bool,
    /// The token goes over plain HTTP to another host (`--allow-insecure-http`).
    pub insecure_http: bool,
    /// The seed of generated bodies, when the run has properties.
    pub seed: Option<u64>,
}

/// What the document could not test and what it was told at load: listed before the tests
/// (after the header of a run, or beside the list of `--list`), never a verdict.
pub struct DocumentNotes<'a> {
    /// The OpenAPI document, when the contract is one.
    pub document: Option<&'a Path>,
    pub untested: &'a [Untested],
    pub warnings: &'a [LoadWarning],
    /// `--list`: stdout is the list tools parse, so the notes go elsewhere.
    pub listing: bool,
}

/// Told what happens during a run. Every method has a default that does nothing, so an observer
/// only says what it shows. Called from the test threads at once: `Send + Sync`.
pub trait Observer: Send + Sync {
    /// The target is up; no test has run.
    fn header(&self, _header: &Header<'_>) {}

    /// The document's untested operations and load warnings, if it has any.
    fn document_notes(&self, _notes: &DocumentNotes<'_>) {}

    /// A line for stderr, outside the test list (a note of `--list`, a signal received).
    fn note(&self, _line: &str) {}

    /// The set-up causes the valid cases point at, before the test list.
    fn setup_causes(&self, _causes: &[&SetupCause], _redactor: &Redactor) {}

    /// The test list starts: `total` tests; `requests` reads the requests sent so far.
    fn tests_starting(&self, _total: usize, _requests: Box<dyn Fn() -> u64 + Send>) {}

    /// A test of the list ended, failed or not.
    fn test_done(&self, _failed: bool) {}

    /// Every test of the list ended.
    fn tests_finished(&self) {}

    /// The text the test list shows for a failed result; `cause` is the operation's set-up cause
    /// when it explains the failure.
    fn failure_text(
        &self,
        _result: &CaseResult,
        _cause: Option<&SetupCause>,
        _redactor: &Redactor,
    ) -> String {
        String::new()
    }

    /// Why a result could not be tested, in a few words, for the test list.
    fn not_tested_reason(&self, _result: &CaseResult) -> String {
        String::new()
    }
}

/// Tells nothing: runs in-process stay quiet.
pub struct Silent;

impl Observer for Silent {}
