//! The shape of `src/`: stages that import one way, as `lib.rs` states the rules, files that fit
//! on a reader's screen, and functions that fit in a reader's head where the engine runs.
//!
//! The rules are read from `lib.rs`'s `//!` text, so the documentation and the test cannot drift:
//! the line that starts with `Import rules:` lists the stages in rank order (`a` < `b` < ...),
//! the one that starts with `Leaves:` the modules that import nothing of the crate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The most lines a file of `src/` may have.
const MAX_FILE_LINES: usize = 800;
/// The most lines a function may have in the stages that run cases and report them.
const MAX_FN_LINES: usize = 80;
const SHORT_FUNCTION_STAGES: [&str; 4] = ["engine", "check", "http", "report"];

pub fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted, with its path relative to `src/`.
pub fn rust_files(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src()).unwrap();
                let rel = rel.to_string_lossy().replace('\\', "/");
                files.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// The text with comments and the contents of string and character literals blanked out, line
/// breaks kept, so what remains is code and line numbers still hold.
fn code_only(text: &str) -> String {
    scrub(text, false)
}

/// The text with comments blanked out; string literals kept when `keep_strings`.
fn scrub(text: &str, keep_strings: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &[char], out: &mut String| {
        for c in s {
            out.push(if *c == '\n' { '\n' } else { ' ' });
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(chars.len(), |p| i + p);
            keep_lines(&chars[i..end], &mut out);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            let mut j = i;
            while j < chars.len() {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            keep_lines(&chars[i..j.min(chars.len())], &mut out);
            i = j;
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"..." or r#"..."#.
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let body = i + 2 + hashes;
            let mut j = body;
            while j < chars.len() {
                if chars[j] == '"'
                    && chars[j + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|c| **c == '#')
                        .count()
                        == hashes
                {
                    break;
                }
                j += 1;
            }
            out.push_str("r\"");
            let inner = &chars[body..j.min(chars.len())];
            if keep_strings {
                out.extend(inner);
            } else {
                keep_lines(inner, &mut out);
            }
            out.push('"');
            i = (j + 1 + hashes).min(chars.len());
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            out.push('"');
            let inner = &chars[i + 1..j.min(chars.len())];
            if keep_strings {
                out.extend(inner);
            } else {
                keep_lines(inner, &mut out);
            }
            out.push('"');
            i = j + 1;
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{..}'), not a lifetime ('a without a closing quote).
            let close = if next == Some('\\') {
                chars[i + 2..]
                    .iter()
                    .position(|c| *c == '\'')
                    .map(|p| i + 2 + p)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    out.push_str("' '");
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The module path of a file: `engine/run.rs` is `[engine, run]`, `engine/mod.rs` `[engine]`,
/// `lib.rs` `[]`.
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") || rel == "lib.rs" || rel == "main.rs" {
        parts.pop();
    }
    parts
}

/// The top-level module a file belongs to: `engine` for `engine/run.rs`, `diag` for `diag.rs`.
pub fn stage_of(rel: &str) -> String {
    rel.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_string()
}

/// The top-level modules of the crate that a file's code names, with the line of each: through
/// `crate::x`, `crate::{x, y::z}`, or `super::` chains that climb to the crate root.
fn crate_references(rel: &str, code: &str) -> Vec<(String, usize)> {
    let file_depth = module_path(rel).len();
    let inline = inline_module_depths(code);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let depth = file_depth + inline[n];
        let mut rest = line;
        while let Some(at) = find_word(rest, "crate") {
            let after = &rest[at + "crate".len()..];
            rest = after;
            let Some(path) = after.trim_start().strip_prefix("::") else {
                continue;
            };
            for top in first_segments(path, code, n) {
                found.push((top, n + 1));
            }
        }
        let mut rest = line;
        while let Some(at) = find_word(rest, "super") {
            let mut path = &rest[at..];
            let mut climbs = 0;
            while let Some(p) = path.strip_prefix("super::") {
                climbs += 1;
                path = p;
            }
            rest = &rest[at + "super".len()..];
            if climbs >= depth && climbs > 0 {
                for top in first_segments(path, code, n) {
                    found.push((top, n + 1));
                }
            }
        }
    }
    found
}

/// For each line, how many inline modules (`mod tests { ... }`) it sits in, so `super::` is
/// resolved from the right module.
fn inline_module_depths(code: &str) -> Vec<usize> {
    let mut depths = Vec::new();
    // The brace depth at which each open inline module began.
    let mut open: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod = false;
    for line in code.lines() {
        depths.push(open.len());
        let mut prev_mod = false;
        let mut token = String::new();
        for c in line.chars().chain(std::iter::once(' ')) {
            if c.is_alphanumeric() || c == '_' {
                token.push(c);
                continue;
            }
            if !token.is_empty() {
                if prev_mod {
                    pending_mod = true;
                }
                prev_mod = token == "mod";
                token.clear();
            }
            match c {
                '{' => {
                    if pending_mod {
                        open.push(depth);
                        pending_mod = false;
                    }
                    depth += 1;
                }
                '}' => {
                    depth = depth.saturating_sub(1);
                    if open.last() == Some(&depth) {
                        open.pop();
                    }
                }
                ';' => pending_mod = false,
                _ => {}
            }
        }
    }
    depths
}

/// The first segments of a path: `x::y` gives `x`, `{x, y::z}` gives `x` and `y` (a group may
/// run over several lines, so the rest of the code from line `n` is searched for its end).
fn first_segments(path: &str, code: &str, n: usize) -> Vec<String> {
    let path = path.trim_start();
    if let Some(group) = path.strip_prefix('{') {
        let tail: String = std::iter::once(group.to_string())
            .chain(code.lines().skip(n + 1).map(String::from))
            .collect::<Vec<_>>()
            .join("\n");
        let mut depth = 0;
        let mut segments = Vec::new();
        let mut at_start = true;
        let mut word = String::new();
        for c in tail.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => at_start = true,
                c if (c.is_alphanumeric() || c == '_') && depth == 0 && at_start => word.push(c),
                _ => {
                    if !word.is_empty() {
                        segments.push(std::mem::take(&mut word));
                        at_start = false;
                    }
                }
            }
        }
        if !word.is_empty() {
            segments.push(word);
        }
        segments.retain(|s| s != "self");
        return segments;
    }
    let word: String = path
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() {
        Vec::new()
    } else {
        vec![word]
    }
}

