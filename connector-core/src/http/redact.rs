//! URLs as the SDK shows them: query values and userinfo replaced, so that an API key in a
//! query string, a token in a next link or a password pasted into a URL never reaches an
//! error, a log or a report.

use url::Url;

use crate::REDACTED;

/// `url` with every query value and any user name or password replaced by `[REDACTED]`;
/// parameter names, host and path are kept so that the message still says where.
///
/// ```
/// use connector_core::http::redact_url;
/// let url = url::Url::parse("https://me:pw@api.example/v1/users?api_key=K3Y&cursor=abc").unwrap();
/// assert_eq!(
///     redact_url(&url),
///     "https://api.example/v1/users?api_key=[REDACTED]&cursor=[REDACTED]"
/// );
/// ```
pub fn redact_url(url: &Url) -> String {
    let mut shown = url.clone();
    // Both only fail for URLs that cannot have credentials, which is what we want.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    let mut text = shown.to_string();
    let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    if !names.is_empty() {
        text.push('?');
        let parts: Vec<String> = names.iter().map(|k| format!("{k}={REDACTED}")).collect();
        text.push_str(&parts.join("&"));
    }
    text
}

/// Redacts every URL inside `text` (used on error messages of libraries that quote URLs).
pub fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let trimmed = word.trim_matches(|c: char| matches!(c, '(' | ')' | '"' | '\'' | ',' | ';'));
        match Url::parse(trimmed) {
            Ok(url) if url.has_host() && word.contains("://") => {
                out.push_str(&word.replace(trimmed, &redact_url(&url)));
            }
            _ => out.push_str(word),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_and_query_values_are_replaced() {
        let url = Url::parse("https://u:p@h.example:8443/a?x=1&y=two#frag").unwrap();
        assert_eq!(
            redact_url(&url),
            "https://h.example:8443/a?x=[REDACTED]&y=[REDACTED]"
        );
        let plain = Url::parse("https://h.example/a").unwrap();
        assert_eq!(redact_url(&plain), "https://h.example/a");
    }

    #[test]
    fn urls_inside_text_are_redacted() {
        let text = "error sending request for url (https://h.example/t?client_secret=S3) now";
        let out = redact_urls_in(text);
        assert!(!out.contains("S3"), "{out}");
        assert!(
            out.contains("https://h.example/t?client_secret=[REDACTED]"),
            "{out}"
        );
    }
}
