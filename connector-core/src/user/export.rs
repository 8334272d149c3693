//! A running export: the users as a stream, and the statistics that fill in as it goes
//! (pages, records, malformed, filtered, duplicates, partial users), read as an
//! [`ExportSummary`].

use std::collections::BTreeMap;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::Stream;
use serde::Serialize;

use super::User;
use crate::error::Result;

/// A stream of users; an `Err` item ends it.
pub type UserStream = Pin<Box<dyn Stream<Item = Result<User>> + Send>>;

/// A running export: the users, and statistics that fill in as it goes.
pub struct UserExport {
    /// The users, in the order they become complete.
    pub users: UserStream,
    /// Live statistics.
    pub stats: ExportStats,
}

impl UserExport {
    /// The export of one listing: each page's records mapped to users by `map` (a closure, so
    /// a mapping may depend on the settings), pages and malformed records counted (described
    /// as `<label> page N, record M: …`), and errors passed through `on_error` (to add the
    /// provider's hint). The plumbing every provider with one listing needs.
    pub fn from_pages<T: Send + 'static>(
        pages: crate::paginate::PageStream<T>,
        label: impl Into<String>,
        map: impl Fn(T) -> User + Send + 'static,
        on_error: impl Fn(crate::Error) -> crate::Error + Send + 'static,
    ) -> UserExport {
        use futures_util::StreamExt;
        let stats = ExportStats::default();
        let counted = stats.clone();
        let label = label.into();
        let users = pages.flat_map(move |page| {
            let users: Vec<Result<User>> = match page {
                Ok(mut page) => {
                    counted.add_listed_page(&label, &mut page);
                    page.items.into_iter().map(|r| Ok(map(r))).collect()
                }
                Err(e) => vec![Err(on_error(e))],
            };
            futures_util::stream::iter(users)
        });
        UserExport {
            users: Box::pin(users),
            stats,
        }
    }
}

impl UserExport {
    /// This export, started only once `prepare` succeeds (a first pass a mapping depends on,
    /// such as the ids of the people a relation names by e-mail); its error ends the export
    /// before any user. Nothing is sent before the stream is first polled.
    pub fn after(
        self,
        prepare: impl std::future::Future<Output = Result<()>> + Send + 'static,
    ) -> UserExport {
        use futures_util::StreamExt;
        let users = self.users;
        let ready = futures_util::stream::once(async move { prepare.await.map(|()| users) });
        let users = ready.flat_map(|ready| -> UserStream {
            match ready {
                Ok(users) => users,
                Err(e) => Box::pin(futures_util::stream::iter([Err(e)])),
            }
        });
        UserExport {
            users: Box::pin(users),
            stats: self.stats,
        }
    }
}

impl fmt::Debug for UserExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserExport")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// The most malformed-record descriptions kept for the summary.
const MAX_SAMPLES: usize = 20;

/// Malformed records logged one by one before the log only counts them.
const MALFORMED_LOGGED: u64 = 10;

/// Counters shared between an export and its consumer. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct ExportStats(Arc<StatsInner>);

#[derive(Debug, Default)]
struct StatsInner {
    pages: AtomicU64,
    largest_page: AtomicU64,
    records: AtomicU64,
    malformed: AtomicU64,
    filtered_out: AtomicU64,
    duplicates: AtomicU64,
    partial: Mutex<BTreeMap<String, u64>>,
    samples: Mutex<Vec<String>>,
}

/// A snapshot of [`ExportStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Pages fetched (all endpoints).
    pub pages: u64,
    /// Raw records decoded (all endpoints).
    pub records: u64,
    /// Records skipped because they could not be decoded.
    pub malformed: u64,
    /// Users left out by the status or company filter.
    pub filtered_out: u64,
    /// Records or users that repeated one already exported (the first was kept).
    pub duplicates: u64,
    /// The most records one page held: a provider honours a page size when it is at most
    /// that (the testkit checks it). Not in the printed summary.
    #[serde(skip)]
    pub largest_page: u64,
    /// Users exported with only part of their data, by reason
    /// (e.g. `person-details without employment-details`).
    pub partial: BTreeMap<String, u64>,
    /// Descriptions of the first malformed records (ids and position only, never personal
    /// data).
    pub malformed_samples: Vec<String>,
}

impl ExportSummary {
    /// Why an export is too incomplete to be trusted (to replace a good export, or to be
    /// diffed into lifecycle events): more than half of the records read were malformed, or
    /// more than half of the `users` produced have only part of their data. `None` when it
    /// is whole enough.
    pub fn incomplete(&self, users: u64) -> Option<String> {
        let partial: u64 = self.partial.values().sum();
        if self.malformed > 0 && self.malformed.saturating_mul(2) > self.records {
            return Some(format!(
                "{} of {} records read could not be decoded",
                self.malformed, self.records
            ));
        }
        // Partial users are counted before the filters: compare with every user produced.
        let produced = users.saturating_add(self.filtered_out);
        if partial > 0 && partial.saturating_mul(2) > produced {
            return Some(format!(
                "{partial} of {produced} users have only part of their data (records without a partner)"
            ));
        }
        None
    }
}

