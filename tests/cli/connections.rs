//! `connector connections …` and `--connection NAME`, end to end: every command, prompts on a
//! pseudo-terminal, concurrent processes, a process killed mid-write, keys and tampering, and
//! a canary scan of every output, log and file of the connector home.

use std::path::PathBuf;

use connector_core::connections::{ConnectionStore, KeySource, SqliteStore};

use crate::harness::*;

/// A fresh connector home and the environment that points the binary at it.
struct Home {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(name: &str) -> Home {
        let dir = temp_dir(&format!("connections-{name}")).join("home");
        let _ = std::fs::remove_dir_all(&dir);
        Home {
            env: vec![("CONNECTOR_HOME".into(), dir.to_string_lossy().into_owned())],
            dir,
        }
    }

    fn with(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[]).await
    }

    async fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let env = self.with(extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        connector(args, &env).await
    }
}

/// Every secret of [`settings`], raw and as the Basic header.
fn canaries() -> Vec<&'static str> {
    vec![PASSWORD, CUSTOMER_KEY, USER_KEY, basic_b64()]
}

fn assert_clean(what: &str, text: &str) {
    for c in canaries() {
        assert!(!text.contains(c), "{c} leaked in {what}:\n{text}");
    }
}

fn assert_home_clean(home: &Path) {
    for entry in std::fs::read_dir(home).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for c in canaries() {
            assert!(
                !bytes.windows(c.len()).any(|w| w == c.as_bytes()),
                "{c} in plain text in {}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn every_command_works_end_to_end_and_no_secret_leaks_anywhere() {
    let server = fixture_server().await;
    let mut home = Home::new("every-command");
    // Every command logs at trace level: the scan below covers the logs too.
    home.env.push(("RUST_LOG".into(), "trace".into()));
    let dir = temp_dir("connections-every-command-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let mut seen = String::new();
    let mut record = |o: &Output| {
        seen.push_str(&stdout(o));
        seen.push_str(&stderr(o));
    };

    let o = home
        .run(&[
            "connections",
            "add",
            "Acme UKG (prod)",
            "--provider",
            "ukgpro",
            "--config",
            &config,
        ])
        .await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("Result: passed"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("Saved connection `Acme UKG (prod)`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("will not be shown again"),
        "{}",
        stderr(&o)
    );

    let o = home.run(&["connections", "list"]).await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let line = stdout(&o).lines().nth(1).unwrap_or_default().to_owned();
    assert!(line.starts_with("Acme UKG (prod)"), "{line}");
    assert!(
        line.contains("ukgpro") && line.contains("\u{2713} connected"),
        "{line}"
    );

    let o = home.run(&["connections", "list", "--json"]).await;
    record(&o);
    let list: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(list[0]["name"], "Acme UKG (prod)");
    assert_eq!(list[0]["status"], "connected");
    assert_eq!(list[0]["last_test"]["passed"], true);

    let o = home.run(&["connections", "show", "acme ukg (PROD)"]).await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let shown = stdout(&o);
    assert!(
        shown.contains(&format!("username          {USER}")),
        "{shown}"
    );
    assert!(
        shown.lines().any(
            |l| l.trim_start().starts_with("password") && l.contains("set (secret, not shown)")
        ),
        "{shown}"
    );
    let o = home
        .run(&["connections", "show", "Acme UKG (prod)", "--json"])
        .await;
    record(&o);
    let shown: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(shown["settings"]["password"], "set");
    assert_eq!(shown["settings"]["customer_api_key"], "set");
    assert_eq!(shown["settings"]["username"], USER);

    // The provider commands take the saved connection.
    let o = home
        .run(&[
            "ukgpro",
            "users",
            "--connection",
            "Acme UKG (prod)",
            "--format",
            "jsonl",
        ])
        .await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().count(),
        fixture("person").len(),
        "{}",
        stderr(&o)
    );
    // The export is recorded on the connection.
    let o = home
        .run(&["connections", "show", "Acme UKG (prod)", "--json"])
        .await;
    let shown: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(shown["last_export"]["ok"], true, "{shown}");
    assert_eq!(
        shown["last_export"]["users"].as_u64(),
        Some(fixture("person").len() as u64),
        "{shown}"
    );
    let o = home.run(&["connections", "show", "Acme UKG (prod)"]).await;
    assert!(
        stdout(&o).contains(&format!("{} users", fixture("person").len())),
        "{}",
        stdout(&o)
    );
    let o = home
        .run_with(
            &["ukgpro", "test", "--connection", "acme ukg (prod)"],
            &[("RUST_LOG", "trace"), ("UKGPRO_PASSWORD", "ignored")],
        )
        .await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("UKGPRO_PASSWORD is ignored"),
        "{}",
        stderr(&o)
    );
    let o = home
        .run(&[
            "ukgpro",
            "test",
            "--connection",
            "Acme",
            "--config",
            &config,
        ])
        .await;
    assert_eq!(
        code(&o),
        2,
        "--connection and --config together: {}",
        stderr(&o)
    );

    // Rename; the old name is unknown and the new one is suggested.
    let o = home
        .run(&["connections", "rename", "Acme UKG (prod)", "HR prod"])
        .await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = home.run(&["connections", "test", "HR prd"]).await;
    record(&o);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("no connection is named `HR prd`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("did you mean `HR prod`"),
        "{}",
        stderr(&o)
    );
    let o = home
        .run(&["connections", "test", "HR prod", "--json"])
        .await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&o)).unwrap()["passed"],
        true
    );

    // Edit: secrets are not read back, so without a terminal they must be given again.
    let other = dir.join("user-only.json");
    std::fs::write(&other, json!({"username": "someone-else"}).to_string()).unwrap();
    let other = other.to_string_lossy().into_owned();
    let o = home
        .run(&[
            "connections",
            "edit",
            "HR prod",
            "--config",
            &other,
            "--no-test",
        ])
        .await;
    record(&o);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("password: is required"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("customer_api_key: is required"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--keep-secrets"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was changed"), "{}", stderr(&o));
    // Kept secrets and a changed user name: saved, tested, and the test fails (401).
    let o = home
        .run(&[
            "connections",
            "edit",
            "HR prod",
            "--config",
            &other,
            "--keep-secrets",
        ])
        .await;
    record(&o);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let o = home.run(&["connections", "list"]).await;
    record(&o);
    assert!(stdout(&o).contains("\u{2717} failed"), "{}", stdout(&o));
    let o = home.run(&["connections", "show", "HR prod"]).await;
    record(&o);
    assert!(
        stdout(&o).contains("failed at `authenticated`"),
        "{}",
        stdout(&o)
    );
    // The whole settings again: connected.
    let o = home
        .run(&["connections", "edit", "hr prod", "--config", &config])
        .await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Remove: confirmation is required without a terminal.
    let o = home.run(&["connections", "remove", "HR prod"]).await;
    record(&o);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    let o = home
        .run(&["connections", "remove", "HR prod", "--yes"])
        .await;
    record(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = home.run(&["connections", "list"]).await;
    record(&o);
    assert!(
        stderr(&o).contains("No saved connections"),
        "{}",
        stderr(&o)
    );

    assert_clean("the outputs and trace logs", &seen);
    assert_home_clean(&home.dir);
}

