//! The OpenAPI reader on documents as people write them: every operation and method, every
//! parameter location with OpenAPI's serialization defaults, body kinds, every documented
//! response with ranges and `default`, derived operation ids, security per operation, every
//! problem at once (each operation refused alone), examples that break their schemas, and the
//! server URL.

use std::path::{Path, PathBuf};

use provisionr_conformance::contract::openapi::load;
use provisionr_conformance::contract::{BodyKind, Document, ParamIn, StatusKey, Style};
use serde_json::{json, Value};

/// A 3.1 document with `paths` (and `extra` merged at the top), written to `dir`.
fn doc(dir: &Path, paths: Value, extra: Value) -> PathBuf {
    let mut d = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                "basic": {"type": "http", "scheme": "basic"}
            },
            "schemas": {"Pet": {"type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}}}}
        }
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        d[k] = v.clone();
    }
    let file = dir.join("api.json");
    std::fs::write(&file, d.to_string()).unwrap();
    file
}

fn ok() -> Value {
    json!({"200": {"description": "ok"}})
}

fn loaded(paths: Value, extra: Value) -> Document {
    let dir = tempfile::tempdir().unwrap();
    let file = doc(dir.path(), paths, extra);
    load(&file).unwrap_or_else(|e| panic!("{e}"))
}

fn op<'a>(d: &'a Document, id: &str) -> &'a provisionr_conformance::contract::Operation {
    d.operations
        .iter()
        .find(|o| o.endpoint.operation == id)
        .unwrap_or_else(|| panic!("{id}: {:?}", d.untested))
}

#[test]
fn each_parameter_location_is_read_with_its_serialization_defaults() {
    let d = loaded(
        json!({"/pets/{petId}": {
            "parameters": [{"name": "petId", "in": "path", "required": true,
                            "schema": {"type": "integer"}, "example": 7}],
            "get": {"operationId": "show", "responses": ok(), "parameters": [
                {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "filter", "in": "query", "style": "deepObject", "required": true,
                 "schema": {"type": "object"}},
                {"name": "X-Trace", "in": "header", "required": true,
                 "schema": {"type": "string"}, "examples": {"a": {"value": "abc"}}},
                {"name": "Accept", "in": "header", "schema": {"type": "string"}},
                {"name": "session", "in": "cookie", "schema": {"type": "string", "examples": ["s1"]}},
                {"name": "q", "in": "query", "explode": false,
                 "content": {"application/json": {"schema": {"type": "object"}}}},
                {"$ref": "#/components/parameters/Page"}
            ]}
        }}),
        json!({"components": {"parameters": {"Page": {"name": "page", "in": "query",
            "schema": {"$ref": "#/components/schemas/Pet"}}},
            "schemas": {"Pet": {"type": "object"}}}}),
    );
    let o = op(&d, "show");
    let e = &o.endpoint;
    assert_eq!(e.body_kind, BodyKind::None);
    assert_eq!(e.path_params["petId"].example, "7");
    let p = |name: &str| e.params.iter().find(|p| p.name == name).unwrap();
    let path = p("petId");
    assert_eq!(
        (path.location, path.style, path.explode, path.required),
        (ParamIn::Path, Style::Simple, false, true)
    );
    assert_eq!(path.example, Some(json!(7)));
    assert_eq!(path.schema, json!({"type": "integer"}));
    let tags = p("tags");
    assert_eq!(
        (tags.location, tags.style, tags.explode, tags.required),
        (ParamIn::Query, Style::Form, true, false)
    );
    let filter = p("filter");
    assert_eq!(
        (filter.style, filter.explode, filter.required),
        (Style::DeepObject, false, true)
    );
    let header = p("X-Trace");
    assert_eq!(
        (header.location, header.style, header.explode),
        (ParamIn::Header, Style::Simple, false)
    );
    assert_eq!(header.example, Some(json!("abc")));
    assert!(
        e.params.iter().all(|p| p.name != "Accept"),
        "Accept is ignored"
    );
    let cookie = p("session");
    assert_eq!(
        (cookie.location, cookie.style, cookie.explode),
        (ParamIn::Cookie, Style::Form, true)
    );
    assert_eq!(cookie.example, Some(json!("s1")));
    assert_eq!(
        (p("q").schema.clone(), p("q").explode),
        (json!({"type": "object"}), false)
    );
    let page = p("page");
    assert_eq!(page.schema["$defs"]["Pet"], json!({"type": "object"}));
    assert_eq!(page.pointer, "/paths/~1pets~1{petId}/get/parameters/6");
    assert!(d.untested.is_empty(), "{:?}", d.untested);

    // The operation's parameter wins over the path item's; a style unknown for its place, or a
    // parameter described by XML, keeps the operation untested.
    let d = loaded(
        json!({"/a/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "get": {"operationId": "a", "responses": ok(), "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]},
            "put": {"operationId": "b", "responses": ok(), "parameters": [
                {"name": "x", "in": "header", "style": "form", "schema": {"type": "string"}}]},
            "post": {"operationId": "c", "responses": ok(), "parameters": [
                {"name": "x", "in": "query", "content": {"application/xml": {}}}]}
        }}),
        json!({}),
    );
    assert_eq!(
        op(&d, "a").endpoint.params[0].schema,
        json!({"type": "integer"})
    );
    assert_eq!(op(&d, "a").endpoint.path_params["id"].example, "");
    let reasons: Vec<(&str, &str)> = d
        .untested
        .iter()
        .map(|u| (u.operation.as_str(), u.pointer.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("b", "/paths/~1a~1{id}/put/parameters/0/style"),
            ("c", "/paths/~1a~1{id}/post/parameters/0/content")
        ]
    );
    assert!(
        d.untested[0].reason.contains("style `form`"),
        "{:?}",
        d.untested
    );
}

