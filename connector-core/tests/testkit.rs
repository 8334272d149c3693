//! The conformance suite catches a sloppy provider and says what to fix.

use async_trait::async_trait;
use connector_core::check::Checklist;
use connector_core::settings::Settings;
use connector_core::testkit::Conformance;
use connector_core::{Capability, Connector, ProviderDescriptor, Result};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// Settings of a sloppy provider.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Sloppy")]
#[allow(dead_code)]
struct SloppySettings {
    #[schemars(title = "Host")]
    host: String,
    /// The API key, held as plain text (wrong).
    #[schemars(title = "API key")]
    api_key: String,
}
impl Settings for SloppySettings {}

#[derive(Debug)]
struct Sloppy;

#[async_trait]
impl Connector for Sloppy {
    fn provider_id(&self) -> &'static str {
        "sloppy"
    }
    async fn test_connection(&self, _: &mut Checklist) {}
}

impl connector_core::Provider for Sloppy {
    const ID: &'static str = "sloppy";
    type Settings = SloppySettings;
    type Connector = Sloppy;
    fn connect(_: SloppySettings, _: &connector_core::Context) -> Result<Sloppy> {
        Ok(Sloppy)
    }
}

static SLOPPY: ProviderDescriptor = ProviderDescriptor::new::<Sloppy>("Sloppy")
    .with_description("a provider that breaks the rules")
    .with_docs_url("https://example.invalid")
    .with_capabilities(&[Capability::ConnectionTest]);

#[tokio::test]
async fn a_sloppy_provider_fails_with_explanations() {
    let report = Conformance::new(&SLOPPY, json!({"host": "h", "api_key": "k"}))
        .run()
        .await;
    let all = report.failures.join("\n");
    assert!(all.contains("`host` has a description"), "{all}");
    assert!(
        all.contains("`api_key` looks like a credential but is not a `Secret`"),
        "{all}"
    );
    assert!(all.contains("no mock tenant given"), "{all}");
    assert!(report
        .passed
        .iter()
        .any(|p| p == "settings schema is valid JSON Schema 2020-12"));
    // The checks ran in a child process whose logs and stderr were scanned.
    assert!(
        report
            .passed
            .iter()
            .any(|p| p == "logs were captured at trace level"),
        "{:?}",
        report.passed
    );
    let panic = std::panic::catch_unwind(|| report.assert_ok()).unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("provider `sloppy` fails 7 conformance check(s)"),
        "{text}"
    );

    // An exemption with a reason silences the lint.
    let report = Conformance::new(&SLOPPY, json!({"host": "h", "api_key": "k"}))
        .allow_not_secret("api_key", "test")
        .run()
        .await;
    assert!(!report.failures.join("\n").contains("api_key"));
}
