//! The trait a provider's connector implements, and the SDK's connection-test runner.

use std::fmt;
use std::time::Instant;

use async_trait::async_trait;
use serde_json::Value;

use crate::check::{Checklist, TestReport, SETTINGS_STEP};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::Context;
use crate::registry::ProviderDescriptor;
use crate::user::{ExportOptions, UserExport};

/// A configured connection to one provider tenant.
///
/// `Debug` must not print credentials (hold them as [`Secret`](crate::Secret)s).
#[async_trait]
pub trait Connector: fmt::Debug + Send + Sync {
    /// The provider id.
    fn provider_id(&self) -> &'static str;

    /// Runs the provider's connection-test steps (everything after the settings step).
    async fn test_connection(&self, checks: &mut Checklist);

    /// Whether the export already yields each user (company and id) at most once, so that
    /// [`export_users`] need not remember every user to drop repeats (UKG Pro's join does it
    /// while joining). Default: no.
    fn yields_unique_users(&self) -> bool {
        false
    }

    /// The provider's change feed, when it has one: a sync then asks only for the users that
    /// changed since the last one. Default: none (every sync lists the tenant).
    fn change_feed(&self) -> Option<&dyn crate::feed::ChangeFeed> {
        None
    }

    /// Starts a user export: users stream out while later pages are still being fetched.
    /// Providers without the [`Capability::UserExport`](crate::Capability) capability keep the
    /// default, which says so.
    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        let _ = options;
        Err(Error::new(
            self.provider_id(),
            ErrorKind::Unsupported,
            "this provider cannot export users",
        ))
    }
}

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
    let mut checks = Checklist::new(descriptor.id(), descriptor.checks());
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
    let started = Instant::now();
    let target = target_of(&raw_settings, context);
    let connector = match descriptor.connect_with(raw_settings, context) {
        Ok(c) => c,
        Err(error) => {
            let mut checks = Checklist::new(descriptor.id(), descriptor.checks());
            checks.record(SETTINGS_STEP.id, Err(error), started.elapsed());
            return checks.finish();
        }
    };
    let Some(feed) = connector.change_feed() else {
        let mut checks = Checklist::new(descriptor.id(), descriptor.checks());
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
    let mut checks = Checklist::new(descriptor.id(), &steps);
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
                .endpoint
                .as_ref()
                .and_then(|u| u.host_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "the service".to_owned())
}

/// Starts `connector`'s user export with the SDK's shared plumbing around the provider's
/// stream, the same for every provider:
///
/// * the status and company filters of `options` are applied (and counted as filtered out),
///   whatever the provider did itself;
/// * a user that repeats one already exported (same company and id) is dropped and counted as
///   a duplicate: the first one wins, whatever the timing;
/// * a user whose id is empty or blank is dropped and counted as a malformed record;
/// * an export that yields more than [`ExportOptions::max_users`] users stops with an error (a
///   listing that never ends).
///
/// Use this rather than calling [`Connector::export_users`] directly.
pub fn export_users(connector: &dyn Connector, options: ExportOptions) -> Result<UserExport> {
    use futures_util::StreamExt;
    let provider = connector.provider_id();
    let export = connector.export_users(options.clone())?;
    let stats = export.stats.clone();
    let counted = stats.clone();
    let max = options
        .max_users
        .unwrap_or(ExportOptions::DEFAULT_MAX_USERS);
    let unique = connector.yields_unique_users();
    let mut seen = std::collections::HashSet::new();
    let mut produced: u64 = 0;
    let mut ended = false;
    // `scan` ends the stream after the ceiling error; `filter_map` drops what is skipped.
    let users = export
        .users
        .scan((), move |(), item| {
            if ended {
                return std::future::ready(None);
            }
            let out = match item {
                Err(e) => Some(Err(e)),
                // A user without an id cannot be told apart, synced or provisioned.
                Ok(user) if user.id.trim().is_empty() => {
                    counted.add_malformed(format!(
                        "a record without an id (blank `id`{})",
                        match &user.company_id {
                            Some(c) if !c.trim().is_empty() => format!(", company {c}"),
                            _ => String::new(),
                        }
                    ));
                    None
                }
                Ok(user) if !unique && !seen.insert(user_key(&user)) => {
                    counted.add_duplicate();
                    None
                }
                Ok(user) => {
                    produced += 1;
                    if produced > max {
                        ended = true;
                        Some(Err(Error::new(
                            provider,
                            ErrorKind::Protocol,
                            format!("the listing went past {max} users without ending; stopped"),
                        )
                        .with_hint("if the tenant really is this large, raise the ceiling (--max-users); otherwise the server keeps sending new records")))
                    } else if options.matches(&user) {
                        Some(Ok(user))
                    } else {
                        counted.add_filtered_out();
                        None
                    }
                }
            };
            std::future::ready(Some(out))
        })
        .filter_map(std::future::ready);
    Ok(UserExport {
        users: Box::pin(users),
        stats,
    })
}

