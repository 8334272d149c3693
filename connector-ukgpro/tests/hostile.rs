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
