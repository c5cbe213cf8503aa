//! The edge: the command line ([`cli`]: clap only), profiles ([`profile`], with the config
//! file), the validated plan ([`plan`]), the commands ([`commands`]) and the self-test.

pub mod cli;
pub mod commands;
mod credentials;
pub mod plan;
pub mod profile;
pub mod selftest;
mod sources;

pub use commands::main;
