//! OpenAPI in and out: the committed document derives the shipped suite and judges servers as
//! the native files do; what `openapi` prints reads back to the same contract; a construct the
//! suite cannot take keeps its operation untested, with its place in the document.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use provisionr_conformance::app::cli::{Cli, Command as Sub};
use provisionr_conformance::app::selftest::selftest;
use provisionr_conformance::engine::run::Plan;
use serde_json::{json, Value};

use crate::common::{plan, run_with};

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/provisionr-workspace.openapi.yaml")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
}

/// Every case as the run would send and judge it: id, kind, expectation, request, offending
/// field. Two plans with the same lines run the same suite.
fn cases_of(p: &Plan) -> Vec<String> {
    p.operations
        .iter()
        .flat_map(|o| o.cases.iter())
        .map(|c| {
            format!(
                "{} {} {:?} {:?} {:?}",
                c.id, c.kind, c.expect, c.request, c.offending
            )
        })
        .collect()
}

fn assert_same_cases(native: &Plan, other: &Plan, what: &str) {
    let (a, b) = (cases_of(native), cases_of(other));
    assert!(a.len() > 100, "{}", a.len());
    assert_eq!(a.len(), b.len(), "{what}: case count");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "{what}");
    }
}

/// `openapi` printed by the binary, in a file.
fn printed(dir: &Path, args: &[&str], name: &str) -> PathBuf {
    let out = bin().arg("openapi").args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join(name);
    std::fs::write(&file, &out.stdout).unwrap();
    file
}

#[test]
fn the_committed_document_derives_the_shipped_cases() {
    let dir = tempfile::tempdir().unwrap();
    let native = plan(dir.path(), &[]);
    let from_openapi = plan(dir.path(), &["--openapi", committed().to_str().unwrap()]);
    assert_same_cases(&native, &from_openapi, "the committed document");
    let (n, o) = (
        &native.operations[0].contract,
        &from_openapi.operations[0].contract,
    );
    assert_eq!(n.endpoint.success, o.endpoint.success);
    // The keys an endpoint file lists are the same; the document adds the parameter ones,
    // which endpoint files leave to their defaults.
    let mut from_document = o.endpoint.expectations.clone();
    assert_eq!(from_document.remove("invalid_param"), Some(vec![400, 422]));
    assert_eq!(
        from_document.remove("invalid_path"),
        Some(vec![400, 404, 422])
    );
    assert_eq!(n.endpoint.expectations, from_document);
    assert_eq!(n.endpoint.path, o.endpoint.path);
    assert_eq!(n.endpoint.semantics.len(), o.endpoint.semantics.len());
}

#[test]
fn the_committed_document_gives_the_same_verdicts() {
    // Case by case, against servers that break the response schema, the enum, a date-time
    // format and the request schema both ways.
    let dir = tempfile::tempdir().unwrap();
    let doc = committed();
    let faults = [
        "enum-uppercase",
        "missing-requested-at",
        "mins-as-string",
        "timestamp-no-offset",
        "no-max-length",
        "rejects-null-expiry",
        "expiry-drops-45s",
    ];
    let judged = |args: &[&str]| -> Vec<(String, Vec<String>)> {
        let outcome = run_with(dir.path(), &faults, args);
        outcome
            .results
            .iter()
            .map(|r| {
                let mut checks: Vec<String> = r.verdicts.iter().map(|v| v.check.clone()).collect();
                checks.sort();
                checks.dedup();
                (r.case.id.clone(), checks)
            })
            .collect()
    };
    let native = judged(&["--cases", "16", "--seed", "5"]);
    let from_openapi = judged(&[
        "--cases",
        "16",
        "--seed",
        "5",
        "--openapi",
        doc.to_str().unwrap(),
    ]);
    let failing = native.iter().filter(|(_, c)| !c.is_empty()).count();
    assert!(failing > 10, "{native:?}");
    assert_eq!(native.len(), from_openapi.len());
    let differing: Vec<_> = native
        .iter()
        .zip(&from_openapi)
        .filter(|(a, b)| a != b)
        .collect();
    assert!(differing.is_empty(), "native, then OpenAPI: {differing:#?}");
}

