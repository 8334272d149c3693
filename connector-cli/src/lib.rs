//! # connector-cli
//!
//! The `connector` command line, as a library: [`run`] parses the process arguments and runs
//! the command against every provider registered with the SDK's registry. A third party can
//! build the same CLI with more providers linked in:
//!
//! ```no_run
//! // main.rs of a binary that links an extra provider crate (which registers itself with
//! // `inventory::submit!`); reference that crate so the linker keeps it.
//! fn main() -> std::process::ExitCode {
//!     // e.g. std::hint::black_box(my_provider::descriptor());
//!     connector_cli::run()
//! }
//! ```
//!
//! Commands:
//!
//! ```text
//! connector list [--json]
//! connector schema user [--draft 2020-12|07]
//! connector <provider> schema [--draft 2020-12|07]
//! connector <provider> test [--config FILE] [--json]
//! connector <provider> users [--config FILE] [--format jsonl|json|csv] [--output FILE]
//!                            [--status LIST] [--company ID] [--page-size N]
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod exit;
pub mod output;
pub mod render;
pub mod summary;
pub mod users;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use connector_core::check::Checklist;
use connector_core::sandbox::SandboxOptions;
use connector_core::settings::{env_var_name, to_draft, Draft};
use connector_core::{
    registry, Capability, Error, ErrorKind, ProviderDescriptor, StepStatus, User, UserStatus,
};

/// The providers built into this binary. Referencing them here keeps the linker from dropping
/// their registrations.
fn builtin_providers() -> [&'static ProviderDescriptor; 1] {
    [connector_ukgpro::descriptor()]
}

/// Runs the CLI with the process arguments and returns the exit status.
pub fn run() -> ExitCode {
    run_from(std::env::args_os().collect())
}

/// Runs the CLI with `args` (the first one is the program name).
pub fn run_from(args: Vec<OsString>) -> ExitCode {
    std::hint::black_box(builtin_providers());
    init_tracing();
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
    let code = match matches.subcommand() {
        Some(("list", m)) => list(&providers, m.get_flag("json")),
        Some(("schema", m)) => print_json(&to_draft(&User::json_schema(), draft_arg(m))),
        Some((id, m)) => match registry::provider(id) {
            Ok(descriptor) => provider_command(descriptor, m),
            Err(e) => {
                eprintln!("error: {e}");
                if let Some(hint) = e.hint() {
                    eprintln!("hint: {hint}");
                }
                exit::USAGE
            }
        },
        None => exit::USAGE,
    };
    exit::exit(code)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

const ABOUT: &str =
    "Connect to business systems: test a connection, export users, print settings schemas.";

fn command(providers: &[&'static ProviderDescriptor]) -> Command {
    let ids: Vec<_> = providers.iter().map(|d| d.id).collect();
    let mut cmd = Command::new("connector")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .long_about(format!(
            "{ABOUT}\n\nProviders in this binary: {}.\n\nSettings come from --config FILE (a JSON object) and from environment variables named <PROVIDER>_<FIELD> (e.g. UKGPRO_PASSWORD); the environment wins. Secrets are never accepted as command-line flags. Results go to stdout; diagnostics to stderr; RUST_LOG (e.g. RUST_LOG=debug) controls logging, which never contains secrets.",
            ids.join(", ")
        ))
        .after_help(exit::TABLE)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("list")
                .about("List the providers in this binary")
                .arg(json_flag("Print a JSON array instead of a table")),
        )
        .subcommand(
            Command::new("schema")
                .about("Print the JSON Schema of an SDK record type (`user`: one exported user)")
                .arg(
                    Arg::new("what")
                        .value_name("TYPE")
                        .value_parser(["user"])
                        .required(true)
                        .help("The record type"),
                )
                .arg(draft_arg_def()),
        );
    for d in providers {
        cmd = cmd.subcommand(provider_subcommand(d));
    }
    cmd
}

fn draft_arg_def() -> Arg {
    Arg::new("draft")
        .long("draft")
        .value_name("DRAFT")
        .value_parser(["2020-12", "07"])
        .default_value("2020-12")
        .help("JSON Schema dialect")
}

fn draft_arg(m: &ArgMatches) -> Draft {
    m.get_one::<String>("draft")
        .and_then(|s| Draft::parse(s))
        .unwrap_or_default()
}

fn config_arg() -> Arg {
    Arg::new("config")
        .long("config")
        .short('c')
        .value_name("FILE")
        .value_parser(value_parser!(PathBuf))
        .help("JSON file with the settings (environment variables override it)")
}

fn json_flag(help: &'static str) -> Arg {
    Arg::new("json")
        .long("json")
        .action(ArgAction::SetTrue)
        .help(help)
}

fn provider_subcommand(d: &'static ProviderDescriptor) -> Command {
    let schema = (d.settings_schema)();
    let name_width = schema
        .fields()
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    let env_width = name_width + d.id.len() + 1;
    let fields: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| {
            format!(
                "  {:<name_width$} {:<env_width$} {}{}",
                f.name,
                env_var_name(d.id, &f.name),
                if f.required { "required" } else { "optional" },
                if f.secret { ", secret" } else { "" }
            )
        })
        .collect();
    let steps: Vec<String> = std::iter::once(connector_core::check::SETTINGS_STEP)
        .chain(d.checks.iter().copied())
        .enumerate()
        .map(|(i, s)| format!("  {}. {}", i + 1, s.title))
        .collect();
    let settings_help = format!(
        "Settings (config key, environment variable):\n{}",
        fields.join("\n")
    );
    let mut cmd = Command::new(d.id)
        .about(d.description)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("schema")
                .about("Print the JSON Schema of the settings (for settings forms)")
                .long_about("Print the JSON Schema of the settings on stdout: titles, descriptions, display order (x-order), required fields, and secrets marked writeOnly + x-secret. Draft 2020-12 by default; --draft 07 for form renderers whose validator is a draft-07 Ajv (react-jsonschema-form, JSON Forms). --ui-schema prints the UI hints instead (field order, password widgets, help text, placeholders) as a react-jsonschema-form uiSchema.")
                .arg(draft_arg_def())
                .arg(
                    Arg::new("ui-schema")
                        .long("ui-schema")
                        .action(ArgAction::SetTrue)
                        .help("Print the UI hints for form renderers (react-jsonschema-form uiSchema) instead"),
                ),
        )
        .subcommand(
            Command::new("docs")
                .about("Print the provider's reference page (Markdown), generated from its descriptor and settings schema"),
        )
        .subcommand(
            Command::new("test")
                .about("Test the connection step by step and say how to fix what fails")
                .long_about(format!(
                    "Test the connection step by step. Steps after a failed prerequisite are skipped. Exit status 0 only when every step passed.\n\nSteps:\n{}\n\n{settings_help}",
                    steps.join("\n")
                ))
                .after_help(exit::TABLE)
                .arg(config_arg())
                .args(sandbox_args(d))
                .arg(json_flag("Print the report as JSON")),
        );
    if d.capabilities.contains(&Capability::UserExport) {
        cmd = cmd.subcommand(users_subcommand(settings_help).args(sandbox_args(d)));
    }
    if d.sandbox.is_some() {
        cmd = cmd.subcommand(sandbox_subcommand(d));
    }
    cmd
}

