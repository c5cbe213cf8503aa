//! Command line: clap definitions, and their translation into a validated [`Plan`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::app::config;
use crate::app::selftest::Subjects;
use crate::cases;
use crate::check::Checker;
use crate::contract::Operation;
use crate::diag::{did_you_mean, FileError};
use crate::engine::known::KnownFailures;
use crate::engine::property::{self, PropertySettings};
use crate::engine::run::{self, Plan, Selection, Suite, TargetChoice};
use crate::exit;
use crate::http::{check_base_url, check_transport_security, segment_problem, Secret};
use crate::server::{self, Fault, FaultSet, ServerConfig, Variation, VariationSet};

/// Operation-conformance tests for the Provisionr Workspace API.
#[derive(Debug, Parser)]
#[command(
    name = "provisionr-conformance",
    version,
    about,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the suite against a workspace (by default, against the embedded reference server).
    Run(Box<RunArgs>),
    /// Serve the reference implementation of the endpoint, optionally with injected faults or
    /// legitimate variations.
    Serve(ServeArgs),
    /// Run the suite against the reference server with each fault planted, and score it; and
    /// with each legitimate variation, which must raise no error.
    Selftest(SelftestArgs),
    /// Compare two runs' summaries: new violations, fixed ones, those still failing. Exits 1
    /// when anything is new.
    Diff(DiffArgs),
    /// Print the contract as an OpenAPI 3.1 document, for other tools and for `run --openapi`.
    Openapi(OpenapiArgs),
}

#[derive(Debug, Args)]
pub struct OpenapiArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print YAML or JSON.
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: OpenapiFormat,
    /// Pin a path parameter to this one value (repeatable): its schema gets `enum: [VALUE]`, for
    /// tools that draw path parameters at random.
    #[arg(long = "path-param", value_name = "NAME=VALUE", value_parser = parse_path_param)]
    pub path_params: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OpenapiFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run's summary.json (e.g. the last release's).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later run's summary.json.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
}

/// Where the contract comes from, and which of its operations are tested.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Directory with the endpoint files and JSON Schemas [default: the shipped ones].
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
    /// Take the contract from this OpenAPI 3.0 or 3.1 document (YAML or JSON) instead: every
    /// operation with a JSON request body.
    #[arg(long, value_name = "FILE", conflicts_with = "schemas")]
    pub openapi: Option<PathBuf>,
    /// Test only this operation of the contract (repeatable) [default: every one].
    #[arg(long = "operation", value_name = "ID")]
    pub operation: Vec<String>,
}

/// Where the contract and the cases come from.
#[derive(Debug, Args)]
pub struct ContractArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// A directory of case files [default: the shipped ones], or a number: the generated bodies
    /// per property [default: 256]. May be given once of each.
    #[arg(long = "cases", value_name = "DIR|N", value_parser = parse_cases_arg)]
    pub cases: Vec<CasesArg>,
}

/// `--cases` takes a directory or a count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CasesArg {
    Dir(PathBuf),
    Count(u64),
}

fn parse_path_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration such as 90s, 10m or 1h30m: {e}"))?;
    if d.is_zero() {
        return Err("the duration must be more than zero".into());
    }
    Ok(d)
}

fn parse_cases_arg(s: &str) -> Result<CasesArg, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u64>() {
            Ok(0) | Err(_) => Err(format!(
                "`{s}` is not a count from 1 to {} (for a directory named so, write ./{s})",
                u64::MAX
            )),
            Ok(n) => Ok(CasesArg::Count(n)),
        };
    }
    Ok(CasesArg::Dir(PathBuf::from(s)))
}

impl ContractArgs {
    fn cases_dir(&self) -> Option<&PathBuf> {
        self.cases.iter().rev().find_map(|c| match c {
            CasesArg::Dir(d) => Some(d),
            CasesArg::Count(_) => None,
        })
    }

