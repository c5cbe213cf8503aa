//! Process exit codes: the one contract the release gate reads.

/// Every case passed (warnings do not count unless `--strict`).
pub const SUCCESS: i32 = 0;
/// The server answered and broke the contract in at least one case.
pub const VIOLATIONS: i32 = 1;
/// Bad usage, or a bad schema, endpoint or case file; nothing was sent.
pub const USAGE: i32 = 2;
/// The target could not be tested (connection refused, timeout, TLS), or the suite itself failed
/// on a case (a panic, the case's `internal` error), and no violation was found.
pub const UNREACHABLE: i32 = 3;

/// SIGHUP, SIGINT or SIGTERM stopped the run: 128 plus the signal's number (129, 130, 143). The
/// reports were written; the cases left were not tested.
pub const SIGNALLED_BASE: i32 = 128;
