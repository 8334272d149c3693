//! The Google Workspace provider passes the SDK's conformance suite with its sandbox as the
//! mock, and its connection test says what to fix when delegation or the admin role lacks.

use connector_core::sandbox::SandboxOptions;
use connector_core::testkit::{Conformance, MockTenant, Scenario};
use connector_core::Context;
use connector_google::sandbox::{self, start_with, Behaviour};
use serde_json::{json, Value};

/// What the export must say of user `i`, from the sandbox's documented records.
fn expected(i: u64) -> Value {
    let status = if i % 7 == 3 {
        "suspended"
    } else if i % 11 == 5 {
        "inactive"
    } else {
        "active"
    };
    let department = ["R&D", "Design", "Finance"][(i % 3) as usize];
    json!({
        "email": sandbox::email(i),
        "username": sandbox::email(i),
        "first_name": format!("Given{i}"),
        "last_name": format!("Family{i}"),
        "status": status,
        // The relation names the manager by e-mail; the export names them by id.
        "manager_id": if i == 0 { Value::Null } else { json!(sandbox::user_id((i - 1) / 5)) },
        "employee_number": format!("{:05}", 30_000 + i),
        "department": department,
    })
}

async fn mock(scenario: Scenario) -> MockTenant {
    let mut options = SandboxOptions::with_employees(3);
    let mut behaviour = Behaviour::default();
    match scenario {
        Scenario::Healthy { users } => options.employees = users,
        Scenario::Empty => options.employees = 0,
        Scenario::RejectCredentials => {}
        Scenario::DenyPermission => options.deny = vec!["admin-role".into()],
        Scenario::Unreachable => {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url: connector_core::reexports::url::Url =
                format!("http://{}/", closed.local_addr().unwrap())
                    .parse()
                    .unwrap();
            drop(closed);
            let mut settings = start_with(options, behaviour)
                .await
                .unwrap()
                .settings
                .clone();
            settings["service_account_key"]["token_uri"] = json!(format!("{url}token"));
            let context = Context::default()
                .with("api", url.clone())
                .with("token", url);
            return MockTenant::new(settings, ()).with_context(context);
        }
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
        // Delegation refused for this subject: the credentials do not let it in.
        settings["subject"] = json!("someone@elsewhere.example");
    }
    let context = sandbox.context();
    let mut tenant = MockTenant::new(settings, sandbox).with_context(context);
    for i in 0..users.min(6) {
        tenant = tenant.expect_user(sandbox::user_id(i), expected(i));
    }
    tenant
}

#[tokio::test]
async fn google_conforms() {
    let example = json!({
        "service_account_key": {
            "client_email": "sync@my-project.iam.gserviceaccount.com",
            "private_key": sandbox::PRIVATE_KEY,
        },
        "subject": "it-admin@example.com",
    });
    Conformance::new(connector_google::descriptor(), example)
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
        connector_google::descriptor(),
        settings,
        &sandbox.context(),
    )
    .await
}

#[tokio::test]
async fn missing_delegation_and_a_wrong_subject_get_their_fix() {
    let mut options = SandboxOptions::with_employees(3);
    options.deny = vec!["delegation".into()];
    let report = test_with(|_| {}, options).await;
    let step = report.step("authenticated").unwrap();
    let hint = step.hint.as_deref().unwrap_or_default();
    assert!(hint.contains("Domain Wide Delegation"), "{hint}");
    assert!(
        hint.contains("admin.directory.user.readonly"),
        "the scope to add: {hint}"
    );

    let report = test_with(
        |s| s["subject"] = json!("ghost@elsewhere.example"),
        SandboxOptions::with_employees(3),
    )
    .await;
    let step = report.step("authenticated").unwrap();
    assert!(
        step.hint.as_deref().unwrap_or_default().contains("clock"),
        "{step:?}"
    );
    assert_eq!(step.hint_fields, ["subject"]);
    assert!(
        !format!("{report:?}").contains("BEGIN PRIVATE KEY"),
        "the key is never shown"
    );
}

#[tokio::test]
async fn a_subject_without_an_admin_role_is_a_permission_to_grant() {
    let mut options = SandboxOptions::with_employees(3);
    options.deny = vec!["admin-role".into()];
    let report = test_with(|_| {}, options).await;
    assert_eq!(
        report.step("authenticated").unwrap().error_kind,
        None,
        "the token was issued"
    );
    let step = report.step("permission_read_users").unwrap();
    assert_eq!(step.error_kind, Some("permission"), "{step:?}");
    assert!(
        step.hint
            .as_deref()
            .unwrap_or_default()
            .contains("Users > Read"),
        "{step:?}"
    );
}

#[tokio::test]
async fn a_key_that_is_not_a_key_is_a_settings_error_on_its_field() {
    let report = test_with(
        |s| {
            s["service_account_key"]["private_key"] =
                json!("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        },
        SandboxOptions::with_employees(3),
    )
    .await;
    let first = report.first_failure().unwrap();
    assert!(
        first.message.contains("service_account_key.private_key"),
        "{first:?}"
    );
    assert!(first.message.contains("PKCS#8"), "{first:?}");
}

#[tokio::test]
async fn every_user_is_exported_once_across_page_tokens() {
    use connector_core::reexports::futures_util::StreamExt;
    let sandbox = start_with(SandboxOptions::with_employees(1_234), Behaviour::default())
        .await
        .unwrap();
    let connector = connector_google::descriptor()
        .connect_with(sandbox.settings.clone(), &sandbox.context())
        .unwrap();
    let export = connector
        .export_users(connector_core::ExportOptions::new())
        .unwrap();
    let users: Vec<_> = export.users.collect().await;
    let ids: std::collections::HashSet<String> = users.into_iter().map(|u| u.unwrap().id).collect();
    assert_eq!(ids.len(), 1_234);
    // Two passes of 500 per page: the ids by e-mail (managers), then the users.
    assert_eq!(sandbox.counters.requests(), 6);
}
