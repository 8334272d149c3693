//! HTTP calls to UKG Pro: credentials, endpoints, paging parameters, and the mapping of UKG's
//! answers to the SDK's errors with hints in the UKG admin's words.

use connector_core::auth::{ApiKeyHeader, Basic, Composite};
use connector_core::http::{ErrorPolicy, HttpClient, HttpResponse, On};
use connector_core::{Error, Result};
use serde::de::DeserializeOwned;

use crate::settings::UkgProSettings;
use crate::PROVIDER_ID;

/// Where service accounts and their permissions are managed in UKG Pro.
pub const SERVICE_ACCOUNT_MENU: &str =
    "Menu > System Configuration > Security > Service Account Administration";
/// Where the web services host is shown in UKG Pro.
pub const WEB_SERVICES_MENU: &str = "Menu > System Configuration > Security > Web Services";

/// A UKG Pro REST endpoint and the web-service permission (View) it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Path below the API root.
    pub path: &'static str,
    /// The web service the service account needs View on.
    pub permission: &'static str,
}

/// Names, e-mail, user name.
pub const PERSON_DETAILS: Endpoint = Endpoint {
    path: "/personnel/v1/person-details",
    permission: "Employee Person Details",
};

/// The employees changed in a window (the change feed; windows of at least 3 hours).
pub const EMPLOYEE_CHANGES: Endpoint = Endpoint {
    path: "/personnel/v1/employee-changes",
    permission: "Employee Export",
};

/// Job, status, employee number, supervisor, dates.
pub const EMPLOYMENT_DETAILS: Endpoint = Endpoint {
    path: "/personnel/v1/employment-details",
    permission: "Personnel Integration",
};

/// The UKG Pro client: the shared HTTP client with UKG's credentials.
#[derive(Debug, Clone)]
pub struct UkgClient {
    http: HttpClient,
}

impl UkgClient {
    /// A client for validated settings: Basic(username, password) plus
    /// `US-Customer-Api-Key`, plus `Api-Key` when a user API key is given.
    pub fn new(settings: &UkgProSettings) -> Result<Self> {
        let base = settings.api_root().clone();
        let auth = Composite::new()
            .with(Basic::new(
                settings.username.clone(),
                settings.password.clone(),
            ))
            .with(ApiKeyHeader::new(
                "US-Customer-Api-Key",
                settings.customer_api_key.clone(),
            )?)
            .with_optional(
                settings
                    .user_api_key
                    .clone()
                    .map(|k| ApiKeyHeader::new("Api-Key", k))
                    .transpose()?,
            );
        let mut config = settings.http.config("base_url");
        config.errors = error_policy();
        let http = HttpClient::new(PROVIDER_ID, base, auth, config)?;
        Ok(UkgClient { http })
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// `GET endpoint?page=&per_Page=[&companyId=]` (UKG spells `per_Page` with a capital P).
    /// Returns the raw answer (any status); network failures carry UKG hints.
    pub async fn get_page(
        &self,
        endpoint: Endpoint,
        page: u32,
        per_page: u32,
        company_id: Option<&str>,
    ) -> Result<HttpResponse> {
        self.http
            .get(endpoint.path, &page_query(page, per_page, company_id))
            .await
    }
}

fn page_query(page: u32, per_page: u32, company_id: Option<&str>) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("page", page.to_string()),
        ("per_Page", per_page.to_string()),
    ];
    if let Some(company) = company_id {
        query.push(("companyId", company.to_owned()));
    }
    query
}

/// What UKG Pro's failures mean to its administrator, as data: the client gives every error
/// it returns the first matching hint.
fn error_policy() -> ErrorPolicy {
    ErrorPolicy::new()
        // 400s (and most 5xx) are problem+json: `detail`, or a `message`.
        .message_at("/detail")
        .message_at("/message")
        .hint_on(
            On::Authentication,
            &["username", "password", "customer_api_key"],
            format!("UKG Pro rejected the service account: check username, password and customer_api_key ({SERVICE_ACCOUNT_MENU}); the password is the one UKG Pro generated when the account was saved"),
        )
        .hint(
            On::Permission,
            format!("give the service account View on the \u{201c}{{permission}}\u{201d} web service ({SERVICE_ACCOUNT_MENU} > edit the account), then test again"),
        )
        .hint(
            On::NotFound,
            format!("the host answered but has no UKG Pro REST API at {{path}}; check {{field}} against {WEB_SERVICES_MENU}"),
        )
        .hint(
            On::RateLimited,
            "UKG Pro's per-tenant request quota was exceeded even after backing off; wait a few minutes, lower max_concurrent_requests or set requests_per_minute, and try again",
        )
        .hint(
            On::ServerError,
            "UKG Pro kept answering with server errors; try again later, and contact UKG support if it persists",
        )
        .hint(
            On::Protocol,
            format!("check that {{field}} is the web services host from {WEB_SERVICES_MENU}, not the login page, and that no proxy rewrites the answer"),
        )
        .hint(
            On::Dns,
            format!("check {{field}} for typos; the web services host is shown in UKG Pro under {WEB_SERVICES_MENU} (e.g. service5.ultipro.com)"),
        )
}

/// Maps a non-2xx answer to an error with UKG Pro's hint.
pub fn check_status(client: &UkgClient, response: &HttpResponse, endpoint: Endpoint) -> Result<()> {
    client.http().check_status(response, endpoint.permission)
}

/// Parses a whole 2xx answer as UKG's bare JSON array of `T` (see
/// [`HttpResponse::json_array`]), naming the page in errors.
pub fn parse_list<T: DeserializeOwned>(
    client: &UkgClient,
    response: &HttpResponse,
    page: u32,
) -> Result<Vec<T>> {
    response
        .json_array(PROVIDER_ID)
        .map_err(|e| client.http().explain(on_page(e, page)))
}

/// Names the page in the error's message.
fn on_page(e: Error, page: u32) -> Error {
    let message = format!("page {page}: {}", e.message());
    e.with_message(message)
}
