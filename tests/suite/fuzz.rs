//! A fuzz harness over the loaders: the shipped endpoint file, request and response schemas,
//! case files and the OpenAPI document, mutated (bytes flipped, files cut short, hostile text inserted, JSON values
//! replaced by huge numbers, deep nesting, odd Unicode or the wrong type, keywords added). Each
//! mutant must load, or fail with an error that names the mutated file; it must never panic.
//! The runner's seed is fixed, so a run is reproducible and a failure shrinks to a small mutant.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use clap::Parser;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use provisionr_conformance::app::cli::{Cli, Command};
use provisionr_conformance::app::plan::PlanError;
use provisionr_conformance::cases::file;
use provisionr_conformance::contract::{pointer_token, Operation, EMBEDDED_SCHEMAS};
use serde_json::{json, Value};

const ENDPOINT: &str = "create-service-access-token.endpoint.json";
const REQUEST: &str = "create-service-access-token.request.schema.json";
const RESPONSE: &str = "create-service-access-token.response.schema.json";

/// Random mutants per loader: about a second in all on a debug build.
const CASES: u32 = 300;

/// One change to a file.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Cut the file at a byte offset.
    Truncate(Index),
    /// Insert hostile bytes at a byte offset.
    Insert(Index, Vec<u8>),
}

/// One change to a file's JSON, applied before the byte-level ones.
#[derive(Clone, Debug)]
enum Edit {
    /// Replace the value at some position (root included) by a hostile one: the first if the
    /// value there is a number, the second otherwise.
    Replace(Index, Value, Value),
    /// Add (or overwrite) a key in some object.
    AddKey(Index, String, Value),
}

/// An array nested `depth` levels deep.
fn deep_array(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| json!([inner]))
}

/// `{"<key>": {"<key>": ... }}`, `depth` levels, ending in `leaf`.
fn deep_key(key: &str, depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |inner, _| json!({ key: inner }))
}

fn hostile_numbers() -> Vec<Value> {
    vec![
        json!(u64::MAX),
        json!(1e300),
        json!(-1),
        json!(-0.0),
        json!(1.5),
        json!(2_000_000_000u64),
        json!(1_048_577),
        json!(i64::MIN),
        json!(0),
    ]
}

fn hostile_values() -> Vec<Value> {
    let mut out = hostile_numbers();
    out.extend([
        Value::Null,
        json!(true),
        json!([]),
        json!({}),
        json!(""),
        json!("a\nb"),
        json!("\r\nX-Injected: 1"),
        json!("\u{feff}\u{202e}\u{0}\u{7f}"),
        json!("😀e\u{301}\u{10ffff}"),
        json!("post"),
        json!("GET"),
        json!("../outside.json"),
        json!("/dev/urandom"),
        json!("#/properties"),
        json!("x".repeat(5_000)),
        deep_array(60),
        deep_array(140),
        deep_key("properties", 40, json!({"type": "string"})),
        deep_key("items", 70, json!({"type": "string"})),
        deep_key("a", 150, json!(1)),
        json!({"$ref": "#"}),
        json!({"type": "array", "minItems": 10, "items": {"type": "string", "minLength": 100}}),
        json!({"type": ["string", "null"], "maxLength": 0, "minLength": 1}),
        json!({"header": "Basic x\ny"}),
    ]);
    out
}

/// Keys whose value is a count: hostile numbers go there.
const COUNTS: [&str; 4] = ["maxLength", "minLength", "maxItems", "minItems"];

/// Keys a JSON Schema may hold.
const SCHEMA_KEYS: &[&str] = &[
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "items",
    "properties",
    "required",
    "type",
    "format",
    "enum",
    "const",
    "$ref",
    "$defs",
    "additionalProperties",
    "minimum",
    "maximum",
    "exclusiveMaximum",
    "pattern",
    "allOf",
    "\u{feff}",
];

/// Keys of the endpoint file, and of case files, besides some strangers.
const FILE_KEYS: &[&str] = &[
    "method",
    "content_type",
    "request_schema",
    "response_schema",
    "path",
    "path_params",
    "success",
    "expectations",
    "semantics",
    "created_id",
    "auth",
    "header",
    "body",
    "raw_body",
    "expect",
    "offending",
    "class",
    "kind",
    "id",
    "maxLength",
    "\u{feff}",
];

fn hostile_bytes() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [
        "18446744073709551615",
        "1e300",
        "-1",
        "99999999999999999999999999999",
        "\u{feff}",
        "\u{202e}",
        "null",
        "\"\\ud800\"",
        "\"\\u0000\"",
        "\n",
        ",",
        "}",
        "]",
        "\"",
        ":",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    out.push("[".repeat(300).into_bytes());
    out.push("{\"a\":".repeat(200).into_bytes());
    out.push(vec![0xff]);
    out.push(vec![0xc3]);
    out.push(vec![0xed, 0xa0, 0x80]);
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), select(hostile_bytes())).prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

