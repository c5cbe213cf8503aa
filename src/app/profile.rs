//! Profiles: the config file (`provisionr-conformance.toml`, or `--config PATH`) and its named profiles
//! ([`Profile`]), so a nightly job or a release gate is one `--profile NAME` instead of a long
//! command line. Flags override the profile, and the profile overrides the defaults. `${VAR}`
//! expands from the environment for values that are not secret; a token in the file is refused.
//!
//! ```toml
//! [profiles.staging]
//! base_url = "${STAGING_URL}"
//! service = "${STAGING_SERVICE}"
//! token_env = "STAGING_TOKEN"
//! credentials = { api_key = "STAGING_API_KEY" }
//! rate = 20
//! duration = "10m"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use serde::Deserialize;
use toml::Spanned;

use super::cli::{parse_duration, CasesArg, RunArgs, MAX_CASES};
use super::plan::PlanError;
use crate::diag::{did_you_mean, line_column, FileError};

/// The file read when `--profile` is given without `--config`.
pub const DEFAULT_CONFIG: &str = "provisionr-conformance.toml";

/// Keys that would hold a secret; the token only ever comes from the environment.
const SECRET_KEYS: &[&str] = &["token", "bearer", "bearer_token", "password", "secret"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// A number, a flag or a list as written: checked when it is taken, so a wrong one is named
/// with its key, its place and what would be valid (not the parser's words for its type).
pub type Raw = Option<Spanned<toml::Value>>;

/// One named profile: every setting a run takes from the command line, but the token.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub base_url: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    /// Values for the path parameters of the endpoints' templates.
    pub path_params: Option<BTreeMap<String, Spanned<String>>>,
    pub token_env: Option<Spanned<String>>,
    /// The variable of each security scheme's credential, by scheme name (never the value).
    pub credentials: Option<BTreeMap<String, Spanned<String>>>,
    pub rate: Raw,
    /// Generated bodies per property.
    pub cases: Raw,
    /// A directory of case files.
    pub cases_dir: Option<Spanned<String>>,
    pub schemas: Option<Spanned<String>>,
    /// An OpenAPI document to take the contract from, instead of `schemas`.
    pub openapi: Option<Spanned<String>>,
    pub duration: Option<Spanned<String>>,
    pub seed: Raw,
    pub concurrency: Raw,
    pub timeout: Raw,
    pub max_wait: Raw,
    pub test_threads: Raw,
    pub strict: Raw,
    pub skip_checks: Raw,
    pub junit: Option<Spanned<String>>,
    pub summary: Option<Spanned<String>>,
    pub created: Option<Spanned<String>>,
    pub known_failures: Option<Spanned<String>>,
    pub no_persist: Raw,
    pub allow_insecure_http: Raw,
}

/// A loaded profile, with its values expanded and the file it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub name: String,
    pub profile: Profile,
    text: String,
}

impl Loaded {
    /// A problem with a value, pointing at it in the file.
    pub fn error_at(&self, span: &std::ops::Range<usize>, message: impl Into<String>) -> FileError {
        let (line, column) = line_column(&self.text, span.start);
        FileError::new(&self.path, message).at(line, column)
    }

    /// The string value of a key, `${VAR}` expanded.
    pub fn string(
        &self,
        value: &Option<Spanned<String>>,
    ) -> Option<(String, std::ops::Range<usize>)> {
        value.as_ref().map(|v| (v.get_ref().clone(), v.span()))
    }
}

/// Reads `path` (or the default file) and returns profile `name`, `${VAR}`s expanded.
pub fn load(path: Option<&Path>, name: &str) -> Result<Loaded, FileError> {
    let path = path.map_or_else(|| PathBuf::from(DEFAULT_CONFIG), Path::to_path_buf);
    let text = crate::diag::read_text(&path).map_err(|e| {
        e.help(format!(
            "--profile reads {DEFAULT_CONFIG} in the working directory, or the file --config names"
        ))
    })?;
    refuse_secrets(&path, &text)?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| toml_error(&path, &text, e))?;
    let Some(profile) = file.profiles.get(name).cloned() else {
        let names: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
        let hint = match did_you_mean(name, names.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if names.is_empty() => "the file defines no [profiles.NAME] table".into(),
            None => format!("the profiles are: {}", names.join(", ")),
        };
        return Err(FileError::new(&path, format!("no profile `{name}`")).help(hint));
    };
    let mut loaded = Loaded {
        path,
        name: name.to_string(),
        profile,
        text,
    };
    expand_all(&mut loaded)?;
    Ok(loaded)
}

