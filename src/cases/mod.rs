//! Cases stage: every request the run sends, with what it expects ([`Case`]).
//!
//! Cases come from case files ([`file`]) and from the request schema ([`derive`]).

pub mod assemble;
pub mod derive;
pub mod file;
pub mod generate;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contract::Class;

/// The statuses a case accepts, with the label they were looked up by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expect {
    pub class: Class,
    /// `success`, an expectation key such as `invalid_body`, or `custom`.
    pub label: String,
    pub statuses: Vec<u16>,
    /// Other statuses accepted with a warning (the endpoint file's `tolerated`, for a SHOULD).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerated: Vec<u16>,
    /// Why those are tolerated, when it is not a SHOULD of the endpoint file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerated_why: Option<String>,
}

impl Expect {
    /// What a class expects by default: the success statuses, the statuses of expectation `key`
    /// (for an invalid case), or any success or 4xx.
    pub fn of(contract: &crate::contract::Operation, class: Class, key: &str) -> Self {
        let (label, statuses) = match class {
            Class::Valid => ("success", contract.endpoint.success.clone()),
            Class::Invalid => (key, contract.expectation(key).unwrap_or(&[]).to_vec()),
            Class::Unspecified => ("unspecified", Vec::new()),
        };
        Expect {
            class,
            tolerated: match class {
                Class::Unspecified => Vec::new(),
                _ => contract.tolerated(label).to_vec(),
            },
            label: label.to_string(),
            statuses,
            tolerated_why: None,
        }
    }
}

impl Expect {
    /// What a request whose credentials `auth` refuses expects: the `auth` statuses, widened
    /// by the schemes the refusal is about ([`Auth::affects`]). RFC 6750 3.1 answers a bearer
    /// token 401 (and 403 for one without the scope, when the document lists 403 for the
    /// operation); nothing standardizes how an API key or a basic credential is refused, and
    /// servers answer either 401 or 403, so both are correct.
    pub fn refused(contract: &crate::contract::Operation, auth: &Auth) -> Self {
        let mut expect = Expect::of(contract, Class::Invalid, "auth");
        let sent = contract.endpoint.auth.security.sent();
        let affected = auth.affects(sent);
        let documents_403 = contract
            .responses
            .iter()
            .any(|r| r.key == crate::contract::StatusKey::Code(403));
        let not_bearer = affected.iter().any(|s| !s.kind.sends_bearer());
        let extra: &[u16] = match (not_bearer, documents_403) {
            (true, _) => &[401, 403],
            (false, true) => &[403],
            (false, false) => &[],
        };
        for status in extra {
            if !expect.statuses.contains(status) {
                expect.statuses.push(*status);
            }
        }
        expect
    }
}

/// The credentials a request carries, as the chosen alternative of the operation's security
/// ([`crate::contract::Security::sent`]) makes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// `Bearer <the run's token>`.
    Valid,
    /// No Authorization header.
    None,
    /// This exact header value (never the run's token).
    Header(String),
    /// The run's token after this text, as written: `bearer ` or `Bearer  ` to try how a server
    /// reads the scheme and the separator.
    Scheme(String),
    /// The chosen alternative's credentials, with the one of this scheme (by its name in the
    /// contract) replaced by a wrong value of the same form.
    Wrong(String),
    /// The chosen alternative's credentials without the one of this scheme.
    Omit(String),
}

impl Auth {
    /// The schemes of the chosen alternative `sent` whose credential this request leaves out
    /// or changes, so a refusal is about them: all for `Valid` and `None`, the bearer-like ones
    /// for `Header` and `Scheme`, the one named for `Wrong` and `Omit`.
    pub fn affects<'a>(
        &self,
        sent: &'a [crate::contract::Scheme],
    ) -> Vec<&'a crate::contract::Scheme> {
        sent.iter()
            .filter(|s| match self {
                Auth::Valid | Auth::None => true,
                Auth::Header(_) | Auth::Scheme(_) => s.kind.sends_bearer(),
                Auth::Wrong(name) | Auth::Omit(name) => s.name == *name,
            })
            .collect()
    }
}

