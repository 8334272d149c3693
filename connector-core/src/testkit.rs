//! The conformance suite every provider runs from its own tests (feature `testkit`): it
//! checks the settings schema, validation, the connection test against the provider's mock,
//! the user export, and that no secret leaks — and explains every failure.
//!
//! ```no_run
//! # async fn demo() {
//! use connector_core::testkit::{Conformance, MockTenant, Scenario};
//!
//! let example = serde_json::json!({"host": "api.example.com", "token": "t0k"});
//! Conformance::new(my_provider_descriptor(), example)
//!     .with_mock(|scenario: Scenario| async move {
//!         // start a mock tenant that behaves as `scenario` asks; return settings for it
//!         # let _ = scenario;
//!         MockTenant::new(serde_json::json!({}), ())
//!     })
//!     .run()
//!     .await
//!     .assert_ok();
//! # }
//! # fn my_provider_descriptor() -> &'static connector_core::ProviderDescriptor { unimplemented!() }
//! ```

use std::any::Any;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;

use futures_util::StreamExt;
use serde_json::Value;

use crate::check::StepStatus;
use crate::registry::{Capability, ProviderDescriptor};
use crate::user::{ExportOptions, User};

/// Field-name fragments that suggest a credential.
const CREDENTIAL_WORDS: [&str; 8] = [
    "password",
    "passwd",
    "secret",
    "token",
    "key",
    "credential",
    "passphrase",
    "private",
];

/// What the provider's mock tenant must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scenario {
    /// A working tenant with this many users, every permission granted.
    Healthy {
        /// Users in the tenant.
        users: u64,
    },
    /// A tenant with no users.
    Empty,
    /// Settings whose credentials the mock rejects (e.g. a wrong password).
    RejectCredentials,
}

/// A running mock tenant: settings that point at it, and whatever keeps it alive.
pub struct MockTenant {
    /// Raw settings for the provider's `connect`.
    pub settings: Value,
    /// How to point a fixed-host provider at the mock (see [`MockTenant::with_endpoint`]).
    pub context: crate::Context,
    _guard: Box<dyn Any + Send>,
}

impl MockTenant {
    /// Settings, and a guard that keeps the mock running until the tenant is dropped.
    pub fn new(settings: Value, guard: impl Any + Send) -> Self {
        MockTenant {
            settings,
            context: crate::Context::default(),
            _guard: Box::new(guard),
        }
    }

    /// For a provider whose host is fixed (no URL setting): the mock's address, passed to
    /// `connect` in the [`Context`](crate::Context).
    pub fn with_endpoint(mut self, endpoint: url::Url) -> Self {
        self.context = crate::Context::with_endpoint(endpoint);
        self
    }
}

type StartMock =
    Box<dyn Fn(Scenario) -> Pin<Box<dyn Future<Output = MockTenant> + Send>> + Send + Sync>;

/// The conformance suite for one provider.
pub struct Conformance {
    descriptor: &'static ProviderDescriptor,
    example: Value,
    start_mock: Option<StartMock>,
    not_secret: Vec<(String, String)>,
}

/// The outcome: what passed and what failed, each with an explanation.
#[derive(Debug, Default, Clone)]
pub struct ConformanceReport {
    /// The provider id.
    pub provider: &'static str,
    /// Checks that passed.
    pub passed: Vec<String>,
    /// Checks that failed, with what to fix.
    pub failures: Vec<String>,
}

impl ConformanceReport {
    fn check(&mut self, ok: bool, name: &str, failure: impl FnOnce() -> String) {
        if ok {
            self.passed.push(name.to_owned());
        } else {
            self.failures.push(format!("{name}: {}", failure()));
        }
    }

