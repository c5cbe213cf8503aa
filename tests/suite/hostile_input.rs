//! Issue 21, bad input that got the wrong answer: user files that are not files or are too
//! big, a token that no header can carry, two `--cases` counts, an unknown check in a
//! known-failures entry, profile values named with their place, and the known-failures file
//! named as itself when it cannot be written. Each refusal is at start-up, exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use provisionr_conformance::app::plan::plan_from_args;

fn bin(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"));
    c.args(args).current_dir(dir).env_remove("PROVISIONR_TOKEN");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A named pipe, made with the system call (no `mkfifo` program needed).
fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("pipe");
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo");
    path
}

fn plan_err(args: &[&str]) -> String {
    let mut argv = vec!["provisionr-conformance", "run"];
    argv.extend_from_slice(args);
    match plan_from_args(argv) {
        Ok(_) => panic!("{args:?} was accepted"),
        Err(e) => e.to_string(),
    }
}

const ENTRY: &str =
    "[[known]]\ncase = \"method::*\"\ncheck = \"status\"\nreason = \"r\"\nexpires = 2099-01-31\n";

/// Item 9: a device, a FIFO and an oversized file as `--known-failures` or as either summary
/// of `diff` are refused at once (a FIFO with no writer would block a reader forever).
#[test]
fn devices_fifos_and_huge_files_are_refused_as_known_failures_and_diff_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path());
    let pipe = pipe.to_str().unwrap();
    // A real summary, of a run that selects no case.
    let o = bin(
        dir.path(),
        &["run", "-q", "--summary", "old.json", "no-case-has-this-id"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = "old.json";
    for (file, said) in [("/dev/zero", "a device"), (pipe, "a FIFO")] {
        let o = bin(dir.path(), &["run", "--known-failures", file], &[]);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(said), "{file}: {}", stderr(&o));
        for args in [["diff", summary, file], ["diff", file, summary]] {
            let o = bin(dir.path(), &args, &[]);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains(said), "{args:?}: {}", stderr(&o));
        }
    }
    // Past the known-failures cap (4 MiB), though under other files' 16 MiB.
    let big = dir.path().join("big.toml");
    let padding = format!("# {}\n", "x".repeat(1000)).repeat(5000);
    std::fs::write(&big, format!("{ENTRY}{padding}")).unwrap();
    let err = plan_err(&["--known-failures", big.to_str().unwrap()]);
    assert!(err.contains("larger than 4 MiB"), "{err}");
    // More entries than the cap, each small: refused before the parser holds them.
    let many = dir.path().join("many.toml");
    std::fs::write(&many, ENTRY.repeat(20_001)).unwrap();
    let err = plan_err(&["--known-failures", many.to_str().unwrap()]);
    assert!(err.contains("20001 entries; at most 20000"), "{err}");
}

