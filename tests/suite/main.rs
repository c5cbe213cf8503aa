//! Integration tests: the suite run in-process and as a binary against reference servers that
//! are clean or carry exactly one fault.

mod cli;
mod common;
mod fuzz;
mod garbage;
mod generate;
mod junit;
mod loaders;
mod property;
mod rules;
mod selftest;
mod snapshot;
