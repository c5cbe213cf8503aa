//! OpenAPI in and out: the contract its users already keep ([`load`]), and the contract as
//! OpenAPI 3.1 ([`document`]).
//!
//! Each operation becomes an endpoint: its method, path template and parameters (path, query,
//! header, cookie, with their serialization and examples), its security (bearer or none), its
//! request body (JSON, form, multipart or none), every documented response, and its documented
//! 4xx statuses as expectations. An operation the suite cannot test is listed with why.
//! OpenAPI 3.0's `nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum` and `example` are
//! converted to JSON Schema 2020-12. What OpenAPI cannot say (semantic rules, tolerated statuses,
//! field policies, the created id) comes from an `x-conformance` extension on the operation, in
//! the endpoint file's format. What it cannot take keeps that operation untested, with its pointer.
//! `$ref`s to files next to the document are made local refs first (`bundle`), inside its
//! folder only.

mod bundle;
mod examples;
mod links;
mod operation;
mod params;
mod read;
mod responses;
mod schemas;
mod security;
mod write;
mod yaml;

pub use read::load;
pub use write::{document, to_yaml};
