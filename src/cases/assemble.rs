//! Case assembly: each selected operation of the contract with its cases, in the order a run
//! sends them (regression cases, then case files, then the cases derived from the request
//! schema), ids prefixed with the operation when the contract has several, and unique.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::generate::GenError;
use super::{derive, file, Case, Origin};
use crate::contract::{BodyKind, Operation, Untested};
use crate::diag::FileError;

/// One operation of the contract with the cases assembled for it.
#[derive(Clone, Debug)]
pub struct Assembled {
    pub operation: Arc<Operation>,
    /// Regression cases first, then case files, then derived cases.
    pub cases: Vec<Case>,
    /// Whether the ids carry the operation's name: when the contract has several operations.
    pub prefixed: bool,
}

/// Where the cases come from, besides the contract.
#[derive(Clone, Copy, Debug)]
pub struct CaseSources<'a> {
    /// A directory of case files; `None` takes the shipped ones.
    pub cases_dir: Option<&'a Path>,
    /// Where shrunk property failures were saved; read when it is a directory.
    pub regressions: &'a Path,
}

/// Why the cases could not be assembled. No longer returned by [`assemble`], which lists a
/// request schema the generator refuses as an untested operation; kept for the callers that
/// still name it.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// A case file, or the contract the shipped cases belong to, could not be read; or two
    /// cases share an id.
    #[error(transparent)]
    File(#[from] FileError),
    /// The body generator refuses an operation's request schema.
    #[error("{diagnostic}")]
    Ungenerable {
        /// The request schema's file, and what is wrong, as the user sees it.
        diagnostic: Box<FileError>,
        #[source]
        source: GenError,
    },
}

/// Each selected operation with its cases, and the selected operations that cannot be tested,
/// each with why. Case files are read against every operation of the contract (one for an
/// operation left out of `selected` is no error), and when the contract has several, each case
/// id is prefixed with its operation, whichever are selected, so ids stay the same in a
/// narrowed run. Before its cases are derived, each selected operation's parameters get their
/// base values ([`derive::settle_params`]) and its request schema is handed to `generable`: an
/// operation whose body or parameter the generator cannot build is untested, and the others
/// run. Ids must be unique.
pub fn assemble(
    mut all: Vec<Operation>,
    selected: &[bool],
    sources: CaseSources<'_>,
    generable: impl Fn(&Value) -> Result<(), GenError>,
) -> Result<(Vec<Assembled>, Vec<Untested>), FileError> {
    let several = all.len() > 1;
    let mut selected: Vec<bool> = (0..all.len())
        .map(|i| selected.get(i).copied().unwrap_or(false))
        .collect();
    let mut untested = Vec::new();
    for (op, chosen) in all.iter_mut().zip(selected.iter_mut()) {
        if !*chosen {
            continue;
        }
        if let Err((pointer, reason)) = prepare(op, &generable) {
            let ep = &op.endpoint;
            untested.push(Untested {
                operation: ep.operation.clone(),
                method: ep.method.clone(),
                path: ep.path.clone(),
                pointer,
                reason,
            });
            *chosen = false;
        }
    }
    let contracts: Vec<Arc<Operation>> = all.into_iter().map(Arc::new).collect();
    let refs: Vec<&Operation> = contracts.iter().map(Arc::as_ref).collect();
    let mut by_op: Vec<Vec<Case>> = vec![Vec::new(); contracts.len()];
    let mut files = if sources.regressions.is_dir() {
        let mut saved = file::load_dir(sources.regressions, &refs)?;
        // Saved from generated bodies, possibly by an older version: they get today's rules for
        // generated cases (a number beyond 2^53 unspecified, a lenient date-time tolerated).
        for (op, case) in &mut saved {
            case.settle(&contracts[*op]);
        }
        saved
    } else {
        Vec::new()
    };
    files.extend(match sources.cases_dir {
        Some(dir) => file::load_dir(dir, &refs)?,
        None => shipped_cases(&refs)?,
    });
    for (op, case) in files {
        by_op[op].push(case);
    }
    for ((contract, cases), _) in contracts
        .iter()
        .zip(by_op.iter_mut())
        .zip(&selected)
        .filter(|(_, s)| **s)
    {
        cases.extend(derive::derive(contract));
    }
    let operations: Vec<Assembled> = contracts
        .into_iter()
        .zip(by_op)
        .zip(&selected)
        .filter(|(_, s)| **s)
        .map(|((operation, mut cases), _)| {
            if several {
                for c in &mut cases {
                    c.id = format!("{}::{}", operation.endpoint.operation, c.id);
                }
            }
            Assembled {
                operation,
                cases,
                prefixed: several,
            }
        })
        .collect();
    check_unique_ids(sources.cases_dir, &operations)?;
    Ok((operations, untested))
}

/// Readies one operation for its cases: its parameters' base values, and its request body
/// checked against the generator (an operation without a body has none to check). The error
/// is where in the document the problem is, and what it is.
fn prepare(
    op: &mut Operation,
    generable: &impl Fn(&Value) -> Result<(), GenError>,
) -> Result<(), (String, String)> {
    if op.endpoint.body_kind != BodyKind::None {
        let shown = op.request_schema_path.display().to_string();
        let pointer = match shown.split_once('#') {
            Some((_, pointer)) => pointer.to_string(),
            None => shown,
        };
        generable(&op.request_schema).map_err(|e| {
            (
                pointer.clone(),
                format!("cannot generate bodies from the request schema: {e}"),
            )
        })?;
        derive::check_budget(op).map_err(|(at, why)| {
            (
                pointer.clone(),
                format!(
                    "cannot derive cases from the request schema: schema pointer \"{at}\": {why}"
                ),
            )
        })?;
    }
    derive::settle_params(&mut op.endpoint)
}

/// The shipped case files, for the operation the shipped contract describes, if it is tested.
fn shipped_cases(contracts: &[&Operation]) -> Result<Vec<(usize, Case)>, FileError> {
    let shipped = Operation::embedded()?.endpoint.operation;
    let Some(op) = contracts
        .iter()
        .position(|c| c.endpoint.operation == shipped)
    else {
        return Ok(Vec::new());
    };
    Ok(file::load_embedded(&[contracts[op]])?
        .into_iter()
        .map(|(_, case)| (op, case))
        .collect())
}

fn check_unique_ids(cases_dir: Option<&Path>, operations: &[Assembled]) -> Result<(), FileError> {
    let mut seen: BTreeMap<&str, &Case> = BTreeMap::new();
    for c in operations.iter().flat_map(|o| o.cases.iter()) {
        if let Some(first) = seen.insert(&c.id, c) {
            let where_ = |c: &Case| match &c.origin {
                Origin::File(p) => p.clone(),
                Origin::Derived => "derived from the request schema".into(),
            };
            let path = match &c.origin {
                Origin::File(p) => PathBuf::from(p),
                Origin::Derived => {
                    cases_dir.map_or_else(|| Path::new("cases").into(), Path::to_path_buf)
                }
            };
            return Err(
                FileError::new(path, format!("duplicate case id `{}`", c.id)).help(format!(
                    "the id is also used by {}; set a distinct `id`",
                    where_(first)
                )),
            );
        }
    }
    Ok(())
}
