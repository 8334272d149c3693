//! Tests of the whole pipeline against loopback mock servers.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::StatusCode;
use url::Url;

use super::*;
use crate::auth::{ApiKeyHeader, Basic, Composite};
use crate::error::{ErrorKind, NetworkKind};
use crate::Secret;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(base: &str) -> HttpClient {
    client_with(base, HttpConfig::default())
}

fn client_with(base: &str, config: HttpConfig) -> HttpClient {
    let auth = Composite::new()
        .with(Basic::new("u", Secret::new("p")))
        .with(ApiKeyHeader::new("X-Key", Secret::new("k")).unwrap());
    HttpClient::new("t", Url::parse(base).unwrap(), auth, config).unwrap()
}

fn plain_client(base: &str, config: HttpConfig) -> HttpClient {
    HttpClient::new("t", Url::parse(base).unwrap(), crate::auth::NoAuth, config).unwrap()
}

fn fast_retries(max_attempts: u32) -> HttpConfig {
    HttpConfig {
        retry: RetryPolicy {
            max_attempts,
            base: Duration::from_millis(5),
            max_wait: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(10),
        },
        ..HttpConfig::default()
    }
}

#[tokio::test]
async fn transient_failures_are_retried_until_success() {
    let server = MockServer::start().await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .with_priority(2)
        .mount(&server)
        .await;
    let r = client_with(&server.uri(), fast_retries(5))
        .get("/flaky", &[])
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    let r = client_with(&server.uri(), fast_retries(3))
        .get("/limited", &[])
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
}

#[tokio::test]
async fn client_errors_are_never_retried_and_persistent_ones_give_up() {
    let server = MockServer::start().await;
    for (p, code) in [("/401", 401), ("/403", 403), ("/404", 404), ("/400", 400)] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(code))
            .mount(&server)
            .await;
    }
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let c = client_with(&server.uri(), fast_retries(3));
    for p in ["/401", "/403", "/404", "/400"] {
        let r = c.get(p, &[]).await.unwrap();
        assert!(r.status.is_client_error());
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        4,
        "4xx must not be retried"
    );
    let err = c.get("/down", &[]).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Remote { status: 502 });
    assert!(err.message().contains("gave up after 3 attempts"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 4 + 3);
}

#[tokio::test]
async fn throttling_halves_requests_in_flight() {
    let server = MockServer::start().await;
    Mock::given(path("/storm"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let c = client_with(&server.uri(), fast_retries(1));
    assert_eq!(c.inner.in_flight.limit(), 8);
    let _ = c.get("/storm", &[]).await;
    assert_eq!(c.inner.in_flight.limit(), 4);
}

#[tokio::test]
async fn sends_credentials_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/a"))
        .and(header("authorization", "Basic dTpw"))
        .and(header("x-key", "k"))
        .and(header("user-agent", user_agent("t").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let r = client(&server.uri())
        .get("/a", &[("page", "1".into())])
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"[]");
    assert_eq!(r.endpoint, "GET /a");
}

#[tokio::test]
async fn same_origin_redirects_are_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/new"))
        .mount(&server)
        .await;
    Mock::given(path("/new"))
        .and(header("x-key", "k"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let r = client(&server.uri()).get("/old", &[]).await.unwrap();
    assert_eq!(r.body, b"ok");
}

#[tokio::test]
async fn cross_origin_redirects_are_refused_and_the_other_host_sees_nothing() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    Mock::given(path("/a"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{}/b", second.uri())),
        )
        .mount(&first)
        .await;
    let err = client(&first.uri()).get("/a", &[]).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Protocol);
    assert!(err.message().contains("another origin"), "{err}");
    assert!(
        err.hint().unwrap().contains(&second.uri()),
        "{:?}",
        err.hint()
    );
    let seen = second.received_requests().await.unwrap();
    assert!(seen.is_empty(), "the other origin was contacted: {seen:?}");
}

#[test]
fn retry_after_in_seconds_or_as_an_http_date() {
    let with = |value: &str| {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        HttpResponse {
            endpoint: "GET /".into(),
            status: StatusCode::TOO_MANY_REQUESTS,
            headers,
            body: Vec::new(),
        }
        .retry_after()
    };
    assert_eq!(with("120"), Some(Duration::from_secs(120)));
    let in_a_minute =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(61));
    let wait = with(&in_a_minute).unwrap();
    assert!(
        (Duration::from_secs(58)..=Duration::from_secs(61)).contains(&wait),
        "{wait:?}"
    );
    assert_eq!(
        with("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(Duration::ZERO),
        "a past date: no wait"
    );
    assert_eq!(with("soon"), None);
}

#[test]
fn a_redirect_from_https_to_http_is_refused() {
    let c = client("https://api.example.invalid");
    let current = Url::parse("https://api.example.invalid/a").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        LOCATION,
        HeaderValue::from_static("http://api.example.invalid/a"),
    );
    let err = c
        .redirect_target(&current, &current.origin(), &headers, "GET /a")
        .unwrap_err();
    assert!(err.message().contains("from https to plain http"), "{err}");
    headers.insert(LOCATION, HeaderValue::from_static("/b?x=1"));
    let next = c
        .redirect_target(&current, &current.origin(), &headers, "GET /a")
        .unwrap();
    assert_eq!(
        next.as_str(),
        "https://api.example.invalid/b?x=1",
        "same origin is followed"
    );
}

#[tokio::test]
async fn status_mapping() {
    let server = MockServer::start().await;
    for (p, code) in [
        ("/401", 401),
        ("/403", 403),
        ("/404", 404),
        ("/429", 429),
        ("/503", 503),
        ("/418", 418),
    ] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(code).insert_header("retry-after", "7"))
            .mount(&server)
            .await;
    }
    let c = client_with(&server.uri(), fast_retries(1));
    let kind = |p: &'static str| {
        let c = c.clone();
        async move {
            let r = c
                .get_stream(p, &[])
                .await
                .unwrap()
                .read_all()
                .await
                .unwrap();
            r.error_for_status("t", "Perm X")
                .unwrap_err()
                .kind()
                .clone()
        }
    };
    assert_eq!(kind("/401").await, ErrorKind::Authentication);
    assert_eq!(
        kind("/403").await,
        ErrorKind::Permission {
            permission: "Perm X".into()
        }
    );
    assert_eq!(kind("/404").await, ErrorKind::NotFound);
    assert_eq!(
        kind("/429").await,
        ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert_eq!(kind("/503").await, ErrorKind::Remote { status: 503 });
    assert_eq!(kind("/418").await, ErrorKind::Protocol);
}

