//! The provider registry: every provider crate submits a [`ProviderDescriptor`] with
//! [`inventory`], and the CLI lists and finds them here.
//!
//! A binary must reference each provider crate it links (e.g. call its `descriptor()`), or
//! the linker may drop the registration.

use serde_json::Value;

use crate::check::CheckStep;
use crate::connector::Connector;
use crate::error::{Error, ErrorKind, Result};
use crate::sandbox::StartSandbox;
use crate::settings::SettingsSchema;

/// What a provider can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Capability {
    /// `test`: a connection test of named steps.
    ConnectionTest,
    /// `users`: export of normalized users.
    UserExport,
}

/// Everything the SDK needs to know about a provider.
#[derive(Debug)]
pub struct ProviderDescriptor {
    /// Short id used on the command line and in environment variables (`ukgpro`).
    pub id: &'static str,
    /// Display name ("UKG Pro").
    pub name: &'static str,
    /// One sentence on what the provider connects to.
    pub description: &'static str,
    /// Where to read more.
    pub docs_url: &'static str,
    /// What the provider can do.
    pub capabilities: &'static [Capability],
    /// The connection test's steps after the SDK's own settings step.
    pub checks: &'static [CheckStep],
    /// The JSON Schema of the provider's settings.
    pub settings_schema: fn() -> SettingsSchema,
    /// Validates raw settings and builds a connector. Settings problems are reported as
    /// [`ErrorKind::InvalidSettings`] listing every field.
    pub connect: fn(Value) -> Result<Box<dyn Connector>>,
    /// Starts the provider's embedded sandbox, when it has one.
    pub sandbox: Option<StartSandbox>,
}

inventory::collect!(ProviderDescriptor);

/// Every registered provider, sorted by id.
pub fn providers() -> Vec<&'static ProviderDescriptor> {
    let mut all: Vec<_> = inventory::iter::<ProviderDescriptor>.into_iter().collect();
    all.sort_by_key(|d| d.id);
    all
}

/// The provider with `id`; the error names every id that exists.
pub fn provider(id: &str) -> Result<&'static ProviderDescriptor> {
    let all = providers();
    all.iter().copied().find(|d| d.id == id).ok_or_else(|| {
        let ids: Vec<_> = all.iter().map(|d| d.id).collect();
        Error::new(
            "connector",
            ErrorKind::Unsupported,
            format!("unknown provider `{id}`"),
        )
        .with_hint(if ids.is_empty() {
            "no provider is linked into this binary".to_owned()
        } else {
            format!("available providers: {}", ids.join(", "))
        })
    })
}
