//! UKG Pro passes the SDK's conformance suite against the shared UKG-like mock
//! (`connector_ukgpro::testing`), in every scenario a UKG tenant can play.

use connector_core::testkit::{Conformance, MockTenant, Scenario};
use connector_ukgpro::testing::{generated, settings, ukg, Paged, EMPLOYMENT, PERSON};
use serde_json::{json, Value};
use std::sync::Arc;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

/// UKG's status codes as the SDK's statuses, stated here independently of the provider.
fn status(code: &str) -> &'static str {
    match code {
        "A" => "active",
        "L" => "leave",
        "T" => "terminated",
        other => panic!("no status for {other}"),
    }
}

/// The generated tenant, with supervisors, and what the export must say of some users.
fn tenant(users: usize) -> (Vec<Value>, Vec<Value>, Vec<(String, Value)>) {
    let (persons, mut employments) = generated(users);
    for (i, e) in employments.iter_mut().enumerate() {
        e["supervisorID"] = if i == 0 {
            Value::Null
        } else {
            json!(format!("G{:07}", (i - 1) / 5))
        };
    }
    let expected = (0..users.min(6))
        .map(|i| {
            let (p, e) = (&persons[i], &employments[i]);
            let fields = json!({
                "email": p["emailAddress"],
                "first_name": p["firstName"],
                "last_name": p["lastName"],
                "status": status(e["employeeStatusCode"].as_str().unwrap_or_default()),
                "manager_id": e["supervisorID"],
                "company_id": p["companyId"],
                "job_title": e["jobTitle"],
            });
            (
                p["employeeId"].as_str().unwrap_or_default().to_owned(),
                fields,
            )
        })
        .collect();
    (persons, employments, expected)
}

async fn mock(scenario: Scenario) -> MockTenant {
    let users = match scenario {
        Scenario::Healthy { users }
        | Scenario::RateLimited { users }
        | Scenario::MalformedRecord { users }
        | Scenario::WithheldFields { users } => users as usize,
        Scenario::Empty | Scenario::RejectCredentials | Scenario::DenyPermission => 3,
        Scenario::Unreachable => {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = closed.local_addr().unwrap();
            drop(closed);
            return MockTenant::new(settings(&format!("http://{addr}")), ());
        }
        // Basic credentials and API keys do not expire.
        _ => return MockTenant::unsupported(),
    };
    let (mut persons, mut employments, expected) = tenant(users);
    if scenario == Scenario::Empty {
        persons.clear();
        employments.clear();
    }
    if let Scenario::MalformedRecord { .. } = scenario {
        // One employee whose records carry no id: UKG's lenient decoding must count them.
        persons[4].as_object_mut().unwrap().remove("employeeId");
        employments[4].as_object_mut().unwrap().remove("employeeID");
    }
    if let Scenario::WithheldFields { .. } = scenario {
        // Two employees' employment records withheld (Personnel Integration not showing
        // them): their person details arrive without a partner.
        employments.drain(1..3);
    }
    let mut employment = Paged::new(employments);
    if scenario == Scenario::DenyPermission {
        employment = employment.with_fault(1, ResponseTemplate::new(403));
    }
    let server = ukg(Paged::new(persons), employment).await;
    if let Scenario::RateLimited { .. } = scenario {
        for p in [PERSON, EMPLOYMENT] {
            Mock::given(path(p))
                .respond_with(ResponseTemplate::new(429))
                .up_to_n_times(1)
                .with_priority(1)
                .mount(&server)
                .await;
        }
    }
    let mut settings = settings(&server.uri());
    if scenario == Scenario::RejectCredentials {
        settings["password"] = json!("not-the-password");
    }
    let server = Arc::new(server);
    let seen = server.clone();
    let mut tenant = MockTenant::new(settings, server).with_received_urls(Arc::new(move || {
        let seen = seen.clone();
        Box::pin(async move {
            let requests = seen.received_requests().await.unwrap_or_default();
            requests.iter().map(|r| r.url.to_string()).collect()
        })
    }));
    for (id, fields) in expected {
        tenant = tenant.expect_user(id, fields);
    }
    tenant
}

#[tokio::test]
async fn ukgpro_conforms() {
    let example = json!({
        "base_url": "https://service5.ultipro.com/services/",
        "username": "svc-directory-sync",
        "password": "Example-Password-1",
        "customer_api_key": "EXKEY",
        "user_api_key": "ExampleUserKey12",
    });
    let report = Conformance::new(connector_ukgpro::descriptor(), example)
        .with_mock(mock)
        .run()
        .await;
    report.assert_ok();
    assert!(
        report
            .passed
            .iter()
            .any(|p| p.contains("no secret in stderr")),
        "{:?}",
        report.passed
    );
    // UKG Pro's two endpoints are two sections: the mock withholds one for two employees.
    assert!(
        report.passed.iter().any(|p| p.contains("withheld section")),
        "{:?}",
        report.skipped
    );
}