/// A TOML error with the key and what it takes, for a value of the wrong type (`base_url = 5`)
/// rather than the parser's `invalid type: integer, expected a string`.
fn toml_error(path: &Path, text: &str, e: toml::de::Error) -> FileError {
    let message = e.message().trim().to_string();
    let typed = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.rsplit_once(", expected "));
    let (Some((found, expected)), Some(span)) = (typed, e.span()) else {
        return FileError::from_toml(path, text, e);
    };
    // The parser shows a string's text; a credential pasted under the wrong key would be printed.
    let found = match found.starts_with("string") {
        true => "a string",
        false => found,
    };
    let expected = match expected {
        "a map" => "a table such as { name = \"VALUE\" }",
        "a sequence" => "a list",
        other => other,
    };
    let (line, column) = line_column(text, span.start);
    let key = key_on_line(text, line);
    FileError::new(path, format!("`{key}` must be {expected}, not {found}")).at(line, column)
}

/// The key of a `key = value` line (1-based), for messages.
fn key_on_line(text: &str, line: usize) -> String {
    let l = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    l.split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_string()
}

/// A value that was not what its key takes, as the message shows it.
fn shown(v: &toml::Value) -> String {
    match v {
        // Never the text: a credential pasted under the wrong key would be printed.
        toml::Value::String(_) => "a string".into(),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) => "a list".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

impl Loaded {
    /// A whole number from `min` to `max` (`unit` says of what), or an error naming the key.
    pub fn number(
        &self,
        key: &str,
        raw: &Raw,
        range: (u64, u64),
        unit: &str,
    ) -> Result<Option<u64>, FileError> {
        let Some(v) = raw else { return Ok(None) };
        let (min, max) = range;
        match v.get_ref() {
            toml::Value::Integer(n) if *n >= 0 && (min..=max).contains(&n.unsigned_abs()) => {
                Ok(Some(n.unsigned_abs()))
            }
            other => Err(self.error_at(
                &v.span(),
                format!(
                    "`{key}` must be a whole number from {min} to {max}{unit}, not {}",
                    shown(other)
                ),
            )),
        }
    }

    /// `true` or `false`, or an error naming the key.
    pub fn flag(&self, key: &str, raw: &Raw) -> Result<Option<bool>, FileError> {
        let Some(v) = raw else { return Ok(None) };
        match v.get_ref() {
            toml::Value::Boolean(b) => Ok(Some(*b)),
            other => Err(self.error_at(
                &v.span(),
                format!("`{key}` must be true or false, not {}", shown(other)),
            )),
        }
    }

    /// A list of strings, each with its place, or an error naming the key.
    pub fn strings(
        &self,
        key: &str,
        raw: &Raw,
    ) -> Result<Option<Vec<(String, FileError)>>, FileError> {
        let Some(v) = raw else { return Ok(None) };
        let bad = |at: &std::ops::Range<usize>, what: &toml::Value| {
            self.error_at(
                at,
                format!(
                    "`{key}` must be a list of names such as [\"allow_header\"], not {}",
                    shown(what)
                ),
            )
        };
        let toml::Value::Array(items) = v.get_ref() else {
            return Err(bad(&v.span(), v.get_ref()));
        };
        // The items of a `Value` carry no places of their own: each is found after the key.
        let mut from = v.span().start;
        let mut out = Vec::new();
        for item in items {
            let toml::Value::String(name) = item else {
                return Err(bad(&v.span(), item));
            };
            let at = self.text[from..v.span().end]
                .find(name.as_str())
                .map_or(from, |i| from + i);
            from = at + name.len();
            out.push((name.clone(), self.error_at(&(at..at), "")));
        }
        Ok(Some(out))
    }
}

/// A key such as `token` in any table is refused, with where it is.
fn refuse_secrets(path: &Path, text: &str) -> Result<(), FileError> {
    for (i, line) in text.lines().enumerate() {
        let key = line
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if line.contains('=') && SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) {
            let column = line.find(key).unwrap_or(0) + 1;
            return Err(FileError::new(
                path,
                format!("`{key}`: a token is never read from the config file"),
            )
            .at(i + 1, column)
            .help("export it in an environment variable and name that with `token_env`"));
        }
    }
    Ok(())
}

