//! `connector <provider> sync --connection NAME`: what changed since the last sync, as
//! lifecycle events; the state is committed only after the outputs are written. `mode.rs`
//! chooses between a full listing and the provider's change feed.

mod mode;

use std::io::Write;
use std::path::PathBuf;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use connector_core::reexports::jiff;
use connector_core::sync;
use connector_core::{ExportOptions, ProviderDescriptor};
use connector_store::StoreError;
use connector_store::{PlanOptions, SyncError};

use crate::commands::connections::{open_store, report as report_store};
use crate::output::{Format, Sink, UserWriter};
use crate::runtime::block_on;
use crate::sanitize::terminal;
use crate::summary::count;
use crate::{exit, runtime};
use mode::Mode;

/// The command.
pub fn cli(d: &ProviderDescriptor) -> Command {
    let program = connector_core::program::name();
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
    if let Some(file) = m.get_one::<String>("config") {
        let program = connector_core::program::name();
        eprintln!(
            "error: sync works on a saved connection (its state is kept with it), not on --config"
        );
        eprintln!(
            "hint: save it once with `{program} connections add NAME --provider {} --config {file}`, then run `{program} {} sync --connection NAME`",
            d.id(),
            d.id()
        );
        return exit::USAGE;
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
        return exit::USAGE;
    }
    let format = match &output {
        Some(p) => match Format::of_path(p) {
            Some(f) => f,
            None => {
                eprintln!(
                    "error: --output {}: name the file .jsonl, .json or .csv so the format is clear",
                    p.display()
                );
                return exit::USAGE;
            }
        },
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
        return exit::USAGE;
    }
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async move {
        let saved = match store.get(&name).await {
            Ok(s) => s,
            Err(e) => return report_store(&e),
        };
        let info = saved.info.clone();
        if let Err(code) = crate::commands::connections::check_provider(&info, d) {
            return code;
        }
        // --reset-state plans as a first sync; the old state is dropped only when the new one
        // is committed (a failed or dry run keeps it).
        let reset = m.get_flag("reset-state");
        let baseline = match reset {
            true => None,
            false => match store.sync_baseline(&info.name).await {
                Ok(b) => b,
                Err(e) => return report_store(&e),
            },
        };
        let context = match crate::config::endpoint_context(d) {
            Ok(c) => c,
            Err(e) => return runtime::report_error(&e),
        };
        let connector = match d.connect_with(saved.settings_for_connect(), &context) {
            Ok(c) => c,
            Err(e) => return runtime::report_error(&e),
        };
        drop(saved);
        let now = m
            .get_one::<jiff::Timestamp>("as-of")
            .copied()
            .unwrap_or_else(jiff::Timestamp::now);
        let options = PlanOptions {
            detected_at: now,
            today: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
            baseline_events: m.get_flag("baseline-events"),
        };
        let chosen = mode::choose(
            baseline.as_ref(),
            connector.change_feed(),
            now,
            m.get_flag("full"),
            output.is_some(),
            m.get_one::<u32>("reconcile-days").copied().unwrap_or(7),
        );
        let by_feed = match (chosen, connector.change_feed(), &baseline) {
            (Mode::Feed { since }, Some(feed), Some(baseline)) => {
                match by_feed(feed, &*store, &info, baseline, since, &options).await {
                    Ok(plan) => plan,
                    Err(code) => return code,
                }
            }
            (Mode::Full(Some(why)), _, _) => {
                crate::diagnostics::note(&format!("listing every user: {why}"));
                None
            }
            _ => None,
        };
        let mut pending_users: Option<Sink> = None;
        let mut incomplete: Option<String> = None;
        let (plan, how) = match by_feed {
            Some(plan) => (plan, "by change feed"),
            None => {
                // Every user, unfiltered: a filtered listing would read as mass departures.
                let export = match connector_core::export_users(&*connector, ExportOptions::new()) {
                    Ok(x) => x,
                    Err(e) => return runtime::report_error(&e),
                };
                let mut users_out = match &output {
                    Some(path) => {
                        match Sink::open(Some(path)).and_then(|s| UserWriter::new(format, s)) {
                            Ok(w) => Some(w),
                            Err(e) => {
                                eprintln!("error: --output {}: {e}", path.display());
                                return exit::USAGE;
                            }
                        }
                    }
                    None => None,
                };
                let stats = export.stats.clone();
                let planned = connector_store::plan(
                    &*store,
                    &info,
                    baseline,
                    export.users,
                    &options,
                    |user| match users_out.as_mut() {
                        Some(w) => w.write(user),
                        None => Ok(()),
                    },
                )
                .await;
                let plan = match planned {
                    Ok(p) => p,
                    Err(e) => return report_sync_error(e),
                };
                // The export's own partial-data verdict (the one `users` applies): events
                // diffed from a mostly broken listing would be mostly wrong.
                incomplete = stats.snapshot().incomplete(plan.users);
                if let Some(w) = users_out {
                    // Complete: renamed into place once the events are written, below.
                    match w.finish() {
                        Ok(sink) => pending_users = Some(sink),
                        Err(e) => {
                            eprintln!("error: --output: {e}; nothing was committed");
                            return exit::OTHER;
                        }
                    }
                }
                (plan, "by full listing")
            }
        };
        let guard = match (&incomplete, plan.baseline) {
            // A first sync records a baseline: it has nothing to compare with, but a mostly
            // broken listing must not become the baseline either.
            (Some(why), _) => Err(format!("the listing is incomplete: {why}")),
            (None, false) => plan
                .check_mass_changes(max_share / 100.0)
                .map_err(|e| e.to_string()),
            (None, true) => Ok(()),
        };
        if let Err(e) = guard {
            if !m.get_flag("allow-mass-changes") {
                eprintln!("error: sync of `{}` stopped: {e}", terminal(&info.name));
                eprintln!(
                    "hint: check the listing (a permission or filter that hides users?) and `{} connections test \"{}\"`; if the changes are real, run again with --allow-mass-changes",
                    connector_core::program::name(),
                    terminal(&info.name)
                );
                eprintln!("nothing was written or committed");
                return exit::MASS_CHANGE;
            }
            crate::diagnostics::warning(&format!(
                "{e}; committing because of --allow-mass-changes"
            ));
        }
        // The outputs first, durably; the state after.
        if let Err(e) = write_events(events_path.as_deref(), &plan.events) {
            eprintln!(
                "error: --events{}: {e}\nnothing was committed: the next sync emits these events again, with the same event ids",
                if events_path.is_none() { " (stdout)" } else { "" }
            );
            return exit::OTHER;
        }
        if let Some(sink) = pending_users {
            if let Err(e) = sink.commit() {
                eprintln!("error: --output: {e}; nothing was committed");
                return exit::OTHER;
            }
        }
        let summary = summary(&info.name, &plan, how);
        if m.get_flag("dry-run") {
            crate::diagnostics::info(&format!(
                "{summary}\ndry run: nothing committed; the next sync finds these changes again"
            ));
            return exit::OK;
        }
        if reset {
            if let Err(e) = store.reset_sync(&info.name).await {
                return report_store(&e);
            }
        }
        match store.commit_sync(&info.name, plan.commit, now).await {
            Ok(version) => {
                crate::diagnostics::info(&format!(
                    "{summary}\nstate committed (sync {version} of this connection)"
                ));
                exit::OK
            }
            Err(e @ StoreError::SyncConflict { .. }) => report_store(&e),
            Err(e) => {
                let code = report_store(&e);
                eprintln!("the events were written but not committed: the next sync emits them again, with the same ids");
                code
            }
        }
    })
}

