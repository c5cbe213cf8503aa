//! Report stage: what a run found (`engine::outcome`), shown to people ([`human`]) and to CI ([`junit`]).

pub mod curl;
pub mod diff;
pub mod human;
pub mod junit;
pub mod progress;
pub mod summary;
pub mod write;
