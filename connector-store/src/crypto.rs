//! Secrets at rest: AES-256-GCM, a fresh 96-bit nonce per value, and associated data that
//! binds each ciphertext to its connection and field, so a ciphertext copied to another row or
//! field does not decrypt.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use zeroize::Zeroizing;

use super::StoreError;
use connector_core::Secret;

/// Bytes in a master key.
pub const KEY_BYTES: usize = 32;

/// The 256-bit key every saved secret is encrypted with. `Debug` never shows it; the bytes
/// are wiped when it is dropped.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; KEY_BYTES]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl MasterKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> MasterKey {
        let key = Aes256Gcm::generate_key(OsRng);
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        bytes.copy_from_slice(&key);
        MasterKey(bytes)
    }

    /// A key from its base64 text (standard alphabet, padding optional, surrounding spaces
    /// ignored); `origin` names where it came from in errors.
    pub fn from_base64(text: &str, origin: &str) -> Result<MasterKey, StoreError> {
        let unusable = |reason: &str| StoreError::KeyUnusable {
            origin: origin.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = text.trim().trim_end_matches('=');
        let decoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(trimmed)
                .map_err(|_| unusable("it is not base64"))?,
        );
        if decoded.len() != KEY_BYTES {
            return Err(unusable(&format!(
                "it is {} bytes long; a key is {KEY_BYTES} bytes",
                decoded.len()
            )));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        bytes.copy_from_slice(&decoded);
        Ok(MasterKey(bytes))
    }

    /// The key as base64 text, for a key file or for the person rotating it.
    pub fn to_base64(&self) -> Secret {
        Secret::new(base64::engine::general_purpose::STANDARD.encode(*self.0))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&*self.0))
    }

    /// Encrypts `plaintext` bound to `aad`: (nonce, ciphertext with its tag).
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let sealed = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            // AES-GCM encryption fails only for messages beyond 64 GiB.
            .unwrap_or_default();
        (nonce.to_vec(), sealed)
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same `aad`; `None` when the key,
    /// the associated data, the nonce or the ciphertext differ.
    pub(crate) fn open(
        &self,
        aad: &[u8],
        nonce: &[u8],
        sealed: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        if nonce.len() != 12 {
            return None;
        }
        self.cipher()
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .ok()
            .map(Zeroizing::new)
    }
}

/// The associated data of a secret: the format version, the connection's stable id and the
/// field's path.
pub(crate) fn secret_aad(connection_id: &str, field: &str) -> Vec<u8> {
    format!("connector-sdk/secret/v1\0{connection_id}\0{field}").into_bytes()
}

/// The associated data of a connection's settings seal: the format version, the connection's
/// id, its provider and its settings exactly as stored. The seal is an AES-GCM tag over an
/// empty message with this associated data, so the settings cannot change (a `base_url`
/// pointed elsewhere) without the master key.
pub(crate) fn settings_aad(connection_id: &str, provider: &str, settings: &str) -> Vec<u8> {
    format!("connector-sdk/settings/v1\0{connection_id}\0{provider}\0{settings}").into_bytes()
}

/// Seals settings: nonce and tag in one value.
pub(crate) fn seal_settings(key: &MasterKey, aad: &[u8]) -> Vec<u8> {
    let (mut value, tag) = key.seal(aad, b"");
    value.extend_from_slice(&tag);
    value
}

/// Whether `seal` is `key`'s seal of `aad`.
pub(crate) fn settings_sealed(key: &MasterKey, aad: &[u8], seal: &[u8]) -> bool {
    seal.len() > 12 && key.open(aad, &seal[..12], &seal[12..]).is_some()
}

/// The associated data of the key check (a known value encrypted under the master key, to
/// tell a wrong key from a tampered secret), version 1: from a store whose connections'
/// settings were not sealed yet.
pub(crate) const KEY_CHECK_AAD_V1: &[u8] = b"connector-sdk/key-check/v1";

/// The key check of a store in which every connection's settings are sealed: a missing seal
/// is tampering, not an old row.
pub(crate) const KEY_CHECK_AAD: &[u8] = b"connector-sdk/key-check/v2";

/// The plaintext of the key check.
pub(crate) const KEY_CHECK_TEXT: &[u8] = b"connector-sdk master key check";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_with_its_key_and_its_associated_data() {
        let key = MasterKey::generate();
        let (nonce, sealed) = key.seal(&secret_aad("c1", "password"), b"hunter2");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        let opened = key
            .open(&secret_aad("c1", "password"), &nonce, &sealed)
            .unwrap();
        assert_eq!(&opened[..], b"hunter2");
        assert!(key
            .open(&secret_aad("c2", "password"), &nonce, &sealed)
            .is_none());
        assert!(key
            .open(&secret_aad("c1", "api_key"), &nonce, &sealed)
            .is_none());
        assert!(MasterKey::generate()
            .open(&secret_aad("c1", "password"), &nonce, &sealed)
            .is_none());
        let mut flipped = sealed.clone();
        flipped[0] ^= 1;
        assert!(key
            .open(&secret_aad("c1", "password"), &nonce, &flipped)
            .is_none());
    }

    #[test]
    fn each_value_gets_its_own_nonce() {
        let key = MasterKey::generate();
        let a = key.seal(b"x", b"same");
        let b = key.seal(b"x", b"same");
        assert_ne!(a.0, b.0);
        assert_ne!(a.1, b.1);
    }

    #[test]
    fn keys_round_trip_through_base64_and_bad_ones_say_why() {
        let key = MasterKey::generate();
        let text = key.to_base64();
        let back = MasterKey::from_base64(text.expose(), "test").unwrap();
        assert_eq!(*back.0, *key.0);
        let short = MasterKey::from_base64("c2hvcnQ=", "CONNECTOR_MASTER_KEY").unwrap_err();
        assert!(
            short.to_string().contains("CONNECTOR_MASTER_KEY"),
            "{short}"
        );
        assert!(short.to_string().contains("5 bytes"), "{short}");
        let garbage = MasterKey::from_base64("not base64!", "x").unwrap_err();
        assert!(garbage.to_string().contains("not base64"), "{garbage}");
        assert_eq!(format!("{key:?}"), "MasterKey([REDACTED])");
    }
}
