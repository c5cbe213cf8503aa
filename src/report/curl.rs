//! Reproduction commands: a request as a curl line that reads the token from the environment.

use crate::execute::SentRequest;

/// Quotes a word for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A curl command that sends the same request. The header that carried the token holds its
/// placeholder (`${VAR}`) and is double-quoted, so the shell fills the token in at run time.
pub fn command(req: &SentRequest) -> String {
    let mut parts = vec![
        "curl -sS -i".to_string(),
        format!("-X {}", req.method),
        quote(&req.url),
    ];
    for (i, (k, v)) in req.headers.iter().enumerate() {
        let line = format!("{k}: {v}");
        if req.placeholder == Some(i) {
            parts.push(format!("-H \"{}\"", line.replace('"', "\\\"")));
        } else {
            parts.push(format!("-H {}", quote(&line)));
        }
    }
    if !req.body.is_empty() {
        parts.push(format!("--data-binary {}", quote(&req.body_text())));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
            placeholder: Some(0),
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
}
