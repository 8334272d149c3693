//! The conformance suite every provider runs from its own tests (feature `testkit`).
//!
//! It checks the settings schema and validation, then plays scenarios against the provider's
//! mock tenant: a healthy tenant (every user exactly once, the key fields as the mock states
//! them, over one page and over many small pages, filters), rejected credentials, a missing
//! permission, an unreachable host, credentials that expire mid-export, a rate limit, a
//! malformed record and an empty tenant. Throughout, it keeps everything the SDK shows
//! (reports, errors, `Debug` output after a test and after an export) and, by re-running the
//! test in a child process, every log line at trace level and everything printed; it scans
//! all of it for every configured secret and every secret the mock issued at run time (raw,
//! base64 at any alignment, percent-encoded, JSON-escaped, and `user:secret` pairs), with
//! secrets of unusual shapes (GUID-like, `+/=`, quotes) tried too, and says where a leak
//! appeared.
//!
//! Use it whole with [`Conformance::run`], or call the checks one by one:
//!
//! ```no_run
//! # async fn demo() {
//! use connector_core::testkit::{Conformance, ConformanceReport, MockTenant, Scenario};
//!
//! let example = serde_json::json!({"host": "api.example.com", "token": "t0k3n"});
//! let kit = Conformance::new(my_provider_descriptor(), example).with_mock(|scenario| async move {
//!     match scenario {
//!         // Start a mock tenant that plays `scenario`; return settings that point at it and
//!         // what it holds: MockTenant::new(settings, guard).expect_user("E1", json!({...}))
//!         _ => MockTenant::unsupported(),
//!     }
//! });
//! // Everything, logs and stderr included:
//! kit.run().await.assert_ok();
//! // Or granular:
//! let mut report = ConformanceReport::new("my_provider");
//! kit.check_schema(&mut report);
//! kit.check_paging(&mut report).await;
//! report.scan_evidence();
//! report.assert_ok();
//! # }
//! # fn my_provider_descriptor() -> &'static connector_core::ProviderDescriptor { unimplemented!() }
//! ```

mod capture;
mod connection_checks;
mod export_checks;
mod mapping_checks;
mod mock;
mod report;
mod schema_checks;

use std::future::Future;

use serde_json::Value;

use crate::registry::{Capability, ProviderDescriptor};

pub use capture::CHILD_REPORT;
pub use mapping_checks::KEY_FIELDS;
pub use mock::{IssuedSecrets, MockTenant, ReceivedUrls, Scenario};
pub use report::ConformanceReport;

/// The conformance suite for one provider.
pub struct Conformance {
    descriptor: &'static ProviderDescriptor,
    example: Value,
    start_mock: Option<mock::StartMock>,
    not_secret: Vec<(String, String)>,
    secret_in_url: Vec<(String, String)>,
}

impl Conformance {
    /// The suite for `descriptor`, with valid example settings (any values; they need not
    /// reach a tenant).
    pub fn new(descriptor: &'static ProviderDescriptor, example_settings: Value) -> Self {
        Conformance {
            descriptor,
            example: example_settings,
            start_mock: None,
            not_secret: Vec::new(),
            secret_in_url: Vec::new(),
        }
    }

    /// How to start the provider's mock tenant for a scenario. Without it, the checks that
    /// need a tenant fail.
    pub fn with_mock<F, Fut>(mut self, start: F) -> Self
    where
        F: Fn(Scenario) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = MockTenant> + Send + 'static,
    {
        self.start_mock = Some(Box::new(move |s| Box::pin(start(s))));
        self
    }

    /// Exempts a field whose name looks like a credential from the secret lint, with the
    /// reason (e.g. `("key_field", "names a column, holds no credential")`).
    pub fn allow_not_secret(mut self, field: &str, reason: &str) -> Self {
        self.not_secret.push((field.to_owned(), reason.to_owned()));
        self
    }

    /// Allows the secret setting `field` in request URLs, with the reason (an API whose only
    /// scheme is an API key in the query).
    pub fn allow_secret_in_url(mut self, field: &str, reason: &str) -> Self {
        self.secret_in_url
            .push((field.to_owned(), reason.to_owned()));
        self
    }

