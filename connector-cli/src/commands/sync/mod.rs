//! `connector <provider> sync --connection NAME`: the arguments, then
//! [`connector_app::sync::run`] (plan, guard, deliver, commit); `output.rs` delivers the events
//! and the users file, `render.rs` says what happened.

mod output;
mod render;

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use connector_app::sync::SyncRequest;
use connector_core::reexports::jiff;
use connector_core::ProviderDescriptor;

use crate::commands::connections::open_store;
use crate::output::Format;
use crate::runtime::block_on;
use crate::{exit, runtime};
use output::CliOutput;

/// The command.
pub fn cli(d: &ProviderDescriptor) -> Command {
    let program = crate::program::name();
    Command::new("sync")
        .about("Find who joined, moved and left since the last sync, as lifecycle events")
        .long_about(format!(
            "Export every user of a saved connection, compare them with what its last sync saw, and write one JSON line per lifecycle event: joined, left (terminated or released; future-dated ones flagged), rehired, status_changed, moved (job title, department, manager), changed (any other field), removed (gone without a termination). Each event has a deterministic event_id: a run interrupted before it commits finds the same events again, with the same ids.\n\nThe connection's state is committed only after the events (and --output) are written. The first sync of a connection records a baseline and emits nothing (--baseline-events emits everyone as joined). A sync in which more than --max-departures of the users would leave or disappear, or lose a first or last name, an e-mail, a manager or their status, stops without committing (a broken or partial listing must neither deprovision a company nor blank its directory) unless --allow-mass-changes; so does a listing in which more than half of the records are malformed or more than half of the users have only part of their data.\n\nExample: {program} {} sync --connection Payroll --events events.jsonl",
            d.id()
        ))
        .after_help(exit::TABLE)
        .arg(
            Arg::new("connection")
                .long("connection")
                .value_name("NAME")
                .required_unless_present("config")
                .help("The saved connection to sync (see `connections list`)"),
        )
        // Not an option: a sync keeps state per saved connection. Accepted only to say so.
        .arg(
            Arg::new("config")
                .long("config")
                .value_name("FILE")
                .hide(true),
        )
        .arg(
            Arg::new("events")
                .long("events")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Write the events (JSON lines) to FILE, replaced whole when complete [default: stdout]"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Also write every current user to FILE (format from its extension: .jsonl, .json, .csv)"),
        )
        .arg(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("Find and write the events, but do not commit: the next sync finds them again"),
        )
        .arg(
            Arg::new("baseline-events")
                .long("baseline-events")
                .action(ArgAction::SetTrue)
                .help("On a first sync, emit everyone as joined instead of only recording the baseline"),
        )
        .arg(
            Arg::new("max-departures")
                .long("max-departures")
                .value_name("PERCENT")
                .value_parser(value_parser!(f64))
                .default_value("10")
                .help("Stop without committing when more than this share of users would leave or disappear, or lose a name, e-mail, manager or status"),
        )
        .arg(
            Arg::new("allow-mass-changes")
                .long("allow-mass-changes")
                .action(ArgAction::SetTrue)
                .help("Commit even when the mass-change guard stops the sync (many departures or lost values, a mostly partial listing)"),
        )
        .arg(
            Arg::new("as-of")
                .long("as-of")
                .value_name("WHEN")
                .value_parser(parse_as_of)
                .help("Act as of this time (2026-01-06T12:00:00Z) or day (noon UTC) instead of now: the feed's window ends there and terminations after it are future-dated"),
        )
        .arg(
            Arg::new("full")
                .long("full")
                .action(ArgAction::SetTrue)
                .help("List every user even when the provider has a change feed (a reconcile)"),
        )
        .arg(
            Arg::new("reconcile-days")
                .long("reconcile-days")
                .value_name("DAYS")
                .value_parser(value_parser!(u32))
                .default_value("7")
                .help("With a change feed, list every user when the last full listing is this many days old"),
        )
        .arg(
            Arg::new("reset-state")
                .long("reset-state")
                .action(ArgAction::SetTrue)
                .help("Start over: record a new baseline, replacing the old state only when it commits"),
        )
}

/// `--as-of`: a timestamp, or a day (its noon, UTC).
fn parse_as_of(text: &str) -> Result<jiff::Timestamp, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            "expected a time like 2026-01-06T12:00:00Z or a day like 2026-01-06".to_owned()
        })
}

/// Runs it.
pub fn exec(d: &'static ProviderDescriptor, m: &ArgMatches) -> u8 {
    let (request, mut out) = match request(d, m) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async move {
        let mut progress = render::progress;
        match connector_app::sync::run(&*store, &request, &mut out, &mut progress).await {
            Ok(report) => render::report(&report),
            Err(failure) => render::failure(failure, &out),
        }
    })
}

/// The sync the arguments ask for, and its outputs (checked before any request), or the
/// exit status of what is wrong with them (said).
fn request(d: &ProviderDescriptor, m: &ArgMatches) -> Result<(SyncRequest, CliOutput), u8> {
    if let Some(file) = m.get_one::<String>("config") {
        let program = crate::program::name();
        eprintln!(
            "error: sync works on a saved connection (its state is kept with it), not on --config"
        );
        eprintln!(
            "hint: save it once with `{program} connections add NAME --provider {} --config {file}`, then run `{program} {} sync --connection NAME`",
            d.id(),
            d.id()
        );
        return Err(exit::USAGE);
    }
    let name = m
        .get_one::<String>("connection")
        .cloned()
        .unwrap_or_default();
    let events_path = m
        .get_one::<PathBuf>("events")
        .filter(|p| p.as_os_str() != "-")
        .cloned();
    let output = m.get_one::<PathBuf>("output").cloned();
    let max_share = m.get_one::<f64>("max-departures").copied().unwrap_or(10.0);
    if !(0.0..=100.0).contains(&max_share) {
        eprintln!("error: --max-departures: {max_share} is not a percentage from 0 to 100");
        return Err(exit::USAGE);
    }
    let format = match &output {
        Some(p) => Format::of_path(p).ok_or_else(|| {
            eprintln!(
                "error: --output {}: name the file .jsonl, .json or .csv so the format is clear",
                p.display()
            );
            exit::USAGE
        })?,
        None => Format::Jsonl,
    };
    // Before any request: destinations that cannot take the output, or two outputs that are
    // one file (the users would overwrite the events), are refused now.
    if let Err(e) = crate::output::check_outputs(
        ("--events", events_path.as_deref()),
        ("--output", output.as_deref()),
        "the users would overwrite the events",
    ) {
        eprintln!("error: {e}");
        return Err(exit::USAGE);
    }
    let context = crate::config::endpoint_context(d).map_err(|e| runtime::report_error(&e))?;
    let mut request = SyncRequest::new(name);
    request.provider = Some(d.id().to_owned());
    request.reset_state = m.get_flag("reset-state");
    request.full = m.get_flag("full");
    request.reconcile_days = m.get_one::<u32>("reconcile-days").copied().unwrap_or(7);
    request.baseline_events = m.get_flag("baseline-events");
    request.as_of = m.get_one::<jiff::Timestamp>("as-of").copied();
    request.max_departure_share = max_share / 100.0;
    request.allow_mass_changes = m.get_flag("allow-mass-changes");
    request.dry_run = m.get_flag("dry-run");
    request.context = context;
    let out = CliOutput::open(events_path, output, format)?;
    Ok((request, out))
}
