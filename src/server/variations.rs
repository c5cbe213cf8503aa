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
        "`expires_at` is also accepted with a space for `T`, a comma decimal sign or a basic offset (`+0100`).",
        "pydantic and ajv-formats accept these unambiguous forms, and RFC 3339 lets applications use a space.";
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
    ClosesAfterServerError = "closes-after-server-error",
        "After an error answer (4xx or 5xx) the server reads no more on that connection and closes it, without `Connection: close`, when the next request arrives, leaving it unanswered.",
        "RFC 9112 9.6 lets a server close a connection at any time; uvicorn closes its keep-alive connection after a 500 without saying so. The clean server answers 5xx only under faults, so here every error answer closes: the next request on that pooled connection always loses the race.";
    ConnectionClose = "connection-close",
        "Every answer carries `Connection: close`, and the connection is closed after it.",
        "RFC 9112 9.6: a server may close after any answer and says so with `Connection: close`; servers that keep no connections alive do it on every answer.";
    Chunked = "chunked",
        "Success and error bodies are sent with `Transfer-Encoding: chunked`, without `Content-Length`.",
        "RFC 9112 7.1: chunked coding frames a body of unknown length; streaming responses (Node's `res.write`, an ASGI streaming response) are sent this way.";
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
