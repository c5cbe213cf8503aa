//! Parameters in the cases: the base value each one carries, the cases derived from each
//! location's schema, what an operation without a body or without security derives, and the
//! operations the generator cannot build listed as untested while the rest are assembled.

use std::path::Path;

use provisionr_conformance::cases::assemble::{assemble, CaseSources};
use provisionr_conformance::cases::derive::{derive, settle_params};
use provisionr_conformance::cases::generate::GenError;
use provisionr_conformance::cases::{Body, Case, ParamSent};
use provisionr_conformance::contract::{BodyKind, Class, Operation, Param, ParamIn};
use serde_json::{json, Value};

fn param(name: &str, location: ParamIn, required: bool, schema: Value) -> Param {
    Param {
        name: name.into(),
        location,
        required,
        schema,
        style: location.default_style(),
        explode: location != ParamIn::Header,
        example: None,
        base: None,
        pointer: format!("#/paths/~1x/post/parameters/{name}"),
    }
}

/// The embedded operation with these parameters, their base values settled.
fn with_params(params: Vec<Param>) -> Operation {
    let mut op = Operation::embedded().unwrap();
    op.endpoint.params = params;
    settle_params(&mut op.endpoint).unwrap();
    op
}

fn find<'a>(cases: &'a [Case], id: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

fn path_name(op: &Operation) -> String {
    op.endpoint.path_params.keys().next().unwrap().clone()
}

#[test]
fn each_query_header_and_cookie_rule_gives_its_case() {
    let op = with_params(vec![
        param(
            "limit",
            ParamIn::Query,
            true,
            json!({"type": "integer", "minimum": 1, "maximum": 100}),
        ),
        param(
            "q",
            ParamIn::Query,
            false,
            json!({"type": "string", "minLength": 2, "maxLength": 5}),
        ),
        param(
            "X-Mode",
            ParamIn::Header,
            true,
            json!({"type": "string", "enum": ["fast", "slow"]}),
        ),
        param("flag", ParamIn::Cookie, false, json!({"type": "boolean"})),
        param(
            "ratio",
            ParamIn::Query,
            false,
            json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}),
        ),
    ]);
    let cases = derive(&op);
    let expect = [
        ("query::limit::missing", Class::Invalid, ParamSent::Absent),
        (
            "query::limit::type",
            Class::Invalid,
            ParamSent::Raw("not-a-number".into()),
        ),
        (
            "query::limit::minimum",
            Class::Valid,
            ParamSent::Json(json!(1)),
        ),
        (
            "query::limit::minimum_minus_1",
            Class::Invalid,
            ParamSent::Json(json!(0)),
        ),
        (
            "query::limit::maximum",
            Class::Valid,
            ParamSent::Json(json!(100)),
        ),
        (
            "query::limit::maximum_plus_1",
            Class::Invalid,
            ParamSent::Json(json!(101)),
        ),
        (
            "query::q::present",
            Class::Valid,
            ParamSent::Json(json!("aa")),
        ),
        (
            "query::q::min_length",
            Class::Valid,
            ParamSent::Json(json!("aa")),
        ),
        (
            "query::q::min_length_minus_1",
            Class::Invalid,
            ParamSent::Json(json!("a")),
        ),
        (
            "query::q::max_length",
            Class::Valid,
            ParamSent::Json(json!("aaaaa")),
        ),
        (
            "query::q::max_length_plus_1",
            Class::Invalid,
            ParamSent::Json(json!("aaaaaa")),
        ),
        ("header::X-Mode::missing", Class::Invalid, ParamSent::Absent),
        (
            "header::X-Mode::enum",
            Class::Invalid,
            ParamSent::Json(json!("not_in_enum")),
        ),
        (
            "cookie::flag::present",
            Class::Valid,
            ParamSent::Json(json!(true)),
        ),
        (
            "cookie::flag::type",
            Class::Invalid,
            ParamSent::Raw("not-a-boolean".into()),
        ),
        (
            "query::ratio::exclusive_minimum",
            Class::Invalid,
            ParamSent::Json(json!(0)),
        ),
        (
            "query::ratio::exclusive_minimum_plus_1",
            Class::Valid,
            ParamSent::Json(json!(0.5)),
        ),
        (
            "query::ratio::exclusive_maximum",
            Class::Invalid,
            ParamSent::Json(json!(1)),
        ),
        (
            "query::ratio::exclusive_maximum_minus_1",
            Class::Valid,
            ParamSent::Json(json!(0.5)),
        ),
    ];
    for (id, class, sent) in expect {
        let c = find(&cases, id);
        assert_eq!(c.class(), class, "{id}");
        let (location, name) = {
            let mut parts = id.split("::");
            (parts.next().unwrap(), parts.next().unwrap())
        };
        assert_eq!(c.kind, location, "{id}");
        assert_eq!(c.request.params.len(), 1, "{id}: one parameter changed");
        let p = &c.request.params[0];
        assert_eq!((p.location.as_str(), p.name.as_str()), (location, name));
        assert_eq!(p.value, sent, "{id}");
        match class {
            Class::Invalid => {
                // The embedded endpoint has no `invalid_param`: the fallback.
                assert_eq!(c.expect.label, "invalid_param", "{id}");
                assert_eq!(c.expect.statuses, vec![400, 422], "{id}");
                assert_eq!(c.offending.as_deref(), Some(name), "{id}");
            }
            _ => assert_eq!(c.expect.statuses, op.endpoint.success, "{id}"),
        }
        // The body is the valid base body.
        assert!(matches!(c.request.body, Body::Patched(_)), "{id}");
    }
    // A required parameter is not sent "present"; an enum has no type case; a free boolean no
    // bounds.
    for absent in [
        "query::limit::present",
        "header::X-Mode::type",
        "cookie::flag::missing",
    ] {
        assert!(cases.iter().all(|c| c.id != absent), "{absent}");
    }
}

