//! The trait a provider's connector implements, and the SDK's connection-test runner.

use std::fmt;
use std::time::Instant;

use async_trait::async_trait;
use serde_json::Value;

use crate::check::{Checklist, TestReport, SETTINGS_STEP};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::Context;
use crate::registry::ProviderDescriptor;
use crate::user::{ExportOptions, UserExport};

/// A configured connection to one provider tenant.
///
/// `Debug` must not print credentials (hold them as [`Secret`](crate::Secret)s).
#[async_trait]
pub trait Connector: fmt::Debug + Send + Sync {
    /// The provider id.
    fn provider_id(&self) -> &'static str;

    /// Runs the provider's connection-test steps (everything after the settings step).
    async fn test_connection(&self, checks: &mut Checklist);

    /// Starts a user export: users stream out while later pages are still being fetched.
    /// Providers without the [`Capability::UserExport`](crate::Capability) capability keep the
    /// default, which says so.
    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        let _ = options;
        Err(Error::new(
            self.provider_id(),
            ErrorKind::Unsupported,
            "this provider cannot export users",
        ))
    }
}

/// Runs a full connection test from raw settings: the settings step, then the provider's
/// steps. Never fails: every problem is a failed step in the report.
pub async fn test_connection(descriptor: &ProviderDescriptor, raw_settings: Value) -> TestReport {
    test_connection_with(descriptor, raw_settings, &Context::default()).await
}

/// [`test_connection`] with a [`Context`] (a sandbox's address for a fixed-host provider).
pub async fn test_connection_with(
    descriptor: &ProviderDescriptor,
    raw_settings: Value,
    context: &Context,
) -> TestReport {
    let mut checks = Checklist::new(descriptor.id(), descriptor.checks());
    let started = Instant::now();
    let connector = descriptor.connect_with(raw_settings, context);
    let took = started.elapsed();
    match connector {
        Ok(connector) => {
            checks.record(SETTINGS_STEP.id, Ok("all fields are valid".into()), took);
            connector.test_connection(&mut checks).await;
        }
        Err(error) => {
            checks.record(SETTINGS_STEP.id, Err(error), took);
        }
    }
    checks.finish()
}

/// Starts `connector`'s user export with the SDK's shared plumbing around the provider's
/// stream: the status and company filters of `options` are applied (and counted in the
/// stats as filtered out), whatever the provider did itself. Use this rather than calling
/// [`Connector::export_users`] directly.
pub fn export_users(connector: &dyn Connector, options: ExportOptions) -> Result<UserExport> {
    use futures_util::StreamExt;
    let export = connector.export_users(options.clone())?;
    let stats = export.stats.clone();
    let counted = stats.clone();
    let users = export.users.filter(move |user| {
        let keep = match user {
            Ok(user) => options.matches(user),
            Err(_) => true,
        };
        if !keep {
            counted.add_filtered_out();
        }
        std::future::ready(keep)
    });
    Ok(UserExport {
        users: Box::pin(users),
        stats,
    })
}
