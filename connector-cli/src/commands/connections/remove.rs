//! `connections remove NAME [--yes]`.

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::{open_store, prompt, report};
use crate::exit;
use crate::runtime::block_on;
use crate::sanitize::terminal;

/// The command.
pub fn cli() -> Command {
    Command::new("remove")
        .visible_alias("rm")
        .about("Delete a connection and its secrets")
        .long_about("Delete a connection and its secrets. On a terminal it asks first; elsewhere --yes is required.")
        .arg(super::name_arg())
        .arg(
            Arg::new("yes")
                .long("yes")
                .short('y')
                .action(ArgAction::SetTrue)
                .help("Do not ask for confirmation"),
        )
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    let name = m.get_one::<String>("name").cloned().unwrap_or_default();
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async {
        let info = match store.info(&name).await {
            Ok(i) => i,
            Err(e) => return report(&e),
        };
        if !m.get_flag("yes") {
            if !prompt::interactive() {
                eprintln!(
                    "error: removing `{}` needs --yes when no one is at a terminal to confirm",
                    terminal(&info.name)
                );
                return exit::USAGE;
            }
            let question = format!(
                "Remove the {} connection `{}` and its secrets?",
                info.provider,
                terminal(&info.name)
            );
            match prompt::confirm(&question, false) {
                Ok(true) => {}
                _ => {
                    eprintln!("nothing was removed");
                    return exit::USAGE;
                }
            }
        }
        match store.remove(&info.name).await {
            Ok(()) => {
                eprintln!("Removed `{}`", terminal(&info.name));
                exit::OK
            }
            Err(e) => report(&e),
        }
    })
}
