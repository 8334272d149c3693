//! [`ErrorPolicy`]: what a provider's API errors mean to a person, declared as data — a hint
//! per kind of failure (or per the API's own error code), in the provider's words. The
//! [`HttpClient`](super::HttpClient) applies it to every error it returns, so a provider writes
//! no error-mapping code. It may also say which failures are worth retrying
//! ([`ErrorPolicy::retry`]), where the SDK's own rule (429, 502–504, dropped connections) does
//! not fit the API.
//!
//! ```
//! use connector_core::http::{ErrorPolicy, On};
//! use connector_core::{Error, ErrorKind};
//!
//! let policy = ErrorPolicy::new()
//!     .hint(On::ApiCode("invalid_client".into()), "the client secret expired: create a new one")
//!     .hint(On::Permission, "grant `{permission}` to the API client, then test again")
//!     .hint(On::NotFound, "no API at {path}: check {field}");
//!
//! let denied = Error::new("acme", ErrorKind::Permission { permission: "users:read".into() }, "403")
//!     .with_endpoint("GET /v1/users");
//! let denied = policy.explain(denied, "base_url");
//! assert_eq!(denied.hint(), Some("grant `users:read` to the API client, then test again"));
//!
//! let missing = Error::new("acme", ErrorKind::NotFound, "404").with_endpoint("GET /v1/users");
//! let missing = policy.explain(missing, "base_url");
//! assert_eq!(missing.hint(), Some("no API at /v1/users: check base_url"));
//! // A hint that names the URL field is about that field, for a settings form to point at.
//! assert_eq!(missing.hint_fields(), ["base_url"]);
//!
//! let expired = Error::new("acme", ErrorKind::Authentication, "401").with_api_code("invalid_client");
//! let expired = policy.explain(expired, "base_url");
//! assert_eq!(expired.hint(), Some("the client secret expired: create a new one"));
//! ```

use crate::error::{Error, ErrorKind, NetworkKind};

/// `text` without control characters (line breaks kept when `lines`, `\r\n` as `\n`), cut to
/// `max` characters.
pub(crate) fn printable(text: &str, lines: bool, max: usize) -> String {
    // Scrubbed before it is cut: half a secret would no longer be recognised as one.
    let text = crate::redact::scrub(text);
    let mut out: String = text
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || (lines && *c == '\n'))
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// A kind of failure a policy's rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum On {
    /// The credentials were rejected (401).
    Authentication,
    /// Authenticated but not allowed (403); `{permission}` names what is missing.
    Permission,
    /// Nothing at that path (404).
    NotFound,
    /// Throttled even after backing off (429).
    RateLimited,
    /// The server kept failing (5xx).
    ServerError,
    /// An answer that is not what the API promises (HTML, a wrong shape).
    Protocol,
    /// The host name does not resolve.
    Dns,
    /// The API's own error code (`invalid_client`, `AADSTS7000215`, a SCIM `scimType`).
    ApiCode(String),
    /// A server error with this status (`500`).
    Status(u16),
}

impl On {
    fn matches(&self, error: &Error) -> bool {
        match (self, error.kind()) {
            (On::Authentication, ErrorKind::Authentication)
            | (On::Permission, ErrorKind::Permission { .. })
            | (On::NotFound, ErrorKind::NotFound)
            | (On::RateLimited, ErrorKind::RateLimited { .. })
            | (On::ServerError, ErrorKind::Remote { .. })
            | (On::Protocol, ErrorKind::Protocol)
            | (On::Dns, ErrorKind::Network(NetworkKind::Dns)) => true,
            (On::ApiCode(code), _) => error.api_code() == Some(code.as_str()),
            (On::Status(wanted), ErrorKind::Remote { status }) => status == wanted,
            _ => false,
        }
    }
}

/// A provider's hints for its API's failures: rules tried in the order declared, the first
/// that matches sets the error's hint. A template may say `{permission}` (what a 403 lacks),
/// `{path}` (the endpoint's path), `{field}` (the settings field of the URL) and `{api_code}`.
/// Errors no rule matches keep the SDK's own hint.
#[derive(Debug, Clone, Default)]
pub struct ErrorPolicy {
    rules: Vec<(On, String, Vec<String>)>,
    retries: Vec<(On, bool)>,
    code_at: Vec<String>,
    message_at: Vec<String>,
}

/// The longest error body read for its code and message; a larger one is left as it is.
const DETAILS_BODY_MAX: usize = 64 * 1024;

/// The most characters of the API's own message quoted in an error.
const DETAILS_MESSAGE_MAX: usize = 500;

impl ErrorPolicy {
    /// No rule: the SDK's own hints.
    pub fn new() -> Self {
        ErrorPolicy::default()
    }

