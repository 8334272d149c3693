//! [`HttpClient`]: the one pipeline every request of every provider goes through.

use std::sync::Arc;
use std::time::Instant;

use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{redirect, StatusCode};
use url::Url;

use super::authenticate::{Authenticator, Credentials};
use super::config::{endpoint_host, HttpConfig};
use crate::base_url::is_allowed_scheme;
use crate::error::{Error, ErrorKind, NetworkKind, Result};
use crate::http::request::{Body, Request};
use crate::http::response::{HttpResponse, StreamingResponse};
use crate::http::retry::{Concurrency, Pacer};
use crate::Secret;

/// The user agent sent with every request: `connector-sdk/<version> (<provider>)`.
pub fn user_agent(provider: &str) -> String {
    format!("connector-sdk/{} ({provider})", env!("CARGO_PKG_VERSION"))
}

/// The shared client. Cheap to clone. Its `Debug` shows the provider and base URL only.
///
/// Every request goes through one private pipeline: the authenticator's credentials (only to
/// the base URL's origin), the request budget and the adaptive limit on requests in flight,
/// redirects within the request's origin only, the size cap, transport errors told apart,
/// one credential refresh and replay on 401, and retries of what is safe to retry.
#[derive(Clone)]
pub struct HttpClient {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.inner.provider)
            .field("base_url", &crate::http::redact_url(&self.inner.base))
            .finish_non_exhaustive()
    }
}

pub(super) struct Inner {
    pub(super) in_flight: Arc<Concurrency>,
    /// Whether any answer ever came back: until then a refused connection or an unknown host
    /// is a wrong address, not a hiccup, and is not retried.
    reached: std::sync::atomic::AtomicBool,
    pacer: Option<Pacer>,
    pub(super) provider: &'static str,
    pub(super) base: Url,
    pub(super) auth: Box<dyn Authenticator>,
    pub(super) client: reqwest::Client,
    pub(super) config: HttpConfig,
    /// Body bytes read by the answers in flight, against [`HttpConfig::max_body_bytes`].
    pub(super) buffered: std::sync::atomic::AtomicUsize,
}

