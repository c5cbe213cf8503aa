//! The edge: the command line, profiles, the plan and the commands.

pub mod cli;
pub mod config;
pub mod selftest;
