//! Report stage: what a run found (`engine::outcome`), shown to people ([`human`]) and to CI ([`junit`]).

pub mod curl;
pub mod diff;
pub mod human;
pub mod junit;
pub mod progress;
pub mod setup;
pub mod summary;

use std::path::{Path, PathBuf};

/// Writes a report file (JUnit, JSON, the created ids), creating its parent directory. The text
/// goes to a temporary file beside it first and is renamed into place, so a reader (or a run cut
/// short) never sees half a report.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    create_parent(path)?;
    let temp = temp_path(path);
    let written = std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Creates the directory a report file goes into.
pub fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// `dir/.name.tmp-PID`: beside the final file, so the rename stays on one file system.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
