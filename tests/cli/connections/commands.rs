//! Every command end to end, missing fields, names and the canary scan.

use super::{assert_clean, assert_home_clean, Home};
use crate::harness::*;

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
        async move { home.add_with(name, &config, &[]).await }
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
    assert!(
        stderr(&o).contains("connector ukgpro … --connection \"Payroll\""),
        "{}",
        stderr(&o)
    );
}

/// The README's quick start for saved connections, run as written by a shell with `connector`
/// on its PATH and a connector home of its own.
#[tokio::test]
async fn the_readme_quick_start_saves_a_sandbox_connection_as_written() {
    let script = crate::docs::marked_block(
        "README.md",
        "the_readme_quick_start_saves_a_sandbox_connection_as_written",
    );
    let dir = temp_dir("readme-connections-quick-start");
    let home = Home::new("readme-quick-start");
    let env: Vec<(&str, &str)> = home
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // As written: the recipe stops its own sandbox (the runner waits for what it left running).
    let o = crate::docs::run_script(&script, &dir, &dir.join("home"), &env).await;
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Result: passed"), "{}", stdout(&o));
    let listed = stdout(&o);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("UKG sandbox") && l.contains("\u{2713} connected")),
        "{listed}"
    );
    assert!(!dir.join("sandbox.json").exists());
    let csv = std::fs::read_to_string(dir.join("users.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        301,
        "a header and the sandbox's 300 users"
    );
    // Nothing is left running on the recipe's port...
    let port: u16 = script
        .split("--port ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .expect("the recipe's fixed port");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the recipe left its sandbox running on port {port}"
    );
    // ...and the saved connection works again once the same sandbox is started again.
    let mut options = connector_core::sandbox::SandboxOptions::with_employees(300);
    options.port = port;
    let _again = connector_ukgpro::sandbox::start(options).await.unwrap();
    let o = home.run(&["connections", "test", "UKG sandbox"]).await;
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
}
