//! The example third-party provider's own binary (`cargo build --example acmehr`): it links
//! only its provider, passes its connection test on its sandbox, and its export is exact at
//! every page size or fails loudly (the regression test for the silent truncation at a page
//! size above the server's maximum).

use std::collections::HashSet;
use std::path::PathBuf;

use super::harness::*;

/// The example binary, built by `cargo test` next to this test's own binary.
fn acmehr() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let binary = dir
        .join("examples")
        .join(format!("acmehr{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test` builds the examples; with a filter run `cargo build --example acmehr` first",
        binary.display()
    );
    binary
}

async fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    program(&acmehr(), args, env)
        .output()
        .await
        .expect("run acmehr")
}

#[tokio::test]
async fn the_example_binary_links_only_its_provider() {
    let o = run(&["list", "--json"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["acmehr"],
        "connector_cli::run() links no provider itself"
    );
    // Its help names itself and offers only what Acme HR supports.
    let o = run(&["acmehr", "users", "--help"], &[]).await;
    let help = stdout(&o);
    assert!(help.contains("--status"), "{help}");
    assert!(help.contains("at most 500"), "{help}");
    assert!(
        !help.contains("--company"),
        "Acme HR has no companies: {help}"
    );
    let o = run(&["acmehr", "sandbox", "--help"], &[]).await;
    let help = stdout(&o);
    assert!(help.contains("employees:read"), "{help}");
    assert!(!help.contains("--malformed-page"), "{help}");
    let o = run(&["acmehr", "schema"], &[]).await;
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        schema["properties"].get("timeout_secs").is_some(),
        "the shared HTTP settings are flattened in"
    );
}

#[tokio::test]
async fn the_example_passes_its_connection_test_on_its_sandbox() {
    let o = run(&["acmehr", "test", "--sandbox", "--json"], &[]).await;
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "settings",
            "reachable",
            "token_service_reachable",
            "authenticated",
            "scope_employees_read"
        ]
    );
}

#[tokio::test]
async fn the_1200_employee_export_is_exact_at_every_page_size_or_fails_loudly() {
    let export = |size: &'static str| async move {
        let args = [
            "acmehr",
            "users",
            "--sandbox",
            "--sandbox-users",
            "1200",
            "--page-size",
            size,
        ];
        run(&args, &[]).await
    };
    for size in ["1", "7", "100", "499", "500"] {
        let o = export(size).await;
        assert_eq!(code(&o), 0, "page size {size}: {}", stderr(&o));
        let ids: Vec<String> = stdout(&o)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1200, "page size {size}");
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            1200,
            "page size {size}"
        );
        assert!(stderr(&o).contains("1,200"), "{}", stderr(&o));
    }
    // Above the server's maximum: refused before any request, naming the limit.
    let o = export("2000").await;
    assert_ne!(code(&o), 0);
    assert!(stdout(&o).is_empty(), "nothing exported: {}", stdout(&o));
    assert!(
        stderr(&o).contains("'--page-size <N>': 2000 is more than the 500 records per page"),
        "{}",
        stderr(&o)
    );
}

/// `VARIABLE=value` pairs the sandbox prints to point the provider at it.
fn overrides(hint: &str) -> Vec<(String, String)> {
    hint.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .filter(|(k, _)| k.ends_with("ENDPOINT_OVERRIDE"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test]
async fn a_standalone_sandbox_is_reached_through_a_variable_per_endpoint() {
    let (mut child, settings, mut err) =
        spawn_sandbox(&acmehr(), &["acmehr", "sandbox", "--users", "12"]).await;
    let mut hint = String::new();
    while !hint.contains("ENDPOINT_OVERRIDE=") {
        hint = err.next_line().await.unwrap().expect("hint line");
    }
    // The API and the token service on origins of their own, a variable each.
    let variables = overrides(&hint);
    let names: Vec<&str> = variables.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["ACMEHR_ENDPOINT_OVERRIDE", "ACMEHR_TOKEN_ENDPOINT_OVERRIDE"],
        "{hint}"
    );
    assert_ne!(variables[0].1, variables[1].1, "two origins: {hint}");
    let env: Vec<(&str, &str)> = variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let dir = temp_dir("acmehr-sandbox");
    let file = dir.join("sandbox.json");
    std::fs::write(&file, settings.to_string()).unwrap();
    let config = file.to_string_lossy().into_owned();
    let o = run(&["acmehr", "users", "--config", &config], &env).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 12);
    assert!(!stdout(&o).contains("acme-sandbox-secret"));

    // The token variable is the one the token request follows: pointed at a closed port, the
    // export fails there, naming the token service's address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let o = run(
        &["acmehr", "users", "--config", &config],
        &[(env[0].0, env[0].1), (env[1].0, &nowhere)],
    )
    .await;
    assert_ne!(code(&o), 0);
    let port = nowhere.rsplit(':').next().unwrap();
    assert!(stderr(&o).contains(port), "{}", stderr(&o));

    // The Airbyte and Singer entry points follow the same variables (before, they went to
    // production whatever was set).
    let links = temp_dir("acmehr-entrypoints");
    let made = run(&["install-entrypoints", links.to_str().unwrap()], &[]).await;
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    let source = links.join("source-acmehr");
    let check = program(&source, &["check", "--config", &config], &env)
        .output()
        .await
        .unwrap();
    let said = stdout(&check);
    assert!(
        said.contains("\"status\":\"SUCCEEDED\""),
        "{said}\n{}",
        stderr(&check)
    );
    let tap = program(&links.join("tap-acmehr"), &["--config", &config], &env)
        .output()
        .await
        .unwrap();
    assert_eq!(code(&tap), 0, "{}", stderr(&tap));
    assert_eq!(singer_records(&tap), 12, "{}", stderr(&tap));
    let _ = child.kill().await;
}

/// `serve --sandbox` in a binary whose provider has fixed hosts: a connection made from the
/// sandbox's offered settings reaches the sandbox through the provider's endpoints (its
/// settings hold no URL), and tests green.
#[tokio::test]
async fn the_console_points_a_fixed_host_provider_at_its_sandbox() {
    let home = crate::connections::Home::new("acmehr-serve");
    let console = crate::serve::Console::start_binary(&acmehr(), &home, &["--sandbox"]).await;
    let settings = console.sandbox_settings("acmehr").await;
    assert!(settings.is_object(), "offered: {settings}");
    assert!(
        !settings.to_string().contains("http"),
        "no URL in the settings: {settings}"
    );
    let new = json!({"name": "Acme", "provider": "acmehr", "settings": settings});
    let (status, saved) = console.post("/api/connections", new).await;
    assert_eq!(status, 201, "{saved}");
    let (status, report) = console.post("/api/connections/Acme/test", json!({})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["passed"], true, "{report}");
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(steps.contains(&"token_service_reachable"), "{steps:?}");
}

#[tokio::test]
async fn a_custom_binary_reports_its_own_name_and_version() {
    let o = run(&["--version"], &[]).await;
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(text.starts_with("acmehr 1.0.0 (connector SDK "), "{text}");
    let o = run(&["completions", "bash"], &[]).await;
    assert!(
        stdout(&o).contains("acmehr"),
        "completions use the binary's name"
    );
}
