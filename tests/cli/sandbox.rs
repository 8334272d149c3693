//! The embedded UKG Pro sandbox: quick start, scale, faults.

use super::harness::*;

#[tokio::test]
async fn quick_start_commands_work_on_the_embedded_sandbox() {
    let o = connector(&["ukgpro", "test", "--sandbox"], &[]).await;
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Result: passed (5 of 5 steps)"));

    let o = connector(&["ukgpro", "users", "--sandbox", "--format", "csv"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 300, "the default sandbox has 300 employees");
    assert!(stderr(&o).contains("Exported 300 users"), "{}", stderr(&o));

    let o = connector(&["ukgpro", "users", "--sandbox", "--config", "x.json"], &[]).await;
    assert_eq!(code(&o), 2, "--sandbox and --config exclude each other");
}

#[tokio::test]
async fn sandbox_process_serves_25001_employees_exactly_once() {
    let (mut sandbox, config) = sandbox_process(&["--employees", "25001"]).await;
    assert_eq!(config["username"], "sandbox-svc");
    assert!(config["base_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let dir = temp_dir("sandbox-25001");
    let file = write_config(&dir, &config);
    let o = connector(
        &["ukgpro", "users", "--config", &file, "--page-size", "10000"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut ids = std::collections::HashSet::new();
    for line in stdout(&o).lines() {
        let user: Value = serde_json::from_str(line).unwrap();
        assert!(
            ids.insert(user["id"].as_str().unwrap().to_owned()),
            "duplicate {line}"
        );
    }
    assert_eq!(ids.len(), 25_001);
    assert!(
        stderr(&o).contains("Exported 25,001 users"),
        "{}",
        stderr(&o)
    );
    sandbox.kill().await.unwrap();
}

#[tokio::test]
async fn sandbox_permissions_and_credentials_give_the_documented_exit_codes() {
    let (mut sandbox, config) =
        sandbox_process(&["--employees", "10", "--deny", "personnel-integration"]).await;
    let dir = temp_dir("sandbox-codes");
    let file = write_config(&dir, &config);
    let o = connector(&["ukgpro", "test", "--config", &file], &[]).await;
    assert_eq!(code(&o), 4, "{}", stdout(&o));
    assert!(stdout(&o).contains("\u{2717} Permission: Personnel Integration"));

    let mut wrong = config.clone();
    wrong["customer_api_key"] = json!("WRONG");
    let file = write_config(&dir, &wrong);
    let o = connector(&["ukgpro", "test", "--config", &file], &[]).await;
    assert_eq!(code(&o), 3, "{}", stdout(&o));
    sandbox.kill().await.unwrap();

    let o = connector(&["ukgpro", "sandbox", "--deny", "payroll"], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown permission `payroll`"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn a_429_storm_slows_the_export_down_but_it_completes_exactly() {
    let (persons, employments) = generated(1_000);
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    // The first requests all hit the tenant's quota (429 without Retry-After, like UKG).
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(4)
        .with_priority(1)
        .mount(&server)
        .await;
    let dir = temp_dir("storm");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let out = dir.join("users.jsonl");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--page-size",
            "250",
            "--output",
            out.to_str().unwrap(),
        ],
        &[("RUST_LOG", "warn")],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let ids: std::collections::HashSet<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        (text.lines().count(), ids.len()),
        (1_000, 1_000),
        "every user exactly once"
    );
    let err = stderr(&o);
    // Retries are short human lines naming the request and the status, counted in the summary.
    assert!(
        err.lines()
            .any(|l| l.starts_with("retry: GET /personnel/v1/")
                && l.contains(" page ")
                && l.contains("got HTTP 429 (rate limited)")),
        "{err}"
    );
    let lines = err.lines().filter(|l| l.starts_with("retry: ")).count();
    assert!(
        err.contains(&format!("Requests retried: {lines}")),
        "the summary counts the {lines} retries shown: {err}"
    );
    assert!(
        !err.contains("cause=rate_limited"),
        "no raw tracing line: {err}"
    );
    assert!(err.contains("throttled: fewer requests in flight"), "{err}");
}

#[tokio::test]
async fn a_persistent_429_storm_fails_clearly_after_the_retry_budget() {
    let server = support::ukg(Paged::new(vec![]), Paged::new(vec![])).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429))
        .with_priority(1)
        .mount(&server)
        .await;
    let dir = temp_dir("storm-forever");
    let mut raw = support::settings(&server.uri());
    raw["max_attempts"] = json!(2);
    let config = write_config(&dir, &raw);
    let out = dir.join("users.csv");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--format",
            "csv",
            "--output",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("page 1: rate limited (HTTP 429) (gave up after 2 attempts)"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: UKG Pro's per-tenant request quota was exceeded even after backing off"
        ),
        "{err}"
    );
    assert!(!out.exists(), "a failed export left a file");
}

#[tokio::test]
async fn settings_out_writes_a_complete_owner_only_file_once_the_sandbox_answers() {
    use std::os::unix::fs::PermissionsExt;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let dir = temp_dir("sandbox-settings-out");
    let file = dir.join("sandbox.json");
    let file_arg = file.to_str().unwrap();
    let mut child = command(
        &[
            "ukgpro",
            "sandbox",
            "--users",
            "7",
            "--settings-out",
            file_arg,
        ],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true)
    .spawn()
    .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let announced = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("settings written to") {
                return line;
            }
        }
        String::new()
    })
    .await
    .expect("the sandbox announces its settings file");
    assert!(announced.contains(file_arg), "{announced}");
    assert!(
        announced.contains(&format!("ukgpro test --config {file_arg}")),
        "{announced}"
    );
    // The file is there, whole and owner-only, the moment it is announced.
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(config["username"], "sandbox-svc");
    assert_eq!(
        dir_entries(&dir),
        vec!["sandbox.json".to_string()],
        "no temporary file is left"
    );
    let o = connector(&["ukgpro", "users", "--config", file_arg], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("Exported 7 users"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("readable by other users"),
        "{}",
        stderr(&o)
    );
    child.kill().await.unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    assert_eq!(out, "", "with --settings-out nothing is printed on stdout");

    let o = connector(
        &[
            "ukgpro",
            "sandbox",
            "--settings-out",
            "/nonexistent-folder/s.json",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--settings-out /nonexistent-folder/s.json"),
        "{}",
        stderr(&o)
    );
}

/// The README's sandbox recipe, run as written by a shell with `connector` on its PATH: the
/// background sandbox and the commands that follow it do not race.
#[tokio::test]
async fn the_readme_sandbox_recipe_runs_as_written() {
    let script =
        crate::docs::marked_block("README.md", "the_readme_sandbox_recipe_runs_as_written");
    assert!(script.contains("--settings-out sandbox.json &"), "{script}");
    let dir = temp_dir("readme-sandbox-recipe");
    // As written: the recipe stops its own sandbox (the runner waits for what it left running).
    let o = crate::docs::run_script(&script, &dir, &dir.join("home"), &[]).await;
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Result: passed"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("Exported 25,000 users"),
        "{}",
        stderr(&o)
    );
    let csv = std::fs::read_to_string(dir.join("users.csv")).unwrap();
    assert_eq!(csv.lines().count(), 25_001, "a header and 25,000 rows");
    assert!(
        !stderr(&o).contains("readable by other users"),
        "{}",
        stderr(&o)
    );
}

