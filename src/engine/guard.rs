//! What a test ends as when it does not run as planned: cut because the `--duration` budget
//! ran out before it started ([`out_of_budget`]), or ended by a panic of the suite itself
//! ([`guarded`]). Either way it gets a result like any other, so the reports list it and the
//! exit code says what the run found: a panic is never a pass.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cases::Case;
use crate::engine::executor::Executor;
use crate::engine::outcome::CaseResult;
use crate::http::{Exchange, SentRequest, TransportError, TransportKind};

/// Runs `test`; a panic in it becomes the `internal` error `not_run` makes a result of.
pub(super) fn guarded(
    test: impl FnOnce() -> CaseResult,
    not_run: impl FnOnce(TransportError) -> CaseResult,
) -> CaseResult {
    match catch_unwind(AssertUnwindSafe(test)) {
        Ok(result) => result,
        Err(payload) => not_run(internal_error(&panic_text(payload.as_ref()))),
    }
}

/// The error of a test the suite itself failed on: said to be the suite's fault, not the
/// server's.
pub fn internal_error(what: &str) -> TransportError {
    TransportError::new(
        TransportKind::Internal,
        format!(
            "the suite itself failed (a bug of the conformance suite, not a verdict on the server): the test panicked: {what}"
        ),
    )
}

/// The error of a test the `--duration` budget left no time for, once `end` has passed.
pub(super) fn out_of_budget(end: Instant, duration: Duration) -> Option<TransportError> {
    (Instant::now() >= end).then(|| {
        TransportError::new(
            TransportKind::Budget,
            format!(
                "not tested: cut by the --duration budget ({duration:?}), which ran out before this test started"
            ),
        )
    })
}

/// A case's result when it was not sent: nothing was prepared, so the request shows only the
/// method.
pub(super) fn not_sent(exec: &Executor, case: Arc<Case>, error: TransportError) -> CaseResult {
    let exchange = Exchange {
        request: SentRequest {
            method: exec.contract().endpoint.method.clone(),
            url: String::new(),
            headers: Vec::new(),
            placeholders: Vec::new(),
            body: Default::default(),
            body_cut: None,
        },
        outcome: Err(error),
        elapsed: Duration::ZERO,
    };
    CaseResult::new(case, exchange, Vec::new())
}

/// The message of a panic, as `panic!` was given it.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_says_what_it_was_and_whose_fault() {
        let e = internal_error(&panic_text(&"boom"));
        assert_eq!(e.kind, TransportKind::Internal);
        assert!(e.message.contains("boom"), "{}", e.message);
        assert!(e.message.contains("not a verdict on the server"));
        let owned: Box<dyn Any + Send> = Box::new(String::from("owned"));
        assert_eq!(panic_text(owned.as_ref()), "owned");
    }

    #[test]
    fn the_budget_cuts_only_once_it_has_run_out() {
        let later = Instant::now() + Duration::from_secs(60);
        assert!(out_of_budget(later, Duration::from_secs(60)).is_none());
        let past = Instant::now();
        let e = out_of_budget(past, Duration::from_secs(5)).unwrap();
        assert_eq!(e.kind, TransportKind::Budget);
        assert!(
            e.message.contains("--duration budget (5s)"),
            "{}",
            e.message
        );
    }
}
