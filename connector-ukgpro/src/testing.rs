//! The UKG-Pro-like mock shared by every test that needs one (feature `test-support`): it
//! serves `person-details` and `employment-details` as bare JSON arrays with `page` /
//! `per_Page` (or `per_page`, max 10,000) and the `companyId` filter, and answers 401 unless
//! the request carries the expected Basic header and customer API key. Its credentials are
//! canaries: leak tests look for them on every stream.
#![allow(missing_docs)]

use std::sync::Arc;

use serde_json::{json, Value};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const USER: &str = "svc-sync";
pub const PASSWORD: &str = "Pw-Canary-31337";
pub const CUSTOMER_KEY: &str = "CK9Z1";
/// base64("svc-sync:Pw-Canary-31337")
pub const BASIC_B64: &str = "c3ZjLXN5bmM6UHctQ2FuYXJ5LTMxMzM3";
pub const PERSON: &str = "/personnel/v1/person-details";
pub const EMPLOYMENT: &str = "/personnel/v1/employment-details";

pub fn fixture(name: &str) -> Vec<Value> {
    let text = match name {
        "person" => include_str!("../tests/resources/person-details.json"),
        "employment" => include_str!("../tests/resources/employment-details.json"),
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture parses")
}

pub fn settings(base: &str) -> Value {
    json!({
        "base_url": base,
        "username": USER,
        "password": PASSWORD,
        "customer_api_key": CUSTOMER_KEY,
    })
}

/// `n` generated employees, alternating between companies C1 and C2.
pub fn generated(n: usize) -> (Vec<Value>, Vec<Value>) {
    let persons = (0..n)
        .map(|i| {
            json!({
                "employeeId": format!("G{i:07}"),
                "companyId": if i % 2 == 0 { "C1" } else { "C2" },
                "firstName": format!("First{i}"),
                "lastName": format!("Last{i}"),
                "emailAddress": format!("user{i}@acme.example"),
                "ssn": "000-00-0000",
            })
        })
        .collect();
    let employments = (0..n)
        .map(|i| {
            let status = ["A", "A", "A", "L", "T"][i % 5];
            json!({
                "employeeID": format!("G{i:07}"),
                "companyID": if i % 2 == 0 { "C1" } else { "C2" },
                "jobTitle": "Associate",
                "employeeStatusCode": status,
                "originalHireDate": "2020-01-01T00:00:00",
            })
        })
        .collect();
    (persons, employments)
}

/// Serves one endpoint's records by page.
pub struct Paged {
    records: Arc<Vec<Value>>,
    /// Page numbers (1-based) answered with this template instead.
    pub faults: Vec<(u32, ResponseTemplate)>,
}

impl Paged {
    pub fn new(records: Vec<Value>) -> Self {
        Paged {
            records: Arc::new(records),
            faults: Vec::new(),
        }
    }

    pub fn with_fault(mut self, page: u32, template: ResponseTemplate) -> Self {
        self.faults.push((page, template));
        self
    }
}

fn param(req: &Request, names: &[&str]) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| names.contains(&k.as_ref()))
        .map(|(_, v)| v.into_owned())
}

fn company_of(record: &Value) -> Option<&str> {
    record
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("companyId"))
        .and_then(|(_, v)| v.as_str())
}

impl Respond for Paged {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: u32 = param(req, &["page"])
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1);
        if let Some((_, t)) = self.faults.iter().find(|(p, _)| *p == page) {
            return t.clone();
        }
        let per: usize = param(req, &["per_Page", "per_page"])
            .and_then(|p| p.parse().ok())
            .unwrap_or(10_000)
            .clamp(1, 10_000);
        let company = param(req, &["companyId"]);
        let matching: Vec<&Value> = self
            .records
            .iter()
            .filter(|r| company.is_none() || company_of(r) == company.as_deref())
            .collect();
        let start = (page as usize - 1).saturating_mul(per).min(matching.len());
        let end = (start + per).min(matching.len());
        ResponseTemplate::new(200).set_body_json(&matching[start..end])
    }
}

/// Starts the mock with the two endpoints, on a server of its own: wiremock's pooled servers
/// are handed to the next test once dropped, and a page request an earlier test left in
/// flight could then be recorded as this test's.
pub async fn ukg(person: Paged, employment: Paged) -> MockServer {
    let server = MockServer::builder().start().await;
    let basic = format!("Basic {BASIC_B64}");
    for (p, responder) in [(PERSON, person), (EMPLOYMENT, employment)] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(header("authorization", basic.as_str()))
            .and(header("us-customer-api-key", CUSTOMER_KEY))
            .respond_with(responder)
            // Priority 1 is left to tests that layer a fault on top.
            .with_priority(2)
            .mount(&server)
            .await;
    }
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

/// Runs a UKG export to the end through the SDK's export plumbing (filters, duplicates,
/// ceiling), as the CLI does: the users, and the error that ended it early, if any.
pub async fn export_all(
    settings: Value,
    options: connector_core::ExportOptions,
) -> (Vec<connector_core::User>, Option<connector_core::Error>) {
    let (users, error, _) = export_with_stats(settings, options).await;
    (users, error)
}

/// [`export_all`], with the export's statistics at the end.
pub async fn export_with_stats(
    settings: Value,
    options: connector_core::ExportOptions,
) -> (
    Vec<connector_core::User>,
    Option<connector_core::Error>,
    connector_core::ExportSummary,
) {
    use futures_util::StreamExt;
    let connector = crate::descriptor()
        .connect(settings)
        .expect("valid settings");
    let export = connector_core::export_users(&*connector, options).expect("export starts");
    let stats = export.stats.clone();
    let mut stream = export.users;
    let mut users = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(u) => users.push(u),
            Err(e) => return (users, Some(e), stats.snapshot()),
        }
    }
    (users, None, stats.snapshot())
}

/// Pages requested per endpoint, in arrival order.
pub async fn pages_requested(server: &MockServer, endpoint: &str) -> Vec<u32> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == endpoint)
        .filter_map(|r| param(r, &["page"]).and_then(|p| p.parse().ok()))
        .collect()
}
