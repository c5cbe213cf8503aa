//! OpenAPI in and out: the contract its users already keep ([`load`]), and the contract as
//! OpenAPI 3.1 ([`document`]).
//!
//! Each operation with a JSON request body becomes an endpoint: its method, path template and
//! path parameters (with their examples), the bearer security scheme, the request schema, the
//! response schema of its success statuses, and its documented 4xx statuses as expectations.
//! OpenAPI 3.0's `nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum` and `example` are
//! converted to JSON Schema 2020-12. What OpenAPI cannot say (semantic rules, tolerated statuses,
//! field policies, the created id) comes from an `x-conformance` extension on the operation, in
//! the endpoint file's format. Anything else it cannot take is refused with its pointer.

mod read;
mod schemas;
mod write;
mod yaml;

pub use read::load;
pub use write::{document, to_yaml};
