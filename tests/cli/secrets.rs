//! No secret on any stream, in any failure mode, at trace level.

use super::harness::*;

/// The canary: distinctive secrets, maximum logging, success and failure paths; no secret
/// (nor the Basic base64 form) may appear on any stream.
#[tokio::test]
async fn secrets_never_appear_on_any_stream_at_trace_level() {
    let good = ukg(rows(), rows()).await;
    let html = ukg(
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/html")
            .set_body_string("<html>login</html>"),
        ResponseTemplate::new(500).set_body_json(json!({"message": "boom"})),
    )
    .await;
    let redirecting = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", good.uri())),
        )
        .mount(&redirecting)
        .await;
    let dir = temp_dir("canary");
    let mut runs = Vec::new();
    for base in [
        good.uri(),
        html.uri(),
        redirecting.uri(),
        "http://127.0.0.1:9".into(),
    ] {
        let config = write_config(&dir, &settings(&base));
        for extra in [&[][..], &["--json"][..]] {
            let mut args = vec!["ukgpro", "test", "--config", config.as_str()];
            args.extend_from_slice(extra);
            runs.push(connector(&args, &[("RUST_LOG", "trace")]).await);
        }
    }
    // Invalid settings: the secrets come from the environment and the file has a typo.
    let config = write_config(&dir, &json!({"base_url": "ftp://x", "pasword": PASSWORD}));
    runs.push(
        connector(
            &["ukgpro", "test", "--config", &config],
            &[
                ("RUST_LOG", "trace"),
                ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
                ("UKGPRO_USER_API_KEY", USER_KEY),
            ],
        )
        .await,
    );
    let mut saw_trace = false;
    for o in &runs {
        let text = format!("{}\n{}", stdout(o), stderr(o));
        saw_trace |= text.contains("TRACE") || text.contains("DEBUG");
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, basic_b64()] {
            assert!(!text.contains(secret), "secret {secret} leaked:\n{text}");
        }
    }
    assert!(
        saw_trace,
        "RUST_LOG=trace produced no log output; the canary would prove nothing"
    );
    // The redirect target was never contacted with credentials.
    let to_good = good.received_requests().await.unwrap();
    assert!(to_good.iter().all(|r| r.url.path() != "/elsewhere"));
}

#[tokio::test]
async fn export_canary_secrets_never_leak() {
    let (persons, employments) = generated(120);
    let server = support::ukg(
        Paged::new(persons),
        Paged::new(employments).with_fault(2, ResponseTemplate::new(502)),
    )
    .await;
    let dir = temp_dir("export-canary");
    let mut raw = support::settings(&server.uri());
    raw["user_api_key"] = json!(USER_KEY);
    raw["max_attempts"] = json!(2);
    let config = write_config(&dir, &raw);
    let out = dir.join("out.csv");
    for args in [
        vec!["ukgpro", "users", "--config", &config, "--page-size", "50"],
        vec![
            "ukgpro",
            "users",
            "--config",
            &config,
            "--page-size",
            "100",
            "--format",
            "csv",
            "--output",
            out.to_str().unwrap(),
        ],
    ] {
        let o = connector(&args, &[("RUST_LOG", "trace")]).await;
        let text = format!("{}\n{}", stdout(&o), stderr(&o));
        assert!(
            text.contains("TRACE") || text.contains("DEBUG"),
            "no logs at trace level"
        );
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, BASIC_B64] {
            assert!(!text.contains(secret), "secret {secret} leaked");
        }
    }
    if let Ok(file) = std::fs::read_to_string(&out) {
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, BASIC_B64] {
            assert!(!file.contains(secret));
        }
    }
}

