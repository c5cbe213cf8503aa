//! What a run starts from, besides the server: the target as given (the embedded reference
//! server is started by `engine::run`, the only stage besides `app` that names it), the run id
//! sent on every request, the signals that stop a run, what each operation was told for the
//! set-up hint, and the document's notes for the console.

use std::sync::Arc;
use std::time::SystemTime;

use crate::contract::Class;
use crate::engine::chain::{Chain, Need};
use crate::engine::collect::CreatedError;
use crate::engine::observe::DocumentNotes;
use crate::engine::observe::Observer;
use crate::engine::run::{Plan, Selection, TargetChoice, DEFAULT_THREADS};
use crate::engine::setup::{ApiRoot, SetUp};
use crate::engine::stop::{Reason, Stop};
use libtest_mimic::Arguments;

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

/// The first SIGINT, SIGTERM or SIGHUP stops the run, which then writes its reports; a second
/// SIGINT or SIGTERM ends the process at once (a closed terminal may send SIGHUP more than once).
/// After SIGHUP (a closed terminal or SSH connection) nothing more goes to the terminal, which
/// is gone.
pub(super) async fn listen_for_signals(stop: Arc<Stop>, observer: Arc<dyn Observer>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return;
    };
    let mut first = true;
    loop {
        let n = tokio::select! {
            _ = int.recv() => libc::SIGINT,
            _ = term.recv() => libc::SIGTERM,
            _ = hup.recv() => libc::SIGHUP,
        };
        if !first && n != libc::SIGHUP {
            std::process::exit(crate::exit::SIGNALLED_BASE + n);
        }
        if !first {
            continue;
        }
        first = false;
        // Raised before anything is printed, so a failed write cannot keep the run going.
        stop.raise(Reason::Signal(n));
        if n == libc::SIGHUP {
            crate::process::silence_terminals();
        }
        let again = match n {
            libc::SIGHUP => "SIGINT or SIGTERM quits at once",
            _ => "send it again to quit at once",
        };
        observer.note(&format!(
            "\n{} received: no new requests; finishing the reports ({again})",
            crate::engine::stop::signal_name(n)
        ));
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

/// The run's set-up requests ([`Chain`]): each plan source whose consumer and producer are both
/// in the run, with each producer's base request (its `example::base_request`, else its first
/// valid case). `None` when no path value is chained.
pub(super) fn chain(plan: &Plan) -> Option<Arc<Chain>> {
    let index = |name: &str| {
        plan.operations
            .iter()
            .position(|o| o.contract.endpoint.operation == name)
    };
    let needs: Vec<Need> = plan
        .id_sources
        .iter()
        .filter_map(|s| {
            Some(Need {
                consumer: index(&s.consumer)?,
                producer: index(&s.producer)?,
                source: s.clone(),
            })
        })
        .collect();
    if needs.is_empty() {
        return None;
    }
    let bases = plan
        .operations
        .iter()
        .enumerate()
        .map(|(op, o)| {
            let valid = || o.cases.iter().filter(|c| c.class() == Class::Valid);
            let base = valid()
                .find(|c| c.id.ends_with("example::base_request"))
                .or_else(|| valid().next())
                .cloned();
            let e = &o.contract.endpoint;
            (op, (format!("{} {}", e.method, e.path), base))
        })
        .collect();
    Some(Arc::new(Chain::new(needs, bases)))
}

/// The libtest-mimic arguments of the run's selection.
pub(super) fn libtest_args(sel: &Selection) -> Arguments {
    Arguments {
        filter: sel.filter.clone(),
        exact: sel.exact,
        skip: sel.skip.clone(),
        list: sel.list,
        test_threads: Some(sel.test_threads.unwrap_or(DEFAULT_THREADS)),
        quiet: sel.quiet,
        ..Arguments::default()
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Target(#[from] crate::http::TargetError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot start the embedded reference server: {0}")]
    Server(#[source] std::io::Error),
    /// The `--created` file cannot be opened; checked before anything is sent.
    #[error(transparent)]
    Created(#[from] CreatedError),
    /// The contract needs a `--base-url`: the embedded server does not serve it.
    #[error("{0}")]
    NeedsBaseUrl(String),
}

impl RunError {
    /// Whether the error was found before anything was sent: the command line or a path is
    /// wrong, not the target.
    pub fn before_sending(&self) -> bool {
        matches!(
            self,
            RunError::Target(_) | RunError::Created(_) | RunError::NeedsBaseUrl(_)
        )
    }
}
