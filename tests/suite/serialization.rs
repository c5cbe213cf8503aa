//! Parameters and form bodies as they reach a server: a server in the test parses the path, the
//! query, the headers, the cookies and the body, and answers 400 naming what it did not get as
//! OpenAPI's styles write it; each rule is shown to reach it, and a request that breaks it to be
//! refused. Also what a request records (its curl line), and a header no header can carry.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, Uri};
use bytes::Bytes;
use provisionr_conformance::cases::{Body, ParamSent, ParamValue, RequestSpec};
use provisionr_conformance::contract::{BodyKind, Endpoint, Operation, Param, ParamIn, Style};
use provisionr_conformance::http::{Secret, Target};
use provisionr_conformance::report::curl;
use serde_json::{json, Value};

use crate::common::serve_app;

fn param(name: &str, location: ParamIn, style: Style, explode: bool, base: Option<Value>) -> Param {
    Param {
        name: name.into(),
        location,
        required: base.is_some(),
        schema: json!({}),
        style,
        explode,
        example: None,
        base,
        pointer: format!("/paths/~1items~1{{id}}/get/parameters/{name}"),
    }
}

/// `GET /items/{id}` with a parameter in each location and each style.
fn endpoint() -> Endpoint {
    let mut e = Operation::embedded().unwrap().endpoint;
    e.method = "GET".into();
    e.path = "/items/{id}".into();
    e.body_kind = BodyKind::None;
    e.auth.scheme = "none".into();
    e.auth.security = provisionr_conformance::contract::Security::default();
    use ParamIn::*;
    e.params = vec![
        param("id", Path, Style::Label, false, None),
        param("ids", Query, Style::Form, false, Some(json!([1, 2, 3]))),
        param("tag", Query, Style::Form, true, Some(json!(["a", "b"]))),
        param(
            "sp",
            Query,
            Style::SpaceDelimited,
            false,
            Some(json!(["x", "y"])),
        ),
        param(
            "pp",
            Query,
            Style::PipeDelimited,
            false,
            Some(json!(["x", "y"])),
        ),
        param(
            "filter",
            Query,
            Style::DeepObject,
            true,
            Some(json!({"status": "open", "size": 2})),
        ),
        param("q", Query, Style::Form, true, Some(json!("a b&c"))),
        param("optional", Query, Style::Form, true, None),
        param("X-Ids", Header, Style::Simple, false, Some(json!([1, 2]))),
        param(
            "X-Obj",
            Header,
            Style::Simple,
            true,
            Some(json!({"a": 1, "b": 2})),
        ),
        param("session", Cookie, Style::Form, false, Some(json!("abc"))),
        param("prefs", Cookie, Style::Form, false, Some(json!(["x", "y"]))),
    ];
    e
}

/// What the server must receive, as OpenAPI 3.1 4.8.12.4 writes it.
const QUERY: &str =
    "ids=1,2,3&tag=a&tag=b&sp=x%20y&pp=x|y&filter[status]=open&filter[size]=2&q=a%20b%26c";

/// Checks every parameter of [`endpoint`] as it arrives; 400 with the first thing amiss.
async fn strict(uri: Uri, headers: HeaderMap) -> (StatusCode, String) {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut problems = Vec::new();
    if uri.path() != "/items/.7" {
        problems.push(format!("path {} (label style: /items/.7)", uri.path()));
    }
    if uri.query() != Some(QUERY) {
        problems.push(format!("query {:?}", uri.query()));
    }
    if header("x-ids") != "1,2" {
        problems.push(format!("X-Ids {:?}", header("x-ids")));
    }
    if header("x-obj") != "a=1,b=2" {
        problems.push(format!("X-Obj {:?}", header("x-obj")));
    }
    if header("cookie") != "session=abc; prefs=x,y" {
        problems.push(format!("Cookie {:?}", header("cookie")));
    }
    if headers.contains_key("authorization") {
        problems.push("Authorization sent".into());
    }
    if problems.is_empty() {
        (StatusCode::OK, "{}".into())
    } else {
        (StatusCode::BAD_REQUEST, problems.join("; "))
    }
}