/// The request body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Body {
    Empty,
    Json(Value),
    /// A JSON object shared with other cases, with one property changed when sent.
    Patched(Patched),
    /// Bytes sent as they are, e.g. malformed JSON.
    Raw(String),
}

impl Body {
    /// The value at `pointer` in a JSON body; a shared body is not copied to find it.
    pub fn value_at(&self, pointer: &str) -> Option<Cow<'_, Value>> {
        match self {
            Body::Json(v) => v.pointer(pointer).map(Cow::Borrowed),
            Body::Patched(p) => p.pointer(pointer).map(Cow::Borrowed),
            _ => None,
        }
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<Cow<'_, Value>> {
        match self {
            Body::Json(v) => Some(Cow::Borrowed(v)),
            Body::Patched(p) => Some(Cow::Owned(p.to_value())),
            _ => None,
        }
    }

    pub fn to_text(&self) -> String {
        match self {
            Body::Empty => String::new(),
            Body::Json(v) => v.to_string(),
            Body::Patched(p) => p.to_value().to_string(),
            Body::Raw(s) => s.clone(),
        }
    }
}

/// A base object shared by many cases, and the one property this case sets or removes. Derived
/// cases each vary one property of the same base body; a copy per case would make memory
/// quadratic in the number of properties, so the body is only built when it is needed.
#[derive(Clone, Debug, PartialEq)]
pub struct Patched {
    base: Arc<Map<String, Value>>,
    /// The members of `base` holding a number beyond ±(2^53−1), found once for every case that
    /// shares it.
    unsafe_members: Arc<[String]>,
    /// The property, and its new value (`None` removes it).
    change: Option<(String, Option<Value>)>,
}

impl Patched {
    /// `base` itself.
    pub fn base(base: Arc<Map<String, Value>>) -> Self {
        let unsafe_members = base
            .iter()
            .filter(|(_, v)| generate::has_unsafe_number(v))
            .map(|(k, _)| k.clone())
            .collect();
        Patched {
            base,
            unsafe_members,
            change: None,
        }
    }

    /// The same base with `property` set to `value`, or removed when `value` is `None`.
    pub fn with(&self, property: &str, value: Option<Value>) -> Self {
        Patched {
            base: self.base.clone(),
            unsafe_members: self.unsafe_members.clone(),
            change: Some((property.to_string(), value)),
        }
    }

    /// Whether the body as sent holds a number beyond ±(2^53−1), in time of the change alone.
    pub fn has_unsafe_number(&self) -> bool {
        let changed = self.change.as_ref().map(|(p, _)| p.as_str());
        self.unsafe_members
            .iter()
            .any(|m| Some(m.as_str()) != changed)
            || self
                .change
                .as_ref()
                .and_then(|(_, v)| v.as_ref())
                .is_some_and(generate::has_unsafe_number)
    }

    /// The value at `pointer` in the body as sent, without building the body.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        let rest = pointer.strip_prefix('/')?;
        let (first, below) = rest.split_once('/').map_or((rest, ""), |(f, b)| (f, b));
        let key = first.replace("~1", "/").replace("~0", "~");
        let member = match &self.change {
            Some((property, value)) if *property == key => value.as_ref()?,
            _ => self.base.get(&key)?,
        };
        if below.is_empty() {
            Some(member)
        } else {
            member.pointer(&format!("/{below}"))
        }
    }

    /// The shared body this one changes.
    pub fn shared(&self) -> &Arc<Map<String, Value>> {
        &self.base
    }

    /// The property changed, and its new value (`None` when it is removed); `None` when the
    /// body is the shared one as it is.
    pub fn change(&self) -> Option<(&str, Option<&Value>)> {
        self.change
            .as_ref()
            .map(|(property, value)| (property.as_str(), value.as_ref()))
    }

    /// The body as sent. Setting a property keeps its place in the base; removing one moves
    /// the last property into its place (serde_json's `remove`), as the bodies always have.
    pub fn to_value(&self) -> Value {
        let mut body = (*self.base).clone();
        match &self.change {
            Some((property, Some(value))) => {
                body.insert(property.clone(), value.clone());
            }
            Some((property, None)) => {
                body.remove(property);
            }
            None => {}
        }
        Value::Object(body)
    }
}

