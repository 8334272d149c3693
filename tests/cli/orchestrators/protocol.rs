//! The messages themselves: what an orchestrator reads from `source-ukgpro` and `tap-ukgpro`.

use super::*;

/// The entry point `program` in `dir` with `args`.
fn run(dir: &std::path::Path, program: &str, args: &[&str]) -> tokio::process::Command {
    crate::harness::program(&dir.join(program), args, &[])
}

/// `source-ukgpro read --config CONFIG --catalog CATALOG [--state STATE]` in `dir`.
async fn airbyte_read(
    dir: &std::path::Path,
    config: &str,
    catalog: &std::path::Path,
    state: Option<&std::path::Path>,
) -> std::process::Output {
    let mut args = vec![
        "read",
        "--config",
        config,
        "--catalog",
        catalog.to_str().unwrap(),
    ];
    if let Some(state) = state {
        args.extend(["--state", state.to_str().unwrap()]);
    }
    run(dir, "source-ukgpro", &args).output().await.unwrap()
}

#[tokio::test]
async fn airbyte_spec_check_discover_and_read_speak_the_protocol() {
    let dir = entry_points("airbyte-protocol").await;
    let sandbox = sandbox_on(0, 0).await;
    let files = temp_dir("airbyte-protocol-files");
    let config = write_config(&files, &sandbox.settings);

    let o = run(&dir, "source-ukgpro", &["spec"])
        .output()
        .await
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let spec = &messages(&o)[0];
    assert_eq!(spec["type"], "SPEC");
    let properties = &spec["spec"]["connectionSpecification"]["properties"];
    assert_eq!(properties["password"]["airbyte_secret"], true);
    assert_eq!(properties["customer_api_key"]["airbyte_secret"], true);
    assert!(properties["username"].get("airbyte_secret").is_none());
    assert_eq!(properties["base_url"]["order"], 0);
    assert_eq!(
        spec["spec"]["connectionSpecification"]["$schema"],
        "http://json-schema.org/draft-07/schema#"
    );

    let o = run(&dir, "source-ukgpro", &["check", "--config", &config])
        .output()
        .await
        .unwrap();
    assert_eq!(code(&o), 0);
    let status = messages(&o)
        .into_iter()
        .find(|m| m["type"] == "CONNECTION_STATUS")
        .unwrap();
    assert_eq!(
        status["connectionStatus"]["status"], "SUCCEEDED",
        "{status}"
    );

    // A wrong password: FAILED naming the step and its hint, and a TRACE config_error.
    let mut bad = sandbox.settings.clone();
    bad["password"] = json!("not-the-password");
    let bad_config = files.join("bad.json");
    std::fs::write(&bad_config, bad.to_string()).unwrap();
    let o = run(
        &dir,
        "source-ukgpro",
        &["check", "--config", bad_config.to_str().unwrap()],
    )
    .output()
    .await
    .unwrap();
    let all = messages(&o);
    let status = all
        .iter()
        .find(|m| m["type"] == "CONNECTION_STATUS")
        .unwrap();
    assert_eq!(status["connectionStatus"]["status"], "FAILED");
    let message = status["connectionStatus"]["message"].as_str().unwrap();
    assert!(message.contains("step `Authenticated` failed"), "{message}");
    assert!(
        message.contains("hint: UKG Pro rejected the service account"),
        "{message}"
    );
    let trace = all.iter().find(|m| m["type"] == "TRACE").unwrap();
    assert_eq!(trace["trace"]["error"]["failure_type"], "config_error");
    assert!(!stdout(&o).contains("not-the-password"));

    // An invalid config is refused by the connector itself, field by field.
    let invalid = files.join("invalid.json");
    std::fs::write(
        &invalid,
        json!({"base_url": "ftp://x", "username": "u"}).to_string(),
    )
    .unwrap();
    for command in ["discover", "read"] {
        let o = run(
            &dir,
            "source-ukgpro",
            &[
                command,
                "--config",
                invalid.to_str().unwrap(),
                "--catalog",
                "/dev/null",
            ],
        )
        .output()
        .await
        .unwrap();
        assert_eq!(code(&o), 1, "{command}");
        let trace = messages(&o)
            .into_iter()
            .find(|m| m["type"] == "TRACE")
            .unwrap();
        assert_eq!(trace["trace"]["error"]["failure_type"], "config_error");
        let text = trace["trace"]["error"]["message"].as_str().unwrap();
        assert!(
            text.contains("password") && text.contains("base_url"),
            "{text}"
        );
    }

    let o = run(&dir, "source-ukgpro", &["discover", "--config", &config])
        .output()
        .await
        .unwrap();
    let catalog = &messages(&o)[0]["catalog"]["streams"][0];
    assert_eq!(catalog["name"], "users");
    assert_eq!(
        catalog["source_defined_primary_key"],
        json!([["company_id"], ["id"]])
    );
    assert_eq!(catalog["default_cursor_field"], json!(["updated_at"]));
    assert_eq!(
        catalog["json_schema"]["properties"]["status"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        6
    );

    // Incremental read, then again from its state: only what changed (nothing).
    let configured = files.join("catalog.json");
    std::fs::write(
        &configured,
        json!({"streams": [{"stream": catalog, "sync_mode": "incremental", "destination_sync_mode": "append"}]}).to_string(),
    )
    .unwrap();
    let o = airbyte_read(&dir, &config, &configured, None).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let all = messages(&o);
    assert_eq!(all.iter().filter(|m| m["type"] == "RECORD").count(), 300);
    let first_read: Vec<Value> = all
        .iter()
        .filter(|m| m["type"] == "RECORD")
        .map(|m| m["record"]["data"].clone())
        .collect();
    assert!(
        all.iter().any(|m| m["type"] == "LOG"),
        "progress as LOG messages"
    );
    assert!(stderr(&o).is_empty(), "nothing on stderr: {}", stderr(&o));
    let state = all.iter().find(|m| m["type"] == "STATE").unwrap().clone();
    // Logged at trace level, as LOG messages: still no credential.
    let traced = crate::harness::program(
        &dir.join("source-ukgpro"),
        &[
            "read",
            "--config",
            &config,
            "--catalog",
            configured.to_str().unwrap(),
        ],
        &[("RUST_LOG", "trace")],
    )
    .output()
    .await
    .unwrap();
    let logs = messages(&traced)
        .into_iter()
        .filter(|m| m["type"] == "LOG")
        .count();
    assert!(logs > 10, "trace logs as LOG messages: {logs}");
    let text = stdout(&traced) + &stderr(&traced);
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            connector_ukgpro::sandbox::USERNAME,
            connector_ukgpro::sandbox::PASSWORD
        ))
    };
    for secret in [
        connector_ukgpro::sandbox::PASSWORD,
        connector_ukgpro::sandbox::CUSTOMER_API_KEY,
        basic.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} in the protocol's output");
    }
    assert_eq!(
        state["state"]["stream"]["stream_descriptor"]["name"],
        "users"
    );
    let state_file = files.join("state.json");
    std::fs::write(&state_file, json!([state["state"]]).to_string()).unwrap();
    let o = airbyte_read(&dir, &config, &configured, Some(&state_file)).await;
    let all = messages(&o);
    // Only the users stamped with the cursor's exact time come again (at-least-once at the
    // boundary); everyone older is skipped.
    let cursor = state["state"]["stream"]["stream_state"]["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let at_cursor = first_read
        .iter()
        .filter(|u| u["updated_at"].as_str() == Some(cursor.as_str()))
        .count();
    assert!(
        at_cursor > 0 && at_cursor < 300,
        "{at_cursor} at the cursor"
    );
    let records: Vec<&Value> = all.iter().filter(|m| m["type"] == "RECORD").collect();
    assert_eq!(records.len(), at_cursor);
    assert!(records
        .iter()
        .all(|r| r["record"]["data"]["updated_at"] == cursor.as_str()));
    let again = all.iter().find(|m| m["type"] == "STATE").unwrap();
    assert_eq!(
        again["state"]["stream"], state["state"]["stream"],
        "the cursor stays"
    );
    assert_eq!(
        again["state"]["sourceStats"]["recordCount"],
        at_cursor as f64
    );

    // A user stamped with exactly the saved cursor's time is delivered (a tie is never
    // skipped), and so is everyone newer; older ones are not.
    let mut times: Vec<&str> = first_read
        .iter()
        .filter_map(|u| u["updated_at"].as_str())
        .collect();
    times.sort();
    let middle = times[times.len() / 2].to_owned();
    let want = times.iter().filter(|t| **t >= middle.as_str()).count();
    assert!(want < 300, "the middle cursor leaves some users out");
    let middle_state = files.join("middle-state.json");
    let mut moved = state["state"].clone();
    moved["stream"]["stream_state"]["updated_at"] = json!(middle);
    std::fs::write(&middle_state, json!([moved]).to_string()).unwrap();
    let o = airbyte_read(&dir, &config, &configured, Some(&middle_state)).await;
    let records = messages(&o)
        .into_iter()
        .filter(|m| m["type"] == "RECORD")
        .count();
    assert_eq!(records, want, "every user at or after {middle}");

    // A configured catalog that is not one, names no stream or another stream, or asks for a
    // sync mode the stream does not have, is a config error: never an empty, successful read.
    for (name, bad) in [
        ("not-a-catalog", json!({"stream": "users"})),
        ("no-stream", json!({"streams": []})),
        (
            "other-stream",
            json!({"streams": [{"stream": {"name": "employees"}, "sync_mode": "full_refresh"}]}),
        ),
        (
            "bad-mode",
            json!({"streams": [{"stream": catalog, "sync_mode": "incremental_deduped", "destination_sync_mode": "append"}]}),
        ),
    ] {
        let file = files.join(format!("{name}.json"));
        std::fs::write(&file, bad.to_string()).unwrap();
        let o = airbyte_read(&dir, &config, &file, None).await;
        assert_eq!(code(&o), 1, "{name}: {}", stdout(&o));
        let all = messages(&o);
        assert!(!all.iter().any(|m| m["type"] == "RECORD"), "{name}");
        let trace = all.iter().find(|m| m["type"] == "TRACE").unwrap();
        assert_eq!(
            trace["trace"]["error"]["failure_type"], "config_error",
            "{name}"
        );
    }
}

