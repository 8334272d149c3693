//! The shell, JSON and settings blocks of README.md and docs/ that no other area's test runs,
//! run as written against the built-in sandboxes (see `blocks.rs` for the rules).

use super::blocks::without_test_commands;
use super::{marked_block, marked_blocks, run_script};
use crate::harness::*;

/// A fresh folder of `name` with a `home` in it.
fn workspace(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = temp_dir(&format!("doc-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let home = dir.join("home");
    (dir, home)
}

/// Runs `script` and fails the test, naming `place` and showing both streams, unless it
/// exits 0.
async fn run_ok(place: &str, script: &str, dir: &Path, home: &Path) -> Output {
    let o = run_script(script, dir, home, &[]).await;
    assert_eq!(
        code(&o),
        0,
        "{place}:\n{script}\nstdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

#[tokio::test]
async fn the_readme_quick_start_exports_the_sandbox() {
    let block = marked_block("README.md", "the_readme_quick_start_exports_the_sandbox");
    let script = without_test_commands(&block);
    assert_eq!(script.lines().count(), 1, "{script}");
    let (dir, home) = workspace("quick-start");
    let o = run_ok("README.md quick start", &script, &dir, &home).await;
    let csv = stdout(&o);
    assert!(csv.starts_with("id,"), "{csv:.200}");
    assert_eq!(
        csv.lines().count(),
        301,
        "a header and the sandbox's 300 users"
    );
    assert!(stderr(&o).contains("Exported 300 users"), "{}", stderr(&o));
}

/// The blocks that use `ukgpro.json`, `scim.json` or the saved connection `Payroll`, run in
/// order in one folder where those are the built-in sandboxes' settings (and
/// `my-provisioning-tool` is a script that keeps what it reads).
#[tokio::test(flavor = "multi_thread")]
async fn the_config_file_commands_run_against_a_sandbox() {
    const TEST: &str = "the_config_file_commands_run_against_a_sandbox";
    let (dir, home) = workspace("config-files");
    let (_ukgpro, ukgpro) = sandbox_process(&[]).await;
    let connector = Path::new(env!("CARGO_BIN_EXE_connector"));
    let (_scim, scim, mut scim_log) = spawn_sandbox(connector, &["scim", "sandbox"]).await;
    tokio::spawn(async move { while let Ok(Some(_)) = scim_log.next_line().await {} });
    std::fs::write(dir.join("ukgpro.json"), ukgpro.to_string()).unwrap();
    std::fs::write(dir.join("scim.json"), scim.to_string()).unwrap();
    let tools = home.join(".local/bin");
    std::fs::create_dir_all(&tools).unwrap();
    let tool = tools.join("my-provisioning-tool");
    std::fs::write(&tool, "#!/bin/sh\ncat > provisioned.jsonl\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let setup = "connector connections add Payroll --provider ukgpro --config ukgpro.json\n";
    run_ok("saving Payroll", setup, &dir, &home).await;

    let mut ran = Vec::new();
    for file in ["README.md", "docs/orchestrators.md", "docs/sync.md"] {
        for block in marked_blocks(file, TEST) {
            let o = run_ok(file, &block, &dir, &home).await;
            ran.push((file, block, o));
        }
    }
    assert_eq!(ran.len(), 7, "the marked blocks");
    let csv = std::fs::read_to_string(dir.join("users.csv")).unwrap();
    assert_eq!(csv.lines().count(), 301, "a header and 300 users");
    let catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("catalog.json")).unwrap()).unwrap();
    assert_eq!(catalog["streams"][0]["stream"], "users", "{catalog}");
    let check = ran
        .iter()
        .find(|(_, block, _)| block.contains("source-ukgpro check"))
        .map(|(_, _, o)| stdout(o))
        .unwrap();
    assert!(check.contains("\"SUCCEEDED\""), "{check}");
    let filtered = ran
        .iter()
        .find(|(_, block, _)| block.contains("--status active,leave"))
        .map(|(_, _, o)| stdout(o))
        .unwrap();
    let filtered: Vec<Value> = serde_json::from_str(&filtered).unwrap();
    assert!(
        filtered
            .iter()
            .all(|u| u["company_id"] == "C1001" && u["status"] != "terminated"),
        "{filtered:?}"
    );
    for made in [
        "events.jsonl",
        "e.jsonl",
        "provisioned.jsonl",
        "users.jsonl",
    ] {
        assert!(dir.join(made).is_file(), "{made} was written");
    }
    let scim_users = std::fs::read_to_string(dir.join("users.jsonl")).unwrap();
    assert!(
        scim_users.lines().count() > 1
            && scim_users
                .lines()
                .all(|l| serde_json::from_str::<Value>(l).is_ok_and(|u| u["id"].is_string())),
        "{scim_users:.300}"
    );
}

#[tokio::test]
async fn the_readme_settings_file_is_accepted() {
    let block = marked_block("README.md", "the_readme_settings_file_is_accepted");
    let (dir, home) = workspace("settings-file");
    std::fs::write(dir.join("ukgpro.json"), &block).unwrap();
    let o = run_ok(
        "README.md settings file",
        "connector ukgpro config --config ukgpro.json\n",
        &dir,
        &home,
    )
    .await;
    assert!(
        stdout(&o).contains("service5.ultipro.com"),
        "{}",
        stdout(&o)
    );
    assert!(
        !stdout(&o).contains("invalid") && !stderr(&o).contains("invalid"),
        "{}\n{}",
        stdout(&o),
        stderr(&o)
    );
}

#[tokio::test]
async fn the_readme_user_record_has_the_fields_of_a_real_one() {
    let block = marked_block(
        "README.md",
        "the_readme_user_record_has_the_fields_of_a_real_one",
    );
    let documented: Value = serde_json::from_str(block.trim()).unwrap();
    let o = connector(&["ukgpro", "users", "--sandbox", "--limit", "1"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let real: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&documented),
        keys(&real),
        "the documented record's fields, in order"
    );
}

/// Whether every key and value of `part` is in `whole` (arrays element by element).
fn is_within(part: &Value, whole: &Value) -> bool {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|wv| is_within(v, wv))),
        (Value::Array(p), Value::Array(w)) => {
            p.len() == w.len() && p.iter().zip(w).all(|(a, b)| is_within(a, b))
        }
        _ => part == whole,
    }
}

