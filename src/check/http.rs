//! Checks on the HTTP envelope of every answer, from the standards under the contract:
//! `date_header` (RFC 9110 6.6.1), `allow_header` (RFC 9110 15.5.6) and `www_authenticate`
//! (RFC 9110 11.6.1, RFC 6750 3). Each is a MUST of its standard, so an error; the SHOULD of
//! RFC 6750 3.1 (an error code for a token that was presented) is a warning. On a request that
//! a server's HTTP parser may answer before the application ([`parser_may_answer`]), `Date` and
//! `Allow` weigh a warning: that canned answer is not the application's.

use super::{describe_header, for_another_operation, names, Verdict};
use crate::cases::{Auth, Case};
use crate::contract::{Operation, SchemeKind, Severity};
use crate::http::Response;

/// Runs the envelope checks that are switched on.
pub(super) fn envelope(
    contract: &Operation,
    case: &Case,
    resp: &Response,
    on: impl Fn(&str) -> bool,
    out: &mut Vec<Verdict>,
) {
    let below_application = parser_may_answer(case);
    let weigh = |mut v: Verdict| {
        if below_application {
            v.severity = Severity::Warning;
            v.expected.push_str(BELOW_APPLICATION);
        }
        v
    };
    if on(names::DATE_HEADER) {
        out.extend(date_header(resp).map(weigh));
    }
    if resp.status == 405 && on(names::ALLOW_HEADER) {
        out.extend(allow_header(contract, resp).map(weigh));
    }
    // Another operation of the path may take another scheme: its 401 challenges for that one.
    if resp.status == 401 && on(names::WWW_AUTHENTICATE) && !for_another_operation(contract, case) {
        out.extend(www_authenticate(contract, case, resp));
    }
}

/// Why a `Date` or `Allow` verdict weighs a warning on a request outside HTTP's methods.
const BELOW_APPLICATION: &str = "; on this request a server's HTTP parser may answer before \
     any application code runs, with a canned answer that knows neither the clock nor the route \
     (Node's: 400 with no Date), so a warning unless --strict";

/// Whether a server's HTTP parser may answer this request itself, before the application sees
/// it: its method is none of RFC 9110's methods or PATCH (`FOO`; methods are case-sensitive). Node's
/// parser refuses such methods with a canned 400; a standard method reaches the application,
/// whose answer keeps every check.
pub(crate) fn parser_may_answer(case: &Case) -> bool {
    !crate::contract::is_standard_method(&case.request.method)
}

/// RFC 9110 6.6.1: an origin server with a clock MUST send `Date` in every 2xx, 3xx and 4xx
/// answer, as an HTTP-date.
fn date_header(resp: &Response) -> Option<Verdict> {
    if !(200..500).contains(&resp.status) {
        return None;
    }
    let date = resp.header("date");
    if date.is_some_and(|d| httpdate::parse_http_date(d.trim()).is_ok()) {
        return None;
    }
    Some(Verdict::new(
        names::DATE_HEADER,
        Severity::Error,
        "header:Date",
        "an HTTP-date (RFC 9110 6.6.1: MUST in every 2xx, 3xx and 4xx answer)",
        describe_header(date),
    ))
}

/// RFC 9110 15.5.6: a 405 MUST carry `Allow`, which lists the endpoint's method.
fn allow_header(contract: &Operation, resp: &Response) -> Option<Verdict> {
    let method = &contract.endpoint.method;
    // RFC 9110 5.3: `Allow: GET` and `Allow: POST` on two field lines are one list.
    let allow = resp.header_list("allow");
    let allows = allow
        .as_deref()
        .is_some_and(|a| a.split(',').any(|m| m.trim().eq_ignore_ascii_case(method)));
    (!allows).then(|| {
        Verdict::new(
            names::ALLOW_HEADER,
            Severity::Error,
            "header:Allow",
            format!("a list containing {method} (RFC 9110 15.5.6: MUST in a 405)"),
            describe_header(allow.as_deref()),
        )
    })
}