/// `${VAR}` from the environment, in every string value.
fn expand_all(loaded: &mut Loaded) -> Result<(), FileError> {
    let p = &mut loaded.profile;
    let mut fields: Vec<&mut Option<Spanned<String>>> = vec![
        &mut p.base_url,
        &mut p.service,
        &mut p.token_env,
        &mut p.cases_dir,
        &mut p.schemas,
        &mut p.openapi,
        &mut p.duration,
        &mut p.junit,
        &mut p.summary,
        &mut p.created,
        &mut p.known_failures,
    ];
    let mut values: Vec<&mut Spanned<String>> =
        fields.iter_mut().filter_map(|f| f.as_mut()).collect();
    if let Some(params) = p.path_params.as_mut() {
        values.extend(params.values_mut());
    }
    let mut errors = Vec::new();
    for v in values {
        match expand(v.get_ref()) {
            Ok(expanded) => *v = Spanned::new(v.span(), expanded),
            Err(message) => errors.push((v.span(), message)),
        }
    }
    match errors.into_iter().next() {
        Some((span, message)) => Err(loaded.error_at(&span, message)),
        None => Ok(()),
    }
}

/// Replaces each `${NAME}` with the variable's value; an unset or empty one is an error.
pub fn expand(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start + 2..].find('}') else {
            return Err(format!("`{value}`: `${{` without a closing `}}`"));
        };
        let name = &rest[start + 2..start + 2 + len];
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => out.push_str(&v),
            _ => {
                return Err(format!(
                    "`${{{name}}}` is not set in the environment (it fills `{value}`)"
                ))
            }
        }
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

