//! The catalog of legitimate variations: what a correct server may do differently from the
//! reference one. The suite must pass each of them (the false-alarm half of the self-test).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::faults::UnknownName;

/// Declares the catalog once so the variant, its name, description and reason never drift apart.
macro_rules! variation_catalog {
    ($( $variant:ident = $name:literal, $description:literal, $why:literal; )+) => {
        /// A way a correct server may differ from the reference one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Variation {
            $( #[doc = $description] $variant, )+
        }

        impl Variation {
            /// Every variation, in catalog order.
            pub const ALL: &'static [Variation] = &[$( Variation::$variant, )+];

            /// The kebab-case name used on the command line and in reports.
            pub fn name(self) -> &'static str {
                match self { $( Variation::$variant => $name, )+ }
            }

            /// One line on what the server does differently.
            pub fn description(self) -> &'static str {
                match self { $( Variation::$variant => $description, )+ }
            }

            /// Why a correct server may do it: the standard or the stack it comes from.
            pub fn why(self) -> &'static str {
                match self { $( Variation::$variant => $why, )+ }
            }
        }
    };
}

variation_catalog! {
    PrecisionMicroseconds = "precision-microseconds",
        "Timestamps are stored and returned to the microsecond; a finer requested `expires_at` is cut.",
        "Python's datetime (FastAPI, pydantic) and PostgreSQL's timestamp keep microseconds.";
    PrecisionMilliseconds = "precision-milliseconds",
        "Timestamps are stored and returned to the millisecond (`.123Z`); a finer `expires_at` is cut.",
        "A JavaScript Date keeps milliseconds, and toISOString shows three digits.";
    PrecisionSeconds = "precision-seconds",
        "Timestamps are stored and returned in whole seconds, without a fraction; a finer `expires_at` is cut.",
        "A SQL DATETIME column keeps whole seconds.";
    NotFoundForOtherMethods = "not-found-for-other-methods",
        "Other methods on the route answer 404 instead of 405.",
        "RFC 9110 says a server SHOULD answer 405; Express answers 404 by default.";
    LenientDateTime = "lenient-date-time",
        "`expires_at` is also accepted with a space for `T`, a comma decimal sign, a basic offset (`+0100`) or ISO 8601's `24:00:00`.",
        "pydantic and ajv-formats accept these unambiguous forms, RFC 3339 lets applications use a space, and `Date.parse` reads 24:00 as the next midnight.";
    OkForCreate = "ok-for-create",
        "A created token is answered 200 instead of 201.",
        "The page shows no success status, and 200 is a common reading (schemas/README.md, decision 1).";
    LastUsedAtCreated = "last-used-at-created",
        "`last_used_at` is `created_at` instead of null.",
        "The page types it a string; a store that fills the column on insert is not wrong.";
    ExtraFields = "extra-fields",
        "The success body also carries `workspace_id` and `scopes`.",
        "Extra fields break no client, and the page does not close the object (decision 6).";
    ProblemJson = "problem-json",
        "Errors are RFC 9457 `application/problem+json`, the invalid fields listed under `invalid-params`.",
        "The page documents no error body, and RFC 9457 is the standard one.";
    NestedErrorObject = "nested-error-object",
        "Errors are `{\"error\": {\"message\": ..., \"fields\": [...]}}`.",
        "The page documents no error body, and this shape is common in Express and Google-style APIs.";
    CharsetParameter = "charset-parameter",
        "Responses are labelled `application/json; charset=utf-8`.",
        "Media-type parameters are allowed, and Express adds this one by default.";
    PrettyJson = "pretty-json",
        "Bodies are pretty-printed, with their keys in reverse order.",
        "JSON allows any whitespace and any member order (RFC 8259 2, 4); debug builds and Python's `indent=2` print so.";
    NumericUtcOffset = "numeric-utc-offset",
        "Timestamps end in `+00:00` instead of `Z`.",
        "RFC 3339 5.6 allows either for UTC; Python's `isoformat()` writes `+00:00`.";
    PrecisionNanoseconds = "precision-nanoseconds",
        "Timestamps carry nine fraction digits.",
        "RFC 3339 5.6 puts no bound on the fraction; Go's `RFC3339Nano` and Java's `Instant` print nanoseconds.";
    LowercaseTZ = "lowercase-t-z",
        "Timestamps are written with a lower-case `t` and `z`.",
        "RFC 3339 5.6 lets an application use lower-case `t` and `z`; parsers must read both.";
    RelativeLinks = "relative-links",
        "`Location` and `_links.self` are paths, without scheme and host.",
        "RFC 9110 10.2.2 allows a relative reference in `Location`, and the page types `_links.self` a string.";
    BadRequestForValidation = "bad-request-for-validation",
        "Validation failures are answered 400 instead of 422.",
        "The page names no error status; 400 is HTTP's generic answer to a bad request and FastAPI-, Spring- and Fastify-style servers use it.";
    PlainTextErrors = "plain-text-errors",
        "Error answers are `text/plain` sentences naming the field, not JSON.",
        "The page documents no error body; plain text is what many frameworks answer by default.";
    OptionsAnsweredByFramework = "options-answered-by-framework",
        "OPTIONS on the route answers 200 with `Allow: POST` and a `text/plain` body `POST`.",
        "Express answers OPTIONS itself from the route's methods so; RFC 9110 9.3.7 defines no body format for it.";
    OptionsNoContent = "options-no-content",
        "OPTIONS on the route answers 204 with `Allow: POST, OPTIONS` and no body.",
        "RFC 9110 9.3.7 allows a 2xx with no content; 204 is the OPTIONS answer of Express's cors middleware by default.";
    HeadAnswered = "head-answered",
        "HEAD on the route answers 200 with the success's `Content-Type` and no body.",
        "RFC 9110 9.3.2: a 2xx to HEAD has no content; a catch-all HEAD route for uptime probes answers every path so.";
    NotImplementedForUnknownMethod = "not-implemented-for-unknown-method",
        "An unknown method (`FOO`) answers 501 Not Implemented.",
        "RFC 9110 9.1: a server SHOULD answer 501 to a method it does not recognise; Python's http.server and koa-router do.";
    ChallengeWithRealm = "challenge-with-realm",
        "A 401 challenges with `Bearer realm=\"api\", error=\"invalid_token\", error_description=\"...\"`; with no credential, `realm` only.",
        "RFC 6750 3 defines realm, error and error_description; 3.1 sends no error code when no credential was presented.";
    PrototypeKeysRefused = "prototype-keys-refused",
        "A body with a `__proto__`, `constructor` or `prototype` key, at any depth, is answered 400.",
        "Fastify's default prototype-poisoning guard (secure-json-parse) refuses `__proto__` and `constructor.prototype`; a careful JavaScript server may refuse all three.";
    NulRefused = "nul-refused",
        "A string holding U+0000 is refused with 400, naming the field.",
        "PostgreSQL's text type cannot hold U+0000, and Django REST framework's CharField refuses it by default.";
    EncodedSlashRefused = "encoded-slash-refused",
        "A path holding `%2F` or `%25` is refused with 400 before routing.",
        "Tomcat's default encodedSolidusHandling and Spring Security's StrictHttpFirewall refuse them against path traversal.";
    ExpiryCappedAtAYear = "expiry-capped-at-a-year",
        "An `expires_at` more than 365 days ahead is refused with 422, naming the field.",
        "GitLab, GitHub and Azure DevOps cap a token's lifetime at about a year; the page states no cap, and no schema can.";
    ChallengePerLine = "challenge-per-line",
        "A 401 sends `WWW-Authenticate: Basic realm=\"api\"` and the Bearer challenge on field lines of their own.",
        "RFC 9110 5.3 makes several field lines one list and 11.6.1 allows several challenges; ASP.NET Core and Node's setHeader with an array send one line each.";
    ClosesAfterError = "closes-after-error",
        "After an error answer (4xx or 5xx) the server reads no more on that connection and closes it, without `Connection: close`, when the next request arrives, leaving it unanswered.",
        "RFC 9112 9.6 lets a server close a connection at any time; uvicorn closes its keep-alive connection after a 500 without saying so. The clean server answers 5xx only under faults, so here every error answer closes: the next request on that pooled connection always loses the race.";
    ConnectionClose = "connection-close",
        "Every answer carries `Connection: close`, and the connection is closed after it.",
        "RFC 9112 9.6: a server may close after any answer and says so with `Connection: close`; servers that keep no connections alive do it on every answer.";
    Chunked = "chunked",
        "Success and error bodies are sent with `Transfer-Encoding: chunked`, without `Content-Length`.",
        "RFC 9112 7.1: chunked coding frames a body of unknown length; streaming responses (Node's `res.write`, an ASGI streaming response) are sent this way.";
    ClockSecondsOff = "clock-seconds-off",
        "The server's clock is 23 seconds behind the client's: `created_at` and `Date` both come from it.",
        "Clocks drift; NTP keeps a server within a second but an unsynchronised VM or container drifts seconds a day.";
    ClockHoursOff = "clock-hours-off",
        "The server's clock is 3 hours ahead: `created_at` and `Date` both come from it, and agree.",
        "A wrong system clock is an operations problem, not a broken endpoint: the record is right by the server's own clock, which its `Date` shows.";
    DateFromOwnClock = "date-from-own-clock",
        "`Date` comes from another clock than `created_at`, 2 seconds behind it.",
        "hyper caches `Date` per second, and a proxy or load balancer in front writes its own; RFC 9110 6.6.1 asks only for the best available approximation.";
    RelativeSelfLink = "relative-self-link",
        "`_links.self` is a relative reference, `../../../tokens/{id}`, resolved against the request's URL.",
        "RFC 3986 4.2 relative references are URLs too, and HAL's `href` may be one; the page types `_links.self` a string.";
    ParserRejectsUnknownMethod = "parser-rejects-unknown-method",
        "A method HTTP does not define (`FOO`) is answered before routing, as an HTTP parser does: `400 Bad Request`, `Connection: close`, no `Date`, and the connection closed.",
        "Node's HTTP parser (llhttp) refuses an unknown method this way before any application code runs; RFC 9110 9.1 lets a server refuse a method it does not recognise.";
}

