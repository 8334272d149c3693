//! The identity providers end to end on their standalone sandboxes, through the `connector`
//! binary as an operator runs it: the sandbox prints one override variable per endpoint (the
//! API and the token service on two origins), and with them `test`, `users`, a saved
//! connection's `sync` (the connection remembers them), and the Airbyte and Singer entry
//! points all reach the sandbox.

use crate::connections::Home;
use crate::harness::*;

/// The `VARIABLE=value` pairs the sandbox's start-up message gives.
async fn overrides(stderr: &mut Lines) -> Vec<(String, String)> {
    loop {
        let line = stderr
            .next_line()
            .await
            .unwrap()
            .expect("the sandbox's start-up message");
        let pairs: Vec<(String, String)> = line
            .split_whitespace()
            .filter_map(|w| w.split_once('='))
            .filter(|(k, _)| k.ends_with("ENDPOINT_OVERRIDE"))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if !pairs.is_empty() {
            return pairs;
        }
    }
}

async fn end_to_end(provider: &str) {
    let binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_connector"));
    let (mut child, settings, mut said) =
        spawn_sandbox(&binary, &[provider, "sandbox", "--users", "12"]).await;
    let variables = overrides(&mut said).await;
    let upper = provider.to_ascii_uppercase();
    let names: Vec<&str> = variables.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("{upper}_ENDPOINT_OVERRIDE"),
            format!("{upper}_TOKEN_ENDPOINT_OVERRIDE")
        ],
        "one variable per endpoint"
    );
    assert_ne!(variables[0].1, variables[1].1, "two origins");
    let home = Home::new(&format!("identity-{provider}"));
    std::fs::create_dir_all(&home.dir).unwrap();
    let config = home.dir.join(format!("{provider}.json"));
    std::fs::write(&config, settings.to_string()).unwrap();
    let config = config.to_string_lossy().into_owned();
    let env: Vec<(&str, &str)> = variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    let o = home
        .run_with(&[provider, "test", "--config", &config], &env)
        .await;
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Result: passed"), "{}", stdout(&o));

    let o = home
        .run_with(&[provider, "users", "--config", &config], &env)
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 12, "{}", stderr(&o));

    // A saved connection and its sync: a baseline, then nothing changed.
    let o = home
        .run_with(
            &[
                "connections",
                "add",
                "Directory",
                "--provider",
                provider,
                "--config",
                &config,
            ],
            &env,
        )
        .await;
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("endpoints (not the provider's production hosts)"),
        "the save says where the connection goes: {}",
        stderr(&o)
    );
    // The connection remembers the sandbox's endpoints: no variables needed any more.
    for _ in 0..2 {
        let o = home
            .run(&[provider, "sync", "--connection", "Directory"])
            .await;
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).trim().is_empty(), "no events: {}", stdout(&o));
    }
    let o = home
        .run(&[provider, "users", "--connection", "Directory"])
        .await;
    assert_eq!(stdout(&o).lines().count(), 12, "{}", stderr(&o));
    let o = home.run(&["connections", "show", "Directory"]).await;
    for (_, url) in &variables {
        assert!(stdout(&o).contains(url.as_str()), "{}", stdout(&o));
    }
    // Pointed back at production, it keeps no endpoints (production is out of reach here).
    let o = home
        .run(&[
            "connections",
            "edit",
            "Directory",
            "--keep-secrets",
            "--production-endpoints",
            "--no-test",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = home
        .run(&["connections", "show", "Directory", "--json"])
        .await;
    let shown: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(shown.get("endpoints").is_none(), "{shown}");
    // The variables point a production connection at the sandbox for one run.
    let o = home
        .run_with(&[provider, "users", "--connection", "Directory"], &env)
        .await;
    assert_eq!(stdout(&o).lines().count(), 12, "{}", stderr(&o));

    // The orchestrator entry points follow the same variables.
    let links = temp_dir(&format!("identity-links-{provider}"));
    let o = connector(&["install-entrypoints", links.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let check = program(
        &links.join(format!("source-{provider}")),
        &["check", "--config", &config],
        &env,
    )
    .output()
    .await
    .unwrap();
    assert!(
        stdout(&check).contains("\"status\":\"SUCCEEDED\""),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    let tap = program(
        &links.join(format!("tap-{provider}")),
        &["--config", &config],
        &env,
    )
    .output()
    .await
    .unwrap();
    assert_eq!(code(&tap), 0, "{}", stderr(&tap));
    assert_eq!(singer_records(&tap), 12, "{}", stderr(&tap));
    let _ = child.kill().await;
}

#[tokio::test]
async fn entra_id_works_end_to_end_on_its_sandbox() {
    end_to_end("entra").await;
}

#[tokio::test]
async fn google_workspace_works_end_to_end_on_its_sandbox() {
    end_to_end("google").await;
}

/// Two free loopback ports in a row (`PORT` and `PORT+1`).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        let Some(next) = port.checked_add(1) else {
            continue;
        };
        if std::net::TcpListener::bind(("127.0.0.1", next)).is_ok() {
            return port;
        }
    }
    panic!("no two free ports in a row");
}

/// `--port P` puts the token service on P+1: a sandbox started again on P serves the
/// connection saved with its endpoints (it keeps no state but its fixed credentials).
#[tokio::test]
async fn a_sandbox_started_again_on_its_port_serves_the_saved_connection() {
    let binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_connector"));
    let port = free_port_pair().to_string();
    let args = ["entra", "sandbox", "--users", "7", "--port", &port];
    let (mut child, settings, mut said) = spawn_sandbox(&binary, &args).await;
    let variables = overrides(&mut said).await;
    let next = (port.parse::<u16>().unwrap() + 1).to_string();
    assert!(
        variables[1].1.contains(&format!(":{next}")),
        "the token service on the next port: {variables:?}"
    );
    let home = Home::new("identity-restart");
    std::fs::create_dir_all(&home.dir).unwrap();
    let config = home.dir.join("entra.json");
    std::fs::write(&config, settings.to_string()).unwrap();
    let env: Vec<(&str, &str)> = variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let config = config.to_string_lossy().into_owned();
    let add = [
        "connections",
        "add",
        "Directory",
        "--provider",
        "entra",
        "--config",
        &config,
    ];
    let o = home.run_with(&add, &env).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    child.kill().await.unwrap();
    // Its standard error stays open while it runs (a closed pipe would stop it).
    let (_again, _, _said) = spawn_sandbox(&binary, &args).await;
    let o = home
        .run(&["entra", "users", "--connection", "Directory"])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 7, "{}", stderr(&o));
}
