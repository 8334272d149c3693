//! Requests beyond GET: methods, bodies, retry safety, path prefixes, query credentials,
//! envelopes.

use super::*;
use crate::auth::{ApiKeyQuery, NoAuth};
use wiremock::matchers::{body_string, query_param};

#[tokio::test]
async fn posts_are_sent_once_unless_marked_safe() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let c = client_with(&server.uri(), fast_retries(3));
    let err = c.send(&Request::post("/things")).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Remote { status: 503 });
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let _ = c.send(&Request::post("/things").retry_safe(true)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1 + 3);
}

#[tokio::test]
async fn form_and_json_bodies_and_accept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/form"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("a=1&b=x+y"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/json"))
        .and(header("accept", "application/scim+json"))
        .and(body_string(r#"{"k":[1]}"#))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let r = c
        .send(&Request::post("/form").form("a", "1").form("b", "x y"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let r = c
        .send(
            &Request::post("/json")
                .json(serde_json::json!({"k": [1]}))
                .accept("application/scim+json"),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn the_base_path_is_kept_as_a_prefix() {
    let server = MockServer::start().await;
    Mock::given(path("/scim/v2/Users"))
        .and(query_param("count", "2"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&format!("{}/scim/v2", server.uri())).unwrap();
    let c = HttpClient::new("t", base, NoAuth, HttpConfig::default()).unwrap();
    let r = c
        .send(&Request::get("/Users").query("count", "2"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.endpoint, "GET /Users");
}

#[tokio::test]
async fn an_api_key_in_the_query_is_sent_but_never_shown() {
    let server = MockServer::start().await;
    Mock::given(query_param("api_key", "Q-Key-Canary"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", "https://elsewhere.example/x"),
        )
        .mount(&server)
        .await;
    let c = HttpClient::new(
        "t",
        Url::parse(&server.uri()).unwrap(),
        ApiKeyQuery::new("api_key", crate::Secret::new("Q-Key-Canary")),
        HttpConfig::default(),
    )
    .unwrap();
    let err = c.get("/x", &[]).await.unwrap_err();
    let shown = format!("{} {:?} {err:?}", err.full_message(), err.hint());
    assert!(shown.contains("another origin"), "{shown}");
    assert!(!shown.contains("Q-Key-Canary"), "{shown}");
    // A refused connection quotes no URL with the key either.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = HttpClient::new(
        "t",
        Url::parse(&format!("http://{addr}")).unwrap(),
        ApiKeyQuery::new("api_key", crate::Secret::new("Q-Key-Canary")),
        fast_retries(1),
    )
    .unwrap();
    let err = c.get("/x", &[("q", "v".into())]).await.unwrap_err();
    let shown = format!("{} {:?} {err:?}", err.full_message(), err.hint());
    assert!(!shown.contains("Q-Key-Canary"), "{shown}");
}

#[tokio::test]
async fn records_stream_out_of_an_envelope() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/users"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(
                r#"{"data":[{"id":"a"},{"id":"b"}],"metadata":{"total_elements":2}}"#,
            ),
        )
        .mount(&server)
        .await;
    Mock::given(path("/html"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string("<html>login</html>"),
        )
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let at = RecordsAt::pointer("/data");
    let page = c
        .fetch_records::<serde_json::Value>(&Request::get("/v1/users"), &at, "users:read", 10)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.envelope["metadata"]["total_elements"], 2);
    let err = c
        .fetch_records::<serde_json::Value>(&Request::get("/html"), &at, "users:read", 10)
        .await
        .unwrap_err();
    assert!(
        err.message()
            .starts_with("expected a JSON object with an array at `/data`, got an HTML page"),
        "{err}"
    );
    let err = c
        .fetch_records::<serde_json::Value>(&Request::get("/v1/users"), &RecordsAt::Root, "", 10)
        .await
        .unwrap_err();
    assert!(err.message().ends_with("got a JSON object"), "{err}");
}
