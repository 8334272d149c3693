//! What every backend does the same way with the master key: the key check that tells the
//! right key from a wrong one (and which version of the store it sealed), loading the key that
//! opens it (finishing a rotation whose key file was not renamed yet), the pending key file of
//! a rotation, and connection ids.

use std::path::PathBuf;

use super::crypto::{KEY_CHECK_AAD, KEY_CHECK_AAD_V1, KEY_CHECK_TEXT};
use super::home::{self, io, KeySource};
use super::{MasterKey, StoreError};

/// The length of the nonce at the start of a stored key check.
const NONCE_BYTES: usize = 12;

/// The store's key check for `key`, as stored: nonce then ciphertext (version 2: the
/// settings of every connection are sealed).
pub(crate) fn key_check(key: &MasterKey) -> Vec<u8> {
    let (mut value, sealed) = key.seal(KEY_CHECK_AAD, KEY_CHECK_TEXT);
    value.extend_from_slice(&sealed);
    value
}

/// A stored key check split into nonce and ciphertext; `None` when it is not one.
pub(crate) fn split_key_check(value: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    (value.len() > NONCE_BYTES).then(|| {
        let (nonce, sealed) = value.split_at(NONCE_BYTES);
        (nonce.to_vec(), sealed.to_vec())
    })
}

/// The version of the store's key check `key` opens (2: settings sealed; 1: older), if any.
pub(crate) fn check_version(key: &MasterKey, nonce: &[u8], sealed: &[u8]) -> Option<u8> {
    let opens = |aad: &[u8]| {
        key.open(aad, nonce, sealed)
            .is_some_and(|p| p.as_slice() == KEY_CHECK_TEXT)
    };
    if opens(KEY_CHECK_AAD) {
        Some(2)
    } else if opens(KEY_CHECK_AAD_V1) {
        Some(1)
    } else {
        None
    }
}

/// The key from `source` that opens the key check (`version` tells which version it opens),
/// or the pending key of a rotation that committed but did not get to rename its key file
/// (the rotation is finished here).
pub(crate) fn load_checked(
    source: &KeySource,
    version: &dyn Fn(&MasterKey) -> Option<u8>,
) -> Result<(MasterKey, u8), StoreError> {
    let loaded = source.load(false);
    if let Some(v) = loaded.as_ref().ok().and_then(version) {
        return loaded.map(|k| (k, v));
    }
    if let KeySource::File(path) = source {
        if let Some(key) = home::read_pending_key(path) {
            if let Some(v) = version(&key) {
                home::replace_key_file(path, &key)?;
                let _ = std::fs::remove_file(home::pending_key_path(path));
                return Ok((key, v));
            }
        }
    }
    match loaded {
        Ok(_) => Err(StoreError::WrongKey {
            origin: source.describe(),
        }),
        Err(e) => Err(e),
    }
}

/// A rotation's new key file, written next to the key file before the rotation commits.
pub(crate) struct PendingKey {
    pending: PathBuf,
    file: PathBuf,
}

impl PendingKey {
    /// Writes `new_key` as the pending key of `source` (a key file); `None` for other sources.
    /// Call with the store locked: a pending key left by an earlier crash is stale by then.
    pub(crate) fn write(
        source: &KeySource,
        new_key: &MasterKey,
    ) -> Result<Option<Self>, StoreError> {
        let KeySource::File(path) = source else {
            return Ok(None);
        };
        let pending = home::pending_key_path(path);
        let _ = std::fs::remove_file(&pending);
        home::create_key_file(&pending, new_key)?;
        Ok(Some(PendingKey {
            pending,
            file: path.clone(),
        }))
    }

    /// After the rotation committed: the pending key becomes the key file.
    pub(crate) fn commit(self) -> Result<(), StoreError> {
        std::fs::rename(&self.pending, &self.file).map_err(|e| io("cannot replace", &self.file, &e))
    }

    /// After the rotation failed: the pending key goes.
    pub(crate) fn discard(self) {
        let _ = std::fs::remove_file(self.pending);
    }
}

/// A random, stable connection id (bound into each of its secrets' associated data).
pub(crate) fn new_id() -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut bytes = [0u8; 16];
    aes_gcm::aead::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Names close to `name` among `names`: the nearest by spelling and those that contain it or
/// that it contains, case-insensitively (at most three).
pub(crate) fn close_names(names: &[String], name: &str) -> Vec<String> {
    let wanted = super::name::key_of(name);
    let mut close: Vec<String> = names
        .iter()
        .filter(|n| {
            let k = super::name::key_of(n);
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

/// Decrypts secret `field` of connection `id` (named `connection`): without a key, or when
/// the ciphertext was altered or moved from elsewhere, [`StoreError::Tampered`].
pub(crate) fn open_secret(
    key: Option<&MasterKey>,
    id: &str,
    connection: &str,
    field: &str,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<connector_core::Secret, StoreError> {
    let tampered = || StoreError::Tampered {
        connection: connection.to_owned(),
        field: field.to_owned(),
    };
    let plain = key
        .ok_or_else(tampered)?
        .open(&super::crypto::secret_aad(id, field), nonce, ciphertext)
        .ok_or_else(tampered)?;
    let text = std::str::from_utf8(&plain).map_err(|_| tampered())?;
    Ok(connector_core::Secret::new(text))
}
