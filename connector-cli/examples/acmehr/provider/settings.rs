//! Acme HR's settings. Acme is a SaaS with one fixed API host, so there is no URL field: the
//! SDK's [`Context`](connector_core::Context) points it at a sandbox or mock instead.

use connector_core::settings::{HttpSettings, Settings};
use connector_core::Secret;
use schemars::JsonSchema;
use serde::Deserialize;

/// Acme HR returns at most this many employees per page.
pub const MAX_PAGE_SIZE: u32 = 500;

/// Connection settings for Acme HR. Create an API client under Settings > Integrations >
/// API clients, with the `employees:read` scope.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "Acme HR")]
pub struct AcmeSettings {
    /// The API client's id (Settings > Integrations > API clients).
    #[schemars(title = "Client id", example = &"acme-client-7f3a")]
    pub client_id: String,

    /// The API client's secret, shown once when the client was created.
    #[schemars(title = "Client secret")]
    pub client_secret: Secret,

    /// Employees per request (Acme HR returns at most 500).
    #[serde(default = "default_page_size")]
    #[schemars(title = "Page size", range(min = 1, max = 500))]
    pub page_size: u32,

    /// Timeouts, retries, request budget and limits, shared by every HTTP provider.
    #[serde(flatten)]
    pub http: HttpSettings,
}

fn default_page_size() -> u32 {
    200
}

impl Settings for AcmeSettings {}
