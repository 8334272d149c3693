//! `list`, `schema`, `docs`, usage errors: what needs no tenant.

use super::harness::*;

#[tokio::test]
async fn list_shows_the_registered_providers() {
    let o = connector(&["list"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("entra "), "{text}");
    assert!(lines[1].starts_with("google "), "{text}");
    assert!(lines[2].starts_with("scim "), "{text}");
    assert!(lines[3].starts_with("ukgpro "), "{text}");

    let o = connector(&["list", "--json"], &[]).await;
    assert_eq!(code(&o), 0);
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["entra", "google", "scim", "ukgpro"],
        "the built-in providers, sorted"
    );
    assert_eq!(list[3]["name"], "UKG Pro");
    assert_eq!(
        list[3]["capabilities"],
        json!(["connection_test", "user_export"])
    );
}

/// `schema --editor` is what a config file's `"$schema"` points at: an editor validating the
/// file against it accepts that key (the form schema does not, on purpose: no form field).
#[tokio::test]
async fn the_editor_schema_accepts_the_schema_reference_the_connector_ignores() {
    let mut file = settings("https://service5.ultipro.com");
    file["$schema"] = json!("./ukgpro.schema.json");

    let o = connector(&["ukgpro", "schema"], &[]).await;
    let form: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!jsonschema::draft202012::new(&form).unwrap().is_valid(&file));

    let o = connector(&["ukgpro", "schema", "--editor"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let editor: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft202012::meta::validate(&editor).expect("valid 2020-12");
    let validator = jsonschema::draft202012::new(&editor).unwrap();
    assert!(validator.is_valid(&file));
    file["pasword"] = json!("x");
    assert!(
        !validator.is_valid(&file),
        "other unknown keys stay refused"
    );
}

#[tokio::test]
async fn schema_is_valid_in_both_dialects() {
    let o = connector(&["ukgpro", "schema"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft202012::meta::validate(&schema).expect("valid 2020-12");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["required"],
        json!(["base_url", "username", "password", "customer_api_key"])
    );
    for secret in ["password", "customer_api_key", "user_api_key"] {
        assert_eq!(schema["properties"][secret]["writeOnly"], true, "{secret}");
        assert_eq!(schema["properties"][secret]["x-secret"], true, "{secret}");
    }
    // The schema validates a good config and rejects one missing a secret.
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    assert!(validator.is_valid(&settings("https://service5.ultipro.com")));
    assert!(!validator.is_valid(&json!({"base_url": "x", "username": "u", "password": "p"})));

    let o = connector(&["ukgpro", "schema", "--draft", "07"], &[]).await;
    assert_eq!(code(&o), 0);
    let d07: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft7::meta::validate(&d07).expect("valid draft-07");
    assert_eq!(d07["$schema"], "http://json-schema.org/draft-07/schema#");

    let o = connector(&["ukgpro", "schema", "--draft", "04"], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("2020-12"), "{}", stderr(&o));
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let o = connector(&["nosuchprovider", "test"], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("nosuchprovider"));

    let o = connector(&["ukgpro", "test", "--password", PASSWORD], &[]).await;
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("UKGPRO_PASSWORD"), "{err}");
    assert!(!err.contains(PASSWORD), "the secret was echoed: {err}");

    let o = connector(&["ukgpro", "test", "--frobnicate"], &[]).await;
    assert_eq!(code(&o), 2);

    let o = connector(&["--help"], &[]).await;
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Exit status"));
}

#[tokio::test]
async fn user_schema_is_printed() {
    let o = connector(&["schema", "user"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft202012::meta::validate(&schema).unwrap();
    let props: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(props.contains(&"email") && props.contains(&"status"));
    assert!(!props
        .iter()
        .any(|p| p.contains("ssn") || p.contains("birth")));
    let o = connector(&["schema", "user", "--draft", "07"], &[]).await;
    let d07: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft7::meta::validate(&d07).unwrap();
}

#[tokio::test]
async fn the_committed_provider_page_is_what_the_docs_command_generates() {
    for id in ["ukgpro", "scim"] {
        let o = connector(&[id, "docs"], &[]).await;
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let page = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../docs/providers/{id}.md"));
        let committed = std::fs::read_to_string(&page).unwrap_or_default();
        assert!(
            committed == stdout(&o),
            "docs/providers/{id}.md is out of date; regenerate it with:\n  cargo run -q -p connector -- {id} docs > docs/providers/{id}.md"
        );
    }
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/providers/ukgpro.md"),
    )
    .unwrap_or_default();
    for needle in [
        "| `password` | `UKGPRO_PASSWORD` | yes | yes |",
        "View on the “Personnel Integration” web service",
        "Authenticated",
    ] {
        assert!(committed.contains(needle), "{needle}");
    }
}

#[tokio::test]
async fn ui_schema_matches_the_schema() {
    let o = connector(&["ukgpro", "schema", "--ui-schema"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ui: Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = connector(&["ukgpro", "schema"], &[]).await;
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    let props: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let mut order: Vec<String> = ui["ui:order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order.pop().as_deref(), Some("*"));
    assert_eq!(
        order.iter().collect::<Vec<_>>(),
        props,
        "ui:order follows x-order"
    );
    for (name, prop) in schema["properties"].as_object().unwrap() {
        let hints = &ui[name];
        // RJSF shows the schema's description itself: the uiSchema does not repeat it.
        assert!(hints.get("ui:help").is_none(), "{name}");
        let grouped = ui["ui:options"]["groups"][0]["fields"]
            .as_array()
            .unwrap()
            .contains(&Value::String(name.clone()));
        assert_eq!(
            grouped,
            prop["x-group"] == "advanced",
            "{name}: advanced iff grouped"
        );
        let secret = prop["x-secret"] == true;
        assert_eq!(
            hints["ui:widget"] == "password",
            secret,
            "{name}: password widget iff secret"
        );
    }
    for key in ui
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with("ui:"))
    {
        assert!(
            schema["properties"].get(key).is_some(),
            "ui hint for unknown field {key}"
        );
    }
    // What such a form submits validates against the schema with a real validator.
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let submitted = json!({"base_url": "service5.ultipro.com", "username": "svc", "password": "p", "customer_api_key": "k", "page_size": 500});
    assert!(validator.is_valid(&submitted));
}

#[tokio::test]
async fn version_names_the_commit_the_binary_was_built_from() {
    let o = connector(&["--version"], &[]).await;
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    let commit = text
        .trim_end()
        .strip_prefix(&format!("connector {} (commit ", env!("CARGO_PKG_VERSION")))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected version line: {text}"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        Some(head) => assert_eq!(commit, head, "built from the checked-out commit"),
        None => assert_eq!(commit, "unknown"),
    }
}

#[tokio::test]
async fn completions_are_valid_shell_and_know_every_command_and_option() {
    let o = connector(&["completions", "bash"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let script = stdout(&o);
    for word in [
        "ukgpro",
        "scim",
        "users",
        "--summary-json",
        "--settings-out",
    ] {
        assert!(script.contains(word), "{word} completes");
    }
    // bash itself parses the script.
    let dir = temp_dir("completions");
    let file = dir.join("connector.bash");
    std::fs::write(&file, &script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("bash runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["zsh", "FISH", "powershell", "elvish"] {
        let o = connector(&["completions", shell], &[]).await;
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        assert!(stdout(&o).contains("ukgpro"), "{shell}");
    }
    let o = connector(&["completions", "tcsh"], &[]).await;
    assert_eq!(code(&o), 2);
}

#[tokio::test]
async fn man_pages_cover_every_command() {
    let o = connector(&["man"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH connector 1"), "{page}");
    assert!(page.contains("ukgpro"), "{page}");

    let dir = temp_dir("man-pages");
    let o = connector(&["man", "--dir", dir.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let users = std::fs::read_to_string(dir.join("connector-ukgpro-users.1")).unwrap();
    assert!(users.contains(r"\-\-limit"), "{users}");
    assert!(dir.join("connector-scim-test.1").exists());

    // A folder that cannot be made (a file is in the way) is a usage error naming it.
    let file = dir.join("connector.1");
    let blocked = file.join("man1");
    let o = connector(&["man", "--dir", blocked.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot create this folder"),
        "{}",
        stderr(&o)
    );
}

/// README's completion and man-page lines, run as written by a shell on an empty home: the
/// folders they write into do not exist yet, and are created; `man` shows the main page.
#[cfg(unix)]
#[tokio::test]
async fn the_readme_completion_and_man_lines_work_on_an_empty_home() {
    let block = crate::docs::marked_block(
        "README.md",
        "the_readme_completion_and_man_lines_work_on_an_empty_home",
    );
    let dir = temp_dir("readme-completions");
    let home = dir.join("home");
    let _ = std::fs::remove_dir_all(&home);
    // The last line pipes the main page into `man` (Debian's man-db), which prints it.
    let o = crate::docs::run_script(&block, &dir, &home, &[("MANPAGER", "cat")]).await;
    assert_eq!(code(&o), 0, "{block}\n{}", stderr(&o));
    assert!(
        stdout(&o).contains("connector") && stdout(&o).contains("ukgpro"),
        "the main page as `man` shows it:\n{}",
        stdout(&o)
    );
    for made in [
        ".local/share/bash-completion/completions/connector",
        ".zfunc/_connector",
        ".config/fish/completions/connector.fish",
        ".local/share/man/man1/connector-ukgpro-users.1",
    ] {
        let text = std::fs::read_to_string(home.join(made)).unwrap_or_default();
        assert!(text.contains("ukgpro"), "{made}: {text:.200}");
    }
}

/// `-q` prints only errors: no sandbox banner, warning, note or summary; an error still shows.
#[tokio::test]
async fn quiet_prints_only_errors() {
    let dir = temp_dir("quiet");
    let out = dir.join("users.csv");
    let o = connector(
        &[
            "-q",
            "ukgpro",
            "users",
            "--sandbox",
            "--limit",
            "5",
            "--output",
            out.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "nothing but errors with -q");
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("id,"));
    // A config others can read: a warning normally, nothing with -q.
    let config = write_config(&dir, &settings("http://127.0.0.1:9"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let loud = connector(&["ukgpro", "users", "--config", &config], &[]).await;
    assert!(stderr(&loud).contains("warning:"), "{}", stderr(&loud));
    let o = connector(&["-q", "ukgpro", "users", "--config", &config], &[]).await;
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning:"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error:"),
        "errors still show: {}",
        stderr(&o)
    );
}

/// The edit form and the JSON Forms layout, as the schema command prints them.
#[tokio::test]
async fn schema_prints_the_edit_form_and_a_json_forms_layout() {
    let o = connector(&["scim", "schema", "--edit", "--draft", "07"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let edit: Value = serde_json::from_slice(&o.stdout).unwrap();
    jsonschema::draft7::meta::validate(&edit).unwrap();
    let basic = edit["definitions"]["ScimAuth"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["properties"]["method"]["const"] == "basic")
        .unwrap();
    assert_eq!(basic["required"], serde_json::json!(["method", "username"]));
    assert!(edit
        .to_string()
        .contains("Leave blank to keep the saved value."));

    let o = connector(&["ukgpro", "schema", "--ui-schema", "json-forms"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let layout: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(layout["type"], "VerticalLayout");
    let elements = layout["elements"].as_array().unwrap();
    let scopes: Vec<&str> = elements
        .iter()
        .filter_map(|e| e["scope"].as_str())
        .collect();
    assert_eq!(
        scopes,
        [
            "#/properties/base_url",
            "#/properties/username",
            "#/properties/password",
            "#/properties/customer_api_key",
            "#/properties/user_api_key"
        ],
        "the five fields a user came to fill"
    );
    let group = elements.last().unwrap();
    assert_eq!(group["type"], "Group");
    assert_eq!(group["options"]["collapsed"], true);
    assert_eq!(group["elements"].as_array().unwrap().len(), 7);

    let o = connector(&["ukgpro", "schema", "--ui-schema", "vue"], &[]).await;
    assert_eq!(code(&o), 2, "an unknown renderer is a usage error");
}
