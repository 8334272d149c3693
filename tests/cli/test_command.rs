//! `<provider> test`: checklists, exit codes, settings from files and the environment.

use super::harness::*;

#[tokio::test]
async fn test_passes_against_a_good_tenant() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("pass");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{out}{}", stderr(&o));
    assert_eq!(out.matches('\u{2713}').count(), 5, "{out}");
    assert!(out.contains("Result: passed (5 of 5 steps)"), "{out}");
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.headers["api-key"] == USER_KEY));
}

#[tokio::test]
async fn json_report_lists_every_step() {
    let server = ukg(rows(), ResponseTemplate::new(403)).await;
    let dir = temp_dir("json");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = connector(&["ukgpro", "test", "--config", &config, "--json"], &[]).await;
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["provider"], "ukgpro");
    assert_eq!(report["passed"], false);
    let statuses: Vec<_> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("settings", "passed"),
            ("reachable", "passed"),
            ("authenticated", "passed"),
            ("permission_employee_person_details", "passed"),
            ("permission_personnel_integration", "failed"),
        ]
    );
    let failed = &report["steps"][4];
    assert_eq!(failed["error_kind"], "permission");
    assert!(failed["hint"]
        .as_str()
        .unwrap()
        .contains("Personnel Integration"));
    assert!(failed["duration_ms"].is_u64());
}

#[tokio::test]
async fn wrong_password_exits_3_with_the_fix() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("401");
    let mut bad = settings(&server.uri());
    bad["password"] = json!("not-the-password");
    let config = write_config(&dir, &bad);
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 3);
    let out = stdout(&o);
    assert!(out.contains("\u{2717} Authenticated"), "{out}");
    assert!(
        out.contains("hint: UKG Pro rejected the service account"),
        "{out}"
    );
    assert_eq!(
        out.matches('\u{2013}').count(),
        2,
        "two skipped steps: {out}"
    );
}

#[tokio::test]
async fn environment_overrides_the_config_file() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("env");
    let mut file = settings(&server.uri());
    file["password"] = json!("stale-password");
    let config = write_config(&dir, &file);
    let o = connector(
        &["ukgpro", "test", "--config", &config],
        &[("UKGPRO_PASSWORD", PASSWORD)],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // Environment only, no file at all.
    let base = server.uri();
    let env = [
        ("UKGPRO_BASE_URL", base.as_str()),
        ("UKGPRO_USERNAME", USER),
        ("UKGPRO_PASSWORD", PASSWORD),
        ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
    ];
    let o = connector(&["ukgpro", "test"], &env).await;
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[tokio::test]
async fn unreachable_host_exits_5() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dir = temp_dir("net");
    let config = write_config(&dir, &settings(&format!("http://{addr}")));
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 5, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("\u{2717} Host reachable"),
        "{}",
        stdout(&o)
    );
}

#[tokio::test]
async fn all_settings_problems_at_once_exit_2() {
    let dir = temp_dir("invalid");
    let config = write_config(
        &dir,
        &json!({"base_url": "service5.ultipro.com", "username": "svc", "colour": "teal"}),
    );
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 2);
    let out = stdout(&o);
    assert!(out.contains("password: is required"), "{out}");
    assert!(out.contains("customer_api_key: is required"), "{out}");
    assert!(out.contains("colour: is not a known field"), "{out}");
    assert!(out.contains("3 problem(s)"), "{out}");

    let o = connector(&["ukgpro", "test", "--config", &config, "--json"], &[]).await;
    assert_eq!(code(&o), 2);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["steps"][0]["error_kind"], "invalid_settings");
}