    /// Adds a rule: errors that are `on` get the hint `template`. A template that says
    /// `{field}` is about the URL's settings field (see [`Error::hint_fields`]).
    pub fn hint(mut self, on: On, template: impl Into<String>) -> Self {
        self.rules.push((on, template.into(), Vec::new()));
        self
    }

    /// [`hint`](Self::hint) about these settings fields (`username`, `password`): a settings
    /// form points at them ([`Error::hint_fields`]).
    pub fn hint_on(mut self, on: On, fields: &[&str], template: impl Into<String>) -> Self {
        let fields = fields.iter().map(|f| (*f).to_owned()).collect();
        self.rules.push((on, template.into(), fields));
        self
    }

    /// Errors that are `on` are retried (`true`) or not (`false`), whatever the SDK would do:
    /// an API whose 500s are transient, or one whose 503 means "never".
    pub fn retry(mut self, on: On, retried: bool) -> Self {
        self.retries.push((on, retried));
        self
    }

    /// Where the API's error bodies carry its own error code (a JSON pointer: `/scimType`,
    /// `/error/code`, `/error`); several may be declared, the first present wins. The code is
    /// what [`On::ApiCode`] rules and `{api_code}` see.
    pub fn code_at(mut self, pointer: &str) -> Self {
        self.code_at.push(pointer.into());
        self
    }

    /// Where the API's error bodies carry its own message (`/detail`, `/error/message`,
    /// `/error_description`); several may be declared, the first present wins. The message is
    /// quoted in the error ("…; the service says: …"), line breaks kept, other control
    /// characters dropped, at most 500 characters, credentials scrubbed like every error text.
    pub fn message_at(mut self, pointer: &str) -> Self {
        self.message_at.push(pointer.into());
        self
    }

    /// `error`, made from an answer whose body is `body`, with the API's own code and message
    /// read at the declared pointers (see [`code_at`](Self::code_at) and
    /// [`message_at`](Self::message_at)). A body that is not JSON, or larger than 64 KiB, adds
    /// nothing: an error body is never assumed to parse.
    pub fn with_details(&self, error: Error, body: &[u8]) -> Error {
        if (self.code_at.is_empty() && self.message_at.is_empty()) || body.len() > DETAILS_BODY_MAX
        {
            return error;
        }
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
            return error;
        };
        let text = |pointers: &[String]| {
            pointers.iter().find_map(|p| match json.pointer(p)? {
                serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let code = text(&self.code_at).map(|c| printable(&c, false, 100));
        let said = text(&self.message_at).map(|m| printable(&m, true, DETAILS_MESSAGE_MAX));
        let error = match &said {
            Some(said) => {
                let code = code
                    .as_ref()
                    .map(|c| format!(" (code {c})"))
                    .unwrap_or_default();
                let message = format!("{}; the service says: {said}{code}", error.message());
                error.with_message(message)
            }
            None => error,
        };
        match code {
            Some(code) => error.with_api_code(code),
            None => error,
        }
    }

    /// Whether `error` may be retried: the first [`retry`](Self::retry) rule that matches it,
    /// otherwise [`Error::is_retryable`].
    pub fn retryable(&self, error: &Error) -> bool {
        self.retries
            .iter()
            .find(|(on, _)| on.matches(error))
            .map_or_else(|| error.is_retryable(), |(_, retried)| *retried)
    }

    /// Whether a [`retry`](Self::retry) rule asks for answers with `status` to be retried (the
    /// client then treats such an answer as a failure while it retries).
    pub fn retries_status(&self, status: u16) -> bool {
        self.retries
            .iter()
            .any(|(on, retried)| *retried && *on == On::Status(status))
    }

    /// `error` with the hint of the first rule that matches it (`field` is the settings field
    /// of the URL, for `{field}`); unchanged when none does.
    pub fn explain(&self, error: Error, field: &str) -> Error {
        let Some((_, template, fields)) = self.rules.iter().find(|(on, ..)| on.matches(&error))
        else {
            return error;
        };
        let permission = match error.kind() {
            ErrorKind::Permission { permission } => permission.clone(),
            _ => String::new(),
        };
        let path = error
            .endpoint()
            .map(|e| e.split_once(' ').map_or(e, |(_, p)| p).to_owned())
            .unwrap_or_default();
        let hint = template
            .replace("{permission}", &permission)
            .replace("{path}", &path)
            .replace("{field}", field)
            .replace("{api_code}", error.api_code().unwrap_or(""));
        let mut about = fields.clone();
        if template.contains("{field}") && !about.iter().any(|f| f == field) {
            about.push(field.to_owned());
        }
        error.with_hint_on(about, hint)
    }
}
