//! The conformance suite on SQLite: a temporary connector home per test.

use std::path::PathBuf;
use std::sync::Arc;

use connector_store::{KeySource, SqliteStore, Store, StoreError, KEY_FILE, STORE_FILE};

use super::Backend;

struct Sqlite {
    home: tempfile::TempDir,
}

impl Sqlite {
    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.home.path().join(STORE_FILE)).unwrap()
    }

    fn key_file(&self) -> PathBuf {
        self.home.path().join(KEY_FILE)
    }
}

pub(crate) async fn backend(_test: &str) -> Arc<dyn Backend> {
    Arc::new(Sqlite {
        home: tempfile::tempdir().unwrap(),
    })
}

#[connector_core::reexports::async_trait]
impl Backend for Sqlite {
    fn open(&self) -> Box<dyn Store> {
        self.open_with(KeySource::File(self.key_file())).unwrap()
    }

    fn open_with(&self, source: KeySource) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(SqliteStore::open(self.home.path(), source)?))
    }

    async fn dump(&self) -> String {
        use rusqlite::types::ValueRef;
        let db = self.db();
        let tables: Vec<String> = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut out = String::new();
        for table in tables {
            let mut stmt = db.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for i in 0..columns {
                    match row.get_ref(i).unwrap() {
                        ValueRef::Blob(b) => {
                            out.extend(b.iter().map(|b| format!("{b:02x}")));
                        }
                        ValueRef::Text(t) => out.push_str(&String::from_utf8_lossy(t)),
                        ValueRef::Integer(n) => out.push_str(&n.to_string()),
                        ValueRef::Real(n) => out.push_str(&n.to_string()),
                        ValueRef::Null => {}
                    }
                    out.push('|');
                }
                out.push('\n');
            }
        }
        out
    }

    async fn set_settings(&self, name_key: &str, settings: &str) {
        let changed = self
            .db()
            .execute(
                "UPDATE connections SET settings = ?1 WHERE name_key = ?2",
                rusqlite::params![settings, name_key],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    async fn copy_secret(&self, from: &str, to: &str, field: &str) {
        let changed = self
            .db()
            .execute(
                "UPDATE secrets SET
                   nonce = (SELECT s.nonce FROM secrets s JOIN connections c ON c.id = s.connection_id
                            WHERE c.name_key = ?1 AND s.field = ?3),
                   ciphertext = (SELECT s.ciphertext FROM secrets s JOIN connections c ON c.id = s.connection_id
                            WHERE c.name_key = ?1 AND s.field = ?3)
                 WHERE field = ?3 AND connection_id = (SELECT id FROM connections WHERE name_key = ?2)",
                rusqlite::params![from, to, field],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    async fn set_newer_schema(&self) {
        self.db().pragma_update(None, "user_version", 99).unwrap();
    }
}

super::conformance!(backend);
