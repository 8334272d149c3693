//! `connector <provider> docs`: the provider's reference page (Markdown).

use clap::Command;
use connector_core::ProviderDescriptor;

use crate::render;
use crate::runtime::print_out;

/// The command.
pub fn cli() -> Command {
    Command::new("docs").about(
        "Print the provider's reference page (Markdown), generated from its descriptor and settings schema",
    )
}

/// Runs it.
pub fn exec(d: &ProviderDescriptor) -> u8 {
    print_out(&render::provider_docs(d))
}
