//! Sync: what changed in a provider's users since the last sync of a saved connection, as
//! lifecycle events (`joined`, `left`, `rehired`, `status_changed`, `moved`, `changed`,
//! `removed`), generic over providers.
//!
//! A full listing is fed through a [`Differ`] against the connection's [`Baseline`] (a 64-bit
//! fingerprint per user); only users whose fingerprint differs, or who are new or gone, are
//! kept. Their previous records are read back ([`Pending::needs_before`]) and turned into
//! events ([`Pending::plan`]): every user whose normalized record differs (apart from
//! `updated_at`) gets at least one event, and no other user does. The caller writes the
//! events (and any users file) durably, then commits the [`SyncCommit`] to the connection
//! store; a run interrupted before the commit finds the same changes again, with the same
//! event ids.
//!
//! ```
//! use connector_core::sync::{Baseline, Differ, EventContext, EventType};
//! use connector_core::{User, UserStatus};
//!
//! let mut ann = User::new("E1");
//! ann.status = UserStatus::Active;
//! let ctx = EventContext {
//!     connection: "HR".into(),
//!     connection_id: "c1".into(),
//!     detected_at: "2026-11-25T08:00:00Z".parse().unwrap(),
//!     today: "2026-11-25".parse().unwrap(),
//!     baseline_events: false,
//! };
//! // The first sync records a baseline and emits nothing.
//! let mut first = Differ::new(None);
//! first.observe(&ann);
//! let plan = first.finish().plan(&Default::default(), &ctx);
//! assert!(plan.events.is_empty() && plan.baseline);
//!
//! // The next one finds Ann terminated.
//! let (key, before) = plan.commit.upserts[0].clone();
//! let fingerprints = [(key.clone(), before.fingerprint)].into();
//! let baseline = Baseline { fingerprints, version: 1, ..Baseline::default() };
//! ann.status = UserStatus::Terminated;
//! ann.termination_date = "2026-11-30".parse().ok();
//! let mut next = Differ::new(Some(baseline));
//! next.observe(&ann);
//! let pending = next.finish();
//! assert_eq!(pending.needs_before(), [key.clone()]);
//! let plan = pending.plan(&[(key, before)].into(), &ctx);
//! assert_eq!(plan.events.len(), 1);
//! assert_eq!(plan.events[0].kind, EventType::Left);
//! assert!(plan.events[0].future_dated);
//! ```

mod diff;
mod event;
mod guard;
mod snapshot;

pub use diff::{Baseline, Differ, EventContext, Pending, SyncCommit, SyncPlan};
pub use event::{Event, EventType, FieldChange};
pub use guard::{MassChange, GUARDED_FIELDS};
pub use snapshot::{fnv1a, user_key, Snapshot};

/// The share of users that may leave or disappear in one sync before it stops (10%).
pub const DEFAULT_MAX_DEPARTURE_SHARE: f64 = 0.10;
