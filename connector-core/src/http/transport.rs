//! Transport failures told apart (DNS, connect, TLS, timeout, other), with a message and
//! hint per stage that name the provider's own URL field; oversized answers.

use crate::error::{Error, ErrorKind, NetworkKind};
use crate::http::HttpClient;

impl HttpClient {
    pub(crate) fn too_large(&self, endpoint: &str, cap: usize) -> Error {
        Error::new(
            self.inner.provider,
            ErrorKind::Protocol,
            format!(
                "the answer is larger than the {} MiB limit",
                cap / (1024 * 1024)
            ),
        )
        .with_endpoint(endpoint.to_owned())
        .with_hint(
            "use a smaller page size, or raise the body size limit if such pages are expected",
        )
    }

    /// The answers in flight together passed the shared body budget.
    pub(crate) fn over_budget(&self, endpoint: &str, cap: usize) -> Error {
        Error::new(
            self.inner.provider,
            ErrorKind::Protocol,
            format!(
                "the answers being read at once passed the {} MiB they may hold together (this one was still arriving)",
                cap / (1024 * 1024)
            ),
        )
        .with_endpoint(endpoint.to_owned())
        .with_hint(
            "the server sends far more than a page of records; use a smaller page size or fewer concurrent requests, or raise the body size limit if such pages are expected",
        )
    }

    /// Classifies a reqwest failure into DNS / connect / TLS / timeout / other.
    pub(crate) fn transport_error(&self, error: reqwest::Error, endpoint: &str) -> Error {
        self.network_error(classify(&error), error, endpoint)
    }

    /// A reqwest failure of a known stage, with the message and hint for that stage.
    pub(crate) fn network_error(
        &self,
        kind: NetworkKind,
        error: reqwest::Error,
        endpoint: &str,
    ) -> Error {
        let base = self.inner.base.origin();
        // The host actually contacted: the API's, or another one (a token endpoint).
        let target = error.url().map_or_else(|| base.clone(), |u| u.origin());
        let host = target.ascii_serialization();
        let field = if target == base {
            self.inner.config.url_subject(&host)
        } else {
            format!("the settings that point at {host}")
        };
        // reqwest's connect timeout covers TCP and TLS; the request timeout the whole answer.
        let connecting = error.is_connect();
        let error = error.without_url();
        let config = &self.inner.config;
        let (message, hint) = match kind {
            NetworkKind::Dns => (
                format!("cannot resolve the host of {host}"),
                format!("check the host name in {field} for typos, and the machine's DNS"),
            ),
            NetworkKind::Connect => (
                format!("cannot connect to {host}"),
                format!("check the host and port in {field}, and that no firewall blocks outbound HTTPS"),
            ),
            NetworkKind::Tls => (
                format!("the TLS handshake with {host} failed"),
                format!("the server's certificate is not trusted or it does not speak HTTPS on this port; check {field}, and if a proxy inspects TLS, add its CA to the system trust store"),
            ),
            NetworkKind::Timeout if connecting => (
                format!(
                    "no connection to {host} within {} s (TCP and TLS)",
                    config.connect_timeout.as_secs()
                ),
                format!("the host does not complete a connection: check {field}, and that no firewall or proxy holds HTTPS connections open"),
            ),
            NetworkKind::Timeout => (
                format!(
                    "no complete answer from {host} within {} s",
                    config.request_timeout.as_secs()
                ),
                "the service may be slow or unreachable; try again, or raise the timeout".to_owned(),
            ),
            NetworkKind::Proxy => (
                format!("the proxy refused to open a connection to {host}"),
                format!("check HTTPS_PROXY / HTTP_PROXY and NO_PROXY, and that the proxy allows connections to {host} (a proxy that wants credentials answers 407)"),
            ),
            NetworkKind::Other => (
                format!("the connection to {host} failed"),
                "the connection broke mid-request; try again".to_owned(),
            ),
        };
        // The hints that say "check `base_url`" are about that settings field.
        let about_url = target == base
            && match kind {
                NetworkKind::Dns | NetworkKind::Connect | NetworkKind::Tls => true,
                NetworkKind::Timeout => connecting,
                _ => false,
            };
        let fields = if about_url {
            config.url_fields()
        } else {
            Vec::new()
        };
        let hint = if about_url && config.is_fixed_host() {
            super::HttpConfig::fixed_host_hint(&host)
        } else {
            hint
        };
        let cause = plain_cause(&crate::http::redact::redact_urls_in(&root_cause(&error)));
        Error::new(
            self.inner.provider,
            ErrorKind::Network(kind),
            format!("{message} ({cause})"),
        )
        .with_endpoint(endpoint.to_owned())
        .with_hint_on(fields, hint)
        .with_source(error)
    }
}