#[test]
fn the_self_test_scores_the_same_from_the_committed_document() {
    let doc = committed();
    let argv = [
        "provisionr-conformance",
        "selftest",
        "--cases",
        "64",
        "--openapi",
        doc.to_str().unwrap(),
    ];
    let Sub::Selftest(a) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("not selftest")
    };
    let (plan, subjects) = a.plan().unwrap();
    let report = selftest(&plan, &subjects).unwrap();
    assert!(report.total >= 72, "{}", report.total);
    assert!(report.missed().is_empty(), "missed: {:?}", report.missed());
    assert!(report.clean_passed, "{:?}", report.clean);
    assert_eq!(report.variations_passed, report.variations_total);
}

#[test]
fn what_openapi_prints_reads_back_as_the_same_contract() {
    let dir = tempfile::tempdir().unwrap();
    let native = plan(dir.path(), &[]);
    for (args, name) in [
        (&["--format", "json"][..], "native.json"),
        (&[][..], "native.yaml"),
        (
            &["--openapi", committed().to_str().unwrap()][..],
            "committed.yaml",
        ),
    ] {
        let file = printed(dir.path(), args, name);
        let back = plan(dir.path(), &["--openapi", file.to_str().unwrap()]);
        assert_same_cases(&native, &back, name);
        // And once more: printing what was read back changes nothing.
        let again = printed(
            dir.path(),
            &["--format", "json", "--openapi", file.to_str().unwrap()],
            "again.json",
        );
        let first = printed(
            dir.path(),
            &["--format", "json", "--openapi", file.to_str().unwrap()],
            "first.json",
        );
        assert_eq!(
            std::fs::read_to_string(&again).unwrap(),
            std::fs::read_to_string(&first).unwrap()
        );
    }
}

#[test]
fn the_printed_document_is_openapi_3_1_with_pinned_parameters() {
    let out = bin()
        .args([
            "openapi",
            "--format",
            "json",
            "--path-param",
            "service=svc_pinned",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let op = &doc["paths"]["/workspace/services/{service}/tokens/access"]["post"];
    assert_eq!(op["operationId"], "create_service_access_token");
    assert_eq!(op["parameters"][0]["schema"]["enum"], json!(["svc_pinned"]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    for status in ["200", "201"] {
        let schema = &op["responses"][status]["content"]["application/json"]["schema"]["$ref"];
        let name = schema.as_str().unwrap().rsplit('/').next().unwrap();
        assert!(doc["components"]["schemas"][name]["properties"]["timestamp"].is_object());
    }
    for status in ["400", "401", "404", "415", "422"] {
        assert!(
            op["responses"][status]["description"].is_string(),
            "{status}"
        );
    }
    assert_eq!(
        op["x-conformance"]["fields"]["/expires_at"]["past"],
        "unspecified"
    );

    let unknown = bin()
        .args(["openapi", "--path-param", "project=p"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("`project`"));
}

/// An OpenAPI 3.0 document with one operation; `edit` changes it before it is written.
fn document_30(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": { "title": "Notes", "version": "1" },
        "components": {
            "securitySchemes": { "token": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Note": {
                    "type": "object",
                    "required": ["title"],
                    "properties": {
                        "title": { "type": "string", "maxLength": 20, "example": "groceries" },
                        "due": { "type": "string", "format": "date-time", "nullable": true },
                        "stars": { "type": "integer", "minimum": 0, "exclusiveMinimum": true },
                        "colour": { "type": "string", "enum": ["red", "blue"], "nullable": true }
                    }
                }
            }
        },
        "security": [{ "token": [] }],
        "paths": {
            "/projects/{project}/notes": {
                "post": {
                    "operationId": "create_note",
                    "parameters": [{ "name": "project", "in": "path", "required": true,
                                     "schema": { "type": "string", "example": "prj_1" } }],
                    "requestBody": { "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Note" } } } },
                    "responses": {
                        "201": { "description": "created", "content": { "application/json": {
                            "schema": { "$ref": "#/components/schemas/Note" } } } },
                        "202": { "description": "queued", "content": { "application/json": {
                            "schema": { "type": "object", "required": ["ticket"],
                                        "properties": { "ticket": { "type": "string" } } } } } },
                        "422": { "description": "invalid" },
                        "401": { "description": "no token" }
                    },
                    "x-conformance": { "fields": { "/due": { "past": "invalid" } } }
                },
                "get": { "operationId": "list_notes", "responses": { "200": { "description": "ok" } } }
            }
        }
    });
    edit(&mut doc);
    let file = dir.join("notes.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    file
}

