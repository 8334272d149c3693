//! The sync state kept with each connection.

use super::*;

fn listing(users: Vec<connector_core::User>) -> connector_core::UserStream {
    Box::pin(futures_util::stream::iter(users.into_iter().map(Ok)))
}

fn person(i: u32, title: &str) -> connector_core::User {
    let mut u = connector_core::User::new(format!("E{i}"));
    u.company_id = Some("C1".into());
    u.job_title = Some(title.into());
    u.status = connector_core::UserStatus::Active;
    u
}

/// The sync state lives with the connection: committed all or nothing, versioned (a stale
/// plan is refused), reset on request, and removed with the connection.
#[tokio::test]
async fn the_sync_state_is_committed_versioned_reset_and_removed_with_its_connection() {
    use connector_store::{plan, PlanOptions, SyncStateStore};
    let home = tempfile::tempdir().unwrap();
    let store = file_store(home.path());
    let info = store.add(&name("HR"), valid(PASSWORD)).await.unwrap();
    let options = PlanOptions {
        detected_at: "2026-11-25T08:00:00Z".parse().unwrap(),
        today: "2026-11-25".parse().unwrap(),
        baseline_events: false,
    };
    assert!(store.sync_baseline("HR").await.unwrap().is_none());
    let mut seen = 0;
    let day0: Vec<_> = (0..5).map(|i| person(i, "Engineer")).collect();
    let first = plan(&store, &info, None, listing(day0.clone()), &options, |_| {
        seen += 1;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(seen, 5);
    assert!(first.baseline && first.events.is_empty());
    assert_eq!(
        store
            .commit_sync("hr", first.commit.clone(), options.detected_at)
            .await
            .unwrap(),
        1
    );
    let baseline = store.sync_baseline("HR").await.unwrap().unwrap();
    assert_eq!((baseline.fingerprints.len(), baseline.version), (5, 1));

    let mut day1 = day0.clone();
    day1[2].job_title = Some("Manager".into());
    day1.pop();
    let baseline = store.sync_baseline("HR").await.unwrap();
    let second = plan(&store, &info, baseline, listing(day1), &options, |_| Ok(()))
        .await
        .unwrap();
    let kinds: Vec<&str> = second.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["moved", "removed"]);
    assert_eq!(second.events[0].changes["job_title"]["before"], "Engineer");
    store
        .commit_sync("HR", second.commit.clone(), options.detected_at)
        .await
        .unwrap();
    // The same plan again is stale: another sync already committed.
    let e = store
        .commit_sync("HR", second.commit.clone(), options.detected_at)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::SyncConflict { .. }), "{e}");
    let baseline = store.sync_baseline("HR").await.unwrap().unwrap();
    assert_eq!((baseline.fingerprints.len(), baseline.version), (4, 2));

    store.reset_sync("HR").await.unwrap();
    assert!(store.sync_baseline("HR").await.unwrap().is_none());
    store
        .commit_sync("HR", first.commit.clone(), options.detected_at)
        .await
        .unwrap();
    store.remove("HR").await.unwrap();
    let db = rusqlite::Connection::open(home.path().join(STORE_FILE)).unwrap();
    let left: i64 = db
        .query_row(
            "SELECT (SELECT COUNT(*) FROM sync_users) + (SELECT COUNT(*) FROM sync_state)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the state went with the connection");
}
