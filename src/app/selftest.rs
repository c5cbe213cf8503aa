//! The self-test: the whole suite against the clean reference server, then against each planted
//! [`Fault`], giving a mutation score, and against each legitimate [`Variation`], giving the
//! false-alarm half ([`SelftestReport`]).

use std::time::Instant;

use serde::Serialize;

use crate::contract::Severity;
use crate::engine::run::{self, Plan, RunError, RunOutcome, TargetChoice};
use crate::report::{CaseResult, Tally};
use crate::server::{Fault, FaultSet, Variation, VariationSet};

/// What the self-test tries: faults it must catch and variations it must pass.
#[derive(Clone, Debug, Default)]
pub struct Subjects {
    pub faults: Vec<Fault>,
    pub variations: Vec<Variation>,
}

impl Subjects {
    /// Both whole catalogs.
    pub fn all() -> Self {
        Subjects {
            faults: Fault::ALL.to_vec(),
            variations: Variation::ALL.to_vec(),
        }
    }
}

/// What one run of the suite showed.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub cases: usize,
    pub failed: usize,
    pub not_tested: usize,
    pub warnings: usize,
}

/// One fault and whether the suite noticed it.
#[derive(Clone, Debug, Serialize)]
pub struct FaultResult {
    pub name: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub detected: bool,
    /// The cases that noticed, in run order, each with the checks that failed there.
    pub detected_by: Vec<Detection>,
    pub summary: RunSummary,
}

/// A case that noticed a fault, and how.
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    pub case: String,
    pub checks: Vec<String>,
}

/// One legitimate variation and whether the suite passed it with no error.
#[derive(Clone, Debug, Serialize)]
pub struct VariationResult {
    pub name: &'static str,
    pub description: &'static str,
    pub why: &'static str,
    /// No error: the suite raised no false alarm.
    pub passed: bool,
    /// Cases that failed (an error or no answer): false alarms.
    pub false_alarms: Vec<Detection>,
    /// Cases that warned, which a variation may make them do.
    pub warnings: Vec<Detection>,
    pub summary: RunSummary,
}

/// The whole self-test: the clean run, every fault, the score.
#[derive(Clone, Debug, Serialize)]
pub struct SelftestReport {
    pub seed: Option<u64>,
    pub clean: RunSummary,
    /// The clean server passed every case with no warning.
    pub clean_passed: bool,
    pub faults: Vec<FaultResult>,
    pub detected: usize,
    pub total: usize,
    /// The false-alarm half: every variation tried, and how many passed with no error.
    pub variations: Vec<VariationResult>,
    pub variations_passed: usize,
    pub variations_total: usize,
    pub elapsed_seconds: f64,
}

impl SelftestReport {
    /// Detected faults over all faults, as a percentage.
    pub fn score(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        100.0 * self.detected as f64 / self.total as f64
    }

    /// The faults no test noticed, in catalog order.
    pub fn missed(&self) -> Vec<&'static str> {
        self.faults
            .iter()
            .filter(|f| !f.detected)
            .map(|f| f.name)
            .collect()
    }

    /// The variations the suite raised an error on, in catalog order.
    pub fn false_alarms(&self) -> Vec<&'static str> {
        self.variations
            .iter()
            .filter(|v| !v.passed)
            .map(|v| v.name)
            .collect()
    }

    /// Success only when the clean server passed, every fault was caught, and no variation
    /// raised an error.
    pub fn exit_code(&self) -> i32 {
        if self.clean_passed
            && self.detected == self.total
            && self.variations_passed == self.variations_total
        {
            crate::exit::SUCCESS
        } else {
            crate::exit::VIOLATIONS
        }
    }
}

impl From<&Tally> for RunSummary {
    fn from(t: &Tally) -> Self {
        RunSummary {
            cases: t.total,
            failed: t.failed,
            not_tested: t.errors,
            warnings: t.warnings,
        }
    }
}

