//! The one error type of the SDK: a kind, the provider, what happened, where, and what to do.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// A boxed dependency error kept as the [`std::error::Error::source`] of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with one settings field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The settings field, as spelled in the settings schema (e.g. `customer_api_key`).
    pub field: String,
    /// What is wrong and how to fix it. Never quotes the value of a secret field.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Which stage of reaching a host failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NetworkKind {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection was refused, reset or could not be made.
    Connect,
    /// The TLS handshake failed (certificate, protocol, or not a TLS server).
    Tls,
    /// No answer in time.
    Timeout,
    /// The configured proxy refused to open a tunnel to the host (CONNECT answered with an
    /// error, or the proxy wants credentials).
    Proxy,
    /// Any other transport failure (connection closed mid-answer, ...).
    Other,
}

impl NetworkKind {
    /// A short lowercase name (`dns`, `connect`, `tls`, `timeout`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkKind::Dns => "dns",
            NetworkKind::Connect => "connect",
            NetworkKind::Tls => "tls",
            NetworkKind::Timeout => "timeout",
            NetworkKind::Proxy => "proxy",
            NetworkKind::Other => "other",
        }
    }
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The settings are incomplete or wrong; every problem is listed.
    InvalidSettings(Vec<FieldError>),
    /// The provider rejected the credentials (HTTP 401).
    Authentication,
    /// The credentials are valid but lack a permission (HTTP 403).
    Permission {
        /// The provider's name for the missing permission.
        permission: String,
    },
    /// The resource does not exist (HTTP 404).
    NotFound,
    /// The provider throttled the client (HTTP 429).
    RateLimited {
        /// How long the provider asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The host could not be reached.
    Network(NetworkKind),
    /// The provider answered with a server error status.
    Remote {
        /// The HTTP status.
        status: u16,
    },
    /// The provider's answer could not be understood (not JSON, wrong shape, unexpected status,
    /// redirect to another origin, ...).
    Protocol,
    /// The provider cannot do what was asked.
    Unsupported,
}

impl ErrorKind {
    /// A stable snake_case name for machine-readable output (`invalid_settings`,
    /// `authentication`, `permission`, `not_found`, `rate_limited`, `network`, `remote`,
    /// `protocol`, `unsupported`).
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::InvalidSettings(_) => "invalid_settings",
            ErrorKind::Authentication => "authentication",
            ErrorKind::Permission { .. } => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::Network(_) => "network",
            ErrorKind::Remote { .. } => "remote",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Unsupported => "unsupported",
        }
    }
}

/// The SDK's error: a [`ErrorKind`], the provider it came from, a message saying what
/// happened, optionally the endpoint it happened at, a hint saying what to do, and the
/// underlying cause as [`source`](std::error::Error::source).
///
/// Messages and hints never contain a secret value.
///
/// ```
/// use connector_core::{Error, ErrorKind};
///
/// let e = Error::new("ukgpro", ErrorKind::Authentication, "credentials were rejected (HTTP 401)")
///     .with_endpoint("GET /personnel/v1/person-details")
///     .with_hint("check the user name, password and customer API key");
/// assert_eq!(
///     e.to_string(),
///     "ukgpro: GET /personnel/v1/person-details: credentials were rejected (HTTP 401)"
/// );
/// assert!(!e.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
#[non_exhaustive]
pub struct Error(Box<Inner>);

/// The error's record, boxed so that `Result<T, Error>` stays one pointer wide.
#[derive(Debug, thiserror::Error)]
struct Inner {
    kind: ErrorKind,
    provider: &'static str,
    message: String,
    endpoint: Option<String>,
    hint: Option<String>,
    hint_fields: Vec<String>,
    api_code: Option<String>,
    #[source]
    source: Option<BoxError>,
}

/// Errors made by `?` from another library's error (a URL that does not parse, a header name
/// that is not one) name no provider until the provider's `connect` hands them on: the
/// registry then names it ([`Error::or_provider`]).
const UNNAMED: &str = "";

impl From<url::ParseError> for Error {
    fn from(e: url::ParseError) -> Self {
        Error::new(
            UNNAMED,
            ErrorKind::Unsupported,
            format!("a URL could not be built ({e})"),
        )
        .with_hint("check the settings that make up the API's address; if they are right, report it to the provider's authors")
    }
}

