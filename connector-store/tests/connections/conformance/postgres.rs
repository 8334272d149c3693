//! The conformance suite on PostgreSQL: a schema of its own per test in the server at
//! `CONNECTOR_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`, the server
//! CI runs). A server that does not answer fails these tests; they never skip.

use std::path::PathBuf;
use std::sync::Arc;

use connector_store::{KeySource, PostgresStore, Store, StoreError, KEY_FILE};
use tokio_postgres::{Client, NoTls};

use super::Backend;

/// The variable naming the test server.
const SERVER_VARIABLE: &str = "CONNECTOR_TEST_POSTGRES";
const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/test";

struct Postgres {
    /// The store's URL: the server, with the test's schema first in its search_path.
    url: String,
    admin: Client,
    schema: String,
    keys: tempfile::TempDir,
}

/// The test server's URL.
pub(crate) fn server_url() -> String {
    std::env::var(SERVER_VARIABLE).unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// A client of the test server; panics, saying what to do, when it does not answer.
pub(crate) async fn admin() -> Client {
    let url = server_url();
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap_or_else(|e| {
        panic!(
            "the PostgreSQL test server at {url} does not answer ({e}): start it (`.ci/run` does), or set {SERVER_VARIABLE}"
        )
    });
    tokio::spawn(connection);
    client
}

/// `url` with `schema` first in its search_path.
pub(crate) fn with_schema(url: &str, schema: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}options=-csearch_path%3D{schema}")
}

pub(crate) async fn backend(test: &str) -> Arc<dyn Backend> {
    let admin = admin().await;
    let schema = format!("conformance_{test}");
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
        ))
        .await
        .unwrap();
    Arc::new(Postgres {
        url: with_schema(&server_url(), &schema),
        admin,
        schema,
        keys: tempfile::tempdir().unwrap(),
    })
}

impl Postgres {
    fn key_file(&self) -> PathBuf {
        self.keys.path().join(KEY_FILE)
    }

    async fn exec(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> u64 {
        let sql = sql.replace("connector_", &format!("{}.connector_", self.schema));
        self.admin.execute(&sql, params).await.unwrap()
    }
}

#[connector_core::reexports::async_trait]
impl Backend for Postgres {
    fn open(&self) -> Box<dyn Store> {
        self.open_with(KeySource::File(self.key_file())).unwrap()
    }

    fn open_with(&self, source: KeySource) -> Result<Box<dyn Store>, StoreError> {
        Ok(Box::new(PostgresStore::open(&self.url, source)?))
    }

    async fn dump(&self) -> String {
        let mut out = String::new();
        let tables = self
            .admin
            .query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                &[&self.schema],
            )
            .await
            .unwrap();
        for table in tables {
            let table: String = table.get(0);
            // A row as text shows BYTEA as \x and lowercase hex.
            let rows = self
                .admin
                .query(
                    &format!("SELECT t::text FROM {}.{table} t", self.schema),
                    &[],
                )
                .await
                .unwrap();
            for row in rows {
                out.push_str(&row.get::<_, String>(0));
                out.push('\n');
            }
        }
        out
    }

    async fn set_settings(&self, name_key: &str, settings: &str) {
        let changed = self
            .exec(
                "UPDATE connector_connections SET settings = $1 WHERE name_key = $2",
                &[&settings, &name_key],
            )
            .await;
        assert_eq!(changed, 1);
    }

    async fn copy_secret(&self, from: &str, to: &str, field: &str) {
        let changed = self
            .exec(
                "UPDATE connector_secrets d SET nonce = s.nonce, ciphertext = s.ciphertext
                 FROM connector_secrets s
                 JOIN connector_connections cs ON cs.id = s.connection_id AND cs.name_key = $1
                 WHERE s.field = $3 AND d.field = $3
                   AND d.connection_id = (SELECT id FROM connector_connections WHERE name_key = $2)",
                &[&from, &to, &field],
            )
            .await;
        assert_eq!(changed, 1);
    }

    async fn set_newer_schema(&self) {
        self.exec(
            "UPDATE connector_meta SET value = '99'::bytea WHERE key = 'schema_version'",
            &[],
        )
        .await;
    }
}

super::conformance!(backend);
