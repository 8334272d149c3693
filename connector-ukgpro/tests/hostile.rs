//! Hostile or broken servers: every case ends with a clear error (or a correct export), no
//! panic, no endless loop, no duplicated users, bounded memory.

use connector_ukgpro::testing as support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use connector_core::{ErrorKind, ExportOptions, NetworkKind};
use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::any;
use wiremock::{Mock, ResponseTemplate};

/// A raw HTTP server answering every request with `head` and then `body`, written in pieces
/// of `piece` bytes every `pause`, then closing the connection.
async fn raw_server(head: String, body: Vec<u8>, piece: usize, pause: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (head, body) = (head.clone(), body.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for chunk in body.chunks(piece.max(1)) {
                    if socket.write_all(chunk).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(pause).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_server_that_ignores_the_page_number_is_stopped_without_duplicates() {
    let (persons, _) = generated(50);
    let server = ukg(Paged::new(vec![]), Paged::new(vec![])).await;
    // Every request, whatever its page, gets the same full page: an endless listing.
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(&persons))
        .with_priority(1)
        .mount(&server)
        .await;
    let (users, error) = export_all(
        settings(&server.uri()),
        ExportOptions::new().with_page_size(50),
    )
    .await;
    let error = error.expect("must stop");
    assert_eq!(error.kind(), &ErrorKind::Protocol);
    assert!(
        error.to_string().contains("page 2 repeats page 1"),
        "{error}"
    );
    assert!(error.to_string().contains("GET /personnel/v1/"), "{error}");
    let ids: HashSet<_> = users.iter().map(|u| u.id.clone()).collect();
    assert_eq!(ids.len(), users.len(), "duplicated users");
    // Bounded: per endpoint at most the look-ahead (8) plus the two pages compared.
    let requests = server.received_requests().await.unwrap().len();
    assert!(requests <= 2 * (8 + 2), "kept paging: {requests} requests");
}

#[tokio::test]
async fn a_wrong_content_type_does_not_matter_when_the_body_is_a_json_array() {
    let (persons, employments) = generated(10);
    let server = ukg(
        Paged::new(vec![]).with_fault(
            1,
            ResponseTemplate::new(200)
                .set_body_raw(serde_json::to_vec(&persons).unwrap(), "text/plain"),
        ),
        Paged::new(employments),
    )
    .await;
    let (users, error) = export_all(settings(&server.uri()), ExportOptions::new()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(users.len(), 10);
}

#[tokio::test]
async fn a_slow_drip_answer_times_out() {
    let body = serde_json::to_vec(&generated(200).0).unwrap();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let base = raw_server(head, body, 10, Duration::from_millis(100)).await;
    let mut raw = settings(&base);
    raw["timeout_secs"] = json!(1);
    raw["max_attempts"] = json!(1);
    let started = Instant::now();
    let (_, error) = export_all(raw, ExportOptions::new()).await;
    let error = error.expect("must time out");
    assert_eq!(
        error.kind(),
        &ErrorKind::Network(NetworkKind::Timeout),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_truncated_body_is_an_error_not_a_short_page() {
    // Content-Length promises more than is sent before the connection closes.
    let body = br#"[{"employeeId": "E1"}, {"employeeId": "E2"}"#.to_vec();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
        .to_owned();
    let base = raw_server(head, body, 4096, Duration::ZERO).await;
    let mut raw = settings(&base);
    raw["max_attempts"] = json!(2);
    let (users, error) = export_all(raw, ExportOptions::new()).await;
    let error = error.expect("must fail");
    assert!(matches!(error.kind(), ErrorKind::Network(_)), "{error}");
    assert!(
        error.to_string().contains("gave up after 2 attempts"),
        "{error}"
    );
    assert!(users.is_empty());

    // Without a length, the JSON itself shows the cut.
    let body = br#"[{"employeeId": "E1"}, {"employeeId": "E2""#.to_vec();
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_owned();
    let base = raw_server(head, body, 4096, Duration::ZERO).await;
    let (_, error) = export_all(settings(&base), ExportOptions::new()).await;
    let text = error.expect("must fail").to_string();
    assert!(text.contains("truncated"), "{text}");
}

#[tokio::test]
async fn an_answer_beyond_the_size_cap_is_refused() {
    let big: Vec<Value> = (0..20_000)
        .map(|i| json!({"employeeId": format!("E{i}"), "pad": "x".repeat(64)}))
        .collect();
    let server = ukg(
        Paged::new(vec![]).with_fault(1, ResponseTemplate::new(200).set_body_json(&big)),
        Paged::new(vec![]),
    )
    .await;
    let mut raw = settings(&server.uri());
    raw["max_response_mb"] = json!(1);
    let (_, error) = export_all(raw, ExportOptions::new()).await;
    let text = error.expect("must refuse").to_string();
    assert!(text.contains("larger than the 1 MiB limit"), "{text}");
}

#[tokio::test]
async fn html_with_a_json_content_type_is_still_refused() {
    let server = ukg(
        Paged::new(vec![]).with_fault(
            1,
            ResponseTemplate::new(200)
                .set_body_raw("<html><body>Maintenance</body></html>", "application/json"),
        ),
        Paged::new(vec![]),
    )
    .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let (_, error) = export_all(settings(&server.uri()), ExportOptions::new()).await;
    let text = error.expect("must fail").to_string();
    assert!(
        text.contains("expected a JSON array, got an HTML page"),
        "{text}"
    );
    assert!(!text.contains("Maintenance"), "{text}");
}

/// Serves `pages[n - 1]` for page `n` of both endpoints (and `[]` after the last).
struct Scripted(Vec<Vec<Value>>);

impl wiremock::Respond for Scripted {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let body = self.0.get(page - 1).cloned().unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(body)
    }
}

async fn scripted(persons: Vec<Vec<Value>>, employments: Vec<Vec<Value>>) -> String {
    let server = ukg(Paged::new(vec![]), Paged::new(vec![])).await;
    for (p, pages) in [(PERSON, persons), (EMPLOYMENT, employments)] {
        Mock::given(wiremock::matchers::path(p))
            .respond_with(Scripted(pages))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    let uri = server.uri();
    std::mem::forget(server);
    uri
}

#[tokio::test]
async fn pages_overlapping_by_one_record_give_each_user_once_and_count_the_repeats() {
    let (p, e) = generated(9);
    // Pages of 4 where each page repeats the last record of the one before.
    let pages = |all: &[Value]| vec![all[0..4].to_vec(), all[3..7].to_vec(), all[6..9].to_vec()];
    let base = scripted(pages(&p), pages(&e)).await;
    let (users, error, stats) =
        export_with_stats(settings(&base), ExportOptions::new().with_page_size(4)).await;
    assert!(error.is_none(), "{error:?}");
    let ids: HashSet<_> = users.iter().map(|u| u.id.clone()).collect();
    assert_eq!((users.len(), ids.len()), (9, 9));
    assert_eq!(stats.duplicates, 4, "two repeats on each endpoint");
    assert!(stats.partial.is_empty(), "{:?}", stats.partial);
}

/// Every page is the previous one shifted by one record (the previous page plus one new
/// employee): no page repeats another record for record, but the listing never moves on.
/// Stopped at the second page.
#[tokio::test]
async fn a_listing_that_repeats_the_last_page_plus_one_record_is_stopped() {
    let (p, e) = generated(200);
    let creeping: Vec<Vec<Value>> = (0..190).map(|i| p[i..i + 10].to_vec()).collect();
    let base = scripted(creeping, vec![e[0..10].to_vec(), e[10..20].to_vec()]).await;
    let (users, error, _) =
        export_with_stats(settings(&base), ExportOptions::new().with_page_size(10)).await;
    let error = error.expect("a listing that does not move on is an error");
    assert_eq!(error.kind(), &ErrorKind::Protocol);
    assert!(
        error
            .message()
            .contains("page 2: 9 of its 10 records were already listed"),
        "{error}"
    );
    assert!(users.len() <= 20, "{} users exported", users.len());
}

#[tokio::test]
async fn a_listing_that_cycles_stops_at_the_first_repeat() {
    let (p, e) = generated(8);
    let a = p[0..4].to_vec();
    let b = p[4..8].to_vec();
    let cycle: Vec<Vec<Value>> = (0..50)
        .map(|i| if i % 2 == 0 { a.clone() } else { b.clone() })
        .collect();
    let base = scripted(cycle, vec![e[0..4].to_vec(), e[4..8].to_vec()]).await;
    let (_, error, _) =
        export_with_stats(settings(&base), ExportOptions::new().with_page_size(4)).await;
    let error = error.expect("a cycle is an error");
    assert!(error.message().contains("page 3 repeats page 1"), "{error}");
}

#[tokio::test]
async fn the_same_employee_twice_on_one_endpoint_keeps_the_first_whatever_the_timing() {
    let (mut p, e) = generated(6);
    let mut twin = p[2].clone();
    twin["firstName"] = json!("Second");
    p.push(twin);
    let mut outputs = HashSet::new();
    for _ in 0..5 {
        let base = scripted(vec![p.clone()], vec![e.clone()]).await;
        let (users, error, stats) = export_with_stats(settings(&base), ExportOptions::new()).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(stats.duplicates, 1);
        let mut names: Vec<_> = users
            .iter()
            .map(|u| format!("{}={:?}", u.id, u.first_name))
            .collect();
        names.sort();
        outputs.insert(names.join(","));
    }
    assert_eq!(
        outputs.len(),
        1,
        "the same input gave different outputs: {outputs:?}"
    );
    assert!(
        !outputs.iter().next().unwrap().contains("Second"),
        "the first record wins"
    );
}

#[tokio::test]
async fn a_page_with_far_more_records_than_asked_is_refused_while_it_streams() {
    // 1.7 million tiny records when 100 were asked for.
    let mut body = Vec::with_capacity(3_400_002);
    body.push(b'[');
    for i in 0..1_700_000u32 {
        if i > 0 {
            body.push(b',');
        }
        body.push(b'1');
    }
    body.push(b']');
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let base = raw_server(head, body, 64 * 1024, Duration::ZERO).await;
    let started = Instant::now();
    let (users, error) =
        export_all(settings(&base), ExportOptions::new().with_page_size(100)).await;
    assert!(users.is_empty());
    let error = error.expect("refused");
    assert_eq!(error.kind(), &ErrorKind::Protocol);
    assert!(
        error
            .message()
            .contains("more than the 100 records asked for"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn an_export_past_the_ceiling_stops_with_an_error() {
    let (p, e) = generated(30);
    let server = ukg(Paged::new(p), Paged::new(e)).await;
    let (users, error) = export_all(
        settings(&server.uri()),
        ExportOptions::new().with_page_size(10).with_max_users(12),
    )
    .await;
    let error = error.expect("stopped");
    assert!(error.message().contains("went past 12 users"), "{error}");
    assert_eq!(users.len(), 12);
}
