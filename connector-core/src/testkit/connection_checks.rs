//! Checks of the connection test against the mock: it passes on a healthy tenant, fails at
//! the right step with the right kind when credentials are wrong, a permission is missing or
//! the host is unreachable, and skips what follows.

use serde_json::Value;

use crate::check::{StepStatus, TestReport};

use super::{Conformance, ConformanceReport, Scenario};

impl Conformance {
    /// Runs the connection test for `scenario`, keeping everything it showed; `None` (and a
    /// skip) when the mock does not play the scenario.
    async fn test_report(
        &self,
        report: &mut ConformanceReport,
        scenario: Scenario,
        name: &str,
    ) -> Option<TestReport> {
        let tenant = self.tenant(report, scenario, name).await?;
        let outcome = crate::connection_test::test_connection_with(
            self.descriptor,
            tenant.settings.clone(),
            &tenant.context,
        )
        .await;
        let place = format!("the connection test report ({scenario:?})");
        report.evidence(&place, format!("{outcome:?}"));
        report.evidence(&place, serde_json::to_string(&outcome).unwrap_or_default());
        if let Ok(connector) = self
            .descriptor
            .connect_with(tenant.settings.clone(), &tenant.context)
        {
            report.evidence(
                &format!("the connector's Debug output ({scenario:?})"),
                format!("{connector:?} {connector:#?}"),
            );
        }
        self.collect(report, &tenant).await;
        Some(outcome)
    }

    /// The connection test passes against a healthy mock.
    pub async fn check_connection(&self, report: &mut ConformanceReport) {
        let name = "connection test passes against the mock";
        let Some(ok) = self
            .test_report(report, Scenario::Healthy { users: 3 }, name)
            .await
        else {
            return;
        };
        report.check(ok.passed, name, || {
            let failed: Vec<String> = ok
                .steps
                .iter()
                .filter(|s| s.status != StepStatus::Passed)
                .map(|s| format!("{} ({:?}: {})", s.id, s.status, s.message))
                .collect();
            format!("steps not passed: {}", failed.join("; "))
        });
    }

    /// Every optional setting the mock's settings use can be left out: the connection test
    /// still passes without it (a field that is really needed must be required).
    pub async fn check_optional_fields(&self, report: &mut ConformanceReport) {
        let schema = self.descriptor.settings_schema();
        for field in schema.fields().iter().filter(|f| !f.required) {
            let name = format!("optional `{}` is not needed to connect", field.name);
            let Some(tenant) = self
                .tenant(report, Scenario::Healthy { users: 3 }, &name)
                .await
            else {
                return;
            };
            let Some(mut without) = tenant.settings.as_object().cloned() else {
                continue;
            };
            if without.remove(&field.name).is_none() {
                continue;
            }
            let outcome = crate::connection_test::test_connection_with(
                self.descriptor,
                serde_json::Value::Object(without),
                &tenant.context,
            )
            .await;
            report.evidence(
                &format!("the connection test report (without `{}`)", field.name),
                format!("{outcome:?}"),
            );
            report.check(outcome.passed, &name, || {
                let failed = outcome
                    .first_failure()
                    .map(|s| format!("{}: {}", s.id, s.message))
                    .unwrap_or_default();
                format!(
                    "without it the connection test fails ({failed}); make `{}` required",
                    field.name
                )
            });
        }
    }

    /// A failing scenario fails the test at a step of `kind` with a hint; with `blocks_rest`,
    /// nothing after it passes (independent permission steps may).
    async fn check_failing(
        &self,
        report: &mut ConformanceReport,
        scenario: Scenario,
        kind: &str,
        blocks_rest: bool,
        name: &str,
    ) {
        let Some(bad) = self.test_report(report, scenario, name).await else {
            return;
        };
        let failed = bad
            .steps
            .iter()
            .position(|s| s.status == StepStatus::Failed && s.error_kind == Some(kind));
        let right_kind = failed.is_some_and(|i| bad.steps[i].error_kind == Some(kind));
        let rest_skipped = !blocks_rest
            || failed.is_some_and(|i| {
                bad.steps[i + 1..]
                    .iter()
                    .all(|s| s.status != StepStatus::Passed)
            });
        let hinted = failed.is_some_and(|i| bad.steps[i].hint.is_some());
        report.check(right_kind && rest_skipped && hinted, name, || {
            let steps: Vec<String> = bad
                .steps
                .iter()
                .map(|s| format!("{}={:?}/{:?}", s.id, s.status, s.error_kind))
                .collect();
            format!(
                "expected a failed step of kind `{kind}` with a hint, then nothing passed; got {}",
                steps.join(", ")
            )
        });
    }