#[test]
fn an_operation_that_says_invalid_param_gets_its_statuses() {
    let mut op = Operation::embedded().unwrap();
    op.endpoint
        .expectations
        .insert("invalid_param".into(), vec![400]);
    op.endpoint.params = vec![param(
        "limit",
        ParamIn::Query,
        true,
        json!({"type": "integer"}),
    )];
    settle_params(&mut op.endpoint).unwrap();
    let cases = derive(&op);
    assert_eq!(
        find(&cases, "query::limit::missing").expect.statuses,
        vec![400]
    );
}

#[test]
fn a_path_parameter_gets_invalid_values_and_keeps_its_own_cases() {
    let plain = Operation::embedded().unwrap();
    let name = path_name(&plain);
    let before: Vec<Case> = derive(&plain)
        .into_iter()
        .filter(|c| c.id.starts_with("path::"))
        .collect();
    let op = with_params(vec![param(
        &name,
        ParamIn::Path,
        true,
        json!({"type": "integer", "minimum": 1, "maximum": 9}),
    )]);
    let cases = derive(&op);
    for (rule, text) in [
        ("type", "not-a-number"),
        ("minimum_minus_1", "0"),
        ("maximum_plus_1", "10"),
    ] {
        let c = find(&cases, &format!("path::{name}::{rule}"));
        assert_eq!(c.class(), Class::Invalid, "{rule}");
        assert_eq!(c.kind, "path");
        assert_eq!(c.expect.label, "invalid_path");
        assert_eq!(c.expect.statuses, vec![400, 404, 422]);
        assert_eq!(c.request.path.get(&name).map(String::as_str), Some(text));
        assert!(c.request.params.is_empty());
    }
    // No valid path value is derived: the run's value is the valid one.
    assert!(cases
        .iter()
        .all(|c| c.id != format!("path::{name}::minimum")));
    // The unknown-value cases keep their requests; their text is no integer, so the schema
    // refuses it and the case expects what an invalid path value gets.
    for old in &before {
        let now = find(&cases, &old.id);
        assert_eq!(now.request, old.request);
        assert_eq!(old.expect.label, "unknown_path");
        assert_eq!(now.expect.label, "invalid_path", "{}", old.id);
        assert_eq!(now.expect.statuses, vec![400, 404, 422]);
    }
    // A value the schema takes, on an operation that documents no 404, is unspecified: nothing
    // says an unknown id is refused.
    let text = with_params(vec![param(
        &name,
        ParamIn::Path,
        true,
        json!({"type": "string"}),
    )]);
    let unknown = find(&derive(&text), &format!("path::{name}::unknown")).clone();
    assert_eq!(unknown.class(), Class::Unspecified);
}

