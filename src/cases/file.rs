//! Case files: hand-written cases as JSON data in `cases/`, one case per file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Auth, Body, Case, Expect, Origin, ParamValue, RequestSpec};
use crate::contract::Class;
use crate::contract::{check_header_value, check_method, Operation};
use crate::diag::{did_you_mean, locate_key, read_text, strip_bom, FileError};

/// The shipped cases, embedded so the binary runs from any directory.
pub static EMBEDDED_CASES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/cases");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// The operation the case is for; needed when the contract has several.
    #[allow(dead_code)]
    operation: Option<String>,
    id: Option<String>,
    title: String,
    #[serde(default = "default_kind")]
    kind: String,
    class: Class,
    expect: Option<ExpectSpec>,
    offending: Option<String>,
    #[serde(default)]
    request: RequestFile,
    /// For regression cases: the seed of the run that found it.
    seed: Option<u64>,
    /// For regression cases: what failed when it was found.
    found: Option<String>,
}

fn default_kind() -> String {
    "example".into()
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ExpectSpec {
    Key(String),
    Statuses(Vec<u16>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    method: Option<String>,
    #[serde(default)]
    path: BTreeMap<String, String>,
    auth: Option<Auth>,
    #[serde(default, deserialize_with = "present")]
    content_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
    raw_body: Option<String>,
    /// Query, header and cookie parameter values, replacing their base values.
    #[serde(default)]
    params: Vec<ParamValue>,
}

/// Tells a key given as `null` apart from a key left out.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Loads every `*.json` case file in `dir` (not recursing), sorted by name. Every entry named
/// `*.json` must be a readable regular file: a broken link, a directory or a FIFO under that name
/// is an error rather than a case silently left out. Other entries, such as `regressions/`, are
/// not case files and are passed over.
pub fn load_dir(dir: &Path, contracts: &[&Operation]) -> Result<Vec<(usize, Case)>, FileError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| FileError::new(dir, format!("cannot read the cases directory: {e}")))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry
            .map_err(|e| FileError::new(dir, format!("cannot read the cases directory: {e}")))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .iter()
        .map(|p| parse_for(p, &read_text(p)?, contracts))
        .collect()
}

