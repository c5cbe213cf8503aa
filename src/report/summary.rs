//! The summary for machines (`reports/summary.json`): the verdict, the counts, every violation,
//! the known failures and the facts of the run. Its JSON Schema is
//! `schemas/summary.schema.json`; `diff` compares two of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::Verdict;
use crate::contract::Severity;
pub use crate::contract::{ContractFile, ContractInfo};
use crate::contract::{LoadWarning, Untested};
use crate::engine::known::EntryOutcome;
use crate::engine::outcome::{CaseResult, RunInfo, Status, Tally};
use crate::engine::setup::SetupCause;

/// Bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub tool: Tool,
    pub run_id: String,
    /// `pass`, `fail`, `not_tested` or `interrupted`.
    pub verdict: String,
    pub exit_code: i32,
    pub started_at: String,
    pub duration_seconds: f64,
    pub target: TargetInfo,
    pub seed: Option<u64>,
    pub strict: bool,
    pub contract: ContractInfo,
    pub requests: u64,
    pub generated: u64,
    pub retries: u64,
    pub created: u64,
    /// The first ids of what the run created, each with its operation.
    #[serde(default)]
    pub created_ids: Vec<crate::engine::outcome::CreatedId>,
    /// The requests sent for path values that exist.
    #[serde(default)]
    pub setup_requests: Vec<crate::engine::outcome::SetupRecord>,
    /// Cases sent twice with a method that is not idempotent: the clean-up should look for a
    /// duplicate of what they created.
    #[serde(default)]
    pub possible_duplicates: Vec<crate::engine::outcome::PossibleDuplicate>,
    pub counts: Counts,
    /// Violations that count against the run (expired known failures among them).
    pub violations: Vec<Finding>,
    /// Violations accepted by a known-failures entry.
    pub known_failures: Vec<Finding>,
    /// Every entry of the known-failures file, and what it made of the run.
    pub known_failure_entries: Vec<EntryOutcome>,
    pub warnings: Vec<Finding>,
    pub not_tested: Vec<NotTested>,
    /// Why the run stopped early: `SIGINT`, `SIGTERM` or `dead_target`.
    pub stopped: Option<String>,
    /// Per operation whose valid requests were all answered the same 401, 403 or 404: the
    /// likely set-up cause, and the failed cases grouped under it.
    #[serde(default)]
    pub setup_causes: Vec<SetupCause>,
    /// The operations of the document that are not tested, with why: never a verdict.
    #[serde(default)]
    pub untested: Vec<Untested>,
    /// What loading the document found that keeps no operation from being tested.
    #[serde(default)]
    pub load_warnings: Vec<LoadWarning>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TargetInfo {
    pub label: String,
    pub base_url: String,
    pub insecure_http: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Counts {
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub not_tested: usize,
    pub known: usize,
    pub warnings: usize,
    pub violations: usize,
    pub by_class: BTreeMap<String, CaseCounts>,
    pub by_kind: BTreeMap<String, CaseCounts>,
    pub by_check: BTreeMap<String, CheckCounts>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CaseCounts {
    pub passed: usize,
    pub failed: usize,
    pub not_tested: usize,
    pub known: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CheckCounts {
    pub errors: usize,
    pub warnings: usize,
    pub known: usize,
}

/// One failed check of one case.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    pub case: String,
    pub kind: String,
    pub check: String,
    pub severity: String,
    pub location: String,
    pub expected: String,
    pub actual: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
    /// The path values taken from earlier answers, each with the set-up request that gave it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chained: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotTested {
    pub case: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// What goes into the summary besides the results.
pub struct Facts<'a> {
    pub info: &'a RunInfo,
    pub tally: &'a Tally,
    pub exit_code: i32,
    pub contract: ContractInfo,
    pub known_entries: Vec<EntryOutcome>,
    pub stopped: Option<String>,
    pub setup_causes: Vec<SetupCause>,
    pub untested: Vec<Untested>,
    pub load_warnings: Vec<LoadWarning>,
}

/// The summary as the file holds it: every string redacted before it is serialized (the
/// serializer escapes an echoed token once more, past the forms the redactor lists), then the
/// text once more.
pub fn render(summary: &Summary, redactor: &crate::redact::Redactor) -> String {
    let mut value = serde_json::to_value(summary).unwrap_or_default();
    redactor.apply_json(&mut value);
    redactor.apply(&serde_json::to_string_pretty(&value).unwrap_or_default())
}

/// The verdict word for an exit code.
pub fn verdict(exit_code: i32) -> &'static str {
    match exit_code {
        crate::exit::SUCCESS => "pass",
        crate::exit::VIOLATIONS => "fail",
        crate::exit::UNREACHABLE => "not_tested",
        crate::exit::USAGE => "usage",
        _ => "interrupted",
    }
}

pub fn build(facts: Facts<'_>, results: &[CaseResult]) -> Summary {
    let info = facts.info;
    let mut s = Summary {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        run_id: info.run_id.clone(),
        verdict: verdict(facts.exit_code).into(),
        exit_code: facts.exit_code,
        started_at: chrono::DateTime::<chrono::Utc>::from(info.timestamp)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_seconds: info.elapsed.as_secs_f64(),
        target: TargetInfo {
            label: info.target.clone(),
            base_url: info.base_url.clone(),
            insecure_http: info.insecure_http,
        },
        seed: info.seed,
        strict: info.strict,
        contract: facts.contract,
        requests: info.requests,
        generated: info.generated,
        retries: info.retries,
        created: info.created,
        created_ids: info.created_ids.clone(),
        setup_requests: info.setup_requests.clone(),
        possible_duplicates: info.possible_duplicates.clone(),
        counts: counts(facts.tally, results),
        violations: Vec::new(),
        known_failures: Vec::new(),
        known_failure_entries: facts.known_entries,
        warnings: Vec::new(),
        not_tested: Vec::new(),
        stopped: facts.stopped,
        setup_causes: facts.setup_causes,
        untested: facts.untested,
        load_warnings: facts.load_warnings,
    };
    for r in results {
        for v in r.all_verdicts() {
            let f = finding(r, v);
            match v.severity {
                Severity::Warning => s.warnings.push(f),
                Severity::Error if crate::engine::known::counts_against(v) => s.violations.push(f),
                Severity::Error => s.known_failures.push(f),
            }
        }
        if let Some(e) = r.parts().find_map(CaseResult::transport_error) {
            if r.status() == Status::Error {
                s.not_tested.push(NotTested {
                    case: r.case.id.clone(),
                    kind: e.kind.as_str().into(),
                    message: e.message.clone(),
                });
            }
        }
    }
    s
}

fn finding(r: &CaseResult, v: &Verdict) -> Finding {
    Finding {
        case: r.case.id.clone(),
        kind: r.case.kind.to_string(),
        check: v.check.clone(),
        severity: v.severity.as_str().into(),
        location: v.location.clone(),
        expected: v.expected.clone(),
        actual: v.actual.clone(),
        known: v.known.as_ref().map(|m| m.describe()),
        chained: r.chained.iter().map(|c| c.describe()).collect(),
    }
}

fn counts(tally: &Tally, results: &[CaseResult]) -> Counts {
    let mut c = Counts {
        cases: tally.total,
        passed: tally.passed,
        failed: tally.failed,
        not_tested: tally.errors,
        known: tally.known_cases,
        warnings: tally.warnings,
        violations: tally.violations,
        ..Counts::default()
    };
    for r in results {
        for key in [
            (&mut c.by_class, r.case.class().as_str().to_string()),
            (&mut c.by_kind, r.case.kind.to_string()),
        ] {
            let (map, name) = key;
            let entry = map.entry(name).or_default();
            match r.status() {
                Status::Passed => entry.passed += 1,
                Status::Failed => entry.failed += 1,
                Status::Error => entry.not_tested += 1,
                Status::Known => entry.known += 1,
            }
        }
        for v in r.all_verdicts() {
            let entry = c.by_check.entry(v.check.clone()).or_default();
            match v.severity {
                Severity::Warning => entry.warnings += 1,
                Severity::Error if crate::engine::known::counts_against(v) => entry.errors += 1,
                Severity::Error => entry.known += 1,
            }
        }
    }
    c
}
