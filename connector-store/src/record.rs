//! What the store keeps about a connection: validated settings with the secrets split out,
//! the connection's public description, and its last test.

use jiff::Timestamp;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use connector_core::reexports::url::Url;
use connector_core::settings::set_path;
use connector_core::{Context, ProviderDescriptor, Secret, TestReport};

/// The key under which a stored settings document keeps the connection's endpoints (see
/// [`ValidSettings::with_endpoints`]): beside the settings, so the settings' seal covers them.
/// No provider's settings may use it (settings fields are Rust identifiers).
pub const ENDPOINTS_KEY: &str = "$endpoints";

/// Settings that passed their provider's validation, with every secret (at any depth) taken
/// out into a [`Secret`]. The only way to build one is [`ValidSettings::validate`], so a store
/// can only ever save settings that validated.
#[derive(Debug, Clone)]
pub struct ValidSettings {
    pub(crate) provider: String,
    pub(crate) public: Value,
    pub(crate) secrets: Vec<(String, Secret)>,
    pub(crate) endpoints: BTreeMap<String, String>,
}

impl ValidSettings {
    /// Validates `raw` as `descriptor`'s settings (every problem at once, as
    /// [`ErrorKind::InvalidSettings`](connector_core::ErrorKind::InvalidSettings)) and splits out the
    /// secrets. Nothing is sent anywhere.
    pub fn validate(
        descriptor: &ProviderDescriptor,
        raw: Value,
    ) -> connector_core::Result<ValidSettings> {
        // Endpoints are kept beside the settings, under the settings' seal: settings that
        // named them would point the connection (and its secrets) elsewhere unseen.
        if raw.get(ENDPOINTS_KEY).is_some() {
            return Err(connector_core::Error::invalid_settings(
                descriptor.id(),
                vec![connector_core::FieldError::new(
                    ENDPOINTS_KEY,
                    "is not a setting: a connection's endpoints come from the <PROVIDER>_<NAME>_ENDPOINT_OVERRIDE variables or a sandbox, never from its settings",
                )],
            ));
        }
        // Connecting builds the provider's client from the settings without any request: the
        // same validation `test` and `users` apply.
        drop(descriptor.connect(raw.clone())?);
        let schema = descriptor.settings_schema();
        let found = schema.secret_values(&raw);
        let mut public = raw;
        let mut secrets = Vec::with_capacity(found.len());
        for (path, value) in found {
            remove_path(&mut public, &path);
            secrets.push((path, Secret::new(value)));
        }
        Ok(ValidSettings {
            provider: descriptor.id().to_owned(),
            public,
            secrets,
            endpoints: BTreeMap::new(),
        })
    }

    /// These settings with the endpoints the connection is to be reached at when not at its
    /// provider's production hosts: a sandbox's or a mock's (`connector entra sandbox` prints
    /// them as `<PROVIDER>_<NAME>_ENDPOINT_OVERRIDE` variables). A connection saved with them
    /// keeps using them ([`StoredConnection::context`]); an empty context saves none.
    pub fn with_endpoints(mut self, context: &Context) -> Self {
        self.endpoints = context
            .endpoints()
            .map(|(name, url)| (name.to_owned(), url.to_string()))
            .collect();
        self
    }

    /// The endpoints to save, by name (empty: production).
    pub fn endpoints(&self) -> &BTreeMap<String, String> {
        &self.endpoints
    }

    /// The settings document a store keeps (and seals): the settings without their secrets,
    /// with the endpoints under [`ENDPOINTS_KEY`] when there are any.
    pub fn stored(&self) -> String {
        let mut document = self.public.clone();
        if let (Value::Object(map), false) = (&mut document, self.endpoints.is_empty()) {
            let endpoints = self
                .endpoints
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())));
            map.insert(ENDPOINTS_KEY.into(), Value::Object(endpoints.collect()));
        }
        document.to_string()
    }

    /// The provider id.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The settings without their secrets.
    pub fn public(&self) -> &Value {
        &self.public
    }

    /// The secrets' paths (`password`, `auth.token`).
    pub fn secret_fields(&self) -> Vec<&str> {
        self.secrets.iter().map(|(p, _)| p.as_str()).collect()
    }
}

/// Removes the value at a dotted `path` (`auth.token`).
fn remove_path(value: &mut Value, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return;
    };
    let mut at = value;
    for part in parts {
        match at.get_mut(part) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Some(object) = at.as_object_mut() {
        object.remove(last);
    }
}

