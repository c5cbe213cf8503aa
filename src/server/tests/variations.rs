//! Every legitimate variation takes effect, and only where it says.

use super::*;

/// `timestamp.<key>` of a success body, as text.
fn stamp(r: &Reply, key: &str) -> Option<String> {
    r.json()["timestamp"][key].as_str().map(str::to_owned)
}

/// `timestamp.created_at` of a success body, as an instant.
fn created(r: &Reply) -> Option<OffsetDateTime> {
    stamp(r, "created_at").as_deref().and_then(parse_rfc3339)
}

/// The `Date` header the app set, as an instant.
fn date(r: &Reply) -> Option<OffsetDateTime> {
    let text = header(r, axum::http::header::DATE);
    httpdate::parse_http_date(text)
        .ok()
        .map(OffsetDateTime::from)
}

/// The number of fraction digits of a UTC date-time, if it has a fraction.
fn fraction(text: Option<String>) -> Option<usize> {
    text.and_then(|t| {
        t.split_once('.')
            .map(|(_, f)| f.trim_end_matches('Z').len())
    })
}

/// For each variation, a request and what shows the variation took effect: true on the varied
/// server's reply, false on the reference one's. The exhaustive match makes a new variation
/// without a probe a compile error.
fn variation_probe(variation: Variation) -> (Call, fn(&Reply) -> bool) {
    let fine = Call::post(json!({
        "name": "n",
        "description": "d",
        "expires_at": "2100-01-01T00:00:00.123456789Z",
    }));
    let expiry = |expires_at: &str| {
        Call::post(json!({"name": "n", "description": "d", "expires_at": expires_at}))
    };
    let too_long = Call::post(json!({"name": "a".repeat(56), "description": "d"})).expect(422);
    use Variation::*;
    match variation {
        PrecisionMicroseconds => (fine, |r| {
            stamp(r, "expires_at").as_deref() == Some("2100-01-01T00:00:00.123456Z")
        }),
        PrecisionMilliseconds => (fine, |r| {
            stamp(r, "expires_at").as_deref() == Some("2100-01-01T00:00:00.123Z")
                && fraction(stamp(r, "created_at")) == Some(3)
        }),
        PrecisionSeconds => (fine, |r| {
            stamp(r, "expires_at").as_deref() == Some("2100-01-01T00:00:00Z")
                && fraction(stamp(r, "created_at")).is_none()
                && fraction(stamp(r, "requested_at")).is_none()
        }),
        NotFoundForOtherMethods => (Call::valid().method(Method::GET).expect(405), |r| {
            r.status == StatusCode::NOT_FOUND
        }),
        LenientDateTime => (expiry("2099-01-02 03:04:05,5+0100").expect(422), |r| {
            r.status == StatusCode::CREATED
                && stamp(r, "expires_at").as_deref() == Some("2099-01-02T02:04:05.500000Z")
        }),
        OkForCreate => (Call::valid(), |r| r.status == StatusCode::OK),
        LastUsedAtCreated => (Call::valid(), |r| {
            stamp(r, "last_used_at").is_some() && stamp(r, "last_used_at") == stamp(r, "created_at")
        }),
        ExtraFields => (Call::valid(), |r| {
            let body = r.json();
            body["workspace_id"].is_string() && body["scopes"].is_array()
        }),
        ProblemJson => (too_long, |r| {
            let body = r.json();
            header(r, CONTENT_TYPE) == "application/problem+json"
                && body["status"] == 422
                && body["invalid-params"][0]["name"] == "name"
        }),
        NestedErrorObject => (too_long, |r| {
            r.json()["error"]["fields"][0]["field"] == "name"
        }),
        CharsetParameter => (Call::valid(), |r| {
            header(r, CONTENT_TYPE) == "application/json; charset=utf-8"
        }),
        PrettyJson => (Call::valid(), |r| {
            let text = String::from_utf8_lossy(&r.body);
            text.starts_with("{\n  \"_links\"") && r.json()["id"].is_string()
        }),
        NumericUtcOffset => (Call::valid(), |r| {
            stamp(r, "created_at").is_some_and(|s| s.ends_with("+00:00"))
                && stamp(r, "expires_at").is_some_and(|s| s.ends_with("+00:00"))
        }),
        PrecisionNanoseconds => (Call::valid(), |r| {
            fraction(stamp(r, "created_at")) == Some(9)
                && fraction(stamp(r, "expires_at")) == Some(9)
        }),
        LowercaseTZ => (Call::valid(), |r| {
            stamp(r, "created_at").is_some_and(|s| s.contains('t') && s.ends_with('z'))
        }),
        RelativeLinks => (Call::valid(), |r| {
            header(r, LOCATION).starts_with("/api/v1/workspace/tokens/")
                && r.json()["_links"]["self"] == header(r, LOCATION)
        }),
        BadRequestForValidation => (too_long, |r| r.status == StatusCode::BAD_REQUEST),
        PlainTextErrors => (too_long, |r| {
            header(r, CONTENT_TYPE).starts_with("text/plain")
                && String::from_utf8_lossy(&r.body).contains("The name field")
        }),
        OptionsAnsweredByFramework => (Call::valid().method(Method::OPTIONS).expect(405), |r| {
            r.status == StatusCode::OK
                && header(r, ALLOW) == "POST"
                && header(r, CONTENT_TYPE).starts_with("text/plain")
                && &r.body[..] == b"POST"
        }),
        OptionsNoContent => (Call::valid().method(Method::OPTIONS).expect(405), |r| {
            r.status == StatusCode::NO_CONTENT
                && header(r, ALLOW).contains("POST")
                && r.body.is_empty()
        }),
        HeadAnswered => (Call::valid().method(Method::HEAD).expect(405), |r| {
            r.status == StatusCode::OK && r.body.is_empty()
        }),
        NotImplementedForUnknownMethod => {
            let foo = Method::from_bytes(b"FOO").expect("a method token");
            (Call::valid().method(foo).expect(405), |r| {
                r.status == StatusCode::NOT_IMPLEMENTED
            })
        }
        ChallengeWithRealm => (Call::valid().auth(Some("Bearer wrong")).expect(401), |r| {
            let challenge = header(r, WWW_AUTHENTICATE);
            challenge.starts_with("Bearer realm=\"api\", error=\"invalid_token\"")
                && challenge.contains("error_description=")
        }),
        PrototypeKeysRefused => (
            Call::post(json!({"name": "n", "description": "d", "x": [{"constructor": {}}]})),
            |r| r.status == StatusCode::BAD_REQUEST,
        ),
        NulRefused => (
            Call::post(json!({"name": "a\u{0}b", "description": "d"})),
            |r| r.status == StatusCode::BAD_REQUEST && r.json()["errors"]["name"].is_array(),
        ),
        EncodedSlashRefused => (Call::valid().service("a%2Fb").expect(404), |r| {
            r.status == StatusCode::BAD_REQUEST
        }),
        ExpiryCappedAtAYear => (Call::valid(), |r| {
            r.status == StatusCode::UNPROCESSABLE_ENTITY
                && r.json()["errors"]["expires_at"].is_array()
        }),
        ChallengePerLine => (Call::valid().auth(None).expect(401), |r| {
            let lines: Vec<_> = r.headers.get_all(WWW_AUTHENTICATE).iter().collect();
            lines.len() == 2 && lines[0] == "Basic realm=\"api\""
        }),
        ClockSecondsOff => (Call::valid(), |r| {
            let behind = created(r).map(|at| OffsetDateTime::now_utc() - at);
            behind.is_some_and(|b| b > time::Duration::seconds(15)) && date(r).is_some()
        }),
        ClockHoursOff => (Call::valid(), |r| {
            let ahead = created(r).map(|at| at - OffsetDateTime::now_utc());
            let agrees = created(r).zip(date(r)).map(|(at, d)| (at - d).abs());
            ahead.is_some_and(|a| a > time::Duration::hours(2))
                && agrees.is_some_and(|a| a < time::Duration::seconds(2))
        }),
        DateFromOwnClock => (Call::valid(), |r| {
            created(r)
                .zip(date(r))
                .is_some_and(|(at, d)| at - d > time::Duration::SECOND)
        }),
        RelativeSelfLink => (Call::valid(), |r| {
            r.json()["_links"]["self"]
                .as_str()
                .is_some_and(|l| l.starts_with("../"))
        }),
        // Below the router: each is proven on the wire in tests/suite/transport.rs.
        ClosesAfterError | ConnectionClose | Chunked | ParserRejectsUnknownMethod => {
            (Call::valid(), |_| false)
        }
    }
}

