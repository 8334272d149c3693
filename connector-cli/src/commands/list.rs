//! `connector list [--json]`: the providers linked into this binary.

use clap::{ArgMatches, Command};
use connector_core::ProviderDescriptor;

use crate::runtime::{print_json, print_out};
use crate::{args, render};

/// The command.
pub fn cli() -> Command {
    Command::new("list")
        .about("List the providers in this binary")
        .arg(args::json("Print a JSON array instead of a table"))
}

/// Runs it.
pub fn exec(providers: &[&'static ProviderDescriptor], m: &ArgMatches) -> u8 {
    if m.get_flag("json") {
        let items: Vec<_> = providers
            .iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id(),
                    "name": d.name(),
                    "description": d.description(),
                    "docs_url": d.docs_url(),
                    "capabilities": d.capabilities(),
                })
            })
            .collect();
        print_json(&serde_json::Value::Array(items))
    } else {
        print_out(&render::provider_list(providers))
    }
}