#[tokio::test]
async fn a_connection_refused_after_the_host_answered_is_retried() {
    // A server that answers once, then goes away (a restart).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        // The listener is dropped here: later connections are refused.
    });
    let c = client_with(&format!("http://{addr}"), fast_retries(3));
    assert_eq!(c.get("/up", &[]).await.unwrap().status, 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = c.get("/up", &[]).await.unwrap_err();
    assert!(err.message().contains("gave up after 3 attempts"), "{err}");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client_with(&format!("http://{addr}"), fast_retries(2));
    let err = c.get("/x", &[]).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Network(NetworkKind::Connect),
        "{}",
        err.full_message()
    );
    assert!(
        !err.message().contains("gave up"),
        "a host that never answered is a wrong address, not retried: {err}"
    );
    let err = c.probe().await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Network(NetworkKind::Connect),
        "{}",
        err.full_message()
    );
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    let server = MockServer::start().await;
    let addr = server.address();
    let c = client(&format!("https://{addr}"));
    let err = c.probe().await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Network(NetworkKind::Tls),
        "{}",
        err.full_message()
    );
    let err = c.get("/x", &[]).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Network(NetworkKind::Tls),
        "{}",
        err.full_message()
    );
}

/// A host that accepts TCP but never answers the TLS handshake times out at the connect
/// timeout, and the message names that timeout, not the request timeout.
#[tokio::test]
async fn a_stalled_tls_handshake_names_the_connect_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let config = HttpConfig {
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(30),
        ..fast_retries(1)
    };
    let c = plain_client(&format!("https://{addr}"), config);
    let err = c.get("/x", &[]).await.unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::Network(NetworkKind::Timeout),
        "{}",
        err.full_message()
    );
    assert!(
        err.message().contains("within 1 s (TCP and TLS)"),
        "{}",
        err.full_message()
    );
    held.abort();
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let config = HttpConfig {
        max_body_bytes: 1024,
        ..HttpConfig::default()
    };
    let c = plain_client(&server.uri(), config);
    let err = c.get("/big", &[]).await.unwrap_err();
    assert!(err.message().contains("larger than"), "{err}");
}

#[tokio::test]
async fn requests_in_flight_are_limited_per_client() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    let config = HttpConfig {
        max_in_flight: 1,
        ..HttpConfig::default()
    };
    let c = plain_client(&server.uri(), config);
    let started = Instant::now();
    let all = futures_util::future::join_all((0..4).map(|_| c.get("/slow", &[]))).await;
    assert!(all.iter().all(Result::is_ok));
    // With one request at a time, four 200 ms answers cannot take less than 800 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(790),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let err = HttpClient::new(
        "t",
        Url::parse("http://example.com").unwrap(),
        crate::auth::NoAuth,
        HttpConfig::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("refusing to send credentials"),
        "{err}"
    );
}

#[test]
fn body_descriptions_do_not_quote_content() {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let r = HttpResponse {
        endpoint: "GET /".into(),
        status: StatusCode::OK,
        headers,
        body: b"<html>secret stuff".to_vec(),
    };
    assert!(r.describe_body().starts_with("an HTML page"));
    assert!(!r.is_json());
}

mod endpoints;
mod requests;