/// Writes the events as JSON lines to `path` (complete, then renamed into place) or stdout,
/// flushed (and synced when stdout is a file). Any write error, a consumer that stopped
/// reading (a broken pipe) included, is an error: the events were not all delivered, so the
/// sync must not commit.
fn write_events(path: Option<&std::path::Path>, events: &[sync::Event]) -> std::io::Result<()> {
    let mut sink = Sink::open(path)?;
    let undelivered = |written: usize, e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::BrokenPipe => "the reader stopped reading (broken pipe)".to_owned(),
            _ => e.to_string(),
        };
        std::io::Error::new(
            e.kind(),
            format!(
                "{why} after {written} of {} event{} were written",
                events.len(),
                if events.len() == 1 { "" } else { "s" }
            ),
        )
    };
    for (written, event) in events.iter().enumerate() {
        let line = serde_json::to_string(event).map_err(std::io::Error::other)?;
        sink.write_all(line.as_bytes())
            .and_then(|()| sink.write_all(b"\n"))
            .map_err(|e| undelivered(written, e))?;
    }
    sink.commit().map_err(|e| undelivered(events.len(), e))
}

fn summary(name: &str, plan: &sync::SyncPlan, how: &str) -> String {
    let name = terminal(name);
    if plan.baseline && plan.events.is_empty() {
        return format!(
            "Baseline recorded for `{name}`: {} users (a first sync emits no events; --baseline-events emits them as joined)",
            count(plan.users)
        );
    }
    let counts: Vec<String> = plan
        .counts()
        .iter()
        .map(|(t, n)| format!("{} {}", count(*n), t.as_str()))
        .collect();
    format!(
        "Synced `{name}` {how}: {} users, {} event{}{}",
        count(plan.users),
        count(plan.events.len() as u64),
        if plan.events.len() == 1 { "" } else { "s" },
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    )
}

