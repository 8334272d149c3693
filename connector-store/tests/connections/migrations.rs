//! Schema versions: a newer store is refused, an older one migrated in place.

use super::*;

#[tokio::test]
async fn a_store_written_by_a_newer_version_is_refused() {
    let home = tempfile::tempdir().unwrap();
    drop(file_store(home.path()));
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 5);
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let e =
        SqliteStore::open(home.path(), KeySource::File(home.path().join(KEY_FILE))).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerSchema { found: 99, .. }),
        "{e}"
    );
}

/// A store written by the first version (schema 1, before exports were recorded) is migrated
/// in place when opened: its connections, secrets and tests are kept.
#[tokio::test]
async fn a_version_1_store_is_migrated_and_keeps_everything() {
    let home = tempfile::tempdir().unwrap();
    let key = MasterKey::generate();
    {
        let store = SqliteStore::open(home.path(), KeySource::Given(key.clone())).unwrap();
        store.add(&name("Old"), valid(PASSWORD)).await.unwrap();
        test_saved(&store, "Old", &Context::default())
            .await
            .unwrap();
    }
    // Back to schema 1: drop what versions 2 to 5 added, and write the key check as version
    // 1 did (before settings were sealed).
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    db.execute_batch("DROP TABLE sync_users; DROP TABLE sync_state;")
        .unwrap();
    db.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'key_check'",
        [v1_key_check(&key)],
    )
    .unwrap();
    for column in [
        "last_export_at",
        "last_export_ok",
        "last_export_users",
        "last_export_message",
        "settings_seal",
    ] {
        db.execute_batch(&format!("ALTER TABLE connections DROP COLUMN {column}"))
            .unwrap();
    }
    db.pragma_update(None, "user_version", 1).unwrap();
    drop(db);

    let store = SqliteStore::open(home.path(), KeySource::Given(key.clone())).unwrap();
    let info = store.info("old").await.unwrap();
    assert_eq!(info.status, ConnectionStatus::Connected);
    assert!(info.last_export.is_none());
    let saved = store.get("old").await.unwrap();
    assert_eq!(saved.secret("auth.token").unwrap().expose(), TOKEN);
    let record = connector_store::ExportRecord {
        at: jiff::Timestamp::now(),
        ok: true,
        users: 1234,
        message: None,
    };
    store.record_export("OLD", &record).await.unwrap();
    let info = store.info("old").await.unwrap();
    assert_eq!(info.last_export.as_ref().map(|x| x.users), Some(1234));
    let version: i64 = rusqlite::Connection::open(home.path().join(STORE_FILE))
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 5);

    // Its settings were sealed when the key was first read: from now on they are bound to
    // the secrets, in this process and the next.
    drop(store);
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    db.execute(
        "UPDATE connections SET settings = replace(settings, 'hr.example.com', 'attacker.example')",
        [],
    )
    .unwrap();
    drop(db);
    let store = SqliteStore::open(home.path(), KeySource::Given(key)).unwrap();
    let e = store.get("old").await.unwrap_err();
    assert!(matches!(e, StoreError::SettingsTampered { .. }), "{e}");
}

/// The key check as schema 1 wrote it: nonce, then AES-256-GCM of the check text with the
/// version 1 associated data.
fn v1_key_check(key: &MasterKey) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let bytes = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(key.to_base64().expose())
            .unwrap()
    };
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&bytes).unwrap();
    let nonce = [7u8; 12];
    let sealed = cipher
        .encrypt(
            aes_gcm::Nonce::from_slice(&nonce),
            Payload {
                msg: b"connector-sdk master key check",
                aad: b"connector-sdk/key-check/v1",
            },
        )
        .unwrap();
    let mut value = nonce.to_vec();
    value.extend_from_slice(&sealed);
    value
}
