//! The Entra ID provider passes the SDK's conformance suite with its sandbox as the mock
//! tenant, and its connection test says what to fix for each AADSTS refusal.

use connector_core::sandbox::SandboxOptions;
use connector_core::testkit::{Conformance, MockTenant, Scenario};
use connector_core::Context;
use connector_entra::sandbox::{self, start_with, Behaviour};
use serde_json::{json, Value};

/// What the export must say of user `i`, from the sandbox's documented records.
fn expected(i: u64) -> Value {
    json!({
        "email": format!("user{i}@contoso.example"),
        "username": format!("user{i}@contoso.example"),
        "first_name": format!("Given{i}"),
        "last_name": format!("Family{i}"),
        "status": if i % 5 == 4 { "inactive" } else { "active" },
        "manager_id": if i == 0 { Value::Null } else { json!(sandbox::user_id((i - 1) / 5)) },
        "employee_number": format!("{:05}", 20_000 + i),
        "hire_date": format!("2020-{:02}-01", 1 + i % 12),
    })
}

/// Both endpoints at a closed port.
fn unreachable() -> MockTenant {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url: connector_core::reexports::url::Url =
        format!("http://{}/", closed.local_addr().unwrap())
            .parse()
            .unwrap();
    drop(closed);
    let settings = json!({"tenant_id": sandbox::TENANT_ID, "client_id": sandbox::CLIENT_ID, "client_secret": "unreachable-secret"});
    let context = Context::default()
        .with("api", url.clone())
        .with("token", url);
    MockTenant::new(settings, ()).with_context(context)
}

async fn mock(scenario: Scenario) -> MockTenant {
    let mut options = SandboxOptions::with_employees(3);
    let mut behaviour = Behaviour::default();
    match scenario {
        Scenario::Healthy { users } => options.employees = users,
        Scenario::Empty => options.employees = 0,
        Scenario::RejectCredentials => {}
        Scenario::DenyPermission => options.deny = vec!["User.Read.All".into()],
        Scenario::Unreachable => return unreachable(),
        Scenario::ExpiringCredentials { users } => {
            options.employees = users;
            behaviour.token_uses = Some(2);
        }
        Scenario::RateLimited { users } => {
            options.employees = users;
            behaviour.throttle_first = 2;
        }
        Scenario::MalformedRecord { users } => {
            options.employees = users;
            behaviour.malformed = Some(4);
        }
        _ => return MockTenant::unsupported(),
    }
    let users = options.employees;
    let sandbox = start_with(options, behaviour)
        .await
        .expect("sandbox starts");
    let mut settings = sandbox.settings.clone();
    if scenario == Scenario::RejectCredentials {
        settings["client_secret"] = json!("not-the-secret-456");
    }
    let context = sandbox.context();
    let mut tenant = MockTenant::new(settings, sandbox).with_context(context);
    for i in 0..users.min(6) {
        tenant = tenant.expect_user(sandbox::user_id(i), expected(i));
    }
    tenant
}

#[tokio::test]
async fn entra_conforms() {
    let example = json!({
        "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "client_id": "0f4a3c1e-5b7d-4e2a-9c8b-1d2e3f4a5b6c",
        "client_secret": "Example~Secret-Value-1",
    });
    Conformance::new(connector_entra::descriptor(), example)
        .with_mock(mock)
        .run()
        .await
        .assert_ok();
}

/// The connection test against the sandbox with `settings` changed by `change`.
async fn test_with(
    change: impl FnOnce(&mut Value),
    options: SandboxOptions,
) -> connector_core::TestReport {
    let sandbox = start_with(options, Behaviour::default()).await.unwrap();
    let mut settings = sandbox.settings.clone();
    change(&mut settings);
    connector_core::test_connection_with(
        connector_entra::descriptor(),
        settings,
        &sandbox.context(),
    )
    .await
}

#[tokio::test]
async fn each_aadsts_refusal_gets_its_fix_on_the_field_to_change() {
    let cases: [(&str, Value, &str, &str); 3] = [
        (
            "client_secret",
            json!("wrong-secret-value"),
            "client secret is wrong",
            "client_secret",
        ),
        (
            "tenant_id",
            json!("11111111-2222-4333-8444-555555555555"),
            "no tenant has this ID",
            "tenant_id",
        ),
        (
            "client_id",
            json!("99999999-8888-4777-8666-555555555555"),
            "no app with this client ID",
            "client_id",
        ),
    ];
    for (field, value, fix, hinted) in cases {
        let report = test_with(
            |s| s[field] = value.clone(),
            SandboxOptions::with_employees(3),
        )
        .await;
        let step = report.step("authenticated").unwrap();
        assert_eq!(step.error_kind, Some("authentication"), "{field}: {step:?}");
        assert!(
            step.message.contains("AADSTS"),
            "the service's words: {}",
            step.message
        );
        let hint = step.hint.as_deref().unwrap_or_default();
        assert!(hint.contains(fix), "{field}: {hint}");
        assert!(
            step.hint_fields.iter().any(|f| f == hinted),
            "{field}: {:?}",
            step.hint_fields
        );
        assert!(
            !format!("{report:?}").contains("wrong-secret-value"),
            "the secret never shown"
        );
    }
}

#[tokio::test]
async fn a_missing_admin_consent_names_the_permission_to_grant() {
    let mut options = SandboxOptions::with_employees(3);
    options.deny = vec!["User.Read.All".into()];
    let report = test_with(|_| {}, options).await;
    assert_eq!(
        report.step("authenticated").unwrap().error_kind,
        None,
        "the token was issued"
    );
    let step = report.step("permission_user_read_all").unwrap();
    assert_eq!(step.error_kind, Some("permission"), "{step:?}");
    let hint = step.hint.as_deref().unwrap_or_default();
    assert!(
        hint.contains("User.Read.All") && hint.contains("admin consent"),
        "{hint}"
    );
    assert!(
        step.message.contains("Insufficient privileges"),
        "Graph's words: {}",
        step.message
    );
}

#[tokio::test]
async fn every_user_of_a_large_tenant_is_exported_once_across_next_links() {
    use connector_core::reexports::futures_util::StreamExt;
    let sandbox = start_with(SandboxOptions::with_employees(2_345), Behaviour::default())
        .await
        .unwrap();
    let connector = connector_entra::descriptor()
        .connect_with(sandbox.settings.clone(), &sandbox.context())
        .unwrap();
    let export = connector
        .export_users(connector_core::ExportOptions::new())
        .unwrap();
    let users: Vec<_> = export.users.collect().await;
    let ids: std::collections::HashSet<String> = users.into_iter().map(|u| u.unwrap().id).collect();
    assert_eq!(ids.len(), 2_345);
    // 999 per page: three requests for users, plus one for the token on the other origin.
    assert_eq!(sandbox.counters.requests(), 3);
}
