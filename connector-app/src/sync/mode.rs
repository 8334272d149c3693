//! How a sync finds changes: by a full listing, or by the provider's change feed when it has
//! one and may be used now.

use connector_core::feed::ChangeFeed;
use connector_core::sync::Baseline;
use jiff::{SignedDuration, Timestamp};

/// A feed may name at most this share of the users; past it, a listing costs less.
pub(crate) const FEED_SHARE: f64 = 0.05;

/// Why a sync lists every user although the provider has a change feed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ListingReason {
    /// A full listing was asked for ([`SyncRequest::full`](super::SyncRequest::full)).
    Asked,
    /// The output wants every user (a users file).
    UsersWanted,
    /// The state has no feed position yet (its last sync listed before feeds were used).
    NoFeedPosition,
    /// The periodic full reconcile is due.
    ReconcileDue {
        /// Days since the last full listing.
        days: i64,
        /// The reconcile period in days ([`SyncRequest::reconcile_days`](super::SyncRequest::reconcile_days)).
        every: u32,
    },
    /// The window since the last sync is shorter than the feed can answer.
    WindowTooShort {
        /// The feed's shortest window (`3 h`).
        min: String,
        /// The window (`1 h`).
        window: String,
    },
    /// The feed needs a permission the account lacks.
    FeedPermission {
        /// The permission to grant.
        permission: String,
        /// The provider's message.
        message: String,
    },
    /// The feed names so many users that a listing costs less.
    FeedNamesTooMany {
        /// Users it named.
        named: u64,
        /// Users in the state.
        users: u64,
    },
}

impl std::fmt::Display for ListingReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListingReason::Asked => write!(f, "a full listing was asked for"),
            ListingReason::UsersWanted => write!(f, "the users file asked for needs every user"),
            ListingReason::NoFeedPosition => write!(f, "the state has no feed position yet"),
            ListingReason::ReconcileDue { days, every } => write!(
                f,
                "the periodic full reconcile is due (last full listing {days} days ago; every {every} days)"
            ),
            ListingReason::WindowTooShort { min, window } => write!(
                f,
                "the change feed answers windows of at least {min} and the last sync was {window} ago"
            ),
            ListingReason::FeedPermission { permission, message } => write!(
                f,
                "the change feed needs View on \u{201c}{permission}\u{201d}, which the account lacks ({message})"
            ),
            ListingReason::FeedNamesTooMany { named, users } => write!(
                f,
                "the change feed names {} users, more than {}% of {}, which a listing fetches more cheaply",
                crate::count(*named),
                (FEED_SHARE * 100.0).round(),
                crate::count(*users)
            ),
        }
    }
}

/// How this sync finds changes.
#[derive(Debug, PartialEq)]
pub(crate) enum Mode {
    /// List every user; the reason when a feed exists but is not used.
    Full(Option<ListingReason>),
    /// Ask the feed for what changed since `since`.
    Feed {
        /// Where the window starts (the last sync's time).
        since: Timestamp,
    },
}

/// Chooses: a first sync, a full listing asked for, a users file (which needs every user), a provider without
/// a feed, a reconcile that is due, or a window shorter than the feed answers all list.
pub(crate) fn choose(
    baseline: Option<&Baseline>,
    feed: Option<&dyn ChangeFeed>,
    now: Timestamp,
    full: bool,
    needs_everyone: bool,
    reconcile_days: u32,
) -> Mode {
    let (Some(baseline), Some(feed)) = (baseline, feed) else {
        return Mode::Full(None);
    };
    if full {
        return Mode::Full(Some(ListingReason::Asked));
    }
    if needs_everyone {
        return Mode::Full(Some(ListingReason::UsersWanted));
    }
    let (Some(since), Some(last_full)) = (baseline.position, baseline.last_full) else {
        return Mode::Full(Some(ListingReason::NoFeedPosition));
    };
    let days = now.duration_since(last_full).as_secs() / 86_400;
    if days >= i64::from(reconcile_days) {
        return Mode::Full(Some(ListingReason::ReconcileDue {
            days,
            every: reconcile_days,
        }));
    }
    let window = now.duration_since(since);
    let min = SignedDuration::try_from(feed.min_window()).unwrap_or(SignedDuration::MAX);
    if window < min {
        return Mode::Full(Some(ListingReason::WindowTooShort {
            min: human(min),
            window: human(window),
        }));
    }
    Mode::Feed { since }
}

/// `3 h`, `25 min`, `40 s`.
fn human(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    if s >= 3600 && s % 3600 == 0 {
        format!("{} h", s / 3600)
    } else if s >= 3600 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else if s >= 60 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::feed::UserRef;
    use connector_core::reexports::async_trait;
    use connector_core::User;

    struct ThreeHours;

    #[async_trait]
    impl ChangeFeed for ThreeHours {
        fn min_window(&self) -> std::time::Duration {
            std::time::Duration::from_secs(3 * 3600)
        }
        fn permission(&self) -> &'static str {
            "Employee Export"
        }
        async fn changed(
            &self,
            _: Timestamp,
            _: Timestamp,
        ) -> connector_core::Result<Vec<UserRef>> {
            Ok(Vec::new())
        }
        async fn fetch(&self, _: &[UserRef]) -> connector_core::Result<Vec<User>> {
            Ok(Vec::new())
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_feed_is_used_only_when_it_can_answer() {
        let feed: &dyn ChangeFeed = &ThreeHours;
        let state = Baseline {
            position: Some(at("2026-01-05T12:00:00Z")),
            last_full: Some(at("2026-01-05T12:00:00Z")),
            ..Baseline::default()
        };
        let later = at("2026-01-06T12:00:00Z");
        assert_eq!(
            choose(Some(&state), Some(feed), later, false, false, 7),
            Mode::Feed {
                since: at("2026-01-05T12:00:00Z")
            }
        );
        assert_eq!(
            choose(None, Some(feed), later, false, false, 7),
            Mode::Full(None)
        );
        assert_eq!(
            choose(Some(&state), None, later, false, false, 7),
            Mode::Full(None)
        );
        let Mode::Full(Some(why)) = choose(
            Some(&state),
            Some(feed),
            at("2026-01-05T13:00:00Z"),
            false,
            false,
            7,
        ) else {
            panic!("a 1-hour window lists");
        };
        let why = why.to_string();
        assert!(
            why.contains("at least 3 h") && why.contains("1 h ago"),
            "{why}"
        );
        let Mode::Full(Some(why)) = choose(
            Some(&state),
            Some(feed),
            at("2026-01-13T12:00:00Z"),
            false,
            false,
            7,
        ) else {
            panic!("a reconcile is due after 7 days");
        };
        let why = why.to_string();
        assert!(why.contains("8 days ago"), "{why}");
        assert!(matches!(
            choose(Some(&state), Some(feed), later, true, false, 7),
            Mode::Full(Some(_))
        ));
        assert!(matches!(
            choose(Some(&state), Some(feed), later, false, true, 7),
            Mode::Full(Some(_))
        ));
    }
}