impl ExportStats {
    /// Counts a fetched page of `records` raw records.
    pub fn add_page(&self, records: usize) {
        self.0.pages.fetch_add(1, Ordering::Relaxed);
        self.0.records.fetch_add(records as u64, Ordering::Relaxed);
        self.0
            .largest_page
            .fetch_max(records as u64, Ordering::Relaxed);
    }

    /// Counts a page of a listing (`label` names it: `GET /v1/users`) with its records, decoded
    /// or not, and moves out its malformed records' descriptions, counted as
    /// `GET /v1/users page 3, record 5: …`.
    pub fn add_listed_page<T>(&self, label: &str, page: &mut crate::paginate::Page<T>) {
        self.add_page(page.items.len().saturating_add(page.malformed.len()));
        for why in std::mem::take(&mut page.malformed) {
            self.add_malformed(format!("{label} page {}, {why}", page.number));
        }
    }

    /// Counts a skipped malformed record; `description` must hold no personal data. The first
    /// few are logged as warnings one by one; after them, one line says the summary counts
    /// the rest.
    pub fn add_malformed(&self, description: String) {
        let before = self.0.malformed.fetch_add(1, Ordering::Relaxed);
        if before < MALFORMED_LOGGED {
            tracing::warn!("skipped malformed record: {description}");
        } else if before == MALFORMED_LOGGED {
            tracing::warn!("more malformed records skipped; the summary counts them");
        }
        if let Ok(mut samples) = self.0.samples.lock() {
            if samples.len() < MAX_SAMPLES {
                samples.push(description);
            }
        }
    }

    /// Counts a user left out by the filters.
    pub fn add_filtered_out(&self) {
        self.0.filtered_out.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a record or user that repeats one already seen (the first is kept).
    pub fn add_duplicate(&self) {
        self.0.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a user exported with only part of its data.
    pub fn add_partial(&self, reason: &str) {
        if let Ok(mut partial) = self.0.partial.lock() {
            *partial.entry(reason.to_owned()).or_default() += 1;
        }
    }

    /// Malformed records counted so far.
    pub fn snapshot_malformed(&self) -> u64 {
        self.0.malformed.load(Ordering::Relaxed)
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.0.pages.load(Ordering::Relaxed)
    }

    /// The current values.
    pub fn snapshot(&self) -> ExportSummary {
        ExportSummary {
            pages: self.pages(),
            records: self.0.records.load(Ordering::Relaxed),
            malformed: self.0.malformed.load(Ordering::Relaxed),
            filtered_out: self.0.filtered_out.load(Ordering::Relaxed),
            duplicates: self.0.duplicates.load(Ordering::Relaxed),
            largest_page: self.0.largest_page.load(Ordering::Relaxed),
            partial: self.0.partial.lock().map(|p| p.clone()).unwrap_or_default(),
            malformed_samples: self.0.samples.lock().map(|s| s.clone()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn two_users(polled: Arc<AtomicU64>) -> UserExport {
        let users = futures_util::stream::iter(["a", "b"]).map(move |id| {
            polled.fetch_add(1, Ordering::SeqCst);
            Ok(User::new(id))
        });
        UserExport {
            users: Box::pin(users),
            stats: ExportStats::default(),
        }
    }

    /// `after`: the users follow a first pass that succeeded, and none is listed after one
    /// that failed (its error is the only item).
    #[tokio::test]
    async fn after_lists_the_users_only_once_the_first_pass_succeeded() {
        let polled = Arc::new(AtomicU64::new(0));
        let ready = Arc::new(AtomicU64::new(0));
        let seen = ready.clone();
        let export = two_users(polled.clone()).after(async move {
            seen.store(1, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(
            ready.load(Ordering::SeqCst),
            0,
            "nothing runs before polling"
        );
        let ids: Vec<String> = export.users.map(|u| u.unwrap().id).collect().await;
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(ready.load(Ordering::SeqCst), 1);

        let polled = Arc::new(AtomicU64::new(0));
        let failed = two_users(polled.clone()).after(async {
            Err(crate::Error::new(
                "t",
                crate::ErrorKind::Protocol,
                "first pass failed",
            ))
        });
        let items: Vec<Result<User>> = failed.users.collect().await;
        assert_eq!(items.len(), 1);
        assert!(items[0]
            .as_ref()
            .is_err_and(|e| e.message() == "first pass failed"));
        assert_eq!(polled.load(Ordering::SeqCst), 0, "no user listed");
    }
}
