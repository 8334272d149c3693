//! The SCIM client: the SDK's HTTP client with bearer or Basic credentials, SCIM's media
//! type, and SCIM error bodies (`detail`, `scimType`) in messages.

use connector_core::auth::{Basic, Bearer};
use connector_core::http::{ErrorPolicy, HttpClient, HttpResponse, On, Request};
use connector_core::{Error, Result};
use serde::Deserialize;

use crate::settings::{ScimAuth, ScimSettings};
use crate::ID;

/// SCIM's media type.
pub const SCIM_JSON: &str = "application/scim+json";

/// The SCIM client.
#[derive(Debug, Clone)]
pub struct ScimClient {
    http: HttpClient,
}

impl ScimClient {
    /// A client for validated settings.
    pub fn new(settings: &ScimSettings) -> Result<Self> {
        let base = settings.base_url.url().clone();
        let mut config = settings.http.config("base_url");
        config.errors = error_policy();
        let http = match &settings.auth {
            ScimAuth::Bearer { token } => {
                HttpClient::new(ID, base, Bearer::new(token.clone()), config)?
            }
            ScimAuth::Basic { username, password } => HttpClient::new(
                ID,
                base,
                Basic::new(username.clone(), password.clone()),
                config,
            )?,
        };
        Ok(ScimClient { http })
    }

    /// The SDK's HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// `GET path?query` with SCIM's media type, whole answer, statuses mapped to errors with the
    /// SCIM error's `detail` and `scimType`.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        permission: &str,
    ) -> Result<HttpResponse> {
        let request = Request::get(path)
            .accept(SCIM_JSON)
            .queries(query.iter().copied());
        let response = self.http.send(&request).await?;
        self.check_status(&response, permission)?;
        Ok(response)
    }

    /// Maps a non-2xx answer to an error that quotes the SCIM error's `detail` and `scimType`
    /// (the SDK's error scrubs every credential from it, in any encoding, should the service
    /// echo one).
    pub fn check_status(&self, response: &HttpResponse, permission: &str) -> Result<()> {
        response
            .error_for_status(ID, permission)
            .map_err(|e| self.http.explain(with_scim_detail(e, response)))
    }
}

/// A SCIM error body (RFC 7644 §3.12).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScimError {
    detail: Option<String>,
    scim_type: Option<String>,
}

fn with_scim_detail(e: Error, response: &HttpResponse) -> Error {
    let Ok(body) = serde_json::from_slice::<ScimError>(&response.body) else {
        return e;
    };
    let detail: String = body
        .detail
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let kind = body
        .scim_type
        .as_ref()
        .map(|t| format!(" (scimType {t})"))
        .unwrap_or_default();
    // The service's own error code, for the policy's rules.
    let e = match body.scim_type {
        Some(code) => e.with_api_code(code),
        None => e,
    };
    if detail.is_empty() && kind.is_empty() {
        return e;
    }
    let message = format!("{}; the service says: {detail}{kind}", e.message());
    e.with_message(message)
}

/// What SCIM failures mean to the product's administrator, as data: the client gives every
/// error it returns the first matching hint.
fn error_policy() -> ErrorPolicy {
    ErrorPolicy::new()
        .hint(
            On::Authentication,
            "the SCIM service rejected the credentials: check auth (a token is usually created in the product's SCIM or provisioning settings, and may have expired)",
        )
        .hint(
            On::Permission,
            "the credentials are valid but may not read users: give the token or account read access to users in the product's SCIM settings",
        )
        .hint(
            On::NotFound,
            "the host answered but has no SCIM service there: check that base_url ends with the SCIM path (often /scim/v2)",
        )
}
