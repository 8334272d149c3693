//! The user export as a use case: every user of a connection, streamed to the caller's
//! [`ExportOutput`], which is finished (made durable, renamed into place) only when the export
//! is whole and passes the verdicts that keep a bad export from replacing a good one.

mod download;
pub mod writer;

pub use download::{download, download_recorded};

use std::future::Future;

use connector_core::{Connector, ExportOptions, ExportSummary, User};
use connector_store::{ExportRecord, Store, StoreError};
use futures_util::StreamExt;

/// What to export, and what makes an export acceptable.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExportRequest {
    /// Filters, page size, the user cap, and how many users are wanted.
    pub options: ExportOptions,
    /// Stop after this many users (a peek): the result is whole up to them.
    pub limit: Option<u64>,
    /// Keep an export the provider's data made mostly partial or malformed.
    pub accept_incomplete: bool,
    /// Keep an export without any user.
    pub allow_empty: bool,
    /// Refuse an export with fewer users than this.
    pub min_users: Option<u64>,
}

impl ExportRequest {
    /// Every user, with the defaults: no filter, an empty or mostly broken export refused.
    pub fn new(options: ExportOptions) -> Self {
        ExportRequest {
            options,
            limit: None,
            accept_incomplete: false,
            allow_empty: false,
            min_users: None,
        }
    }
}

/// Where the users go.
pub trait ExportOutput {
    /// The export started: its counters (pages, records read) for progress lines.
    fn started(&mut self, _stats: &connector_core::ExportStats) {}

    /// One user, as it arrives.
    fn write(&mut self, user: &User) -> std::io::Result<()>;

    /// The export is whole and accepted: make it durable (flush, rename into place).
    fn finish(&mut self) -> std::io::Result<()>;
}

/// Why a finished export was refused (its output is not finished).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Rejection {
    /// No user at all ([`ExportRequest::allow_empty`] keeps it).
    Empty,
    /// Fewer users than [`ExportRequest::min_users`].
    FewerThan {
        /// Users exported.
        users: u64,
        /// The minimum asked for.
        min: u64,
    },
    /// Mostly partial or malformed records ([`ExportRequest::accept_incomplete`] keeps it).
    Incomplete(String),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Empty => write!(f, "the export holds no user"),
            Rejection::FewerThan { users, min } => write!(
                f,
                "only {} users were exported, fewer than the minimum of {}",
                crate::count(*users),
                crate::count(*min)
            ),
            Rejection::Incomplete(why) => f.write_str(why),
        }
    }
}

/// A finished export.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExportReport {
    /// Users written.
    pub users: u64,
    /// Whether it stopped at [`ExportRequest::limit`] (the account may have more).
    pub limited: bool,
    /// The provider's counts: pages, records read, dropped and partial ones.
    pub summary: ExportSummary,
}

/// Why an export did not finish; its output was not finished.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportFailure {
    /// Connecting or the listing failed.
    #[error(transparent)]
    Provider(connector_core::Error),
    /// The output could not take a user, or could not be finished.
    #[error("writing the output: {0}")]
    Output(std::io::Error),
    /// The export was whole but refused.
    #[error("{rejection}")]
    Rejected {
        /// Why.
        rejection: Rejection,
        /// The provider's counts.
        summary: ExportSummary,
    },
    /// `interrupt` fired first.
    #[error("interrupted after {users} users")]
    Interrupted {
        /// Users written before it.
        users: u64,
    },
}

