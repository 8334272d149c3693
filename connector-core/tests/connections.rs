//! The connection store: saved settings, secrets encrypted at rest, keys, names and tests.

use std::path::Path;

use connector_core::check::{CheckStep, Checklist};
use connector_core::connections::{
    test_saved, ConnectionName, ConnectionStatus, ConnectionStore, KeySource, MasterKey,
    SqliteStore, StoreError, ValidSettings, KEY_FILE, STORE_FILE,
};
use connector_core::{
    Connector, Context, Error, ErrorKind, Provider, ProviderDescriptor, Result, Secret,
};
use serde_json::{json, Value};

const PASSWORD: &str = "canary-password-7f3a9c";
const TOKEN: &str = "canary-token-b41d2e";

/// Settings with a top-level secret and one nested in an auth choice (only the password is
/// read by the fake connector; the rest is there to be saved).
#[allow(dead_code)]
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct StoreTestSettings {
    /// Where the API is.
    base_url: String,
    /// The service account.
    username: String,
    /// Its password.
    password: Secret,
    /// A second credential, nested.
    auth: Auth,
}

#[allow(dead_code)]
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Auth {
    /// The bearer token.
    token: Secret,
}

impl connector_core::settings::Settings for StoreTestSettings {}

#[derive(Debug)]
struct StoreTest {
    password: Secret,
}

const STEPS: &[CheckStep] = &[CheckStep::reachable(), CheckStep::authenticated()];

#[connector_core::reexports::async_trait]
impl Connector for StoreTest {
    fn provider_id(&self) -> &'static str {
        "storetest"
    }
    async fn test_connection(&self, checks: &mut Checklist) {
        let ok = self.password.expose() == PASSWORD;
        checks
            .run("reachable", || async { Ok("answered".to_owned()) })
            .await;
        checks
            .run("authenticated", || async move {
                if ok {
                    Ok("accepted".to_owned())
                } else {
                    Err(Error::new(
                        "storetest",
                        ErrorKind::Authentication,
                        "the password was rejected",
                    ))
                }
            })
            .await;
    }
}

impl Provider for StoreTest {
    const ID: &'static str = "storetest";
    type Settings = StoreTestSettings;
    type Connector = StoreTest;
    fn connect(s: StoreTestSettings, _: &Context) -> Result<StoreTest> {
        Ok(StoreTest {
            password: s.password,
        })
    }
}

const DESCRIPTOR: ProviderDescriptor =
    ProviderDescriptor::new::<StoreTest>("Store test").with_checks(STEPS);
connector_core::register!(DESCRIPTOR);

fn raw(password: &str) -> Value {
    json!({
        "base_url": "https://hr.example.com",
        "username": "svc",
        "password": password,
        "auth": {"token": TOKEN},
    })
}

fn valid(password: &str) -> ValidSettings {
    ValidSettings::validate(&DESCRIPTOR, raw(password)).unwrap()
}

fn name(text: &str) -> ConnectionName {
    ConnectionName::parse(text).unwrap()
}

fn file_store(home: &Path) -> SqliteStore {
    SqliteStore::open(home, KeySource::File(home.join(KEY_FILE))).unwrap()
}

/// Every byte of the home's files, for canary scans.
fn home_bytes(home: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(home)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn assert_no_canary(home: &Path) {
    for (file, bytes) in home_bytes(home) {
        for canary in [PASSWORD, TOKEN] {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{canary} in plain text in {file}"
            );
        }
    }
}

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
    assert!(e.hint().unwrap().contains("connections edit \"Payroll\""));
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

