//! From flags to a validated [`Plan`]: everything is checked, loaded and compiled here, before
//! any I/O of the run (as ripgrep's `flags/hiargs.rs` does): the contract and the cases, the
//! checks to skip, the path values, the token and the target. The base URL is parsed once, into
//! the [`url::Url`] the plan carries.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches};

use super::cli::{Cli, Command, ContractArgs, RunArgs, SelftestArgs, SourceArgs};
use super::credentials::{self, check_variable_name};
use super::selftest::Subjects;
use super::sources::{settle_sources, tolerate_unknown_examples};
pub use super::sources::{DELETED_404_WHY, EXAMPLE_404_WHY};
use crate::cases::assemble::{self, AssembleError};
use crate::check::Checker;
use crate::contract::chain::IdSource;
use crate::contract::{Document, LoadWarning, Operation, Untested};
use crate::diag::{did_you_mean, FileError};
use crate::engine::known::KnownFailures;
use crate::engine::property::{self, PropertySettings};
use crate::engine::run::{self, Plan, Selection, Suite, TargetChoice};
use crate::http::{check_base_url, check_transport_security, segment_problem, Secret, TargetError};
use crate::server::{self, Fault, Variation};

/// Why a plan could not be built: exit code 2 either way.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    Cases(#[from] AssembleError),
    /// The `--base-url` is no API root, or would send the token in clear.
    #[error("{0}")]
    Target(#[from] TargetError),
    #[error("{0}")]
    Usage(String),
}

/// The plan a `run` command line gives, profile applied: what the binary would run. For tests
/// and tools that drive the suite in-process.
pub fn plan_from_args<I, T>(argv: I) -> Result<Plan, PlanError>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = Cli::command()
        .try_get_matches_from(argv)
        .map_err(|e| PlanError::Usage(e.render().to_string()))?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| PlanError::Usage(e.to_string()))?;
    let (Command::Run(mut args), Some(m)) = (cli.command, matches.subcommand_matches("run")) else {
        return Err(PlanError::Usage("not a `run` command line".into()));
    };
    args.apply_profile(m)?;
    args.plan()
}

impl RunArgs {
    /// Validates the flags and loads everything the run needs, before any request is sent.
    pub fn plan(&self) -> Result<Plan, PlanError> {
        check_variable_name("--token-env", &self.token_env)?;
        self.contract.check_cases().map_err(PlanError::Usage)?;
        let creds = (
            &self.credentials[..],
            self.token_env.as_str(),
            self.base_url.is_none(),
        );
        let loaded = load_operations(&self.contract, creds)?;
        let mut operations = loaded.suites;
        let checks = check_names(&operations);
        let skip_checks = checked_names(&checks, &self.skip_checks)
            .map_err(|e| self.at_profile_place(e, &checks))?;
        self.check_counts()?;
        let document = self.contract.source.openapi.is_some();
        let embedded_refusal = (document && !embedded_serves(&operations)?)
            .then(|| base_url_required(loaded.server_url.as_deref()));
        let given = self.given_path_values();
        let remote = self.base_url.is_some();
        let (path_values, from_document) = path_values(&operations, &given, remote, document)?;
        let mut load_warnings = loaded.warnings;
        let id_sources = settle_sources(loaded.id_sources, &operations, &given, &mut load_warnings);
        tolerate_unknown_examples(&mut operations, &from_document, &id_sources, &path_values);
        // Operations that need no token (none, or a `--credential` of their own) need no token.
        let securities = operations
            .iter()
            .map(|o| &o.contract.endpoint.auth.security);
        let needs_token = credentials::needs_token(securities, &loaded.credentials);
        let (target, token, insecure_http) = self.target_and_token(needs_token)?;
        Ok(Plan {
            operations,
            untested: loaded.untested,
            load_warnings,
            server_url: loaded.server_url,
            document: self.contract.source.openapi.clone(),
            embedded_refusal,
            target,
            token: Secret::new(token),
            token_env: self.token_env.clone(),
            credentials: loaded.credentials,
            path_values,
            id_sources,
            timeout: Duration::from_secs(self.timeout),
            max_wait: Duration::from_secs(self.max_wait),
            junit: Some(self.junit.clone()),
            summary: Some(self.summary.clone()),
            known_failures: self.known_failures(&checks)?,
            update_known_failures: self
                .update_known_failures
                .then(|| self.known_failures.clone())
                .flatten(),
            created_list: self.created.clone(),
            rate: self.rate,
            strict: self.strict,
            skip_checks,
            seed: self.seed.unwrap_or_else(random_seed),
            properties: Some(PropertySettings {
                // A time budget without a count draws until the time is up.
                cases: self
                    .contract
                    .case_count()
                    .unwrap_or(if self.duration.is_some() {
                        u64::MAX
                    } else {
                        256
                    }),
                duration: self.duration,
                concurrency: self.concurrency,
                persist: (!self.no_persist).then(|| regressions_dir(&self.contract)),
                ..PropertySettings::default()
            }),
            selection: Selection {
                filter: self.filter.clone(),
                exact: self.exact,
                skip: self.skip.clone(),
                list: self.list,
                test_threads: self.test_threads,
                quiet: self.quiet,
            },
            verbose: true,
            handle_signals: true,
            insecure_http,
        })
    }