impl From<reqwest::header::InvalidHeaderName> for Error {
    fn from(e: reqwest::header::InvalidHeaderName) -> Self {
        Error::new(
            UNNAMED,
            ErrorKind::Unsupported,
            format!("a header name is not valid ({e})"),
        )
        .with_hint("report it to the provider's authors")
    }
}

impl From<reqwest::header::InvalidHeaderValue> for Error {
    fn from(_: reqwest::header::InvalidHeaderValue) -> Self {
        // The value may be a credential: never quoted.
        Error::new(
            UNNAMED,
            ErrorKind::InvalidSettings(Vec::new()),
            "a header value holds a character HTTP headers cannot carry (a line break, say)",
        )
        .with_hint("check the settings for pasted line breaks or control characters")
    }
}

/// The hint of [`Error::invalid_settings`]: what to fix, in no program's words (a command
/// line replaces it with where its settings come from).
pub const INVALID_SETTINGS_HINT: &str =
    "fix the listed fields; the provider's settings schema describes every field";

impl Error {
    /// A new error of `kind` from `provider`.
    ///
    /// The message (like the hint and endpoint set later) is [scrubbed](crate::redact::scrub)
    /// of every live secret, so that text quoted from a server cannot carry a credential out.
    pub fn new(provider: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            provider,
            message: scrubbed(message.into()),
            endpoint: None,
            hint: None,
            hint_fields: Vec::new(),
            api_code: None,
            source: None,
        }))
    }

    /// Invalid settings, listing every field problem.
    pub fn invalid_settings(provider: &'static str, mut fields: Vec<FieldError>) -> Self {
        // The field messages are kept in the kind too: scrubbed like every message.
        for f in &mut fields {
            f.message = scrubbed(std::mem::take(&mut f.message));
        }
        let listed = fields
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let count = fields.len();
        let mut named: Vec<String> = Vec::new();
        for f in &fields {
            if !named.contains(&f.field) {
                named.push(f.field.clone());
            }
        }
        Error::new(
            provider,
            ErrorKind::InvalidSettings(fields),
            format!(
                "invalid settings ({count} problem{}): {listed}",
                if count == 1 { "" } else { "s" }
            ),
        )
        .with_hint_on(named, INVALID_SETTINGS_HINT)
    }

    /// Names `provider` as the error's source when none is named yet (an error made by `?`
    /// from another library's error).
    pub fn or_provider(mut self, provider: &'static str) -> Self {
        if self.0.provider.is_empty() {
            self.0.provider = provider;
        }
        self
    }

    /// Sets the endpoint (e.g. `GET /personnel/v1/person-details`).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.0.endpoint = Some(scrubbed(endpoint.into()));
        self
    }

    /// Sets the actionable hint (the fix; the message says what happened).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(scrubbed(hint.into()));
        self
    }

    /// Sets the hint and the settings fields its fix concerns (`base_url`; `username` and
    /// `password`): a settings form points at them, a command line may say where they come
    /// from. The hint's words stay free of any program's commands.
    pub fn with_hint_on<F: Into<String>>(
        mut self,
        fields: impl IntoIterator<Item = F>,
        hint: impl Into<String>,
    ) -> Self {
        self.0.hint_fields = fields.into_iter().map(Into::into).collect();
        self.with_hint(hint)
    }

    /// Sets the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// Replaces the message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = scrubbed(message.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The provider id the error came from.
    pub fn provider(&self) -> &'static str {
        self.0.provider
    }

    /// What happened, without the provider and endpoint prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The endpoint involved, if any.
    pub fn endpoint(&self) -> Option<&str> {
        self.0.endpoint.as_deref()
    }

    /// The API's own error code, when the answer carried one (`invalid_client`, a SCIM
    /// `scimType`): what a provider's [`ErrorPolicy`](crate::http::ErrorPolicy) matches on.
    pub fn api_code(&self) -> Option<&str> {
        self.0.api_code.as_deref()
    }

    /// Sets the API's own error code (scrubbed like the message).
    pub fn with_api_code(mut self, code: impl Into<String>) -> Self {
        self.0.api_code = Some(scrubbed(code.into()));
        self
    }

    /// What to do about it, if known.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The settings fields the hint's fix concerns (see [`with_hint_on`](Self::with_hint_on));
    /// empty when the fix is not about a field (or no hint is known).
    pub fn hint_fields(&self) -> &[String] {
        &self.0.hint_fields
    }

    /// The field problems, for [`ErrorKind::InvalidSettings`].
    pub fn field_errors(&self) -> &[FieldError] {
        match &self.0.kind {
            ErrorKind::InvalidSettings(fields) => fields,
            _ => &[],
        }
    }

    /// Whether trying the same request again later may succeed: rate limits, timeouts,
    /// refused/reset connections and 502/503/504.
    pub fn is_retryable(&self) -> bool {
        match &self.0.kind {
            ErrorKind::RateLimited { .. } => true,
            ErrorKind::Network(kind) => matches!(
                kind,
                NetworkKind::Connect | NetworkKind::Timeout | NetworkKind::Other
            ),
            ErrorKind::Remote { status } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// The message followed by every cause in the source chain, `: `-separated, scrubbed of
    /// every live secret.
    pub fn full_message(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let text = c.to_string();
            if !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            cause = c.source();
        }
        scrubbed(out)
    }
}

