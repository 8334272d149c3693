//! The sync state of each connection in the same database: `sync_users` (a fingerprint and
//! the record per user) and `sync_state` (a version counting commits).

use std::collections::HashMap;

use async_trait::async_trait;
use jiff::Timestamp;
use rusqlite::{params, OptionalExtension};

use super::super::row::{fingerprint_from_db, fingerprint_to_db};
use super::super::{StoreError, SyncStateStore};
use super::{Db, SqliteStore};
use connector_core::sync::{Baseline, Snapshot, SyncCommit};

#[async_trait]
impl SyncStateStore for SqliteStore {
    async fn sync_baseline(&self, name: &str) -> Result<Option<Baseline>, StoreError> {
        let name = name.to_owned();
        self.with_db(move |inner, db| {
            let row = inner.find(db, &name)?;
            type StateRow = (i64, Option<String>, Option<String>);
            let state: Option<StateRow> = db
                .query_row(
                    "SELECT version, position, last_full_at FROM sync_state WHERE connection_id = ?1",
                    params![row.id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .db(inner)?;
            let Some((version, position, last_full)) = state else {
                return Ok(None);
            };
            let time = |t: Option<String>| t.and_then(|t| t.parse::<Timestamp>().ok());
            let mut stmt = db
                .prepare("SELECT user_key, fingerprint FROM sync_users WHERE connection_id = ?1")
                .db(inner)?;
            let fingerprints = stmt
                .query_map(params![row.id], |r| {
                    Ok((r.get::<_, String>(0)?, fingerprint_from_db(r.get(1)?)))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<HashMap<_, _>>>())
                .db(inner)?;
            Ok(Some(Baseline {
                fingerprints,
                version: u64::try_from(version).unwrap_or(0),
                position: time(position),
                last_full: time(last_full),
            }))
        })
        .await
    }

    async fn sync_records(
        &self,
        name: &str,
        keys: Vec<String>,
    ) -> Result<HashMap<String, Snapshot>, StoreError> {
        let name = name.to_owned();
        self.with_db(move |inner, db| {
            let row = inner.find(db, &name)?;
            let mut stmt = db
                .prepare_cached(
                    "SELECT record FROM sync_users WHERE connection_id = ?1 AND user_key = ?2",
                )
                .db(inner)?;
            let mut found = HashMap::with_capacity(keys.len());
            for key in keys {
                let record: Option<String> = stmt
                    .query_row(params![row.id, key], |r| r.get(0))
                    .optional()
                    .db(inner)?;
                let snapshot = record.as_deref().and_then(Snapshot::from_json).ok_or_else(|| {
                    StoreError::Database {
                        path: inner.path.clone(),
                        message: format!(
                            "the sync state of `{}` has no readable record for user {key}; run the sync with --reset-state",
                            row.name
                        ),
                    }
                })?;
                found.insert(key, snapshot);
            }
            Ok(found)
        })
        .await
    }

    async fn commit_sync(
        &self,
        name: &str,
        commit: SyncCommit,
        synced_at: Timestamp,
    ) -> Result<u64, StoreError> {
        let name = name.to_owned();
        self.write(move |inner, tx| {
            let row = inner.find(tx, &name)?;
            let current: u64 = tx
                .query_row(
                    "SELECT version FROM sync_state WHERE connection_id = ?1",
                    params![row.id],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .db(inner)?
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0);
            if current != commit.from_version {
                return Err(StoreError::SyncConflict { name: row.name });
            }
            if commit.replace {
                tx.execute(
                    "DELETE FROM sync_users WHERE connection_id = ?1",
                    params![row.id],
                )
                .db(inner)?;
            }
            {
                let mut delete = tx
                    .prepare_cached(
                        "DELETE FROM sync_users WHERE connection_id = ?1 AND user_key = ?2",
                    )
                    .db(inner)?;
                for key in &commit.deletes {
                    delete
                        .execute(params![row.id, key])
                        .db(inner)?;
                }
                let mut upsert = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO sync_users (connection_id, user_key, fingerprint, record)
                         VALUES (?1, ?2, ?3, ?4)",
                    )
                    .db(inner)?;
                for (key, snapshot) in &commit.upserts {
                    upsert
                        .execute(params![row.id, key, fingerprint_to_db(snapshot.fingerprint), snapshot.json])
                        .db(inner)?;
                }
            }
            let next = current.saturating_add(1);
            let last_full: Option<String> = if commit.full {
                Some(synced_at.to_string())
            } else {
                tx.query_row(
                    "SELECT last_full_at FROM sync_state WHERE connection_id = ?1",
                    params![row.id],
                    |r| r.get(0),
                )
                .optional()
                .db(inner)?
                .flatten()
            };
            tx.execute(
                "INSERT OR REPLACE INTO sync_state
                 (connection_id, version, synced_at, users, position, last_full_at)
                 VALUES (?1, ?2, ?3, ?4, ?3, ?5)",
                params![
                    row.id,
                    i64::try_from(next).unwrap_or(i64::MAX),
                    synced_at.to_string(),
                    i64::try_from(commit.users).unwrap_or(i64::MAX),
                    last_full
                ],
            )
            .db(inner)?;
            Ok(next)
        })
        .await
    }

    async fn reset_sync(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |inner, tx| {
            let row = inner.find(tx, &name)?;
            for table in ["sync_users", "sync_state"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE connection_id = ?1"),
                    params![row.id],
                )
                .db(inner)?;
            }
            Ok(())
        })
        .await
    }
}