#[tokio::test]
async fn a_store_written_by_a_newer_version_is_refused() {
    let home = tempfile::tempdir().unwrap();
    drop(file_store(home.path()));
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4);
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
    // Back to schema 1: drop what versions 2 and 3 added.
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    db.execute_batch("DROP TABLE sync_users; DROP TABLE sync_state;")
        .unwrap();
    for column in [
        "last_export_at",
        "last_export_ok",
        "last_export_users",
        "last_export_message",
    ] {
        db.execute_batch(&format!("ALTER TABLE connections DROP COLUMN {column}"))
            .unwrap();
    }
    db.pragma_update(None, "user_version", 1).unwrap();
    drop(db);

    let store = SqliteStore::open(home.path(), KeySource::Given(key)).unwrap();
    let info = store.info("old").await.unwrap();
    assert_eq!(info.status, ConnectionStatus::Connected);
    assert!(info.last_export.is_none());
    let saved = store.get("old").await.unwrap();
    assert_eq!(saved.secret("auth.token").unwrap().expose(), TOKEN);
    let record = connector_core::connections::ExportRecord {
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
    assert_eq!(version, 4);
}

fn listing(users: Vec<connector_core::User>) -> connector_core::UserStream {
    Box::pin(futures_util::stream::iter(users.into_iter().map(Ok)))
}

fn person(i: u32, title: &str) -> connector_core::User {
    let mut u = connector_core::User::new(format!("E{i}"));
    u.company_id = Some("C1".into());
    u.job_title = Some(title.into());
    u.status = connector_core::UserStatus::Active;
    u
}

/// The sync state lives with the connection: committed all or nothing, versioned (a stale
/// plan is refused), reset on request, and removed with the connection.
#[tokio::test]
async fn the_sync_state_is_committed_versioned_reset_and_removed_with_its_connection() {
    use connector_core::sync::{plan, PlanOptions, SyncStateStore};
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    let info = store.add(&name("HR"), valid(PASSWORD)).await.unwrap();
    let options = PlanOptions {
        detected_at: "2026-11-25T08:00:00Z".parse().unwrap(),
        today: "2026-11-25".parse().unwrap(),
        baseline_events: false,
    };
    assert!(store.sync_baseline("HR").await.unwrap().is_none());
    let mut seen = 0;
    let day0: Vec<_> = (0..5).map(|i| person(i, "Engineer")).collect();
    let first = plan(&store, &info, None, listing(day0.clone()), &options, |_| {
        seen += 1;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(seen, 5);
    assert!(first.baseline && first.events.is_empty());
    assert_eq!(
        store
            .commit_sync("hr", first.commit.clone(), options.detected_at)
            .await
            .unwrap(),
        1
    );
    let baseline = store.sync_baseline("HR").await.unwrap().unwrap();
    assert_eq!((baseline.fingerprints.len(), baseline.version), (5, 1));

    let mut day1 = day0.clone();
    day1[2].job_title = Some("Manager".into());
    day1.pop();
    let baseline = store.sync_baseline("HR").await.unwrap();
    let second = plan(&store, &info, baseline, listing(day1), &options, |_| Ok(()))
        .await
        .unwrap();
    let kinds: Vec<&str> = second.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["moved", "removed"]);
    assert_eq!(second.events[0].changes["job_title"]["before"], "Engineer");
    store
        .commit_sync("HR", second.commit.clone(), options.detected_at)
        .await
        .unwrap();
    // The same plan again is stale: another sync already committed.
    let e = store
        .commit_sync("HR", second.commit.clone(), options.detected_at)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::SyncConflict { .. }), "{e}");
    let baseline = store.sync_baseline("HR").await.unwrap().unwrap();
    assert_eq!((baseline.fingerprints.len(), baseline.version), (4, 2));

    store.reset_sync("HR").await.unwrap();
    assert!(store.sync_baseline("HR").await.unwrap().is_none());
    store
        .commit_sync("HR", first.commit.clone(), options.detected_at)
        .await
        .unwrap();
    store.remove("HR").await.unwrap();
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    let left: i64 = db
        .query_row(
            "SELECT (SELECT COUNT(*) FROM sync_users) + (SELECT COUNT(*) FROM sync_state)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the state went with the connection");
}