/// Reports why a sync could not be planned; nothing was committed.
fn report_sync_error(e: SyncError) -> u8 {
    match e {
        SyncError::Export(e) => {
            let code = runtime::report_error(&e);
            eprintln!("nothing was committed; the next sync starts from the same state");
            code
        }
        SyncError::Store(e) => report_store(&e),
        SyncError::Output(e) => {
            eprintln!("error: --output: {e}; nothing was committed");
            exit::OTHER
        }
        e => {
            eprintln!("error: {e}; nothing was committed");
            exit::OTHER
        }
    }
}

/// A sync by the provider's change feed: the users it names changed since `since`, fetched
/// and diffed. `Ok(None)` when a listing is the better way after all (the feed's permission
/// is missing, or it names too many users), said on stderr.
async fn by_feed(
    feed: &dyn connector_core::feed::ChangeFeed,
    store: &dyn connector_store::Store,
    info: &connector_store::ConnectionInfo,
    baseline: &sync::Baseline,
    since: jiff::Timestamp,
    options: &PlanOptions,
) -> Result<Option<sync::SyncPlan>, u8> {
    let named = match feed.changed(since, options.detected_at).await {
        Ok(named) => named,
        Err(e) if matches!(e.kind(), connector_core::ErrorKind::Permission { .. }) => {
            crate::diagnostics::note(&format!(
                "listing every user: the change feed needs View on \u{201c}{}\u{201d}, which the account lacks ({})",
                feed.permission(),
                terminal(e.message())
            ));
            return Ok(None);
        }
        Err(e) => {
            let code = runtime::report_error(&e);
            eprintln!("nothing was committed; the next sync starts from the same state");
            return Err(code);
        }
    };
    let users = baseline.fingerprints.len();
    let limit = ((users as f64 * mode::FEED_SHARE).ceil() as usize).max(50);
    if named.len() > limit {
        crate::diagnostics::note(&format!(
            "listing every user: the change feed names {} users, more than {}% of {}, which a listing fetches more cheaply",
            count(named.len() as u64),
            (mode::FEED_SHARE * 100.0).round(),
            count(users as u64)
        ));
        return Ok(None);
    }
    let found = match feed.fetch(&named).await {
        Ok(found) => found,
        Err(e) => {
            let code = runtime::report_error(&e);
            eprintln!("nothing was committed; the next sync starts from the same state");
            return Err(code);
        }
    };
    match connector_store::plan_changes(store, info, baseline.clone(), &named, &found, options)
        .await
    {
        Ok(plan) => Ok(Some(plan)),
        Err(e) => Err(report_sync_error(e)),
    }
}