    /// Rejected credentials fail authentication (with a hint) and skip later steps.
    pub async fn check_rejected_credentials(&self, report: &mut ConformanceReport) {
        self.check_failing(
            report,
            Scenario::RejectCredentials,
            "authentication",
            true,
            "rejected credentials fail authentication and skip later steps",
        )
        .await;
    }

    /// Secrets of unusual shapes (GUID-like, with `+/=`, with quotes and a backslash), put in
    /// every secret setting of the rejected-credentials scenario: the provider validates,
    /// connects and fails its test without showing any of them in any encoding (the leak
    /// scan looks at the reports, errors and `Debug` output kept here).
    pub async fn check_unusual_secrets(&self, report: &mut ConformanceReport) {
        let name = "secrets of unusual shapes never appear in reports or errors";
        let Some(tenant) = self.tenant(report, Scenario::RejectCredentials, name).await else {
            return;
        };
        let schema = self.descriptor.settings_schema();
        let paths: Vec<String> = schema
            .secret_values(&tenant.settings)
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        let mut ran = 0;
        for (i, shape) in UNUSUAL_SECRETS.iter().enumerate() {
            let mut settings = tenant.settings.clone();
            for (j, path) in paths.iter().enumerate() {
                // Each field its own value, so that a leak names the field.
                let value = format!("{shape}{i}{j}");
                report.secret(&format!("an unusual value of `{path}` ({shape})"), &value);
                crate::settings::set_path(&mut settings, path, Value::String(value));
            }
            let outcome = crate::connection_test::test_connection_with(
                self.descriptor,
                settings.clone(),
                &tenant.context,
            )
            .await;
            let place = format!("the connection test report with unusual secrets ({shape})");
            report.evidence(&place, format!("{outcome:?}"));
            report.evidence(&place, serde_json::to_string(&outcome).unwrap_or_default());
            match self.descriptor.connect_with(settings, &tenant.context) {
                Ok(connector) => report.evidence(
                    &format!("the connector's Debug output with unusual secrets ({shape})"),
                    format!("{connector:?} {connector:#?}"),
                ),
                Err(e) => report.evidence(
                    &format!("the settings error with unusual secrets ({shape})"),
                    format!("{e} {e:?} {}", e.full_message()),
                ),
            }
            ran += 1;
        }
        self.collect(report, &tenant).await;
        report.check(ran > 0 && !paths.is_empty(), name, || {
            "the rejected-credentials mock's settings hold no secret field".to_owned()
        });
    }

    /// A missing permission fails a permission step (with the provider's hint).
    pub async fn check_permission_denied(&self, report: &mut ConformanceReport) {
        self.check_failing(
            report,
            Scenario::DenyPermission,
            "permission",
            false,
            "a missing permission fails its step with a hint",
        )
        .await;
    }

    /// An unreachable host fails the reachability step as a network failure.
    pub async fn check_unreachable(&self, report: &mut ConformanceReport) {
        self.check_failing(
            report,
            Scenario::Unreachable,
            "network",
            true,
            "an unreachable host fails as a network error",
        )
        .await;
    }
}

/// Secret values of shapes that break naive handling: a GUID (what many client secrets look
/// like), base64 punctuation, quotes and a backslash (escaped differently by JSON, URLs and
/// shells).
const UNUSUAL_SECRETS: [&str; 3] = [
    "6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "Zm9v+YmFy/cXV4=+/=",
    "it's \"quoted\" \\ ok",
];
