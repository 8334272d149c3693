//! [`SqliteStore`]: the built-in connection store, one SQLite file in the connector home
//! (owner-only, WAL, versioned migrations, one transaction per change).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use super::crypto::{secret_aad, KEY_CHECK_AAD, KEY_CHECK_TEXT};
use super::home::{self, io, KeySource};
use super::record::{ConnectionInfo, ExportRecord, StoredConnection, TestRecord, ValidSettings};
use super::{ConnectionName, ConnectionStore, MasterKey, StoreError};
use crate::Secret;

/// The schema, one migration per version (`PRAGMA user_version` counts those applied).
const MIGRATIONS: &[&str] = &[
    // 1: connections, their encrypted secrets, and the store's metadata (the key check).
    "CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        settings TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_test_at TEXT,
        last_test_passed INTEGER,
        last_test_step TEXT,
        last_test_message TEXT
    );
    CREATE TABLE secrets (
        connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (connection_id, field)
    );",
    // 2: the last export made with each connection.
    "ALTER TABLE connections ADD COLUMN last_export_at TEXT;
    ALTER TABLE connections ADD COLUMN last_export_ok INTEGER;
    ALTER TABLE connections ADD COLUMN last_export_users INTEGER;
    ALTER TABLE connections ADD COLUMN last_export_message TEXT;",
];

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

    /// Re-encrypts every secret under `new_key` in one transaction and returns how many.
    /// With a key file, the new key is written next to it first and renamed over it after
    /// the commit; an interrupted rotation is finished the next time the store is opened, so
    /// no crash point leaves secrets under a key nobody has. With `CONNECTOR_MASTER_KEY`, set
    /// it to the new key afterwards.
    pub async fn rotate_key(&self, new_key: MasterKey) -> Result<usize, StoreError> {
        let inner = self.inner.clone();
        blocking(move || {
            let mut db = inner.lock_db();
            let old = inner.key(&mut db, true)?;
            let pending = match &inner.source {
                KeySource::File(path) => {
                    let pending = home::pending_key_path(path);
                    let _ = std::fs::remove_file(&pending);
                    home::create_key_file(&pending, &new_key)?;
                    Some((pending, path.clone()))
                }
                _ => None,
            };
            let path = inner.path.clone();
            let result = (|| -> Result<usize, StoreError> {
                let tx = db
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| db_error(&path, &e))?;
                let rows: Vec<SealedRow> = {
                    let mut stmt = tx
                        .prepare(
                            "SELECT s.connection_id, c.name, s.field, s.nonce, s.ciphertext
                             FROM secrets s JOIN connections c ON c.id = s.connection_id",
                        )
                        .map_err(|e| db_error(&path, &e))?;
                    let rows = stmt
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                        .map_err(|e| db_error(&path, &e));
                    rows?
                };
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
                    .map_err(|e| db_error(&path, &e))?;
                }
                write_key_check(&tx, &new_key, true).map_err(|e| db_error(&path, &e))?;
                tx.commit().map_err(|e| db_error(&path, &e))?;
                Ok(rows.len())
            })();
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
    fn lock_db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn err(&self, e: &rusqlite::Error) -> StoreError {
        db_error(&self.path, e)
    }

    /// The master key, checked against the store's key check. The first key of a store is
    /// created (key file) when `may_create`; an interrupted rotation is finished here.
    fn key(&self, db: &mut Connection, may_create: bool) -> Result<MasterKey, StoreError> {
        if let Some(key) = self.key.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(key);
        }
        let check = read_key_check(db).map_err(|e| self.err(&e))?;
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
                if !may_create {
                    // No secret was ever saved: there is nothing to decrypt.
                    return self.source.load(true);
                }
                let key = self.source.load(true)?;
                let tx = db
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| self.err(&e))?;
                write_key_check(&tx, &key, false).map_err(|e| self.err(&e))?;
                let (nonce, sealed) = read_key_check(&tx)
                    .map_err(|e| self.err(&e))?
                    .unwrap_or_default();
                tx.commit().map_err(|e| self.err(&e))?;
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

    fn find(&self, db: &Connection, name: &str) -> Result<Row, StoreError> {
        let key = super::name::key_of(name);
        let row = db
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM connections WHERE name_key = ?1"),
                params![key],
                Row::read,
            )
            .optional()
            .map_err(|e| self.err(&e))?;
        match row {
            Some(row) => Ok(row),
            None => Err(StoreError::UnknownConnection {
                name: name.to_owned(),
                close: close_names(db, name),
            }),
        }
    }

    fn info(&self, db: &Connection, row: Row) -> Result<ConnectionInfo, StoreError> {
        let fields = secret_fields(db, &row.id).map_err(|e| self.err(&e))?;
        row.into_info(fields, &self.path)
    }
}

