//! Hostile inputs to the loaders: huge schema bounds, wide schemas, schema paths that leave the
//! schemas directory, odd case files and file types. Each is refused before anything is sent
//! (exit code 2), with the file named, and nothing blocks or panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use provisionr_conformance::cases::file;
use provisionr_conformance::contract::{Operation, EMBEDDED_SCHEMAS};
use provisionr_conformance::diag::FileError;
use serde_json::{json, Value};

use crate::common::text;

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");
const ENDPOINT: &str = "create-service-access-token.endpoint.json";
const REQUEST: &str = "create-service-access-token.request.schema.json";

/// A copy of the shipped schemas in `dir/schemas`.
fn schemas(dir: &Path) -> PathBuf {
    let out = dir.join("schemas");
    std::fs::create_dir_all(&out).unwrap();
    for f in EMBEDDED_SCHEMAS.files() {
        std::fs::write(out.join(f.path()), f.contents()).unwrap();
    }
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// Changes the request schema of the copy in `dir`.
fn edit_request(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join(REQUEST);
    let mut schema = read_json(&path);
    edit(&mut schema);
    write_json(&path, &schema);
}

/// Changes one field of the endpoint file of the copy in `dir`.
fn set_endpoint(dir: &Path, field: &str, value: Value) {
    let path = dir.join(ENDPOINT);
    let mut endpoint = read_json(&path);
    endpoint[field] = value;
    write_json(&path, &endpoint);
}

fn contract_error(dir: &Path) -> FileError {
    match Operation::from_dir(dir) {
        Ok(_) => panic!("the contract in {} loaded", dir.display()),
        Err(e) => e,
    }
}

/// Runs the binary in `dir` and gives up (killing it) after 60 s, so a loader that blocks fails
/// the test instead of hanging the suite.
fn run_bin(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .arg("run")
        .args(["--no-persist", "--junit", "junit.xml"])
        .args(args)
        .env("PROVISIONR_TOKEN", "pvt_loaders_test")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`run {}` did not finish within 60 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A named pipe at `path`, made with the system call (no `mkfifo` program needed).
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL in a temp path");
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(
        rc,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

#[test]
fn a_max_length_of_u64_max_exits_2_naming_the_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let s = schemas(dir.path());
    // Spliced as text: serde_json would write u64::MAX the same way, but this is the literal
    // a user types.
    let path = s.join(REQUEST);
    let huge = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"maxLength\": 55", "\"maxLength\": 18446744073709551615");
    std::fs::write(&path, huge).unwrap();
    let out = run_bin(dir.path(), &["--list", "--schemas", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains(REQUEST), "{shown}");
    assert!(shown.contains("/properties/name/maxLength"), "{shown}");
    assert!(shown.contains("1048576"), "{shown}");
}

#[test]
fn length_and_item_bounds_are_capped_and_must_be_whole_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let s = schemas(dir.path());
    let original = read_json(&s.join(REQUEST));
    let tags = |items_min: Value, max_items: Value, min_items: Value| {
        json!({
            "type": "array",
            "items": {"type": "string", "minLength": items_min},
            "maxItems": max_items,
            "minItems": min_items
        })
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!(2_000_000_000u64), "/properties/name/maxLength"),
        (json!(10_000_000u64), "/properties/name/maxLength"),
        (json!(1_048_577u64), "/properties/name/maxLength"),
        (json!(1e300), "/properties/name/maxLength"),
        (json!(-1), "/properties/name/maxLength"),
        (json!(2.5), "/properties/name/maxLength"),
    ];
    for (bound, pointer) in cases {
        edit_request(&s, |r| {
            *r = original.clone();
            r["properties"]["name"]["maxLength"] = bound.clone();
        });
        let e = contract_error(&s);
        assert_eq!(e.path, s.join(REQUEST), "{bound}: {e}");
        assert!(e.message.contains(pointer), "{bound}: {e}");
    }
    let nested: Vec<(Value, &str)> = vec![
        (
            tags(json!(2_000_000), json!(3), json!(0)),
            "/properties/tags/items/minLength",
        ),
        (
            tags(json!(1), json!(1_048_577), json!(0)),
            "/properties/tags/maxItems",
        ),
        (
            tags(json!(1), json!(3), json!(1e20)),
            "/properties/tags/minItems",
        ),
    ];
    for (schema, pointer) in nested {
        edit_request(&s, |r| {
            *r = original.clone();
            r["properties"]["tags"] = schema.clone();
        });
        let e = contract_error(&s);
        assert!(e.message.contains(pointer), "{pointer}: {e}");
    }
    // At the cap, and a bound under `$defs`, are checked the same way.
    edit_request(&s, |r| {
        *r = original.clone();
        r["properties"]["tags"] = tags(json!(1), json!(1_048_576), json!(0));
    });
    Operation::from_dir(&s).expect("a bound of exactly 1 MiB is allowed");
    edit_request(&s, |r| {
        *r = original.clone();
        r["$defs"] = json!({"big": {"type": "string", "maxLength": 1e10}});
    });
    assert!(contract_error(&s).message.contains("/$defs/big/maxLength"));
}

