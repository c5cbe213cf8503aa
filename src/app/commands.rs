//! The commands: `run`, `serve`, `selftest`, `diff` and `openapi`, each from its parsed flags to
//! an exit code; and where the binary prints an error, with its chain of causes.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches};

use super::cli::{
    Cli, Command, DiffArgs, OpenapiArgs, OpenapiFormat, RunArgs, SelftestArgs, ServeArgs,
    DEFAULT_JUNIT, DEFAULT_SUMMARY,
};
use super::plan::{load_contracts, parse_faults, parse_variations, token_from_env};
use crate::contract::Operation;
use crate::exit;
use crate::redact::Redactor;
use crate::server::{self, Fault, FaultSet, ServerConfig, Variation, VariationSet};

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
                let redactor = env_redactor([DEFAULT_TOKEN_ENV]);
                let summary = run_report_path(&argv, "--summary", DEFAULT_SUMMARY);
                write_setup_report(
                    &junit,
                    summary.as_deref(),
                    &e.render().to_string(),
                    &redactor,
                );
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
                // The flags' secrets: a profile value may have expanded one of them.
                let redactor = run_redactor(&args);
                print_error_redacted(&e, &redactor);
                write_setup_report(&args.junit, Some(&args.summary), &e.to_string(), &redactor);
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
            print_error(&e);
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
    // A summary holds what a server answered: redacted like `run`'s output.
    let redactor = env_redactor([DEFAULT_TOKEN_ENV]);
    match loaded {
        Ok((old, new)) => {
            let d = diff::compare(&old, &new);
            println!("{}", d.render(&redactor));
            d.exit_code()
        }
        Err(e) => {
            print_error_redacted(&e, &redactor);
            exit::USAGE
        }
    }
}

/// Where a `run` command line that did not parse wanted its JUnit report: the value of the
/// last `--junit`, or the default. `None` when it is not a `run`, or `--junit` lacks a value.
pub fn run_junit_path(argv: &[std::ffi::OsString]) -> Option<PathBuf> {
    run_report_path(argv, "--junit", DEFAULT_JUNIT)
}

/// The value of a `run` command line's last `flag` (a report path), or `default`.
fn run_report_path(argv: &[std::ffi::OsString], flag: &str, default: &str) -> Option<PathBuf> {
    let args: Vec<&std::ffi::OsStr> = argv.iter().skip(1).map(|a| a.as_os_str()).collect();
    let run = args.iter().position(|a| *a == "run")?;
    if args[..run]
        .iter()
        .any(|a| !a.to_string_lossy().starts_with('-'))
    {
        return None;
    }
    let mut path = Some(PathBuf::from(default));
    let with_value = format!("{flag}=");
    let mut rest = args[run + 1..].iter();
    while let Some(a) = rest.next() {
        if *a == "--" {
            break;
        }
        if *a == flag {
            path = rest.next().map(PathBuf::from);
        } else if let Some(v) = a.to_str().and_then(|a| a.strip_prefix(with_value.as_str())) {
            path = Some(PathBuf::from(v));
        }
    }
    path.filter(|p| !p.as_os_str().is_empty())
}

/// CI's test view should show why nothing ran, so a run that cannot start still writes its
/// report; and removes an earlier run's summary, which no one should read as this run's.
fn write_setup_report(junit: &Path, summary: Option<&Path>, message: &str, redactor: &Redactor) {
    if let Some(path) = summary {
        if let Err(e) = crate::report::write::remove_summary(path) {
            let shown = redactor.apply(&format!("error: cannot remove {}: {e}", path.display()));
            print_error_as(shown, &e);
        }
    }
    let xml = crate::report::junit::render_setup_error(&redactor.apply(message));
    if let Err(w) = crate::diag::write_atomic(junit, xml.as_bytes()) {
        let top = format!(
            "error: cannot write the JUnit report to {}: {w}",
            junit.display()
        );
        eprintln!("{}", redactor.for_terminal(&error_chain(top, &w)));
    }
}

