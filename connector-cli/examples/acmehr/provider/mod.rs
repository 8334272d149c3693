//! The Acme HR provider, in the standard provider layout:
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the typed provider contract, the descriptor and its registration |
//! | `settings.rs` | the settings struct (schema and validation source) |
//! | `client.rs` | the HTTP client (OAuth2 client credentials) and Acme's error wording |
//! | `check.rs` | the connection-test steps |
//! | `export.rs` | the employee listing (envelope, offset/limit, total) |
//! | `mapping.rs` | Acme employees → the SDK's `User` |
//! | `model.rs` | serde types for Acme's records |
//! | `sandbox.rs` | a mock Acme HR (token endpoint + API), also its sandbox |
//! | `testing.rs` | the sandbox as the testkit's mock tenant (tests only) |

pub mod check;
pub mod client;
pub mod export;
pub mod mapping;
pub mod model;
pub mod sandbox;
pub mod settings;
#[cfg(test)]
pub mod testing;

use std::fmt;

use connector_core::check::Checklist;
use connector_core::reexports::async_trait;
use connector_core::sandbox::SandboxFeatures;
use connector_core::{
    Capability, Connector, Context, Endpoint, ExportOptions, Filter, Provider, ProviderDescriptor,
    Result, UserExport,
};

pub use settings::AcmeSettings;

/// The provider id.
pub const ID: &str = "acmehr";

/// A connection to one Acme HR account.
pub struct AcmeConnector {
    client: client::AcmeClient,
    page_size: u32,
}

impl fmt::Debug for AcmeConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcmeConnector")
            .field("client", &self.client)
            .field("page_size", &self.page_size)
            .finish()
    }
}

#[async_trait]
impl Connector for AcmeConnector {
    fn provider_id(&self) -> &'static str {
        ID
    }

    async fn test_connection(&self, checks: &mut Checklist) {
        check::run(&self.client, checks).await;
    }

    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        export::export(&self.client, options.page_size.unwrap_or(self.page_size))
    }
}

/// Acme HR: settings type and connector.
pub struct AcmeHr;

impl Provider for AcmeHr {
    const ID: &'static str = ID;
    type Settings = AcmeSettings;
    type Connector = AcmeConnector;

    fn connect(settings: AcmeSettings, context: &Context) -> Result<AcmeConnector> {
        Ok(AcmeConnector {
            client: client::AcmeClient::new(&settings, context)?,
            page_size: settings.page_size,
        })
    }
}

const DESCRIPTOR: ProviderDescriptor = ProviderDescriptor::new::<AcmeHr>("Acme HR")
    .with_description("Acme HR (an example third-party provider): employees via an OAuth2 REST API")
    .with_docs_url("https://example.invalid/acmehr/api")
    .with_capabilities(&[Capability::ConnectionTest, Capability::UserExport])
    .with_checks(check::CHECKS)
    .with_filters(&[Filter::Status])
    .with_max_page_size(settings::MAX_PAGE_SIZE)
    .with_endpoints(&[
        Endpoint::new("api", "Acme HR's API").at(client::API_HOST),
        Endpoint::new("token", "Acme HR's token service").at(client::TOKEN_HOST),
    ])
    .with_sandbox(
        sandbox::start_boxed,
        SandboxFeatures::NONE.with_deny(&[check::SCOPE]),
    );

connector_core::register!(DESCRIPTOR);

/// The descriptor (referencing it keeps the registration linked).
pub fn descriptor() -> &'static ProviderDescriptor {
    &DESCRIPTOR
}
