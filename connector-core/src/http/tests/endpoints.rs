//! Hints about reaching a provider's hosts: a URL setting is named as the field to check; a
//! fixed host ([`HttpConfig::FIXED_HOST`]) and another endpoint (a token service) are named
//! as themselves, never as a settings field.

use url::Url;

use super::super::*;
use crate::error::{ErrorKind, NetworkKind};

/// An address where nothing listens.
fn closed() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/")
}

fn client(base: &str, url_field: &'static str) -> HttpClient {
    let config = HttpConfig {
        url_field,
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..HttpConfig::default()
    };
    HttpClient::new("t", Url::parse(base).unwrap(), crate::auth::NoAuth, config).unwrap()
}

#[tokio::test]
async fn a_url_setting_is_the_field_a_reachability_hint_names() {
    let base = closed();
    let c = client(&base, "api_url");
    for err in [
        c.probe().await.unwrap_err(),
        c.get("/x", &[]).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), &ErrorKind::Network(NetworkKind::Connect));
        let hint = err.hint().unwrap_or_default();
        assert!(hint.contains("`api_url`"), "{hint}");
        assert_eq!(err.hint_fields(), ["api_url"]);
    }
}

#[tokio::test]
async fn a_fixed_host_is_named_as_itself_and_no_field_is_blamed() {
    let base = closed();
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let c = client(&base, HttpConfig::FIXED_HOST);
    for err in [
        c.probe().await.unwrap_err(),
        c.get("/x", &[]).await.unwrap_err(),
    ] {
        let hint = err.hint().unwrap_or_default();
        assert!(hint.contains(host), "the host named: {hint}");
        assert!(hint.contains("not a setting"), "{hint}");
        assert!(!hint.contains("``"), "no empty field name: {hint}");
        assert!(err.hint_fields().is_empty(), "{:?}", err.hint_fields());
    }
}

#[tokio::test]
async fn another_endpoint_is_probed_on_its_own_and_named_as_itself() {
    let server = wiremock::MockServer::start().await;
    let c = client(&server.uri(), "base_url");
    assert!(c.probe().await.is_ok(), "the API's host answers");
    let token = Url::parse(&closed()).unwrap();
    let err = c.probe_endpoint(&token).await.unwrap_err();
    let port = token.port().unwrap().to_string();
    assert!(err.message().contains(&port), "{}", err.full_message());
    let hint = err.hint().unwrap_or_default();
    assert!(!hint.contains("base_url"), "not the API's field: {hint}");
    assert!(err.hint_fields().is_empty(), "{:?}", err.hint_fields());
}
