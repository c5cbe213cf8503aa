//! The CI recipes in `examples/ci/`: each parses as YAML, every flag it gives the suite exists in
//! the clap definition, and the reports are kept when the suite fails.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use provisionr_conformance::app::cli::Cli;
use regex::Regex;
use yaml_rust2::{Yaml, YamlLoader};

const GITHUB: &str = "examples/ci/github-actions.yml";
const GITLAB: &str = "examples/ci/gitlab-ci.yml";

/// Keys whose values are shell scripts: GitHub's `run`, GitLab's `script` and its neighbours.
const SCRIPT_KEYS: &[&str] = &["run", "script", "before_script", "after_script"];

fn load(recipe: &str) -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(recipe);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{recipe}: {e}"));
    let mut docs =
        YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{recipe} is not YAML: {e}"));
    assert_eq!(docs.len(), 1, "{recipe} should hold one YAML document");
    let doc = docs.remove(0);
    assert!(doc.as_hash().is_some(), "{recipe} is not a YAML mapping");
    doc
}

/// Every shell script in the document, in order.
fn scripts(node: &Yaml, out: &mut Vec<String>) {
    match node {
        Yaml::Hash(map) => {
            for (key, value) in map {
                if key.as_str().is_some_and(|k| SCRIPT_KEYS.contains(&k)) {
                    strings(value, out);
                } else {
                    scripts(value, out);
                }
            }
        }
        Yaml::Array(items) => items.iter().for_each(|i| scripts(i, out)),
        _ => {}
    }
}

fn strings(node: &Yaml, out: &mut Vec<String>) {
    match node {
        Yaml::String(s) => out.push(s.clone()),
        Yaml::Array(items) => items.iter().for_each(|i| strings(i, out)),
        other => panic!("a script that is not text: {other:?}"),
    }
}

/// One command line that starts the suite: its subcommand and every flag it passes.
#[derive(Debug)]
struct Invocation {
    command: String,
    subcommand: Option<String>,
    flags: Vec<String>,
}

/// The suite's invocations in a script: `provisionr-conformance ...` by any path, or
/// `cargo run ... -- ...`. A flag counts wherever it stands in an argument, so
/// `${STRICT:+--strict}` passes `--strict`.
fn invocations(script: &str) -> Vec<Invocation> {
    let flag = Regex::new(r"(?:^|[^\w-])(--[A-Za-z0-9][\w-]*|-[A-Za-z])(?:$|[^\w-])").unwrap();
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for command in joined
        .lines()
        .flat_map(|line| line.split("&&"))
        .flat_map(|c| c.split(['|', ';']))
    {
        let words: Vec<&str> = command.split_whitespace().collect();
        let args = if let Some(at) = words
            .iter()
            .position(|w| w.rsplit('/').next() == Some("provisionr-conformance"))
        {
            &words[at + 1..]
        } else if let Some(at) = words.windows(2).position(|w| w == ["cargo", "run"]) {
            match words[at..].iter().position(|w| *w == "--") {
                Some(dashes) => &words[at + dashes + 1..],
                None => &[][..],
            }
        } else {
            continue;
        };
        out.push(Invocation {
            command: command.trim().to_string(),
            subcommand: args
                .first()
                .filter(|a| !a.starts_with('-'))
                .map(|a| a.to_string()),
            flags: args
                .iter()
                .flat_map(|a| flag.captures_iter(a).map(|c| c[1].to_string()))
                .collect(),
        });
    }
    out
}

fn recipe_invocations(recipe: &str) -> Vec<Invocation> {
    let mut texts = Vec::new();
    scripts(&load(recipe), &mut texts);
    texts.iter().flat_map(|s| invocations(s)).collect()
}

/// The long and short flags of a command, as typed (`--seed`, `-q`), aliases included.
fn flags_of(command: &clap::Command) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for arg in command.get_arguments() {
        for long in arg
            .get_long()
            .into_iter()
            .chain(arg.get_all_aliases().unwrap_or_default())
        {
            flags.insert(format!("--{long}"));
        }
        for short in arg
            .get_short()
            .into_iter()
            .chain(arg.get_all_short_aliases().unwrap_or_default())
        {
            flags.insert(format!("-{short}"));
        }
    }
    flags
}

#[test]
fn every_flag_the_recipes_give_the_suite_exists() {
    let mut cli = Cli::command();
    // Building adds the generated --help and --version to every subcommand.
    cli.build();
    let mut unknown = Vec::new();
    for recipe in [GITHUB, GITLAB] {
        let found = recipe_invocations(recipe);
        assert!(
            found.len() >= 2,
            "{recipe}: expected the nightly job and the release gate, found {found:#?}"
        );
        for inv in found {
            let sub = inv
                .subcommand
                .as_deref()
                .unwrap_or_else(|| panic!("{recipe}: no subcommand in `{}`", inv.command));
            let Some(command) = cli.find_subcommand(sub) else {
                panic!("{recipe}: unknown subcommand `{sub}` in `{}`", inv.command)
            };
            let known = flags_of(command);
            for f in &inv.flags {
                if !known.contains(f) {
                    unknown.push(format!("{recipe}: `{sub} {f}` (known: {known:?})"));
                }
            }
        }
    }
    assert!(unknown.is_empty(), "unknown flags:\n{}", unknown.join("\n"));
}

