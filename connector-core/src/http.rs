//! The shared HTTP client every provider uses: one base URL, timeouts, a user agent naming the
//! SDK, HTTPS required except on loopback, credentials only ever sent to the base URL's origin,
//! bounded answer size, and transport errors told apart (DNS / connect / TLS / timeout).
//!
//! Every request goes through one private `execute` function; retry with backoff and rate
//! limiting will live there, so that every provider gets them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{redirect, StatusCode};
use url::{Origin, Url};

use crate::auth::AuthScheme;
use crate::base_url::is_allowed_scheme;
use crate::error::{Error, ErrorKind, NetworkKind, Result};
use crate::retry::{Concurrency, Pacer, RetryPolicy, Slot};

/// The user agent sent with every request: `connector-sdk/<version> (<provider>)`.
pub fn user_agent(provider: &str) -> String {
    format!("connector-sdk/{} ({provider})", env!("CARGO_PKG_VERSION"))
}

/// Tuning of the shared client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Time allowed for DNS + TCP + TLS. Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included. Default 60 s.
    pub request_timeout: Duration,
    /// Largest answer body accepted, in bytes. Default 256 MiB.
    pub max_body_bytes: usize,
    /// Same-origin redirects followed before giving up. Default 5.
    pub max_redirects: usize,
    /// Requests in flight at once through this client (the per-connector limit). Default 8.
    /// Halved on every 429 and grown back on success (see [`Concurrency`]).
    pub max_in_flight: usize,
    /// When to retry (429, 502/503/504, connection failures, timeouts). Default
    /// [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// Client-side budget: at most this many request starts per minute. Default none.
    pub requests_per_minute: Option<u32>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_body_bytes: 256 * 1024 * 1024,
            max_redirects: 5,
            max_in_flight: 8,
            retry: RetryPolicy::default(),
            requests_per_minute: None,
        }
    }
}

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

    /// Parses the whole body as a JSON array of `T`. Anything else (empty, HTML, a JSON
    /// object, invalid JSON) is a protocol error that describes the body without quoting it.
    pub fn json_array<T: serde::de::DeserializeOwned>(
        &self,
        provider: &'static str,
    ) -> Result<Vec<T>> {
        let fail = |what: String| Err(not_an_array(provider, &self.endpoint, what));
        match self.body.trim_ascii_start().first() {
            None => fail("an empty body".into()),
            Some(b'[') => {
                serde_json::from_slice(&self.body).or_else(|e| fail(format!("invalid JSON ({e})")))
            }
            Some(b'{') => fail("a JSON object".into()),
            Some(_) => fail(self.describe_body()),
        }
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

/// An answer whose body is read chunk by chunk ([`HttpClient::get_stream`]).
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
    _slot: Slot,
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
    /// The next piece of the body; `None` at its end. Enforces the size cap and reports
    /// transport failures (a connection cut mid-body) like any other.
    pub async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>> {
        let chunk = self
            .response
            .chunk()
            .await
            .map_err(|e| self.client.transport_error(e, &self.endpoint))?;
        if let Some(c) = &chunk {
            self.read += c.len();
            let cap = self.client.inner.config.max_body_bytes;
            if self.read > cap {
                return Err(self.client.too_large(&self.endpoint, cap));
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
            endpoint: self.endpoint,
            status: self.status,
            headers: self.headers,
            body,
        })
    }

    /// Reads the whole body into an [`HttpResponse`].
    pub async fn read_all(self) -> Result<HttpResponse> {
        self.read_rest(Vec::new()).await
    }
}

/// How the host was reached, from [`HttpClient::probe`].
#[derive(Debug, Clone)]
pub struct Reachability {
    /// A one-line summary ("service5.ultipro.com resolved to 1.2.3.4; TCP 443 open; TLS OK").
    pub summary: String,
}