fn target(addr: std::net::SocketAddr) -> Target {
    Target::new(
        &format!("http://{addr}"),
        BTreeMap::from([("id".to_string(), "7".to_string())]),
        Secret::new("pvt_test_token"),
        "API_TOKEN",
        Duration::from_secs(5),
        "run-test",
    )
    .unwrap()
}

/// Sends `spec` for `endpoint` to `app`: the status and body, or the transport error.
fn send(
    app: axum::Router,
    endpoint: &Endpoint,
    spec: &RequestSpec,
) -> Result<(u16, String), String> {
    let (addr, rt) = serve_app(app);
    let target = target(addr);
    let prepared = target.prepare(endpoint, spec);
    rt.block_on(target.transmit(&prepared))
        .map(|r| (r.status, r.body_text().into_owned()))
        .map_err(|e| e.message)
}

fn with(endpoint: &Endpoint, location: ParamIn, name: &str, value: ParamSent) -> RequestSpec {
    let mut spec = RequestSpec::json(endpoint, json!({}));
    spec.params.push(ParamValue {
        location,
        name: name.into(),
        value,
    });
    spec
}

#[test]
fn each_location_and_style_reaches_the_server_as_the_specification_writes_it() {
    let e = endpoint();
    let app = || axum::Router::new().fallback(strict);
    let base = RequestSpec::json(&e, json!({}));
    assert_eq!(send(app(), &e, &base), Ok((200, "{}".into())));
    // Each rule refused when broken: the server is not lenient.
    use ParamIn::*;
    for (location, name, value, amiss) in [
        (Query, "ids", ParamSent::Json(json!(["1", "2"])), "query"),
        (Query, "tag", ParamSent::Absent, "query"),
        (
            Query,
            "filter",
            ParamSent::Raw("status=open".into()),
            "query",
        ),
        (Header, "X-Ids", ParamSent::Json(json!("1;2")), "X-Ids"),
        (Header, "X-Obj", ParamSent::Absent, "X-Obj"),
        (
            Cookie,
            "prefs",
            ParamSent::Json(json!(["y", "x"])),
            "Cookie",
        ),
    ] {
        let spec = with(&e, location, name, value);
        let (status, body) = send(app(), &e, &spec).unwrap();
        assert_eq!(status, 400, "{name}: {body}");
        assert!(body.starts_with(amiss), "{name}: {body}");
    }
    let mut path = RequestSpec::json(&e, json!({}));
    path.path.insert("id".into(), "8".into());
    let (status, body) = send(app(), &e, &path).unwrap();
    assert_eq!((status, body.starts_with("path")), (400, true), "{body}");
}

#[test]
fn a_request_records_its_parameters_and_its_curl_line_shows_them() {
    let e = endpoint();
    let (addr, _rt) = serve_app(axum::Router::new());
    let sent = target(addr)
        .prepare(&e, &RequestSpec::json(&e, json!({})))
        .request;
    assert!(
        sent.url.ends_with(&format!("/items/.7?{QUERY}")),
        "{}",
        sent.url
    );
    let line = curl::command(&sent);
    assert!(line.contains(&format!("/items/.7?{QUERY}'")), "{line}");
    assert!(
        line.contains("-H 'Cookie: session=abc; prefs=x,y'"),
        "{line}"
    );
    assert!(line.contains("-H 'X-Obj: a=1,b=2'"), "{line}");
    assert!(!line.contains("Authorization"), "{line}");
}

#[test]
fn an_endpoint_without_parameters_sends_what_it_always_sent() {
    let e = Operation::embedded().unwrap().endpoint;
    let (addr, _rt) = serve_app(axum::Router::new());
    let t = target(addr);
    let spec = RequestSpec::json(&e, json!({"name": "svc_access"}));
    let first = t.prepare(&e, &spec).request;
    let again = t.prepare(&e, &spec).request;
    assert!(!first.url.contains('?'), "{}", first.url);
    assert_eq!(first.url, again.url);
    let names: Vec<&str> = first.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["Accept", "Authorization", "Content-Type"]);
}

