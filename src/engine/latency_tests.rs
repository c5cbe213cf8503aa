use super::*;

use serde_json::json;

use crate::cases::{Auth, Expect, Origin, RequestSpec};
use crate::contract::Class;
use crate::http::{Response, SentRequest, TransportError};

#[test]
fn buckets_hold_their_times_and_read_high() {
    for micros in [1u64, 2, 7, 8, 9, 100, 1_000, 3_333, 1_000_000, 123_456_789] {
        let top = bucket_top(bucket(micros));
        assert!(top >= micros, "{micros} read as {top}");
        assert!(
            top <= micros + micros / 4 + 1,
            "{micros} read as {top}: too high"
        );
    }
    assert!(bucket(u64::MAX) < BUCKETS);
}

fn case(body: Value) -> Arc<Case> {
    Arc::new(Case {
        id: "example::x".into(),
        title: "x".into(),
        kind: "example".into(),
        expect: Expect {
            class: Class::Valid,
            label: "success".into(),
            statuses: vec![201],
            tolerated: Vec::new(),
            tolerated_why: None,
        },
        request: RequestSpec {
            method: "POST".into(),
            path: Default::default(),
            auth: Auth::Valid,
            content_type: None,
            body: Body::Json(body),
            params: Vec::new(),
        },
        offending: None,
        origin: Origin::Derived,
    })
}

fn exchange(outcome: Result<Response, TransportError>, elapsed: Duration) -> Exchange {
    Exchange {
        request: SentRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:9/x".into(),
            headers: Vec::new(),
            placeholders: Vec::new(),
            body: Default::default(),
            body_cut: None,
        },
        outcome,
        elapsed,
    }
}

fn answered(ms: u64) -> Exchange {
    let resp = Response {
        status: 201,
        headers: Default::default(),
        body: Vec::new(),
        truncated: false,
        body_cut: None,
    };
    exchange(Ok(resp), Duration::from_millis(ms))
}

#[test]
fn no_threshold_before_twenty_answers_then_ten_times_the_median_or_a_second() {
    let l = Latency::default();
    let c = case(json!({}));
    for _ in 0..19 {
        l.observe(&c, &answered(5));
    }
    assert!(l.threshold().is_none());
    l.observe(&c, &answered(5));
    let (limit, median) = l.threshold().unwrap();
    assert!(median >= Duration::from_millis(5) && median < Duration::from_millis(6));
    assert_eq!(limit, FLOOR, "the floor wins over 10 × 5 ms");
    for _ in 0..40 {
        l.observe(&c, &answered(300));
    }
    let (limit, _) = l.threshold().unwrap();
    assert!(limit >= Duration::from_secs(3), "{limit:?}");
}

#[test]
fn only_requests_over_the_threshold_are_slow_and_few_are_kept() {
    let l = Latency::default();
    let c = case(json!({}));
    for _ in 0..100 {
        l.observe(&c, &answered(3));
    }
    l.observe(&c, &answered(900));
    for ms in 0..20 {
        l.observe(&c, &answered(1_100 + ms));
    }
    let slow = l.slow_requests();
    assert_eq!(slow.len(), SLOW_KEPT);
    assert_eq!(slow[0].elapsed, Duration::from_millis(1_119));
}

#[test]
fn shrinking_halves_the_string_that_stalls_and_drops_what_is_optional() {
    let long = "a".repeat(64);
    let body = json!({"name": long, "description": "short text here", "extra": 1});
    let slow = Slow {
        case: case(body),
        elapsed: Duration::from_millis(1_500),
        status: 201,
    };
    // Slow while `name` holds 40 or more characters, as the fault's pattern is.
    let mut rounds = Vec::new();
    let mut send = |cases: Vec<Case>| {
        rounds.push(cases.len());
        cases
            .iter()
            .map(|c| {
                let v = c.request.body.json().unwrap().into_owned();
                let n = v["name"].as_str().map_or(0, |s| s.chars().count());
                (n >= 40).then_some(Duration::from_millis(1_400))
            })
            .collect()
    };
    let shrunk = shrink(&slow, &["name".to_string()], &mut send);
    // Halve name, halve description, drop description, drop extra; then the two that stayed
    // slow together.
    assert_eq!(rounds, vec![4, 1]);
    assert_eq!(shrunk.tries, 5);
    assert!(shrunk.tries <= SHRINK_TRIES);
    let small = shrunk.body.unwrap();
    assert_eq!(small, json!({"name": "a".repeat(64)}), "{small}");
}

#[test]
fn a_body_that_is_no_longer_slow_when_smaller_is_reported_unshrunk() {
    let slow = Slow {
        case: case(json!({"name": "a".repeat(64)})),
        elapsed: Duration::from_millis(1_500),
        status: 201,
    };
    let shrunk = shrink(&slow, &["name".to_string()], &mut |cases| {
        vec![None; cases.len()]
    });
    assert_eq!(shrunk.tries, 1);
    assert!(shrunk.body.is_none());
}

#[test]
fn a_timeout_is_the_case_s_only_when_an_answer_came_after_it() {
    let l = Latency::default();
    let c = case(json!({"name": "x"}));
    l.observe(&c, &answered(2));
    let error = TransportError::new(TransportKind::Timeout, "operation timed out");
    let timed_out = exchange(Err(error), Duration::from_secs(2));
    l.observe(&c, &timed_out);
    assert!(l.timeout_verdicts().is_empty(), "nothing answered after it");
    l.observe(&c, &answered(2));
    let v = l.timeout_verdicts();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1.check, TIMEOUT);
    assert_eq!(v[0].1.severity, Severity::Error);
}
