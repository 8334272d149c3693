//! Answers: read whole ([`HttpResponse`]) or chunk by chunk ([`StreamingResponse`]), and
//! the mapping of HTTP statuses to the SDK's error kinds.

use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;

use crate::error::{Error, ErrorKind, Result};
use crate::http::retry::Slot;
use crate::http::HttpClient;

/// An answer whose body has been read in full.
#[derive(Debug)]
pub struct HttpResponse {
    /// `METHOD /path` of the request, for messages (no query: it may hold personal data).
    pub endpoint: String,
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The media type, lower-cased, without parameters (`application/json`).
    pub fn media_type(&self) -> Option<String> {
        let raw = self.headers.get(CONTENT_TYPE)?.to_str().ok()?;
        Some(raw.split(';').next()?.trim().to_ascii_lowercase())
    }

    /// Whether the content type is JSON (`application/json`, `application/problem+json`, ...).
    pub fn is_json(&self) -> bool {
        self.media_type()
            .is_some_and(|m| m == "application/json" || m.ends_with("+json") || m == "text/json")
    }

    /// A short description of the body for error messages, without quoting its content
    /// (it may hold personal data): `an empty body`, `an HTML page`, `1234 bytes of text/plain`.
    pub fn describe_body(&self) -> String {
        let trimmed = self.body.trim_ascii_start();
        if trimmed.is_empty() {
            return "an empty body".into();
        }
        let looks_html = trimmed.len() >= 5
            && (trimmed[..5].eq_ignore_ascii_case(b"<!doc")
                || trimmed[..5].eq_ignore_ascii_case(b"<html"));
        if looks_html || self.media_type().as_deref() == Some("text/html") {
            return "an HTML page (often a login or error page from a proxy or the wrong host)"
                .into();
        }
        format!(
            "{} bytes of {}",
            self.body.len(),
            self.media_type()
                .unwrap_or_else(|| "unlabelled content".into())
        )
    }

    /// `Retry-After` as a duration, when given in seconds or as an HTTP date.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let when = httpdate::parse_http_date(value).ok()?;
        Some(
            when.duration_since(std::time::SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }

    /// Maps a non-success status to the SDK's error kinds: 401 authentication, 403 permission
    /// (`permission` names what the endpoint needs), 404 not found, 429 rate limited, 5xx
    /// remote, anything else not 2xx protocol. The message includes the status; callers add
    /// provider-specific hints.
    pub fn error_for_status(&self, provider: &'static str, permission: &str) -> Result<()> {
        let status = self.status;
        if status.is_success() {
            return Ok(());
        }
        let code = status.as_u16();
        let (kind, message) = match code {
            401 => (
                ErrorKind::Authentication,
                "the credentials were rejected (HTTP 401)".to_owned(),
            ),
            403 => (
                ErrorKind::Permission {
                    permission: permission.to_owned(),
                },
                format!(
                    "access denied (HTTP 403): the account lacks the `{permission}` permission"
                ),
            ),
            404 => (ErrorKind::NotFound, "not found (HTTP 404)".to_owned()),
            429 => (
                ErrorKind::RateLimited {
                    retry_after: self.retry_after(),
                },
                "rate limited (HTTP 429)".to_owned(),
            ),
            500..=599 => (
                ErrorKind::Remote { status: code },
                format!("server error (HTTP {code}) with {}", self.describe_body()),
            ),
            _ => (
                ErrorKind::Protocol,
                format!(
                    "unexpected status HTTP {code} with {}",
                    self.describe_body()
                ),
            ),
        };
        Err(Error::new(provider, kind, message).with_endpoint(self.endpoint.clone()))
    }
}

/// An answer whose body is read chunk by chunk ([`HttpClient::send_stream`]).
pub struct StreamingResponse {
    client: HttpClient,
    /// `METHOD /path` of the request.
    pub endpoint: String,
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    response: reqwest::Response,
    read: usize,
    /// What this answer charged to the client's shared body budget (released when dropped).
    charged: usize,
    _slot: Option<Slot>,
}

impl Drop for StreamingResponse {
    fn drop(&mut self) {
        self.client
            .inner
            .buffered
            .fetch_sub(self.charged, std::sync::atomic::Ordering::Relaxed);
    }
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    pub(crate) fn new(
        client: HttpClient,
        endpoint: String,
        response: reqwest::Response,
        slot: Option<Slot>,
    ) -> Self {
        StreamingResponse {
            client,
            endpoint,
            status: response.status(),
            headers: response.headers().clone(),
            response,
            read: 0,
            charged: 0,
            _slot: slot,
        }
    }

    /// The next piece of the body; `None` at its end. Enforces the size cap and reports
    /// transport failures (a connection cut mid-body) like any other.
    pub async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>> {
        let chunk = self
            .response
            .chunk()
            .await
            .map_err(|e| self.client.transport_error(e, &self.endpoint))?;
        if let Some(c) = &chunk {
            self.read = self.read.saturating_add(c.len());
            let cap = self.client.inner.config.max_body_bytes;
            if self.read > cap {
                return Err(self.client.too_large(&self.endpoint, cap));
            }
            // One budget for every answer in flight: several requests cannot each buffer
            // the cap (an endless string on four look-ahead pages would need four times it).
            let before = self
                .client
                .inner
                .buffered
                .fetch_add(c.len(), std::sync::atomic::Ordering::Relaxed);
            self.charged = self.charged.saturating_add(c.len());
            if before.saturating_add(c.len()) > cap {
                return Err(self.client.over_budget(&self.endpoint, cap));
            }
        }
        Ok(chunk)
    }

    /// Reads the rest of the body into an [`HttpResponse`] (`prefix`: bytes already taken).
    pub async fn read_rest(mut self, prefix: Vec<u8>) -> Result<HttpResponse> {
        let mut body = prefix;
        let expected = self.response.content_length().unwrap_or(0) as usize;
        body.reserve(
            expected
                .saturating_sub(body.len())
                .min(self.client.inner.config.max_body_bytes),
        );
        while let Some(chunk) = self.next_chunk().await? {
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            endpoint: std::mem::take(&mut self.endpoint),
            status: self.status,
            headers: std::mem::take(&mut self.headers),
            body,
        })
    }

    /// Reads the whole body into an [`HttpResponse`].
    pub async fn read_all(self) -> Result<HttpResponse> {
        self.read_rest(Vec::new()).await
    }
}

impl super::HttpClient {
    /// `Ok` for a 2xx `response`; otherwise its error (see [`HttpResponse::error_for_status`];
    /// `permission` names what a 403 lacks) with the API's own code and message where the
    /// provider's [`ErrorPolicy`](super::ErrorPolicy) says they are, and the provider's hint.
    pub fn check_status(&self, response: &HttpResponse, permission: &str) -> Result<()> {
        self.status_error(response, permission)
            .map_err(|e| self.explain(e))
    }

    /// [`check_status`](Self::check_status) without the hint (errors are explained once, on
    /// the way out).
    pub(crate) fn status_error(&self, response: &HttpResponse, permission: &str) -> Result<()> {
        response
            .error_for_status(self.inner.provider, permission)
            .map_err(|e| self.inner.config.errors.with_details(e, &response.body))
    }
}
