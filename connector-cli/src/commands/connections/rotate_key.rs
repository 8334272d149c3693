//! `connections rotate-key`: every secret re-encrypted under a new master key, in one
//! transaction.

use clap::{ArgMatches, Command};
use connector_store::{KeySource, MasterKey, MASTER_KEY_VARIABLE};

use super::{open_store, report};
use crate::exit;
use crate::runtime::block_on;

/// The variable that gives the new key when the current one comes from the environment.
const NEW_KEY_VARIABLE: &str = "CONNECTOR_NEW_MASTER_KEY";

/// The command.
pub fn cli() -> Command {
    Command::new("rotate-key")
        .about("Re-encrypt every saved secret under a new master key, in one transaction")
        .long_about(format!(
            "Re-encrypt every saved secret under a new master key, all or nothing. With a key file, a new random key replaces it (written before the commit, renamed into place after, so no crash loses the key). With {MASTER_KEY_VARIABLE}, give the new key in {NEW_KEY_VARIABLE} (base64 of 32 bytes, e.g. from `openssl rand -base64 32`) and set {MASTER_KEY_VARIABLE} to it afterwards."
        ))
}

/// Runs it.
pub fn exec(_m: &ArgMatches) -> u8 {
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let new_key = match store.key_source() {
        KeySource::File(_) | KeySource::Given(_) => MasterKey::generate(),
        KeySource::Environment => match std::env::var(NEW_KEY_VARIABLE) {
            Ok(text) if !text.trim().is_empty() => {
                match MasterKey::from_base64(&text, NEW_KEY_VARIABLE) {
                    Ok(k) => k,
                    Err(e) => return report(&e),
                }
            }
            _ => {
                eprintln!("error: the master key comes from {MASTER_KEY_VARIABLE}, so the new one must be given too");
                eprintln!("hint: set {NEW_KEY_VARIABLE} to a new key (`openssl rand -base64 32`), run this again, then set {MASTER_KEY_VARIABLE} to it");
                return exit::USAGE;
            }
        },
    };
    block_on(async {
        match store.rotate_key(new_key).await {
            Ok(n) => {
                let whereto = match store.key_source() {
                    KeySource::File(path) => format!("the new key is in {}", path.display()),
                    _ => {
                        format!("now set {MASTER_KEY_VARIABLE} to the value of {NEW_KEY_VARIABLE}")
                    }
                };
                eprintln!(
                    "Re-encrypted {n} secret{} under a new master key; {whereto}",
                    if n == 1 { "" } else { "s" }
                );
                exit::OK
            }
            Err(e) => report(&e),
        }
    })
}