/// A saved secret as stored: connection id, connection name, field, nonce, ciphertext.
type SealedRow = (String, String, String, Vec<u8>, Vec<u8>);

/// Whether `key` opens the store's key check.
fn opens_check(key: &MasterKey, nonce: &[u8], sealed: &[u8]) -> bool {
    key.open(KEY_CHECK_AAD, nonce, sealed)
        .is_some_and(|p| p.as_slice() == KEY_CHECK_TEXT)
}

/// The columns [`Row::read`] reads, in its order.
const ROW_COLUMNS: &str = "id, name, provider, settings, created_at, updated_at, \
     last_test_at, last_test_passed, last_test_step, last_test_message, \
     last_export_at, last_export_ok, last_export_users, last_export_message";

struct Row {
    id: String,
    name: String,
    provider: String,
    settings: String,
    created_at: String,
    updated_at: String,
    last_test_at: Option<String>,
    last_test_passed: Option<bool>,
    last_test_step: Option<String>,
    last_test_message: Option<String>,
    last_export_at: Option<String>,
    last_export_ok: Option<bool>,
    last_export_users: Option<i64>,
    last_export_message: Option<String>,
}

impl Row {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        Ok(Row {
            id: r.get(0)?,
            name: r.get(1)?,
            provider: r.get(2)?,
            settings: r.get(3)?,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
            last_test_at: r.get(6)?,
            last_test_passed: r.get(7)?,
            last_test_step: r.get(8)?,
            last_test_message: r.get(9)?,
            last_export_at: r.get(10)?,
            last_export_ok: r.get(11)?,
            last_export_users: r.get(12)?,
            last_export_message: r.get(13)?,
        })
    }

    fn into_info(
        self,
        secret_fields: Vec<String>,
        path: &Path,
    ) -> Result<ConnectionInfo, StoreError> {
        let corrupt = |what: &str| StoreError::Database {
            path: path.to_owned(),
            message: format!("connection `{}` has an unreadable {what}", self.name),
        };
        let time = |text: &str, what: &str| text.parse::<Timestamp>().map_err(|_| corrupt(what));
        let settings: Value =
            serde_json::from_str(&self.settings).map_err(|_| corrupt("settings column"))?;
        let last_test = match (&self.last_test_at, self.last_test_passed) {
            (Some(at), Some(passed)) => Some(TestRecord {
                at: time(at, "last test time")?,
                passed,
                failed_step: self.last_test_step.clone(),
                message: self.last_test_message.clone(),
            }),
            _ => None,
        };
        let last_export = match (&self.last_export_at, self.last_export_ok) {
            (Some(at), Some(ok)) => Some(ExportRecord {
                at: time(at, "last export time")?,
                ok,
                users: self
                    .last_export_users
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0),
                message: self.last_export_message.clone(),
            }),
            _ => None,
        };
        Ok(ConnectionInfo {
            status: ConnectionInfo::status_of(last_test.as_ref()),
            created_at: time(&self.created_at, "creation time")?,
            updated_at: time(&self.updated_at, "update time")?,
            name: self.name,
            provider: self.provider,
            settings,
            secret_fields,
            last_test,
            last_export,
        })
    }
}

fn secret_fields(db: &Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        db.prepare("SELECT field FROM secrets WHERE connection_id = ?1 ORDER BY field")?;
    let fields = stmt.query_map(params![id], |r| r.get(0))?.collect();
    fields
}

/// Names close to `name`: the nearest by spelling and those that contain it or that it
/// contains, case-insensitively.
fn close_names(db: &Connection, name: &str) -> Vec<String> {
    let Ok(mut stmt) = db.prepare("SELECT name FROM connections ORDER BY name_key") else {
        return Vec::new();
    };
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default();
    let wanted = super::name::key_of(name);
    let mut close: Vec<String> = names
        .iter()
        .filter(|n| {
            let k = super::name::key_of(n);
            !wanted.is_empty() && (k.contains(&wanted) || wanted.contains(&k))
        })
        .cloned()
        .collect();
    if let Some(nearest) = crate::settings::closest(name, names.iter().map(String::as_str)) {
        if !close.iter().any(|c| c == nearest) {
            close.insert(0, nearest.to_owned());
        }
    }
    close.truncate(3);
    close
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

/// Creates the database file owner-only before SQLite opens it (SQLite gives its WAL and
/// shared-memory files the same permissions).
fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|e| io("cannot create", path, &e))
}

