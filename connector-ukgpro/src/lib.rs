//! # connector-ukgpro
//!
//! The UKG Pro (formerly UltiPro) provider of the connector SDK. It speaks UKG Pro's REST
//! web services with a web service account: HTTP Basic (user name and password) plus the
//! `US-Customer-Api-Key` header, and `Api-Key` when a User API key is configured.
//!
//! The provider registers itself with the SDK's registry under the id `ukgpro`. A binary
//! must reference this crate (e.g. call [`descriptor`]) so that the linker keeps it.
//!
//! ## Example
//!
//! ```
//! use connector_core::settings::parse_settings;
//! use connector_ukgpro::UkgProSettings;
//!
//! let settings: UkgProSettings = parse_settings("ukgpro", serde_json::json!({
//!     "base_url": "https://service5.ultipro.com/services/",
//!     "username": "svc-directory-sync",
//!     "password": "generated-by-ukg",
//!     "customer_api_key": "B2C3D",
//! })).expect("valid settings");
//! assert_eq!(settings.api_root().as_str(), "https://service5.ultipro.com/");
//! assert_eq!(settings.page_size, 10_000);
//! assert!(!format!("{settings:?}").contains("generated-by-ukg"));
//!
//! let descriptor = connector_ukgpro::descriptor();
//! assert_eq!(descriptor.id(), "ukgpro");
//! assert!(connector_core::registry::providers().iter().any(|d| d.id() == "ukgpro"));
//! ```
#![deny(missing_docs)]

pub mod changes;
pub mod check;
pub mod client;
pub mod model;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod settings;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod users;

use std::fmt;

use async_trait::async_trait;
use connector_core::check::Checklist;
use connector_core::{
    Capability, Connector, Context, ExportOptions, Filter, Provider, ProviderDescriptor, Result,
    UserExport,
};

pub use settings::UkgProSettings;

/// The provider id.
pub const PROVIDER_ID: &str = "ukgpro";

/// The sandbox's provider-specific faults: the two web-service permissions can be denied,
/// and a page can be answered with an HTML page.
#[cfg(feature = "sandbox")]
const SANDBOX_FEATURES: connector_core::sandbox::SandboxFeatures =
    connector_core::sandbox::SandboxFeatures::NONE
        .with_deny(sandbox::DENIABLE)
        .with_malformed_page()
        .with_days();

const DESCRIPTOR: ProviderDescriptor = {
    let d = ProviderDescriptor::new::<UkgPro>("UKG Pro")
        .with_description(
            "UKG Pro (formerly UltiPro) HR: employees, their jobs and status, via REST web services",
        )
        .with_docs_url("https://developer.ukg.com/hcm/reference")
        .with_capabilities(&[Capability::ConnectionTest, Capability::UserExport])
        .with_checks(check::CHECKS)
        .with_filters(&[Filter::Status, Filter::Company])
        .with_max_page_size(settings::MAX_PAGE_SIZE);
    #[cfg(feature = "sandbox")]
    let d = d.with_sandbox(sandbox::start_boxed, SANDBOX_FEATURES);
    d
};

connector_core::register!(DESCRIPTOR);

/// The UKG Pro descriptor. Calling it also guarantees that the linker keeps this crate's
/// registration.
pub fn descriptor() -> &'static ProviderDescriptor {
    &DESCRIPTOR
}

/// A connection to one UKG Pro tenant.
pub struct UkgProConnector {
    client: client::UkgClient,
    page_size: u32,
}

impl fmt::Debug for UkgProConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UkgProConnector")
            .field("client", &self.client)
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl UkgProConnector {
    /// A connector for validated settings.
    pub fn new(settings: &UkgProSettings) -> Result<Self> {
        Ok(UkgProConnector {
            client: client::UkgClient::new(settings)?,
            page_size: settings.page_size,
        })
    }
}

#[async_trait]
impl Connector for UkgProConnector {
    fn provider_id(&self) -> &'static str {
        PROVIDER_ID
    }

    async fn test_connection(&self, checks: &mut Checklist) {
        check::run(&self.client, checks).await;
    }

    /// The join yields each (company, employee) once, first record first.
    fn yields_unique_users(&self) -> bool {
        true
    }

    /// `employee-changes` (see `changes.rs`).
    fn change_feed(&self) -> Option<&dyn connector_core::feed::ChangeFeed> {
        Some(self)
    }

    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        users::export(&self.client, self.page_size, options)
    }
}

/// The UKG Pro provider: its id, settings type and connector.
pub struct UkgPro;

impl Provider for UkgPro {
    const ID: &'static str = PROVIDER_ID;
    type Settings = UkgProSettings;
    type Connector = UkgProConnector;

    fn connect(settings: UkgProSettings, _: &Context) -> Result<UkgProConnector> {
        UkgProConnector::new(&settings)
    }
}
