//! The Graph client: the SDK's HTTP client with OAuth2 client credentials from the tenant's
//! token endpoint (another host than Graph's), and Entra's own words for what to fix.

use connector_core::auth::OAuth2ClientCredentials;
use connector_core::http::{ErrorPolicy, HttpClient, HttpConfig, On};
use connector_core::reexports::url::Url;
use connector_core::{Context, Result};

use crate::settings::EntraSettings;
use crate::ID;

/// Where apps are registered and their permissions granted.
const APP: &str = "Microsoft Entra admin center > App registrations > the app";

/// The SDK's HTTP client for Microsoft Graph, for validated settings; `context` may point
/// its endpoints (`api`: Graph, `token`: the sign-in service) at a sandbox.
pub fn http(settings: &EntraSettings, context: &Context) -> Result<HttpClient> {
    let (login, graph) = settings.cloud.hosts();
    let (login, graph) = (Url::parse(login)?, Url::parse(graph)?);
    let scope = format!("{graph}.default");
    let base = context.endpoint_or("api", &graph).join("v1.0/")?;
    let tenant = settings.tenant_id.trim();
    let token_url = context
        .endpoint_or("token", &login)
        .join(&format!("{tenant}/oauth2/v2.0/token"))?;
    let auth = OAuth2ClientCredentials::new(
        token_url,
        settings.client_id.trim(),
        settings.client_secret.clone(),
    )
    .scope(scope)
    // Entra's AADSTS code (7000215: a wrong secret) says more than `invalid_client`.
    .code_at("/error_codes/0");
    let mut config = settings.http.config(HttpConfig::FIXED_HOST);
    config.errors = error_policy();
    HttpClient::new(ID, base, auth, config)
}

/// Entra's fixes, as data: AADSTS codes of the token service, Graph's error body.
fn error_policy() -> ErrorPolicy {
    let rule = |policy: ErrorPolicy, code: &str, fields: &[&str], hint: String| {
        policy.hint_on(On::ApiCode(code.into()), fields, hint)
    };
    let policy = ErrorPolicy::new()
        .code_at("/error/code")
        .message_at("/error/message");
    let policy = rule(policy, "7000215", &["client_secret"], format!("the client secret is wrong: copy the secret's Value (not its Secret ID) from {APP} > Certificates & secrets, or create a new one"));
    let policy = rule(policy, "7000222", &["client_secret"], format!("the client secret has expired: create a new one in {APP} > Certificates & secrets and save it here"));
    let policy = rule(policy, "90002", &["tenant_id"], "no tenant has this ID: copy the Directory (tenant) ID from the Microsoft Entra admin center > Overview".into());
    let policy = rule(policy, "900023", &["tenant_id"], "this is not a tenant ID or domain: copy the Directory (tenant) ID from the Microsoft Entra admin center > Overview".into());
    let policy = rule(policy, "700016", &["client_id", "tenant_id"], "no app with this client ID in the tenant: check the Application (client) ID, and that the app is registered in this tenant".into());
    policy
        .hint_on(On::Authentication, &["client_id", "client_secret"], format!("Entra ID refused the app's credentials: check the client ID and secret in {APP}"))
        .hint(On::Permission, format!("grant the app the Microsoft Graph application permission User.Read.All ({APP} > API permissions > Add a permission > Microsoft Graph > Application permissions), then Grant admin consent"))
        .hint(On::RateLimited, "Microsoft Graph kept throttling even after backing off; lower max_concurrent_requests or set requests_per_minute")
}
