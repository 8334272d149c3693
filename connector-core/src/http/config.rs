//! [`HttpConfig`]: the tuning of the shared client, and how its hints name the API's URL (a
//! settings field, or a fixed host).

use std::time::Duration;

use url::Url;

use crate::http::retry::RetryPolicy;

/// Tuning of the shared client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Time allowed for DNS + TCP + TLS. Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included. Default 60 s.
    pub request_timeout: Duration,
    /// Largest answer body accepted, in bytes, and the budget every answer in flight through
    /// the client shares: the bodies being read at once may not hold more together, so
    /// memory is bounded per run, not per request (eight requests cannot each buffer the
    /// cap). Default 128 MiB.
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
    /// The name of the provider's settings field that holds the API's URL, used in hints
    /// ("check the host name in `api_url`"). Default `base_url`. A provider whose hosts are
    /// fixed (no URL setting) sets [`HttpConfig::FIXED_HOST`]: hints then name the host, never
    /// a field.
    pub url_field: &'static str,
    /// The provider's hints for its API's failures, applied to every error the client
    /// returns.
    pub errors: super::ErrorPolicy,
}

impl HttpConfig {
    /// The [`url_field`](Self::url_field) of a provider whose hosts are fixed: no settings
    /// field holds them, so hints about reaching them name the host instead.
    pub const FIXED_HOST: &'static str = "";

    /// Where hints say the URL of `host` comes from: the settings field, or the host itself
    /// when it is fixed.
    pub(crate) fn url_subject(&self, host: &str) -> String {
        if self.is_fixed_host() {
            format!("{host} (the provider's own host, not a setting)")
        } else {
            format!("`{}`", self.url_field)
        }
    }

    /// Whether the API's host is fixed (no settings field holds it).
    pub(crate) fn is_fixed_host(&self) -> bool {
        self.url_field == Self::FIXED_HOST
    }

    /// The hint when a fixed host cannot be reached: nothing in the settings to fix.
    pub(crate) fn fixed_host_hint(host: &str) -> String {
        format!("{host} is the provider's own host, not a setting: check that this machine can reach it (DNS, firewall, HTTPS_PROXY) and the provider's status page")
    }

    /// The settings fields a hint about the API's URL concerns: none for a fixed host.
    pub(crate) fn url_fields(&self) -> Vec<&'static str> {
        if self.url_field == Self::FIXED_HOST {
            Vec::new()
        } else {
            vec![self.url_field]
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_body_bytes: 128 * 1024 * 1024,
            max_redirects: 5,
            max_in_flight: 8,
            retry: RetryPolicy::default(),
            requests_per_minute: None,
            url_field: "base_url",
            errors: super::ErrorPolicy::default(),
        }
    }
}

/// The origin of `url`, for messages.
pub(crate) fn endpoint_host(url: &Url) -> String {
    url.origin().ascii_serialization()
}
