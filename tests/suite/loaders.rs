//! Hostile inputs to the loaders: huge schema bounds, wide schemas, schema paths that leave the
//! schemas directory, odd case files and file types. Each is refused before anything is sent
//! (exit code 2), with the file named, and nothing blocks or panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use provisionr_conformance::contract::EMBEDDED_SCHEMAS;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_provisionr-conformance");
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
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
