//! The example third-party provider (examples/acmehr) passes the same conformance suite as
//! the built-in providers, in every scenario its API has, and registers alongside them.

#[path = "../examples/acmehr/provider/mod.rs"]
#[allow(dead_code)]
mod provider;

use connector_core::testkit::Conformance;
use serde_json::json;

#[tokio::test]
async fn the_example_provider_conforms() {
    let example = json!({"client_id": "acme-client-7f3a", "client_secret": "example-secret-123"});
    let report = Conformance::new(provider::descriptor(), example)
        .with_mock(provider::testing::mock)
        .run()
        .await;
    report.assert_ok();
    // Every scenario but withheld sections: Acme HR answers whole employee records.
    assert!(
        report.skipped.iter().all(|s| s.contains("WithheldFields")),
        "{:?}",
        report.skipped
    );
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
}

#[test]
fn both_providers_are_registered() {
    std::hint::black_box(connector_ukgpro::descriptor());
    let ids: Vec<_> = connector_core::registry::providers()
        .iter()
        .map(|d| d.id())
        .collect();
    assert_eq!(ids, ["acmehr", "ukgpro"]);
}