#[tokio::test]
async fn unreadable_or_malformed_config_is_a_usage_error() {
    let o = connector(
        &["ukgpro", "test", "--config", "/nonexistent/ukg.json"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("--config: cannot read /nonexistent/ukg.json"),
        "{}",
        stdout(&o)
    );

    let dir = temp_dir("malformed");
    let file = dir.join("bad.json");
    std::fs::write(&file, format!("{{\"password\": \"{PASSWORD}\",")).unwrap();
    let o = connector(&["ukgpro", "test", "--config", file.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("is not valid JSON"), "{}", stdout(&o));
    assert!(!stdout(&o).contains(PASSWORD) && !stderr(&o).contains(PASSWORD));

    let array = write_config(&dir, &json!([1, 2]));
    let o = connector(&["ukgpro", "test", "--config", &array], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("must be a JSON object"),
        "{}",
        stdout(&o)
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_config_file_readable_by_others_is_warned_about_without_values() {
    use std::os::unix::fs::PermissionsExt;
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("perms");
    let config = write_config(&dir, &settings(&server.uri()));
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 0, "a warning, not a failure");
    let err = stderr(&o);
    assert!(
        err.contains("holds secrets (password, customer_api_key, user_api_key)"),
        "{err}"
    );
    assert!(
        err.contains("mode 644") && err.contains(&format!("chmod 600 {config}")),
        "{err}"
    );
    assert!(
        !err.contains(PASSWORD) && !err.contains(CUSTOMER_KEY),
        "{err}"
    );

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));

    // No secrets in the file (they come from the environment): nothing to warn about.
    let base = server.uri();
    let no_secrets = write_config(&dir, &json!({"base_url": base, "username": USER}));
    std::fs::set_permissions(&no_secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = connector(
        &["ukgpro", "test", "--config", &no_secrets],
        &[
            ("UKGPRO_PASSWORD", PASSWORD),
            ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
        ],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[tokio::test]
async fn a_misspelled_variable_is_named_with_the_real_one() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("misspelled-env");
    let file = write_config(&dir, &settings(&server.uri()));
    let o = connector(
        &["ukgpro", "test", "--config", &file],
        &[("UKGPRO_PASWORD", "stale"), ("UKGPRO_COLOUR", "blue")],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "UKGPRO_PASWORD is not a UKG Pro setting and is ignored; did you mean UKGPRO_PASSWORD?"
        ),
        "{err}"
    );
    assert!(
        err.contains("UKGPRO_COLOUR is not a UKG Pro setting"),
        "{err}"
    );
    assert!(!err.contains("stale"), "values are never shown: {err}");
}

#[tokio::test]
async fn a_config_that_is_not_a_small_regular_file_is_refused() {
    for (path, why) in [
        ("/dev/zero", "is a device, not a regular file"),
        ("/dev/null", "is a device, not a regular file"),
    ] {
        let o = connector(&["ukgpro", "test", "--config", path, "--json"], &[]).await;
        assert_eq!(code(&o), 2, "{path}: {}", stderr(&o));
        assert!(stdout(&o).contains(why), "{path}: {}", stdout(&o));
    }
    let dir = temp_dir("huge-config");
    let fifo = dir.join("fifo.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let o = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            connector(
                &[
                    "ukgpro",
                    "test",
                    "--config",
                    &fifo.to_string_lossy(),
                    "--json",
                ],
                &[],
            ),
        )
        .await
        .expect("a FIFO must not block");
        assert!(
            stdout(&o).contains("is a FIFO (named pipe), not a regular file"),
            "{}",
            stdout(&o)
        );
    }
    let huge = dir.join("huge.json");
    std::fs::write(&huge, vec![b' '; 2 * 1024 * 1024]).unwrap();
    let o = connector(
        &[
            "ukgpro",
            "test",
            "--config",
            &huge.to_string_lossy(),
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("larger than 1 MiB"), "{}", stdout(&o));
    let o = connector(&["ukgpro", "users", "--sandbox", "--company", ""], &[]).await;
    assert_eq!(
        code(&o),
        2,
        "an empty filter value is refused: {}",
        stderr(&o)
    );
}

/// A proxy that answers every CONNECT with `status`, counting them.
async fn refusing_proxy(
    status: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test]
async fn a_proxy_that_refuses_the_tunnel_is_named_and_not_retried() {
    let (proxy, connects) = refusing_proxy("403 Forbidden").await;
    let dir = temp_dir("refusing-proxy");
    let file = write_config(&dir, &settings("https://service5.ultipro.com"));
    let env = [("HTTPS_PROXY", proxy.as_str())];
    let o = connector(&["ukgpro", "test", "--config", &file, "--json"], &env).await;
    assert_eq!(code(&o), 5, "{}{}", stdout(&o), stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let reachable = &report["steps"][1];
    assert_eq!(reachable["status"], "failed", "{report}");
    assert!(
        reachable["message"]
            .as_str()
            .unwrap()
            .contains("the proxy refused"),
        "{report}"
    );
    assert!(
        reachable["hint"].as_str().unwrap().contains("HTTPS_PROXY"),
        "{report}"
    );
    let before = connects.load(std::sync::atomic::Ordering::SeqCst);
    let o = connector(&["ukgpro", "users", "--config", &file], &env).await;
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    assert!(stderr(&o).contains("the proxy refused"), "{}", stderr(&o));
    let during = connects.load(std::sync::atomic::Ordering::SeqCst) - before;
    assert!(
        during <= 4,
        "a refused tunnel is not retried ({during} CONNECTs)"
    );
}

#[tokio::test]
async fn config_shows_where_each_setting_comes_from_without_secrets() {
    let dir = temp_dir("config-sources");
    let file = write_config(&dir, &settings("https://service5.ultipro.com"));
    let o = connector(
        &["ukgpro", "config", "--config", &file],
        &[
            ("UKGPRO_PASSWORD", "Stale-Env-Pw-99"),
            ("UKGPRO_PASWORD", "x"),
        ],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("password").contains("set (secret)  (variable UKGPRO_PASSWORD)"),
        "{out}"
    );
    assert!(line("username").ends_with("(config file)"), "{out}");
    assert!(line("page_size").contains("10000  (default)"), "{out}");
    assert!(out.contains("did you mean UKGPRO_PASSWORD?"), "{out}");
    for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, "Stale-Env-Pw-99"] {
        assert!(
            !out.contains(secret) && !stderr(&o).contains(secret),
            "{secret} shown: {out}"
        );
    }
}

#[tokio::test]
async fn a_schema_reference_for_editors_is_accepted_in_the_config_file() {
    let server = ukg(rows(), rows()).await;
    let dir = temp_dir("schema-ref");
    let mut file = settings(&server.uri());
    file["$schema"] = json!("./ukgpro.schema.json");
    let config = write_config(&dir, &file);
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Result: passed"), "{}", stdout(&o));

    // Anything else than a path or URL there is a mistake, named as such.
    file["$schema"] = json!(7);
    let config = write_config(&dir, &file);
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("$schema: must be a string"),
        "{}",
        stdout(&o)
    );

    // Other unknown keys are still refused.
    file["$schema"] = json!("./ukgpro.schema.json");
    file["pasword"] = json!("x");
    let config = write_config(&dir, &file);
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("pasword"), "{}", stdout(&o));
}

