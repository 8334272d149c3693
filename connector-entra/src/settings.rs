//! Entra ID settings: the tenant, the app registration's client id and secret, the cloud.

use connector_core::settings::{HttpSettings, Settings};
use connector_core::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A GUID, as Entra shows its ids.
const GUID: &str = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";

/// Connection settings for Microsoft Entra ID (formerly Azure Active Directory), read through
/// Microsoft Graph with an app registration's client credentials. The app needs the Microsoft
/// Graph application permission User.Read.All, with admin consent.
// `Debug` shows the secret as [REDACTED]: `Secret`'s own `Debug` says so.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "Microsoft Entra ID")]
pub struct EntraSettings {
    /// The Directory (tenant) ID, from the Microsoft Entra admin center > Overview (a GUID), or
    /// the tenant's primary domain (contoso.onmicrosoft.com).
    #[schemars(
        title = "Directory (tenant) ID",
        example = &"72f988bf-86f1-41af-91ab-2d7cd011db47",
        pattern(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
    )]
    pub tenant_id: String,

    /// The Application (client) ID of the app registration (App registrations > the app >
    /// Overview).
    #[schemars(
        title = "Application (client) ID",
        example = &"0f4a3c1e-5b7d-4e2a-9c8b-1d2e3f4a5b6c",
        pattern(GUID)
    )]
    pub client_id: String,

    /// A client secret of the app registration: its Value (not its Secret ID), shown once
    /// under Certificates & secrets > Client secrets.
    #[schemars(title = "Client secret")]
    pub client_secret: Secret,

    /// The Microsoft cloud the tenant lives in: global (most tenants), us_government (GCC
    /// High, DoD) or china (operated by 21Vianet).
    #[serde(default)]
    #[schemars(title = "Cloud")]
    pub cloud: Cloud,

    /// Users asked for per request (Microsoft Graph's $top); Graph returns at most 999.
    #[serde(default = "default_page_size")]
    #[schemars(
        title = "Page size",
        range(min = 1, max = 999),
        extend("x-group" = "advanced")
    )]
    pub page_size: u32,

    /// Timeouts, retries, concurrency and the response cap.
    #[serde(flatten)]
    pub http: HttpSettings,
}

fn default_page_size() -> u32 {
    999
}

/// The Microsoft cloud of the tenant, which decides the sign-in and Graph hosts
/// ([`Cloud::hosts`]). Its variants carry no doc comments on purpose: the settings schema then
/// lists them as a plain `enum`, which every form renderer shows as a select.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
// Inline, not a `$ref`: form renderers (JSON Forms) drop a description written beside a `$ref`.
#[schemars(inline)]
pub enum Cloud {
    #[default]
    Global,
    UsGovernment,
    China,
}

impl Cloud {
    /// The sign-in (token) host and the Graph host.
    pub fn hosts(self) -> (&'static str, &'static str) {
        match self {
            Cloud::Global => (
                "https://login.microsoftonline.com/",
                "https://graph.microsoft.com/",
            ),
            Cloud::UsGovernment => (
                "https://login.microsoftonline.us/",
                "https://graph.microsoft.us/",
            ),
            Cloud::China => (
                "https://login.chinacloudapi.cn/",
                "https://microsoftgraph.chinacloudapi.cn/",
            ),
        }
    }
}

impl Settings for EntraSettings {}