/// A sandbox of `provider` started with `--log-requests` and `--settings-out`: the child,
/// its stderr past the start lines, and the settings file.
async fn logged_sandbox(
    provider: &str,
) -> (
    tokio::process::Child,
    tokio::io::BufReader<tokio::process::ChildStderr>,
    std::path::PathBuf,
) {
    use tokio::io::AsyncBufReadExt;
    let file = temp_dir(&format!("sandbox-log-requests-{provider}")).join("sandbox.json");
    let mut child = command(
        &[
            provider,
            "sandbox",
            "--users",
            "7",
            "--log-requests",
            "--settings-out",
            file.to_str().unwrap(),
        ],
        &[],
    )
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true)
    .spawn()
    .unwrap();
    let mut stderr_pipe = tokio::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while !first.contains("settings written to") {
            if stderr_pipe.read_line(&mut first).await.unwrap_or(0) == 0 {
                break;
            }
        }
    })
    .await
    .expect("the sandbox starts");
    (child, stderr_pipe, file)
}

/// `sandbox --log-requests` prints one line per answered request (method, path and query,
/// status) in the foreground, and never a credential.
#[tokio::test]
async fn log_requests_shows_each_answered_request_without_credentials() {
    use base64::Engine as _;
    use tokio::io::AsyncReadExt;
    let (mut child, mut stderr_pipe, file) = logged_sandbox("ukgpro").await;
    let file_arg = file.to_str().unwrap();
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let o = connector(&["ukgpro", "users", "--config", file_arg], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = connector(
        &["ukgpro", "test", "--config", file_arg],
        &[("UKGPRO_PASSWORD", "not-the-password")],
    )
    .await;
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    child.kill().await.unwrap();
    let mut log = String::new();
    stderr_pipe.read_to_string(&mut log).await.unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let ok = lines
        .iter()
        .filter(|l| l.contains("GET /personnel/v1/person-details?") && l.ends_with(" -> 200"))
        .count();
    assert!(ok >= 1, "{log}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("GET /personnel/v1/employment-details?") && l.ends_with(" -> 200")),
        "{log}"
    );
    assert!(lines.iter().any(|l| l.ends_with(" -> 401")), "{log}");
    let first_request = lines.iter().find(|l| l.contains(" GET ")).unwrap_or(&"");
    let time = first_request.split(' ').next().unwrap_or("");
    assert!(
        time.len() == 8 && time.as_bytes()[2] == b':',
        "each line starts with the time: {log}"
    );
    let user = config["username"].as_str().unwrap();
    for field in ["password", "customer_api_key"] {
        let secret = config[field].as_str().unwrap();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        assert!(!log.contains(secret), "{field} leaked: {log}");
        assert!(!log.contains(&basic), "{field} leaked as Basic: {log}");
    }
    assert!(!log.contains("not-the-password"), "{log}");
}

/// The SCIM sandbox (a different server underneath) logs its requests the same way.
#[tokio::test]
async fn the_scim_sandbox_logs_requests_too() {
    use tokio::io::AsyncReadExt;
    let (mut child, mut stderr_pipe, file) = logged_sandbox("scim").await;
    let o = connector(&["scim", "users", "--config", file.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    child.kill().await.unwrap();
    let mut log = String::new();
    stderr_pipe.read_to_string(&mut log).await.unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(" GET /scim/v2/Users?") && l.ends_with(" -> 200")),
        "{log}"
    );
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let token = config["token"]
        .as_str()
        .unwrap_or("no token in the settings");
    assert!(!log.contains(token), "{log}");
}
