//! Tampering, wrong and missing keys, rotation.

use super::*;

#[tokio::test]
async fn altered_or_moved_ciphertexts_do_not_decrypt() {
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    store.add(&name("A"), valid(PASSWORD)).await.unwrap();
    store
        .add(&name("B"), valid("another-password"))
        .await
        .unwrap();
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    let id = |n: &str| -> String {
        db.query_row("SELECT id FROM connections WHERE name = ?1", [n], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let (a, b) = (id("A"), id("B"));
    // B's password replaced by A's ciphertext (same key, other connection).
    db.execute(
        "UPDATE secrets SET nonce = (SELECT nonce FROM secrets WHERE connection_id = ?1 AND field = 'password'),
         ciphertext = (SELECT ciphertext FROM secrets WHERE connection_id = ?1 AND field = 'password')
         WHERE connection_id = ?2 AND field = 'password'",
        [&a, &b],
    )
    .unwrap();
    let e = store.get("B").await.unwrap_err();
    match &e {
        StoreError::Tampered { connection, field } => {
            assert_eq!((connection.as_str(), field.as_str()), ("B", "password"))
        }
        other => panic!("{other}"),
    }
    assert!(e.hint().unwrap().contains("connections edit \"B\""));
    // A's token moved into its password field.
    db.execute(
        "UPDATE secrets SET nonce = (SELECT nonce FROM secrets WHERE connection_id = ?1 AND field = 'auth.token'),
         ciphertext = (SELECT ciphertext FROM secrets WHERE connection_id = ?1 AND field = 'auth.token')
         WHERE connection_id = ?1 AND field = 'password'",
        [&a],
    )
    .unwrap();
    assert!(matches!(
        store.get("A").await.unwrap_err(),
        StoreError::Tampered { .. }
    ));
    // One flipped bit.
    store.update("A", valid(PASSWORD)).await.unwrap();
    let mut sealed: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM secrets WHERE connection_id = ?1 AND field = 'auth.token'",
            [&a],
            |r| r.get(0),
        )
        .unwrap();
    sealed[3] ^= 0x10;
    db.execute(
        "UPDATE secrets SET ciphertext = ?1 WHERE connection_id = ?2 AND field = 'auth.token'",
        rusqlite::params![sealed, a],
    )
    .unwrap();
    assert!(matches!(
        store.get("A").await.unwrap_err(),
        StoreError::Tampered { .. }
    ));
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_a_clear_error_that_loses_nothing() {
    let home = tempfile::tempdir().unwrap();
    let key = MasterKey::generate();
    let store = SqliteStore::open(home.path(), KeySource::Given(key.clone())).unwrap();
    store.add(&name("A"), valid(PASSWORD)).await.unwrap();
    drop(store);

    let wrong = SqliteStore::open(home.path(), KeySource::Given(MasterKey::generate())).unwrap();
    let e = wrong.get("A").await.unwrap_err();
    assert!(matches!(e, StoreError::WrongKey { .. }), "{e}");
    let e = wrong.add(&name("B"), valid(PASSWORD)).await.unwrap_err();
    assert!(matches!(e, StoreError::WrongKey { .. }), "{e}");
    // Listing needs no key.
    assert_eq!(wrong.list().await.unwrap().len(), 1);

    // No key at all: the key file is not silently created over existing secrets.
    let missing = file_store(home.path());
    let e = missing.get("A").await.unwrap_err();
    assert!(matches!(e, StoreError::KeyMissing { .. }), "{e}");
    assert!(e.to_string().contains(KEY_FILE), "{e}");
    assert!(e.hint().unwrap().contains("CONNECTOR_MASTER_KEY"));
    assert!(!home.path().join(KEY_FILE).exists());

    let right = SqliteStore::open(home.path(), KeySource::Given(key)).unwrap();
    assert_eq!(
        right
            .get("A")
            .await
            .unwrap()
            .secret("password")
            .unwrap()
            .expose(),
        PASSWORD
    );
}

#[tokio::test]
async fn rotating_the_key_re_encrypts_everything_and_retires_the_old_key() {
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    for n in ["A", "B", "C"] {
        store.add(&name(n), valid(PASSWORD)).await.unwrap();
    }
    let old_file = std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap();
    let old = MasterKey::from_base64(&old_file, "test").unwrap();
    let new = MasterKey::generate();
    assert_eq!(store.rotate_key(new.clone()).await.unwrap(), 6);
    let new_file = std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap();
    assert_ne!(old_file, new_file);
    assert_eq!(new_file.trim(), new.to_base64().expose());
    assert!(!home.path().join(format!("{KEY_FILE}.new")).exists());
    drop(store);
    let reopened = file_store(home.path());
    for n in ["A", "B", "C"] {
        let saved = reopened.get(n).await.unwrap();
        assert_eq!(saved.secret("auth.token").unwrap().expose(), TOKEN);
    }
    let with_old = SqliteStore::open(home.path(), KeySource::Given(old)).unwrap();
    assert!(matches!(
        with_old.get("A").await.unwrap_err(),
        StoreError::WrongKey { .. }
    ));
}

#[tokio::test]
async fn a_rotation_interrupted_after_its_commit_is_finished_on_the_next_open() {
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    store.add(&name("A"), valid(PASSWORD)).await.unwrap();
    let old_file = std::fs::read_to_string(home.path().join(KEY_FILE)).unwrap();
    let new = MasterKey::generate();
    store.rotate_key(new.clone()).await.unwrap();
    drop(store);
    // As if the process died between the commit and the rename of the new key file.
    let key_file = home.path().join(KEY_FILE);
    let pending = home.path().join(format!("{KEY_FILE}.new"));
    std::fs::rename(&key_file, &pending).unwrap();
    std::fs::write(&key_file, &old_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let reopened = file_store(home.path());
    assert_eq!(
        reopened
            .get("A")
            .await
            .unwrap()
            .secret("password")
            .unwrap()
            .expose(),
        PASSWORD
    );
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        new.to_base64().expose()
    );
    assert!(!pending.exists());
}
