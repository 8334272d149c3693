//! # connector-google
//!
//! Google Workspace through the Admin SDK Directory API: the users of a Workspace account
//! (`users.list` with `customer=my_customer`, `projection=full`, `maxResults` 500,
//! `pageToken`/`nextPageToken`), read by a service account with domain-wide delegation acting
//! for an admin: a JWT assertion signed with the key file's private key (RS256, `ring`)
//! exchanged at the key's token URI (the `token` endpoint, another host than the API's).
//! `suspended` and `archived` are the status; the primary organization gives title and
//! department; the `manager` relation the manager.
//!
//! ## Example
//!
//! ```
//! use connector_core::settings::parse_settings;
//! use connector_google::GoogleSettings;
//!
//! let settings: GoogleSettings = parse_settings("google", serde_json::json!({
//!     "service_account_key": {
//!         "type": "service_account",
//!         "client_email": "sync@my-project.iam.gserviceaccount.com",
//!         "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE…\n-----END PRIVATE KEY-----\n",
//!         "token_uri": "https://oauth2.googleapis.com/token",
//!     },
//!     "subject": "it-admin@example.com",
//! })).expect("valid settings (the key itself is read when connecting)");
//! assert!(!format!("{settings:?}").contains("MIIE"));
//! assert_eq!(settings.customer, "my_customer");
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

pub use settings::GoogleSettings;

/// The provider id.
pub const ID: &str = "google";

/// A connection to one Workspace account.
#[derive(Debug)]
pub struct GoogleConnector {
    http: connector_core::http::HttpClient,
    customer: String,
    page_size: u32,
}

#[async_trait]
impl Connector for GoogleConnector {
    fn provider_id(&self) -> &'static str {
        ID
    }

    async fn test_connection(&self, checks: &mut Checklist) {
        check::run(&self.http, &self.customer, checks).await;
    }

    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        let page_size = options.page_size.unwrap_or(self.page_size);
        export::export(&self.http, &self.customer, page_size)
    }
}

/// The Google Workspace provider.
pub struct Google;

impl Provider for Google {
    const ID: &'static str = ID;
    type Settings = GoogleSettings;
    type Connector = GoogleConnector;

    fn connect(settings: GoogleSettings, context: &Context) -> Result<GoogleConnector> {
        Ok(GoogleConnector {
            http: client::http(&settings, context)?,
            customer: settings.customer.trim().to_owned(),
            page_size: settings.page_size,
        })
    }
}

const DESCRIPTOR: ProviderDescriptor = {
    let d = ProviderDescriptor::new::<Google>("Google Workspace")
        .with_description("Google Workspace: users, their org unit, title, manager and whether they are suspended, via the Admin SDK Directory API")
        .with_docs_url("https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list")
        .with_capabilities(&[Capability::ConnectionTest, Capability::UserExport])
        .with_checks(check::CHECKS)
        .with_filters(&[Filter::Status])
        .with_max_page_size(500)
        .with_endpoints(&[
            Endpoint::new("api", "the Admin SDK Directory API").at(client::API_HOST),
            Endpoint::new("token", "Google's token service (the key file's token_uri)")
                .at(settings::TOKEN_URI),
        ]);
    #[cfg(feature = "sandbox")]
    let d = d.with_sandbox(
        sandbox::start_boxed,
        connector_core::sandbox::SandboxFeatures::NONE.with_deny(&sandbox::DENIABLE),
    );
    d
};

connector_core::register!(DESCRIPTOR);

/// The Google Workspace descriptor; calling it keeps this crate's registration linked.
pub fn descriptor() -> &'static ProviderDescriptor {
    &DESCRIPTOR
}
