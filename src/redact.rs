//! Redaction: every text that leaves the process passes through a [`Redactor`] first.

/// What replaces a secret in output.
pub const REDACTED: &str = "[REDACTED]";

/// Removes the run's secrets from text, and characters that break XML consumers.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// The text with every secret replaced by [`REDACTED`].
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }

    /// [`Redactor::apply`], then characters XML 1.0 cannot carry become U+FFFD.
    pub fn for_xml(&self, text: &str) -> String {
        self.apply(text)
            .chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => c,
                '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
                _ => c,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_everywhere() {
        let r = Redactor::new(["s3cret".to_string(), String::new()]);
        assert_eq!(
            r.apply("Bearer s3cret and s3cret"),
            "Bearer [REDACTED] and [REDACTED]"
        );
        assert_eq!(r.apply("nothing here"), "nothing here");
    }

    #[test]
    fn xml_text_loses_control_characters() {
        let r = Redactor::default();
        assert_eq!(
            r.for_xml("a\u{1b}[31mb\u{fffe}\n"),
            "a\u{fffd}[31mb\u{fffd}\n"
        );
    }
}
