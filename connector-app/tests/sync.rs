//! The sync use case without the binary: a saved connection on the embedded UKG Pro sandbox,
//! one simulated day after another, in a SQLite store of its own.

use connector_app::sync::{
    self, ListingReason, SyncFailure, SyncMethod, SyncOutput, SyncProgress, SyncRequest,
};
use connector_core::sandbox::SandboxOptions;
use connector_core::sync::Event;
use connector_store::{
    ConnectionName, ConnectionStore, KeySource, MasterKey, SqliteStore, Store, ValidSettings,
};
use connector_ukgpro::sandbox::days::date_of;
use jiff::Timestamp;

/// Events kept in memory; fails delivery when told to.
#[derive(Default)]
struct Collected {
    events: Vec<Event>,
    users: usize,
    want_users: bool,
    fail: bool,
}

impl SyncOutput for Collected {
    fn wants_users(&self) -> bool {
        self.want_users
    }
    fn user(&mut self, _: &connector_core::User) -> std::io::Result<()> {
        self.users += 1;
        Ok(())
    }
    fn deliver(&mut self, events: &[Event]) -> std::io::Result<()> {
        if self.fail {
            return Err(std::io::Error::other("the queue is down"));
        }
        self.events.extend_from_slice(events);
        Ok(())
    }
}

