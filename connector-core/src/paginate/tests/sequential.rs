//! Cursor, next-link, advancing (SCIM) and unpaged listings, and lenient decoding.

use super::*;

/// A cursor API: `pages` lists each page's ids and the cursor it hands out.
struct Cursors {
    pages: Vec<(Vec<u64>, Option<&'static str>)>,
    total: Option<u64>,
}

impl Respond for Cursors {
    fn respond(&self, req: &Seen) -> ResponseTemplate {
        let index = match param(req, "cursor").as_deref() {
            None => 0,
            Some(c) => c.trim_start_matches('c').parse::<usize>().unwrap_or(0),
        };
        let (ids, next) = &self.pages[index.min(self.pages.len() - 1)];
        let data: Vec<Value> = ids
            .iter()
            .map(|i| json!({"id": format!("u{i:05}")}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "data": data,
            "next_cursor": next,
            "total": self.total,
        }))
    }
}

async fn cursor_api(api: Cursors) -> (MockServer, HttpClient) {
    let server = MockServer::start().await;
    Mock::given(path("/c"))
        .respond_with(api)
        .mount(&server)
        .await;
    let http = plain_client(&server.uri());
    (server, http)
}

fn cursor_listing() -> Listing {
    Listing::new(Request::get("/c"))
        .records_at("/data")
        .cursor("cursor", "/next_cursor", Some("limit"))
        .page_size(3)
}

#[tokio::test]
async fn cursors_are_followed_and_short_pages_are_fine() {
    let (_s, http) = cursor_api(Cursors {
        pages: vec![
            (vec![0, 1, 2], Some("c1")),
            (vec![3], Some("c2")),
            (vec![4, 5], None),
        ],
        total: Some(6),
    })
    .await;
    let listing = cursor_listing().total_at("/total");
    assert_eq!(ids(listing, &http).await.unwrap(), expected(6));
}