#[test]
fn oversized_files_are_refused_without_being_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let s = schemas(dir.path());
    let contract = Operation::from_dir(&s).unwrap();
    // A sparse file: 17 MiB long, costing no disk.
    let big = |path: &Path| {
        std::fs::File::create(path)
            .unwrap()
            .set_len(17 << 20)
            .unwrap();
    };
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    big(&cases.join("huge.json"));
    let e = file::load_dir(&cases, &[&contract]).unwrap_err();
    assert_eq!(e.path, cases.join("huge.json"));
    assert!(e.message.contains("16 MiB"), "{e}");

    big(&s.join("create-service-access-token.response.schema.json"));
    let e = contract_error(&s);
    assert!(
        e.path
            .ends_with("create-service-access-token.response.schema.json"),
        "{e}"
    );
    assert!(e.message.contains("16 MiB"), "{e}");
}

#[test]
fn schema_paths_must_stay_inside_the_schemas_directory() {
    let dir = tempfile::tempdir().unwrap();
    let s = schemas(dir.path());
    let outside = dir.path().join("outside.json");
    std::fs::copy(s.join(REQUEST), &outside).unwrap();
    std::fs::create_dir(s.join("a_directory.json")).unwrap();
    std::os::unix::fs::symlink(&outside, s.join("link_out.json")).unwrap();
    let bad = [
        ("request_schema", outside.to_str().unwrap().to_string()),
        ("request_schema", "../outside.json".to_string()),
        ("request_schema", "link_out.json".to_string()),
        ("response_schema", "/dev/urandom".to_string()),
        ("response_schema", "a_directory.json".to_string()),
        ("response_schema", "missing.json".to_string()),
        ("response_schema", String::new()),
    ];
    let original = read_json(&s.join(ENDPOINT));
    for (field, value) in bad {
        write_json(&s.join(ENDPOINT), &original);
        set_endpoint(&s, field, json!(value));
        let e = contract_error(&s);
        assert_eq!(e.path, s.join(ENDPOINT), "{value}: {e}");
        assert!(e.message.contains(&format!("`{field}`")), "{value}: {e}");
        assert!(e.location.is_some(), "{value}: {e}");
    }
    // A link that stays inside the directory is fine, and so is `./`.
    std::os::unix::fs::symlink(s.join(REQUEST), s.join("link_in.json")).unwrap();
    write_json(&s.join(ENDPOINT), &original);
    set_endpoint(&s, "request_schema", json!("link_in.json"));
    set_endpoint(
        &s,
        "response_schema",
        json!("./create-service-access-token.response.schema.json"),
    );
    Operation::from_dir(&s).expect("paths inside the directory load");
}

#[test]
fn a_fifo_named_by_the_endpoint_file_exits_2_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let s = schemas(dir.path());
    mkfifo(&s.join("pipe.json"));
    set_endpoint(&s, "response_schema", json!("pipe.json"));
    let out = run_bin(dir.path(), &["--list", "--schemas", s.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains(ENDPOINT), "{shown}");
    assert!(shown.contains("`response_schema`"), "{shown}");
}

/// A case file with this `request`, in a directory of its own.
fn case_dir(dir: &Path, request: Value) -> PathBuf {
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    let case =
        json!({"title": "hostile", "class": "valid", "id": "example::hostile", "request": request});
    write_json(&cases.join("hostile.json"), &case);
    cases
}

#[test]
fn a_line_break_in_a_content_type_exits_2_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let cases = case_dir(
        dir.path(),
        json!({"content_type": "application/json\nX-Injected: 1"}),
    );
    let out = run_bin(
        dir.path(),
        &["--cases", cases.to_str().unwrap(), "example::hostile"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("hostile.json:"), "{shown}");
    assert!(shown.contains("content_type"), "{shown}");
    assert!(shown.contains("line feed"), "{shown}");
}

#[test]
fn header_values_and_methods_are_checked_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let contract = Operation::embedded().unwrap();
    let bad: Vec<(Value, &str, Option<&str>)> = vec![
        (
            json!({"auth": {"header": "Bearer x\r\nX-Evil: 1"}}),
            "auth",
            None,
        ),
        (
            json!({"content_type": "text/plain\u{0}"}),
            "content_type",
            None,
        ),
        (
            json!({"method": "post"}),
            "method",
            Some("did you mean `POST`?"),
        ),
        (
            json!({"method": "Delete"}),
            "method",
            Some("did you mean `DELETE`?"),
        ),
        (json!({"method": "PO ST"}), "method", None),
        (json!({"method": ""}), "method", None),
        (json!({"method": "GET\n"}), "method", None),
    ];
    for (request, key, help) in bad {
        let cases = case_dir(dir.path(), request.clone());
        let e = file::load_dir(&cases, &[&contract]).unwrap_err();
        assert_eq!(e.path, cases.join("hostile.json"), "{request}: {e}");
        assert!(e.location.is_some(), "{request}: {e}");
        assert!(e.message.contains(key), "{request}: {e}");
        assert_eq!(e.help.as_deref(), help, "{request}: {e}");
    }
    // Tokens that are not standard methods are sent as written.
    let cases = case_dir(dir.path(), json!({"method": "PURGE"}));
    let loaded = file::load_dir(&cases, &[&contract]).unwrap();
    assert_eq!(loaded[0].1.request.method, "PURGE");

    let s = schemas(dir.path());
    set_endpoint(&s, "method", json!("post"));
    let e = contract_error(&s);
    assert_eq!(e.help.as_deref(), Some("did you mean `POST`?"), "{e}");
    set_endpoint(&s, "method", json!("POST"));
    set_endpoint(&s, "content_type", json!("application/json\r\n"));
    assert!(contract_error(&s).message.contains("content_type"));
}

