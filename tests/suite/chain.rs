//! Ids that exist: a path value taken from an earlier answer (the creating operation's, or an
//! OpenAPI link's) by a set-up request, against servers that hold real state and answer 404 for
//! any id they did not create; the 404 accepted with a warning where no id can be had; and the
//! created list with the operation of each id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use provisionr_conformance::contract::Class;
use provisionr_conformance::engine::outcome::{CaseResult, RunOutcome};
use provisionr_conformance::report::human::failure_text;
use provisionr_conformance::report::write::run_and_write;
use serde_json::{json, Value};

use crate::common::{plan, serve_app};

/// How the things server misbehaves, if at all.
#[derive(Clone, Copy, Default)]
struct Quirks {
    /// `POST /things` answers 500.
    post_fails: bool,
    /// `GET /things/{id}` answers 404 even to an id it created.
    forgets: bool,
    /// `GET /things/{id}` leaves `name` out of the thing (its schema requires it).
    drops_name: bool,
    /// The created thing's id is at `/data/key`, not `/id`.
    keyed: bool,
}

type Store = Arc<Mutex<HashMap<String, Value>>>;

/// `POST /v1/things` creates a thing (201, a new id) from a body with a string `name`;
/// `GET /v1/things/{id}` answers it, and 404 for any id it did not create.
fn things_server(quirks: Quirks) -> (std::net::SocketAddr, tokio::runtime::Runtime, Store) {
    let store: Store = Arc::default();
    let create = move |State(store): State<Store>, body: Bytes| async move {
        if quirks.post_fails {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        let Some(name) = parsed
            .as_ref()
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
        else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        let mut things = store.lock().unwrap();
        let id = format!("t{}", things.len() + 100);
        let thing = if quirks.keyed {
            json!({"data": {"key": id, "name": name}})
        } else {
            json!({"id": id, "name": name})
        };
        things.insert(id.clone(), json!({"id": id, "name": name}));
        (
            StatusCode::CREATED,
            [("content-type", "application/json")],
            thing.to_string(),
        )
            .into_response()
    };
    let show = move |State(store): State<Store>, UrlPath(id): UrlPath<String>| async move {
        let thing = store.lock().unwrap().get(&id).cloned();
        match thing {
            Some(mut t) if !quirks.forgets => {
                if quirks.drops_name {
                    t.as_object_mut().unwrap().remove("name");
                }
                (
                    StatusCode::OK,
                    [("content-type", "application/json")],
                    t.to_string(),
                )
                    .into_response()
            }
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    };
    let app = axum::Router::new()
        .route("/v1/things", post(create))
        .route("/v1/things/{id}", get(show))
        .with_state(store.clone());
    let (addr, rt) = serve_app(app);
    (addr, rt, store)
}

fn thing_schema() -> Value {
    json!({"type": "object", "required": ["id", "name"],
           "properties": {"id": {"type": "string"}, "name": {"type": "string"}}})
}

/// `POST /things` (its 201 body `created`, with `links`) and `GET /things/{thingId}`, whose
/// example id `t_example` the server never has.
fn things_doc(dir: &Path, created: Value, links: Value) -> PathBuf {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Things", "version": "1"},
        "paths": {
            "/things": {"post": {
                "operationId": "createThing",
                "requestBody": {"required": true, "content": {"application/json": {"schema":
                    {"type": "object", "required": ["name"],
                     "properties": {"name": {"type": "string", "example": "box"}}}}}},
                "responses": {
                    "201": {"description": "created", "links": links,
                            "content": {"application/json": {"schema": created}}},
                    "400": {"description": "invalid"}
                }
            }},
            "/things/{thingId}": {"get": {
                "operationId": "getThing",
                "parameters": [{"name": "thingId", "in": "path", "required": true,
                                "schema": {"type": "string", "example": "t_example"}}],
                "responses": {
                    "200": {"description": "the thing",
                            "content": {"application/json": {"schema": thing_schema()}}},
                    "404": {"description": "no such thing"}
                }
            }}
        }
    });
    let file = dir.join("things.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    file
}

/// Runs `doc` against the server at `addr`, with a summary (and the extra `args`).
fn run(dir: &Path, doc: &Path, addr: std::net::SocketAddr, args: &[&str]) -> (RunOutcome, Value) {
    let summary = dir.join("summary.json");
    let base = format!("http://{addr}/v1");
    let mut all = vec![
        "--openapi",
        doc.to_str().unwrap(),
        "--base-url",
        &base,
        "--cases",
        "2",
        "--summary",
        summary.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let outcome = run_and_write(plan(dir, &all)).unwrap();
    let s = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    (outcome, s)
}

/// The valid cases of operation `op` (the run has several, so ids start with it).
fn valid_of<'a>(outcome: &'a RunOutcome, op: &str) -> Vec<&'a CaseResult> {
    let valid: Vec<&CaseResult> = outcome
        .results
        .iter()
        .filter(|r| r.case.id.starts_with(&format!("{op}::")) && is_valid_case(r))
        .collect();
    assert!(!valid.is_empty(), "no valid case of {op}");
    valid
}

