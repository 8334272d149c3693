//! The mass-change guard, and the documented recipe.

use std::collections::BTreeSet;

use super::*;
use crate::connections::Home;

#[tokio::test(flavor = "multi_thread")]
async fn the_mass_change_guard_stops_a_truncated_listing_and_commits_nothing() {
    let Live {
        home,
        dir,
        port,
        day0: full,
        ..
    } = live("sync-guard", 300, None).await;
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
    let [example, recipe] = <[String; 2]>::try_from(crate::docs::marked_blocks(
        "docs/sync.md",
        "the_sync_docs_recipe_runs_and_its_example_event_is_real",
    ))
    .expect("the example event and the recipe");
    let dir = temp_dir("sync-docs-recipe");
    let _ = std::fs::remove_file(dir.join("day0.json"));
    let _ = std::fs::remove_file(dir.join("day1.json"));
    let home = Home::new("sync-docs-recipe");
    let env: Vec<(&str, &str)> = home
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // As written: the recipe stops its own sandboxes (the runner waits for what it left running).
    let o = crate::docs::run_script(&recipe, &dir, &dir.join("home"), &env).await;
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    let events: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!events.is_empty(), "day 1 brings events: {}", stderr(&o));

    let example: Value = serde_json::from_str(example.trim()).unwrap();
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

/// `--reset-state` starts over with a new baseline, but the old state goes only when the new
/// one is committed: a dry run (or a failed run) keeps it.
#[tokio::test(flavor = "multi_thread")]
async fn reset_state_drops_the_old_state_only_when_the_new_one_commits() {
    let Live {
        home, day0: _live, ..
    } = live("sync-reset", 100, None).await;
    let sync = |extra: &'static [&'static str]| {
        let home = &home;
        async move {
            let mut args = vec!["ukgpro", "sync", "--connection", "Live"];
            args.extend_from_slice(extra);
            let o = home.run(&args).await;
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            stderr(&o)
        }
    };
    let dry = sync(&["--reset-state", "--dry-run"]).await;
    assert!(
        dry.contains("Baseline recorded") && dry.contains("dry run"),
        "{dry}"
    );
    assert!(
        sync(&[]).await.contains("Synced `Live`"),
        "the state was kept"
    );
    // The reset's baseline replaces the state in its one commit; versions go on counting (so
    // a sync planned before the reset is refused as stale).
    let reset = sync(&["--reset-state"]).await;
    assert!(
        reset.contains("Baseline recorded") && reset.contains("(sync 3 of"),
        "{reset}"
    );
    let after = sync(&[]).await;
    assert!(
        after.contains("Synced `Live`") && after.contains("(sync 4 of"),
        "{after}"
    );
}

/// A UKG-like endpoint whose records the test swaps between syncs (served as `Paged` does).
#[derive(Clone)]
struct Swappable(std::sync::Arc<std::sync::Mutex<Vec<Value>>>);

impl Swappable {
    fn set(&self, records: Vec<Value>) {
        *self.0.lock().unwrap() = records;
    }
}

impl wiremock::Respond for Swappable {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        Paged::new(self.0.lock().unwrap().clone()).respond(req)
    }
}

/// The guard sees partial data, not only departures: names and e-mails that come back blank,
/// an employment endpoint answering `[]`, every status unknown. Each stops the sync with
/// exit 8 and commits nothing: afterwards the intact tenant syncs with no event at all.
#[tokio::test(flavor = "multi_thread")]
async fn the_guard_stops_partial_data_and_lost_values_and_commits_nothing() {
    let (persons, employments) = generated(300);
    let person = Swappable(std::sync::Arc::new(std::sync::Mutex::new(persons.clone())));
    let employment = Swappable(std::sync::Arc::new(std::sync::Mutex::new(
        employments.clone(),
    )));
    let server = MockServer::start().await;
    for (p, responder) in [
        (support::PERSON, &person),
        (support::EMPLOYMENT, &employment),
    ] {
        Mock::given(wiremock::matchers::path(p))
            .respond_with(responder.clone())
            .mount(&server)
            .await;
    }
    let home = Home::new("sync-guard-partial");
    let dir = temp_dir("sync-guard-partial-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = home.add_with("HR", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sync = ["ukgpro", "sync", "--connection", "HR"];
    let o = home.run(&sync).await;
    assert_eq!(code(&o), 0, "baseline: {}", stderr(&o));

    let mut blank = persons.clone();
    for p in &mut blank[..100] {
        p["firstName"] = Value::Null;
        p["lastName"] = json!("");
        p["emailAddress"] = Value::Null;
    }
    let mut unknown = employments.clone();
    for e in &mut unknown {
        e["employeeStatusCode"] = Value::Null;
    }
    let cases = [
        (
            "names and e-mails blanked",
            blank,
            employments.clone(),
            "100 of 300 users would lose their first name",
        ),
        (
            "employment answering []",
            persons.clone(),
            Vec::new(),
            "the listing is incomplete",
        ),
        (
            "every status unknown",
            persons.clone(),
            unknown,
            "300 of 300 users would lose their status",
        ),
    ];
    let events = dir.join("events.jsonl");
    for (what, people, jobs, says) in cases {
        person.set(people);
        employment.set(jobs);
        let o = home
            .run(&[
                "ukgpro",
                "sync",
                "--connection",
                "HR",
                "--events",
                events.to_str().unwrap(),
            ])
            .await;
        assert_eq!(code(&o), 8, "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("nothing was written or committed"),
            "{what}: {}",
            stderr(&o)
        );
        assert!(!events.exists(), "{what}: no events written");
    }
    // Nothing was committed: the intact tenant has not changed since the baseline.
    person.set(persons);
    employment.set(employments);
    let o = home.run(&sync).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 0, "{}", stdout(&o));
}
