//! Saved connections: named settings whose secrets are encrypted at rest, tested, and never
//! shown again.
//!
//! * [`ValidSettings::validate`] checks settings against their provider (every problem at
//!   once) and splits out the secrets; a store only ever saves validated settings.
//! * [`ConnectionStore`] is the interface (add, get, info, list, update, rename, remove,
//!   record a test); [`SqliteStore`] keeps it in one SQLite file in the connector home
//!   ([`connector_home`]), owner-only, with WAL, versioned migrations and one transaction per
//!   change.
//! * Each secret is encrypted with AES-256-GCM under the [`MasterKey`], with its own nonce and
//!   its connection and field as associated data. The key comes from `CONNECTOR_MASTER_KEY` or
//!   an owner-only key file created on first use ([`KeySource`]).
//! * [`test_saved`] is the *Test connection* button: it runs the named-step test and records
//!   the result, which [`ConnectionInfo`]'s `status` shows.
//!
//! ```
//! use connector_store::{
//!     ConnectionName, ConnectionStatus, ConnectionStore, KeySource, MasterKey, SqliteStore,
//!     ValidSettings,
//! };
//! use connector_core::check::Checklist;
//! use connector_core::{Connector, Context, Provider, ProviderDescriptor, Result, Secret};
//!
//! /// A provider with one URL and one API key.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct HrSettings {
//!     base_url: String,
//!     api_key: Secret,
//! }
//! impl connector_core::settings::Settings for HrSettings {}
//! #[derive(Debug)]
//! struct Hr;
//! #[connector_core::reexports::async_trait]
//! impl Connector for Hr {
//!     fn provider_id(&self) -> &'static str { "hr" }
//!     async fn test_connection(&self, _: &mut Checklist) {}
//! }
//! impl Provider for Hr {
//!     const ID: &'static str = "hr";
//!     type Settings = HrSettings;
//!     type Connector = Hr;
//!     fn connect(_: HrSettings, _: &Context) -> Result<Hr> { Ok(Hr) }
//! }
//! const HR: ProviderDescriptor = ProviderDescriptor::new::<Hr>("HR");
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let home = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(home.path(), KeySource::Given(MasterKey::generate())).unwrap();
//! let raw = serde_json::json!({"base_url": "https://hr.example.com", "api_key": "s3cret"});
//! let settings = ValidSettings::validate(&HR, raw).unwrap();
//! let name = ConnectionName::parse("Acme HR (prod)").unwrap();
//! let info = store.add(&name, settings).await.unwrap();
//! assert_eq!(info.status, ConnectionStatus::Untested);
//! assert_eq!(info.secret_fields, ["api_key"]);
//! assert!(!info.settings.to_string().contains("s3cret"));
//!
//! let saved = store.get("acme hr (PROD)").await.unwrap();
//! assert_eq!(saved.secret("api_key").unwrap().expose(), "s3cret");
//! assert!(store.add(&name, ValidSettings::validate(&HR, saved.settings_for_connect()).unwrap())
//!     .await
//!     .is_err(), "names are unique");
//! # });
//! ```

#![deny(missing_docs)]

mod crypto;
mod error;
mod home;
mod keyring;
mod name;
mod open;
#[cfg(feature = "postgres")]
mod postgres;
mod record;
mod row;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
mod sync_state;

/// Where it always was: [`connector_core::settings::set_path`].
pub use connector_core::settings::set_path;
pub use crypto::{MasterKey, KEY_BYTES};
pub use error::StoreError;
pub use home::{
    connector_home, KeySource, HOME_VARIABLE, KEY_FILE, MASTER_KEY_VARIABLE, STORE_FILE,
};
pub use name::{ConnectionName, MAX_NAME_CHARS};
pub use open::{open_default, open_location, Store, STORE_VARIABLE};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use record::{
    ConnectionInfo, ConnectionStatus, ExportRecord, StoredConnection, TestRecord, ValidSettings,
    ENDPOINTS_KEY,
};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::{test_saved, test_saved_watched, ConnectionStore};
pub use sync_state::{plan, plan_changes, PlanOptions, SyncError, SyncStateStore};