#[test]
fn openapi_3_0_is_converted_to_2020_12() {
    let dir = tempfile::tempdir().unwrap();
    let file = document_30(dir.path(), |_| {});
    let contracts = provisionr_conformance::contract::openapi::load(&file)
        .unwrap()
        .operations;
    assert_eq!(
        contracts.len(),
        1,
        "the GET has no body and is not an endpoint"
    );
    let c = &contracts[0];
    let e = &c.endpoint;
    assert_eq!(
        (e.method.as_str(), e.path.as_str()),
        ("POST", "/projects/{project}/notes")
    );
    assert_eq!(e.path_params["project"].example, "prj_1");
    assert_eq!(e.success, [201, 202]);
    assert_eq!(
        e.expectations["invalid_body"],
        [422],
        "the documented one of 400/422"
    );
    assert_eq!(e.expectations["auth"], [401]);
    assert_eq!(
        e.expectations["unknown_path"],
        [404],
        "undocumented: the usual"
    );
    let note = &c.request_schema["$defs"]["Note"]["properties"];
    assert_eq!(note["due"]["type"], json!(["string", "null"]));
    assert_eq!(note["colour"]["enum"], json!(["red", "blue", null]));
    assert_eq!(note["stars"]["exclusiveMinimum"], json!(0));
    assert!(note["stars"].get("minimum").is_none());
    assert_eq!(note["title"]["examples"], json!(["groceries"]));
    // The nullable enum accepts null; the exclusive minimum refuses 0.
    assert!(c
        .request_validator
        .is_valid(&json!({"title": "a", "colour": null, "stars": 1})));
    assert!(!c
        .request_validator
        .is_valid(&json!({"title": "a", "stars": 0})));
    // Each success status is judged by its own schema.
    let (_, created) = c.response_for(201);
    let (_, queued) = c.response_for(202);
    assert!(created.is_valid(&json!({"title": "a"})));
    assert!(!queued.is_valid(&json!({"title": "a"})));
    assert!(queued.is_valid(&json!({"ticket": "t1"})));
    // The field policy from x-conformance: a past `due` is invalid, not unspecified.
    assert_eq!(
        c.past_date_time("/due"),
        provisionr_conformance::contract::Class::Invalid
    );
}