    fn case_count(&self) -> Option<u64> {
        self.cases.iter().rev().find_map(|c| match c {
            CasesArg::Count(n) => Some(*n),
            CasesArg::Dir(_) => None,
        })
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Take the settings of this profile of the config file (flags given here still win).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The config file with the profiles [default: provisionr-conformance.toml].
    #[arg(long, value_name = "PATH", requires = "profile")]
    pub config: Option<PathBuf>,
    /// API root of the workspace, e.g. https://wks-a1b2c3d4.provisionr.io/api/v1. Without it, the
    /// embedded reference server is started on 127.0.0.1 and tested.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Workspace service id for the {service} path parameter (required with --base-url); the
    /// same as --path-param service=ID.
    #[arg(long, value_name = "ID")]
    pub service: Option<String>,
    /// A value for a path parameter of the endpoints' templates (repeatable), e.g.
    /// --path-param service=svc_01hq8xyz; required with --base-url for each parameter.
    #[arg(long = "path-param", value_name = "NAME=VALUE", value_parser = parse_path_param)]
    pub path_params: Vec<(String, String)>,
    /// Environment variable that holds the bearer token (never passed as a flag).
    #[arg(long, value_name = "VAR", default_value = "PROVISIONR_TOKEN")]
    pub token_env: String,
    /// Where to write the JUnit report.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_JUNIT)]
    pub junit: PathBuf,
    #[command(flatten)]
    pub contract: ContractArgs,
    /// Treat warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Turn off a check by name (repeatable), e.g. --skip-check allow_header.
    #[arg(long = "skip-check", value_name = "CHECK")]
    pub skip_checks: Vec<String>,
    /// At most N requests per second, for shared staging servers [default: no limit].
    #[arg(long, value_name = "N")]
    pub rate: Option<u32>,
    /// Where to write the summary for machines (verdict, counts, every violation).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_SUMMARY)]
    pub summary: PathBuf,
    /// Violations accepted on purpose until a date (TOML: case, check, reason, link, expires);
    /// they are shown but do not fail the run until they expire.
    #[arg(long, value_name = "FILE")]
    pub known_failures: Option<PathBuf>,
    /// Rewrite the --known-failures file with this run's failures, keeping the reasons and
    /// dates of entries that still match.
    #[arg(long)]
    pub update_known_failures: bool,
    /// Write the ids of what the run created (tokens), one per line, for clean-up.
    #[arg(long, value_name = "PATH")]
    pub created: Option<PathBuf>,
    /// Seed for generated bodies [default: random, printed]; the same seed sends the same bodies.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Keep drawing generated bodies until this much time has passed since the run started
    /// (e.g. 90s, 10m, 1h30m); with --cases N, whichever comes first.
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Requests of one property in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// Do not save shrunk property failures as regression cases (for CI runs on a read-only tree).
    #[arg(long)]
    pub no_persist: bool,
    /// Per-request timeout, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// The longest wait a 429 or 503 with Retry-After is given before its one retry, in
    /// seconds; a longer one leaves the case not tested.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub max_wait: u64,
    /// Accept sending the token over plain http:// to a host other than this machine (it then
    /// crosses the network in clear; the output and the report say so).
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// List the cases, grouped by kind, without running them.
    #[arg(long)]
    pub list: bool,
    /// Match FILTER exactly rather than as a substring.
    #[arg(long)]
    pub exact: bool,
    /// Skip cases whose id contains PATTERN (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    /// Number of tests run at once [default: 8; tests wait on the server, not on a CPU].
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,
    /// One character per case instead of one line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Run only cases whose id contains FILTER.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// A service id the server knows (repeatable) [default: the endpoint file's example].
    #[arg(long, value_name = "ID")]
    pub service: Vec<String>,
    /// Environment variable that holds the token the server accepts.
    #[arg(long, value_name = "VAR", default_value = "PROVISIONR_TOKEN")]
    pub token_env: String,
    /// Switch on a named fault (repeatable); see --list-faults.
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<String>,
    /// Switch on a legitimate variation, something a correct server may do differently
    /// (repeatable); see --list-variations.
    #[arg(long, value_name = "NAME")]
    pub variation: Vec<String>,
    /// Refuse an expires_at in the past with 422 (the page allows either answer).
    #[arg(long)]
    pub reject_past_expiry: bool,
    /// Print the fault catalog and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Print the catalog of legitimate variations and exit.
    #[arg(long)]
    pub list_variations: bool,
}

#[derive(Debug, Args)]
pub struct SelftestArgs {
    #[command(flatten)]
    pub contract: ContractArgs,
    /// Seed for generated bodies; fixed by default, so every self-test sends the same requests.
    #[arg(long, value_name = "S", default_value_t = SELFTEST_SEED)]
    pub seed: u64,
    /// Plant only these faults (repeatable); with --fault or --variation, only what is named
    /// runs [default: every fault and every variation].
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<String>,
    /// Try only these legitimate variations (repeatable), which must raise no error.
    #[arg(long, value_name = "NAME")]
    pub variation: Vec<String>,
    /// Turn off a check by name (repeatable), to see which faults then go unnoticed.
    #[arg(long = "skip-check", value_name = "CHECK")]
    pub skip_checks: Vec<String>,
    /// Where to write the JSON report.
    #[arg(long, value_name = "PATH", default_value = "reports/selftest.json")]
    pub json: PathBuf,
    /// Environment variable whose token the reference server is given [default: a random one
    /// when it is not set].
    #[arg(long, value_name = "VAR", default_value = "PROVISIONR_TOKEN")]
    pub token_env: String,
}

/// Why a plan could not be built: exit code 2 either way.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    Usage(String),
}

