//! Human output: the failure text of one case, the warnings, and the closing summary.

use std::fmt::Write as _;
use std::path::Path;

use crate::check::{excerpt, names};
use crate::contract::{LoadWarning, Severity, Untested};
use crate::engine::known::EntryState;
use crate::engine::observe::DocumentNotes;
use crate::engine::outcome::{CaseResult, RunInfo, Status, Tally};
use crate::engine::setup::SetupCause;
use crate::http::TransportKind;
use crate::redact::Redactor;

/// The text shown under a failed case: the exchange, each verdict, and a curl line to reproduce;
/// then the same for each further kind of failure.
pub fn failure_text(r: &CaseResult, redactor: &Redactor) -> String {
    let mut s = String::new();
    let total = r.more.len() + 1;
    for (k, part) in r.parts().enumerate() {
        if k > 0 {
            let _ = writeln!(s, "\n-- failure {} of {total} --", k + 1);
        }
        part_text(&mut s, part);
    }
    redactor.apply(&s)
}

fn part_text(s: &mut String, r: &CaseResult) {
    let req = &r.exchange.request;
    let _ = writeln!(s, "{} ({})", r.case.title, r.case.id);
    match &r.exchange.outcome {
        Ok(resp) => {
            let _ = writeln!(
                s,
                "{} {} -> {} in {} ms",
                req.method,
                req.url,
                resp.status,
                r.exchange.elapsed.as_millis()
            );
        }
        Err(e) => {
            let _ = writeln!(
                s,
                "[error] could not test: {} error: {}",
                e.kind.as_str(),
                e.message
            );
            let _ = writeln!(s, "{} {}", req.method, req.url);
        }
    }
    for v in &r.verdicts {
        let _ = writeln!(s, "{}", v.render());
    }
    for n in &r.notes {
        let _ = writeln!(s, "{n}");
    }
    for c in &r.chained {
        let _ = writeln!(s, "chained: {}", c.describe());
    }
    if let Ok(resp) = &r.exchange.outcome {
        let _ = writeln!(s, "response body: {}", excerpt(&resp.body_text()));
    }
    if !req.url.is_empty() {
        let _ = match r.chained.as_slice() {
            [] => write!(s, "reproduce: {}", super::curl::command(req)),
            chained => write!(
                s,
                "reproduce (the set-up request first):\n{}",
                super::curl::with_setups(chained, req)
            ),
        };
    }
}

/// The request and response as text, for the JUnit system-out.
pub fn exchange_text(r: &CaseResult) -> String {
    let mut s = String::new();
    for (k, part) in r.parts().enumerate() {
        if k > 0 {
            let _ = writeln!(s, "\n-- failure {} of {} --", k + 1, r.more.len() + 1);
        }
        exchange_part(&mut s, part);
    }
    s
}

fn exchange_part(s: &mut String, r: &CaseResult) {
    let req = &r.exchange.request;
    for c in &r.chained {
        let _ = writeln!(s, "chained: {}", c.describe());
    }
    let _ = writeln!(s, "> {} {}", req.method, req.url);
    for (k, v) in &req.headers {
        let _ = writeln!(s, "> {k}: {v}");
    }
    if !req.body.is_empty() {
        let _ = writeln!(s, ">\n{}", req.body_text());
    }
    if let Some(len) = req.body_cut {
        let _ = writeln!(
            s,
            "(request body: the first {} of {len} bytes)",
            req.body.len()
        );
    }
    match &r.exchange.outcome {
        Ok(resp) => {
            let _ = writeln!(
                s,
                "\n< {} ({} ms)",
                resp.status,
                r.exchange.elapsed.as_millis()
            );
            for (k, v) in resp.header_lines() {
                let _ = writeln!(s, "< {k}: {v}");
            }
            let _ = writeln!(s, "<\n{}", resp.body_text());
            if resp.truncated {
                let _ = writeln!(s, "(body cut at {} bytes)", crate::http::MAX_BODY);
            }
            if let Some(len) = resp.body_cut {
                let _ = writeln!(
                    s,
                    "(response body: the first {} of {len} bytes)",
                    resp.body.len()
                );
            }
        }
        Err(e) => {
            let _ = writeln!(s, "\n! {} error: {}", e.kind.as_str(), e.message);
        }
    }
    for v in r
        .verdicts
        .iter()
        .filter(|v| v.severity == Severity::Warning)
    {
        let _ = writeln!(s, "{}", v.render());
    }
    for n in &r.notes {
        let _ = writeln!(s, "{n}");
    }
}

