//! `connector <provider> users`: export every user as JSONL, JSON or CSV. The arguments live
//! here, the export itself is [`connector_app::export::run`]; `output.rs` writes, tallies and
//! words the failures, `report.rs` is `--summary-json`, `progress.rs` the progress line.

mod output;
mod progress;
mod report;

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use connector_app::export::ExportRequest;
use connector_core::{Connector, ExportOptions, Filter, ProviderDescriptor, UserStatus};

use super::sandbox;
use crate::config::Source;
use crate::output::{Format, Sink, UserWriter};
use crate::runtime::{block_on, report_error, shutdown_signal};
use crate::summary::count;

use crate::{args, config, exit};
use report::Report;

/// The command: `--status`, `--company` and `--page-size` appear only for providers that
/// support them.
pub fn cli(d: &ProviderDescriptor) -> Command {
    let program = crate::program::name();
    let mut cmd = Command::new("users")
        .about("Export every user (names, ids, e-mail, job, status) as JSONL, JSON or CSV")
        .long_about(format!(
            "Export every user as JSONL (default), one JSON array, or CSV with a header. Users stream out while later pages are still being fetched. Results go to stdout, or to --output FILE, which appears only when the export completed (a failed or interrupted export leaves no partial file and an existing file unchanged). A progress line (when stderr is a terminal) and a closing summary with the fill rate of every field go to stderr.\n\nThe record format is printed by `{program} schema user`.\n\n{}",
            args::settings_help(d)
        ))
        .after_help(exit::TABLE)
        .arg(args::config())
        .arg(args::connection())
        .args(sandbox::source_args(d))
        .arg(
            Arg::new("format")
                .long("format")
                .short('f')
                .value_name("FORMAT")
                .value_parser(["jsonl", "json", "csv"])
                .ignore_case(true)
                .help("Output format [default: from the --output extension (.csv, .json, .jsonl), else jsonl]"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Write to FILE (atomically) instead of stdout; - is stdout"),
        )
        .arg(
            Arg::new("allow-empty")
                .long("allow-empty")
                .action(clap::ArgAction::SetTrue)
                .help("Succeed even when the export holds no user (by default an empty export fails and replaces nothing: downstream it could deprovision everyone)"),
        )
        .arg(
            Arg::new("min-users")
                .long("min-users")
                .value_name("N")
                .value_parser(value_parser!(u64))
                .help("Fail (and replace nothing) when fewer than N users were exported"),
        )
        .arg(
            Arg::new("max-users")
                .long("max-users")
                .value_name("N")
                .allow_negative_numbers(true)
                .value_parser(crate::args::at_least_one::<u64>)
                .help(format!(
                    "Stop with an error past N users: a listing that never ends [default: {}]",
                    connector_core::ExportOptions::DEFAULT_MAX_USERS
                )),
        )
        .arg(
            Arg::new("limit")
                .long("limit")
                .value_name("N")
                .value_parser(crate::args::at_least_one::<u64>)
                .help("Stop after the first N users (a peek at the data: only the pages N users need are requested)"),
        )
        .arg(
            Arg::new("fields")
                .long("fields")
                .value_name("LIST")
                .value_delimiter(',')
                .action(ArgAction::Append)
                .help("Only these fields, in this order (CSV columns, JSON keys), e.g. id,email,first_name,last_name"),
        )
        .arg(
            Arg::new("bom")
                .long("bom")
                .action(ArgAction::SetTrue)
                .help("CSV only: start the file with a UTF-8 byte order mark, so Excel shows accented names right"),
        )
        .arg(
            Arg::new("summary-json")
                .long("summary-json")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Also write the summary as JSON to FILE, for scripts (written whether the export succeeded or not)"),
        )
        .arg(
            Arg::new("accept-incomplete")
                .long("accept-incomplete")
                .action(clap::ArgAction::SetTrue)
                .help("Succeed even when most records could not be read or most users have only part of their data (by default that fails and writes nothing)"),
        )
        .arg(
            Arg::new("csv-raw")
                .long("csv-raw")
                .action(clap::ArgAction::SetTrue)
                .help("CSV: write values as they are; by default a value that a spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a leading '"),
        );
    if d.supports(Filter::Status) {
        let statuses: Vec<&'static str> = UserStatus::ALL.iter().map(|s| s.as_str()).collect();
        cmd = cmd.arg(
            Arg::new("status")
                .long("status")
                .value_name("LIST")
                .value_delimiter(',')
                .value_parser(move |text: &str| {
                    UserStatus::parse(&text.trim().to_ascii_lowercase())
                        .map(|s| s.as_str().to_owned())
                        .ok_or_else(|| {
                            format!(
                                "`{}` is not a status; use {}",
                                text.trim(),
                                statuses.join(", ")
                            )
                        })
                })
                .help("Only users with these statuses, comma-separated (any case, spaces allowed)"),
        );
    }
    if d.supports(Filter::Company) {
        cmd = cmd.arg(
            Arg::new("company")
                .long("company")
                .value_name("ID")
                .value_parser(clap::builder::NonEmptyStringValueParser::new())
                .help("Only users of this company id"),
        );
    }
    if let Some(max) = d.max_page_size() {
        cmd = cmd.arg(
            Arg::new("page-size")
                .long("page-size")
                .value_name("N")
                .allow_negative_numbers(true)
                .value_parser(crate::args::page_size(d.name(), max))
                .help(format!(
                    "Records per request, at most {max} (default: the page_size setting)"
                )),
        );
    }
    cmd
}

/// Runs it.
pub fn exec(d: &'static ProviderDescriptor, m: &ArgMatches) -> u8 {
    let flag = |name: &str| m.try_get_one::<String>(name).ok().flatten().cloned();
    // `--output -` is stdout; the format follows the file's extension unless given.
    let output = m
        .get_one::<PathBuf>("output")
        .filter(|p| p.as_os_str() != "-")
        .cloned();
    let given = m.get_one::<String>("format").and_then(|f| Format::parse(f));
    let implied = output.as_deref().and_then(Format::of_path);
    let format = match (given, implied) {
        (Some(g), Some(i)) if g != i => {
            eprintln!(
                "error: --format {} does not match the output file's extension (.{}); drop --format, or rename the file",
                g.name(),
                i.name()
            );
            return exit::USAGE;
        }
        (Some(g), _) => g,
        (None, Some(i)) => i,
        (None, None) => Format::Jsonl,
    };
    let fields = match m.get_many::<String>("fields") {
        None => None,
        Some(list) => match crate::output::parse_fields(&list.cloned().collect::<Vec<_>>()) {
            Ok(fields) => Some(fields),
            Err(e) => {
                eprintln!("error: --fields: {e}");
                return exit::USAGE;
            }
        },
    };
    let bom = m.get_flag("bom");
    if bom && format != Format::Csv {
        eprintln!(
            "error: --bom is for CSV (spreadsheets), but the output is {}; drop --bom or export CSV",
            format.name()
        );
        return exit::USAGE;
    }
    let source = match config::source(d, m) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let args = UsersArgs {
        source,
        format,
        output,
        statuses: m
            .try_get_many::<String>("status")
            .ok()
            .flatten()
            .map(|v| v.filter_map(|s| UserStatus::parse(s)).collect())
            .unwrap_or_default(),
        company: flag("company"),
        page_size: m.try_get_one::<u32>("page-size").ok().flatten().copied(),
        csv_raw: m.get_flag("csv-raw"),
        max_users: m.get_one::<u64>("max-users").copied(),
        limit: m.get_one::<u64>("limit").copied(),
        summary_json: m.get_one::<PathBuf>("summary-json").cloned(),
        writer: crate::output::WriterOptions { fields, bom },
        accept_incomplete: m.get_flag("accept-incomplete"),
        allow_empty: m.get_flag("allow-empty"),
        min_users: m.get_one::<u64>("min-users").copied(),
    };
    run(d, args)
}

/// The `users` command's options.
#[derive(Debug, Clone)]
pub struct UsersArgs {
    /// `--config FILE` or `--sandbox`.
    pub source: Source,
    /// `--format`.
    pub format: Format,
    /// `--output FILE`.
    pub output: Option<PathBuf>,
    /// `--status`.
    pub statuses: Vec<UserStatus>,
    /// `--company`.
    pub company: Option<String>,
    /// `--page-size`.
    pub page_size: Option<u32>,
    /// `--csv-raw`.
    pub csv_raw: bool,
    /// `--max-users`.
    pub max_users: Option<u64>,
    /// `--limit`: stop after this many users.
    pub limit: Option<u64>,
    /// `--summary-json FILE`.
    pub summary_json: Option<PathBuf>,
    /// `--fields` and `--bom`.
    pub writer: crate::output::WriterOptions,
    /// `--accept-incomplete`.
    pub accept_incomplete: bool,
    /// `--allow-empty`.
    pub allow_empty: bool,
    /// `--min-users`.
    pub min_users: Option<u64>,
}

/// Exit status when interrupted by Ctrl-C or SIGTERM (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

/// Runs the export; returns the exit status.
pub fn run(d: &'static ProviderDescriptor, args: UsersArgs) -> u8 {
    // Before any request: a destination that cannot take the export is refused now, not
    // after the whole export (and its API quota) was spent.
    if let Err(e) = crate::output::check_outputs(
        ("--output", args.output.as_deref()),
        ("--summary-json", args.summary_json.as_deref()),
        "the summary would overwrite the users",
    ) {
        eprintln!("error: {e}");
        return exit::USAGE;
    }
    let summary_json = args.summary_json.clone();
    let saved = match &args.source {
        Source::Saved(s) => Some(s.info.name.clone()),
        _ => None,
    };
    let mut report = Report::new(d.id(), &args);
    let code = block_on(async {
        let schema = d.settings_schema();
        let resolved = match config::resolve(d, &schema, args.source.clone()).await {
            Ok(resolved) => resolved,
            Err(e) => return report.failed(report_error(&e), e.to_string()),
        };
        let connector = match d.connect_with(resolved.raw, &resolved.context) {
            Ok(c) => c,
            Err(e) => return report.failed(report_error(&e), e.to_string()),
        };
        let code = export(connector, args, &mut report).await;
        drop(resolved.sandbox);
        code
    });
    if let Some(name) = saved {
        record_export(&name, code, &report);
    }
    match summary_json {
        Some(path) => match report.write(&path, code) {
            Ok(()) => code,
            Err(e) => {
                eprintln!("error: --summary-json {}: {e}", path.display());
                if code == exit::OK {
                    exit::OTHER
                } else {
                    code
                }
            }
        },
        None => code,
    }
}

/// Records the export's outcome on the saved connection it used (a failure to record is a
/// warning: the export itself is done).
fn record_export(name: &str, code: u8, report: &Report) {
    let recorded = match connector_store::open_default() {
        Ok(store) => crate::runtime::block_on_value(connector_app::export::record(
            &*store,
            name,
            code == exit::OK,
            report.tally.users(),
            report.error.clone(),
        ))
        .unwrap_or(Ok(())),
        Err(e) => Err(e),
    };
    if let Err(e) = recorded {
        let name = crate::sanitize::terminal(name);
        let e = crate::sanitize::terminal(&e.to_string()).into_owned();
        crate::diagnostics::warning(&format!(
            "the export's result was not recorded on connection `{name}`: {e}"
        ));
    }
}

/// The export options the arguments ask for.
fn request_of(args: &UsersArgs) -> ExportRequest {
    let mut options = ExportOptions::new().with_statuses(args.statuses.clone());
    if let Some(company) = &args.company {
        options = options.with_company(company.clone());
    }
    // A small peek asks for small pages (every provider takes pages of 100).
    let peek_page = args
        .limit
        .filter(|limit| *limit <= 100)
        .and_then(|limit| u32::try_from(limit).ok());
    if let Some(size) = args.page_size.or(peek_page) {
        options = options.with_page_size(size);
    }
    if let Some(max) = args.max_users {
        options = options.with_max_users(max);
    }
    if let Some(limit) = args.limit {
        options = options.with_wanted(limit);
    }
    let mut request = ExportRequest::new(options);
    request.limit = args.limit;
    request.accept_incomplete = args.accept_incomplete;
    request.allow_empty = args.allow_empty;
    request.min_users = args.min_users;
    request
}

async fn export(connector: Box<dyn Connector>, args: UsersArgs, report: &mut Report) -> u8 {
    let sink = match Sink::open(args.output.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: --output: {e}");
            return report.failed(exit::USAGE, format!("--output: {e}"));
        }
    };
    let writer = match UserWriter::with_options(args.format, sink, args.writer.clone()) {
        Ok(w) => w.raw_csv(args.csv_raw),
        Err(e) => return report.failed(write_failed(&e), e.to_string()),
    };
    let destination = args
        .output
        .as_ref()
        .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string());
    let mut out = output::CliExport::new(writer, &mut report.tally, &mut report.stats);
    let result =
        connector_app::export::run(&*connector, &request_of(&args), &mut out, shutdown_signal())
            .await;
    out.clear_progress();
    let (started, finishing) = out.phase();
    drop(out);
    match result {
        Ok(done) => {
            report.written = true;
            report.limited = done.limited;
            if !crate::diagnostics::quiet() {
                eprint!("{}", report.tally.render(&done.summary, &destination));
                let retries = crate::diagnostics::retries();
                if retries > 0 {
                    eprintln!("Requests retried: {}", count(retries));
                }
            }
            if done.limited {
                crate::diagnostics::info(&format!(
                    "stopped at --limit {}: the account may have more users",
                    count(done.users)
                ));
            }
            exit::OK
        }
        Err(failure) => {
            let (code, error) = output::failed(
                failure,
                &args,
                &report.tally,
                &destination,
                started,
                finishing,
            );
            report.error = error;
            code
        }
    }
}
/// A closed pipe (`| head`) ends the export quietly, as other command-line tools do; any
/// other write failure is an error.
fn write_failed(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return exit::OK;
    }
    eprintln!("error: cannot write the output: {e}");
    exit::OTHER
}
