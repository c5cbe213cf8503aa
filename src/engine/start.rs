//! Starting what a run tests: the embedded reference server or the `--base-url` as given, the
//! run id sent on every request, and the signals that stop a run.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use crate::engine::observe::Observer;
use crate::engine::run::{Plan, RunError, TargetChoice};
use crate::engine::stop::{Reason, Stop};
use crate::server::{self, RunningServer, ServerConfig};

/// The server under test, as the run sees it.
pub(super) struct Live {
    /// Sent on every request (`X-Conformance-Run`) and kept in the summary.
    pub(super) run_id: String,
    pub(super) base_url: String,
    pub(super) label: String,
    /// The embedded server, stopped when the run ends.
    pub(super) server: Option<RunningServer>,
}

/// 64 random bits. RandomState is keyed from the OS per instance, which is enough for seeds and
/// run ids.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A run id: the start time and 64 random bits, so ids sort by time in a server's logs.
pub(super) fn random_id() -> String {
    let secs = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{secs:x}-{:016x}", random_u64())
}

/// The first SIGINT or SIGTERM stops the run, which then writes its reports; a second one ends
/// the process at once.
pub(super) async fn listen_for_signals(stop: Arc<Stop>, observer: Arc<dyn Observer>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    let mut first = true;
    loop {
        let n = tokio::select! {
            _ = int.recv() => 2,
            _ = term.recv() => 15,
        };
        if !first {
            std::process::exit(128 + n);
        }
        first = false;
        observer.note(&format!(
            "\n{} received: no new requests; finishing the reports (send it again to quit at once)",
            crate::engine::stop::signal_name(n)
        ));
        stop.raise(Reason::Signal(n));
    }
}

/// Starts the embedded server when the plan asks for it.
pub(super) fn start_target(
    plan: &Plan,
    runtime: &tokio::runtime::Runtime,
) -> Result<Live, RunError> {
    match &plan.target {
        TargetChoice::Remote { base_url } => {
            // As the user wrote it: the parser adds a `/` to a bare host, which the run would
            // then show in its header, JUnit report and summary.
            let shown = match base_url.path() {
                "/" => base_url.as_str().trim_end_matches('/'),
                _ => base_url.as_str(),
            };
            Ok(Live {
                run_id: random_id(),
                base_url: shown.to_string(),
                label: format!("{shown} (--base-url)"),
                server: None,
            })
        }
        TargetChoice::Embedded(options) => {
            let config = ServerConfig::new(
                plan.token.expose().to_string(),
                plan.path_values.values().cloned().collect(),
                options.clone(),
            );
            let addr = SocketAddr::from(([127, 0, 0, 1], 0));
            let running = runtime
                .block_on(server::spawn(addr, config))
                .map_err(RunError::Server)?;
            let url = running.base_url();
            Ok(Live {
                run_id: random_id(),
                label: format!("embedded reference server at {url}"),
                base_url: url,
                server: Some(running),
            })
        }
    }
}