#[test]
fn body_kinds_follow_the_media_types() {
    let body = |content: Value| json!({"requestBody": {"content": content}, "responses": ok()});
    let obj = json!({"schema": {"type": "object", "properties": {"a": {"type": "string"}}}});
    let d = loaded(
        json!({
            "/json": {"post": body(json!({"application/xml": obj, "application/merge-patch+json": obj, "application/json": obj}))},
            "/plus": {"post": body(json!({"application/problem+json": obj}))},
            "/form": {"post": body(json!({"application/xml": obj, "application/x-www-form-urlencoded": obj, "multipart/form-data": obj}))},
            "/multi": {"post": body(json!({"multipart/form-data": obj}))},
            "/none": {"delete": {"responses": {"204": {"description": "gone"}}}},
            "/xml": {"post": body(json!({"application/xml": obj, "application/octet-stream": {}}))}
        }),
        json!({}),
    );
    let kind = |id: &str| {
        (
            op(&d, id).endpoint.body_kind,
            op(&d, id).endpoint.content_type.clone(),
        )
    };
    assert_eq!(
        kind("post_json"),
        (BodyKind::Json, "application/json".into())
    );
    assert_eq!(
        kind("post_plus"),
        (BodyKind::Json, "application/problem+json".into())
    );
    assert_eq!(
        kind("post_form"),
        (BodyKind::Form, "application/x-www-form-urlencoded".into())
    );
    assert_eq!(
        kind("post_multi"),
        (BodyKind::Multipart, "multipart/form-data".into())
    );
    assert_eq!(kind("delete_none"), (BodyKind::None, String::new()));
    assert_eq!(
        op(&d, "post_form").request_schema["properties"]["a"],
        json!({"type": "string"})
    );
    assert_eq!(d.untested.len(), 1, "{:?}", d.untested);
    let u = &d.untested[0];
    assert_eq!(
        (u.operation.as_str(), u.pointer.as_str()),
        ("post_xml", "/paths/~1xml/post/requestBody/content")
    );
    assert!(
        u.reason
            .contains("application/xml, application/octet-stream"),
        "{}",
        u.reason
    );
}

