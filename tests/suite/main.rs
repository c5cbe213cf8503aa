//! Integration tests: the suite run in-process and as a binary against reference servers that
//! are clean or carry exactly one fault.

mod canary;
mod ci_recipes;
mod cli;
mod common;
mod config;
mod fuzz;
mod garbage;
mod gate;
mod generate;
mod hostile;
mod junit;
mod junit_schema;
mod loaders;
mod property;
mod rules;
mod selftest;
mod snapshot;
