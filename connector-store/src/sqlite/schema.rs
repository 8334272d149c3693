//! The schema and its migrations, and opening the file safely.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::super::home::io;
use super::super::StoreError;
use super::db_error;

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
    // 3: the sync state: the last users seen, and a version counting commits.
    "CREATE TABLE sync_users (
        connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        user_key TEXT NOT NULL,
        fingerprint INTEGER NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (connection_id, user_key)
    ) WITHOUT ROWID;
    CREATE TABLE sync_state (
        connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        synced_at TEXT NOT NULL,
        users INTEGER NOT NULL
    );",
    // 4: where a change feed's next window starts, and when the tenant was last listed whole.
    "ALTER TABLE sync_state ADD COLUMN position TEXT;
    ALTER TABLE sync_state ADD COLUMN last_full_at TEXT;",
    // 5: a seal of each connection's settings under the master key (settings bound to the
    // secrets). Rows of older stores are sealed the first time the key is read.
    "ALTER TABLE connections ADD COLUMN settings_seal BLOB;",
];

/// Creates the database file owner-only before SQLite opens it (SQLite gives its WAL and
/// shared-memory files the same permissions).
pub(super) fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    // A FIFO or device in the store's place would hang the open or never hold a database.
    match connector_core::files::check_regular(path, u64::MAX) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io("cannot use", path, &e))
        }
        _ => {}
    }
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

pub(super) fn migrate(db: &mut Connection, path: &Path) -> Result<(), StoreError> {
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
pub(super) fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
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
