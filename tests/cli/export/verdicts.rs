//! When an export fails: exit codes, broken or empty data, a wrong address, the summary
//! for scripts, quiet mode.

use crate::harness::*;

#[tokio::test]
async fn export_failures_use_the_documented_exit_codes() {
    let dir = temp_dir("export-codes");
    let server = support::ukg(
        Paged::new(vec![]),
        Paged::new(vec![]).with_fault(1, ResponseTemplate::new(403)),
    )
    .await;
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(stderr(&o).contains(
        "hint: give the service account View on the \u{201c}Personnel Integration\u{201d}"
    ));

    let mut bad = support::settings(&server.uri());
    bad["password"] = json!("wrong");
    let config = write_config(&dir, &bad);
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 3, "{}", stderr(&o));

    let config = write_config(&dir, &json!({"base_url": "x.example"}));
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("  password: is required"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn an_export_of_mostly_broken_data_fails_and_replaces_nothing() {
    let (persons, employments) = generated(10);
    // Every person record lacks its id (malformed); employments are fine.
    let broken: Vec<Value> = persons
        .into_iter()
        .map(|mut p| {
            p.as_object_mut().unwrap().remove("employeeId");
            p
        })
        .collect();
    let server = support::ukg(Paged::new(broken), Paged::new(employments)).await;
    let dir = temp_dir("mostly-broken");
    let file = write_config(&dir, &settings(&server.uri()));
    let target = dir.join("users.jsonl");
    std::fs::write(&target, "the last good export\n").unwrap();
    let args = [
        "ukgpro",
        "users",
        "--config",
        &file,
        "--output",
        &target.to_string_lossy(),
    ];
    let o = connector(&args, &[]).await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("10 of 10 users have only part of their data"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the last good export\n"
    );
    let mut accepting = args.to_vec();
    accepting.push("--accept-incomplete");
    let o = connector(&accepting, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&target).unwrap().lines().count(),
        10
    );
}

#[tokio::test]
async fn an_empty_or_small_export_fails_unless_allowed() {
    let server = fixture_server().await;
    let dir = temp_dir("empty-export");
    let file = write_config(&dir, &settings(&server.uri()));
    let target = dir.join("users.jsonl");
    std::fs::write(&target, "the last good export\n").unwrap();
    let out = target.to_string_lossy().into_owned();
    let nobody = [
        "ukgpro",
        "users",
        "--config",
        &file,
        "--company",
        "C9999",
        "--output",
        &out,
    ];
    let o = connector(&nobody, &[]).await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the export holds no user"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the last good export\n"
    );
    let mut allowed = nobody.to_vec();
    allowed.push("--allow-empty");
    let o = connector(&allowed, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &file,
            "--min-users",
            "1000",
            "--output",
            &out,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("fewer than --min-users 1,000"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn a_wrong_address_fails_fast_instead_of_retrying_every_page() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let dir = temp_dir("refused-port");
    let file = write_config(&dir, &settings(&format!("http://{addr}")));
    let started = std::time::Instant::now();
    let o = connector(&["ukgpro", "users", "--config", &file], &[]).await;
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "a refused port must not be retried for every page ({:?})",
        started.elapsed()
    );
    assert!(!stderr(&o).contains("retry: "), "{}", stderr(&o));
}

#[tokio::test]
async fn summary_json_reports_the_outcome_and_counts_for_scripts() {
    let dir = temp_dir("summary-json");
    let summary = dir.join("summary.json");
    let summary_arg = summary.to_str().unwrap();
    let out = dir.join("users.csv");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--sandbox",
            "--output",
            out.to_str().unwrap(),
            "--summary-json",
            summary_arg,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["error"], Value::Null);
    assert_eq!(report["written"], true);
    assert_eq!(report["format"], "csv");
    assert_eq!(report["users"], 300);
    let rows = std::fs::read_to_string(&out).unwrap().lines().count() - 1;
    assert_eq!(
        report["users"], rows as u64,
        "the report counts what was written"
    );
    let by_status: u64 = report["by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_status, 300);
    assert_eq!(report["filled"]["id"], 300);
    assert_eq!(report["records"], 600);

    // A failed export still reports, with the reason and the exit status; nothing written.
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--sandbox",
            "--company",
            "C1",
            "--summary-json",
            summary_arg,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["exit_code"], 1);
    assert_eq!(report["written"], false);
    assert_eq!(report["users"], 0);
    assert!(
        report["error"].as_str().unwrap().contains("no user"),
        "{report}"
    );

    // A refused password: exit 3 in the report, and the password nowhere in it.
    let server = ukg(ResponseTemplate::new(401), ResponseTemplate::new(401)).await;
    let config = write_config(&dir, &settings(&server.uri()));
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--summary-json",
            summary_arg,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let text = std::fs::read_to_string(&summary).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["exit_code"], 3);
    assert!(!report["error"].as_str().unwrap().is_empty());
    assert!(!text.contains(PASSWORD), "{text}");

    // A summary that cannot be written is refused before any request.
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--sandbox",
            "--summary-json",
            "/nonexistent-folder/s.json",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--summary-json: the folder /nonexistent-folder does not exist"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn quiet_says_only_what_went_wrong() {
    let o = connector(&["-q", "ukgpro", "users", "--sandbox"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 300);
    assert!(
        !stderr(&o).contains("Exported"),
        "no summary with -q: {}",
        stderr(&o)
    );
    // An error is still reported, in full.
    let o = connector(
        &["ukgpro", "users", "--sandbox", "--company", "C1", "--quiet"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("error: the export holds no user"),
        "{}",
        stderr(&o)
    );
    let o = connector(&["-q", "-v", "list"], &[]).await;
    assert_eq!(code(&o), 2, "-q and -v exclude each other");
}
