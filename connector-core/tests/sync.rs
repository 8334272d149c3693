//! The sync diff: which events, for whom, with which ids; the mass-change guard.

use std::collections::{HashMap, HashSet};

use connector_core::sync::{
    Baseline, Differ, EventContext, EventType, Snapshot, SyncPlan, DEFAULT_MAX_DEPARTURE_SHARE,
};
use connector_core::{User, UserStatus};
use proptest::prelude::*;

fn ctx() -> EventContext {
    EventContext {
        connection: "HR".into(),
        connection_id: "conn-1".into(),
        detected_at: "2026-11-25T08:00:00Z".parse().unwrap(),
        today: "2026-11-25".parse().unwrap(),
        baseline_events: false,
    }
}

fn user(i: u32) -> User {
    let mut u = User::new(format!("E{i}"));
    u.company_id = Some("C1".into());
    u.first_name = Some(format!("First{i}"));
    u.last_name = Some("Last".into());
    u.email = Some(format!("e{i}@example.com"));
    u.job_title = Some("Engineer".into());
    u.department = Some("ENG".into());
    u.status = UserStatus::Active;
    u.provider_status = Some("A".into());
    u.hire_date = "2020-01-01".parse().ok();
    u
}

/// A store of one connection, in memory: what the state would hold after each commit.
#[derive(Default)]
struct State {
    records: HashMap<String, Snapshot>,
    version: u64,
    synced: bool,
}

impl State {
    fn sync(&self, users: &[User], ctx: &EventContext) -> SyncPlan {
        let baseline = self.synced.then(|| Baseline {
            fingerprints: self
                .records
                .iter()
                .map(|(k, s)| (k.clone(), s.fingerprint))
                .collect(),
            version: self.version,
            ..Baseline::default()
        });
        let mut differ = Differ::new(baseline);
        for u in users {
            differ.observe(u);
        }
        let pending = differ.finish();
        let before: HashMap<String, Snapshot> = pending
            .needs_before()
            .into_iter()
            .filter_map(|k| self.records.get(&k).map(|s| (k, s.clone())))
            .collect();
        pending.plan(&before, ctx)
    }

    fn commit(&mut self, plan: &SyncPlan) {
        assert_eq!(plan.commit.from_version, self.version);
        for k in &plan.commit.deletes {
            self.records.remove(k);
        }
        for (k, s) in &plan.commit.upserts {
            self.records.insert(k.clone(), s.clone());
        }
        self.version += 1;
        self.synced = true;
    }
}

fn kinds(plan: &SyncPlan, id: &str) -> Vec<EventType> {
    plan.events
        .iter()
        .filter(|e| e.user_id == id)
        .map(|e| e.kind)
        .collect()
}

#[test]
fn each_kind_of_change_gives_its_event_and_nothing_else_does() {
    let mut state = State::default();
    let day0: Vec<User> = (0..10).map(user).collect();
    let plan = state.sync(&day0, &ctx());
    assert!(plan.baseline && plan.events.is_empty());
    state.commit(&plan);

    let mut day1 = day0.clone();
    day1[1].status = UserStatus::Terminated;
    day1[1].provider_status = Some("T".into());
    day1[1].termination_date = "2026-11-20".parse().ok();
    day1[2].status = UserStatus::Terminated;
    day1[2].termination_date = "2026-12-31".parse().ok();
    day1[3].status = UserStatus::Leave;
    day1[4].job_title = Some("Manager".into());
    day1[4].email = Some("new@example.com".into());
    day1[5].updated_at = "2026-11-25T01:00:00".parse().ok(); // the clock alone: no event
    day1.retain(|u| u.id != "E6");
    day1.push(user(42));
    let plan = state.sync(&day1, &ctx());
    assert_eq!(kinds(&plan, "E1"), [EventType::Left]);
    let left = plan.events.iter().find(|e| e.user_id == "E1").unwrap();
    assert_eq!(left.effective_date, "2026-11-20".parse().ok());
    assert!(!left.future_dated);
    assert_eq!(left.changes["status"]["before"], "active");
    assert_eq!(left.changes["provider_status"]["after"], "T");
    let future = plan.events.iter().find(|e| e.user_id == "E2").unwrap();
    assert!(future.future_dated);
    assert_eq!(kinds(&plan, "E3"), [EventType::StatusChanged]);
    assert_eq!(kinds(&plan, "E4"), [EventType::Moved, EventType::Changed]);
    let moved = plan
        .events
        .iter()
        .find(|e| e.kind == EventType::Moved)
        .unwrap();
    assert_eq!(moved.changes.len(), 1);
    assert_eq!(moved.changes["job_title"]["after"], "Manager");
    assert!(kinds(&plan, "E5").is_empty());
    assert_eq!(kinds(&plan, "E6"), [EventType::Removed]);
    assert_eq!(kinds(&plan, "E42"), [EventType::Joined]);
    assert_eq!(plan.events.len(), 7);
    state.commit(&plan);

    // Rehired: terminated, then active again.
    let mut day2 = day1.clone();
    let e1 = day2.iter_mut().find(|u| u.id == "E1").unwrap();
    e1.status = UserStatus::Active;
    e1.provider_status = Some("A".into());
    e1.termination_date = None;
    e1.hire_date = "2026-11-24".parse().ok();
    let plan = state.sync(&day2, &ctx());
    assert_eq!(kinds(&plan, "E1"), [EventType::Rehired]);
    assert_eq!(plan.events.len(), 1);
    assert_eq!(plan.events[0].effective_date, "2026-11-24".parse().ok());
}

