//! The UKG Pro user export against a paged UKG-like mock.

use connector_ukgpro::testing as support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use connector_core::{Connector, ErrorKind, ExportOptions, ExportSummary, User, UserStatus};
use futures_util::StreamExt;
use jiff::civil::date;
use support::*;
use wiremock::ResponseTemplate;

fn connector(base: &str) -> Box<dyn Connector> {
    connector_ukgpro::descriptor()
        .connect(settings(base))
        .expect("valid settings")
}

/// Runs an export to the end: the users (by id), the error if any, and the summary.
async fn export(
    base: &str,
    options: ExportOptions,
) -> (
    BTreeMap<String, User>,
    Option<connector_core::Error>,
    ExportSummary,
) {
    // The SDK's entry point: the provider's stream with the shared filters and checks.
    let export = connector_core::export_users(&*connector(base), options).unwrap();
    let stats = export.stats.clone();
    let mut users = BTreeMap::new();
    let mut error = None;
    let mut stream = export.users;
    while let Some(item) = stream.next().await {
        match item {
            Ok(u) => {
                let key = format!("{}/{}", u.company_id.clone().unwrap_or_default(), u.id);
                assert!(
                    users.insert(key.clone(), u).is_none(),
                    "duplicate user {key}"
                );
            }
            Err(e) => error = Some(e),
        }
    }
    (users, error, stats.snapshot())
}

#[tokio::test]
async fn fixture_export_joins_maps_and_reports() {
    let server = ukg(
        Paged::new(fixture("person")),
        Paged::new(fixture("employment")),
    )
    .await;
    let (users, error, summary) = export(&server.uri(), ExportOptions::new()).await;
    assert!(error.is_none(), "{error:?}");
    let ids: Vec<_> = users.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        ["C1/E100", "C1/E101", "C1/E102", "C1/E300", "C2/E200", "C2/E201"]
    );

    let ana = &users["C1/E100"];
    assert_eq!(ana.display_name.as_deref(), Some("Ana Diaz"));
    assert_eq!(ana.first_name.as_deref(), Some("Anabel"));
    assert_eq!(ana.username.as_deref(), Some("adiaz"));
    assert_eq!(ana.email.as_deref(), Some("ana.diaz@acme.example"));
    assert_eq!(ana.alternate_email, None, "\"\" is null");
    assert_eq!(ana.job_title.as_deref(), Some("Payroll Manager"));
    assert_eq!(ana.department.as_deref(), Some("FIN"));
    assert_eq!(ana.manager_id.as_deref(), Some("E101"));
    assert_eq!(ana.employee_number.as_deref(), Some("000100"));
    assert_eq!(
        (ana.status, ana.provider_status.as_deref()),
        (UserStatus::Active, Some("A"))
    );
    assert_eq!(ana.hire_date, Some(date(2015, 6, 1)));
    assert_eq!(
        ana.updated_at,
        Some(date(2024, 5, 6).at(7, 8, 9, 123_000_000))
    );

    let bob = &users["C1/E101"];
    assert_eq!(bob.display_name.as_deref(), Some("Robert Smith"));
    assert_eq!(bob.email, None);
    assert_eq!(bob.alternate_email.as_deref(), Some("bob@home.example"));
    assert_eq!(
        bob.job_title.as_deref(),
        Some("Accountant"),
        "falls back to jobDescription"
    );
    assert_eq!(bob.status, UserStatus::Leave);
    assert_eq!(bob.hire_date, Some(date(2008, 9, 15)));
    assert_eq!(
        bob.updated_at,
        Some(date(2023, 3, 2).at(16, 5, 6, 0)),
        "US date shape"
    );

    let li = &users["C2/E200"];
    assert_eq!(li.status, UserStatus::Terminated);
    assert_eq!(li.termination_date, Some(date(2024, 3, 31)));
    assert_eq!(li.email.as_deref(), Some("hr@acme.example"));
    let maria = &users["C2/E201"];
    assert_eq!(maria.status, UserStatus::Inactive);
    assert_eq!(
        maria.employee_number.as_deref(),
        Some("201"),
        "a number where text is expected"
    );
    assert_eq!(maria.hire_date, Some(date(2012, 7, 1)));
    assert_eq!(maria.email, li.email, "shared e-mails are kept");

    let nora = &users["C1/E102"];
    assert_eq!(nora.status, UserStatus::Unknown, "no employment partner");
    assert_eq!(nora.display_name.as_deref(), Some("Nora Quinn"));
    let intern = &users["C1/E300"];
    assert_eq!(intern.status, UserStatus::Suspended);
    assert_eq!(intern.first_name, None, "no person partner");
    assert_eq!(intern.hire_date, Some(date(2024, 6, 15)));

    assert_eq!(summary.malformed, 1);
    assert_eq!(summary.malformed_samples.len(), 1);
    let sample = &summary.malformed_samples[0];
    assert!(
        sample.contains("person-details page 1, record 5: no employee id (company C1)"),
        "{sample}"
    );
    assert!(
        !sample.contains("Ghost"),
        "personal data in a malformed-record report: {sample}"
    );
    assert_eq!(
        summary.partial["person-details without employment-details"],
        1
    );
    assert_eq!(
        summary.partial["employment-details without person-details"],
        1
    );
    assert_eq!(summary.records, 11);

    let all = serde_json::to_string(&users).unwrap() + &format!("{users:?}{summary:?}");
    for personal in [
        "111-22-3333",
        "222-33-4444",
        "333-44-5555",
        "999-88-7777",
        "1985-04-12",
        "1979",
        "555-0100",
        "Secret Lane",
        "Ghost",
    ] {
        assert!(!all.contains(personal), "{personal} leaked into the export");
    }
}

