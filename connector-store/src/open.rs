//! [`Store`]: a whole store (connections, sync state, key rotation) behind one trait object,
//! and [`open_default`], which picks the backend from `CONNECTOR_STORE`.

use async_trait::async_trait;

use super::home::{connector_home, KeySource};
use super::{ConnectionStore, MasterKey, StoreError, SyncStateStore};

/// The variable that chooses the store: unset, the SQLite file in the connector home; a
/// `postgres://` URL, that PostgreSQL database (shared by workers on several machines).
pub const STORE_VARIABLE: &str = "CONNECTOR_STORE";

/// A complete store: saved connections, their sync state, and master-key rotation.
#[async_trait]
pub trait Store: ConnectionStore + SyncStateStore + std::fmt::Debug {
    /// Re-encrypts every secret and re-seals every connection's settings under `new_key`,
    /// all or nothing; returns how many secrets.
    async fn rotate_key(&self, new_key: MasterKey) -> Result<usize, StoreError>;

    /// Where the master key comes from.
    fn key_source(&self) -> &KeySource;

    /// Where the store is, for messages (`SQLite file …`, `PostgreSQL postgres://…`; never a
    /// password).
    fn describe(&self) -> String;
}

#[cfg(feature = "sqlite")]
#[async_trait]
impl Store for super::SqliteStore {
    async fn rotate_key(&self, new_key: MasterKey) -> Result<usize, StoreError> {
        super::SqliteStore::rotate_key(self, new_key).await
    }

    fn key_source(&self) -> &KeySource {
        super::SqliteStore::key_source(self)
    }

    fn describe(&self) -> String {
        format!("SQLite file {}", self.path().display())
    }
}

#[cfg(feature = "postgres")]
#[async_trait]
impl Store for super::PostgresStore {
    async fn rotate_key(&self, new_key: MasterKey) -> Result<usize, StoreError> {
        super::PostgresStore::rotate_key(self, new_key).await
    }

    fn key_source(&self) -> &KeySource {
        super::PostgresStore::key_source(self)
    }

    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.place())
    }
}

/// Opens the store `CONNECTOR_STORE` names (see [`open_location`]), or the SQLite file of the
/// connector home when it is unset. The master key comes from `CONNECTOR_MASTER_KEY` or the
/// connector home's key file.
pub fn open_default() -> Result<Box<dyn Store>, StoreError> {
    match std::env::var(STORE_VARIABLE) {
        Ok(location) if !location.trim().is_empty() => open_location(location.trim()),
        Err(std::env::VarError::NotUnicode(_)) => Err(StoreError::Location {
            variable: STORE_VARIABLE.to_owned(),
            reason: "it is not valid UTF-8".to_owned(),
        }),
        _ => open_home(),
    }
}

/// Opens the store at `location`: a `postgres://` or `postgresql://` URL, or `sqlite` for the
/// connector home's file.
pub fn open_location(location: &str) -> Result<Box<dyn Store>, StoreError> {
    let scheme = location
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("postgres" | "postgresql") => open_postgres(location),
        None if location.eq_ignore_ascii_case("sqlite") => open_home(),
        // Only the scheme is named: the rest may hold a password.
        Some(other) => Err(StoreError::Location {
            variable: STORE_VARIABLE.to_owned(),
            reason: format!("`{other}://…` is not a store this build can open"),
        }),
        None => Err(StoreError::Location {
            variable: STORE_VARIABLE.to_owned(),
            reason: "it is neither a postgres:// URL nor `sqlite`".to_owned(),
        }),
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Box<dyn Store>, StoreError> {
    let home = connector_home()?;
    let store = super::PostgresStore::open(url, KeySource::default_for(&home))?;
    Ok(Box::new(store))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Box<dyn Store>, StoreError> {
    Err(StoreError::Location {
        variable: STORE_VARIABLE.to_owned(),
        reason: "this build has no PostgreSQL support (connector-store's `postgres` feature)"
            .to_owned(),
    })
}

#[cfg(feature = "sqlite")]
fn open_home() -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(super::SqliteStore::open_default()?))
}

#[cfg(not(feature = "sqlite"))]
fn open_home() -> Result<Box<dyn Store>, StoreError> {
    Err(StoreError::Location {
        variable: STORE_VARIABLE.to_owned(),
        reason: "this build has no SQLite store (connector-store's `sqlite` feature); set it to a postgres:// URL".to_owned(),
    })
}
