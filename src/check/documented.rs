//! The answers of an OpenAPI operation, judged by the response the document gives for their
//! status ([`governing`]: the exact code, else its range such as `4XX`, else `default`).
//!
//! A success whose governing response has a JSON schema keeps the checks of a success body; one
//! without a schema is checked for its media type only (`content_type`, an error). A non-2xx
//! body is checked against its governing response's JSON schema (`error_schema`): an error
//! where the case expected that status from the document, a warning on a request outside the
//! contract, whose answer is often a framework's own; and its media type against the documented
//! ones (`content_type`, a warning). An endpoint file documents no responses: none of this runs
//! for it.

use serde_json::Value;

use super::{describe_header, excerpt, names, Checker, Verdict};
use crate::cases::{Case, Origin};
use crate::contract::media::{essence, is_json_media_type};
use crate::contract::{governing, Class, Operation, Severity};
use crate::http::Response;

/// How a success of an OpenAPI operation is judged.
pub(super) enum Success<'a> {
    /// By this schema, as a success body always was, with these enum-typed fields.
    Schema(&'a jsonschema::Validator, &'a [(String, Vec<Value>)]),
    /// Already judged (status and media type only); the body, when it is JSON.
    Done(Option<Value>),
}

impl Checker {
    /// What governs a 2xx of an operation with documented responses.
    pub(super) fn documented_success<'a>(
        &'a self,
        contract: &'a Operation,
        resp: &Response,
        out: &mut Vec<Verdict>,
    ) -> Success<'a> {
        let Some(doc) = governing(&contract.responses, resp.status) else {
            // Nothing documented for this status: the status check has said what there is.
            return Success::Done(None);
        };
        if let Some(schema) = &doc.schema {
            let at = contract
                .responses
                .iter()
                .position(|r| std::ptr::eq(r, doc))
                .unwrap_or(0);
            let enums = self.documented_enums.get(at).map_or(&[][..], Vec::as_slice);
            return Success::Schema(&schema.validator, enums);
        }
        let content_type = resp.header("content-type");
        if self.on(names::CONTENT_TYPE)
            && !doc.media_types.is_empty()
            && !resp.body.is_empty()
            && !media_type_listed(&doc.media_types, content_type)
        {
            out.push(unlisted_media_type(doc, content_type, Severity::Error));
        }
        let body = is_json_media_type(content_type)
            .then(|| serde_json::from_slice(&resp.body).ok())
            .flatten();
        Success::Done(body)
    }

    /// The checks of a non-2xx answer of an operation with documented responses.
    pub(super) fn documented_error(
        &self,
        contract: &Operation,
        case: &Case,
        resp: &Response,
        out: &mut Vec<Verdict>,
    ) {
        let Some(doc) = governing(&contract.responses, resp.status) else {
            return;
        };
        if resp.body.iter().all(u8::is_ascii_whitespace) || resp.truncated {
            return;
        }
        let content_type = resp.header("content-type");
        let labelled = out.iter().any(|v| v.check == names::CONTENT_TYPE);
        if self.on(names::CONTENT_TYPE)
            && !labelled
            && !doc.media_types.is_empty()
            && !media_type_listed(&doc.media_types, content_type)
        {
            out.push(unlisted_media_type(doc, content_type, Severity::Warning));
        }
        let Some(schema) = &doc.schema else { return };
        if !self.on(names::ERROR_SCHEMA) {
            return;
        }
        let Ok(body) = serde_json::from_slice::<Value>(&resp.body) else {
            return;
        };
        // A text body `404` parses as JSON too: JSON is what says so, or plainly is.
        let json = is_json_media_type(content_type) || body.is_object() || body.is_array();
        if !json || schema.validator.is_valid(&body) {
            return;
        }
        let severity = if expected_by_the_document(case, resp.status) {
            Severity::Error
        } else {
            Severity::Warning
        };
        for err in schema.validator.iter_errors(&body) {
            let at = err.instance_path().to_string();
            out.push(Verdict::new(
                names::ERROR_SCHEMA,
                severity,
                if at.is_empty() { "(body)".into() } else { at },
                format!(
                    "`{}` at schema {} of the documented {} response{}",
                    err.kind().keyword(),
                    err.schema_path(),
                    doc.key,
                    if severity == Severity::Warning {
                        " (a warning: the request is outside the contract, and a framework's \
                         own error body rarely follows the document)"
                    } else {
                        ""
                    }
                ),
                excerpt(&err.to_string()),
            ));
        }
    }
}

/// Whether the case expected this status from the document: a valid request that lists it (an
/// operation that documents only a 405), or a case file's invalid request that does.
fn expected_by_the_document(case: &Case, status: u16) -> bool {
    case.expect.statuses.contains(&status)
        && match case.class() {
            Class::Valid => true,
            Class::Invalid => matches!(case.origin, Origin::File(_)),
            Class::Unspecified => false,
        }
}

/// Whether an answer's Content-Type is one the document lists: the same type (parameters
/// ignored), a `*/*` or `type/*` wildcard, or, where the document lists a JSON type
/// (`application/json` or a `+json` one), any JSON type.
pub(crate) fn media_type_listed(documented: &[String], actual: Option<&str>) -> bool {
    let Some(actual) = actual else { return false };
    let got = essence(actual);
    let json = is_json_media_type(Some(&got));
    documented.iter().any(|d| {
        let want = essence(d);
        want == got
            || want == "*/*"
            || want
                .strip_suffix("/*")
                .is_some_and(|ty| got.split('/').next() == Some(ty))
            || (json && is_json_media_type(Some(&want)))
    })
}

/// A Content-Type the governing response does not list.
fn unlisted_media_type(
    doc: &crate::contract::DocumentedResponse,
    content_type: Option<&str>,
    severity: Severity,
) -> Verdict {
    Verdict::new(
        names::CONTENT_TYPE,
        severity,
        "header:Content-Type",
        format!(
            "one of the media types the document gives the {} response: {}",
            doc.key,
            doc.media_types.join(", ")
        ),
        describe_header(content_type),
    )
}

#[cfg(test)]
mod tests {
    use super::media_type_listed;

    #[test]
    fn media_types_match_by_essence_wildcard_and_json_family() {
        let listed = |d: &[&str], a: &str| {
            let d: Vec<String> = d.iter().map(|s| s.to_string()).collect();
            media_type_listed(&d, Some(a))
        };
        assert!(listed(&["text/plain"], "text/plain; charset=utf-8"));
        assert!(listed(&["Text/Plain"], "text/plain"));
        assert!(listed(&["*/*"], "image/png"));
        assert!(listed(&["image/*"], "image/png"));
        assert!(!listed(&["image/*"], "text/png"));
        assert!(listed(&["application/json"], "application/problem+json"));
        assert!(listed(&["application/problem+json"], "application/json"));
        assert!(!listed(&["text/plain"], "application/json"));
        assert!(!listed(&["application/json"], "text/html"));
        assert!(!media_type_listed(&["text/plain".into()], None));
    }
}
