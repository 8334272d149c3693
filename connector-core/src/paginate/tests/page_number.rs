//! Page-number listings without a total (UKG Pro's shape): pages until a short one, several
//! requests in flight and the pages in order, and the guards against a server that does not
//! move forward.

use super::*;

/// A page-number API whose answer to `(page, per_page)` is `answer`'s.
struct Numbered<F>(F, Arc<AtomicUsize>);

impl<F: Fn(u64, u64) -> ResponseTemplate + Send + Sync + 'static> Respond for Numbered<F> {
    fn respond(&self, req: &Seen) -> ResponseTemplate {
        self.1.fetch_add(1, Ordering::SeqCst);
        let num = |n: &str| param(req, n).and_then(|v| v.parse::<u64>().ok());
        (self.0)(num("page").unwrap_or(1), num("per_page").unwrap_or(100))
    }
}

/// Records `ids` as a bare array.
fn records(ids: impl Iterator<Item = u64>) -> ResponseTemplate {
    let items: Vec<Value> = ids.map(|i| json!({"id": format!("u{i:05}")})).collect();
    ResponseTemplate::new(200).set_body_json(items)
}

/// A server answering with `answer`, and its request counter.
async fn numbered(
    answer: impl Fn(u64, u64) -> ResponseTemplate + Send + Sync + 'static,
) -> (MockServer, HttpClient, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(path("/list"))
        .respond_with(Numbered(answer, calls.clone()))
        .mount(&server)
        .await;
    let http = plain_client(&server.uri());
    (server, http, calls)
}

/// A well-behaved server with `total` records.
async fn honest(total: u64) -> (MockServer, HttpClient, Arc<AtomicUsize>) {
    numbered(move |page, per| {
        let start = (page - 1).saturating_mul(per);
        records(start.min(total)..start.saturating_add(per).min(total))
    })
    .await
}

fn listing(page_size: u32, look_ahead: usize) -> Listing {
    Listing::new(Request::get("/list"))
        .page_number("page", "per_page")
        .page_size(page_size)
        .look_ahead(look_ahead)
}

/// Each page's (number, records) until the end, or the error that ended it.
async fn pages(listing: Listing, http: &HttpClient) -> Vec<crate::Result<(u32, usize)>> {
    listing
        .pages::<Value>(http)
        .unwrap()
        .map(|p| p.map(|p| (p.number, p.items.len())))
        .collect()
        .await
}

#[tokio::test]
async fn an_exact_multiple_ends_with_the_empty_page() {
    let (_server, http, _) = honest(20).await;
    let got: Vec<_> = pages(listing(10, 1), &http)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, [(1, 10), (2, 10), (3, 0)]);
}

#[tokio::test]
async fn an_empty_listing_is_one_empty_page() {
    let (_server, http, calls) = honest(0).await;
    let got: Vec<_> = pages(listing(100, 4), &http)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, [(1, 0)]);
    assert!(calls.load(Ordering::SeqCst) <= 4);
}

#[tokio::test]
async fn look_ahead_is_bounded_and_pages_stay_in_order() {
    let (_server, http, calls) = honest(1_005).await;
    let got: Vec<_> = pages(listing(100, 4), &http)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let numbers: Vec<u32> = got.iter().map(|p| p.0).collect();
    assert_eq!(numbers, (1..=11).collect::<Vec<_>>());
    assert_eq!(got.last(), Some(&(11, 5)));
    // At most look_ahead - 1 speculative requests past the last page.
    let made = calls.load(Ordering::SeqCst);
    assert!((11..=14).contains(&made), "{made} requests");
    assert_eq!(
        ids(listing(100, 4), &http).await.unwrap(),
        expected(1_005),
        "every record once, in order"
    );
}

#[tokio::test]
async fn a_listing_that_cycles_is_stopped_at_the_first_repeat() {
    // Pages alternate A, B, A, B, … and are always full.
    let (_server, http, calls) =
        numbered(|page, _| records(if page % 2 == 1 { 1..3 } else { 3..5 })).await;
    let got = pages(listing(2, 1), &http).await;
    assert_eq!(got.len(), 3);
    let err = got[2].as_ref().unwrap_err();
    assert!(err.message().contains("page 3 repeats page 1"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_server_that_ignores_the_page_number_is_stopped() {
    let (_server, http, calls) = numbered(|_, _| records(1..4)).await;
    let got = pages(listing(3, 2), &http).await;
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    let err = got[1].as_ref().unwrap_err();
    assert!(err.message().contains("page 2 repeats page 1"), "{err}");
    assert!(calls.load(Ordering::SeqCst) <= 3);
}

#[tokio::test]
async fn a_server_that_repeats_the_last_page_plus_one_record_is_stopped() {
    // Page n holds records n..n+10: each page is the previous one shifted by one.
    let (_server, http, calls) = numbered(|page, _| records(page..page + 10)).await;
    let got = pages(listing(10, 1), &http).await;
    assert_eq!(got.len(), 2, "stopped at the second page");
    let err = got[1].as_ref().unwrap_err();
    assert!(
        err.message()
            .contains("page 2: 9 of its 10 records were already listed"),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_error_ends_the_listing_and_names_the_page() {
    let (_server, http, calls) = numbered(|page, per| match page {
        2 => ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
        _ => records((page - 1) * per..page * per),
    })
    .await;
    let got = pages(listing(2, 1), &http).await;
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    let err = got[1].as_ref().unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Protocol);
    assert!(
        err.message().starts_with("page 2: expected a JSON array"),
        "{err}"
    );
    assert_eq!(err.endpoint(), Some("GET /list"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_lenient_listing_skips_records_of_the_wrong_shape_but_not_broken_json() {
    #[derive(Debug, serde::Deserialize)]
    struct Rec {
        #[allow(dead_code)]
        id: String,
    }
    let (_server, http, _) = numbered(|page, _| match page {
        1 => ResponseTemplate::new(200).set_body_string(r#"[{"id": "a"}, {"id": 7}, {"id": "c"}]"#),
        _ => ResponseTemplate::new(200).set_body_string(r#"[{"id": "d"}, {"id": "e" "x": 1}]"#),
    })
    .await;
    let mut stream = listing(3, 1).lenient().pages::<Rec>(&http).unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.malformed.len(), 1, "{:?}", first.malformed);
    assert!(
        first.malformed[0].starts_with("record 2: `id`: invalid type"),
        "{:?}",
        first.malformed
    );
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(
        err.message()
            .contains("page 2: expected a JSON array, got invalid JSON in record 2"),
        "{err}"
    );
}
