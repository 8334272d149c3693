//! `connections edit NAME [--config FILE] [--keep-secrets] [--no-test]`.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use connector_app::connections::{Draft, EditFailure, SecretsPolicy};
use connector_core::registry;
use serde_json::{Map, Value};

use super::{no_test_arg, open_store, prompt, report, run_test};
use crate::runtime::block_on;
use crate::sanitize::terminal;
use crate::{args, config, exit};

/// The command.
pub fn cli() -> Command {
    Command::new("edit")
        .about("Change a connection's settings; its secrets must be entered again")
        .long_about(
            "Change a connection's settings. The saved settings are the starting point; top-level fields given with --config FILE or <PROVIDER>_<FIELD> variables replace them. Saved secrets are never shown, so they must be entered again: on a terminal they are asked for (without echo); elsewhere give them with --config or variables. --keep-secrets keeps the saved ones instead. The connection keeps the endpoints it was saved with (a sandbox's); <PROVIDER>_ENDPOINT_OVERRIDE and <PROVIDER>_<NAME>_ENDPOINT_OVERRIDE variables replace them, --production-endpoints forgets them. The result is validated before it is saved, then tested (--no-test skips it); editing resets the connection's status until it is tested.",
        )
        .arg(super::name_arg())
        .arg(args::config())
        .arg(
            Arg::new("keep-secrets")
                .long("keep-secrets")
                .action(ArgAction::SetTrue)
                .help("Keep the saved secrets that are not given again"),
        )
        .arg(
            Arg::new("production-endpoints")
                .long("production-endpoints")
                .action(ArgAction::SetTrue)
                .help("Forget the endpoints saved with the connection (a sandbox's): reach the provider's production hosts"),
        )
        .arg(no_test_arg())
        .arg(args::json("Print the test report as JSON"))
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    let name = m.get_one::<String>("name").cloned().unwrap_or_default();
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async {
        let keep = m.get_flag("keep-secrets");
        // What --config and the variables give: read against the saved connection's provider.
        let provider = match store.info(&name).await {
            Ok(info) => info.provider,
            Err(e) => return report(&e),
        };
        let given = match given_settings(&provider, m.get_one::<PathBuf>("config")) {
            Ok(given) => given,
            Err(code) => return code,
        };
        let policy = match keep {
            true => SecretsPolicy::Keep,
            false => SecretsPolicy::EnterAgain,
        };
        let mut draft = match Draft::start(&*store, &name, given, policy).await {
            Ok(d) => d,
            Err(e) => return report(&e),
        };
        // Where the connection is reached: as saved, unless the override variables say
        // otherwise or production is asked for.
        let overrides = match registry::provider(&provider).and_then(config::endpoint_context) {
            Ok(c) => c,
            Err(e) => return crate::runtime::report_error(&e),
        };
        if m.get_flag("production-endpoints") {
            draft.set_endpoints(Default::default());
        } else if !overrides.is_empty() {
            draft.set_endpoints(draft.info().context(&overrides));
        }
        if prompt::interactive() {
            if let Err(code) = ask_again(&mut draft) {
                return code;
            }
        }
        let info = match draft.save(&*store).await {
            Ok(i) => i,
            Err(EditFailure::Invalid {
                error,
                secrets_not_entered,
            }) => {
                let code = crate::runtime::report_error(&error);
                if !secrets_not_entered.is_empty() && !keep {
                    eprintln!(
                        "hint: saved secrets are never read back, so they must be given again (--config or variables), or kept with --keep-secrets"
                    );
                }
                eprintln!("nothing was changed");
                return code;
            }
            Err(EditFailure::Store(e)) => {
                let code = report(&e);
                eprintln!("nothing was changed");
                return code;
            }
            Err(e) => {
                eprintln!("error: {e}; nothing was changed");
                return exit::OTHER;
            }
        };
        eprintln!("Saved connection `{}`", terminal(&info.name));
        super::show::print_endpoints(&info);
        if m.get_flag("no-test") {
            return exit::OK;
        }
        run_test(&*store, &info.name, m.get_flag("json")).await
    })
}

/// The settings given with `--config` and `<PROVIDER>_<FIELD>` variables, as an object.
fn given_settings(provider: &str, path: Option<&PathBuf>) -> Result<Map<String, Value>, u8> {
    let descriptor = registry::provider(provider).map_err(|e| crate::runtime::report_error(&e))?;
    let schema = descriptor.settings_schema();
    match config::load(descriptor, &schema, path.map(PathBuf::as_path)) {
        Ok(Value::Object(given)) => Ok(given),
        Ok(_) => Ok(Map::new()),
        Err(e) => Err(crate::runtime::report_error(&e)),
    }
}

/// On a terminal: each saved secret to enter again, hidden, then any other missing field.
fn ask_again(draft: &mut Draft) -> Result<(), u8> {
    for path in draft.missing_secrets().to_vec() {
        match prompt::ask_secret(&format!(
            "{path} (secret; the saved value is not shown, enter it again)"
        )) {
            Ok(v) if !v.trim().is_empty() => draft.enter_secret(&path, v),
            _ => {
                eprintln!("error: {path} was not entered; nothing was changed");
                return Err(exit::USAGE);
            }
        }
    }
    let schema = draft.provider().settings_schema();
    if let Some(map) = draft.settings_mut() {
        if prompt::fill_missing(&schema, map).is_err() {
            eprintln!("error: input ended; nothing was changed");
            return Err(exit::USAGE);
        }
    }
    Ok(())
}
