//! The run's credentials: `--credential SCHEME=ENV_VAR` checked against the selected operations'
//! schemes and read from the environment ([`given`]), and each document operation's security
//! chosen from what the run has ([`choose`]); what no credential can send is listed, not tested.

use std::collections::{BTreeMap, BTreeSet};

use super::plan::{token_from_env, PlanError};
use crate::contract::{pointer_token, Document, Scheme, SchemeKind, Untested};
use crate::diag::did_you_mean;
use crate::http::Credential;

/// What the run was told about credentials, before any operation is chosen for.
pub(super) struct Given {
    /// `--credential`s whose variable is set and not empty, by scheme name.
    pub credentials: BTreeMap<String, Credential>,
    /// Every `--credential`, set or not: scheme name -> variable.
    named: BTreeMap<String, String>,
    token_env: String,
    /// The token variable is set, or the embedded target draws a token of its own.
    token: bool,
}

/// The variable name rule of `--token-env` and `--credential`: a plain shell name, since
/// reproduction commands print it as `${VAR}` inside double quotes.
pub(super) fn check_variable_name(flag: &str, name: &str) -> Result<(), PlanError> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PlanError::Usage(format!(
            "{flag} `{name}` is not a variable name (letters, digits and `_`, not starting with a digit)"
        )))
    }
}

/// A secret that cannot be sent in an HTTP header (a line break, a NUL, any other control
/// character left inside it after the surrounding whitespace is trimmed) is a mistake in how
/// the variable was set: refused before anything is sent, naming the variable and never the
/// value, instead of failing every request as a transport error.
pub(super) fn check_secret(what: &str, var: &str, value: &str) -> Result<(), PlanError> {
    let Some(c) = value.chars().find(|c| c.is_control() && *c != '\t') else {
        return Ok(());
    };
    let kind = match c {
        '\n' | '\r' => "a line break",
        '\0' => "a NUL character",
        _ => "a control character",
    };
    Err(PlanError::Usage(format!(
        "{what} holds {kind} inside its value, which no HTTP \
         header can carry; set it to the credential alone (e.g. `export {var}=\"$(tr -d '\\n' < FILE)\"`)"
    )))
}

/// The `--credential` flags checked against the schemes of the selected operations, with the
/// values their variables hold.
pub(super) fn given(
    flags: &[(String, String)],
    doc: &Document,
    selected: &[bool],
    token_env: &str,
    embedded: bool,
) -> Result<Given, PlanError> {
    let schemes: BTreeMap<&str, &SchemeKind> = doc
        .operations
        .iter()
        .zip(selected)
        .filter(|(_, s)| **s)
        .flat_map(|(o, _)| o.endpoint.auth.security.alternatives.iter().flatten())
        .map(|s| (s.name.as_str(), &s.kind))
        .collect();
    let mut named = BTreeMap::new();
    let mut credentials = BTreeMap::new();
    for (scheme, var) in flags {
        let Some(kind) = schemes.get(scheme.as_str()) else {
            let hint = did_you_mean(scheme, schemes.keys().copied())
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            let all: Vec<&str> = schemes.keys().copied().collect();
            let known = match all.is_empty() {
                true => "the selected operations ask for no credential".to_string(),
                false => format!("the schemes are: {}", all.join(", ")),
            };
            return Err(PlanError::Usage(format!(
                "--credential: no selected operation has the security scheme `{scheme}`{hint}; {known}"
            )));
        };
        check_variable_name(&format!("--credential {scheme}="), var)?;
        if named.insert(scheme.clone(), var.clone()).is_some() {
            return Err(PlanError::Usage(format!(
                "--credential: the scheme `{scheme}` is given twice; give each scheme one variable"
            )));
        }
        let Some(value) = token_from_env(var) else {
            continue;
        };
        let what = format!("the variable {var} of --credential {scheme}={var}");
        check_secret(&what, var, &value)?;
        let basic = **kind == SchemeKind::Basic;
        if basic && !value.contains(':') {
            return Err(PlanError::Usage(format!(
                "--credential {scheme}={var}: `{scheme}` is HTTP basic, so {var} must hold `user:password` (RFC 7617), and it holds no `:`"
            )));
        }
        let secret = crate::http::Secret::new(value);
        let var = var.clone();
        credentials.insert(scheme.clone(), Credential { var, secret, basic });
    }
    Ok(Given {
        credentials,
        named,
        token_env: token_env.to_string(),
        token: embedded || token_from_env(token_env).is_some(),
    })
}

