//! Sync as a use case: who joined, moved and left since the last sync of a saved connection.
//!
//! [`run`] reads the connection and its state from the store, plans (by the provider's change
//! feed when it has one and may be used, otherwise by listing every user), applies the
//! export's own completeness verdict and the mass-change guard, hands the events to the
//! caller's [`SyncOutput`] to deliver durably, and only then commits the new state. Whatever
//! fails before the commit leaves the state as it was, so the next sync finds the same changes
//! again, with the same event ids.

mod feed;
mod mode;

use connector_core::sync::{Event, EventType, SyncPlan};
use connector_core::{Context, ExportOptions, User};
use connector_store::{PlanOptions, Store, StoreError, SyncError};
use jiff::Timestamp;

pub use mode::ListingReason;
use mode::Mode;

/// What to sync, and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncRequest {
    /// The saved connection (any case).
    pub connection: String,
    /// When set, a connection of another provider is refused.
    pub provider: Option<String>,
    /// Plan as a first sync; the old state goes only when the new one is committed.
    pub reset_state: bool,
    /// List every user even when a change feed could be used.
    pub full: bool,
    /// List every user when the last full listing is this many days old.
    pub reconcile_days: u32,
    /// On a first sync, emit `joined` for everyone instead of only recording a baseline.
    pub baseline_events: bool,
    /// The time the sync runs at (now when `None`); terminations are compared with its day.
    pub as_of: Option<Timestamp>,
    /// The share of users (0 to 1) that may leave, disappear or lose a guarded field in one
    /// sync before it stops.
    pub max_departure_share: f64,
    /// Commit even when the guard or the completeness verdict would stop the sync.
    pub allow_mass_changes: bool,
    /// Plan and deliver, but commit nothing.
    pub dry_run: bool,
    /// Endpoint overrides and the like, for connecting.
    pub context: Context,
}

impl SyncRequest {
    /// A sync of `connection` with the defaults: feed when possible, a full reconcile every 7
    /// days, 10% mass-change limit, committed.
    pub fn new(connection: impl Into<String>) -> Self {
        SyncRequest {
            connection: connection.into(),
            provider: None,
            reset_state: false,
            full: false,
            reconcile_days: 7,
            baseline_events: false,
            as_of: None,
            max_departure_share: connector_core::sync::DEFAULT_MAX_DEPARTURE_SHARE,
            allow_mass_changes: false,
            dry_run: false,
            context: Context::default(),
        }
    }
}

/// Where a sync's results go. [`deliver`](SyncOutput::deliver) is called once, with every
/// event, before the state is committed: it must make them durable (written and flushed,
/// queued, …) before it returns `Ok`, and fail rather than lose any.
pub trait SyncOutput: Send {
    /// Whether every user is wanted too (a users file): the sync then lists every user.
    fn wants_users(&self) -> bool {
        false
    }

    /// A user of a full listing, as it is read (only when [`wants_users`](Self::wants_users)).
    fn user(&mut self, _user: &User) -> std::io::Result<()> {
        Ok(())
    }

    /// Delivers the events (possibly none), durably.
    fn deliver(&mut self, events: &[Event]) -> std::io::Result<()>;
}

/// What a sync is doing, for progress lines.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SyncProgress {
    /// Every user is being listed; why, when the provider has a change feed it does not use.
    ListingEveryone {
        /// Why the feed is not used (`None`: there is none, or this is a first sync).
        reason: Option<ListingReason>,
    },
    /// The change feed is asked what changed since `since`.
    AskingFeed {
        /// Where the window starts.
        since: Timestamp,
    },
    /// The guard found too many changes, and the sync goes on because it was allowed to.
    MassChangesAllowed {
        /// What the guard found.
        why: String,
    },
}

/// How the changes were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMethod {
    /// Every user listed and diffed.
    FullListing,
    /// Only the users the provider's change feed named.
    ChangeFeed,
}

/// What a sync did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncReport {
    /// The connection's name as saved.
    pub connection: String,
    /// How the changes were found.
    pub method: SyncMethod,
    /// Users in the new state.
    pub users: u64,
    /// Events delivered.
    pub events: usize,
    /// Events by type, in the order types are defined.
    pub counts: Vec<(EventType, u64)>,
    /// Whether this recorded a first state (a baseline).
    pub baseline: bool,
    /// The state's version after the commit; `None` for a dry run.
    pub committed: Option<u64>,
}

/// Why a sync did not commit. Every variant but [`NotCommitted`](SyncFailure::NotCommitted)
/// left nothing delivered by the sync behind it unrecorded: the next sync finds the same
/// changes, with the same event ids.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncFailure {
    /// The connection or its state could not be read (unknown name, wrong key, tampering, …).
    #[error(transparent)]
    Store(StoreError),
    /// Connecting, listing or the change feed failed.
    #[error(transparent)]
    Provider(connector_core::Error),
    /// A user could not be handed to the output (a full disk, say).
    #[error("the users could not be written: {0}")]
    Users(std::io::Error),
    /// The listing was incomplete or changed too much; nothing was delivered or committed.
    #[error("sync of `{connection}` stopped: {why}")]
    Stopped {
        /// The connection.
        connection: String,
        /// What the guard or the completeness verdict found.
        why: String,
    },
    /// The events could not all be delivered; nothing was committed.
    #[error("the events could not be delivered: {0}")]
    Undelivered(std::io::Error),
    /// The events were delivered but the state was not committed (another sync committed
    /// first, or the store failed): the next sync emits them again, with the same ids.
    #[error(transparent)]
    NotCommitted(StoreError),
}