#[test]
fn base_values_keep_a_valid_example_and_build_the_others() {
    let mut kept = param(
        "a",
        ParamIn::Query,
        true,
        json!({"type": "integer", "minimum": 3}),
    );
    kept.example = Some(json!(7));
    let mut broken = param(
        "b",
        ParamIn::Query,
        true,
        json!({"type": "integer", "minimum": 3}),
    );
    broken.example = Some(json!("seven"));
    let none = param(
        "c",
        ParamIn::Header,
        true,
        json!({"type": "string", "minLength": 4}),
    );
    let optional = param("d", ParamIn::Query, false, json!({"type": "integer"}));
    let mut optional_example = param("e", ParamIn::Query, false, json!({"type": "integer"}));
    optional_example.example = Some(json!(5));
    let op = with_params(vec![kept, broken, none, optional, optional_example]);
    let base: Vec<Option<Value>> = op.endpoint.params.iter().map(|p| p.base.clone()).collect();
    assert_eq!(
        base,
        vec![
            Some(json!(7)),
            Some(json!(3)),
            Some(json!("aaaa")),
            None,
            Some(json!(5))
        ]
    );
}

#[test]
fn a_path_parameter_without_an_example_gets_one_built() {
    let mut op = Operation::embedded().unwrap();
    let name = path_name(&op);
    op.endpoint.path_params.get_mut(&name).unwrap().example = String::new();
    op.endpoint.params = vec![param(
        &name,
        ParamIn::Path,
        true,
        json!({"type": "integer", "minimum": 12}),
    )];
    settle_params(&mut op.endpoint).unwrap();
    assert_eq!(op.endpoint.path_params[&name].example, "12");
    // One the document gives stays.
    op.endpoint.path_params.get_mut(&name).unwrap().example = "42".into();
    settle_params(&mut op.endpoint).unwrap();
    assert_eq!(op.endpoint.path_params[&name].example, "42");
}

#[test]
fn an_operation_without_a_body_derives_nothing_about_a_body() {
    let mut op = with_params(vec![param(
        "limit",
        ParamIn::Query,
        true,
        json!({"type": "integer"}),
    )]);
    op.endpoint.body_kind = BodyKind::None;
    let cases = derive(&op);
    let body_kinds = [
        "body",
        "required",
        "null",
        "type",
        "boundary",
        "string",
        "date_time",
        "json",
        "media_type",
    ];
    for c in &cases {
        assert!(
            !body_kinds.contains(&c.kind.as_str()),
            "{} is about a body",
            c.id
        );
        assert_eq!(c.request.body, Body::Empty, "{}", c.id);
        if c.request.method == op.endpoint.method {
            assert_eq!(c.request.content_type, None, "{}", c.id);
        }
    }
    for kept in ["method::get", "auth::missing", "query::limit::missing"] {
        find(&cases, kept);
    }
    assert!(cases.iter().any(|c| c.id.starts_with("path::")));
}

#[test]
fn a_form_body_keeps_its_fields_cases_but_no_json_syntax() {
    let mut op = Operation::embedded().unwrap();
    op.endpoint.body_kind = BodyKind::Form;
    let cases = derive(&op);
    assert!(cases
        .iter()
        .any(|c| c.id.starts_with("required::") && c.id.ends_with("::missing")));
    assert!(cases.iter().any(|c| c.kind == "type"));
    for c in &cases {
        assert!(
            !["body", "json", "null", "media_type"].contains(&c.kind.as_str()),
            "{}",
            c.id
        );
        assert!(
            !matches!(c.request.body, Body::Raw(_)),
            "{}: raw text",
            c.id
        );
    }
}

#[test]
fn an_operation_without_security_derives_no_auth_cases() {
    let mut op = Operation::embedded().unwrap();
    op.endpoint.auth.scheme = "none".into();
    op.endpoint.auth.security = provisionr_conformance::contract::Security::default();
    let cases = derive(&op);
    assert!(!cases.is_empty());
    assert!(cases.iter().all(|c| c.kind != "auth"), "no auth case");
}

