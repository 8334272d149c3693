//! The connection store: saved settings, secrets encrypted at rest, keys, names, tests,
//! schema migrations and the sync state. One file per area; the test provider and the shared
//! helpers are here.

mod conformance;
mod keys;
mod migrations;
mod store;
mod sync_state;

use std::path::Path;

use connector_core::check::{CheckStep, Checklist};
use connector_core::{
    Connector, Context, Error, ErrorKind, Provider, ProviderDescriptor, Result, Secret,
};
use connector_store::{
    test_saved, ConnectionName, ConnectionStatus, ConnectionStore, KeySource, MasterKey,
    SqliteStore, StoreError, ValidSettings, KEY_FILE, STORE_FILE,
};
use serde_json::{json, Value};

pub(crate) const PASSWORD: &str = "canary-password-7f3a9c";
pub(crate) const TOKEN: &str = "canary-token-b41d2e";

/// Settings with a top-level secret and one nested in an auth choice (only the password is
/// read by the fake connector; the rest is there to be saved).
#[allow(dead_code)]
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct StoreTestSettings {
    /// Where the API is.
    base_url: String,
    /// The service account.
    username: String,
    /// Its password.
    password: Secret,
    /// A second credential, nested.
    auth: Auth,
}

#[allow(dead_code)]
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Auth {
    /// The bearer token.
    token: Secret,
}

impl connector_core::settings::Settings for StoreTestSettings {}

#[derive(Debug)]
struct StoreTest {
    password: Secret,
}

pub(crate) const STEPS: &[CheckStep] = &[CheckStep::reachable(), CheckStep::authenticated()];

#[connector_core::reexports::async_trait]
impl Connector for StoreTest {
    fn provider_id(&self) -> &'static str {
        "storetest"
    }
    async fn test_connection(&self, checks: &mut Checklist) {
        let ok = self.password.expose() == PASSWORD;
        checks
            .run("reachable", || async { Ok("answered".to_owned()) })
            .await;
        checks
            .run("authenticated", || async move {
                if ok {
                    Ok("accepted".to_owned())
                } else {
                    Err(Error::new(
                        "storetest",
                        ErrorKind::Authentication,
                        "the password was rejected",
                    ))
                }
            })
            .await;
    }
}

impl Provider for StoreTest {
    const ID: &'static str = "storetest";
    type Settings = StoreTestSettings;
    type Connector = StoreTest;
    fn connect(s: StoreTestSettings, _: &Context) -> Result<StoreTest> {
        Ok(StoreTest {
            password: s.password,
        })
    }
}

pub(crate) const DESCRIPTOR: ProviderDescriptor =
    ProviderDescriptor::new::<StoreTest>("Store test").with_checks(STEPS);
connector_core::register!(DESCRIPTOR);

pub(crate) fn raw(password: &str) -> Value {
    json!({
        "base_url": "https://hr.example.com",
        "username": "svc",
        "password": password,
        "auth": {"token": TOKEN},
    })
}

pub(crate) fn valid(password: &str) -> ValidSettings {
    ValidSettings::validate(&DESCRIPTOR, raw(password)).unwrap()
}

pub(crate) fn name(text: &str) -> ConnectionName {
    ConnectionName::parse(text).unwrap()
}

pub(crate) fn file_store(home: &Path) -> SqliteStore {
    SqliteStore::open(home, KeySource::File(home.join(KEY_FILE))).unwrap()
}

/// Every byte of the home's files, for canary scans.
pub(crate) fn home_bytes(home: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(home)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

pub(crate) fn assert_no_canary(home: &Path) {
    for (file, bytes) in home_bytes(home) {
        for canary in [PASSWORD, TOKEN] {
            assert!(
                !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
                "{canary} in plain text in {file}"
            );
        }
    }
}