/// The cases shipped in the binary.
pub fn load_embedded(contracts: &[&Operation]) -> Result<Vec<(usize, Case)>, FileError> {
    let mut files: Vec<_> = EMBEDDED_CASES
        .files()
        .filter(|f| f.path().extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort_by_key(|f| f.path());
    files
        .into_iter()
        .map(|f| {
            let shown = Path::new("cases").join(f.path());
            let text = f
                .contents_utf8()
                .ok_or_else(|| FileError::new(&shown, "file is not UTF-8 text"))?;
            parse_for(&shown, text, contracts)
        })
        .collect()
}

/// Parses one case file for the operation it names (`operation`, which may be left out when
/// the contract has one), giving that operation's index.
pub fn parse_for(
    path: &Path,
    text: &str,
    contracts: &[&Operation],
) -> Result<(usize, Case), FileError> {
    let named = serde_json::from_str::<Value>(strip_bom(text))
        .ok()
        .and_then(|v| {
            v.get("operation")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let names: Vec<&str> = contracts
        .iter()
        .map(|c| c.endpoint.operation.as_str())
        .collect();
    let op = match (&named, contracts.len()) {
        (None, 1) => 0,
        (None, _) => {
            return Err(FileError::new(
                path,
                "the contract has several operations: say which this case is for",
            )
            .help(format!("add \"operation\": one of {}", names.join(", "))))
        }
        (Some(name), _) => names.iter().position(|n| n == name).ok_or_else(|| {
            let e = FileError::new(path, format!("unknown operation `{name}`"));
            let e = match locate_key(strip_bom(text), "operation") {
                Some((l, c)) => e.at(l, c),
                None => e,
            };
            e.help(match did_you_mean(name, names.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("the operations are: {}", names.join(", ")),
            })
        })?,
    };
    Ok((op, parse(path, text, contracts[op])?))
}

/// Parses one case file; `path` is only used in messages and for the default id.
pub fn parse(path: &Path, text: &str, contract: &Operation) -> Result<Case, FileError> {
    let text = strip_bom(text);
    let mut file: CaseFile =
        serde_json::from_str(text).map_err(|e| FileError::from_json(path, e))?;
    let located = |key: &str, message: String| {
        let e = FileError::new(path, message);
        match locate_key(text, key) {
            Some((l, c)) => e.at(l, c),
            None => e,
        }
    };
    let endpoint = &contract.endpoint;
    let expect = match (file.class, file.expect) {
        (class, Some(ExpectSpec::Statuses(statuses))) => {
            if statuses.is_empty() || statuses.iter().any(|s| !(100..600).contains(s)) {
                return Err(located(
                    "expect",
                    format!("`expect` must list HTTP statuses, got {statuses:?}"),
                ));
            }
            Expect {
                class,
                label: "custom".into(),
                statuses,
                tolerated: Vec::new(),
                tolerated_why: None,
            }
        }
        (class, Some(ExpectSpec::Key(key))) => match contract.expectation(&key) {
            Some(statuses) => Expect {
                class,
                tolerated: contract.tolerated(&key).to_vec(),
                label: key,
                statuses: statuses.to_vec(),
                tolerated_why: None,
            },
            None if key == "success" => Expect {
                class,
                tolerated: contract.tolerated(&key).to_vec(),
                label: key,
                statuses: endpoint.success.clone(),
                tolerated_why: None,
            },
            None => {
                let keys: Vec<&str> = contract
                    .endpoint
                    .expectations
                    .keys()
                    .map(String::as_str)
                    .collect();
                let mut e = located("expect", format!("unknown expectation `{key}`"));
                e.help = Some(match did_you_mean(&key, keys.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("expected `success` or one of: {}", keys.join(", ")),
                });
                return Err(e);
            }
        },
        (class, None) => Expect::of(contract, class, "invalid_body"),
    };
    let r = file.request;
    let method = r.method.unwrap_or_else(|| endpoint.method.clone());
    if let Err(m) = check_method(&method) {
        let mut e = located("method", m.to_string());
        e.help = m.help();
        return Err(e);
    }
    // Caught here rather than by the HTTP client at send time, which would be a transport error.
    if let Some(Some(ct)) = &r.content_type {
        if let Err(problem) = check_header_value(ct) {
            return Err(located(
                "content_type",
                format!("`request.content_type` cannot be sent as a header: {problem}"),
            ));
        }
    }
    if let Some(Auth::Header(value) | Auth::Scheme(value)) = &r.auth {
        if let Err(problem) = check_header_value(value) {
            return Err(located(
                "auth",
                format!("`request.auth` cannot be sent as a header: {problem}"),
            ));
        }
    }
    if let Some(auth) = &r.auth {
        check_auth(auth, contract, &located)?;
    }
    for key in r.path.keys() {
        if !endpoint.path_params.contains_key(key) {
            let mut e = located(key, format!("unknown path parameter `{key}`"));
            e.help = did_you_mean(key, endpoint.path_params.keys().map(String::as_str))
                .map(|b| format!("did you mean `{b}`?"));
            return Err(e);
        }
    }
    check_params(&r.params, endpoint, &located)?;
    let body = match (r.body, r.raw_body) {
        (Some(_), Some(_)) => {
            return Err(located(
                "raw_body",
                "give `body` (JSON) or `raw_body` (text), not both".into(),
            ));
        }
        (Some(v), None) => Body::Json(v),
        (None, Some(s)) => Body::Raw(s),
        (None, None) => Body::Empty,
    };
    if let Some(p) = &file.offending {
        // A rejected parameter is named; a body field is pointed at.
        let a_param = r.params.iter().any(|v| v.name == *p);
        if !p.starts_with('/') && !a_param {
            return Err(located(
                "offending",
                format!(
                    "`offending` must be a JSON pointer such as `/name`, or the name of a \
                     parameter the request sends, got `{p}`"
                ),
            ));
        }
    }
    if let (Some(seed), Some(found)) = (file.seed, &file.found) {
        title_note(&mut file.title, seed, found);
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("case");
    let mut case = Case {
        id: file.id.unwrap_or_else(|| format!("{}::{stem}", file.kind)),
        title: file.title,
        kind: file.kind.into(),
        expect,
        request: RequestSpec {
            method,
            path: r.path,
            auth: r.auth.unwrap_or(Auth::Valid),
            content_type: r
                .content_type
                .unwrap_or_else(|| default_content_type(endpoint)),
            body,
            params: r.params,
        },
        offending: file.offending,
        origin: Origin::File(path.display().to_string()),
    };
    if case.expect.label == "auth" {
        // A refused API key or basic credential may be answered 401 or 403, as derived.
        case.expect.statuses = Expect::refused(contract, &case.request.auth).statuses;
    }
    case.tolerate_date_time_variant(contract);
    Ok(case)
}

/// A case file's `auth` must fit the operation: `wrong` and `omit` name one of its schemes;
/// `header` and `scheme` write a bearer token, so the alternative sent must have a bearer-like
/// scheme (any alternative, before one is chosen).
fn check_auth(
    auth: &Auth,
    contract: &Operation,
    located: &impl Fn(&str, String) -> FileError,
) -> Result<(), FileError> {
    let security = &contract.endpoint.auth.security;
    let all: Vec<&crate::contract::Scheme> = security.alternatives.iter().flatten().collect();
    let considered: Vec<&crate::contract::Scheme> = match security.chosen {
        Some(_) => security.sent().iter().collect(),
        None => all.clone(),
    };
    let mut names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    match auth {
        Auth::Wrong(name) | Auth::Omit(name) if !names.contains(&name.as_str()) => {
            let form = if matches!(auth, Auth::Wrong(_)) {
                "wrong"
            } else {
                "omit"
            };
            let mut e = located(
                form,
                format!("`request.auth` names the security scheme `{name}`, which is not one of the operation's"),
            );
            e.help = Some(match did_you_mean(name, names.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None if names.is_empty() => "the operation has no security".into(),
                None => format!("its schemes are: {}", names.join(", ")),
            });
            Err(e)
        }
        Auth::Header(_) | Auth::Scheme(_) if !considered.iter().any(|s| s.kind.sends_bearer()) => {
            let form = if matches!(auth, Auth::Header(_)) {
                "header"
            } else {
                "scheme"
            };
            let mut e = located(
                form,
                "`request.auth` writes a bearer Authorization header, but the operation sends no bearer-like credential".into(),
            );
            e.help = Some(if names.is_empty() {
                "the operation has no security: leave `auth` out, or give \"none\"".into()
            } else {
                format!(
                    "give {{\"wrong\": \"<scheme>\"}} or {{\"omit\": \"<scheme>\"}} for one of: {}",
                    names.join(", ")
                )
            });
            Err(e)
        }
        _ => Ok(()),
    }
}

/// Each parameter a case file's request sets must be a query, header or cookie parameter of the
/// operation (a path value goes in `path`).
fn check_params(
    params: &[ParamValue],
    endpoint: &crate::contract::Endpoint,
    located: &impl Fn(&str, String) -> FileError,
) -> Result<(), FileError> {
    for v in params {
        let known = endpoint
            .params
            .iter()
            .any(|p| p.location == v.location && p.name == v.name);
        if known && v.location != crate::contract::ParamIn::Path {
            continue;
        }
        let names = endpoint
            .params
            .iter()
            .filter(|p| p.location == v.location && p.location != crate::contract::ParamIn::Path)
            .map(|p| p.name.as_str());
        let mut e = located(
            "params",
            format!(
                "unknown {} parameter `{}` in `request.params`",
                v.location.as_str(),
                v.name
            ),
        );
        e.help = match v.location {
            crate::contract::ParamIn::Path => Some("a path value goes in `request.path`".into()),
            _ => did_you_mean(&v.name, names).map(|b| format!("did you mean `{b}`?")),
        };
        return Err(e);
    }
    Ok(())
}

/// What a written case file says besides the case: the operation it is for (needed when the
/// contract has several) and, for a regression case, the seed that found it and what failed.
#[derive(Clone, Debug, Default)]
pub struct Provenance<'a> {
    pub operation: Option<&'a str>,
    pub seed: Option<u64>,
    pub found: Option<String>,
}

/// The case as a case file, the one writer of the format [`parse`] reads: a key is written
/// only where the case differs from what the parser would default to for `contract`, so
/// reading the file back gives the same case (a regression case's title gains its note).
fn to_json(case: &Case, contract: &Operation, provenance: &Provenance<'_>) -> Value {
    let endpoint = &contract.endpoint;
    let mut file = serde_json::Map::new();
    file.insert("id".into(), Value::from(case.id.as_str()));
    file.insert("title".into(), Value::from(case.title.as_str()));
    if case.kind.as_str() != default_kind() {
        file.insert("kind".into(), Value::from(case.kind.as_str()));
    }
    file.insert("class".into(), Value::from(case.class().as_str()));
    let default_expect = Expect::of(contract, case.class(), "invalid_body");
    if case.expect.statuses != default_expect.statuses || case.expect.label != default_expect.label
    {
        // A key the operation does not name (a fallback such as `invalid_param` on an
        // endpoint file) is written as its statuses, which read back as they are.
        let known = |key: &str| key == "success" || contract.expectation(key).is_some();
        let expect = match case.expect.label.as_str() {
            key if key != "custom" && known(key) => Value::from(key),
            _ => Value::from(case.expect.statuses.clone()),
        };
        file.insert("expect".into(), expect);
    }
    if let Some(seed) = provenance.seed {
        file.insert("seed".into(), Value::from(seed));
    }
    if let Some(found) = &provenance.found {
        file.insert("found".into(), Value::from(found.as_str()));
    }
    file.insert("request".into(), request_json(&case.request, endpoint));
    if let Some(p) = &case.offending {
        file.insert("offending".into(), Value::from(p.as_str()));
    }
    if let Some(op) = provenance.operation {
        file.insert("operation".into(), Value::from(op));
    }
    Value::Object(file)
}

/// The case file's text: [`to_json`], pretty, with a final newline.
pub fn to_text(case: &Case, contract: &Operation, provenance: &Provenance<'_>) -> String {
    // A `Value` always serializes.
    serde_json::to_string_pretty(&to_json(case, contract, provenance)).unwrap_or_default() + "\n"
}

/// The `request` object: the keys where the request differs from the endpoint's defaults.
fn request_json(r: &RequestSpec, endpoint: &crate::contract::Endpoint) -> Value {
    let mut out = serde_json::Map::new();
    if r.method != endpoint.method {
        out.insert("method".into(), Value::from(r.method.as_str()));
    }
    if !r.path.is_empty() {
        out.insert("path".into(), serde_json::json!(r.path));
    }
    if r.auth != Auth::Valid {
        out.insert("auth".into(), serde_json::json!(r.auth));
    }
    if r.content_type != default_content_type(endpoint) {
        out.insert("content_type".into(), serde_json::json!(r.content_type));
    }
    if !r.params.is_empty() {
        out.insert("params".into(), serde_json::json!(r.params));
    }
    match &r.body {
        Body::Empty => {}
        Body::Json(v) => {
            out.insert("body".into(), v.clone());
        }
        Body::Patched(p) => {
            out.insert("body".into(), p.to_value());
        }
        Body::Raw(text) => {
            out.insert("raw_body".into(), Value::from(text.as_str()));
        }
    }
    Value::Object(out)
}

/// The Content-Type a case file's request has when it names none: the endpoint's, or none for
/// an operation that takes no body.
fn default_content_type(endpoint: &crate::contract::Endpoint) -> Option<String> {
    (endpoint.body_kind != crate::contract::BodyKind::None).then(|| endpoint.content_type.clone())
}

/// A regression case says in its title what it once caught.
fn title_note(title: &mut String, seed: u64, found: &str) {
    if !found.is_empty() {
        title.push_str(&format!(" (seed {seed}; it caught: {found})"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> Operation {
        Operation::embedded().unwrap()
    }

    #[test]
    fn shipped_cases_load() {
        let cases = load_embedded(&[&contract()]).unwrap();
        assert!(cases.len() >= 5);
        assert!(cases.iter().any(|(_, c)| c.id == "example::page_example"));
    }

    #[test]
    fn a_misspelt_key_is_located_with_a_suggestion() {
        let text = "{\n  \"title\": \"t\",\n  \"class\": \"valid\",\n  \"reqest\": {}\n}";
        let err = parse(Path::new("cases/bad.json"), text, &contract()).unwrap_err();
        assert_eq!(err.location, Some((4, 10)));
        assert_eq!(err.help.as_deref(), Some("did you mean `request`?"));
    }

    #[test]
    fn an_unknown_expectation_is_located_with_a_suggestion() {
        let text =
            "{\n  \"title\": \"t\",\n  \"class\": \"invalid\",\n  \"expect\": \"invalid_bdy\"\n}";
        let err = parse(Path::new("cases/bad.json"), text, &contract()).unwrap_err();
        assert_eq!(err.location, Some((4, 3)));
        assert_eq!(err.help.as_deref(), Some("did you mean `invalid_body`?"));
    }

    #[test]
    fn null_body_is_not_an_absent_body() {
        let c = contract();
        let with_null = parse(
            Path::new("n.json"),
            r#"{"title":"t","class":"invalid","request":{"body":null}}"#,
            &c,
        )
        .unwrap();
        assert_eq!(with_null.request.body, Body::Json(Value::Null));
        let absent = parse(
            Path::new("a.json"),
            r#"{"title":"t","class":"invalid"}"#,
            &c,
        )
        .unwrap();
        assert_eq!(absent.request.body, Body::Empty);
        let no_ct = parse(
            Path::new("a.json"),
            r#"{"title":"t","class":"invalid","request":{"content_type":null}}"#,
            &c,
        )
        .unwrap();
        assert_eq!(no_ct.request.content_type, None);
    }

    fn with_auth(c: &Operation, auth: &str) -> Result<Case, FileError> {
        let text = format!(
            "{{\n  \"title\": \"t\",\n  \"class\": \"invalid\",\n  \"expect\": \"auth\",\n  \"request\": {{\"auth\": {auth}}}\n}}"
        );
        parse(Path::new("cases/auth.json"), &text, c)
    }

    /// The endpoint file's contract sending one API key.
    fn api_key_contract() -> Operation {
        let mut c = contract();
        c.endpoint.auth.security = crate::contract::Security {
            alternatives: vec![vec![crate::contract::Scheme {
                name: "api_key".into(),
                kind: crate::contract::SchemeKind::ApiKey {
                    location: crate::contract::ParamIn::Query,
                    name: "key".into(),
                },
            }]],
            optional: false,
            chosen: Some(0),
        };
        c
    }

    #[test]
    fn a_case_file_names_a_scheme_to_send_wrong_or_leave_out() {
        let c = contract();
        let wrong = with_auth(&c, r#"{"wrong": "bearer"}"#).unwrap();
        assert_eq!(wrong.request.auth, Auth::Wrong("bearer".into()));
        assert_eq!(wrong.expect.statuses, [401]);
        let omit = with_auth(&c, r#"{"omit": "bearer"}"#).unwrap();
        assert_eq!(omit.request.auth, Auth::Omit("bearer".into()));
        let written = to_text(&omit, &c, &Provenance::default());
        assert!(written.contains(r#""omit": "bearer""#), "{written}");
        let back = parse(Path::new("cases/back.json"), &written, &c).unwrap();
        assert_eq!(back.request, omit.request);
        // A refused API key may be answered 401 or 403.
        let key = api_key_contract();
        let wrong_key = with_auth(&key, r#"{"wrong": "api_key"}"#).unwrap();
        assert_eq!(wrong_key.expect.statuses, [401, 403]);
        assert_eq!(
            with_auth(&key, r#""none""#).unwrap().request.auth,
            Auth::None
        );
    }

    #[test]
    fn a_scheme_the_operation_does_not_have_is_refused_with_a_suggestion() {
        let err = with_auth(&contract(), r#"{"wrong": "berer"}"#).unwrap_err();
        assert_eq!(err.location, Some((5, 24)));
        assert!(err.message.contains("`berer`"), "{}", err.message);
        assert_eq!(err.help.as_deref(), Some("did you mean `bearer`?"));
        let err = with_auth(&api_key_contract(), r#"{"omit": "zzz"}"#).unwrap_err();
        assert_eq!(err.help.as_deref(), Some("its schemes are: api_key"));
        let mut none = contract();
        none.endpoint.auth.security = crate::contract::Security::default();
        let err = with_auth(&none, r#"{"omit": "bearer"}"#).unwrap_err();
        assert_eq!(err.help.as_deref(), Some("the operation has no security"));
    }

    #[test]
    fn a_bearer_header_is_refused_where_no_bearer_token_is_sent() {
        let key = api_key_contract();
        for auth in [r#"{"header": "Bearer x"}"#, r#"{"scheme": "bearer "}"#] {
            let err = with_auth(&key, auth).unwrap_err();
            assert!(err.message.contains("no bearer-like credential"), "{auth}");
            assert_eq!(err.location, Some((5, 24)));
            assert!(err.help.as_deref().is_some_and(|h| h.contains("api_key")));
            assert!(with_auth(&contract(), auth).is_ok(), "{auth}");
        }
    }

    #[test]
    fn a_written_case_reads_back_as_the_same_case() {
        let c = contract();
        let param = c
            .endpoint
            .path_params
            .keys()
            .next()
            .expect("a path parameter");
        let text = format!(
            r#"{{"title":"t","kind":"boundary","class":"invalid","expect":[400,422],
            "offending":"/name","request":{{"method":"PUT","path":{{"{param}":"x_9"}},
            "auth":{{"scheme":"bearer "}},"content_type":null,"raw_body":"{{nope"}}}}"#
        );
        let case = parse(Path::new("cases/x.json"), &text, &c).unwrap();
        let written = to_text(&case, &c, &Provenance::default());
        let back = parse(Path::new("cases/y.json"), &written, &c).unwrap();
        assert_eq!(
            (&back.id, &back.title, &back.kind, &back.offending),
            (&case.id, &case.title, &case.kind, &case.offending)
        );
        assert_eq!(back.request, case.request);
        assert_eq!(back.expect.statuses, case.expect.statuses);
        assert_eq!(back.class(), case.class());
    }
}