    /// Runs every check. The checks run in a child process (this same test, re-run by name)
    /// so that its logs at trace level and everything it prints can be scanned for secrets;
    /// where that is impossible they run here and the report says what was not scanned.
    pub async fn run(&self) -> ConformanceReport {
        let run = capture::next_run();
        match capture::child_role(run) {
            capture::Child::Report(path) => {
                let traced = capture::trace_to_stderr();
                let mut report = self.run_in_process().await;
                if !traced {
                    report.failures.push(
                        "logs were captured at trace level: another global tracing subscriber is installed in the test binary".into(),
                    );
                }
                capture::write_child_report(&path, &report);
                // The child's work is done: the rest of the test is the parent's.
                std::process::exit(0);
            }
            // An earlier call: what the parent got, so the test reaches the right call.
            capture::Child::Replay(Some(report)) => return report,
            capture::Child::Replay(None) => return self.run_in_process().await,
            capture::Child::No => {}
        }
        match capture::run_child(self.descriptor.id(), run).await {
            Ok(report) => report,
            Err(why) => {
                let mut report = self.run_in_process().await;
                report.failures.push(format!(
                    "stderr and logs were not scanned for secrets: {why}"
                ));
                report
            }
        }
    }

    /// Runs every check in this process (without the stderr and log scan of [`run`](Self::run)).
    pub async fn run_in_process(&self) -> ConformanceReport {
        let mut report = ConformanceReport::new(self.descriptor.id());
        self.check_schema(&mut report);
        self.check_validation(&mut report);
        if self.descriptor.can(Capability::ConnectionTest) {
            self.check_connection(&mut report).await;
            self.check_optional_fields(&mut report).await;
            self.check_rejected_credentials(&mut report).await;
            self.check_unusual_secrets(&mut report).await;
            self.check_permission_denied(&mut report).await;
            self.check_unreachable(&mut report).await;
        }
        if self.descriptor.can(Capability::UserExport) {
            self.check_export(&mut report).await;
            self.check_paging(&mut report).await;
            self.check_filters(&mut report).await;
            self.check_expiring_credentials(&mut report).await;
            self.check_rate_limited(&mut report).await;
            self.check_malformed_record(&mut report).await;
            self.check_withheld_fields(&mut report).await;
            self.check_empty(&mut report).await;
            self.check_export_denied(&mut report).await;
        }
        report.scan_evidence();
        report
    }

    /// Starts the mock for `scenario`, registers its secrets, or records why check `name`
    /// cannot run.
    async fn tenant(
        &self,
        report: &mut ConformanceReport,
        scenario: Scenario,
        name: &str,
    ) -> Option<MockTenant> {
        let Some(start) = &self.start_mock else {
            report.check(false, name, || {
                "no mock tenant given (Conformance::with_mock)".into()
            });
            return None;
        };
        let tenant = start(scenario).await;
        if !tenant.supported {
            report.skip(name, &format!("the mock does not play {scenario:?}"));
            return None;
        }
        self.register_secrets(report, &tenant.settings);
        Some(tenant)
    }

    /// Registers the secret values of `settings` (and `user:secret` pairs) for the leak scan.
    fn register_secrets(&self, report: &mut ConformanceReport, settings: &Value) {
        let schema = self.descriptor.settings_schema();
        let mut secrets = Vec::new();
        for (path, value) in schema.secret_values(settings) {
            report.secret(&format!("the `{path}` setting"), &value);
            secrets.push(value);
        }
        // Strings that may be a Basic user name: every non-secret string, one level deep.
        let mut strings = Vec::new();
        let mut add = |v: &Value| {
            if let Some(text) = v.as_str() {
                if !secrets.iter().any(|s| s == text) {
                    strings.push(text.to_owned());
                }
            }
        };
        for value in settings.as_object().into_iter().flat_map(|o| o.values()) {
            add(value);
            for inner in value.as_object().into_iter().flat_map(|o| o.values()) {
                add(inner);
            }
        }
        for pair in report::basic_pairs(&strings, &secrets) {
            report.secret("a `user:secret` pair of settings (a Basic header)", &pair);
        }
    }

    /// After a scenario: registers what the mock issued at run time (tokens) for the leak
    /// scan, and scans the URLs it received for secrets.
    async fn collect(&self, report: &mut ConformanceReport, tenant: &MockTenant) {
        for token in tenant.issued_secrets() {
            report.secret("a credential the mock issued at run time (a token)", &token);
        }
        let allowed: Vec<&str> = self
            .secret_in_url
            .iter()
            .filter_map(|(field, _)| tenant.settings.get(field)?.as_str())
            .collect();
        let urls = tenant.received_urls().await.join("\n");
        let mut scan = ConformanceReport::new(self.descriptor.id());
        scan.secrets = report
            .secrets
            .iter()
            .filter(|(_, v)| !allowed.contains(&v.as_str()))
            .cloned()
            .collect();
        scan.scan(
            "a URL the provider requested (query strings end up in server and proxy logs)",
            &urls,
        );
        report.failures.append(&mut scan.failures);
    }
}