#[test]
fn the_recipes_run_a_nightly_job_and_a_release_gate() {
    for recipe in [GITHUB, GITLAB] {
        let found = recipe_invocations(recipe);
        let has = |inv: &Invocation, flags: &[&str]| {
            flags.iter().all(|f| inv.flags.iter().any(|g| g == f))
        };
        let reports = [
            "--junit reports/junit.xml",
            "--created reports/created-tokens.txt",
        ];
        let nightly = found
            .iter()
            .find(|i| has(i, &["--rate", "--no-persist", "--base-url", "--service"]))
            .unwrap_or_else(|| panic!("{recipe}: no nightly job in {found:#?}"));
        assert!(nightly.command.contains("--rate 20"), "{}", nightly.command);
        let gate = found
            .iter()
            .find(|i| has(i, &["--seed", "--known-failures", "--strict"]))
            .unwrap_or_else(|| panic!("{recipe}: no release gate in {found:#?}"));
        assert!(
            gate.command
                .contains("--known-failures ci/known-failures.toml"),
            "{}",
            gate.command
        );
        for inv in [nightly, gate] {
            for r in reports {
                assert!(inv.command.contains(r), "{recipe}: {r} in {}", inv.command);
            }
        }
    }
}

/// Paths every job keeps, whatever the suite's exit code.
const KEPT: &[&str] = &[
    "reports/junit.xml",
    "reports/summary.json",
    "reports/created-tokens.txt",
];

#[test]
fn github_publishes_the_junit_and_keeps_the_reports_when_the_suite_fails() {
    let doc = load(GITHUB);
    let jobs = doc["jobs"].as_hash().expect("jobs");
    assert_eq!(jobs.len(), 2);
    for (name, job) in jobs {
        let steps = job["steps"].as_vec().expect("steps");
        let uses = |action: &str| {
            steps
                .iter()
                .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
                .unwrap_or_else(|| panic!("{name:?} has no {action} step"))
        };
        let runs_after_a_failure = |step: &Yaml| {
            step["if"]
                .as_str()
                .is_some_and(|c| c.contains("!cancelled()"))
        };
        let junit = uses("mikepenz/action-junit-report@");
        assert!(runs_after_a_failure(junit), "{name:?}: {junit:?}");
        assert_eq!(junit["with"]["report_paths"].as_str(), Some(KEPT[0]));
        let upload = uses("actions/upload-artifact@");
        assert!(runs_after_a_failure(upload), "{name:?}: {upload:?}");
        let paths: Vec<&str> = upload["with"]["path"].as_str().unwrap().lines().collect();
        for kept in KEPT {
            assert!(
                paths.contains(&kept.trim()),
                "{name:?} does not keep {kept}"
            );
        }
        let suite = steps
            .iter()
            .find(|s| {
                s["run"]
                    .as_str()
                    .is_some_and(|r| r.contains("provisionr-conformance run"))
            })
            .unwrap_or_else(|| panic!("{name:?} does not run the suite"));
        assert_eq!(
            suite["env"]["PROVISIONR_TOKEN"].as_str(),
            Some("${{ secrets.PROVISIONR_TOKEN }}")
        );
    }
}

#[test]
fn gitlab_publishes_the_junit_and_keeps_the_reports_when_the_suite_fails() {
    let doc = load(GITLAB);
    for job in ["nightly", "release-gate"] {
        assert_eq!(doc[job]["extends"].as_str(), Some(".conformance"), "{job}");
    }
    let artifacts = &doc[".conformance"]["artifacts"];
    assert_eq!(artifacts["when"].as_str(), Some("always"));
    assert_eq!(artifacts["reports"]["junit"].as_str(), Some(KEPT[0]));
    let paths: Vec<&str> = artifacts["paths"]
        .as_vec()
        .expect("artifacts:paths")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    for kept in KEPT {
        assert!(paths.contains(kept), "the jobs do not keep {kept}");
    }
    // A job's own `artifacts:` is merged into the template's, so it must not switch `when` off.
    assert!(doc["release-gate"]["artifacts"]["when"].is_badvalue());
}

#[test]
fn invocations_are_read_in_every_form_a_recipe_may_use() {
    let script = "cargo build --release --locked\n\
                  PROVISIONR_TOKEN=x cargo run --release -- run --seed 1 \\\n  \
                  --junit=r.xml -q ${S:+--strict} && echo --not-ours\n\
                  ./target/release/provisionr-conformance selftest --fault x | tee --append out";
    let seen: Vec<(Option<String>, Vec<String>)> = invocations(script)
        .into_iter()
        .map(|i| (i.subcommand, i.flags))
        .collect();
    let expected = [
        ("run", &["--seed", "--junit", "-q", "--strict"][..]),
        ("selftest", &["--fault"][..]),
    ]
    .map(|(sub, flags)| {
        (
            Some(sub.to_string()),
            flags.iter().map(|f| f.to_string()).collect(),
        )
    });
    assert_eq!(seen, expected);
}
