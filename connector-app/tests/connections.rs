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
    let bad = connections::add(&*store, &name, ukgpro(), json!({"base_url": "ftp://x"})).await;
    match bad {
        Err(SaveFailure::Invalid(e)) => assert!(e.field_errors().len() >= 3, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(store.list().await.unwrap().is_empty());

    let info = connections::add(&*store, &name, ukgpro(), sandbox.settings.clone())
        .await
        .unwrap();
    assert_eq!(info.status, ConnectionStatus::Untested);
    let taken = connections::add(&*store, &name, ukgpro(), sandbox.settings.clone()).await;
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