#[test]
fn read_only_write_only_nullable_refs_and_neighbour_methods_are_honoured() {
    use provisionr_conformance::contract::Class;
    let dir = tempfile::tempdir().unwrap();
    let file = document_30(dir.path(), |d| {
        let note = &mut d["components"]["schemas"]["Note"];
        note["required"] = json!(["title", "stars", "id", "secret", "created"]);
        note["properties"]["id"] = json!({"type": "string", "readOnly": true});
        // Read-only behind a nullable wrapper, as 3.0 documents write a nullable reference.
        note["properties"]["created"] = json!({"allOf": [{"$ref": "#/components/schemas/Ts"}],
                                               "readOnly": true, "nullable": true});
        // A policy on a date-time field behind a wrapper; an example long past.
        note["properties"]["when"] = json!({"allOf": [{"$ref": "#/components/schemas/Ts"}],
                                            "nullable": true, "example": "2020-01-01T00:00:00Z"});
        // Null as the example where servers differ on null; exclusive bounds beside nullable.
        note["properties"]["parent"]["example"] = Value::Null;
        note["properties"]["score"] =
            json!({"minimum": 0, "exclusiveMinimum": true, "nullable": true});
        note["properties"]["due"]["example"] = json!("2020-01-01T00:00:00Z");
        note["properties"]["secret"] = json!({"type": "string", "writeOnly": true});
        note["properties"]["parent"] =
            json!({"allOf": [{"$ref": "#/components/schemas/Tag"}], "nullable": true});
        // An example its own schema refuses, as real documents have.
        note["properties"]["title"]["maxLength"] = json!(5);
        d["components"]["schemas"]["Tag"] = json!({"type": "string", "maxLength": 5});
        d["components"]["schemas"]["Ts"] = json!({"type": "string", "format": "date-time"});
        d["components"]["responses"] = json!({"Created": {"description": "created",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}}});
        let post = &mut d["paths"]["/projects/{project}/notes"]["post"];
        post["responses"]["201"] = json!({"$ref": "#/components/responses/Created"});
        post["responses"]["400"] = json!({"description": "bad"});
        post["x-conformance"] =
            json!({"fields": {"/due": {"past": "invalid"}, "/when": {"past": "invalid"}}});
    });
    let contracts = provisionr_conformance::contract::openapi::load(&file)
        .unwrap()
        .operations;
    let c = &contracts[0];
    let valid = |v: Value| c.request_validator.is_valid(&v);
    // readOnly is not sent, so not required of a request; writeOnly is.
    assert!(valid(
        json!({"title": "a", "stars": 1, "secret": "s", "parent": null})
    ));
    assert!(
        !valid(json!({"title": "a", "stars": 1})),
        "secret is required"
    );
    // Nullable around a reference: null, or what the reference allows.
    assert!(valid(
        json!({"title": "a", "stars": 1, "secret": "s", "parent": "abc"})
    ));
    assert!(!valid(
        json!({"title": "a", "stars": 1, "secret": "s", "parent": "abcdef"})
    ));
    // The 201 response by reference; writeOnly need not be answered (an answer that holds it
    // breaks only a SHOULD NOT), readOnly is required.
    let (_, created) = c.response_for(201);
    assert!(created.is_valid(
        &json!({"title": "a", "stars": 1, "id": "n1", "created": "2030-01-01T00:00:00Z"})
    ));
    assert!(created.is_valid(&json!({
        "title": "a", "stars": 1, "id": "n1", "created": "2030-01-01T00:00:00Z", "secret": "s"
    })));
    assert!(!created.is_valid(&json!({"title": "a", "stars": 1})));
    // 415 is always an answer to a wrong media type, beside what the document lists.
    assert!(c.endpoint.expectations["media_type"].contains(&415));
    assert!(c.endpoint.path_methods.contains("GET"));
    let plan = plan(dir.path(), &["--openapi", file.to_str().unwrap()]);
    let cases = &plan.operations[0].cases;
    // Every case expected to succeed sends a body the schema accepts, though the base body
    // would take `title` from its example, which is too long.
    let valid_cases = cases.iter().filter(|c| c.class() == Class::Valid).count();
    assert!(
        valid_cases >= 25,
        "the base body itself is valid: {valid_cases}"
    );
    for case in cases {
        assert!(
            !case.title.contains("unspecified: the schema"),
            "the deriver built {} wrong: {}",
            case.id,
            case.title
        );
    }
    for case in cases.iter().filter(|c| c.class() == Class::Valid) {
        if let Some(body) = case.request.body.json() {
            assert!(valid(body.clone().into_owned()), "{}: {body}", case.id);
            // The past examples are not the base: `due` and `when` refuse a past value.
            assert_ne!(body["due"], json!("2020-01-01T00:00:00Z"), "{}", case.id);
            assert_ne!(body["when"], json!("2020-01-01T00:00:00Z"), "{}", case.id);
            assert_ne!(body.get("parent"), Some(&Value::Null), "{}", case.id);
        }
    }
    // The document does not say the body is required (OpenAPI's default is that it is not):
    // an empty body is no invalid request.
    let empty = cases
        .iter()
        .find(|c| c.id.ends_with("body::empty"))
        .unwrap();
    assert_eq!(empty.class(), Class::Unspecified);
    // Null where a 3.0 nullable has no type: servers differ, so the null case is open.
    let null_parent = cases.iter().find(|c| c.id == "null::parent::null").unwrap();
    assert_eq!(null_parent.class(), Class::Unspecified);
    // GET has an operation of its own on this path: no wrong method, unlike PUT.
    let method = |m: &str| {
        cases
            .iter()
            .find(|c| c.kind == "method" && c.request.method == m)
            .unwrap_or_else(|| panic!("a {m} case"))
            .class()
    };
    assert_eq!(method("GET"), Class::Unspecified);
    assert_eq!(method("PUT"), Class::Invalid);
}

