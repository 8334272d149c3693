//! What the CLI says about a sync: progress notes, the summary, and each failure with what
//! it means for the state and what to do.

use connector_app::sync::{ListingReason, SyncFailure, SyncMethod, SyncProgress, SyncReport};
use connector_store::StoreError;

use super::output::CliOutput;
use crate::commands::connections::report as report_store;
use crate::sanitize::terminal;
use crate::summary::count;
use crate::{diagnostics, exit, runtime};

/// A progress note on stderr.
pub(super) fn progress(p: SyncProgress) {
    match p {
        SyncProgress::ListingEveryone { reason: Some(why) } => {
            // The reasons a person chose, in the options they used.
            let why = match why {
                ListingReason::Asked => "--full".to_owned(),
                ListingReason::UsersWanted => "--output needs every user".to_owned(),
                ListingReason::ReconcileDue { days, every } => format!(
                    "the periodic full reconcile is due (last full listing {days} days ago; --reconcile-days {every})"
                ),
                other => other.to_string(),
            };
            diagnostics::note(&format!("listing every user: {}", terminal(&why)));
        }
        SyncProgress::MassChangesAllowed { why } => {
            diagnostics::warning(&format!(
                "{why}; committing because of --allow-mass-changes"
            ));
        }
        _ => {}
    }
}

/// The summary of a sync that delivered its events (and committed, unless a dry run).
pub(super) fn report(r: &SyncReport) -> u8 {
    let summary = summary(r);
    match r.committed {
        Some(version) => diagnostics::info(&format!(
            "{summary}\nstate committed (sync {version} of this connection)"
        )),
        None => diagnostics::info(&format!(
            "{summary}\ndry run: nothing committed; the next sync finds these changes again"
        )),
    }
    exit::OK
}

fn summary(r: &SyncReport) -> String {
    let name = terminal(&r.connection);
    if r.baseline && r.events == 0 {
        return format!(
            "Baseline recorded for `{name}`: {} users (a first sync emits no events; --baseline-events emits them as joined)",
            count(r.users)
        );
    }
    let counts: Vec<String> = r
        .counts
        .iter()
        .map(|(t, n)| format!("{} {}", count(*n), t.as_str()))
        .collect();
    let how = match r.method {
        SyncMethod::ChangeFeed => "by change feed",
        SyncMethod::FullListing => "by full listing",
    };
    format!(
        "Synced `{name}` {how}: {} users, {} event{}{}",
        count(r.users),
        count(r.events as u64),
        if r.events == 1 { "" } else { "s" },
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    )
}

/// Why nothing (or not the state) was committed, and what happens next; the exit status.
pub(super) fn failure(f: SyncFailure, out: &CliOutput) -> u8 {
    match f {
        SyncFailure::Store(e) => report_store(&e),
        SyncFailure::Provider(e) => {
            let code = runtime::report_error(&e);
            eprintln!("nothing was committed; the next sync starts from the same state");
            code
        }
        SyncFailure::Users(e) => {
            eprintln!("error: --output: {e}; nothing was committed");
            exit::OTHER
        }
        SyncFailure::Stopped { connection, why } => {
            eprintln!("error: sync of `{}` stopped: {why}", terminal(&connection));
            eprintln!(
                "hint: check the listing (a permission or filter that hides users?) and `{} connections test \"{}\"`; if the changes are real, run again with --allow-mass-changes",
                crate::program::name(),
                terminal(&connection)
            );
            eprintln!("nothing was written or committed");
            exit::MASS_CHANGE
        }
        SyncFailure::Undelivered(e) if out.failed == Some("--output") => {
            eprintln!("error: --output: {e}; nothing was committed");
            exit::OTHER
        }
        SyncFailure::Undelivered(e) => {
            eprintln!(
                "error: --events{}: {e}\nnothing was committed: the next sync emits these events again, with the same event ids",
                if out.events_on_stdout() { " (stdout)" } else { "" }
            );
            exit::OTHER
        }
        SyncFailure::NotCommitted(e @ StoreError::SyncConflict { .. }) => report_store(&e),
        SyncFailure::NotCommitted(e) => {
            let code = report_store(&e);
            eprintln!("the events were written but not committed: the next sync emits them again, with the same ids");
            code
        }
        other => {
            eprintln!("error: {other}; nothing was committed");
            exit::OTHER
        }
    }
}
