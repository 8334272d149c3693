//! The diff: users observed one by one against the last state's fingerprints, then events for
//! the few that differ, with their previous records read back only for those.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::event::{Event, EventType};
use super::snapshot::{user_key, Snapshot};
use crate::{User, UserStatus};

/// What the last committed state says, compactly: a fingerprint per user key.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Fingerprint by user key.
    pub fingerprints: HashMap<String, u64>,
    /// Commits so far (part of every event id, so the same change found in a later sync is a
    /// new event).
    pub version: u64,
    /// Where the last sync stopped reading: a change feed's next window starts here.
    pub position: Option<Timestamp>,
    /// When the tenant was last listed whole (the periodic reconcile).
    pub last_full: Option<Timestamp>,
}

/// Feeds a listing through, one user at a time; keeps only what differs.
#[derive(Debug)]
pub struct Differ {
    first: bool,
    /// Only what a change feed named is observed: the rest is unchanged, not gone.
    partial: bool,
    gone: Vec<String>,
    version: u64,
    remaining: HashMap<String, u64>,
    previous_users: u64,
    changed: Vec<(String, Snapshot)>,
    joined: Vec<(String, Snapshot)>,
    users: u64,
}

impl Differ {
    /// A diff against `baseline`; `None` for a connection never synced (its first sync
    /// records a baseline).
    pub fn new(baseline: Option<Baseline>) -> Differ {
        let first = baseline.is_none();
        let baseline = baseline.unwrap_or_default();
        Differ {
            first,
            partial: false,
            gone: Vec::new(),
            version: baseline.version,
            previous_users: baseline.fingerprints.len() as u64,
            remaining: baseline.fingerprints,
            changed: Vec::new(),
            joined: Vec::new(),
            users: 0,
        }
    }

    /// A diff of only the users a change feed named ([`observe`](Self::observe) for those
    /// with a record, [`observe_gone`](Self::observe_gone) for those without): everyone else
    /// is unchanged.
    pub fn partial(baseline: Baseline) -> Differ {
        let mut differ = Differ::new(Some(baseline));
        differ.partial = true;
        differ
    }

    /// A user the feed named who has no record any more.
    pub fn observe_gone(&mut self, key: String) {
        self.gone.push(key);
    }

    /// Takes the next user of the listing.
    pub fn observe(&mut self, user: &User) {
        self.users += 1;
        let key = user_key(user);
        let snapshot = Snapshot::of(user);
        match self.remaining.remove(&key) {
            Some(fp) if fp == snapshot.fingerprint => {}
            Some(_) => self.changed.push((key, snapshot)),
            None => self.joined.push((key, snapshot)),
        }
    }

    /// The listing is complete: what is left of the baseline was not seen (removed). For a
    /// partial diff, only the users named gone are removed.
    pub fn finish(mut self) -> Pending {
        let mut removed: Vec<String> = if self.partial {
            let gone = std::mem::take(&mut self.gone);
            gone.into_iter()
                .filter(|k| self.remaining.remove(k).is_some())
                .collect()
        } else {
            self.remaining.into_keys().collect()
        };
        removed.sort();
        removed.dedup();
        let users = if self.partial {
            (self.previous_users + self.joined.len() as u64).saturating_sub(removed.len() as u64)
        } else {
            self.users
        };
        Pending {
            full: !self.partial,
            first: self.first,
            version: self.version,
            previous_users: self.previous_users,
            changed: self.changed,
            joined: self.joined,
            removed,
            users,
        }
    }
}

/// A finished listing's differences, before the previous records are read back.
#[derive(Debug)]
pub struct Pending {
    full: bool,
    first: bool,
    version: u64,
    previous_users: u64,
    changed: Vec<(String, Snapshot)>,
    joined: Vec<(String, Snapshot)>,
    removed: Vec<String>,
    users: u64,
}

/// Who and when, for the events.
#[derive(Debug, Clone)]
pub struct EventContext {
    /// The connection's name (shown in events).
    pub connection: String,
    /// The connection's stable id (part of event ids: a rename does not change them).
    pub connection_id: String,
    /// When the sync ran.
    pub detected_at: Timestamp,
    /// The day terminations are compared with (`future_dated`).
    pub today: Date,
    /// On a first sync, emit `joined` for everyone instead of only recording the baseline.
    pub baseline_events: bool,
}

