//! Where an export goes: replaced only when complete, never a special file, no stale
//! partial files, a closed pipe.

use crate::harness::*;

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
    // Requests of page 3 so far: each run waits for one of its own (the server is shared, so
    // an earlier run's request must not count as this one being underway).
    let page_3_requests = || async {
        pages_requested(&server, support::PERSON)
            .await
            .iter()
            .filter(|p| **p == 3)
            .count()
    };
    for signal in ["TERM", "HUP", "KILL"] {
        std::fs::write(&target, "previous good export\n").unwrap();
        let before = page_3_requests().await;
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
        // Wait until the export is underway: page 3 has been requested (and hangs). On a
        // loaded machine that can take seconds; a signal before the handler is set would not
        // test the handler.
        let mut underway = false;
        for _ in 0..1200 {
            if page_3_requests().await > before {
                underway = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(underway, "{signal}: the export never reached page 3");
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
async fn output_refuses_special_files_and_folders_before_any_request() {
    let server = fixture_server().await;
    let dir = temp_dir("special-output");
    let file = write_config(&dir, &settings(&server.uri()));
    let missing_folder = dir.join("nope").join("users.csv");
    let targets: Vec<(String, &str)> = vec![
        (dir.to_string_lossy().into_owned(), "is a directory"),
        ("/dev/null".to_owned(), "is a device, not a regular file"),
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