/// A server that accepts connections and never answers fails the test within its time limit
/// (`CONNECTOR_TEST_TIMEOUT`, 30 s by default), naming the host and the time waited, instead
/// of running for minutes of per-request timeouts and retries.
#[tokio::test]
async fn a_server_that_never_answers_fails_the_test_within_its_time_limit() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // accepted, never answered
        }
    });
    let dir = temp_dir("never-answers");
    let config = write_config(&dir, &settings(&format!("http://127.0.0.1:{port}")));
    let started = std::time::Instant::now();
    let o = tokio::time::timeout(
        std::time::Duration::from_secs(40),
        command(
            &["ukgpro", "test", "--config", &config, "--json"],
            &[("CONNECTOR_TEST_TIMEOUT", "3")],
        )
        .kill_on_drop(true)
        .output(),
    )
    .await
    .expect("the test ends within its time limit")
    .unwrap();
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    assert_eq!(code(&o), 5, "{}", stdout(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let failed: Vec<&Value> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{report}");
    let message = failed[0]["message"].as_str().unwrap();
    assert!(
        message.contains("no answer from 127.0.0.1 within 3 s"),
        "{message}"
    );
    assert_eq!(failed[0]["error_kind"], "network");
}

/// The first-hour mistakes each end in a message that names the way out.
#[tokio::test]
async fn first_hour_mistakes_name_the_fix() {
    // No settings at all: every way to give them, the sandbox included.
    let o = connector(&["ukgpro", "users"], &[]).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    for way in [
        "--config FILE",
        "UKGPRO_<FIELD>",
        "--connection NAME",
        "--sandbox",
    ] {
        assert!(stderr(&o).contains(way), "{way}: {}", stderr(&o));
    }
    // A bad value from a variable names the variable.
    let dir = temp_dir("first-hour");
    let config = write_config(&dir, &settings("https://service5.ultipro.com"));
    let o = connector(
        &["ukgpro", "users", "--config", &config],
        &[("UKGPRO_PAGE_SIZE", "abc")],
    )
    .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("page_size: must be an integer (from UKGPRO_PAGE_SIZE)"),
        "{}",
        stderr(&o)
    );
    // sync with --config: save a connection first.
    let o = connector(&["ukgpro", "sync", "--config", &config], &[]).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("connections add NAME --provider ukgpro --config"),
        "{}",
        stderr(&o)
    );
    // A URL without a scheme is https; against a plain-HTTP server the message says to write
    // http://.
    let server = fixture_server().await;
    let bare = server.uri().trim_start_matches("http://").to_owned();
    let config = write_config(&dir, &settings(&bare));
    let o = connector(&["ukgpro", "test", "--config", &config], &[]).await;
    assert_eq!(code(&o), 5, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("write the URL with http://"),
        "{}",
        stdout(&o)
    );
}