impl From<SyncError> for SyncFailure {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Export(e) => SyncFailure::Provider(e),
            SyncError::Store(e) => SyncFailure::Store(e),
            SyncError::Output(e) => SyncFailure::Users(e),
            other => SyncFailure::Users(std::io::Error::other(other.to_string())),
        }
    }
}

/// Runs a sync of `request.connection` in `store`: plan, guard, deliver to `output`, commit.
/// `progress` hears what is being done.
pub async fn run(
    store: &dyn Store,
    request: &SyncRequest,
    output: &mut dyn SyncOutput,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<SyncReport, SyncFailure> {
    let saved = store
        .get(&request.connection)
        .await
        .map_err(SyncFailure::Store)?;
    let info = saved.info.clone();
    if let Some(provider) = request.provider.as_deref().filter(|p| *p != info.provider) {
        return Err(SyncFailure::Store(StoreError::WrongProvider {
            name: info.name,
            stored: info.provider,
            given: provider.to_owned(),
        }));
    }
    let descriptor =
        connector_core::registry::provider(&info.provider).map_err(SyncFailure::Provider)?;
    let saved_state = store
        .sync_baseline(&info.name)
        .await
        .map_err(SyncFailure::Store)?;
    // A reset plans as a first sync and replaces the saved state in its commit (from the
    // saved version, so another sync in between still conflicts).
    let reset_from = saved_state
        .as_ref()
        .map(|b| b.version)
        .filter(|_| request.reset_state);
    let baseline = saved_state.filter(|_| !request.reset_state);
    let connector = descriptor
        .connect_with(
            saved.settings_for_connect(),
            &saved.info.context(&request.context),
        )
        .map_err(SyncFailure::Provider)?;
    drop(saved);
    let now = request.as_of.unwrap_or_else(Timestamp::now);
    let options = PlanOptions {
        detected_at: now,
        today: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
        baseline_events: request.baseline_events,
    };
    let chosen = mode::choose(
        baseline.as_ref(),
        connector.change_feed(),
        now,
        request.full,
        output.wants_users(),
        request.reconcile_days,
    );
    let by_feed = match (chosen, connector.change_feed(), &baseline) {
        (Mode::Feed { since }, Some(feed), Some(baseline)) => {
            progress(SyncProgress::AskingFeed { since });
            feed::plan(feed, store, &info, baseline, since, &options, progress).await?
        }
        (Mode::Full(reason), _, _) => {
            progress(SyncProgress::ListingEveryone { reason });
            None
        }
        _ => None,
    };
    let (plan, method, incomplete) = match by_feed {
        Some(plan) => (plan, SyncMethod::ChangeFeed, None),
        None => {
            // Every user, unfiltered: a filtered listing would read as mass departures.
            let export = connector_core::export_users(&*connector, ExportOptions::new())
                .map_err(SyncFailure::Provider)?;
            let stats = export.stats.clone();
            let wants_users = output.wants_users();
            let plan =
                connector_store::plan(store, &info, baseline, export.users, &options, |user| {
                    match wants_users {
                        true => output.user(user),
                        false => Ok(()),
                    }
                })
                .await?;
            // The export's own partial-data verdict: events diffed from a mostly broken
            // listing would be mostly wrong.
            let incomplete = stats.snapshot().incomplete(plan.users);
            (plan, SyncMethod::FullListing, incomplete)
        }
    };
    let mut plan = plan;
    if let Some(version) = reset_from {
        plan.commit.from_version = version;
        plan.commit.replace = true;
    }
    check(&info.name, &plan, incomplete, request, progress)?;
    // The outputs first, durably; the state after.
    output
        .deliver(&plan.events)
        .map_err(SyncFailure::Undelivered)?;
    let mut report = SyncReport {
        connection: info.name.clone(),
        method,
        users: plan.users,
        events: plan.events.len(),
        counts: plan.counts(),
        baseline: plan.baseline,
        committed: None,
    };
    if request.dry_run {
        return Ok(report);
    }
    let version = store
        .commit_sync(&info.name, plan.commit, now)
        .await
        .map_err(SyncFailure::NotCommitted)?;
    report.committed = Some(version);
    Ok(report)
}

/// The completeness verdict and the mass-change guard: a stop, unless allowed.
fn check(
    connection: &str,
    plan: &SyncPlan,
    incomplete: Option<String>,
    request: &SyncRequest,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<(), SyncFailure> {
    let verdict = match (incomplete, plan.baseline) {
        // A first sync has nothing to compare with, but a mostly broken listing must not
        // become the baseline either.
        (Some(why), _) => Err(format!("the listing is incomplete: {why}")),
        (None, false) => plan
            .check_mass_changes(request.max_departure_share)
            .map_err(|e| e.to_string()),
        (None, true) => Ok(()),
    };
    match verdict {
        Ok(()) => Ok(()),
        Err(why) if request.allow_mass_changes => {
            progress(SyncProgress::MassChangesAllowed { why });
            Ok(())
        }
        Err(why) => Err(SyncFailure::Stopped {
            connection: connection.to_owned(),
            why,
        }),
    }
}
