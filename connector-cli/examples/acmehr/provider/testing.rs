//! The mock tenant the example's tests share (compiled for tests only): the sandbox playing
//! every scenario of the conformance testkit, with what the export must find there, stated
//! from Acme's documented record shape rather than from the provider's mapping.

use std::sync::Arc;

use connector_core::sandbox::SandboxOptions;
use connector_core::testkit::{MockTenant, Scenario};
use serde_json::{json, Value};

use super::check::SCOPE;
use super::sandbox::{start_mock, Behaviour};

/// What the export must say of employee `i` of the mock.
pub fn expected(i: u64) -> Value {
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

/// Settings that point nowhere: a loopback port where nothing listens.
fn unreachable() -> MockTenant {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = closed.local_addr().expect("its address");
    drop(closed);
    let settings = json!({"client_id": "c", "client_secret": "unreachable-secret"});
    let url = format!("http://{addr}/").parse().expect("a URL");
    MockTenant::new(settings, ()).with_endpoint(url)
}

/// The mock tenant for `scenario`.
pub async fn mock(scenario: Scenario) -> MockTenant {
    let mut behaviour = Behaviour::default();
    let mut options = SandboxOptions::with_employees(3);
    match scenario {
        Scenario::Healthy { users } => options.employees = users,
        Scenario::Empty => options.employees = 0,
        Scenario::RejectCredentials => {}
        Scenario::DenyPermission => options.deny = vec![SCOPE.into()],
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
    let (sandbox, issued, received) = start_mock(options, behaviour).await.expect("mock starts");
    let mut settings = sandbox.settings.clone();
    if scenario == Scenario::RejectCredentials {
        settings["client_secret"] = json!("not-the-secret-456");
    }
    let context = sandbox.context();
    let mut tenant = MockTenant::new(settings, sandbox)
        .with_context(context)
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
