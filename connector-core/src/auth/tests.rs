//! OAuth2 client credentials and refresh-on-401 through the real pipeline, against loopback
//! mock servers (API and token endpoint on different origins).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use url::Url;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request as Seen, Respond, ResponseTemplate};

use super::*;
use crate::http::{HttpConfig, Request};
use crate::retry::RetryPolicy;

const CLIENT_SECRET: &str = "Client-S3cret-Canary";

/// Issues `tok-1`, `tok-2`, ... and counts them.
struct Issuer {
    issued: Arc<AtomicUsize>,
    expires_in: u64,
    delay: Duration,
}

impl Respond for Issuer {
    fn respond(&self, _: &Seen) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_delay(self.delay)
            .set_body_json(serde_json::json!({
                "access_token": format!("tok-{n}"),
                "token_type": "Bearer",
                "expires_in": self.expires_in,
            }))
    }
}

/// Accepts only tokens whose number is at least `min_token`.
struct Api {
    min_token: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl Respond for Api {
    fn respond(&self, req: &Seen) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let token = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer tok-"))
            .and_then(|n| n.parse::<usize>().ok());
        match token {
            Some(n) if n >= self.min_token.load(Ordering::SeqCst) => {
                ResponseTemplate::new(200).set_body_string("[]")
            }
            _ => ResponseTemplate::new(401),
        }
    }
}

struct Setup {
    api: MockServer,
    idp: MockServer,
    issued: Arc<AtomicUsize>,
    min_token: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
    client: HttpClient,
}

async fn setup(expires_in: u64, delay: Duration) -> Setup {
    let api = MockServer::start().await;
    let idp = MockServer::start().await;
    let issued = Arc::new(AtomicUsize::new(0));
    let min_token = Arc::new(AtomicUsize::new(1));
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=my-client"))
        .respond_with(Issuer {
            issued: issued.clone(),
            expires_in,
            delay,
        })
        .mount(&idp)
        .await;
    Mock::given(path("/v1/users"))
        .respond_with(Api {
            min_token: min_token.clone(),
            calls: calls.clone(),
        })
        .mount(&api)
        .await;
    let auth = OAuth2ClientCredentials::new(
        Url::parse(&format!("{}/oauth/token", idp.uri())).unwrap(),
        "my-client",
        Secret::new(CLIENT_SECRET),
    )
    .scope("users:read");
    let config = HttpConfig {
        retry: RetryPolicy {
            max_attempts: 2,
            base: Duration::from_millis(5),
            max_wait: Duration::from_millis(10),
            max_elapsed: Duration::from_secs(5),
        },
        ..HttpConfig::default()
    };
    let client = HttpClient::new("t", Url::parse(&api.uri()).unwrap(), auth, config).unwrap();
    Setup {
        api,
        idp,
        issued,
        min_token,
        calls,
        client,
    }
}

/// A mock API and a client for it that authenticates with `auth`.
async fn api_with(auth: OAuth2ClientCredentials) -> (MockServer, HttpClient) {
    let api = MockServer::start().await;
    let client = HttpClient::new(
        "t",
        Url::parse(&api.uri()).unwrap(),
        auth,
        HttpConfig::default(),
    )
    .unwrap();
    (api, client)
}

#[tokio::test]
async fn one_token_is_fetched_for_concurrent_requests_and_reused() {
    let s = setup(3600, Duration::from_millis(100)).await;
    let users = Request::get("/v1/users");
    let all = futures_util::future::join_all((0..10).map(|_| s.client.send(&users))).await;
    assert!(all.iter().all(|r| r.as_ref().unwrap().status == 200));
    s.client.send(&Request::get("/v1/users")).await.unwrap();
    assert_eq!(s.issued.load(Ordering::SeqCst), 1, "single flight, reused");
    // The client secret went only to the token endpoint, the token only to the API.
    for r in s.api.received_requests().await.unwrap() {
        assert!(!String::from_utf8_lossy(&r.body).contains(CLIENT_SECRET));
    }
    for r in s.idp.received_requests().await.unwrap() {
        assert!(r.headers.get("authorization").is_none());
        assert!(String::from_utf8_lossy(&r.body).contains("scope=users%3Aread"));
    }
}

#[tokio::test]
async fn a_401_renews_the_token_once_for_all_requests_in_flight() {
    let s = setup(3600, Duration::ZERO).await;
    s.client.send(&Request::get("/v1/users")).await.unwrap();
    // The server revokes token 1: every request in flight gets a 401.
    s.min_token.store(2, Ordering::SeqCst);
    let users = Request::get("/v1/users");
    let all = futures_util::future::join_all((0..8).map(|_| s.client.send(&users))).await;
    for r in &all {
        assert_eq!(
            r.as_ref().unwrap().status,
            200,
            "replayed after the refresh"
        );
    }
    assert_eq!(s.issued.load(Ordering::SeqCst), 2, "one shared refresh");
    let secrets: Vec<String> = s
        .client
        .secrets()
        .iter()
        .map(|x| x.expose().to_owned())
        .collect();
    assert!(secrets.contains(&"tok-1".to_owned()) && secrets.contains(&"tok-2".to_owned()));
    assert!(secrets.contains(&CLIENT_SECRET.to_owned()));
}

