//! `connections rename OLD NEW`.

use clap::{Arg, ArgMatches, Command};
use connector_store::ConnectionName;

use super::{open_store, report};
use crate::exit;
use crate::runtime::block_on;
use crate::sanitize::terminal;

/// The command.
pub fn cli() -> Command {
    Command::new("rename")
        .about("Rename a connection (its settings, secrets and status stay)")
        .arg(super::name_arg().help("The connection's current name (any case)"))
        .arg(
            Arg::new("new")
                .value_name("NEW")
                .required(true)
                .help("Its new name"),
        )
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    let old = m.get_one::<String>("name").cloned().unwrap_or_default();
    let new = match ConnectionName::parse(m.get_one::<String>("new").map_or("", String::as_str)) {
        Ok(n) => n,
        Err(e) => return report(&e),
    };
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async {
        match store.rename(&old, &new).await {
            Ok(info) => {
                eprintln!("Renamed `{}` to `{}`", terminal(&old), terminal(&info.name));
                exit::OK
            }
            Err(e) => report(&e),
        }
    })
}