/// `--sandbox` and `--sandbox-employees`, for providers that have a sandbox.
fn sandbox_args(d: &ProviderDescriptor) -> Vec<Arg> {
    if d.sandbox.is_none() {
        return Vec::new();
    }
    vec![
        Arg::new("sandbox")
            .long("sandbox")
            .action(ArgAction::SetTrue)
            .conflicts_with("config")
            .help("Use an embedded sandbox started for this command instead of a real tenant"),
        Arg::new("sandbox-employees")
            .long("sandbox-employees")
            .value_name("N")
            .value_parser(value_parser!(u64))
            .requires("sandbox")
            .help("Employees in that sandbox [default: 300]"),
    ]
}

fn sandbox_subcommand(d: &ProviderDescriptor) -> Command {
    Command::new("sandbox")
        .about(format!("Run an embedded {} sandbox on loopback until Ctrl-C", d.name))
        .long_about(format!(
            "Run a loopback server that behaves like {}'s API, over a deterministic generated workforce, until Ctrl-C. Its ready-to-use settings (base_url and the sandbox's own made-up credentials) are printed on stdout as one JSON object of the shape --config reads, so `connector {} test --config <that file>` or any other client works against it.",
            d.name, d.id
        ))
        .arg(
            Arg::new("employees")
                .long("employees")
                .short('n')
                .value_name("N")
                .value_parser(value_parser!(u64))
                .default_value("300")
                .help("Employees in the generated workforce"),
        )
        .arg(
            Arg::new("port")
                .long("port")
                .short('p')
                .value_name("PORT")
                .value_parser(value_parser!(u16))
                .default_value("0")
                .help("Port on 127.0.0.1 (0: any free port)"),
        )
        .arg(
            Arg::new("seed")
                .long("seed")
                .value_name("SEED")
                .value_parser(value_parser!(u64))
                .default_value("42")
                .help("Seed of the generated workforce (same seed, same people)"),
        )
        .arg(
            Arg::new("latency-ms")
                .long("latency-ms")
                .value_name("MS")
                .value_parser(value_parser!(u64))
                .help("Added latency per request, in milliseconds"),
        )
        .arg(
            Arg::new("rate-limit")
                .long("rate-limit")
                .value_name("N")
                .value_parser(value_parser!(u32).range(1..))
                .help("Requests per minute before answering 429 (without Retry-After)"),
        )
        .arg(
            Arg::new("error-rate")
                .long("error-rate")
                .value_name("FRACTION")
                .value_parser(value_parser!(f64))
                .help("Fraction of requests answered 502/503, e.g. 0.1"),
        )
        .arg(
            Arg::new("deny")
                .long("deny")
                .value_name("PERMISSION")
                .value_delimiter(',')
                .action(ArgAction::Append)
                .help("Permission the sandbox account lacks (403), e.g. personnel-integration"),
        )
        .arg(
            Arg::new("malformed-page")
                .long("malformed-page")
                .value_name("PAGE")
                .value_parser(value_parser!(u32).range(1..))
                .help("Answer this page of the first listing with an HTML page"),
        )
}