#[tokio::test]
async fn a_token_rejected_again_after_renewal_is_an_authentication_error() {
    let s = setup(3600, Duration::ZERO).await;
    s.min_token.store(usize::MAX, Ordering::SeqCst);
    let response = s.client.send(&Request::get("/v1/users")).await.unwrap();
    assert_eq!(response.status, 401);
    assert_eq!(s.calls.load(Ordering::SeqCst), 2, "one replay, no loop");
    assert_eq!(s.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let s = setup(1, Duration::ZERO).await;
    s.client.send(&Request::get("/v1/users")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    s.client.send(&Request::get("/v1/users")).await.unwrap();
    assert_eq!(s.issued.load(Ordering::SeqCst), 2);
    assert_eq!(s.calls.load(Ordering::SeqCst), 2, "no request was rejected");
}

#[tokio::test]
async fn a_refused_client_quotes_the_oauth_error_never_the_secret() {
    let idp = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": format!("client_secret {CLIENT_SECRET} is wrong"),
        })))
        .mount(&idp)
        .await;
    let auth = OAuth2ClientCredentials::new(
        Url::parse(&format!("{}/token?tenant=acme", idp.uri())).unwrap(),
        "my-client",
        Secret::new(CLIENT_SECRET),
    )
    .hint("check client_id and client_secret (Admin > API clients)");
    let (api, client) = api_with(auth).await;
    let err = client.send(&Request::get("/x")).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Authentication);
    let shown = format!(
        "{} {:?} {:?} {err:?}",
        err.full_message(),
        err.hint(),
        err.endpoint()
    );
    assert!(shown.contains("invalid_client"), "{shown}");
    assert_eq!(
        err.api_code(),
        Some("invalid_client"),
        "the policy can match on it"
    );
    assert!(shown.contains("Admin > API clients"), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "leaked: {shown}");
    assert!(
        !shown.contains("tenant=acme"),
        "query values are redacted: {shown}"
    );
    assert!(api.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_token_answer_that_is_not_a_token_is_a_protocol_error_without_echo() {
    let idp = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"token":"Leaky-Tok","kind":"mac"}"#),
        )
        .mount(&idp)
        .await;
    let auth = OAuth2ClientCredentials::new(
        Url::parse(&format!("{}/token", idp.uri())).unwrap(),
        "c",
        Secret::new(CLIENT_SECRET),
    );
    let (_api, client) = api_with(auth).await;
    let err = client.send(&Request::get("/x")).await.unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Protocol);
    assert!(err.message().contains("without an access_token"), "{err}");
    assert!(!format!("{err:?} {}", err.full_message()).contains("Leaky-Tok"));
}

#[tokio::test]
async fn the_token_endpoint_must_use_https_off_loopback() {
    let auth = OAuth2ClientCredentials::new(
        Url::parse("http://auth.example.invalid/token").unwrap(),
        "c",
        Secret::new(CLIENT_SECRET),
    );
    let (_api, client) = api_with(auth).await;
    let err = client.send(&Request::get("/x")).await.unwrap_err();
    assert!(
        err.field_errors().iter().any(|f| f.field == "token_url"),
        "{err}"
    );
}

#[tokio::test]
async fn basic_client_authentication_sends_the_secret_in_a_header() {
    let idp = MockServer::start().await;
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("my-client:{CLIENT_SECRET}"))
    };
    Mock::given(path("/token"))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": "t1", "token_type": "bearer"})),
        )
        .expect(1)
        .mount(&idp)
        .await;
    let api = MockServer::start().await;
    Mock::given(header("authorization", "Bearer t1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&api)
        .await;
    let auth = OAuth2ClientCredentials::new(
        Url::parse(&format!("{}/token", idp.uri())).unwrap(),
        "my-client",
        Secret::new(CLIENT_SECRET),
    )
    .client_authentication(ClientAuthentication::Basic);
    let client = HttpClient::new(
        "t",
        Url::parse(&api.uri()).unwrap(),
        auth,
        HttpConfig::default(),
    )
    .unwrap();
    assert_eq!(client.send(&Request::get("/x")).await.unwrap().status, 200);
    let seen = idp.received_requests().await.unwrap();
    assert!(!String::from_utf8_lossy(&seen[0].body).contains(CLIENT_SECRET));
}

/// An OAuth error description keeps its line breaks (Entra puts trace and correlation ids on
/// lines of their own), without other control characters.
#[tokio::test]
async fn an_oauth_error_description_keeps_its_lines() {
    let idp = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1f\u{7}2e\r\nCorrelation ID: 3d",
        })))
        .mount(&idp)
        .await;
    let auth = OAuth2ClientCredentials::new(
        Url::parse(&format!("{}/token", idp.uri())).unwrap(),
        "my-client",
        Secret::new(CLIENT_SECRET),
    );
    let (_api, client) = api_with(auth).await;
    let err = client.send(&Request::get("/x")).await.unwrap_err();
    assert!(
        err.message().ends_with(
            ": AADSTS7000215: Invalid client secret provided.\nTrace ID: 1f2e\nCorrelation ID: 3d"
        ),
        "{err}"
    );
}

