//! The example third-party provider (examples/acmehr) passes the same conformance suite as
//! the built-in providers, and registers alongside them.

#[path = "../examples/acmehr/provider.rs"]
#[allow(dead_code)]
mod provider;

use connector_core::testkit::{Conformance, MockTenant, Scenario};
use serde_json::json;

#[tokio::test]
async fn the_example_provider_conforms() {
    let example =
        json!({"api_url": "yourcompany.acmehr.example", "api_token": "example-token-123"});
    Conformance::new(provider::descriptor(), example)
        .with_mock(|scenario| async move {
            let users = match scenario {
                Scenario::Healthy { users } => users,
                _ => 0,
            };
            let token = if scenario == Scenario::RejectCredentials {
                "wrong-token-456"
            } else {
                provider::mock::TOKEN
            };
            let tenant = provider::mock::start(users, token)
                .await
                .expect("mock starts");
            MockTenant::new(tenant.settings.clone(), tenant)
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
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, ["acmehr", "ukgpro"]);
}