/// A user's identity (company and id) as 64 bits: 8 bytes remembered per user (two users of
/// a million share a digest with a probability of about 3 in 100 million).
fn user_key(user: &crate::User) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    user.company_id.hash(&mut h);
    user.id.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Checklist;
    use crate::user::{ExportStats, User, UserStatus};
    use futures_util::StreamExt;

    /// Yields users with these ids (company C1), in order.
    #[derive(Debug)]
    struct Fixed(Vec<&'static str>);

    #[async_trait]
    impl Connector for Fixed {
        fn provider_id(&self) -> &'static str {
            "t"
        }
        async fn test_connection(&self, _: &mut Checklist) {}
        fn export_users(&self, _: ExportOptions) -> Result<UserExport> {
            let users: Vec<Result<User>> = self
                .0
                .iter()
                .map(|id| {
                    let mut u = User::new(*id);
                    u.company_id = Some("C1".into());
                    u.status = if id.starts_with('a') {
                        UserStatus::Active
                    } else {
                        UserStatus::Leave
                    };
                    Ok(u)
                })
                .collect();
            Ok(UserExport {
                users: Box::pin(futures_util::stream::iter(users)),
                stats: ExportStats::default(),
            })
        }
    }

    async fn run(
        ids: Vec<&'static str>,
        options: ExportOptions,
    ) -> (Vec<String>, Option<Error>, u64, u64) {
        let export = export_users(&Fixed(ids), options).unwrap();
        let stats = export.stats.clone();
        let items: Vec<Result<User>> = export.users.collect().await;
        let error = items
            .iter()
            .find_map(|i| i.as_ref().err())
            .map(|e| Error::new(e.provider(), e.kind().clone(), e.message()));
        let ids = items
            .into_iter()
            .filter_map(|i| i.ok())
            .map(|u| u.id)
            .collect();
        let s = stats.snapshot();
        (ids, error, s.duplicates, s.filtered_out)
    }

    #[tokio::test]
    async fn repeats_are_dropped_first_wins_and_filters_are_counted() {
        let (ids, error, dups, filtered) =
            run(vec!["a1", "b1", "a1", "a2", "b1"], ExportOptions::new()).await;
        assert!(error.is_none());
        assert_eq!(ids, ["a1", "b1", "a2"]);
        assert_eq!((dups, filtered), (2, 0));
        let only_active = ExportOptions::new().with_statuses(vec![UserStatus::Active]);
        let (ids, _, _, filtered) = run(vec!["a1", "b1", "a2"], only_active).await;
        assert_eq!(ids, ["a1", "a2"]);
        assert_eq!(filtered, 1);
    }

    #[tokio::test]
    async fn a_user_with_a_blank_id_is_a_malformed_record_not_a_user() {
        let export = export_users(&Fixed(vec!["a1", "", "b2", " "]), ExportOptions::new()).unwrap();
        let stats = export.stats.clone();
        let ids: Vec<String> = export
            .users
            .filter_map(|u| std::future::ready(u.ok()))
            .map(|u| u.id)
            .collect()
            .await;
        assert_eq!(ids, ["a1", "b2"]);
        let s = stats.snapshot();
        assert_eq!(s.malformed, 2);
        assert!(
            s.malformed_samples[0].contains("without an id"),
            "{:?}",
            s.malformed_samples
        );
    }

    #[tokio::test]
    async fn an_export_past_the_ceiling_ends_with_an_error() {
        let (ids, error, _, _) = run(
            vec!["a1", "a2", "a3", "a4"],
            ExportOptions::new().with_max_users(2),
        )
        .await;
        assert_eq!(ids, ["a1", "a2"]);
        assert!(error.unwrap().message().contains("went past 2 users"));
    }
}
