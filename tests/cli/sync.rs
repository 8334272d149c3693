//! `connector <provider> sync` on a sandbox that lives: for each simulated day, the events
//! equal the difference between the full exports of that day and the day before (computed
//! here, independently of the engine); interrupted syncs lose and duplicate nothing; the
//! mass-change guard stops a truncated listing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use connector_core::sandbox::{SandboxHandle, SandboxOptions};
use connector_ukgpro::sandbox::days::date_of;

use crate::connections::Home;
use crate::harness::*;

type Users = BTreeMap<String, Value>;

/// A port no one listens on now (the sandbox of each day is started on it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn sandbox(port: u16, day: u32, employees: u64) -> SandboxHandle {
    let mut options = SandboxOptions::with_employees(employees);
    options.port = port;
    options.seed = 7;
    options.day = day;
    // The previous day's sandbox may still be letting go of the port.
    for _ in 0..50 {
        match connector_ukgpro::sandbox::start(options.clone()).await {
            Ok(s) => return s,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("the sandbox of day {day} did not start on port {port}");
}

/// A full export with the saved connection, by user key, `updated_at` left out.
async fn export(home: &Home, name: &str) -> Users {
    let o = home
        .run(&[
            "ukgpro",
            "users",
            "--connection",
            name,
            "--format",
            "jsonl",
            "--allow-empty",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let mut u: Value = serde_json::from_str(l).unwrap();
            u.as_object_mut().unwrap().remove("updated_at");
            let key = format!(
                "{}/{}",
                u["company_id"].as_str().unwrap_or(""),
                u["id"].as_str().unwrap()
            );
            (key, u)
        })
        .collect()
}

/// The events two exports imply, worked out here from the exports alone: (user key, type).
fn expected(before: &Users, after: &Users) -> BTreeSet<(String, String)> {
    let gone = |s: &Value| s == "terminated" || s == "inactive";
    let mut out = BTreeSet::new();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let mut add = |t: &str| {
            out.insert((key.clone(), t.to_owned()));
        };
        match (before.get(key), after.get(key)) {
            (None, Some(_)) => add("joined"),
            (Some(_), None) => add("removed"),
            (Some(b), Some(a)) if b != a => {
                let mut differing: Vec<&str> = b
                    .as_object()
                    .unwrap()
                    .keys()
                    .filter(|f| b[f.as_str()] != a[f.as_str()])
                    .map(String::as_str)
                    .collect();
                let mut take = |fields: &[&str]| {
                    let before = differing.len();
                    differing.retain(|f| !fields.contains(f));
                    before != differing.len()
                };
                if !gone(&b["status"]) && gone(&a["status"]) {
                    take(&["status", "provider_status", "termination_date"]);
                    add("left");
                } else if gone(&b["status"]) && !gone(&a["status"]) {
                    take(&["status", "provider_status", "hire_date", "termination_date"]);
                    add("rehired");
                } else if b["status"] != a["status"] {
                    take(&["status", "provider_status"]);
                    add("status_changed");
                }
                if take(&["job_title", "department", "manager_id"]) {
                    add("moved");
                }
                if !differing.is_empty() {
                    add("changed");
                }
            }
            _ => {}
        }
    }
    out
}

fn read_events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn key_of(e: &Value) -> String {
    format!(
        "{}/{}",
        e["company_id"].as_str().unwrap_or(""),
        e["user_id"].as_str().unwrap()
    )
}

