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
    assert!(
        err.contains("retrying"),
        "retries are logged at warn: {err}"
    );
    assert!(
        err.contains("cause=\"rate_limited\"") || err.contains("cause=rate_limited"),
        "{err}"
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
