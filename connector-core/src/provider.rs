//! The typed provider contract: a provider names its settings type and builds its connector
//! from validated settings of that type. [`ProviderDescriptor::new`] derives the settings
//! schema and the untyped `connect` the registry needs from it, so schema, validation and
//! connect can never disagree.
//!
//! [`ProviderDescriptor::new`]: crate::ProviderDescriptor::new

use url::Url;

use crate::connector::Connector;
use crate::error::Result;
use crate::settings::Settings;

/// A provider: its id, its settings type, and how to connect with validated settings.
pub trait Provider: 'static {
    /// Short id used on the command line and in environment variables (`ukgpro`).
    const ID: &'static str;
    /// The settings struct: the single source of the schema, validation and typed values.
    type Settings: Settings;
    /// The connector `connect` builds.
    type Connector: Connector + 'static;

    /// Builds a connector from validated settings. Settings problems that only show when
    /// combining fields are reported as [`ErrorKind::InvalidSettings`](crate::ErrorKind).
    fn connect(settings: Self::Settings, context: &Context) -> Result<Self::Connector>;
}

/// What the SDK tells a provider beyond its settings.
///
/// `endpoint` is how a provider whose API lives at a fixed host (a SaaS with no URL setting)
/// is pointed at a sandbox or mock: it sends its requests there instead, and users never see
/// a URL field. Providers with a URL setting ignore it (their sandbox sets that field).
///
/// ```
/// use connector_core::provider::Context;
/// let production = url::Url::parse("https://api.acmehr.example/").unwrap();
/// assert_eq!(Context::default().endpoint_or(&production), &production);
/// let mock = url::Url::parse("http://127.0.0.1:8080/").unwrap();
/// assert_eq!(Context::with_endpoint(mock.clone()).endpoint_or(&production), &mock);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Context {
    /// Where to send requests instead of the provider's fixed host.
    pub endpoint: Option<Url>,
}

impl Context {
    /// A context that points a fixed-host provider at `endpoint`.
    pub fn with_endpoint(endpoint: Url) -> Self {
        Context {
            endpoint: Some(endpoint),
        }
    }

    /// The endpoint to use: the override, or the provider's `default`.
    pub fn endpoint_or<'a>(&'a self, default: &'a Url) -> &'a Url {
        self.endpoint.as_ref().unwrap_or(default)
    }
}
