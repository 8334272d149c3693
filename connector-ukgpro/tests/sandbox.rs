//! The embedded sandbox behaves like UKG Pro: credentials, permissions, paging, casing,
//! filters and faults, and the provider exports it exactly.

use connector_ukgpro::testing as support;

use std::collections::HashSet;
use std::time::Duration;

use connector_core::sandbox::SandboxOptions;
use connector_core::{test_connection, ErrorKind, ExportOptions, StepStatus, UserStatus};
use connector_ukgpro::sandbox::{self, CUSTOMER_API_KEY, PASSWORD, USERNAME};
use serde_json::Value;

fn options(employees: u64) -> SandboxOptions {
    SandboxOptions::with_employees(employees)
}

async fn get(base: &str, path: &str, auth: bool) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut req = client.get(format!("{base}{path}"));
    if auth {
        req = req
            .basic_auth(USERNAME, Some(PASSWORD))
            .header("US-Customer-Api-Key", CUSTOMER_API_KEY);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn speaks_ukg_paging_casing_and_filters() {
    let sb = sandbox::start(options(25)).await.unwrap();
    let base = &sb.base_url;
    let page: Vec<Value> = get(
        base,
        "/personnel/v1/person-details?page=2&per_Page=10",
        true,
    )
    .await
    .bytes()
    .await
    .map(|b| serde_json::from_slice(&b).unwrap())
    .unwrap();
    assert_eq!(page.len(), 10);
    assert_eq!(page[0]["employeeId"], "E0000010");
    assert!(
        page[0]["ssn"].is_string(),
        "personal data is there to be dropped"
    );
    assert_eq!(page[0]["middleName"], "", "empty values are \"\"");
    let last: Vec<Value> = get(
        base,
        "/personnel/v1/employment-details?page=3&per_page=10",
        true,
    )
    .await
    .bytes()
    .await
    .map(|b| serde_json::from_slice(&b).unwrap())
    .unwrap();
    assert_eq!(last.len(), 5);
    assert_eq!(last[0]["employeeID"], "E0000020");
    let beyond: Vec<Value> = get(
        base,
        "/personnel/v1/employment-details?page=4&per_Page=10",
        true,
    )
    .await
    .bytes()
    .await
    .map(|b| serde_json::from_slice(&b).unwrap())
    .unwrap();
    assert!(beyond.is_empty());
    let c2: Vec<Value> = get(base, "/personnel/v1/person-details?companyId=C1002", true)
        .await
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    let ids: Vec<_> = c2
        .iter()
        .map(|r| r["employeeId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["E0000007", "E0000008", "E0000017", "E0000018"]);
    // No paging parameters: the first 10,000 rows, like UKG.
    let all: Vec<Value> = get(base, "/personnel/v1/person-details", true)
        .await
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(all.len(), 25);
    assert_eq!(
        get(base, "/personnel/v1/person-details?page=0", true)
            .await
            .status(),
        400
    );
    assert_eq!(get(base, "/personnel/v1/nothing", true).await.status(), 404);
    assert!(sb.counters.requests() >= 7);
}

#[tokio::test]
async fn checks_credentials_like_ukg() {
    let sb = sandbox::start(options(5)).await.unwrap();
    assert_eq!(
        get(&sb.base_url, "/personnel/v1/person-details", false)
            .await
            .status(),
        401
    );
    let wrong_key = reqwest::Client::new()
        .get(format!("{}/personnel/v1/person-details", sb.base_url))
        .basic_auth(USERNAME, Some(PASSWORD))
        .header("US-Customer-Api-Key", "NOPE1")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    let report = test_connection(connector_ukgpro::descriptor(), sb.settings.clone()).await;
    assert!(report.passed, "{report:#?}");
    let mut bad = sb.settings.clone();
    bad["password"] = "guess".into();
    let report = test_connection(connector_ukgpro::descriptor(), bad).await;
    assert_eq!(
        report.step("authenticated").unwrap().error,
        Some(ErrorKind::Authentication)
    );
}

#[tokio::test]
async fn denied_permissions_fail_their_step() {
    let mut o = options(5);
    o.deny = vec!["personnel-integration".into()];
    let sb = sandbox::start(o).await.unwrap();
    let report = test_connection(connector_ukgpro::descriptor(), sb.settings.clone()).await;
    let statuses: Vec<_> = report.steps.iter().map(|s| s.status).collect();
    use StepStatus::*;
    assert_eq!(statuses, [Passed, Passed, Passed, Passed, Failed]);

    let mut o = options(5);
    o.deny = vec!["payroll".into()];
    let err = sandbox::start(o).await.unwrap_err();
    assert!(
        err.to_string().contains("unknown permission `payroll`"),
        "{err}"
    );
}

#[tokio::test]
async fn export_of_25001_employees_at_page_size_10000_is_exact() {
    let sb = sandbox::start(options(25_001)).await.unwrap();
    let (users, error) = support::export_all(sb.settings.clone(), ExportOptions::new()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(users.len(), 25_001);
    let ids: HashSet<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids.len(), 25_001, "every user exactly once");
    assert!(users
        .iter()
        .all(|u| u.first_name.is_some() && u.status != UserStatus::Unknown));
    let with_manager = users.iter().filter(|u| u.manager_id.is_some()).count();
    assert_eq!(with_manager, 25_000, "everyone but the root has a manager");
    let statuses: HashSet<_> = users.iter().map(|u| u.status).collect();
    for s in [
        UserStatus::Active,
        UserStatus::Leave,
        UserStatus::Terminated,
        UserStatus::Suspended,
        UserStatus::Inactive,
    ] {
        assert!(statuses.contains(&s), "{s} missing from the mix");
    }
    assert!(
        users.iter().filter(|u| u.email.is_none()).count() > 100,
        "some e-mails are missing"
    );
    let text = serde_json::to_string(&users).unwrap();
    assert!(
        !text.contains("Elm Street") && !text.contains("\"ssn\""),
        "personal data leaked"
    );
}

#[tokio::test]
async fn deterministic_across_runs() {
    let a = sandbox::start(options(40)).await.unwrap();
    let b = sandbox::start(options(40)).await.unwrap();
    let (ua, _) = support::export_all(a.settings.clone(), ExportOptions::new()).await;
    let (ub, _) = support::export_all(b.settings.clone(), ExportOptions::new()).await;
    assert_eq!(ua, ub);
}

#[tokio::test]
async fn malformed_page_fails_the_export_with_page_and_endpoint() {
    let mut o = options(300);
    o.malformed_page = Some(2);
    let sb = sandbox::start(o).await.unwrap();
    let (_, error) = support::export_all(
        sb.settings.clone(),
        ExportOptions::new().with_page_size(100),
    )
    .await;
    let text = error.expect("must fail").to_string();
    assert!(
        text.contains(
            "GET /personnel/v1/person-details: page 2: expected a JSON array, got an HTML page"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn faults_are_injected() {
    let mut o = options(10);
    o.rate_limit_per_minute = Some(2);
    let sb = sandbox::start(o).await.unwrap();
    let statuses: Vec<u16> = futures_util::future::join_all(
        (0..4).map(|_| get(&sb.base_url, "/personnel/v1/person-details", true)),
    )
    .await
    .iter()
    .map(|r| r.status().as_u16())
    .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let limited = get(&sb.base_url, "/personnel/v1/person-details", true).await;
    assert_eq!(limited.status(), 429);
    assert!(
        limited.headers().get("retry-after").is_none(),
        "UKG sends no Retry-After"
    );

    let mut o = options(10);
    o.error_rate = 0.5;
    let sb = sandbox::start(o).await.unwrap();
    let mut errors = 0;
    for _ in 0..100 {
        let status = get(&sb.base_url, "/personnel/v1/person-details", true)
            .await
            .status()
            .as_u16();
        assert!(status == 200 || status == 502 || status == 503, "{status}");
        errors += u32::from(status != 200);
    }
    assert!(
        (30..=70).contains(&errors),
        "{errors} of 100 failed at a 50% rate"
    );

    let mut o = options(10);
    o.latency = Duration::from_millis(150);
    let sb = sandbox::start(o).await.unwrap();
    let started = std::time::Instant::now();
    get(&sb.base_url, "/personnel/v1/person-details", true).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn injected_5xx_are_retried_and_the_export_stays_exact() {
    let mut o = options(3_000);
    o.error_rate = 0.2;
    let sb = sandbox::start(o).await.unwrap();
    let (users, error) = support::export_all(
        sb.settings.clone(),
        ExportOptions::new().with_page_size(250),
    )
    .await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(users.len(), 3_000);
    let ids: HashSet<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids.len(), 3_000, "no duplicates");
    // 2 endpoints x 13 pages = 26 pages were needed; failures must have cost extra requests.
    assert!(
        sb.counters.requests() > 26,
        "{} requests: no fault was injected",
        sb.counters.requests()
    );
}

#[tokio::test]
async fn without_retries_a_5xx_is_a_clear_error_naming_the_page() {
    let mut o = options(2_000);
    o.error_rate = 0.3;
    let sb = sandbox::start(o).await.unwrap();
    let mut settings = sb.settings.clone();
    settings["max_attempts"] = 1.into();
    let (_, error) = support::export_all(settings, ExportOptions::new().with_page_size(100)).await;
    let error = error.expect("30% 5xx over 40 requests must hit one");
    assert!(
        matches!(error.kind(), ErrorKind::Remote { status: 502 | 503 }),
        "{error}"
    );
    let text = error.to_string();
    assert!(text.contains("page "), "{text}");
    assert!(text.contains("server error (HTTP 50"), "{text}");
    assert!(error
        .hint()
        .unwrap()
        .contains("kept answering with server errors"));
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let sb = sandbox::start(options(1)).await.unwrap();
    let base = sb.base_url.clone();
    drop(sb);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let result = reqwest::Client::new()
        .get(format!("{base}/personnel/v1/person-details"))
        .send()
        .await;
    assert!(result.is_err(), "still answering after drop");
}
