//! The trait a provider's connector implements, and the SDK's connection-test runner.

use std::fmt;

use async_trait::async_trait;

use crate::check::Checklist;
use crate::error::{Error, ErrorKind, Result};
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