fn migrate(db: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let supported = MIGRATIONS.len() as i64;
    retry_busy(|| {
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > supported {
            return Ok(Some(version));
        }
        for sql in MIGRATIONS
            .iter()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", supported)?;
        tx.commit()?;
        Ok(None)
    })
    .map_err(|e| db_error(path, &e))?
    .map_or(Ok(()), |found| {
        Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported,
        })
    })
}

/// Runs `f` again while SQLite says the file is busy or locked (up to ~30 s): opening a new
/// store from several processes at once.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let mut attempt = 0u32;
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && attempt < 600 =>
            {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
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

/// A random, stable connection id (bound into each of its secrets' associated data).
fn new_id() -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut bytes = [0u8; 16];
    aes_gcm::aead::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn insert_secrets(
    tx: &rusqlite::Transaction<'_>,
    key: &MasterKey,
    id: &str,
    secrets: &[(String, Secret)],
) -> rusqlite::Result<()> {
    for (field, secret) in secrets {
        let (nonce, sealed) = key.seal(&secret_aad(id, field), secret.expose().as_bytes());
        tx.execute(
            "INSERT INTO secrets (connection_id, field, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)",
            params![id, field, nonce, sealed],
        )?;
    }
    Ok(())
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

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn add(
        &self,
        name: &ConnectionName,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError> {
        let inner = self.inner.clone();
        let name = name.clone();
        blocking(move || {
            let mut db = inner.lock_db();
            let key = inner.key(&mut db, true)?;
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| inner.err(&e))?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT name FROM connections WHERE name_key = ?1",
                    params![name.key()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| inner.err(&e))?;
            if let Some(existing) = existing {
                return Err(StoreError::DuplicateName {
                    name: name.as_str().to_owned(),
                    existing,
                });
            }
            let id = new_id();
            let now = Timestamp::now().to_string();
            tx.execute(
                "INSERT INTO connections (id, name, name_key, provider, settings, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, name.as_str(), name.key(), settings.provider, settings.public.to_string(), now],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::DuplicateName {
                        name: name.as_str().to_owned(),
                        existing: name.as_str().to_owned(),
                    }
                } else {
                    inner.err(&e)
                }
            })?;
            insert_secrets(&tx, &key, &id, &settings.secrets).map_err(|e| inner.err(&e))?;
            let row = inner.find(&tx, name.as_str())?;
            let info = inner.info(&tx, row)?;
            tx.commit().map_err(|e| inner.err(&e))?;
            Ok(info)
        })
        .await
    }

    async fn get(&self, name: &str) -> Result<StoredConnection, StoreError> {
        let inner = self.inner.clone();
        let name = name.to_owned();
        blocking(move || {
            let mut db = inner.lock_db();
            let row = inner.find(&db, &name)?;
            let id = row.id.clone();
            let info = inner.info(&db, row)?;
            let sealed: Vec<(String, Vec<u8>, Vec<u8>)> = {
                let mut stmt = db
                    .prepare("SELECT field, nonce, ciphertext FROM secrets WHERE connection_id = ?1 ORDER BY field")
                    .map_err(|e| inner.err(&e))?;
                let rows = stmt
                    .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                    .map_err(|e| inner.err(&e));
                rows?
            };
            let mut secrets = Vec::with_capacity(sealed.len());
            if !sealed.is_empty() {
                let key = inner.key(&mut db, false)?;
                for (field, nonce, ciphertext) in sealed {
                    let tampered = || StoreError::Tampered {
                        connection: info.name.clone(),
                        field: field.clone(),
                    };
                    let plain = key
                        .open(&secret_aad(&id, &field), &nonce, &ciphertext)
                        .ok_or_else(tampered)?;
                    let text = std::str::from_utf8(&plain).map_err(|_| tampered())?;
                    secrets.push((field.clone(), Secret::new(text)));
                }
            }
            Ok(StoredConnection { info, secrets })
        })
        .await
    }

    async fn info(&self, name: &str) -> Result<ConnectionInfo, StoreError> {
        let inner = self.inner.clone();
        let name = name.to_owned();
        blocking(move || {
            let db = inner.lock_db();
            let row = inner.find(&db, &name)?;
            inner.info(&db, row)
        })
        .await
    }

    async fn list(&self) -> Result<Vec<ConnectionInfo>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || {
            let db = inner.lock_db();
            let rows: Vec<Row> = {
                let mut stmt = db
                    .prepare(&format!(
                        "SELECT {ROW_COLUMNS} FROM connections ORDER BY name_key"
                    ))
                    .map_err(|e| inner.err(&e))?;
                let rows = stmt
                    .query_map([], Row::read)
                    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                    .map_err(|e| inner.err(&e));
                rows?
            };
            rows.into_iter().map(|row| inner.info(&db, row)).collect()
        })
        .await
    }

    async fn update(
        &self,
        name: &str,
        settings: ValidSettings,
    ) -> Result<ConnectionInfo, StoreError> {
        let inner = self.inner.clone();
        let name = name.to_owned();
        blocking(move || {
            let mut db = inner.lock_db();
            let key = inner.key(&mut db, true)?;
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| inner.err(&e))?;
            let row = inner.find(&tx, &name)?;
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
                params![
                    settings.public.to_string(),
                    Timestamp::now().to_string(),
                    row.id
                ],
            )
            .map_err(|e| inner.err(&e))?;
            tx.execute(
                "DELETE FROM secrets WHERE connection_id = ?1",
                params![row.id],
            )
            .map_err(|e| inner.err(&e))?;
            insert_secrets(&tx, &key, &row.id, &settings.secrets).map_err(|e| inner.err(&e))?;
            let row = inner.find(&tx, &name)?;
            let info = inner.info(&tx, row)?;
            tx.commit().map_err(|e| inner.err(&e))?;
            Ok(info)
        })
        .await
    }

    async fn rename(
        &self,
        name: &str,
        new_name: &ConnectionName,
    ) -> Result<ConnectionInfo, StoreError> {
        let inner = self.inner.clone();
        let name = name.to_owned();
        let new_name = new_name.clone();
        blocking(move || {
            let mut db = inner.lock_db();
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| inner.err(&e))?;
            let row = inner.find(&tx, &name)?;
            let clash: Option<(String, String)> = tx
                .query_row(
                    "SELECT id, name FROM connections WHERE name_key = ?1",
                    params![new_name.key()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(|e| inner.err(&e))?;
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
            .map_err(|e| inner.err(&e))?;
            let row = inner.find(&tx, new_name.as_str())?;
            let info = inner.info(&tx, row)?;
            tx.commit().map_err(|e| inner.err(&e))?;
            Ok(info)
        })
        .await
    }

    async fn remove(&self, name: &str) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        let name = name.to_owned();
        blocking(move || {
            let mut db = inner.lock_db();
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| inner.err(&e))?;
            let row = inner.find(&tx, &name)?;
            tx.execute(
                "DELETE FROM secrets WHERE connection_id = ?1",
                params![row.id],
            )
            .map_err(|e| inner.err(&e))?;
            tx.execute("DELETE FROM connections WHERE id = ?1", params![row.id])
                .map_err(|e| inner.err(&e))?;
            tx.commit().map_err(|e| inner.err(&e))
        })
        .await
    }

    async fn record_export(&self, name: &str, record: &ExportRecord) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        let name = name.to_owned();
        let record = record.clone();
        blocking(move || {
            let db = inner.lock_db();
            let row = inner.find(&db, &name)?;
            db.execute(
                "UPDATE connections SET last_export_at = ?1, last_export_ok = ?2,
                 last_export_users = ?3, last_export_message = ?4 WHERE id = ?5",
                params![
                    record.at.to_string(),
                    record.ok,
                    i64::try_from(record.users).unwrap_or(i64::MAX),
                    record.message,
                    row.id
                ],
            )
            .map_err(|e| inner.err(&e))?;
            Ok(())
        })
        .await
    }

    async fn record_test(&self, name: &str, record: &TestRecord) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        let name = name.to_owned();
        let record = record.clone();
        blocking(move || {
            let db = inner.lock_db();
            let row = inner.find(&db, &name)?;
            db.execute(
                "UPDATE connections SET last_test_at = ?1, last_test_passed = ?2,
                 last_test_step = ?3, last_test_message = ?4 WHERE id = ?5",
                params![
                    record.at.to_string(),
                    record.passed,
                    record.failed_step,
                    record.message,
                    row.id
                ],
            )
            .map_err(|e| inner.err(&e))?;
            Ok(())
        })
        .await
    }
}
