//! Day after day by full listing, and syncs killed at random moments.

use std::collections::{BTreeSet, HashMap};

use connector_ukgpro::sandbox::days::date_of;

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn each_days_events_equal_the_difference_of_consecutive_full_exports() {
    let Live {
        home,
        dir,
        port,
        day0,
        baseline: o,
    } = live("sync-days", 600, None).await;
    assert!(
        stderr(&o).contains("Baseline recorded for `Live`"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "", "a first sync emits nothing");
    let mut previous = export(&home, "Live").await;
    drop(day0);

    let mut seen_types = BTreeSet::new();
    let mut future_dated = 0;
    let mut live = None;
    for day in 1..=6 {
        drop(live.take());
        live = Some(sandbox(port, day, 600).await);
        let current = export(&home, "Live").await;
        let events_file = dir.join(format!("events-{day}.jsonl"));
        let as_of = date_of(day).to_string();
        let o = home
            .run(&[
                "ukgpro",
                "sync",
                "--connection",
                "Live",
                "--events",
                events_file.to_str().unwrap(),
                "--as-of",
                &as_of,
            ])
            .await;
        assert_eq!(code(&o), 0, "day {day}: {}", stderr(&o));
        let events = read_events(&events_file);
        let found: BTreeSet<(String, String)> = events
            .iter()
            .map(|e| (key_of(e), e["type"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            found.len(),
            events.len(),
            "day {day}: one event per user and type"
        );
        let wanted = expected(&previous, &current);
        assert!(!wanted.is_empty(), "day {day} changed nothing");
        assert_eq!(found, wanted, "day {day}");
        assert_values(&events, &previous, &current);
        for e in &events {
            assert_eq!(e["connection"], "Live");
            assert_eq!(e["event_id"].as_str().unwrap().len(), 32);
            if e["future_dated"] == true {
                future_dated += 1;
                assert!(
                    e["effective_date"].as_str().unwrap() > as_of.as_str(),
                    "{e}"
                );
            }
        }
        seen_types.extend(found.into_iter().map(|(_, t)| t));
        previous = current;
    }
    let all: BTreeSet<String> = [
        "joined",
        "left",
        "rehired",
        "status_changed",
        "moved",
        "changed",
        "removed",
    ]
    .map(String::from)
    .into();
    assert_eq!(seen_types, all, "six days bring every kind of event");
    assert!(future_dated > 0, "some terminations were dated ahead");

    // Nothing changed since: the next sync finds nothing.
    let o = home.run(&["ukgpro", "sync", "--connection", "Live"]).await;
    assert!(stderr(&o).contains("Synced `Live`"), "{}", stderr(&o));
}

/// Syncs killed at random moments, then one that finishes: together their events are
/// exactly the day's changes, each once (same id when emitted again).
#[tokio::test(flavor = "multi_thread")]
async fn interrupted_syncs_lose_and_duplicate_nothing() {
    let Live {
        home,
        dir,
        port,
        day0,
        ..
    } = live("sync-interrupted", 400, None).await;
    let mut previous = export(&home, "Live").await;
    drop(day0);
    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let (mut interrupted_before, mut interrupted_after) = (0, 0);
    // How long a whole sync took last (0: not measured yet; that sync runs whole).
    let mut whole = 0u64;
    for day in 1..=4 {
        let _sandbox = sandbox(port, day, 400).await;
        let current = export(&home, "Live").await;
        let wanted = expected(&previous, &current);
        let mut files = Vec::new();
        for attempt in 0..6 {
            let file = dir.join(format!("day{day}-attempt{attempt}.jsonl"));
            let _ = std::fs::remove_file(&file);
            let args = [
                "ukgpro",
                "sync",
                "--connection",
                "Live",
                "--events",
                file.to_str().unwrap(),
            ];
            let started = std::time::Instant::now();
            let mut child = command(&args, &env)
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let killed = attempt < 5 && whole > 0;
            let status = if killed {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // The first attempt of a day dies within a sync's usual time (mostly before
                // its commit); later ones within twice that (sometimes after it).
                let window = if attempt == 0 {
                    whole * 9 / 10
                } else {
                    whole * 2
                };
                let delay = std::time::Duration::from_micros(seed % window.max(1));
                tokio::select! {
                    status = child.wait() => status.unwrap(),
                    () = tokio::time::sleep(delay) => {
                        let _ = child.start_kill();
                        child.wait().await.unwrap()
                    }
                }
            } else {
                child.wait().await.unwrap()
            };
            files.push(file);
            if status.success() {
                whole = u64::try_from(started.elapsed().as_micros()).unwrap_or(1);
                interrupted_after += u32::from(killed);
                break;
            }
            interrupted_before += 1;
        }
        let mut by_id: HashMap<String, Value> = HashMap::new();
        for f in &files {
            for e in read_events(f) {
                by_id.insert(e["event_id"].as_str().unwrap().to_owned(), e);
            }
        }
        let found: Vec<(String, String)> = by_id
            .values()
            .map(|e| (key_of(e), e["type"].as_str().unwrap().to_owned()))
            .collect();
        let unique: BTreeSet<(String, String)> = found.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            found.len(),
            "day {day}: a change emitted twice under two ids"
        );
        // Committed or not, the union is the day's changes.
        let state_now = {
            let o = home
                .run(&["ukgpro", "sync", "--connection", "Live", "--dry-run"])
                .await;
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            stdout(&o)
        };
        if state_now.trim().is_empty() {
            assert_eq!(unique, wanted, "day {day}");
        } else {
            // The last attempt was killed before its commit: a sync now finds the rest.
            let o = home.run(&["ukgpro", "sync", "--connection", "Live"]).await;
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let mut all = unique.clone();
            for l in stdout(&o).lines() {
                let e: Value = serde_json::from_str(l).unwrap();
                assert!(
                    !by_id.contains_key(e["event_id"].as_str().unwrap())
                        || wanted.contains(&(key_of(&e), e["type"].as_str().unwrap().to_owned()))
                );
                all.insert((key_of(&e), e["type"].as_str().unwrap().to_owned()));
            }
            assert_eq!(all, wanted, "day {day}");
        }
        previous = current;
    }
    assert!(
        interrupted_before > 0,
        "syncs were killed before their commit ({interrupted_before}; {interrupted_after} finished before their kill)"
    );
}
