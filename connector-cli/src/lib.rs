//! # connector-cli
//!
//! The `connector` command line, as a library: [`run`] parses the process arguments and runs
//! the command against every provider registered with the SDK's registry. It links no
//! provider itself: a binary references the provider crates it wants (so that the linker
//! keeps their registrations) and calls [`run`]. The `connector` binary (package `connector`)
//! links UKG Pro, SCIM, Entra ID and Google Workspace; a third
//! party builds its own with its providers:
//!
//! ```no_run
//! // main.rs of a binary that links a provider crate (which registers itself with
//! // `connector_core::register!`); reference that crate so the linker keeps it.
//! fn main() -> std::process::ExitCode {
//!     // e.g. std::hint::black_box(my_provider::descriptor());
//!     connector_cli::run()
//! }
//! ```
//!
//! Commands (the program's own name is used in help and hints):
//!
//! ```text
//! connector list [--json]
//! connector schema user [--draft 2020-12|07]
//! connector <provider> schema [--draft 2020-12|07] [--ui-schema]
//! connector <provider> docs
//! connector <provider> config [--config FILE]
//! connector <provider> test [--config FILE | --sandbox] [--json]
//! connector <provider> users [--config FILE | --sandbox] [--format jsonl|json|csv] [--output FILE]
//!                            [--status LIST] [--company ID] [--page-size N]   (where supported)
//! connector <provider> sandbox [--users N] [--seed S] [--port P] [--latency-ms MS]
//!                              [--rate-limit N] [--error-rate F] [provider-specific faults]
//! connector connections add NAME --provider ID [--config FILE] [--no-test]
//! connector connections list|show NAME|test NAME|edit NAME|rename OLD NEW|remove NAME|rotate-key
//! connector <provider> test|users --connection NAME
//! connector <provider> sync --connection NAME [--events FILE] [--output FILE] [--dry-run]
//! connector install-entrypoints DIR      (source-<provider>: Airbyte; tap-<provider>: Singer)
//! connector completions bash|zsh|fish|elvish|powershell
//! connector man [--dir DIR]
//! ```
#![deny(missing_docs)]

mod args;
pub mod commands;
pub mod config;
pub mod diagnostics;
pub mod env;
pub mod exit;
pub mod output;
pub mod program;
pub mod protocols;
pub mod render;
mod runtime;
pub mod sanitize;
mod store;
pub mod summary;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::{ArgMatches, Command};
use connector_core::{registry, Capability, ProviderDescriptor};

use commands::config as config_command;
use commands::{
    completions, connections, docs, entrypoints, list, man, sandbox, schema, serve, sync, test,
    users,
};

/// The commit this SDK's CLI was built from (`unknown` outside a git checkout).
pub const COMMIT: &str = env!("CONNECTOR_CLI_COMMIT");

static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// What `--version` prints after the program's name.
fn version() -> &'static str {
    VERSION.get_or_init(|| sdk_version(None))
}

fn sdk_version(own: Option<&str>) -> String {
    let sdk = env!("CARGO_PKG_VERSION");
    match own {
        None => format!("{sdk} (commit {COMMIT})"),
        Some(own) => format!("{own} (connector SDK {sdk}, commit {COMMIT})"),
    }
}

/// Runs the CLI with the process arguments and returns the exit status.
pub fn run() -> ExitCode {
    run_from(std::env::args_os().collect())
}

/// Like [`run`], for a binary of its own: `--version` reports `version` (e.g.
/// `env!("CARGO_PKG_VERSION")` of that binary) and the SDK's version after it.
pub fn run_with_version(version: &str) -> ExitCode {
    let _ = VERSION.set(sdk_version(Some(version)));
    run()
}

/// The program name: how it was started (`connector`, `acme-connector`, `source-ukgpro`...).
fn program_name(args: &[OsString]) -> String {
    args.first()
        .and_then(|a| Path::new(a).file_stem())
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("connector")
        .to_owned()
}

