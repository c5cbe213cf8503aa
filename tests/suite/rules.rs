//! Every rule the suite enforces, proven against a server that breaks exactly that rule.

use crate::common::{caught, plan, run_with, verdicts};
use provisionr_conformance::contract::Class;
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::report::write::run_and_write;
use provisionr_conformance::server::FaultSet;

#[test]
fn the_clean_server_passes_with_no_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &[], &[]);
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    assert!(outcome.results.len() >= 65, "{}", outcome.results.len());
    assert_eq!(outcome.tally.warnings, 0, "{:?}", verdicts(&outcome));
    assert!(outcome.results.iter().all(|r| r.exchange.outcome.is_ok()));
}

/// (fault, case id fragment, check that must catch it).
const RULES: &[(&str, &str, &str)] = &[
    ("enum-wrong-value", "example::page_example", "enum"),
    ("counts-bytes", "boundary::name::max_length_2byte", "status"),
    (
        "max-length-off-by-one",
        "boundary::name::max_length_ascii",
        "status",
    ),
    (
        "naive-date-time",
        "date_time::expires_at::no_offset",
        "status",
    ),
    ("crash-on-null", "null::expires_at::null", "status"),
    (
        "no-required-description",
        "required::description::missing",
        "status",
    ),
    ("any-token", "auth::wrong_token", "status"),
    (
        "unknown-service-accepted",
        "path::service::unknown",
        "status",
    ),
    (
        "ignores-expiry",
        "date_time::expires_at::offset",
        "same_instant",
    ),
    ("content-type-text", "example::page_example", "content_type"),
    ("missing-id", "example::page_example", "response_schema"),
    (
        "mins-in-seconds",
        "example::page_example",
        "minutes_between",
    ),
    ("same-id", "", "unique"),
    ("wrong-kind", "example::page_example", "equals"),
    (
        "unnamed-validation-errors",
        "boundary::name::max_length_plus_1_ascii",
        "error_body",
    ),
    ("no-allow-header", "method::get", "allow_header"),
    ("truncates-description", "example::page_example", "echo"),
    // The standards under the contract.
    ("media-type-params-refused", "media_type::charset", "status"),
    (
        "media-type-case-sensitive",
        "media_type::upper_case",
        "status",
    ),
    ("regex-parsed-json", "json::whitespace", "status"),
    ("regex-parsed-json", "json::escaped_key", "status"),
    ("crash-on-deep-nesting", "json::deep_nesting", "status"),
    ("crash-on-lone-surrogate", "json::lone_surrogate", "status"),
    ("bearer-case-sensitive", "auth::scheme_lower_case", "status"),
    ("no-www-authenticate", "auth::missing", "www_authenticate"),
    ("basic-challenge", "auth::wrong_token", "www_authenticate"),
    ("date-header-epoch", "example::page_example", "date_header"),
    ("crash-on-unknown-method", "method::unknown", "status"),
    (
        "crash-on-leap-second",
        "date_time::expires_at::leap_second",
        "status",
    ),
    (
        "crash-on-utc-overflow",
        "date_time::expires_at::overflows_utc",
        "status",
    ),
    (
        "epoch-string-date-time",
        "date_time::expires_at::epoch_string",
        "status",
    ),
    // Real findings on framework servers: pydantic reads a number as Unix time, Fastify's ajv
    // coerces `"name": 123` into `"123"`.
    (
        "epoch-number-date-time",
        "date_time::expires_at::epoch_number",
        "status",
    ),
    ("coerce-types", "type::name::integer", "status"),
    ("coerce-types", "type::description::boolean", "status"),
    (
        "crash-on-lone-surrogate-closes",
        "json::lone_surrogate",
        "status",
    ),
];

#[test]
fn each_rule_is_enforced_against_a_server_that_breaks_it() {
    let mut missed = Vec::new();
    for (fault, case, check) in RULES {
        let dir = tempfile::tempdir().unwrap();
        let outcome = run_with(dir.path(), &[fault], &[]);
        if !caught(&outcome, case, check) {
            missed.push(format!(
                "{fault}: no `{check}` verdict on {case}: {:?}",
                verdicts(&outcome)
            ));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

#[test]
fn warnings_do_not_fail_a_run_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let relaxed = run_with(dir.path(), &["wrong-kind"], &[]);
    assert!(relaxed.tally.warnings > 0);
    assert_eq!(relaxed.exit_code, 0);
    let strict = run_with(dir.path(), &["wrong-kind"], &["--strict"]);
    assert_eq!(strict.exit_code, 1);
}

#[test]
fn a_skipped_check_reports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(dir.path(), &["enum-wrong-value"], &["--skip-check", "enum"]);
    assert!(!caught(&outcome, "", "enum"));
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
}

#[test]
fn a_server_that_refuses_past_expiries_is_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), &[]);
    p.target = TargetChoice::Embedded(provisionr_conformance::server::Options {
        faults: FaultSet::none(),
        variations: Default::default(),
        reject_past_expiry: true,
    });
    let outcome = run_and_write(p).unwrap();
    let past = outcome
        .results
        .iter()
        .find(|r| r.case.id == "date_time::expires_at::past")
        .unwrap();
    assert_eq!(past.case.class(), Class::Unspecified);
    assert_eq!(
        past.exchange.outcome.as_ref().unwrap().status,
        422,
        "the server did refuse it"
    );
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    assert_eq!(outcome.tally.warnings, 0);
}