fn users_subcommand(settings_help: String) -> Command {
    let statuses: Vec<&'static str> = UserStatus::ALL.iter().map(|s| s.as_str()).collect();
    Command::new("users")
        .about("Export every user (names, ids, e-mail, job, status) as JSONL, JSON or CSV")
        .long_about(format!(
            "Export every user as JSONL (default), one JSON array, or CSV with a header. Users stream out while later pages are still being fetched. Results go to stdout, or to --output FILE, which appears only when the export completed (a failed or interrupted export leaves no partial file and an existing file unchanged). A progress line (when stderr is a terminal) and a closing summary with the fill rate of every field go to stderr.\n\nThe record format is printed by `connector schema user`.\n\n{settings_help}"
        ))
        .after_help(format!("{}\n  130 interrupted (Ctrl-C, SIGTERM)", exit::TABLE))
        .arg(config_arg())
        .arg(
            Arg::new("format")
                .long("format")
                .short('f')
                .value_name("FORMAT")
                .value_parser(["jsonl", "json", "csv"])
                .default_value("jsonl")
                .help("Output format"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Write to FILE (atomically) instead of stdout"),
        )
        .arg(
            Arg::new("status")
                .long("status")
                .value_name("LIST")
                .value_delimiter(',')
                .value_parser(PossibleValuesParser::new(statuses))
                .help("Only users with these statuses, comma-separated"),
        )
        .arg(
            Arg::new("company")
                .long("company")
                .value_name("ID")
                .help("Only users of this company id"),
        )
        .arg(
            Arg::new("page-size")
                .long("page-size")
                .value_name("N")
                .value_parser(value_parser!(u32).range(1..))
                .help("Rows per request (default: the page_size setting)"),
        )
}

fn list(providers: &[&'static ProviderDescriptor], json: bool) -> u8 {
    if json {
        let items: Vec<_> = providers
            .iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id,
                    "name": d.name,
                    "description": d.description,
                    "docs_url": d.docs_url,
                    "capabilities": d.capabilities,
                })
            })
            .collect();
        print_json(&serde_json::Value::Array(items))
    } else {
        print_out(&render::provider_list(providers))
    }
}

fn provider_command(d: &'static ProviderDescriptor, m: &ArgMatches) -> u8 {
    match m.subcommand() {
        Some(("schema", m)) if m.get_flag("ui-schema") => {
            print_json(&(d.settings_schema)().ui_schema())
        }
        Some(("schema", m)) => print_json(&(d.settings_schema)().to_draft(draft_arg(m))),
        Some(("docs", _)) => print_out(&render::provider_docs(d)),
        Some(("test", m)) => test(d, source(m), m.get_flag("json")),
        Some(("users", m)) => users::run(d, users_args(m)),
        Some(("sandbox", m)) => run_sandbox(d, sandbox_options(m)),
        _ => exit::USAGE,
    }
}

/// `--sandbox [--sandbox-employees N]` or `--config FILE`.
fn source(m: &ArgMatches) -> config::Source {
    if m.try_get_one::<bool>("sandbox").ok().flatten() == Some(&true) {
        let mut options = SandboxOptions::default();
        if let Some(n) = m.get_one::<u64>("sandbox-employees") {
            options.employees = *n;
        }
        config::Source::Sandbox(options)
    } else {
        config::Source::Config(m.get_one::<PathBuf>("config").cloned())
    }
}