/// A valid case, not a property (whose results are valid-class too).
fn is_valid_case(r: &CaseResult) -> bool {
    r.case.class() == Class::Valid && !r.case.id.contains("property::")
}

fn status_of(r: &CaseResult) -> u16 {
    match &r.exchange.outcome {
        Ok(resp) => resp.status,
        Err(e) => panic!("{}: not answered: {}", r.case.id, e.message),
    }
}

fn warnings_of(summary: &Value) -> Vec<String> {
    summary["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["actual"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_get_gets_200_on_the_id_the_post_returned() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _rt, store) = things_server(Quirks::default());
    let doc = things_doc(dir.path(), thing_schema(), json!({}));
    let (outcome, summary) = run(dir.path(), &doc, addr, &[]);
    for r in valid_of(&outcome, "getThing") {
        assert_eq!(status_of(r), 200, "{}: {:?}", r.case.id, r.verdicts);
        assert!(
            r.errors().next().is_none(),
            "{}: {:?}",
            r.case.id,
            r.verdicts
        );
        let c = &r.chained[0];
        assert_eq!(
            (c.param.as_str(), c.operation.as_str()),
            ("thingId", "createThing")
        );
        assert!(store.lock().unwrap().contains_key(&c.value), "{}", c.value);
        assert_eq!(c.from, "$response.body#/id");
        assert_eq!((c.setup.method.as_str(), c.status), ("POST", 201));
    }
    // One set-up request for every case that needed the id, listed in the summary.
    let setups = summary["setup_requests"].as_array().unwrap();
    assert_eq!(setups.len(), 1, "{setups:?}");
    assert_eq!(setups[0]["operation"], "POST /things");
    assert_eq!(setups[0]["status"], 201);
}

#[test]
fn a_failing_chained_case_reproduces_with_the_set_up_request_first() {
    let dir = tempfile::tempdir().unwrap();
    let quirks = Quirks {
        drops_name: true,
        ..Quirks::default()
    };
    let (addr, _rt, _store) = things_server(quirks);
    let doc = things_doc(dir.path(), thing_schema(), json!({}));
    let (outcome, summary) = run(dir.path(), &doc, addr, &[]);
    let failed = valid_of(&outcome, "getThing")
        .into_iter()
        .find(|r| r.errors().any(|v| v.check == "response_schema"))
        .expect("the thing without its name breaks the schema");
    let text = failure_text(failed, &outcome_redactor());
    let id = &failed.chained[0].value;
    assert!(
        text.contains(&format!("chained: path value `thingId` = {id}, from the set-up request POST http://{addr}/v1/things")),
        "{text}"
    );
    let reproduce = text
        .split("reproduce (the set-up request first):\n")
        .nth(1)
        .expect(&text);
    let lines: Vec<&str> = reproduce.lines().collect();
    assert!(
        lines[0].starts_with("# set-up request (createThing): take `thingId`"),
        "{text}"
    );
    assert!(
        lines[1].contains("-X POST") && lines[1].contains("/v1/things'"),
        "{text}"
    );
    assert!(
        lines[2].contains("-X GET") && lines[2].contains(&format!("/v1/things/{id}")),
        "{text}"
    );
    // The summary's finding carries it too.
    let violations = summary["violations"].as_array().unwrap();
    assert!(
        violations.iter().any(|v| v["chained"][0]
            .as_str()
            .is_some_and(|c| c.contains("`thingId`"))),
        "{violations:?}"
    );
}

fn outcome_redactor() -> provisionr_conformance::redact::Redactor {
    provisionr_conformance::redact::Redactor::new(Vec::<String>::new())
}

#[test]
fn a_server_that_answers_404_to_an_id_it_just_created_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let quirks = Quirks {
        forgets: true,
        ..Quirks::default()
    };
    let (addr, _rt, _store) = things_server(quirks);
    let doc = things_doc(dir.path(), thing_schema(), json!({}));
    let (outcome, _) = run(dir.path(), &doc, addr, &[]);
    for r in valid_of(&outcome, "getThing") {
        assert_eq!(status_of(r), 404);
        assert!(
            r.errors().any(|v| v.check == "status"),
            "{}: the 404 to an id that exists passed: {:?}",
            r.case.id,
            r.verdicts
        );
    }
    assert_ne!(outcome.exit_code, 0);
}

