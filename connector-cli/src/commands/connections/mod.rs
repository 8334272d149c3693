//! `connector connections …`: saved connections (named settings, secrets encrypted at rest,
//! tested, never shown again), one file per subcommand.

mod add;
mod edit;
mod list;
mod prompt;
mod remove;
mod rename;
mod rotate_key;
mod show;
mod test;

use clap::{Arg, ArgMatches, Command};
use connector_core::ProviderDescriptor;
use connector_store::{Store, HOME_VARIABLE, MASTER_KEY_VARIABLE, STORE_VARIABLE};

pub(crate) use crate::store::{check_provider, open_store, report};

use crate::exit;

/// The command.
pub fn cli() -> Command {
    let program = crate::program::name();
    Command::new("connections")
        .about("Save, list, show, test, edit, rename and remove named connections")
        .long_about(format!(
            "Saved connections: a name, a provider and its settings, kept in a SQLite database in the connector home ({HOME_VARIABLE}, default: the platform's data folder), or in the PostgreSQL database {STORE_VARIABLE} names (postgres://user:password@host:5432/database), which workers on several machines can share. Secrets are encrypted with AES-256-GCM under a master key from {MASTER_KEY_VARIABLE} (base64 of 32 bytes) or from the home's owner-only key file, created on first use. A saved secret is never shown again: to change it, enter it again with `edit`.\n\nUse a saved connection with `{program} <provider> test --connection NAME` or `{program} <provider> users --connection NAME`."
        ))
        .after_help(exit::TABLE)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(add::cli())
        .subcommand(list::cli())
        .subcommand(show::cli())
        .subcommand(test::cli())
        .subcommand(edit::cli())
        .subcommand(rename::cli())
        .subcommand(remove::cli())
        .subcommand(rotate_key::cli())
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    match m.subcommand() {
        Some(("add", m)) => add::exec(m),
        Some(("list", m)) => list::exec(m),
        Some(("show", m)) => show::exec(m),
        Some(("test", m)) => test::exec(m),
        Some(("edit", m)) => edit::exec(m),
        Some(("rename", m)) => rename::exec(m),
        Some(("remove", m)) => remove::exec(m),
        Some(("rotate-key", m)) => rotate_key::exec(m),
        _ => exit::USAGE,
    }
}

/// The `NAME` argument.
fn name_arg() -> Arg {
    Arg::new("name")
        .value_name("NAME")
        .required(true)
        .help("The connection's name (any case)")
}

/// `--no-test`.
fn no_test_arg() -> Arg {
    Arg::new("no-test")
        .long("no-test")
        .action(clap::ArgAction::SetTrue)
        .help("Save without running the connection test")
}

/// `<provider> test --connection NAME`: the saved connection's test, recorded like
/// `connections test` (a synced connection is tested for its change feed too); refused when
/// the connection is another provider's.
pub(crate) fn test_of(d: &ProviderDescriptor, name: &str, json: bool) -> u8 {
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    crate::runtime::block_on(async {
        match connector_store::ConnectionStore::info(&*store, name).await {
            Ok(info) => {
                if let Err(code) = check_provider(&info, d) {
                    return code;
                }
                crate::config::warn_ignored_variables(d);
                run_test(&*store, &info.name, json).await
            }
            Err(e) => report(&e),
        }
    })
}

/// Runs the connection test of `name`, records it and prints the checklist; the exit status
/// is the test's.
async fn run_test(store: &dyn Store, name: &str, json: bool) -> u8 {
    let info = match connector_store::ConnectionStore::info(store, name).await {
        Ok(i) => i,
        Err(e) => return report(&e),
    };
    let descriptor = match connector_core::registry::provider(&info.provider) {
        Ok(d) => d,
        Err(e) => return crate::runtime::report_error(&e),
    };
    let context = match crate::config::endpoint_context(descriptor) {
        Ok(c) => c,
        Err(e) => return crate::runtime::report_error(&e),
    };
    let report_ = match connector_app::connections::test(store, name, &context).await {
        Ok(r) => r,
        Err(e) => return report(&e),
    };
    let printed = if json {
        crate::runtime::print_json(&serde_json::to_value(&report_).unwrap_or_default())
    } else {
        crate::runtime::print_out(&crate::render::checklist(
            descriptor,
            &report_,
            crate::render::colour_stdout(),
        ))
    };
    if printed != exit::OK {
        return printed;
    }
    super::test::exit_code(&report_)
}