#[test]
fn responses_with_ranges_and_default_set_success_and_schemas() {
    let with = |s: Value| json!({"description": "d", "content": {"application/json": {"schema": s}, "text/plain": {}}});
    let d = loaded(
        json!({
            "/codes": {"get": {"responses": {
                "200": with(json!({"type": "object"})), "201": with(json!({"type": "object"})),
                "204": {"description": "none"}, "404": with(json!({"type": "string"})),
                "4XX": {"description": "range"}, "abc": {"description": "no status"}}}},
            "/range": {"get": {"responses": {"2XX": with(json!({"type": "array"})), "200": with(json!({"type": "object"}))}}},
            "/default": {"get": {"responses": {"default": with(json!({"type": "integer"}))}}},
            "/errors": {"get": {"responses": {"405": {"description": "not allowed"}, "404": {"description": "gone"}}}},
            "/types": {"get": {"responses": {"200": {"description": "d", "content": {"text/csv": {}}}}}}
        }),
        json!({}),
    );
    let codes = op(&d, "get_codes");
    assert_eq!(codes.endpoint.success, [200, 201, 204]);
    assert_eq!(codes.response_schema, json!({"type": "object"}));
    assert_eq!(codes.status_schemas[&204].schema, json!(true));
    assert_eq!(codes.endpoint.response_media_types, ["application/json"]);
    let keys: Vec<StatusKey> = codes.responses.iter().map(|r| r.key).collect();
    assert_eq!(
        keys,
        [
            StatusKey::Code(200),
            StatusKey::Code(201),
            StatusKey::Code(204),
            StatusKey::Code(404),
            StatusKey::Range(4)
        ]
    );
    assert_eq!(
        codes.responses[3].schema.as_ref().unwrap().schema,
        json!({"type": "string"})
    );
    assert_eq!(
        codes.responses[0].media_types,
        ["application/json", "text/plain"]
    );
    assert!(codes.responses[2].schema.is_none());
    assert_eq!(codes.endpoint.expectations["invalid_param"], [400, 422]);
    assert_eq!(codes.endpoint.expectations["invalid_path"], [404]);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.pointer == "/paths/~1codes/get/responses/abc"),
        "{:?}",
        d.warnings
    );

    let range = op(&d, "get_range");
    assert_eq!(range.endpoint.success, (200..=299).collect::<Vec<u16>>());
    assert_eq!(range.response_schema, json!({"type": "array"}));
    assert_eq!(range.status_schemas[&200].schema, json!({"type": "object"}));
    let default = op(&d, "get_default");
    assert_eq!(default.endpoint.success, (200..=299).collect::<Vec<u16>>());
    assert_eq!(default.response_schema, json!({"type": "integer"}));
    let errors = op(&d, "get_errors");
    assert_eq!(errors.endpoint.success, [404, 405]);
    assert_eq!(errors.response_schema, json!(true));
    assert_eq!(
        op(&d, "get_types").endpoint.response_media_types,
        ["text/csv"]
    );
}

