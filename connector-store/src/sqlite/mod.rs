//! [`SqliteStore`]: the built-in connection store, one SQLite file in the connector home
//! (owner-only, WAL, versioned migrations, one transaction per change).
//!
//! `schema.rs` holds the migrations, `keys.rs` the master key, its check and its rotation,
//! `rows.rs` how a row reads, and `store.rs` the [`ConnectionStore`](super::ConnectionStore)
//! implementation.

mod keys;
mod rows;
mod schema;
mod store;
mod sync_state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

use super::crypto::secret_aad;
use super::home::{self, KeySource};
use super::record::ConnectionInfo;
use super::row::{Row, ROW_COLUMNS};
use super::{MasterKey, StoreError};
use connector_core::Secret;
use rows::{close_names, read_row, secret_fields};
use schema::{create_owner_only, migrate, retry_busy};

/// The store in one SQLite file. Cheap to clone: clones share the database handle and key.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    db: Mutex<Connection>,
    source: KeySource,
    key: Mutex<Option<MasterKey>>,
}

impl SqliteStore {
    /// Opens the store of the connector home ([`connector_home`](super::connector_home)) with
    /// the master key from `CONNECTOR_MASTER_KEY` or the home's key file.
    pub fn open_default() -> Result<SqliteStore, StoreError> {
        let home = super::connector_home()?;
        let source = KeySource::default_for(&home);
        SqliteStore::open(&home, source)
    }

    /// Opens (creating when needed) the store in `home`, with keys from `source`. The key is
    /// read only when a secret is first encrypted or decrypted, so listing, renaming and
    /// removing work without it.
    pub fn open(home: &Path, source: KeySource) -> Result<SqliteStore, StoreError> {
        home::ensure_home(home)?;
        let path = home.join(super::STORE_FILE);
        create_owner_only(&path)?;
        let db = Connection::open(&path).map_err(|e| db_error(&path, &e))?;
        let configure = |db: &Connection| -> rusqlite::Result<()> {
            db.busy_timeout(std::time::Duration::from_secs(30))?;
            db.pragma_update(None, "foreign_keys", "ON")?;
            db.pragma_update(None, "synchronous", "FULL")?;
            // Switching to WAL needs a moment alone with the file; retried below when busy.
            let mode: String = db.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(rusqlite::Error::InvalidQuery);
            }
            Ok(())
        };
        retry_busy(|| configure(&db)).map_err(|e| db_error(&path, &e))?;
        let mut db = db;
        migrate(&mut db, &path)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                db: Mutex::new(db),
                source,
                key: Mutex::new(None),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Where the master key comes from.
    pub fn key_source(&self) -> &KeySource {
        &self.inner.source
    }
}

impl Inner {
    fn lock_db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn err(&self, e: &rusqlite::Error) -> StoreError {
        db_error(&self.path, e)
    }

    fn find(&self, db: &Connection, name: &str) -> Result<Row, StoreError> {
        let key = super::name::key_of(name);
        let row = db
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM connections WHERE name_key = ?1"),
                params![key],
                read_row,
            )
            .optional()
            .db(self)?;
        match row {
            Some(row) => Ok(row),
            None => Err(StoreError::UnknownConnection {
                name: name.to_owned(),
                close: close_names(db, name),
            }),
        }
    }

    fn info(&self, db: &Connection, row: Row) -> Result<ConnectionInfo, StoreError> {
        let fields = secret_fields(db, &row.id).db(self)?;
        row.into_info(fields, &self.path)
    }
}

fn db_error(path: &Path, e: &rusqlite::Error) -> StoreError {
    StoreError::Database {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

/// Saves the encrypted secrets of connection `id` and seals its settings as stored.
fn insert_secrets(
    tx: &rusqlite::Transaction<'_>,
    key: &MasterKey,
    id: &str,
    secrets: &[(String, Secret)],
) -> rusqlite::Result<()> {
    let (provider, settings): (String, String) = tx.query_row(
        "SELECT provider, settings FROM connections WHERE id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    keys::seal_row(tx, key, id, &provider, &settings)?;
    for (field, secret) in secrets {
        let (nonce, sealed) = key.seal(&secret_aad(id, field), secret.expose().as_bytes());
        tx.execute(
            "INSERT INTO secrets (connection_id, field, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)",
            params![id, field, nonce, sealed],
        )?;
    }
    Ok(())
}

/// `rusqlite` results as store errors that name the database file.
trait Db<T> {
    fn db(self, inner: &Inner) -> Result<T, StoreError>;
}

impl<T> Db<T> for rusqlite::Result<T> {
    fn db(self, inner: &Inner) -> Result<T, StoreError> {
        self.map_err(|e| inner.err(&e))
    }
}

impl SqliteStore {
    /// Runs `f` with the database on the blocking pool (SQLite calls block).
    async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner, &mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        blocking(move || {
            let mut db = inner.lock_db();
            f(&inner, &mut db)
        })
        .await
    }

    /// Runs `f` in one immediate transaction, committed only when it returns `Ok`.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner, &rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.with_db(move |inner, db| inner.transaction(db, |tx| f(inner, tx)))
            .await
    }

    /// [`write`](Self::write) with the master key (read, or created for a store without
    /// secrets, before the transaction starts), all under the store lock: the key that
    /// encrypts is the one current when the transaction commits, even with a rotation running
    /// in another process.
    async fn write_keyed<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner, &rusqlite::Transaction<'_>, &MasterKey) -> Result<T, StoreError>
            + Send
            + 'static,
    ) -> Result<T, StoreError> {
        self.with_db(move |inner, db| {
            let _lock = inner.lock_store()?;
            let key = inner.key(db, true)?;
            inner.transaction(db, |tx| f(inner, tx, &key))
        })
        .await
    }
}

impl Inner {
    /// `f` in one immediate transaction on `db`, committed only when it returns `Ok`.
    fn transaction<T>(
        &self,
        db: &mut Connection,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .db(self)?;
        let out = f(&tx)?;
        tx.commit().db(self)?;
        Ok(out)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(StoreError::Database {
            path: PathBuf::from("connection store"),
            message: format!("the store's worker stopped: {e}"),
        })
    })
}
