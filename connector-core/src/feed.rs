//! A provider's change feed: who changed in a time window, so that a sync asks only for
//! them instead of listing the whole tenant.

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::error::Result;
use crate::User;

/// A user named by the feed: company and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserRef {
    /// The company (legal entity), when the provider has several.
    pub company_id: Option<String>,
    /// The user's id.
    pub id: String,
}

/// What a provider's change feed offers. A provider returns one from
/// [`Connector::change_feed`](crate::Connector::change_feed).
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// The shortest window the feed answers (UKG Pro: 3 hours). A sync whose window would be
    /// shorter lists the tenant instead.
    fn min_window(&self) -> Duration;

    /// The permission the feed needs, in the provider's words (for messages when it is
    /// missing).
    fn permission(&self) -> &'static str;

    /// The users changed in `[since, until)`, each once.
    async fn changed(&self, since: Timestamp, until: Timestamp) -> Result<Vec<UserRef>>;

    /// The current records of `users`; a user with no record any more is left out (gone).
    async fn fetch(&self, users: &[UserRef]) -> Result<Vec<User>>;
}