#[test]
fn ids_are_derived_and_a_clash_refuses_only_those_operations() {
    let d = loaded(
        json!({
            "/pets/{petId}": {"get": {"responses": ok(),
                "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "string"}}]}},
            "/a": {"get": {"operationId": "same", "responses": ok()}},
            "/b": {"get": {"operationId": "same", "responses": ok()}},
            "/c-d": {"get": {"responses": ok()}},
            "/c_d": {"get": {"responses": ok()}}
        }),
        json!({}),
    );
    let ids: Vec<&str> = d
        .operations
        .iter()
        .map(|o| o.endpoint.operation.as_str())
        .collect();
    assert_eq!(ids, ["get_pets_petId"]);
    let untested: Vec<(&str, &str, &str)> = d
        .untested
        .iter()
        .map(|u| (u.operation.as_str(), u.method.as_str(), u.path.as_str()))
        .collect();
    assert_eq!(
        untested,
        [
            ("same", "GET", "/a"),
            ("same", "GET", "/b"),
            ("get_c_d", "GET", "/c-d"),
            ("get_c_d", "GET", "/c_d")
        ]
    );
    assert!(
        d.untested[0].reason.contains("/paths/~1b/get"),
        "{:?}",
        d.untested[0]
    );
    assert_eq!(d.untested[1].pointer, "/paths/~1b/get/operationId");
    assert!(
        d.untested[1].reason.contains("/paths/~1a/get"),
        "{:?}",
        d.untested[1]
    );
}

#[test]
fn every_problem_is_listed_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let paths = json!({
        "/good": {"get": {"responses": ok()}},
        "/xml": {"post": {"requestBody": {"content": {"application/xml": {}}}, "responses": ok()}},
        "/ref": {"get": {"responses": {"200": {"$ref": "#/components/responses/Missing"}}}},
        "/bad": {"get": {"responses": {"200": {"description": "d", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Broken"}}}}}}}
    });
    let extra = json!({"components": {"schemas": {
        "Broken": {"type": "object", "properties": {"x": {"$ref": "other.yaml#/X"}}},
        "Fine": {"type": "string"}}}});
    let d = load(&doc(dir.path(), paths.clone(), extra.clone())).unwrap();
    assert_eq!(d.operations.len(), 1);
    let pointers: Vec<&str> = d.untested.iter().map(|u| u.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/paths/~1xml/post/requestBody/content",
            "/paths/~1ref/get/responses/200",
            "/components/schemas/Broken/properties/x/$ref"
        ]
    );
    // Nothing testable: one error that names them all.
    let mut only_bad = paths;
    only_bad.as_object_mut().unwrap().remove("/good");
    let e = load(&doc(dir.path(), only_bad, extra)).unwrap_err();
    for line in [
        "post_xml (POST /xml): ",
        "get_ref (GET /ref): `$ref: #/components/responses/Missing` points at nothing (at /paths/~1ref/get/responses/200)",
        "get_bad (GET /bad): ",
    ] {
        assert!(e.message.contains(line), "{line}: {}", e.message);
    }
    // Several problems of one operation are all listed.
    let d = loaded(
        json!({"/two": {"post": {"security": [{"nope": []}],
            "requestBody": {"content": {"text/plain": {}}}, "responses": ok()}},
            "/good": {"get": {"responses": ok()}}}),
        json!({}),
    );
    assert_eq!(d.untested.len(), 2, "{:?}", d.untested);
    // A document that is not OpenAPI 3, or has no paths, is refused as a whole.
    let dir = tempfile::tempdir().unwrap();
    let file = doc(dir.path(), json!({}), json!({"openapi": "2.0"}));
    assert!(load(&file).unwrap_err().message.contains("(at /openapi)"));
    let file = doc(dir.path(), Value::Null, json!({}));
    assert!(load(&file).unwrap_err().message.contains("(at /paths)"));
}

#[test]
fn security_is_judged_per_operation() {
    let dir = tempfile::tempdir().unwrap();
    let file = doc(
        dir.path(),
        json!({
            "/bearer": {"get": {"responses": ok()}},
            "/open": {"get": {"security": [], "responses": ok()}},
            "/optional": {"get": {"security": [{"token": []}, {}], "responses": ok()}},
            "/either": {"get": {"security": [{"key": []}, {"token": []}], "responses": ok()}},
            "/key": {"get": {"security": [{"key": []}], "responses": ok()}},
            "/both": {"get": {"security": [{"token": [], "basic": []}], "responses": ok()}}
        }),
        json!({"security": [{"token": []}]}),
    );
    // The reader takes every operation with its whole security; the plan chooses.
    let d = load(&file).unwrap();
    assert!(d.untested.is_empty(), "{:?}", d.untested);
    let security = |id: &str| op(&d, id).endpoint.auth.security.clone();
    assert!(security("get_open").is_none());
    assert_eq!(op(&d, "get_open").endpoint.auth.scheme, "none");
    assert!(security("get_optional").optional);
    assert_eq!(security("get_either").alternatives.len(), 2);
    assert_eq!(security("get_both").alternatives[0].len(), 2);
    assert_eq!(security("get_bearer").chosen, None);
    // No token and no --credential: only what needs no credential is tested; each other
    // operation says which scheme it needs and the flag that gives it.
    let plan = |extra: &[&str]| {
        let mut argv = vec!["provisionr-conformance", "run", "--list", "--no-persist"];
        argv.extend(["--openapi", file.to_str().unwrap()]);
        argv.extend(["--base-url", "http://127.0.0.1:9/"]);
        argv.extend(["--token-env", "PVC_OPS_SURELY_UNSET_TOKEN"]);
        argv.extend(extra);
        provisionr_conformance::app::plan::plan_from_args(argv).unwrap_or_else(|e| panic!("{e}"))
    };
    let p = plan(&[]);
    let tested: Vec<&str> = p
        .operations
        .iter()
        .map(|o| o.contract.endpoint.operation.as_str())
        .collect();
    assert_eq!(tested, ["get_open", "get_optional"]);
    let optional = &p.operations[1].contract.endpoint.auth.security;
    assert!(optional.sent().is_empty(), "{optional:?}");
    let reason = |id: &str| {
        p.untested
            .iter()
            .find(|u| u.operation == id)
            .map(|u| u.reason.clone())
            .unwrap_or_else(|| panic!("{id}: {:?}", p.untested))
    };
    assert_eq!(
        reason("get_key"),
        "needs a credential for `key` (API key in the header `X-Key`): export it in a variable and pass --credential key=VAR"
    );
    assert!(
        reason("get_bearer").contains("PVC_OPS_SURELY_UNSET_TOKEN (--token-env)"),
        "{}",
        reason("get_bearer")
    );
    let either = reason("get_either");
    assert!(
        either.contains("--credential key=VAR")
            && either.contains("; or ")
            && either.contains("--token-env"),
        "{either}"
    );
    assert!(
        reason("get_both").contains("Authorization header"),
        "{}",
        reason("get_both")
    );
    let key = p
        .untested
        .iter()
        .find(|u| u.operation == "get_key")
        .unwrap();
    assert_eq!(key.pointer, "/paths/~1key/get");
    // With the key's variable set (PATH is set wherever tests run), the key's operations are
    // tested, `either` by its key alternative.
    let p = plan(&["--credential", "key=PATH"]);
    let sent = |id: &str| {
        let o = p
            .operations
            .iter()
            .find(|o| o.contract.endpoint.operation == id);
        let o = o.unwrap_or_else(|| panic!("{id}: {:?}", p.untested));
        let names: Vec<String> = o
            .contract
            .endpoint
            .auth
            .security
            .sent()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        names
    };
    assert_eq!(sent("get_key"), ["key"]);
    assert_eq!(sent("get_either"), ["key"]);
    assert_eq!(p.credentials["key"].var, "PATH");
    // No security anywhere: none.
    let d = loaded(json!({"/x": {"get": {"responses": ok()}}}), json!({}));
    assert_eq!(d.operations[0].endpoint.auth.scheme, "none");
}

#[test]
fn examples_that_break_their_schemas_are_warned_about() {
    let d = loaded(
        json!({"/pets": {"post": {
            "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}, "example": "ten"}],
            "requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Pet"},
                "examples": {"good": {"value": {"name": "rex"}}, "bad": {"value": {"name": 3}}}}}},
            "responses": {"200": {"description": "d", "content": {"application/json": {
                "schema": {"type": "object", "required": ["id"], "example": {"x": 1}},
                "example": {"id": 1}}}}}}}}),
        json!({}),
    );
    let pointers: Vec<&str> = d.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/paths/~1pets/post/requestBody/content/application~1json/examples/bad/value",
            "/paths/~1pets/post/responses/200/content/application~1json/schema/example",
            "/paths/~1pets/post/parameters/0/example"
        ]
    );
    assert!(
        d.warnings[0].message.contains("/name"),
        "{:?}",
        d.warnings[0]
    );
    assert_eq!(d.operations.len(), 1);
}

#[test]
fn the_server_url_has_its_variables_filled() {
    let d = loaded(
        json!({"/x": {"get": {"responses": ok()}}}),
        json!({"servers": [{"url": "https://{tenant}.example.com:{port}/v1",
            "variables": {"tenant": {"default": "acme"}, "port": {"default": "8443"}}},
            {"url": "https://other"}]}),
    );
    assert_eq!(
        d.server_url.as_deref(),
        Some("https://acme.example.com:8443/v1")
    );
    assert_eq!(
        loaded(json!({"/x": {"get": {"responses": ok()}}}), json!({})).server_url,
        None
    );
}
