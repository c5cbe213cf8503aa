//! Reproduction commands: a request as a curl line that reads the token from the environment.

use crate::execute::{SentRequest, Target};

/// Quotes a word for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A curl command that sends the same request; the run's token becomes `$VAR`, never its value.
pub fn command(req: &SentRequest, target: &Target) -> String {
    let token = target.token().expose();
    let mut parts = vec![
        "curl -sS -i".to_string(),
        format!("-X {}", req.method),
        quote(&req.url),
    ];
    for (k, v) in &req.headers {
        let line = format!("{k}: {v}");
        if !token.is_empty() && line.contains(token) {
            // Double quotes let the shell fill in the token at run time.
            let with_var = line.replace(token, &format!("${{{}}}", target.token_env));
            parts.push(format!("-H \"{}\"", with_var.replace('"', "\\\"")));
        } else {
            parts.push(format!("-H {}", quote(&line)));
        }
    }
    if !req.body.is_empty() {
        parts.push(format!("--data-binary {}", quote(&req.body)));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::Secret;
    use std::time::Duration;

    #[test]
    fn the_token_becomes_a_variable_and_quotes_survive() {
        let target = Target::new(
            "http://127.0.0.1:1/api/v1",
            Default::default(),
            Secret::new("tok-123"),
            "PROVISIONR_TOKEN",
            Duration::from_secs(1),
        )
        .unwrap();
        let req = SentRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:1/api/v1/x".into(),
            headers: vec![
                ("Authorization".into(), "Bearer tok-123".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: r#"{"description":"it's"}"#.into(),
        };
        let line = command(&req, &target);
        assert!(!line.contains("tok-123"), "{line}");
        assert!(
            line.contains(r#"-H "Authorization: Bearer ${PROVISIONR_TOKEN}""#),
            "{line}"
        );
        assert!(
            line.contains(r#"--data-binary '{"description":"it'\''s"}'"#),
            "{line}"
        );
    }
}
