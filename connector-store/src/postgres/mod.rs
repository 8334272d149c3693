//! [`PostgresStore`]: the connection store in a PostgreSQL database, shared by every worker
//! process on every machine that points at it (`CONNECTOR_STORE=postgres://…`).
//!
//! Same rows, same encryption, same seals as the SQLite store; what SQLite does with one file
//! and an OS lock, PostgreSQL does with its own locks:
//! - every change is one transaction;
//! - one advisory lock of the store guards the master key: a write that uses it (add, update)
//!   takes it for its transaction (`pg_advisory_xact_lock`); a rotation takes it for its session
//!   from before its transaction until its new key file is in place (`pg_advisory_lock`); a
//!   read of secrets takes it shared before its snapshot (`pg_advisory_lock_shared`). A
//!   rotation and a use of the key never interleave, on any machine;
//! - a sync commit locks its connection's row (`SELECT … FOR UPDATE`) and compares the state's
//!   version: of two syncs of one connection, the second to commit gets
//!   [`StoreError::SyncConflict`] and changes nothing;
//! - migrations run under an advisory lock too, so workers starting together migrate once.
//!
//! Tables are created in the first schema of the connection's `search_path` (`public` by
//! default; `?options=-csearch_path%3Dname` in the URL chooses another), named
//! `connector_*`. The driver runs on a thread of its own, so the store works from any async
//! runtime (or none); one store holds one connection and runs its calls one at a time.

mod keys;
mod schema;
mod store;
mod sync_state;

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, Transaction};

use super::home::KeySource;
use super::row::{Row, ROW_COLUMNS};
use super::{ConnectionInfo, MasterKey, StoreError};

/// The store in a PostgreSQL database. Cheap to clone: clones share the connection and key.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The server and database, for messages (never the password).
    place: String,
    client: tokio::sync::Mutex<Client>,
    source: KeySource,
    key: Mutex<Option<MasterKey>>,
    /// The advisory lock that serialises every use of the master key (per schema).
    key_lock: i64,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("place", &self.inner.place)
            .field("source", &self.inner.source)
            .finish_non_exhaustive()
    }
}

/// How long to wait for the server to accept the connection, unless the URL says.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, any
    /// form libpq accepts; no TLS), creates or migrates the store's tables, and uses keys from
    /// `source`. Several processes on several machines may use one database at once; they need
    /// the same master key (`CONNECTOR_MASTER_KEY` or [`KeySource::Given`]).
    pub fn open(url: &str, source: KeySource) -> Result<PostgresStore, StoreError> {
        let mut config: tokio_postgres::Config =
            url.parse()
                .map_err(|e: tokio_postgres::Error| StoreError::Location {
                    variable: super::STORE_VARIABLE.to_owned(),
                    reason: format!("not a PostgreSQL URL ({e})"),
                })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let place = place_of(&config);
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread_place = place.clone();
        // The connection is driven on a thread of its own: the store's calls then work from
        // any runtime, and outlive the runtime that opened it.
        std::thread::Builder::new()
            .name("connector-store-postgres".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = sender.send(Err(server(&thread_place, &e.to_string())));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let (mut client, connection) = match config.connect(NoTls).await {
                        Ok(pair) => pair,
                        Err(e) => {
                            let _ = sender.send(Err(server(&thread_place, &describe(&e))));
                            return;
                        }
                    };
                    let driver = tokio::spawn(connection);
                    let opened = schema::migrate(&mut client, &thread_place).await;
                    let _ = sender.send(opened.map(|key_lock| (client, key_lock)));
                    let _ = driver.await;
                });
            })
            .map_err(|e| server(&place, &format!("cannot start its thread: {e}")))?;
        let (client, key_lock) = receiver
            .recv()
            .map_err(|_| server(&place, "the connection's thread stopped"))??;
        Ok(PostgresStore {
            inner: Arc::new(Inner {
                place,
                client: tokio::sync::Mutex::new(client),
                source,
                key: Mutex::new(None),
                key_lock,
            }),
        })
    }

    /// The server and database (`postgres://user@host:port/database`), never the password.
    pub fn place(&self) -> &str {
        &self.inner.place
    }

    /// Where the master key comes from.
    pub fn key_source(&self) -> &KeySource {
        &self.inner.source
    }
}

