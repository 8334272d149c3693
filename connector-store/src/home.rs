//! The connector home: the folder that holds the connection store and the key file, created
//! readable by its owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{MasterKey, StoreError};

/// The variable that chooses the connector home.
pub const HOME_VARIABLE: &str = "CONNECTOR_HOME";

/// The variable that holds the master key (base64 of 32 bytes); when set, no key file is used.
pub const MASTER_KEY_VARIABLE: &str = "CONNECTOR_MASTER_KEY";

/// The database's file name in the connector home.
pub const STORE_FILE: &str = "connections.db";

/// The key file's name in the connector home.
pub const KEY_FILE: &str = "master.key";

/// The connector home: `CONNECTOR_HOME` when set, otherwise `connector` in the platform's
/// data folder (`~/.local/share/connector` on Linux, `~/Library/Application
/// Support/connector` on macOS, `%APPDATA%\connector` on Windows).
pub fn connector_home() -> Result<PathBuf, StoreError> {
    match std::env::var_os(HOME_VARIABLE) {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home)),
        _ => dirs::data_dir()
            .map(|d| d.join("connector"))
            .ok_or_else(|| StoreError::Io {
                action: "cannot find",
                path: PathBuf::from("the platform's data folder"),
                message: format!("no home folder is known; set {HOME_VARIABLE}"),
            }),
    }
}

/// Creates `home` (and its parents) if needed; a folder created here is owner-only.
pub(crate) fn ensure_home(home: &Path) -> Result<(), StoreError> {
    if home.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(home)
        .map_err(|e| io("cannot create", home, &e))
}

pub(crate) fn io(action: &'static str, path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Where a master key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `CONNECTOR_MASTER_KEY`, read when the key is first needed.
    Environment,
    /// A key file (created, owner-only, when the store has no secrets yet).
    File(PathBuf),
    /// A key the embedding program holds (from its own secret manager, say).
    Given(MasterKey),
}

impl KeySource {
    /// `CONNECTOR_MASTER_KEY` when it is set, otherwise the key file in `home`.
    pub fn default_for(home: &Path) -> KeySource {
        match std::env::var_os(MASTER_KEY_VARIABLE) {
            Some(v) if !v.is_empty() => KeySource::Environment,
            _ => KeySource::File(home.join(KEY_FILE)),
        }
    }

    /// Where the key is looked for, for messages.
    pub fn describe(&self) -> String {
        match self {
            KeySource::Environment => MASTER_KEY_VARIABLE.to_owned(),
            KeySource::File(path) => format!("key file {}", path.display()),
            KeySource::Given(_) => "the key given by the program".to_owned(),
        }
    }

    /// Reads the key; a missing key file is created with a new key only when `may_create`
    /// (the store holds no secrets yet). Two processes creating it at once end up with the
    /// same key: the file is created exclusively and the loser reads the winner's.
    pub(crate) fn load(&self, may_create: bool) -> Result<MasterKey, StoreError> {
        match self {
            KeySource::Given(key) => Ok(key.clone()),
            KeySource::Environment => {
                let text = std::env::var(MASTER_KEY_VARIABLE).map_err(|_| StoreError::KeyUnusable {
                    origin: MASTER_KEY_VARIABLE.to_owned(),
                    reason: "it is not set or not valid UTF-8".to_owned(),
                })?;
                MasterKey::from_base64(&text, MASTER_KEY_VARIABLE)
            }
            KeySource::File(path) => match read_key_file(path) {
                Ok(key) => Ok(key),
                Err(Missing) if may_create => create_key_file(path, &MasterKey::generate()),
                Err(Missing) => Err(StoreError::KeyMissing {
                    looked: format!(
                        "{MASTER_KEY_VARIABLE} is not set and {} does not exist, but the store holds encrypted secrets",
                        path.display()
                    ),
                }),
                Err(Failed(e)) => Err(e),
            },
        }
    }
}

/// The most a key file may hold: a key is 44 characters of base64.
const MAX_KEY_FILE_BYTES: u64 = 4096;

enum KeyFileError {
    Missing,
    Failed(StoreError),
}
use KeyFileError::{Failed, Missing};

fn read_key_file(path: &Path) -> Result<MasterKey, KeyFileError> {
    // A key file is one line of base64; anything else (a FIFO, /dev/zero) is refused unread.
    let text = match connector_core::files::read_regular_text(path, MAX_KEY_FILE_BYTES) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Missing),
        Err(e) => return Err(Failed(io("cannot read", path, &e))),
    };
    let origin = format!("key file {}", path.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        if mode & 0o077 != 0 {
            return Err(Failed(StoreError::KeyUnusable {
                origin,
                reason: format!("other users can read it (mode {mode:o}); run chmod 600 on it"),
            }));
        }
    }
    MasterKey::from_base64(&text, &origin).map_err(Failed)
}

/// Writes `key` to `path` only if no file is there yet (owner-only, synced); returns the key
/// in the file, which is another process's if it won the race.
pub(crate) fn create_key_file(path: &Path, key: &MasterKey) -> Result<MasterKey, StoreError> {
    if let Some(parent) = path.parent() {
        ensure_home(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            let text = key.to_base64();
            file.write_all(format!("{}\n", text.expose()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| io("cannot write", path, &e))?;
            sync_parent(path);
            Ok(key.clone())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Another process created it a moment ago; it may still be writing.
            for _ in 0..50 {
                match read_key_file(path) {
                    Ok(key) => return Ok(key),
                    Err(Failed(_)) | Err(Missing) => {
                        std::thread::sleep(std::time::Duration::from_millis(20))
                    }
                }
            }
            read_key_file(path).map_err(|e| match e {
                Failed(e) => e,
                Missing => io("cannot read", path, &std::io::ErrorKind::NotFound.into()),
            })
        }
        Err(e) => Err(io("cannot create", path, &e)),
    }
}

/// Replaces the key file with `key` atomically (a temporary file renamed over it).
pub(crate) fn replace_key_file(path: &Path, key: &MasterKey) -> Result<(), StoreError> {
    let pending = pending_key_path(path);
    let _ = std::fs::remove_file(&pending);
    create_key_file(&pending, key)?;
    std::fs::rename(&pending, path).map_err(|e| io("cannot replace", path, &e))?;
    sync_parent(path);
    Ok(())
}

/// The key file a rotation writes before it commits (renamed over the key file after).
pub(crate) fn pending_key_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    path.with_file_name(name)
}

/// Reads the pending key of an interrupted rotation, if there is one.
pub(crate) fn read_pending_key(path: &Path) -> Option<MasterKey> {
    read_key_file(&pending_key_path(path)).ok()
}

fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}