    /// The known-failures file; with --update-known-failures it may not exist yet.
    fn known_failures(
        &self,
        checks: &BTreeSet<String>,
    ) -> Result<Option<KnownFailures>, PlanError> {
        if self.update_known_failures && self.known_failures.is_none() {
            return Err(PlanError::Usage(
                "--update-known-failures needs --known-failures FILE (or `known_failures` in the profile)".into(),
            ));
        }
        match &self.known_failures {
            Some(path) if self.update_known_failures && !path.exists() => Ok(None),
            Some(path) => Ok(Some(KnownFailures::load(path, checks)?)),
            None => Ok(None),
        }
    }

    /// The path values the command line gives: `--path-param`, and `--service` as its shorthand.
    fn given_path_values(&self) -> BTreeMap<String, String> {
        let mut given: BTreeMap<String, String> = self.path_params.iter().cloned().collect();
        if let Some(value) = &self.service {
            given.insert(SERVICE_ALIAS.param.into(), value.clone());
        }
        given
    }

    /// Counts and durations that must be at least one.
    fn check_counts(&self) -> Result<(), PlanError> {
        let zero = [
            (self.timeout == 0, "--timeout must be at least 1 second"),
            (
                self.rate == Some(0),
                "--rate must be at least 1 request per second",
            ),
            (self.concurrency == 0, "--concurrency must be at least 1"),
            (
                self.test_threads == Some(0),
                "--test-threads must be at least 1",
            ),
        ];
        match zero.iter().find(|(bad, _)| *bad) {
            Some((_, message)) => Err(PlanError::Usage(message.to_string())),
            None => Ok(()),
        }
    }

    /// The server to test, the token, and whether it goes over plain HTTP to another host: the
    /// token comes from the environment for a real workspace, and is drawn at random for the
    /// embedded server when the environment has none.
    fn target_and_token(
        &self,
        needs_token: bool,
    ) -> Result<(TargetChoice, String, bool), PlanError> {
        let token_value = token_from_env(&self.token_env);
        if let Some(token) = &token_value {
            let what = format!("the token variable {} (--token-env)", self.token_env);
            credentials::check_secret(&what, &self.token_env, token)?;
        }
        let Some(url) = &self.base_url else {
            let embedded = TargetChoice::Embedded(server::Options::default());
            return Ok((embedded, token_value.unwrap_or_else(random_token), false));
        };
        let parsed = check_base_url(url)?;
        let insecure = check_transport_security(&parsed).is_err();
        if insecure && !self.allow_insecure_http {
            check_transport_security(&parsed)?;
        }
        let token = match (token_value, needs_token) {
            (Some(token), _) => Some(token),
            // Never sent: a random one keeps the redaction and the curl lines as they are.
            (None, false) => Some(random_token()),
            (None, true) => None,
        };
        let token = token.ok_or_else(|| {
            PlanError::Usage(format!(
                "the token is read from the environment variable {0}, which is not set; \
                 export {0}=<token> (it is never taken from a flag)",
                self.token_env
            ))
        })?;
        let remote = TargetChoice::Remote { base_url: parsed };
        Ok((remote, token, insecure))
    }
}

