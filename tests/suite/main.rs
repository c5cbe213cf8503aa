//! Integration tests: the suite run in-process and as a binary against reference servers that
//! are clean, carry exactly one fault, or vary in a way a correct server may.

mod canary;
mod cli;
mod common;
mod garbage;
mod generate;
mod hostile;
mod junit;
mod property;
mod rules;
mod selftest;
mod snapshot;
mod variations;
