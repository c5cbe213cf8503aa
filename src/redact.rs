//! Redaction: every text that leaves the process passes through a [`Redactor`] first, and
//! secret-looking fields of responses are masked as they are recorded ([`secret_values`]).
//!
//! A server may echo the token in another form than it was sent: JSON-escaped (`\"`, `\\`, and
//! PHP's `\/`), with `\u` escapes, percent-encoded, HTML-escaped, or trimmed of whitespace. The
//! redactor looks for every one of these forms.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// What replaces a secret in output.
pub const REDACTED: &str = "[REDACTED]";

/// What replaces the value of a secret-looking response field.
pub const MASKED: &str = "[MASKED]";

/// Response fields whose values are secrets, by name (case and `-`/`_` ignored).
pub const SECRET_FIELDS: &[&str] = &[
    "token",
    "plain_text_token",
    "access_token",
    "refresh_token",
    "secret",
    "client_secret",
    "password",
    "api_key",
    "private_key",
];

/// Removes the run's secrets from text, and characters that break XML consumers.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first, so a form that contains another goes whole.
    forms: Vec<(String, &'static str)>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        Redactor::with_marker(secrets, REDACTED)
    }

    /// A redactor that writes `marker` in place of each secret.
    pub fn with_marker(secrets: impl IntoIterator<Item = String>, marker: &'static str) -> Self {
        let mut forms: Vec<(String, &'static str)> = Vec::new();
        for secret in secrets {
            for variant in [secret.as_str(), secret.trim()] {
                for form in forms_of(variant) {
                    if !form.is_empty() && !forms.iter().any(|(f, _)| *f == form) {
                        forms.push((form, marker));
                    }
                }
            }
        }
        forms.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
        Redactor { forms }
    }

    /// Whether there is anything to redact.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// The text with every form of every secret replaced.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (form, marker) in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), marker);
            }
        }
        out
    }

    /// [`Redactor::apply`], then control characters are written as escapes, so a server's
    /// answer cannot move the cursor, recolour or rewrite a terminal or a CI log.
    pub fn for_terminal(&self, text: &str) -> String {
        let mut out = String::new();
        for c in self.apply(text).chars() {
            match c {
                '\n' | '\t' => out.push(c),
                c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
                c => out.push(c),
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

/// The secrets a credential stands for: the value itself; for HTTP basic (`user:password`)
/// also the password alone and `base64(user:password)` as it is sent (with and without padding).
pub fn credential_secrets(value: &str, basic: bool) -> Vec<String> {
    let mut out = vec![value.to_string()];
    if basic {
        if let Some((_, password)) = value.trim().split_once(':') {
            out.push(password.to_string());
        }
        for v in [value, value.trim()] {
            let encoded = base64(v);
            out.push(encoded.trim_end_matches('=').to_string());
            out.push(encoded);
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648 4), as HTTP basic sends `user:password`.
pub fn base64(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(s.len().div_ceil(3) * 4);
    for chunk in s.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encoding as RFC 3986 does it: everything but the unreserved characters.
const URL_ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The forms a server may echo a secret in.
fn forms_of(s: &str) -> Vec<String> {
    let json = json_inner(s);
    let percent = utf8_percent_encode(s, URL_ENCODED).to_string();
    // Some encoders escape the unreserved `-._~` too.
    let percent_all = utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let mut forms = vec![
        s.to_string(),
        json.clone(),
        // PHP's json_encode escapes the slash.
        json.replace('/', "\\/"),
        // Python's ensure_ascii, Go's HTML-safe escapes, and encoders that escape every
        // punctuation character.
        escape_u(s, |c| !c.is_ascii()),
        escape_u(s, |c| {
            matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}')
        }),
        escape_u(s, |c| !c.is_ascii_alphanumeric()),
        percent.clone(),
        lower_hex(&percent),
        lower_hex(&percent_all),
        // Form encoding writes a space as `+`.
        percent.replace("%20", "+"),
        percent_all.clone(),
        html_escape(s),
    ];
    // The \u forms with upper-case hex digits, as some encoders write them.
    let upper: Vec<String> = forms
        .iter()
        .filter(|f| f.contains("\\u"))
        .map(|f| upper_u(f))
        .collect();
    forms.extend(upper);
    forms
}

/// The text between the quotes of `s` as a JSON string.
fn json_inner(s: &str) -> String {
    let quoted = Value::String(s.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

/// `s` as a JSON string's inside, with the characters `escape` picks written as `\uXXXX`.
fn escape_u(s: &str, escape: impl Fn(char) -> bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if escape(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push_str(&json_inner(&c.to_string()));
        }
    }
    out
}

/// `\uXXXX` escapes with upper-case hex digits.
fn upper_u(s: &str) -> String {
    recase_after(s, "\\u", 4, char::to_ascii_uppercase)
}

/// `%XX` escapes with lower-case hex digits.
fn lower_hex(percent: &str) -> String {
    recase_after(percent, "%", 2, char::to_ascii_lowercase)
}

/// The `digits` characters after each `marker`, passed through `recase`.
fn recase_after(s: &str, marker: &str, digits: usize, recase: fn(&char) -> char) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find(marker) {
        let start = at + marker.len();
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .char_indices()
            .nth(digits)
            .map_or(rest.len(), |(i, _)| start + i);
        out.extend(rest[start..end].chars().map(|c| recase(&c)));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The string values of secret-looking fields ([`SECRET_FIELDS`]) anywhere in a JSON value.
pub fn secret_values(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_secrets(v, &mut out, 0);
    out
}

fn collect_secrets(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match x {
                    Value::String(s) if is_secret_name(k) && !s.is_empty() => out.push(s.clone()),
                    _ => collect_secrets(x, out, depth + 1),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_secrets(x, out, depth + 1)),
        _ => {}
    }
}

fn is_secret_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('-', "_");
    SECRET_FIELDS.contains(&key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_rfc_4648_s() {
        assert_eq!(base64(""), "");
        assert_eq!(base64("f"), "Zg==");
        assert_eq!(base64("fo"), "Zm8=");
        assert_eq!(base64("foo"), "Zm9v");
        assert_eq!(
            base64("Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn a_basic_credential_is_redacted_whole_as_its_password_and_in_base64() {
        let secrets = credential_secrets("alice:s3cret-pw", true);
        let r = Redactor::new(secrets);
        let text = format!(
            "user alice:s3cret-pw pw s3cret-pw basic {} echo {}",
            base64("alice:s3cret-pw"),
            base64("alice:s3cret-pw").trim_end_matches('=')
        );
        let out = r.apply(&text);
        assert!(!out.contains("s3cret"), "{out}");
        assert!(!out.contains(&base64("alice:s3cret-pw")[..8]), "{out}");
        assert_eq!(credential_secrets("k3y", false), ["k3y"]);
    }

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
    fn every_echoed_form_is_replaced() {
        let token = "pvt/a\"b\\c$d<é> ";
        let r = Redactor::new([token.to_string()]);
        for echoed in [
            token.to_string(),
            token.trim().to_string(),
            r#"pvt/a\"b\\c$d<é>"#.to_string(),
            r#"pvt\/a\"b\\c$d<é>"#.to_string(),
            r#"pvt/a\"b\\c$d<\u00e9>"#.to_string(),
            r#"pvt/a\"b\\c$d\u003cé\u003e"#.to_string(),
            r#"pvt\u002fa\u0022b\u005cc\u0024d\u003c\u00e9\u003e"#.to_string(),
            r#"pvt\u002Fa\u0022b\u005Cc\u0024d\u003C\u00E9\u003E"#.to_string(),
            "pvt%2Fa%22b%5Cc%24d%3C%C3%A9%3E".to_string(),
            "pvt%2fa%22b%5cc%24d%3c%c3%a9%3e".to_string(),
            "pvt/a&quot;b\\c$d&lt;é&gt;".to_string(),
        ] {
            let out = r.apply(&format!("[{echoed}]"));
            assert_eq!(out, "[[REDACTED]]", "{echoed} -> {out}");
        }
    }

    #[test]
    fn secret_fields_are_found_at_any_depth() {
        let v: Value = serde_json::json!({
            "id": "x",
            "Plain-Text-Token": "pt_1",
            "data": [{"password": "pw"}, {"secret": 3}],
        });
        assert_eq!(secret_values(&v), ["pt_1", "pw"]);
    }

    #[test]
    fn terminal_text_shows_control_characters_as_escapes() {
        let r = Redactor::default();
        assert_eq!(r.for_terminal("a\u{1b}[2Jb\r\n"), "a\\u{1b}[2Jb\\u{d}\n");
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