fn edit(keys: &'static [&'static str]) -> impl Strategy<Value = Edit> {
    prop_oneof![
        (
            any::<Index>(),
            select(hostile_numbers()),
            select(hostile_values())
        )
            .prop_map(|(i, n, v)| Edit::Replace(i, n, v)),
        (
            any::<Index>(),
            select(keys),
            select(hostile_numbers()),
            select(hostile_values())
        )
            .prop_map(|(i, k, n, v)| {
                let value = if COUNTS.contains(&k) { n } else { v };
                Edit::AddKey(i, k.to_string(), value)
            }),
    ]
}

/// JSON edits, then byte mutations; mostly one or the other, so that many mutants still parse
/// and reach the checks behind the parser.
fn mutant(keys: &'static [&'static str]) -> impl Strategy<Value = (Vec<Edit>, Vec<Mutation>)> {
    prop_oneof![
        3 => (proptest::collection::vec(edit(keys), 1..=3), Just(Vec::new())),
        1 => (Just(Vec::new()), proptest::collection::vec(mutation(), 1..=3)),
        1 => (
            proptest::collection::vec(edit(keys), 1..=2),
            proptest::collection::vec(mutation(), 1..=2)
        ),
    ]
}

/// Pointers to every value of `v`, or only to its objects.
fn positions(v: &Value, at: String, objects_only: bool, out: &mut Vec<String>) {
    if !objects_only || v.is_object() {
        out.push(at.clone());
    }
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                positions(item, format!("{at}/{i}"), objects_only, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                positions(
                    item,
                    format!("{at}/{}", pointer_token(k)),
                    objects_only,
                    out,
                );
            }
        }
        _ => {}
    }
}

fn apply(original: &[u8], (edits, mutations): &(Vec<Edit>, Vec<Mutation>)) -> Vec<u8> {
    let mut bytes = original.to_vec();
    if !edits.is_empty() {
        let mut doc: Value = serde_json::from_slice(original).expect("shipped files are JSON");
        for e in edits {
            let objects_only = matches!(e, Edit::AddKey(..));
            let mut at = Vec::new();
            positions(&doc, String::new(), objects_only, &mut at);
            if at.is_empty() {
                // An earlier edit left no object to add a key to.
                continue;
            }
            match e {
                Edit::Replace(i, number, other) => {
                    if let Some(slot) = doc.pointer_mut(&at[i.index(at.len())]) {
                        *slot = if slot.is_number() { number } else { other }.clone();
                    }
                }
                Edit::AddKey(i, k, v) => {
                    if let Some(Value::Object(map)) = doc.pointer_mut(&at[i.index(at.len())]) {
                        map.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        bytes = serde_json::to_vec_pretty(&doc).expect("a JSON value serialises");
    }
    for m in mutations {
        match m {
            Mutation::Flip(i, mask) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes[at] ^= mask;
            }
            Mutation::Flip(..) => {}
            Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len() + 1)),
            Mutation::Insert(i, hostile) => {
                let at = i.index(bytes.len() + 1);
                bytes.splice(at..at, hostile.iter().copied());
            }
        }
    }
    bytes
}

fn runner() -> TestRunner {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

fn shipped(name: &str) -> Vec<u8> {
    EMBEDDED_SCHEMAS
        .get_file(name)
        .expect("shipped file")
        .contents()
        .to_vec()
}

/// A copy of the shipped schemas in `dir/schemas`.
fn shipped_schemas(dir: &Path) -> PathBuf {
    let out = dir.join("schemas");
    std::fs::create_dir_all(&out).unwrap();
    for f in EMBEDDED_SCHEMAS.files() {
        std::fs::write(out.join(f.path()), f.contents()).unwrap();
    }
    out
}

/// Everything a run loads before it sends anything: the contract, the case files, the derived
/// cases and the generators.
fn plan(dir: &Path, schemas: &Path) -> Result<(), PlanError> {
    plan_from(&dir.join("junit.xml"), "--schemas", schemas)
}

/// The plan of `run --list` with the contract from `source` (`--schemas` or `--openapi`).
fn plan_from(junit: &Path, flag: &str, source: &Path) -> Result<(), PlanError> {
    let cli = Cli::try_parse_from([
        "provisionr-conformance",
        "run",
        "--list",
        "--no-persist",
        "--junit",
        junit.to_str().unwrap(),
        flag,
        source.to_str().unwrap(),
    ])
    .expect("arguments parse");
    let Command::Run(args) = cli.command else {
        unreachable!("a run command")
    };
    args.plan().map(|_| ())
}

/// Fails the case on a panic, or on an error that does not name `file`.
fn judge<T, E: std::fmt::Display>(
    outcome: std::thread::Result<Result<T, E>>,
    file: &str,
    shown: &[u8],
) -> Result<(), TestCaseError> {
    let excerpt = String::from_utf8_lossy(&shown[..shown.len().min(600)]).into_owned();
    match outcome {
        Err(_) => Err(TestCaseError::fail(format!(
            "the loader panicked on:\n{excerpt}"
        ))),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            let message = e.to_string();
            if message.contains(file) {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "the error does not name {file}: {message}\non:\n{excerpt}"
                )))
            }
        }
    }
}

