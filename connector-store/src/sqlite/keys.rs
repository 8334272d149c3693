//! The master key of a store: loaded when first needed, checked against the store's key
//! check every time it is used, and rotated; the settings seals made with it; and the store
//! lock that serialises every use of the key across processes.

use rusqlite::{params, Connection, OptionalExtension};

use super::super::crypto::{seal_settings, secret_aad, settings_aad, settings_sealed};
use super::super::home::io;
use super::super::keyring::{self, check_version, PendingKey};
use super::super::row::{Row, SettingsRow};
use super::super::{MasterKey, StoreError};
use super::{Db, Inner, SqliteStore};

impl SqliteStore {
    /// Re-encrypts every secret and re-seals every connection's settings under `new_key`, in
    /// one transaction, and returns how many secrets. With a key file, the new key is written
    /// next to it first and renamed over it after the commit; an interrupted rotation is
    /// finished the next time the key is read, so no crash point leaves secrets under a key
    /// nobody has. With `CONNECTOR_MASTER_KEY`, set it to the new key afterwards.
    ///
    /// The whole rotation holds the store lock, which every use of the key takes too: a
    /// second rotation, or an `add` in another process, waits for it and then uses the new
    /// key. A connection whose settings were altered stops the rotation (its seal would
    /// otherwise be renewed over the altered settings).
    pub async fn rotate_key(&self, new_key: MasterKey) -> Result<usize, StoreError> {
        self.with_db(move |inner, db| {
            let _lock = inner.lock_store()?;
            let old = inner.key(db, true)?;
            // Under the lock, and with any interrupted rotation finished by `key`, a pending
            // key file left here is stale.
            let pending = PendingKey::write(&inner.source, &new_key)?;
            let result = inner.transaction(db, |tx| {
                let rows: Vec<SealedRow> = tx
                    .prepare(
                        "SELECT s.connection_id, c.name, s.field, s.nonce, s.ciphertext
                         FROM secrets s JOIN connections c ON c.id = s.connection_id",
                    )
                    .and_then(|mut stmt| {
                        stmt.query_map([], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                        })?
                        .collect()
                    })
                    .db(inner)?;
                for (id, name, field, nonce, sealed) in &rows {
                    let aad = secret_aad(id, field);
                    let plain = old.open(&aad, nonce, sealed).ok_or_else(|| StoreError::Tampered {
                        connection: name.clone(),
                        field: field.clone(),
                    })?;
                    let (nonce, sealed) = new_key.seal(&aad, &plain);
                    tx.execute(
                        "UPDATE secrets SET nonce = ?1, ciphertext = ?2 WHERE connection_id = ?3 AND field = ?4",
                        params![nonce, sealed, id, field],
                    )
                    .db(inner)?;
                }
                for row in settings_rows(tx).db(inner)? {
                    if !row.sealed_by(&old) {
                        return Err(StoreError::SettingsTampered { connection: row.name });
                    }
                    reseal(&row, tx, &new_key).db(inner)?;
                }
                write_key_check(tx, &new_key, true).db(inner)?;
                Ok(rows.len())
            });
            match (&result, pending) {
                (Ok(_), Some(pending)) => pending.commit()?,
                (Err(_), Some(pending)) => pending.discard(),
                _ => {}
            }
            if result.is_ok() {
                *inner.key.lock().unwrap_or_else(|e| e.into_inner()) = Some(new_key);
            }
            result
        })
        .await
    }
}