#[test]
fn an_operation_the_generator_cannot_build_is_untested_and_the_rest_assembled() {
    let dir = tempfile::tempdir().unwrap();
    let mut ops: Vec<Operation> = (0..3).map(|_| Operation::embedded().unwrap()).collect();
    for (i, op) in ops.iter_mut().enumerate() {
        op.endpoint.operation = format!("op{i}");
    }
    // op1's body is refused; op2's parameter has no value in reach.
    ops[1].request_schema = json!({"refused": true});
    ops[2].endpoint.params = vec![param(
        "n",
        ParamIn::Query,
        true,
        json!({"type": "integer", "minimum": 5, "maximum": 1}),
    )];
    let sources = CaseSources {
        cases_dir: Some(dir.path()),
        regressions: &dir.path().join("regressions"),
    };
    let refuse = |s: &Value| match s.get("refused") {
        Some(_) => Err(GenError::Unsupported {
            pointer: String::new(),
            what: "keyword 'refused'".into(),
        }),
        None => Ok(()),
    };
    let (assembled, untested) = assemble(ops, &[true, true, true], sources, refuse).unwrap();
    let tested: Vec<&str> = assembled
        .iter()
        .map(|a| a.operation.endpoint.operation.as_str())
        .collect();
    assert_eq!(tested, ["op0"]);
    assert_eq!(untested.len(), 2, "{untested:?}");
    assert_eq!(untested[0].operation, "op1");
    assert!(
        untested[0].reason.contains("keyword 'refused'"),
        "{}",
        untested[0].reason
    );
    assert_eq!(untested[1].operation, "op2");
    assert_eq!(untested[1].pointer, "#/paths/~1x/post/parameters/n/schema");
    assert!(
        untested[1].reason.contains("parameter `n`"),
        "{}",
        untested[1].reason
    );
    assert!(!assembled[0].cases.is_empty());
}

#[test]
fn the_embedded_contract_assembles_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let op = Operation::embedded().unwrap();
    let derived: Vec<String> = derive(&op)
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    let sources = CaseSources {
        cases_dir: Some(dir.path()),
        regressions: Path::new("/nonexistent/regressions"),
    };
    let (assembled, untested) = assemble(vec![op], &[true], sources, |_| Ok(())).unwrap();
    assert!(untested.is_empty());
    let now: Vec<String> = assembled[0]
        .cases
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    assert_eq!(now, derived);
    assert!(assembled[0]
        .cases
        .iter()
        .all(|c| c.request.params.is_empty()));
}

/// The embedded operation without a body, with a required integer query parameter and an
/// optional header.
fn bodiless() -> Operation {
    let mut op = with_params(vec![
        param(
            "limit",
            ParamIn::Query,
            true,
            json!({"type": "integer", "maximum": 10}),
        ),
        param("X-Trace", ParamIn::Header, false, json!({"type": "string"})),
    ]);
    op.endpoint.body_kind = BodyKind::None;
    op
}

#[test]
fn a_property_of_an_operation_without_a_body_sends_its_parameters() {
    use provisionr_conformance::engine::property::{Fault, Property};
    let op = bodiless();
    let broken = Property::InvalidBody.case(
        &op,
        "property::invalid_body".into(),
        json!({"limit": 11}),
        Fault {
            field: Some("/limit".into()),
            format: false,
        },
    );
    assert_eq!(broken.request.body, Body::Empty);
    assert_eq!(broken.request.content_type, None);
    let sent: Vec<(&str, &ParamSent)> = broken
        .request
        .params
        .iter()
        .map(|p| (p.name.as_str(), &p.value))
        .collect();
    assert_eq!(
        sent,
        [
            ("limit", &ParamSent::Json(json!(11))),
            ("X-Trace", &ParamSent::Absent)
        ]
    );
    assert_eq!(broken.offending.as_deref(), Some("limit"));
    assert_eq!(broken.expect.label, "invalid_param");
    assert_eq!(broken.expect.statuses, vec![400, 422]);
    let valid = Property::ValidBody.case(
        &op,
        "v".into(),
        json!({"limit": 3, "X-Trace": "t"}),
        Fault::default(),
    );
    assert_eq!(valid.class(), Class::Valid);
    assert_eq!(
        valid.request.param(ParamIn::Header, "X-Trace"),
        Some(&ParamSent::Json(json!("t")))
    );
}

#[test]
fn a_case_file_sets_parameters_and_reads_back() {
    use provisionr_conformance::cases::file::{parse, to_text, Provenance};
    let op = bodiless();
    let text = r#"{"title": "t", "kind": "regression", "class": "invalid", "expect": [400, 422],
        "offending": "limit",
        "request": {"params": [{"in": "query", "name": "limit", "value": {"json": 11}},
                               {"in": "header", "name": "X-Trace", "value": "absent"}]}}"#;
    let case = parse(Path::new("cases/regressions/p.json"), text, &op).unwrap();
    assert_eq!(
        case.request.param(ParamIn::Query, "limit"),
        Some(&ParamSent::Json(json!(11)))
    );
    assert_eq!(
        case.request.param(ParamIn::Header, "X-Trace"),
        Some(&ParamSent::Absent)
    );
    assert_eq!(case.request.body, Body::Empty);
    assert_eq!(case.request.content_type, None, "no body, no Content-Type");
    let written = to_text(&case, &op, &Provenance::default());
    let back = parse(Path::new("cases/regressions/q.json"), &written, &op).unwrap();
    assert_eq!(back.request, case.request);
    assert_eq!(back.expect.statuses, case.expect.statuses);
    assert_eq!(back.offending, case.offending);
}

