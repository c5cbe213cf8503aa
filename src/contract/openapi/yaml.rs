//! YAML to JSON for OpenAPI documents, built from the parser's events so that a hostile document
//! cannot exhaust the machine: aliases count every node they repeat against a budget (a
//! "billion laughs" document is refused, not expanded), and nesting is bounded as serde_json
//! bounds it.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

/// Nodes the aliases of a document may repeat in all: far above any real OpenAPI document, far
/// below what would exhaust memory. (The nodes written out are bounded by the file's size.)
pub const MAX_ALIASED_NODES: usize = 1_000_000;

/// How many bytes of a scalar count as one node against [`MAX_ALIASED_NODES`].
const BYTES_PER_NODE: usize = 64;

/// Nesting depth, as serde_json allows for JSON.
pub const MAX_DEPTH: usize = 128;

/// Why a document is not taken, and where (1-based line and column).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// The parser's own error, when the text is not YAML at all.
    #[source]
    pub source: Option<yaml_rust2::ScanError>,
}

/// The first document of `text` as JSON.
pub fn to_json(text: &str) -> Result<Value, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    let at = |m: Marker, message: String| YamlError {
        message,
        line: m.line(),
        column: m.col() + 1,
        source: None,
    };
    if let Err(e) = parser.load(&mut builder, false) {
        let mut error = at(*e.marker(), format!("not YAML: {}", e.info()));
        error.source = Some(e);
        return Err(error);
    }
    if let Some((message, mark)) = builder.error {
        return Err(at(mark, message));
    }
    builder.document.ok_or_else(|| YamlError {
        message: "the document is empty".into(),
        line: 1,
        column: 1,
        source: None,
    })
}

enum Frame {
    Seq(Vec<Value>),
    Map(Map<String, Value>, Option<String>),
}

#[derive(Default)]
struct Builder {
    /// Open collections, each with its anchor, the nodes it holds so far and their height.
    stack: Vec<(Frame, usize, usize, usize)>,
    /// Anchored nodes, with their node counts and heights, for aliases.
    anchors: HashMap<usize, (Value, usize, usize)>,
    /// Nodes repeated by aliases so far.
    aliased: usize,
    document: Option<Value>,
    error: Option<(String, Marker)>,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() || self.document.is_some() {
            return;
        }
        if let Err(message) = self.event(ev) {
            self.error = Some((message, mark));
        }
    }
}

impl Builder {
    fn event(&mut self, ev: Event) -> Result<(), String> {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_ref())?;
                // A long scalar weighs as much as the nodes its bytes would make: an alias to
                // it repeats its text.
                let weight = 1 + text.len() / BYTES_PER_NODE;
                self.insert(value, anchor, weight, 0)
            }
            Event::SequenceStart(anchor, _) => self.open(Frame::Seq(Vec::new()), anchor),
            Event::MappingStart(anchor, _) => self.open(Frame::Map(Map::new(), None), anchor),
            Event::SequenceEnd | Event::MappingEnd => {
                let (frame, anchor, count, height) =
                    self.stack.pop().ok_or("an unbalanced collection")?;
                let value = match frame {
                    Frame::Seq(items) => Value::Array(items),
                    Frame::Map(map, _) => Value::Object(map),
                };
                self.insert(value, anchor, count + 1, height + 1)
            }
            Event::Alias(id) => {
                let (value, count, height) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or("an alias to an unknown anchor")?;
                self.aliased += count;
                if self.aliased > MAX_ALIASED_NODES {
                    return Err(format!(
                        "its aliases repeat more than {MAX_ALIASED_NODES} nodes"
                    ));
                }
                // An anchor nested deep, repeated deep, would nest deeper than any text does.
                if self.stack.len() + height > MAX_DEPTH {
                    return Err(format!("its aliases nest deeper than {MAX_DEPTH} levels"));
                }
                self.insert(value, 0, count, height)
            }
            _ => Ok(()),
        }
    }

    fn open(&mut self, frame: Frame, anchor: usize) -> Result<(), String> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.stack.push((frame, anchor, 0, 0));
        Ok(())
    }

    /// Puts a finished node into its parent (or makes it the document), counting its nodes and
    /// keeping the parent's height.
    fn insert(
        &mut self,
        value: Value,
        anchor: usize,
        count: usize,
        height: usize,
    ) -> Result<(), String> {
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), count, height));
        }
        let Some((frame, _, held, parent_height)) = self.stack.last_mut() else {
            self.document = Some(value);
            return Ok(());
        };
        *held += count;
        *parent_height = (*parent_height).max(height);
        match frame {
            Frame::Seq(items) => items.push(value),
            Frame::Map(map, pending) => match pending.take() {
                None => *pending = Some(key_text(value)?),
                Some(key) => {
                    map.insert(key, value);
                }
            },
        }
        Ok(())
    }
}

