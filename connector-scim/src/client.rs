//! The SCIM client: the SDK's HTTP client with bearer or Basic credentials, SCIM's media
//! type, and SCIM error bodies (`detail`, `scimType`) in messages.

use connector_core::auth::{Basic, Bearer};
use connector_core::http::{ErrorPolicy, HttpClient, HttpResponse, On, Request};
use connector_core::Result;

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
    /// (declared in the error policy; the SDK's error scrubs every credential from it, in any
    /// encoding, should the service echo one).
    pub fn check_status(&self, response: &HttpResponse, permission: &str) -> Result<()> {
        self.http.check_status(response, permission)
    }
}

/// What SCIM failures mean to the product's administrator, as data: the client gives every
/// error it returns the first matching hint.
fn error_policy() -> ErrorPolicy {
    ErrorPolicy::new()
        // A SCIM error body (RFC 7644 §3.12): `scimType` is the code, `detail` the words.
        .code_at("/scimType")
        .message_at("/detail")
        .hint_on(
            On::Authentication,
            &["auth"],
            "the SCIM service rejected the credentials: check auth (a token is usually created in the product's SCIM or provisioning settings, and may have expired)",
        )
        .hint(
            On::Permission,
            "the credentials are valid but may not read users: give the token or account read access to users in the product's SCIM settings",
        )
        .hint(
            On::NotFound,
            "the host answered but has no SCIM service there: check that {field} ends with the SCIM path (often /scim/v2)",
        )
}