/// Every mistake in a choice setting (SCIM's `auth`) says what each choice needs and what
/// was given, never a bare "is invalid (oneOf)", and never the token's value.
#[tokio::test]
async fn choice_settings_errors_name_each_choice_and_what_is_missing() {
    let dir = temp_dir("choice-errors");
    let choices = "choose one of: bearer (needs `token`), basic (needs `username`, `password`)";
    for (auth, says) in [
        (json!({}), "got an object without `method`"),
        (
            json!({"token": "Leaky-Tok-7"}),
            "got an object without `method`",
        ),
        (
            json!("Bearer Leaky-Tok-7"),
            "got a string; give an object such as {\"method\": \"bearer\", …}",
        ),
        (
            json!({"method": "bearer"}),
            "`method` is `bearer`, which also needs `token`",
        ),
        (
            json!({"method": "basic", "username": "u"}),
            "`method` is `basic`, which also needs `password`",
        ),
        (
            json!({"method": "digest", "token": "Leaky-Tok-7"}),
            "`method` is not one of these",
        ),
        (
            json!({"method": "basic", "username": "svc:x", "password": "Leaky-Tok-7"}),
            "`method` is `basic`, but `username` does not have the expected form (the pattern `^[^:]*$`)",
        ),
    ] {
        let file = dir.join("scim.json");
        std::fs::write(
            &file,
            json!({"base_url": "https://scim.example/scim/v2", "auth": auth}).to_string(),
        )
        .unwrap();
        let o = connector(&["scim", "users", "--config", file.to_str().unwrap()], &[]).await;
        assert_eq!(code(&o), 2, "{auth}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("auth: {choices}; {says}")),
            "{auth}: {err}"
        );
        assert!(!err.contains("oneOf"), "{err}");
        assert!(!err.contains("Leaky-Tok-7"), "{err}");
    }
}