impl RunArgs {
    /// Fills every setting the command line left out from `--profile`'s table in the config
    /// file: flags override the profile, and the profile overrides the defaults.
    pub fn apply_profile(&mut self, given: &clap::ArgMatches) -> Result<(), PlanError> {
        let Some(name) = self.profile.clone() else {
            return Ok(());
        };
        let loaded = load(self.config.as_deref(), &name)?;
        let p = &loaded.profile;
        let from_cli = |id: &str| given.value_source(id) == Some(ValueSource::CommandLine);
        let text = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|v| v.get_ref().clone());
        let path = |v: &Option<toml::Spanned<String>>| text(v).map(PathBuf::from);
        // Each setting the command line did not give takes the profile's value, if it has one.
        macro_rules! take {
            ($id:literal, $field:expr, $value:expr) => {
                if let (false, Some(v)) = (from_cli($id), $value) {
                    $field = v;
                }
            };
        }
        take!("base_url", self.base_url, text(&p.base_url).map(Some));
        take!("service", self.service, text(&p.service).map(Some));
        take!(
            "path_params",
            self.path_params,
            p.path_params.as_ref().map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                    .collect()
            })
        );
        take!("token_env", self.token_env, text(&p.token_env));
        take!(
            "credentials",
            self.credentials,
            p.credentials.as_ref().map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                    .collect()
            })
        );
        take!("junit", self.junit, path(&p.junit));
        take!("summary", self.summary, path(&p.summary));
        take!("created", self.created, path(&p.created).map(Some));
        take!(
            "known_failures",
            self.known_failures,
            path(&p.known_failures).map(Some)
        );
        if let (Some(s), Some(_)) = (&p.schemas, &p.openapi) {
            return Err(loaded
                .error_at(
                    &s.span(),
                    "`schemas` and `openapi` are two sources of the contract: keep one",
                )
                .into());
        }
        if !from_cli("schemas") && !from_cli("openapi") {
            take!(
                "schemas",
                self.contract.source.schemas,
                path(&p.schemas).map(Some)
            );
            take!(
                "openapi",
                self.contract.source.openapi,
                path(&p.openapi).map(Some)
            );
        }
        const ANY: u64 = i64::MAX as u64;
        let rate = loaded.number(
            "rate",
            &p.rate,
            (1, u64::from(u32::MAX)),
            " requests per second",
        )?;
        take!("rate", self.rate, rate.map(|n| Some(n as u32)));
        let seed = loaded.number("seed", &p.seed, (0, ANY), "")?;
        take!("seed", self.seed, seed.map(Some));
        let concurrency = loaded.number(
            "concurrency",
            &p.concurrency,
            (1, super::cli::MAX_CONCURRENCY as u64),
            "",
        )?;
        take!(
            "concurrency",
            self.concurrency,
            concurrency.map(|n| n as usize)
        );
        let timeout = loaded.number("timeout", &p.timeout, (1, ANY), " seconds")?;
        take!("timeout", self.timeout, timeout);
        let max_wait = loaded.number("max_wait", &p.max_wait, (0, ANY), " seconds")?;
        take!("max_wait", self.max_wait, max_wait);
        let threads = loaded.number(
            "test_threads",
            &p.test_threads,
            (1, super::cli::MAX_TEST_THREADS as u64),
            "",
        )?;
        take!(
            "test_threads",
            self.test_threads,
            threads.map(|n| Some(n as usize))
        );
        take!("strict", self.strict, loaded.flag("strict", &p.strict)?);
        take!(
            "no_persist",
            self.no_persist,
            loaded.flag("no_persist", &p.no_persist)?
        );
        take!(
            "allow_insecure_http",
            self.allow_insecure_http,
            loaded.flag("allow_insecure_http", &p.allow_insecure_http)?
        );
        if let (false, Some(names)) = (
            from_cli("skip_checks"),
            loaded.strings("skip_checks", &p.skip_checks)?,
        ) {
            self.skip_checks = names.iter().map(|(n, _)| n.clone()).collect();
            self.skip_check_places = names;
        }
        if let (false, Some(d)) = (from_cli("duration"), &p.duration) {
            let parsed = parse_duration(d.get_ref())
                .map_err(|e| loaded.error_at(&d.span(), format!("`duration`: {e}")))?;
            self.duration = Some(parsed);
        }
        let cases = loaded.number(
            "cases",
            &p.cases,
            (1, MAX_CASES),
            " generated bodies per property",
        )?;
        if self.contract.case_count().is_none() {
            self.contract.cases.extend(cases.map(CasesArg::Count));
        }
        if let (None, Some(dir)) = (self.contract.cases_dir(), path(&p.cases_dir)) {
            self.contract.cases.push(CasesArg::Dir(dir));
        }
        Ok(())
    }
}

impl RunArgs {
    /// An error about a `skip_checks` name the profile gave, at its place in the file.
    pub(super) fn at_profile_place(
        &self,
        e: PlanError,
        known: &std::collections::BTreeSet<String>,
    ) -> PlanError {
        let PlanError::Usage(message) = &e else {
            return e;
        };
        match self
            .skip_check_places
            .iter()
            .find(|(n, _)| !known.contains(n))
        {
            Some((_, place)) => {
                let mut at = place.clone();
                at.message = message.replacen("--skip-check:", "`skip_checks`:", 1);
                at.into()
            }
            None => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_and_a_missing_one_is_named() {
        std::env::set_var("PVC_TEST_HOST", "staging.example");
        assert_eq!(
            expand("https://${PVC_TEST_HOST}/api/v1").unwrap(),
            "https://staging.example/api/v1"
        );
        assert_eq!(expand("no variables").unwrap(), "no variables");
        let err = expand("${PVC_TEST_UNSET_VARIABLE}").unwrap_err();
        assert!(err.contains("PVC_TEST_UNSET_VARIABLE"), "{err}");
        assert!(expand("${OPEN").is_err());
    }
}