#[test]
fn an_openapi_link_supplies_the_id() {
    let dir = tempfile::tempdir().unwrap();
    let quirks = Quirks {
        keyed: true,
        ..Quirks::default()
    };
    let (addr, _rt, store) = things_server(quirks);
    // The created object has no field the parent-path rule would find: only the link knows.
    let keyed = json!({"type": "object", "properties": {"data": {"type": "object"}}});
    let links = json!({"show": {"operationId": "getThing",
                                "parameters": {"path.thingId": "$response.body#/data/key"}}});
    let doc = things_doc(dir.path(), keyed, links);
    let (outcome, _) = run(dir.path(), &doc, addr, &[]);
    for r in valid_of(&outcome, "getThing") {
        assert_eq!(status_of(r), 200, "{}: {:?}", r.case.id, r.verdicts);
        let c = &r.chained[0];
        assert_eq!(c.from, "$response.body#/data/key");
        assert!(store.lock().unwrap().contains_key(&c.value));
    }
}

#[test]
fn a_link_expression_the_suite_cannot_evaluate_is_a_load_warning() {
    let dir = tempfile::tempdir().unwrap();
    let links = json!({"show": {"operationId": "getThing",
                                "parameters": {"thingId": "$url"}}});
    let doc = things_doc(dir.path(), thing_schema(), links);
    let d = provisionr_conformance::contract::openapi::load(&doc).unwrap();
    assert!(
        d.warnings.iter().any(|w| w.pointer
            == "/paths/~1things/post/responses/201/links/show/parameters/thingId"
            && w.message.contains("$url")),
        "{:?}",
        d.warnings
    );
    // The creating operation still gives it.
    let s = &d.id_sources[0];
    assert_eq!(
        (s.consumer.as_str(), s.producer.as_str()),
        ("getThing", "createThing")
    );
}

