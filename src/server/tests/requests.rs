//! The clean server's answers: statuses, order of checks, validation, date-times, hostile input.

use super::*;

#[tokio::test]
async fn clean_statuses() {
    let wrong_auth = [
        "Bearer wrong",
        "Basic dGVzdDp0ZXN0",
        "Bearer ",
        "Bearer",
        "Token x",
    ];
    let mut calls = vec![
        Call::valid(),
        Call::valid().content_type(Some("application/json; charset=utf-8")),
        Call::valid().content_type(Some("application/vnd.provisionr+json")),
        Call::valid().auth(Some(format!("bearer {TOKEN}").as_str())),
        Call::valid().service("svc%202"),
        Call::valid().auth(None).expect(401),
        Call::valid().service("svc_nope").expect(404),
        Call::valid().service("%FF").expect(404),
        Call::valid().content_type(None).expect(415),
        Call::valid().content_type(Some("text/plain")).expect(415),
        Call::valid()
            .content_type(Some("application/x-www-form-urlencoded"))
            .expect(415),
        Call::valid()
            .content_type(Some("application/+json"))
            .expect(415),
        Call::raw("").expect(400),
        Call::raw("{\"name\": \"n\",").expect(400),
        Call::raw("{} trailing").expect(400),
        Call::raw("\u{FEFF}{}").expect(400),
        Call::raw("{}").expect(422),
        Call::raw("null").expect(422),
        Call::raw("\"text\"").expect(422),
        Call::raw("7").expect(422),
        Call::post(json!({"name": "n", "description": 1})).expect(422),
        Call::post(json!({"name": "n", "description": "d", "expires_at": 5})).expect(422),
    ];
    calls.extend(wrong_auth.map(|auth| Call::valid().auth(Some(auth)).expect(401)));
    for method in [
        Method::GET,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ] {
        calls.push(Call::valid().method(method).expect(405));
    }
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn checks_run_in_the_documented_order() {
    let calls = [
        // Method before auth.
        Call::valid().method(Method::GET).auth(None).expect(405),
        // Auth before service.
        Call::valid().service("svc_nope").auth(None).expect(401),
        // Service before media type.
        Call::valid()
            .service("svc_nope")
            .content_type(None)
            .expect(404),
        // Media type before JSON.
        Call::raw("{").content_type(Some("text/plain")).expect(415),
        // JSON before validation.
        Call::raw("[").expect(400),
    ];
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn unknown_paths_are_json_404() {
    let app = app(config(FaultSet::none()));
    for uri in [
        "/",
        "/api/v1",
        "/api/v1/workspace/services/x/tokens",
        "/api/v2/x",
    ] {
        let request = HttpRequest::builder()
            .uri(uri)
            .body(Body::empty())
            .expect("request");
        let reply = send_request(&app, request).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(reply.json()["message"].is_string());
    }
}

#[tokio::test]
async fn validation_errors_name_every_offending_field() {
    let app = app(config(FaultSet::none()));
    let call = Call::post(json!({"name": "x".repeat(56), "expires_at": "tomorrow"})).expect(422);
    let body = send(&app, &call).await.json();
    assert_eq!(body["message"], "The given data was invalid.");
    let errors = body["errors"].as_object().expect("errors");
    for field in ["name", "description", "expires_at"] {
        assert!(
            errors[field].as_array().is_some_and(|m| !m.is_empty()),
            "{field}"
        );
    }
    let body = send(&app, &Call::raw("[1]").expect(422)).await.json();
    assert!(body["errors"]["body"].is_array());
}

#[tokio::test]
async fn name_limit_is_55_code_points() {
    let call =
        |name: String, expect| Call::post(json!({"name": name, "description": ""})).expect(expect);
    let calls = [
        call("😀".repeat(55), 201),
        call("😀".repeat(56), 422),
        call("a".repeat(55), 201),
        call("a".repeat(56), 422),
        call(String::new(), 201),
    ];
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn expires_at_accepts_exactly_rfc3339_date_times() {
    let valid = [
        "2099-01-02T03:04:05Z",
        "2099-01-02T03:04:05+05:30",
        "2099-01-02T03:04:05.123456Z",
        "2099-01-02T03:04:05.123456789-07:00",
        "2000-01-01T00:00:00Z",
    ];
    let call = |at: &str, expect| {
        Call::post(json!({"name": "n", "description": "d", "expires_at": at})).expect(expect)
    };
    let mut calls: Vec<Call> = valid.iter().map(|at| call(at, 201)).collect();
    calls.extend(NEAR_MISSES.iter().map(|m| call(m.text, 422)));
    calls.push(Call::post(
        json!({"name": "n", "description": "d", "expires_at": null}),
    ));
    calls.push(Call::post(json!({"name": "n", "description": "d"})));
    run(FaultSet::none(), &calls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn expires_at_mins_matches_the_timestamps() {
    let app = app(config(FaultSet::none()));
    let default = send(&app, &Call::post(json!({"name": "n", "description": "d"}))).await;
    let stamps = &default.json()["timestamp"];
    assert_eq!(stamps["expires_at_mins"], 43_200);
    assert_eq!(stamps["created_at"], stamps["requested_at"]);
    assert!(stamps["last_used_at"].is_null());
    let created = instant(&stamps["created_at"]).expect("created_at");
    assert_eq!(
        instant(&stamps["expires_at"]).expect("expires_at"),
        created + token::DEFAULT_LIFETIME
    );

    // An expiry in the past is accepted and floors to a negative count.
    let past =
        Call::post(json!({"name": "n", "description": "d", "expires_at": "2000-01-01T00:00:30Z"}));
    let body = send(&app, &past).await.json();
    let created = instant(&body["timestamp"]["created_at"]).expect("created_at");
    let expected = (parse_rfc3339("2000-01-01T00:00:30Z").expect("valid") - created)
        .whole_nanoseconds()
        .div_euclid(60_000_000_000);
    assert_eq!(
        body["timestamp"]["expires_at_mins"]
            .as_i64()
            .map(i128::from),
        Some(expected)
    );
    assert!(expected < 0);
}

#[tokio::test]
async fn success_body_matches_the_schema_and_links_to_the_token() {
    let app = app(config(FaultSet::none()));
    let (mut parts, body) = Call::valid().request().into_parts();
    parts
        .headers
        .insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
    let reply = send_request(&app, HttpRequest::from_parts(parts, body)).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let body = reply.json();
    assert!(RESPONSE_SCHEMA.is_valid(&body), "{body}");
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("wstok_"));
    assert_eq!(body["_embedded"], json!([]));
    let link = format!("http://127.0.0.1:8080{API_PREFIX}/workspace/tokens/{id}");
    assert_eq!(body["_links"]["self"], link.as_str());
    assert_eq!(header(&reply, LOCATION), link);
    assert_eq!(
        body["timestamp"]["expires_at"],
        "2099-01-01T21:34:05.000000Z"
    );
}

#[tokio::test]
async fn hostile_input_never_crashes() {
    let app = app(config(FaultSet::none()));
    let deep = "[".repeat(10_000);
    let huge = format!(
        "{{\"name\":\"n\",\"description\":\"{}\"}}",
        "x".repeat(3 << 20)
    );
    let cases = [
        (Call::raw(&deep), 400),
        (Call::raw(&huge), 413),
        (
            Call::raw("{\"name\":\"\\ud800\",\"description\":\"d\"}"),
            400,
        ),
        (
            Call::post(
                json!({"name": "n", "description": "d", "expires_at": "２099-01-02T03:04:05Z"}),
            ),
            422,
        ),
        (
            Call::post(
                json!({"name": "n", "description": "d", "expires_at": "9999-12-31T23:59:59-23:59"}),
            ),
            201,
        ),
        (
            Call::post(
                json!({"name": "n", "description": "d", "expires_at": "0000-01-01T00:00:00+23:59"}),
            ),
            201,
        ),
        (
            Call::post(json!({"name": {"a": 1}, "description": ["d"], "expires_at": {}})),
            422,
        ),
        (Call::valid().service("%2F%2e%2e"), 404),
    ];
    for (call, status) in cases {
        let reply = send(&app, &call).await;
        let start: String = call.body.chars().take(80).collect();
        assert_eq!(reply.status.as_u16(), status, "{start}");
        assert!(reply.json()["message"].is_string() || status == 201);
    }
}

#[tokio::test]
async fn faults_never_panic_on_odd_input() {
    let odd = [
        Call::raw(""),
        Call::raw("[]"),
        Call::raw("{\"name\": null, \"description\": null, \"expires_at\": null}"),
        Call::post(
            json!({"name": "😀".repeat(60), "description": "\"\\\u{1}", "expires_at": "2099-99-99T99:99:99.999999999999+99:99"}),
        ),
        Call::post(
            json!({"name": 1.5, "description": {"x": [1]}, "expires_at": "0000-00-00T00:00:00-99:99"}),
        ),
        Call::valid().service("%FF"),
        Call::valid().auth(Some("Bearer wrong")),
        Call::valid().method(Method::DELETE),
    ];
    let everything = FaultSet::with(Fault::ALL.iter().copied());
    for faults in Fault::ALL
        .iter()
        .map(|&f| FaultSet::with([f]))
        .chain([everything])
    {
        let app = app(config(faults));
        for call in &odd {
            let _ = send(&app, call).await;
        }
    }
}
