//! Embedded sandboxes: a provider may ship a loopback server that behaves like its real API,
//! with a generated workforce and fault injection, so that anyone can try the SDK, and tests
//! and benchmarks can run, without a real tenant.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::error::Result;

mod chassis;
#[cfg(feature = "mock-server")]
mod origin;
mod tokens;

pub use chassis::{Chassis, Fault};
#[cfg(feature = "mock-server")]
pub use origin::{
    authorization, json, start_origin, start_origin_answering_faults, Answer, FaultAnswer,
};
pub use tokens::{basic_matches, basic_pair, TokenAnswer, TokenIssuer};

/// How to start a sandbox.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SandboxOptions {
    /// Employees in the generated workforce. Default 300.
    pub employees: u64,
    /// Seed of the generated workforce (same seed, same people). Default 42.
    pub seed: u64,
    /// Loopback port; 0 picks a free one. Default 0.
    pub port: u16,
    /// Added latency per request. Default none.
    pub latency: Duration,
    /// Requests allowed per minute before answering 429 (without `Retry-After`). Default none.
    pub rate_limit_per_minute: Option<u32>,
    /// Fraction of requests answered with a 5xx (0.0 to 1.0). Default 0.
    pub error_rate: f64,
    /// Permissions the sandbox's service account lacks (provider-specific ids): 403 on the
    /// endpoints that need them.
    pub deny: Vec<String>,
    /// A page number that the first listing endpoint answers with an HTML page instead of JSON.
    pub malformed_page: Option<u32>,
    /// The simulated day the workforce is served as of (0: as generated). Sandboxes that
    /// declare [`SandboxFeatures::days`] bring joiners, leavers and movers between days.
    pub day: u32,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            employees: 300,
            seed: 42,
            port: 0,
            latency: Duration::ZERO,
            rate_limit_per_minute: None,
            error_rate: 0.0,
            deny: Vec::new(),
            malformed_page: None,
            day: 0,
        }
    }
}

impl SandboxOptions {
    /// The port of the sandbox's origin number `n` (0: the API's; 1: its token service's, …):
    /// `port + n` when a port is given, so that a sandbox started again on the same port
    /// serves the connections saved with its endpoints; 0 (any free port) otherwise, or past
    /// the last port.
    pub fn port_of(&self, n: u16) -> u16 {
        match self.port {
            0 => 0,
            port => port.checked_add(n).unwrap_or(0),
        }
    }

    /// Checks the generic options and the permission ids to deny against `deniable` (what the
    /// provider's sandbox can deny); returns the ids denied. Every problem is reported at once,
    /// by option.
    pub fn check(&self, provider: &'static str, deniable: &[&str]) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut denied = Vec::new();
        for id in &self.deny {
            match deniable.iter().find(|d| d.eq_ignore_ascii_case(id)) {
                Some(d) => denied.push((*d).to_owned()),
                None if deniable.is_empty() => problems.push(crate::FieldError::new(
                    "deny",
                    "this sandbox cannot deny permissions",
                )),
                None => problems.push(crate::FieldError::new(
                    "deny",
                    format!("unknown permission `{id}`; use {}", deniable.join(" or ")),
                )),
            }
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            problems.push(crate::FieldError::new(
                "error_rate",
                "must be between 0 and 1",
            ));
        }
        if problems.is_empty() {
            Ok(denied)
        } else {
            Err(crate::Error::invalid_settings(provider, problems))
        }
    }

    /// Default options with `employees` employees.
    pub fn with_employees(employees: u64) -> Self {
        SandboxOptions {
            employees,
            ..SandboxOptions::default()
        }
    }
}

/// Counters of a running sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxCounters {
    requests: Arc<AtomicU64>,
}

impl SandboxCounters {
    /// Counts one request.
    pub fn add_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Reports an answered request for request logs (`sandbox --log-requests`): a `tracing`
    /// event at info level, target [`REQUEST_LOG_TARGET`], with the method, the path and query
    /// (values of credential-looking parameters replaced by `[REDACTED]`) and the status.
    /// Headers and bodies are never reported.
    pub fn answered(&self, method: &str, path_and_query: &str, status: u16) {
        tracing::info!(
            target: REQUEST_LOG_TARGET,
            method,
            path = %loggable_target(path_and_query),
            status,
            "answered"
        );
    }
}

/// The `tracing` target of the events [`SandboxCounters::answered`] emits.
pub const REQUEST_LOG_TARGET: &str = "connector_sandbox::requests";

