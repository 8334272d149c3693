//! Setting types every HTTP provider shares: a [`BaseUrl`] normalised once (its rules applied
//! when settings are validated, so a bad URL is reported with every other problem), and the
//! [`HttpSettings`] (timeouts, attempts, retry time, requests per minute, requests in flight,
//! response cap) that a provider flattens into its own settings.
//!
//! ```
//! use connector_core::settings::{parse_settings, BaseUrl, HttpSettings, Settings};
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! /// A SCIM server.
//! #[derive(Deserialize, JsonSchema)]
//! #[schemars(title = "SCIM")]
//! struct ScimSettings {
//!     /// The SCIM base URL, e.g. `https://idp.example/scim/v2`.
//!     #[schemars(title = "Base URL")]
//!     base_url: BaseUrl,
//!     #[serde(flatten)]
//!     http: HttpSettings,
//! }
//! impl Settings for ScimSettings {}
//!
//! let s: ScimSettings = parse_settings("scim", serde_json::json!({
//!     "base_url": "idp.example/scim/v2/", "timeout_secs": 5
//! })).unwrap();
//! assert_eq!(s.base_url.as_str(), "https://idp.example/scim/v2");
//! assert_eq!(s.http.timeout_secs, 5);
//! assert_eq!(s.http.max_attempts, 10, "defaults for what is not given");
//!
//! let err = parse_settings::<ScimSettings>("scim", serde_json::json!({
//!     "base_url": "http://idp.example", "max_attempts": 0
//! })).err().unwrap();
//! let fields: Vec<_> = err.field_errors().iter().map(|f| f.field.as_str()).collect();
//! assert_eq!(fields, ["base_url", "max_attempts"], "every problem at once");
//! ```

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use crate::base_url::{normalize, normalize_base_url, BaseUrlRules};
use crate::http::{HttpConfig, RetryPolicy};

/// The schema keyword that carries a [`BaseUrl`] field's rules from the type to validation
/// (removed from the published document).
pub(super) const BASE_URL_KEYWORD: &str = "x-base-url";

/// The normalisation rules of a [`BaseUrl`] setting, as a type.
pub trait UrlRules: 'static {
    /// The rules.
    const RULES: BaseUrlRules;
}

/// Keeps any path (`https://idp.example/scim/v2`) as the prefix of every request path.
#[derive(Debug, Clone, Copy)]
pub struct AnyPath;

impl UrlRules for AnyPath {
    const RULES: BaseUrlRules = BaseUrlRules::KEEP_PATH;
}

/// An API URL setting, normalised once under the rules `R` (see
/// [`normalize_base_url`]): a bare host gets `https://`, plain http is refused except on
/// loopback, credentials, queries and fragments are refused. Its `Debug` and `Display` show
/// the normalised URL (which cannot hold credentials).
pub struct BaseUrl<R: UrlRules = AnyPath> {
    url: Url,
    rules: PhantomData<fn() -> R>,
}

impl<R: UrlRules> BaseUrl<R> {
    /// Normalises `input`; the error says what is wrong and how to fix it.
    pub fn parse(input: &str) -> Result<Self, String> {
        normalize_base_url(input, &R::RULES).map(|url| BaseUrl {
            url,
            rules: PhantomData,
        })
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The URL, owned.
    pub fn into_url(self) -> Url {
        self.url
    }
}

impl<R: UrlRules> Clone for BaseUrl<R> {
    fn clone(&self) -> Self {
        BaseUrl {
            url: self.url.clone(),
            rules: PhantomData,
        }
    }
}

impl<R: UrlRules> fmt::Debug for BaseUrl<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.url.as_str(), f)
    }
}

impl<R: UrlRules> fmt::Display for BaseUrl<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl<'de, R: UrlRules> Deserialize<'de> for BaseUrl<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        BaseUrl::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl<R: UrlRules> JsonSchema for BaseUrl<R> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "BaseUrl".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let rules = R::RULES;
        json_schema!({
            "type": "string",
            "minLength": 1,
            BASE_URL_KEYWORD: {
                "ignored_paths": rules.ignored_paths,
                "example_host": rules.example_host,
                "keep_path": rules.keep_path,
            }
        })
    }
}

