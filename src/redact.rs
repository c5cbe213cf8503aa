//! Redaction: every text that leaves the process passes through a [`Redactor`] first, and
//! secret-looking fields of responses are masked as they are recorded ([`secret_values`]).
//!
//! A server may echo the token in another form than it was sent: JSON-escaped (`\"`, `\\`, and
//! PHP's `\/`) once or twice, with `\u` escapes, percent-encoded, HTML-escaped, trimmed of
//! whitespace, base64-encoded (alone, as `Bearer <token>`, or anywhere inside a longer encoded
//! text) or hex-encoded. One list of forms is made per secret ([`forms_of_secret`]), and one
//! matcher over all of them is what every output goes through.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
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

/// The shortest secret (in bytes) whose base64 and hex forms are redacted. The encoded forms of
/// a shorter one are a few characters of an alphabet that ordinary text is full of, so they
/// would match by chance; such a secret is redacted in its text forms only, and the run warns.
pub const MIN_ENCODED_SECRET_LEN: usize = 8;

/// Removes the run's secrets from text, and characters that break XML consumers.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first.
    forms: Arc<Vec<String>>,
    /// One pass over the text finds the leftmost, longest form, so a form that contains another
    /// goes whole.
    matcher: Option<Arc<AhoCorasick>>,
    marker: &'static str,
    /// How many secrets are too short for their encoded forms ([`MIN_ENCODED_SECRET_LEN`]).
    short: usize,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        Redactor::with_marker(secrets, REDACTED)
    }

    /// A redactor that writes `marker` in place of each secret.
    pub fn with_marker(secrets: impl IntoIterator<Item = String>, marker: &'static str) -> Self {
        let mut forms: Vec<String> = Vec::new();
        let mut short = 0;
        for secret in secrets {
            if secret.trim().is_empty() {
                continue;
            }
            if secret.trim().len() < MIN_ENCODED_SECRET_LEN {
                short += 1;
            }
            forms.extend(forms_of_secret(&secret));
        }
        forms.retain(|f| !f.is_empty());
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        let matcher = (!forms.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(forms.iter())
                    .ok()
            })
            .flatten()
            .map(Arc::new);
        Redactor {
            forms: Arc::new(forms),
            matcher,
            marker,
            short,
        }
    }

    /// Whether there is anything to redact.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// How many of the secrets are shorter than [`MIN_ENCODED_SECRET_LEN`], so that their
    /// base64 and hex forms are not redacted.
    pub fn short_secrets(&self) -> usize {
        self.short
    }

    /// The warning a run prints once when a secret is too short for its encoded forms.
    pub fn short_warning(&self) -> Option<String> {
        (self.short > 0).then(|| {
            format!(
                "warning: {} of the run's secrets (token or credential) {} shorter than {} \
                 characters: {} base64 and hex forms are not redacted, since they would match \
                 unrelated text (the secret as sent and escaped still is)",
                self.short,
                if self.short == 1 { "is" } else { "are" },
                MIN_ENCODED_SECRET_LEN,
                if self.short == 1 { "its" } else { "their" },
            )
        })
    }

    /// The text with every form of every secret replaced.
    pub fn apply(&self, text: &str) -> String {
        let Some(m) = &self.matcher else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        m.replace_all_with(text, &mut out, |_, _, dst| {
            dst.push_str(self.marker);
            true
        });
        out
    }

    /// Every string of a JSON value (and every key) with the secrets replaced, before it is
    /// serialized: its serializer escapes each string once more, past the forms listed here.
    pub fn apply_json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(s) => *s = self.apply(s),
            Value::Array(a) => a.iter_mut().for_each(|v| self.apply_json(v)),
            Value::Object(o) => {
                let old = std::mem::take(o);
                for (k, mut v) in old {
                    self.apply_json(&mut v);
                    o.insert(self.apply(&k), v);
                }
            }
            _ => {}
        }
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