/// The innermost cause's text ("Connection refused (os error 111)", "invalid peer
/// certificate: UnknownIssuer"): the part that tells the user what actually happened.
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The TLS library's verdicts in words, never Rust type names: `invalid peer certificate:
/// Other(OtherError(CaUsedAsEndEntity))` becomes `the server's certificate was refused: the
/// server presents a CA certificate as its own`; fatal alerts, corrupt messages (a plain HTTP
/// server on an `https://` URL) and incompatible or misbehaving peers likewise. Other texts
/// are kept.
pub(crate) fn plain_cause(cause: &str) -> String {
    if let Some(verdict) = cause.strip_prefix("invalid peer certificate: ") {
        let known = [
            ("UnknownIssuer", "it is signed by an authority this machine does not trust (a private CA? set SSL_CERT_FILE to its certificate)"),
            ("Expired", "it has expired"),
            ("NotValidYet", "it is not valid yet (check this machine's clock)"),
            ("NotValidForName", "it is not issued for this host name"),
            ("Revoked", "it was revoked"),
            ("BadSignature", "its signature is invalid"),
            ("CaUsedAsEndEntity", "the server presents a CA certificate as its own"),
        ];
        return format!(
            "the server's certificate was refused: {}",
            known_or_words(verdict, &known)
        );
    }
    if let Some(kind) = cause.strip_prefix("received corrupt message of type ") {
        return match innermost(kind) {
            "InvalidContentType" => "the server did not answer in TLS: it may speak plain HTTP on this port (then write the URL with http://)".to_owned(),
            other => format!("the server's TLS answer could not be read ({})", words(other)),
        };
    }
    if cause.starts_with("received corrupt message") {
        return "the server's TLS answer could not be read".to_owned();
    }
    let prefixes = [
        (
            "received fatal alert: ",
            "the server ended the TLS handshake",
        ),
        (
            "peer is incompatible: ",
            "the server's TLS settings are incompatible with this client",
        ),
        ("peer misbehaved: ", "the server broke the TLS protocol"),
    ];
    for (prefix, sentence) in prefixes {
        if let Some(rest) = cause.strip_prefix(prefix) {
            return format!("{sentence}: {}", words(innermost(rest)));
        }
    }
    cause.to_owned()
}

/// The innermost name of a Rust value like `Other(OtherError(CaUsedAsEndEntity))`.
fn innermost(value: &str) -> &str {
    value
        .rsplit('(')
        .next()
        .unwrap_or(value)
        .trim_end_matches(')')
        .trim()
}

/// A known verdict's sentence, else the innermost name in words.
fn known_or_words(value: &str, known: &[(&str, &str)]) -> String {
    let inner = innermost(value);
    match known.iter().find(|(name, _)| inner.starts_with(name)) {
        Some((_, sentence)) => (*sentence).to_owned(),
        None => words(inner),
    }
}

/// `HandshakeFailure` → `handshake failure`.
fn words(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

pub(crate) fn proxy_configured() -> bool {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Tells DNS, connect, TLS and timeout failures apart from reqwest's error and its causes.
pub(crate) fn classify(error: &reqwest::Error) -> NetworkKind {
    if error.is_timeout() {
        return NetworkKind::Timeout;
    }
    let mut chain = String::new();
    let mut io_kind = None;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(c) = cause {
        chain.push_str(&c.to_string().to_ascii_lowercase());
        chain.push('\n');
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
            if io.kind() == std::io::ErrorKind::TimedOut {
                return NetworkKind::Timeout;
            }
        }
        cause = c.source();
    }
    // The proxy's answer to CONNECT (reqwest: "unsuccessful tunnel", "proxy authentication
    // required"): retrying will not change it.
    if chain.contains("tunnel") || chain.contains("proxy authentication") {
        return NetworkKind::Proxy;
    }
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        return NetworkKind::Dns;
    }
    if chain.contains("certificate")
        || chain.contains("tls")
        || chain.contains("handshake")
        || chain.contains("received corrupt message")
    {
        return NetworkKind::Tls;
    }
    if error.is_connect() {
        return NetworkKind::Connect;
    }
    NetworkKind::Other
}

#[cfg(test)]
mod tests {
    use super::plain_cause;

    #[test]
    fn certificate_verdicts_are_told_in_words_without_rust_types() {
        let text = plain_cause("invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))");
        assert_eq!(
            text,
            "the server's certificate was refused: the server presents a CA certificate as its own"
        );
        let text = plain_cause("invalid peer certificate: UnknownIssuer");
        assert!(text.contains("SSL_CERT_FILE"), "{text}");
        let text = plain_cause("invalid peer certificate: Other(OtherError(SomethingNewHere))");
        assert_eq!(
            text,
            "the server's certificate was refused: something new here"
        );
        assert!(!text.contains('('));
        assert_eq!(
            plain_cause("Connection refused (os error 111)"),
            "Connection refused (os error 111)"
        );
        let text = plain_cause("received corrupt message of type InvalidContentType");
        assert!(text.contains("http://"), "{text}");
        assert_eq!(
            plain_cause("received fatal alert: HandshakeFailure"),
            "the server ended the TLS handshake: handshake failure"
        );
        let text = plain_cause("peer is incompatible: Tls12NotOffered");
        assert!(text.ends_with("tls12 not offered"), "{text}");
        let text = plain_cause("peer misbehaved: IllegalMiddleboxChangeCipherSpec");
        assert!(!text.contains("Illegal"), "{text}");
    }
}
