//! A document split over files next to it: its `$ref`s to other files are followed, inside its
//! folder only; a URL, an escape from the folder, a missing file or a bad fragment keeps only the
//! operation that uses it untested, with the file and pointer of the `$ref`.

use std::path::Path;
use std::process::{Command, Output};

use provisionr_conformance::contract::openapi::load;

fn write(dir: &Path, name: &str, text: &str) {
    let file = dir.join(name);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
}

/// `api.yaml` takes its parameter and error response from `common.yaml`, its pet from
/// `schemas/pet.yaml`, whose owner is in `common.yaml` and lists pets again: a cycle across two
/// files. `extra` is more paths.
fn split_document(dir: &Path, extra: &str) {
    write(
        dir,
        "api.yaml",
        &format!(
            r##"openapi: 3.1.0
info: {{title: t, version: "1"}}
paths:
  /pets:
    get:
      operationId: list_pets
      parameters:
        - $ref: "common.yaml#/components/parameters/Limit"
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{type: array, items: {{$ref: "schemas/pet.yaml#/Pet"}}}}
        "400": {{$ref: "common.yaml#/components/responses/Bad"}}
{extra}"##
        ),
    );
    write(
        dir,
        "common.yaml",
        r##"components:
  parameters:
    Limit: {name: limit, in: query, required: true, schema: {type: integer, minimum: 1, maximum: 10}}
  responses:
    Bad:
      description: bad
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Error"}
  schemas:
    Error: {type: object, required: [message], properties: {message: {type: string}}}
    Owner:
      type: object
      required: [name]
      properties:
        name: {type: string}
        pets: {type: array, items: {$ref: "schemas/pet.yaml#/Pet"}}
"##,
    );
    write(
        dir,
        "schemas/pet.yaml",
        r##"Pet:
  type: object
  required: [name]
  additionalProperties: false
  properties:
    name: {type: string}
    owner: {$ref: "../common.yaml#/components/schemas/Owner"}
"##,
    );
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provisionr-conformance"))
        .args(["run", "--no-persist", "--openapi"])
        .arg(dir.join("api.yaml"))
        .args(args)
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .env("PVC_FILES_TOKEN", "pvt_files_0123456789")
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Pets for a `limit` from 1 to 10, the documented error otherwise; a pet with a key its schema
/// closes out when `extra_key`.
fn server(extra_key: bool) -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let handler = move |q: axum::extract::RawQuery| async move {
        let limit = q.0.as_deref().and_then(|q| q.strip_prefix("limit="));
        let ok = limit
            .and_then(|l| l.parse::<f64>().ok())
            .is_some_and(|l| l.fract() == 0.0 && (1.0..=10.0).contains(&l));
        let json = [("content-type", "application/json")];
        if !ok {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                json,
                r#"{"message":"limit"}"#.to_string(),
            );
        }
        let pet = if extra_key {
            r#"{"name":"a","colour":"red"}"#
        } else {
            r#"{"name":"a","owner":{"name":"o","pets":[{"name":"b"}]}}"#
        };
        (axum::http::StatusCode::OK, json, format!("[{pet}]"))
    };
    crate::common::serve_app(axum::Router::new().route("/pets", axum::routing::get(handler)))
}

