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

/// The name of a provider's main endpoint: its API.
pub const API: &str = "api";

/// One origin a provider talks to, declared on its descriptor
/// ([`ProviderDescriptor::with_endpoints`](crate::ProviderDescriptor::with_endpoints)): the
/// API, an OAuth token service on another host, and so on. Each can be pointed at a sandbox or
/// a mock on its own (a [`Context`]; the CLI's `<PROVIDER>_<NAME>_ENDPOINT_OVERRIDE`).
///
/// `production` is the fixed production URL, when it does not depend on the settings; a
/// provider whose URL comes from its settings (a tenant's host) leaves it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Short name, lower case (`api`, `token`): the key of a [`Context`] and of the override
    /// variable.
    pub name: &'static str,
    /// What it is, for people ("Acme HR's token service").
    pub title: &'static str,
    /// The production URL, when fixed.
    pub production: Option<&'static str>,
}

impl Endpoint {
    /// An endpoint whose URL the provider derives from its settings.
    pub const fn new(name: &'static str, title: &'static str) -> Self {
        Endpoint {
            name,
            title,
            production: None,
        }
    }

    /// This endpoint with a fixed production URL.
    pub const fn at(mut self, production: &'static str) -> Self {
        self.production = Some(production);
        self
    }
}

/// What the SDK tells a provider beyond its settings: where each of its endpoints is, when it
/// is not where production has it (a sandbox, a mock, a test server).
///
/// A provider whose API lives at fixed hosts (a SaaS with no URL setting) asks the context
/// for each one by name and sends its requests there; users never see a URL field. A
/// provider with a URL setting ignores it for that URL (its sandbox sets the field).
///
/// ```
/// use connector_core::provider::Context;
/// let api = url::Url::parse("https://api.acmehr.example/").unwrap();
/// let token = url::Url::parse("https://login.acmehr.example/").unwrap();
/// assert_eq!(Context::default().endpoint_or("token", &token), &token);
/// let mock = url::Url::parse("http://127.0.0.1:8080/").unwrap();
/// let context = Context::default().with("token", mock.clone());
/// assert_eq!(context.endpoint_or("token", &token), &mock);
/// assert_eq!(context.endpoint_or("api", &api), &api);
/// // A saved connection's endpoints, under this run's overrides.
/// let run = Context::default().with("token", token.clone());
/// assert_eq!(context.overlaid(&run).endpoint("token"), Some(&token));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context {
    endpoints: std::collections::BTreeMap<String, Url>,
}

impl Context {
    /// A context that points a provider's [`API`] endpoint at `endpoint`.
    pub fn with_endpoint(endpoint: Url) -> Self {
        Context::default().with(API, endpoint)
    }

    /// This context with endpoint `name` pointed at `url`.
    pub fn with(mut self, name: &str, url: Url) -> Self {
        self.endpoints.insert(name.to_owned(), url);
        self
    }

    /// Where endpoint `name` is, when pointed somewhere.
    pub fn endpoint(&self, name: &str) -> Option<&Url> {
        self.endpoints.get(name)
    }

    /// Endpoint `name`: where the context points it, or `production`.
    pub fn endpoint_or<'a>(&'a self, name: &str, production: &'a Url) -> &'a Url {
        self.endpoint(name).unwrap_or(production)
    }

    /// Every endpoint the context points somewhere, by name.
    pub fn endpoints(&self) -> impl Iterator<Item = (&str, &Url)> {
        self.endpoints
            .iter()
            .map(|(name, url)| (name.as_str(), url))
    }

    /// Whether it points no endpoint anywhere (production everywhere).
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// This context with `over`'s endpoints laid over it: where both point an endpoint,
    /// `over` wins (a saved connection's endpoints under this run's override variables).
    pub fn overlaid(mut self, over: &Context) -> Context {
        for (name, url) in over.endpoints() {
            self.endpoints.insert(name.to_owned(), url.clone());
        }
        self
    }
}
