//! The catalog of deliberate server bugs the self-test plants, one switch each.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// Declares the catalog once so the variant, its name, category and description never drift apart.
macro_rules! fault_catalog {
    ($( $variant:ident = $name:literal, $category:literal, $description:literal; )+) => {
        /// A realistic bug the reference server can be told to exhibit.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $( #[doc = $description] $variant, )+
        }

        impl Fault {
            /// Every fault, in catalog order.
            pub const ALL: &'static [Fault] = &[$( Fault::$variant, )+];

            /// The kebab-case name used on the command line and in reports.
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )+ }
            }

            /// The family of bug, so reports can group what the suite catches.
            pub fn category(self) -> &'static str {
                match self { $( Fault::$variant => $category, )+ }
            }

            /// One line on what the bug does.
            pub fn description(self) -> &'static str {
                match self { $( Fault::$variant => $description, )+ }
            }
        }
    };
}

fault_catalog! {
    MissingId = "missing-id", "response-shape", "The success body omits `id`.";
    MissingAbilities = "missing-abilities", "response-shape", "The success body omits `abilities`.";
    MissingTimestamp = "missing-timestamp", "response-shape", "The success body omits `timestamp`.";
    MissingEmbedded = "missing-embedded", "response-shape", "The success body omits `_embedded`.";
    MissingRequestedAt = "missing-requested-at", "response-shape", "The success body omits `timestamp.requested_at`.";
    IdAsNumber = "id-as-number", "response-shape", "`id` is a JSON number instead of a string.";
    AbilitiesAsString = "abilities-as-string", "response-shape", "`abilities` is one comma-joined string instead of an array.";
    MinsAsString = "mins-as-string", "response-shape", "`expires_at_mins` is a string such as \"43200\".";
    RenamedDescription = "renamed-description", "response-shape", "The success body says `desc` instead of `description`.";
    CamelCaseTimestamps = "camel-case-timestamps", "response-shape", "The timestamp keys are camelCase (`createdAt`, ...).";
    EnumWrongValue = "enum-wrong-value", "response-shape", "`name` is \"service_access\", outside the enum.";
    EnumUppercase = "enum-uppercase", "response-shape", "`name` is \"SVC_ACCESS\", the enum value in the wrong case.";
    TimestampNoOffset = "timestamp-no-offset", "response-shape", "`created_at` has no UTC offset.";
    TimestampSpace = "timestamp-space", "response-shape", "`created_at` separates date and time with a space instead of `T`.";
    TimestampEpoch = "timestamp-epoch", "response-shape", "`created_at` is an integer Unix epoch.";
    ContentTypeText = "content-type-text", "response-shape", "The success is labelled `Content-Type: text/plain`.";
    JsonConcat = "json-concat", "response-shape", "The success body is concatenated text with `description` pasted in unescaped.";
    NoMaxLength = "no-max-length", "too-lenient", "The 55-character limit on `name` is not enforced.";
    TrimsBeforeLengthCheck = "trims-before-length-check", "too-lenient", "`name` is trimmed before its 55-character limit is checked, so 55 characters with a space at each end pass.";
    NoRequiredDescription = "no-required-description", "too-lenient", "A missing `description` is accepted as empty.";
    NoRequiredName = "no-required-name", "too-lenient", "A missing `name` is accepted as empty.";
    CoerceTypes = "coerce-types", "too-lenient", "A number, boolean or null `name` or `description` (or an array of one) is coerced to a string, as ajv's `coerceTypes: 'array'` (Fastify's default) does.";
    NaiveDateTime = "naive-date-time", "too-lenient", "An `expires_at` without offset is accepted as UTC.";
    RegexDateTime = "regex-date-time", "too-lenient", "`expires_at` is only checked for shape, so Feb 30, month 13, 24:00:00 and +24:00 pass.";
    NullNameAccepted = "null-name-accepted", "too-lenient", "A null `name` is accepted as empty.";
    IgnoreContentType = "ignore-content-type", "too-lenient", "Any Content-Type is accepted and the body parsed as JSON anyway.";
    MaxLengthOffByOne = "max-length-off-by-one", "too-strict", "A `name` of exactly 55 characters is rejected.";
    CountsBytes = "counts-bytes", "too-strict", "The `name` limit counts UTF-8 bytes instead of characters.";
    CountsUtf16 = "counts-utf16", "too-strict", "The `name` limit counts UTF-16 code units instead of characters.";
    RejectsNullExpiry = "rejects-null-expiry", "too-strict", "A null `expires_at` is rejected.";
    RequiresExpiresAt = "requires-expires-at", "too-strict", "A missing `expires_at` is rejected.";
    RejectsFractionalSeconds = "rejects-fractional-seconds", "too-strict", "An `expires_at` with fractional seconds is rejected.";
    OnlyUtc = "only-utc", "too-strict", "An `expires_at` is only accepted with the `Z` offset.";
    RejectsEmptyStrings = "rejects-empty-strings", "too-strict", "An empty `name` or `description` is rejected.";
    RejectsBlank = "rejects-blank", "too-strict", "A `name` or `description` of only whitespace is rejected as empty.";
    RejectsSurroundingWhitespace = "rejects-surrounding-whitespace", "too-strict", "A `name` or `description` with a leading or trailing space is rejected.";
    RejectsUnknownFields = "rejects-unknown-fields", "too-strict", "Unknown body properties are rejected.";
    CrashOnAstral = "crash-on-astral", "crash", "A string field holding a non-BMP character answers 500.";
    CrashOnInvisible = "crash-on-invisible", "crash", "A string field holding a zero-width character or a bidirectional mark answers 500.";
    CrashOnFormatString = "crash-on-format-string", "crash", "A `description` holding `%s`, `%d` or `{` answers 500 (the text used as a format string or a template).";
    CrashOnNull = "crash-on-null", "crash", "Any null field answers 500.";
    CrashOnMalformed = "crash-on-malformed", "crash", "Malformed JSON or an empty body answers 500 instead of 400.";
    CrashOnLongName = "crash-on-long-name", "crash", "A `name` longer than 55 characters answers 500.";
    CrashOnWrongType = "crash-on-wrong-type", "crash", "A field of the wrong JSON type answers 500.";
    CrashOnNonObject = "crash-on-non-object", "crash", "A body that is not a JSON object answers 500.";
    OkForErrors = "ok-for-errors", "status", "Validation failures are answered 200 with the error body.";
    ServerErrorForValidation = "server-error-for-validation", "status", "Validation failures are answered 500 instead of 422.";
    Intermittent500 = "intermittent-500", "status", "Every tenth request that would succeed answers 500.";
    ForbiddenForBadToken = "forbidden-for-bad-token", "status", "A wrong token is answered 403 instead of 401.";
    NotFoundForMethod = "not-found-for-method", "status", "Other methods on the route answer 404 instead of 405.";
    UnnamedValidationErrors = "unnamed-validation-errors", "error-body", "A 422 says only that the data was invalid, naming no field.";
    NoAllowHeader = "no-allow-header", "error-body", "A 405 carries no `Allow` header.";
    NoAuth = "no-auth", "auth-path", "The Authorization header is not checked at all.";
    AnyToken = "any-token", "auth-path", "Any non-empty Bearer token is accepted.";
    UnknownServiceAccepted = "unknown-service-accepted", "auth-path", "Tokens are created for any service id.";
    CrashOnEncodedService = "crash-on-encoded-service", "auth-path", "A service id that needed percent-encoding answers 500.";
    IgnoresExpiry = "ignores-expiry", "semantics", "The requested `expires_at` is ignored and the default used.";
    MinsInSeconds = "mins-in-seconds", "semantics", "`expires_at_mins` holds seconds.";
    MinsInHours = "mins-in-hours", "semantics", "`expires_at_mins` holds hours.";
    SameId = "same-id", "semantics", "Every token gets the same `id`.";
    WrongKind = "wrong-kind", "semantics", "`name` is \"personal_access\", a valid but wrong kind.";
    ExpiryLocalTime = "expiry-local-time", "semantics", "A requested `expires_at` keeps its wall-clock time but is labelled `Z`.";
    MassAssignment = "mass-assignment", "semantics", "An `id` in the request body becomes the token's id (the body spread over the record, as `{...defaults, ...req.body}` does), though the request has no such field.";
    Y2038Wraps = "y2038-wraps", "semantics", "A requested `expires_at` is kept as signed 32-bit Unix seconds, so one past 2038-01-19T03:14:07Z wraps around to 1901.";
    ExpiryDrops45s = "expiry-drops-45s", "semantics", "A requested `expires_at` is stored 45 seconds early (a clock-skew margin subtracted on write).";
    TruncatesDescription = "truncates-description", "semantics", "`description` is cut to 50 characters.";
    CreatedAtHoursOff = "created-at-hours-off", "semantics", "`created_at` is the wall clock of a server in UTC+3 labelled `Z`, three hours from the client's clock and the `Date` header (the other timestamps follow from it).";
    SelfLinkWrongId = "self-link-wrong-id", "semantics", "`_links.self` names another id than the token's (`Location` is right).";
    MediaTypeParamsRefused = "media-type-params-refused", "standards", "A Content-Type with a parameter (`; charset=utf-8`) is refused with 415.";
    MediaTypeCaseSensitive = "media-type-case-sensitive", "standards", "The media type is compared case-sensitively, so `APPLICATION/JSON` is refused.";
    RegexParsedJson = "regex-parsed-json", "standards", "Fields are read from the raw text with a pattern, so whitespace or a \\u escape in a key hides them.";
    CrashOnDeepNesting = "crash-on-deep-nesting", "standards", "JSON nested deeper than 100 levels answers 500 (a recursive parser runs out of stack).";
    CrashOnLoneSurrogate = "crash-on-lone-surrogate", "standards", "A string with a lone surrogate escape (`\\ud800`) answers 500.";
    BearerCaseSensitive = "bearer-case-sensitive", "standards", "Only the scheme spelled `Bearer` is accepted; `bearer TOKEN` is refused.";
    NoWwwAuthenticate = "no-www-authenticate", "standards", "A 401 carries no `WWW-Authenticate` header.";
    BasicChallenge = "basic-challenge", "standards", "A 401 challenges with `Basic realm=\"api\"` on a bearer endpoint.";
    DateHeaderEpoch = "date-header-epoch", "standards", "The `Date` header is written as Unix seconds, not as an HTTP-date.";
    CrashOnUnknownMethod = "crash-on-unknown-method", "standards", "An unknown method (`FOO`) answers 500 instead of 501 or 405.";
    CrashOnLeapSecond = "crash-on-leap-second", "standards", "An `expires_at` on a leap second (`23:59:60Z`) answers 500.";
    CrashBeforeEpoch = "crash-before-epoch", "standards", "An `expires_at` before 1970 answers 500 (read as unsigned Unix seconds).";
    CrashOnUtcOverflow = "crash-on-utc-overflow", "standards", "An `expires_at` that overflows year 9999 once in UTC answers 500.";
    EpochStringDateTime = "epoch-string-date-time", "standards", "An `expires_at` of digits (`\"4102444800\"`) is read as Unix seconds.";
    EpochNumberDateTime = "epoch-number-date-time", "too-lenient", "An `expires_at` that is a JSON number (`4102444800`) is read as Unix seconds, as pydantic reads it.";
    CrashOnLoneSurrogateCloses = "crash-on-lone-surrogate-closes", "standards", "A string with a lone surrogate escape answers 500, and the connection is closed after it without `Connection: close` (FastAPI's 422 handler crashing, uvicorn dropping the connection).";
    StallsOnRepeatedCharacters = "stalls-on-repeated-characters", "crash", "A valid `name` or `description` that starts with 40 or more of one ASCII letter or digit takes 1.5 s to answer (a backtracking pattern), and is answered 201 in the end.";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not in a catalog (of faults or variations), with the nearest one to suggest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// `fault` or `variation`.
    pub catalog: &'static str,
    pub input: String,
    pub closest: &'static str,
}