impl Serialize for Patched {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

/// Everything needed to build one HTTP request, independent of the target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestSpec {
    pub method: String,
    /// Path parameter values that replace the run's defaults.
    pub path: BTreeMap<String, String>,
    pub auth: Auth,
    /// `None` sends no Content-Type header.
    pub content_type: Option<String>,
    pub body: Body,
    /// Query, header and cookie parameter values that replace the operation's base values
    /// (each [`Param`](crate::contract::Param)'s `base`); the others are sent as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamValue>,
}

/// One parameter's value in a request, replacing its base value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamValue {
    #[serde(rename = "in")]
    pub location: crate::contract::ParamIn,
    pub name: String,
    pub value: ParamSent,
}

/// How a parameter is sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamSent {
    /// Left out of the request.
    Absent,
    /// This JSON value, serialized by the parameter's style and explode.
    Json(Value),
    /// This text as the whole value, as it is (percent-encoded where it goes into a URL).
    Raw(String),
}

impl RequestSpec {
    /// The endpoint's method, valid auth and content type, and this body; an operation that
    /// takes no body gets none, and no Content-Type.
    pub fn json(endpoint: &crate::contract::Endpoint, body: Value) -> Self {
        let bodiless = endpoint.body_kind == crate::contract::BodyKind::None;
        RequestSpec {
            method: endpoint.method.clone(),
            path: BTreeMap::new(),
            auth: Auth::Valid,
            content_type: (!bodiless).then(|| endpoint.content_type.clone()),
            body: if bodiless {
                Body::Empty
            } else {
                Body::Json(body)
            },
            params: Vec::new(),
        }
    }

    /// The value sent for the parameter `name` in `location`, when this request replaces it.
    pub fn param(&self, location: crate::contract::ParamIn, name: &str) -> Option<&ParamSent> {
        self.params
            .iter()
            .find(|p| p.location == location && p.name == name)
            .map(|p| &p.value)
    }
}

/// Where a case came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    File(String),
    Derived,
}

/// What a case tests, which groups it in the output and names its JUnit class: one of the
/// kinds the suite derives or generates, or a name a case file gives (`kind`, default
/// `example`). Written and printed as its name, as the string it replaces was.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseKind {
    Auth,
    Body,
    Boundary,
    DateTime,
    Example,
    Json,
    MediaType,
    Method,
    Null,
    Path,
    Property,
    Regression,
    Required,
    String,
    Type,
    /// Any other name a case file gives.
    Named(String),
}

impl CaseKind {
    /// The kinds with a variant of their own, by name.
    const NAMED: [(CaseKind, &'static str); 15] = [
        (CaseKind::Auth, "auth"),
        (CaseKind::Body, "body"),
        (CaseKind::Boundary, "boundary"),
        (CaseKind::DateTime, "date_time"),
        (CaseKind::Example, "example"),
        (CaseKind::Json, "json"),
        (CaseKind::MediaType, "media_type"),
        (CaseKind::Method, "method"),
        (CaseKind::Null, "null"),
        (CaseKind::Path, "path"),
        (CaseKind::Property, "property"),
        (CaseKind::Regression, "regression"),
        (CaseKind::Required, "required"),
        (CaseKind::String, "string"),
        (CaseKind::Type, "type"),
    ];

    /// The kind's name, as output, JUnit classnames and case ids spell it.
    pub fn as_str(&self) -> &str {
        match self {
            CaseKind::Named(name) => name,
            known => CaseKind::NAMED
                .iter()
                .find(|(k, _)| k == known)
                .map_or("", |(_, name)| name),
        }
    }

    /// The kind of this name: its own variant when it has one.
    pub fn from_name(name: &str) -> Self {
        CaseKind::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map_or_else(|| CaseKind::Named(name.to_string()), |(k, _)| k.clone())
    }
}

impl std::fmt::Display for CaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for CaseKind {
    fn from(name: &str) -> Self {
        CaseKind::from_name(name)
    }
}

impl From<String> for CaseKind {
    fn from(name: String) -> Self {
        CaseKind::from_name(&name)
    }
}

impl PartialEq<str> for CaseKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for CaseKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for CaseKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CaseKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(CaseKind::from)
    }
}

