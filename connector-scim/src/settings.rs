//! The SCIM settings: the schema and validation source. The auth method is a choice
//! (`oneOf` with a `method` discriminator), so settings forms show a method selector.

use std::fmt;

use connector_core::settings::{BaseUrl, HttpSettings, Settings};
use connector_core::{FieldError, Secret};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::filter;

/// Connection settings for a SCIM 2.0 service (RFC 7643/7644): the users of an identity
/// provider or of any SaaS product that exposes SCIM.
#[derive(Deserialize, JsonSchema)]
#[schemars(title = "SCIM 2.0")]
pub struct ScimSettings {
    /// The SCIM service's base URL, path included, as the product's admin console shows it
    /// (e.g. `https://idp.example.com/scim/v2`).
    #[schemars(title = "SCIM base URL", example = &"https://idp.example.com/scim/v2")]
    pub base_url: BaseUrl,

    /// How to authenticate: a bearer token (most SaaS products) or HTTP Basic.
    #[schemars(title = "Authentication")]
    pub auth: ScimAuth,

    /// Only users matching this SCIM filter (RFC 7644 §3.4.2.2), e.g. `active eq true`.
    #[schemars(title = "Filter", example = &"active eq true")]
    pub filter: Option<String>,

    /// Users asked for per request; servers may return fewer (their own maximum).
    #[serde(default = "default_page_size")]
    #[schemars(
        title = "Page size",
        range(min = 1, max = 1000),
        extend("x-group" = "advanced")
    )]
    pub page_size: u32,

    /// Timeouts, retries, request budget and limits, shared by every HTTP provider.
    #[serde(flatten)]
    pub http: HttpSettings,
}

fn default_page_size() -> u32 {
    100
}

/// How to authenticate to the SCIM service.
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ScimAuth {
    /// A bearer token (the OAuth bearer token scheme), from the product's SCIM settings.
    #[schemars(title = "Bearer token")]
    Bearer {
        /// The SCIM API token.
        #[schemars(title = "Token")]
        token: Secret,
    },
    /// HTTP Basic with a user name and password.
    #[schemars(title = "Basic")]
    Basic {
        /// The user name of the account the SCIM service gave access (HTTP Basic cannot carry a
        /// colon in it).
        #[schemars(title = "User name", pattern(r"^[^:]*$"))]
        username: String,
        /// The password of that account, as set in the product's SCIM or provisioning
        /// settings.
        #[schemars(title = "Password")]
        password: Secret,
    },
}

impl fmt::Debug for ScimAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScimAuth::Bearer { token } => f.debug_struct("Bearer").field("token", token).finish(),
            ScimAuth::Basic { username, password } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", password)
                .finish(),
        }
    }
}

impl fmt::Debug for ScimSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimSettings")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("page_size", &self.page_size)
            .field("filter", &self.filter)
            .field("http", &self.http)
            .finish()
    }
}

impl Settings for ScimSettings {
    fn check(raw: &Map<String, Value>) -> Vec<FieldError> {
        match raw.get("filter").and_then(Value::as_str).map(filter::check) {
            Some(Err(why)) => vec![FieldError::new("filter", why)],
            _ => Vec::new(),
        }
    }
}
