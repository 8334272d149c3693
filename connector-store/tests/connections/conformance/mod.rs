//! One conformance suite for every store backend: each check is written once against
//! [`Store`] and run on SQLite (a temporary home) and on PostgreSQL (a schema of its own in
//! the server the tests need; see `postgres.rs`). Several store instances on one location
//! stand for several processes (for PostgreSQL, several sessions: its locks are the server's).

mod postgres;
mod sqlite;

use std::sync::Arc;

use connector_core::reexports::url::Url;
use connector_core::sync::SyncCommit;
use connector_store::{plan, KeySource, MasterKey, PlanOptions, Store, StoreError};

use super::*;

/// A store location of one backend, made empty for one test.
#[connector_core::reexports::async_trait]
pub(crate) trait Backend: Send + Sync + 'static {
    /// Another store instance (another process) on this location, keys from its key file.
    fn open(&self) -> Box<dyn Store>;
    /// An instance with keys from `source`.
    fn open_with(&self, source: KeySource) -> Result<Box<dyn Store>, StoreError>;
    /// Everything stored, as text (binary columns as lowercase hex).
    async fn dump(&self) -> String;
    /// Replaces connection `name_key`'s settings column with `settings` (an attacker who can
    /// write the database).
    async fn set_settings(&self, name_key: &str, settings: &str);
    /// Copies the ciphertext of `field` from connection `from` over connection `to`'s.
    async fn copy_secret(&self, from: &str, to: &str, field: &str);
    /// Marks the schema as written by a newer version.
    async fn set_newer_schema(&self);
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Round trip: add, get (secrets decrypted), info and list (none decrypted), update, rename,
/// outcomes recorded, remove; names unique case-insensitively, unknown names suggest others.
pub(crate) async fn round_trip(b: &dyn Backend) {
    let store = b.open();
    let info = store.add(&name("Acme HR"), valid(PASSWORD)).await.unwrap();
    assert_eq!(info.secret_fields, ["auth.token", "password"]);
    assert!(!info.settings.to_string().contains(PASSWORD));
    let saved = store.get("acme hr").await.unwrap();
    assert_eq!(saved.secret("password").unwrap().expose(), PASSWORD);
    assert_eq!(saved.secret("auth.token").unwrap().expose(), TOKEN);
    assert_eq!(saved.settings_for_connect()["password"], PASSWORD);

    let duplicate = store
        .add(&name("ACME hr"), valid(PASSWORD))
        .await
        .unwrap_err();
    assert!(
        matches!(duplicate, StoreError::DuplicateName { .. }),
        "{duplicate}"
    );
    match store.get("Acme H").await.unwrap_err() {
        StoreError::UnknownConnection { close, .. } => assert_eq!(close, ["Acme HR"]),
        other => panic!("{other}"),
    }

    store
        .update("acme hr", valid("new-password-3"))
        .await
        .unwrap();
    let saved = store.get("Acme HR").await.unwrap();
    assert_eq!(saved.secret("password").unwrap().expose(), "new-password-3");
    let report = test_saved(&*store, "Acme HR", &Context::default())
        .await
        .unwrap();
    assert!(
        !report.passed,
        "the new password is not the test provider's"
    );
    store.update("acme hr", valid(PASSWORD)).await.unwrap();
    let report = test_saved(&*store, "Acme HR", &Context::default())
        .await
        .unwrap();
    assert!(report.passed);
    assert_eq!(
        store.info("Acme HR").await.unwrap().status,
        ConnectionStatus::Connected
    );
    let export = connector_store::ExportRecord {
        at: "2026-12-01T10:00:00Z".parse().unwrap(),
        ok: true,
        users: 42,
        message: None,
    };
    store.record_export("Acme HR", &export).await.unwrap();
    assert_eq!(
        store
            .info("Acme HR")
            .await
            .unwrap()
            .last_export
            .unwrap()
            .users,
        42
    );

    store.add(&name("Other"), valid(PASSWORD)).await.unwrap();
    let clash = store.rename("Acme HR", &name("other")).await.unwrap_err();
    assert!(matches!(clash, StoreError::DuplicateName { .. }), "{clash}");
    store.rename("Acme HR", &name("Globex HR")).await.unwrap();
    let names: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Globex HR", "Other"]);
    let saved = store.get("globex hr").await.unwrap();
    assert_eq!(
        saved.secret("password").unwrap().expose(),
        PASSWORD,
        "secrets survive a rename"
    );

    store.remove("Globex HR").await.unwrap();
    assert!(matches!(
        store.get("Globex HR").await.unwrap_err(),
        StoreError::UnknownConnection { .. }
    ));
    assert_eq!(store.list().await.unwrap().len(), 1);
    let dump = b.dump().await;
    assert!(
        !dump.contains("Globex"),
        "a removed connection leaves nothing behind"
    );
}

