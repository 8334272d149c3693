//! [`ConnectionStore`]: the interface a platform implements to keep connections in its own
//! database; [`SqliteStore`](super::SqliteStore) is the built-in one.

use async_trait::async_trait;

use super::{
    ConnectionInfo, ConnectionName, ExportRecord, StoreError, StoredConnection, TestRecord,
    ValidSettings,
};
use connector_core::{Context, TestReport};

/// Saved connections. Implementations keep secrets encrypted at rest, compare names
/// case-insensitively, and make each call all-or-nothing.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Saves a new connection; [`StoreError::DuplicateName`] when the name is taken.
    async fn add(
        &self,
        name: &ConnectionName,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError>;

    /// A connection with its secrets decrypted into [`Secret`](connector_core::Secret)s.
    async fn get(&self, name: &str) -> Result<StoredConnection, StoreError>;

    /// What may be shown about a connection (its secrets are not decrypted).
    async fn info(&self, name: &str) -> Result<ConnectionInfo, StoreError>;

    /// Every connection, by name.
    async fn list(&self) -> Result<Vec<ConnectionInfo>, StoreError>;

    /// Replaces a connection's settings (and secrets) and forgets its last test.
    async fn update(
        &self,
        name: &str,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError>;

    /// Renames a connection; its secrets stay as they are.
    async fn rename(
        &self,
        name: &str,
        new_name: &ConnectionName,
    ) -> Result<ConnectionInfo, StoreError>;

    /// Deletes a connection and its secrets.
    async fn remove(&self, name: &str) -> Result<(), StoreError>;

    /// Records the result of a connection test.
    async fn record_test(&self, name: &str, record: &TestRecord) -> Result<(), StoreError>;

    /// Records the result of an export made with the connection.
    async fn record_export(&self, name: &str, record: &ExportRecord) -> Result<(), StoreError>;
}

/// Runs the named-step connection test of the saved connection `name` and records the
/// result: the "Test connection" button. A connection that is synced is also tested for the
/// provider's change feed ([`test_connection_for_sync`](connector_core::connection_test::test_connection_for_sync)).
pub async fn test_saved<S>(
    store: &S,
    name: &str,
    context: &Context,
) -> Result<TestReport, StoreError>
where
    S: ConnectionStore + crate::SyncStateStore + ?Sized,
{
    test_saved_watched(store, name, context, None).await
}

/// [`test_saved`], telling `watch` each step's result as soon as it is known.
pub async fn test_saved_watched<S>(
    store: &S,
    name: &str,
    context: &Context,
    watch: Option<connector_core::StepWatch>,
) -> Result<TestReport, StoreError>
where
    S: ConnectionStore + crate::SyncStateStore + ?Sized,
{
    let saved = store.get(name).await?;
    let descriptor = connector_core::registry::provider(&saved.info.provider)?;
    let synced = store.sync_baseline(&saved.info.name).await?.is_some();
    let raw = saved.settings_for_connect();
    let context = &saved.info.context(context);
    let report = match watch {
        Some(watch) => {
            connector_core::test_connection_watched(descriptor, raw, context, synced, watch).await
        }
        None if synced => {
            connector_core::connection_test::test_connection_for_sync(descriptor, raw, context)
                .await
        }
        None => connector_core::test_connection_with(descriptor, raw, context).await,
    };
    store
        .record_test(&saved.info.name, &TestRecord::from_report(&report))
        .await?;
    Ok(report)
}
