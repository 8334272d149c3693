//! How a row of `connections` reads from SQLite, and the lookups around it.

use rusqlite::{params, Connection};

use super::super::row::Row;

/// Reads a row selected with [`ROW_COLUMNS`](super::super::row::ROW_COLUMNS).
pub(super) fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
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

pub(super) fn secret_fields(db: &Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        db.prepare("SELECT field FROM secrets WHERE connection_id = ?1 ORDER BY field")?;
    let fields = stmt.query_map(params![id], |r| r.get(0))?.collect();
    fields
}

/// Names close to `name` (see [`close_names`](super::super::keyring::close_names)).
pub(super) fn close_names(db: &Connection, name: &str) -> Vec<String> {
    let Ok(mut stmt) = db.prepare("SELECT name FROM connections ORDER BY name_key") else {
        return Vec::new();
    };
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default();
    super::super::keyring::close_names(&names, name)
}
