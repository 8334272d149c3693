//! Round trips, names, validation, updates, renames, removals and recorded tests.

use super::*;

#[tokio::test]
async fn a_connection_round_trips_with_its_secrets_encrypted_at_rest() {
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    let info = store
        .add(&name("Acme HR (prod)"), valid(PASSWORD))
        .await
        .unwrap();
    assert_eq!(info.name, "Acme HR (prod)");
    assert_eq!(info.provider, "storetest");
    assert_eq!(info.status, ConnectionStatus::Untested);
    assert_eq!(info.secret_fields, ["auth.token", "password"]);
    assert_eq!(
        info.settings,
        json!({"base_url": "https://hr.example.com", "username": "svc", "auth": {}})
    );
    let saved = store.get("ACME hr (prod)").await.unwrap();
    assert_eq!(saved.secret("password").unwrap().expose(), PASSWORD);
    assert_eq!(saved.secret("auth.token").unwrap().expose(), TOKEN);
    assert_eq!(saved.settings_for_connect(), raw(PASSWORD));
    let shown = format!(
        "{saved:?} {info:?} {}",
        serde_json::to_string(&info).unwrap()
    );
    assert!(
        !shown.contains(PASSWORD) && !shown.contains(TOKEN),
        "{shown}"
    );
    drop(store);
    assert_no_canary(home.path());
}

#[cfg(unix)]
#[tokio::test]
async fn the_home_the_database_and_the_key_file_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let home = parent.path().join("nested").join("home");
    let store = file_store(&home);
    store.add(&name("a"), valid(PASSWORD)).await.unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700);
    for file in std::fs::read_dir(&home).unwrap() {
        let path = file.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert!(home.join(STORE_FILE).exists() && home.join(KEY_FILE).exists());

    // A key file others can read is refused, naming the file and the fix.
    std::fs::set_permissions(home.join(KEY_FILE), std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = file_store(&home).get("a").await.unwrap_err();
    assert!(matches!(e, StoreError::KeyUnusable { .. }), "{e}");
    assert!(e.to_string().contains("chmod 600"), "{e}");
    assert!(e.to_string().contains(KEY_FILE), "{e}");
}

#[tokio::test]
async fn names_are_unique_case_insensitively_and_unknown_names_suggest_close_ones() {
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    store.add(&name("Payroll"), valid(PASSWORD)).await.unwrap();
    store
        .add(&name("Payroll EU"), valid(PASSWORD))
        .await
        .unwrap();
    let e = store
        .add(&name("PAYROLL"), valid(PASSWORD))
        .await
        .unwrap_err();
    match &e {
        StoreError::DuplicateName { existing, .. } => assert_eq!(existing, "Payroll"),
        other => panic!("{other}"),
    }
    assert!(e
        .hint()
        .unwrap()
        .contains("change the existing connection `Payroll`"));
    let e = store.get("Payrol").await.unwrap_err();
    match &e {
        StoreError::UnknownConnection { close, .. } => {
            assert!(close.contains(&"Payroll".to_owned()), "{close:?}")
        }
        other => panic!("{other}"),
    }
    assert!(e.hint().unwrap().contains("`Payroll`"), "{:?}", e.hint());
    let names: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Payroll", "Payroll EU"]);
    assert!(ConnectionName::parse("   ").is_err());
    assert!(ConnectionName::parse("a\nb").is_err());
    assert!(ConnectionName::parse(&"x".repeat(101)).is_err());
}

#[tokio::test]
async fn invalid_settings_are_refused_with_every_problem_and_nothing_is_saved() {
    let e = ValidSettings::validate(&DESCRIPTOR, json!({"username": 3})).unwrap_err();
    let ErrorKind::InvalidSettings(fields) = e.kind() else {
        panic!("{e}");
    };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    for field in ["base_url", "password", "auth", "username"] {
        assert!(
            named.iter().any(|n| n.contains(field)),
            "{field} in {named:?}"
        );
    }
}

#[tokio::test]
async fn update_rename_remove_and_tests_are_recorded() {
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    store.add(&name("HR"), valid("wrong")).await.unwrap();
    let report = test_saved(&store, "hr", &Context::default()).await.unwrap();
    assert!(!report.passed);
    let info = store.info("HR").await.unwrap();
    assert_eq!(info.status, ConnectionStatus::Failed);
    let last = info.last_test.unwrap();
    assert_eq!(last.failed_step.as_deref(), Some("authenticated"));
    assert!(last.message.unwrap().contains("rejected"));

    // Editing forgets the old verdict; the next test records the new one.
    let info = store.update("hr", valid(PASSWORD)).await.unwrap();
    assert_eq!(info.status, ConnectionStatus::Untested);
    assert!(
        test_saved(&store, "HR", &Context::default())
            .await
            .unwrap()
            .passed
    );
    assert_eq!(
        store.info("HR").await.unwrap().status,
        ConnectionStatus::Connected
    );

    store.add(&name("Other"), valid(PASSWORD)).await.unwrap();
    let e = store.rename("HR", &name("other")).await.unwrap_err();
    assert!(matches!(e, StoreError::DuplicateName { .. }), "{e}");
    // A change of case only is a rename of the same connection.
    store.rename("HR", &name("hr")).await.unwrap();
    let renamed = store.rename("hr", &name("HR prod")).await.unwrap();
    assert_eq!(renamed.status, ConnectionStatus::Connected);
    // Renaming keeps the secrets readable: they are bound to the connection, not its name.
    let saved = store.get("HR prod").await.unwrap();
    assert_eq!(saved.secret("password").unwrap().expose(), PASSWORD);

    store.remove("hr PROD").await.unwrap();
    assert!(matches!(
        store.get("HR prod").await.unwrap_err(),
        StoreError::UnknownConnection { .. }
    ));
    assert!(matches!(
        store.remove("HR prod").await.unwrap_err(),
        StoreError::UnknownConnection { .. }
    ));
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    let secrets: i64 = db
        .query_row("SELECT COUNT(*) FROM secrets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(secrets, 2, "only Other's two secrets are left");
}

#[tokio::test]
async fn stores_opened_at_once_on_one_home_lose_no_connection() {
    let home = tempfile::tempdir().unwrap();
    let mut tasks = Vec::new();
    for writer in 0..6 {
        let home = home.path().to_owned();
        tasks.push(tokio::spawn(async move {
            let store = file_store(&home);
            for i in 0..8 {
                store
                    .add(&name(&format!("w{writer}-c{i}")), valid(PASSWORD))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let store = file_store(home.path());
    let all = store.list().await.unwrap();
    assert_eq!(all.len(), 48);
    for c in &all {
        let saved = store.get(&c.name).await.unwrap();
        assert_eq!(saved.secret("password").unwrap().expose(), PASSWORD);
    }
}
