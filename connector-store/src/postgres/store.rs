//! [`ConnectionStore`] for [`PostgresStore`]: one transaction per change.

use async_trait::async_trait;
use jiff::Timestamp;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

use super::keys::{read_key_check, seal_row};
use super::{is_unique_violation, read_row, Db, Inner, PostgresStore};
use crate::crypto::secret_aad;
use crate::keyring::{new_id, open_secret};
use crate::record::{ConnectionInfo, ExportRecord, StoredConnection, TestRecord, ValidSettings};
use crate::row::{EXPORT_COLUMNS, ROW_COLUMNS, TEST_COLUMNS};
use crate::{ConnectionName, ConnectionStore, StoreError};
use connector_core::Secret;

#[async_trait]
impl ConnectionStore for PostgresStore {
    async fn add(
        &self,
        name: &ConnectionName,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, false).await?;
        inner.lock_key(&tx).await?;
        let key = inner.key(&tx, true).await?;
        let duplicate = |existing: String| StoreError::DuplicateName {
            name: name.as_str().to_owned(),
            existing,
        };
        let existing = tx
            .query_opt(
                "SELECT name FROM connector_connections WHERE name_key = $1",
                &[&name.key()],
            )
            .await
            .db(inner)?;
        if let Some(row) = existing {
            return Err(duplicate(row.try_get(0).db(inner)?));
        }
        let id = new_id();
        let now = Timestamp::now().to_string();
        tx.execute(
            "INSERT INTO connector_connections (id, name, name_key, provider, settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
            &[&id, &name.as_str(), &name.key(), &settings.provider, &settings.stored(), &now],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                // Another worker added it since the check above.
                duplicate(name.as_str().to_owned())
            } else {
                inner.err(&e)
            }
        })?;
        insert_secrets(inner, &tx, &key, &id, &settings.secrets).await?;
        let row = inner.find(&tx, name.as_str()).await?;
        let info = inner.info(&tx, row).await?;
        tx.commit().await.db(inner)?;
        Ok(info)
    }

    async fn get(&self, name: &str) -> Result<StoredConnection, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        // Shared with other readers, taken before the snapshot: a rotation in progress
        // (commit and key file) is waited for, never half seen.
        inner.lock_session(&client, false).await?;
        let result = get_locked(inner, &mut client, name).await;
        inner.unlock_session(&client, false).await;
        result
    }

    async fn info(&self, name: &str) -> Result<ConnectionInfo, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, true).await?;
        let row = inner.find(&tx, name).await?;
        let info = inner.info(&tx, row).await?;
        tx.commit().await.db(inner)?;
        Ok(info)
    }

    async fn list(&self) -> Result<Vec<ConnectionInfo>, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, true).await?;
        let rows = tx
            .query(
                &format!("SELECT {ROW_COLUMNS} FROM connector_connections ORDER BY name_key"),
                &[],
            )
            .await
            .db(inner)?;
        let mut all = Vec::with_capacity(rows.len());
        for row in &rows {
            let row = read_row(row).db(inner)?;
            all.push(inner.info(&tx, row).await?);
        }
        tx.commit().await.db(inner)?;
        Ok(all)
    }

    async fn update(
        &self,
        name: &str,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, false).await?;
        inner.lock_key(&tx).await?;
        let key = inner.key(&tx, true).await?;
        let row = inner.find(&tx, name).await?;
        if row.provider != settings.provider {
            return Err(StoreError::WrongProvider {
                name: row.name,
                stored: row.provider,
                given: settings.provider,
            });
        }
        tx.execute(
            "UPDATE connector_connections SET settings = $1, updated_at = $2, last_test_at = NULL,
             last_test_passed = NULL, last_test_step = NULL, last_test_message = NULL
             WHERE id = $3",
            &[&settings.stored(), &Timestamp::now().to_string(), &row.id],
        )
        .await
        .db(inner)?;
        tx.execute(
            "DELETE FROM connector_secrets WHERE connection_id = $1",
            &[&row.id],
        )
        .await
        .db(inner)?;
        insert_secrets(inner, &tx, &key, &row.id, &settings.secrets).await?;
        let row = inner.find(&tx, name).await?;
        let info = inner.info(&tx, row).await?;
        tx.commit().await.db(inner)?;
        Ok(info)
    }

    async fn rename(
        &self,
        name: &str,
        new_name: &ConnectionName,
    ) -> Result<ConnectionInfo, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, false).await?;
        let row = inner.find(&tx, name).await?;
        let clash = tx
            .query_opt(
                "SELECT id, name FROM connector_connections WHERE name_key = $1",
                &[&new_name.key()],
            )
            .await
            .db(inner)?;
        let duplicate = |existing: String| StoreError::DuplicateName {
            name: new_name.as_str().to_owned(),
            existing,
        };
        if let Some(clash) = clash {
            let id: String = clash.try_get(0).db(inner)?;
            if id != row.id {
                return Err(duplicate(clash.try_get(1).db(inner)?));
            }
        }
        tx.execute(
            "UPDATE connector_connections SET name = $1, name_key = $2 WHERE id = $3",
            &[&new_name.as_str(), &new_name.key(), &row.id],
        )
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => duplicate(new_name.as_str().to_owned()),
            false => inner.err(&e),
        })?;
        let row = inner.find(&tx, new_name.as_str()).await?;
        let info = inner.info(&tx, row).await?;
        tx.commit().await.db(inner)?;
        Ok(info)
    }

    async fn remove(&self, name: &str) -> Result<(), StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, false).await?;
        let row = inner.find(&tx, name).await?;
        // Its secrets and sync state go with it (foreign keys cascade).
        tx.execute(
            "DELETE FROM connector_connections WHERE id = $1",
            &[&row.id],
        )
        .await
        .db(inner)?;
        tx.commit().await.db(inner)
    }

    async fn record_export(&self, name: &str, record: &ExportRecord) -> Result<(), StoreError> {
        let at = record.at.to_string();
        let users = i64::try_from(record.users).unwrap_or(i64::MAX);
        let values: [&(dyn ToSql + Sync); 4] = [&at, &record.ok, &users, &record.message];
        self.set_outcome(name, &EXPORT_COLUMNS, &values).await
    }

    async fn record_test(&self, name: &str, record: &TestRecord) -> Result<(), StoreError> {
        let at = record.at.to_string();
        let values: [&(dyn ToSql + Sync); 4] =
            [&at, &record.passed, &record.failed_step, &record.message];
        self.set_outcome(name, &TEST_COLUMNS, &values).await
    }
}

