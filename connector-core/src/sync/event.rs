//! Lifecycle events: what happened to a user between two syncs.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A user not seen before.
    Joined,
    /// A former employee (terminated or inactive) is employed again.
    Rehired,
    /// Terminated or released (`effective_date`: the termination date; `future_dated` when
    /// that is still ahead).
    Left,
    /// Another status change (active, leave, suspended …).
    StatusChanged,
    /// Job title, department or manager changed.
    Moved,
    /// Any other field of the normalized user changed (names, e-mails, user name, employee
    /// number, dates …).
    Changed,
    /// Gone from the listing without a termination.
    Removed,
}

impl EventType {
    /// Every type, in the order a user's events are emitted.
    pub const ALL: [EventType; 7] = [
        EventType::Joined,
        EventType::Rehired,
        EventType::Left,
        EventType::StatusChanged,
        EventType::Moved,
        EventType::Changed,
        EventType::Removed,
    ];

    /// Its name in events (`status_changed`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Joined => "joined",
            EventType::Rehired => "rehired",
            EventType::Left => "left",
            EventType::StatusChanged => "status_changed",
            EventType::Moved => "moved",
            EventType::Changed => "changed",
            EventType::Removed => "removed",
        }
    }

    /// Whether it takes a user out (`left`, `removed`): what the mass-change guard counts.
    pub fn is_departure(self) -> bool {
        matches!(self, EventType::Left | EventType::Removed)
    }
}

/// A field's value before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Before (`null` when it had none).
    pub before: Value,
    /// After (`null` when it has none).
    pub after: Value,
}

/// One lifecycle event, a line of the events file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Deterministic: the same change found again (a re-run after an interruption) has the
    /// same id, so consumers can drop repeats.
    pub event_id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The connection it was found on.
    pub connection: String,
    /// The user's id.
    pub user_id: String,
    /// The user's company.
    pub company_id: Option<String>,
    /// When the sync found it.
    pub detected_at: Timestamp,
    /// When it takes effect, where the record says (hire date, termination date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<Date>,
    /// A termination dated after the day it was found.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub future_dated: bool,
    /// The fields that changed, before and after (for `joined` and `removed`: every field of
    /// the record that has a value).
    pub changes: Map<String, Value>,
}