impl fmt::Display for Variation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Variation {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Variation::ALL.iter().copied().find(|v| v.name() == s) {
            Some(v) => Ok(v),
            None => Err(UnknownName::new(
                "variation",
                s,
                Variation::ALL.iter().map(|v| v.name()),
            )),
        }
    }
}

/// The variations a server instance shows; empty means the reference behaviour.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VariationSet(BTreeSet<Variation>);

impl VariationSet {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn with(variations: impl IntoIterator<Item = Variation>) -> Self {
        Self(variations.into_iter().collect())
    }

    pub fn has(&self, v: Variation) -> bool {
        self.0.contains(&v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Variation> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Variation> for VariationSet {
    fn from_iter<I: IntoIterator<Item = Variation>>(iter: I) -> Self {
        Self::with(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_kebab_case_and_apart_from_the_faults() {
        let names: HashSet<_> = Variation::ALL.iter().map(|v| v.name()).collect();
        assert_eq!(names.len(), Variation::ALL.len());
        for v in Variation::ALL {
            let name = v.name();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert!(name.parse::<super::super::Fault>().is_err(), "{name}");
            for text in [v.description(), v.why()] {
                assert!(!text.is_empty() && !text.contains('\n'), "{name}");
            }
        }
    }

    #[test]
    fn from_str_round_trips_and_suggests() {
        for &v in Variation::ALL {
            assert_eq!(v.name().parse::<Variation>(), Ok(v));
        }
        let err = "precision-second".parse::<Variation>().unwrap_err();
        assert_eq!(err.closest, "precision-seconds");
        assert!(err.to_string().starts_with("unknown variation"), "{err}");
    }
}
