//! `connections show NAME [--json]`: the settings, a secret as "set" and never its value.

use clap::{ArgMatches, Command};
use connector_store::{set_path, ConnectionInfo};
use serde_json::Value;

use super::{open_store, report};
use crate::args;
use crate::runtime::{block_on, print_json, print_out};
use crate::sanitize::terminal;

/// The command.
pub fn cli() -> Command {
    Command::new("show")
        .about(
            "Show a connection's settings and status (a secret shows as \"set\", never its value)",
        )
        .arg(super::name_arg())
        .arg(args::json("Print it as JSON"))
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    let name = m.get_one::<String>("name").cloned().unwrap_or_default();
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async {
        // `info` decrypts nothing: showing a connection needs no key.
        let info = match store.info(&name).await {
            Ok(i) => i,
            Err(e) => return report(&e),
        };
        if m.get_flag("json") {
            let mut value = serde_json::to_value(&info).unwrap_or_default();
            if let Some(settings) = value.get_mut("settings") {
                for path in &info.secret_fields {
                    set_path(settings, path, "set".into());
                }
            }
            return print_json(&value);
        }
        print_out(&render(&info, crate::render::colour_stdout()))
    })
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// On stderr, after a save: the endpoints the connection keeps, when not production's.
pub(super) fn print_endpoints(info: &ConnectionInfo) {
    if !info.endpoints.is_empty() {
        eprint!("{}", endpoints(info));
    }
}

/// The `endpoints:` lines (nothing for a connection to production).
fn endpoints(info: &ConnectionInfo) -> String {
    if info.endpoints.is_empty() {
        return String::new();
    }
    let mut out = "endpoints (not the provider's production hosts):\n".to_owned();
    let width = info.endpoints.keys().map(String::len).max().unwrap_or(0);
    for (name, url) in &info.endpoints {
        out.push_str(&format!("  {name:<width$}  {}\n", terminal(url)));
    }
    out
}

fn render(info: &ConnectionInfo, colour: bool) -> String {
    let mut settings = info.settings.clone();
    for path in &info.secret_fields {
        set_path(&mut settings, path, "set".into());
    }
    let mut fields = Vec::new();
    flatten("", &settings, &mut fields);
    // In the settings form's order.
    let order: Vec<String> = connector_core::registry::provider(&info.provider)
        .map(|d| {
            d.settings_schema()
                .fields()
                .iter()
                .map(|f| f.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let position = |path: &str| {
        let top = path.split('.').next().unwrap_or(path);
        order.iter().position(|f| f == top).unwrap_or(usize::MAX)
    };
    fields.sort_by_key(|(k, _)| position(k));
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = format!(
        "{}\n  provider: {}\n  status:   {}\n",
        terminal(&info.name),
        info.provider,
        super::list::status(info.status, colour)
    );
    if let Some(t) = &info.last_test {
        out.push_str(&format!(
            "  tested:   {}",
            t.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        ));
        if let Some(step) = &t.failed_step {
            out.push_str(&format!(
                " (failed at `{step}`: {})",
                terminal(t.message.as_deref().unwrap_or(""))
            ));
        }
        out.push('\n');
    }
    if let Some(x) = &info.last_export {
        out.push_str(&format!(
            "  exported: {}, {} user{}{}\n",
            x.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            x.users,
            if x.users == 1 { "" } else { "s" },
            if x.ok {
                String::new()
            } else {
                format!(
                    " (failed: {})",
                    terminal(x.message.as_deref().unwrap_or("did not complete"))
                )
            }
        ));
    }
    out.push_str(&format!(
        "  saved:    {}\n  changed:  {}\nsettings:\n",
        info.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        info.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    ));
    for (k, v) in fields {
        let secret = info.secret_fields.contains(&k);
        out.push_str(&format!(
            "  {k:<width$}  {}\n",
            if secret {
                "set (secret, not shown)".to_owned()
            } else {
                terminal(&v).into_owned()
            }
        ));
    }
    out.push_str(&endpoints(info));
    out
}
