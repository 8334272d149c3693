//! The UKG Pro connection test against wiremock servers that answer like UKG Pro.

use connector_core::{test_connection, ErrorKind, NetworkKind, StepStatus, TestReport};
use serde_json::{json, Value};
use wiremock::matchers::{header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use connector_ukgpro::testing::{
    settings, BASIC_B64, CUSTOMER_KEY, EMPLOYMENT, PASSWORD, PERSON, USER,
};

const USER_KEY: &str = "UserKey12Abc";

fn basic() -> String {
    format!("Basic {BASIC_B64}")
}

fn one_row() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([{"employeeId": "E1", "companyId": "C1"}]))
}

/// A UKG-like server: 401 without the right Basic header and customer key; otherwise the
/// given templates for each endpoint.
async fn ukg(person: ResponseTemplate, employment: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    for (p, template) in [(PERSON, person), (EMPLOYMENT, employment)] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("authorization", basic().as_str()))
            .and(header("us-customer-api-key", CUSTOMER_KEY))
            .and(query_param("page", "1"))
            .and(query_param("per_Page", "1"))
            .respond_with(template)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    // Catch-all: anything else (wrong credentials, unexpected request) is a 401, loudly.
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

async fn run(raw: Value) -> TestReport {
    test_connection(connector_ukgpro::descriptor(), raw).await
}

fn statuses(report: &TestReport) -> Vec<(&'static str, StepStatus)> {
    report.steps.iter().map(|s| (s.id, s.status)).collect()
}

use StepStatus::{Failed, Passed, Skipped};

#[tokio::test]
async fn all_steps_pass_and_every_request_carries_both_credentials() {
    let server = ukg(one_row(), one_row()).await;
    let report = run(settings(&server.uri())).await;
    assert!(report.passed, "{report:#?}");
    assert_eq!(
        statuses(&report),
        [
            ("settings", Passed),
            ("reachable", Passed),
            ("authenticated", Passed),
            ("permission_employee_person_details", Passed),
            ("permission_personnel_integration", Passed),
        ]
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one request per endpoint");
    for r in &requests {
        assert_eq!(r.headers["authorization"], basic().as_str());
        assert_eq!(r.headers["us-customer-api-key"], CUSTOMER_KEY);
        assert!(
            r.headers.get("api-key").is_none(),
            "no user API key configured"
        );
        assert!(r.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("connector-sdk/"));
    }
}

#[tokio::test]
async fn user_api_key_is_sent_as_api_key_when_given() {
    let server = MockServer::start().await;
    Mock::given(header_exists("api-key"))
        .and(header("api-key", USER_KEY))
        .respond_with(one_row())
        .mount(&server)
        .await;
    let mut raw = settings(&server.uri());
    raw["user_api_key"] = json!(USER_KEY);
    let report = run(raw).await;
    assert!(report.passed, "{report:#?}");
    let requests: Vec<Request> = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.headers["api-key"] == USER_KEY));
}

#[tokio::test]
async fn wrong_credentials_fail_authentication_and_skip_the_rest() {
    let server = ukg(one_row(), one_row()).await;
    let mut raw = settings(&server.uri());
    raw["customer_api_key"] = json!("WRONG");
    let report = run(raw).await;
    assert_eq!(
        statuses(&report),
        [
            ("settings", Passed),
            ("reachable", Passed),
            ("authenticated", Failed),
            ("permission_employee_person_details", Skipped),
            ("permission_personnel_integration", Skipped),
        ]
    );
    let auth = report.step("authenticated").unwrap();
    assert_eq!(auth.error, Some(ErrorKind::Authentication));
    let hint = auth.hint.as_deref().unwrap();
    for word in [
        "username",
        "password",
        "customer_api_key",
        "Service Account Administration",
    ] {
        assert!(hint.contains(word), "hint lacks {word}: {hint}");
    }
    // The fields to fix, as data (a settings form points at them; JSON carries them).
    assert_eq!(
        auth.hint_fields,
        ["username", "password", "customer_api_key"]
    );
    let json = serde_json::to_value(&report).unwrap();
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(
        steps[2]["hint_fields"],
        json!(["username", "password", "customer_api_key"])
    );
    assert!(steps[1].get("hint_fields").is_none(), "absent when none");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "later steps must not run"
    );
}

#[tokio::test]
async fn missing_personnel_integration_fails_only_that_step() {
    let server = ukg(one_row(), ResponseTemplate::new(403)).await;
    let report = run(settings(&server.uri())).await;
    assert_eq!(
        statuses(&report),
        [
            ("settings", Passed),
            ("reachable", Passed),
            ("authenticated", Passed),
            ("permission_employee_person_details", Passed),
            ("permission_personnel_integration", Failed),
        ]
    );
    let step = report.step("permission_personnel_integration").unwrap();
    assert_eq!(
        step.error,
        Some(ErrorKind::Permission {
            permission: "Personnel Integration".into()
        })
    );
    let hint = step.hint.as_deref().unwrap();
    assert!(
        hint.contains("View on the \u{201c}Personnel Integration\u{201d} web service"),
        "{hint}"
    );
}

