//! Integration tests: the suite run in-process and as a binary against reference servers that
//! are clean, carry exactly one fault, or vary in a way a correct server may.

mod api_root;
mod canary;
mod chain;
mod ci_recipes;
mod cli;
mod common;
mod config;
mod fuzz;
mod garbage;
mod gate;
mod generate;
mod hostile;
mod http_level;
mod junit;
mod junit_schema;
mod layers;
mod loaders;
mod misconfigured;
mod openapi;
mod openapi_ops;
mod operations;
mod order;
mod params;
mod property;
mod random_schemas;
mod responses;
mod rules;
mod security;
mod selftest;
mod serialization;
mod snapshot;
mod transport;
mod unstated;
mod untested;
mod variations;