#[test]
fn an_id_that_breaks_the_parameter_s_own_schema_is_not_sent() {
    // The server's ids (`t100`) are longer than the GET documents (`maxLength: 3`): a mock's
    // made-up id, or a document out of step with its server. The valid cases are the GET's to
    // pass, so they send the example, and its 404 is accepted with why.
    let dir = tempfile::tempdir().unwrap();
    let (addr, _rt, _store) = things_server(Quirks::default());
    let doc = things_doc(dir.path(), thing_schema(), json!({}));
    let text = std::fs::read_to_string(&doc).unwrap();
    let narrowed = text.replace(
        r#"{"type":"string","example":"t_example"}"#,
        r#"{"type":"string","maxLength":3,"example":"t_e"}"#,
    );
    assert_ne!(text, narrowed, "the parameter schema is in the document");
    std::fs::write(&doc, narrowed).unwrap();
    let (outcome, summary) = run(dir.path(), &doc, addr, &[]);
    let valid = valid_of(&outcome, "getThing");
    assert!(!valid.is_empty());
    for r in valid {
        assert_eq!(status_of(r), 404, "{}", r.case.id);
        assert!(
            r.errors().next().is_none(),
            "{}: {:?}",
            r.case.id,
            r.verdicts
        );
        assert!(r.chained.is_empty(), "{}", r.case.id);
    }
    let warnings = warnings_of(&summary);
    assert!(
        warnings
            .iter()
            .any(|w| w
                .contains("breaks the parameter's own schema; sent the document's example t_e")),
        "{warnings:?}"
    );
}

#[test]
fn a_set_up_post_that_answers_500_leaves_the_404_accepted_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let quirks = Quirks {
        post_fails: true,
        ..Quirks::default()
    };
    let (addr, _rt, _store) = things_server(quirks);
    let doc = things_doc(dir.path(), thing_schema(), json!({}));
    let (outcome, summary) = run(dir.path(), &doc, addr, &[]);
    for r in valid_of(&outcome, "getThing") {
        assert_eq!(status_of(r), 404);
        assert!(
            r.errors().next().is_none(),
            "{}: {:?}",
            r.case.id,
            r.verdicts
        );
        assert!(r.chained.is_empty());
    }
    let warnings = warnings_of(&summary);
    assert!(
        warnings.iter().any(|w| w.contains(
            "no id could be had for `thingId`: POST /things answered 500; sent the document's example t_example"
        )),
        "{warnings:?}"
    );
    assert_eq!(summary["setup_requests"][0]["status"], 500);
}

#[test]
fn where_nothing_can_supply_the_id_the_404_is_accepted_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let app = axum::Router::new().fallback(|| async { StatusCode::NOT_FOUND });
    let (addr, _rt) = serve_app(app);
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Items", "version": "1"},
        "paths": {"/items/{itemId}": {"get": {
            "operationId": "getItem",
            "parameters": [{"name": "itemId", "in": "path", "required": true,
                            "schema": {"type": "string", "example": "i_7"}}],
            "responses": {"200": {"description": "ok"}, "404": {"description": "none"}}
        }}}
    });
    let file = dir.path().join("items.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let (outcome, summary) = run(dir.path(), &file, addr, &[]);
    let valid: Vec<_> = outcome
        .results
        .iter()
        .filter(|r| is_valid_case(r))
        .collect();
    assert!(!valid.is_empty());
    for r in valid {
        assert_eq!(status_of(r), 404);
        assert!(
            r.errors().next().is_none(),
            "{}: {:?}",
            r.case.id,
            r.verdicts
        );
    }
    let warnings = warnings_of(&summary);
    assert!(
        warnings.iter().any(|w| w
            .contains("no id could be had for `itemId` (no link or creating operation")
            && w.contains("(i_7)")),
        "{warnings:?}"
    );
}

