//! The self-test: the whole suite against the clean reference server, then against each planted
//! [`Fault`], giving a mutation score ([`SelftestReport`]).

use std::time::Instant;

use serde::Serialize;

use crate::report::{Status, Tally};
use crate::run::{self, Plan, RunError, RunOutcome, TargetChoice};
use crate::server::{Fault, FaultSet};

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

    /// Success only when the clean server passed and every fault was caught.
    pub fn exit_code(&self) -> i32 {
        if self.clean_passed && self.detected == self.total {
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

/// Runs `base` against the clean server and against each fault, silently and in-process.
pub fn selftest(base: &Plan, faults: &[Fault]) -> Result<SelftestReport, RunError> {
    let started = Instant::now();
    let run_against = |faults: FaultSet| -> Result<RunOutcome, RunError> {
        let mut plan = base.clone();
        plan.target = TargetChoice::Embedded {
            faults,
            reject_past_expiry: false,
        };
        plan.junit = None;
        plan.verbose = false;
        run::run(plan)
    };
    let clean = RunSummary::from(&run_against(FaultSet::none())?.tally);
    let clean_passed = clean.failed == 0 && clean.not_tested == 0 && clean.warnings == 0;
    let mut out = Vec::new();
    for &fault in faults {
        let outcome = run_against(FaultSet::with([fault]))?;
        // A fault is noticed by any failed check or warning; the clean run has none of either.
        let mut detected_by = Vec::new();
        for r in &outcome.results {
            let mut checks: Vec<String> = Vec::new();
            let transport = (r.status() == Status::Error).then_some("transport");
            for name in r.verdicts.iter().map(|v| v.check.as_str()).chain(transport) {
                if !checks.iter().any(|c| c == name) {
                    checks.push(name.to_string());
                }
            }
            if !checks.is_empty() {
                detected_by.push(Detection {
                    case: r.case.id.clone(),
                    checks,
                });
            }
        }
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
    Ok(SelftestReport {
        seed: base.properties.as_ref().map(|_| base.seed),
        clean,
        clean_passed,
        total: out.len(),
        detected,
        faults: out,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The table printed by `selftest`: fault, category, detected, and by which tests.
pub fn render_table(report: &SelftestReport) -> String {
    let mut s = String::new();
    let width = report
        .faults
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    s.push_str(&format!(
        "{:<width$}  {:<14}  {:<8}  detected by\n",
        "fault", "category", "result"
    ));
    for f in &report.faults {
        let by = if f.detected {
            let cases: Vec<String> = f
                .detected_by
                .iter()
                .take(3)
                .map(|d| format!("{} ({})", d.case, d.checks.join(", ")))
                .collect();
            let more = f.detected_by.len().saturating_sub(3);
            if more > 0 {
                format!("{} and {more} more", cases.join("; "))
            } else {
                cases.join("; ")
            }
        } else {
            "-".to_string()
        };
        let result = if f.detected { "caught" } else { "MISSED" };
        s.push_str(&format!(
            "{:<width$}  {:<14}  {:<8}  {by}\n",
            f.name, f.category, result
        ));
    }
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
    s.push_str(&format!(
        "mutation score: {}/{} faults detected ({:.1}%) in {:.1}s{}\n",
        report.detected,
        report.total,
        report.score(),
        report.elapsed_seconds,
        report
            .seed
            .map(|s| format!("; seed {s}"))
            .unwrap_or_default()
    ));
    s
}
