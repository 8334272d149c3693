//! The tables and their migrations. The schema version is a row of `connector_meta`; workers
//! starting together migrate one at a time under an advisory lock.

use tokio_postgres::Client;

use super::{describe, server};
use crate::StoreError;

/// The schema, one migration per version (the same rows as the SQLite store's version 5).
const MIGRATIONS: &[&str] = &[
    // 1: connections (settings sealed under the master key), their encrypted secrets, the
    // sync state, and the store's metadata (the key check, the schema version).
    "CREATE TABLE connector_connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        settings TEXT NOT NULL,
        settings_seal BYTEA,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_test_at TEXT,
        last_test_passed BOOLEAN,
        last_test_step TEXT,
        last_test_message TEXT,
        last_export_at TEXT,
        last_export_ok BOOLEAN,
        last_export_users BIGINT,
        last_export_message TEXT
    );
    CREATE TABLE connector_secrets (
        connection_id TEXT NOT NULL REFERENCES connector_connections(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        nonce BYTEA NOT NULL,
        ciphertext BYTEA NOT NULL,
        PRIMARY KEY (connection_id, field)
    );
    CREATE TABLE connector_sync_users (
        connection_id TEXT NOT NULL REFERENCES connector_connections(id) ON DELETE CASCADE,
        user_key TEXT NOT NULL,
        fingerprint BIGINT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (connection_id, user_key)
    );
    CREATE TABLE connector_sync_state (
        connection_id TEXT PRIMARY KEY REFERENCES connector_connections(id) ON DELETE CASCADE,
        version BIGINT NOT NULL,
        synced_at TEXT NOT NULL,
        users BIGINT NOT NULL,
        position TEXT,
        last_full_at TEXT
    );",
];

/// The newest schema version this build knows.
pub(super) const SUPPORTED: i64 = MIGRATIONS.len() as i64;

/// What the store's advisory locks are derived from, with the schema's name.
const LOCK_NAMESPACE: &str = "connector-store";

/// Creates or migrates the tables (one transaction, under the migration lock) and returns the
/// key lock of this schema: advisory locks are per database, so each schema has its own.
pub(super) async fn migrate(client: &mut Client, place: &str) -> Result<i64, StoreError> {
    let fail = |e: tokio_postgres::Error| server(place, &describe(&e));
    let schema: Option<String> = client
        .query_one("SELECT current_schema()", &[])
        .await
        .map_err(fail)?
        .try_get(0)
        .map_err(fail)?;
    let Some(schema) = schema else {
        return Err(server(
            place,
            "no schema of the search_path exists to create the store's tables in",
        ));
    };
    let lock = |purpose: &str| {
        let hash =
            connector_core::sync::fnv1a(format!("{LOCK_NAMESPACE}/{schema}/{purpose}").as_bytes());
        i64::from_ne_bytes(hash.to_ne_bytes())
    };
    let tx = client.transaction().await.map_err(fail)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock("migrate")])
        .await
        .map_err(fail)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS connector_meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL)",
    )
    .await
    .map_err(fail)?;
    let found: i64 = tx
        .query_opt(
            "SELECT value FROM connector_meta WHERE key = 'schema_version'",
            &[],
        )
        .await
        .map_err(fail)?
        .and_then(|r| r.try_get::<_, Vec<u8>>(0).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if found > SUPPORTED {
        return Err(StoreError::NewerSchema {
            path: place.into(),
            found,
            supported: SUPPORTED,
        });
    }
    for sql in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(sql).await.map_err(fail)?;
    }
    tx.execute(
        "INSERT INTO connector_meta (key, value) VALUES ('schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&SUPPORTED.to_string().into_bytes()],
    )
    .await
    .map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    Ok(lock("key"))
}