/// A name that is not in the fault catalog.
pub type UnknownFault = UnknownName;

impl UnknownName {
    /// The error for `input`, suggesting the nearest of `names`.
    pub(super) fn new(
        catalog: &'static str,
        input: &str,
        names: impl Iterator<Item = &'static str>,
    ) -> Self {
        // Typos usually keep the shape of the word, so edit distance beats prefix matching here.
        let closest = names
            .min_by_key(|name| strsim::levenshtein(input, name))
            .unwrap_or_default();
        UnknownName {
            catalog,
            input: input.to_owned(),
            closest,
        }
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}` (did you mean `{}`?)",
            self.catalog, self.input, self.closest
        )
    }
}

impl std::error::Error for UnknownName {}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match Fault::ALL.iter().copied().find(|f| f.name() == s) {
            Some(fault) => Ok(fault),
            None => Err(UnknownName::new(
                "fault",
                s,
                Fault::ALL.iter().map(|f| f.name()),
            )),
        }
    }
}

/// The faults a server instance exhibits; empty means the faithful implementation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultSet(BTreeSet<Fault>);

impl FaultSet {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn with(faults: impl IntoIterator<Item = Fault>) -> Self {
        Self(faults.into_iter().collect())
    }

    pub fn has(&self, f: Fault) -> bool {
        self.0.contains(&f)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Self {
        Self::with(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalog_is_large_and_names_are_unique_kebab_case() {
        assert!(Fault::ALL.len() >= 40, "only {} faults", Fault::ALL.len());
        let names: HashSet<_> = Fault::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Fault::ALL.len());
        for f in Fault::ALL {
            let name = f.name();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert!(!f.description().is_empty());
            assert!(!f.description().contains('\n'));
        }
    }

    #[test]
    fn categories_are_the_documented_ones() {
        let known = [
            "response-shape",
            "too-lenient",
            "too-strict",
            "crash",
            "status",
            "error-body",
            "auth-path",
            "semantics",
            "standards",
        ];
        for f in Fault::ALL {
            assert!(known.contains(&f.category()), "{f}: {}", f.category());
        }
    }

    #[test]
    fn from_str_round_trips() {
        for &f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>(), Ok(f));
            assert_eq!(f.to_string(), f.name());
        }
    }

    #[test]
    fn unknown_name_suggests_the_closest() {
        let err = "mising-id".parse::<Fault>().unwrap_err();
        assert_eq!(err.closest, "missing-id");
        assert!(err.to_string().contains("did you mean `missing-id`"));
        let err = "crash-on-nul".parse::<Fault>().unwrap_err();
        assert_eq!(err.closest, "crash-on-null");
    }

    #[test]
    fn fault_set_membership() {
        let set = FaultSet::with([Fault::SameId, Fault::NoAuth]);
        assert!(set.has(Fault::SameId) && set.has(Fault::NoAuth));
        assert!(!set.has(Fault::AnyToken));
        assert!(FaultSet::none().is_empty());
        assert_eq!(set.iter().count(), 2);
    }
}
