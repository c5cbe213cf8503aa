//! Where the plan's path values come from besides the command line: the document's sources of
//! values that exist ([`settle_sources`]), and the 404 a valid case may get where there is none
//! ([`tolerate_unknown_examples`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::contract::chain::IdSource;
use crate::contract::LoadWarning;
use crate::engine::chain::tolerate_404;
use crate::engine::run::Suite;

/// Why a valid case may get 404 when its path value is the document's example.
pub const EXAMPLE_404_WHY: &str =
    "the path value is the document's example, which the server may not have";

/// Why a valid DELETE may get 404: an earlier valid case deleted what its path names.
pub const DELETED_404_WHY: &str =
    "an earlier valid DELETE of the run may have deleted what the path names";

/// The sources the run uses: those whose consumer and producer are both in the run, for a
/// parameter the command line does not give (`--path-param` always wins). A source that would
/// make an operation's set-up wait on itself (a cycle of links) is dropped with a warning.
pub(super) fn settle_sources(
    sources: Vec<IdSource>,
    operations: &[Suite],
    given: &BTreeMap<String, String>,
    warnings: &mut Vec<LoadWarning>,
) -> Vec<IdSource> {
    let in_run = |name: &str| {
        operations
            .iter()
            .any(|o| o.contract.endpoint.operation == name)
    };
    let mut kept: Vec<IdSource> = Vec::new();
    for s in sources {
        if given.contains_key(&s.param) || !in_run(&s.consumer) || !in_run(&s.producer) {
            continue;
        }
        if waits_on(&kept, &s.producer, &s.consumer) {
            warnings.push(LoadWarning {
                pointer: match &s.via {
                    crate::contract::chain::Via::Link { pointer } => pointer.clone(),
                    crate::contract::chain::Via::Creator => String::new(),
                },
                message: format!(
                    "`{}` of {} is not taken from {}: {} takes its own path values from {} in turn (a cycle)",
                    s.param, s.consumer, s.producer, s.producer, s.consumer
                ),
            });
            continue;
        }
        kept.push(s);
    }
    kept
}

/// Whether operation `from`'s set-up waits (through `sources`) on operation `on`'s.
fn waits_on(sources: &[IdSource], from: &str, on: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(op) = todo.pop() {
        if op == on {
            return true;
        }
        if seen.insert(op.clone()) {
            todo.extend(
                sources
                    .iter()
                    .filter(|s| s.consumer == op)
                    .map(|s| s.producer.clone()),
            );
        }
    }
    false
}

/// The valid and invalid cases of every operation whose path takes a value from the document
/// (rather than from `--path-param` or an earlier answer), and of every DELETE of a document,
/// tolerate a 404, with a warning that says why ([`tolerate_404`]). Where a set-up request
/// fails, the executor tolerates it then.
pub(super) fn tolerate_unknown_examples(
    operations: &mut [Suite],
    from_document: &BTreeSet<String>,
    sources: &[IdSource],
    values: &BTreeMap<String, String>,
) {
    for suite in operations.iter_mut() {
        let endpoint = &suite.contract.endpoint;
        let params = &endpoint.path_params;
        let chained = |name: &str| {
            sources
                .iter()
                .any(|s| s.consumer == endpoint.operation && s.param == name)
        };
        let unknown = params
            .keys()
            .find(|name| from_document.contains(*name) && !chained(name));
        // A DELETE of a document's operation with a path value removes what that value names:
        // the valid cases after the first find nothing there, whoever gave the value.
        let why = if endpoint.method == "DELETE" && !endpoint.params.is_empty() {
            DELETED_404_WHY.to_string()
        } else if let Some(name) = unknown {
            let value = values.get(name).map(String::as_str).unwrap_or("");
            format!(
                "no id could be had for `{name}` (no link or creating operation of the run gives one): {EXAMPLE_404_WHY} ({value})"
            )
        } else {
            continue;
        };
        // Generated cases too: the executor adds the same to each case it sends.
        suite.tolerate_404 = Some(why.clone());
        for case in suite.cases.iter_mut() {
            *case = tolerate_404(case.clone(), &why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::chain::{Expression, Via};

    fn source(consumer: &str, producer: &str) -> IdSource {
        IdSource {
            consumer: consumer.into(),
            param: "id".into(),
            producer: producer.into(),
            from: vec![Expression::Location],
            via: Via::Creator,
        }
    }

    #[test]
    fn a_source_that_would_wait_on_itself_is_a_cycle() {
        let kept = vec![source("b", "a"), source("c", "b")];
        // `a` taking its value from `c` would wait on `c`, which waits on `b`, which waits on `a`.
        assert!(waits_on(&kept, "c", "a"));
        assert!(!waits_on(&kept, "a", "c"));
        assert!(waits_on(&kept, "a", "a"));
    }
}