#[test]
fn a_case_file_naming_an_unknown_parameter_is_an_error_naming_the_file() {
    use provisionr_conformance::cases::file::parse;
    let op = bodiless();
    let text = r#"{"title": "t", "class": "invalid",
        "request": {"params": [{"in": "query", "name": "limt", "value": {"json": 1}}]}}"#;
    let err = parse(Path::new("cases/bad.json"), text, &op).unwrap_err();
    assert_eq!(err.path, Path::new("cases/bad.json"));
    assert!(
        err.message.contains("unknown query parameter `limt`"),
        "{}",
        err.message
    );
    assert_eq!(err.help.as_deref(), Some("did you mean `limit`?"));
    assert!(err.location.is_some());
    // A header is not a query parameter.
    let text = r#"{"title": "t", "class": "invalid",
        "request": {"params": [{"in": "query", "name": "X-Trace", "value": "absent"}]}}"#;
    assert!(parse(Path::new("cases/bad.json"), text, &op).is_err());
}

#[test]
fn the_headers_openapi_ignores_get_no_cases() {
    let op = with_params(vec![
        param("Accept", ParamIn::Header, true, json!({"type": "string"})),
        param(
            "authorization",
            ParamIn::Header,
            true,
            json!({"type": "string"}),
        ),
    ]);
    let cases = derive(&op);
    assert!(cases.iter().all(|c| c.kind != "header"));
}

/// A server that answers the path value after `services/` by its length: over 12 characters
/// with 400 when it checks the length, with 201 when it takes anything; else 404.
fn length_server(checks: bool) -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    use axum::http::{StatusCode, Uri};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move |uri: Uri| async move {
        let segments: Vec<&str> = uri.path().split('/').collect();
        let value = segments
            .iter()
            .position(|s| *s == "services")
            .and_then(|i| segments.get(i + 1))
            .copied()
            .unwrap_or_default();
        let status = match (value.len() > 12, checks) {
            (true, true) => StatusCode::BAD_REQUEST,
            (true, false) => StatusCode::CREATED,
            (false, _) => StatusCode::NOT_FOUND,
        };
        (
            status,
            [("content-type", "application/json")],
            r#"{"error":"path"}"#,
        )
            .into_response()
    });
    crate::common::serve_app(app)
}

/// The derived path-length case, run against a server that checks the length and one that
/// takes any value.
fn run_path_length(checks: bool) -> provisionr_conformance::engine::outcome::RunOutcome {
    use provisionr_conformance::engine::run::{Suite, TargetChoice};
    let dir = tempfile::tempdir().unwrap();
    let mut p = crate::common::plan(dir.path(), &["--test-threads", "1"]);
    let mut op = Operation::embedded().unwrap();
    let name = path_name(&op);
    op.endpoint.params = vec![param(
        &name,
        ParamIn::Path,
        true,
        json!({"type": "string", "maxLength": 12}),
    )];
    settle_params(&mut op.endpoint).unwrap();
    let id = format!("path::{name}::max_length_plus_1");
    let cases: Vec<Case> = derive(&op).into_iter().filter(|c| c.id == id).collect();
    assert_eq!(cases.len(), 1);
    p.operations = vec![Suite {
        contract: std::sync::Arc::new(op),
        cases: cases.into_iter().map(std::sync::Arc::new).collect(),
        prefixed: false,
        tolerate_404: None,
    }];
    p.properties = None;
    let (addr, _rt) = length_server(checks);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    provisionr_conformance::report::write::run_and_write(p).unwrap()
}

#[test]
fn a_path_value_past_its_length_is_caught_against_a_server_that_takes_it() {
    let taken = run_path_length(false);
    assert_eq!(taken.exit_code, 1, "{:?}", crate::common::verdicts(&taken));
    assert!(crate::common::caught(&taken, "max_length_plus_1", "status"));
    let refused = run_path_length(true);
    assert_eq!(
        refused.exit_code,
        0,
        "{:?}",
        crate::common::verdicts(&refused)
    );
}
