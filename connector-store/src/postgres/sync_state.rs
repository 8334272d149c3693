//! The sync state of each connection: `connector_sync_users` (a fingerprint and the record per
//! user) and `connector_sync_state` (a version counting commits). A commit locks its
//! connection's row, so two workers syncing one connection never both commit.

use std::collections::HashMap;

use async_trait::async_trait;
use connector_core::sync::{Baseline, Snapshot, SyncCommit};
use jiff::Timestamp;

use super::{Db, PostgresStore};
use crate::row::{fingerprint_from_db, fingerprint_to_db};
use crate::{StoreError, SyncStateStore};

/// Rows written per statement when a commit saves users (arrays unnested server-side).
const BATCH: usize = 5_000;

#[async_trait]
impl SyncStateStore for PostgresStore {
    async fn sync_baseline(&self, name: &str) -> Result<Option<Baseline>, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, true).await?;
        let row = inner.find(&tx, name).await?;
        let state = tx
            .query_opt(
                "SELECT version, position, last_full_at FROM connector_sync_state WHERE connection_id = $1",
                &[&row.id],
            )
            .await
            .db(inner)?;
        let Some(state) = state else {
            return Ok(None);
        };
        let version: i64 = state.try_get(0).db(inner)?;
        let time = |i: usize| -> Option<Timestamp> {
            state
                .try_get::<_, Option<String>>(i)
                .ok()
                .flatten()
                .and_then(|t| t.parse().ok())
        };
        let fingerprints = tx
            .query(
                "SELECT user_key, fingerprint FROM connector_sync_users WHERE connection_id = $1",
                &[&row.id],
            )
            .await
            .db(inner)?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<_, String>(0)?,
                    fingerprint_from_db(r.try_get(1)?),
                ))
            })
            .collect::<Result<HashMap<_, _>, tokio_postgres::Error>>()
            .db(inner)?;
        let baseline = Baseline {
            fingerprints,
            version: u64::try_from(version).unwrap_or(0),
            position: time(1),
            last_full: time(2),
        };
        tx.commit().await.db(inner)?;
        Ok(Some(baseline))
    }

    async fn sync_records(
        &self,
        name: &str,
        keys: Vec<String>,
    ) -> Result<HashMap<String, Snapshot>, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, true).await?;
        let row = inner.find(&tx, name).await?;
        let mut found = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH) {
            let rows = tx
                .query(
                    "SELECT user_key, record FROM connector_sync_users
                     WHERE connection_id = $1 AND user_key = ANY($2)",
                    &[&row.id, &chunk],
                )
                .await
                .db(inner)?;
            for r in &rows {
                let key: String = r.try_get(0).db(inner)?;
                let record: String = r.try_get(1).db(inner)?;
                if let Some(snapshot) = Snapshot::from_json(&record) {
                    found.insert(key, snapshot);
                }
            }
        }
        if let Some(missing) = keys.iter().find(|k| !found.contains_key(*k)) {
            return Err(super::server(
                &inner.place,
                &format!(
                    "the sync state of `{}` has no readable record for user {missing}; run the sync with --reset-state",
                    row.name
                ),
            ));
        }
        tx.commit().await.db(inner)?;
        Ok(found)
    }

    async fn commit_sync(
        &self,
        name: &str,
        commit: SyncCommit,
        synced_at: Timestamp,
    ) -> Result<u64, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, false).await?;
        let row = inner.find(&tx, name).await?;
        // The row lock: a second commit of this connection waits here, then sees the version
        // the first one left.
        tx.execute(
            "SELECT 1 FROM connector_connections WHERE id = $1 FOR UPDATE",
            &[&row.id],
        )
        .await
        .db(inner)?;
        let state = tx
            .query_opt(
                "SELECT version, last_full_at FROM connector_sync_state WHERE connection_id = $1",
                &[&row.id],
            )
            .await
            .db(inner)?;
        let (current, last_full): (u64, Option<String>) = match &state {
            Some(s) => (
                u64::try_from(s.try_get::<_, i64>(0).db(inner)?).unwrap_or(0),
                s.try_get(1).db(inner)?,
            ),
            None => (0, None),
        };
        if current != commit.from_version {
            return Err(StoreError::SyncConflict { name: row.name });
        }
        if commit.replace {
            tx.execute(
                "DELETE FROM connector_sync_users WHERE connection_id = $1",
                &[&row.id],
            )
            .await
            .db(inner)?;
        }
        for chunk in commit.deletes.chunks(BATCH) {
            tx.execute(
                "DELETE FROM connector_sync_users WHERE connection_id = $1 AND user_key = ANY($2)",
                &[&row.id, &chunk],
            )
            .await
            .db(inner)?;
        }
        for chunk in commit.upserts.chunks(BATCH) {
            let keys: Vec<&str> = chunk.iter().map(|(k, _)| k.as_str()).collect();
            let prints: Vec<i64> = chunk
                .iter()
                .map(|(_, s)| fingerprint_to_db(s.fingerprint))
                .collect();
            let records: Vec<&str> = chunk.iter().map(|(_, s)| s.json.as_str()).collect();
            tx.execute(
                "INSERT INTO connector_sync_users (connection_id, user_key, fingerprint, record)
                 SELECT $1, k, f, r FROM UNNEST($2::text[], $3::bigint[], $4::text[]) AS u(k, f, r)
                 ON CONFLICT (connection_id, user_key)
                 DO UPDATE SET fingerprint = EXCLUDED.fingerprint, record = EXCLUDED.record",
                &[&row.id, &keys, &prints, &records],
            )
            .await
            .db(inner)?;
        }
        let next = current.saturating_add(1);
        let synced = synced_at.to_string();
        let last_full = if commit.full {
            Some(synced.clone())
        } else {
            last_full
        };
        tx.execute(
            "INSERT INTO connector_sync_state (connection_id, version, synced_at, users, position, last_full_at)
             VALUES ($1, $2, $3, $4, $3, $5)
             ON CONFLICT (connection_id) DO UPDATE SET version = EXCLUDED.version,
               synced_at = EXCLUDED.synced_at, users = EXCLUDED.users,
               position = EXCLUDED.position, last_full_at = EXCLUDED.last_full_at",
            &[
                &row.id,
                &i64::try_from(next).unwrap_or(i64::MAX),
                &synced,
                &i64::try_from(commit.users).unwrap_or(i64::MAX),
                &last_full,
            ],
        )
        .await
        .db(inner)?;
        tx.commit().await.db(inner)?;
        Ok(next)
    }

    async fn reset_sync(&self, name: &str) -> Result<(), StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, false).await?;
        let row = inner.find(&tx, name).await?;
        for table in ["connector_sync_users", "connector_sync_state"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE connection_id = $1"),
                &[&row.id],
            )
            .await
            .db(inner)?;
        }
        tx.commit().await.db(inner)
    }
}
