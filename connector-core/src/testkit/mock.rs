//! What a provider's mock tenant is asked to be ([`Scenario`]) and what it hands back
//! ([`MockTenant`]): settings that point at it, what the testkit should find there, and the
//! secrets it issued at run time.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

/// What the provider's mock tenant must do. A mock that cannot play a scenario answers with
/// [`MockTenant::unsupported`]; the checks that need it are then reported as skipped.
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
    /// Valid credentials that lack the permission the user export needs (403 on its
    /// listing).
    DenyPermission,
    /// Settings that point at a port where nothing listens.
    Unreachable,
    /// A working tenant whose run-time credentials (tokens, sessions) stop being accepted
    /// after a few requests, so the provider must renew them mid-export.
    ExpiringCredentials {
        /// Users in the tenant.
        users: u64,
    },
    /// A working tenant that answers its first few requests with 429 (without
    /// `Retry-After`).
    RateLimited {
        /// Users in the tenant.
        users: u64,
    },
    /// A working tenant in which one user's record cannot be decoded.
    MalformedRecord {
        /// Users in the tenant, the malformed one included.
        users: u64,
    },
    /// A working tenant that answers 200 but withholds a section of some users' data (the
    /// records of one endpoint, the fields a service account may not see): the export must
    /// count those users as partial (`ExportStats::add_partial`) or fail naming it, never
    /// yield their missing fields as silent nulls. Mocks of APIs without sections skip it.
    WithheldFields {
        /// Users in the tenant, those with a withheld section included.
        users: u64,
    },
}

/// Lists the secrets a mock issued at run time (tokens).
pub type IssuedSecrets = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// Lists the URLs (with their queries) a mock received so far.
pub type ReceivedUrls =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<String>> + Send>> + Send + Sync>;

/// A running mock tenant: settings that point at it, what to expect there, and whatever keeps
/// it alive.
pub struct MockTenant {
    /// Raw settings for the provider's `connect`.
    pub settings: Value,
    /// How to point a fixed-host provider at the mock (see [`MockTenant::with_endpoint`]).
    pub context: crate::Context,
    pub(super) expected: Vec<(String, Map<String, Value>)>,
    pub(super) issued: Option<IssuedSecrets>,
    pub(super) received: Option<ReceivedUrls>,
    pub(super) supported: bool,
    _guard: Box<dyn Any + Send>,
}

impl fmt::Debug for MockTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockTenant")
            .field("supported", &self.supported)
            .field("expected", &self.expected.len())
            .finish_non_exhaustive()
    }
}

impl MockTenant {
    /// Settings, and a guard that keeps the mock running until the tenant is dropped.
    pub fn new(settings: Value, guard: impl Any + Send) -> Self {
        MockTenant {
            settings,
            context: crate::Context::default(),
            expected: Vec::new(),
            issued: None,
            received: None,
            supported: true,
            _guard: Box::new(guard),
        }
    }

    /// The mock cannot play this scenario (e.g. there are no run-time credentials to expire).
    pub fn unsupported() -> Self {
        MockTenant {
            supported: false,
            ..MockTenant::new(Value::Null, ())
        }
    }

    /// For a provider whose host is fixed (no URL setting): the mock's address, passed to
    /// `connect` in the [`Context`](crate::Context) as its `api` endpoint.
    pub fn with_endpoint(mut self, endpoint: url::Url) -> Self {
        self.context = self.context.with(crate::provider::API, endpoint);
        self
    }

    /// For a provider with several fixed hosts: the mock's address for each (`api`, `token`
    /// …), as [`context`](crate::Context) passes them to `connect`.
    pub fn with_context(mut self, context: crate::Context) -> Self {
        self.context = context;
        self
    }

    /// What the export must yield for user `id`: normalized field names (as in the `User`
    /// JSON: `email`, `first_name`, `status`, `manager_id`, ...) and their values, stated
    /// independently of the provider's mapping (from the mock's own records).
    pub fn expect_user(mut self, id: impl Into<String>, fields: Value) -> Self {
        let fields = match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        self.expected.push((id.into(), fields));
        self
    }

    /// How to list the secrets the mock issued at run time (tokens), so that the leak scan
    /// looks for them too.
    pub fn with_issued_secrets(mut self, issued: IssuedSecrets) -> Self {
        self.issued = Some(issued);
        self
    }

    /// How to list the URLs the mock received, so that the testkit can check that no secret
    /// travels in a URL (query strings end up in server and proxy logs).
    pub fn with_received_urls(mut self, received: ReceivedUrls) -> Self {
        self.received = Some(received);
        self
    }

    /// The URLs received so far (none when the mock does not say).
    pub(super) async fn received_urls(&self) -> Vec<String> {
        match &self.received {
            Some(f) => f().await,
            None => Vec::new(),
        }
    }

    pub(super) fn issued_secrets(&self) -> Vec<String> {
        self.issued.as_ref().map(|f| f()).unwrap_or_default()
    }
}

/// Starts a mock tenant for a scenario.
pub(super) type StartMock =
    Box<dyn Fn(Scenario) -> Pin<Box<dyn Future<Output = MockTenant> + Send>> + Send + Sync>;
