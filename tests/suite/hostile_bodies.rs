//! A server whose every answer is a large body: what each failing result keeps is bounded, so
//! memory does not grow with the number of failing cases times the body's size (a passing
//! result keeps 4 KiB; a failing one more, to show what was wrong).

use axum::http::StatusCode;
use axum::response::IntoResponse;
use provisionr_conformance::engine::run::TargetChoice;
use provisionr_conformance::http::KEPT_OF_A_FAILURE;
use provisionr_conformance::report::write::run_and_write;

use crate::common::plan;

/// 1 MiB of text with every answer, and a 500: every case fails.
const BODY: usize = 1 << 20;

#[test]
fn each_failing_result_keeps_a_bounded_part_of_a_large_answer() {
    let app = axum::Router::new().fallback(|| async {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/plain")],
            "e".repeat(BODY),
        )
            .into_response()
    });
    let (addr, _rt) = crate::common::serve_app(app);
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), &["--skip", "property::"]);
    p.target = TargetChoice::Remote {
        base_url: format!("http://{addr}/api/v1").parse().unwrap(),
    };
    let outcome = run_and_write(p).unwrap();
    let mut failing = 0;
    let mut kept = 0;
    for r in &outcome.results {
        let Ok(resp) = &r.exchange.outcome else {
            continue;
        };
        if r.exchange.request.method == "HEAD" {
            continue; // an answer to HEAD has no body
        }
        failing += 1;
        kept += resp.body.len();
        assert!(
            resp.body.len() <= KEPT_OF_A_FAILURE,
            "{}: {} bytes",
            r.case.id,
            resp.body.len()
        );
        assert_eq!(
            resp.body_cut,
            Some(BODY),
            "{}: the full length is noted",
            r.case.id
        );
    }
    assert!(failing >= 100, "{failing} answered cases");
    assert!(kept <= failing * KEPT_OF_A_FAILURE, "{kept} bytes kept");
    // The report still shows the start of the body and says it was cut.
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("eeee"),
        "the start of the body is in the report"
    );
}