/// The result of a connection's last test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestRecord {
    /// When it ran.
    pub at: Timestamp,
    /// Whether every step passed.
    pub passed: bool,
    /// The id of the step that failed (`authenticated`, a permission id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
    /// What that step found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl TestRecord {
    /// The record of `report`, dated now.
    pub fn from_report(report: &TestReport) -> TestRecord {
        let failed = report.first_failure();
        TestRecord {
            at: Timestamp::now(),
            passed: report.passed,
            failed_step: failed.map(|s| s.id.to_owned()),
            message: failed.map(|s| s.message.clone()),
        }
    }
}

/// The result of the last export made with a connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRecord {
    /// When it finished.
    pub at: Timestamp,
    /// Whether it completed and its output was written.
    pub ok: bool,
    /// Users exported.
    pub users: u64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Whether a connection is known to work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Its last test passed.
    Connected,
    /// Its last test failed.
    Failed,
    /// It was never tested, or changed since its last test.
    Untested,
}

/// What may be shown about a saved connection: everything but the secrets' values.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionInfo {
    /// Its stable id: random, kept across renames and edits (bound into its secrets'
    /// associated data and its sync events' ids).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its provider's id.
    pub provider: String,
    /// Connected, failed or untested.
    pub status: ConnectionStatus,
    /// Its settings without the secrets.
    pub settings: Value,
    /// The paths of the secrets it holds (each shown as "set", never its value).
    pub secret_fields: Vec<String>,
    /// Where its provider's endpoints are when not at production (a sandbox's, a mock's), by
    /// endpoint name (`api`, `token`); empty for a connection to production.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoints: BTreeMap<String, String>,
    /// When it was saved first.
    pub created_at: Timestamp,
    /// When its settings last changed.
    pub updated_at: Timestamp,
    /// Its last test since its settings last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_test: Option<TestRecord>,
    /// Its last export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_export: Option<ExportRecord>,
}

impl ConnectionInfo {
    /// The context to connect with: the saved endpoints, with `overrides` (this run's
    /// `<PROVIDER>_<NAME>_ENDPOINT_OVERRIDE` variables, a console's sandboxes) laid over them.
    pub fn context(&self, overrides: &Context) -> Context {
        let saved = self
            .endpoints
            .iter()
            .filter_map(|(name, url)| Some((name, Url::parse(url).ok()?)))
            .fold(Context::default(), |context, (name, url)| {
                context.with(name, url)
            });
        saved.overlaid(overrides)
    }

    pub(crate) fn status_of(last_test: Option<&TestRecord>) -> ConnectionStatus {
        match last_test {
            Some(t) if t.passed => ConnectionStatus::Connected,
            Some(_) => ConnectionStatus::Failed,
            None => ConnectionStatus::Untested,
        }
    }
}

/// A saved connection with its secrets decrypted, each only into a [`Secret`].
#[derive(Debug, Clone)]
pub struct StoredConnection {
    /// What may be shown.
    pub info: ConnectionInfo,
    pub(crate) secrets: Vec<(String, Secret)>,
}

impl StoredConnection {
    /// The secrets by path.
    pub fn secrets(&self) -> &[(String, Secret)] {
        &self.secrets
    }

    /// The secret at `path`, if saved.
    pub fn secret(&self, path: &str) -> Option<&Secret> {
        self.secrets.iter().find(|(p, _)| p == path).map(|(_, s)| s)
    }

    /// The settings to connect with: the saved settings with each secret put back. Hand the
    /// value straight to [`ProviderDescriptor::connect`]; never log or show it.
    pub fn settings_for_connect(&self) -> Value {
        let mut raw = self.info.settings.clone();
        for (path, secret) in &self.secrets {
            set_path(&mut raw, path, Value::String(secret.expose().to_owned()));
        }
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_paths_are_removed_and_put_back() {
        let mut v = json!({"base_url": "https://x", "auth": {"method": "bearer", "token": "T"}});
        remove_path(&mut v, "auth.token");
        assert_eq!(
            v,
            json!({"base_url": "https://x", "auth": {"method": "bearer"}})
        );
        set_path(&mut v, "auth.token", "T2".into());
        set_path(&mut v, "password", "P".into());
        assert_eq!(
            v,
            json!({"base_url": "https://x", "auth": {"method": "bearer", "token": "T2"}, "password": "P"})
        );
        set_path(&mut v, "deep.er.key", "K".into());
        assert_eq!(v["deep"]["er"]["key"], "K");
    }
}
