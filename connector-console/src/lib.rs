//! The connection console as a library: a local HTTP API over the SDK's use cases
//! ([`connector_app`]) and connection store ([`connector_store`]), the one a browser page (and
//! a platform) drives: providers and their settings forms, saved connections (create, edit
//! without retyping secrets, rename, delete) and *Test connection*.
//!
//! It listens on loopback by default. Every API call needs the session token that
//! [`Running::url`] carries (like Jupyter's): as `Authorization: Bearer <token>`, or as the
//! session cookie that opening the URL sets. Writes from another origin are refused, and so
//! are requests whose `Host` is not the console's own (DNS rebinding). Secrets go in, never
//! out: no answer carries a saved secret.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use connector_store::{KeySource, MasterKey, SqliteStore};
//!
//! let home = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(home.path(), KeySource::Given(MasterKey::generate())).unwrap();
//! let console = connector_console::start(Box::new(store), "127.0.0.1:0".parse().unwrap())
//!     .await
//!     .unwrap();
//! assert!(console.url().starts_with("http://127.0.0.1:"));
//! assert!(console.url().contains("/?token="));
//! # });
//! ```

mod access;
mod api;
mod error;
mod page;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use connector_core::Context;
use connector_store::Store;

pub use access::SESSION_COOKIE;

/// What a console offers beyond its store.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Where each provider's endpoints are when not where production has them, by provider
    /// id: the override variables' (`<PROVIDER>_<NAME>_ENDPOINT_OVERRIDE`), and under `serve
    /// --sandbox` the sandboxes' of providers whose hosts are fixed (whose settings cannot
    /// point at a sandbox). A provider not named here uses production.
    pub contexts: BTreeMap<String, Context>,
    /// Ready-made settings of running sandboxes, by provider id: the provider tiles carry them
    /// as `sandbox_settings`, so a new user can create a connection without a tenant of their
    /// own. They are the sandboxes' made-up credentials, never a saved connection's.
    pub sandboxes: BTreeMap<String, serde_json::Value>,
}

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct Shared {
    store: Arc<dyn Store>,
    access: Arc<access::Access>,
    options: Arc<Options>,
}

impl Shared {
    /// The endpoints this console reaches `provider` at (empty: production).
    pub(crate) fn provider_context(&self, provider: &str) -> Context {
        self.options
            .contexts
            .get(provider)
            .cloned()
            .unwrap_or_default()
    }

    /// The endpoints to connect saved connection `name` with: its provider's here (the app
    /// lays them over the endpoints the connection was saved with).
    pub(crate) async fn context_of(
        &self,
        name: &str,
    ) -> Result<Context, connector_store::StoreError> {
        let info = self.store.info(name).await?;
        Ok(self.provider_context(&info.provider))
    }
}

/// A running console; it stops when dropped.
#[derive(Debug)]
pub struct Running {
    address: SocketAddr,
    /// A [`Secret`](connector_core::Secret): never in `Debug`, scrubbed from every error.
    token: connector_core::Secret,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL to open: the console's address with the session token (it is the password of
    /// this session: do not share it).
    pub fn url(&self) -> String {
        format!("http://{}/?token={}", self.address, self.token.expose())
    }

    /// The session token, for programs that call the API (`Authorization: Bearer <token>`).
    pub fn token(&self) -> &str {
        self.token.expose()
    }

    /// Stops it.
    pub fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a console on `listen` over `store` (the same store as the command line's), every
/// provider at its production endpoints. A fresh random session token is made for it.
pub async fn start(store: Box<dyn Store>, listen: SocketAddr) -> std::io::Result<Running> {
    start_with(store, listen, Options::default()).await
}

/// [`start`] with [`Options`]: endpoints pointed elsewhere, sandboxes offered to the forms.
pub async fn start_with(
    store: Box<dyn Store>,
    listen: SocketAddr,
    options: Options,
) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let token = access::new_token()?;
    let shared = Shared {
        store: Arc::from(store),
        access: Arc::new(access::Access::new(token.clone(), address)),
        options: Arc::new(options),
    };
    let app = api::router(shared);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!("the console stopped: {e}");
        }
    });
    Ok(Running {
        address,
        token,
        shutdown: Some(tx),
    })
}