fn sandbox_options(m: &ArgMatches) -> SandboxOptions {
    let mut o = SandboxOptions::default();
    o.employees = m
        .get_one::<u64>("employees")
        .copied()
        .unwrap_or(o.employees);
    o.port = m.get_one::<u16>("port").copied().unwrap_or(0);
    o.seed = m.get_one::<u64>("seed").copied().unwrap_or(o.seed);
    o.latency = Duration::from_millis(m.get_one::<u64>("latency-ms").copied().unwrap_or(0));
    o.rate_limit_per_minute = m.get_one::<u32>("rate-limit").copied();
    o.error_rate = m.get_one::<f64>("error-rate").copied().unwrap_or(0.0);
    o.deny = m
        .get_many::<String>("deny")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    o.malformed_page = m.get_one::<u32>("malformed-page").copied();
    o
}

/// `connector <provider> sandbox`: serve until Ctrl-C, the config on stdout.
fn run_sandbox(d: &'static ProviderDescriptor, options: SandboxOptions) -> u8 {
    let Some(start) = d.sandbox else {
        eprintln!("error: {} has no sandbox", d.id);
        return exit::USAGE;
    };
    block_on(async {
        let employees = options.employees;
        let sandbox = match start(options).await {
            Ok(s) => s,
            Err(e) => return report_error(&e),
        };
        let config = serde_json::to_string(&sandbox.settings).unwrap_or_default();
        let printed = print_out(&format!("{config}\n"));
        if printed != exit::OK {
            return printed;
        }
        eprintln!(
            "{} sandbox: {employees} generated employees at {}\n  save the line above as sandbox.json, then: connector {} test --config sandbox.json\n  press Ctrl-C to stop",
            d.name, sandbox.base_url, d.id
        );
        shutdown_signal().await;
        eprintln!(
            "sandbox stopped after {} requests",
            sandbox.counters.requests()
        );
        exit::OK
    })
}

fn users_args(m: &ArgMatches) -> users::UsersArgs {
    users::UsersArgs {
        source: source(m),
        format: m
            .get_one::<String>("format")
            .and_then(|f| output::Format::parse(f))
            .unwrap_or(output::Format::Jsonl),
        output: m.get_one::<PathBuf>("output").cloned(),
        statuses: m
            .get_many::<String>("status")
            .map(|v| v.filter_map(|s| UserStatus::parse(s)).collect())
            .unwrap_or_default(),
        company: m.get_one::<String>("company").cloned(),
        page_size: m.get_one::<u32>("page-size").copied(),
    }
}

fn test(d: &'static ProviderDescriptor, source: config::Source, json: bool) -> u8 {
    let report = block_on_value(async {
        let schema = (d.settings_schema)();
        match config::resolve(d, &schema, source).await {
            Ok((raw, sandbox)) => {
                let report = connector_core::test_connection(d, raw).await;
                drop(sandbox);
                report
            }
            Err(error) => {
                let mut checks = Checklist::new(d.id, d.checks);
                checks.record("settings", Err(error), Duration::ZERO);
                checks.finish()
            }
        }
    });
    let Some(report) = report else {
        return exit::OTHER;
    };
    let printed = if json {
        print_json(&serde_json::to_value(&report).unwrap_or_default())
    } else {
        print_out(&render::checklist(d, &report))
    };
    if printed != exit::OK {
        return printed;
    }
    report
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .map(|s| s.error.as_ref().map_or(exit::OTHER, exit::code_for))
        .unwrap_or(exit::OK)
}

/// Prints an error (every field problem on its own line) and its hint to stderr; returns the
/// exit status for its kind.
pub(crate) fn report_error(error: &Error) -> u8 {
    match error.kind() {
        ErrorKind::InvalidSettings(fields) if !fields.is_empty() => {
            eprintln!("error: {}: invalid settings:", error.provider());
            for f in fields {
                eprintln!("  {}: {}", f.field, f.message);
            }
        }
        _ => eprintln!("error: {}", error.full_message()),
    }
    if let Some(hint) = error.hint() {
        eprintln!("hint: {hint}");
    }
    exit::code_for(error.kind())
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// Runs a command's async body on a new runtime; its result is the exit status.
pub(crate) fn block_on(body: impl std::future::Future<Output = u8>) -> u8 {
    block_on_value(body).unwrap_or(exit::OTHER)
}

/// Runs `body` on a new multi-threaded runtime (`None`, reported, if it cannot start).
pub(crate) fn block_on_value<T>(body: impl std::future::Future<Output = T>) -> Option<T> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt.block_on(body)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            None
        }
    }
}

fn print_json(value: &serde_json::Value) -> u8 {
    match serde_json::to_string_pretty(value) {
        Ok(text) => print_out(&format!("{text}\n")),
        Err(e) => {
            eprintln!("error: cannot render JSON: {e}");
            exit::OTHER
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn print_out(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            exit::OTHER
        }
    }
}