    /// Panics with every failure explained, if there is any.
    pub fn assert_ok(&self) {
        if self.failures.is_empty() {
            return;
        }
        let mut text = format!(
            "provider `{}` fails {} conformance check(s) ({} passed):\n",
            self.provider,
            self.failures.len(),
            self.passed.len()
        );
        for f in &self.failures {
            let _ = writeln!(text, "  - {f}");
        }
        panic!("{text}");
    }
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
        }
    }

    /// How to start the provider's mock tenant for a scenario. Without it, the connection
    /// test and export checks are skipped (and reported as failures).
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

    /// Runs every check.
    pub async fn run(&self) -> ConformanceReport {
        let mut report = ConformanceReport {
            provider: self.descriptor.id(),
            ..ConformanceReport::default()
        };
        let secrets = self.check_schema(&mut report);
        self.check_validation(&mut report);
        let Some(start) = &self.start_mock else {
            report.failures.push(
                "mock: no mock tenant given (Conformance::with_mock); the connection test and export were not checked".into(),
            );
            return report;
        };
        let mut shown = String::new();
        self.check_connection(start, &mut report, &mut shown).await;
        if self.descriptor.can(Capability::UserExport) {
            self.check_export(start, &mut report, &mut shown).await;
        }
        // Everything the SDK printed or returned during the checks, against every secret.
        let mut secret_values = secrets;
        for scenario in [Scenario::Healthy { users: 1 }, Scenario::RejectCredentials] {
            let tenant = start(scenario).await;
            secret_values.extend(self.secret_values(&tenant.settings));
        }
        let leaked: Vec<&String> = secret_values
            .iter()
            .filter(|s| shown.contains(s.as_str()))
            .collect();
        report.check(leaked.is_empty(), "no secret in Debug output, errors or reports", || {
            format!("{} secret value(s) appeared in Debug output, an error or a report; hold credentials in `Secret` and never format them", leaked.len())
        });
        report
    }

    fn secret_values(&self, settings: &Value) -> Vec<String> {
        let schema = self.descriptor.settings_schema();
        schema
            .fields()
            .iter()
            .filter(|f| f.secret)
            .filter_map(|f| settings.get(&f.name)?.as_str().map(str::to_owned))
            .filter(|v| v.len() >= 4)
            .collect()
    }

    /// Schema checks; returns the example's secret values.
    fn check_schema(&self, report: &mut ConformanceReport) -> Vec<String> {
        let schema = self.descriptor.settings_schema();
        let doc = schema.document();
        let meta = jsonschema::draft202012::meta::validate(doc);
        report.check(
            meta.is_ok(),
            "settings schema is valid JSON Schema 2020-12",
            || {
                meta.as_ref()
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            },
        );
        for key in ["title", "description"] {
            report.check(doc[key].as_str().is_some_and(|t| !t.is_empty()), &format!("schema has a {key}"), || {
                format!("give the settings struct a {key} (`#[schemars(title = ...)]`, a doc comment)")
            });
        }
        for field in schema.fields() {
            let name = &field.name;
            report.check(
                field.title.is_some(),
                &format!("`{name}` has a title"),
                || format!("add `#[schemars(title = \"...\")]` to `{name}`"),
            );
            report.check(
                field.description.is_some(),
                &format!("`{name}` has a description"),
                || format!("add a doc comment to `{name}` saying where the user finds the value"),
            );
            if field.secret {
                let p = &doc["properties"][name];
                report.check(
                    p["writeOnly"] == true && p["x-secret"] == true,
                    &format!("secret `{name}` is writeOnly and x-secret"),
                    || format!("declare `{name}` as `Secret` (or `Option<Secret>`)"),
                );
            }
            let lower = name.to_ascii_lowercase();
            let looks_secret = CREDENTIAL_WORDS.iter().any(|w| lower.contains(w));
            let exempt = self.not_secret.iter().any(|(f, _)| f == name);
            report.check(!looks_secret || field.secret || exempt, &format!("`{name}` is a secret if it looks like one"), || {
                format!("`{name}` looks like a credential but is not a `Secret`; make it one, or exempt it with Conformance::allow_not_secret(\"{name}\", reason)")
            });
        }
        self.secret_values(&self.example)
    }

    fn check_validation(&self, report: &mut ConformanceReport) {
        let schema = self.descriptor.settings_schema();
        let valid = schema.validate(self.example.clone());
        report.check(valid.is_ok(), "example settings validate", || {
            format!("{:?}", valid.as_ref().err())
        });
        for field in schema.fields() {
            let Some(mut without) = self.example.as_object().cloned() else {
                continue;
            };
            if without.remove(&field.name).is_none() {
                report.check(
                    !field.required,
                    &format!("required `{}` is in the example", field.name),
                    || "the example settings must set every required field".into(),
                );
                continue;
            }
            let outcome = schema.validate(Value::Object(without));
            if field.required {
                let named = outcome
                    .as_ref()
                    .err()
                    .is_some_and(|errs| errs.iter().any(|e| e.field == field.name));
                report.check(
                    named,
                    &format!("missing required `{}` is reported by name", field.name),
                    || "validation did not name the missing field".into(),
                );
            } else {
                report.check(
                    outcome.is_ok(),
                    &format!("optional `{}` may be left out", field.name),
                    || format!("{outcome:?}"),
                );
            }
        }
    }

    async fn check_connection(
        &self,
        start: &StartMock,
        report: &mut ConformanceReport,
        shown: &mut String,
    ) {
        if !self.descriptor.can(Capability::ConnectionTest) {
            return;
        }
        let tenant = start(Scenario::Healthy { users: 3 }).await;
        let ok = crate::connector::test_connection_with(
            self.descriptor,
            tenant.settings.clone(),
            &tenant.context,
        )
        .await;
        let _ = write!(
            shown,
            "{ok:?}{}",
            serde_json::to_string(&ok).unwrap_or_default()
        );
        if let Ok(connector) = self
            .descriptor
            .connect_with(tenant.settings.clone(), &tenant.context)
        {
            let _ = write!(shown, "{connector:?}");
        }
        report.check(ok.passed, "connection test passes against the mock", || {
            let failed: Vec<String> = ok
                .steps
                .iter()
                .filter(|s| s.status != StepStatus::Passed)
                .map(|s| format!("{} ({:?}: {})", s.id, s.status, s.message))
                .collect();
            format!("steps not passed: {}", failed.join("; "))
        });
        let tenant = start(Scenario::RejectCredentials).await;
        let bad = crate::connector::test_connection_with(
            self.descriptor,
            tenant.settings.clone(),
            &tenant.context,
        )
        .await;
        let _ = write!(
            shown,
            "{bad:?}{}",
            serde_json::to_string(&bad).unwrap_or_default()
        );
        let failed = bad
            .steps
            .iter()
            .position(|s| s.status == StepStatus::Failed);
        let auth_failed = failed.is_some_and(|i| bad.steps[i].error_kind == Some("authentication"));
        let rest_skipped = failed.is_some_and(|i| {
            bad.steps[i + 1..]
                .iter()
                .all(|s| s.status == StepStatus::Skipped)
        });
        report.check(
            auth_failed && rest_skipped,
            "rejected credentials fail authentication and skip later steps",
            || {
                let steps: Vec<String> = bad
                    .steps
                    .iter()
                    .map(|s| format!("{}={:?}/{:?}", s.id, s.status, s.error_kind))
                    .collect();
                format!("got {}", steps.join(", "))
            },
        );
        // An error from invalid settings must not echo secrets either.
        let mut broken = self.example.clone();
        if let Some(map) = broken.as_object_mut() {
            map.insert("__unknown_field__".into(), Value::Bool(true));
        }
        if let Err(e) = self.descriptor.connect(broken) {
            let _ = write!(shown, "{e:?}{e}{}", e.full_message());
        }
    }

    async fn check_export(
        &self,
        start: &StartMock,
        report: &mut ConformanceReport,
        shown: &mut String,
    ) {
        let user_schema = User::json_schema();
        let validator = jsonschema::draft202012::new(&user_schema).ok();
        let users = 25;
        let tenant = start(Scenario::Healthy { users }).await;
        match export_all(self.descriptor, &tenant).await {
            Ok(list) => {
                let _ = write!(shown, "{list:?}");
                report.check(
                    list.len() as u64 == users,
                    "export yields every user of the mock",
                    || format!("expected {users}, got {}", list.len()),
                );
                let ids: HashSet<&str> = list.iter().map(|u| u.id.as_str()).collect();
                report.check(
                    ids.len() == list.len(),
                    "exported users have unique ids",
                    || format!("{} duplicate id(s)", list.len() - ids.len()),
                );
                let invalid = list
                    .iter()
                    .filter(|u| {
                        let v = serde_json::to_value(u).unwrap_or_default();
                        !validator.as_ref().is_some_and(|val| val.is_valid(&v))
                    })
                    .count();
                report.check(
                    invalid == 0,
                    "exported users satisfy the User schema",
                    || format!("{invalid} user(s) do not"),
                );
            }
            Err(e) => {
                let _ = write!(shown, "{e:?}{e}");
                report.failures.push(format!(
                    "export against the mock: failed: {}",
                    e.full_message()
                ));
            }
        }
        let tenant = start(Scenario::Empty).await;
        let empty = export_all(self.descriptor, &tenant).await;
        report.check(
            matches!(&empty, Ok(l) if l.is_empty()),
            "an empty tenant is an empty export",
            || match &empty {
                Ok(l) => format!("got {} users", l.len()),
                Err(e) => format!("got an error: {e}"),
            },
        );
    }
}

async fn export_all(
    descriptor: &ProviderDescriptor,
    tenant: &MockTenant,
) -> crate::Result<Vec<User>> {
    let connector = descriptor.connect_with(tenant.settings.clone(), &tenant.context)?;
    let mut export = crate::connector::export_users(&*connector, ExportOptions::new())?;
    let mut users = Vec::new();
    while let Some(user) = export.users.next().await {
        users.push(user?);
    }
    Ok(users)
}
