//! Syncs by UKG Pro's change feed: the same events as the full exports imply, with requests
//! in proportion to the changes; and the cases where a listing is used instead.

use std::collections::BTreeSet;

use connector_ukgpro::sandbox::days::date_of;

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_change_feed_finds_what_full_exports_imply_in_proportion_to_the_changes() {
    let day = date_of(0).to_string();
    let Live {
        home,
        dir,
        port,
        day0,
        ..
    } = live("sync-feed", 600, Some(&day)).await;
    let mut previous = export(&home, "Live").await;
    drop(day0);
    let mut live = None;
    for day in 1..=4 {
        drop(live.take());
        let sandbox = sandbox(port, day, 600).await;
        let current = export(&home, "Live").await;
        let events_file = dir.join(format!("events-{day}.jsonl"));
        let before = sandbox.counters.requests();
        let o = home
            .run(&[
                "ukgpro",
                "sync",
                "--connection",
                "Live",
                "--events",
                events_file.to_str().unwrap(),
                "--as-of",
                &date_of(day).to_string(),
            ])
            .await;
        assert_eq!(code(&o), 0, "day {day}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("by change feed"),
            "day {day}: {}",
            stderr(&o)
        );
        let requests = sandbox.counters.requests() - before;
        let events = read_events(&events_file);
        let found: BTreeSet<(String, String)> = events
            .iter()
            .map(|e| (key_of(e), e["type"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(found, expected(&previous, &current), "day {day}");
        assert_values(&events, &previous, &current);
        // One request for the window, then two per employee it names (each changed user at
        // least): in proportion to the changes, not to the 600 people.
        let users: BTreeSet<String> = events.iter().map(key_of).collect();
        assert_eq!((requests - 1) % 2, 0, "day {day}: {requests} requests");
        let named = (requests - 1) / 2;
        assert!(
            named >= users.len() as u64,
            "day {day}: {named} named, {} changed",
            users.len()
        );
        assert!(named < 60, "day {day}: {named} lookups for a few changes");
        previous = current;
        live = Some(sandbox);
    }
    // The test of a synced connection includes the feed.
    let o = home.run(&["connections", "test", "Live"]).await;
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains(
            "\u{2713} Change feed (for sync): View on \u{201c}Employee Export\u{201d} granted"
        ),
        "{}",
        stdout(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_is_used_when_the_feed_cannot_answer() {
    let day = date_of(0).to_string();
    let Live {
        home,
        dir,
        port,
        day0,
        ..
    } = live("sync-feed-fallback", 300, Some(&day)).await;
    drop(day0);
    let _day1 = sandbox(port, 1, 300).await;
    let sync = |as_of: String, extra: Vec<String>| {
        let home = &home;
        async move {
            let mut args: Vec<String> = ["ukgpro", "sync", "--connection", "Live", "--dry-run"]
                .map(String::from)
                .into();
            args.push("--as-of".into());
            args.push(as_of);
            args.extend(extra);
            home.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
                .await
        }
    };
    // A window shorter than UKG's 3 hours.
    let o = sync("2026-01-05T14:00:00Z".into(), vec![]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "the change feed answers windows of at least 3 h and the last sync was 2 h ago"
        ),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("by full listing"), "{}", stderr(&o));
    // --full, and --output (which needs everyone).
    let o = sync(date_of(1).to_string(), vec!["--full".into()]).await;
    assert!(
        stderr(&o).contains("listing every user: --full"),
        "{}",
        stderr(&o)
    );
    let out = dir.join("users.csv");
    let output = vec!["--output".into(), out.to_string_lossy().into_owned()];
    let o = sync(date_of(1).to_string(), output).await;
    assert!(
        stderr(&o).contains("--output needs every user"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count(),
        302,
        "header + 301 users"
    );
    // The periodic reconcile.
    let o = sync("2026-01-13T12:00:00Z".into(), vec![]).await;
    assert!(
        stderr(&o).contains("the periodic full reconcile is due"),
        "{}",
        stderr(&o)
    );
    // By feed, the same events as a listing finds.
    let by_feed = sync(date_of(1).to_string(), vec![]).await;
    assert!(
        stderr(&by_feed).contains("by change feed"),
        "{}",
        stderr(&by_feed)
    );
    let by_listing = sync(date_of(1).to_string(), vec!["--full".into()]).await;
    let ids = |o: &Output| -> BTreeSet<String> {
        stdout(o)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["event_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert!(!ids(&by_feed).is_empty());
    assert_eq!(ids(&by_feed), ids(&by_listing), "same events, same ids");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_employee_export_permission_sync_lists_and_says_so() {
    let day = date_of(0).to_string();
    let Live {
        home, port, day0, ..
    } = live("sync-feed-denied", 300, Some(&day)).await;
    drop(day0);
    let mut options = SandboxOptions::with_employees(300);
    options.port = port;
    options.seed = 7;
    options.day = 1;
    options.deny = vec!["employee-export".into()];
    let mut denied = None;
    for _ in 0..50 {
        match connector_ukgpro::sandbox::start(options.clone()).await {
            Ok(s) => {
                denied = Some(s);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let _denied = denied.expect("the day-1 sandbox starts");
    let o = home
        .run(&[
            "ukgpro",
            "sync",
            "--connection",
            "Live",
            "--as-of",
            &date_of(1).to_string(),
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the change feed needs View on \u{201c}Employee Export\u{201d}"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("by full listing"), "{}", stderr(&o));
    assert!(!stdout(&o).is_empty(), "the day's events, found by listing");

    // A synced connection's test checks the feed's permission too, and says what happens.
    let o = home.run(&["connections", "test", "Live"]).await;
    assert_eq!(code(&o), 4, "{}", stdout(&o));
    let report = stdout(&o);
    assert!(
        report.contains("\u{2717} Change feed (for sync)"),
        "{report}"
    );
    assert!(report.contains("Employee Export"), "{report}");
    assert!(report.contains("sync lists every user"), "{report}");
    // `ukgpro test --connection` is the same test.
    let o = home.run(&["ukgpro", "test", "--connection", "live"]).await;
    assert_eq!(code(&o), 4, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("Change feed (for sync)"),
        "{}",
        stdout(&o)
    );
}