#[test]
fn the_created_list_names_ids_from_the_body_and_from_location_with_their_operations() {
    let dir = tempfile::tempdir().unwrap();
    let counter = Arc::new(Mutex::new(0u32));
    let things = {
        let counter = counter.clone();
        post(move |body: Bytes| async move {
            if serde_json::from_slice::<Value>(&body).is_err() {
                return StatusCode::BAD_REQUEST.into_response();
            }
            let mut n = counter.lock().unwrap();
            *n += 1;
            let id = format!("thing{n}");
            (
                StatusCode::CREATED,
                [("content-type", "application/json")],
                json!({"id": id}).to_string(),
            )
                .into_response()
        })
    };
    let widgets = post(move |body: Bytes| async move {
        if serde_json::from_slice::<Value>(&body).is_err() {
            return StatusCode::BAD_REQUEST.into_response();
        }
        (StatusCode::CREATED, [("location", "/v1/widgets/w42")]).into_response()
    });
    let app = axum::Router::new()
        .route("/v1/things", things)
        .route("/v1/widgets", widgets);
    let (addr, _rt) = serve_app(app);
    let body = json!({"content": {"application/json": {"schema": {"type": "object"}}}});
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Made", "version": "1"},
        "paths": {
            "/things": {"post": {"operationId": "createThing", "requestBody": body,
                "responses": {"201": {"description": "made", "content": {"application/json":
                    {"schema": {"type": "object", "properties": {"id": {"type": "string"}}}}}},
                    "400": {"description": "bad"}}}},
            "/widgets": {"post": {"operationId": "createWidget", "requestBody": body,
                "responses": {"201": {"description": "made"}, "400": {"description": "bad"}}}}
        }
    });
    let file = dir.path().join("made.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let created = dir.path().join("created.txt");
    let (_, summary) = run(
        dir.path(),
        &file,
        addr,
        &["--created", created.to_str().unwrap()],
    );
    let list = std::fs::read_to_string(&created).unwrap();
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines.contains(&"createThing\tthing1"), "{list}");
    assert!(lines.contains(&"createWidget\tw42"), "{list}");
    assert!(lines.iter().all(|l| l.split('\t').count() == 2), "{list}");
    let ids = summary["created_ids"].as_array().unwrap();
    assert!(
        ids.iter()
            .any(|c| c["operation"] == "createWidget" && c["id"] == "w42"),
        "{ids:?}"
    );
}

#[test]
fn nested_paths_take_each_id_from_the_post_on_their_parent_path() {
    let dir = tempfile::tempdir().unwrap();
    let param = |name: &str| {
        json!({"name": name, "in": "path", "required": true,
                                    "schema": {"type": "string", "example": "x"}})
    };
    let made = |schema: Value| {
        json!({"201": {"description": "made",
        "content": {"application/json": {"schema": schema}}}})
    };
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Parts", "version": "1"},
        "paths": {
            "/things": {"post": {"operationId": "createThing", "responses": made(
                json!({"type": "object", "properties": {"thing_id": {"type": "string"}}}))}},
            "/things/{thingId}/parts": {"post": {"operationId": "createPart",
                "parameters": [param("thingId")],
                "responses": made(json!({"type": "object",
                    "properties": {"uuid": {"type": "string"}, "partRef": {"type": "string"}}}))}},
            "/things/{thingId}/parts/{partId}": {"get": {"operationId": "getPart",
                "parameters": [param("thingId"), param("partId")],
                "responses": {"200": {"description": "ok"}}}}
        }
    });
    let file = dir.path().join("parts.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let d = provisionr_conformance::contract::openapi::load(&file).unwrap();
    let of = |consumer: &str, param: &str| {
        d.id_sources
            .iter()
            .find(|s| s.consumer == consumer && s.param == param)
            .map(|s| {
                (
                    s.producer.clone(),
                    s.from.iter().map(|e| e.describe()).collect::<Vec<_>>(),
                )
            })
    };
    let location = "the last segment of its Location header".to_string();
    // `thing_id` is the snake form of the parameter's name, found in the success schema.
    let thing = Some((
        "createThing".to_string(),
        vec!["$response.body#/thing_id".to_string(), location.clone()],
    ));
    assert_eq!(of("getPart", "thingId"), thing);
    assert_eq!(of("createPart", "thingId"), thing);
    // Neither `uuid` nor `partRef` is an id's name, and no field is named like `partId`: only
    // the `Location` is left.
    assert_eq!(
        of("getPart", "partId"),
        Some(("createPart".to_string(), vec![location]))
    );
}
