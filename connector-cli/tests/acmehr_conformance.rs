//! The example third-party provider (examples/acmehr) passes the same conformance suite as
//! the built-in providers, in every scenario, and registers alongside them.

#[path = "../examples/acmehr/provider/mod.rs"]
#[allow(dead_code)]
mod provider;

use connector_core::sandbox::SandboxOptions;
use connector_core::testkit::{Conformance, MockTenant, Scenario};
use provider::sandbox::{start_mock, Behaviour};
use serde_json::{json, Value};
use std::sync::Arc;

/// What the export must say of employee `i` of the mock, stated from Acme's documented
/// record shape (not from the provider's mapping).
fn expected(i: u64) -> Value {
    let status = ["active", "active", "active", "leave", "terminated"][(i % 5) as usize];
    let raw = ["active", "active", "onboarding", "leave", "inactive"][(i % 5) as usize];
    let department = ["R&D", "Sales", "People"][(i % 3) as usize];
    json!({
        "email": format!("employee{i}@acme.example"),
        "first_name": format!("Given{i}"),
        "last_name": format!("Family{i}"),
        "status": status,
        "provider_status": raw,
        "manager_id": if i == 0 { Value::Null } else { json!(format!("E{:05}", (i - 1) / 5)) },
        "department": department,
    })
}

async fn mock(scenario: Scenario) -> MockTenant {
    let mut behaviour = Behaviour::default();
    let mut options = SandboxOptions::with_employees(3);
    match scenario {
        Scenario::Healthy { users } => options.employees = users,
        Scenario::Empty => options.employees = 0,
        Scenario::RejectCredentials => {}
        Scenario::DenyPermission => options.deny = vec![provider::check::SCOPE.into()],
        Scenario::Unreachable => {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = closed.local_addr().unwrap();
            drop(closed);
            let url = format!("http://{addr}/").parse().unwrap();
            let settings = json!({"client_id": "c", "client_secret": "unreachable-secret"});
            return MockTenant::new(settings, ()).with_endpoint(url);
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
    let (sandbox, issued, received) = start_mock(options, behaviour).await.expect("mock starts");
    let mut settings = sandbox.settings.clone();
    if scenario == Scenario::RejectCredentials {
        settings["client_secret"] = json!("not-the-secret-456");
    }
    let endpoint = sandbox.context().endpoint.expect("a URL");
    let mut tenant = MockTenant::new(settings, sandbox)
        .with_endpoint(endpoint)
        .with_issued_secrets(issued)
        .with_received_urls(Arc::new(move || {
            let urls = received();
            Box::pin(async move { urls })
        }));
    for i in 0..users.min(6) {
        tenant = tenant.expect_user(format!("E{i:05}"), expected(i));
    }
    tenant
}

#[tokio::test]
async fn the_example_provider_conforms() {
    let example = json!({"client_id": "acme-client-7f3a", "client_secret": "example-secret-123"});
    let report = Conformance::new(provider::descriptor(), example)
        .with_mock(mock)
        .run()
        .await;
    report.assert_ok();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}

#[test]
fn both_providers_are_registered() {
    std::hint::black_box(connector_ukgpro::descriptor());
    let ids: Vec<_> = connector_core::registry::providers()
        .iter()
        .map(|d| d.id())
        .collect();
    assert_eq!(ids, ["acmehr", "ukgpro"]);
}