/// Runs `base` against the clean server, against each fault and against each variation,
/// silently and in-process.
pub fn selftest(base: &Plan, subjects: &Subjects) -> Result<SelftestReport, RunError> {
    let started = Instant::now();
    let run_against = |faults: FaultSet, variations: VariationSet| {
        let mut plan = base.clone();
        plan.target = TargetChoice::Embedded(crate::server::Options {
            faults,
            variations,
            reject_past_expiry: false,
        });
        plan.junit = None;
        plan.verbose = false;
        run::run(plan)
    };
    let clean = RunSummary::from(&run_against(FaultSet::none(), VariationSet::none())?.tally);
    let clean_passed = clean.failed == 0 && clean.not_tested == 0 && clean.warnings == 0;
    let mut out = Vec::new();
    for &fault in &subjects.faults {
        let outcome = run_against(FaultSet::with([fault]), VariationSet::none())?;
        // A fault is noticed by any failed check or warning; the clean run has none of either.
        let detected_by = noticed(&outcome, |_| true);
        out.push(FaultResult {
            name: fault.name(),
            category: fault.category(),
            description: fault.description(),
            detected: !detected_by.is_empty(),
            detected_by,
            summary: RunSummary::from(&outcome.tally),
        });
    }
    let detected = out.iter().filter(|f| f.detected).count();
    let mut variations = Vec::new();
    for &variation in &subjects.variations {
        let outcome = run_against(FaultSet::none(), VariationSet::with([variation]))?;
        variations.push(judge_variation(variation, &outcome));
    }
    Ok(SelftestReport {
        seed: base.properties.as_ref().map(|_| base.seed),
        clean,
        clean_passed,
        total: out.len(),
        detected,
        faults: out,
        variations_passed: variations.iter().filter(|v| v.passed).count(),
        variations_total: variations.len(),
        variations,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The cases with a verdict that `counts`, or with no answer, each with those checks (and
/// `transport`), in run order.
fn noticed(outcome: &RunOutcome, counts: impl Fn(Severity) -> bool) -> Vec<Detection> {
    let mut found = Vec::new();
    for r in &outcome.results {
        let mut checks: Vec<String> = Vec::new();
        let transport = (counts(Severity::Error) && no_answer(r)).then_some("transport");
        let named = r
            .all_verdicts()
            .filter(|v| counts(v.severity))
            .map(|v| v.check.as_str());
        for name in named.chain(transport) {
            if !checks.iter().any(|c| c == name) {
                checks.push(name.to_string());
            }
        }
        if !checks.is_empty() {
            found.push(Detection {
                case: r.case.id.clone(),
                checks,
            });
        }
    }
    found
}

/// A test that could not be tested: transport errors and no violation.
fn no_answer(r: &CaseResult) -> bool {
    r.status() == crate::report::Status::Error
}

/// A variation passes when no case failed.
fn judge_variation(variation: Variation, outcome: &RunOutcome) -> VariationResult {
    let false_alarms = noticed(outcome, |s| s == Severity::Error);
    VariationResult {
        name: variation.name(),
        description: variation.description(),
        why: variation.why(),
        passed: false_alarms.is_empty(),
        false_alarms,
        warnings: noticed(outcome, |s| s == Severity::Warning),
        summary: RunSummary::from(&outcome.tally),
    }
}

/// The table printed by `selftest`: fault, category, detected, and by which tests.
pub fn render_table(report: &SelftestReport) -> String {
    let mut tables = Vec::new();
    if !report.faults.is_empty() {
        tables.push(fault_table(report));
    }
    if !report.variations.is_empty() {
        tables.push(variation_table(report));
    }
    let mut s = tables.join("\n");
    s.push_str(&format!(
        "\nclean server: {} ({} cases, {} failed, {} warnings)\n",
        if report.clean_passed {
            "passed with no warnings"
        } else {
            "FAILED"
        },
        report.clean.cases,
        report.clean.failed,
        report.clean.warnings
    ));
    let seed = report
        .seed
        .map(|s| format!("; seed {s}"))
        .unwrap_or_default();
    if report.total > 0 {
        s.push_str(&format!(
            "mutation score: {}/{} faults detected ({:.1}%)\n",
            report.detected,
            report.total,
            report.score(),
        ));
    }
    if report.variations_total > 0 {
        let alarms = report.false_alarms();
        s.push_str(&format!(
            "false alarms: {}/{} variations passed with no error{}\n",
            report.variations_passed,
            report.variations_total,
            if alarms.is_empty() {
                String::new()
            } else {
                format!(" (errors on {})", alarms.join(", "))
            }
        ));
    }
    s.push_str(&format!(
        "{} runs in {:.1}s{seed}\n",
        1 + report.total + report.variations_total,
        report.elapsed_seconds
    ));
    s
}

/// Each fault, whether it was caught, and by which tests.
fn fault_table(report: &SelftestReport) -> String {
    let width = report
        .faults
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut s = format!(
        "{:<width$}  {:<14}  {:<8}  detected by\n",
        "fault", "category", "result"
    );
    for f in &report.faults {
        let by = if f.detected {
            some_cases(&f.detected_by)
        } else {
            "-".to_string()
        };
        let result = if f.detected { "caught" } else { "MISSED" };
        s.push_str(&format!(
            "{:<width$}  {:<14}  {:<8}  {by}\n",
            f.name, f.category, result
        ));
    }
    s
}

/// A few cases with their checks: `case (check, check); ... and N more`.
fn some_cases(found: &[Detection]) -> String {
    let shown: Vec<String> = found
        .iter()
        .take(3)
        .map(|d| format!("{} ({})", d.case, d.checks.join(", ")))
        .collect();
    match found.len().saturating_sub(3) {
        0 => shown.join("; "),
        more => format!("{} and {more} more", shown.join("; ")),
    }
}

/// The false-alarm half: each variation, whether it passed, and what it raised.
fn variation_table(report: &SelftestReport) -> String {
    let width = report
        .variations
        .iter()
        .map(|v| v.name.len())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut s = format!(
        "{:<width$}  {:<8}  what the suite said\n",
        "variation", "result"
    );
    for v in &report.variations {
        let mut said = Vec::new();
        if !v.false_alarms.is_empty() {
            said.push(format!("errors: {}", some_cases(&v.false_alarms)));
        }
        if !v.warnings.is_empty() {
            said.push(format!("warnings (allowed): {}", some_cases(&v.warnings)));
        }
        if said.is_empty() {
            said.push("nothing".into());
        }
        let result = if v.passed { "passed" } else { "ERROR" };
        s.push_str(&format!(
            "{:<width$}  {result:<8}  {}\n",
            v.name,
            said.join("; ")
        ));
    }
    s
}