#[tokio::test]
async fn singer_about_discover_and_sync_with_bookmarks() {
    let dir = entry_points("singer-protocol").await;
    let sandbox = sandbox_on(0, 0).await;
    let files = temp_dir("singer-protocol-files");
    let config = write_config(&files, &sandbox.settings);

    let o = run(&dir, "tap-ukgpro", &["--about"])
        .output()
        .await
        .unwrap();
    let about: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(about["name"], "tap-ukgpro");
    assert!(about["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("state")));
    let password = about["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "password")
        .unwrap();
    assert_eq!(password["kind"], "password");

    let o = run(&dir, "tap-ukgpro", &["--config", &config, "--discover"])
        .output()
        .await
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let catalog: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let stream = &catalog["streams"][0];
    assert_eq!(stream["tap_stream_id"], "users");
    assert_eq!(stream["key_properties"], json!(["company_id", "id"]));
    let catalog_file = files.join("catalog.json");
    std::fs::write(&catalog_file, catalog.to_string()).unwrap();

    let o = run(
        &dir,
        "tap-ukgpro",
        &[
            "--config",
            &config,
            "--catalog",
            catalog_file.to_str().unwrap(),
        ],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let all = messages(&o);
    assert_eq!(all[0]["type"], "SCHEMA");
    assert_eq!(all.iter().filter(|m| m["type"] == "RECORD").count(), 300);
    let state = all.last().unwrap();
    assert_eq!(state["type"], "STATE");
    let bookmark = &state["value"]["bookmarks"]["users"];
    assert_eq!(bookmark["replication_key"], "updated_at");
    let state_file = files.join("state.json");
    std::fs::write(&state_file, state["value"].to_string()).unwrap();
    let o = run(
        &dir,
        "tap-ukgpro",
        &[
            "--config",
            &config,
            "--properties",
            catalog_file.to_str().unwrap(),
            "--state",
            state_file.to_str().unwrap(),
        ],
    )
    .output()
    .await
    .unwrap();
    let all = messages(&o);
    let cursor = bookmark["replication_key_value"].as_str().unwrap();
    let records: Vec<&Value> = all.iter().filter(|m| m["type"] == "RECORD").collect();
    assert!(
        !records.is_empty() && records.len() < 300,
        "only the users at the bookmark's exact time come again: {}",
        records.len()
    );
    assert!(records.iter().all(|r| r["record"]["updated_at"] == cursor));
    assert!(
        stderr(&o).contains(&format!("{} unchanged", 300 - records.len())),
        "{}",
        stderr(&o)
    );

    // A catalog that is not one, or names another stream, or a replication method the stream
    // does not have: a usage error, not an empty run.
    for (name, bad) in [
        ("not-a-catalog", json!({"tap_stream_id": "users"})),
        ("no-stream", json!({"streams": []})),
        (
            "other-stream",
            json!({"streams": [{"tap_stream_id": "employees"}]}),
        ),
        (
            "bad-method",
            json!({"streams": [{"tap_stream_id": "users", "metadata": [{"breadcrumb": [], "metadata": {"replication-method": "LOG_BASED"}}]}]}),
        ),
    ] {
        let file = files.join(format!("{name}.json"));
        std::fs::write(&file, bad.to_string()).unwrap();
        let o = run(
            &dir,
            "tap-ukgpro",
            &["--config", &config, "--catalog", file.to_str().unwrap()],
        )
        .output()
        .await
        .unwrap();
        assert_eq!(code(&o), 2, "{name}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{name}: {}", stdout(&o));
        assert!(stderr(&o).contains("--catalog"), "{name}: {}", stderr(&o));
    }

    // Mistakes are named.
    let o = run(&dir, "tap-ukgpro", &["--config"])
        .output()
        .await
        .unwrap();
    assert_eq!(code(&o), 2);
    let o = run(&dir, "tap-ukgpro", &["--config", &config, "--bogus"])
        .output()
        .await
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown argument `--bogus`"),
        "{}",
        stderr(&o)
    );
}

/// `tap-scim --about` declares the auth choice as an object (Meltano parses a `string`
/// setting's value as text, so `kind: string` made SCIM fail out of the box).
#[tokio::test]
async fn singer_about_declares_choice_settings_as_objects() {
    let dir = entry_points("singer-about-kinds").await;
    let o = run(&dir, "tap-scim", &["--about"]).output().await.unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let about: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let kind = |name: &str| {
        about["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .map(|s| s["kind"].clone())
    };
    assert_eq!(kind("auth"), Some(json!("object")), "{about}");
    assert_eq!(kind("base_url"), Some(json!("string")));
    assert_eq!(kind("page_size"), Some(json!("integer")));
}