/// `postgres://user@host:port/database` of `config`, without its password.
fn place_of(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
}

/// A driver error as one line: the server's own message when there is one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

fn server(place: &str, message: &str) -> StoreError {
    StoreError::Server {
        place: place.to_owned(),
        message: message.to_owned(),
    }
}

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Driver results as store errors that name the server.
trait Db<T> {
    fn db(self, inner: &Inner) -> Result<T, StoreError>;
}

impl<T> Db<T> for Result<T, tokio_postgres::Error> {
    fn db(self, inner: &Inner) -> Result<T, StoreError> {
        self.map_err(|e| inner.err(&e))
    }
}

impl Inner {
    fn err(&self, e: &tokio_postgres::Error) -> StoreError {
        server(&self.place, &describe(e))
    }

    /// Connection `name`'s row, or [`StoreError::UnknownConnection`] with the close names.
    async fn find(&self, tx: &Transaction<'_>, name: &str) -> Result<Row, StoreError> {
        let key = super::name::key_of(name);
        let row = tx
            .query_opt(
                &format!("SELECT {ROW_COLUMNS} FROM connector_connections WHERE name_key = $1"),
                &[&key],
            )
            .await
            .db(self)?;
        match row {
            Some(row) => read_row(&row).db(self),
            None => {
                let names: Vec<String> = tx
                    .query(
                        "SELECT name FROM connector_connections ORDER BY name_key",
                        &[],
                    )
                    .await
                    .db(self)?
                    .iter()
                    .filter_map(|r| r.try_get(0).ok())
                    .collect();
                Err(StoreError::UnknownConnection {
                    name: name.to_owned(),
                    close: super::keyring::close_names(&names, name),
                })
            }
        }
    }

    async fn info(&self, tx: &Transaction<'_>, row: Row) -> Result<ConnectionInfo, StoreError> {
        let fields: Vec<String> = tx
            .query(
                "SELECT field FROM connector_secrets WHERE connection_id = $1 ORDER BY field",
                &[&row.id],
            )
            .await
            .db(self)?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .db(self)?;
        row.into_info(fields, Path::new(&self.place))
    }

    fn cached_key(&self) -> Option<MasterKey> {
        self.key.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn cache_key(&self, key: &MasterKey) {
        *self.key.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
    }
}

/// Reads a row selected with [`ROW_COLUMNS`].
fn read_row(r: &tokio_postgres::Row) -> Result<Row, tokio_postgres::Error> {
    Ok(Row {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        provider: r.try_get(2)?,
        settings: r.try_get(3)?,
        created_at: r.try_get(4)?,
        updated_at: r.try_get(5)?,
        last_test_at: r.try_get(6)?,
        last_test_passed: r.try_get(7)?,
        last_test_step: r.try_get(8)?,
        last_test_message: r.try_get(9)?,
        last_export_at: r.try_get(10)?,
        last_export_ok: r.try_get(11)?,
        last_export_users: r.try_get(12)?,
        last_export_message: r.try_get(13)?,
    })
}

impl Inner {
    /// Starts a transaction on `client` (the store's connection, locked by the caller). A
    /// read-only one is one snapshot: the key check and the secrets as one commit left them.
    async fn begin<'c>(
        &self,
        client: &'c mut Client,
        read_only: bool,
    ) -> Result<Transaction<'c>, StoreError> {
        let mut builder = client.build_transaction();
        if read_only {
            builder = builder
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true);
        }
        builder.start().await.db(self)
    }
}