#[tokio::test]
async fn add_without_a_terminal_lists_every_missing_field_and_saves_nothing() {
    let home = Home::new("missing-fields");
    let o = home
        .run_with(
            &["connections", "add", "x", "--provider", "ukgpro"],
            &[("UKGPRO_USERNAME", "svc")],
        )
        .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    for field in ["base_url", "password", "customer_api_key"] {
        assert!(
            stderr(&o).contains(&format!("{field}: is required")),
            "{}",
            stderr(&o)
        );
    }
    assert!(
        !stderr(&o).contains("username: is required"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("nothing was saved"), "{}", stderr(&o));
    let o = home.run(&["connections", "list", "--json"]).await;
    assert_eq!(stdout(&o).trim(), "[]");

    // Secrets are never flags; the value is not echoed back.
    let o = home
        .run(&[
            "connections",
            "add",
            "x",
            "--provider",
            "ukgpro",
            "--password",
            PASSWORD,
        ])
        .await;
    assert_eq!(code(&o), 2);
    assert!(!stderr(&o).contains(PASSWORD), "{}", stderr(&o));

    // Bad names and unknown providers are usage errors.
    let o = home
        .run(&["connections", "add", " ", "--provider", "ukgpro"])
        .await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("needs a name"), "{}", stderr(&o));
    let o = home
        .run(&["connections", "add", "x", "--provider", "ukgpr"])
        .await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("ukgpro"), "{}", stderr(&o));
}

