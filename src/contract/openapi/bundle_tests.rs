use serde_json::json;

use super::*;

/// Writes `files` (relative name → JSON) under a fresh folder; the document is `api.json`.
fn folder(files: &[(&str, Value)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, v) in files {
        let file = dir.path().join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, v.to_string()).unwrap();
    }
    dir
}

fn bundled(dir: &tempfile::TempDir, doc: Value) -> (Value, Bundled) {
    let mut doc = doc;
    let file = dir.path().join("api.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = bundle(&file, &mut doc);
    (doc, out)
}

fn schema_at(reference: &str) -> Value {
    json!({"openapi": "3.1.0", "paths": {"/p": {"get": {"responses": {"200": {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": reference}}}}}}}}})
}

fn written_ref(doc: &Value) -> &str {
    doc.pointer("/paths/~1p/get/responses/200/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
        .unwrap()
}

#[test]
fn a_schema_of_another_file_becomes_a_component_with_its_own_refs_rewritten() {
    let dir = folder(&[
        (
            "schemas/pet.json",
            json!({"Pet": {"type": "object", "properties": {
                "owner": {"$ref": "../common.json#/components/schemas/Owner"},
                "tag": {"$ref": "#/Tag"},
                "example": {"enum": [{"$ref": "not a ref"}]}}},
             "Tag": {"type": "string"}}),
        ),
        (
            "common.json",
            json!({"components": {"schemas": {"Owner": {"type": "object",
                "properties": {"pets": {"items": {"$ref": "schemas/pet.json#/Pet"}}}}}}}),
        ),
    ]);
    let mut doc = schema_at("schemas/pet.json#/Pet");
    doc["components"] = json!({"schemas": {"Pet": {"type": "null"}}});
    let (doc, out) = bundled(&dir, doc);
    assert!(out.refused.is_empty(), "{:?}", out.refused);
    // The document's own `Pet` keeps its name; the other file's gets a suffix.
    assert_eq!(written_ref(&doc), "#/components/schemas/Pet_2");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Pet"], json!({"type": "null"}));
    let pet = &schemas["Pet_2"];
    assert_eq!(
        pet["properties"]["owner"]["$ref"],
        "#/components/schemas/Owner"
    );
    assert_eq!(pet["properties"]["tag"]["$ref"], "#/components/schemas/Tag");
    // Instances are not refs.
    assert_eq!(pet["properties"]["example"]["enum"][0]["$ref"], "not a ref");
    // The cycle back to pet.json is the same component, not a second copy.
    assert_eq!(
        schemas["Owner"]["properties"]["pets"]["items"]["$ref"],
        "#/components/schemas/Pet_2"
    );
    assert_eq!(schemas.as_object().unwrap().len(), 4);
}

#[test]
fn a_whole_file_is_named_by_its_stem_and_read_once() {
    let dir = folder(&[("pet.yaml", json!({"type": "string"}))]);
    let mut doc = schema_at("./pet.yaml");
    doc["components"] = json!({"schemas": {"A": {"$ref": "pet.yaml"}, "B": {"$ref": "pet.yaml#"}}});
    let (doc, _) = bundled(&dir, doc);
    assert_eq!(written_ref(&doc), "#/components/schemas/pet");
    assert_eq!(
        doc["components"]["schemas"]["A"]["$ref"],
        "#/components/schemas/pet"
    );
    assert_eq!(
        doc["components"]["schemas"]["B"]["$ref"],
        "#/components/schemas/pet"
    );
    assert_eq!(
        doc["components"]["schemas"]["pet"],
        json!({"type": "string"})
    );
}

#[test]
fn parameters_responses_and_path_items_of_other_files_are_taken() {
    let dir = folder(&[
        (
            "common.json",
            json!({"components": {
                "parameters": {"Page": {"name": "page", "in": "query",
                    "schema": {"$ref": "#/components/schemas/Page"}},
                    "Alias": {"$ref": "#/components/parameters/Page"}},
                "schemas": {"Page": {"type": "integer"}},
                "responses": {"Ok": {"description": "ok"}}}}),
        ),
        (
            "paths/pets.json",
            json!({"get": {"parameters": [{"$ref": "../common.json#/components/parameters/Alias"}],
                "responses": {"200": {"$ref": "../common.json#/components/responses/Ok"}}}}),
        ),
    ]);
    let doc = json!({"openapi": "3.1.0", "paths": {"/pets": {"$ref": "paths/pets.json"}}});
    let (doc, out) = bundled(&dir, doc);
    assert!(out.refused.is_empty() && out.paths.is_empty());
    let get = &doc["paths"]["/pets"]["get"];
    // A part that only refers on is followed to the part it names.
    assert_eq!(get["parameters"][0]["$ref"], "#/components/parameters/Page");
    assert_eq!(get["responses"]["200"]["$ref"], "#/components/responses/Ok");
    let page = &doc["components"]["parameters"]["Page"];
    assert_eq!(page["schema"]["$ref"], "#/components/schemas/Page");
    assert_eq!(
        doc["components"]["schemas"]["Page"],
        json!({"type": "integer"})
    );
}

#[test]
fn a_ref_back_to_the_document_is_a_local_ref() {
    let dir = folder(&[(
        "pet.json",
        json!({"items": {"$ref": "api.json#/components/schemas/Own"}}),
    )]);
    let mut doc = schema_at("pet.json");
    doc["components"] = json!({"schemas": {"Own": {"type": "string"}}});
    let (doc, _) = bundled(&dir, doc);
    assert_eq!(
        doc["components"]["schemas"]["pet"]["items"]["$ref"],
        "#/components/schemas/Own"
    );
}

/// The refusal a document whose only schema is `reference` gets: (where, why).
fn refused(dir: &tempfile::TempDir, reference: &str) -> (String, String) {
    let (doc, out) = bundled(dir, schema_at(reference));
    let r = written_ref(&doc);
    assert!(r.starts_with("#/components/schemas/#refused"), "{r}");
    let got = refusal(&out.refused, r).expect("a refusal").clone();
    let pointer = "/paths/~1p/get/responses/200/content/application~1json/schema/$ref";
    assert_eq!(got.0, pointer);
    assert!(got.1.contains(&format!("api.json#{pointer}")), "{}", got.1);
    assert!(got.1.contains(&format!("`$ref: {reference}`")), "{}", got.1);
    got
}

#[test]
fn urls_absolute_paths_and_escapes_are_refused_never_read() {
    let dir = folder(&[("inside.json", json!({"a": 1}))]);
    for url in [
        "https://example.com/pet.json",
        "http://127.0.0.1:1/x.json#/a",
        "file:///etc/passwd",
        "//host/pet.json",
    ] {
        assert!(refused(&dir, url).1.contains("a URL"), "{url}");
    }
    assert!(refused(&dir, "/etc/hosts").1.contains("an absolute path"));
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.json"), "{}").unwrap();
    let escape = format!(
        "../{}/x.json",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    let sibling = dir
        .path()
        .parent()
        .unwrap()
        .join(escape.trim_start_matches("../"));
    if sibling.exists() {
        assert!(refused(&dir, &escape)
            .1
            .contains("outside the document's folder"));
    }
    // `..` that comes back inside is inside.
    let back = format!(
        "../{}/inside.json",
        dir.path().file_name().unwrap().to_string_lossy()
    );
    let (doc, out) = bundled(&dir, schema_at(&back));
    assert!(out.refused.is_empty(), "{:?}", out.refused);
    assert_eq!(written_ref(&doc), "#/components/schemas/inside");
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_folder_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), "{\"a\": 1}").unwrap();
    let dir = folder(&[]);
    std::os::unix::fs::symlink(
        outside.path().join("secret.json"),
        dir.path().join("s.json"),
    )
    .unwrap();
    let (_, why) = refused(&dir, "s.json#/a");
    assert!(
        why.contains("s.json is outside the document's folder"),
        "{why}"
    );
}

#[test]
fn missing_files_bad_files_and_bad_fragments_are_refused_with_their_place() {
    let dir = folder(&[("pet.json", json!({"Pet": {"$ref": "#/Gone"}}))]);
    std::fs::write(dir.path().join("bad.yaml"), "a: [1, 2\n").unwrap();
    std::fs::write(dir.path().join("one.yaml"), "just text\n").unwrap();
    assert!(refused(&dir, "gone.json#/a")
        .1
        .contains("gone.json does not exist"));
    assert!(refused(&dir, "bad.yaml")
        .1
        .contains("bad.yaml is not JSON or YAML"));
    assert!(refused(&dir, "one.yaml").1.contains("holds a single value"));
    assert!(refused(&dir, "pet.json#/Nope")
        .1
        .contains("`#/Nope` points at nothing in"));
    assert!(refused(&dir, "pet.json#anchor")
        .1
        .contains("no JSON pointer"));
    // A local ref in another file that points at nothing names that file and its pointer.
    let (doc, out) = bundled(&dir, schema_at("pet.json#/Pet"));
    let pet = &doc["components"]["schemas"]["Pet"];
    let (at, why) = refusal(&out.refused, pet["$ref"].as_str().unwrap()).unwrap();
    assert_eq!(at, "/components/schemas/Pet/$ref");
    assert!(
        why.contains("pet.json#/Pet/$ref: `#/Gone` points at nothing"),
        "{why}"
    );
}

#[test]
fn the_number_of_files_is_bounded() {
    let mut files = Vec::new();
    for i in 0..=MAX_FILES {
        files.push((
            format!("f{i}.json"),
            json!({"next": {"$ref": format!("f{}.json", i + 1)}}),
        ));
    }
    let named: Vec<(&str, Value)> = files.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    let dir = folder(&named);
    let (_, out) = bundled(&dir, schema_at("f0.json"));
    let whys: Vec<&String> = out.refused.values().map(|(_, w)| w).collect();
    assert_eq!(whys.len(), 1, "{whys:?}");
    assert!(
        whys[0].contains(&format!("more than {MAX_FILES} files")),
        "{}",
        whys[0]
    );
}

#[test]
fn references_are_decoded_and_schemes_recognised() {
    assert_eq!(percent_decode("a%20b%2Fc%zz%4"), "a b/c%zz%4");
    assert!(has_scheme("https://x") && has_scheme("urn:x") && has_scheme("C:\\x"));
    assert!(!has_scheme("pet.yaml#/a:b") && !has_scheme("./a:b"));
}

#[test]
fn the_parts_copied_from_other_files_are_bounded() {
    let dir = folder(&[("big.json", json!(vec![0; MAX_COPIED_NODES]))]);
    let (_, out) = bundled(&dir, schema_at("big.json"));
    let whys: Vec<&String> = out.refused.values().map(|(_, w)| w).collect();
    assert_eq!(whys.len(), 1, "{whys:?}");
    assert!(whys[0].contains("more than 1000000 values"), "{}", whys[0]);
    // One value fewer is taken.
    let dir = folder(&[("big.json", json!(vec![0; MAX_COPIED_NODES - 1]))]);
    let (_, out) = bundled(&dir, schema_at("big.json"));
    assert!(out.refused.is_empty());
}

#[test]
fn security_schemes_of_other_files_are_components_and_their_refusals_say_why() {
    let dir = folder(&[(
        "sec.json",
        json!({"Token": {"type": "http", "scheme": "bearer"}}),
    )]);
    let mut doc = schema_at("#/components/schemas/A");
    doc["components"] = json!({"schemas": {"A": {}}, "securitySchemes": {
        "token": {"$ref": "sec.json#/Token"}, "gone": {"$ref": "gone.json#/Token"}}});
    let (doc, out) = bundled(&dir, doc);
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["token"]["$ref"],
        "#/components/securitySchemes/Token"
    );
    assert_eq!(schemes["Token"]["scheme"], "bearer");
    let gone = schemes["gone"]["$ref"].as_str().unwrap();
    let (at, why) = refusal(&out.refused, gone).unwrap();
    assert_eq!(at, "/components/securitySchemes/gone/$ref");
    assert!(why.contains("gone.json does not exist"), "{why}");
    // The reader says which scheme, and why.
    let e = super::super::security::security(
        &doc,
        &out.refused,
        &json!({"security": [{"gone": []}]}),
        "/p",
    )
    .unwrap_err();
    assert!(
        e.message
            .starts_with("the security scheme `gone`: `$ref: gone.json#/Token`"),
        "{}",
        e.message
    );
}

#[test]
fn a_path_item_that_cannot_be_taken_is_named_with_its_template() {
    let dir = folder(&[]);
    let doc = json!({"openapi": "3.1.0", "paths": {"/x": {"$ref": "https://h/x.json"}}});
    let (_, out) = bundled(&dir, doc);
    assert_eq!(out.paths.len(), 1);
    let (template, at, why) = &out.paths[0];
    assert_eq!((template.as_str(), at.as_str()), ("/x", "/paths/~1x/$ref"));
    assert!(why.contains("api.json#/paths/~1x/$ref: a URL"), "{why}");
}
