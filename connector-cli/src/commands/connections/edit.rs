//! `connections edit NAME [--config FILE] [--keep-secrets] [--no-test]`.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use connector_core::registry;
use connector_store::ValidSettings;
use serde_json::Value;

use super::{no_test_arg, open_store, prompt, report, run_test};
use crate::runtime::block_on;
use crate::sanitize::terminal;
use crate::{args, config, exit};

/// The command.
pub fn cli() -> Command {
    Command::new("edit")
        .about("Change a connection's settings; its secrets must be entered again")
        .long_about(
            "Change a connection's settings. The saved settings are the starting point; top-level fields given with --config FILE or <PROVIDER>_<FIELD> variables replace them. Saved secrets are never shown, so they must be entered again: on a terminal they are asked for (without echo); elsewhere give them with --config or variables. --keep-secrets keeps the saved ones instead. The result is validated before it is saved, then tested (--no-test skips it); editing resets the connection's status until it is tested.",
        )
        .arg(super::name_arg())
        .arg(args::config())
        .arg(
            Arg::new("keep-secrets")
                .long("keep-secrets")
                .action(ArgAction::SetTrue)
                .help("Keep the saved secrets that are not given again"),
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
        // The saved secrets are decrypted only when they are to be kept.
        let (info, kept) = if keep {
            match store.get(&name).await {
                Ok(saved) => (saved.info.clone(), saved.secrets().to_vec()),
                Err(e) => return report(&e),
            }
        } else {
            match store.info(&name).await {
                Ok(info) => (info, Vec::new()),
                Err(e) => return report(&e),
            }
        };
        let descriptor = match registry::provider(&info.provider) {
            Ok(d) => d,
            Err(e) => return crate::runtime::report_error(&e),
        };
        let schema = descriptor.settings_schema();
        let path = m.get_one::<PathBuf>("config").cloned();
        let given = match config::load(descriptor, &schema, path.as_deref()) {
            Ok(raw) => raw,
            Err(e) => return crate::runtime::report_error(&e),
        };
        let mut raw = info.settings.clone();
        let mut replaced = Vec::new();
        if let (Value::Object(saved), Value::Object(given)) = (&mut raw, given) {
            for (k, v) in given {
                replaced.push(k.clone());
                saved.insert(k, v);
            }
        }
        // Secrets under a top-level field given anew are part of what was given.
        let mut missing: Vec<&String> = info
            .secret_fields
            .iter()
            .filter(|p| {
                !replaced
                    .iter()
                    .any(|r| p.split('.').next() == Some(r.as_str()))
            })
            .collect();
        // Asked in the form's order, not alphabetically.
        let position = |path: &str| {
            let top = path.split('.').next().unwrap_or(path);
            schema
                .fields()
                .iter()
                .position(|f| f.name == top)
                .unwrap_or(usize::MAX)
        };
        missing.sort_by_key(|p| position(p));
        for secret_path in missing {
            let value = if let Some((_, s)) = kept.iter().find(|(p, _)| p == secret_path) {
                s.expose().to_owned()
            } else if prompt::interactive() {
                match prompt::ask_secret(&format!(
                    "{secret_path} (secret; the saved value is not shown, enter it again)"
                )) {
                    Ok(v) if !v.trim().is_empty() => v,
                    _ => {
                        eprintln!("error: {secret_path} was not entered; nothing was changed");
                        return exit::USAGE;
                    }
                }
            } else {
                continue;
            };
            connector_store::set_path(&mut raw, secret_path, Value::String(value));
        }
        if prompt::interactive() {
            if let Value::Object(map) = &mut raw {
                if prompt::fill_missing(&schema, map).is_err() {
                    eprintln!("error: input ended; nothing was changed");
                    return exit::USAGE;
                }
            }
        }
        let settings = match ValidSettings::validate(descriptor, raw) {
            Ok(s) => s,
            Err(e) => {
                let code = crate::runtime::report_error(&e);
                let unentered: Vec<&str> = info
                    .secret_fields
                    .iter()
                    .map(String::as_str)
                    .filter(|p| {
                        e.field_errors()
                            .iter()
                            .any(|f| f.field.starts_with(p.split('.').next().unwrap_or(p)))
                    })
                    .collect();
                if !unentered.is_empty() && !keep {
                    eprintln!(
                        "hint: saved secrets are never read back, so they must be given again (--config or variables), or kept with --keep-secrets"
                    );
                }
                eprintln!("nothing was changed");
                return code;
            }
        };
        let info = match store.update(&info.name, settings).await {
            Ok(i) => i,
            Err(e) => {
                let code = report(&e);
                eprintln!("nothing was changed");
                return code;
            }
        };
        eprintln!("Saved connection `{}`", terminal(&info.name));
        if m.get_flag("no-test") {
            return exit::OK;
        }
        run_test(&*store, &info.name, m.get_flag("json")).await
    })
}