/// The sandbox of `day` on `port` (the saved connection's URL stays the same).
async fn sandbox(port: u16, day: u32) -> connector_core::sandbox::SandboxHandle {
    let mut options = SandboxOptions::with_employees(400);
    options.port = port;
    options.seed = 7;
    options.day = day;
    for _ in 0..50 {
        if let Ok(s) = connector_ukgpro::sandbox::start(options.clone()).await {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the sandbox of day {day} did not start");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn noon_of(day: u32) -> Timestamp {
    format!("{}T12:00:00Z", date_of(day)).parse().unwrap()
}

fn request(day: u32) -> SyncRequest {
    let mut r = SyncRequest::new("payroll");
    r.as_of = Some(noon_of(day));
    r
}

/// A store with the connection `Payroll` saved on the sandbox of day 0.
async fn saved(home: &std::path::Path, settings: serde_json::Value) -> Box<dyn Store> {
    std::hint::black_box(connector_ukgpro::descriptor());
    let store = SqliteStore::open(home, KeySource::Given(MasterKey::generate())).unwrap();
    let descriptor = connector_core::registry::provider("ukgpro").unwrap();
    let settings = ValidSettings::validate(descriptor, settings).unwrap();
    store
        .add(&ConnectionName::parse("Payroll").unwrap(), settings)
        .await
        .unwrap();
    Box::new(store)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_plans_delivers_then_commits_and_a_failed_delivery_commits_nothing() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let day0 = sandbox(port, 0).await;
    let store = saved(home.path(), day0.settings.clone()).await;

    // Day 0: a baseline, every user listed, nothing delivered but an empty batch.
    let mut heard = Vec::new();
    let mut out = Collected::default();
    let first = sync::run(&*store, &request(0), &mut out, &mut |p| heard.push(p))
        .await
        .unwrap();
    assert!(first.baseline && first.events == 0 && out.events.is_empty());
    assert_eq!((first.users, first.committed), (400, Some(1)));
    assert_eq!(first.method, SyncMethod::FullListing);
    assert_eq!(heard, [SyncProgress::ListingEveryone { reason: None }]);

    // Day 1, delivery fails: nothing committed, and the next run delivers the same events.
    drop(day0);
    let _day1 = sandbox(port, 1).await;
    let mut broken = Collected {
        fail: true,
        ..Collected::default()
    };
    let failed = sync::run(&*store, &request(1), &mut broken, &mut |_| {}).await;
    assert!(
        matches!(failed, Err(SyncFailure::Undelivered(_))),
        "{failed:?}"
    );
    assert_eq!(
        store
            .sync_baseline("Payroll")
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );

    let mut dry = Collected::default();
    let mut r = request(1);
    r.dry_run = true;
    let report = sync::run(&*store, &r, &mut dry, &mut |_| {}).await.unwrap();
    assert_eq!(report.committed, None);
    assert!(!dry.events.is_empty(), "day 1 brings changes");
    assert_eq!(
        store
            .sync_baseline("Payroll")
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );

    let mut heard = Vec::new();
    let mut out = Collected::default();
    let second = sync::run(&*store, &request(1), &mut out, &mut |p| heard.push(p))
        .await
        .unwrap();
    assert_eq!(second.committed, Some(2));
    assert_eq!(second.method, SyncMethod::ChangeFeed, "{heard:?}");
    assert!(
        matches!(heard[0], SyncProgress::AskingFeed { .. }),
        "{heard:?}"
    );
    let ids =
        |events: &[Event]| -> Vec<String> { events.iter().map(|e| e.event_id.clone()).collect() };
    assert_eq!(
        ids(&out.events),
        ids(&dry.events),
        "the same events, with the same ids"
    );
    assert_eq!(second.events, out.events.len());
    assert_eq!(
        second.counts.iter().map(|(_, n)| n).sum::<u64>(),
        out.events.len() as u64
    );

    // Nothing changed since: nothing to deliver.
    let mut out = Collected::default();
    let third = sync::run(&*store, &request(1), &mut out, &mut |_| {})
        .await
        .unwrap();
    assert_eq!((third.events, third.committed), (0, Some(3)));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guard_stops_unless_allowed_and_a_users_file_lists_everyone() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let day0 = sandbox(port, 0).await;
    let store = saved(home.path(), day0.settings.clone()).await;
    sync::run(&*store, &request(0), &mut Collected::default(), &mut |_| {})
        .await
        .unwrap();
    drop(day0);
    let _day3 = sandbox(port, 3).await;

    // No departure at all allowed: whoever left on days 1 to 3 stops the sync.
    let mut strict = request(3);
    strict.max_departure_share = 0.0;
    strict.full = true;
    let mut out = Collected::default();
    let stopped = sync::run(&*store, &strict, &mut out, &mut |_| {}).await;
    match stopped {
        Err(SyncFailure::Stopped { connection, why }) => {
            assert_eq!(connection, "Payroll");
            assert!(why.contains("0%") || why.contains("left"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(out.events.is_empty(), "nothing delivered");
    assert_eq!(
        store
            .sync_baseline("Payroll")
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );

    strict.allow_mass_changes = true;
    let mut heard = Vec::new();
    let mut out = Collected {
        want_users: true,
        ..Collected::default()
    };
    let report = sync::run(&*store, &strict, &mut out, &mut |p| heard.push(p))
        .await
        .unwrap();
    assert_eq!(report.committed, Some(2));
    assert_eq!(
        out.users as u64, report.users,
        "every user handed to the output"
    );
    assert!(heard.contains(&SyncProgress::ListingEveryone {
        reason: Some(ListingReason::Asked)
    }));
    assert!(heard
        .iter()
        .any(|p| matches!(p, SyncProgress::MassChangesAllowed { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_of_another_provider_or_an_unknown_one_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let day0 = sandbox(0, 0).await;
    let store = saved(home.path(), day0.settings.clone()).await;
    let mut r = request(0);
    r.provider = Some("scim".into());
    let refused = sync::run(&*store, &r, &mut Collected::default(), &mut |_| {}).await;
    assert!(
        matches!(
            refused,
            Err(SyncFailure::Store(
                connector_store::StoreError::WrongProvider { .. }
            ))
        ),
        "{refused:?}"
    );
    let mut r = request(0);
    r.connection = "Payrol".into();
    let unknown = sync::run(&*store, &r, &mut Collected::default(), &mut |_| {}).await;
    assert!(
        matches!(
            unknown,
            Err(SyncFailure::Store(
                connector_store::StoreError::UnknownConnection { .. }
            ))
        ),
        "{unknown:?}"
    );
    assert!(store.sync_baseline("Payroll").await.unwrap().is_none());
}