#[test]
fn event_ids_repeat_for_a_re_run_and_differ_for_a_later_sync() {
    let mut state = State::default();
    let day0: Vec<User> = (0..3).map(user).collect();
    let plan = state.sync(&day0, &ctx());
    state.commit(&plan);
    let mut day1 = day0.clone();
    day1[0].job_title = Some("Manager".into());
    let first = state.sync(&day1, &ctx());
    // Interrupted before the commit: the re-run finds the same event, same id.
    let again = state.sync(&day1, &ctx());
    assert_eq!(first.events[0].event_id, again.events[0].event_id);
    assert_eq!(first.events[0].event_id.len(), 32);
    state.commit(&first);
    // Back and forth: the same change later is a new event.
    state.commit(&state.sync(&day0, &ctx()));
    let later = state.sync(&day1, &ctx());
    assert_eq!(later.events.len(), 1);
    assert_ne!(later.events[0].event_id, first.events[0].event_id);
}

#[test]
fn a_first_sync_can_emit_everyone_as_joined() {
    let mut c = ctx();
    c.baseline_events = true;
    let plan = State::default().sync(&(0..4).map(user).collect::<Vec<_>>(), &c);
    assert_eq!(plan.events.len(), 4);
    assert!(plan.events.iter().all(|e| e.kind == EventType::Joined));
    assert_eq!(plan.events[0].changes["email"]["after"], "e0@example.com");
}

#[test]
fn the_guard_trips_on_a_truncated_listing() {
    let mut state = State::default();
    let day0: Vec<User> = (0..100).map(user).collect();
    state.commit(&state.sync(&day0, &ctx()));
    // 10 of 100 gone: at the limit, allowed.
    let plan = state.sync(&day0[..90], &ctx());
    assert_eq!(plan.departures(), 10);
    assert!(plan.check_mass_changes(DEFAULT_MAX_DEPARTURE_SHARE).is_ok());
    // A listing cut in half: stopped.
    let plan = state.sync(&day0[..50], &ctx());
    let e = plan
        .check_mass_changes(DEFAULT_MAX_DEPARTURE_SHARE)
        .unwrap_err();
    assert_eq!((e.departures, e.previous_users), (50, 100));
    assert!(e.to_string().contains("50 of 100 users"), "{e}");
    assert!(plan.check_mass_changes(0.6).is_ok());
}

/// A mutation of one user's record.
fn mutate(u: &mut User, how: u8) {
    match how % 9 {
        0 => u.status = UserStatus::Terminated,
        1 => u.status = UserStatus::Leave,
        2 => u.job_title = Some(format!("{}+", u.job_title.clone().unwrap_or_default())),
        3 => u.manager_id = Some("E0".into()),
        4 => u.email = None,
        5 => u.last_name = Some("Changed".into()),
        6 => u.termination_date = "2027-01-01".parse().ok(),
        7 => u.status = UserStatus::Inactive,
        _ => u.updated_at = "2026-01-01T00:00:00".parse().ok(),
    }
}

