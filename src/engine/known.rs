//! Known failures ([`KnownFailures`]): violations a team accepts on purpose, each with a reason
//! and an expiry date, so a release gate can pass while they are fixed, and fail again when the
//! date passes. Read from a TOML file (`--known-failures FILE`):
//!
//! ```toml
//! [[known]]
//! case = "method::*"          # a case id, or a glob over case ids
//! check = "status"            # a check name, or "*"
//! reason = "Express answers 404 to other methods; PROJ-123"
//! link = "https://tracker.example/PROJ-123"   # optional
//! expires = 2027-01-31
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::check::{Mark, Standing, Verdict};
use crate::contract::Severity;
use crate::diag::FileError;
use crate::engine::outcome::CaseResult;

/// One entry of the file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A case id, or a glob over case ids (`*`, `?`, `[...]`).
    pub case: String,
    /// A check name, or `*` for any.
    pub check: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The last day the failure is accepted.
    pub expires: toml::value::Datetime,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileData {
    #[serde(default)]
    known: Vec<Entry>,
}

/// A parsed entry, ready to match.
#[derive(Clone, Debug)]
struct Rule {
    entry: Entry,
    case: glob::Pattern,
    expires: Date,
    line: usize,
}

/// The known-failures file of a run.
#[derive(Clone, Debug)]
pub struct KnownFailures {
    path: PathBuf,
    rules: Vec<Rule>,
}

/// What an entry made of the run: whether its cases ran, and whether they still failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryOutcome {
    pub case: String,
    pub check: String,
    pub reason: String,
    pub expires: String,
    pub line: usize,
    pub outcome: EntryState,
    /// How many failures it matched.
    pub matched: usize,
    /// What is wrong with the entry itself, such as a reason that still reads TODO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// How an entry stands after a run; written to the summary as its lowercase name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// Its cases still fail that way, and it accepts them.
    Known,
    /// Its cases still fail that way, and its date has passed.
    Expired,
    /// Its cases ran and no longer fail that way: the entry can go.
    Fixed,
    /// It names no case of this run.
    Unused,
}

impl EntryState {
    /// The entry can be removed: its failure is fixed (an error under `--strict`).
    pub fn is_fixed(self) -> bool {
        self == EntryState::Fixed
    }
}