/// One operation the document cannot test, and why.
pub fn untested_line(u: &Untested) -> String {
    format!(
        "not tested: {} ({} {}): {} (at {})",
        u.operation, u.method, u.path, u.reason, u.pointer
    )
}

/// One warning the document was given at load, at its place in the document.
pub fn load_warning_line(document: Option<&Path>, w: &LoadWarning) -> String {
    let name = document.map_or_else(|| "the contract".to_string(), |d| d.display().to_string());
    format!("warning: {name}#{}: {}", w.pointer, w.message)
}

/// The lines of the document's notes: each untested operation, then each load warning.
pub fn document_lines(notes: &DocumentNotes<'_>) -> Vec<String> {
    let untested = notes.untested.iter().map(untested_line);
    let warnings = notes
        .warnings
        .iter()
        .map(|w| load_warning_line(notes.document, w));
    untested.chain(warnings).collect()
}

/// Warning lines, one per failed warning-level check, for after the test list.
pub fn warning_lines(results: &[CaseResult]) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        for v in r.warnings() {
            out.push(format!(
                "warning: {}: {}: expected {}, got {}",
                r.case.id,
                v.headline(),
                v.expected,
                v.actual
            ));
        }
    }
    out
}

/// Error lines for the rules judged once every test has ended (`latency`, `timeout`): the test
/// list showed those cases before they were judged, as passed or not tested.
pub fn late_error_lines(results: &[CaseResult]) -> Vec<String> {
    let late = [names::LATENCY, names::TIMEOUT];
    let mut out = Vec::new();
    for r in results {
        for v in r.errors().filter(|v| late.contains(&v.check.as_str())) {
            out.push(format!(
                "error: {} (judged once every test had ended): {}: expected {}, got {}",
                r.case.id,
                v.headline(),
                v.expected,
                v.actual
            ));
        }
    }
    out
}

/// One line per violation a known-failures entry accepts.
pub fn known_lines(results: &[CaseResult]) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        for v in r.known() {
            if let Some(m) = &v.known {
                out.push(format!(
                    "known: {}: {}: {}",
                    r.case.id,
                    v.headline(),
                    m.describe()
                ));
            }
        }
    }
    out
}

/// Known-failures entries that need attention: a reason still to be written (TODO), fixed ones
/// (remove them; an error under `--strict`) and ones that name no case of the run.
pub fn known_entry_lines(
    file: &std::path::Path,
    entries: &[crate::engine::known::EntryOutcome],
    strict: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for e in entries {
        let at = format!("{}:{}", file.display(), e.line);
        if let Some(w) = &e.warning {
            out.push(format!(
                "warning: known failure `{}` / `{}`: {w} ({at})",
                e.case, e.check
            ));
        }
        match e.outcome {
            EntryState::Fixed => out.push(format!(
                "{}: known failure `{}` / `{}` no longer fails: remove the entry ({at})",
                if strict { "error" } else { "fixed" },
                e.case,
                e.check
            )),
            EntryState::Unused => out.push(format!(
                "note: known failure `{}` / `{}` names no case of this run ({at})",
                e.case, e.check
            )),
            EntryState::Known | EntryState::Expired => {}
        }
    }
    out
}

