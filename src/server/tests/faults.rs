//! Every planted fault is caught by its probe.

use super::*;

/// For each fault, requests on which the clean server honours the contract and the faulty one
/// does not. The exhaustive match makes a new fault without a probe a compile error.
fn probe(fault: Fault) -> Vec<Call> {
    let with = |extra: Value| {
        let mut body = json!({"name": "n", "description": "d"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                body.insert(k.clone(), v.clone());
            }
        }
        Call::post(body)
    };
    let name_of = |name: String| Call::post(json!({"name": name, "description": "d"}));
    use Fault::*;
    match fault {
        MissingId | MissingAbilities | MissingTimestamp | MissingEmbedded | MissingRequestedAt
        | IdAsNumber | AbilitiesAsString | MinsAsString | RenamedDescription
        | CamelCaseTimestamps | EnumWrongValue | EnumUppercase | TimestampNoOffset
        | TimestampSpace | TimestampEpoch | ContentTypeText | WrongKind | IgnoresExpiry
        | ExpiryLocalTime | ExpiryDrops45s | MinsInSeconds | MinsInHours | CreatedAtHoursOff
        | SelfLinkWrongId => vec![Call::valid()],
        JsonConcat => vec![with(json!({"description": "say \"hi\" \\ bye"}))],
        NoMaxLength | CrashOnLongName | OkForErrors | ServerErrorForValidation => {
            vec![name_of("a".repeat(56)).expect(422)]
        }
        NoRequiredDescription => vec![Call::post(json!({"name": "n"})).expect(422)],
        NoRequiredName => vec![Call::post(json!({"description": "d"})).expect(422)],
        CoerceTypes | CrashOnWrongType => {
            vec![Call::post(json!({"name": 42, "description": "d"})).expect(422)]
        }
        NaiveDateTime => vec![with(json!({"expires_at": "2099-01-02T03:04:05"})).expect(422)],
        RegexDateTime => vec![with(json!({"expires_at": "2099-02-30T00:00:00Z"})).expect(422)],
        NullNameAccepted => {
            vec![Call::post(json!({"name": null, "description": "d"})).expect(422)]
        }
        IgnoreContentType => vec![Call::valid().content_type(Some("text/plain")).expect(415)],
        MaxLengthOffByOne => vec![name_of("a".repeat(55))],
        CountsBytes => vec![name_of("é".repeat(55))],
        CountsUtf16 => vec![name_of("😀".repeat(55))],
        RejectsNullExpiry | CrashOnNull => vec![with(json!({"expires_at": null}))],
        RequiresExpiresAt => vec![with(json!({}))],
        RejectsFractionalSeconds => {
            vec![with(json!({"expires_at": "2099-01-02T03:04:05.123456Z"}))]
        }
        OnlyUtc => vec![with(json!({"expires_at": FAR_FUTURE}))],
        RejectsEmptyStrings => vec![Call::post(json!({"name": "", "description": ""}))],
        RejectsUnknownFields => vec![with(json!({"scope": "all"}))],
        CrashOnAstral => vec![with(json!({"description": "rocket 🚀"}))],
        CrashOnInvisible => vec![with(json!({"description": "zero\u{200b}width"}))],
        CrashOnFormatString => vec![with(json!({"description": "100%s {x}"}))],
        RejectsBlank => vec![Call::post(json!({"name": "   ", "description": "d"}))],
        RejectsSurroundingWhitespace => vec![name_of(" padded ".into())],
        TrimsBeforeLengthCheck => vec![name_of(format!(" {} ", "a".repeat(55))).expect(422)],
        CrashOnMalformed => vec![
            Call::raw("{\"name\":").expect(400),
            Call::raw("").expect(400),
        ],
        CrashOnNonObject => vec![Call::raw("[]").expect(422)],
        Intermittent500 | SameId => vec![Call::valid(); 10],
        ForbiddenForBadToken | AnyToken => {
            vec![Call::valid().auth(Some("Bearer wrong")).expect(401)]
        }
        NotFoundForMethod => vec![Call::valid().method(Method::GET).expect(405)],
        NoAuth => vec![Call::valid().auth(None).expect(401)],
        UnknownServiceAccepted => vec![Call::valid().service("svc_nope").expect(404)],
        CrashOnEncodedService => vec![Call::valid().service("svc%20nope").expect(404)],
        TruncatesDescription => vec![with(json!({"description": "x".repeat(60)}))],
        UnnamedValidationErrors => vec![name_of("a".repeat(56)).expect(422)],
        NoAllowHeader => vec![Call::valid().method(Method::GET).expect(405)],
        MediaTypeParamsRefused => {
            vec![Call::valid().content_type(Some("application/json; charset=utf-8"))]
        }
        MediaTypeCaseSensitive => vec![Call::valid().content_type(Some("APPLICATION/JSON"))],
        RegexParsedJson => vec![Call::raw("{\"name\" : \"n\", \"description\" : \"d\"}")],
        CrashOnDeepNesting => vec![Call::raw(&format!(
            "{{\"name\":\"n\",\"description\":\"d\",\"x\":{}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        ))
        .expect(400)],
        CrashOnLoneSurrogate | CrashOnLoneSurrogateCloses => {
            vec![Call::raw("{\"name\":\"\\ud800\",\"description\":\"d\"}").expect(400)]
        }
        BearerCaseSensitive => vec![Call::valid().auth(Some(&format!("bearer {TOKEN}")))],
        NoWwwAuthenticate | BasicChallenge => vec![Call::valid().auth(None).expect(401)],
        DateHeaderEpoch => vec![Call::valid()],
        CrashOnUnknownMethod => vec![Call::valid()
            .method(Method::from_bytes(b"FOO").expect("a method"))
            .expect(405)],
        CrashOnLeapSecond => vec![with(json!({"expires_at": "2099-12-31T23:59:60Z"}))],
        MassAssignment => vec![with(json!({"id": "chosen-by-the-client"}))],
        Y2038Wraps => vec![with(json!({"expires_at": "2038-01-19T03:14:08Z"}))],
        CrashBeforeEpoch => vec![with(json!({"expires_at": "1969-12-31T23:59:59Z"}))],
        CrashOnUtcOverflow => {
            vec![with(json!({"expires_at": "9999-12-31T23:59:59-01:00"}))]
        }
        EpochStringDateTime => vec![with(json!({"expires_at": "4102444800"})).expect(422)],
        EpochNumberDateTime => vec![with(json!({"expires_at": 4_102_444_800u64})).expect(422)],
        StallsOnRepeatedCharacters => vec![name_of("a".repeat(40))],
    }
}

#[tokio::test]
async fn every_fault_is_caught_by_its_probe() {
    assert!(Fault::ALL.len() >= 40);
    for &fault in Fault::ALL {
        let calls = probe(fault);
        if let Err(e) = run(FaultSet::none(), &calls).await {
            panic!("clean server fails the probe for {fault}: {e}");
        }
        assert!(
            run(FaultSet::with([fault]), &calls).await.is_err(),
            "{fault} slipped through its probe"
        );
    }
}
