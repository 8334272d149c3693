//! Master keys (wrong, missing, malformed, rotated), altered ciphertexts and permissions.

use super::{assert_home_clean, Home};
use crate::harness::*;

#[tokio::test]
async fn a_wrong_key_or_an_altered_secret_is_a_clear_error_that_loses_nothing() {
    let server = fixture_server().await;
    let home = Home::new("keys");
    let dir = temp_dir("connections-keys-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let other = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
    let o = home
        .add_with("A", &config, &[("CONNECTOR_MASTER_KEY", key)])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        !home.dir.join("master.key").exists(),
        "no key file with CONNECTOR_MASTER_KEY"
    );

    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", other)],
        )
        .await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the master key from CONNECTOR_MASTER_KEY is not the key"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("nothing was changed"), "{}", stderr(&o));
    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", "c2hvcnQ=")],
        )
        .await;
    assert_eq!(code(&o), 7);
    assert!(stderr(&o).contains("5 bytes"), "{}", stderr(&o));
    // No key at all: the error says where it looked, and no new key file is made up.
    let o = home.run(&["ukgpro", "users", "--connection", "A"]).await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("master.key does not exist"),
        "{}",
        stderr(&o)
    );
    assert!(!home.dir.join("master.key").exists());
    // Showing and listing need no key.
    let o = home.run(&["connections", "show", "A"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", key)],
        )
        .await;
    assert_eq!(code(&o), 0, "the right key still works: {}", stderr(&o));

    // One bit of the saved password flipped.
    let db = rusqlite::Connection::open(home.dir.join("connections.db")).unwrap();
    let mut sealed: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM secrets WHERE field = 'password'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    sealed[0] ^= 1;
    db.execute(
        "UPDATE secrets SET ciphertext = ?1 WHERE field = 'password'",
        [sealed],
    )
    .unwrap();
    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", key)],
        )
        .await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the saved `password` of connection `A` does not decrypt"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("connections edit \"A\""),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn rotate_key_re_encrypts_every_secret_and_retires_the_old_key() {
    let server = fixture_server().await;
    let home = Home::new("rotate");
    let dir = temp_dir("connections-rotate-files");
    let config = write_config(&dir, &settings(&server.uri()));
    for name in ["A", "B"] {
        let o = home.add_with(name, &config, &[]).await;
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let key_file = home.dir.join("master.key");
    let old = std::fs::read(&key_file).unwrap();
    let o = home.run(&["connections", "rotate-key"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Re-encrypted 6 secrets"),
        "{}",
        stderr(&o)
    );
    assert_ne!(std::fs::read(&key_file).unwrap(), old);
    for name in ["A", "B"] {
        let o = home.run(&["connections", "test", name]).await;
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    std::fs::write(&key_file, &old).unwrap();
    let o = home.run(&["connections", "test", "A"]).await;
    assert_eq!(
        code(&o),
        7,
        "the old key no longer opens them: {}",
        stderr(&o)
    );

    // With the key in the environment, the new key comes from CONNECTOR_NEW_MASTER_KEY.
    let env_home = Home::new("rotate-env");
    let k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let k2 = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
    let o = env_home
        .add_with("A", &config, &[("CONNECTOR_MASTER_KEY", k1)])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = env_home
        .run_with(
            &["connections", "rotate-key"],
            &[("CONNECTOR_MASTER_KEY", k1)],
        )
        .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("CONNECTOR_NEW_MASTER_KEY"),
        "{}",
        stderr(&o)
    );
    let o = env_home
        .run_with(
            &["connections", "rotate-key"],
            &[
                ("CONNECTOR_MASTER_KEY", k1),
                ("CONNECTOR_NEW_MASTER_KEY", k2),
            ],
        )
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = env_home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", k2)],
        )
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_home_clean(&home.dir);
    assert_home_clean(&env_home.dir);
}

#[cfg(unix)]
#[tokio::test]
async fn the_home_and_its_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = fixture_server().await;
    let home = Home::new("permissions");
    let dir = temp_dir("connections-permissions-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = home
        .run(&[
            "connections",
            "add",
            "A",
            "--provider",
            "ukgpro",
            "--config",
            &config,
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&home.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        files.iter().any(|p| p.ends_with("connections.db")),
        "{files:?}"
    );
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

/// A connection whose `base_url` was changed in `connections.db` by someone without the key
/// is refused with exit 7 before any request: the decrypted password and API keys are never
/// sent to the new host.
#[tokio::test]
async fn a_connection_redirected_in_the_database_sends_nothing() {
    let good = fixture_server().await;
    let attacker = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&attacker)
        .await;
    let home = Home::new("redirected");
    let dir = temp_dir("connections-redirected-files");
    let config = write_config(&dir, &settings(&good.uri()));
    let o = home.add_with("Prod", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let db = rusqlite::Connection::open(home.dir.join("connections.db")).unwrap();
    db.execute(
        "UPDATE connections SET settings = replace(settings, ?1, ?2)",
        [good.uri(), attacker.uri()],
    )
    .unwrap();
    drop(db);
    for args in [
        vec!["connections", "test", "Prod"],
        vec!["ukgpro", "test", "--connection", "Prod"],
        vec!["ukgpro", "users", "--connection", "Prod"],
        vec!["ukgpro", "sync", "--connection", "Prod"],
    ] {
        let o = home.run(&args).await;
        assert_eq!(code(&o), 7, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("changed outside the connector"),
            "{}",
            stderr(&o)
        );
    }
    let sent = attacker.received_requests().await.unwrap_or_default();
    assert!(
        sent.is_empty(),
        "{} requests reached the new host",
        sent.len()
    );
    // Listing and showing still work (they need no secret).
    let o = home.run(&["connections", "list"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}