/// A server that answers every page with the previous page's records plus one new one, each
/// time with a fresh cursor (no cursor repeats, no page repeats record for record): stopped at
/// the second page, not after hundreds of thousands of requests.
#[tokio::test]
async fn a_listing_that_repeats_the_last_page_plus_one_record_is_stopped() {
    struct Creeping(Arc<AtomicUsize>);
    impl Respond for Creeping {
        fn respond(&self, req: &Seen) -> ResponseTemplate {
            self.0.fetch_add(1, Ordering::SeqCst);
            let n: u64 = param(req, "cursor")
                .and_then(|c| c.trim_start_matches('c').parse().ok())
                .unwrap_or(0);
            let data: Vec<Value> = (n..n + 3)
                .map(|i| json!({"id": format!("u{i:05}")}))
                .collect();
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": data, "next_cursor": format!("c{}", n + 1)}))
        }
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let server = MockServer::start().await;
    Mock::given(path("/c"))
        .respond_with(Creeping(calls.clone()))
        .mount(&server)
        .await;
    let http = plain_client(&server.uri());
    let err = ids(cursor_listing(), &http).await.unwrap_err();
    assert!(
        err.message()
            .contains("page 2: 2 of its 3 records were already listed"),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// Pages that keep coming after the reported total was reached (new records each time) end
/// the listing: the total is a request budget.
#[tokio::test]
async fn pages_past_the_reported_total_are_refused() {
    let (_s, http) = cursor_api(Cursors {
        pages: vec![
            (vec![0, 1, 2], Some("c1")),
            (vec![3, 4, 5], Some("c2")),
            (vec![6, 7, 8], Some("c3")),
            (vec![9, 10, 11], None),
        ],
        total: Some(6),
    })
    .await;
    let err = ids(cursor_listing().total_at("/total"), &http)
        .await
        .unwrap_err();
    assert!(
        err.message()
            .contains("page 3 comes after all 6 records the server reported"),
        "{err}"
    );
}

#[tokio::test]
async fn a_cursor_cycle_is_stopped() {
    let (_s, http) = cursor_api(Cursors {
        pages: vec![
            (vec![0, 1, 2], Some("c1")),
            (vec![3, 4, 5], Some("c2")),
            (vec![6], Some("c1")),
        ],
        total: None,
    })
    .await;
    let err = ids(cursor_listing(), &http).await.unwrap_err();
    assert!(
        err.message()
            .contains("page 3 returned a cursor already used"),
        "{err}"
    );
}

#[tokio::test]
async fn a_cursor_listing_short_of_its_total_is_an_error() {
    let (_s, http) = cursor_api(Cursors {
        pages: vec![(vec![0, 1, 2], Some("c1")), (vec![3], None)],
        total: Some(10),
    })
    .await;
    let err = ids(cursor_listing().total_at("/total"), &http)
        .await
        .unwrap_err();
    assert!(
        err.message()
            .contains("listed 4 records but the server reported a total of 10"),
        "{err}"
    );
}

/// A next-link API under a path prefix; `links[i]` is page i's next link.
struct Links {
    links: Vec<Option<String>>,
}

impl Respond for Links {
    fn respond(&self, req: &Seen) -> ResponseTemplate {
        let page: usize = param(req, "p").and_then(|p| p.parse().ok()).unwrap_or(0);
        let value: Vec<Value> = (page * 2..page * 2 + 2)
            .map(|i| json!({"id": format!("u{i:05}")}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "value": value,
            "@odata.nextLink": self.links.get(page).cloned().flatten(),
        }))
    }
}

async fn link_api(links: impl Fn(&str) -> Vec<Option<String>>) -> (MockServer, HttpClient) {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/users"))
        .respond_with(Links {
            links: links(&server.uri()),
        })
        .mount(&server)
        .await;
    let base = Url::parse(&format!("{}/api/v2", server.uri())).unwrap();
    let http = plain_client(base.as_str());
    (server, http)
}

fn link_listing() -> Listing {
    Listing::new(Request::get("/users"))
        .records_at("/value")
        .next_link("/@odata.nextLink", Some("top"))
        .page_size(2)
}

#[tokio::test]
async fn next_links_are_followed_relative_or_absolute() {
    let (_server, http) = link_api(|uri| {
        vec![
            Some("users?p=1".into()),
            Some(format!("{uri}/api/v2/users?p=2")),
            None,
        ]
    })
    .await;
    assert_eq!(ids(link_listing(), &http).await.unwrap(), expected(6));
}

/// A listing's declared headers go on every page, next links included (Graph's
/// `ConsistencyLevel: eventual` queries fail from page 2 without it).
#[tokio::test]
async fn declared_headers_are_sent_on_every_page() {
    let (server, http) =
        link_api(|_| vec![Some("users?p=1".into()), Some("users?p=2".into()), None]).await;
    let listing = Listing::new(Request::get("/users").header_value(
        reqwest::header::HeaderName::from_static("consistencylevel"),
        reqwest::header::HeaderValue::from_static("eventual"),
    ))
    .records_at("/value")
    .next_link("/@odata.nextLink", Some("top"))
    .page_size(2);
    assert_eq!(ids(listing, &http).await.unwrap(), expected(6));
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 3);
    for request in seen {
        assert_eq!(
            request
                .headers
                .get("consistencylevel")
                .map(|v| v.to_str().unwrap()),
            Some("eventual"),
            "{}",
            request.url
        );
    }
}

#[tokio::test]
async fn next_links_to_another_origin_or_back_are_refused() {
    let (_s, http) = link_api(|_| vec![Some("https://evil.example/steal?token=x".into())]).await;
    let err = ids(link_listing(), &http).await.unwrap_err();
    assert!(
        err.message()
            .contains("links to another origin (https://evil.example)"),
        "{err}"
    );
    let (_s, http) = link_api(|_| vec![Some("users?p=1".into()), Some("users?top=2".into())]).await;
    let err = ids(link_listing(), &http).await.unwrap_err();
    assert!(
        err.message().contains("links back to a page already read"),
        "{err}"
    );
    assert!(
        !err.message().contains("p=0"),
        "query values are redacted: {err}"
    );
}

#[tokio::test]
async fn unpaged_lists_are_one_request() {
    let (_server, http, calls) = fake(40, Quirks::default()).await;
    let listing =
        Listing::new(Request::get("/v1/users").query("limit", "1000")).records_at("/data");
    assert_eq!(ids(listing, &http).await.unwrap(), expected(40));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn lenient_listings_skip_and_describe_malformed_records() {
    let server = MockServer::start().await;
    Mock::given(path("/l"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "a"}, {"id": 12345, "name": "Secret Name"}, {"id": "c"},
                {"id": "d", "manager": {"id": "Secret \"Quoted\" Manager"}}],
        })))
        .mount(&server)
        .await;
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Rec {
        id: String,
        manager: Option<Manager>,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Manager {
        id: u64,
    }
    let http = plain_client(&server.uri());
    let strict = Listing::new(Request::get("/l")).records_at("/data");
    let mut pages = strict.clone().pages::<Rec>(&http).unwrap();
    let err = pages.next().await.unwrap().err().expect("strict fails");
    // Strict: refused by field, without the value, and not called broken JSON.
    assert!(
        err.message().contains(
            "a record is not of the shape the connector reads: record 2: `id`: invalid type"
        ),
        "{err}"
    );
    assert!(!err.message().contains("12345"), "{err}");
    assert!(!err.to_string().contains("login page"), "{err}");
    let mut pages = strict.lenient().pages::<Rec>(&http).unwrap();
    let page = pages.next().await.unwrap().unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.malformed.len(), 2);
    assert!(
        page.malformed[0].starts_with("record 2: `id`: invalid type: integer"),
        "{:?}",
        page.malformed
    );
    assert!(
        page.malformed[1].starts_with("record 4: `manager.id`: invalid type: string"),
        "{:?}",
        page.malformed
    );
    let said = page.malformed.join(" ");
    for value in ["12345", "Secret", "Quoted", "Manager\"", "line 1"] {
        assert!(!said.contains(value), "values are not quoted: {said}");
    }
}