fn run_command(args: RunArgs) -> i32 {
    let (junit, summary) = (args.junit.clone(), args.summary.clone());
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => {
            let redactor = run_redactor(&args);
            print_error_redacted(&e, &redactor);
            write_setup_report(&junit, Some(&summary), &e.to_string(), &redactor);
            return exit::USAGE;
        }
    };
    let redactor = plan.redactor();
    if let Some(warning) = redactor.short_warning() {
        eprintln!("{warning}");
    }
    match crate::report::write::run_and_write(plan) {
        Ok(outcome) => outcome.exit_code,
        Err(e) => {
            print_error_redacted(&e, &redactor);
            // Found before anything was sent: the command line or the paths are wrong.
            if e.before_sending() {
                write_setup_report(&junit, Some(&summary), &e.to_string(), &redactor);
                exit::USAGE
            } else {
                if e.stopped_at_setup() {
                    write_setup_report(&junit, Some(&summary), &e.to_string(), &redactor);
                }
                exit::UNREACHABLE
            }
        }
    }
}

fn selftest_command(args: SelftestArgs) -> i32 {
    let (plan, subjects) = match args.plan() {
        Ok(p) => p,
        Err(e) => {
            print_error(&e);
            return exit::USAGE;
        }
    };
    let report = match crate::app::selftest::selftest(&plan, &subjects) {
        Ok(r) => r,
        Err(e) => {
            print_error(&e);
            return exit::UNREACHABLE;
        }
    };
    print!("{}", crate::app::selftest::render_table(&report));
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    if let Err(e) = crate::diag::write_atomic(&args.json, json.as_bytes()) {
        print_error_as(
            format!("error: cannot write {}: {e}", args.json.display()),
            &e,
        );
        return exit::USAGE;
    }
    println!("report: {}", args.json.display());
    report.exit_code()
}

