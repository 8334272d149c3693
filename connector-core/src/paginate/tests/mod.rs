//! Listing strategies and end rules against a loopback fake API that pages like real ones and
//! misbehaves on request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::{json, Value};
use url::Url;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request as Seen, Respond, ResponseTemplate};

use super::*;
use crate::auth::NoAuth;
use crate::error::ErrorKind;
use crate::http::{HttpClient, HttpConfig, Request};

/// A client without credentials for `base`.
fn plain_client(base: &str) -> HttpClient {
    HttpClient::new(
        "t",
        Url::parse(base).unwrap(),
        NoAuth,
        HttpConfig::default(),
    )
    .unwrap()
}

/// A fake with one quirk set by `set`.
async fn quirky(
    total: u64,
    set: impl FnOnce(&mut Quirks),
) -> (MockServer, HttpClient, Arc<AtomicUsize>) {
    let mut quirks = Quirks::default();
    set(&mut quirks);
    fake(total, quirks).await
}

/// How the fake misbehaves.
#[derive(Clone, Copy, Default)]
struct Quirks {
    /// Returns at most this many records per page, whatever was asked.
    cap: Option<u64>,
    /// Ignores the offset (always the first page).
    ignore_offset: bool,
    /// Returns more than asked (limit + 50).
    oversize: bool,
    /// Reports a total this much higher than the records it has.
    total_bonus: u64,
    /// Reports a different total on every request after the first.
    drifting_total: bool,
}

struct Fake {
    total: u64,
    quirks: Quirks,
    calls: Arc<AtomicUsize>,
}

fn param(req: &Seen, name: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Respond for Fake {
    fn respond(&self, req: &Seen) -> ResponseTemplate {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) as u64;
        let q = self.quirks;
        let num = |name| param(req, name).and_then(|v| v.parse::<u64>().ok());
        let mut limit = num("limit").unwrap_or(100);
        if q.oversize {
            limit += 50;
        }
        if let Some(cap) = q.cap {
            limit = limit.min(cap);
        }
        let offset = if q.ignore_offset {
            0
        } else {
            num("offset").unwrap_or(0)
        };
        let ids: Vec<Value> = (offset..(offset + limit).min(self.total))
            .map(|i| json!({"id": format!("u{i:05}")}))
            .collect();
        let reported = self.total + q.total_bonus + if q.drifting_total { call } else { 0 };
        ResponseTemplate::new(200).set_body_json(json!({
            "data": ids,
            "metadata": {"total_elements": reported},
        }))
    }
}

async fn fake(total: u64, quirks: Quirks) -> (MockServer, HttpClient, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(path("/v1/users"))
        .respond_with(Fake {
            total,
            quirks,
            calls: calls.clone(),
        })
        .mount(&server)
        .await;
    let http = plain_client(&server.uri());
    (server, http, calls)
}

fn offset_listing(page_size: u32) -> Listing {
    Listing::new(Request::get("/v1/users"))
        .records_at("/data")
        .offset("offset", "limit")
        .total_at("/metadata/total_elements")
        .page_size(page_size)
}

/// Every id listed, in order, or the first error.
async fn ids(listing: Listing, http: &HttpClient) -> crate::Result<Vec<String>> {
    let mut pages = listing.pages::<Value>(http)?;
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        for item in page?.items {
            out.push(item["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    Ok(out)
}

fn expected(total: u64) -> Vec<String> {
    (0..total).map(|i| format!("u{i:05}")).collect()
}

#[tokio::test]
async fn offset_pages_are_exact_at_every_page_size() {
    let (_server, http, _) = quirky(1200, |q| q.cap = Some(500)).await;
    for size in [1, 7, 100, 499, 500] {
        let listing = offset_listing(size).max_page_size(500).look_ahead(4);
        assert_eq!(
            ids(listing, &http).await.unwrap(),
            expected(1200),
            "page size {size}"
        );
    }
    let empty = fake(0, Quirks::default()).await;
    assert!(ids(offset_listing(10), &empty.1).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_page_size_above_the_declared_maximum_is_refused_before_any_request() {
    let (_server, http, calls) = quirky(1200, |q| q.cap = Some(500)).await;
    let err = ids(offset_listing(2000).max_page_size(500), &http)
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidSettings(_)), "{err}");
    assert_eq!(err.field_errors()[0].field, "page_size");
    assert!(err.field_errors()[0].message.contains("500"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_server_that_caps_pages_silently_is_caught_by_the_total() {
    let (_server, http, _) = quirky(1200, |q| q.cap = Some(500)).await;
    let err = ids(offset_listing(1000), &http).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Protocol);
    assert!(
        err.message()
            .contains("page 1 has 500 records where 1000 were due"),
        "{err}"
    );
}

#[tokio::test]
async fn pages_larger_than_asked_are_refused() {
    let (_server, http, _) = quirky(1200, |q| q.oversize = true).await;
    let err = ids(offset_listing(100), &http).await.unwrap_err();
    // Refused while the page streams in: memory is bounded by records, not only bytes.
    assert!(
        err.message()
            .contains("more than the 100 records asked for in one page (stopped reading)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_that_ignores_the_offset_is_stopped() {
    let (_server, http, calls) = quirky(1200, |q| q.ignore_offset = true).await;
    let err = ids(offset_listing(100).look_ahead(2), &http)
        .await
        .unwrap_err();
    assert!(err.message().contains("page 2 repeats page 1"), "{err}");
    assert!(calls.load(Ordering::SeqCst) <= 4);
}

#[tokio::test]
async fn a_count_short_of_the_total_is_an_error() {
    let (_server, http, _) = quirky(250, |q| q.total_bonus = 1).await;
    let err = ids(offset_listing(100), &http).await.unwrap_err();
    assert!(
        err.message().contains("where 51 were due")
            || err.message().contains("reported a total of 251"),
        "{err}"
    );
    let err = ids(
        Listing::new(Request::get("/v1/users"))
            .records_at("/data")
            .total_at("/metadata/total_elements"),
        &http,
    )
    .await
    .unwrap_err();
    assert!(
        err.message()
            .contains("listed 100 records but the server reported a total of 251"),
        "{err}"
    );
}

#[tokio::test]
async fn a_total_that_changes_mid_listing_is_an_error() {
    let (_server, http, _) = quirky(300, |q| q.drifting_total = true).await;
    let err = ids(offset_listing(100), &http).await.unwrap_err();
    assert!(
        err.message().contains("the total changed from 300"),
        "{err}"
    );
}

#[tokio::test]
async fn page_numbers_without_a_total_stop_at_the_short_page() {
    let server = MockServer::start().await;
    struct Numbered;
    impl Respond for Numbered {
        fn respond(&self, req: &Seen) -> ResponseTemplate {
            let page: u64 = param(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let per: u64 = param(req, "per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(10);
            let items: Vec<Value> = ((page - 1) * per..(page * per).min(25))
                .map(|i| json!({"id": format!("u{i:05}")}))
                .collect();
            ResponseTemplate::new(200).set_body_json(items)
        }
    }
    Mock::given(path("/list"))
        .respond_with(Numbered)
        .mount(&server)
        .await;
    let http = plain_client(&server.uri());
    let listing = Listing::new(Request::get("/list"))
        .page_number("page", "per_page")
        .page_size(10);
    assert_eq!(ids(listing, &http).await.unwrap(), expected(25));
}

mod page_number;
mod sequential;