proptest! {
    /// Every user whose record differs (apart from `updated_at`) gets at least one event, and
    /// no other user does; a user's differing fields are each in exactly one of its events.
    #[test]
    fn events_cover_exactly_the_users_that_differ(
        population in 1u32..60,
        mutations in proptest::collection::vec((0u32..80, any::<u8>()), 0..40),
        removals in proptest::collection::vec(0u32..80, 0..10),
        additions in 0u32..5,
    ) {
        let mut state = State::default();
        let day0: Vec<User> = (0..population).map(user).collect();
        state.commit(&state.sync(&day0, &ctx()));
        let mut day1 = day0.clone();
        for (i, how) in &mutations {
            if let Some(u) = day1.get_mut(*i as usize) {
                mutate(u, *how);
            }
        }
        day1.retain(|u| !removals.iter().any(|r| u.id == format!("E{r}")));
        day1.extend((0..additions).map(|i| user(1000 + i)));
        let plan = state.sync(&day1, &ctx());

        let strip = |u: &User| { let mut u = u.clone(); u.updated_at = None; u };
        let before: HashMap<&str, &User> = day0.iter().map(|u| (u.id.as_str(), u)).collect();
        let after: HashMap<&str, &User> = day1.iter().map(|u| (u.id.as_str(), u)).collect();
        let mut differing: HashSet<String> = HashSet::new();
        for id in before.keys().chain(after.keys()) {
            let same = match (before.get(id), after.get(id)) {
                (Some(b), Some(a)) => strip(b) == strip(a),
                _ => false,
            };
            if !same {
                differing.insert((*id).to_owned());
            }
        }
        let with_events: HashSet<String> = plan.events.iter().map(|e| e.user_id.clone()).collect();
        prop_assert_eq!(&with_events, &differing);
        for e in &plan.events {
            if let (Some(b), Some(a)) = (before.get(e.user_id.as_str()), after.get(e.user_id.as_str())) {
                let (b, a) = (serde_json::to_value(strip(b)).unwrap(), serde_json::to_value(strip(a)).unwrap());
                for (field, change) in &e.changes {
                    prop_assert_eq!(&change["before"], &b[field]);
                    prop_assert_eq!(&change["after"], &a[field]);
                }
            }
        }
        // No field is reported twice for one user.
        let mut seen = HashSet::new();
        for e in &plan.events {
            for field in e.changes.keys() {
                prop_assert!(seen.insert((e.user_id.clone(), field.clone())) || e.kind == EventType::Joined || e.kind == EventType::Removed);
            }
        }
    }
}

/// A change feed's diff sees only the users it names: the others are unchanged, not gone;
/// a named user without a record is removed; the same changes give the same events as a
/// full listing would.
#[test]
fn a_partial_diff_matches_the_full_one_on_what_the_feed_names() {
    let mut state = State::default();
    let day0: Vec<User> = (0..20).map(user).collect();
    state.commit(&state.sync(&day0, &ctx()));
    let mut day1 = day0.clone();
    day1[3].job_title = Some("Manager".into());
    day1[4].status = UserStatus::Terminated;
    day1.retain(|u| u.id != "E5");
    day1.push(user(77));
    let full = state.sync(&day1, &ctx());

    let baseline = Baseline {
        fingerprints: state
            .records
            .iter()
            .map(|(k, s)| (k.clone(), s.fingerprint))
            .collect(),
        version: state.version,
        ..Baseline::default()
    };
    let mut partial = Differ::partial(baseline);
    for id in ["E3", "E4", "E77"] {
        partial.observe(day1.iter().find(|u| u.id == id).unwrap());
    }
    partial.observe_gone("C1/E5".into());
    partial.observe_gone("C1/E999".into()); // named, never known: nothing to remove
    let pending = partial.finish();
    let before: HashMap<String, Snapshot> = pending
        .needs_before()
        .into_iter()
        .filter_map(|k| state.records.get(&k).map(|s| (k, s.clone())))
        .collect();
    let plan = pending.plan(&before, &ctx());
    let ids = |p: &SyncPlan| -> Vec<(String, EventType, String)> {
        p.events
            .iter()
            .map(|e| (e.user_id.clone(), e.kind, e.event_id.clone()))
            .collect()
    };
    assert_eq!(ids(&plan), ids(&full));
    assert_eq!(plan.commit.users, 20, "20 - 1 removed + 1 joined");
    assert!(!plan.commit.full && full.commit.full);
}