/// The token from the environment, without surrounding whitespace: a token read from a file
/// often ends in a newline, and HTTP strips the spaces around a header value anyway.
pub(super) fn token_from_env(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Every check some operation of the run has.
fn check_names(operations: &[Suite]) -> BTreeSet<String> {
    operations
        .iter()
        .flat_map(|o| Checker::all_names(&o.contract))
        .collect()
}

/// The `--skip-check` names, each one a check some operation has.
fn checked_names(
    known: &BTreeSet<String>,
    names: &[String],
) -> Result<BTreeSet<String>, PlanError> {
    for name in names {
        if !known.contains(name) {
            let hint = did_you_mean(name, known.iter().map(String::as_str))
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            let all: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(PlanError::Usage(format!(
                "--skip-check: unknown check `{name}`{hint}; the checks are: {}",
                all.join(", ")
            )));
        }
    }
    Ok(names.iter().cloned().collect())
}

/// A flag that is the command line's shorthand for one `--path-param NAME=VALUE`.
struct PathParamAlias {
    flag: &'static str,
    param: &'static str,
}

/// `--service ID` (and a profile's `service`) is `--path-param service=ID`: the word is known
/// to the edge and to the reference server, never to the stages between.
const SERVICE_ALIAS: PathParamAlias = PathParamAlias {
    flag: "--service",
    param: "service",
};

/// A value for every path parameter of every operation: the one given (`--path-param`, or
/// `--service`), else the example (an endpoint file's, or a document's, or the value the deriver
/// generated for it). A real workspace has no example values, so with `--base-url` an endpoint
/// file's parameters must each be given; a document's examples are taken, and returned apart so
/// that a 404 they may cause is tolerated ([`tolerate_unknown_examples`]).
fn path_values(
    operations: &[Suite],
    given: &BTreeMap<String, String>,
    remote: bool,
    document: bool,
) -> Result<(BTreeMap<String, String>, BTreeSet<String>), PlanError> {
    let declared: BTreeMap<&String, &String> = operations
        .iter()
        .flat_map(|o| o.contract.endpoint.path_params.iter())
        .map(|(name, p)| (name, &p.example))
        .collect();
    for name in given.keys() {
        if !declared.contains_key(name) {
            let hint = did_you_mean(name, declared.keys().map(|k| k.as_str()))
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            return Err(PlanError::Usage(format!(
                "--path-param: no path parameter `{name}`{hint} in the endpoints' templates"
            )));
        }
    }
    let mut values = BTreeMap::new();
    let mut from_document = BTreeSet::new();
    for (name, example) in declared {
        let value = match (given.get(name), remote && !document) {
            (Some(v), _) => v.clone(),
            (None, false) if !example.is_empty() => {
                if remote {
                    from_document.insert(name.clone());
                }
                example.clone()
            }
            (None, false) => {
                let source = if document { "document" } else { "contract" };
                return Err(PlanError::Usage(format!(
                    "--path-param {name}=VALUE is required: the {source} gives `{name}` no example"
                )));
            }
            (None, true) => {
                let shorthand = if name == SERVICE_ALIAS.param {
                    format!("{} ID or ", SERVICE_ALIAS.flag)
                } else {
                    String::new()
                };
                return Err(PlanError::Usage(format!(
                    "{shorthand}--path-param {name}=VALUE is required with --base-url"
                )));
            }
        };
        if let Some(problem) = segment_problem(name, &value) {
            let flag = if name == SERVICE_ALIAS.param && given.contains_key(SERVICE_ALIAS.param) {
                SERVICE_ALIAS.flag
            } else {
                "--path-param"
            };
            let flag = if given.contains_key(name) || !document {
                flag.to_string()
            } else {
                format!("the document's example of `{name}` (give --path-param {name}=VALUE)")
            };
            return Err(PlanError::Usage(format!("{flag}: {problem}")));
        }
        values.insert(name.clone(), value);
    }
    Ok((values, from_document))
}

/// Whether the embedded reference server serves every operation: each is one of the shipped
/// contract's (same method, same path template).
fn embedded_serves(operations: &[Suite]) -> Result<bool, PlanError> {
    let shipped = Operation::embedded_all()?;
    Ok(operations.iter().all(|o| {
        let e = &o.contract.endpoint;
        shipped
            .iter()
            .any(|s| s.endpoint.method == e.method && s.endpoint.path == e.path)
    }))
}

/// The error of a document run without `--base-url`, with the document's server as a hint.
fn base_url_required(server_url: Option<&str>) -> String {
    let hint = match server_url {
        Some(url) => format!("; the document's servers[0].url is {url}"),
        None => "; the document names no server (servers[0].url)".to_string(),
    };
    format!(
        "--base-url URL is required with --openapi: the embedded server serves only the shipped contract{hint}"
    )
}

pub(super) fn parse_faults(names: &[String]) -> Result<Vec<Fault>, PlanError> {
    names
        .iter()
        .map(|n| {
            n.parse::<Fault>()
                .map_err(|e| PlanError::Usage(format!("--fault: {e}")))
        })
        .collect()
}

pub(super) fn parse_variations(names: &[String]) -> Result<Vec<Variation>, PlanError> {
    names
        .iter()
        .map(|n| {
            n.parse::<Variation>()
                .map_err(|e| PlanError::Usage(format!("--variation: {e}")))
        })
        .collect()
}

impl SelftestArgs {
    /// The plan every self-test run starts from (the shipped cases against the embedded
    /// server), and the faults and variations to try: what is named, or everything.
    pub fn plan(&self) -> Result<(Plan, Subjects), PlanError> {
        check_variable_name("--token-env", &self.token_env)?;
        self.contract.check_cases().map_err(PlanError::Usage)?;
        let loaded = load_operations(&self.contract, (&[], self.token_env.as_str(), true))?;
        let operations = loaded.suites;
        let skip_checks = checked_names(&check_names(&operations), &self.skip_checks)?;
        let token = token_from_env(&self.token_env);
        if let Some(token) = &token {
            let what = format!("the token variable {} (--token-env)", self.token_env);
            credentials::check_secret(&what, &self.token_env, token)?;
        }
        let subjects = if self.fault.is_empty() && self.variation.is_empty() {
            Subjects::all()
        } else {
            Subjects {
                faults: parse_faults(&self.fault)?,
                variations: parse_variations(&self.variation)?,
            }
        };
        let plan = Plan {
            path_values: path_values(&operations, &BTreeMap::new(), false, false)?.0,
            id_sources: Vec::new(),
            operations,
            untested: loaded.untested,
            load_warnings: loaded.warnings,
            server_url: loaded.server_url,
            document: self.contract.source.openapi.clone(),
            embedded_refusal: None,
            target: TargetChoice::Embedded(server::Options::default()),
            token: Secret::new(token.unwrap_or_else(random_token)),
            token_env: self.token_env.clone(),
            credentials: loaded.credentials,
            timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
            junit: None,
            summary: None,
            known_failures: None,
            update_known_failures: None,
            created_list: None,
            rate: None,
            strict: false,
            skip_checks,
            // Fixed, so the self-test sends the same requests every time.
            seed: self.seed,
            properties: Some(PropertySettings {
                cases: self.contract.case_count().unwrap_or(256),
                ..PropertySettings::default()
            }),
            selection: Selection::default(),
            verbose: false,
            handle_signals: false,
            insecure_http: false,
        };
        Ok((plan, subjects))
    }
}

/// Every operation of the contract (`--schemas DIR` or the shipped one), narrowed to those
/// `--operation` names.
pub(super) fn load_contracts(args: &SourceArgs) -> Result<Vec<Operation>, PlanError> {
    let doc = load_document(args)?;
    let selected = load_and_select(args, &doc)?;
    Ok(doc
        .operations
        .into_iter()
        .zip(selected)
        .filter_map(|(c, s)| s.then_some(c))
        .collect())
}

/// The contract as a [`Document`]: an OpenAPI document as read, or the endpoint files (the
/// shipped ones or `--schemas DIR`), which leave nothing untested.
fn load_document(args: &SourceArgs) -> Result<Document, PlanError> {
    Ok(match (&args.openapi, &args.schemas) {
        (Some(file), _) => crate::contract::openapi::load(file)?,
        (None, Some(dir)) => Document {
            operations: Operation::load_dir(dir)?,
            ..Document::default()
        },
        (None, None) => Document {
            operations: Operation::embedded_all()?,
            ..Document::default()
        },
    })
}

/// Whether `--operation` selects each operation of the document. Naming an operation the
/// document cannot test is an error that says why.
fn load_and_select(args: &SourceArgs, doc: &Document) -> Result<Vec<bool>, PlanError> {
    let all = &doc.operations;
    if args.operation.is_empty() {
        return Ok(vec![true; all.len()]);
    }
    let names: Vec<String> = all.iter().map(|c| c.endpoint.operation.clone()).collect();
    for wanted in &args.operation {
        if let Some(u) = doc.untested.iter().find(|u| &u.operation == wanted) {
            return Err(PlanError::Usage(format!(
                "--operation: `{wanted}` ({} {}) is not tested: {} (at {})",
                u.method, u.path, u.reason, u.pointer
            )));
        }
        if !names.contains(wanted) {
            let known = names
                .iter()
                .map(String::as_str)
                .chain(doc.untested.iter().map(|u| u.operation.as_str()));
            let hint = did_you_mean(wanted, known)
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            return Err(PlanError::Usage(format!(
                "--operation: no operation `{wanted}`{hint}; the operations are: {}",
                names.join(", ")
            )));
        }
    }
    Ok(names.iter().map(|n| args.operation.contains(n)).collect())
}

/// Where shrunk property failures are saved and replayed from: `regressions/` in the cases
/// directory (`cases/` when the shipped cases are used).
fn regressions_dir(args: &ContractArgs) -> PathBuf {
    args.cases_dir()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("cases"))
        .join("regressions")
}