#[tokio::test]
async fn missing_person_details_permission_still_checks_the_other() {
    let server = ukg(ResponseTemplate::new(403), one_row()).await;
    let report = run(settings(&server.uri())).await;
    assert_eq!(
        statuses(&report),
        [
            ("settings", Passed),
            ("reachable", Passed),
            ("authenticated", Passed),
            ("permission_employee_person_details", Failed),
            ("permission_personnel_integration", Passed),
        ]
    );
    let hint = report
        .step("permission_employee_person_details")
        .unwrap()
        .hint
        .clone()
        .unwrap();
    assert!(hint.contains("Employee Person Details"), "{hint}");
}

#[tokio::test]
async fn unreachable_host_fails_the_network_step() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let report = run(settings(&format!("http://{addr}"))).await;
    assert_eq!(
        statuses(&report),
        [
            ("settings", Passed),
            ("reachable", Failed),
            ("authenticated", Skipped),
            ("permission_employee_person_details", Skipped),
            ("permission_personnel_integration", Skipped),
        ]
    );
    let step = report.step("reachable").unwrap();
    assert_eq!(
        step.error,
        Some(ErrorKind::Network(NetworkKind::Connect)),
        "{step:?}"
    );
}

#[tokio::test]
async fn unknown_host_is_a_dns_failure_with_a_ukg_hint() {
    let report = run(settings("https://no-such-tenant.invalid")).await;
    let step = report.step("reachable").unwrap();
    assert_eq!(step.status, Failed);
    assert_eq!(
        step.error,
        Some(ErrorKind::Network(NetworkKind::Dns)),
        "{step:?}"
    );
    assert!(
        step.hint
            .as_deref()
            .unwrap()
            .contains("check base_url for typos"),
        "{step:?}"
    );
    assert!(
        step.hint.as_deref().unwrap().contains("Web Services"),
        "{step:?}"
    );
    assert_eq!(step.hint_fields, ["base_url"]);
}

#[tokio::test]
async fn https_to_a_non_tls_server_is_a_tls_failure() {
    let server = ukg(one_row(), one_row()).await;
    let report = run(settings(&format!("https://{}", server.address()))).await;
    let step = report.step("reachable").unwrap();
    assert_eq!(
        step.error,
        Some(ErrorKind::Network(NetworkKind::Tls)),
        "{step:?}"
    );
    assert_eq!(step.hint_fields, ["base_url"], "{step:?}");
}

#[tokio::test]
async fn html_login_page_is_a_clear_protocol_failure() {
    let html = ResponseTemplate::new(200)
        .insert_header("content-type", "text/html")
        .set_body_string("<!DOCTYPE html><html><body>Sign in</body></html>");
    let server = ukg(html, ResponseTemplate::new(200)).await;
    let report = run(settings(&server.uri())).await;
    // A 200 login page is not a verdict on the credentials: "authenticated" fails.
    let auth = report.step("authenticated").unwrap();
    assert_eq!(auth.status, Failed);
    assert_eq!(auth.error, Some(ErrorKind::Protocol));
    assert!(
        auth.message
            .contains("expected a JSON array, got an HTML page"),
        "{auth:?}"
    );
    assert!(
        !auth.message.contains("Sign in"),
        "body content must not be quoted"
    );
    assert!(
        auth.hint
            .as_deref()
            .unwrap_or("")
            .contains("not the login page"),
        "{auth:?}"
    );
    let person = report.step("permission_employee_person_details").unwrap();
    assert_eq!(person.status, Skipped);
}

#[tokio::test]
async fn an_empty_200_list_answer_fails_the_permission_step() {
    let server = ukg(one_row(), ResponseTemplate::new(200)).await;
    let report = run(settings(&server.uri())).await;
    let employment = report.step("permission_personnel_integration").unwrap();
    assert_eq!(employment.status, Failed, "an empty 200 body is not a list");
    assert!(
        employment.message.contains("an empty body"),
        "{employment:?}"
    );
}

#[tokio::test]
async fn empty_401_body_is_still_an_authentication_failure() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401).insert_header("content-type", "application/json"))
        .mount(&server)
        .await;
    let report = run(settings(&server.uri())).await;
    assert_eq!(
        report.step("authenticated").unwrap().error,
        Some(ErrorKind::Authentication)
    );
}

#[tokio::test]
async fn invalid_settings_fail_first_and_nothing_is_contacted() {
    let server = ukg(one_row(), one_row()).await;
    let raw = json!({"base_url": server.uri(), "username": USER, "colour": "blue"});
    let report = run(raw).await;
    assert_eq!(report.steps[0].status, Failed);
    assert!(report.steps[1..].iter().all(|s| s.status == Skipped));
    let message = &report.steps[0].message;
    for field in ["password", "customer_api_key", "colour"] {
        assert!(message.contains(field), "{field} missing from {message}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_secret_in_the_report_or_debug_output() {
    let server = ukg(one_row(), ResponseTemplate::new(403)).await;
    let mut raw = settings(&server.uri());
    raw["user_api_key"] = json!(USER_KEY);
    let report = run(raw.clone()).await;
    let connector = connector_ukgpro::descriptor().connect(raw).unwrap();
    let shown = format!(
        "{}\n{report:?}\n{connector:?}",
        serde_json::to_string(&report).unwrap()
    );
    for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, &basic()[6..]] {
        assert!(!shown.contains(secret), "leaked {secret}");
    }
}