/// `text` without any live secret (see [`crate::redact`]).
fn scrubbed(text: String) -> String {
    match crate::redact::scrub(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(clean) => clean,
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.provider)?;
        if let Some(endpoint) = &self.endpoint {
            write!(f, "{endpoint}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `?` on a URL or header error inside a provider's `connect` compiles, says what
    /// happened without quoting a header value, and is named after the provider on its way out.
    #[test]
    fn other_libraries_errors_convert_and_are_named_on_the_way_out() {
        fn build() -> Result<url::Url> {
            Ok(url::Url::parse("https://login.example")?.join("//[")?)
        }
        let e = build().unwrap_err().or_provider("entra");
        assert_eq!(e.provider(), "entra");
        assert!(e.message().starts_with("a URL could not be built"), "{e}");
        let named = Error::new("ukgpro", ErrorKind::Protocol, "x").or_provider("entra");
        assert_eq!(
            named.provider(),
            "ukgpro",
            "a named error keeps its provider"
        );
        fn header() -> Result<reqwest::header::HeaderValue> {
            Ok(reqwest::header::HeaderValue::from_str("s3cret\nX-Evil: 1")?)
        }
        let e = header().unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        fn name() -> Result<reqwest::header::HeaderName> {
            Ok(reqwest::header::HeaderName::from_bytes(b"bad name")?)
        }
        assert!(name().unwrap_err().message().contains("header name"));
    }

    #[test]
    fn invalid_settings_lists_every_field() {
        let e = Error::invalid_settings(
            "ukgpro",
            vec![
                FieldError::new("password", "is required"),
                FieldError::new("colour", "is not a known field"),
                FieldError::new("password", "must not be blank"),
            ],
        );
        let text = e.to_string();
        assert!(text.contains("3 problems"), "{text}");
        assert!(text.contains("password: is required"), "{text}");
        assert!(text.contains("colour: is not a known field"), "{text}");
        assert_eq!(e.field_errors().len(), 3);
        // The hint is about those fields, each named once.
        assert_eq!(e.hint_fields(), ["password", "colour"]);
        // Core speaks no command line: where settings come from is the CLI's to say.
        let hint = e.hint().unwrap();
        assert!(
            hint.contains("settings schema") && !hint.contains("UKGPRO_"),
            "{hint}"
        );
    }

    #[test]
    fn retryable_kinds() {
        let e = |k| Error::new("p", k, "m");
        assert!(e(ErrorKind::RateLimited { retry_after: None }).is_retryable());
        assert!(e(ErrorKind::Network(NetworkKind::Timeout)).is_retryable());
        assert!(e(ErrorKind::Remote { status: 503 }).is_retryable());
        assert!(!e(ErrorKind::Remote { status: 500 }).is_retryable());
        assert!(!e(ErrorKind::Authentication).is_retryable());
        assert!(!e(ErrorKind::Network(NetworkKind::Dns)).is_retryable());
        assert!(!e(ErrorKind::Permission {
            permission: "x".into()
        })
        .is_retryable());
    }

    #[test]
    fn full_message_walks_the_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = Error::new(
            "p",
            ErrorKind::Network(NetworkKind::Connect),
            "cannot connect",
        )
        .with_source(io);
        assert_eq!(e.full_message(), "p: cannot connect: refused");
    }
}