impl HttpClient {
    /// A client for `base` (already normalised; its path is kept as a prefix of every
    /// request path). Refuses plain http to a non-loopback host.
    pub fn new(
        provider: &'static str,
        base: Url,
        auth: impl Authenticator + 'static,
        config: HttpConfig,
    ) -> Result<Self> {
        if !is_allowed_scheme(&base) {
            return Err(Error::new(
                provider,
                ErrorKind::InvalidSettings(vec![crate::FieldError::new(
                    config.url_fields().first().copied().unwrap_or("endpoint"),
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
                .with_source(e.without_url())
            })?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                in_flight: Concurrency::new(config.max_in_flight),
                reached: std::sync::atomic::AtomicBool::new(false),
                pacer: config.requests_per_minute.map(Pacer::new),
                provider,
                base,
                auth: Box::new(auth),
                client,
                config,
                buffered: std::sync::atomic::AtomicUsize::new(0),
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

    /// Every secret the client's authenticator holds or obtained so far (configured
    /// credentials and tokens issued during the run), for leak scans.
    pub fn secrets(&self) -> Vec<Secret> {
        self.inner.auth.secrets()
    }

    /// Sends `request` and reads the whole answer. Transport failures are errors; any HTTP
    /// status is returned (see [`HttpResponse::error_for_status`]), except that 429 and
    /// 502/503/504 are retried and, if they persist, returned as errors.
    ///
    /// Requests that are [safe to retry](Request::is_retry_safe) are retried under the
    /// configured [`RetryPolicy`]; others are sent once.
    pub async fn send(&self, request: &Request) -> Result<HttpResponse> {
        self.send_unexplained(request)
            .await
            .map_err(|e| self.explain(e))
    }

    /// `error` with the provider's hint for it ([`HttpConfig::errors`]): what every error the
    /// client returns gets; for errors a provider finds in an answer itself.
    pub fn explain(&self, error: Error) -> Error {
        let config = &self.inner.config;
        config.errors.explain(error, config.url_field)
    }

    async fn send_unexplained(&self, request: &Request) -> Result<HttpResponse> {
        let once = || async {
            let response = self.send_stream(request).await?.read_all().await?;
            let status = response.status.as_u16();
            if matches!(status, 429 | 502..=504) || self.inner.config.errors.retries_status(status)
            {
                self.status_error(&response, "")?;
            }
            Ok(response)
        };
        if request.is_retry_safe() {
            self.retry(&request.retry_label(), once).await
        } else {
            once().await
        }
    }

    /// `GET path?query` on the base URL, reading the whole body (see [`send`](Self::send)).
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<HttpResponse> {
        self.send(&Request::get(path).queries(query.iter().map(|(k, v)| (*k, v.as_str()))))
            .await
    }

    /// Like [`get`](Self::get), but the body is read chunk by chunk by the caller (within the
    /// same size cap), so that a large answer need not be held whole. One attempt, no retry.
    pub async fn get_stream(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<StreamingResponse> {
        self.send_stream(&Request::get(path).queries(query.iter().map(|(k, v)| (*k, v.as_str()))))
            .await
    }

    /// Runs `op` (one request and whatever reads its answer) and runs it again while it fails
    /// with a retryable error ([`Error::is_retryable`], unless the provider's
    /// [`ErrorPolicy`](super::ErrorPolicy) says otherwise), under the configured [`RetryPolicy`]:
    /// exponential backoff with full jitter, `Retry-After` honoured, capped in attempts and in
    /// total time. Every retry is logged at `warn` with `what`, the attempt and the wait (never
    /// headers or bodies). The final error says how many attempts were made.
    ///
    /// Only use it for operations that are safe to repeat.
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
            // Fail fast on a wrong address: nothing answered yet, and the host is unknown or
            // refuses connections.
            let unreachable = !self
                .inner
                .reached
                .load(std::sync::atomic::Ordering::Relaxed)
                && matches!(
                    error.kind(),
                    ErrorKind::Network(NetworkKind::Dns | NetworkKind::Connect)
                );
            let wait = if unreachable {
                None
            } else {
                let retryable = self.inner.config.errors.retryable(&error);
                policy.wait_for(retryable, attempt, &error, started)
            };
            let Some(wait) = wait else {
                return Err(if attempt > 1 {
                    let message = format!("{} (gave up after {attempt} attempts)", error.message());
                    error.with_message(message)
                } else {
                    error
                });
            };
            // The HTTP status that caused the retry (0: no answer, e.g. a dropped connection).
            let status: u16 = match error.kind() {
                ErrorKind::RateLimited { .. } => 429,
                ErrorKind::Remote { status } => *status,
                _ => 0,
            };
            tracing::warn!(
                provider = self.inner.provider,
                endpoint = what,
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                cause = error.kind().name(),
                status,
                "retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Sends `request` once and hands back the answer with its body unread. The request
    /// counts against the in-flight limit until the body is consumed or dropped.
    ///
    /// A 401 to an authenticated request makes the authenticator [refresh] its credentials
    /// (once, shared with other requests rejected by the same credentials) and the request
    /// is sent again.
    ///
    /// [refresh]: super::Authenticator::refresh
    pub async fn send_stream(&self, request: &Request) -> Result<StreamingResponse> {
        self.send_stream_unexplained(request)
            .await
            .map_err(|e| self.explain(e))
    }

    async fn send_stream_unexplained(&self, request: &Request) -> Result<StreamingResponse> {
        let inner = &*self.inner;
        let endpoint = request.label();
        let url = request.url(&inner.base);
        if !is_allowed_scheme(&url) {
            return Err(Error::new(
                inner.provider,
                ErrorKind::Protocol,
                format!(
                    "refusing to send a request to {} over {}",
                    url.origin().ascii_serialization(),
                    url.scheme()
                ),
            )
            .with_endpoint(endpoint));
        }
        // Only the provider's API gets its credentials, request budget and in-flight limit;
        // another origin (a token endpoint) gets neither.
        let ours = url.origin() == inner.base.origin();
        let authenticate = request.authenticate && ours;
        let mut refreshed = false;
        loop {
            let mut credentials = Credentials::default();
            if authenticate {
                inner
                    .auth
                    .authorize(self, &mut credentials)
                    .await
                    .map_err(|e| match e.endpoint() {
                        Some(_) => e,
                        None => e.with_endpoint(endpoint.clone()),
                    })?;
            }
            let slot = if ours {
                let slot = inner.in_flight.acquire().await;
                if let Some(pacer) = &inner.pacer {
                    pacer.wait_turn().await;
                }
                Some(slot)
            } else {
                None
            };
            let response = self
                .exchange(request, url.clone(), &credentials, &endpoint)
                .await?;
            let status = response.status();
            if ours {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    inner.in_flight.on_throttled();
                } else if status.is_success() {
                    inner.in_flight.on_success();
                }
            }
            if status == StatusCode::UNAUTHORIZED
                && authenticate
                && !refreshed
                && inner.auth.can_refresh()
            {
                drop(response);
                drop(slot);
                inner.auth.refresh(self, &credentials).await?;
                refreshed = true;
                continue;
            }
            let cap = inner.config.max_body_bytes;
            if response.content_length().is_some_and(|n| n > cap as u64) {
                return Err(self.too_large(&endpoint, cap));
            }
            return Ok(StreamingResponse::new(
                self.clone(),
                endpoint,
                response,
                slot,
            ));
        }
    }

    /// One exchange: the request, then redirects within its own origin (GET and HEAD only).
    async fn exchange(
        &self,
        request: &Request,
        url: Url,
        credentials: &Credentials,
        endpoint: &str,
    ) -> Result<reqwest::Response> {
        let inner = &*self.inner;
        let home = url.origin();
        let mut current = url;
        let mut redirects = 0;
        loop {
            let started = Instant::now();
            let mut target = current.clone();
            let mut headers = request.headers.clone();
            if current.origin() == inner.base.origin() {
                for (name, value) in credentials.headers() {
                    headers.insert(name.clone(), value.clone());
                }
                let mut pairs = credentials.query_pairs().peekable();
                if pairs.peek().is_some() {
                    target.query_pairs_mut().extend_pairs(pairs);
                }
            }
            headers.insert(ACCEPT, HeaderValue::from_static(request.accept));
            let mut builder = inner
                .client
                .request(request.method.clone(), target)
                .headers(headers);
            match &request.body {
                Body::None => {}
                Body::Form(_) => {
                    builder = builder
                        .header(
                            CONTENT_TYPE,
                            HeaderValue::from_static("application/x-www-form-urlencoded"),
                        )
                        .body(request.encoded_form().unwrap_or_default());
                }
                Body::Json(value) => {
                    builder = builder
                        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                        .body(serde_json::to_vec(value).unwrap_or_default());
                }
            }
            let response = builder
                .send()
                .await
                .map_err(|e| self.transport_error(e, endpoint))?;
            let status = response.status();
            inner
                .reached
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(
                provider = inner.provider,
                endpoint = %endpoint,
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "response"
            );
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                return Ok(response);
            }
            let next = self.redirect_target(&current, &home, response.headers(), endpoint)?;
            if !matches!(request.method, reqwest::Method::GET | reqwest::Method::HEAD) {
                return Err(Error::new(
                    inner.provider,
                    ErrorKind::Protocol,
                    format!(
                        "the server redirected a {} request; not followed",
                        request.method
                    ),
                )
                .with_endpoint(endpoint.to_owned()));
            }
            redirects += 1;
            if redirects > inner.config.max_redirects {
                return Err(Error::new(
                    inner.provider,
                    ErrorKind::Protocol,
                    format!("more than {} redirects", inner.config.max_redirects),
                )
                .with_endpoint(endpoint.to_owned())
                .with_hint_on(
                    inner.config.url_fields(),
                    format!(
                        "check {}: the server keeps redirecting",
                        inner.config.url_subject(&endpoint_host(&current))
                    ),
                ));
            }
            tracing::debug!(endpoint = %endpoint, to = next.path(), "following same-origin redirect");
            current = next;
        }
    }
}