/// Parses the process arguments, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                return exit::SUCCESS;
            }
            // A `run` whose flags do not parse still replaces its report, so CI never reads an
            // old green one.
            let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
            if let Some(junit) = run_junit_path(&argv) {
                write_setup_report(&junit, &e.render().to_string());
            }
            return exit::USAGE;
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return exit::USAGE;
        }
    };
    match cli.command {
        Command::Run(mut args) => {
            let given = matches.subcommand_matches("run");
            if let Err(e) = given.map_or(Ok(()), |m| args.apply_profile(m)) {
                eprintln!("error: {e}");
                write_setup_report(&args.junit, &e.to_string());
                return exit::USAGE;
            }
            run_command(*args)
        }
        Command::Serve(args) => serve_command(args),
        Command::Selftest(args) => selftest_command(args),
        Command::Diff(args) => diff_command(&args),
        Command::Openapi(args) => openapi_command(&args),
    }
}

fn openapi_command(args: &OpenapiArgs) -> i32 {
    let contracts = match load_contracts(&args.source) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let pin: BTreeMap<String, String> = args.path_params.iter().cloned().collect();
    for name in pin.keys() {
        if !contracts
            .iter()
            .any(|c| c.endpoint.path_params.contains_key(name))
        {
            eprintln!("error: --path-param: no path template has a parameter `{name}`");
            return exit::USAGE;
        }
    }
    let refs: Vec<&Operation> = contracts.iter().collect();
    let doc = crate::contract::openapi::document(&refs, &pin);
    let text = match args.format {
        OpenapiFormat::Yaml => crate::contract::openapi::to_yaml(&doc),
        OpenapiFormat::Json => format!("{doc:#}\n"),
    };
    print!("{text}");
    exit::SUCCESS
}

fn diff_command(args: &DiffArgs) -> i32 {
    use crate::report::diff;
    let loaded = diff::load(&args.old).and_then(|old| Ok((old, diff::load(&args.new)?)));
    match loaded {
        Ok((old, new)) => {
            let d = diff::compare(&old, &new);
            println!("{}", d.render());
            d.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
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

/// Where a `run` command line that did not parse wanted its JUnit report: the value of the
/// last `--junit`, or the default. `None` when it is not a `run`, or `--junit` lacks a value.
pub fn run_junit_path(argv: &[std::ffi::OsString]) -> Option<PathBuf> {
    let args: Vec<&std::ffi::OsStr> = argv.iter().skip(1).map(|a| a.as_os_str()).collect();
    let run = args.iter().position(|a| *a == "run")?;
    if args[..run]
        .iter()
        .any(|a| !a.to_string_lossy().starts_with('-'))
    {
        return None;
    }
    let mut path = Some(PathBuf::from(DEFAULT_JUNIT));
    let mut rest = args[run + 1..].iter();
    while let Some(a) = rest.next() {
        if *a == "--" {
            break;
        }
        if *a == "--junit" {
            path = rest.next().map(PathBuf::from);
        } else if let Some(v) = a.to_str().and_then(|a| a.strip_prefix("--junit=")) {
            path = Some(PathBuf::from(v));
        }
    }
    path.filter(|p| !p.as_os_str().is_empty())
}

/// The JUnit report's default path.
pub const DEFAULT_JUNIT: &str = "reports/junit.xml";

/// The summary's default path.
pub const DEFAULT_SUMMARY: &str = "reports/summary.json";

/// CI's test view should show why nothing ran, so a run that cannot start still writes its report.
fn write_setup_report(junit: &Path, message: &str) {
    let xml = crate::report::junit::render_setup_error(message);
    if let Err(w) = crate::report::write_file(junit, &xml) {
        eprintln!(
            "error: cannot write the JUnit report to {}: {w}",
            junit.display()
        );
    }
}

fn run_command(args: RunArgs) -> i32 {
    let junit = args.junit.clone();
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            write_setup_report(&junit, &e.to_string());
            return exit::USAGE;
        }
    };
    match run::run(plan) {
        Ok(outcome) => outcome.exit_code,
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                // Found before anything was sent: the command line or the paths are wrong.
                run::RunError::Target(_)
                | run::RunError::ReportPath { .. }
                | run::RunError::Executor(_) => {
                    write_setup_report(&junit, &e.to_string());
                    exit::USAGE
                }
                _ => exit::UNREACHABLE,
            }
        }
    }
}