/// The secrets matrix: for success and every failure mode, at `RUST_LOG=trace`, the password,
/// the customer and user API keys and the Basic base64 form never appear in stdout, stderr,
/// the JSON report or the output file.
#[tokio::test]
async fn secrets_never_leak_across_the_fault_matrix() {
    let (persons, employments) = generated(120);
    let mut servers: Vec<(&str, MockServer)> = Vec::new();
    servers.push((
        "success",
        support::ukg(Paged::new(persons.clone()), Paged::new(employments.clone())).await,
    ));
    let storm = support::ukg(Paged::new(persons.clone()), Paged::new(employments.clone())).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&storm)
        .await;
    servers.push(("429 storm", storm));
    servers.push((
        "persistent 502",
        support::ukg(
            Paged::new(persons.clone()),
            Paged::new(employments.clone()).with_fault(1, ResponseTemplate::new(502)),
        )
        .await,
    ));
    servers.push((
        "html page",
        support::ukg(
            Paged::new(vec![]).with_fault(
                1,
                ResponseTemplate::new(200).set_body_raw("<html>Sign in</html>", "text/html"),
            ),
            Paged::new(vec![]),
        )
        .await,
    ));
    servers.push((
        "broken json",
        support::ukg(
            Paged::new(vec![])
                .with_fault(1, ResponseTemplate::new(200).set_body_string("[{\"a\": ")),
            Paged::new(vec![]),
        )
        .await,
    ));
    let repeat = support::ukg(Paged::new(vec![]), Paged::new(vec![])).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(&persons[..50]))
        .with_priority(1)
        .mount(&repeat)
        .await;
    servers.push(("repeated pages", repeat));
    servers.push((
        "403",
        support::ukg(
            Paged::new(vec![]),
            Paged::new(vec![]).with_fault(1, ResponseTemplate::new(403)),
        )
        .await,
    ));
    let elsewhere = MockServer::start().await;
    let redirecting = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/x", elsewhere.uri())),
        )
        .mount(&redirecting)
        .await;
    servers.push(("cross-origin redirect", redirecting));

    let dir = temp_dir("matrix");
    let out = dir.join("users.json");
    let out_s = out.to_str().unwrap().to_owned();
    let mut transcripts = Vec::new();
    for (name, server) in &servers {
        let mut raw = support::settings(&server.uri());
        raw["user_api_key"] = json!(USER_KEY);
        raw["max_attempts"] = json!(2);
        let config = write_config(&dir, &raw);
        for args in [
            vec!["ukgpro", "test", "--config", &config, "--json"],
            vec!["ukgpro", "users", "--config", &config, "--page-size", "50"],
            vec![
                "ukgpro", "users", "--config", &config, "--format", "json", "--output", &out_s,
            ],
        ] {
            let o = connector(&args, &[("RUST_LOG", "trace")]).await;
            let file = std::fs::read_to_string(&out).unwrap_or_default();
            transcripts.push((
                format!("{name}: {}", args[1]),
                format!("{}\n{}\n{file}", stdout(&o), stderr(&o)),
            ));
        }
    }
    // Invalid settings, secrets from the environment.
    let config = write_config(
        &dir,
        &json!({"base_url": "https://svc:pw@x.example", "pasword": "typo"}),
    );
    let o = connector(
        &["ukgpro", "users", "--config", &config],
        &[
            ("RUST_LOG", "trace"),
            ("UKGPRO_PASSWORD", PASSWORD),
            ("UKGPRO_CUSTOMER_API_KEY", CUSTOMER_KEY),
            ("UKGPRO_USER_API_KEY", USER_KEY),
        ],
    )
    .await;
    transcripts.push((
        "invalid settings".into(),
        format!("{}\n{}", stdout(&o), stderr(&o)),
    ));

    assert!(
        transcripts.iter().any(|(_, t)| t.contains("TRACE")),
        "no trace output: the matrix proves nothing"
    );
    assert!(
        transcripts.iter().any(|(_, t)| t.contains("retry: ")),
        "no retry was exercised"
    );
    for (name, text) in &transcripts {
        for secret in [PASSWORD, CUSTOMER_KEY, USER_KEY, BASIC_B64] {
            assert!(!text.contains(secret), "{name}: secret {secret} leaked");
        }
    }
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "credentials followed a redirect"
    );
}

/// A server that echoes the request's credentials in its error text (SCIM's `detail`): the
/// Basic header (`user:password` in base64), the password percent- and JSON-escaped. None of
/// it reaches `test`, `test --json`, `connections add` / `show`, the saved test message or
/// Airbyte's `check`; nor does a password of unusual shape (GUID-like, `+/=`, quotes).
#[tokio::test]
async fn credentials_a_server_echoes_back_are_scrubbed_from_every_output() {
    use base64::Engine as _;
    for password in [
        "Echo-Canary-Pass-1",
        "6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b",
        "Zm9v+YmFy/cXV4=+/=",
        "it's \"quoted\" \\ ok",
    ] {
        let user = "svc-echo";
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let percent: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
        let escaped = serde_json::to_string(password).unwrap();
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "401",
                "detail": format!("bad credentials in Authorization: Basic {basic} (password {percent}, {escaped}, {password})"),
            })))
            .mount(&server)
            .await;
        let dir = temp_dir("echo-canary");
        let file = dir.join("scim.json");
        std::fs::write(
            &file,
            json!({"base_url": format!("{}/scim/v2", server.uri()), "auth": {"method": "basic", "username": user, "password": password}})
                .to_string(),
        )
        .unwrap();
        let config = file.to_str().unwrap();
        let home = crate::connections::Home::new("echo-canary");
        let env = home.with(&[("RUST_LOG", "debug")]);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let entry = temp_dir("echo-canary-entrypoints");
        let o = connector(
            &["install-entrypoints", entry.to_str().unwrap(), "--force"],
            &[],
        )
        .await;
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let mut outputs = vec![
            connector(&["scim", "test", "--config", config], &env).await,
            connector(&["scim", "test", "--config", config, "--json"], &env).await,
            connector(
                &[
                    "connections",
                    "add",
                    "Echo",
                    "--provider",
                    "scim",
                    "--config",
                    config,
                ],
                &env,
            )
            .await,
            connector(&["connections", "show", "Echo"], &env).await,
            connector(&["connections", "show", "Echo", "--json"], &env).await,
            program(
                &entry.join("source-scim"),
                &["check", "--config", config],
                &[],
            )
            .output()
            .await
            .unwrap(),
        ];
        outputs.push(connector(&["connections", "test", "Echo"], &env).await);
        let stored: String = rusqlite::Connection::open(home.dir.join("connections.db"))
            .unwrap()
            .query_row(
                "SELECT coalesce(last_test_message, '') FROM connections",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            outputs
                .iter()
                .any(|o| stdout(o).contains("the service says")),
            "the server's detail is still quoted"
        );
        let forms: Vec<String> = connector_core::redact::forms_of(password)
            .into_iter()
            .chain([basic.clone(), basic[8..].to_owned()])
            .collect();
        let mut texts: Vec<String> = outputs
            .iter()
            .map(|o| format!("{}\n{}", stdout(o), stderr(o)))
            .collect();
        texts.push(stored);
        for text in &texts {
            for form in &forms {
                assert!(
                    !text.contains(form.as_str()),
                    "{password:?} leaked as {form:?}:\n{text}"
                );
            }
        }
    }
}