#[tokio::test]
async fn a_duplicate_name_is_refused_whatever_its_case() {
    let server = fixture_server().await;
    let home = Home::new("duplicate");
    let dir = temp_dir("connections-duplicate-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let add = |name: &'static str| {
        let config = config.clone();
        let home = &home;
        async move {
            home.run(&[
                "connections",
                "add",
                name,
                "--provider",
                "ukgpro",
                "--config",
                &config,
                "--no-test",
            ])
            .await
        }
    };
    assert_eq!(code(&add("Payroll").await), 0);
    let o = add("PAYROLL").await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("a connection named `Payroll` already exists"),
        "{}",
        stderr(&o)
    );
    let o = home.run(&["connections", "list"]).await;
    assert!(
        stdout(&o).contains("\u{2013} untested"),
        "--no-test: {}",
        stdout(&o)
    );
    // A connection of one provider cannot be used as another's.
    let o = home.run(&["scim", "test", "--connection", "payroll"]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("is a ukgpro connection, not scim"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn a_wrong_key_or_an_altered_secret_is_a_clear_error_that_loses_nothing() {
    let server = fixture_server().await;
    let home = Home::new("keys");
    let dir = temp_dir("connections-keys-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let other = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
    let o = home
        .run_with(
            &[
                "connections",
                "add",
                "A",
                "--provider",
                "ukgpro",
                "--config",
                &config,
                "--no-test",
            ],
            &[("CONNECTOR_MASTER_KEY", key)],
        )
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        !home.dir.join("master.key").exists(),
        "no key file with CONNECTOR_MASTER_KEY"
    );

    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", other)],
        )
        .await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the master key from CONNECTOR_MASTER_KEY is not the key"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("nothing was changed"), "{}", stderr(&o));
    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", "c2hvcnQ=")],
        )
        .await;
    assert_eq!(code(&o), 7);
    assert!(stderr(&o).contains("5 bytes"), "{}", stderr(&o));
    // No key at all: the error says where it looked, and no new key file is made up.
    let o = home.run(&["ukgpro", "users", "--connection", "A"]).await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("master.key does not exist"),
        "{}",
        stderr(&o)
    );
    assert!(!home.dir.join("master.key").exists());
    // Showing and listing need no key.
    let o = home.run(&["connections", "show", "A"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", key)],
        )
        .await;
    assert_eq!(code(&o), 0, "the right key still works: {}", stderr(&o));

    // One bit of the saved password flipped.
    let db = rusqlite::Connection::open(home.dir.join("connections.db")).unwrap();
    let mut sealed: Vec<u8> = db
        .query_row(
            "SELECT ciphertext FROM secrets WHERE field = 'password'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    sealed[0] ^= 1;
    db.execute(
        "UPDATE secrets SET ciphertext = ?1 WHERE field = 'password'",
        [sealed],
    )
    .unwrap();
    let o = home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", key)],
        )
        .await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the saved `password` of connection `A` does not decrypt"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("connections edit \"A\""),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn rotate_key_re_encrypts_every_secret_and_retires_the_old_key() {
    let server = fixture_server().await;
    let home = Home::new("rotate");
    let dir = temp_dir("connections-rotate-files");
    let config = write_config(&dir, &settings(&server.uri()));
    for name in ["A", "B"] {
        let o = home
            .run(&[
                "connections",
                "add",
                name,
                "--provider",
                "ukgpro",
                "--config",
                &config,
                "--no-test",
            ])
            .await;
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let key_file = home.dir.join("master.key");
    let old = std::fs::read(&key_file).unwrap();
    let o = home.run(&["connections", "rotate-key"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Re-encrypted 6 secrets"),
        "{}",
        stderr(&o)
    );
    assert_ne!(std::fs::read(&key_file).unwrap(), old);
    for name in ["A", "B"] {
        let o = home.run(&["connections", "test", name]).await;
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    std::fs::write(&key_file, &old).unwrap();
    let o = home.run(&["connections", "test", "A"]).await;
    assert_eq!(
        code(&o),
        7,
        "the old key no longer opens them: {}",
        stderr(&o)
    );

    // With the key in the environment, the new key comes from CONNECTOR_NEW_MASTER_KEY.
    let env_home = Home::new("rotate-env");
    let k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let k2 = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
    let o = env_home
        .run_with(
            &[
                "connections",
                "add",
                "A",
                "--provider",
                "ukgpro",
                "--config",
                &config,
                "--no-test",
            ],
            &[("CONNECTOR_MASTER_KEY", k1)],
        )
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = env_home
        .run_with(
            &["connections", "rotate-key"],
            &[("CONNECTOR_MASTER_KEY", k1)],
        )
        .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("CONNECTOR_NEW_MASTER_KEY"),
        "{}",
        stderr(&o)
    );
    let o = env_home
        .run_with(
            &["connections", "rotate-key"],
            &[
                ("CONNECTOR_MASTER_KEY", k1),
                ("CONNECTOR_NEW_MASTER_KEY", k2),
            ],
        )
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = env_home
        .run_with(
            &["connections", "test", "A"],
            &[("CONNECTOR_MASTER_KEY", k2)],
        )
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_home_clean(&home.dir);
    assert_home_clean(&env_home.dir);
}

#[cfg(unix)]
#[tokio::test]
async fn the_home_and_its_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = fixture_server().await;
    let home = Home::new("permissions");
    let dir = temp_dir("connections-permissions-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = home
        .run(&[
            "connections",
            "add",
            "A",
            "--provider",
            "ukgpro",
            "--config",
            &config,
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&home.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        files.iter().any(|p| p.ends_with("connections.db")),
        "{files:?}"
    );
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
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
        .map(|n| {
            command(
                &[
                    "connections",
                    "add",
                    n,
                    "--provider",
                    "ukgpro",
                    "--config",
                    &config,
                    "--no-test",
                ],
                &env,
            )
            .output()
        })
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
    let o = home
        .run(&[
            "connections",
            "add",
            "A",
            "--provider",
            "ukgpro",
            "--config",
            &version(0),
            "--no-test",
        ])
        .await;
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

/// `add` on a terminal asks for each missing field in the schema's order, with its title and
/// a required mark, reads secrets without echo, saves and tests; `edit` asks for the secrets
/// again; `remove` asks for confirmation.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn prompts_on_a_terminal_ask_each_field_and_never_echo_secrets() {
    use crate::terminal::Terminal;
    let server = fixture_server().await;
    let home = Home::new("prompts");
    let home_dir = home.dir.to_string_lossy().into_owned();
    let env = [("CONNECTOR_HOME", home_dir.as_str())];
    let base = server.uri();

    let mut t = Terminal::spawn(
        &["connections", "add", "Acme", "--provider", "ukgpro"],
        &env,
    );
    t.expect("New UKG Pro connection `Acme`");
    t.expect("* API host (base URL) (base_url)");
    t.expect("base_url: ");
    t.type_line(&base);
    t.expect("* Service account user name (username)");
    t.expect("username: ");
    t.type_line(USER);
    t.expect("* Service account password (password)");
    t.expect("password: ");
    t.type_secret(PASSWORD);
    t.expect("* Customer API key (customer_api_key)");
    t.expect("customer_api_key: ");
    t.type_secret(CUSTOMER_KEY);
    t.expect("Set optional settings too (user_api_key, page_size");
    t.type_line("n");
    t.expect("Result: passed");
    let (status, screen) = t.finish();
    assert_eq!(status, 0, "{screen}");
    assert!(
        screen.contains(&base),
        "visible answers are echoed: {screen}"
    );
    assert_clean("the terminal", &screen);

    let o = home.run(&["connections", "list"]).await;
    assert!(stdout(&o).contains("\u{2713} connected"), "{}", stdout(&o));

    // Edit: the saved secrets are asked for again, hidden.
    let mut t = Terminal::spawn(&["connections", "edit", "acme"], &env);
    t.expect("password (secret; the saved value is not shown, enter it again): ");
    t.type_secret(PASSWORD);
    t.expect("customer_api_key (secret; the saved value is not shown, enter it again): ");
    t.type_secret(CUSTOMER_KEY);
    t.expect("Set optional settings too");
    t.type_line("");
    t.expect("Result: passed");
    let (status, screen) = t.finish();
    assert_eq!(status, 0, "{screen}");
    assert_clean("the terminal", &screen);

    // An auth choice (SCIM): pick a branch, then its fields.
    let mut t = Terminal::spawn(
        &[
            "connections",
            "add",
            "Idp",
            "--provider",
            "scim",
            "--no-test",
        ],
        &env,
    );
    t.expect("base_url: ");
    t.type_line("https://idp.example.com/scim/v2");
    t.expect("1. Bearer token");
    t.expect("2. Basic");
    t.expect("Choose 1-2: ");
    t.type_line("3");
    t.expect("enter a number from 1 to 2");
    t.type_line("1");
    t.expect("token: ");
    t.type_secret(USER_KEY);
    t.expect("Set optional settings too");
    t.type_line("n");
    let (status, screen) = t.finish();
    assert_eq!(status, 0, "{screen}");
    assert_clean("the terminal", &screen);
    let o = home.run(&["connections", "show", "idp", "--json"]).await;
    let shown: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        shown["settings"]["auth"],
        json!({"method": "bearer", "token": "set"})
    );

    // Remove asks first; "no" keeps it.
    let mut t = Terminal::spawn(&["connections", "remove", "Idp"], &env);
    t.expect("Remove the scim connection `Idp` and its secrets? [y/N] ");
    t.type_line("");
    let (status, screen) = t.finish();
    assert_eq!(status, 2, "{screen}");
    assert!(screen.contains("nothing was removed"), "{screen}");
    let mut t = Terminal::spawn(&["connections", "remove", "Idp"], &env);
    t.expect("[y/N] ");
    t.type_line("y");
    let (status, _) = t.finish();
    assert_eq!(status, 0);
    assert_home_clean(&home.dir);
}
