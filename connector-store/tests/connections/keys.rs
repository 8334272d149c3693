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
    // The store's hints name no program's commands (a command line or a console says its own).
    let hint = e.hint().unwrap();
    assert!(
        hint.contains("enter the secret of `B` again") && !hint.contains("connector "),
        "{hint}"
    );
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

/// Someone who can write the database but not read the key cannot redirect a connection:
/// its settings are sealed under the master key, and a change to them (or to its provider,
/// or settings copied from another connection with their seal) is refused before any secret
/// is handed out. The rest of the store keeps working.
#[tokio::test]
async fn settings_altered_in_the_database_are_refused_before_any_secret_is_used() {
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    store.add(&name("Prod"), valid(PASSWORD)).await.unwrap();
    store.add(&name("Other"), valid("other")).await.unwrap();
    let db_path = home.path().join(STORE_FILE);
    let edit = |sql: &str| {
        let db = rusqlite::Connection::open(&db_path).unwrap();
        db.execute_batch(sql).unwrap();
    };
    let original: (String, Vec<u8>) = rusqlite::Connection::open(&db_path)
        .unwrap()
        .query_row(
            "SELECT settings, settings_seal FROM connections WHERE name = 'Prod'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    for (what, sql) in [
        ("base_url", "UPDATE connections SET settings = replace(settings, 'hr.example.com', 'attacker.example') WHERE name = 'Prod'"),
        ("provider", "UPDATE connections SET provider = 'scim' WHERE name = 'Prod'"),
        ("seal removed", "UPDATE connections SET settings_seal = NULL WHERE name = 'Prod'"),
        ("settings and seal of another connection", "UPDATE connections SET (settings, settings_seal) = (SELECT settings, settings_seal FROM connections WHERE name = 'Other') WHERE name = 'Prod'"),
    ] {
        edit(sql);
        let fresh = file_store(home.path());
        let e = fresh.get("Prod").await.unwrap_err();
        assert!(
            matches!(&e, StoreError::SettingsTampered { connection } if connection == "Prod"),
            "{what}: {e}"
        );
        assert!(e.to_string().contains("nothing was sent"), "{e}");
        assert!(e.hint().unwrap().contains("remove `Prod` and add it again"), "{e:?}");
        // The cached key of a store that was open all along refuses it too.
        assert!(store.get("Prod").await.is_err(), "{what}");
        // The others are untouched, and listing still works.
        assert_eq!(
            fresh.get("Other").await.unwrap().secret("password").unwrap().expose(),
            "other"
        );
        assert_eq!(fresh.list().await.unwrap().len(), 2);
        // Put it back.
        let db = rusqlite::Connection::open(&db_path).unwrap();
        db.execute(
            "UPDATE connections SET settings = ?1, settings_seal = ?2, provider = 'storetest' WHERE name = 'Prod'",
            rusqlite::params![original.0, original.1],
        )
        .unwrap();
        drop(db);
        assert_eq!(
            file_store(home.path()).get("Prod").await.unwrap().secret("password").unwrap().expose(),
            PASSWORD,
            "{what}: restored"
        );
    }

    // A rotation does not renew the seal of altered settings: it stops and changes nothing.
    edit("UPDATE connections SET settings = replace(settings, 'hr.example.com', 'attacker.example') WHERE name = 'Prod'");
    let e = store.rotate_key(MasterKey::generate()).await.unwrap_err();
    assert!(matches!(e, StoreError::SettingsTampered { .. }), "{e}");
    assert_eq!(
        store
            .get("Other")
            .await
            .unwrap()
            .secret("password")
            .unwrap()
            .expose(),
        "other",
        "the old key still opens everything"
    );
    assert!(store.get("Prod").await.is_err());

    // An edit through the SDK re-seals: the connection works again with what was entered.
    store.update("Prod", valid(PASSWORD)).await.unwrap();
    let saved = store.get("Prod").await.unwrap();
    assert!(saved.info.settings.to_string().contains("hr.example.com"));

    // Removing the key check while secrets exist does not bless altered settings.
    edit("DELETE FROM meta WHERE key = 'key_check'; UPDATE connections SET settings = replace(settings, 'hr.example.com', 'attacker.example') WHERE name = 'Prod'");
    let e = file_store(home.path()).get("Prod").await.unwrap_err();
    assert!(e.to_string().contains("key check is missing"), "{e}");
}

/// Rotations and adds from many stores at once (each its own connection to the file, as
/// separate processes have): every secret decrypts afterwards with the key in the key file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_and_adds_leave_every_secret_readable() {
    let home = tempfile::tempdir().unwrap();
    file_store(home.path())
        .add(&name("first"), valid(PASSWORD))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let path = home.path().to_owned();
        tasks.push(tokio::spawn(async move {
            let store = file_store(&path);
            // Every store reads (and caches) the key before the others rotate it.
            store.get("first").await.unwrap();
            if i % 3 == 0 {
                store.rotate_key(MasterKey::generate()).await.map(drop)
            } else {
                store
                    .add(&name(&format!("tenant {i}")), valid(&format!("pw {i}")))
                    .await
                    .map(drop)
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let store = file_store(home.path());
    assert_eq!(store.list().await.unwrap().len(), 9);
    assert_eq!(
        store
            .get("first")
            .await
            .unwrap()
            .secret("password")
            .unwrap()
            .expose(),
        PASSWORD
    );
    for i in (0..12).filter(|i| i % 3 != 0) {
        let saved = store.get(&format!("tenant {i}")).await.unwrap();
        assert_eq!(
            saved.secret("password").unwrap().expose(),
            format!("pw {i}")
        );
    }
    assert!(!home.path().join("master.key.new").exists());
}
