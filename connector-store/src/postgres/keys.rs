//! The master key of a PostgreSQL store: checked against the store's key check on every use,
//! rotated in one transaction; the settings seals; and the advisory lock that serialises every
//! use of the key to write, across processes and machines.

use tokio_postgres::Transaction;

use super::{Db, Inner, PostgresStore};
use crate::crypto::{seal_settings, secret_aad, settings_aad, settings_sealed};
use crate::keyring::{self, check_version, PendingKey};
use crate::row::{Row, SettingsRow};
use crate::{MasterKey, StoreError};

impl PostgresStore {
    /// Re-encrypts every secret and re-seals every connection's settings under `new_key`, in
    /// one transaction holding the store's key lock, and returns how many secrets. Every
    /// worker then needs the new key: with `CONNECTOR_MASTER_KEY`, set it to the new key; with
    /// a key file, the new key replaces it after the commit (as with SQLite). A connection
    /// whose settings were altered stops the rotation.
    pub async fn rotate_key(&self, new_key: MasterKey) -> Result<usize, StoreError> {
        let inner = &*self.inner;
        let mut client = inner.client.lock().await;
        // The session lock outlives the transaction: it is held until the new key file is
        // in place, so no one reads the key between the commit and the rename.
        inner.lock_session(&client, true).await?;
        let result = rotate_locked(inner, &mut client, &new_key).await;
        inner.unlock_session(&client, true).await;
        if result.is_ok() {
            inner.cache_key(&new_key);
        }
        result
    }
}

/// The rotation, with the session lock held: transaction, commit, then the key file.
async fn rotate_locked(
    inner: &Inner,
    client: &mut tokio_postgres::Client,
    new_key: &MasterKey,
) -> Result<usize, StoreError> {
    let tx = inner.begin(client, false).await?;
    let old = inner.key(&tx, true).await?;
    let pending = PendingKey::write(&inner.source, new_key)?;
    let result = match rotate(inner, &tx, &old, new_key).await {
        Ok(n) => tx.commit().await.db(inner).map(|()| n),
        Err(e) => Err(e),
    };
    match (&result, pending) {
        (Ok(_), Some(pending)) => pending.commit()?,
        (Err(_), Some(pending)) => pending.discard(),
        _ => {}
    }
    result
}

/// The rotation's writes, in `tx`.
async fn rotate(
    inner: &Inner,
    tx: &Transaction<'_>,
    old: &MasterKey,
    new_key: &MasterKey,
) -> Result<usize, StoreError> {
    let rows = tx
        .query(
            "SELECT s.connection_id, c.name, s.field, s.nonce, s.ciphertext
             FROM connector_secrets s JOIN connector_connections c ON c.id = s.connection_id",
            &[],
        )
        .await
        .db(inner)?;
    for row in &rows {
        let (id, name, field): (String, String, String) = (
            row.try_get(0).db(inner)?,
            row.try_get(1).db(inner)?,
            row.try_get(2).db(inner)?,
        );
        let (nonce, sealed): (Vec<u8>, Vec<u8>) =
            (row.try_get(3).db(inner)?, row.try_get(4).db(inner)?);
        let aad = secret_aad(&id, &field);
        let plain = old
            .open(&aad, &nonce, &sealed)
            .ok_or(StoreError::Tampered {
                connection: name,
                field: field.clone(),
            })?;
        let (nonce, sealed) = new_key.seal(&aad, &plain);
        tx.execute(
            "UPDATE connector_secrets SET nonce = $1, ciphertext = $2
             WHERE connection_id = $3 AND field = $4",
            &[&nonce, &sealed, &id, &field],
        )
        .await
        .db(inner)?;
    }
    for row in settings_rows(inner, tx).await? {
        if !row.sealed_by(old) {
            return Err(StoreError::SettingsTampered {
                connection: row.name,
            });
        }
        seal_row(inner, tx, new_key, &row.id, &row.provider, &row.settings).await?;
    }
    write_key_check(inner, tx, new_key, true).await?;
    Ok(rows.len())
}

impl Inner {
    /// Takes the store's key lock for this session (shared: readers of the key; exclusive: a
    /// rotation), until [`unlock_session`](Self::unlock_session) or the session ends.
    pub(super) async fn lock_session(
        &self,
        client: &tokio_postgres::Client,
        exclusive: bool,
    ) -> Result<(), StoreError> {
        let sql = match exclusive {
            true => "SELECT pg_advisory_lock($1)",
            false => "SELECT pg_advisory_lock_shared($1)",
        };
        client
            .execute(sql, &[&self.key_lock])
            .await
            .db(self)
            .map(drop)
    }

    /// Lets go of the session lock (a broken connection lets go of it by itself).
    pub(super) async fn unlock_session(&self, client: &tokio_postgres::Client, exclusive: bool) {
        let sql = match exclusive {
            true => "SELECT pg_advisory_unlock($1)",
            false => "SELECT pg_advisory_unlock_shared($1)",
        };
        let _ = client.execute(sql, &[&self.key_lock]).await;
    }

