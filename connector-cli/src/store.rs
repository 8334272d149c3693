//! The connection store as the CLI opens it (`CONNECTOR_STORE`, or the connector home's
//! SQLite file), and how its errors are reported: shared by the commands and the settings
//! sources (`--connection NAME`).

use connector_core::ProviderDescriptor;
use connector_store::{ConnectionInfo, Store, StoreError};

use crate::exit;
use crate::sanitize::terminal;

/// Opens the store ({STORE_VARIABLE}'s PostgreSQL database, or the connector home's SQLite
/// file), or reports why not.
pub(crate) fn open_store() -> Result<Box<dyn Store>, u8> {
    connector_store::open_default().map_err(|e| report(&e))
}

/// Prints a store error with its hint; returns its exit status.
pub(crate) fn report(error: &StoreError) -> u8 {
    if let StoreError::Settings(e) = error {
        return crate::runtime::report_error(e);
    }
    eprintln!("error: {}", terminal(&error.to_string()));
    if let Some(hint) = in_cli_words(error).or_else(|| error.hint()) {
        eprintln!("hint: {}", terminal(&hint));
    }
    code_for(error)
}

/// The hints that name one of this program's commands; the store's own (neutral) hint for
/// the rest.
fn in_cli_words(error: &StoreError) -> Option<String> {
    let program = crate::program::name();
    Some(match error {
        StoreError::UnknownConnection { close, .. } if !close.is_empty() => format!(
            "did you mean {}? `{program} connections list` shows them all",
            close
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        StoreError::UnknownConnection { .. } => format!(
            "`{program} connections list` shows the saved connections; `{program} connections add NAME --provider ID` saves one"
        ),
        StoreError::DuplicateName { existing, .. } => format!(
            "pick another name, or change the existing one with `{program} connections edit \"{existing}\"`"
        ),
        StoreError::WrongProvider { name, stored, .. } => format!(
            "use `{program} {stored} … --connection \"{name}\"`, or `{program} connections list` to see every connection's provider"
        ),
        StoreError::Tampered { connection, .. } => format!(
            "re-enter the secret with `{program} connections edit \"{connection}\"`"
        ),
        StoreError::SettingsTampered { connection } => format!(
            "someone who can write the connection store changed it; check who can write the connector home, then remove the connection and add it again (`{program} connections remove \"{connection}\"`)"
        ),
        _ => return None,
    })
}

/// The exit status of a store error.
pub(crate) fn code_for(error: &StoreError) -> u8 {
    match error {
        StoreError::UnknownConnection { .. }
        | StoreError::DuplicateName { .. }
        | StoreError::InvalidName { .. }
        | StoreError::WrongProvider { .. } => exit::USAGE,
        StoreError::Settings(e) => exit::code_for(e.kind()),
        _ => exit::STORE,
    }
}

/// Refuses (reported, with its exit status) a connection of another provider than `d`.
pub(crate) fn check_provider(info: &ConnectionInfo, d: &ProviderDescriptor) -> Result<(), u8> {
    if info.provider == d.id() {
        return Ok(());
    }
    Err(report(&StoreError::WrongProvider {
        name: info.name.clone(),
        stored: info.provider.clone(),
        given: d.id().to_owned(),
    }))
}