#[tokio::test]
async fn many_pages_are_fetched_concurrently_and_every_user_appears_once() {
    let (persons, employments) = generated(2_500);
    let server = ukg(Paged::new(persons), Paged::new(employments)).await;
    let (users, error, summary) =
        export(&server.uri(), ExportOptions::new().with_page_size(1_000)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(users.len(), 2_500);
    assert!(users
        .values()
        .all(|u| u.first_name.is_some() && u.status != UserStatus::Unknown));
    assert!(summary.partial.is_empty(), "{summary:?}");
    for endpoint in [PERSON, EMPLOYMENT] {
        let pages = pages_requested(&server, endpoint).await;
        for p in 1..=3 {
            assert!(
                pages.contains(&p),
                "{endpoint}: page {p} not fetched: {pages:?}"
            );
        }
        assert!(
            pages.iter().all(|p| *p <= 3 + 8),
            "{endpoint}: look-ahead unbounded: {pages:?}"
        );
    }
}

#[tokio::test]
async fn exact_multiple_fetches_the_empty_page_and_stops() {
    let (persons, employments) = generated(20_000);
    let server = ukg(Paged::new(persons), Paged::new(employments)).await;
    let (users, error, summary) = export(&server.uri(), ExportOptions::new()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(users.len(), 20_000);
    for endpoint in [PERSON, EMPLOYMENT] {
        let mut pages = pages_requested(&server, endpoint).await;
        pages.sort_unstable();
        assert_eq!(&pages[..3], [1, 2, 3], "{endpoint}");
        assert!(pages.len() <= 4, "{endpoint}: {pages:?}");
    }
    let requests = server.received_requests().await.unwrap();
    assert!(requests
        .iter()
        .all(|r| r.url.query().unwrap_or("").contains("per_Page=10000")));
    assert!(summary.records >= 40_000);
}

#[tokio::test]
async fn zero_employees_is_an_empty_export() {
    let server = ukg(Paged::new(vec![]), Paged::new(vec![])).await;
    let (users, error, summary) = export(&server.uri(), ExportOptions::new()).await;
    assert!(error.is_none(), "{error:?}");
    assert!(users.is_empty());
    assert_eq!(summary.records, 0);
}

#[tokio::test]
async fn company_and_status_filters() {
    let server = ukg(
        Paged::new(fixture("person")),
        Paged::new(fixture("employment")),
    )
    .await;
    let (users, _, _) = export(&server.uri(), ExportOptions::new().with_company("C2")).await;
    let ids: Vec<_> = users.keys().map(String::as_str).collect();
    assert_eq!(ids, ["C2/E200", "C2/E201"]);
    let requests = server.received_requests().await.unwrap();
    assert!(requests
        .iter()
        .all(|r| r.url.query().unwrap_or("").contains("companyId=C2")));

    let options = ExportOptions::new().with_statuses(vec![UserStatus::Active, UserStatus::Leave]);
    let (users, _, summary) = export(&server.uri(), options).await;
    let ids: Vec<_> = users.keys().map(String::as_str).collect();
    assert_eq!(ids, ["C1/E100", "C1/E101"]);
    assert_eq!(summary.filtered_out, 4);
}

#[tokio::test]
async fn an_html_page_fails_the_export_naming_endpoint_and_page() {
    let (persons, employments) = generated(300);
    let html = ResponseTemplate::new(200)
        .insert_header("content-type", "text/html")
        .set_body_string("<html><body>Please sign in</body></html>");
    let server = ukg(
        Paged::new(persons),
        Paged::new(employments).with_fault(2, html),
    )
    .await;
    let (_, error, _) = export(&server.uri(), ExportOptions::new().with_page_size(100)).await;
    let error = error.expect("the export must fail");
    assert_eq!(error.kind(), &ErrorKind::Protocol);
    let text = error.to_string();
    assert!(
        text.contains("GET /personnel/v1/employment-details"),
        "{text}"
    );
    assert!(
        text.contains("page 2: expected a JSON array, got an HTML page"),
        "{text}"
    );
    assert!(!text.contains("sign in"), "{text}");
}

#[tokio::test]
async fn a_json_object_or_broken_json_page_is_an_error() {
    let server = ukg(
        Paged::new(vec![]).with_fault(
            1,
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"items": []})),
        ),
        Paged::new(vec![]),
    )
    .await;
    let (_, error, _) = export(&server.uri(), ExportOptions::new()).await;
    assert!(error
        .unwrap()
        .to_string()
        .contains("page 1: expected a JSON array, got a JSON object"));

    let server = ukg(
        Paged::new(vec![]).with_fault(
            1,
            ResponseTemplate::new(200).set_body_string("[{\"employeeId\": \"E1\","),
        ),
        Paged::new(vec![]),
    )
    .await;
    let (_, error, _) = export(&server.uri(), ExportOptions::new()).await;
    let text = error.unwrap().to_string();
    assert!(
        text.contains("page 1: expected a JSON array, got a body that ends before the JSON array is complete (truncated)"),
        "{text}"
    );

    let server = ukg(
        Paged::new(vec![]).with_fault(
            1,
            ResponseTemplate::new(200)
                .set_body_string(r#"[{"employeeId": "E1"}, {"employeeId": "E2" "x": 1}]"#),
        ),
        Paged::new(vec![]),
    )
    .await;
    let (_, error, _) = export(&server.uri(), ExportOptions::new()).await;
    let text = error.unwrap().to_string();
    assert!(
        text.contains("page 1: expected a JSON array, got invalid JSON in record 2"),
        "{text}"
    );
}