/// No secret in any readable form at rest.
pub(crate) async fn no_plaintext_at_rest(b: &dyn Backend) {
    let store = b.open();
    store.add(&name("HR"), valid(PASSWORD)).await.unwrap();
    store.update("HR", valid(PASSWORD)).await.unwrap();
    let dump = b.dump().await;
    assert!(
        dump.contains("hr.example.com"),
        "the dump reads the settings"
    );
    for canary in [PASSWORD, TOKEN] {
        assert!(!dump.contains(canary), "{canary} in plain text");
        assert!(!dump.contains(&hex(canary)), "{canary} in plain bytes");
    }
}

/// Settings altered in the database, a ciphertext copied from another connection, and a
/// wrong key are each refused before any secret is used.
pub(crate) async fn tampering_refused(b: &dyn Backend) {
    let store = b.open();
    store.add(&name("HR"), valid(PASSWORD)).await.unwrap();
    store
        .add(&name("Other"), valid("other-password-1"))
        .await
        .unwrap();
    b.copy_secret("other", "hr", "password").await;
    let moved = store.get("HR").await.unwrap_err();
    assert!(
        matches!(moved, StoreError::Tampered { ref field, .. } if field == "password"),
        "{moved}"
    );

    let redirected = r#"{"base_url":"https://evil.example.com","username":"svc"}"#;
    b.set_settings("other", redirected).await;
    let altered = store.get("Other").await.unwrap_err();
    assert!(
        matches!(altered, StoreError::SettingsTampered { .. }),
        "{altered}"
    );
    assert!(!altered.to_string().contains("other-password-1"));

    let stranger = b
        .open_with(KeySource::Given(MasterKey::generate()))
        .unwrap();
    let wrong = stranger
        .add(&name("Third"), valid(PASSWORD))
        .await
        .unwrap_err();
    assert!(matches!(wrong, StoreError::WrongKey { .. }), "{wrong}");
    assert_eq!(
        store.list().await.unwrap().len(),
        2,
        "nothing was added with the wrong key"
    );
}

/// A connection saved with endpoints (a sandbox's) keeps them: shown apart from its
/// settings, never handed to the provider as a setting, the context it connects with (under
/// the run's overrides), replaced or dropped by an update, and sealed with the settings: an
/// endpoint pointed elsewhere in the database (to receive the secrets) is refused.
pub(crate) async fn endpoints_kept_and_sealed(b: &dyn Backend) {
    let store = b.open();
    let api = Url::parse("http://127.0.0.1:41001/").unwrap();
    let token = Url::parse("http://127.0.0.1:41002/").unwrap();
    let endpoints = Context::default()
        .with("api", api.clone())
        .with("token", token.clone());
    let info = store
        .add(&name("Sandbox"), valid(PASSWORD).with_endpoints(&endpoints))
        .await
        .unwrap();
    assert_eq!(
        info.endpoints.keys().collect::<Vec<_>>(),
        ["api", "token"],
        "{info:?}"
    );
    assert!(info.settings.get(connector_store::ENDPOINTS_KEY).is_none());
    let saved = store.get("sandbox").await.unwrap();
    assert!(saved
        .settings_for_connect()
        .get(connector_store::ENDPOINTS_KEY)
        .is_none());
    assert_eq!(saved.info.context(&Context::default()), endpoints);
    let elsewhere = Url::parse("http://127.0.0.1:41003/").unwrap();
    let run = Context::default().with("token", elsewhere.clone());
    let context = saved.info.context(&run);
    assert_eq!(context.endpoint("api"), Some(&api));
    assert_eq!(context.endpoint("token"), Some(&elsewhere));
    assert_eq!(store.list().await.unwrap()[0].endpoints, info.endpoints);
    // Another process reads them the same.
    assert_eq!(
        b.open().info("Sandbox").await.unwrap().endpoints,
        info.endpoints
    );

    // The token endpoint pointed at another host behind the store's back.
    let dump = b.dump().await;
    assert!(dump.contains("127.0.0.1:41002"), "stored with the settings");
    let row = info.settings.clone();
    let mut tampered = row.as_object().unwrap().clone();
    tampered.insert(
        connector_store::ENDPOINTS_KEY.into(),
        json!({"api": api.as_str(), "token": "https://evil.example.com/"}),
    );
    b.set_settings("sandbox", &Value::Object(tampered).to_string())
        .await;
    let refused = store.get("Sandbox").await.unwrap_err();
    assert!(
        matches!(refused, StoreError::SettingsTampered { .. }),
        "{refused}"
    );

    // A connection saved for production gains no endpoints by an edit of the database.
    store.add(&name("Prod"), valid(PASSWORD)).await.unwrap();
    let prod = store.info("Prod").await.unwrap();
    assert!(prod.endpoints.is_empty());
    let mut planted = prod.settings.as_object().unwrap().clone();
    planted.insert(
        connector_store::ENDPOINTS_KEY.into(),
        json!({"token": "https://evil.example.com/"}),
    );
    b.set_settings("prod", &Value::Object(planted).to_string())
        .await;
    assert!(matches!(
        store.get("Prod").await.unwrap_err(),
        StoreError::SettingsTampered { .. }
    ));

    // Settings cannot name endpoints (a form or config file would redirect the secrets).
    let mut smuggled = raw(PASSWORD);
    smuggled[connector_store::ENDPOINTS_KEY] = json!({"token": "https://evil.example.com/"});
    let refused = ValidSettings::validate(&DESCRIPTOR, smuggled).unwrap_err();
    assert_eq!(
        refused.field_errors()[0].field,
        connector_store::ENDPOINTS_KEY,
        "{refused}"
    );
    assert!(
        refused.to_string().contains("is not a setting"),
        "{refused}"
    );

    // An update saves what it is given: endpoints replaced, or none (production).
    store.remove("Sandbox").await.unwrap();
    store
        .add(&name("Sandbox"), valid(PASSWORD).with_endpoints(&endpoints))
        .await
        .unwrap();
    let moved = Context::default().with("api", elsewhere.clone());
    let updated = store
        .update("Sandbox", valid(PASSWORD).with_endpoints(&moved))
        .await
        .unwrap();
    assert_eq!(updated.endpoints.keys().collect::<Vec<_>>(), ["api"]);
    let updated = store.update("Sandbox", valid(PASSWORD)).await.unwrap();
    assert!(updated.endpoints.is_empty());
    let saved = store.get("Sandbox").await.unwrap();
    assert!(saved.info.context(&Context::default()).is_empty());
}