#[test]
fn year_zero_follows_the_past_policy_but_is_never_required() {
    use provisionr_conformance::contract::Class;
    let dir = tempfile::tempdir().unwrap();
    for (policy, expected) in [("invalid", Class::Invalid), ("valid", Class::Unspecified)] {
        let file = document_30(dir.path(), |d| {
            d["paths"]["/projects/{project}/notes"]["post"]["x-conformance"] =
                json!({"fields": {"/due": {"past": policy}}});
        });
        let plan = plan(dir.path(), &["--openapi", file.to_str().unwrap()]);
        let year_zero: Vec<Class> = plan.operations[0]
            .cases
            .iter()
            .filter(|c| c.id.contains("year_zero"))
            .map(|c| c.class())
            .collect();
        assert_eq!(year_zero, [expected], "past {policy}");
    }
    // Expectations said in x-conformance are taken as they are: no 415 is added.
    let file = document_30(dir.path(), |d| {
        d["paths"]["/projects/{project}/notes"]["post"]["x-conformance"] =
            json!({"expectations": {"media_type": [400]}});
    });
    let c = &provisionr_conformance::contract::openapi::load(&file)
        .unwrap()
        .operations[0];
    assert_eq!(c.endpoint.expectations["media_type"], [400]);
    // A date-time field of a schema that has an `allOf` beside its properties has its policy.
    let file = document_30(dir.path(), |d| {
        let note = &mut d["components"]["schemas"]["Note"];
        note["allOf"] = json!([{"$ref": "#/components/schemas/Base"}]);
        d["components"]["schemas"]["Base"] = json!({"type": "object"});
        d["paths"]["/projects/{project}/notes"]["post"]["x-conformance"] =
            json!({"fields": {"/due": {"past": "valid"}}});
    });
    assert!(provisionr_conformance::contract::openapi::load(&file).is_ok());
    // A policy for a field that is no date-time would be ignored: it is refused instead.
    let file = document_30(dir.path(), |d| {
        d["paths"]["/projects/{project}/notes"]["post"]["x-conformance"] =
            json!({"fields": {"/title": {"past": "valid"}}});
    });
    let e = provisionr_conformance::contract::openapi::load(&file).unwrap_err();
    assert!(e.to_string().contains("fields: `/title`"), "{e}");
}

#[test]
fn a_media_type_with_parameters_gets_one_charset_in_its_cases() {
    let dir = tempfile::tempdir().unwrap();
    let file = document_30(dir.path(), |d| {
        let body = &mut d["paths"]["/projects/{project}/notes"]["post"]["requestBody"];
        let schema = body["content"]["application/json"].take();
        body["content"] = json!({"application/json; charset=utf-8": schema});
    });
    let plan = plan(dir.path(), &["--openapi", file.to_str().unwrap()]);
    let types: Vec<String> = plan.operations[0]
        .cases
        .iter()
        .filter(|c| c.id.ends_with("::charset") || c.id.ends_with("::charset_upper_no_space"))
        .filter_map(|c| c.request.content_type.clone())
        .collect();
    assert_eq!(
        types,
        [
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8"
        ]
    );
}

#[test]
fn security_is_read_per_operation() {
    let dir = tempfile::tempdir().unwrap();
    let post = "/paths/~1projects~1{project}~1notes/post/security";
    let load = provisionr_conformance::contract::openapi::load;
    let with = |security: Value| {
        document_30(dir.path(), |d| {
            d["components"]["securitySchemes"]["key"] =
                json!({"type": "apiKey", "in": "header", "name": "X-Key"});
            d["paths"]["/projects/{project}/notes"]["post"]["security"] = security;
        })
    };
    // Every requirement is taken as written; the plan chooses from the run's credentials.
    let d = load(&with(json!([]))).unwrap();
    assert_eq!(d.operations[0].endpoint.auth.scheme, "none");
    let d = load(&with(json!([{"token": []}, {}]))).unwrap();
    let s = &d.operations[0].endpoint.auth.security;
    assert!(s.optional && s.alternatives.len() == 1, "{s:?}");
    let d = load(&with(json!([{"key": []}, {"token": []}]))).unwrap();
    let s = &d.operations[0].endpoint.auth.security;
    assert_eq!(s.alternatives.len(), 2, "{s:?}");
    // Several schemes at once: one alternative of both.
    let d = load(&with(json!([{"token": [], "key": []}]))).unwrap();
    let s = &d.operations[0].endpoint.auth.security;
    let names: Vec<&str> = s.alternatives[0].iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["token", "key"]);
    // A scheme that is not in the components is refused with its pointer.
    let e = load(&with(json!([{"nope": []}]))).unwrap_err();
    assert!(
        e.message.contains(post) && e.message.contains("`nope`"),
        "{}",
        e.message
    );
}