/// Runs the CLI with `args` (the first one is the program name).
pub fn run_from(args: Vec<OsString>) -> ExitCode {
    let program = program_name(&args);
    crate::program::set_name(&program);
    // Started as `source-<provider>` or `tap-<provider>`: an orchestrator is calling.
    if let Some((protocol, descriptor)) = protocols::entry_point(&program) {
        return exit::exit(protocols::run(
            protocol,
            descriptor,
            args.get(1..).unwrap_or(&[]),
        ));
    }
    let providers = registry::providers();
    let matches = match command(&providers).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) if e.kind() == clap::error::ErrorKind::UnknownArgument => {
            // `--password ...`: say where settings go instead (and never echo the value).
            match config::refuse_settings_flags(&providers, &args) {
                Some(message) => eprintln!("error: {message}"),
                None => {
                    let _ = e.print();
                }
            }
            return exit::exit(exit::USAGE);
        }
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return exit::exit(code);
        }
    };
    let verbosity = if matches.get_flag("quiet") {
        diagnostics::Verbosity::Quiet
    } else {
        match matches.get_count("verbose") {
            0 => diagnostics::Verbosity::Normal,
            n => diagnostics::Verbosity::Verbose(n),
        }
    };
    diagnostics::init(verbosity);
    let code = match matches.subcommand() {
        Some(("list", m)) => list::exec(&providers, m),
        Some(("completions", m)) => completions::exec(command(&providers), m),
        Some(("man", m)) => man::exec(command(&providers), m),
        Some(("schema", m)) => schema::exec_records(m),
        Some(("connections", m)) => connections::exec(m),
        Some(("serve", m)) => serve::exec(m),
        Some(("install-entrypoints", m)) => entrypoints::exec(&providers, m),
        Some((id, m)) => match registry::provider(id) {
            Ok(descriptor) => provider_command(descriptor, m),
            Err(e) => {
                runtime::report_error(&e);
                exit::USAGE
            }
        },
        None => exit::USAGE,
    };
    exit::exit(code)
}

const ABOUT: &str = "Connect to business systems: save and test connections, export users, sync who joined, moved and left, print settings schemas.";

fn command(providers: &[&'static ProviderDescriptor]) -> Command {
    let ids: Vec<_> = providers.iter().map(|d| d.id()).collect();
    // A variable that exists: the first provider's first setting.
    let example = providers
        .first()
        .and_then(|d| {
            let schema = d.settings_schema();
            let field = schema.fields().first()?.name.clone();
            Some(crate::env::var_name(d.id(), &field))
        })
        .unwrap_or_else(|| "ACME_BASE_URL".into());
    let mut cmd = Command::new(crate::program::name())
        .version(version())
        .about(ABOUT)
        .long_about(format!(
            "{ABOUT}\n\nProviders in this binary: {}.\n\nSettings come from --config FILE (a JSON object) and from environment variables named <PROVIDER>_<FIELD> (e.g. {example}), the environment winning, or from a saved connection (--connection NAME; see `connections`). Secrets are never accepted as command-line flags. Started as source-<provider> or tap-<provider> (see `install-entrypoints`), the binary speaks the Airbyte protocol or Singer instead. Results go to stdout; diagnostics to stderr; RUST_LOG (e.g. RUST_LOG=debug) controls logging, which never contains secrets.",
            if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
        ))
        .after_help(exit::TABLE)
        .arg(
            clap::Arg::new("quiet")
                .short('q')
                .long("quiet")
                .global(true)
                .action(clap::ArgAction::SetTrue)
                .conflicts_with("verbose")
                .help("Say only what went wrong: no retry lines, warnings or export summary"),
        )
        .arg(
            clap::Arg::new("verbose")
                .short('v')
                .long("verbose")
                .global(true)
                .action(clap::ArgAction::Count)
                .help("Say more on stderr: -v what the SDK does, -vv debug (RUST_LOG overrides)"),
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(list::cli())
        .subcommand(schema::cli_records())
        .subcommand(connections::cli())
        .subcommand(serve::cli())
        .subcommand(entrypoints::cli())
        .subcommand(completions::cli())
        .subcommand(man::cli());
    for d in providers {
        cmd = cmd.subcommand(provider_subcommand(d));
    }
    cmd
}

/// `<provider> …`: the commands this provider supports.
fn provider_subcommand(d: &'static ProviderDescriptor) -> Command {
    let mut cmd = Command::new(d.id())
        .about(d.description())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(schema::cli())
        .subcommand(docs::cli())
        .subcommand(config_command::cli());
    if d.can(Capability::ConnectionTest) {
        cmd = cmd.subcommand(test::cli(d));
    }
    if d.can(Capability::UserExport) {
        cmd = cmd.subcommand(users::cli(d)).subcommand(sync::cli(d));
    }
    if d.sandbox().is_some() {
        cmd = cmd.subcommand(sandbox::cli(d));
    }
    cmd
}

fn provider_command(d: &'static ProviderDescriptor, m: &ArgMatches) -> u8 {
    match m.subcommand() {
        Some(("schema", m)) => schema::exec(d, m),
        Some(("docs", _)) => docs::exec(d),
        Some(("config", m)) => config_command::exec(d, m),
        Some(("test", m)) => test::exec(d, m),
        Some(("users", m)) => users::exec(d, m),
        Some(("sync", m)) => sync::exec(d, m),
        Some(("sandbox", m)) => sandbox::exec(d, m),
        _ => exit::USAGE,
    }
}

/// README.md's Rust examples, compiled by `cargo test --doc` (a README example that stops
/// compiling fails the tests).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

/// docs/connections.md's Rust example (the library API of saved connections), compiled.
#[cfg(doctest)]
#[doc = include_str!("../../docs/connections.md")]
pub struct ConnectionsDocExamples;