impl PostgresStore {
    /// Sets the columns of an outcome ([`TEST_COLUMNS`], [`EXPORT_COLUMNS`]) on connection
    /// `name` to `values`, in order.
    async fn set_outcome(
        &self,
        name: &str,
        columns: &[&str; 4],
        values: &[&(dyn ToSql + Sync); 4],
    ) -> Result<(), StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        let tx = inner.begin(&mut client, false).await?;
        let row = inner.find(&tx, name).await?;
        let assignments: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE connector_connections SET {} WHERE id = $5",
            assignments.join(", ")
        );
        let mut params: Vec<&(dyn ToSql + Sync)> = values.to_vec();
        params.push(&row.id);
        tx.execute(&sql, &params).await.db(inner)?;
        tx.commit().await.db(inner)
    }
}

/// Saves the encrypted secrets of connection `id` and seals its settings as stored.
async fn insert_secrets(
    inner: &Inner,
    tx: &Transaction<'_>,
    key: &crate::MasterKey,
    id: &str,
    secrets: &[(String, Secret)],
) -> Result<(), StoreError> {
    let row = tx
        .query_one(
            "SELECT provider, settings FROM connector_connections WHERE id = $1",
            &[&id],
        )
        .await
        .db(inner)?;
    let (provider, settings): (String, String) =
        (row.try_get(0).db(inner)?, row.try_get(1).db(inner)?);
    seal_row(inner, tx, key, id, &provider, &settings).await?;
    for (field, secret) in secrets {
        let (nonce, sealed) = key.seal(&secret_aad(id, field), secret.expose().as_bytes());
        tx.execute(
            "INSERT INTO connector_secrets (connection_id, field, nonce, ciphertext) VALUES ($1, $2, $3, $4)",
            &[&id, field, &nonce, &sealed],
        )
        .await
        .db(inner)?;
    }
    Ok(())
}
/// A connection with its secrets, with the session's shared key lock held.
async fn get_locked(
    inner: &Inner,
    client: &mut tokio_postgres::Client,
    name: &str,
) -> Result<StoredConnection, StoreError> {
    let tx = inner.begin(client, true).await?;
    let row = inner.find(&tx, name).await?;
    let id = row.id.clone();
    let sealed = tx
            .query(
                "SELECT field, nonce, ciphertext FROM connector_secrets WHERE connection_id = $1 ORDER BY field",
                &[&id],
            )
            .await
            .db(inner)?;
    // A store that never saw a secret has no key and nothing to leak.
    let keyed = !sealed.is_empty() || read_key_check(inner, &tx).await?.is_some();
    let key = match keyed {
        true => {
            let key = inner.key(&tx, false).await?;
            // Settings changed behind the SDK's back must not receive the secrets.
            inner.check_seal(&tx, &key, &row).await?;
            Some(key)
        }
        false => None,
    };
    let info = inner.info(&tx, row).await?;
    let mut secrets = Vec::with_capacity(sealed.len());
    for r in &sealed {
        let field: String = r.try_get(0).db(inner)?;
        let (nonce, ciphertext): (Vec<u8>, Vec<u8>) =
            (r.try_get(1).db(inner)?, r.try_get(2).db(inner)?);
        let secret = open_secret(key.as_ref(), &id, &info.name, &field, &nonce, &ciphertext)?;
        secrets.push((field, secret));
    }
    tx.commit().await.db(inner)?;
    Ok(StoredConnection { info, secrets })
}
