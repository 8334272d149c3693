//! `connector <provider> sandbox` (serve a provider's embedded fake API until Ctrl-C) and
//! `--sandbox` on `test` and `users`. The options every sandbox takes are generic (users,
//! seed, port, latency, rate limit, error rate); `--deny` and `--malformed-page` appear only
//! for providers whose sandbox declares them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use connector_core::sandbox::{SandboxHandle, SandboxOptions};
use connector_core::ProviderDescriptor;

use crate::exit;
use crate::runtime::{block_on, print_out, shutdown_signal};

/// `--sandbox` and `--sandbox-users`, for providers that have a sandbox.
pub fn source_args(d: &ProviderDescriptor) -> Vec<Arg> {
    if d.sandbox().is_none() {
        return Vec::new();
    }
    vec![
        Arg::new("sandbox")
            .long("sandbox")
            .action(ArgAction::SetTrue)
            .conflicts_with_all(["config", "connection"])
            .help("Use an embedded sandbox started for this command instead of a real account"),
        Arg::new("sandbox-users")
            .long("sandbox-users")
            .alias("sandbox-employees")
            .value_name("N")
            .value_parser(value_parser!(u64))
            .requires("sandbox")
            .help("Users in that sandbox [default: 300]"),
    ]
}

/// The command.
pub fn cli(d: &ProviderDescriptor) -> Command {
    let program = crate::program::name();
    let features = d.sandbox_features();
    let mut cmd = Command::new("sandbox")
        .about(format!("Run an embedded {} sandbox on loopback until Ctrl-C", d.name()))
        .long_about(format!(
            "Run a loopback server that behaves like {}'s API, over a deterministic generated set of users, until Ctrl-C. Its ready-to-use settings (the sandbox's own made-up credentials, and its address where the provider has a URL setting) are printed on stdout as one JSON object of the shape --config reads, so `{program} {} test --config <that file>` works against it.",
            d.name(),
            d.id()
        ))
        .arg(
            Arg::new("users")
                .long("users")
                .alias("employees")
                .short('n')
                .value_name("N")
                .value_parser(value_parser!(u64))
                .default_value("300")
                .help("Users in the generated data"),
        )
        .arg(
            Arg::new("port")
                .long("port")
                .short('p')
                .value_name("PORT")
                .value_parser(value_parser!(u16))
                .default_value("0")
                .help("Port on 127.0.0.1 (0: any free port); a provider with several endpoints puts the next ones on the following ports (PORT+1, …), so a sandbox started again on PORT serves the connections saved with its endpoints"),
        )
        .arg(
            Arg::new("seed")
                .long("seed")
                .value_name("SEED")
                .value_parser(value_parser!(u64))
                .default_value("42")
                .help("Seed of the generated data (same seed, same people)"),
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
                .value_parser(crate::args::at_least_one::<u32>)
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
            Arg::new("settings-out")
                .long("settings-out")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Write the settings to FILE (owner-only, complete, once the sandbox answers) instead of stdout"),
        )
        .arg(
            Arg::new("log-requests")
                .long("log-requests")
                .action(ArgAction::SetTrue)
                .help("Print each request answered on stderr: time (UTC), method, path and query, status (never headers or bodies)"),
        );
    if !features.deny.is_empty() {
        cmd = cmd.arg(
            Arg::new("deny")
                .long("deny")
                .value_name("PERMISSION")
                .value_delimiter(',')
                .action(ArgAction::Append)
                .help(format!(
                    "Permission the sandbox account lacks (403): {}",
                    features.deny.join(", ")
                )),
        );
    }
    if features.days {
        cmd = cmd.arg(
            Arg::new("day")
                .long("day")
                .value_name("N")
                .value_parser(value_parser!(u32))
                .help("Serve the workforce as of simulated day N: joiners, leavers, movers and rehires between days (same --seed, --users)"),
        );
    }
    if features.malformed_page {
        cmd = cmd.arg(
            Arg::new("malformed-page")
                .long("malformed-page")
                .value_name("PAGE")
                .value_parser(crate::args::at_least_one::<u32>)
                .help("Answer this page of the first listing with an HTML page"),
        );
    }
    cmd
}