/// The shared client. Cheap to clone. Its `Debug` shows the provider and base URL only.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.inner.provider)
            .field("base_url", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

struct Inner {
    in_flight: Arc<Concurrency>,
    pacer: Option<Pacer>,
    provider: &'static str,
    base: Url,
    auth: Box<dyn AuthScheme>,
    client: reqwest::Client,
    config: HttpConfig,
}

impl HttpClient {
    /// A client for `base` (already normalised). Refuses plain http to a non-loopback host.
    pub fn new(
        provider: &'static str,
        base: Url,
        auth: impl AuthScheme + 'static,
        config: HttpConfig,
    ) -> Result<Self> {
        if !is_allowed_scheme(&base) {
            return Err(Error::new(
                provider,
                ErrorKind::InvalidSettings(vec![crate::FieldError::new(
                    "base_url",
                    "must use https (http only for loopback test servers)",
                )]),
                format!(
                    "refusing to send credentials to {} over {}",
                    base.origin().ascii_serialization(),
                    base.scheme()
                ),
            ));
        }
        let loopback = base
            .host()
            .is_some_and(|h| crate::base_url::is_loopback(&h));
        let mut builder = reqwest::Client::builder();
        if loopback {
            // A loopback test server is never behind a proxy.
            builder = builder.no_proxy();
        }
        let client = builder
            .user_agent(user_agent(provider))
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // Redirects are followed by `execute`, which never carries credentials to
            // another origin.
            .redirect(redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::new(
                    provider,
                    ErrorKind::Network(NetworkKind::Other),
                    "cannot set up the HTTP client",
                )
                .with_source(e)
            })?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                in_flight: Concurrency::new(config.max_in_flight),
                pacer: config.requests_per_minute.map(Pacer::new),
                provider,
                base,
                auth: Box::new(auth),
                client,
                config,
            }),
        })
    }

    /// The provider id.
    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The client's configuration.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// `GET path?query` on the base URL with credentials, reading the whole body. Transport
    /// failures are errors; any HTTP status is returned (see
    /// [`HttpResponse::error_for_status`]).
    ///
    /// Rate limits (429), 502/503/504 and connection failures are retried under the
    /// configured [`RetryPolicy`]; if they persist, they are returned as errors.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<HttpResponse> {
        self.retry(&format!("GET {path}"), || async {
            let response = self.get_stream(path, query).await?.read_all().await?;
            if matches!(response.status.as_u16(), 429 | 502..=504) {
                response.error_for_status(self.inner.provider, "")?;
            }
            Ok(response)
        })
        .await
    }

    /// `GET path?query` answered by a JSON array, decoded element by element as the body
    /// arrives (memory holds one network chunk plus the decoded items, never the whole body).
    /// Non-2xx statuses map to errors as in [`HttpResponse::error_for_status`] (`permission`
    /// names what a 403 means); bodies that are not one JSON array are protocol errors.
    /// Retried under the [`RetryPolicy`] like [`get`](Self::get), mid-body failures included.
    pub async fn get_json_array<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        permission: &str,
    ) -> Result<Vec<T>> {
        self.get_json_page(path, query, permission, 0).await
    }

    /// [`get_json_array`](Self::get_json_array) for one page of a listing: room for
    /// `page_size` items is reserved once instead of regrowing while the page streams in.
    pub async fn get_json_page<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        permission: &str,
        page_size: u32,
    ) -> Result<Vec<T>> {
        let capacity = page_size.min(100_000) as usize;
        self.retry(&format!("GET {path}"), || {
            self.get_json_array_once(path, query, permission, capacity)
        })
        .await
    }

    async fn get_json_array_once<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        permission: &str,
        capacity: usize,
    ) -> Result<Vec<T>> {
        use crate::json_array::{ArraySplitter, SplitError};
        let provider = self.inner.provider;
        let mut response = self.get_stream(path, query).await?;
        if !response.status.is_success() {
            let full = response.read_all().await?;
            full.error_for_status(provider, permission)?;
            return full.json_array(provider);
        }
        let mut items = Vec::with_capacity(capacity);
        let mut splitter = ArraySplitter::new();
        while let Some(chunk) = response.next_chunk().await? {
            let pushed = splitter.push(&chunk, |element| {
                items.push(serde_json::from_slice::<T>(element)?);
                Ok::<(), serde_json::Error>(())
            });
            match pushed {
                Ok(()) => {}
                Err(SplitError::NotAnArray(_)) => {
                    // Say what it is instead (HTML page, JSON object, ...).
                    return response
                        .read_rest(chunk.to_vec())
                        .await?
                        .json_array(provider);
                }
                Err(SplitError::Element(e)) => {
                    let what = format!("invalid JSON in record {} ({e})", items.len() + 1);
                    return Err(not_an_array(provider, &response.endpoint, what));
                }
                Err(other) => {
                    return Err(not_an_array(
                        provider,
                        &response.endpoint,
                        other.to_string(),
                    ))
                }
            }
        }
        splitter
            .finish::<serde_json::Error>()
            .map_err(|e| not_an_array(provider, &response.endpoint, e.to_string()))?;
        Ok(items)
    }

    /// Runs `op` (one request and whatever reads its answer) and runs it again while it fails
    /// with a [retryable](Error::is_retryable) error, under the configured [`RetryPolicy`]:
    /// exponential backoff with full jitter, `Retry-After` honoured, capped in attempts and in
    /// total time. Every retry is logged at `warn` with `what`, the attempt and the wait (never
    /// headers or bodies). The final error says how many attempts were made.
    pub async fn retry<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let policy = &self.inner.config.retry;
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let error = match op().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let Some(wait) = policy.wait(attempt, &error, started) else {
                return Err(if attempt > 1 {
                    let message = format!("{} (gave up after {attempt} attempts)", error.message());
                    error.with_message(message)
                } else {
                    error
                });
            };
            tracing::warn!(
                provider = self.inner.provider,
                endpoint = what,
                attempt,
                wait_ms = wait.as_millis() as u64,
                cause = error.kind().name(),
                "retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Like [`get`](Self::get), but the body is read chunk by chunk by the caller (within the
    /// same size cap), so that a large answer need not be held whole. The request counts
    /// against the in-flight limit until the body is consumed or dropped.
    pub async fn get_stream(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<StreamingResponse> {
        let mut url = self.inner.base.clone();
        url.set_path(path);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        self.execute(url, format!("GET {path}")).await
    }

    /// The single place every request goes through: waits for an in-flight slot and the
    /// request budget, attaches credentials for the base origin only,
    /// follows same-origin redirects and refuses others.
    async fn execute(&self, url: Url, endpoint: String) -> Result<StreamingResponse> {
        let inner = &*self.inner;
        // Held until the body is consumed: the per-connector limit on requests in flight.
        let slot = inner.in_flight.acquire().await;
        if let Some(pacer) = &inner.pacer {
            pacer.wait_turn().await;
        }
        let base_origin = inner.base.origin();
        let mut current = url;
        let mut redirects = 0;
        loop {
            let started = Instant::now();
            let mut headers = HeaderMap::new();
            if current.origin() == base_origin {
                inner.auth.apply(&mut headers).map_err(|e| {
                    Error::new(
                        inner.provider,
                        ErrorKind::InvalidSettings(Vec::new()),
                        e.to_string(),
                    )
                })?;
            }
            headers.insert(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
            let response = inner
                .client
                .get(current.clone())
                .headers(headers)
                .send()
                .await
                .map_err(|e| self.transport_error(e, &endpoint))?;
            let status = response.status();
            tracing::debug!(
                provider = inner.provider,
                endpoint = %endpoint,
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "response"
            );
            if status == StatusCode::TOO_MANY_REQUESTS {
                inner.in_flight.on_throttled();
            } else if status.is_success() {
                inner.in_flight.on_success();
            }
            if status.is_redirection() {
                let next = self.redirect_target(&current, response.headers(), &endpoint)?;
                redirects += 1;
                if redirects > inner.config.max_redirects {
                    return Err(Error::new(
                        inner.provider,
                        ErrorKind::Protocol,
                        format!("more than {} redirects", inner.config.max_redirects),
                    )
                    .with_endpoint(endpoint)
                    .with_hint("check base_url: the server keeps redirecting"));
                }
                tracing::debug!(endpoint = %endpoint, to = next.path(), "following same-origin redirect");
                current = next;
                continue;
            }
            let cap = inner.config.max_body_bytes;
            if response.content_length().is_some_and(|n| n > cap as u64) {
                return Err(self.too_large(&endpoint, cap));
            }
            return Ok(StreamingResponse {
                client: self.clone(),
                endpoint,
                status,
                headers: response.headers().clone(),
                response,
                read: 0,
                _slot: slot,
            });
        }
    }

    /// Where a redirect points, if it may be followed: same origin only.
    fn redirect_target(&self, current: &Url, headers: &HeaderMap, endpoint: &str) -> Result<Url> {
        let inner = &*self.inner;
        let protocol = |message: String, hint: String| {
            Error::new(inner.provider, ErrorKind::Protocol, message)
                .with_endpoint(endpoint.to_owned())
                .with_hint(hint)
        };
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                protocol(
                    "redirect without a usable Location header".into(),
                    "check base_url".into(),
                )
            })?;
        let next = current
            .join(location)
            .map_err(|_| protocol("redirect to an invalid URL".into(), "check base_url".into()))?;
        let here = inner.base.origin();
        if next.origin() == here {
            return Ok(next);
        }
        let there = next.origin().ascii_serialization();
        if current.scheme() == "https" && next.scheme() == "http" {
            return Err(protocol(
                format!("the server redirected from https to plain http ({there}); refused"),
                "credentials are never sent unencrypted; check base_url and that no proxy downgrades the connection".into(),
            ));
        }
        Err(protocol(
            format!("the server redirected to another origin ({there}); not followed, credentials are never sent to another origin"),
            format!(
                "if the API really lives at {there}, set base_url to it; otherwise check for a proxy or a login page in front of {}",
                origin_text(&here)
            ),
        ))
    }

    fn too_large(&self, endpoint: &str, cap: usize) -> Error {
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

    /// Classifies a reqwest failure into DNS / connect / TLS / timeout / other.
    fn transport_error(&self, error: reqwest::Error, endpoint: &str) -> Error {
        self.network_error(classify(&error), error, endpoint)
    }

    /// A reqwest failure of a known stage, with the message and hint for that stage.
    fn network_error(&self, kind: NetworkKind, error: reqwest::Error, endpoint: &str) -> Error {
        let host = origin_text(&self.inner.base.origin());
        let timeout = self.inner.config.request_timeout.as_secs();
        let (message, hint) = match kind {
            NetworkKind::Dns => (
                format!("cannot resolve the host of {host}"),
                "check the host name in base_url for typos, and the machine's DNS".to_owned(),
            ),
            NetworkKind::Connect => (
                format!("cannot connect to {host}"),
                "check the host and port in base_url, and that no firewall blocks outbound HTTPS".to_owned(),
            ),
            NetworkKind::Tls => (
                format!("the TLS handshake with {host} failed"),
                "the server's certificate is not trusted or it does not speak HTTPS on this port; check base_url, and if a proxy inspects TLS, add its CA to the system trust store".to_owned(),
            ),
            NetworkKind::Timeout => (
                format!("no complete answer from {host} within {timeout} s"),
                "the service may be slow or unreachable; try again, or raise the timeout".to_owned(),
            ),
            NetworkKind::Other => (
                format!("the connection to {host} failed"),
                "the connection broke mid-request; try again".to_owned(),
            ),
        };
        let cause = root_cause(&error);
        Error::new(
            self.inner.provider,
            ErrorKind::Network(kind),
            format!("{message} ({cause})"),
        )
        .with_endpoint(endpoint.to_owned())
        .with_hint(hint)
        .with_source(error.without_url())
    }

    /// Checks that the base URL's host can be reached, stage by stage: DNS, TCP, then (for
    /// https) TLS with an unauthenticated request. Sends no credentials.
    pub async fn probe(&self) -> Result<Reachability> {
        let inner = &*self.inner;
        let base = &inner.base;
        let host = base
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_owned();
        let port = base.port_or_known_default().unwrap_or(443);
        let net = |kind, message: String, hint: &str| {
            Error::new(inner.provider, ErrorKind::Network(kind), message).with_hint(hint.to_owned())
        };
        let mut summary = Vec::new();
        let via_proxy = proxy_configured()
            && !base
                .host()
                .is_some_and(|h| crate::base_url::is_loopback(&h));
        if via_proxy {
            summary.push("via the configured proxy".to_owned());
        } else {
            let lookup = tokio::time::timeout(
                inner.config.connect_timeout,
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await;
            let addrs: Vec<_> = match lookup {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(e)) => {
                    return Err(net(
                        NetworkKind::Dns,
                        format!("cannot resolve `{host}` ({e})"),
                        "check the host name in base_url for typos, and the machine's DNS",
                    )
                    .with_source(e))
                }
                Err(_) => {
                    return Err(net(
                        NetworkKind::Timeout,
                        format!("resolving `{host}` timed out"),
                        "check the machine's DNS",
                    ))
                }
            };
            let Some(first) = addrs.first() else {
                return Err(net(
                    NetworkKind::Dns,
                    format!("`{host}` has no address"),
                    "check the host name in base_url",
                ));
            };
            if base
                .host()
                .is_some_and(|h| matches!(h, url::Host::Domain(_)))
            {
                summary.push(format!("{host} resolved to {}", first.ip()));
            }
            let mut last_error = None;
            let mut connected = false;
            for addr in &addrs {
                match tokio::time::timeout(
                    inner.config.connect_timeout,
                    tokio::net::TcpStream::connect(addr),
                )
                .await
                {
                    Ok(Ok(_)) => {
                        connected = true;
                        break;
                    }
                    Ok(Err(e)) => last_error = Some(Ok(e)),
                    Err(elapsed) => last_error = Some(Err(elapsed)),
                }
            }
            if !connected {
                let hint =
                    "check the port in base_url and that no firewall blocks outbound connections";
                return Err(match last_error {
                    Some(Err(elapsed)) => net(
                        NetworkKind::Timeout,
                        format!(
                            "no TCP answer from {host}:{port} within {} s",
                            inner.config.connect_timeout.as_secs()
                        ),
                        hint,
                    )
                    .with_source(elapsed),
                    Some(Ok(e)) => net(
                        NetworkKind::Connect,
                        format!("cannot open a TCP connection to {host}:{port} ({e})"),
                        hint,
                    )
                    .with_source(e),
                    None => net(
                        NetworkKind::Connect,
                        format!("cannot open a TCP connection to {host}:{port}"),
                        hint,
                    ),
                });
            }
            summary.push(format!("TCP port {port} open"));
        }
        if base.scheme() == "https" || via_proxy {
            // An unauthenticated request: any HTTP answer proves TLS (and the proxy) work.
            match inner.client.head(base.clone()).send().await {
                Ok(_) => summary.push(if base.scheme() == "https" {
                    "TLS handshake OK".into()
                } else {
                    "HTTP OK".into()
                }),
                Err(e) => {
                    let kind = match classify(&e) {
                        // DNS and TCP just worked, so a connect-stage failure is the handshake.
                        NetworkKind::Connect | NetworkKind::Other if !via_proxy => NetworkKind::Tls,
                        other => other,
                    };
                    let error = self.network_error(kind, e, "HEAD /");
                    return Err(error);
                }
            }
        }
        Ok(Reachability {
            summary: summary.join("; "),
        })
    }
}

/// The innermost cause's text ("Connection refused (os error 111)", "invalid peer
/// certificate: UnknownIssuer"): the part that tells the user what actually happened.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// An answer that is not the JSON array the endpoint promises.
fn not_an_array(provider: &'static str, endpoint: &str, what: String) -> Error {
    Error::new(provider, ErrorKind::Protocol, format!("expected a JSON array, got {what}"))
        .with_endpoint(endpoint.to_owned())
        .with_hint("check that base_url is the API host (not a login page), and that no proxy rewrites the answer")
}

fn origin_text(origin: &Origin) -> String {
    origin.ascii_serialization()
}

fn proxy_configured() -> bool {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Tells DNS, connect, TLS and timeout failures apart from reqwest's error and its causes.
fn classify(error: &reqwest::Error) -> NetworkKind {
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
    use super::*;
    use crate::auth::{ApiKeyHeader, Basic, Composite};
    use crate::Secret;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn client(base: &str) -> HttpClient {
        client_with(base, HttpConfig::default())
    }

    fn client_with(base: &str, config: HttpConfig) -> HttpClient {
        let auth = Composite::new()
            .with(Basic::new("u", Secret::new("p")))
            .with(ApiKeyHeader::new("X-Key", Secret::new("k")).unwrap());
        HttpClient::new("t", Url::parse(base).unwrap(), auth, config).unwrap()
    }

    fn fast_retries(max_attempts: u32) -> HttpConfig {
        HttpConfig {
            retry: RetryPolicy {
                max_attempts,
                base: Duration::from_millis(5),
                max_wait: Duration::from_millis(20),
                max_elapsed: Duration::from_secs(10),
            },
            ..HttpConfig::default()
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_success() {
        let server = MockServer::start().await;
        Mock::given(path("/flaky"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(path("/flaky"))
            .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
            .with_priority(2)
            .mount(&server)
            .await;
        let r = client_with(&server.uri(), fast_retries(5))
            .get("/flaky", &[])
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn retry_after_is_honoured() {
        let server = MockServer::start().await;
        Mock::given(path("/limited"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(path("/limited"))
            .respond_with(ResponseTemplate::new(200))
            .with_priority(2)
            .mount(&server)
            .await;
        let started = Instant::now();
        let r = client_with(&server.uri(), fast_retries(3))
            .get("/limited", &[])
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After: 1 was not honoured"
        );
    }

    #[tokio::test]
    async fn client_errors_are_never_retried_and_persistent_ones_give_up() {
        let server = MockServer::start().await;
        for (p, code) in [("/401", 401), ("/403", 403), ("/404", 404), ("/400", 400)] {
            Mock::given(path(p))
                .respond_with(ResponseTemplate::new(code))
                .mount(&server)
                .await;
        }
        Mock::given(path("/down"))
            .respond_with(ResponseTemplate::new(502))
            .mount(&server)
            .await;
        let c = client_with(&server.uri(), fast_retries(3));
        for p in ["/401", "/403", "/404", "/400"] {
            let r = c.get(p, &[]).await.unwrap();
            assert!(r.status.is_client_error());
        }
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            4,
            "4xx must not be retried"
        );
        let err = c.get("/down", &[]).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Remote { status: 502 });
        assert!(err.message().contains("gave up after 3 attempts"), "{err}");
        assert_eq!(server.received_requests().await.unwrap().len(), 4 + 3);
    }

    #[tokio::test]
    async fn throttling_halves_requests_in_flight() {
        let server = MockServer::start().await;
        Mock::given(path("/storm"))
            .respond_with(ResponseTemplate::new(429))
            .mount(&server)
            .await;
        let c = client_with(&server.uri(), fast_retries(1));
        assert_eq!(c.inner.in_flight.limit(), 8);
        let _ = c.get("/storm", &[]).await;
        assert_eq!(c.inner.in_flight.limit(), 4);
    }

    #[tokio::test]
    async fn sends_credentials_and_user_agent() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/a"))
            .and(header("authorization", "Basic dTpw"))
            .and(header("x-key", "k"))
            .and(header("user-agent", user_agent("t").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
            .expect(1)
            .mount(&server)
            .await;
        let r = client(&server.uri())
            .get("/a", &[("page", "1".into())])
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"[]");
        assert_eq!(r.endpoint, "GET /a");
    }

    #[tokio::test]
    async fn same_origin_redirects_are_followed() {
        let server = MockServer::start().await;
        Mock::given(path("/old"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "/new"))
            .mount(&server)
            .await;
        Mock::given(path("/new"))
            .and(header("x-key", "k"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&server)
            .await;
        let r = client(&server.uri()).get("/old", &[]).await.unwrap();
        assert_eq!(r.body, b"ok");
    }

    #[tokio::test]
    async fn cross_origin_redirects_are_refused_and_the_other_host_sees_nothing() {
        let first = MockServer::start().await;
        let second = MockServer::start().await;
        Mock::given(path("/a"))
            .respond_with(
                ResponseTemplate::new(307).insert_header("location", format!("{}/b", second.uri())),
            )
            .mount(&first)
            .await;
        let err = client(&first.uri()).get("/a", &[]).await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Protocol);
        assert!(err.message().contains("another origin"), "{err}");
        assert!(
            err.hint().unwrap().contains(&second.uri()),
            "{:?}",
            err.hint()
        );
        let seen = second.received_requests().await.unwrap();
        assert!(seen.is_empty(), "the other origin was contacted: {seen:?}");
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            HttpResponse {
                endpoint: "GET /".into(),
                status: StatusCode::TOO_MANY_REQUESTS,
                headers,
                body: Vec::new(),
            }
            .retry_after()
        };
        assert_eq!(with("120"), Some(Duration::from_secs(120)));
        let in_a_minute =
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(61));
        let wait = with(&in_a_minute).unwrap();
        assert!(
            (Duration::from_secs(58)..=Duration::from_secs(61)).contains(&wait),
            "{wait:?}"
        );
        assert_eq!(
            with("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a past date: no wait"
        );
        assert_eq!(with("soon"), None);
    }

    #[test]
    fn a_redirect_from_https_to_http_is_refused() {
        let c = client("https://api.example.invalid");
        let current = Url::parse("https://api.example.invalid/a").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            LOCATION,
            HeaderValue::from_static("http://api.example.invalid/a"),
        );
        let err = c.redirect_target(&current, &headers, "GET /a").unwrap_err();
        assert!(err.message().contains("from https to plain http"), "{err}");
        headers.insert(LOCATION, HeaderValue::from_static("/b?x=1"));
        let next = c.redirect_target(&current, &headers, "GET /a").unwrap();
        assert_eq!(
            next.as_str(),
            "https://api.example.invalid/b?x=1",
            "same origin is followed"
        );
    }

    #[tokio::test]
    async fn status_mapping() {
        let server = MockServer::start().await;
        for (p, code) in [
            ("/401", 401),
            ("/403", 403),
            ("/404", 404),
            ("/429", 429),
            ("/503", 503),
            ("/418", 418),
        ] {
            Mock::given(path(p))
                .respond_with(ResponseTemplate::new(code).insert_header("retry-after", "7"))
                .mount(&server)
                .await;
        }
        let c = client_with(&server.uri(), fast_retries(1));
        let kind = |p: &'static str| {
            let c = c.clone();
            async move {
                let r = c
                    .get_stream(p, &[])
                    .await
                    .unwrap()
                    .read_all()
                    .await
                    .unwrap();
                r.error_for_status("t", "Perm X")
                    .unwrap_err()
                    .kind()
                    .clone()
            }
        };
        assert_eq!(kind("/401").await, ErrorKind::Authentication);
        assert_eq!(
            kind("/403").await,
            ErrorKind::Permission {
                permission: "Perm X".into()
            }
        );
        assert_eq!(kind("/404").await, ErrorKind::NotFound);
        assert_eq!(
            kind("/429").await,
            ErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(kind("/503").await, ErrorKind::Remote { status: 503 });
        assert_eq!(kind("/418").await, ErrorKind::Protocol);
    }

    #[tokio::test]
    async fn connection_refused_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let c = client_with(&format!("http://{addr}"), fast_retries(2));
        let err = c.get("/x", &[]).await.unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::Network(NetworkKind::Connect),
            "{}",
            err.full_message()
        );
        assert!(
            err.message().contains("gave up after 2 attempts"),
            "refused is retried: {err}"
        );
        let err = c.probe().await.unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::Network(NetworkKind::Connect),
            "{}",
            err.full_message()
        );
    }

    #[tokio::test]
    async fn https_to_a_plain_http_server_is_a_tls_error() {
        let server = MockServer::start().await;
        let addr = server.address();
        let c = client(&format!("https://{addr}"));
        let err = c.probe().await.unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::Network(NetworkKind::Tls),
            "{}",
            err.full_message()
        );
        let err = c.get("/x", &[]).await.unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::Network(NetworkKind::Tls),
            "{}",
            err.full_message()
        );
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused() {
        let server = MockServer::start().await;
        Mock::given(path("/big"))
            .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
            .mount(&server)
            .await;
        let config = HttpConfig {
            max_body_bytes: 1024,
            ..HttpConfig::default()
        };
        let c = HttpClient::new(
            "t",
            Url::parse(&server.uri()).unwrap(),
            crate::auth::NoAuth,
            config,
        )
        .unwrap();
        let err = c.get("/big", &[]).await.unwrap_err();
        assert!(err.message().contains("larger than"), "{err}");
    }

    #[tokio::test]
    async fn requests_in_flight_are_limited_per_client() {
        let server = MockServer::start().await;
        Mock::given(path("/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(200)))
            .mount(&server)
            .await;
        let config = HttpConfig {
            max_in_flight: 1,
            ..HttpConfig::default()
        };
        let c = HttpClient::new(
            "t",
            Url::parse(&server.uri()).unwrap(),
            crate::auth::NoAuth,
            config,
        )
        .unwrap();
        let started = Instant::now();
        let all = futures_util::future::join_all((0..4).map(|_| c.get("/slow", &[]))).await;
        assert!(all.iter().all(Result::is_ok));
        // With one request at a time, four 200 ms answers cannot take less than 800 ms.
        assert!(
            started.elapsed() >= Duration::from_millis(790),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let err = HttpClient::new(
            "t",
            Url::parse("http://example.com").unwrap(),
            crate::auth::NoAuth,
            HttpConfig::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("refusing to send credentials"),
            "{err}"
        );
    }

    #[test]
    fn body_descriptions_do_not_quote_content() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let r = HttpResponse {
            endpoint: "GET /".into(),
            status: StatusCode::OK,
            headers,
            body: b"<html>secret stuff".to_vec(),
        };
        assert!(r.describe_body().starts_with("an HTML page"));
        assert!(!r.is_json());
    }
}
