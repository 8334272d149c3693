//! The UKG Pro settings schema and validation: the public contract UIs and config files use.

use connector_core::settings::{parse_settings, Draft, SettingsSchema};
use connector_ukgpro::UkgProSettings;
use serde_json::{json, Value};

fn schema() -> SettingsSchema {
    connector_ukgpro::descriptor().settings_schema()
}

#[test]
fn schema_is_valid_draft_2020_12_and_draft_07() {
    let s = schema();
    jsonschema::draft202012::meta::validate(s.document()).expect("valid 2020-12 schema");
    let d07 = s.to_draft(Draft::Draft07);
    jsonschema::draft7::meta::validate(&d07).expect("valid draft-07 schema");
    assert_eq!(d07["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(d07["properties"], s.document()["properties"]);
}

#[test]
fn required_fields_are_exactly_the_contract() {
    let s = schema();
    assert_eq!(
        s.document()["required"],
        json!(["base_url", "username", "password", "customer_api_key"])
    );
    let names: Vec<_> = s.fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "base_url",
            "username",
            "password",
            "customer_api_key",
            "user_api_key",
            "page_size",
            "timeout_secs",
            "max_concurrent_requests",
            "max_attempts",
            "max_retry_secs",
            "max_response_mb",
            "requests_per_minute"
        ]
    );
}

#[test]
fn every_secret_is_write_only_and_every_field_is_documented() {
    let s = schema();
    let props = s.document()["properties"].as_object().unwrap();
    let secrets: Vec<_> = props
        .iter()
        .filter(|(_, p)| p["x-secret"] == true)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(secrets, ["password", "customer_api_key", "user_api_key"]);
    for (name, p) in props {
        assert!(p["title"].is_string(), "{name} has no title");
        assert!(
            p["description"].as_str().is_some_and(|d| d.len() > 20),
            "{name} has no description"
        );
        assert!(p["x-order"].is_u64(), "{name} has no x-order");
        if p["x-secret"] == true {
            assert_eq!(p["writeOnly"], true, "{name}");
            assert_eq!(p["format"], "password", "{name}");
            assert!(
                p.get("examples").is_none(),
                "a secret must not carry examples: {name}"
            );
        }
    }
    assert_eq!(s.document()["additionalProperties"], false);
    assert_eq!(s.document()["properties"]["page_size"]["maximum"], 10000);
    assert!(s.document()["properties"]["base_url"]["examples"].is_array());
}

#[test]
fn missing_secrets_and_unknown_field_are_reported_together() {
    let err = parse_settings::<UkgProSettings>(
        "ukgpro",
        json!({"base_url": "service5.ultipro.com", "username": "svc", "subdomain": "x"}),
    )
    .unwrap_err();
    let fields: Vec<_> = err
        .field_errors()
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["password", "customer_api_key", "subdomain"]);
}

#[test]
fn base_url_shapes_and_bad_input() {
    let parse = |base: &str| {
        parse_settings::<UkgProSettings>(
            "ukgpro",
            json!({"base_url": base, "username": "svc", "password": "p", "customer_api_key": "k"}),
        )
    };
    for ok in [
        "service5.ultipro.com",
        "https://service5.ultipro.com/services/",
        "https://service5.ultipro.com//",
    ] {
        assert_eq!(
            parse(ok).unwrap().api_root().as_str(),
            "https://service5.ultipro.com/"
        );
    }
    let err = parse("https://svc:Canary-Pw@service5.ultipro.com").unwrap_err();
    assert_eq!(err.field_errors()[0].field, "base_url");
    assert!(!err.to_string().contains("Canary-Pw"));
    let err = parse("http://service5.ultipro.com").unwrap_err();
    assert!(
        err.to_string().contains("base_url: uses plain http"),
        "{err}"
    );
    let err = parse("https://service5.ultipro.com/personnel/v1").unwrap_err();
    assert!(err.to_string().contains("has a path"), "{err}");
}

#[test]
fn base_url_problem_is_reported_with_missing_fields() {
    let err = parse_settings::<UkgProSettings>(
        "ukgpro",
        json!({"base_url": "ftp://x", "username": "a:b"}),
    )
    .unwrap_err();
    let fields: Vec<_> = err
        .field_errors()
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["base_url", "username", "password", "customer_api_key"]
    );
}

#[test]
fn defaults_and_ranges() {
    let base: Value =
        json!({"base_url": "h.example", "username": "u", "password": "p", "customer_api_key": "k"});
    let s: UkgProSettings = parse_settings("ukgpro", base.clone()).unwrap();
    assert_eq!((s.page_size, s.http.timeout_secs), (10_000, 60));
    let mut too_big = base;
    too_big["page_size"] = json!(10_001);
    let err = parse_settings::<UkgProSettings>("ukgpro", too_big).unwrap_err();
    assert!(
        err.to_string().contains("page_size: must be at most 10000"),
        "{err}"
    );
}

#[test]
fn a_pasted_login_page_address_points_to_the_web_services_host() {
    let raw = serde_json::json!({
        "base_url": "https://e32.ultipro.com/Login.aspx",
        "username": "svc",
        "password": "pw",
        "customer_api_key": "ABCDE",
    });
    let err =
        connector_core::settings::parse_settings::<connector_ukgpro::UkgProSettings>("ukgpro", raw)
            .expect_err("refused");
    let problem = &err.field_errors()[0];
    assert_eq!(problem.field, "base_url");
    assert!(
        problem.message.contains("login page"),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains("Web Services"),
        "{}",
        problem.message
    );
}
