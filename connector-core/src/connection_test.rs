//! The connection test as every provider runs it: the settings step, connecting, the
//! provider's own steps (and, for a synced connection, its change feed), under one time limit.

use std::time::Instant;

use serde_json::Value;

use crate::check::{Checklist, StepWatch, TestReport, SETTINGS_STEP};
use crate::provider::Context;
use crate::registry::ProviderDescriptor;

/// Runs a full connection test from raw settings: the settings step, then the provider's
/// steps. Never fails: every problem is a failed step in the report.
pub async fn test_connection(descriptor: &ProviderDescriptor, raw_settings: Value) -> TestReport {
    test_connection_with(descriptor, raw_settings, &Context::default()).await
}

/// [`test_connection`] with a [`Context`] (a sandbox's address for a fixed-host provider).
pub async fn test_connection_with(
    descriptor: &ProviderDescriptor,
    raw_settings: Value,
    context: &Context,
) -> TestReport {
    plain_test(descriptor, raw_settings, context, None).await
}

/// The connection test with each step's result told to `watch` as soon as it is known (a
/// console shows the steps appear live); `for_sync` as in [`test_connection_for_sync`].
pub async fn test_connection_watched(
    descriptor: &ProviderDescriptor,
    raw_settings: Value,
    context: &Context,
    for_sync: bool,
    watch: StepWatch,
) -> TestReport {
    if for_sync {
        sync_test(descriptor, raw_settings, context, Some(watch)).await
    } else {
        plain_test(descriptor, raw_settings, context, Some(watch)).await
    }
}

async fn plain_test(
    descriptor: &ProviderDescriptor,
    raw_settings: Value,
    context: &Context,
    watch: Option<StepWatch>,
) -> TestReport {
    let mut checks = Checklist::new(descriptor.id(), descriptor.checks()).watched(watch);
    let started = Instant::now();
    let target = target_of(&raw_settings, context);
    let connector = descriptor.connect_with(raw_settings, context);
    let took = started.elapsed();
    match connector {
        Ok(connector) => {
            checks.record(SETTINGS_STEP.id, Ok("all fields are valid".into()), took);
            let limit = test_time_limit();
            let finished = tokio::time::timeout(limit, connector.test_connection(&mut checks))
                .await
                .is_ok();
            settle_limit(&mut checks, finished, limit, &target);
        }
        Err(error) => {
            checks.record(SETTINGS_STEP.id, Err(error), took);
        }
    }
    checks.finish()
}

/// The step [`test_connection_for_sync`] adds for a provider with a change feed.
pub const CHANGE_FEED_STEP: crate::check::CheckStep =
    crate::check::CheckStep::new("change_feed", "Change feed (for sync)", &["authenticated"]);

/// [`test_connection_with`] for a connection that is synced: when the provider has a change
/// feed, a last step asks it for the changes of its shortest window, so that a missing
/// permission for it shows before a sync has to fall back to listing every user.
pub async fn test_connection_for_sync(
    descriptor: &ProviderDescriptor,
    raw_settings: Value,
    context: &Context,
) -> TestReport {
    sync_test(descriptor, raw_settings, context, None).await
}

async fn sync_test(
    descriptor: &ProviderDescriptor,
    raw_settings: Value,
    context: &Context,
    watch: Option<StepWatch>,
) -> TestReport {
    let started = Instant::now();
    let target = target_of(&raw_settings, context);
    let connector = match descriptor.connect_with(raw_settings, context) {
        Ok(c) => c,
        Err(error) => {
            let mut checks = Checklist::new(descriptor.id(), descriptor.checks()).watched(watch);
            checks.record(SETTINGS_STEP.id, Err(error), started.elapsed());
            return checks.finish();
        }
    };
    let Some(feed) = connector.change_feed() else {
        let mut checks = Checklist::new(descriptor.id(), descriptor.checks()).watched(watch);
        checks.record(
            SETTINGS_STEP.id,
            Ok("all fields are valid".into()),
            started.elapsed(),
        );
        let limit = test_time_limit();
        let finished = tokio::time::timeout(limit, connector.test_connection(&mut checks))
            .await
            .is_ok();
        settle_limit(&mut checks, finished, limit, &target);
        return checks.finish();
    };
    let mut steps = descriptor.checks().to_vec();
    steps.push(CHANGE_FEED_STEP);
    let mut checks = Checklist::new(descriptor.id(), &steps).watched(watch);
    checks.record(
        SETTINGS_STEP.id,
        Ok("all fields are valid".into()),
        started.elapsed(),
    );
    let limit = test_time_limit();
    let steps = async {
        connector.test_connection(&mut checks).await;
        checks
        .run(CHANGE_FEED_STEP.id, || async {
            let until = jiff::Timestamp::now();
            let window = jiff::SignedDuration::try_from(feed.min_window())
                .unwrap_or(jiff::SignedDuration::from_hours(3));
            let since = until.checked_sub(window).unwrap_or(until);
            let named = feed.changed(since, until).await.map_err(|e| {
                let hint = format!(
                    "{} Until then, sync lists every user (it still works, at the cost of a full listing each time).",
                    e.hint().unwrap_or("")
                );
                e.with_hint(hint.trim().to_owned())
            })?;
            Ok(format!(
                "View on \u{201c}{}\u{201d} granted; {} user{} changed in the last {} h",
                feed.permission(),
                named.len(),
                if named.len() == 1 { "" } else { "s" },
                window.as_secs() / 3600
            ))
        })
        .await;
    };
    let finished = tokio::time::timeout(limit, steps).await.is_ok();
    settle_limit(&mut checks, finished, limit, &target);
    checks.finish()
}

/// How long a connection test may take in all, by default: a host that accepts connections
/// and never answers fails the test in this time, not after minutes of per-request timeouts
/// and retries.
pub const TEST_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The connection test's time limit: `CONNECTOR_TEST_TIMEOUT` (seconds, 1 to 3600) when set
/// to a valid value, else [`TEST_TIME_LIMIT`].
pub fn test_time_limit() -> std::time::Duration {
    std::env::var("CONNECTOR_TEST_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=3600).contains(s))
        .map_or(TEST_TIME_LIMIT, std::time::Duration::from_secs)
}

/// Ends `checks` as out of time when `finished` is false (see [`Checklist::out_of_time`]).
fn settle_limit(checks: &mut Checklist, finished: bool, limit: std::time::Duration, target: &str) {
    if !finished {
        checks.out_of_time(limit, target);
    }
}

/// The host a test talks to, for messages: the first URL among the settings' values, else
/// the context's endpoint, else "the service".
fn target_of(raw: &Value, context: &Context) -> String {
    let from_settings = raw
        .as_object()
        .into_iter()
        .flat_map(|o| o.values())
        .find_map(|v| {
            let url = url::Url::parse(v.as_str()?.trim()).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| url.host_str().map(str::to_owned))?
        });
    from_settings
        .or_else(|| {
            context
                .endpoints()
                .find_map(|(_, u)| u.host_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "the service".to_owned())
}
