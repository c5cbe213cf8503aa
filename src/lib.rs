//! provisionr-conformance: a contract-conformance suite for the Provisionr Workspace API.
//!
//! The pipeline runs one way, and each stage imports only the stages before it:
//! [`contract`] (operations, schemas, OpenAPI in and out) -> [`cases`] (read, derived, generated)
//! -> [`http`] (the target and the exchanges) -> [`check`] (verdicts) -> [`engine`] (runs the
//! cases and properties, collects plain-data results) -> [`report`] (human, JUnit, summary, files)
//! -> [`app`] (the command line, profiles, the plan, the commands). [`server`] is the embedded
//! reference server: the default target and the subject of the self-test.
//!
//! Import rules: `contract` < `cases` < `http` < `check` < `engine` < `report` < `app`. A module
//! names (`use crate::x`, or a `crate::x::...` path) only stages of its own rank or below.
//!
//! Leaves: `diag`, `exit`, `redact`, `process`. They import nothing of the crate, and any stage
//! may import them.
//!
//! The reference server imports only `contract` and the leaves, and only `engine::run` (which
//! starts it as the embedded target) and `app` import it. Only `app` names `clap` or a
//! `PROVISIONR_` variable; outside `app` and `server`, which implement this very API, no module
//! names its `service` parameter. `tests/suite/layers.rs` reads these rules from this text and
//! fails on any path that breaks them.

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