/// The byte offset of `word` in `text` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !is_ident(before) && !is_ident(after) && before != Some('$') {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The rules as `lib.rs` states them: stage ranks and leaves.
struct Rules {
    rank: BTreeMap<String, usize>,
    leaves: Vec<String>,
}

fn rules() -> Rules {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let doc: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .collect();
    let doc = doc.join(" ");
    let after = |label: &str| -> String {
        let at = doc
            .find(label)
            .unwrap_or_else(|| panic!("lib.rs's `//!` has no `{label}`"));
        let rest = &doc[at + label.len()..];
        rest[..rest.find('.').unwrap_or(rest.len())].to_string()
    };
    let ticked =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(String::from).collect() };
    let order = ticked(&after("Import rules:"));
    assert!(order.len() >= 5, "stage order from lib.rs: {order:?}");
    let leaves = ticked(&after("Leaves:"));
    assert!(
        leaves.contains(&"diag".to_string()),
        "leaves from lib.rs: {leaves:?}"
    );
    Rules {
        rank: order.into_iter().enumerate().map(|(i, s)| (s, i)).collect(),
        leaves,
    }
}

/// Whether a file of `stage` may name the top-level module `target`.
fn allowed(rules: &Rules, rel: &str, target: &str) -> Result<(), String> {
    let stage = stage_of(rel);
    if stage == target {
        return Ok(());
    }
    if stage == "main" || stage == "lib" {
        return Ok(());
    }
    if rules.leaves.contains(&stage) {
        return Err(format!(
            "`{stage}` is a leaf and imports nothing of the crate"
        ));
    }
    if rules.leaves.iter().any(|l| l == target) {
        return Ok(());
    }
    if target == "server" {
        let engine_run = rel == "engine/run.rs" || rel.starts_with("engine/run/");
        return if stage == "app" || engine_run {
            Ok(())
        } else {
            Err("only `engine::run` and `app` start the reference server".into())
        };
    }
    if stage == "server" {
        return if target == "contract" {
            Ok(())
        } else {
            Err("the reference server imports only `contract`".into())
        };
    }
    match (rules.rank.get(&stage), rules.rank.get(target)) {
        (Some(a), Some(b)) if b <= a => Ok(()),
        (Some(_), Some(_)) => Err(format!("`{stage}` ranks below `{target}`")),
        (None, _) => Err(format!("`{stage}` is in no rule of lib.rs")),
        (_, None) => Err(format!("`{target}` is in no rule of lib.rs")),
    }
}

fn import_violations(files: &[(String, String)]) -> Vec<String> {
    let rules = rules();
    let mut found = Vec::new();
    for (rel, text) in files {
        let code = code_only(text);
        for (target, line) in crate_references(rel, &code) {
            if let Err(why) = allowed(&rules, rel, &target) {
                found.push(format!("src/{rel}:{line}: names `crate::{target}`: {why}"));
            }
        }
    }
    found
}

