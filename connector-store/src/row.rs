//! A saved connection's row as every backend stores it (times as RFC 3339 text, settings as
//! the JSON text that is sealed), and what it reads as.

use std::collections::BTreeMap;
use std::path::Path;

use connector_core::reexports::url::Url;

use jiff::Timestamp;
use serde_json::Value;

use super::record::{ConnectionInfo, ExportRecord, TestRecord};
use super::StoreError;

/// The columns of a connection row, in [`Row`]'s order.
pub(crate) const ROW_COLUMNS: &str = "id, name, provider, settings, created_at, updated_at, \
     last_test_at, last_test_passed, last_test_step, last_test_message, \
     last_export_at, last_export_ok, last_export_users, last_export_message";

/// A connection row as stored.
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) provider: String,
    pub(crate) settings: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) last_test_at: Option<String>,
    pub(crate) last_test_passed: Option<bool>,
    pub(crate) last_test_step: Option<String>,
    pub(crate) last_test_message: Option<String>,
    pub(crate) last_export_at: Option<String>,
    pub(crate) last_export_ok: Option<bool>,
    pub(crate) last_export_users: Option<i64>,
    pub(crate) last_export_message: Option<String>,
}

impl Row {
    pub(crate) fn into_info(
        self,
        secret_fields: Vec<String>,
        path: &Path,
    ) -> Result<ConnectionInfo, StoreError> {
        let corrupt = |what: &str| StoreError::Database {
            path: path.to_owned(),
            message: format!("connection `{}` has an unreadable {what}", self.name),
        };
        let time = |text: &str, what: &str| text.parse::<Timestamp>().map_err(|_| corrupt(what));
        let mut settings: Value =
            serde_json::from_str(&self.settings).map_err(|_| corrupt("settings column"))?;
        // The endpoints are kept in the settings document (under its seal), shown apart.
        let endpoints = match settings
            .as_object_mut()
            .and_then(|m| m.remove(super::record::ENDPOINTS_KEY))
        {
            None => BTreeMap::new(),
            Some(Value::Object(map)) => map
                .into_iter()
                .map(|(name, url)| match url {
                    Value::String(url) if Url::parse(&url).is_ok() => Ok((name, url)),
                    _ => Err(corrupt("endpoint")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(corrupt("endpoints")),
        };
        let last_test = match (&self.last_test_at, self.last_test_passed) {
            (Some(at), Some(passed)) => Some(TestRecord {
                at: time(at, "last test time")?,
                passed,
                failed_step: self.last_test_step.clone(),
                message: self.last_test_message.clone(),
            }),
            _ => None,
        };
        let last_export = match (&self.last_export_at, self.last_export_ok) {
            (Some(at), Some(ok)) => Some(ExportRecord {
                at: time(at, "last export time")?,
                ok,
                users: self
                    .last_export_users
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0),
                message: self.last_export_message.clone(),
            }),
            _ => None,
        };
        Ok(ConnectionInfo {
            id: self.id,
            status: ConnectionInfo::status_of(last_test.as_ref()),
            created_at: time(&self.created_at, "creation time")?,
            updated_at: time(&self.updated_at, "update time")?,
            name: self.name,
            provider: self.provider,
            settings,
            secret_fields,
            endpoints,
            last_test,
            last_export,
        })
    }
}

/// The columns of a connection's last test, in [`TestRecord`]'s order.
pub(crate) const TEST_COLUMNS: [&str; 4] = [
    "last_test_at",
    "last_test_passed",
    "last_test_step",
    "last_test_message",
];

/// The columns of a connection's last export, in [`ExportRecord`]'s order.
pub(crate) const EXPORT_COLUMNS: [&str; 4] = [
    "last_export_at",
    "last_export_ok",
    "last_export_users",
    "last_export_message",
];

/// A connection's sealed columns as stored (for checking and renewing seals).
pub(crate) struct SettingsRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) provider: String,
    pub(crate) settings: String,
    pub(crate) seal: Option<Vec<u8>>,
}

impl SettingsRow {
    /// Whether the settings carry `key`'s seal.
    pub(crate) fn sealed_by(&self, key: &super::MasterKey) -> bool {
        let aad = super::crypto::settings_aad(&self.id, &self.provider, &self.settings);
        self.seal
            .as_deref()
            .is_some_and(|s| super::crypto::settings_sealed(key, &aad, s))
    }
}

/// A user fingerprint as a database stores it (its bits as a signed 64-bit integer).
pub(crate) fn fingerprint_to_db(fp: u64) -> i64 {
    i64::from_ne_bytes(fp.to_ne_bytes())
}

/// A stored fingerprint back.
pub(crate) fn fingerprint_from_db(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}