/// A provider's declared error policy reaches every error the client returns: statuses from
/// `fetch_records`, errors a provider finds itself (`explain`), and failures to connect.
#[tokio::test]
async fn the_declared_error_policy_hints_every_error_the_client_returns() {
    use crate::http::{ErrorPolicy, On, RecordsAt};
    use crate::Error;
    let server = MockServer::builder().start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let config = HttpConfig {
        errors: ErrorPolicy::new()
            .hint(On::Permission, "grant {permission} on {path} (see {field})")
            .hint(On::ApiCode("E42".into()), "the code says so")
            .hint(On::Dns, "the host {field} names does not exist"),
        ..HttpConfig::default()
    };
    let client = plain_client(&server.uri(), config.clone());
    let denied = client
        .fetch_records::<serde_json::Value>(
            &Request::get("/v1/users"),
            &RecordsAt::Root,
            "users:read",
            10,
        )
        .await
        .unwrap_err();
    assert_eq!(
        denied.hint(),
        Some("grant users:read on /v1/users (see base_url)")
    );

    let own = Error::new("t", ErrorKind::Protocol, "odd").with_api_code("E42");
    assert_eq!(client.explain(own).hint(), Some("the code says so"));
    let untouched = Error::new("t", ErrorKind::Protocol, "odd").with_hint("the SDK's own");
    assert_eq!(client.explain(untouched).hint(), Some("the SDK's own"));

    let nowhere = plain_client("https://no-such-host.invalid/", config);
    let lost = nowhere.send(&Request::get("/")).await.unwrap_err();
    assert_eq!(
        lost.hint(),
        Some("the host base_url names does not exist"),
        "{lost:?}"
    );
}

/// Retryability is the provider's to declare too: its 500s retried, its 503s not.
#[tokio::test]
async fn a_declared_retry_rule_decides_what_is_retried() {
    use crate::http::{ErrorPolicy, On};
    for (status, retried, attempts) in [(500, true, 3), (503, false, 1)] {
        let server = MockServer::builder().start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let config = HttpConfig {
            errors: ErrorPolicy::new().retry(On::Status(status), retried),
            ..fast_retries(3)
        };
        let client = plain_client(&server.uri(), config);
        let e = client
            .send(&Request::get("/x"))
            .await
            .map(|r| r.error_for_status("t", "").map(|_| ()))
            .and_then(|r| r)
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Remote { .. }), "{e:?}");
        let sent = server.received_requests().await.unwrap().len();
        assert_eq!(sent, attempts, "status {status}");
    }
}

/// The API's own error code and message, read where the provider's policy says they are: the
/// code for `On::ApiCode` rules, the message quoted with its line breaks, control characters
/// dropped, a live secret scrubbed; bodies that are not JSON add nothing.
#[tokio::test]
async fn an_apis_own_error_code_and_message_are_read_where_the_policy_says() {
    use crate::http::{ErrorPolicy, On};
    let secret = Secret::new("s3cr3t-Value+/=");
    let server = MockServer::builder().start().await;
    Mock::given(path("/denied"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {
                "code": "AADSTS7000215",
                "message": format!("Invalid client secret.\r\nTrace: \u{7}abc, sent {}", secret.expose()),
            }
        })))
        .mount(&server)
        .await;
    Mock::given(path("/html"))
        .respond_with(ResponseTemplate::new(400).set_body_string("<html>bad</html>"))
        .mount(&server)
        .await;
    let config = HttpConfig {
        errors: ErrorPolicy::new()
            .code_at("/error/code")
            .message_at("/error/message")
            .hint(
                On::ApiCode("AADSTS7000215".into()),
                "create a new client secret ({api_code})",
            ),
        ..fast_retries(1)
    };
    let client = plain_client(&server.uri(), config);

    let answer = client.send(&Request::get("/denied")).await.unwrap();
    let e = client.check_status(&answer, "").unwrap_err();
    assert_eq!(e.api_code(), Some("AADSTS7000215"));
    assert_eq!(e.hint(), Some("create a new client secret (AADSTS7000215)"));
    assert!(
        e.message().ends_with(
            "; the service says: Invalid client secret.\nTrace: abc, sent [REDACTED] (code AADSTS7000215)"
        ),
        "{e}"
    );
    assert!(!format!("{e:?}").contains(secret.expose()));

    // The same through a listing's page.
    let page = client
        .fetch_records::<serde_json::Value>(&Request::get("/denied"), &RecordsAt::Root, "", 10)
        .await
        .unwrap_err();
    assert_eq!(page.api_code(), Some("AADSTS7000215"));
    assert!(
        page.message()
            .contains("the service says: Invalid client secret."),
        "{page}"
    );

    let answer = client.send(&Request::get("/html")).await.unwrap();
    let e = client.check_status(&answer, "").unwrap_err();
    assert_eq!(e.api_code(), None);
    assert!(!e.message().contains("the service says"), "{e}");
}