#[test]
fn stages_import_only_downwards_as_lib_rs_states() {
    let files = rust_files(&src());
    assert!(files.len() > 40, "{}", files.len());
    let found = import_violations(&files);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_import_check_catches_each_kind_of_path() {
    // The check must see a path however it is spelt, or it proves nothing.
    let file = |rel: &str, text: &str| vec![(rel.to_string(), text.to_string())];
    let cases = [
        ("check/verdict.rs", "use crate::engine::known::Mark;\n"),
        (
            "check/verdict.rs",
            "use crate::{\n    cases::Case,\n    report::Status,\n};\n",
        ),
        (
            "contract/mod.rs",
            "fn f() { crate::cases::Class::Valid; }\n",
        ),
        ("engine/executor.rs", "use crate::report::CaseResult;\n"),
        ("engine/executor.rs", "use crate::server::Options;\n"),
        ("server/faults.rs", "use crate::cases::Case;\n"),
        ("diag.rs", "use crate::contract::Operation;\n"),
        ("engine/mod.rs", "use super::report::human;\n"),
        (
            "engine/property/mod.rs",
            "use super::super::report::human;\n",
        ),
        ("report/x.rs", "use crate::app::cli::Cli;\n"),
        (
            "server/mod.rs",
            "mod tests {\n    use super::super::report::human;\n}\n",
        ),
    ];
    for (rel, text) in cases {
        assert_eq!(
            import_violations(&file(rel, text)).len(),
            1,
            "{rel}: {text}"
        );
    }
    let fine = [
        ("engine/run.rs", "use crate::server::{self, Options};\n"),
        (
            "report/human.rs",
            "use crate::{check::Verdict, engine::outcome::CaseResult};\n",
        ),
        (
            "check/http.rs",
            "use super::Verdict;\nuse crate::diag::FileError;\n",
        ),
        (
            "cases/file.rs",
            "// use crate::engine::run;\nlet s = \"crate::report\";\n",
        ),
        (
            "server/mod.rs",
            "use crate::contract::is_standard_method;\n",
        ),
        ("app/cli.rs", "use crate::report::human;\n"),
        (
            "server/faults.rs",
            "mod tests {\n    use super::super::Fault;\n}\n",
        ),
    ];
    for (rel, text) in fine {
        assert_eq!(
            import_violations(&file(rel, text)),
            Vec::<String>::new(),
            "{rel}: {text}"
        );
    }
}

#[test]
fn only_the_edge_names_the_command_line_or_the_environment() {
    let mut found = Vec::new();
    for (rel, text) in rust_files(&src()) {
        let stage = stage_of(&rel);
        if stage == "app" {
            continue;
        }
        // Strings count here: an environment variable is named in a string.
        let code_and_strings = scrub(&text, true);
        for (n, line) in code_and_strings.lines().enumerate() {
            if find_word(line, "clap").is_some() || line.contains("PROVISIONR_") {
                found.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
            // The reference server implements this very API and may name its path parameter.
            if stage != "server" && mentions_service(line) {
                found.push(format!(
                    "src/{rel}:{}: names `service`: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_naming_check_sees_identifiers_not_prose() {
    assert!(mentions_service("let service_id = 1;"));
    assert!(mentions_service("fn f(s: &Service) {}"));
    assert!(!mentions_service("// the service parameter"));
    assert!(!mentions_service(
        "let p = \"create-service-access-token.json\";"
    ));
}

/// Whether code (not a comment or string) names an identifier with `service` in it.
fn mentions_service(line: &str) -> bool {
    let blanked = code_only(line);
    blanked
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w.to_ascii_lowercase().contains("service"))
}

#[test]
fn no_file_is_longer_than_a_reader_can_hold() {
    let long: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|(_, text)| text.lines().count() > MAX_FILE_LINES)
        .map(|(rel, text)| format!("src/{rel}: {} lines", text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// Every function of a file with its name, first line and length in lines, from `fn` to its
/// closing brace.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let code = code_only(text);
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = find_word(line, "fn") else {
            continue;
        };
        let name: String = line[at + 2..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // `fn(` in a type
        }
        let mut depth = 0usize;
        let mut opened = false;
        let mut end = None;
        'scan: for (j, l) in lines.iter().enumerate().skip(i) {
            let from = if j == i { at } else { 0 };
            for c in l[from..].chars() {
                match c {
                    ';' if !opened && depth == 0 => break 'scan,
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if opened && depth == 0 {
                            end = Some(j);
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(end) = end {
            found.push((name, i + 1, end - i + 1));
        }
    }
    found
}

#[test]
fn functions_where_cases_run_and_are_reported_are_short() {
    let mut long = Vec::new();
    for (rel, text) in rust_files(&src()) {
        if !SHORT_FUNCTION_STAGES.contains(&stage_of(&rel).as_str()) {
            continue;
        }
        for (name, line, len) in functions(&text) {
            if len > MAX_FN_LINES {
                long.push(format!("src/{rel}:{line}: fn {name}: {len} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_length_checks_measure_what_they_claim() {
    let body: String = (0..90).map(|i| format!("    let x{i} = {i};\n")).collect();
    let text = format!(
        "fn short() {{ let s = \"}}\"; }}\n/// fn in a comment {{\nfn long() {{\n{body}}}\n\
         trait T {{ fn declared(&self); }}\n"
    );
    let found = functions(&text);
    assert_eq!(found[0], ("short".to_string(), 1, 1));
    assert_eq!(found[1], ("long".to_string(), 3, 92));
    assert_eq!(found.len(), 2, "{found:?}");
}
