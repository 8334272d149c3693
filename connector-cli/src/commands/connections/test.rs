//! `connections test NAME [--json]`: the named-step test, recorded.

use clap::{ArgMatches, Command};

use super::{open_store, run_test};
use crate::args;
use crate::runtime::block_on;

/// The command.
pub fn cli() -> Command {
    Command::new("test")
        .about("Test a saved connection step by step and record the result")
        .after_help(crate::exit::TABLE)
        .arg(super::name_arg())
        .arg(args::json("Print the report as JSON"))
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    let name = m.get_one::<String>("name").cloned().unwrap_or_default();
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(run_test(&*store, &name, m.get_flag("json")))
}