#[test]
fn a_document_split_over_three_files_loads_lists_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    split_document(dir.path(), "");
    let doc = load(&dir.path().join("api.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(doc.untested.is_empty(), "{:?}", doc.untested);
    let op = &doc.operations[0];
    let limit = op
        .endpoint
        .params
        .iter()
        .find(|p| p.name == "limit")
        .unwrap();
    assert_eq!(limit.schema["maximum"], 10);
    let listed = run(dir.path(), &["--list"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed));
    let out = text(&listed);
    assert!(out.contains("query::limit::maximum_plus_1"), "{out}");
    assert!(!out.contains("not tested"), "{out}");
    // A correct server passes; one that answers a key the other file's schema closes out fails.
    for (extra_key, code) in [(false, 0), (true, 1)] {
        let (addr, _rt) = server(extra_key);
        let url = format!("http://{addr}");
        let ran = run(
            dir.path(),
            &[
                "--operation",
                "list_pets",
                "--base-url",
                &url,
                "--allow-insecure-http",
                "--token-env",
                "PVC_FILES_TOKEN",
            ],
        );
        assert_eq!(ran.status.code(), Some(code), "{}", text(&ran));
    }
}

/// One more operation whose response schema is `reference`: it alone is untested, and the
/// message names the file and pointer of the `$ref`.
fn refused_operation(dir: &Path, reference: &str) -> String {
    split_document(
        dir,
        &format!(
            r##"  /owners:
    get:
      operationId: list_owners
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{$ref: "{reference}"}}
"##
        ),
    );
    let listed = run(dir, &["--list"]);
    let out = text(&listed);
    assert_eq!(listed.status.code(), Some(0), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("not tested: list_owners"))
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();
    assert!(
        line.contains(&format!(
            "`$ref: {reference}` at {}#/paths/~1owners/get/responses/200/content/application~1json/schema/$ref: ",
            dir.join("api.yaml").display()
        )),
        "{line}"
    );
    assert!(!out.contains("not tested: list_pets"), "{out}");
    line
}

#[test]
fn refs_that_leave_the_folder_or_lead_nowhere_keep_their_operation_untested() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("api");
    write(dir.path(), "secret.yaml", "Owner: {type: object}\n");
    let line = refused_operation(&root, "https://example.com/owner.yaml#/Owner");
    assert!(line.contains("a URL: the suite never fetches"), "{line}");
    let line = refused_operation(&root, "../secret.yaml#/Owner");
    assert!(line.contains("is outside the document's folder"), "{line}");
    let line = refused_operation(&root, "missing.yaml#/Owner");
    assert!(line.contains("missing.yaml does not exist"), "{line}");
    let line = refused_operation(&root, "common.yaml#/components/schemas/Nobody");
    assert!(
        line.contains("`#/components/schemas/Nobody` points at nothing in"),
        "{line}"
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("secret.yaml"), root.join("link.yaml")).unwrap();
        let line = refused_operation(&root, "link.yaml#/Owner");
        assert!(
            line.contains("link.yaml is outside the document's folder"),
            "{line}"
        );
    }
}

#[test]
fn a_bad_ref_inside_another_file_names_that_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    split_document(dir.path(), "");
    write(
        dir.path(),
        "schemas/pet.yaml",
        "Pet:\n  properties:\n    owner: {$ref: \"/etc/owner.yaml\"}\n",
    );
    let listed = run(dir.path(), &["--list"]);
    // Its only operation cannot be tested: the document is refused, as for a local ref.
    assert_eq!(listed.status.code(), Some(2), "{}", text(&listed));
    let out = text(&listed);
    let shown = dir.path().join("schemas").join("pet.yaml");
    assert!(
        out.contains(&format!(
            "`$ref: /etc/owner.yaml` at {}#/Pet/properties/owner/$ref: an absolute path",
            shown.display()
        )),
        "{out}"
    );
}

#[test]
fn a_parameter_or_response_from_a_missing_file_keeps_its_operation_untested() {
    let dir = tempfile::tempdir().unwrap();
    split_document(
        dir.path(),
        r##"  /owners:
    get:
      operationId: list_owners
      parameters: [{$ref: "gone.yaml#/Limit"}]
      responses: {"200": {$ref: "common.yaml#/components/responses/Gone"}}
"##,
    );
    let doc = load(&dir.path().join("api.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc.operations.len(), 1);
    let reasons: Vec<(&str, &str)> = doc
        .untested
        .iter()
        .map(|u| (u.pointer.as_str(), u.reason.as_str()))
        .collect();
    let at = dir.path().join("api.yaml").display().to_string();
    assert!(
        reasons
            .iter()
            .any(|(p, r)| *p == "/paths/~1owners/get/parameters/0"
                && r.contains(&format!("at {at}#/paths/~1owners/get/parameters/0/$ref: "))
                && r.contains("gone.yaml does not exist")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(p, r)| *p == "/paths/~1owners/get/responses/200"
                && r.contains("`#/components/responses/Gone` points at nothing in")),
        "{reasons:?}"
    );
}
