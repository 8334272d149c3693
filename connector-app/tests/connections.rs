//! Saved connections as use cases, without the binary: add, edit with kept or re-entered
//! secrets, and the recorded test, against the embedded UKG Pro sandbox.

use connector_app::connections::{self, Draft, EditFailure, SaveFailure, SecretsPolicy};
use connector_core::sandbox::SandboxOptions;
use connector_store::{
    ConnectionName, ConnectionStatus, KeySource, MasterKey, SqliteStore, Store, StoreError,
};
use serde_json::{json, Map, Value};

fn store(home: &std::path::Path) -> Box<dyn Store> {
    std::hint::black_box(connector_ukgpro::descriptor());
    Box::new(SqliteStore::open(home, KeySource::Given(MasterKey::generate())).unwrap())
}

fn ukgpro() -> &'static connector_core::ProviderDescriptor {
    connector_core::registry::provider("ukgpro").unwrap()
}

/// A connection to production (no sandbox endpoints).
static NO_ENDPOINTS: std::sync::LazyLock<connector_core::Context> =
    std::sync::LazyLock::new(connector_core::Context::default);

fn object(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn add_test_and_edit_keep_or_ask_for_the_secrets() {
    let sandbox = connector_ukgpro::sandbox::start(SandboxOptions::with_employees(20))
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let store = store(home.path());
    let name = ConnectionName::parse("Payroll").unwrap();

    // Invalid settings: every problem, nothing saved.
    let bad = connections::add(
        &*store,
        &name,
        ukgpro(),
        json!({"base_url": "ftp://x"}),
        &NO_ENDPOINTS,
    )
    .await;
    match bad {
        Err(SaveFailure::Invalid(e)) => assert!(e.field_errors().len() >= 3, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(store.list().await.unwrap().is_empty());

    let info = connections::add(
        &*store,
        &name,
        ukgpro(),
        sandbox.settings.clone(),
        &NO_ENDPOINTS,
    )
    .await
    .unwrap();
    assert_eq!(info.status, ConnectionStatus::Untested);
    let taken = connections::add(
        &*store,
        &name,
        ukgpro(),
        sandbox.settings.clone(),
        &NO_ENDPOINTS,
    )
    .await;
    assert!(matches!(
        taken,
        Err(SaveFailure::Store(StoreError::DuplicateName { .. }))
    ));

    let report = connections::test(&*store, "payroll", &Default::default())
        .await
        .unwrap();
    assert!(report.passed, "{report:?}");
    assert_eq!(
        store.info("Payroll").await.unwrap().status,
        ConnectionStatus::Connected
    );

    // Edit keeping the secrets: only the page size given; the connection still works.
    let draft = Draft::start(
        &*store,
        "payroll",
        object(json!({"page_size": 50})),
        SecretsPolicy::Keep,
    )
    .await
    .unwrap();
    assert!(draft.missing_secrets().is_empty());
    assert!(!format!("{draft:?}").contains(sandbox.settings["password"].as_str().unwrap()));
    let info = draft.save(&*store).await.unwrap();
    assert_eq!(info.settings["page_size"], 50);
    assert_eq!(
        info.status,
        ConnectionStatus::Untested,
        "an edit forgets the last test"
    );
    assert!(
        connections::test(&*store, "Payroll", &Default::default())
            .await
            .unwrap()
            .passed
    );

    // Edit asking again: the secrets are missing, in the form's order, until entered.
    let draft = Draft::start(&*store, "Payroll", Map::new(), SecretsPolicy::EnterAgain)
        .await
        .unwrap();
    assert_eq!(draft.missing_secrets(), ["password", "customer_api_key"]);
    match draft.save(&*store).await {
        Err(EditFailure::Invalid {
            secrets_not_entered,
            ..
        }) => {
            assert_eq!(secrets_not_entered, ["password", "customer_api_key"])
        }
        other => panic!("{other:?}"),
    }
    let mut draft = Draft::start(&*store, "Payroll", Map::new(), SecretsPolicy::EnterAgain)
        .await
        .unwrap();
    draft.enter_secret("password", "wrong-password".into());
    draft.enter_secret(
        "customer_api_key",
        sandbox.settings["customer_api_key"]
            .as_str()
            .unwrap()
            .into(),
    );
    assert!(draft.missing_secrets().is_empty());
    draft.save(&*store).await.unwrap();
    let report = connections::test(&*store, "Payroll", &Default::default())
        .await
        .unwrap();
    assert!(!report.passed, "the new password is wrong");
    assert_eq!(
        store.info("Payroll").await.unwrap().status,
        ConnectionStatus::Failed
    );
}

/// An edit form's submission: a blank or absent secret keeps the saved one; a new one
/// replaces it; inside a choice, only while the same option is chosen.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_form_keeps_blank_secrets_of_the_option_still_chosen() {
    std::hint::black_box(connector_scim::descriptor());
    let home = tempfile::tempdir().unwrap();
    let store = store(home.path());
    let secret_of = |saved: &connector_store::StoredConnection, path: &str| {
        saved
            .secrets()
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| s.expose().to_owned())
    };

    // Top-level secrets (UKG Pro).
    let name = ConnectionName::parse("HR").unwrap();
    let settings = json!({"base_url": "https://service5.ultipro.com", "username": "svc",
        "password": "pw-1", "customer_api_key": "CK001"});
    connections::add(&*store, &name, ukgpro(), settings, &NO_ENDPOINTS)
        .await
        .unwrap();
    let form = object(
        json!({"base_url": "https://service5.ultipro.com", "username": "svc2",
        "password": "", "page_size": 500}),
    );
    let info = connections::save_edit_form(&*store, "HR", form)
        .await
        .unwrap();
    assert_eq!(info.settings["username"], "svc2");
    let saved = store.get("HR").await.unwrap();
    assert_eq!(secret_of(&saved, "password").as_deref(), Some("pw-1"));
    assert_eq!(
        secret_of(&saved, "customer_api_key").as_deref(),
        Some("CK001")
    );
    let form = object(
        json!({"base_url": "https://service5.ultipro.com", "username": "svc2",
        "password": "pw-2"}),
    );
    connections::save_edit_form(&*store, "HR", form)
        .await
        .unwrap();
    let saved = store.get("HR").await.unwrap();
    assert_eq!(secret_of(&saved, "password").as_deref(), Some("pw-2"));

    // A choice (SCIM's auth): kept while the method stays, not carried to another method.
    let scim = connector_core::registry::provider("scim").unwrap();
    let name = ConnectionName::parse("Directory").unwrap();
    let settings = json!({"base_url": "https://idp.example.com/scim/v2",
        "auth": {"method": "bearer", "token": "tok-1"}});
    connections::add(&*store, &name, scim, settings, &NO_ENDPOINTS)
        .await
        .unwrap();
    let same = object(json!({"base_url": "https://idp.example.com/scim/v2",
        "auth": {"method": "bearer"}, "filter": "active eq true"}));
    connections::save_edit_form(&*store, "Directory", same)
        .await
        .unwrap();
    let saved = store.get("Directory").await.unwrap();
    assert_eq!(secret_of(&saved, "auth.token").as_deref(), Some("tok-1"));
    let switched = object(json!({"base_url": "https://idp.example.com/scim/v2",
        "auth": {"method": "basic", "username": "ana"}}));
    match connections::save_edit_form(&*store, "Directory", switched).await {
        Err(EditFailure::Invalid { error, .. }) => {
            assert!(error.to_string().contains("password"), "{error}");
            assert!(!error.to_string().contains("tok-1"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let saved = store.get("Directory").await.unwrap();
    assert_eq!(
        secret_of(&saved, "auth.token").as_deref(),
        Some("tok-1"),
        "nothing changed"
    );
}

/// Saved secrets go only where they were entered for: an edit that points `base_url` at
/// another host (or port) must enter them again, in the form and in a draft that keeps
/// secrets; the same host keeps them; nothing is saved when refused.
#[tokio::test(flavor = "multi_thread")]
async fn kept_secrets_are_not_sent_to_another_host() {
    let home = tempfile::tempdir().unwrap();
    let store = store(home.path());
    let name = ConnectionName::parse("HR").unwrap();
    let settings = json!({"base_url": "https://service5.ultipro.com", "username": "svc",
        "password": "pw-canary-1", "customer_api_key": "CK001"});
    connections::add(&*store, &name, ukgpro(), settings, &NO_ENDPOINTS)
        .await
        .unwrap();
    let elsewhere = |password: &str| {
        object(
            json!({"base_url": "https://collector.evil.example", "username": "svc",
            "password": password}),
        )
    };
    match connections::save_edit_form(&*store, "HR", elsewhere("")).await {
        Err(EditFailure::Invalid {
            error,
            secrets_not_entered,
        }) => {
            assert_eq!(secrets_not_entered, ["password", "customer_api_key"]);
            let fields: Vec<&str> = error
                .field_errors()
                .iter()
                .map(|f| f.field.as_str())
                .collect();
            assert_eq!(fields, ["password", "customer_api_key"], "{error}");
            assert!(
                error.to_string().contains("https://collector.evil.example"),
                "{error}"
            );
            assert!(!error.to_string().contains("pw-canary-1"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let saved = store.get("HR").await.unwrap();
    assert_eq!(
        saved.info.settings["base_url"],
        "https://service5.ultipro.com"
    );
    // Every problem at once: a blank user name with the secrets to enter again.
    let mut both = elsewhere("");
    both.insert("username".into(), json!(""));
    match connections::save_edit_form(&*store, "HR", both).await {
        Err(EditFailure::Invalid { error, .. }) => {
            let fields: Vec<&str> = error
                .field_errors()
                .iter()
                .map(|f| f.field.as_str())
                .collect();
            for field in ["username", "password", "customer_api_key"] {
                assert!(fields.contains(&field), "{field}: {error}");
            }
        }
        other => panic!("{other:?}"),
    }
    // One secret entered again is not enough: the other would still follow.
    assert!(matches!(
        connections::save_edit_form(&*store, "HR", elsewhere("pw-2")).await,
        Err(EditFailure::Invalid { ref secrets_not_entered, .. }) if secrets_not_entered == &["customer_api_key"]
    ));
    // A value that is no URL is not quoted (a password pasted into the wrong field).
    let pasted = object(json!({"base_url": "pw-canary-1 oops", "username": "svc"}));
    match connections::save_edit_form(&*store, "HR", pasted).await {
        Err(EditFailure::Invalid { error, .. }) => {
            assert!(error.to_string().contains("enter it again"), "{error}");
            assert!(!error.to_string().contains("oops"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    // Another port is another server.
    let port = object(json!({"base_url": "https://service5.ultipro.com:8443", "username": "svc"}));
    assert!(connections::save_edit_form(&*store, "HR", port)
        .await
        .is_err());
    // A draft keeping the secrets: refused the same, until they are entered.
    let mut draft = Draft::start(
        &*store,
        "HR",
        object(json!({"base_url": "https://collector.evil.example"})),
        SecretsPolicy::Keep,
    )
    .await
    .unwrap();
    draft.enter_secret("password", "pw-3".into());
    let refused = draft.save(&*store).await;
    assert!(
        matches!(refused, Err(EditFailure::Invalid { ref secrets_not_entered, .. }) if secrets_not_entered == &["customer_api_key"]),
        "{refused:?}"
    );
    let mut draft = Draft::start(
        &*store,
        "HR",
        object(json!({"base_url": "https://service6.ultipro.com"})),
        SecretsPolicy::Keep,
    )
    .await
    .unwrap();
    draft.enter_secret("password", "pw-3".into());
    draft.enter_secret("customer_api_key", "CK002".into());
    let info = draft.save(&*store).await.unwrap();
    assert_eq!(info.settings["base_url"], "https://service6.ultipro.com");
    // The same host: kept without retyping.
    let same = object(json!({"base_url": "https://service6.ultipro.com/", "username": "svc2"}));
    connections::save_edit_form(&*store, "HR", same)
        .await
        .unwrap();
    let saved = store.get("HR").await.unwrap();
    assert_eq!(saved.secret("password").unwrap().expose(), "pw-3");
}

/// *Test connection* with live steps: each step is told as it settles, in order, and the
/// steps told are the report's (a skipped step too).
#[tokio::test(flavor = "multi_thread")]
async fn a_watched_test_tells_each_step_as_it_settles() {
    let mut options = SandboxOptions::with_employees(5);
    options.deny = vec!["employee-person-details".into()];
    let sandbox = connector_ukgpro::sandbox::start(options).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let store = store(home.path());
    let name = ConnectionName::parse("Live").unwrap();
    connections::add(
        &*store,
        &name,
        ukgpro(),
        sandbox.settings.clone(),
        &NO_ENDPOINTS,
    )
    .await
    .unwrap();
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = told.clone();
    let report = connections::test_watched(&*store, "Live", &Default::default(), move |step| {
        log.lock().unwrap().push((step.id.to_owned(), step.status));
    })
    .await
    .unwrap();
    let told = told.lock().unwrap().clone();
    let reported: Vec<_> = report
        .steps
        .iter()
        .map(|s| (s.id.to_owned(), s.status))
        .collect();
    assert_eq!(told, reported);
    use connector_core::StepStatus::*;
    assert_eq!(
        told.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        [Passed, Passed, Passed, Failed, Passed]
    );
    assert_eq!(
        store.info("Live").await.unwrap().status,
        ConnectionStatus::Failed,
        "recorded like an unwatched test"
    );
}
