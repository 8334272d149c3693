//! The provider registry: every provider crate describes itself with a
//! [`ProviderDescriptor`] built from its typed [`Provider`] contract, and
//! registers it with [`register!`](crate::register); the CLI lists and finds them here.
//!
//! A binary must reference each provider crate it links (e.g. call its `descriptor()`), or
//! the linker may drop the registration.

use serde_json::Value;

use crate::check::CheckStep;
use crate::connector::Connector;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::{Context, Endpoint, Provider};
use crate::sandbox::{SandboxFeatures, StartSandbox};
use crate::settings::{parse_settings, SettingsSchema};

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

/// An export filter a provider supports (the CLI offers a flag only for these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Filter {
    /// By normalized status (`--status`): works for every provider that maps statuses.
    Status,
    /// By company id (`--company`): only for providers that fill `company_id`.
    Company,
}

/// Everything the SDK needs to know about a provider, built with [`ProviderDescriptor::new`]
/// and the `with_*` methods (in a `const`), so that new descriptor fields never break a
/// provider.
///
/// ```
/// use connector_core::{Capability, Connector, Provider, ProviderDescriptor, Result};
/// use connector_core::check::{CheckStep, Checklist};
/// use connector_core::provider::Context;
/// use connector_core::settings::Settings;
///
/// /// Settings of a provider that needs none.
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// #[schemars(title = "Nothing")]
/// struct NoSettings {}
/// impl Settings for NoSettings {}
///
/// #[derive(Debug)]
/// struct Nothing;
/// #[connector_core::reexports::async_trait]
/// impl Connector for Nothing {
///     fn provider_id(&self) -> &'static str { "nothing" }
///     async fn test_connection(&self, _: &mut Checklist) {}
/// }
/// impl Provider for Nothing {
///     const ID: &'static str = "nothing";
///     type Settings = NoSettings;
///     type Connector = Nothing;
///     fn connect(_: NoSettings, _: &Context) -> Result<Nothing> { Ok(Nothing) }
/// }
///
/// const DESCRIPTOR: ProviderDescriptor = ProviderDescriptor::new::<Nothing>("Nothing")
///     .with_description("connects to nothing")
///     .with_capabilities(&[Capability::ConnectionTest]);
/// connector_core::register!(DESCRIPTOR);
///
/// assert_eq!(DESCRIPTOR.id(), "nothing");
/// assert!(DESCRIPTOR.connect(serde_json::json!({})).is_ok());
/// assert!(connector_core::registry::provider("nothing").is_ok());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ProviderDescriptor {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    docs_url: &'static str,
    capabilities: &'static [Capability],
    checks: &'static [CheckStep],
    filters: &'static [Filter],
    max_page_size: Option<u32>,
    settings_schema: fn() -> SettingsSchema,
    connect: fn(Value, &Context) -> Result<Box<dyn Connector>>,
    sandbox: Option<StartSandbox>,
    sandbox_features: SandboxFeatures,
    endpoints: &'static [Endpoint],
}

/// Validates raw settings against `P::Settings` (every problem at once) and connects.
fn connect_typed<P: Provider>(raw: Value, context: &Context) -> Result<Box<dyn Connector>> {
    let settings = parse_settings::<P::Settings>(P::ID, raw)?;
    Ok(Box::new(P::connect(settings, context)?))
}

impl ProviderDescriptor {
    /// The descriptor of provider `P`, displayed as `name`. Its settings schema and its
    /// `connect` come from `P`, so they cannot disagree.
    pub const fn new<P: Provider>(name: &'static str) -> Self {
        ProviderDescriptor {
            id: P::ID,
            name,
            description: "",
            docs_url: "",
            capabilities: &[Capability::ConnectionTest],
            checks: &[],
            filters: &[],
            max_page_size: None,
            settings_schema: SettingsSchema::of::<P::Settings>,
            connect: connect_typed::<P>,
            sandbox: None,
            sandbox_features: SandboxFeatures::NONE,
            endpoints: &[],
        }
    }

