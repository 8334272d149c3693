//! The example third-party provider (examples/acmehr) passes the same conformance suite as
//! the built-in providers, and registers alongside them.

#[path = "../examples/acmehr/provider/mod.rs"]
#[allow(dead_code)]
mod provider;

use connector_core::sandbox::SandboxOptions;
use connector_core::testkit::{Conformance, MockTenant, Scenario};
use serde_json::json;

#[tokio::test]
async fn the_example_provider_conforms() {
    let example = json!({"client_id": "acme-client-7f3a", "client_secret": "example-secret-123"});
    Conformance::new(provider::descriptor(), example)
        .with_mock(|scenario| async move {
            let users = match scenario {
                Scenario::Healthy { users } => users,
                _ => 0,
            };
            let tenant = provider::sandbox::start_with(
                SandboxOptions::with_employees(users),
                provider::sandbox::Behaviour::default(),
            )
            .await
            .expect("mock starts");
            let mut settings = tenant.settings.clone();
            if scenario == Scenario::RejectCredentials {
                settings["client_secret"] = json!("not-the-secret-456");
            }
            let context = tenant.context();
            MockTenant::new(settings, tenant).with_endpoint(context.endpoint.expect("url"))
        })
        .run()
        .await
        .assert_ok();
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
