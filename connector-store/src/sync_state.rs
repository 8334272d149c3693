//! Where a connection's sync state lives: [`SyncStateStore`], implemented by the connection
//! store ([`SqliteStore`](crate::SqliteStore)), and [`plan`], which runs a
//! listing through the diff against it.

use std::collections::HashMap;

use async_trait::async_trait;
use futures_util::StreamExt;
use jiff::Timestamp;

use crate::{ConnectionInfo, StoreError};
use connector_core::feed::UserRef;
use connector_core::sync::{
    user_key, Baseline, Differ, EventContext, Snapshot, SyncCommit, SyncPlan,
};
use connector_core::{User, UserStream};

/// The sync state of saved connections: the last users seen (a fingerprint and the record
/// per user) and a version counting commits.
#[async_trait]
pub trait SyncStateStore: Send + Sync {
    /// The fingerprints and version of connection `name`; `None` before its first sync.
    async fn sync_baseline(&self, name: &str) -> Result<Option<Baseline>, StoreError>;

    /// The saved records of `keys` (the users a diff found changed or gone).
    async fn sync_records(
        &self,
        name: &str,
        keys: Vec<String>,
    ) -> Result<HashMap<String, Snapshot>, StoreError>;

    /// Applies `commit` all or nothing (a [`replace`](SyncCommit::replace) commit drops the
    /// saved users first, in the same transaction) and returns the new version;
    /// [`StoreError::SyncConflict`] when another sync committed since the plan's version.
    async fn commit_sync(
        &self,
        name: &str,
        commit: SyncCommit,
        synced_at: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Forgets connection `name`'s sync state: its next sync records a new baseline.
    async fn reset_sync(&self, name: &str) -> Result<(), StoreError>;
}

/// Why a sync could not be planned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The listing failed.
    #[error(transparent)]
    Export(#[from] connector_core::Error),
    /// The state could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A user could not be passed on (`on_user` failed: a full disk, say).
    #[error("{0}")]
    Output(std::io::Error),
}

/// What [`plan`] needs besides the listing.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// When the sync runs.
    pub detected_at: Timestamp,
    /// The day terminations are compared with.
    pub today: jiff::civil::Date,
    /// On a first sync, emit `joined` for everyone.
    pub baseline_events: bool,
}

/// Runs `users` (a complete listing) through the diff against `baseline` (`connection`'s
/// state, from [`SyncStateStore::sync_baseline`]), calling `on_user` for each user (to write a
/// users file, say), and returns the plan: the events and the commit, not yet applied.
pub async fn plan(
    store: &dyn SyncStateStore,
    connection: &ConnectionInfo,
    baseline: Option<Baseline>,
    mut users: UserStream,
    options: &PlanOptions,
    mut on_user: impl FnMut(&User) -> std::io::Result<()>,
) -> Result<SyncPlan, SyncError> {
    let mut differ = Differ::new(baseline);
    while let Some(user) = users.next().await {
        let user = user?;
        on_user(&user).map_err(SyncError::Output)?;
        differ.observe(&user);
    }
    finish(store, connection, differ, options).await
}

/// Diffs only what a change feed named: `named` are the users it reported changed, `found`
/// their current records (a named user without one is gone). Everyone else is unchanged.
pub async fn plan_changes(
    store: &dyn SyncStateStore,
    connection: &ConnectionInfo,
    baseline: Baseline,
    named: &[UserRef],
    found: &[User],
    options: &PlanOptions,
) -> Result<SyncPlan, SyncError> {
    let mut differ = Differ::partial(baseline);
    let mut seen = std::collections::HashSet::new();
    for user in found {
        if seen.insert(user_key(user)) {
            differ.observe(user);
        }
    }
    for r in named {
        let key = format!("{}/{}", r.company_id.as_deref().unwrap_or(""), r.id);
        if !seen.contains(&key) {
            differ.observe_gone(key);
        }
    }
    finish(store, connection, differ, options).await
}

async fn finish(
    store: &dyn SyncStateStore,
    connection: &ConnectionInfo,
    differ: Differ,
    options: &PlanOptions,
) -> Result<SyncPlan, SyncError> {
    let pending = differ.finish();
    let before = store
        .sync_records(&connection.name, pending.needs_before())
        .await?;
    let ctx = EventContext {
        connection: connection.name.clone(),
        connection_id: connection.id.clone(),
        detected_at: options.detected_at,
        today: options.today,
        baseline_events: options.baseline_events,
    };
    Ok(pending.plan(&before, &ctx))
}