/// Every event's before and after are what the two exports say.
fn assert_values(events: &[Value], before: &Users, after: &Users) {
    for e in events {
        let key = key_of(e);
        for (field, change) in e["changes"].as_object().unwrap() {
            if let Some(b) = before.get(&key) {
                if change.get("before").is_some() {
                    assert_eq!(change["before"], b[field.as_str()], "{e}");
                }
            }
            if let Some(a) = after.get(&key) {
                if change.get("after").is_some() {
                    assert_eq!(change["after"], a[field.as_str()], "{e}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_days_events_equal_the_difference_of_consecutive_full_exports() {
    let home = Home::new("sync-days");
    let dir = temp_dir("sync-days-files");
    let port = free_port();
    let day0 = sandbox(port, 0, 600).await;
    let config = write_config(&dir, &day0.settings);
    let o = home
        .run(&[
            "connections",
            "add",
            "Live",
            "--provider",
            "ukgpro",
            "--config",
            &config,
            "--no-test",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = home.run(&["ukgpro", "sync", "--connection", "Live"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
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
    let home = Home::new("sync-interrupted");
    let dir = temp_dir("sync-interrupted-files");
    let port = free_port();
    let day0 = sandbox(port, 0, 400).await;
    let config = write_config(&dir, &day0.settings);
    let o = home
        .run(&[
            "connections",
            "add",
            "Live",
            "--provider",
            "ukgpro",
            "--config",
            &config,
            "--no-test",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = home.run(&["ukgpro", "sync", "--connection", "Live"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
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

#[tokio::test(flavor = "multi_thread")]
async fn the_mass_change_guard_stops_a_truncated_listing_and_commits_nothing() {
    let home = Home::new("sync-guard");
    let dir = temp_dir("sync-guard-files");
    let port = free_port();
    let full = sandbox(port, 0, 300).await;
    let config = write_config(&dir, &full.settings);
    let o = home
        .run(&[
            "connections",
            "add",
            "Live",
            "--provider",
            "ukgpro",
            "--config",
            &config,
            "--no-test",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        code(&home.run(&["ukgpro", "sync", "--connection", "Live"]).await),
        0
    );
    drop(full);
    // The same tenant, but the listing is cut short (as a broken filter or permission would).
    let _cut = sandbox(port, 0, 200).await;
    let events = dir.join("events.jsonl");
    let o = home
        .run(&[
            "ukgpro",
            "sync",
            "--connection",
            "Live",
            "--events",
            events.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code(&o), 8, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("100 of 300 users would leave or disappear"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("--allow-mass-changes"),
        "{}",
        stderr(&o)
    );
    assert!(!events.exists(), "nothing written");
    // Nothing was committed; with a higher limit the same changes go through.
    let o = home
        .run(&[
            "ukgpro",
            "sync",
            "--connection",
            "Live",
            "--max-departures",
            "40",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 100, "100 removed events");
}

/// docs/sync.md's sandbox recipe, run as written by a shell with `connector` on its PATH; and
/// its example event has the fields real events have.
#[tokio::test(flavor = "multi_thread")]
async fn the_sync_docs_recipe_runs_and_its_example_event_is_real() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/sync.md")).unwrap();
    let recipe = doc
        .split("## Trying it")
        .nth(1)
        .and_then(|s| s.split("```sh\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("a sh block under Trying it");
    let dir = temp_dir("sync-docs-recipe");
    let _ = std::fs::remove_file(dir.join("day0.json"));
    let _ = std::fs::remove_file(dir.join("day1.json"));
    let home = Home::new("sync-docs-recipe");
    let bin = Path::new(env!("CARGO_BIN_EXE_connector")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c")
        .arg(format!("set -eu\n{recipe}\nkill %1\nwait || true\n"))
        .current_dir(&dir)
        .env("PATH", path)
        .envs(home.env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true);
    let o = tokio::time::timeout(std::time::Duration::from_secs(120), cmd.output())
        .await
        .expect("the recipe finishes")
        .unwrap();
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    let events: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!events.is_empty(), "day 1 brings events: {}", stderr(&o));

    let example: Value = doc
        .split("```json\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .map(|s| serde_json::from_str(s.trim()).unwrap())
        .expect("an example event");
    let real = events
        .iter()
        .find(|e| e["type"] == example["type"])
        .unwrap_or(&events[0]);
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&example),
        keys(real),
        "the documented event has the real fields"
    );
    assert_eq!(example["event_id"].as_str().unwrap().len(), 32);
}
