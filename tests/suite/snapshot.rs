//! Snapshots of what people read: a failure's text and the JUnit testcase, with ports, times,
//! ids and timestamps redacted.

use crate::common::plan;
use provisionr_conformance::http::Secret;
use provisionr_conformance::redact::Redactor;
use provisionr_conformance::report::human;
use provisionr_conformance::engine::run::{self, TargetChoice};
use provisionr_conformance::server::{Fault, FaultSet};

const TOKEN: &str = "pvt_snapshot_token_0123456789";

/// Insta settings that hide what changes from run to run.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(r"in \d+ ms", "in [N] ms");
    s.add_filter(r"wstok_[0-9a-z]+", "wstok_[ID]");
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIMESTAMP]");
    s.add_filter(r"-?\d+ more bytes", "[N] more bytes");
    s.add_filter(r#"time="[0-9.]+""#, r#"time="[T]""#);
    s
}

#[test]
fn a_wrong_enum_reads_as_a_wrong_enum() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path(), &["example::page_example", "--exact"]);
    p.token = Secret::new(TOKEN);
    p.target = TargetChoice::Embedded(provisionr_conformance::server::Options {
        faults: FaultSet::with([Fault::EnumWrongValue]),
        variations: Default::default(),
        reject_past_expiry: false,
    });
    let outcome = run::run(p).unwrap();
    let r = &outcome.results[0];
    let text = human::failure_text(r, &Redactor::new([TOKEN.to_string()]));
    assert!(!text.contains(TOKEN));
    settings().bind(|| insta::assert_snapshot!(text));
}