/// Item 12: a token (or a `--credential` variable) with a line break or another control
/// character is refused at start-up naming the variable, never the value.
#[test]
fn a_token_with_a_line_break_or_a_control_character_is_refused_by_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    let remote = ["--base-url", "http://127.0.0.1:9/api/v1", "--service", "s"];
    for token in [
        "pvt_c4n4ry\nsecond-line",
        "pvt_c4n4ry\u{1}x",
        "pvt_c4n4ry\u{7f}x",
    ] {
        for args in [&["run"][..], &[&["run"][..], &remote[..]].concat()] {
            let o = bin(dir.path(), args, &[("PROVISIONR_TOKEN", token)]);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{token:?} {args:?}: {err}");
            assert!(err.contains("the token variable PROVISIONR_TOKEN"), "{err}");
            assert!(!err.contains("c4n4ry"), "{err}");
            let junit = std::fs::read_to_string(dir.path().join("reports/junit.xml")).unwrap();
            assert!(!junit.contains("c4n4ry"), "{junit}");
        }
    }
    // A trailing newline (a token read from a file) is trimmed, as before.
    let o = bin(
        dir.path(),
        &["run", "--list"],
        &[("PROVISIONR_TOKEN", "pvt_c4n4ry\n")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Item 13: two counts are refused like two seeds; a count past what a run takes is refused;
/// one count and one directory is fine.
#[test]
fn two_case_counts_or_a_huge_one_are_refused_and_a_count_with_a_directory_is_fine() {
    let err = plan_err(&["--cases", "8", "--cases", "9"]);
    assert!(err.contains("--cases is given 2 counts (8, 9)"), "{err}");
    let err = plan_err(&["--cases", "99999999999"]);
    assert!(err.contains("not a count from 1 to 1000000"), "{err}");
    let err = plan_err(&["--cases", "./a", "--cases", "./b"]);
    assert!(err.contains("2 directories"), "{err}");
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let p = plan_from_args([
        "provisionr-conformance",
        "run",
        "--cases",
        "8",
        "--cases",
        cases.to_str().unwrap(),
    ])
    .unwrap();
    assert_eq!(p.properties.unwrap().cases, 8);
}

/// Item 14: an entry naming a check no operation has is refused with the nearest name and
/// the entry's line.
#[test]
fn a_known_failures_entry_with_an_unknown_check_is_refused_with_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known.toml");
    std::fs::write(
        &file,
        format!("{ENTRY}\n{}", ENTRY.replace("\"status\"", "\"stauts\"")),
    )
    .unwrap();
    let err = plan_err(&["--known-failures", file.to_str().unwrap()]);
    assert!(err.contains("known.toml:7:1"), "{err}");
    assert!(
        err.contains("unknown check `stauts` (did you mean `status`?)"),
        "{err}"
    );
    std::fs::write(&file, ENTRY.replace("\"status\"", "\"*\"")).unwrap();
    let k = plan_from_args(["x", "run", "--known-failures", file.to_str().unwrap()]);
    assert!(k.is_ok(), "{:?}", k.err());
}

/// Item 15: every profile error names the file, the line, the key and what would be valid.
#[test]
fn profile_values_are_refused_with_the_file_the_line_the_key_and_what_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p.toml");
    for (value, said) in [
        ("rate = 0", "`rate` must be a whole number from 1 to"),
        ("rate = \"fast\"", "`rate` must be a whole number from 1 to"),
        (
            "cases = 0",
            "`cases` must be a whole number from 1 to 1000000",
        ),
        ("timeout = 0", "`timeout` must be a whole number from 1"),
        (
            "test_threads = 0",
            "`test_threads` must be a whole number from 1",
        ),
        ("seed = -1", "`seed` must be a whole number from 0"),
        ("strict = \"yes\"", "`strict` must be true or false"),
        (
            "skip_checks = \"status\"",
            "`skip_checks` must be a list of names",
        ),
        (
            "skip_checks = [\"status\", \"stauts\"]",
            "`skip_checks`: unknown check `stauts` (did you mean `status`?)",
        ),
        (
            "duration = \"ten\"",
            "`duration`: `ten` is not a duration: write a whole number and a unit",
        ),
        ("duration = \"10 minutes\"", "is not a duration"),
        ("duration = \"1d\"", "is not a duration"),
        ("base_url = 5", "`base_url` must be a string"),
    ] {
        std::fs::write(&config, format!("# nightly\n[profiles.p]\n{value}\n")).unwrap();
        let err = plan_err(&["--config", config.to_str().unwrap(), "--profile", "p"]);
        assert!(err.contains("p.toml:3:"), "{value}: {err}");
        assert!(err.contains(said), "{value}: {err}");
        for internal in ["invalid type", "expected u32", "expected number", "at 0"] {
            assert!(!err.contains(internal), "{value}: {err}");
        }
    }
    // A string under the wrong key is not shown: it may be a credential pasted there.
    for value in ["seed = \"pvt_c4n4ry\"", "path_params = \"pvt_c4n4ry\""] {
        std::fs::write(&config, format!("[profiles.p]\n{value}\n")).unwrap();
        let err = plan_err(&["--config", config.to_str().unwrap(), "--profile", "p"]);
        assert!(
            err.contains("p.toml:2:") && err.contains("not a string"),
            "{err}"
        );
        assert!(!err.contains("c4n4ry"), "{err}");
    }
    // The forms the README lists are taken, the same by flag and by profile.
    for (form, secs) in [("90s", 90), ("10m", 600), ("1h30m", 5400), ("1500ms", 1)] {
        std::fs::write(&config, format!("[profiles.p]\nduration = \"{form}\"\n")).unwrap();
        let p = plan_from_args([
            "x",
            "run",
            "--config",
            config.to_str().unwrap(),
            "--profile",
            "p",
        ])
        .unwrap();
        let d = p.properties.unwrap().duration.unwrap();
        assert_eq!(d.as_secs(), secs, "{form}");
        let p = plan_from_args(["x", "run", "--duration", form]).unwrap();
        assert_eq!(p.properties.unwrap().duration, Some(d), "{form}");
    }
    let err = plan_err(&["--duration", "10 minutes"]);
    assert!(err.contains("is not a duration"), "{err}");
}

/// Item 16: a known-failures file that cannot be written is named as itself, not as a report.
#[test]
fn an_unwritable_known_failures_file_is_named_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    // A path under a regular file: no directory can be made there, even by root.
    std::fs::write(dir.path().join("file"), "").unwrap();
    let o = bin(
        dir.path(),
        &[
            "run",
            "--known-failures",
            "file/known.toml",
            "--update-known-failures",
        ],
        &[],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "cannot write the known-failures file (--update-known-failures) to file/known.toml"
        ),
        "{err}"
    );
    assert!(!err.contains("JUnit"), "{err}");
}

/// Item 12, for `--credential`: its variable is named, never its value.
#[test]
fn a_credential_with_a_line_break_is_refused_by_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    let doc = serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "things", "version": "1"},
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}},
        "paths": {"/things": {"get": {
            "operationId": "list_things",
            "security": [{"api_key": []}],
            "responses": {"200": {"description": "ok"}}
        }}}
    });
    std::fs::write(dir.path().join("things.json"), doc.to_string()).unwrap();
    let args = [
        "run",
        "--openapi",
        "things.json",
        "--base-url",
        "http://127.0.0.1:9/api/v1",
        "--credential",
        "api_key=THINGS_KEY",
    ];
    let o = bin(
        dir.path(),
        &args,
        &[("THINGS_KEY", "k3y_c4n4ry\r\nX-Evil: 1")],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the variable THINGS_KEY of --credential api_key=THINGS_KEY holds a line break"
        ),
        "{err}"
    );
    assert!(!err.contains("c4n4ry"), "{err}");
}