/// A seed for a run that names none; printed so the run can be replayed.
fn random_seed() -> u64 {
    run::random_u64()
}

/// A token for the embedded server when the environment gives none; never printed.
fn random_token() -> String {
    format!("pvt_{:016x}{:016x}", random_seed(), random_seed())
}

/// What the plan takes from the contract: the selected operations with their cases, and what
/// the document could not test.
struct Loaded {
    suites: Vec<Suite>,
    untested: Vec<Untested>,
    warnings: Vec<LoadWarning>,
    server_url: Option<String>,
    id_sources: Vec<IdSource>,
    credentials: BTreeMap<String, crate::http::Credential>,
}

/// Each selected operation with its cases ([`assemble::assemble`]): the shipped cases, or
/// `--cases DIR`, and the regression cases saved beside them; each request schema checked
/// against the body generator first. What neither the document nor the generator can test is
/// listed with why; a document with nothing left to test is refused with every reason.
/// `creds` are the `--credential` flags, the token variable, and whether the target is the
/// embedded one (which has a token of its own); each operation's security is chosen from them.
fn load_operations(
    args: &ContractArgs,
    creds: (&[(String, String)], &str, bool),
) -> Result<Loaded, PlanError> {
    let mut doc = load_document(&args.source)?;
    let mut selected = load_and_select(&args.source, &doc)?;
    let given = credentials::given(creds.0, &doc, &selected, creds.1, creds.2)?;
    let no_credential = credentials::choose(&mut doc, &mut selected, &given);
    credentials::refuse_named(&no_credential, &args.source.operation)?;
    let regressions = regressions_dir(args);
    let sources = assemble::CaseSources {
        cases_dir: args.cases_dir().map(PathBuf::as_path),
        regressions: &regressions,
    };
    let all = std::mem::take(&mut doc.operations);
    let (assembled, generator_untested) =
        assemble::assemble(all, &selected, sources, property::validate)?;
    // With `--operation`, only what is named is listed (an untested name is refused above).
    if !args.source.operation.is_empty() {
        doc.untested.clear();
    }
    doc.untested.extend(no_credential);
    let mut loaded = loaded(doc, assembled, generator_untested);
    if let Ok(l) = &mut loaded {
        l.credentials = given.credentials;
    }
    loaded.map_err(|e| match (e, &args.source.openapi) {
        // The document is what has nothing to test: the message names it.
        (PlanError::Usage(message), Some(file)) => FileError::new(file, message).into(),
        (e, _) => e,
    })
}

