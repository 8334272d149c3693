//! Arguments several commands share.

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgAction, ArgMatches};
use connector_core::settings::Draft;

use crate::env::var_name as env_var_name;
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

/// `--connection NAME`: a saved connection's settings.
pub(crate) fn connection() -> Arg {
    Arg::new("connection")
        .long("connection")
        .value_name("NAME")
        .conflicts_with("config")
        .help("Use the saved connection NAME (see `connections list`)")
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

/// Parses a count of at least 1 (`--limit`, `--page-size`, `--rate-limit`...), with a message
/// in words instead of the type's range (`0 is not in 1..=4294967295`).
pub(crate) fn at_least_one<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + From<u8>,
{
    let trimmed = text.trim().replace(['_', ','], "");
    match trimmed.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        Ok(_) => Err("must be at least 1".to_owned()),
        Err(_) if trimmed.starts_with('-') => Err("must be at least 1".to_owned()),
        Err(_) if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit()) => {
            Err("is too large".to_owned())
        }
        Err(_) => Err("expected a whole number, e.g. 500".to_owned()),
    }
}

/// A parser of `--page-size`: a count of at least 1 and at most `max`, the provider's page
/// maximum, so that a page size it refuses is a usage error before anything starts.
pub(crate) fn page_size(
    provider: &'static str,
    max: u32,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |text| {
        let n = at_least_one::<u32>(text)?;
        if n > max {
            return Err(format!(
                "{n} is more than the {max} records per page {provider} allows; use {max} or less"
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::{at_least_one, page_size};

    #[test]
    fn page_sizes_stop_at_the_provider_maximum() {
        let parse = page_size("UKG Pro", 10_000);
        assert_eq!(parse("10000"), Ok(10_000));
        assert_eq!(
            parse("20000").unwrap_err(),
            "20000 is more than the 10000 records per page UKG Pro allows; use 10000 or less"
        );
        assert_eq!(parse("0").unwrap_err(), "must be at least 1");
    }

    #[test]
    fn counts_are_checked_in_words() {
        assert_eq!(at_least_one::<u32>("500"), Ok(500));
        assert_eq!(at_least_one::<u64>("25,000"), Ok(25_000));
        assert_eq!(at_least_one::<u32>("0").unwrap_err(), "must be at least 1");
        assert_eq!(at_least_one::<u32>("-3").unwrap_err(), "must be at least 1");
        assert_eq!(
            at_least_one::<u32>("99999999999").unwrap_err(),
            "is too large"
        );
        assert!(at_least_one::<u32>("ten")
            .unwrap_err()
            .contains("whole number"));
    }
}