/// Creates a directory entry at the path.
type MakeEntry = fn(&Path);

#[test]
fn odd_entries_named_json_in_the_cases_directory_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let contract = Operation::embedded().unwrap();
    let make: [(&str, MakeEntry); 4] = [
        ("dangling.json", |p| {
            std::os::unix::fs::symlink(p.with_file_name("nowhere"), p).unwrap()
        }),
        ("loop.json", |p| std::os::unix::fs::symlink(p, p).unwrap()),
        ("pipe.json", mkfifo),
        ("folder.json", |p| std::fs::create_dir(p).unwrap()),
    ];
    for (name, create) in make {
        let cases = dir.path().join(format!("cases-{name}"));
        std::fs::create_dir(&cases).unwrap();
        std::fs::create_dir(cases.join("regressions")).unwrap();
        std::fs::write(
            cases.join("fine.json"),
            r#"{"title": "t", "class": "valid"}"#,
        )
        .unwrap();
        create(&cases.join(name));
        let e = file::load_dir(&cases, &[&contract]).unwrap_err();
        assert_eq!(e.path, cases.join(name), "{e}");
    }
    // A subdirectory not named *.json is not a case file and is not entered.
    let cases = dir.path().join("cases-plain");
    std::fs::create_dir_all(cases.join("regressions")).unwrap();
    std::fs::write(cases.join("regressions").join("x.json"), "not even JSON").unwrap();
    std::fs::write(
        cases.join("fine.json"),
        r#"{"title": "t", "class": "valid"}"#,
    )
    .unwrap();
    assert_eq!(file::load_dir(&cases, &[&contract]).unwrap().len(), 1);
}

#[test]
fn a_byte_order_mark_is_skipped_in_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = schemas(dir.path());
    for name in [ENDPOINT, REQUEST] {
        let path = s.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    }
    let contract = Operation::from_dir(&s).expect("files with a BOM load");
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    std::fs::write(
        cases.join("bom.json"),
        "\u{feff}{\"title\": \"t\", \"class\": \"valid\"}",
    )
    .unwrap();
    let loaded = file::load_dir(&cases, &[&contract]).expect("a case file with a BOM loads");
    assert_eq!(loaded[0].1.id, "example::bom");
}

/// A request schema with `extra` more optional string properties.
fn wide_schemas(dir: &Path, extra: usize) -> PathBuf {
    let s = schemas(dir);
    edit_request(&s, |r| {
        let props = r["properties"].as_object_mut().unwrap();
        for i in 0..extra {
            props.insert(format!("extra_{i:04}"), json!({"type": "string"}));
        }
    });
    s
}

#[test]
fn a_schema_with_2000_properties_lists_its_cases_in_bounded_memory() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let s = wide_schemas(dir.path(), 2000);
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "--list", "--schemas", s.to_str().unwrap()])
        .current_dir(dir.path());
    // 512 MiB of address space: linear loading needs about 75 MB here; the per-case copies of
    // the body and the per-property object strategies used to need more than 14 GB.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 512 << 20,
                rlim_max: 512 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout);
    let absent = listed
        .lines()
        .filter(|l| l.starts_with("[required] required::extra_"))
        .count();
    assert_eq!(absent, 2000, "one `required` case per extra property");
}

#[test]
fn a_passing_case_keeps_only_the_start_of_its_bodies() {
    // Reports hold every case's exchange; kept whole, many large bodies would make memory and
    // the JUnit report grow with the product of their number and size.
    let dir = tempfile::TempDir::new().unwrap();
    let big = "d".repeat(100_000);
    let cases = case_dir(
        dir.path(),
        json!({"body": {"name": "big description", "description": big}}),
    );
    let mut p = crate::common::plan(
        dir.path(),
        &[
            "--cases",
            cases.to_str().unwrap(),
            "example::",
            "--test-threads",
            "1",
        ],
    );
    p.properties = None;
    let outcome = provisionr_conformance::report::write::run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 0);
    let r = outcome
        .results
        .iter()
        .find(|r| r.case.request.body.to_text().len() > 100_000)
        .expect("the big case ran");
    assert!(r.exchange.request.body.len() <= 4096);
    assert!(r.exchange.request.body_cut.unwrap() > 100_000);
    let junit = std::fs::read_to_string(outcome.junit.unwrap()).unwrap();
    assert!(
        junit.contains("(request body: the first 4096 of"),
        "not said in the report"
    );
    assert!(junit.len() < 100_000, "{} bytes of report", junit.len());
}