/// What a sync found and what it will commit once its outputs are written.
#[derive(Debug)]
pub struct SyncPlan {
    /// The events, by user key and then type.
    pub events: Vec<Event>,
    /// The state to commit.
    pub commit: SyncCommit,
    /// Users in the listing.
    pub users: u64,
    /// Users in the state before.
    pub previous_users: u64,
    /// Whether this was the connection's first sync (a baseline).
    pub baseline: bool,
}

/// The change to the sync state, committed after the outputs are durable.
#[derive(Debug, Clone)]
pub struct SyncCommit {
    /// The state version this plan was computed from (a commit from another version is
    /// refused: two syncs of one connection at once).
    pub from_version: u64,
    /// New and changed users.
    pub upserts: Vec<(String, Snapshot)>,
    /// Users gone from the listing.
    pub deletes: Vec<String>,
    /// Users in the new state.
    pub users: u64,
    /// Whether the whole tenant was listed (not only what a change feed named).
    pub full: bool,
    /// The new state replaces the saved one whole (a reset): every saved user not in
    /// `upserts` goes, in the same transaction, so a reset is never half applied.
    pub replace: bool,
}

impl Pending {
    /// The keys whose previous records the events need (changed and removed users).
    pub fn needs_before(&self) -> Vec<String> {
        self.changed
            .iter()
            .map(|(k, _)| k.clone())
            .chain(self.removed.iter().cloned())
            .collect()
    }

    /// The events, given the previous records of [`needs_before`](Self::needs_before).
    pub fn plan(self, before: &HashMap<String, Snapshot>, ctx: &EventContext) -> SyncPlan {
        let mut events = Vec::new();
        let emit = !self.first || ctx.baseline_events;
        let make = EventMaker {
            ctx,
            version: self.version,
        };
        if emit {
            for (key, after) in &self.joined {
                events.extend(make.joined(key, after));
            }
            for (key, after) in &self.changed {
                match before.get(key) {
                    Some(b) => events.extend(make.changes(key, b, after)),
                    // A state without the record it fingerprinted: treat as new.
                    None => events.extend(make.joined(key, after)),
                }
            }
            for key in &self.removed {
                if let Some(b) = before.get(key) {
                    events.extend(make.removed(key, b));
                }
            }
        }
        events.sort_by(|a, b| {
            (&a.company_id, &a.user_id, a.kind).cmp(&(&b.company_id, &b.user_id, b.kind))
        });
        let mut upserts = self.joined;
        upserts.extend(self.changed);
        SyncPlan {
            events,
            commit: SyncCommit {
                from_version: self.version,
                upserts,
                deletes: self.removed,
                users: self.users,
                full: self.full,
                replace: false,
            },
            users: self.users,
            previous_users: self.previous_users,
            baseline: self.first,
        }
    }
}