/// Eight instances adding at once, each its own connections and all one shared name: every
/// connection is there once, readable, and the shared name was refused to all but one.
pub(crate) async fn concurrent_writers(b: Arc<dyn Backend>) {
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let store = b.open();
            let mut shared = 0;
            for i in 0..3 {
                store
                    .add(&name(&format!("w{writer}-c{i}")), valid(PASSWORD))
                    .await
                    .unwrap();
                match store.add(&name("Shared"), valid(PASSWORD)).await {
                    Ok(_) => shared += 1,
                    Err(StoreError::DuplicateName { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            shared
        }));
    }
    let mut shared = 0;
    for t in tasks {
        shared += t.await.unwrap();
    }
    assert_eq!(shared, 1, "one writer saved the shared name");
    let store = b.open();
    let all = store.list().await.unwrap();
    assert_eq!(all.len(), 25);
    for c in &all {
        let saved = store.get(&c.name).await.unwrap();
        assert_eq!(saved.secret("password").unwrap().expose(), PASSWORD);
    }
}

/// Rotations and adds from several instances at once: every secret decrypts afterwards,
/// under the one key the key file holds.
pub(crate) async fn rotation_across_instances(b: Arc<dyn Backend>) {
    b.open()
        .add(&name("Before"), valid(PASSWORD))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..9 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let store = b.open();
            if worker % 3 == 0 {
                // Rotations queue on each other: each finds the last one's key (and key file).
                for _ in 0..4 {
                    store.rotate_key(MasterKey::generate()).await?;
                }
                Ok(())
            } else {
                store
                    .add(&name(&format!("During {worker}")), valid(PASSWORD))
                    .await
                    .map(drop)
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let store = b.open();
    let all = store.list().await.unwrap();
    assert_eq!(all.len(), 7);
    for c in &all {
        let saved = store.get(&c.name).await.unwrap();
        assert_eq!(
            saved.secret("password").unwrap().expose(),
            PASSWORD,
            "{}",
            c.name
        );
        assert_eq!(saved.secret("auth.token").unwrap().expose(), TOKEN);
    }
}

/// Opening again changes nothing; a schema from a newer version is refused, not rewritten.
pub(crate) async fn migrations(b: &dyn Backend) {
    b.open().add(&name("HR"), valid(PASSWORD)).await.unwrap();
    let again = b.open();
    assert_eq!(
        again
            .get("HR")
            .await
            .unwrap()
            .secret("password")
            .unwrap()
            .expose(),
        PASSWORD
    );
    b.set_newer_schema().await;
    let newer = b
        .open_with(KeySource::Given(MasterKey::generate()))
        .unwrap_err();
    assert!(matches!(newer, StoreError::NewerSchema { .. }), "{newer}");
}

/// Syncs of one connection planned from the same state and committed at once: one commits,
/// the others are refused and change nothing.
pub(crate) async fn two_syncs_one_commits(b: Arc<dyn Backend>) {
    let store = b.open();
    let info = store.add(&name("HR"), valid(PASSWORD)).await.unwrap();
    let options = PlanOptions {
        detected_at: "2026-11-25T08:00:00Z".parse().unwrap(),
        today: "2026-11-25".parse().unwrap(),
        baseline_events: false,
    };
    let users = |title: &'static str| -> connector_core::UserStream {
        let users: Vec<_> = (0..200)
            .map(|i| {
                let mut u = connector_core::User::new(format!("E{i}"));
                u.job_title = Some(title.into());
                Ok(u)
            })
            .collect();
        Box::pin(futures_util::stream::iter(users))
    };
    // Twice: two first syncs (no state yet), then two later ones from the same version.
    for round in 1..=2u64 {
        let baseline = store.sync_baseline("HR").await.unwrap();
        let mut commits: Vec<SyncCommit> = Vec::new();
        for title in ["Engineer", "Manager", "Director", "Analyst"] {
            let planned = plan(
                &*store,
                &info,
                baseline.clone(),
                users(title),
                &options,
                |_| Ok(()),
            )
            .await
            .unwrap();
            commits.push(planned.commit);
        }
        let mut tasks = Vec::new();
        for commit in commits {
            let b = b.clone();
            tasks.push(tokio::spawn(async move {
                b.open()
                    .commit_sync("HR", commit, "2026-11-25T08:00:00Z".parse().unwrap())
                    .await
            }));
        }
        let mut committed = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(version) => {
                    committed += 1;
                    assert_eq!(version, round);
                }
                Err(StoreError::SyncConflict { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(
            committed, 1,
            "round {round}: exactly one of the syncs commits"
        );
        let baseline = store.sync_baseline("HR").await.unwrap().unwrap();
        assert_eq!(
            (baseline.version, baseline.fingerprints.len()),
            (round, 200)
        );
    }
    // A reset replaces the saved state whole, in its one commit, from the saved version.
    let fewer: connector_core::UserStream = Box::pin(futures_util::stream::iter(
        (0..50).map(|i| Ok(connector_core::User::new(format!("N{i}")))),
    ));
    let mut reset = plan(&*store, &info, None, fewer, &options, |_| Ok(()))
        .await
        .unwrap()
        .commit;
    reset.replace = true;
    reset.from_version = 1;
    let at = "2026-11-26T08:00:00Z".parse().unwrap();
    let stale = store
        .commit_sync("HR", reset.clone(), at)
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::SyncConflict { .. }), "{stale}");
    reset.from_version = 2;
    assert_eq!(store.commit_sync("HR", reset, at).await.unwrap(), 3);
    let replaced = store.sync_baseline("HR").await.unwrap().unwrap();
    assert_eq!(
        replaced.fingerprints.len(),
        50,
        "only the new state is left"
    );
    assert!(replaced.fingerprints.keys().all(|k| k.contains('N')));

    store.reset_sync("HR").await.unwrap();
    assert!(store.sync_baseline("HR").await.unwrap().is_none());
}

/// The suite's tests for one backend: `$backend` is an async fn of the test's name that
/// returns an `Arc<dyn Backend>` on a fresh location.
macro_rules! conformance {
    ($backend:path) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn round_trip() {
            let b = $backend("round_trip").await;
            super::round_trip(&*b).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn no_plaintext_at_rest() {
            let b = $backend("no_plaintext_at_rest").await;
            super::no_plaintext_at_rest(&*b).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn tampering_refused() {
            let b = $backend("tampering_refused").await;
            super::tampering_refused(&*b).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn endpoints_kept_and_sealed() {
            let b = $backend("endpoints_kept_and_sealed").await;
            super::endpoints_kept_and_sealed(&*b).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn concurrent_writers() {
            super::concurrent_writers($backend("concurrent_writers").await).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn rotation_across_instances() {
            super::rotation_across_instances($backend("rotation_across_instances").await).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn migrations() {
            let b = $backend("migrations").await;
            super::migrations(&*b).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn two_syncs_one_commits() {
            super::two_syncs_one_commits($backend("two_syncs_one_commits").await).await;
        }
    };
}
pub(crate) use conformance;