/// The variations that act on the connection, which a request to the router cannot show.
const ON_THE_WIRE: &[Variation] = &[
    Variation::ClosesAfterError,
    Variation::ConnectionClose,
    Variation::Chunked,
    Variation::ParserRejectsUnknownMethod,
];

fn varied(variation: Variation) -> Router {
    app(ServerConfig {
        variations: VariationSet::with([variation]),
        ..config(FaultSet::none())
    })
}

#[tokio::test]
async fn every_variation_takes_effect_and_only_where_it_says() {
    let clean = app(config(FaultSet::none()));
    for &variation in Variation::ALL.iter().filter(|v| !ON_THE_WIRE.contains(v)) {
        let (call, shows) = variation_probe(variation);
        let reference = send(&clean, &call).await;
        let mut ids = HashSet::new();
        if let Err(e) = conforms(&call, &reference, &mut ids) {
            panic!("the reference server fails the probe for {variation}: {e}");
        }
        assert!(
            !shows(&reference),
            "{variation}: the reference server shows it too"
        );
        let reply = send(&varied(variation), &call).await;
        let body = String::from_utf8_lossy(&reply.body);
        assert!(
            shows(&reply),
            "{variation} did not take effect: {} {body}",
            reply.status
        );
        // A 2xx to HEAD or OPTIONS is no token creation, and carries no token.
        if reply.status.is_success() && call.method == Method::POST {
            let body: Value = serde_json::from_slice(&reply.body).expect("JSON");
            assert!(RESPONSE_SCHEMA.is_valid(&body), "{variation}: {body}");
        }
    }
}

#[tokio::test]
async fn a_coarser_store_keeps_the_minutes_consistent() {
    for variation in [
        Variation::PrecisionMicroseconds,
        Variation::PrecisionMilliseconds,
        Variation::PrecisionSeconds,
    ] {
        let app = varied(variation);
        for expires_at in [json!(null), json!("2099-06-15T08:30:00.987654321+02:00")] {
            let call =
                Call::post(json!({"name": "n", "description": "d", "expires_at": expires_at}));
            let stamps = send(&app, &call).await.json()["timestamp"].clone();
            let created = instant(&stamps["created_at"]).unwrap();
            let expires = instant(&stamps["expires_at"]).unwrap();
            let minutes = (expires - created)
                .whole_nanoseconds()
                .div_euclid(60_000_000_000);
            assert_eq!(
                stamps["expires_at_mins"].as_i64().map(i128::from),
                Some(minutes),
                "{variation}: {stamps}"
            );
        }
    }
}
