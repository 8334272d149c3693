//! The delivery contract: the state is committed only after every event reached its reader.
//! A reader that stops early (a closed pipe) means no commit, a non-zero exit that says so,
//! and the same events (same ids) on the next run; two outputs that are one file are refused.

use super::*;
use crate::connections::Home;

/// Runs `sync ARGS` with its stdout read by a consumer that takes `lines` lines and closes
/// the pipe; the exit status and stderr.
async fn sync_into_dying_reader(home: &Home, args: &[&str], lines: usize) -> (i32, String) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut child = command(args, &env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..lines {
        out.next_line().await.unwrap().expect("an event line");
    }
    drop(out); // the consumer dies
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    let status = child.wait().await.unwrap();
    (status.code().expect("exit code"), err)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_stops_early_gets_no_commit_and_the_next_sync_emits_everything_again() {
    let home = Home::new("sync-dying-reader");
    let dir = temp_dir("sync-dying-reader-files");
    let sandbox = sandbox(0, 0, 2000).await;
    let config = write_config(&dir, &sandbox.settings);
    let o = home.add_with("Live", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let first = [
        "ukgpro",
        "sync",
        "--connection",
        "Live",
        "--baseline-events",
    ];
    // 2,000 joined events (about a megabyte, far more than a pipe holds); the reader takes
    // 100 and goes away.
    let (status, err) = sync_into_dying_reader(&home, &first, 100).await;
    assert_ne!(
        status, 0,
        "a sync whose events were not delivered fails: {err}"
    );
    assert!(err.contains("broken pipe"), "{err}");
    assert!(err.contains("nothing was committed"), "{err}");
    assert!(!err.contains("state committed"), "{err}");

    // Nothing was committed: it is still a first sync, and every joiner comes again, with
    // the same ids as the run that failed would have had.
    let events = dir.join("events.jsonl");
    let mut again = first.to_vec();
    again.extend(["--events", events.to_str().unwrap()]);
    let o = home.run(&again).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let delivered = read_events(&events);
    assert_eq!(delivered.len(), 2000);
    assert!(delivered.iter().all(|e| e["type"] == "joined"));
    let dry = home
        .run(&["ukgpro", "sync", "--connection", "Live", "--dry-run"])
        .await;
    assert_eq!(code(&dry), 0, "{}", stderr(&dry));
    assert_eq!(stdout(&dry).lines().count(), 0, "committed this time");
}

#[tokio::test(flavor = "multi_thread")]
async fn events_and_users_in_one_file_are_refused_before_anything_runs() {
    let Live { home, dir, .. } = live("sync-same-file", 50, None).await;
    let events = dir.join("e.jsonl");
    std::fs::write(&events, "{\"kept\":true}\n").unwrap();
    let hard = dir.join("hard.jsonl");
    std::fs::hard_link(&events, &hard).unwrap();
    let soft = dir.join("soft.jsonl");
    std::os::unix::fs::symlink(&events, &soft).unwrap();
    let relative = format!("{}/./e.jsonl", dir.display());
    for other in [
        events.to_str().unwrap(),
        relative.as_str(),
        hard.to_str().unwrap(),
        soft.to_str().unwrap(),
    ] {
        let o = home
            .run(&[
                "ukgpro",
                "sync",
                "--connection",
                "Live",
                "--events",
                events.to_str().unwrap(),
                "--output",
                other,
            ])
            .await;
        assert_eq!(code(&o), 2, "{other}: {}", stderr(&o));
        assert!(stderr(&o).contains("are the same file"), "{}", stderr(&o));
        assert_eq!(
            std::fs::read_to_string(&events).unwrap(),
            "{\"kept\":true}\n",
            "{other}: untouched"
        );
    }
}
