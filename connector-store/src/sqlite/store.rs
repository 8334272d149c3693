//! [`ConnectionStore`] for [`SqliteStore`]: one immediate transaction per change.

use async_trait::async_trait;
use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension};

use super::super::keyring::{new_id, open_secret};
use super::super::record::{
    ConnectionInfo, ExportRecord, StoredConnection, TestRecord, ValidSettings,
};
use super::super::row::{Row, EXPORT_COLUMNS, ROW_COLUMNS, TEST_COLUMNS};
use super::super::{ConnectionName, ConnectionStore, StoreError};
use super::keys::read_key_check;
use super::rows::read_row;
use super::{insert_secrets, is_unique_violation, Db, SqliteStore};

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn add(
        &self,
        name: &ConnectionName,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError> {
        let name = name.clone();
        self.write_keyed(move |inner, tx, key| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT name FROM connections WHERE name_key = ?1",
                    params![name.key()],
                    |r| r.get(0),
                )
                .optional()
                .db(inner)?;
            let duplicate = |existing: String| StoreError::DuplicateName {
                name: name.as_str().to_owned(),
                existing,
            };
            if let Some(existing) = existing {
                return Err(duplicate(existing));
            }
            let id = new_id();
            let now = Timestamp::now().to_string();
            tx.execute(
                "INSERT INTO connections (id, name, name_key, provider, settings, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, name.as_str(), name.key(), settings.provider, settings.stored(), now],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    // Another process added it since the check above.
                    duplicate(name.as_str().to_owned())
                } else {
                    inner.err(&e)
                }
            })?;
            insert_secrets(tx, key, &id, &settings.secrets).db(inner)?;
            let row = inner.find(tx, name.as_str())?;
            inner.info(tx, row)
        })
        .await
    }

    async fn get(&self, name: &str) -> Result<StoredConnection, StoreError> {
        let name = name.to_owned();
        self.with_db(move |inner, db| {
            let _lock = inner.lock_store()?;
            let row = inner.find(db, &name)?;
            let id = row.id.clone();
            let sealed: Vec<(String, Vec<u8>, Vec<u8>)> = db
                .prepare("SELECT field, nonce, ciphertext FROM secrets WHERE connection_id = ?1 ORDER BY field")
                .and_then(|mut stmt| {
                    stmt.query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect()
                })
                .db(inner)?;
            let mut secrets = Vec::with_capacity(sealed.len());
            // A store that never saw a secret has no key and nothing to leak.
            let keyed = !sealed.is_empty() || read_key_check(db).db(inner)?.is_some();
            let key = match keyed {
                true => {
                    let key = inner.key(db, false)?;
                    // Settings changed behind the SDK's back must not receive the secrets.
                    inner.check_seal(db, &key, &row)?;
                    Some(key)
                }
                false => None,
            };
            let info = inner.info(db, row)?;
            for (field, nonce, ciphertext) in sealed {
                let secret =
                    open_secret(key.as_ref(), &id, &info.name, &field, &nonce, &ciphertext)?;
                secrets.push((field, secret));
            }
            Ok(StoredConnection { info, secrets })
        })
        .await
    }

    async fn info(&self, name: &str) -> Result<ConnectionInfo, StoreError> {
        let name = name.to_owned();
        self.with_db(move |inner, db| {
            let row = inner.find(db, &name)?;
            inner.info(db, row)
        })
        .await
    }

    async fn list(&self) -> Result<Vec<ConnectionInfo>, StoreError> {
        self.with_db(move |inner, db| {
            let rows: Vec<Row> = db
                .prepare(&format!(
                    "SELECT {ROW_COLUMNS} FROM connections ORDER BY name_key"
                ))
                .and_then(|mut stmt| stmt.query_map([], read_row)?.collect())
                .db(inner)?;
            rows.into_iter().map(|row| inner.info(db, row)).collect()
        })
        .await
    }

    async fn update(
        &self,
        name: &str,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError> {
        let name = name.to_owned();
        self.write_keyed(move |inner, tx, key| {
            let row = inner.find(tx, &name)?;
            if row.provider != settings.provider {
                return Err(StoreError::WrongProvider {
                    name: row.name,
                    stored: row.provider,
                    given: settings.provider,
                });
            }
            tx.execute(
                "UPDATE connections SET settings = ?1, updated_at = ?2, last_test_at = NULL,
                 last_test_passed = NULL, last_test_step = NULL, last_test_message = NULL
                 WHERE id = ?3",
                params![settings.stored(), Timestamp::now().to_string(), row.id],
            )
            .db(inner)?;
            tx.execute(
                "DELETE FROM secrets WHERE connection_id = ?1",
                params![row.id],
            )
            .db(inner)?;
            insert_secrets(tx, key, &row.id, &settings.secrets).db(inner)?;
            let row = inner.find(tx, &name)?;
            inner.info(tx, row)
        })
        .await
    }

    async fn rename(
        &self,
        name: &str,
        new_name: &ConnectionName,
    ) -> Result<ConnectionInfo, StoreError> {
        let name = name.to_owned();
        let new_name = new_name.clone();
        self.write(move |inner, tx| {
            let row = inner.find(tx, &name)?;
            let clash: Option<(String, String)> = tx
                .query_row(
                    "SELECT id, name FROM connections WHERE name_key = ?1",
                    params![new_name.key()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .db(inner)?;
            if let Some((id, existing)) = clash {
                if id != row.id {
                    return Err(StoreError::DuplicateName {
                        name: new_name.as_str().to_owned(),
                        existing,
                    });
                }
            }
            tx.execute(
                "UPDATE connections SET name = ?1, name_key = ?2 WHERE id = ?3",
                params![new_name.as_str(), new_name.key(), row.id],
            )
            .db(inner)?;
            let row = inner.find(tx, new_name.as_str())?;
            inner.info(tx, row)
        })
        .await
    }

    async fn remove(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |inner, tx| {
            let row = inner.find(tx, &name)?;
            // Its secrets and sync state go with it (foreign keys cascade).
            tx.execute("DELETE FROM connections WHERE id = ?1", params![row.id])
                .db(inner)?;
            Ok(())
        })
        .await
    }

    async fn record_export(&self, name: &str, record: &ExportRecord) -> Result<(), StoreError> {
        let values = vec![
            Value::from(record.at.to_string()),
            Value::from(record.ok),
            Value::from(i64::try_from(record.users).unwrap_or(i64::MAX)),
            record.message.clone().map_or(Value::Null, Value::from),
        ];
        self.set_outcome(name, &EXPORT_COLUMNS, values).await
    }

    async fn record_test(&self, name: &str, record: &TestRecord) -> Result<(), StoreError> {
        let values = vec![
            Value::from(record.at.to_string()),
            Value::from(record.passed),
            record.failed_step.clone().map_or(Value::Null, Value::from),
            record.message.clone().map_or(Value::Null, Value::from),
        ];
        self.set_outcome(name, &TEST_COLUMNS, values).await
    }
}

impl SqliteStore {
    /// Sets the columns of an outcome ([`TEST_COLUMNS`], [`EXPORT_COLUMNS`]) on connection
    /// `name` to `values`, in order.
    async fn set_outcome(
        &self,
        name: &str,
        columns: &'static [&'static str],
        values: Vec<Value>,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.with_db(move |inner, db| {
            let row = inner.find(db, &name)?;
            let assignments: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ?{}", i + 1))
                .collect();
            let sql = format!(
                "UPDATE connections SET {} WHERE id = ?{}",
                assignments.join(", "),
                columns.len() + 1
            );
            let params = values
                .into_iter()
                .chain(std::iter::once(Value::from(row.id)));
            db.execute(&sql, rusqlite::params_from_iter(params))
                .db(inner)?;
            Ok(())
        })
        .await
    }
}