/// One request with its expectation: one test in the run.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// Stable id, e.g. `boundary::name::max_length_plus_1_emoji`.
    pub id: String,
    pub title: String,
    /// Grouping for output and JUnit classnames: `example`, `boundary`, `auth`, ...
    pub kind: CaseKind,
    pub expect: Expect,
    pub request: RequestSpec,
    /// The request field a rejection should name (a JSON pointer), when one field is at fault.
    pub offending: Option<String>,
    pub origin: Origin,
}

impl Case {
    pub fn class(&self) -> Class {
        self.expect.class
    }

    /// What every derived or generated case gets once built: the tolerances and the class the
    /// standards under the contract give its body.
    pub fn settle(&mut self, contract: &crate::contract::Operation) {
        self.tolerate_date_time_variant(contract);
        self.unspecify_unsafe_numbers(contract);
    }

    /// A body holding a number beyond ±(2^53−1) is unspecified, whatever the schema says of it:
    /// RFC 8259 6 and RFC 7493 2.2 (I-JSON) call such numbers not interoperable, and a
    /// JavaScript server reads them rounded or refuses them.
    pub fn unspecify_unsafe_numbers(&mut self, contract: &crate::contract::Operation) {
        if self.class() == Class::Unspecified {
            return;
        }
        // A raw body (whitespace, an escape form, another media type) is read as JSON too.
        let unsafe_number = match &self.request.body {
            Body::Raw(text) => {
                serde_json::from_str::<Value>(text).is_ok_and(|b| generate::has_unsafe_number(&b))
            }
            Body::Patched(p) => p.has_unsafe_number(),
            body => body.json().is_some_and(|b| generate::has_unsafe_number(&b)),
        };
        if unsafe_number {
            self.expect = Expect::of(contract, Class::Unspecified, "");
            self.offending = None;
            self.title = format!(
                "{} (unspecified: a number beyond ±(2^53−1), RFC 7493 2.2)",
                self.title
            );
        }
    }

    /// An invalid case whose offending value is not an RFC 3339 date-time, but a variant of one
    /// whose instant is unambiguous (a space for `T`, `,5`, `+0100`), tolerates a success with a
    /// warning: accepting it is a leniency that cannot mislead a client, not a broken contract.
    pub fn tolerate_date_time_variant(&mut self, contract: &crate::contract::Operation) {
        if self.class() != Class::Invalid {
            return;
        }
        let Some(pointer) = &self.offending else {
            return;
        };
        let lenient = self
            .request
            .body
            .value_at(pointer)
            .as_deref()
            .and_then(Value::as_str)
            .is_some_and(generate::unambiguous_variant);
        if lenient && contract.is_date_time_field(pointer) {
            self.expect
                .tolerated
                .extend(contract.endpoint.success.iter().copied());
            self.expect.tolerated_why =
                Some("an unambiguous variant of RFC 3339 that lenient parsers accept".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CaseKind;

    #[test]
    fn a_kind_reads_and_writes_as_its_name() {
        for (kind, name) in CaseKind::NAMED {
            assert_eq!(CaseKind::from_name(name), kind);
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.to_string(), name);
            assert_eq!(serde_json::to_value(&kind).unwrap(), name);
        }
        let own = CaseKind::from("smoke");
        assert_eq!(own, CaseKind::Named("smoke".into()));
        assert_eq!(own, "smoke");
        let read: CaseKind = serde_json::from_str("\"date_time\"").unwrap();
        assert_eq!(read, CaseKind::DateTime);
        assert_eq!(serde_json::to_string(&own).unwrap(), "\"smoke\"");
    }
}
