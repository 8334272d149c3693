//! Acme HR's client: the SDK's HTTP client with OAuth2 client credentials, and Acme's own
//! words for what to do when something fails. No transport code: the SDK sends, retries,
//! refreshes the token on 401 and classifies failures.

use connector_core::auth::OAuth2ClientCredentials;
use connector_core::http::{ErrorPolicy, HttpClient, HttpConfig, On};
use connector_core::reexports::url::Url;
use connector_core::{Context, Result};

use super::settings::AcmeSettings;
use super::ID;

/// Where Acme HR's API lives.
pub const API_HOST: &str = "https://api.acmehr.example/";
/// Where Acme HR issues tokens: a host of its own.
pub const TOKEN_HOST: &str = "https://login.acmehr.example/";
/// Where administrators manage API clients.
pub const CLIENTS_MENU: &str = "Settings > Integrations > API clients";

/// The Acme HR client.
#[derive(Debug, Clone)]
pub struct AcmeClient {
    http: HttpClient,
}

impl AcmeClient {
    /// A client for validated settings; `context` may point it at a sandbox.
    pub fn new(settings: &AcmeSettings, context: &Context) -> Result<Self> {
        // `?` on a URL error: the SDK names the provider on the way out of `connect`.
        let (api, token) = (Url::parse(API_HOST)?, Url::parse(TOKEN_HOST)?);
        let base = context.endpoint_or("api", &api).clone();
        let token_url = context.endpoint_or("token", &token).join("oauth/token")?;
        let auth = OAuth2ClientCredentials::new(
            token_url,
            settings.client_id.clone(),
            settings.client_secret.clone(),
        )
        .scope("employees:read")
        .hint(format!(
            "check client_id and client_secret ({CLIENTS_MENU}); a client secret is shown only once, so create a new one if in doubt"
        ));
        // No URL setting: hints about reaching Acme HR name its hosts, not a field.
        let mut config = settings.http.config(HttpConfig::FIXED_HOST);
        config.errors = error_policy();
        let http = HttpClient::new(ID, base, auth, config)?;
        Ok(AcmeClient { http })
    }

    /// The SDK's HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }
}

/// Acme's fixes, in an Acme administrator's words, as data: the SDK's client gives every
/// error it returns the first matching hint.
fn error_policy() -> ErrorPolicy {
    ErrorPolicy::new()
        .hint_on(
            On::Authentication,
            &["client_id", "client_secret"],
            format!("Acme HR rejected the API client: check client_id and client_secret ({CLIENTS_MENU})"),
        )
        .hint(
            On::Permission,
            format!("give the API client the `{{permission}}` scope ({CLIENTS_MENU} > edit > Scopes), then test again"),
        )
        .hint(
            On::RateLimited,
            "Acme HR's rate limit was exceeded even after backing off; lower max_concurrent_requests or set requests_per_minute",
        )
}