fn serve_command(args: ServeArgs) -> i32 {
    if args.list_faults || args.list_variations {
        print_catalog(&args);
        return exit::SUCCESS;
    }
    let (config, faults, variations) = match server_config(&args) {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let services = config.services.clone();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            print_error_as(format!("error: cannot start the async runtime: {e}"), &e);
            return exit::UNREACHABLE;
        }
    };
    runtime.block_on(async {
        let running = match server::spawn(args.addr, config).await {
            Ok(r) => r,
            Err(e) => {
                print_error_as(format!("error: cannot listen on {}: {e}", args.addr), &e);
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

/// `serve --list-faults` or `--list-variations`: the catalog, one entry a line.
fn print_catalog(args: &ServeArgs) {
    if args.list_faults {
        for f in Fault::ALL {
            println!("{:<28} {:<14} {}", f.name(), f.category(), f.description());
        }
        return;
    }
    for v in Variation::ALL {
        println!(
            "{:<28} {}\n{:<28} why: {}",
            v.name(),
            v.description(),
            "",
            v.why()
        );
    }
}

/// The reference server's setup from `serve`'s flags: the faults and variations named, the
/// token from the environment, and the services it knows (`--service`, or the example of the
/// shipped contract's path parameter), with the faults and variations in the order given. An
/// error is printed, and its exit code returned.
fn server_config(args: &ServeArgs) -> Result<(ServerConfig, Vec<Fault>, Vec<Variation>), i32> {
    let (faults, variations) = match (parse_faults(&args.fault), parse_variations(&args.variation))
    {
        (Ok(f), Ok(v)) => (f, v),
        (Err(e), _) | (_, Err(e)) => {
            print_error(&e);
            return Err(exit::USAGE);
        }
    };
    let contract = Operation::embedded().map_err(|e| {
        print_error(&e);
        exit::USAGE
    })?;
    let Some(token) = token_from_env(&args.token_env) else {
        eprintln!(
            "error: the server's token is read from the environment variable {0}, which is not set; \
             export {0}=<token>",
            args.token_env
        );
        return Err(exit::USAGE);
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
        services,
        faults: FaultSet::with(faults.iter().copied()),
        variations: VariationSet::with(variations.iter().copied()),
        reject_past_expiry: args.reject_past_expiry,
    };
    Ok((config, faults, variations))
}

/// Prints an error as `error: MESSAGE`, then its causes ([`error_chain`]), redacted for the
/// token of the default variable.
fn print_error(e: &dyn Error) {
    print_error_redacted(e, &env_redactor([DEFAULT_TOKEN_ENV]));
}

/// [`print_error`] with the secrets `redactor` knows masked.
fn print_error_redacted(e: &dyn Error, redactor: &Redactor) {
    eprintln!(
        "{}",
        redactor.for_terminal(&error_chain(format!("error: {e}"), e))
    );
}

/// Prints `top`, a message about `e`, then the causes of `e` ([`error_chain`]).
fn print_error_as(top: String, e: &dyn Error) {
    let redactor = env_redactor([DEFAULT_TOKEN_ENV]);
    eprintln!("{}", redactor.for_terminal(&error_chain(top, e)));
}

/// The variable the token is read from when no `--token-env` is given.
const DEFAULT_TOKEN_ENV: &str = "PROVISIONR_TOKEN";

/// What masks the secrets of these variables, for what is printed before a run's plan (and its
/// redactor) exists or where there is none (`diff`). A profile value that expanded one of them
/// (`base_url = "...${PROVISIONR_TOKEN}"`) is masked with it.
fn env_redactor<'a>(vars: impl IntoIterator<Item = &'a str>) -> Redactor {
    Redactor::new(vars.into_iter().filter_map(|v| std::env::var(v).ok()))
}

/// The secrets a `run`'s flags name: the token's variable (the default one too) and each
/// `--credential`'s.
fn run_redactor(args: &RunArgs) -> Redactor {
    let vars = [DEFAULT_TOKEN_ENV, args.token_env.as_str()]
        .into_iter()
        .chain(args.credentials.iter().map(|(_, var)| var.as_str()));
    env_redactor(vars)
}

/// `top`, then `e` and each of its sources on a line of its own (`  caused by: ...`), but for
/// any whose text the lines before already contain: many messages include their cause, and a
/// file diagnostic shows a parser's message with its place on a line of its own.
pub fn error_chain(top: String, e: &dyn Error) -> String {
    let mut out = top;
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !out.contains(without_place(&text)) {
            out.push_str("\n  caused by: ");
            out.push_str(&text);
        }
        next = err.source();
    }
    out
}

/// A parser's message without the place it appends (serde_json's ` at line L column C`).
fn without_place(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(i) => {
            let place: Vec<&str> = text[i + " at line ".len()..].split(" column ").collect();
            let number = |n: &&str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
            if place.len() == 2 && place.iter().all(number) {
                &text[..i]
            } else {
                text
            }
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error whose message leaves its cause out, or includes it.
    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("cannot read the cases")]
        Terse(#[source] std::io::Error),
        #[error("cannot read the cases: {0}")]
        Full(#[source] std::io::Error),
    }

    #[test]
    fn a_parser_message_shown_with_its_place_apart_is_not_repeated() {
        let json = serde_json::from_str::<serde_json::Value>("{bad").unwrap_err();
        let place = json.to_string();
        let shown = without_place(&place).to_string();
        assert!(place.len() > shown.len(), "{place}");
        let e = crate::diag::FileError::from_json(std::path::Path::new("x.json"), json);
        let chain = error_chain(format!("error: {e}"), &e);
        assert!(!chain.contains("caused by"), "{chain}");
        assert_eq!(
            without_place("expected value at line 1"),
            "expected value at line 1"
        );
    }

    #[test]
    fn the_chain_shows_each_cause_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let terse = Outer::Terse(io());
        assert_eq!(
            error_chain(format!("error: {terse}"), &terse),
            "error: cannot read the cases\n  caused by: no such file"
        );
        let full = Outer::Full(io());
        assert_eq!(
            error_chain(format!("error: {full}"), &full),
            "error: cannot read the cases: no such file"
        );
    }
}
