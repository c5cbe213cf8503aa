//! The engine: sends the cases, checks the answers and collects the results.

pub mod chain;
pub mod collect;
pub mod executor;
pub mod guard;
pub mod known;
pub mod latency;
pub mod observe;
pub mod order;
pub mod outcome;
pub mod property;
pub mod run;
pub mod setup;
pub mod start;
pub mod stop;
