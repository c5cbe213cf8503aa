//! RFC 6901 JSON pointers: the one escape and unescape of a reference token, for the loaders,
//! the deriver, the generator and the checks.

/// RFC 6901 escaping of one reference token of a JSON pointer.
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// RFC 6901 unescaping of one reference token: the inverse of [`pointer_token`].
pub fn pointer_unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// `pointer` with `token` appended, escaped.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", pointer_token(token))
}

/// The reference tokens of `pointer`, unescaped: none for `""` (the whole document).
pub fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(pointer_unescape)
}

/// The first reference token of `pointer`, unescaped, when it has one.
pub fn first_token(pointer: &str) -> Option<String> {
    tokens(pointer).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_escape_and_unescape_as_rfc_6901_says() {
        for raw in ["a/b", "m~n", "~1", "/~0/", "", "plain"] {
            assert_eq!(pointer_unescape(&pointer_token(raw)), raw, "{raw:?}");
        }
        assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
        // `~01` is `~1` escaped, not `/`.
        assert_eq!(pointer_unescape("~01"), "~1");
        assert_eq!(child("/properties", "a/b"), "/properties/a~1b");
        assert_eq!(tokens("/a~1b/c~0d").collect::<Vec<_>>(), ["a/b", "c~d"]);
        assert_eq!(tokens("").count(), 0);
        assert_eq!(first_token("/x~1y/z").as_deref(), Some("x/y"));
        assert_eq!(first_token(""), None);
    }
}