    /// The origins the provider talks to beyond a URL in its settings, by name (`api`,
    /// `token`), each with its production URL where fixed. Each can be pointed at a sandbox or
    /// a mock on its own ([`Context`]; `<PROVIDER>_<NAME>_ENDPOINT_OVERRIDE` in the CLI); the
    /// connection test checks each one it talks to is reachable. A provider whose only URL is
    /// a setting declares none.
    pub const fn with_endpoints(mut self, endpoints: &'static [Endpoint]) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// The endpoints the provider declares ([`with_endpoints`](Self::with_endpoints)).
    pub const fn endpoints(&self) -> &'static [Endpoint] {
        self.endpoints
    }

    /// One sentence on what the provider connects to.
    pub const fn with_description(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// Where to read more about the provider's API.
    pub const fn with_docs_url(mut self, url: &'static str) -> Self {
        self.docs_url = url;
        self
    }

    /// What the provider can do (default: a connection test only).
    pub const fn with_capabilities(mut self, capabilities: &'static [Capability]) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// The connection test's steps after the SDK's own settings step.
    pub const fn with_checks(mut self, checks: &'static [CheckStep]) -> Self {
        self.checks = checks;
        self
    }

    /// The export filters the provider supports.
    pub const fn with_filters(mut self, filters: &'static [Filter]) -> Self {
        self.filters = filters;
        self
    }

    /// The most records the provider's API returns per page: a user-chosen page size above
    /// it is refused, and the CLI offers `--page-size` only when this is declared.
    pub const fn with_max_page_size(mut self, max: u32) -> Self {
        self.max_page_size = Some(max);
        self
    }

    /// The provider's embedded sandbox, and the provider-specific faults it can inject.
    pub const fn with_sandbox(mut self, start: StartSandbox, features: SandboxFeatures) -> Self {
        self.sandbox = Some(start);
        self.sandbox_features = features;
        self
    }

    /// Short id used on the command line and in environment variables (`ukgpro`).
    pub const fn id(&self) -> &'static str {
        self.id
    }

    /// Display name ("UKG Pro").
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// One sentence on what the provider connects to.
    pub const fn description(&self) -> &'static str {
        self.description
    }

    /// Where to read more.
    pub const fn docs_url(&self) -> &'static str {
        self.docs_url
    }

    /// What the provider can do.
    pub const fn capabilities(&self) -> &'static [Capability] {
        self.capabilities
    }

    /// Whether the provider can do `capability`.
    pub fn can(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    /// The connection test's steps after the settings step.
    pub const fn checks(&self) -> &'static [CheckStep] {
        self.checks
    }

    /// The export filters the provider supports.
    pub const fn filters(&self) -> &'static [Filter] {
        self.filters
    }

    /// Whether the provider supports `filter`.
    pub fn supports(&self, filter: Filter) -> bool {
        self.filters.contains(&filter)
    }

    /// The most records per page, when declared.
    pub const fn max_page_size(&self) -> Option<u32> {
        self.max_page_size
    }

    /// The JSON Schema of the provider's settings.
    pub fn settings_schema(&self) -> SettingsSchema {
        (self.settings_schema)()
    }

    /// Validates raw settings (every problem at once, as
    /// [`ErrorKind::InvalidSettings`]) and builds a connector.
    pub fn connect(&self, raw: Value) -> Result<Box<dyn Connector>> {
        self.connect_with(raw, &Context::default())
    }

    /// [`connect`](Self::connect) with a [`Context`] (e.g. a sandbox's address for a
    /// provider whose host is fixed).
    pub fn connect_with(&self, raw: Value, context: &Context) -> Result<Box<dyn Connector>> {
        (self.connect)(raw, context).map_err(|e| e.or_provider(self.id))
    }

    /// Starts the provider's embedded sandbox, when it has one.
    pub const fn sandbox(&self) -> Option<StartSandbox> {
        self.sandbox
    }

    /// The provider-specific faults its sandbox can inject.
    pub const fn sandbox_features(&self) -> SandboxFeatures {
        self.sandbox_features
    }
}

inventory::collect!(ProviderDescriptor);

/// Registers a provider's descriptor (a `const` or `static` [`ProviderDescriptor`]) with the
/// SDK's registry.
#[macro_export]
macro_rules! register {
    ($descriptor:expr) => {
        $crate::reexports::inventory::submit!($descriptor);
    };
}

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
            "registry",
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
