//! provisionr-conformance: a contract-conformance suite for the Provisionr Workspace API.
//!
//! The pipeline runs one way: [`contract`] (schemas and endpoint) -> [`cases`] (loaded, derived,
//! generated) -> [`execute`] (exchanges) -> [`check`] (verdicts) -> [`report`] (human, JUnit).
//! [`run`] wires the stages together behind the `run` command; [`server`] is the embedded
//! reference server that is both the default target and the subject of the self-test.

pub mod app;
pub mod cases;
pub mod check;
pub mod contract;
pub mod diag;
pub mod engine;
pub mod exit;
pub mod http;
pub mod process;
pub mod redact;
pub mod report;
pub mod server;
