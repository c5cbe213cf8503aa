//! Media types as the contract names them.

/// `application/json`, or any `application/*+json`, with or without parameters.
pub fn is_json_media_type(header: Option<&str>) -> bool {
    let Some(h) = header else { return false };
    let essence = h
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