#[test]
fn an_unspecified_case_still_may_not_crash_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run_with(
        dir.path(),
        &["server-error-for-validation"],
        &["date_time::expires_at::"],
    );
    assert!(caught(
        &outcome,
        "date_time::expires_at::no_offset",
        "status"
    ));
    assert_eq!(outcome.exit_code, 1);
}

#[test]
fn a_401_to_a_presented_token_without_an_error_code_is_a_warning() {
    // RFC 6750 3.1: the challenge SHOULD say what was wrong with the token presented.
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), &["auth::", "--test-threads", "1"]);
    let app = provisionr_conformance::server::app(provisionr_conformance::server::ServerConfig {
        token: p.token.expose().to_string(),
        services: p.path_values.values().cloned().collect(),
        faults: FaultSet::none(),
        variations: Default::default(),
        reject_past_expiry: false,
    })
    .layer(axum::middleware::map_response(
        |mut r: axum::response::Response| async move {
            if r.headers().contains_key("www-authenticate") {
                r.headers_mut()
                    .insert("www-authenticate", "Bearer".parse().unwrap());
            }
            r
        },
    ));
    let (addr, _rt) = crate::common::serve_app(app);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    let warned = |id: &str| {
        outcome
            .results
            .iter()
            .any(|r| r.case.id == id && r.warnings().any(|w| w.check == "www_authenticate"))
    };
    assert!(warned("auth::wrong_token"), "{:?}", verdicts(&outcome));
    assert!(!warned("auth::missing"), "no token was presented there");
}

/// The reference server with every error answer rewritten by `rewrite`, run on the cases
/// matching `filter`.
fn errors_rewritten(
    filter: &str,
    rewrite: fn(axum::response::Response) -> axum::response::Response,
) -> provisionr_conformance::engine::outcome::RunOutcome {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), &[filter]);
    let app = provisionr_conformance::server::app(provisionr_conformance::server::ServerConfig {
        token: p.token.expose().to_string(),
        services: p.path_values.values().cloned().collect(),
        faults: FaultSet::none(),
        variations: Default::default(),
        reject_past_expiry: false,
    })
    .layer(axum::middleware::map_response(
        move |r: axum::response::Response| async move {
            if r.status().is_client_error() {
                rewrite(r)
            } else {
                r
            }
        },
    ));
    let (addr, _rt) = crate::common::serve_app(app);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    run_and_write(p).unwrap()
}

fn warned(
    outcome: &provisionr_conformance::engine::outcome::RunOutcome,
    id: &str,
    check: &str,
) -> bool {
    outcome
        .results
        .iter()
        .any(|r| r.case.id == id && r.warnings().any(|w| w.check == check))
}

#[test]
fn a_json_error_body_labelled_as_text_is_a_content_type_warning() {
    let outcome = errors_rewritten("boundary::name::", |mut r| {
        r.headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        r
    });
    assert_eq!(outcome.exit_code, 0, "{:?}", verdicts(&outcome));
    let id = "boundary::name::max_length_plus_1_ascii";
    assert!(
        warned(&outcome, id, "content_type"),
        "{:?}",
        verdicts(&outcome)
    );
    assert!(
        !warned(&outcome, id, "error_body"),
        "the JSON names the field"
    );
}

#[test]
fn a_text_error_body_must_name_the_field_as_a_word() {
    fn text(body: &'static str) -> axum::response::Response {
        let mut r = axum::response::IntoResponse::into_response((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            body,
        ));
        r.headers_mut()
            .insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
        r
    }
    let id = "boundary::name::max_length_plus_1_ascii";
    let named = errors_rewritten(id, |_| text("The name field is too long.\n"));
    assert_eq!(named.tally.warnings, 0, "{:?}", verdicts(&named));
    // `rename` holds `name`, but names no field.
    let unnamed = errors_rewritten(id, |_| text("Please rename it.\n"));
    assert!(
        warned(&unnamed, id, "error_body"),
        "{:?}",
        verdicts(&unnamed)
    );
    assert!(
        !warned(&unnamed, id, "content_type"),
        "text labelled as text"
    );
}
