//! What loading an OpenAPI document gives beside its operations: those it cannot test, with
//! why ([`Untested`]), what it should be told about the document ([`LoadWarning`]), and the
//! document's server URL.

use serde::{Deserialize, Serialize};

use super::Operation;

/// A document read: the operations the suite tests, and everything else it says about it.
#[derive(Debug, Default)]
pub struct Document {
    pub operations: Vec<Operation>,
    /// The operations it cannot test, each with why; all of them, not only the first.
    pub untested: Vec<Untested>,
    pub warnings: Vec<LoadWarning>,
    /// `servers[0].url` with its variables filled with their defaults, for the API-root hint.
    pub server_url: Option<String>,
    /// Where path parameters take values that exist: links and creating operations.
    pub id_sources: Vec<crate::contract::chain::IdSource>,
}

/// An operation of the document that is not tested, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Untested {
    /// Its operationId, or the id derived from its method and path.
    pub operation: String,
    pub method: String,
    pub path: String,
    /// Where in the document the reason is (a JSON pointer).
    pub pointer: String,
    pub reason: String,
}

/// Something the user should know about the document that does not keep an operation from
/// being tested: an example that breaks its own schema, say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadWarning {
    pub pointer: String,
    pub message: String,
}