/// Exports every user of `connector` that `request` asks for into `output`; stops early
/// when `interrupt` completes (Ctrl-C, a shutdown). The pages still being fetched are dropped
/// as soon as the users wanted are in.
pub async fn run(
    connector: &dyn Connector,
    request: &ExportRequest,
    output: &mut (dyn ExportOutput + Send),
    interrupt: impl Future<Output = ()>,
) -> Result<ExportReport, ExportFailure> {
    let export = connector_core::export_users(connector, request.options.clone())
        .map_err(ExportFailure::Provider)?;
    output.started(&export.stats);
    let mut users = export.users;
    let mut written = 0u64;
    let mut limited = false;
    tokio::pin!(interrupt);
    loop {
        tokio::select! {
            item = users.next() => match item {
                Some(Ok(user)) => {
                    output.write(&user).map_err(ExportFailure::Output)?;
                    written += 1;
                    if request.limit.is_some_and(|limit| written >= limit) {
                        limited = true;
                        break;
                    }
                }
                Some(Err(e)) => return Err(ExportFailure::Provider(e)),
                None => break,
            },
            () = &mut interrupt => return Err(ExportFailure::Interrupted { users: written }),
        }
    }
    // Stops the pages still being fetched: a peek costs only the pages it needed.
    drop(users);
    let summary = export.stats.snapshot();
    if let Some(rejection) = verdict(written, &summary, request) {
        return Err(ExportFailure::Rejected { rejection, summary });
    }
    output.finish().map_err(ExportFailure::Output)?;
    Ok(ExportReport {
        users: written,
        limited,
        summary,
    })
}

/// Why `users` exported with `summary` may not replace a previous export, if so.
fn verdict(users: u64, summary: &ExportSummary, request: &ExportRequest) -> Option<Rejection> {
    if let Some(min) = request.min_users.filter(|m| users < *m) {
        return Some(Rejection::FewerThan { users, min });
    }
    if users == 0 && !request.allow_empty {
        return Some(Rejection::Empty);
    }
    summary
        .incomplete(users)
        .filter(|_| !request.accept_incomplete)
        .map(Rejection::Incomplete)
}

/// Records an export's outcome on saved connection `name` (shown by `connections show`).
pub async fn record(
    store: &dyn Store,
    name: &str,
    ok: bool,
    users: u64,
    message: Option<String>,
) -> Result<(), StoreError> {
    let record = ExportRecord {
        at: jiff::Timestamp::now(),
        ok,
        users,
        message,
    };
    store.record_export(name, &record).await
}

/// What an incremental read did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangedRead {
    /// Users handed on.
    pub emitted: u64,
    /// Users skipped as not changed since the cursor.
    pub unchanged: u64,
    /// The next cursor: the newest `updated_at` seen, never older than the one given.
    pub cursor: Option<jiff::civil::DateTime>,
}

/// The incremental read of the orchestrator protocols: every user of `connector`, and those
/// changed at or after `since` (all when `None`; users without `updated_at` always) handed to
/// `emit`. A user whose `updated_at` equals the cursor is handed on again: a batch stamps many
/// users with one time and the last read may have stopped between them (at-least-once at the
/// boundary, the Airbyte convention). Cursors are compared as times, not as text.
pub async fn read_changed(
    connector: &dyn Connector,
    since: Option<jiff::civil::DateTime>,
    mut emit: impl FnMut(&User) -> std::io::Result<()>,
) -> Result<ChangedRead, connector_core::Error> {
    let export = connector_core::export_users(connector, ExportOptions::new())?;
    let mut users = export.users;
    // A cursor never goes back: a tenant whose newest change is older keeps the old one.
    let mut read = ChangedRead {
        cursor: since,
        ..ChangedRead::default()
    };
    while let Some(user) = users.next().await {
        let user = user?;
        if let Some(updated) = user.updated_at {
            if read.cursor.is_none_or(|n| updated > n) {
                read.cursor = Some(updated);
            }
        }
        let changed = match (user.updated_at, since) {
            (Some(updated), Some(since)) => updated >= since,
            _ => true,
        };
        if !changed {
            read.unchanged += 1;
            continue;
        }
        emit(&user).map_err(|e| {
            connector_core::Error::new(
                connector.provider_id(),
                connector_core::ErrorKind::Unsupported,
                format!("cannot write a record: {e}"),
            )
        })?;
        read.emitted += 1;
    }
    Ok(read)
}