#[tokio::test]
async fn unpaged_lists_are_not_limited_to_the_page_size() {
    let (_server, http, _) = fake(250, Quirks::default()).await;
    let listing =
        Listing::new(Request::get("/v1/users").query("limit", "1000")).records_at("/data");
    assert_eq!(listing.page_size_value(), 100);
    assert_eq!(ids(listing, &http).await.unwrap(), expected(250));
}

/// A SCIM-like server: `startIndex` (1-based) and `count`, capped at `cap` per page.
struct Scim {
    total: u64,
    cap: u64,
}

impl Respond for Scim {
    fn respond(&self, req: &Seen) -> ResponseTemplate {
        let num = |n: &str| param(req, n).and_then(|v| v.parse::<u64>().ok());
        let start = num("startIndex").unwrap_or(1).max(1);
        let count = num("count").unwrap_or(100).min(self.cap);
        let first = start - 1;
        let end = (first + count).min(self.total);
        let items: Vec<Value> = (first.min(end)..end)
            .map(|i| json!({"id": format!("u{i:05}")}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "totalResults": self.total,
            "startIndex": start,
            "itemsPerPage": items.len(),
            "Resources": items,
        }))
    }
}

#[tokio::test]
async fn advancing_listings_follow_what_the_server_returns() {
    let server = MockServer::start().await;
    Mock::given(path("/scim/v2/Users"))
        .respond_with(Scim { total: 47, cap: 10 })
        .mount(&server)
        .await;
    let http = plain_client(&format!("{}/scim/v2", server.uri()));
    let listing = |size| {
        Listing::new(Request::get("/Users"))
            .records_at("/Resources")
            .advancing("startIndex", "count")
            .total_at("/totalResults")
            .page_size(size)
    };
    // The server caps pages at 10: asking for 25 still gets everyone exactly once.
    for size in [1, 7, 10, 25] {
        assert_eq!(
            ids(listing(size), &http).await.unwrap(),
            expected(47),
            "size {size}"
        );
    }
}
