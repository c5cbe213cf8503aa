//! What a run starts from, besides the server: the target as given (the embedded reference
//! server is started by `engine::run`, the only stage besides `app` that names it), the run id
//! sent on every request, the signals that stop a run, what each operation was told for the
//! set-up hint, and the document's notes for the console.

use std::sync::Arc;
use std::time::SystemTime;

use crate::engine::observe::DocumentNotes;
use crate::engine::observe::Observer;
use crate::engine::run::{Plan, TargetChoice};
use crate::engine::setup::{ApiRoot, SetUp};
use crate::engine::stop::{Reason, Stop};

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

/// The variables of the credentials an operation's valid requests send, with their flags.
fn credential_vars(plan: &Plan, security: &crate::contract::Security) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for s in security.sent() {
        let var = match plan.credentials.get(&s.name) {
            Some(c) => (c.var.clone(), format!("--credential {}", s.name)),
            None => (plan.token_env.clone(), "--token-env".to_string()),
        };
        if !out.contains(&var) {
            out.push(var);
        }
    }
    out
}

/// What each operation was told (the token variable, its path parameters), for the hint.
pub(super) fn setups(plan: &Plan) -> Vec<SetUp> {
    plan.operations
        .iter()
        .map(|o| SetUp {
            credentials: credential_vars(plan, &o.contract.endpoint.auth.security),
            path_params: o
                .contract
                .endpoint
                .path_params
                .keys()
                .map(|name| {
                    let value = plan.path_values.get(name).cloned().unwrap_or_default();
                    (name.clone(), value)
                })
                .collect(),
            api_root: api_root(plan, &o.contract.endpoint.path),
        })
        .collect()
}

/// For a document's operation sent to `--base-url`: what the API-root hint compares.
fn api_root(plan: &Plan, operation_path: &str) -> Option<ApiRoot> {
    let TargetChoice::Remote { base_url } = &plan.target else {
        return None;
    };
    plan.document.as_ref()?;
    Some(ApiRoot {
        server_url: plan.server_url.clone(),
        base_path: base_url.path().to_string(),
        operation_path: operation_path.to_string(),
    })
}

/// What the plan's document could not test, and was told at load.
pub(super) fn document_notes(plan: &Plan, listing: bool) -> DocumentNotes<'_> {
    DocumentNotes {
        document: plan.document.as_deref(),
        untested: &plan.untested,
        warnings: &plan.load_warnings,
        listing,
    }
}
