//! `connections add NAME --provider ID [--config FILE] [--no-test]`.

use std::path::PathBuf;

use clap::{Arg, ArgMatches, Command};
use connector_app::connections::SaveFailure;
use connector_core::{registry, ProviderDescriptor};
use connector_store::{ConnectionName, StoreError};
use serde_json::Value;

use super::{no_test_arg, open_store, prompt, report, run_test};
use crate::runtime::block_on;
use crate::{args, config, exit};

/// The command.
pub fn cli() -> Command {
    let program = crate::program::name();
    Command::new("add")
        .about("Save a new connection (and test it)")
        .long_about(format!(
            "Save a new connection. Its settings come from --config FILE and <PROVIDER>_<FIELD> variables; on a terminal, every missing field is asked for (secrets without echo). Without a terminal, a missing field is an error that lists them all. The settings are validated before anything is saved, then the connection test runs and its result is recorded (--no-test skips it).\n\nA connection saved while <PROVIDER>_ENDPOINT_OVERRIDE or <PROVIDER>_<NAME>_ENDPOINT_OVERRIDE variables are set (the ones `{program} <provider> sandbox` prints) keeps those endpoints: it is reached there without the variables, until `connections edit NAME --production-endpoints`.\n\nExample: {program} connections add \"Acme UKG (prod)\" --provider ukgpro --config ukg.json"
        ))
        .arg(super::name_arg())
        .arg(
            Arg::new("provider")
                .long("provider")
                .short('p')
                .value_name("ID")
                .required(true)
                .help(format!("The provider (`{program} list` shows them)")),
        )
        .arg(args::config())
        .arg(no_test_arg())
        .arg(args::json("Print the test report as JSON"))
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    let name = match ConnectionName::parse(m.get_one::<String>("name").map_or("", String::as_str)) {
        Ok(n) => n,
        Err(e) => return report(&e),
    };
    let descriptor =
        match registry::provider(m.get_one::<String>("provider").map_or("", String::as_str)) {
            Ok(d) => d,
            Err(e) => {
                crate::runtime::report_error(&e);
                return exit::USAGE;
            }
        };
    let schema = descriptor.settings_schema();
    let path = m.get_one::<PathBuf>("config").cloned();
    let mut raw = match config::load(descriptor, &schema, path.as_deref()) {
        Ok(raw) => raw,
        Err(e) => return crate::runtime::report_error(&e),
    };
    if prompt::interactive() {
        eprintln!("New {} connection `{name}`", descriptor.name());
        if let Value::Object(map) = &mut raw {
            if prompt::fill_missing(&schema, map).is_err() {
                eprintln!("error: input ended; nothing was saved");
                return exit::USAGE;
            }
        }
    }
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async {
        let endpoints = match config::endpoint_context(descriptor) {
            Ok(c) => c,
            Err(e) => return crate::runtime::report_error(&e),
        };
        let info = match connector_app::connections::add(
            &*store, &name, descriptor, raw, &endpoints,
        )
        .await
        {
            Ok(info) => info,
            Err(e) => return not_saved(e, descriptor),
        };
        eprintln!(
            "Saved connection `{}` ({}){}",
            crate::sanitize::terminal(&info.name),
            descriptor.name(),
            if info.secret_fields.is_empty() {
                String::new()
            } else {
                format!(
                    "; its secrets ({}) are encrypted and will not be shown again",
                    info.secret_fields.join(", ")
                )
            }
        );
        super::show::print_endpoints(&info);
        if m.get_flag("no-test") {
            return exit::OK;
        }
        let code = run_test(&*store, &info.name, m.get_flag("json")).await;
        if code != exit::OK {
            eprintln!(
                "the connection is saved, but its test failed; fix it with `{} connections edit \"{}\"`",
                crate::program::name(),
                crate::sanitize::terminal(&info.name)
            );
        }
        code
    })
}

/// Says why nothing was saved (and how to give the settings); the exit status.
fn not_saved(e: SaveFailure, descriptor: &ProviderDescriptor) -> u8 {
    match e {
        SaveFailure::Invalid(e) => {
            let code = crate::runtime::report_error(&e);
            eprintln!("nothing was saved");
            if !prompt::interactive() {
                eprintln!(
                    "hint: give the settings with --config FILE or {}_<FIELD> variables, or run on a terminal to be asked for them",
                    descriptor.id().to_ascii_uppercase()
                );
            }
            code
        }
        SaveFailure::Store(e @ StoreError::DuplicateName { .. }) => report(&e),
        SaveFailure::Store(e) => {
            let code = report(&e);
            eprintln!("nothing was saved");
            code
        }
        e => {
            eprintln!("error: {e}; nothing was saved");
            exit::OTHER
        }
    }
}
