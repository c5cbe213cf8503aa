//! `diff OLD.json NEW.json`: what broke, what was fixed and what still fails between two runs'
//! summaries ([`Diff`]). The release gate "nothing new broke since the last release".

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::summary::{Finding, Summary};
use crate::diag::FileError;
use crate::redact::{strip_terminal_controls, Redactor};

/// A violation's identity across runs: the case, the check and where. The expected and actual
/// values are left out, since ids and times differ from run to run.
type Key = (String, String, String);

/// Two runs compared.
#[derive(Debug, Default)]
pub struct Diff {
    /// Violations of the new run that the old one did not have.
    pub new: Vec<Finding>,
    /// Violations of the old run that the new one no longer has.
    pub fixed: Vec<Finding>,
    /// Violations of both.
    pub still: Vec<Finding>,
    /// Cases the new run could not test, so a clean diff proves less.
    pub not_tested: Vec<String>,
    pub notes: Vec<String>,
}

/// Reads a summary, with the file and location on error.
pub fn load(path: &Path) -> Result<Summary, FileError> {
    // The one way a user-supplied file is read: a device or a huge file fails at once.
    let text = crate::diag::read_text(path)?;
    serde_json::from_str(&text).map_err(|e| {
        FileError::from_json(path, e)
            .help("give two summary.json files written by `run` (--summary PATH)")
    })
}

/// Every error-level finding of a run, accepted ones included: a known failure is not new.
fn failing(s: &Summary) -> BTreeMap<Key, Finding> {
    s.violations
        .iter()
        .chain(&s.known_failures)
        .map(|f| {
            (
                (f.case.clone(), f.check.clone(), f.location.clone()),
                f.clone(),
            )
        })
        .collect()
}

pub fn compare(old: &Summary, new: &Summary) -> Diff {
    let (before, after) = (failing(old), failing(new));
    let mut d = Diff::default();
    for (key, f) in &after {
        match before.contains_key(key) {
            true => d.still.push(f.clone()),
            false => d.new.push(f.clone()),
        }
    }
    d.fixed = before
        .iter()
        .filter(|(k, _)| !after.contains_key(*k))
        .map(|(_, f)| f.clone())
        .collect();
    d.not_tested = new.not_tested.iter().map(|n| n.case.clone()).collect();
    if old.contract.sha256 != new.contract.sha256 {
        d.notes.push(format!(
            "the contract changed between the runs (sha256 {} -> {})",
            short(&old.contract.sha256),
            short(&new.contract.sha256)
        ));
    }
    if old.seed != new.seed {
        d.notes
            .push("the runs used different seeds, so their generated bodies differ".to_string());
    }
    d
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

impl Diff {
    /// 1 when anything is new; 3 when nothing is new but the new run left cases untested; else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.new.is_empty() {
            crate::exit::VIOLATIONS
        } else if !self.not_tested.is_empty() {
            crate::exit::UNREACHABLE
        } else {
            crate::exit::SUCCESS
        }
    }

    /// The diff as printed. The summaries may come from anywhere: every value from them is
    /// redacted like `run`'s output and loses its terminal control sequences and line breaks,
    /// so a hostile summary can neither leak the token nor rewrite the terminal.
    pub fn render(&self, redactor: &Redactor) -> String {
        let clean =
            |s: &str| strip_terminal_controls(&redactor.apply(s)).replace(['\n', '\t'], " ");
        let mut s = String::new();
        for (title, list) in [
            ("new", &self.new),
            ("fixed", &self.fixed),
            ("still failing", &self.still),
        ] {
            let _ = writeln!(s, "{title} ({}):", list.len());
            for f in list {
                let _ = writeln!(
                    s,
                    "  {}: check `{}` failed at {}: expected {}, got {}",
                    clean(&f.case),
                    clean(&f.check),
                    clean(&f.location),
                    clean(&f.expected),
                    clean(&f.actual)
                );
            }
        }
        if !self.not_tested.is_empty() {
            let _ = writeln!(
                s,
                "not tested in the new run ({}): {}",
                self.not_tested.len(),
                clean(&self.not_tested.join(", "))
            );
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {}", clean(n));
        }
        let _ = write!(
            s,
            "diff: {} new, {} fixed, {} still failing",
            self.new.len(),
            self.fixed.len(),
            self.still.len()
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_before_it_is_read() {
        let started = std::time::Instant::now();
        let err = load(Path::new("/dev/zero")).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let shown = err.to_string();
        assert!(shown.contains("not a regular file"), "{shown}");
        assert!(shown.contains("/dev/zero"), "{shown}");
    }

    #[test]
    fn a_summary_that_is_not_json_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        std::fs::write(&path, "not json").unwrap();
        let shown = load(&path).unwrap_err().to_string();
        assert!(shown.contains("summary.json"), "{shown}");
    }
}
