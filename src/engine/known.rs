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

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::check::{Mark, Standing, Verdict};
use crate::contract::Severity;
use crate::diag::{did_you_mean, line_column, FileError};
use crate::engine::outcome::CaseResult;

/// One entry of the file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A case id, or a glob over case ids (`*`, `?`, `[...]`, `{a,b}`).
    pub case: String,
    /// A check name, or `*` for any.
    pub check: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The last day the failure is accepted.
    pub expires: toml::value::Datetime,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileData<E> {
    #[serde(default = "Vec::new")]
    known: Vec<E>,
}

/// The most entries a file may hold. A suite's cases times its checks is a few thousand, and
/// one entry's glob can accept many; the cap bounds what reading and matching hold (a whole
/// run with 20,000 entries peaks at about 130 MB for plain ids, 280 MB for globs with a `*`
/// inside, against 60 MB with none: bench/known_failures.sh).
pub const MAX_ENTRIES: usize = 20_000;

/// The most bytes a file may hold. Parsing holds about 40 times the text of small entries,
/// whichever way they are written, so this bounds it (entries of 200 bytes fit under the
/// entry cap).
pub const MAX_BYTES: usize = 4 << 20;

/// A parsed entry, ready to match.
#[derive(Clone, Debug)]
struct Rule {
    entry: Entry,
    expires: Date,
    line: usize,
}

