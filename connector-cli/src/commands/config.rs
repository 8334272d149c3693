//! `connector <provider> config [--config FILE]`: where each setting comes from (the file, a
//! `<PROVIDER>_<FIELD>` variable, the default, or nowhere), with secrets masked, and the
//! variables that set nothing.

use std::path::PathBuf;

use crate::env::var_name as env_var_name;
use clap::{ArgMatches, Command};
use connector_core::ProviderDescriptor;
use serde_json::Value;

use crate::runtime::{print_out, report_error};
use crate::{args, config};

/// The command.
pub fn cli() -> Command {
    Command::new("config")
        .about("Show where each setting comes from (file, variable, default), secrets masked")
        .long_about("Show every setting with the value in effect and where it comes from: the --config file, a <PROVIDER>_<FIELD> environment variable (which wins over the file), the default, or nowhere. Secrets are shown as `set`, never their value. Variables with the provider's prefix that set nothing are named, with the closest real one.")
        .arg(args::config())
}

/// A value as shown: secrets masked, long text shortened.
fn shown(value: &Value, holds_secret: bool) -> String {
    if holds_secret {
        return "set (secret)".into();
    }
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::sanitize::terminal(&text).chars().take(80).collect()
}

/// Runs it.
pub fn exec(d: &'static ProviderDescriptor, m: &ArgMatches) -> u8 {
    let schema = d.settings_schema();
    let path = m.get_one::<PathBuf>("config").cloned();
    let from_file = match &path {
        Some(p) => match config::read_only_file(d, p) {
            Ok(v) => v,
            Err(e) => return report_error(&e),
        },
        None => Value::Null,
    };
    let mut lines = Vec::new();
    let width = schema
        .fields()
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    for f in schema.fields() {
        let var = env_var_name(d.id(), &f.name);
        let env = std::env::var(&var).ok();
        let file = from_file.get(&f.name).filter(|v| !v.is_null());
        let default = schema.document()["properties"][&f.name].get("default");
        let secret = f.secret || f.holds_secret;
        let (value, source) = match (&env, file, default) {
            (Some(text), _, _) => (
                shown(&Value::String(text.clone()), secret),
                format!("variable {var}"),
            ),
            (None, Some(v), _) => (shown(v, secret), "config file".to_owned()),
            (None, None, Some(v)) => (shown(v, false), "default".to_owned()),
            (None, None, None) if f.required => (
                "missing".to_owned(),
                "required: set it in the file or in ".to_owned() + &var,
            ),
            (None, None, None) => ("not set".to_owned(), "optional".to_owned()),
        };
        lines.push(format!("  {:<width$}  {value}  ({source})", f.name));
    }
    let mut out = format!("{} settings\n{}\n", d.name(), lines.join("\n"));
    let unknown = config::unknown_variables(d, &schema, std::env::vars().map(|(k, _)| k));
    for warning in unknown {
        out.push_str(&format!("warning: {warning}\n"));
    }
    print_out(&out)
}