impl RunArgs {
    /// Fills every setting the command line left out from `--profile`'s table in the config
    /// file: flags override the profile, and the profile overrides the defaults.
    pub fn apply_profile(&mut self, given: &clap::ArgMatches) -> Result<(), PlanError> {
        let Some(name) = self.profile.clone() else {
            return Ok(());
        };
        let loaded = config::load(self.config.as_deref(), &name)?;
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
        take!("rate", self.rate, p.rate.map(Some));
        take!("seed", self.seed, p.seed.map(Some));
        take!("concurrency", self.concurrency, p.concurrency);
        take!("timeout", self.timeout, p.timeout);
        take!("max_wait", self.max_wait, p.max_wait);
        take!("test_threads", self.test_threads, p.test_threads.map(Some));
        take!("strict", self.strict, p.strict);
        take!("no_persist", self.no_persist, p.no_persist);
        take!(
            "allow_insecure_http",
            self.allow_insecure_http,
            p.allow_insecure_http
        );
        take!(
            "skip_checks",
            self.skip_checks,
            p.skip_checks
                .as_ref()
                .map(|l| l.iter().map(|s| s.get_ref().clone()).collect())
        );
        if let (false, Some(d)) = (from_cli("duration"), &p.duration) {
            let parsed = parse_duration(d.get_ref()).map_err(|e| loaded.error_at(&d.span(), e))?;
            self.duration = Some(parsed);
        }
        if self.contract.case_count().is_none() {
            self.contract.cases.extend(p.cases.map(CasesArg::Count));
        }
        if let (None, Some(dir)) = (self.contract.cases_dir(), path(&p.cases_dir)) {
            self.contract.cases.push(CasesArg::Dir(dir));
        }
        Ok(())
    }

