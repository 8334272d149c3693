//! # connector-entra
//!
//! Microsoft Entra ID (formerly Azure Active Directory) through Microsoft Graph: the users of
//! a tenant (`GET /v1.0/users`, `$select`, the manager expanded, `@odata.nextLink` paging),
//! read by an app registration with the client-credentials grant at the tenant's token
//! endpoint, on another host than Graph's (the `api` and `token` endpoints). The connection
//! test answers the token service's AADSTS codes with their fix (wrong tenant, wrong or
//! expired secret) and says when User.Read.All lacks admin consent.
//!
//! ## Example
//!
//! ```
//! use connector_core::settings::parse_settings;
//! use connector_entra::EntraSettings;
//!
//! let settings: EntraSettings = parse_settings("entra", serde_json::json!({
//!     "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
//!     "client_id": "0f4a3c1e-5b7d-4e2a-9c8b-1d2e3f4a5b6c",
//!     "client_secret": "s3cr3t~value",
//! })).expect("valid settings");
//! assert!(!format!("{settings:?}").contains("s3cr3t~value"));
//! let bad = parse_settings::<EntraSettings>("entra", serde_json::json!({
//!     "tenant_id": "contoso.onmicrosoft.com",
//!     "client_id": "not-a-guid",
//!     "client_secret": "s",
//! }));
//! assert_eq!(bad.err().unwrap().field_errors()[0].field, "client_id");
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod client;
pub mod export;
pub mod mapping;
pub mod model;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod settings;

use async_trait::async_trait;
use connector_core::check::Checklist;
use connector_core::{
    Capability, Connector, Context, Endpoint, ExportOptions, Filter, Provider, ProviderDescriptor,
    Result, UserExport,
};

pub use settings::EntraSettings;

/// The provider id.
pub const ID: &str = "entra";

/// A connection to one tenant.
#[derive(Debug)]
pub struct EntraConnector {
    http: connector_core::http::HttpClient,
    page_size: u32,
}

#[async_trait]
impl Connector for EntraConnector {
    fn provider_id(&self) -> &'static str {
        ID
    }

    async fn test_connection(&self, checks: &mut Checklist) {
        check::run(&self.http, checks).await;
    }

    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        export::export(&self.http, options.page_size.unwrap_or(self.page_size))
    }
}

/// The Entra ID provider.
pub struct Entra;

impl Provider for Entra {
    const ID: &'static str = ID;
    type Settings = EntraSettings;
    type Connector = EntraConnector;

    fn connect(settings: EntraSettings, context: &Context) -> Result<EntraConnector> {
        Ok(EntraConnector {
            http: client::http(&settings, context)?,
            page_size: settings.page_size,
        })
    }
}

const DESCRIPTOR: ProviderDescriptor = {
    let d = ProviderDescriptor::new::<Entra>("Microsoft Entra ID")
        .with_description("Microsoft Entra ID (Azure AD): users, their managers and whether their account is enabled, via Microsoft Graph")
        .with_docs_url("https://learn.microsoft.com/en-us/graph/api/user-list")
        .with_capabilities(&[Capability::ConnectionTest, Capability::UserExport])
        .with_checks(check::CHECKS)
        .with_filters(&[Filter::Status])
        .with_max_page_size(999)
        .with_endpoints(&[
            Endpoint::new("api", "Microsoft Graph").at("https://graph.microsoft.com/"),
            Endpoint::new("token", "the Microsoft identity platform's token service")
                .at("https://login.microsoftonline.com/"),
        ]);
    #[cfg(feature = "sandbox")]
    let d = d.with_sandbox(
        sandbox::start_boxed,
        connector_core::sandbox::SandboxFeatures::NONE.with_deny(&[export::USER_READ_ALL]),
    );
    d
};

connector_core::register!(DESCRIPTOR);

/// The Entra ID descriptor; calling it keeps this crate's registration linked.
pub fn descriptor() -> &'static ProviderDescriptor {
    &DESCRIPTOR
}
