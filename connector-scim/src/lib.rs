//! # connector-scim
//!
//! The generic SCIM 2.0 provider of the connector SDK (RFC 7643/7644): the users of any
//! identity provider or SaaS product that exposes SCIM, read with a bearer token or HTTP
//! Basic, paged by `startIndex`/`count` inside `ListResponse` envelopes, mapped with the
//! enterprise extension. Built only from the core's mechanisms.
//!
//! ## Example
//!
//! ```
//! use connector_core::settings::parse_settings;
//! use connector_scim::ScimSettings;
//!
//! let settings: ScimSettings = parse_settings("scim", serde_json::json!({
//!     "base_url": "https://idp.example.com/scim/v2/",
//!     "auth": {"method": "bearer", "token": "s3cr3t-token"},
//!     "filter": "active eq true",
//! })).expect("valid settings");
//! assert_eq!(settings.base_url.as_str(), "https://idp.example.com/scim/v2");
//! assert!(!format!("{settings:?}").contains("s3cr3t-token"));
//!
//! let bad = parse_settings::<ScimSettings>("scim", serde_json::json!({
//!     "base_url": "https://idp.example.com/scim/v2",
//!     "auth": {"method": "bearer", "token": "t"},
//!     "filter": "active eq",
//! }));
//! assert_eq!(bad.err().unwrap().field_errors()[0].field, "filter");
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod client;
pub mod export;
pub mod filter;
pub mod mapping;
pub mod model;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod settings;

use std::fmt;

use async_trait::async_trait;
use connector_core::check::Checklist;
use connector_core::{
    Capability, Connector, Context, ExportOptions, Filter, Provider, ProviderDescriptor, Result,
    UserExport,
};

pub use settings::ScimSettings;

/// The provider id.
pub const ID: &str = "scim";

/// A connection to one SCIM service.
pub struct ScimConnector {
    client: client::ScimClient,
    page_size: u32,
    filter: Option<String>,
}

impl fmt::Debug for ScimConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimConnector")
            .field("client", &self.client)
            .field("page_size", &self.page_size)
            .field("filter", &self.filter)
            .finish()
    }
}

#[async_trait]
impl Connector for ScimConnector {
    fn provider_id(&self) -> &'static str {
        ID
    }

    async fn test_connection(&self, checks: &mut Checklist) {
        check::run(&self.client, checks).await;
    }

    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        export::export(
            &self.client,
            options.page_size.unwrap_or(self.page_size),
            self.filter.as_deref(),
        )
    }
}

/// The SCIM provider.
pub struct Scim;

impl Provider for Scim {
    const ID: &'static str = ID;
    type Settings = ScimSettings;
    type Connector = ScimConnector;

    fn connect(settings: ScimSettings, _: &Context) -> Result<ScimConnector> {
        Ok(ScimConnector {
            client: client::ScimClient::new(&settings)?,
            page_size: settings.page_size,
            filter: settings.filter,
        })
    }
}

const DESCRIPTOR: ProviderDescriptor = {
    let d = ProviderDescriptor::new::<Scim>("SCIM 2.0")
        .with_description(
            "Any SCIM 2.0 service (RFC 7643/7644): users, with the enterprise extension",
        )
        .with_docs_url("https://datatracker.ietf.org/doc/html/rfc7644")
        .with_capabilities(&[Capability::ConnectionTest, Capability::UserExport])
        .with_checks(check::CHECKS)
        .with_filters(&[Filter::Status])
        .with_max_page_size(1000);
    #[cfg(feature = "sandbox")]
    let d = d.with_sandbox(
        sandbox::start_boxed,
        connector_core::sandbox::SandboxFeatures::NONE.with_deny(&[sandbox::READ_USERS]),
    );
    d
};

connector_core::register!(DESCRIPTOR);

/// The SCIM descriptor; calling it keeps this crate's registration linked.
pub fn descriptor() -> &'static ProviderDescriptor {
    &DESCRIPTOR
}
