//! Several processes at once, and processes killed mid-write.

use std::path::PathBuf;

use connector_store::{ConnectionStore, KeySource, SqliteStore};

use super::Home;
use crate::harness::*;

/// `connections add NAME --provider ukgpro --config CONFIG --no-test`, not yet started.
fn add_command(name: &str, config: &str, env: &[(&str, &str)]) -> tokio::process::Command {
    command(
        &[
            "connections",
            "add",
            name,
            "--provider",
            "ukgpro",
            "--config",
            config,
            "--no-test",
        ],
        env,
    )
}

#[tokio::test]
async fn concurrent_adds_from_several_processes_lose_nothing() {
    let server = fixture_server().await;
    let home = Home::new("concurrent");
    let dir = temp_dir("connections-concurrent-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let names: Vec<String> = (0..8).map(|i| format!("tenant {i}")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|n| add_command(n, &config, &env).output())
        .collect();
    for o in futures_util::future::join_all(children).await {
        let o = o.unwrap();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let o = home.run(&["connections", "list", "--json"]).await;
    let list: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut saved: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    saved.sort();
    assert_eq!(saved, names);
    // Every process used the same master key: every secret opens.
    let store = SqliteStore::open(&home.dir, KeySource::File(home.dir.join("master.key"))).unwrap();
    for n in &names {
        let c = store.get(n).await.unwrap();
        assert_eq!(c.secret("password").unwrap().expose(), PASSWORD);
    }
}

/// Edits killed at random moments leave either the old or the new connection, whole: the
/// user name and the password saved together always belong together.
#[tokio::test]
async fn a_process_killed_mid_edit_leaves_the_old_or_the_new_settings_whole() {
    let home = Home::new("crash");
    let dir = temp_dir("connections-crash-files");
    let version = |i: usize| {
        let mut s = settings("https://hr.example.com");
        s["username"] = json!(format!("user-{i}"));
        s["password"] = json!(format!("password-{i}"));
        write_config(&dir.join(format!("v{i}")).tap_mkdir(), &s)
    };
    let o = home.add_with("A", &version(0), &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // How long a whole edit takes on this machine now: kills land anywhere in twice that.
    let started = std::time::Instant::now();
    let o = home
        .run(&[
            "connections",
            "edit",
            "A",
            "--config",
            &version(0),
            "--no-test",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut span = u64::try_from(started.elapsed().as_micros())
        .unwrap_or(u64::MAX)
        .saturating_mul(2);
    let (mut applied, mut lost) = (0, 0);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 1..=40 {
        let file = version(i);
        let mut child = command(
            &["connections", "edit", "A", "--config", &file, "--no-test"],
            &env,
        )
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(std::time::Duration::from_micros(seed % span.max(1))).await;
        let _ = child.start_kill();
        let _ = child.wait().await;
        let store =
            SqliteStore::open(&home.dir, KeySource::File(home.dir.join("master.key"))).unwrap();
        let c = store.get("A").await.unwrap();
        let user = c.info.settings["username"].as_str().unwrap().to_owned();
        let n = user.trim_start_matches("user-");
        assert_eq!(
            c.secret("password").unwrap().expose(),
            format!("password-{n}"),
            "after edit {i}"
        );
        let n: usize = n.parse().unwrap();
        assert!(n <= i);
        if n == i {
            applied += 1;
        } else {
            lost += 1;
        }
        // The machine's load changes while the suite runs: while only one outcome has been
        // seen, move the kills later (all killed before their commit) or earlier (all done).
        if applied == 0 {
            span = span.saturating_mul(3) / 2;
        } else if lost == 0 {
            span = (span * 2 / 3).max(1);
        }
    }
    // Both outcomes happened: some edits were killed before their commit, some finished.
    assert!(
        applied > 0 && lost > 0,
        "applied {applied}, killed before commit {lost}"
    );
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

/// `rotate-key` and `add` from many processes at once: rotations wait for each other (one
/// store lock), each add encrypts under the key current when it commits, and afterwards
/// every secret decrypts with the key in the key file.
#[tokio::test]
async fn concurrent_rotations_and_adds_from_several_processes_leave_every_secret_readable() {
    let server = fixture_server().await;
    let home = Home::new("rotate-race");
    let dir = temp_dir("connections-rotate-race-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = home.add_with("seed", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let names: Vec<String> = (0..8).map(|i| format!("tenant {i}")).collect();
    let mut children = Vec::new();
    for (i, n) in names.iter().enumerate() {
        children.push(add_command(n, &config, &env).output());
        if i % 2 == 0 {
            children.push(command(&["connections", "rotate-key"], &env).output());
        }
    }
    for o in futures_util::future::join_all(children).await {
        let o = o.unwrap();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let store = SqliteStore::open(&home.dir, KeySource::File(home.dir.join("master.key"))).unwrap();
    for n in names.iter().map(String::as_str).chain(["seed"]) {
        let c = store.get(n).await.unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(c.secret("password").unwrap().expose(), PASSWORD, "{n}");
    }
    assert!(
        !home.dir.join("master.key.new").exists(),
        "no rotation left half done"
    );
}
