//! A failed check ([`Verdict`]), the names of the built-in checks, and the acceptance marks a
//! known-failures entry puts on a verdict ([`Mark`], [`Standing`]): the marks live with the
//! verdict they annotate, so the check stage needs nothing of the engine.

use serde::{Deserialize, Serialize};

use crate::contract::Severity;

/// The names of the built-in checks, as they appear in output, JUnit and `--skip-check`.
pub mod names {
    pub const STATUS: &str = "status";
    pub const CONTENT_TYPE: &str = "content_type";
    pub const RESPONSE_SCHEMA: &str = "response_schema";
    pub const ENUM: &str = "enum";
    pub const ERROR_BODY: &str = "error_body";
    pub const ALLOW_HEADER: &str = "allow_header";
    pub const WWW_AUTHENTICATE: &str = "www_authenticate";
    pub const DATE_HEADER: &str = "date_header";
    pub const ERROR_SCHEMA: &str = "error_schema";
    /// Judged by the engine once every test has ended ([`crate::engine::latency`]).
    pub const LATENCY: &str = "latency";
    pub const TIMEOUT: &str = "timeout";
}

/// The built-in checks; their severities and rules are tabled in the README.
pub(super) const BUILTIN_CHECKS: &[&str] = &[
    names::STATUS,
    names::CONTENT_TYPE,
    names::RESPONSE_SCHEMA,
    names::ENUM,
    names::ERROR_BODY,
    names::ALLOW_HEADER,
    names::WWW_AUTHENTICATE,
    names::DATE_HEADER,
    names::ERROR_SCHEMA,
    names::LATENCY,
    names::TIMEOUT,
];

/// One failed check: which, where, what was expected and what came.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub check: String,
    pub severity: Severity,
    /// JSON pointer into the response body, or `status`/`header:Name` for the envelope.
    pub location: String,
    pub expected: String,
    pub actual: String,
    /// The known-failures entry that accepts (or accepted) this violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<Mark>,
}

impl Verdict {
    pub(crate) fn new(
        check: &str,
        severity: Severity,
        location: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Verdict {
            check: check.to_string(),
            severity,
            location: location.into(),
            expected: expected.into(),
            actual: actual.into(),
            known: None,
        }
    }

    /// One line: `check `enum` failed at /name: expected ..., got ...`.
    pub fn headline(&self) -> String {
        format!("check `{}` failed at {}", self.check, self.location)
    }

    /// The multi-line form used in failure messages.
    pub fn render(&self) -> String {
        let label = match &self.known {
            Some(m) if m.standing == Standing::Known => "known",
            _ => self.severity.as_str(),
        };
        let mut s = format!(
            "[{label}] {}\n  expected: {}\n  actual:   {}",
            self.headline(),
            self.expected,
            self.actual
        );
        if let Some(m) = &self.known {
            s.push_str(&format!("\n  {}", m.describe()));
        }
        s
    }
}

/// How a failure stands against the known-failures file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// Accepted until `expires`: counted and shown, not a failure of the run.
    Known,
    /// Was accepted until `expires`, which has passed: a failure again, saying so.
    Expired,
}

/// The entry that matched a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub standing: Standing,
    pub reason: String,
    pub expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The entry's line in the file.
    pub line: usize,
}

impl Mark {
    /// One line for the report.
    pub fn describe(&self) -> String {
        let link = self
            .link
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        match self.standing {
            Standing::Known => format!(
                "known failure, accepted until {}: {}{link}",
                self.expires, self.reason
            ),
            Standing::Expired => format!(
                "known failure whose acceptance expired on {}: {}{link}",
                self.expires, self.reason
            ),
        }
    }
}