/// The store lock: an exclusive OS lock on `connections.db.lock`, held while the master key
/// is read and used and for the whole of a rotation; released when dropped (and by the
/// system when the process dies).
pub(super) struct StoreLock(#[allow(dead_code)] std::fs::File);

impl Inner {
    /// Takes the store lock, waiting for another process that holds it.
    pub(super) fn lock_store(&self) -> Result<StoreLock, StoreError> {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = self.path.with_file_name(name);
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&path)
            .map_err(|e| io("cannot open", &path, &e))?;
        file.lock().map_err(|e| io("cannot lock", &path, &e))?;
        Ok(StoreLock(file))
    }

    /// The master key, checked against the store's key check (call with the store lock held).
    /// A key cached by this process is used only while it still opens the check (another
    /// process may have rotated it); otherwise it is read again from its source, and an
    /// interrupted rotation finished. The first key of a store is created (key file) when
    /// `may_create`. A store whose settings were not sealed yet has them sealed here, once.
    pub(super) fn key(
        &self,
        db: &mut Connection,
        may_create: bool,
    ) -> Result<MasterKey, StoreError> {
        let cached = self.key.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let check = read_key_check(db).db(self)?;
        let key = match check {
            Some((nonce, sealed)) => {
                let version = |k: &MasterKey| check_version(k, &nonce, &sealed);
                let (key, version) = match cached.and_then(|k| version(&k).map(|v| (k, v))) {
                    Some(found) => found,
                    None => keyring::load_checked(&self.source, &version)?,
                };
                if version == 1 {
                    // Saved before settings were sealed: seal them all, then say so in the
                    // check, after which a missing seal is tampering.
                    self.transaction(db, |tx| {
                        for row in settings_rows(tx).db(self)? {
                            reseal(&row, tx, &key).db(self)?;
                        }
                        write_key_check(tx, &key, true).db(self)
                    })?;
                }
                key
            }
            None => {
                // Secrets without a check: the check was removed (sealing the rows now would
                // bless whatever was changed with it).
                let secrets: i64 = db
                    .query_row("SELECT COUNT(*) FROM secrets", [], |r| r.get(0))
                    .db(self)?;
                if secrets > 0 {
                    return Err(StoreError::Database {
                        path: self.path.clone(),
                        message: "the store holds encrypted secrets but its key check is missing (the database was altered); restore it from a backup".to_owned(),
                    });
                }
                // No secret was ever saved: a key is made (or read) only to save one.
                let key = self.source.load(may_create)?;
                let (nonce, sealed) = self.transaction(db, |tx| {
                    // Connections saved without any secret, before settings were sealed.
                    for row in settings_rows(tx).db(self)? {
                        reseal(&row, tx, &key).db(self)?;
                    }
                    write_key_check(tx, &key, false).db(self)?;
                    Ok(read_key_check(tx).db(self)?.unwrap_or_default())
                })?;
                if check_version(&key, &nonce, &sealed).is_none() {
                    return Err(StoreError::WrongKey {
                        origin: self.source.describe(),
                    });
                }
                key
            }
        };
        *self.key.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
        Ok(key)
    }

    /// Refuses a connection whose settings do not carry `key`'s seal: they were changed
    /// outside the SDK (a `base_url` pointed elsewhere would receive its secrets).
    pub(super) fn check_seal(
        &self,
        db: &Connection,
        key: &MasterKey,
        row: &Row,
    ) -> Result<(), StoreError> {
        let seal: Option<Vec<u8>> = db
            .query_row(
                "SELECT settings_seal FROM connections WHERE id = ?1",
                params![row.id],
                |r| r.get(0),
            )
            .optional()
            .db(self)?
            .flatten();
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
pub(super) fn seal_row(
    db: &Connection,
    key: &MasterKey,
    id: &str,
    provider: &str,
    settings: &str,
) -> rusqlite::Result<()> {
    let seal = seal_settings(key, &settings_aad(id, provider, settings));
    db.execute(
        "UPDATE connections SET settings_seal = ?1 WHERE id = ?2",
        params![seal, id],
    )?;
    Ok(())
}

/// Renews a connection's seal under `key`.
fn reseal(row: &SettingsRow, db: &Connection, key: &MasterKey) -> rusqlite::Result<()> {
    seal_row(db, key, &row.id, &row.provider, &row.settings)
}

fn settings_rows(db: &Connection) -> rusqlite::Result<Vec<SettingsRow>> {
    db.prepare("SELECT id, name, provider, settings, settings_seal FROM connections")?
        .query_map([], |r| {
            Ok(SettingsRow {
                id: r.get(0)?,
                name: r.get(1)?,
                provider: r.get(2)?,
                settings: r.get(3)?,
                seal: r.get(4)?,
            })
        })?
        .collect()
}

/// A saved secret as stored: connection id, connection name, field, nonce, ciphertext.
type SealedRow = (String, String, String, Vec<u8>, Vec<u8>);

pub(super) fn read_key_check(db: &Connection) -> rusqlite::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let value: Option<Vec<u8>> = db
        .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(value.as_deref().and_then(keyring::split_key_check))
}

/// Stores the key check of `key` (replacing the old one only when `replace`).
fn write_key_check(db: &Connection, key: &MasterKey, replace: bool) -> rusqlite::Result<()> {
    let value = keyring::key_check(key);
    let verb = if replace {
        "INSERT OR REPLACE"
    } else {
        "INSERT OR IGNORE"
    };
    db.execute(
        &format!("{verb} INTO meta (key, value) VALUES ('key_check', ?1)"),
        params![value],
    )?;
    Ok(())
}
