//! Arguments several commands share.

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgAction, ArgMatches};
use connector_core::settings::{env_var_name, Draft};
use connector_core::ProviderDescriptor;

/// `--config FILE`.
pub(crate) fn config() -> Arg {
    Arg::new("config")
        .long("config")
        .short('c')
        .value_name("FILE")
        .value_parser(value_parser!(PathBuf))
        .help("JSON file with the settings (environment variables override it)")
}

/// `--json`.
pub(crate) fn json(help: &'static str) -> Arg {
    Arg::new("json")
        .long("json")
        .action(ArgAction::SetTrue)
        .help(help)
}

/// `--draft 2020-12|07`.
pub(crate) fn draft() -> Arg {
    Arg::new("draft")
        .long("draft")
        .value_name("DRAFT")
        .value_parser(["2020-12", "07"])
        .default_value("2020-12")
        .help("JSON Schema dialect")
}

/// The `--draft` given.
pub(crate) fn draft_of(m: &ArgMatches) -> Draft {
    m.get_one::<String>("draft")
        .and_then(|s| Draft::parse(s))
        .unwrap_or_default()
}

/// The settings table for `--help`: config key, environment variable, required, secret.
pub(crate) fn settings_help(d: &ProviderDescriptor) -> String {
    let schema = d.settings_schema();
    let name_width = schema
        .fields()
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    let env_width = name_width + d.id().len() + 1;
    let fields: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| {
            format!(
                "  {:<name_width$} {:<env_width$} {}{}",
                f.name,
                env_var_name(d.id(), &f.name),
                if f.required { "required" } else { "optional" },
                if f.secret { ", secret" } else { "" }
            )
        })
        .collect();
    format!(
        "Settings (config key, environment variable):\n{}",
        fields.join("\n")
    )
}
