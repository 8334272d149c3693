//! The Directory API client: the SDK's HTTP client with the JWT bearer grant (the service
//! account's signed assertion, acting for the admin) at the key's token URI, another host than
//! the API's, and Google's words for what to fix.

use connector_core::auth::{JwtAssertion, OAuth2ClientCredentials};
use connector_core::http::{ErrorPolicy, HttpClient, HttpConfig, On};
use connector_core::reexports::url::Url;
use connector_core::{Context, Error, FieldError, Result};

use crate::settings::{GoogleSettings, TOKEN_URI};
use crate::ID;

/// The scope the export needs (read-only users).
pub const SCOPE: &str = "https://www.googleapis.com/auth/admin.directory.user.readonly";
/// Where Google's Directory API lives.
pub const API_HOST: &str = "https://admin.googleapis.com/";
/// Where the delegation is granted.
const DELEGATION: &str = "Admin console > Security > Access and data control > API controls > Manage Domain Wide Delegation";

/// The SDK's HTTP client for the Directory API, for validated settings; `context` may point
/// the `api` endpoint (and the `token` one, else the key's token URI) at a sandbox.
pub fn http(settings: &GoogleSettings, context: &Context) -> Result<HttpClient> {
    let key = &settings.service_account_key;
    let bad = |field: &str, why: String| {
        let field = format!("service_account_key.{field}");
        Error::invalid_settings(ID, vec![FieldError::new(field, why)])
    };
    let uri = key.token_uri.as_deref().unwrap_or(TOKEN_URI).trim();
    let token_url = Url::parse(uri).map_err(|e| bad("token_uri", format!("is not a URL ({e})")))?;
    let token_url = context.endpoint("token").cloned().unwrap_or(token_url);
    let email = key.client_email.trim();
    let assertion = JwtAssertion::rs256(email, token_url.as_str(), SCOPE, &key.private_key)
        .map_err(|why| bad("private_key", why))?
        .subject(settings.subject.trim());
    let auth = OAuth2ClientCredentials::jwt_bearer(token_url, assertion);
    let base = context
        .endpoint_or("api", &Url::parse(API_HOST)?)
        .join("admin/directory/v1/")?;
    let mut config = settings.http.config(HttpConfig::FIXED_HOST);
    config.errors = error_policy();
    HttpClient::new(ID, base, auth, config)
}

/// Google's fixes, as data: the token service's OAuth errors, the API's error body.
fn error_policy() -> ErrorPolicy {
    ErrorPolicy::new()
        .code_at("/error/status")
        .message_at("/error/message")
        .hint_on(On::ApiCode("unauthorized_client".into()), &["service_account_key"], format!("domain-wide delegation is not granted for this scope: in the {DELEGATION}, add the service account's client ID with the scope {SCOPE}"))
        .hint_on(On::ApiCode("invalid_grant".into()), &["subject"], "Google refused the assertion: check that subject is an existing Workspace user (an admin), and that this machine's clock is right (assertions are valid for an hour from their signing time)")
        .hint_on(On::ApiCode("invalid_client".into()), &["service_account_key"], "Google does not know this service account or key: check client_email, and that the key was not deleted (IAM & Admin > Service accounts > the account > Keys)")
        .hint_on(On::Authentication, &["service_account_key", "subject"], "Google refused the service account: check the key file and the subject")
        .hint_on(On::Permission, &["subject"], "the subject may not read users: make it an admin with the Users > Read privilege (Admin console > Account > Admin roles)")
        .hint(On::RateLimited, "the Directory API kept throttling even after backing off; lower max_concurrent_requests or set requests_per_minute")
}