impl KnownFailures {
    /// Reads and checks the file: unknown keys, bad globs and bad dates are errors with the
    /// file and the line.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        // Only a file that is not there gets the "how to make one" message; any other error
        // (permission denied) is reported as it is by the reader.
        if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            return Err(missing(path));
        }
        let text = crate::diag::read_text(path)?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        let data: FileData =
            toml::from_str(text).map_err(|e| FileError::from_toml(path, text, e))?;
        let mut rules = Vec::new();
        for (i, entry) in data.known.into_iter().enumerate() {
            let line = entry_line(text, i);
            let at = |message: String| FileError::new(path, message).at(line, 1);
            let case = glob::Pattern::new(&entry.case)
                .map_err(|e| at(format!("entry {}: `case` is not a glob: {e}", i + 1)))?;
            let expires = match (entry.expires.date, entry.expires.time) {
                (Some(d), None) => Date::from_calendar_date(
                    i32::from(d.year),
                    time::Month::try_from(d.month).map_err(|e| at(e.to_string()))?,
                    d.day,
                )
                .map_err(|e| at(format!("entry {}: `expires`: {e}", i + 1)))?,
                _ => {
                    return Err(at(format!(
                        "entry {}: `expires` must be a date such as 2027-01-31",
                        i + 1
                    )))
                }
            };
            if entry.reason.trim().is_empty() {
                return Err(at(format!("entry {}: `reason` is empty: say why", i + 1)));
            }
            rules.push(Rule {
                entry,
                case,
                expires,
                line,
            });
        }
        Ok(KnownFailures {
            path: path.to_path_buf(),
            rules,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Marks each error verdict of `result` that an entry matches; the first entry wins.
    pub fn mark(&self, result: &mut CaseResult, today: Date) {
        let id = result.case.id.clone();
        let parts = std::iter::once(&mut result.verdicts)
            .chain(result.more.iter_mut().map(|m| &mut m.verdicts));
        for verdicts in parts {
            for v in verdicts
                .iter_mut()
                .filter(|v| v.severity == Severity::Error)
            {
                if let Some(rule) = self.rules.iter().find(|r| r.matches(&id, &v.check)) {
                    v.known = Some(rule.mark(today));
                }
            }
        }
    }

    /// How each entry fared in a run whose results were marked by [`KnownFailures::mark`].
    pub fn outcomes(&self, results: &[CaseResult], today: Date) -> Vec<EntryOutcome> {
        self.rules
            .iter()
            .map(|rule| {
                let ran = results.iter().any(|r| rule.case.matches(&r.case.id));
                let matched = results
                    .iter()
                    .flat_map(|r| r.all_verdicts())
                    .filter(|v| v.known.as_ref().is_some_and(|m| m.line == rule.line))
                    .count();
                let outcome = match (ran, matched, rule.expires < today) {
                    (false, _, _) => EntryState::Unused,
                    (true, 0, _) => EntryState::Fixed,
                    (true, _, true) => EntryState::Expired,
                    (true, _, false) => EntryState::Known,
                };
                EntryOutcome {
                    case: rule.entry.case.clone(),
                    check: rule.entry.check.clone(),
                    reason: rule.entry.reason.clone(),
                    expires: rule.expires.to_string(),
                    line: rule.line,
                    outcome,
                    matched,
                    warning: rule.entry.todo().then(|| {
                        "its reason still reads TODO: say why this failure is accepted".into()
                    }),
                }
            })
            .collect()
    }

    /// The file rewritten for the run's failures: an entry that still matches keeps its reason
    /// and date; each new failure gets an entry that expires in 30 days and asks for a reason.
    pub fn updated(
        existing: Option<&KnownFailures>,
        results: &[CaseResult],
        today: Date,
    ) -> String {
        let mut kept: Vec<Entry> = Vec::new();
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for r in results {
            for v in r.all_verdicts().filter(|v| v.severity == Severity::Error) {
                let key = (r.case.id.clone(), v.check.clone());
                let rule =
                    existing.and_then(|k| k.rules.iter().find(|x| x.matches(&key.0, &key.1)));
                match rule {
                    Some(rule)
                        if !kept
                            .iter()
                            .any(|e| e.case == rule.entry.case && e.check == rule.entry.check) =>
                    {
                        kept.push(rule.entry.clone());
                    }
                    Some(_) => {}
                    None if seen.insert(key.clone()) => kept.push(new_entry(key, today)),
                    None => {}
                }
            }
        }
        let body = toml::to_string(&FileData { known: kept }).unwrap_or_default();
        format!(
            "# Known failures: accepted on purpose, each until its date (provisionr-conformance\n\
             # --known-failures). Written by --update-known-failures; replace each TODO reason.\n\n{body}"
        )
    }
}

impl Entry {
    /// The reason is the placeholder `--update-known-failures` writes, or still says TODO.
    pub fn todo(&self) -> bool {
        self.reason.contains(TODO)
    }
}

/// What a reason still to be written says; `--update-known-failures` starts each new one so.
pub const TODO: &str = "TODO";

impl Rule {
    fn matches(&self, case_id: &str, check: &str) -> bool {
        (self.entry.check == "*" || self.entry.check == check) && self.case.matches(case_id)
    }

    fn mark(&self, today: Date) -> Mark {
        Mark {
            standing: if self.expires < today {
                Standing::Expired
            } else {
                Standing::Known
            },
            reason: self.entry.reason.clone(),
            expires: self.expires.to_string(),
            link: self.entry.link.clone(),
            line: self.line,
        }
    }
}

fn new_entry((case, check): (String, String), today: Date) -> Entry {
    let until = today.saturating_add(time::Duration::days(30));
    let expires = format!("{until}")
        .parse::<toml::value::Datetime>()
        .unwrap_or(toml::value::Datetime {
            date: None,
            time: None,
            offset: None,
        });
    Entry {
        case,
        check,
        reason: format!(
            "{TODO}: say why this failure is accepted, and link the issue that tracks it"
        ),
        link: None,
        expires,
    }
}

/// A first gate run often names a file nobody has made yet: say what an empty one means and how
/// to make one.
fn missing(path: &Path) -> FileError {
    let shown = path.display();
    let mkdir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => {
            format!("mkdir -p {} && ", dir.display())
        }
        _ => String::new(),
    };
    FileError::new(path, "the known-failures file does not exist").help(format!(
        "an empty file accepts nothing (every violation then fails the run): create one with \
         `{mkdir}touch {shown}`, or write one from this run's failures with \
         `--known-failures {shown} --update-known-failures` and give each entry its reason"
    ))
}

/// The line of the `n`th `[[known]]` header, for messages.
fn entry_line(text: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[known]]"))
        .nth(n)
        .map_or(1, |(i, _)| i + 1)
}

/// Today in UTC, which is what `expires` dates are compared with.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Verdicts that fail the run: errors not accepted by a known-failures entry.
pub fn counts_against(v: &Verdict) -> bool {
    v.severity == Severity::Error
        && v.known
            .as_ref()
            .is_none_or(|m| m.standing == Standing::Expired)
}