/// `text` without terminal control sequences, for printing what a file holds that another
/// program wrote (a hostile summary): CSI (`ESC [` .. a final byte) and OSC, DCS, SOS, PM and
/// APC strings (up to BEL or `ESC \\`) go whole, in their 7-bit and C1 forms; any other escape
/// loses its next character; every other C0 and C1 control but the newline and the tab goes, and
/// so do the bidirectional overrides, which reorder what a terminal shows.
pub fn strip_terminal_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let introducer = match c {
            '\u{1b}' => chars.next(),
            '\u{9b}' => Some('['),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => Some(']'),
            '\n' | '\t' => {
                out.push(c);
                continue;
            }
            c if c.is_control() || is_bidi_control(c) => continue,
            c => {
                out.push(c);
                continue;
            }
        };
        match introducer {
            // CSI: parameter and intermediate bytes, then one final byte.
            Some('[') => {
                for p in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&p) || p.is_control() {
                        break;
                    }
                }
            }
            // A string, ended by BEL, ST (`ESC \\` or U+009C), or the end of the text.
            Some(']' | 'P' | 'X' | '^' | '_') => {
                while let Some(p) = chars.next() {
                    match p {
                        '\u{7}' | '\u{9c}' => break,
                        '\u{1b}' => {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
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
    base64_bytes(s.as_bytes())
}

fn base64_bytes(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
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

/// Every form of one secret the redactor looks for: for the secret as given and trimmed, its
/// text forms ([`forms_of`]) and each of them JSON-escaped once more (a JSON text inside a JSON
/// string); and, from [`MIN_ENCODED_SECRET_LEN`] bytes on, its encoded forms ([`encoded_forms`]).
pub fn forms_of_secret(secret: &str) -> Vec<String> {
    let mut out = Vec::new();
    for variant in [secret, secret.trim()] {
        if variant.is_empty() {
            continue;
        }
        for form in forms_of(variant) {
            out.push(json_inner(&form));
            out.push(json_inner(&form).replace('/', "\\/"));
            out.push(form);
        }
        if variant.len() >= MIN_ENCODED_SECRET_LEN {
            out.extend(encoded_forms(variant));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The base64 and hex forms of a secret: base64 of the secret and of `Bearer <secret>` (with
/// and without padding, standard and URL-safe alphabets, and with PHP's `\/` and
/// percent-encoded, as they travel in JSON and URLs); the characters of the secret's base64
/// at each of the three alignments it can have inside a longer encoded text
/// ([`base64_cores`]); and hex in both cases.
fn encoded_forms(s: &str) -> Vec<String> {
    let mut b64 = Vec::new();
    for text in [s.to_string(), format!("Bearer {s}")] {
        let padded = base64(&text);
        b64.push(padded.trim_end_matches('=').to_string());
        b64.push(padded);
    }
    b64.extend(base64_cores(s.as_bytes()));
    let mut out = Vec::new();
    for f in &b64 {
        let url_safe = f.replace('+', "-").replace('/', "_");
        out.push(f.replace('/', "\\/"));
        out.push(utf8_percent_encode(f, NON_ALPHANUMERIC).to_string());
        out.push(lower_hex(
            &utf8_percent_encode(f, NON_ALPHANUMERIC).to_string(),
        ));
        out.push(url_safe.trim_end_matches('=').to_string());
        out.push(url_safe);
        out.push(f.clone());
    }
    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
    out.push(hex.to_ascii_uppercase());
    out.push(hex);
    out
}

/// The base64 characters that encode only bytes of `secret`, when it starts at byte offset 0, 1
/// or 2 (mod 3) of a longer encoded text: whatever surrounds it, these characters are the same.
/// Character `i` of an encoding holds bits `6i..6i+6`; the secret's are `8a..8a+8n`.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for a in 0..3usize {
        let mut bytes = vec![0u8; a];
        bytes.extend_from_slice(secret);
        // Bytes after the secret change only characters past `last`.
        bytes.extend_from_slice(&[0, 0]);
        let encoded = base64_bytes(&bytes);
        let first = (8 * a).div_ceil(6);
        let last = (8 * (a + secret.len())) / 6;
        if let Some(core) = encoded.get(first..last) {
            out.push(core.to_string());
        }
    }
    out
}

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

    /// A token of every metacharacter class: JSON, shell, HTML, URL, glob and a space.
    const META: &str = "c4n\"ary\\$(id)`x`;|&<b>'%2F+=?#/{*}~ [0] pvt_05";

    #[test]
    fn json_escaped_twice_is_replaced_and_a_json_value_is_redacted_before_it_is_written() {
        let r = Redactor::new([META.to_string()]);
        let once = json_inner(META);
        let twice = json_inner(&once);
        for echoed in [once.clone(), twice.clone(), twice.replace('/', "\\/")] {
            assert_eq!(r.apply(&format!("<{echoed}>")), "<[REDACTED]>", "{echoed}");
        }
        // Three levels deep in the text, but each string of the value holds at most two.
        let mut v = serde_json::json!({ "actual": twice, "body": [format!("x{once}y")] });
        r.apply_json(&mut v);
        let text = serde_json::to_string(&serde_json::to_string(&v).unwrap()).unwrap();
        assert!(!text.contains("c4n"), "{text}");
        assert_eq!(v["body"][0], "x[REDACTED]y");
    }

    /// The base64 of `secret` inside a longer text, the secret starting at offset `a`.
    fn embedded_base64(secret: &str, a: usize) -> String {
        base64(&format!("{}{secret}~tail~", &"ABC"[..a]))
    }

    #[test]
    fn base64_at_each_alignment_bearer_and_hex_are_replaced() {
        let r = Redactor::new([META.to_string()]);
        for a in 0..3 {
            let text = embedded_base64(META, a);
            let out = r.apply(&text);
            assert!(out.contains(REDACTED), "alignment {a}: {text} -> {out}");
            // What is left is the few characters that also encode the surrounding bytes.
            assert!(out.len() < REDACTED.len() + 20, "alignment {a}: {out}");
        }
        let bearer = base64(&format!("Bearer {META}"));
        let hex: String = META.bytes().map(|b| format!("{b:02x}")).collect();
        for echoed in [
            bearer.clone(),
            bearer.trim_end_matches('=').to_string(),
            bearer.replace('/', "\\/"),
            bearer.replace('+', "-").replace('/', "_"),
            hex.clone(),
            hex.to_ascii_uppercase(),
            base64(META),
        ] {
            assert_eq!(r.apply(&format!("[{echoed}]")), "[[REDACTED]]", "{echoed}");
        }
        assert_eq!(r.short_secrets(), 0);
        assert!(r.short_warning().is_none());
    }

    #[test]
    fn a_basic_credential_has_its_encoded_forms_as_the_token_does() {
        let r = Redactor::new(credential_secrets("alice:s3cret-pw-long", true));
        for text in [
            embedded_base64("s3cret-pw-long", 1),
            embedded_base64("alice:s3cret-pw-long", 2),
            "7333637265742d70772d6c6f6e67".to_string(),
        ] {
            assert!(r.apply(&text).contains(REDACTED), "{text}");
        }
    }

    #[test]
    fn a_short_secret_keeps_its_text_forms_and_warns_instead_of_its_encoded_ones() {
        let r = Redactor::new(["k3y".to_string(), "long-enough-token".to_string()]);
        assert_eq!(r.apply("a k3y b"), "a [REDACTED] b");
        // `azN5` (base64 of `k3y`) stays: four such characters appear in ordinary text.
        assert_eq!(r.apply("azN5 6b3379"), "azN5 6b3379");
        assert_eq!(r.short_secrets(), 1);
        let warning = r.short_warning().unwrap();
        assert!(warning.contains("shorter than 8"), "{warning}");
        assert!(!warning.contains("k3y"), "{warning}");
        // Whitespace alone is no secret: it would blank every space.
        assert!(Redactor::new([" ".to_string()]).is_empty());
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
    fn terminal_control_sequences_are_stripped_whole() {
        let hostile = "a\u{1b}[2J\u{1b}[1;31mb\u{1b}]0;title\u{7}c\u{1b}]8;;http://x\u{1b}\\d\
                       \u{9b}31me\u{9d}osc\u{9c}f\u{1b}Pdcs\u{1b}\\g\u{1b}7h\r\u{8}\u{7f}\u{85}\
                       i\u{202e}j\nk\tl";
        assert_eq!(strip_terminal_controls(hostile), "abcdefghij\nk\tl");
        // An unterminated sequence ends with the text, and never panics.
        assert_eq!(strip_terminal_controls("x\u{1b}]0;never ended"), "x");
        assert_eq!(strip_terminal_controls("x\u{1b}"), "x");
        assert_eq!(strip_terminal_controls("é\u{1b}[é"), "é");
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