/// The suites of what `assemble` gave, with the document's untested operations and those the
/// generator could not build (`extra`).
fn loaded(
    doc: Document,
    assembled: Vec<assemble::Assembled>,
    extra: Vec<Untested>,
) -> Result<Loaded, PlanError> {
    let mut untested = doc.untested;
    untested.extend(extra);
    let suites: Vec<Suite> = assembled
        .into_iter()
        .map(|a| Suite {
            contract: a.operation,
            cases: a.cases.into_iter().map(std::sync::Arc::new).collect(),
            prefixed: a.prefixed,
            tolerate_404: None,
        })
        .collect();
    if suites.is_empty() {
        let reasons: Vec<String> = untested
            .iter()
            .map(crate::report::human::untested_line)
            .collect();
        return Err(PlanError::Usage(format!(
            "nothing in the contract can be tested:\n  {}",
            reasons.join("\n  ")
        )));
    }
    Ok(Loaded {
        suites,
        untested,
        warnings: doc.warnings,
        server_url: doc.server_url,
        id_sources: doc.id_sources,
        credentials: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Class;

    fn values(flags: &[&str]) -> Result<BTreeMap<String, String>, PlanError> {
        let argv = ["provisionr-conformance", "run", "--list", "--no-persist"];
        plan_from_args(argv.iter().chain(flags)).map(|p| p.path_values)
    }

    #[test]
    fn the_base_url_error_shows_the_document_s_server() {
        let with = base_url_required(Some("https://api.example.test/v1"));
        assert!(
            with.contains("servers[0].url is https://api.example.test/v1"),
            "{with}"
        );
        assert!(base_url_required(None).contains("names no server"));
    }

    fn source(operation: &[&str]) -> SourceArgs {
        SourceArgs {
            schemas: None,
            openapi: None,
            operation: operation.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_untested_operation_named_by_operation_says_why() {
        let mut doc = load_document(&source(&[])).unwrap();
        doc.untested.push(Untested {
            operation: "list_pets".into(),
            method: "GET".into(),
            path: "/pets".into(),
            pointer: "/paths/~1pets/get/security".into(),
            reason: "apiKey security is not supported".into(),
        });
        let err = load_and_select(&source(&["list_pets"]), &doc)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--operation: `list_pets` (GET /pets) is not tested: apiKey security is not supported (at /paths/~1pets/get/security)"
        );
        let err = load_and_select(&source(&["list_pet"]), &doc)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `list_pets`?"), "{err}");
        let picked = load_and_select(&source(&["create_service_access_token"]), &doc).unwrap();
        assert_eq!(picked, [true]);
    }

    #[test]
    fn nothing_to_test_is_refused_with_every_reason() {
        let doc = Document {
            untested: vec![
                Untested {
                    operation: "a".into(),
                    method: "GET".into(),
                    path: "/a".into(),
                    pointer: "/paths/~1a/get".into(),
                    reason: "one".into(),
                },
                Untested {
                    operation: "b".into(),
                    method: "GET".into(),
                    path: "/b".into(),
                    pointer: "/paths/~1b/get".into(),
                    reason: "two".into(),
                },
            ],
            ..Document::default()
        };
        let err = loaded(doc, Vec::new(), Vec::new())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("nothing in the contract can be tested"),
            "{err}"
        );
        assert!(
            err.contains("not tested: a (GET /a): one (at /paths/~1a/get)"),
            "{err}"
        );
        assert!(err.contains("not tested: b (GET /b): two"), "{err}");
    }

    #[test]
    fn a_document_s_example_path_values_tolerate_a_404_on_valid_and_invalid_cases() {
        let mut p =
            plan_from_args(["provisionr-conformance", "run", "--list", "--no-persist"]).unwrap();
        let from_doc: BTreeSet<String> = ["service".to_string()].into();
        let before = p.operations[0].cases.clone();
        tolerate_unknown_examples(&mut p.operations, &from_doc, &[], &p.path_values.clone());
        let mut seen = BTreeSet::new();
        for (case, was) in p.operations[0].cases.iter().zip(&before) {
            let tolerated = case.expect.tolerated.contains(&404);
            // A wrong method may get 404 already (no route), and some cases expect it.
            let had_404 = was.expect.statuses.contains(&404) || was.expect.tolerated.contains(&404);
            if case.class() != Class::Unspecified && !had_404 {
                // A server may look the path up before it reads the body: 404 is no error.
                assert!(tolerated, "{}", case.id);
                let why = case.expect.tolerated_why.as_deref().unwrap_or_default();
                assert!(why.contains(EXAMPLE_404_WHY), "{}: {why}", case.id);
                seen.insert(case.class());
            }
        }
        assert_eq!(seen, [Class::Valid, Class::Invalid].into());
        // Given with --path-param, nothing is tolerated.
        let mut q =
            plan_from_args(["provisionr-conformance", "run", "--list", "--no-persist"]).unwrap();
        tolerate_unknown_examples(
            &mut q.operations,
            &BTreeSet::new(),
            &[],
            &q.path_values.clone(),
        );
        assert!(q.operations[0]
            .cases
            .iter()
            .filter(|c| c.class() == Class::Valid)
            .all(|c| !c.expect.tolerated.contains(&404)));
    }

    #[test]
    fn every_valid_delete_of_a_document_tolerates_a_404_whoever_gave_its_path_value() {
        let mut p =
            plan_from_args(["provisionr-conformance", "run", "--list", "--no-persist"]).unwrap();
        let suite = &mut p.operations[0];
        let mut op = Operation::embedded().unwrap();
        op.endpoint.method = "DELETE".into();
        // A parameter marks the operation as a document's (endpoint files declare none).
        op.endpoint.params = vec![crate::contract::Param {
            name: "service".into(),
            location: crate::contract::ParamIn::Path,
            required: true,
            schema: serde_json::json!({"type": "string"}),
            style: crate::contract::Style::Simple,
            explode: false,
            example: None,
            base: None,
            pointer: String::new(),
        }];
        suite.contract = std::sync::Arc::new(op);
        tolerate_unknown_examples(&mut p.operations, &BTreeSet::new(), &[], &BTreeMap::new());
        let suite = &p.operations[0];
        assert_eq!(suite.tolerate_404.as_deref(), Some(DELETED_404_WHY));
        let valid: Vec<_> = suite
            .cases
            .iter()
            .filter(|c| c.class() == Class::Valid)
            .collect();
        assert!(!valid.is_empty());
        assert!(valid.iter().all(|c| c.expect.tolerated.contains(&404)));
    }

    #[test]
    fn service_is_the_alias_of_its_path_param() {
        let by_alias = values(&["--service", "svc_alias"]).unwrap();
        let by_param = values(&["--path-param", "service=svc_alias"]).unwrap();
        assert_eq!(by_alias, by_param);
        assert_eq!(by_alias["service"], "svc_alias");
        let err = values(&["--service", ".."]).unwrap_err().to_string();
        assert!(err.starts_with("--service: "), "{err}");
        let err = values(&["--base-url", "https://example.test/api"]).unwrap_err();
        assert!(
            err.to_string().contains("--service ID or --path-param"),
            "{err}"
        );
    }
}
