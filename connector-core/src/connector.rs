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
/// stream, the same for every provider:
///
/// * the status and company filters of `options` are applied (and counted as filtered out),
///   whatever the provider did itself;
/// * a user that repeats one already exported (same company and id) is dropped and counted as
///   a duplicate: the first one wins, whatever the timing;
/// * an export that yields more than [`ExportOptions::max_users`] users stops with an error (a
///   listing that never ends).
///
/// Use this rather than calling [`Connector::export_users`] directly.
pub fn export_users(connector: &dyn Connector, options: ExportOptions) -> Result<UserExport> {
    use futures_util::StreamExt;
    let provider = connector.provider_id();
    let export = connector.export_users(options.clone())?;
    let stats = export.stats.clone();
    let counted = stats.clone();
    let max = options
        .max_users
        .unwrap_or(ExportOptions::DEFAULT_MAX_USERS);
    let mut seen = std::collections::HashSet::new();
    let mut ended = false;
    // `scan` ends the stream after the ceiling error; `filter_map` drops what is skipped.
    let users = export
        .users
        .scan((), move |(), item| {
            if ended {
                return std::future::ready(None);
            }
            let out = match item {
                Err(e) => Some(Err(e)),
                Ok(user) if !seen.insert(user_key(&user)) => {
                    counted.add_duplicate();
                    None
                }
                Ok(_) if seen.len() as u64 > max => {
                    ended = true;
                    Some(Err(Error::new(
                        provider,
                        ErrorKind::Protocol,
                        format!("the listing went past {max} users without ending; stopped"),
                    )
                    .with_hint("if the tenant really is this large, raise the ceiling (--max-users); otherwise the server keeps sending new records")))
                }
                Ok(user) if options.matches(&user) => Some(Ok(user)),
                Ok(_) => {
                    counted.add_filtered_out();
                    None
                }
            };
            std::future::ready(Some(out))
        })
        .filter_map(std::future::ready);
    Ok(UserExport {
        users: Box::pin(users),
        stats,
    })
}

/// A user's identity (company and id) as 128 bits: 16 bytes per user remembered, collisions
/// out of reach.
fn user_key(user: &crate::User) -> u128 {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        user.company_id.hash(&mut h);
        user.id.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}