#[tokio::test]
async fn permission_errors_surface_with_the_permission_name() {
    let server = ukg(
        Paged::new(vec![]),
        Paged::new(vec![]).with_fault(1, ResponseTemplate::new(403)),
    )
    .await;
    let (_, error, _) = export(&server.uri(), ExportOptions::new()).await;
    let error = error.unwrap();
    assert_eq!(
        error.kind(),
        &ErrorKind::Permission {
            permission: "Personnel Integration".into()
        }
    );
    assert!(error
        .hint()
        .unwrap()
        .contains("View on the \u{201c}Personnel Integration\u{201d}"));
}

#[tokio::test]
async fn users_stream_out_before_the_export_finishes() {
    let (persons, employments) = generated(300);
    let slow = |records| Paged::new(records);
    let mut person = slow(persons);
    let mut employment = slow(employments);
    // Page 3 of both endpoints takes far longer than the test allows.
    let delayed = |records: &[serde_json::Value]| {
        ResponseTemplate::new(200)
            .set_body_json(records)
            .set_delay(Duration::from_secs(30))
    };
    let (p, e) = generated(300);
    person.faults.push((3, delayed(&p[200..])));
    employment.faults.push((3, delayed(&e[200..])));
    let server = ukg(person, employment).await;
    let started = Instant::now();
    let mut stream = connector(&server.uri())
        .export_users(ExportOptions::new().with_page_size(100))
        .unwrap()
        .users;
    let mut received = 0;
    while received < 200 {
        stream.next().await.expect("a user").expect("no error");
        received += 1;
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the first 200 users waited for the slow page"
    );
}
