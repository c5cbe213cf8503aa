//! Media types as the contract names them.

/// The essence of a media type: its type and subtype in lower case, without parameters.
pub fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `application/json`, or any `application/*+json`, with or without parameters.
pub fn is_json_media_type(header: Option<&str>) -> bool {
    let Some(h) = header else { return false };
    let essence = essence(h);
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
