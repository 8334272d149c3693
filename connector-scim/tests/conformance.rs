//! The SCIM provider passes the SDK's conformance suite with its sandbox as the mock tenant.

use connector_core::sandbox::SandboxOptions;
use connector_core::testkit::{Conformance, MockTenant, Scenario};
use connector_scim::sandbox::{start_with, Behaviour, READ_USERS};
use serde_json::{json, Value};

/// What the export must say of user `i`, from the sandbox's documented records.
fn expected(i: u64) -> Value {
    json!({
        "email": format!("user{i}@scim.example"),
        "first_name": format!("Given{i}"),
        "last_name": format!("Family{i}"),
        "status": if i % 5 == 4 { "inactive" } else { "active" },
        "manager_id": if i == 0 { Value::Null } else { json!(format!("id-{:06}", (i - 1) / 5)) },
        "employee_number": format!("{:05}", 10_000 + i),
        "username": format!("user{i}"),
    })
}

async fn mock(scenario: Scenario) -> MockTenant {
    let mut options = SandboxOptions::with_employees(3);
    let mut behaviour = Behaviour::default();
    match scenario {
        Scenario::Healthy { users } => options.employees = users,
        Scenario::Empty => options.employees = 0,
        Scenario::RejectCredentials => {}
        Scenario::DenyPermission => options.deny = vec![READ_USERS.into()],
        Scenario::Unreachable => {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = closed.local_addr().unwrap();
            drop(closed);
            let settings = json!({"base_url": format!("http://{addr}/scim/v2"), "auth": {"method": "bearer", "token": "unreachable-token"}});
            return MockTenant::new(settings, ());
        }
        Scenario::RateLimited { users } => {
            options.employees = users;
            behaviour.throttle_first = 2;
        }
        Scenario::MalformedRecord { users } => {
            options.employees = users;
            behaviour.malformed = Some(4);
        }
        // A static token does not expire.
        _ => return MockTenant::unsupported(),
    }
    let users = options.employees;
    let sandbox = start_with(options, behaviour)
        .await
        .expect("sandbox starts");
    let mut settings = sandbox.settings.clone();
    if scenario == Scenario::RejectCredentials {
        settings["auth"]["token"] = json!("not-the-token-123");
    }
    let mut tenant = MockTenant::new(settings, sandbox);
    for i in 0..users.min(6) {
        tenant = tenant.expect_user(format!("id-{i:06}"), expected(i));
    }
    tenant
}

#[tokio::test]
async fn scim_conforms() {
    let example = json!({
        "base_url": "https://idp.example.com/scim/v2",
        "auth": {"method": "basic", "username": "svc", "password": "Example-Password-1"},
    });
    let report = Conformance::new(connector_scim::descriptor(), example)
        .with_mock(mock)
        .run()
        .await;
    report.assert_ok();
}

#[tokio::test]
async fn a_refusal_quotes_the_scim_error_detail() {
    let mut options = SandboxOptions::with_employees(3);
    options.deny = vec![READ_USERS.into()];
    let sandbox = start_with(options, Behaviour::default()).await.unwrap();
    let report =
        connector_core::test_connection(connector_scim::descriptor(), sandbox.settings.clone())
            .await;
    let step = report.step("users_readable").unwrap();
    assert_eq!(step.error_kind, Some("permission"));
    assert!(
        step.message
            .contains("the service says: this token may not read users"),
        "{}",
        step.message
    );
    assert_eq!(
        report.step("authenticated").unwrap().error_kind,
        None,
        "403 is not 401"
    );
}

#[tokio::test]
async fn a_malformed_filter_is_refused_before_any_request() {
    let sandbox = start_with(SandboxOptions::with_employees(3), Behaviour::default())
        .await
        .unwrap();
    let mut settings = sandbox.settings.clone();
    settings["filter"] = json!("active eq");
    let report = connector_core::test_connection(connector_scim::descriptor(), settings).await;
    let first = report.first_failure().unwrap();
    assert_eq!(first.id, "settings");
    assert!(first.message.contains("filter"), "{}", first.message);
    assert_eq!(sandbox.counters.requests(), 0);
}

#[tokio::test]
async fn cursor_paging_is_used_when_the_service_announces_it() {
    let behaviour = Behaviour {
        cursor: true,
        ..Behaviour::default()
    };
    let sandbox = start_with(SandboxOptions::with_employees(137), behaviour)
        .await
        .unwrap();
    let connector = connector_scim::descriptor()
        .connect(sandbox.settings.clone())
        .unwrap();
    let export = connector_core::export_users(
        &*connector,
        connector_core::ExportOptions::new().with_page_size(40),
    )
    .unwrap();
    use futures_util::StreamExt;
    let users: Vec<_> = export.users.collect().await;
    let ids: std::collections::HashSet<String> = users.into_iter().map(|u| u.unwrap().id).collect();
    // The sandbox ignores startIndex in this mode: only cursors reach every user.
    assert_eq!(ids.len(), 137);
    // The configuration, then pages of 40: 40, 40, 40, 17.
    assert_eq!(sandbox.counters.requests(), 5);
}