/// RFC 9110 11.6.1: a 401 MUST carry `WWW-Authenticate` with at least one challenge. Which
/// challenge is read from the schemes the refusal is about ([`Auth::affects`] of the chosen
/// alternative): RFC 6750 3 asks a bearer token's 401 for a `Bearer` challenge (an error), and
/// 3.1 for an error code when a token was presented (a warning); RFC 7617 asks a basic
/// credential's for a `Basic` one, a warning, since servers refusing basic credentials often
/// send none; an API key has no challenge of its own, so none is checked. Where the refusal may
/// be about a scheme of either sort (a combination), a missing challenge is a warning.
fn www_authenticate(contract: &Operation, case: &Case, resp: &Response) -> Vec<Verdict> {
    // Challenges may come one per field line (ASP.NET Core, Node's setHeader with an array).
    let lines = resp.header_list("www-authenticate");
    let header = lines.as_deref();
    let affected = case
        .request
        .auth
        .affects(contract.endpoint.auth.security.sent());
    let bearer = affected.iter().any(|s| s.kind.sends_bearer());
    let basic = affected.iter().any(|s| s.kind == SchemeKind::Basic);
    let others = affected
        .iter()
        .any(|s| !s.kind.sends_bearer() && s.kind != SchemeKind::Basic);
    let found = |scheme: &str| header.and_then(|h| challenge_for(h, scheme));
    let missing = |severity: Severity, expected: String| {
        vec![Verdict::new(
            names::WWW_AUTHENTICATE,
            severity,
            "header:WWW-Authenticate",
            expected,
            describe_header(header),
        )]
    };
    if affected.is_empty() {
        // No credential is sent: RFC 9110 still asks a 401 for some challenge.
        if header.is_some_and(|h| !h.trim().is_empty()) {
            return Vec::new();
        }
        return missing(
            Severity::Error,
            "a challenge (RFC 9110 11.6.1: MUST in a 401)".into(),
        );
    }
    if bearer && !basic && !others {
        return bearer_challenge(case, header, found("bearer"));
    }
    if (bearer && found("bearer").is_some()) || (basic && found("basic").is_some()) {
        return Vec::new();
    }
    let want = match (bearer, basic) {
        (true, true) => "a Bearer or Basic challenge (RFC 6750 3, RFC 7617 2)",
        (true, false) => "a Bearer challenge (RFC 6750 3; the refusal may be about another scheme sent with the token, so a warning)",
        (false, true) => "a Basic challenge (RFC 7617 2: a 401 to a basic credential names its realm)",
        (false, false) => return Vec::new(),
    };
    missing(Severity::Warning, want.into())
}

/// RFC 6750 3 for a refusal about a bearer token alone: a `Bearer` challenge, with an error
/// code when a token was presented (3.1: SHOULD).
fn bearer_challenge(case: &Case, header: Option<&str>, challenge: Option<&str>) -> Vec<Verdict> {
    let Some(challenge) = challenge else {
        return vec![Verdict::new(
            names::WWW_AUTHENTICATE,
            Severity::Error,
            "header:WWW-Authenticate",
            "a bearer challenge (RFC 9110 11.6.1 and RFC 6750 3: MUST in a 401)",
            describe_header(header),
        )];
    };
    if presented_bearer(&case.request.auth) && !challenge.to_ascii_lowercase().contains("error=") {
        return vec![Verdict::new(
            names::WWW_AUTHENTICATE,
            Severity::Warning,
            "header:WWW-Authenticate",
            "an error code for the token presented, e.g. error=\"invalid_token\" (RFC 6750 3.1: SHOULD)",
            describe_header(header),
        )];
    }
    Vec::new()
}

/// The challenge of `scheme` in a `WWW-Authenticate` value, from its name to the next
/// challenge (a comma followed by a token and a space).
fn challenge_for<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let lower = header.to_ascii_lowercase();
    let want = scheme.to_ascii_lowercase();
    let mut at = 0;
    while let Some(i) = lower[at..].find(&want) {
        let start = at + i;
        let before_ok = start == 0 || matches!(lower.as_bytes()[start - 1], b' ' | b',');
        let end = start + want.len();
        let after_ok = end == lower.len() || matches!(lower.as_bytes()[end], b' ' | b',');
        if before_ok && after_ok {
            return Some(&header[start..]);
        }
        at = end;
    }
    None
}

/// Whether the request carried a bearer credential, good or bad.
fn presented_bearer(auth: &Auth) -> bool {
    match auth {
        Auth::Valid | Auth::Scheme(_) => true,
        Auth::Header(v) => v.split_once(' ').is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
        }),
        // Only a bearer-like scheme's refusal is judged by RFC 6750, so a wrong credential
        // of it is a token presented, and one left out is none.
        Auth::None | Auth::Omit(_) => false,
        Auth::Wrong(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_challenge_is_found_among_others() {
        assert!(challenge_for("Bearer", "bearer").is_some());
        assert!(challenge_for(
            "Basic realm=\"x\", Bearer error=\"invalid_token\"",
            "bearer"
        )
        .is_some_and(|c| c.contains("invalid_token")));
        assert!(challenge_for("Basic realm=\"bearer\"", "bearer").is_none());
        assert!(challenge_for("Bearerish", "bearer").is_none());
    }

    #[test]
    fn only_a_bearer_credential_counts_as_presented() {
        assert!(presented_bearer(&Auth::Header("Bearer abc".into())));
        assert!(presented_bearer(&Auth::Header("bearer abc".into())));
        assert!(!presented_bearer(&Auth::Header("Bearer ".into())));
        assert!(!presented_bearer(&Auth::Header("Basic abc".into())));
        assert!(!presented_bearer(&Auth::None));
    }
}
