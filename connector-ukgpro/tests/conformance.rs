//! UKG Pro passes the SDK's conformance suite, with the embedded sandbox as its mock tenant.

use connector_core::sandbox::SandboxOptions;
use connector_core::testkit::{Conformance, MockTenant, Scenario};
use serde_json::json;

#[tokio::test]
async fn ukgpro_conforms() {
    let example = json!({
        "base_url": "https://service5.ultipro.com/services/",
        "username": "svc-directory-sync",
        "password": "Example-Password-1",
        "customer_api_key": "EXKEY",
        "user_api_key": "ExampleUserKey12",
    });
    Conformance::new(connector_ukgpro::descriptor(), example)
        .with_mock(|scenario| async move {
            let employees = match scenario {
                Scenario::Healthy { users } => users,
                _ => 0,
            };
            let sandbox =
                connector_ukgpro::sandbox::start(SandboxOptions::with_employees(employees))
                    .await
                    .expect("sandbox starts");
            let mut settings = sandbox.settings.clone();
            if scenario == Scenario::RejectCredentials {
                settings["password"] = json!("not-the-sandbox-password");
            }
            MockTenant::new(settings, sandbox)
        })
        .run()
        .await
        .assert_ok();
}