#[test]
fn a_header_value_no_header_can_carry_fails_the_request_with_the_reason() {
    let e = endpoint();
    let app = || axum::Router::new().fallback(strict);
    for (location, name) in [(ParamIn::Header, "X-Ids"), (ParamIn::Cookie, "session")] {
        let spec = with(
            &e,
            location,
            name,
            ParamSent::Raw("a\r\nX-Injected: 1".into()),
        );
        let err = send(app(), &e, &spec).expect_err("not sent");
        assert!(err.contains("cannot be sent in an HTTP header"), "{err}");
        assert!(err.contains(name), "{err}");
        assert!(err.contains("/parameters/"), "{err}");
    }
}

/// Checks a form body: `name=a b&c`, `tags` twice, `n=3`.
async fn form_server(headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let want: Vec<(String, String)> = [("name", "a b&c"), ("tags", "x"), ("tags", "y"), ("n", "3")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if ct == "application/x-www-form-urlencoded" && pairs == want {
        (StatusCode::OK, "{}".into())
    } else {
        (StatusCode::BAD_REQUEST, format!("{ct} {pairs:?}"))
    }
}

/// Checks a multipart body: the boundary of its Content-Type, one part per value.
async fn multipart_server(headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let body = String::from_utf8_lossy(&body);
    let Some(boundary) = ct
        .strip_prefix("multipart/form-data; boundary=")
        .filter(|b| !b.is_empty())
    else {
        return (StatusCode::BAD_REQUEST, format!("no boundary: {ct}"));
    };
    let parts: Vec<&str> = body
        .split(&format!("--{boundary}"))
        .filter(|p| p.starts_with("\r\nContent-Disposition"))
        .collect();
    let named = |name: &str, value: &str| {
        parts.iter().any(|p| {
            *p == format!("\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        })
    };
    let ended = body.ends_with(&format!("--{boundary}--\r\n"));
    if parts.len() == 3
        && named("name", "a b&c")
        && named("tags", "x")
        && named("tags", "y")
        && ended
    {
        (StatusCode::OK, "{}".into())
    } else {
        (StatusCode::BAD_REQUEST, body.into_owned())
    }
}

#[test]
fn form_and_multipart_bodies_are_encoded_from_the_object() {
    let mut e = Operation::embedded().unwrap().endpoint;
    e.path = "/upload".into();
    e.body_kind = BodyKind::Form;
    e.content_type = "application/x-www-form-urlencoded".into();
    let object = json!({"name": "a b&c", "tags": ["x", "y"], "n": 3});
    let form = RequestSpec::json(&e, object.clone());
    let app = || axum::Router::new().fallback(form_server);
    assert_eq!(send(app(), &e, &form), Ok((200, "{}".into())));
    // The same object as JSON text is refused: the server reads the form.
    let mut raw = form.clone();
    raw.body = Body::Raw(object.to_string());
    assert_eq!(send(app(), &e, &raw).unwrap().0, 400);

    e.body_kind = BodyKind::Multipart;
    e.content_type = "multipart/form-data".into();
    let object = json!({"name": "a b&c", "tags": ["x", "y"]});
    let multipart = RequestSpec::json(&e, object.clone());
    let app = || axum::Router::new().fallback(multipart_server);
    assert_eq!(send(app(), &e, &multipart), Ok((200, "{}".into())));
    let mut raw = multipart.clone();
    raw.body = Body::Raw(object.to_string());
    assert_eq!(send(app(), &e, &raw).unwrap().0, 400);
}

#[test]
fn two_operations_on_one_path_keep_their_own_path_styles() {
    let labelled = endpoint();
    let mut plain = endpoint();
    plain.params.clear();
    let (addr, _rt) = serve_app(axum::Router::new());
    let t = target(addr);
    for _ in 0..2 {
        let a = t.prepare(&plain, &RequestSpec::json(&plain, json!({})));
        let b = t.prepare(&labelled, &RequestSpec::json(&labelled, json!({})));
        assert!(a.request.url.ends_with("/items/7"), "{}", a.request.url);
        assert!(b.request.url.contains("/items/.7?"), "{}", b.request.url);
    }
}
