//! OpenAPI's discriminator against servers that read it each way a correct server may: by the
//! discriminator's value (3.0's routing: a pydantic discriminated union, Jackson's type ids) or
//! by the body's shape alone (3.1's annotation, a plain JSON Schema validator); and against a
//! server that routes by the component names where the document maps other values.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use provisionr_conformance::engine::outcome::RunOutcome;
use provisionr_conformance::engine::run;
use provisionr_conformance::report::write::run_and_write;
use serde_json::{json, Value};

use crate::common::{error_lines as errors, plan};

fn components() -> Value {
    json!({
        "Cat": {"type": "object", "required": ["petType", "meow"], "additionalProperties": false,
                "properties": {"petType": {"type": "string"}, "meow": {"type": "boolean"}}},
        "Dog": {"type": "object", "required": ["petType", "bark"], "additionalProperties": false,
                "properties": {"petType": {"type": "string"}, "bark": {"type": "integer", "minimum": 0}}}
    })
}

/// `POST /pets`: a Cat or a Dog, told apart by `petType`, mapped from `cat` and `dog`.
fn document(dir: &Path) -> PathBuf {
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "pets", "version": "1"},
        "components": {"schemas": components()},
        "paths": {"/pets": {"post": {
            "operationId": "createPet",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "petType", "mapping": {
                    "cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}}
            }}}},
            "responses": {
                "201": {"description": "created", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["petType"]}}}},
                "422": {"description": "invalid"}
            }
        }}}
    });
    let path = dir.join("pets.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

#[derive(Clone, Copy, Debug)]
enum Reading {
    /// By the discriminator's value, as mapped: `cat` is a Cat, anything else unknown is refused.
    Routes,
    /// By shape: a body that is exactly one of Cat and Dog is taken, whatever `petType` says.
    Shape,
    /// Broken: routes by the component names (`Cat`, `Dog`), not the mapping's values.
    ComponentNames,
}

fn server(reading: Reading) -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let defs = components();
    let compile = |s: &Value| Arc::new(jsonschema::validator_for(s).unwrap());
    let (cat, dog) = (compile(&defs["Cat"]), compile(&defs["Dog"]));
    let pets = post(move |headers: HeaderMap, body: Bytes| {
        let (cat, dog) = (cat.clone(), dog.clone());
        async move {
            let json = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
            if !json {
                return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json only")
                    .into_response();
            }
            let refuse = || -> Response {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    [("content-type", "application/json")],
                    json!({"message": "invalid pet"}).to_string(),
                )
                    .into_response()
            };
            let Ok(pet) = serde_json::from_slice::<Value>(&body) else {
                return refuse();
            };
            let tag = pet.get("petType").and_then(Value::as_str).unwrap_or("");
            let ok = match (reading, tag) {
                (Reading::Routes, "cat") | (Reading::ComponentNames, "Cat") => cat.is_valid(&pet),
                (Reading::Routes, "dog") | (Reading::ComponentNames, "Dog") => dog.is_valid(&pet),
                (Reading::Shape, _) => cat.is_valid(&pet) != dog.is_valid(&pet),
                _ => false,
            };
            if !ok {
                return refuse();
            }
            (
                StatusCode::CREATED,
                [("content-type", "application/json")],
                pet.to_string(),
            )
                .into_response()
        }
    });
    crate::common::serve_app(axum::Router::new().route("/pets", pets))
}

fn run_against(reading: Reading) -> RunOutcome {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path());
    let (addr, _rt) = server(reading);
    let mut p = plan(dir.path(), &["--openapi", doc.to_str().unwrap()]);
    p.target = run::TargetChoice::Remote {
        base_url: format!("http://{addr}").parse().unwrap(),
    };
    run_and_write(p).unwrap()
}

#[test]
fn a_server_that_routes_by_the_discriminator_and_one_that_reads_the_shape_both_pass() {
    for reading in [Reading::Routes, Reading::Shape] {
        let outcome = run_against(reading);
        let errors = errors(&outcome);
        assert!(errors.is_empty(), "{reading:?}: {errors:#?}");
        let ran: Vec<&str> = outcome.results.iter().map(|r| r.case.id.as_str()).collect();
        for id in [
            "discriminator::petType::cat",
            "discriminator::petType::dog",
            "discriminator::petType::unmapped",
        ] {
            assert!(
                ran.iter().any(|r| r.ends_with(id)),
                "{reading:?}: no {id} in {ran:?}"
            );
        }
    }
}

#[test]
fn a_server_that_routes_by_component_names_instead_of_the_mapping_is_caught() {
    let outcome = run_against(Reading::ComponentNames);
    let errors = errors(&outcome);
    for id in ["discriminator::petType::cat", "discriminator::petType::dog"] {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(id) && e.contains("`status`")),
            "{id} not caught: {errors:#?}"
        );
    }
}
