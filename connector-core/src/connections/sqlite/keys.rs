//! The master key of a store: loaded when first needed, checked against the store's key
//! check, and rotated.

use rusqlite::{params, Connection, OptionalExtension};

use super::super::crypto::{secret_aad, KEY_CHECK_AAD, KEY_CHECK_TEXT};
use super::super::home::{self, io, KeySource};
use super::super::{MasterKey, StoreError};
use super::{Db, Inner, SqliteStore};

impl SqliteStore {
    /// Re-encrypts every secret under `new_key` in one transaction and returns how many.
    /// With a key file, the new key is written next to it first and renamed over it after
    /// the commit; an interrupted rotation is finished the next time the store is opened, so
    /// no crash point leaves secrets under a key nobody has. With `CONNECTOR_MASTER_KEY`, set
    /// it to the new key afterwards.
    pub async fn rotate_key(&self, new_key: MasterKey) -> Result<usize, StoreError> {
        self.with_db(move |inner, db| {
            let old = inner.key(db, true)?;
            let pending = match &inner.source {
                KeySource::File(path) => {
                    let pending = home::pending_key_path(path);
                    let _ = std::fs::remove_file(&pending);
                    home::create_key_file(&pending, &new_key)?;
                    Some((pending, path.clone()))
                }
                _ => None,
            };
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
                write_key_check(tx, &new_key, true).db(inner)?;
                Ok(rows.len())
            });
            match (&result, pending) {
                (Ok(_), Some((pending, file))) => {
                    std::fs::rename(&pending, &file).map_err(|e| io("cannot replace", &file, &e))?;
                }
                (Err(_), Some((pending, _))) => {
                    let _ = std::fs::remove_file(pending);
                }
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

impl Inner {
    /// The master key, checked against the store's key check. The first key of a store is
    /// created (key file) when `may_create`; an interrupted rotation is finished here.
    pub(super) fn key(
        &self,
        db: &mut Connection,
        may_create: bool,
    ) -> Result<MasterKey, StoreError> {
        if let Some(key) = self.key.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(key);
        }
        let check = read_key_check(db).db(self)?;
        let key = match check {
            Some((nonce, sealed)) => {
                let fits = |k: &MasterKey| opens_check(k, &nonce, &sealed);
                let pending = match &self.source {
                    KeySource::File(path) => home::read_pending_key(path).map(|k| (k, path)),
                    _ => None,
                };
                match (self.source.load(false), pending) {
                    (Ok(key), _) if fits(&key) => key,
                    // A rotation committed but did not get to rename its key file.
                    (_, Some((key, path))) if fits(&key) => {
                        home::replace_key_file(path, &key)?;
                        let _ = std::fs::remove_file(home::pending_key_path(path));
                        key
                    }
                    (Ok(_), _) => {
                        return Err(StoreError::WrongKey {
                            origin: self.source.describe(),
                        })
                    }
                    (Err(e), _) => return Err(e),
                }
            }
            None => {
                // No secret was ever saved: a key is made (or read) only to save one.
                let key = self.source.load(may_create)?;
                let (nonce, sealed) = self.transaction(db, |tx| {
                    write_key_check(tx, &key, false).db(self)?;
                    Ok(read_key_check(tx).db(self)?.unwrap_or_default())
                })?;
                // Another process may have written its check first, with another key.
                if !opens_check(&key, &nonce, &sealed) {
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
}

/// A saved secret as stored: connection id, connection name, field, nonce, ciphertext.
type SealedRow = (String, String, String, Vec<u8>, Vec<u8>);

/// Whether `key` opens the store's key check.
fn opens_check(key: &MasterKey, nonce: &[u8], sealed: &[u8]) -> bool {
    key.open(KEY_CHECK_AAD, nonce, sealed)
        .is_some_and(|p| p.as_slice() == KEY_CHECK_TEXT)
}
fn read_key_check(db: &Connection) -> rusqlite::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let value: Option<Vec<u8>> = db
        .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(value.filter(|v| v.len() > 12).map(|v| {
        let (nonce, sealed) = v.split_at(12);
        (nonce.to_vec(), sealed.to_vec())
    }))
}

/// Stores the key check of `key` (replacing the old one only when `replace`).
fn write_key_check(db: &Connection, key: &MasterKey, replace: bool) -> rusqlite::Result<()> {
    let (mut value, sealed) = key.seal(KEY_CHECK_AAD, KEY_CHECK_TEXT);
    value.extend_from_slice(&sealed);
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
