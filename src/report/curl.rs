//! Reproduction commands: a request as a curl line that reads the token from the environment.

use crate::http::{Encoding, Place, SentRequest};

/// Quotes a word for a POSIX shell; a word holding control characters is ANSI-C quoted
/// (`$'...'`, bash and zsh) with each one escaped, so the command sends the very bytes and no
/// terminal or report has a raw control character to mangle.
fn quote(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return format!("'{}'", s.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            '\n' => out.push_str(r"\n"),
            '\t' => out.push_str(r"\t"),
            '\r' => out.push_str(r"\r"),
            // Byte by byte, so the shell's locale does not matter.
            c if c.is_control() => {
                for b in c.to_string().bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Double-quotes a word whose placeholders (`${VAR}`) the shell is to fill in: `$`, backtick,
/// `"` and `\` anywhere else are escaped, so nothing but the placeholders expands.
fn double_quote(s: &str, placeholders: &[String]) -> String {
    let mut out = String::from("\"");
    let mut rest = s;
    'outer: while let Some(c) = rest.chars().next() {
        for p in placeholders {
            if let Some(after) = rest.strip_prefix(p.as_str()) {
                out.push_str(p);
                rest = after;
                continue 'outer;
            }
        }
        if matches!(c, '$' | '`' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
    out
}

/// A curl command that sends the same request. Each credential is its placeholder (`${VAR}`)
/// in a double-quoted word, so the shell fills it in at run time; HTTP basic goes as
/// `-u "${VAR}"`, which curl encodes itself.
pub fn command(req: &SentRequest) -> String {
    // `-X HEAD` would wait for the body a HEAD answer's Content-Length announces.
    let mut parts = if req.method == "HEAD" {
        vec!["curl -sS -I".to_string()]
    } else {
        vec!["curl -sS -i".to_string(), format!("-X {}", req.method)]
    };
    // curl reads `[...]` and `{...}` in a URL as globs: a deepObject query (`filter[status]=`)
    // and a placeholder must go as they are.
    if req.url.contains(['[', ']', '{', '}']) {
        parts.push("-g".to_string());
    }
    let at = |place: Place| -> Vec<String> {
        req.placeholders
            .iter()
            .filter(|p| p.place == place)
            .map(|p| p.text())
            .collect()
    };
    let in_query = at(Place::Query);
    parts.push(if in_query.is_empty() {
        quote(&req.url)
    } else {
        double_quote(&req.url, &in_query)
    });
    for (i, (k, v)) in req.headers.iter().enumerate() {
        let here = at(Place::Header(i));
        let basic = req
            .placeholders
            .iter()
            .find(|p| p.place == Place::Header(i) && p.encoding == Encoding::Base64);
        if let Some(p) = basic {
            parts.push(format!("-u {}", double_quote(&p.text(), &here)));
        } else if here.is_empty() {
            parts.push(format!("-H {}", quote(&format!("{k}: {v}"))));
        } else {
            parts.push(format!("-H {}", double_quote(&format!("{k}: {v}"), &here)));
        }
    }
    if !req.body.is_empty() {
        parts.push(format!("--data-binary {}", quote(&req.body_text())));
    }
    parts.join(" ")
}

/// The reproduction of a case whose path values came from set-up requests: each set-up
/// request's curl line first, under a comment saying which value to take from its answer, then
/// the case's.
pub fn with_setups(chained: &[crate::engine::outcome::Chained], req: &SentRequest) -> String {
    let mut out = String::new();
    let mut shown: Vec<&str> = Vec::new();
    for c in chained {
        out.push_str(&format!(
            "# set-up request ({}): take `{}` from its answer by {} (the run got {})\n",
            c.operation, c.param, c.from, c.value
        ));
        if !c.setup.url.is_empty() && !shown.contains(&c.setup.url.as_str()) {
            shown.push(&c.setup.url);
            out.push_str(&command(&c.setup));
            out.push('\n');
        }
    }
    out.push_str(&command(req));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Placeholder;

    fn request(method: &str, body: &str) -> SentRequest {
        SentRequest {
            method: method.into(),
            url: "http://127.0.0.1:1/api/v1/x".into(),
            headers: Vec::new(),
            placeholders: Vec::new(),
            body: body.to_string().into(),
            body_cut: None,
        }
    }

    #[test]
    fn control_characters_are_escaped_for_the_shell_not_mangled() {
        let line = command(&request("POST", "{\"a\":\"\u{7f}\u{1}'\\\"} \r\n\u{85}"));
        assert!(
            line.ends_with(r#"--data-binary $'{"a":"\x7f\x01\'\\"} \r\n\xc2\x85'"#),
            "{line}"
        );
        assert!(!line.chars().any(char::is_control), "{line:?}");
        let plain = command(&request("POST", "{}"));
        assert!(plain.ends_with("--data-binary '{}'"), "{plain}");
    }

    #[test]
    fn a_url_with_brackets_turns_globbing_off() {
        let mut req = request("GET", "");
        assert!(!command(&req).contains(" -g "));
        req.url = "http://127.0.0.1:1/x?filter[status]=open".into();
        let line = command(&req);
        assert!(
            line.starts_with("curl -sS -i -X GET -g 'http://127.0.0.1:1/x?filter[status]=open'"),
            "{line}"
        );
    }

    #[test]
    fn head_is_sent_with_dash_capital_i() {
        let line = command(&request("HEAD", ""));
        assert!(line.starts_with("curl -sS -I 'http://"), "{line}");
        assert!(!line.contains("-X"), "{line}");
    }

    #[test]
    fn the_placeholder_is_double_quoted_and_quotes_survive() {
        let req = SentRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:1/api/v1/x".into(),
            headers: vec![
                ("Authorization".into(), "Bearer ${API_TOKEN}".into()),
                ("Content-Type".into(), "application/json".into()),
                ("X-Literal".into(), "${NOT_EXPANDED}".into()),
            ],
            placeholders: vec![Placeholder {
                var: "API_TOKEN".into(),
                place: Place::Header(0),
                encoding: Encoding::Raw,
            }],
            body: r#"{"description":"it's"}"#.into(),
            body_cut: None,
        };
        let line = command(&req);
        assert!(
            line.contains(r#"-H "Authorization: Bearer ${API_TOKEN}""#),
            "{line}"
        );
        assert!(line.contains("-H 'X-Literal: ${NOT_EXPANDED}'"), "{line}");
        assert!(
            line.contains(r#"--data-binary '{"description":"it'\''s"}'"#),
            "{line}"
        );
    }

    fn placeholder(var: &str, place: Place, encoding: Encoding) -> Placeholder {
        Placeholder {
            var: var.into(),
            place,
            encoding,
        }
    }

    #[test]
    fn basic_goes_as_dash_u_and_a_query_or_cookie_credential_is_filled_in_by_the_shell() {
        let req = SentRequest {
            method: "GET".into(),
            url: "http://127.0.0.1:1/x?q=$HOME`id`\\\"&key=${KEY}".into(),
            headers: vec![
                ("Authorization".into(), "Basic ${BASIC}".into()),
                ("Cookie".into(), "theme=$dark; sid=${SID}".into()),
            ],
            placeholders: vec![
                placeholder("KEY", Place::Query, Encoding::Percent),
                placeholder("BASIC", Place::Header(0), Encoding::Base64),
                placeholder("SID", Place::Header(1), Encoding::Raw),
            ],
            body: Default::default(),
            body_cut: None,
        };
        let line = command(&req);
        assert!(
            line.contains(r#" -g "http://127.0.0.1:1/x?q=\$HOME\`id\`\\\"&key=${KEY}""#),
            "{line}"
        );
        assert!(line.contains(r#" -u "${BASIC}""#), "{line}");
        assert!(!line.contains("Authorization"), "{line}");
        assert!(
            line.contains(r#"-H "Cookie: theme=\$dark; sid=${SID}""#),
            "{line}"
        );
    }
}