    /// Takes the store's key lock until `tx` ends, waiting for a rotation or a write anywhere.
    pub(super) async fn lock_key(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&self.key_lock])
            .await
            .db(self)
            .map(drop)
    }

    /// The master key, checked against the store's key check as `tx` sees it. A key cached by
    /// this process is used only while it still opens the check (another worker may have
    /// rotated it); otherwise it is read again from its source. The store's first key check
    /// is written here when `may_create` (call with the key lock held).
    pub(super) async fn key(
        &self,
        tx: &Transaction<'_>,
        may_create: bool,
    ) -> Result<MasterKey, StoreError> {
        let key = match read_key_check(self, tx).await? {
            Some((nonce, sealed)) => {
                let version = |k: &MasterKey| check_version(k, &nonce, &sealed);
                match self.cached_key().filter(|k| version(k).is_some()) {
                    Some(key) => key,
                    None => keyring::load_checked(&self.source, &version)?.0,
                }
            }
            None => {
                let secrets: i64 = tx
                    .query_one("SELECT COUNT(*) FROM connector_secrets", &[])
                    .await
                    .db(self)?
                    .try_get(0)
                    .db(self)?;
                if secrets > 0 {
                    return Err(super::server(
                        &self.place,
                        "the store holds encrypted secrets but its key check is missing (the database was altered); restore it from a backup",
                    ));
                }
                let key = self.source.load(may_create)?;
                write_key_check(self, tx, &key, false).await?;
                match read_key_check(self, tx).await? {
                    Some((nonce, sealed)) if check_version(&key, &nonce, &sealed).is_some() => {}
                    _ => {
                        return Err(StoreError::WrongKey {
                            origin: self.source.describe(),
                        })
                    }
                }
                key
            }
        };
        self.cache_key(&key);
        Ok(key)
    }

    /// Refuses a connection whose settings do not carry `key`'s seal: they were changed
    /// outside the SDK (a `base_url` pointed elsewhere would receive its secrets).
    pub(super) async fn check_seal(
        &self,
        tx: &Transaction<'_>,
        key: &MasterKey,
        row: &Row,
    ) -> Result<(), StoreError> {
        let seal: Option<Vec<u8>> = tx
            .query_opt(
                "SELECT settings_seal FROM connector_connections WHERE id = $1",
                &[&row.id],
            )
            .await
            .db(self)?
            .and_then(|r| r.try_get(0).ok());
        let aad = settings_aad(&row.id, &row.provider, &row.settings);
        match seal {
            Some(seal) if settings_sealed(key, &aad, &seal) => Ok(()),
            _ => Err(StoreError::SettingsTampered {
                connection: row.name.clone(),
            }),
        }
    }
}

/// Seals the settings of connection `id` as stored.
pub(super) async fn seal_row(
    inner: &Inner,
    tx: &Transaction<'_>,
    key: &MasterKey,
    id: &str,
    provider: &str,
    settings: &str,
) -> Result<(), StoreError> {
    let seal = seal_settings(key, &settings_aad(id, provider, settings));
    tx.execute(
        "UPDATE connector_connections SET settings_seal = $1 WHERE id = $2",
        &[&seal, &id],
    )
    .await
    .db(inner)
    .map(drop)
}

async fn settings_rows(
    inner: &Inner,
    tx: &Transaction<'_>,
) -> Result<Vec<SettingsRow>, StoreError> {
    tx.query(
        "SELECT id, name, provider, settings, settings_seal FROM connector_connections",
        &[],
    )
    .await
    .db(inner)?
    .iter()
    .map(|r| {
        Ok(SettingsRow {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            provider: r.try_get(2)?,
            settings: r.try_get(3)?,
            seal: r.try_get(4)?,
        })
    })
    .collect::<Result<_, tokio_postgres::Error>>()
    .db(inner)
}

/// The store's key check, split into nonce and ciphertext.
pub(super) async fn read_key_check(
    inner: &Inner,
    tx: &Transaction<'_>,
) -> Result<Option<(Vec<u8>, Vec<u8>)>, StoreError> {
    let value: Option<Vec<u8>> = tx
        .query_opt(
            "SELECT value FROM connector_meta WHERE key = 'key_check'",
            &[],
        )
        .await
        .db(inner)?
        .and_then(|r| r.try_get(0).ok());
    Ok(value.as_deref().and_then(keyring::split_key_check))
}

/// Stores the key check of `key` (replacing the old one only when `replace`).
async fn write_key_check(
    inner: &Inner,
    tx: &Transaction<'_>,
    key: &MasterKey,
    replace: bool,
) -> Result<(), StoreError> {
    let on_conflict = if replace {
        "DO UPDATE SET value = EXCLUDED.value"
    } else {
        "DO NOTHING"
    };
    tx.execute(
        &format!(
            "INSERT INTO connector_meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) {on_conflict}"
        ),
        &[&keyring::key_check(key)],
    )
    .await
    .db(inner)
    .map(drop)
}