/// `path_and_query` with the values of parameters whose names suggest a credential replaced,
/// so that a provider whose API takes a key in the query does not log it.
fn loggable_target(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
            let lower = name.to_ascii_lowercase();
            let secret = [
                "key", "token", "secret", "password", "pass", "sig", "auth", "code",
            ]
            .iter()
            .any(|word| lower.contains(word));
            if secret {
                format!("{name}={}", crate::REDACTED)
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// A running sandbox; it stops when this is dropped.
#[derive(Debug)]
pub struct SandboxHandle {
    /// Where it listens (`http://127.0.0.1:PORT`).
    pub base_url: String,
    /// Ready-to-use settings for the provider, of the shape `--config` reads (with the
    /// sandbox's own made-up credentials).
    pub settings: Value,
    /// Live counters.
    pub counters: SandboxCounters,
    /// Its other origins by endpoint name (a token service on another port, say); `base_url`
    /// is the `api` one.
    others: Vec<(String, url::Url)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SandboxHandle {
    /// A handle; `shutdown` is signalled on drop.
    pub fn new(
        base_url: String,
        settings: Value,
        counters: SandboxCounters,
        shutdown: tokio::sync::oneshot::Sender<()>,
    ) -> Self {
        SandboxHandle {
            base_url,
            settings,
            counters,
            others: Vec::new(),
            shutdown: Some(shutdown),
        }
    }

    /// This handle with endpoint `name` served at `url` too (a second origin of the sandbox).
    pub fn with_endpoint(mut self, name: &str, url: url::Url) -> Self {
        self.others.push((name.to_owned(), url));
        self
    }
}

/// A listener on 127.0.0.1:`port` (0: any free port) for a sandbox; the error names the port
/// and what to do.
pub fn loopback_listener(provider: &'static str, port: u16) -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        crate::Error::invalid_settings(
            provider,
            vec![crate::FieldError::new(
                "port",
                format!("cannot listen on 127.0.0.1:{port} ({e}); pick another port, or 0 for any free one"),
            )],
        )
    })
}

impl SandboxHandle {
    /// A handle that keeps `server` (whatever serves the sandbox) running until the handle is
    /// dropped. Needs a tokio runtime.
    pub fn keep(
        base_url: String,
        settings: Value,
        counters: SandboxCounters,
        server: impl Send + 'static,
    ) -> Self {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _server = server;
            let _ = rx.await;
        });
        SandboxHandle::new(base_url, settings, counters, tx)
    }

    /// The [`Context`](crate::Context) that points a provider at this sandbox, every
    /// endpoint of it (needed by providers whose hosts are fixed; harmless for the others).
    pub fn context(&self) -> crate::Context {
        let api = url::Url::parse(&self.base_url)
            .map(crate::Context::with_endpoint)
            .unwrap_or_default();
        self.others
            .iter()
            .fold(api, |context, (name, url)| context.with(name, url.clone()))
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a provider's sandbox (the hook in [`ProviderDescriptor`](crate::ProviderDescriptor)).
pub type StartSandbox =
    fn(SandboxOptions) -> Pin<Box<dyn Future<Output = Result<SandboxHandle>> + Send>>;

/// The provider-specific faults a sandbox can inject, beyond the generic ones every sandbox
/// takes (users, seed, port, latency, rate limit, error rate). The CLI offers a flag only
/// for what is declared here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SandboxFeatures {
    /// Permission ids the sandbox's account can be denied (`--deny`, answered 403).
    pub deny: &'static [&'static str],
    /// Whether a page of the first listing can be answered with an HTML page
    /// (`--malformed-page`).
    pub malformed_page: bool,
    /// Whether the workforce changes from one simulated day to the next (`--day`).
    pub days: bool,
}

impl SandboxFeatures {
    /// No provider-specific faults.
    pub const NONE: SandboxFeatures = SandboxFeatures {
        deny: &[],
        malformed_page: false,
        days: false,
    };

    /// With these deniable permission ids.
    pub const fn with_deny(mut self, ids: &'static [&'static str]) -> Self {
        self.deny = ids;
        self
    }

    /// With `--malformed-page`.
    pub const fn with_malformed_page(mut self) -> Self {
        self.malformed_page = true;
        self
    }

    /// With `--day`.
    pub const fn with_days(mut self) -> Self {
        self.days = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_target;

    #[test]
    fn request_logs_keep_paging_and_hide_credential_parameters() {
        assert_eq!(
            loggable_target("/v1/users?page=2&per_Page=100"),
            "/v1/users?page=2&per_Page=100"
        );
        assert_eq!(
            loggable_target("/v1/users?api_key=K3Y&page=2&access_token=T&Signature=S"),
            "/v1/users?api_key=[REDACTED]&page=2&access_token=[REDACTED]&Signature=[REDACTED]"
        );
        assert_eq!(loggable_target("/v1/me"), "/v1/me");
    }
}
