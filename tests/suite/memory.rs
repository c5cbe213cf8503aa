//! What loading a document and deriving its cases holds in memory, counted by an allocator
//! that tracks the bytes this thread has live: a bound on work, not a timing. The issue's
//! goal: a request schema with 2,000 properties in under 100 MB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::common::plan;

/// The system allocator, counting what the threads that asked for it hold.
struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // During a thread's teardown its locals are gone: nothing is counted then.
    let _ = TRACKING.try_with(|on| {
        if on.get() {
            let live = LIVE.get() + delta;
            LIVE.set(live);
            if live > PEAK.get() {
                PEAK.set(live);
            }
        }
    });
}

// SAFETY: every call is passed to the system allocator unchanged; the counting only reads and
// writes this thread's cells, which allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes this thread held at once while `f` ran, above what it held before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LIVE.set(0);
    PEAK.set(0);
    TRACKING.set(true);
    let out = f();
    TRACKING.set(false);
    (out, PEAK.get().max(0) as usize)
}

/// An OpenAPI document with one operation whose request body has `n` string properties, half
/// of them required, as `bench/schemas/gen_schema_doc.py wide N` writes it.
fn wide_document(dir: &Path, n: usize) -> std::path::PathBuf {
    let props: Map<String, Value> = (0..n)
        .map(|i| {
            (
                format!("field_{i}"),
                json!({"type": "string", "maxLength": 40}),
            )
        })
        .collect();
    let required: Vec<String> = (0..n).step_by(2).map(|i| format!("field_{i}")).collect();
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "wide", "version": "1"},
        "paths": {"/things": {"post": {
            "operationId": "createThing",
            "requestBody": {"required": true, "content": {"application/json": {"schema":
                {"type": "object", "properties": props, "required": required}}}},
            "responses": {"201": {"description": "created"}, "400": {"description": "bad"}}
        }}}
    });
    let path = dir.join(format!("wide-{n}.json"));
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

/// Planning a run (loading the document, compiling its schemas, deriving every case, building
/// the generators: all `--list` does) holds memory linear in the schema's width, and a
/// 2,000-property schema well under 100 MB.
#[test]
fn a_wide_schema_s_cases_are_planned_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let measure = |n: usize| {
        let doc = wide_document(dir.path(), n);
        let (plan, peak) = peak_of(|| {
            plan(
                dir.path(),
                &[
                    "--openapi",
                    doc.to_str().unwrap(),
                    "--base-url",
                    "http://127.0.0.1:9",
                ],
            )
        });
        let cases: usize = plan.operations.iter().map(|s| s.cases.len()).sum();
        (peak, cases)
    };
    let (small, small_cases) = measure(200);
    let (large, large_cases) = measure(2000);
    assert!(
        large_cases >= 9 * small_cases,
        "{small_cases} then {large_cases} cases"
    );
    const MB: usize = 1 << 20;
    assert!(
        large < 100 * MB,
        "2,000 properties held {} MB at peak",
        large / MB
    );
    // Ten times the properties, about ten times the memory: not a hundred.
    assert!(
        large <= 15 * small,
        "{} KB then {} KB",
        small >> 10,
        large >> 10
    );
}

/// A schema that asks for gigabytes in a few lines leaves its operation untested, with the
/// pointer of the rule, before anything is built; the rest of the document is planned, and the
/// planning holds little memory.
#[test]
fn a_schema_that_asks_for_gigabytes_leaves_only_its_operation_untested() {
    let dir = tempfile::tempdir().unwrap();
    let body = |schema: Value| json!({"required": true, "content": {"application/json": {"schema": schema}}});
    let nested = json!({"type": "object", "required": ["a"], "properties": {"a": {
        "type": "array", "minItems": 5000, "items": {
            "type": "array", "minItems": 5000, "items": {"type": "string", "minLength": 1000}}}}});
    let long: Map<String, Value> = (0..200)
        .map(|i| {
            (
                format!("f{i}"),
                json!({"type": "string", "maxLength": 1000000}),
            )
        })
        .collect();
    let ok = json!({"201": {"description": "created"}, "400": {"description": "bad"}});
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "bulk", "version": "1"},
        "paths": {
            "/nested": {"post": {"operationId": "nested", "requestBody": body(nested), "responses": ok}},
            "/long": {"post": {"operationId": "long", "requestBody": body(json!({"type": "object", "properties": long})), "responses": ok}},
            "/small": {"post": {"operationId": "small", "requestBody": body(json!({"type": "object"})), "responses": ok}}
        }
    });
    let path = dir.path().join("bulk.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let (plan, peak) = peak_of(|| {
        plan(
            dir.path(),
            &[
                "--openapi",
                path.to_str().unwrap(),
                "--base-url",
                "http://127.0.0.1:9",
            ],
        )
    });
    let planned: Vec<&str> = plan
        .operations
        .iter()
        .map(|s| s.contract.endpoint.operation.as_str())
        .collect();
    assert_eq!(planned, ["small"]);
    let why = |op: &str| {
        plan.untested
            .iter()
            .find(|u| u.operation == op)
            .map(|u| u.reason.clone())
            .unwrap_or_else(|| panic!("{op} not listed untested: {:?}", plan.untested))
    };
    assert!(
        why("nested").contains("\"/properties/a/items/items\""),
        "{}",
        why("nested")
    );
    assert!(
        why("nested").contains("above the budget of 1 MB"),
        "{}",
        why("nested")
    );
    assert!(why("long").contains("/maxLength\""), "{}", why("long"));
    assert!(peak < 64 << 20, "{} MB", peak >> 20);
}
