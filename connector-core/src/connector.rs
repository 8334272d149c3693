//! The trait a provider's connector implements, and the SDK's connection-test runner.

use std::fmt;
use std::time::Instant;

use async_trait::async_trait;
use serde_json::Value;

use crate::check::{Checklist, TestReport, SETTINGS_STEP};
use crate::registry::ProviderDescriptor;

/// A configured connection to one provider tenant.
///
/// `Debug` must not print credentials (hold them as [`Secret`](crate::Secret)s).
#[async_trait]
pub trait Connector: fmt::Debug + Send + Sync {
    /// Runs the provider's connection-test steps (everything after the settings step).
    async fn test_connection(&self, checks: &mut Checklist);
}

/// Runs a full connection test from raw settings: the settings step, then the provider's
/// steps. Never fails: every problem is a failed step in the report.
pub async fn test_connection(descriptor: &ProviderDescriptor, raw_settings: Value) -> TestReport {
    let mut checks = Checklist::new(descriptor.id, descriptor.checks);
    let started = Instant::now();
    let connector = (descriptor.connect)(raw_settings);
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