/// A mapping key as JSON has it: text.
fn key_text(key: Value) -> Result<String, String> {
    match key {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok("null".into()),
        _ => Err("a mapping key that is a collection".into()),
    }
}

/// A scalar by YAML 1.2's core schema: quoted is text; plain is null, a boolean, a number or text.
fn scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let is_str = tag.is_some_and(|t| t.handle == "tag:yaml.org,2002:" && t.suffix == "str");
    if style != TScalarStyle::Plain || is_str {
        return Ok(Value::String(text.to_string()));
    }
    // Beyond i64, where YAML's own reading would round to a float: JSON holds it exactly.
    if let Ok(n) = text.parse::<u64>() {
        return Ok(Value::from(n));
    }
    Ok(match Yaml::from_str(text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("`{r}` is not a number JSON can hold"))?,
        _ => Value::String(text.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_maps_and_sequences() {
        let v = to_json("a: 1\nb: [true, null, 'x', 2.5, \"3\"]\nc: {d: ~}\n5: five\n").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": [true, null, "x", 2.5, "3"], "c": {"d": null}, "5": "five"})
        );
    }

    #[test]
    fn aliases_are_expanded_within_the_budget() {
        let v = to_json("base: &b {type: string}\nx: *b\ny: *b\n").unwrap();
        assert_eq!(v["y"], serde_json::json!({"type": "string"}));
    }

    #[test]
    fn a_billion_laughs_is_refused_not_expanded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let e = to_json(&text).unwrap_err();
        assert!(e.message.contains("aliases"), "{}", e.message);
        assert!(e.line >= 6, "{}", e.line);
    }

    #[test]
    fn aliases_to_a_long_scalar_count_its_bytes() {
        let long = "x".repeat(1 << 20);
        let aliases = vec!["*s"; 100].join(", ");
        let e = to_json(&format!("s: &s {long}\nl: [{aliases}]\n")).unwrap_err();
        assert!(e.message.contains("aliases"), "{}", e.message);
        // A few repeats of it are fine.
        assert!(to_json(&format!("s: &s {long}\nl: [*s, *s]\n")).is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(to_json(&deep).unwrap_err().message.contains("deeper"));
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(to_json(&fine).is_ok());
    }

    #[test]
    fn aliases_cannot_nest_deeper_than_text_can() {
        // Each anchor nests 100 levels and holds the one before: 300 levels from 3 lines.
        let level = |inner: &str| format!("{}{inner}{}", "[".repeat(100), "]".repeat(100));
        let text = format!(
            "a: &a {}\nb: &b {}\nc: {}\n",
            level("x"),
            level("*a"),
            level("*b")
        );
        let e = to_json(&text).unwrap_err();
        assert!(e.message.contains("nest deeper"), "{}", e.message);
        assert_eq!(e.line, 2, "{e:?}");
        // The same alias used shallow is fine.
        assert!(to_json(&format!("a: &a {}\nb: [*a]\n", level("x"))).is_ok());
    }

    #[test]
    fn errors_say_where() {
        let e = to_json("a: [unclosed\n").unwrap_err();
        assert!(e.message.starts_with("not YAML"), "{}", e.message);
        assert!(e.line >= 1);
        assert!(to_json("a: .inf\n").unwrap_err().message.contains("number"));
        assert!(to_json("[a]: 1\n").unwrap_err().message.contains("key"));
    }
}