impl SyncPlan {
    /// Events by type, in [`EventType::ALL`] order (types with none left out).
    pub fn counts(&self) -> Vec<(EventType, u64)> {
        EventType::ALL
            .iter()
            .map(|t| {
                (
                    *t,
                    self.events.iter().filter(|e| e.kind == *t).count() as u64,
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Fields compared for `moved`.
const MOVE_FIELDS: [&str; 3] = ["job_title", "department", "manager_id"];
/// Fields never compared: the key, and the provider's clock.
const IGNORED: [&str; 3] = ["id", "company_id", "updated_at"];

struct EventMaker<'a> {
    ctx: &'a EventContext,
    version: u64,
}

fn gone(status: UserStatus) -> bool {
    matches!(status, UserStatus::Terminated | UserStatus::Inactive)
}

fn fields(user: &User) -> Map<String, Value> {
    match serde_json::to_value(user) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

impl EventMaker<'_> {
    fn event(
        &self,
        kind: EventType,
        key: &str,
        user: &User,
        fingerprints: (u64, u64),
        changes: Map<String, Value>,
    ) -> Event {
        let id_text = format!(
            "{}\0{}\0{key}\0{}\0{:016x}\0{:016x}",
            self.ctx.connection_id,
            self.version,
            kind.as_str(),
            fingerprints.0,
            fingerprints.1
        );
        let digest = ring::digest::digest(&ring::digest::SHA256, id_text.as_bytes());
        let event_id: String = digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Event {
            event_id,
            kind,
            connection: self.ctx.connection.clone(),
            user_id: user.id.clone(),
            company_id: user.company_id.clone(),
            detected_at: self.ctx.detected_at,
            effective_date: None,
            future_dated: false,
            changes,
        }
    }

    fn whole(user: &User, side: &str) -> Map<String, Value> {
        fields(user)
            .into_iter()
            .filter(|(k, v)| !v.is_null() && k != "updated_at")
            .map(|(k, v)| {
                let mut change = Map::new();
                change.insert(side.to_owned(), v);
                (k, Value::Object(change))
            })
            .collect()
    }

    fn joined(&self, key: &str, after: &Snapshot) -> Option<Event> {
        let user = after.user()?;
        let mut e = self.event(
            EventType::Joined,
            key,
            &user,
            (0, after.fingerprint),
            Self::whole(&user, "after"),
        );
        e.effective_date = user.hire_date;
        Some(e)
    }

    fn removed(&self, key: &str, before: &Snapshot) -> Option<Event> {
        let user = before.user()?;
        Some(self.event(
            EventType::Removed,
            key,
            &user,
            (before.fingerprint, 0),
            Self::whole(&user, "before"),
        ))
    }

    /// The events of a user whose record differs: every differing field lands in exactly
    /// one of them.
    fn changes(&self, key: &str, before: &Snapshot, after: &Snapshot) -> Vec<Event> {
        let (Some(before_user), Some(after_user)) = (before.user(), after.user()) else {
            return Vec::new();
        };
        let (b, a) = (fields(&before_user), fields(&after_user));
        let mut differing: Vec<(String, Value, Value)> = b
            .iter()
            .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
            .filter_map(|(k, bv)| {
                let av = a.get(k).cloned().unwrap_or(Value::Null);
                (bv != &av).then(|| (k.clone(), bv.clone(), av))
            })
            .collect();
        let mut take = |names: &[&str]| -> Map<String, Value> {
            let mut out = Map::new();
            differing.retain(|(k, bv, av)| {
                if names.contains(&k.as_str()) {
                    out.insert(k.clone(), serde_json::json!({"before": bv, "after": av}));
                    false
                } else {
                    true
                }
            });
            out
        };
        let (bs, as_) = (before_user.status, after_user.status);
        let mut events = Vec::new();
        let fps = (before.fingerprint, after.fingerprint);
        if !gone(bs) && gone(as_) {
            let mut e = self.event(
                EventType::Left,
                key,
                &after_user,
                fps,
                take(&["status", "provider_status", "termination_date"]),
            );
            e.effective_date = after_user.termination_date;
            e.future_dated = after_user
                .termination_date
                .is_some_and(|d| d > self.ctx.today);
            events.push(e);
        } else if gone(bs) && !gone(as_) {
            let mut e = self.event(
                EventType::Rehired,
                key,
                &after_user,
                fps,
                take(&["status", "provider_status", "hire_date", "termination_date"]),
            );
            e.effective_date = after_user.hire_date;
            events.push(e);
        } else if bs != as_ {
            events.push(self.event(
                EventType::StatusChanged,
                key,
                &after_user,
                fps,
                take(&["status", "provider_status"]),
            ));
        }
        let moved = take(&MOVE_FIELDS);
        if !moved.is_empty() {
            events.push(self.event(EventType::Moved, key, &after_user, fps, moved));
        }
        let changed: Map<String, Value> = differing
            .into_iter()
            .map(|(k, bv, av)| (k, serde_json::json!({"before": bv, "after": av})))
            .collect();
        if !changed.is_empty() {
            events.push(self.event(EventType::Changed, key, &after_user, fps, changed));
        }
        events
    }
}