fn options(m: &ArgMatches) -> SandboxOptions {
    let mut o = SandboxOptions::default();
    o.employees = m.get_one::<u64>("users").copied().unwrap_or(o.employees);
    o.port = m.get_one::<u16>("port").copied().unwrap_or(0);
    o.seed = m.get_one::<u64>("seed").copied().unwrap_or(o.seed);
    o.latency = Duration::from_millis(m.get_one::<u64>("latency-ms").copied().unwrap_or(0));
    o.rate_limit_per_minute = m.get_one::<u32>("rate-limit").copied();
    o.error_rate = m.get_one::<f64>("error-rate").copied().unwrap_or(0.0);
    o.deny = m
        .try_get_many::<String>("deny")
        .ok()
        .flatten()
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    o.malformed_page = m
        .try_get_one::<u32>("malformed-page")
        .ok()
        .flatten()
        .copied();
    o.day = m
        .try_get_one::<u32>("day")
        .ok()
        .flatten()
        .copied()
        .unwrap_or(0);
    o
}

/// Serves until Ctrl-C, the settings on stdout.
pub fn exec(d: &'static ProviderDescriptor, m: &ArgMatches) -> u8 {
    let Some(start) = d.sandbox() else {
        eprintln!("error: {} has no sandbox", d.id());
        return exit::USAGE;
    };
    let options = options(m);
    if m.get_flag("log-requests") {
        crate::diagnostics::log_sandbox_requests();
    }
    block_on(async {
        let users = options.employees;
        let day = options.day;
        let sandbox = match start(options).await {
            Ok(s) => s,
            Err(e) => {
                let flags = [
                    ("deny", "--deny"),
                    ("port", "--port"),
                    ("error_rate", "--error-rate"),
                    ("malformed_page", "--malformed-page"),
                ];
                return crate::runtime::report_flag_error(&e, &flags);
            }
        };
        let config = serde_json::to_string(&sandbox.settings).unwrap_or_default();
        let settings_out = m.get_one::<PathBuf>("settings-out");
        let config_path = match settings_out {
            Some(path) => {
                if let Err(e) = write_settings(path, &config) {
                    eprintln!(
                        "error: --settings-out {}: {e}\n  hint: give the path of a file in an existing folder you can write to",
                        path.display()
                    );
                    return exit::USAGE;
                }
                path.display().to_string()
            }
            None => {
                let printed = print_out(&format!("{config}\n"));
                if printed != exit::OK {
                    return printed;
                }
                "sandbox.json".to_string()
            }
        };
        eprintln!(
            "{}",
            started(
                d,
                &sandbox,
                users,
                day,
                &config_path,
                settings_out.is_some()
            )
        );
        shutdown_signal().await;
        eprintln!(
            "sandbox stopped after {} requests",
            sandbox.counters.requests()
        );
        exit::OK
    })
}

/// What the sandbox says when it is up: where, how many users, and the command that tests
/// it (`written`: the settings went to `config_path` rather than stdout).
fn started(
    d: &ProviderDescriptor,
    sandbox: &SandboxHandle,
    users: u64,
    day: u32,
    config_path: &str,
    written: bool,
) -> String {
    // A provider without a URL setting is pointed at the sandbox by a variable per endpoint.
    let variable = if sandbox.settings.to_string().contains(&sandbox.base_url) {
        String::new()
    } else {
        sandbox
            .context()
            .endpoints()
            .map(|(name, url)| {
                let url = url.as_str().trim_end_matches('/');
                format!("{}={url} ", crate::config::endpoint_variable(d, name))
            })
            .collect()
    };
    let saved = if written {
        format!("settings written to {config_path}; now")
    } else {
        format!("save the line above as {config_path}, then")
    };
    let day = if day > 0 {
        format!(" as of simulated day {day}")
    } else {
        String::new()
    };
    format!(
        "{} sandbox: {users} generated user{}{day} at {}\n  {saved}: {variable}{} {} test --config {config_path}\n  press Ctrl-C to stop",
        d.name(),
        if users == 1 { "" } else { "s" },
        sandbox.base_url,
        crate::program::name(),
        d.id()
    )
}

/// Writes the sandbox's settings to `path` atomically and owner-only: a reader that sees the
/// file sees all of it, and the config loader's permission check has nothing to warn about.
fn write_settings(path: &std::path::Path, config: &str) -> std::io::Result<()> {
    crate::output::write_file_atomically(path, &format!("{config}\n"))
}