    /// Validates the flags and loads everything the run needs, before any request is sent.
    pub fn plan(&self) -> Result<Plan, PlanError> {
        let operations = load_operations(&self.contract)?;
        let skip_checks = checked_names(&operations, &self.skip_checks)?;
        self.check_counts()?;
        check_token_env(&self.token_env)?;
        let given = self.given_path_values();
        let path_values = path_values(&operations, &given, self.base_url.is_some())?;
        let (target, token, insecure_http) = self.target_and_token()?;
        Ok(Plan {
            operations,
            target,
            token: Secret::new(token),
            token_env: self.token_env.clone(),
            path_values,
            timeout: Duration::from_secs(self.timeout),
            max_wait: Duration::from_secs(self.max_wait),
            junit: Some(self.junit.clone()),
            summary: Some(self.summary.clone()),
            known_failures: self.known_failures()?,
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
    fn known_failures(&self) -> Result<Option<KnownFailures>, PlanError> {
        if self.update_known_failures && self.known_failures.is_none() {
            return Err(PlanError::Usage(
                "--update-known-failures needs --known-failures FILE (or `known_failures` in the profile)".into(),
            ));
        }
        match &self.known_failures {
            Some(path) if self.update_known_failures && !path.exists() => Ok(None),
            Some(path) => Ok(Some(KnownFailures::load(path)?)),
            None => Ok(None),
        }
    }

    /// The path values the command line gives: `--path-param`, and `--service` as its shorthand.
    fn given_path_values(&self) -> BTreeMap<String, String> {
        let mut given: BTreeMap<String, String> = self.path_params.iter().cloned().collect();
        if let Some(service) = &self.service {
            given.insert("service".into(), service.clone());
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
    fn target_and_token(&self) -> Result<(TargetChoice, String, bool), PlanError> {
        let token_value = token_from_env(&self.token_env);
        let Some(url) = &self.base_url else {
            let embedded = TargetChoice::Embedded(server::Options::default());
            return Ok((embedded, token_value.unwrap_or_else(random_token), false));
        };
        let usage = |e: crate::http::TargetError| PlanError::Usage(e.to_string());
        let parsed = check_base_url(url).map_err(usage)?;
        let insecure = check_transport_security(&parsed).is_err();
        if insecure && !self.allow_insecure_http {
            check_transport_security(&parsed).map_err(usage)?;
        }
        let token = token_value.ok_or_else(|| {
            PlanError::Usage(format!(
                "the token is read from the environment variable {0}, which is not set; \
                 export {0}=<token> (it is never taken from a flag)",
                self.token_env
            ))
        })?;
        let remote = TargetChoice::Remote {
            base_url: url.clone(),
        };
        Ok((remote, token, insecure))
    }
}

/// The token from the environment, without surrounding whitespace: a token read from a file
/// often ends in a newline, and HTTP strips the spaces around a header value anyway.
fn token_from_env(var: &str) -> Option<String> {
    std::env::var(var)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The token's variable must be a plain shell name: reproduction commands print it as `${VAR}`
/// inside double quotes.
fn check_token_env(name: &str) -> Result<(), PlanError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PlanError::Usage(format!(
            "--token-env `{name}` is not a variable name (letters, digits and `_`, not starting with a digit)"
        )))
    }
}

/// The `--skip-check` names, each one a check some operation has.
fn checked_names(operations: &[Suite], names: &[String]) -> Result<BTreeSet<String>, PlanError> {
    let known: BTreeSet<String> = operations
        .iter()
        .flat_map(|o| Checker::all_names(&o.contract))
        .collect();
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

/// A value for every path parameter of every operation: the one given (`--path-param`, or
/// `--service`), else the endpoint file's example. A real workspace has no example values, so
/// with `--base-url` each must be given.
fn path_values(
    operations: &[Suite],
    given: &BTreeMap<String, String>,
    remote: bool,
) -> Result<BTreeMap<String, String>, PlanError> {
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
    for (name, example) in declared {
        let value = match (given.get(name), remote) {
            (Some(v), _) => v.clone(),
            (None, false) if !example.is_empty() => example.clone(),
            (None, false) => {
                return Err(PlanError::Usage(format!(
                    "--path-param {name}=VALUE is required: the contract gives `{name}` no example"
                )))
            }
            (None, true) => {
                let shorthand = if name == "service" {
                    "--service ID or "
                } else {
                    ""
                };
                return Err(PlanError::Usage(format!(
                    "{shorthand}--path-param {name}=VALUE is required with --base-url"
                )));
            }
        };
        if let Some(problem) = segment_problem(name, &value) {
            let flag = if name == "service" && given.contains_key("service") {
                "--service"
            } else {
                "--path-param"
            };
            return Err(PlanError::Usage(format!("{flag}: {problem}")));
        }
        values.insert(name.clone(), value);
    }
    Ok(values)
}

fn parse_faults(names: &[String]) -> Result<Vec<Fault>, PlanError> {
    names
        .iter()
        .map(|n| {
            n.parse::<Fault>()
                .map_err(|e| PlanError::Usage(format!("--fault: {e}")))
        })
        .collect()
}

fn parse_variations(names: &[String]) -> Result<Vec<Variation>, PlanError> {
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
        let operations = load_operations(&self.contract)?;
        let skip_checks = checked_names(&operations, &self.skip_checks)?;
        check_token_env(&self.token_env)?;
        let subjects = if self.fault.is_empty() && self.variation.is_empty() {
            Subjects::all()
        } else {
            Subjects {
                faults: parse_faults(&self.fault)?,
                variations: parse_variations(&self.variation)?,
            }
        };
        let plan = Plan {
            path_values: path_values(&operations, &BTreeMap::new(), false)?,
            operations,
            target: TargetChoice::Embedded(server::Options::default()),
            token: Secret::new(token_from_env(&self.token_env).unwrap_or_else(random_token)),
            token_env: self.token_env.clone(),
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

/// The self-test's default seed.
pub const SELFTEST_SEED: u64 = 20_261_128;

fn selftest_command(args: SelftestArgs) -> i32 {
    let (plan, subjects) = match args.plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let report = match crate::app::selftest::selftest(&plan, &subjects) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::UNREACHABLE;
        }
    };
    print!("{}", crate::app::selftest::render_table(&report));
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    if let Err(e) = crate::report::write_file(&args.json, &json) {
        eprintln!("error: cannot write {}: {e}", args.json.display());
        return exit::USAGE;
    }
    println!("report: {}", args.json.display());
    report.exit_code()
}

/// Every operation of the contract (`--schemas DIR` or the shipped one), narrowed to those
/// `--operation` names.
fn load_contracts(args: &SourceArgs) -> Result<Vec<Operation>, PlanError> {
    let (all, selected) = load_and_select(args)?;
    Ok(all
        .into_iter()
        .zip(selected)
        .filter_map(|(c, s)| s.then_some(c))
        .collect())
}

/// Every operation of the contract, and whether `--operation` selects each.
fn load_and_select(args: &SourceArgs) -> Result<(Vec<Operation>, Vec<bool>), PlanError> {
    let all = match (&args.openapi, &args.schemas) {
        (Some(file), _) => crate::contract::openapi::load(file)?,
        (None, Some(dir)) => Operation::load_dir(dir)?,
        (None, None) => Operation::embedded_all()?,
    };
    if args.operation.is_empty() {
        let selected = vec![true; all.len()];
        return Ok((all, selected));
    }
    let names: Vec<String> = all.iter().map(|c| c.endpoint.operation.clone()).collect();
    for wanted in &args.operation {
        if !names.contains(wanted) {
            let hint = did_you_mean(wanted, names.iter().map(String::as_str))
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            return Err(PlanError::Usage(format!(
                "--operation: no operation `{wanted}`{hint}; the operations are: {}",
                names.join(", ")
            )));
        }
    }
    let selected = names.iter().map(|n| args.operation.contains(n)).collect();
    Ok((all, selected))
}

/// Where shrunk property failures are saved and replayed from: `regressions/` in the cases
/// directory (`cases/` when the shipped cases are used).
fn regressions_dir(args: &ContractArgs) -> PathBuf {
    args.cases_dir()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("cases"))
        .join("regressions")
}

/// Each selected operation with its cases: regression cases first, then case files, then the
/// cases derived from its request schema. Case files are read against every operation of the
/// contract (one for an operation left out by `--operation` is no error), and when the
/// contract has several, each case id is prefixed with its operation, whichever are selected,
/// so ids stay the same in a narrowed run. Ids must be unique.
fn load_operations(args: &ContractArgs) -> Result<Vec<Suite>, PlanError> {
    let (all, selected) = load_and_select(&args.source)?;
    let several = all.len() > 1;
    let contracts: Vec<Arc<Operation>> = all.into_iter().map(Arc::new).collect();
    let refs: Vec<&Operation> = contracts.iter().map(Arc::as_ref).collect();
    let mut by_op: Vec<Vec<cases::Case>> = vec![Vec::new(); contracts.len()];
    let regressions = regressions_dir(args);
    let mut files = if regressions.is_dir() {
        let mut saved = cases::file::load_dir(&regressions, &refs)?;
        // Saved from generated bodies, possibly by an older version: they get today's rules for
        // generated cases (a number beyond 2^53 unspecified, a lenient date-time tolerated).
        for (op, case) in &mut saved {
            case.settle(&contracts[*op]);
        }
        saved
    } else {
        Vec::new()
    };
    files.extend(match args.cases_dir() {
        Some(dir) => cases::file::load_dir(dir, &refs)?,
        None => shipped_cases(&refs)?,
    });
    for (op, case) in files {
        by_op[op].push(case);
    }
    for ((contract, cases), _) in contracts
        .iter()
        .zip(by_op.iter_mut())
        .zip(&selected)
        .filter(|(_, s)| **s)
    {
        // Checked before deriving: a schema the generator refuses stops the run at once.
        property::validate(&contract.request_schema).map_err(|e| {
            let file = contract.request_schema_path.clone();
            PlanError::File(FileError::new(
                file,
                format!("cannot generate bodies from the request schema: {e}"),
            ))
        })?;
        cases.extend(cases::derive::derive(contract));
    }
    let operations: Vec<Suite> = contracts
        .into_iter()
        .zip(by_op)
        .zip(selected)
        .filter(|(_, s)| *s)
        .map(|((contract, mut cases), _)| {
            if several {
                for c in &mut cases {
                    c.id = format!("{}::{}", contract.endpoint.operation, c.id);
                }
            }
            Suite {
                contract,
                cases,
                prefixed: several,
            }
        })
        .collect();
    check_unique_ids(args, &operations)?;
    Ok(operations)
}

/// The shipped case files, for the operation the shipped contract describes, if it is tested.
fn shipped_cases(contracts: &[&Operation]) -> Result<Vec<(usize, cases::Case)>, PlanError> {
    let shipped = Operation::embedded()?.endpoint.operation;
    let Some(op) = contracts
        .iter()
        .position(|c| c.endpoint.operation == shipped)
    else {
        return Ok(Vec::new());
    };
    Ok(cases::file::load_embedded(&[contracts[op]])?
        .into_iter()
        .map(|(_, case)| (op, case))
        .collect())
}

fn check_unique_ids(args: &ContractArgs, operations: &[Suite]) -> Result<(), PlanError> {
    let mut seen: BTreeMap<&str, &cases::Case> = BTreeMap::new();
    for c in operations.iter().flat_map(|o| o.cases.iter()) {
        if let Some(first) = seen.insert(&c.id, c) {
            let where_ = |c: &cases::Case| match &c.origin {
                cases::Origin::File(p) => p.clone(),
                cases::Origin::Derived => "derived from the request schema".into(),
            };
            let path = match &c.origin {
                cases::Origin::File(p) => PathBuf::from(p),
                cases::Origin::Derived => args
                    .cases_dir()
                    .cloned()
                    .unwrap_or_else(|| Path::new("cases").into()),
            };
            return Err(
                FileError::new(path, format!("duplicate case id `{}`", c.id))
                    .help(format!(
                        "the id is also used by {}; set a distinct `id`",
                        where_(first)
                    ))
                    .into(),
            );
        }
    }
    Ok(())
}

/// A seed for a run that names none; printed so the run can be replayed.
fn random_seed() -> u64 {
    run::random_u64()
}

/// A token for the embedded server when the environment gives none; never printed.
fn random_token() -> String {
    format!("pvt_{:016x}{:016x}", random_seed(), random_seed())
}

fn serve_command(args: ServeArgs) -> i32 {
    if args.list_faults {
        for f in Fault::ALL {
            println!("{:<28} {:<14} {}", f.name(), f.category(), f.description());
        }
        return exit::SUCCESS;
    }
    if args.list_variations {
        for v in Variation::ALL {
            println!(
                "{:<28} {}\n{:<28} why: {}",
                v.name(),
                v.description(),
                "",
                v.why()
            );
        }
        return exit::SUCCESS;
    }
    let (faults, variations) = match (parse_faults(&args.fault), parse_variations(&args.variation))
    {
        (Ok(f), Ok(v)) => (f, v),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let contract = match Operation::embedded() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let Some(token) = token_from_env(&args.token_env) else {
        eprintln!(
            "error: the server's token is read from the environment variable {0}, which is not set; \
             export {0}=<token>",
            args.token_env
        );
        return exit::USAGE;
    };
    let services = if args.service.is_empty() {
        contract
            .endpoint
            .path_params
            .values()
            .map(|p| p.example.clone())
            .collect()
    } else {
        args.service.clone()
    };
    let config = ServerConfig {
        token,
        services: services.clone(),
        faults: FaultSet::with(faults.iter().copied()),
        variations: VariationSet::with(variations.iter().copied()),
        reject_past_expiry: args.reject_past_expiry,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::UNREACHABLE;
        }
    };
    runtime.block_on(async {
        let running = match server::spawn(args.addr, config).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", args.addr);
                return exit::USAGE;
            }
        };
        let listed = |names: Vec<&str>| {
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        println!(
            "listening on {} (services: {}; token from ${}; faults: {}; variations: {})",
            running.base_url(),
            services.join(", "),
            args.token_env,
            listed(faults.iter().map(|f| f.name()).collect()),
            listed(variations.iter().map(|v| v.name()).collect()),
        );
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown().await;
        exit::SUCCESS
    })
}