/// The known-failures file of a run.
#[derive(Clone, Debug)]
pub struct KnownFailures {
    path: PathBuf,
    rules: Vec<Rule>,
    /// Every entry's `case` glob, in the entries' order, [`GLOB_CHUNK`] to a set: a case id is
    /// matched against each set at once, and only the entries it matches are looked at.
    cases: Vec<GlobSet>,
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
    /// Reads and checks the file: unknown keys, bad globs, bad dates and check names that are
    /// not in `checks` are errors with the file and the line.
    pub fn load(path: &Path, checks: &BTreeSet<String>) -> Result<Self, FileError> {
        // Only a file that is not there gets the "how to make one" message; any other error
        // (permission denied, a FIFO, a device) is reported as it is by the reader.
        if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            return Err(missing(path));
        }
        let text = crate::diag::read_text(path)?;
        Self::parse(path, &text, checks)
    }

    pub fn parse(path: &Path, text: &str, checks: &BTreeSet<String>) -> Result<Self, FileError> {
        if text.len() > MAX_BYTES {
            return Err(FileError::new(
                path,
                format!(
                    "the known-failures file is larger than {} MiB; it would hold more than {MAX_ENTRIES} entries",
                    MAX_BYTES >> 20
                ),
            ));
        }
        // Counted before parsing, which holds several times the text: a file of tiny entries
        // stops here. Inline tables are counted after parsing, by the same cap.
        let headers = entry_lines(text);
        if headers.len() > MAX_ENTRIES {
            return Err(too_many(path, headers.len()));
        }
        let data: FileData<toml::Spanned<Entry>> =
            toml::from_str(text).map_err(|e| FileError::from_toml(path, text, e))?;
        if data.known.len() > MAX_ENTRIES {
            return Err(too_many(path, data.known.len()));
        }
        let mut rules = Vec::with_capacity(data.known.len());
        let mut globs = Vec::with_capacity(data.known.len());
        // `[[known]]` headers give each entry its line; inline tables (`known = [{..}]`) have
        // their own place.
        let by_header = headers.len() == data.known.len();
        for (i, spanned) in data.known.into_iter().enumerate() {
            let line = match by_header {
                true => headers[i],
                false => line_column(text, spanned.span().start).0,
            };
            let entry = spanned.into_inner();
            let at = |message: String| FileError::new(path, message).at(line, 1);
            let glob = GlobBuilder::new(&entry.case)
                .literal_separator(false)
                .build()
                .map_err(|e| {
                    at(format!(
                        "entry {}: `case` is not a glob: {}",
                        i + 1,
                        e.kind()
                    ))
                })?;
            globs.push(glob);
            check_name(&entry.check, checks).map_err(|m| at(format!("entry {}: {m}", i + 1)))?;
            let expires =
                expiry(&entry.expires).map_err(|m| at(format!("entry {}: {m}", i + 1)))?;
            if entry.reason.trim().is_empty() {
                return Err(at(format!("entry {}: `reason` is empty: say why", i + 1)));
            }
            rules.push(Rule {
                entry,
                expires,
                line,
            });
        }
        let cases = glob_sets(globs).map_err(|e| {
            FileError::new(
                path,
                format!("the entries' `case` globs cannot be matched: {e}"),
            )
        })?;
        Ok(KnownFailures {
            path: path.to_path_buf(),
            rules,
            cases,
        })
    }

    /// The entries whose `case` glob matches `case_id`, in the file's order: all that
    /// matching a case's verdicts looks at.
    fn candidates(&self, case_id: &str) -> Vec<usize> {
        let mut found = Vec::new();
        for (n, set) in self.cases.iter().enumerate() {
            found.extend(set.matches(case_id).into_iter().map(|i| n * GLOB_CHUNK + i));
        }
        found.sort_unstable();
        found
    }

    /// The first entry that accepts a failure of `check` in case `case_id`.
    fn rule_for(&self, candidates: &[usize], check: &str) -> Option<(usize, &Rule)> {
        candidates
            .iter()
            .map(|&i| (i, &self.rules[i]))
            .find(|(_, r)| r.accepts(check))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Marks each error verdict of `result` that an entry matches; the first entry wins.
    pub fn mark(&self, result: &mut CaseResult, today: Date) {
        let candidates = self.candidates(&result.case.id);
        if candidates.is_empty() {
            return;
        }
        let parts = std::iter::once(&mut result.verdicts)
            .chain(result.more.iter_mut().map(|m| &mut m.verdicts));
        for verdicts in parts {
            for v in verdicts
                .iter_mut()
                .filter(|v| v.severity == Severity::Error)
            {
                if let Some((_, rule)) = self.rule_for(&candidates, &v.check) {
                    v.known = Some(rule.mark(today));
                }
            }
        }
    }

    /// How each entry fared in a run whose results were marked by [`KnownFailures::mark`].
    pub fn outcomes(&self, results: &[CaseResult], today: Date) -> Vec<EntryOutcome> {
        let mut ran = vec![false; self.rules.len()];
        for r in results {
            for i in self.candidates(&r.case.id) {
                ran[i] = true;
            }
        }
        // A mark names its entry by line, which is each entry's own.
        let mut matched: BTreeMap<usize, usize> = BTreeMap::new();
        for m in results
            .iter()
            .flat_map(|r| r.all_verdicts())
            .filter_map(|v| v.known.as_ref())
        {
            *matched.entry(m.line).or_default() += 1;
        }
        self.rules
            .iter()
            .zip(ran)
            .map(|(rule, ran)| {
                let matched = matched.get(&rule.line).copied().unwrap_or(0);
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
        let mut kept_rules: HashSet<(&str, &str)> = HashSet::new();
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for r in results {
            let candidates = existing
                .map(|k| k.candidates(&r.case.id))
                .unwrap_or_default();
            for v in r.all_verdicts().filter(|v| v.severity == Severity::Error) {
                let rule = existing.and_then(|k| k.rule_for(&candidates, &v.check));
                match rule {
                    Some((_, rule)) => {
                        let e = &rule.entry;
                        if kept_rules.insert((&e.case, &e.check)) {
                            kept.push(e.clone());
                        }
                    }
                    None => {
                        let key = (r.case.id.clone(), v.check.clone());
                        if seen.insert(key.clone()) {
                            kept.push(new_entry(key, today));
                        }
                    }
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
    /// Whether the entry names `check` (its case glob is matched by the set).
    fn accepts(&self, check: &str) -> bool {
        self.entry.check == "*" || self.entry.check == check
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

/// How many globs share one set. A set compiles the globs that are not a literal, a prefix or
/// a suffix into one regular expression, which cannot be built for 20,000 of them at once.
const GLOB_CHUNK: usize = 1_000;

fn glob_sets(globs: Vec<Glob>) -> Result<Vec<GlobSet>, globset::Error> {
    globs
        .chunks(GLOB_CHUNK)
        .map(|chunk| {
            let mut set = GlobSetBuilder::new();
            for g in chunk {
                set.add(g.clone());
            }
            set.build()
        })
        .collect()
}

/// The line of each `[[known]]` header, in one pass over the text.
fn entry_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[known]]"))
        .map(|(i, _)| i + 1)
        .collect()
}

fn too_many(path: &Path, n: usize) -> FileError {
    FileError::new(
        path,
        format!("the known-failures file has {n} entries; at most {MAX_ENTRIES} are read"),
    )
    .help("an entry's `case` may be a glob (`method::*`): one entry can accept many cases")
}

/// `check` is `*` or the name of a check of the suite, with the nearest name when it is not.
/// `checks` are the run's; a semantic check of an operation this run leaves out is a name too,
/// since one file may serve runs of different `--operation`s.
fn check_name(check: &str, checks: &BTreeSet<String>) -> Result<(), String> {
    use crate::contract::SemanticKind as K;
    let semantic = [
        K::SameInstant,
        K::MinutesBetween,
        K::Unique,
        K::Equals,
        K::Echo,
        K::UnknownIgnored,
        K::Recent,
        K::LinksTo,
    ];
    let semantic = semantic.map(K::name);
    if check == "*" || checks.contains(check) || semantic.contains(&check) {
        return Ok(());
    }
    let mut checks = checks.clone();
    checks.extend(semantic.map(String::from));
    let hint = did_you_mean(check, checks.iter().map(String::as_str))
        .map(|b| format!(" (did you mean `{b}`?)"))
        .unwrap_or_default();
    let all: Vec<&str> = checks.iter().map(String::as_str).collect();
    Err(format!(
        "`check`: unknown check `{check}`{hint}; write `*` or one of: {}",
        all.join(", ")
    ))
}

/// An `expires` value: a date without a time.
fn expiry(value: &toml::value::Datetime) -> Result<Date, String> {
    match (value.date, value.time) {
        (Some(d), None) => Date::from_calendar_date(
            i32::from(d.year),
            time::Month::try_from(d.month).map_err(|e| format!("`expires`: {e}"))?,
            d.day,
        )
        .map_err(|e| format!("`expires`: {e}")),
        _ => Err("`expires` must be a date such as 2027-01-31".into()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn checks() -> BTreeSet<String> {
        ["status", "response_schema"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn entry(case: &str, check: &str) -> String {
        format!("[[known]]\ncase = \"{case}\"\ncheck = \"{check}\"\nreason = \"r\"\nexpires = 2099-01-31\n\n")
    }

    /// 20,000 entries, one per case id but two globs: a case looks at the entries that name
    /// it, not at all 20,000 (the old loop of loops did, for every verdict of every case).
    #[test]
    fn a_case_looks_only_at_the_entries_whose_glob_matches_it() {
        let mut text: String = (0..MAX_ENTRIES - 2)
            .map(|i| entry(&format!("valid::case_{i}"), "status"))
            .collect();
        text.push_str(&entry("valid::*", "response_schema"));
        text.push_str(&entry("method::*", "*"));
        let k = KnownFailures::parse(Path::new("k.toml"), &text, &checks()).unwrap();
        assert_eq!(k.rules.len(), 20_000);
        let visited: usize = (0..110)
            .map(|i| k.candidates(&format!("valid::case_{}", i * 150)).len())
            .sum();
        // Each case id: its own entry and `valid::*`.
        assert_eq!(visited, 220);
        let c = k.candidates("valid::case_7");
        assert_eq!(c, vec![7, 19_998]);
        assert_eq!(
            k.rule_for(&c, "response_schema").map(|(i, _)| i),
            Some(19_998)
        );
        assert_eq!(k.rule_for(&c, "status").map(|(i, _)| i), Some(7));
        assert_eq!(k.candidates("method::delete"), vec![19_999]);
        assert!(k.candidates("invalid::x").is_empty());
        // Each entry keeps its own header's line.
        assert_eq!(k.rules[1].line, 7);
    }

    #[test]
    fn an_unknown_check_is_refused_with_the_nearest_name_and_the_line() {
        let text = format!("{}{}", entry("a", "status"), entry("b", "stauts"));
        let err = KnownFailures::parse(Path::new("k.toml"), &text, &checks()).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("k.toml:7:1"), "{shown}");
        assert!(shown.contains("unknown check `stauts`"), "{shown}");
        assert!(shown.contains("did you mean `status`?"), "{shown}");
        assert!(KnownFailures::parse(Path::new("k.toml"), &entry("a", "*"), &checks()).is_ok());
    }

    #[test]
    fn more_entries_than_the_cap_are_refused_before_parsing() {
        let one = "[[known]]\n";
        let text = one.repeat(MAX_ENTRIES + 1);
        let err = KnownFailures::parse(Path::new("k.toml"), &text, &checks()).unwrap_err();
        assert!(err.to_string().contains("at most 20000"), "{err}");
        // Inline tables are counted too.
        let inline = format!(
            "known = [{}]\n",
            "{case = \"a\", check = \"*\", reason = \"r\", expires = 2099-01-01},"
                .repeat(MAX_ENTRIES + 1)
        );
        let err = KnownFailures::parse(Path::new("k.toml"), &inline, &checks()).unwrap_err();
        assert!(err.to_string().contains("at most 20000"), "{err}");
        let big = " ".repeat(MAX_BYTES + 1);
        let err = KnownFailures::parse(Path::new("k.toml"), &big, &checks()).unwrap_err();
        assert!(err.to_string().contains("larger than 4 MiB"), "{err}");
    }
}