#[test]
fn a_construct_the_suite_cannot_take_exits_2_with_its_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let post = "/paths/~1projects~1{project}~1notes/post";
    type Edit = Box<dyn FnOnce(&mut Value)>;
    // Refused as a whole: not OpenAPI 3, or nothing in it can be tested (here both operations
    // need an API key, and the run has none: the message names the flag).
    let whole: Vec<(Edit, String)> = vec![
        (
            Box::new(|d: &mut Value| d["openapi"] = json!("2.0")),
            "/openapi".into(),
        ),
        (
            Box::new(|d: &mut Value| {
                d["components"]["securitySchemes"]["token"] =
                    json!({"type": "apiKey", "in": "header", "name": "X-Key"})
            }),
            "needs a credential for `token` (API key in the header `X-Key`): export it in a variable and pass --credential token=VAR".into(),
        ),
    ];
    for (edit, pointer) in whole {
        let file = document_30(dir.path(), edit);
        let out = bin()
            .args(["run", "--list", "--openapi"])
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{pointer}: {err}");
        assert!(err.contains(&pointer), "{pointer}: {err}");
        assert!(err.contains("notes.json"), "{err}");
    }
    // Refused for the operation alone, with its pointer; the GET beside it is tested.
    let alone: Vec<(Edit, String)> = vec![
        (
            Box::new(|d: &mut Value| {
                d["components"]["schemas"]["Note"]["properties"]["title"] =
                    json!({"$ref": "other.yaml#/Title"})
            }),
            "/components/schemas/Note/properties/title/$ref".into(),
        ),
        (
            Box::new(|d: &mut Value| {
                d["paths"]["/projects/{project}/notes"]["post"]["requestBody"] =
                    json!({"$ref": "#/components/requestBodies/Missing"})
            }),
            format!("{post}/requestBody"),
        ),
        (
            Box::new(|d: &mut Value| {
                d["paths"]["/projects/{project}/notes"]["post"]["x-conformance"] =
                    json!({"colour": 1})
            }),
            format!("{post}/x-conformance"),
        ),
        (
            // A response by reference: the pointer is where the schema is written.
            Box::new(|d: &mut Value| {
                d["components"]["responses"] = json!({"Created": {"description": "created",
                    "content": {"application/json": {"schema": {"$ref": "other.yaml#/X"}}}}});
                d["paths"]["/projects/{project}/notes"]["post"]["responses"]["201"] =
                    json!({"$ref": "#/components/responses/Created"});
            }),
            "/components/responses/Created/content/application~1json/schema/$ref".into(),
        ),
    ];
    for (edit, pointer) in alone {
        let file = document_30(dir.path(), |d| {
            edit(d);
            d["paths"]["/projects/{project}/notes"]["get"]["parameters"] =
                d["paths"]["/projects/{project}/notes"]["post"]["parameters"].clone();
        });
        let d = provisionr_conformance::contract::openapi::load(&file).unwrap();
        let ids: Vec<&str> = d
            .operations
            .iter()
            .map(|o| o.endpoint.operation.as_str())
            .collect();
        assert_eq!(ids, ["list_notes"], "{pointer}");
        assert_eq!(d.untested.len(), 1, "{pointer}: {:?}", d.untested);
        assert_eq!(d.untested[0].operation, "create_note");
        assert_eq!(d.untested[0].pointer, pointer, "{:?}", d.untested);
    }
    // What was refused before and is taken now: a required header parameter, a success
    // without a body.
    let taken: Vec<Edit> = vec![
        Box::new(|d: &mut Value| {
            let p = &mut d["paths"]["/projects/{project}/notes"]["post"]["parameters"];
            p.as_array_mut()
                .unwrap()
                .push(json!({"name": "X-Tenant", "in": "header", "required": true}));
        }),
        Box::new(|d: &mut Value| {
            d["paths"]["/projects/{project}/notes"]["post"]["responses"]["204"] =
                json!({"description": "none"})
        }),
    ];
    for edit in taken {
        let file = document_30(dir.path(), edit);
        let d = provisionr_conformance::contract::openapi::load(&file).unwrap();
        assert_eq!(d.operations[0].endpoint.operation, "create_note");
    }
    // A path parameter without an example gets a value built from its schema; --path-param
    // still sets it.
    let file = document_30(dir.path(), |d| {
        d["paths"]["/projects/{project}/notes"]["post"]["parameters"][0]["schema"] =
            json!({"type": "string"})
    });
    let list = |extra: &[&str]| {
        bin()
            .args(["run", "--list", "--openapi"])
            .arg(&file)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = list(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        list(&["--path-param", "project=prj_9"]).status.code(),
        Some(0)
    );
    // Not YAML at all: the line and column.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "openapi: 3.1.0\npaths: [unclosed\n").unwrap();
    let out = bin()
        .args(["openapi", "--openapi"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.yaml:") && err.contains("not YAML"),
        "{err}"
    );
}

#[test]
fn recent_and_links_to_come_only_through_x_conformance() {
    use provisionr_conformance::contract::SemanticKind;
    let dir = tempfile::tempdir().unwrap();
    let bare = document_30(dir.path(), |_| {});
    let d = provisionr_conformance::contract::openapi::load(&bare).unwrap();
    assert!(d.operations.iter().all(|o| o.endpoint.semantics.is_empty()));
    let rules = json!({"semantics": [
        {"check": "recent", "response": "/created_at", "skew_minutes": 10},
        {"check": "links_to", "response": "/_links/self", "to": "/id"},
    ]});
    let file = document_30(dir.path(), |d| {
        d["paths"]["/projects/{project}/notes"]["post"]["x-conformance"] = rules.clone();
    });
    let d = provisionr_conformance::contract::openapi::load(&file).unwrap();
    let post = d
        .operations
        .iter()
        .find(|o| o.endpoint.operation == "create_note")
        .unwrap();
    let kinds: Vec<SemanticKind> = post.endpoint.semantics.iter().map(|s| s.check).collect();
    assert_eq!(kinds, [SemanticKind::Recent, SemanticKind::LinksTo]);
    assert_eq!(post.endpoint.semantics[0].skew_minutes, Some(10));
    // A rule that cannot be taken leaves the operation untested, with the pointer and why.
    let at = "/paths/~1projects~1{project}~1notes/post";
    for (rule, why) in [
        (
            json!({"check": "links_to", "response": "/_links/self"}),
            "needs `to`",
        ),
        (
            json!({"check": "recent", "response": "/at", "skew_minutes": 0}),
            "`skew_minutes` must be 1 to 1440",
        ),
        (
            json!({"check": "echo", "request": "/a", "response": "/a", "skew_minutes": 5}),
            "`skew_minutes` belongs to `recent` rules",
        ),
        (json!({"check": "recnt", "response": "/at"}), "recnt"),
    ] {
        let file = document_30(dir.path(), |d| {
            d["paths"]["/projects/{project}/notes"]["post"]["x-conformance"] =
                json!({"semantics": [rule]});
            d["paths"]["/projects/{project}/notes"]["get"]["parameters"] =
                d["paths"]["/projects/{project}/notes"]["post"]["parameters"].clone();
        });
        let d = provisionr_conformance::contract::openapi::load(&file).unwrap();
        let untested = &d.untested;
        assert_eq!(untested.len(), 1, "{why}: {untested:?}");
        assert_eq!(untested[0].operation, "create_note");
        assert!(untested[0].pointer.starts_with(at), "{:?}", untested[0]);
        let text = format!("{:?}", untested[0]);
        assert!(text.contains(why), "{why}: {text}");
    }
}
