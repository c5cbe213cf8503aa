//! The command line's clap definitions, and nothing else: what the flags are, their help and
//! their defaults. [`super::profile`] fills them from a profile, [`super::plan`] turns them into
//! a validated [`Plan`](crate::engine::run::Plan), and [`super::commands`] runs them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

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
    /// operation, those it cannot test listed with why; needs --base-url.
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
    /// per property, at most 1000000 [default: 256]. May be given once of each.
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

fn parse_credential(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((scheme, var)) if !scheme.is_empty() && !var.is_empty() => {
            Ok((scheme.to_string(), var.to_string()))
        }
        _ => Err(format!(
            "`{s}` is not SCHEME=ENV_VAR (the credential itself is never a flag: export it in a variable and name the variable)"
        )),
    }
}

/// The most requests of one property in flight at once: more would hold more connections
/// than a run can use.
pub const MAX_CONCURRENCY: usize = 1024;

/// The most tests run at once: each is a thread of its own.
pub const MAX_TEST_THREADS: usize = 1024;

fn parse_concurrency(s: &str) -> Result<usize, String> {
    count_up_to(
        s.parse().map_err(|_| format!("`{s}` is not a count"))?,
        MAX_CONCURRENCY,
    )
}

fn parse_test_threads(s: &str) -> Result<usize, String> {
    count_up_to(
        s.parse().map_err(|_| format!("`{s}` is not a count"))?,
        MAX_TEST_THREADS,
    )
}

/// `n`, when it is from 1 to `max`: for the flags and the profile's keys alike.
pub(super) fn count_up_to(n: usize, max: usize) -> Result<usize, String> {
    if (1..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("`{n}` is not a count from 1 to {max}"))
    }
}
/// The duration forms `--duration` and a profile's `duration` take: whole numbers each with a
/// unit, run together (`90s`, `10m`, `1h30m`, `500ms`).
pub const DURATION_FORMS: &str =
    "a whole number and a unit (ms, s, m, h), or several run together: 500ms, 90s, 10m, 1h30m";

pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration: write {DURATION_FORMS}");
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let units = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let (number, unit) = (&rest[..digits], &rest[digits..digits + units]);
        let millis_per: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        let part = n
            .checked_mul(millis_per)
            .map(Duration::from_millis)
            .ok_or_else(|| format!("`{s}` is longer than any run"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("`{s}` is longer than any run"))?;
        rest = &rest[digits + units..];
    }
    if total.is_zero() {
        return Err("the duration must be more than zero".into());
    }
    Ok(total)
}

/// The most generated bodies per property a run takes: each is a request, and what a valid
/// one creates stays listed until the run ends. A longer run is `--duration`'s to bound.
pub const MAX_CASES: u64 = 1_000_000;

fn parse_cases_arg(s: &str) -> Result<CasesArg, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u64>() {
            Ok(n @ 1..=MAX_CASES) => Ok(CasesArg::Count(n)),
            _ => Err(format!(
                "`{s}` is not a count from 1 to {MAX_CASES} (for a longer run, give --duration; \
                 for a directory named so, write ./{s})"
            )),
        };
    }
    Ok(CasesArg::Dir(PathBuf::from(s)))
}

impl ContractArgs {
    /// `--cases` given at most once as a count and once as a directory, as a second `--seed`
    /// is refused: which of two the run would take is not for it to guess.
    pub(super) fn check_cases(&self) -> Result<(), String> {
        let counts: Vec<String> = self
            .cases
            .iter()
            .filter_map(|c| match c {
                CasesArg::Count(n) => Some(n.to_string()),
                CasesArg::Dir(_) => None,
            })
            .collect();
        let dirs: Vec<String> = self
            .cases
            .iter()
            .filter_map(|c| match c {
                CasesArg::Dir(d) => Some(d.display().to_string()),
                CasesArg::Count(_) => None,
            })
            .collect();
        for (list, what) in [(counts, "counts"), (dirs, "directories")] {
            if list.len() > 1 {
                return Err(format!(
                    "--cases is given {} {what} ({}): give one count and at most one directory",
                    list.len(),
                    list.join(", ")
                ));
            }
        }
        Ok(())
    }

    pub(super) fn cases_dir(&self) -> Option<&PathBuf> {
        self.cases.iter().rev().find_map(|c| match c {
            CasesArg::Dir(d) => Some(d),
            CasesArg::Count(_) => None,
        })
    }

    pub(super) fn case_count(&self) -> Option<u64> {
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
    /// embedded reference server is started on 127.0.0.1 and tested (the shipped contract
    /// only: an OpenAPI document needs it).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Workspace service id for the {service} path parameter (required with --base-url); the
    /// same as --path-param service=ID.
    #[arg(long, value_name = "ID")]
    pub service: Option<String>,
    /// A value for a path parameter of the endpoints' templates (repeatable), e.g.
    /// --path-param service=svc_01hq8xyz; required with --base-url for each parameter of an
    /// endpoint file (a document's example is taken otherwise).
    #[arg(long = "path-param", value_name = "NAME=VALUE", value_parser = parse_path_param)]
    pub path_params: Vec<(String, String)>,
    /// Environment variable that holds the bearer token (never passed as a flag).
    #[arg(long, value_name = "VAR", default_value = "PROVISIONR_TOKEN")]
    pub token_env: String,
    /// The environment variable that holds a security scheme's credential (repeatable), e.g.
    /// --credential api_key=PETSTORE_KEY; HTTP basic's holds `user:password`. A bearer-like
    /// scheme (bearer, OAuth2, OpenID Connect) without one sends the token of --token-env.
    #[arg(long = "credential", value_name = "SCHEME=ENV_VAR", value_parser = parse_credential)]
    pub credentials: Vec<(String, String)>,
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
    /// (a whole number and a unit: ms, s, m, h, or several run together: 90s, 10m, 1h30m);
    /// with --cases N, whichever comes first.
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Requests of one property in flight at once (at most 1024).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = parse_concurrency)]
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
    /// Number of tests run at once, at most 1024 [default: 8; tests wait on the server, not on
    /// a CPU].
    #[arg(long, value_name = "N", value_parser = parse_test_threads)]
    pub test_threads: Option<usize>,
    /// One character per case instead of one line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Run only cases whose id contains FILTER.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Where the profile named each `skip_checks` name, for a message about a wrong one.
    #[arg(skip)]
    pub skip_check_places: Vec<(String, crate::diag::FileError)>,
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

/// The JUnit report's default path.
pub const DEFAULT_JUNIT: &str = "reports/junit.xml";

/// The summary's default path.
pub const DEFAULT_SUMMARY: &str = "reports/summary.json";

/// The self-test's default seed.
pub const SELFTEST_SEED: u64 = 20_261_128;