/// Checks a raw value against the rules a [`BaseUrl`] schema carried.
pub(super) fn check_base_url(rules: &Value, input: &str) -> Result<(), String> {
    let ignored: Vec<&str> = rules["ignored_paths"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    normalize(
        input,
        &ignored,
        rules["example_host"].as_str().unwrap_or_default(),
        rules["keep_path"].as_bool().unwrap_or(false),
    )
    .map(|_| ())
}

/// The connection settings every HTTP provider shares; flatten them into a provider's
/// settings with `#[serde(flatten)] http: HttpSettings` and build the client's
/// [`HttpConfig`] with [`config`](Self::config). They are tuning settings: a form shows them
/// collapsed under "Advanced settings" (`x-group: "advanced"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
pub struct HttpSettings {
    /// Seconds to wait for one answer from the API before giving up.
    #[serde(default = "defaults::timeout_secs")]
    #[schemars(title = "Request timeout (seconds)", range(min = 1, max = 600), extend("x-group" = "advanced"))]
    pub timeout_secs: u64,

    /// Requests sent to the API at the same time. Lower it if the request quota is tight; 1
    /// sends one request at a time. Halved automatically whenever the API answers 429 (too
    /// many requests), and grown back as requests succeed.
    #[serde(default = "defaults::max_concurrent_requests")]
    #[schemars(title = "Concurrent requests", range(min = 1, max = 32), extend("x-group" = "advanced"))]
    pub max_concurrent_requests: u32,

    /// Attempts per request when the API is rate limiting (429), briefly unavailable
    /// (502/503/504) or the connection fails; 1 never retries. Waits grow exponentially (with
    /// jitter) from about one second.
    #[serde(default = "defaults::max_attempts")]
    #[schemars(title = "Attempts per request", range(min = 1, max = 20), extend("x-group" = "advanced"))]
    pub max_attempts: u32,

    /// Longest time, in seconds, spent retrying one request before giving up.
    #[serde(default = "defaults::max_retry_secs")]
    #[schemars(title = "Retry time limit (seconds)", range(min = 1, max = 3600), extend("x-group" = "advanced"))]
    pub max_retry_secs: u64,

    /// Largest answer accepted from the API, in MiB, and the most the answers being read at
    /// once may hold together; a bigger one is refused.
    #[serde(default = "defaults::max_response_mb")]
    #[schemars(title = "Largest answer (MiB)", range(min = 1, max = 4096), extend("x-group" = "advanced"))]
    pub max_response_mb: u32,

    /// Optional budget: at most this many requests per minute, to stay under the API's
    /// quota. Unlimited when not set.
    #[schemars(
        title = "Requests per minute",
        range(min = 1, max = 100_000),
        extend("x-group" = "advanced")
    )]
    pub requests_per_minute: Option<u32>,
}

mod defaults {
    pub fn timeout_secs() -> u64 {
        60
    }
    pub fn max_concurrent_requests() -> u32 {
        8
    }
    pub fn max_attempts() -> u32 {
        10
    }
    pub fn max_retry_secs() -> u64 {
        300
    }
    pub fn max_response_mb() -> u32 {
        128
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout_secs: defaults::timeout_secs(),
            max_concurrent_requests: defaults::max_concurrent_requests(),
            max_attempts: defaults::max_attempts(),
            max_retry_secs: defaults::max_retry_secs(),
            max_response_mb: defaults::max_response_mb(),
            requests_per_minute: None,
        }
    }
}

impl HttpSettings {
    /// The client configuration these settings ask for; `url_field` names the provider's URL
    /// setting in hints.
    pub fn config(&self, url_field: &'static str) -> HttpConfig {
        HttpConfig {
            request_timeout: Duration::from_secs(self.timeout_secs),
            max_in_flight: self.max_concurrent_requests as usize,
            retry: RetryPolicy {
                max_attempts: self.max_attempts,
                max_elapsed: Duration::from_secs(self.max_retry_secs),
                ..RetryPolicy::default()
            },
            requests_per_minute: self.requests_per_minute,
            max_body_bytes: (self.max_response_mb as usize).saturating_mul(1024 * 1024),
            url_field,
            ..HttpConfig::default()
        }
    }
}
