//! [`StoreError`]: what can go wrong with saved connections, each with what to do about it.

use std::path::PathBuf;

/// A connection-store failure. Every variant says what happened and [`StoreError::hint`]
/// says what to do; none ever holds a secret or the master key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No connection has that name.
    #[error("no connection is named `{name}`")]
    UnknownConnection {
        /// The name asked for.
        name: String,
        /// The closest existing names.
        close: Vec<String>,
    },
    /// The name is taken (names are compared case-insensitively).
    #[error("a connection named `{existing}` already exists")]
    DuplicateName {
        /// The name asked for.
        name: String,
        /// The existing connection's name.
        existing: String,
    },
    /// The name breaks a naming rule.
    #[error("invalid connection name `{name}`: {reason}")]
    InvalidName {
        /// The name given (control characters removed).
        name: String,
        /// The rule broken.
        reason: String,
    },
    /// Settings for another provider than the connection's.
    #[error("connection `{name}` is a {stored} connection, not {given}")]
    WrongProvider {
        /// The connection.
        name: String,
        /// Its provider.
        stored: String,
        /// The provider of the settings given.
        given: String,
    },
    /// The settings do not pass the provider's schema, or the provider is unknown.
    #[error(transparent)]
    Settings(#[from] connector_core::Error),
    /// The store holds encrypted secrets and no master key was found.
    #[error("no master key: {looked}")]
    KeyMissing {
        /// Where the key was looked for.
        looked: String,
    },
    /// The master key given cannot be used (not base64 of 32 bytes, or a key file others
    /// can read).
    #[error("the master key from {origin} cannot be used: {reason}")]
    KeyUnusable {
        /// Where it came from (`CONNECTOR_MASTER_KEY`, `key file …`).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The master key is not the one the store's secrets were encrypted with.
    #[error(
        "the master key from {origin} is not the key this store's secrets were encrypted with"
    )]
    WrongKey {
        /// Where it came from.
        origin: String,
    },
    /// A secret failed to decrypt with the right key: its ciphertext was changed, or moved
    /// from another connection or field.
    #[error("the saved `{field}` of connection `{connection}` does not decrypt: it was altered or copied from elsewhere")]
    Tampered {
        /// The connection.
        connection: String,
        /// The settings field (`password`, `auth.token`).
        field: String,
    },
    /// A connection's settings (where its requests go) were changed outside the SDK: they no
    /// longer match the seal made under the master key when they were saved, so its secrets
    /// are not used.
    #[error("the saved settings of connection `{connection}` were changed outside the connector (they do not match their seal); nothing was sent with its secrets")]
    SettingsTampered {
        /// The connection.
        connection: String,
    },
    /// The database failed.
    #[error("connection store {path}: {message}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The PostgreSQL server could not be reached, or refused or failed a query.
    #[error("connection store {place}: {message}")]
    Server {
        /// The server and database (`postgres://user@host:port/db`, never a password).
        place: String,
        /// What failed.
        message: String,
    },
    /// `CONNECTOR_STORE` (or the location given) names no store this build can open.
    #[error("{variable} cannot be used: {reason}")]
    Location {
        /// Where the location came from (`CONNECTOR_STORE`).
        variable: String,
        /// What is wrong with it (never the password in it).
        reason: String,
    },
    /// The database was written by a newer version of the SDK.
    #[error("connection store {path} has schema version {found}; this version understands up to {supported}")]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// Another sync of the connection committed while this one ran; nothing was changed.
    #[error(
        "another sync of connection `{name}` finished while this one ran; nothing was committed"
    )]
    SyncConflict {
        /// The connection.
        name: String,
    },
    /// A file or folder of the connector home could not be created, read or written.
    #[error("{action} {path}: {message}")]
    Io {
        /// What was being done (`cannot create`, `cannot read`).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The system's reason.
        message: String,
    },
}

impl StoreError {
    /// What to do about it, in no program's words (a command line or a console says which of
    /// its commands or buttons does it).
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            StoreError::UnknownConnection { close, .. } if !close.is_empty() => format!(
                "did you mean {}?",
                close
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            StoreError::UnknownConnection { .. } => {
                "check the name against the saved connections, or save this one first".to_owned()
            }
            StoreError::DuplicateName { existing, .. } => format!(
                "pick another name, or change the existing connection `{existing}`"
            ),
            StoreError::InvalidName { .. } => {
                "use a short label people recognise, such as `Acme UKG (prod)`".to_owned()
            }
            StoreError::WrongProvider { name, stored, .. } => {
                format!("`{name}` is used with the {stored} provider")
            }
            StoreError::Settings(e) => return e.hint().map(str::to_owned),
            StoreError::KeyMissing { .. } => format!(
                "set {} to the key the secrets were saved with (base64 of 32 bytes), or restore the key file from your backup; nothing was changed",
                super::MASTER_KEY_VARIABLE
            ),
            StoreError::KeyUnusable { .. } => "a master key is 32 random bytes in base64, e.g. from `openssl rand -base64 32`; a key file must be readable by its owner only (chmod 600)".to_owned(),
            StoreError::WrongKey { .. } => format!(
                "use the key the connections were saved with ({} or the key file of this connector home); nothing was changed",
                super::MASTER_KEY_VARIABLE
            ),
            StoreError::Tampered { connection, .. } => {
                format!("enter the secret of `{connection}` again (edit the connection)")
            }
            StoreError::SettingsTampered { connection } => format!(
                "someone who can write the connection store changed it; check who can write it, then remove `{connection}` and add it again"
            ),
            StoreError::Database { .. } => format!(
                "check that the folder is writable and the disk not full; {} chooses another folder",
                super::HOME_VARIABLE
            ),
            StoreError::Server { .. } => format!(
                "check that the PostgreSQL server named in {} is running and reachable, and that its user may create and write tables in the database's first search_path schema",
                super::STORE_VARIABLE
            ),
            StoreError::Location { .. } => format!(
                "set {} to a postgres:// URL (postgres://user:password@host:5432/database), or unset it to use the SQLite file in the connector home",
                super::STORE_VARIABLE
            ),
            StoreError::NewerSchema { .. } => {
                "use the newer version that wrote it, or point CONNECTOR_HOME elsewhere".to_owned()
            }
            StoreError::SyncConflict { name } => format!(
                "run the sync of \"{name}\" again; it starts from the state the other one left (run one sync per connection at a time)"
            ),
            StoreError::Io { .. } => format!(
                "check the folder's permissions, or set {} to a folder you own",
                super::HOME_VARIABLE
            ),
        })
    }
}
