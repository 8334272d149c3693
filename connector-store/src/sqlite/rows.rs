//! How a row of `connections` reads, and the lookups around it.

use std::path::Path;

use jiff::Timestamp;
use rusqlite::{params, Connection};
use serde_json::Value;

use super::super::record::{ConnectionInfo, ExportRecord, TestRecord};
use super::super::StoreError;

/// The columns [`Row::read`] reads, in its order.
pub(super) const ROW_COLUMNS: &str = "id, name, provider, settings, created_at, updated_at, \
     last_test_at, last_test_passed, last_test_step, last_test_message, \
     last_export_at, last_export_ok, last_export_users, last_export_message";

pub(super) struct Row {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) provider: String,
    pub(super) settings: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) last_test_at: Option<String>,
    pub(super) last_test_passed: Option<bool>,
    pub(super) last_test_step: Option<String>,
    pub(super) last_test_message: Option<String>,
    pub(super) last_export_at: Option<String>,
    pub(super) last_export_ok: Option<bool>,
    pub(super) last_export_users: Option<i64>,
    pub(super) last_export_message: Option<String>,
}

impl Row {
    pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        Ok(Row {
            id: r.get(0)?,
            name: r.get(1)?,
            provider: r.get(2)?,
            settings: r.get(3)?,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
            last_test_at: r.get(6)?,
            last_test_passed: r.get(7)?,
            last_test_step: r.get(8)?,
            last_test_message: r.get(9)?,
            last_export_at: r.get(10)?,
            last_export_ok: r.get(11)?,
            last_export_users: r.get(12)?,
            last_export_message: r.get(13)?,
        })
    }

    pub(super) fn into_info(
        self,
        secret_fields: Vec<String>,
        path: &Path,
    ) -> Result<ConnectionInfo, StoreError> {
        let corrupt = |what: &str| StoreError::Database {
            path: path.to_owned(),
            message: format!("connection `{}` has an unreadable {what}", self.name),
        };
        let time = |text: &str, what: &str| text.parse::<Timestamp>().map_err(|_| corrupt(what));
        let settings: Value =
            serde_json::from_str(&self.settings).map_err(|_| corrupt("settings column"))?;
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
            last_test,
            last_export,
        })
    }
}

pub(super) fn secret_fields(db: &Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        db.prepare("SELECT field FROM secrets WHERE connection_id = ?1 ORDER BY field")?;
    let fields = stmt.query_map(params![id], |r| r.get(0))?.collect();
    fields
}

/// Names close to `name`: the nearest by spelling and those that contain it or that it
/// contains, case-insensitively.
pub(super) fn close_names(db: &Connection, name: &str) -> Vec<String> {
    let Ok(mut stmt) = db.prepare("SELECT name FROM connections ORDER BY name_key") else {
        return Vec::new();
    };
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default();
    let wanted = super::super::name::key_of(name);
    let mut close: Vec<String> = names
        .iter()
        .filter(|n| {
            let k = super::super::name::key_of(n);
            !wanted.is_empty() && (k.contains(&wanted) || wanted.contains(&k))
        })
        .cloned()
        .collect();
    if let Some(nearest) = connector_core::settings::closest(name, names.iter().map(String::as_str))
    {
        if !close.iter().any(|c| c == nearest) {
            close.insert(0, nearest.to_owned());
        }
    }
    close.truncate(3);
    close
}
