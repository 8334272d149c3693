//! UKG Pro's change feed against wiremock servers: paging through employee-changes, a gateway
//! that ignores paging, and reading the named employees by `employeeId`.

use connector_core::ErrorKind;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use connector_ukgpro::testing::settings;

fn feed_of(server: &MockServer) -> Box<dyn connector_core::Connector> {
    let mut s = settings(&server.uri());
    s["page_size"] = json!(2);
    connector_ukgpro::descriptor().connect(s).unwrap()
}

fn change(id: &str) -> serde_json::Value {
    json!({"employeeId": id, "companyId": "C1", "firstName": "X", "employeeStatus": "A"})
}

fn window() -> (jiff::Timestamp, jiff::Timestamp) {
    (
        "2026-01-05T12:00:00Z".parse().unwrap(),
        "2026-01-06T12:00:00Z".parse().unwrap(),
    )
}

#[tokio::test]
async fn the_feed_pages_until_a_short_page_and_reads_each_named_employee() {
    let server = MockServer::start().await;
    for (page, body) in [
        ("1", json!([change("E1"), change("E2")])),
        ("2", json!([change("E3")])),
    ] {
        Mock::given(method("GET"))
            .and(path("/personnel/v1/employee-changes"))
            .and(query_param("page", page))
            .and(query_param("startDate", "2026-01-05T12:00:00Z"))
            .and(query_param("endDate", "2026-01-06T12:00:00Z"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    for id in ["E1", "E3"] {
        Mock::given(method("GET"))
            .and(path("/personnel/v1/person-details"))
            .and(query_param("employeeId", id))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!([{"employeeId": id, "companyId": "C1", "firstName": "Ann", "lastName": id}]),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/personnel/v1/employment-details"))
            .and(query_param("employeeId", id))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!([{"employeeID": id, "companyID": "C1", "employeeStatusCode": "A"}]),
            ))
            .mount(&server)
            .await;
    }
    // E2 is gone: both lookups answer nothing.
    Mock::given(method("GET"))
        .and(query_param("employeeId", "E2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let connector = feed_of(&server);
    let feed = connector.change_feed().expect("UKG Pro has a change feed");
    assert_eq!(feed.min_window(), std::time::Duration::from_secs(3 * 3600));
    assert_eq!(feed.permission(), "Employee Export");
    let (since, until) = window();
    let named = feed.changed(since, until).await.unwrap();
    let ids: Vec<&str> = named.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["E1", "E2", "E3"]);
    let found = feed.fetch(&named).await.unwrap();
    let found: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|u| (u.id.as_str(), u.last_name.as_deref()))
        .collect();
    assert_eq!(found, [("E1", Some("E1")), ("E3", Some("E3"))]);
}

#[tokio::test]
async fn a_gateway_that_ignores_paging_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/personnel/v1/employee-changes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([change("E1"), change("E2")])))
        .mount(&server)
        .await;
    let connector = feed_of(&server);
    let (since, until) = window();
    let e = connector
        .change_feed()
        .unwrap()
        .changed(since, until)
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Protocol), "{e}");
    assert!(e.to_string().contains("page 2 repeats page 1"), "{e}");
}

#[tokio::test]
async fn a_missing_permission_says_which() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/personnel/v1/employee-changes"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let connector = feed_of(&server);
    let (since, until) = window();
    let e = connector
        .change_feed()
        .unwrap()
        .changed(since, until)
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Permission { .. }), "{e}");
    assert!(
        e.hint().unwrap_or("").contains("Employee Export"),
        "{:?}",
        e.hint()
    );
}
