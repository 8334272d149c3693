//! A sync by the provider's change feed: the users it names changed since the last sync,
//! fetched and diffed. `Ok(None)` when a listing is the better way after all (the feed's
//! permission is missing, or it names too many users), said as progress.

use connector_core::feed::ChangeFeed;
use connector_core::sync::{Baseline, SyncPlan};
use connector_store::{ConnectionInfo, PlanOptions, Store};
use jiff::Timestamp;

use super::{mode, ListingReason, SyncFailure, SyncProgress};

pub(super) async fn plan(
    feed: &dyn ChangeFeed,
    store: &dyn Store,
    info: &ConnectionInfo,
    baseline: &Baseline,
    since: Timestamp,
    options: &PlanOptions,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<Option<SyncPlan>, SyncFailure> {
    let named = match feed.changed(since, options.detected_at).await {
        Ok(named) => named,
        Err(e) if matches!(e.kind(), connector_core::ErrorKind::Permission { .. }) => {
            progress(SyncProgress::ListingEveryone {
                reason: Some(ListingReason::FeedPermission {
                    permission: feed.permission().to_owned(),
                    message: e.message().to_owned(),
                }),
            });
            return Ok(None);
        }
        Err(e) => return Err(SyncFailure::Provider(e)),
    };
    let users = baseline.fingerprints.len();
    let limit = ((users as f64 * mode::FEED_SHARE).ceil() as usize).max(50);
    if named.len() > limit {
        progress(SyncProgress::ListingEveryone {
            reason: Some(ListingReason::FeedNamesTooMany {
                named: named.len() as u64,
                users: users as u64,
            }),
        });
        return Ok(None);
    }
    let found = feed.fetch(&named).await.map_err(SyncFailure::Provider)?;
    let plan =
        connector_store::plan_changes(store, info, baseline.clone(), &named, &found, options)
            .await?;
    Ok(Some(plan))
}