impl Given {
    fn has(&self, s: &Scheme) -> bool {
        self.credentials.contains_key(&s.name)
            || (s.kind.sends_bearer() && !self.named.contains_key(&s.name) && self.token)
    }

    /// Why the run has no credential for `s`, and the flag that would give it one.
    fn missing(&self, s: &Scheme) -> String {
        let (name, kind) = (&s.name, s.kind.describe());
        if let SchemeKind::Unsupported(_) = s.kind {
            return format!("`{name}` ({kind}) cannot be sent by the suite");
        }
        let how = match self.named.get(name) {
            Some(var) => format!("the variable {var} of --credential {name}={var} is not set"),
            None if s.kind.sends_bearer() => format!(
                "export the token in {} (--token-env) or pass --credential {name}=VAR",
                self.token_env
            ),
            None => format!("export it in a variable and pass --credential {name}=VAR"),
        };
        format!("needs a credential for `{name}` ({kind}): {how}")
    }
}

/// Chooses each selected document operation's alternative from the run's credentials. An
/// operation that needs a credential and has no alternative the run can send leaves the
/// document (and `selected`) for the returned list, each with the schemes it would need.
pub(super) fn choose(doc: &mut Document, selected: &mut Vec<bool>, given: &Given) -> Vec<Untested> {
    let mut untested = Vec::new();
    let mut kept = Vec::new();
    let mut kept_selected = Vec::new();
    for (mut op, sel) in std::mem::take(&mut doc.operations)
        .into_iter()
        .zip(selected.drain(..))
    {
        let e = &mut op.endpoint;
        // An endpoint file's one bearer scheme is chosen already: its token is the target's.
        if e.auth.scheme != "document" || !sel {
            kept.push(op);
            kept_selected.push(sel);
            continue;
        }
        let security = &mut e.auth.security;
        if security.choose(|s| given.has(s)) || security.anonymous_allowed() {
            // One bearer-like scheme is what the bearer checks (RFC 6750's challenge) judge.
            if matches!(security.sent(), [one] if one.kind.sends_bearer()) {
                e.auth.scheme = "bearer".into();
            }
            kept.push(op);
            kept_selected.push(sel);
            continue;
        }
        let mut reasons = BTreeSet::new();
        for alt in &security.alternatives {
            let unsupported: Vec<String> = alt
                .iter()
                .filter(|s| matches!(s.kind, crate::contract::SchemeKind::Unsupported(_)))
                .map(|s| format!("`{}` is {}", s.name, s.kind.describe()))
                .collect();
            if !unsupported.is_empty() {
                reasons.insert(format!(
                    "{}: the suite cannot send it",
                    unsupported.join(", ")
                ));
                continue;
            }
            if !crate::contract::Security::sendable(alt) {
                let names: Vec<String> = alt.iter().map(|s| format!("`{}`", s.name)).collect();
                reasons.insert(format!(
                    "{} cannot be sent together: more than one goes in the Authorization header",
                    names.join(" and ")
                ));
                continue;
            }
            reasons.extend(
                alt.iter()
                    .filter(|s| !given.has(s))
                    .map(|s| given.missing(s)),
            );
        }
        untested.push(Untested {
            operation: e.operation.clone(),
            method: e.method.to_ascii_uppercase(),
            path: e.path.clone(),
            // The operation's, or the document's `security`: the operation is where it applies.
            pointer: format!(
                "/paths/{}/{}",
                pointer_token(&e.path),
                e.method.to_ascii_lowercase()
            ),
            reason: reasons.into_iter().collect::<Vec<_>>().join("; or "),
        });
    }
    doc.operations = kept;
    *selected = kept_selected;
    untested
}

/// Whether any operation sends the token: a bearer-like scheme of its chosen alternative
/// without a `--credential` of its own.
pub(super) fn needs_token<'a>(
    securities: impl IntoIterator<Item = &'a crate::contract::Security>,
    credentials: &BTreeMap<String, Credential>,
) -> bool {
    securities.into_iter().any(|s| {
        s.sent()
            .iter()
            .any(|sc| sc.kind.sends_bearer() && !credentials.contains_key(&sc.name))
    })
}

/// Named with `--operation`, an operation without its credential says why, as any untested one.
pub(super) fn refuse_named(untested: &[Untested], named: &[String]) -> Result<(), PlanError> {
    match untested.iter().find(|u| named.contains(&u.operation)) {
        Some(u) => Err(PlanError::Usage(format!(
            "--operation: `{}` ({} {}) is not tested: {} (at {})",
            u.operation, u.method, u.path, u.reason, u.pointer
        ))),
        None => Ok(()),
    }
}