/// The closing summary: counts per class and per severity, and the exit code's reason.
pub fn summary(info: &RunInfo, tally: &Tally) -> String {
    let classes: Vec<String> = tally
        .by_class
        .iter()
        .filter(|c| c.total() > 0)
        .map(|c| {
            let mut s = format!("{} {}/{}", c.class.as_str(), c.passed, c.total());
            if c.known > 0 {
                let _ = write!(s, " (+{} known)", c.known);
            }
            s
        })
        .collect();
    let mut s = format!(
        "summary: {} cases ({}), {} requests in {:.2}s: {} passed, {} failed, {} not tested; {} violations, {} warnings",
        tally.total,
        if classes.is_empty() { "none".to_string() } else { classes.join(", ") },
        info.requests,
        info.elapsed.as_secs_f64(),
        tally.passed,
        tally.failed,
        tally.errors,
        tally.violations,
        tally.warnings,
    );
    if tally.known > 0 {
        let _ = write!(s, "; {} known failures", tally.known);
    }
    if info.generated > 0 {
        let _ = write!(s, "; {} generated bodies", info.generated);
    }
    if info.retries > 0 {
        let _ = write!(s, "; {} retried after Retry-After", info.retries);
    }
    if info.created > 0 {
        let _ = write!(s, "; created {}", info.created);
    }
    if !info.possible_duplicates.is_empty() {
        let dups = &info.possible_duplicates;
        let named: Vec<&str> = dups.iter().take(3).map(|d| d.case.as_str()).collect();
        let more = match dups.len().saturating_sub(named.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let _ = write!(
            s,
            "; {} possible duplicates (sent twice after a closed connection: {}{more})",
            dups.len(),
            named.join(", ")
        );
    }
    if let Some(seed) = info.seed {
        let _ = write!(s, "; seed {seed}");
    }
    s
}

/// Why cases could not be tested: one line for the count, then each distinct transport error
/// once with how many cases it stopped, so a target that is down reads as one problem.
pub fn not_tested_lines(results: &[CaseResult]) -> Vec<String> {
    let mut groups: Vec<((TransportKind, &str), usize)> = Vec::new();
    for r in results.iter().filter(|r| r.status() == Status::Error) {
        let Some(e) = r.parts().find_map(CaseResult::transport_error) else {
            continue;
        };
        let key = (e.kind, e.message.as_str());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => groups.push((key, 1)),
        }
    }
    if groups.is_empty() {
        return Vec::new();
    }
    // The errors themselves before the cases a stop then left unsent (interrupted, aborted).
    // So do the cases the `--duration` budget cut, which are no error.
    groups.sort_by_key(|((kind, _), _)| kind.is_stop() || *kind == TransportKind::Budget);
    let total: usize = groups.iter().map(|(_, n)| n).sum();
    let mut out = vec![format!(
        "note: {total} of {} cases could not be tested (not a contract verdict):",
        results.len()
    )];
    for ((kind, message), n) in groups {
        let cases = if n == 1 { "case" } else { "cases" };
        out.push(match kind {
            TransportKind::Budget => format!("  {n} {cases}: {message}"),
            _ => format!("  {n} {cases}: {} error: {message}", kind.as_str()),
        });
    }
    out
}

/// What libtest shows beside a case that could not be tested (the error itself is printed
/// once, with the others like it, after the test list).
pub fn not_tested_reason(r: &CaseResult) -> String {
    match r.parts().find_map(CaseResult::transport_error) {
        Some(e) if e.kind == TransportKind::Budget => {
            "not tested: cut by the --duration budget".into()
        }
        Some(e) => format!("not tested: {} error", e.kind.as_str()),
        None => "not tested".into(),
    }
}

/// The set-up cause, said before the test list.
pub fn setup_line(cause: &SetupCause) -> String {
    format!("set-up: {}", cause.hint)
}

/// The set-up cause again after the summary, with the failures it groups.
pub fn setup_closing_line(cause: &SetupCause) -> String {
    let n = cause.cases.len();
    format!(
        "set-up: {} ({n} failed {} answered {}, grouped under this cause)",
        cause.hint,
        if n == 1 { "case" } else { "cases" },
        cause.status
    )
}

/// The short text of a failure a set-up cause explains: what was sent and answered, and that
/// the cause (said in full before the list and after the summary) explains it; the whole
/// exchange is in the JUnit report.
pub fn grouped_failure_text(r: &CaseResult, cause: &SetupCause, redactor: &Redactor) -> String {
    let req = &r.exchange.request;
    let violations = r.errors().count();
    let s = format!(
        "{} ({})\n{} {} -> {}: {violations} {}, grouped under the set-up cause (every valid \
         request of {} was answered {}; see `set-up:`)",
        r.case.title,
        r.case.id,
        req.method,
        req.url,
        cause.status,
        if violations == 1 {
            "violation"
        } else {
            "violations"
        },
        cause.operation,
        cause.status,
    );
    redactor.apply(&s)
}
