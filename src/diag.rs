//! File diagnostics: a message that names the file, the line and column, and a hint; and the
//! one way loaders read a user-supplied file ([`read_text`]).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A problem in a user-supplied file (schema, endpoint or case), with its location.
#[derive(Debug, Clone)]
pub struct FileError {
    pub path: PathBuf,
    /// 1-based line and column, when the problem has a place in the text.
    pub location: Option<(usize, usize)>,
    pub message: String,
    pub help: Option<String>,
    /// The error this one was made from (I/O, JSON, TOML, YAML, JSON Schema), for the chain
    /// [`std::error::Error::source`] gives; the message already says what it says.
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// Two diagnostics are the same when they say the same thing at the same place; the error each
/// was made from is not compared (most errors have no equality).
impl PartialEq for FileError {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.location == other.location
            && self.message == other.message
            && self.help == other.help
    }
}

impl Eq for FileError {}

impl FileError {
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        FileError {
            path: path.into(),
            location: None,
            message: message.into(),
            help: None,
            source: None,
        }
    }

    /// The error this diagnostic was made from.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.location = Some((line, column));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Turns a serde_json error into a located diagnostic, adding "did you mean" for unknown keys;
    /// the diagnostic keeps the error as its source.
    pub fn from_json(path: &Path, err: serde_json::Error) -> Self {
        let text = err.to_string();
        let (line, column) = (err.line(), err.column());
        // serde_json appends " at line L column C"; the location is reported separately.
        let message = match text.rfind(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        let help = unknown_key_hint(&message);
        let mut e = FileError::new(path, message);
        if line > 0 {
            e = e.at(line, column);
        }
        e.help = help;
        e.source = Some(Arc::new(err));
        e
    }
}

impl FileError {
    /// Turns a toml error into a located diagnostic, adding "did you mean" for unknown keys.
    pub fn from_toml(path: &Path, text: &str, err: toml::de::Error) -> Self {
        let message = err.message().trim().to_string();
        let mut e = FileError::new(path, message.clone());
        if let Some(span) = err.span() {
            let (line, column) = line_column(text, span.start);
            e = e.at(line, column);
        }
        e.help = unknown_key_hint(&message);
        e.with_source(err)
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.message)?;
        match self.location {
            Some((line, column)) => write!(f, "  --> {}:{line}:{column}", self.path.display())?,
            None => write!(f, "  --> {}", self.path.display())?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The most a loader reads of one file. Real schema, endpoint and case files are a few kilobytes;
/// the cap keeps a wrong path (a log, a disk image) from taking the machine's memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a user-supplied text file: a regular file (checked before it is opened, so a FIFO or a
/// device never blocks the run), at most [`MAX_FILE_BYTES`], UTF-8, with a leading byte-order
/// mark dropped (editors on Windows write one, and serde_json does not skip it).
pub fn read_text(path: &Path) -> Result<String, FileError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| FileError::new(path, unreadable(path, &e)).with_source(e))?;
    if !meta.is_file() {
        return Err(FileError::new(
            path,
            format!(
                "cannot read file: it is {}, not a regular file",
                kind_of(&meta)
            ),
        ));
    }
    let too_big = || {
        FileError::new(
            path,
            format!(
                "file is larger than {} MiB; a schema, endpoint or case file is never that big",
                MAX_FILE_BYTES >> 20
            ),
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let file = std::fs::File::open(path)
        .map_err(|e| FileError::new(path, format!("cannot read file: {e}")).with_source(e))?;
    let mut bytes = Vec::new();
    // The file may have grown since it was measured; never read past the cap.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::new(path, format!("cannot read file: {e}")).with_source(e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with(BOM) {
                text.drain(..BOM.len_utf8());
            }
            Ok(text)
        }
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            // The prefix is valid UTF-8 by definition of `valid_up_to`.
            let good = std::str::from_utf8(good).unwrap_or_default();
            let (line, column) = line_column(good, good.len());
            let utf8 = e.utf8_error();
            Err(FileError::new(path, "file is not UTF-8 text")
                .at(line, column)
                .with_source(utf8))
        }
    }
}

/// The UTF-8 byte-order mark.
const BOM: char = '\u{feff}';

