//! The embedded UKG Pro sandbox (feature `sandbox`): a loopback server that behaves like UKG
//! Pro's REST API as described in the provider docs — bare JSON arrays, `page` + `per_Page`
//! (or `per_page`) up to 10,000, the `employeeId` / `employeeID` casing split, `""` for empty
//! values, ISO and US dates, several companies, status codes A/L/T/S/R/O, personal fields an
//! export must drop — over a deterministic generated workforce, with UKG's credential check
//! (401), per-endpoint permissions (403) and injected faults (latency, 429 without
//! `Retry-After`, 5xx, an HTML page).
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use connector_core::sandbox::SandboxOptions;
//! use connector_core::{test_connection, ExportOptions};
//! use futures_util::StreamExt;
//!
//! let sandbox = connector_ukgpro::sandbox::start(SandboxOptions::with_employees(25)).await.unwrap();
//! let descriptor = connector_ukgpro::descriptor();
//! assert!(test_connection(descriptor, sandbox.settings.clone()).await.passed);
//! let connector = descriptor.connect(sandbox.settings.clone()).unwrap();
//! let users: Vec<_> = connector.export_users(ExportOptions::new()).unwrap().users.collect().await;
//! assert_eq!(users.len(), 25);
//! # });
//! ```

mod changes;
pub mod days;
mod server;
pub mod workforce;

use std::future::Future;
use std::pin::Pin;

use connector_core::sandbox::{Chassis, SandboxHandle, SandboxOptions};
use connector_core::{Error, ErrorKind, Result};
use serde_json::json;
use tokio::net::TcpListener;

use crate::PROVIDER_ID;

/// The sandbox service account's user name.
pub const USERNAME: &str = "sandbox-svc";
/// The sandbox service account's password (made up; only the sandbox accepts it).
pub const PASSWORD: &str = "sandbox-password";
/// The sandbox tenant's customer API key (made up).
pub const CUSTOMER_API_KEY: &str = "SBX01";

/// The permission ids `deny` accepts, with the web service each one removes.
pub const PERMISSIONS: [(&str, &str); 3] = [
    ("employee-person-details", "Employee Person Details"),
    ("personnel-integration", "Personnel Integration"),
    ("employee-export", "Employee Export"),
];

/// The permission ids alone, for the CLI's `--deny`.
pub const DENIABLE: &[&str] = &[PERMISSIONS[0].0, PERMISSIONS[1].0, PERMISSIONS[2].0];

/// Starts a sandbox on 127.0.0.1; it stops when the handle is dropped.
pub async fn start(options: SandboxOptions) -> Result<SandboxHandle> {
    let denied = options.check(PROVIDER_ID, DENIABLE)?;
    let deny = |id: &str| denied.iter().any(|d| d == id);
    let listener = connector_core::sandbox::loopback_listener(PROVIDER_ID, options.port)?;
    let socket = |e: std::io::Error| {
        Error::new(
            PROVIDER_ID,
            ErrorKind::Unsupported,
            format!("sandbox socket: {e}"),
        )
    };
    listener.set_nonblocking(true).map_err(socket)?;
    let listener = TcpListener::from_std(listener).map_err(socket)?;
    let addr = listener.local_addr().map_err(socket)?;
    let base_url = format!("http://{addr}");
    let behaviour = server::Behaviour {
        workforce: workforce::Workforce::on_day(options.seed, options.employees, options.day),
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        customer_api_key: CUSTOMER_API_KEY.to_owned(),
        deny_person_details: deny(PERMISSIONS[0].0),
        deny_employment_details: deny(PERMISSIONS[1].0),
        deny_employee_export: deny(PERMISSIONS[2].0),
        malformed_page: options.malformed_page,
    };
    let chassis = Chassis::new(&options);
    let counters = chassis.counters().clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(server::serve(listener, behaviour, chassis, rx));
    let settings = json!({
        "base_url": base_url,
        "username": USERNAME,
        "password": PASSWORD,
        "customer_api_key": CUSTOMER_API_KEY,
    });
    tracing::info!(provider = PROVIDER_ID, %base_url, employees = options.employees, "sandbox listening");
    Ok(SandboxHandle::new(base_url, settings, counters, tx))
}

/// [`start`] as the descriptor's hook.
pub fn start_boxed(
    options: SandboxOptions,
) -> Pin<Box<dyn Future<Output = Result<SandboxHandle>> + Send>> {
    Box::pin(start(options))
}