#[tokio::test]
async fn the_schema_commands_write_what_the_docs_say() {
    const TEST: &str = "the_schema_commands_write_what_the_docs_say";
    let (dir, home) = workspace("schemas");
    // The README's last line writes the reference page where it lives in a checkout.
    std::fs::create_dir_all(dir.join("docs/providers")).unwrap();
    for file in ["README.md", "docs/settings-forms.md"] {
        for block in marked_blocks(file, TEST) {
            if block.trim_start().starts_with('"') {
                continue; // the JSON excerpt, checked below
            }
            run_ok(file, &block, &dir, &home).await;
        }
    }
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let draft07 = read("ukgpro.schema.draft07.json");
    assert!(draft07["$schema"].as_str().unwrap().contains("draft-07"));
    assert_eq!(
        read("ukgpro.schema.json"),
        draft07,
        "settings-forms.md's draft 07 copy"
    );
    assert!(read("ukgpro.schema.2020.json")["$schema"]
        .as_str()
        .unwrap()
        .contains("2020-12"));
    assert!(read("ukgpro.uischema.json")["ui:order"].is_array());
    let page = std::fs::read_to_string(dir.join("docs/providers/ukgpro.md")).unwrap();
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/providers/ukgpro.md"
    ))
    .unwrap();
    assert!(
        page == committed,
        "docs/providers/ukgpro.md is what the README's command writes"
    );

    // settings-forms.md's `auth` excerpt is part of SCIM's real schema.
    let excerpt = marked_blocks("docs/settings-forms.md", TEST)
        .into_iter()
        .find(|b| b.trim_start().starts_with("\"auth\""))
        .expect("the auth excerpt");
    let excerpt: Value = serde_json::from_str(&format!("{{{excerpt}}}")).unwrap();
    let o = connector(&["scim", "schema"], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let schema: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let auth = schema["properties"]["auth"]["$ref"]
        .as_str()
        .and_then(|r| schema.pointer(r.trim_start_matches('#')))
        .unwrap_or(&schema["properties"]["auth"]);
    assert!(
        is_within(&excerpt["auth"], auth),
        "settings-forms.md's auth excerpt differs from `connector scim schema`:\n{auth:#}"
    );
}

#[tokio::test]
async fn the_example_provider_commands_run_as_written() {
    const TEST: &str = "the_example_provider_commands_run_as_written";
    let (dir, home) = workspace("example-provider");
    let mut outputs = Vec::new();
    for file in ["README.md", "docs/adding-a-provider.md"] {
        for block in marked_blocks(file, TEST) {
            let script = without_test_commands(&block);
            outputs.push(stdout(&run_ok(file, &script, &dir, &home).await));
        }
    }
    assert_eq!(outputs.len(), 2);
    assert_eq!(
        outputs[0].lines().count(),
        1200,
        "the README's 1,200 sandbox users"
    );
    assert!(outputs[1].contains("acmehr"), "{}", outputs[1]);
    assert!(outputs[1].contains("Result: passed"), "{}", outputs[1]);
}