/// `text` without a leading byte-order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// Why `path` could not be looked at, naming broken and looping symbolic links as such.
fn unreadable(path: &Path, e: &std::io::Error) -> String {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return format!("cannot read file: a loop of symbolic links ({e})");
    }
    if is_link && e.kind() == std::io::ErrorKind::NotFound {
        return "cannot read file: a symbolic link to a file that does not exist".into();
    }
    format!("cannot read file: {e}")
}

/// What a file that is not a regular file is, for messages: "a directory", "a FIFO (named pipe)".
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "a special file"
}

/// Line and column of the first `"key"` in the text, for messages about a valid-JSON file.
pub fn locate_key(text: &str, key: &str) -> Option<(usize, usize)> {
    let at = text.find(&format!("\"{key}\""))?;
    Some(line_column(text, at))
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// serde's "unknown field `x`, expected one of `a`, `b`" becomes "did you mean `a`?".
fn unknown_key_hint(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, tail) = rest.split_once('`')?;
    let candidates: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    match did_you_mean(word, candidates.iter().copied()) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None if !candidates.is_empty() => {
            Some(format!("expected one of: {}", candidates.join(", ")))
        }
        None => None,
    }
}

/// Writes a file whole or not at all, creating its parent directory (see [`AtomicFile`]): a
/// reader, or a run cut short, never sees half a file. The one way the reports and the saved
/// regression cases are written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.commit()
}

/// A file written under a temporary name beside it and renamed into place by
/// [`AtomicFile::commit`]; dropped without a commit, the temporary file is removed. The
/// created-id list streams through one for the whole run.
pub struct AtomicFile {
    writer: std::io::BufWriter<std::fs::File>,
    temp: PathBuf,
    path: PathBuf,
}

impl AtomicFile {
    /// Creates the parent directory and the temporary file.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        create_parent(path)?;
        let temp = temp_path(path);
        let file = std::fs::File::create(&temp)?;
        Ok(AtomicFile {
            writer: std::io::BufWriter::new(file),
            temp,
            path: path.to_path_buf(),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the text and renames it into place.
    pub fn commit(mut self) -> std::io::Result<()> {
        std::io::Write::flush(&mut self.writer)?;
        std::fs::rename(&self.temp, &self.path)
    }
}

impl std::io::Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl Drop for AtomicFile {
    /// A file not committed, or whose rename failed, leaves no temporary file behind.
    fn drop(&mut self) {
        // After a commit the temporary name is gone and this fails, as it should.
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Creates the directory a file goes into.
fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// `dir/.name.tmp-PID-N`: beside the final file, so the rename stays on one file system, and
/// unique to each [`AtomicFile`] of the process, so two writers of one path (runs in the same
/// process) never write, rename or remove each other's temporary file.
fn temp_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_writers_of_one_path_do_not_undo_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        let mut first = AtomicFile::create(&path).unwrap();
        let probe = AtomicFile::create(&path).unwrap();
        std::io::Write::write_all(&mut first, b"{}").unwrap();
        first.commit().unwrap();
        let mut second = AtomicFile::create(&path).unwrap();
        drop(probe);
        std::io::Write::write_all(&mut second, b"[]").unwrap();
        second.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[]");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left");
    }

    #[test]
    fn unknown_field_gets_a_suggestion_and_a_location() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Case {
            class: String,
            title: String,
        }
        let text = "{\n  \"clas\": \"valid\"\n}";
        let err = serde_json::from_str::<Case>(text).unwrap_err();
        let diag = FileError::from_json(Path::new("cases/x.json"), err);
        assert_eq!(diag.location, Some((2, 8)));
        assert_eq!(diag.help.as_deref(), Some("did you mean `class`?"));
        let shown = diag.to_string();
        assert!(shown.contains("--> cases/x.json:2:8"), "{shown}");
        assert!(shown.starts_with("unknown field `clas`"), "{shown}");
    }

    #[test]
    fn far_off_words_get_the_list_instead() {
        assert_eq!(did_you_mean("zzz", ["class", "title"]), None);
        assert_eq!(did_you_mean("titel", ["class", "title"]), Some("title"));
    }
}