/// Runs the mutants of one shipped schema-directory file through the whole plan.
fn fuzz_contract_file(name: &str, keys: &'static [&'static str]) {
    let original = shipped(name);
    let dir = tempfile::tempdir().unwrap();
    // Only the mutated file is rewritten for each mutant: file writes are most of the cost.
    let schemas = shipped_schemas(dir.path());
    runner()
        .run(&mutant(keys), |m| {
            let bytes = apply(&original, &m);
            std::fs::write(schemas.join(name), &bytes).unwrap();
            let outcome = catch_unwind(AssertUnwindSafe(|| plan(dir.path(), &schemas)));
            judge(outcome, name, &bytes)
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

#[test]
fn mutated_endpoint_files_never_panic_and_errors_name_the_file() {
    fuzz_contract_file(ENDPOINT, FILE_KEYS);
}

#[test]
fn mutated_request_schemas_never_panic_and_errors_name_the_file() {
    // Systematically first: every count keyword, with numbers too big, fractional or negative,
    // in every object of the schema; then at random.
    let original = shipped(REQUEST);
    let doc: Value = serde_json::from_slice(&original).unwrap();
    let mut objects = Vec::new();
    positions(&doc, String::new(), true, &mut objects);
    let dir = tempfile::tempdir().unwrap();
    let schemas = shipped_schemas(dir.path());
    for at in &objects {
        for key in COUNTS {
            for n in [json!(u64::MAX), json!(1e300), json!(-1), json!(2.5)] {
                let mut mutant = doc.clone();
                if let Some(Value::Object(map)) = mutant.pointer_mut(at) {
                    map.insert(key.to_string(), n.clone());
                }
                let bytes = serde_json::to_vec_pretty(&mutant).unwrap();
                std::fs::write(schemas.join(REQUEST), &bytes).unwrap();
                let outcome = catch_unwind(AssertUnwindSafe(|| plan(dir.path(), &schemas)));
                if let Err(e) = judge(outcome, REQUEST, &bytes) {
                    panic!("`{key}: {n}` at {at:?}: {e}");
                }
            }
        }
    }
    fuzz_contract_file(REQUEST, SCHEMA_KEYS);
}

#[test]
fn mutated_response_schemas_never_panic_and_errors_name_the_file() {
    fuzz_contract_file(RESPONSE, SCHEMA_KEYS);
}

#[test]
fn mutated_case_files_never_panic_and_errors_name_the_file() {
    let contract = Operation::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases = &file::EMBEDDED_CASES;
    let originals: Vec<(String, Vec<u8>)> = cases
        .files()
        .map(|f| {
            (
                f.path().to_string_lossy().into_owned(),
                f.contents().to_vec(),
            )
        })
        .collect();
    let pick = select(originals);
    let case_dir = dir.path().join("cases");
    std::fs::create_dir(&case_dir).unwrap();
    runner()
        .run(&(pick, mutant(FILE_KEYS)), |((name, original), m)| {
            let bytes = apply(&original, &m);
            let path = case_dir.join(&name);
            std::fs::write(&path, &bytes).unwrap();
            let outcome =
                catch_unwind(AssertUnwindSafe(|| file::load_dir(&case_dir, &[&contract])));
            std::fs::remove_file(&path).unwrap();
            judge(outcome, &name, &bytes)
        })
        .unwrap_or_else(|e| panic!("case files: {e}"));
}

/// Keys of an OpenAPI document, added where they do not belong as often as where they do.
const OPENAPI_KEYS: &[&str] = &[
    "$ref",
    "nullable",
    "exclusiveMinimum",
    "example",
    "examples",
    "x-conformance",
    "security",
    "parameters",
    "requestBody",
    "responses",
    "content",
    "schema",
    "openapi",
    "in",
    "required",
    "type",
    "enum",
    "maxLength",
];

/// `run --openapi` on mutants of the committed document, as JSON (edited, then bytes changed)
/// and as YAML (bytes changed).
#[test]
fn mutated_openapi_documents_never_panic_and_errors_name_the_file() {
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/provisionr-workspace.openapi.yaml");
    let yaml = std::fs::read(&committed).unwrap();
    let as_json = std::process::Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args(["openapi", "--format", "json", "--openapi"])
        .arg(&committed)
        .output()
        .unwrap()
        .stdout;
    assert!(as_json.starts_with(b"{"));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    for (name, original, edits) in [("doc.json", as_json, true), ("doc.yaml", yaml, false)] {
        let file = dir.path().join(name);
        let plan = || plan_from(&junit, "--openapi", &file);
        let strategy = if edits {
            mutant(OPENAPI_KEYS).boxed()
        } else {
            (
                Just(Vec::new()),
                proptest::collection::vec(mutation(), 1..=3),
            )
                .boxed()
        };
        runner()
            .run(&strategy, |m| {
                let bytes = apply(&original, &m);
                std::fs::write(&file, &bytes).unwrap();
                let outcome = catch_unwind(AssertUnwindSafe(plan));
                judge(outcome, name, &bytes)
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