/// A service's finer code in the refusal (Entra's `error_codes`) is the API code a provider's
/// error policy matches, instead of the OAuth `error` every refusal shares.
#[tokio::test]
async fn a_declared_finer_code_is_the_refusals_api_code() {
    let idp = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000222: The provided client secret keys are expired.",
            "error_codes": [7000222],
        })))
        .mount(&idp)
        .await;
    let token_url = Url::parse(&format!("{}/token", idp.uri())).unwrap();
    let plain = OAuth2ClientCredentials::new(token_url.clone(), "c", Secret::new(CLIENT_SECRET));
    let (_api, client) = api_with(plain).await;
    let err = client.send(&Request::get("/x")).await.unwrap_err();
    assert_eq!(err.api_code(), Some("invalid_client"));
    let finer = OAuth2ClientCredentials::new(token_url, "c", Secret::new(CLIENT_SECRET))
        .code_at("/error_codes/0");
    let (_api, client) = api_with(finer).await;
    let err = client.send(&Request::get("/x")).await.unwrap_err();
    assert_eq!(err.api_code(), Some("7000222"), "{err}");
    assert_eq!(err.kind(), &crate::error::ErrorKind::Authentication);
}

/// The JWT bearer grant: the token request carries a freshly signed RS256 assertion (issuer,
/// subject, scope, audience) that verifies with the key's public half, and no client secret;
/// a refusal never shows the private key.
#[tokio::test]
async fn the_jwt_bearer_grant_sends_a_signed_assertion() {
    let pem = Secret::new(include_str!("../sandbox/test_rsa_key.pem"));
    let idp = MockServer::start().await;
    let token_url = Url::parse(&format!("{}/token", idp.uri())).unwrap();
    let signer = JwtAssertion::rs256("sa@project.iam", token_url.as_str(), "scope.read", &pem)
        .unwrap()
        .subject("admin@example.com");
    let public = signer.public_key_der();
    Mock::given(path("/token"))
        .and(body_string_contains("grant-type%3Ajwt-bearer"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "ya29.sandbox-token", "token_type": "Bearer", "expires_in": 3599,
        })))
        .mount(&idp)
        .await;
    let (api, client) = api_with(OAuth2ClientCredentials::jwt_bearer(
        token_url.clone(),
        signer,
    ))
    .await;
    Mock::given(path("/x"))
        .and(header("authorization", "Bearer ya29.sandbox-token"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&api)
        .await;
    let answer = client.send(&Request::get("/x")).await.unwrap();
    assert_eq!(answer.status.as_u16(), 200);
    let seen = idp.received_requests().await.unwrap();
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&seen[0].body)
            .into_owned()
            .collect();
    assert!(!form.contains_key("client_secret"));
    let claims = verify_rs256(&form["assertion"], &public).expect("a valid RS256 signature");
    assert_eq!(claims["iss"], "sa@project.iam");
    assert_eq!(claims["sub"], "admin@example.com");
    assert_eq!(claims["scope"], "scope.read");
    assert_eq!(claims["aud"], token_url.as_str());

    // A refusal (Google: unauthorized_client when delegation is missing) quotes the service,
    // never the key.
    let refusing = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "unauthorized_client",
            "error_description": format!("Client is unauthorized {}", pem.expose()),
        })))
        .mount(&refusing)
        .await;
    let token_url = Url::parse(&format!("{}/token", refusing.uri())).unwrap();
    let signer = JwtAssertion::rs256("sa@project.iam", token_url.as_str(), "s", &pem).unwrap();
    assert!(!format!("{signer:?}").contains("PRIVATE"));
    let (_api, client) = api_with(OAuth2ClientCredentials::jwt_bearer(token_url, signer)).await;
    let err = client.send(&Request::get("/x")).await.unwrap_err();
    assert_eq!(err.api_code(), Some("unauthorized_client"));
    let shown = format!("{err} {err:?} {}", err.full_message());
    assert!(!shown.contains("MIIE"), "the key leaked: {shown}");

    // The key pasted into a one-line input (its line breaks gone), or with the JSON's `\n`
    // escapes left in, is the same key.
    for pasted in [
        pem.expose().replace('\n', ""),
        pem.expose().replace('\n', "\\n"),
    ] {
        let signer = JwtAssertion::rs256("sa", "aud", "s", &Secret::new(pasted)).unwrap();
        assert_eq!(signer.public_key_der(), public);
    }
}
