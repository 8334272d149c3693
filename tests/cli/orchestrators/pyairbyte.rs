//! PyAirbyte runs `source-ukgpro` as a local executable: `check` passes and fails as it
//! should, and `read` fills its local cache with exactly the sandbox's workforce.

use std::path::Path;

use super::*;

const SCRIPT: &str = r#"
import json, os, sys
import airbyte as ab
from airbyte.caches import DuckDBCache

exe, config_path, mode, work = sys.argv[1:5]
source = ab.get_source("source-ukgpro", local_executable=exe, config=json.load(open(config_path)))
if mode == "check":
    try:
        source.check()
        print(json.dumps({"check": "passed"}))
    except Exception as e:
        print(json.dumps({"check": "failed", "error": type(e).__name__, "message": str(e)}))
else:
    source.select_all_streams()
    cache = DuckDBCache(db_path=os.path.join(work, "cache.duckdb"))
    source.read(cache=cache)
    records = list(cache.get_records("users"))
    print(json.dumps({"rows": len(records), "ids": sorted(r["company_id"] + "/" + r["id"] for r in records)}))
"#;

async fn pyairbyte(python: &std::path::Path, args: &[&str], work: &std::path::Path) -> Value {
    let script = work.join("run.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let o = tokio::process::Command::new(python)
        .arg(&script)
        .args(args)
        .arg(work)
        .env("AIRBYTE_OFFLINE_MODE", "1")
        .env("DO_NOT_TRACK", "1")
        .env("AIRBYTE_LOGGING_ROOT", work.join("logs"))
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("run python");
    assert_eq!(
        code(&o),
        0,
        "PyAirbyte failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let last = stdout(&o).lines().last().unwrap_or_default().to_owned();
    serde_json::from_str(&last)
        .unwrap_or_else(|_| panic!("no result line:\n{}\n{}", stdout(&o), stderr(&o)))
}

/// docs/orchestrators.md's PyAirbyte script, pointed at `source` and the sandbox: it runs as
/// written (secrets from the variables it names), then a second process counts what it cached.
async fn run_documented(python: &Path, source: &str, settings: &Value, work: &Path) -> Value {
    let doc = crate::docs::marked_block(
        "docs/orchestrators.md",
        "pyairbyte_checks_and_reads_into_its_cache",
    );
    let swaps = [
        ("/usr/local/bin/source-ukgpro", source.to_owned()),
        (
            "https://service5.ultipro.com",
            settings["base_url"].as_str().unwrap().to_owned(),
        ),
        (
            "svc-connector",
            settings["username"].as_str().unwrap().to_owned(),
        ),
    ];
    let mut script = doc;
    for (from, to) in swaps {
        assert!(script.contains(from), "the documented script has `{from}`");
        script = script.replace(from, &to);
    }
    let path = work.join("documented.py");
    std::fs::write(&path, script).unwrap();
    let o = tokio::process::Command::new(python)
        .arg(&path)
        .current_dir(work)
        .env("AIRBYTE_OFFLINE_MODE", "1")
        .env("DO_NOT_TRACK", "1")
        .env("AIRBYTE_LOGGING_ROOT", work.join("logs"))
        .env("UKGPRO_PASSWORD", settings["password"].as_str().unwrap())
        .env(
            "UKGPRO_CUSTOMER_API_KEY",
            settings["customer_api_key"].as_str().unwrap(),
        )
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("run python");
    assert_eq!(
        code(&o),
        0,
        "the documented script:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let count = "import json\nfrom airbyte.caches import DuckDBCache\n\
        rows = list(DuckDBCache(db_path='users.duckdb').get_records('users'))\n\
        print(json.dumps({'rows': len(rows)}))\n";
    let o = tokio::process::Command::new(python)
        .args(["-c", count])
        .current_dir(work)
        .env("AIRBYTE_OFFLINE_MODE", "1")
        .env("DO_NOT_TRACK", "1")
        .output()
        .await
        .expect("run python");
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    serde_json::from_str(stdout(&o).lines().last().unwrap_or_default()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn pyairbyte_checks_and_reads_into_its_cache() {
    let python = tool("PYAIRBYTE_PYTHON");
    let entry = entry_points("pyairbyte").await;
    let source = entry.join("source-ukgpro");
    let source = source.to_str().unwrap();
    let work = temp_dir("pyairbyte-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let sandbox = sandbox_on(0, 0).await;
    let config = write_config(&work, &sandbox.settings);

    let passed = pyairbyte(&python, &[source, &config, "check"], &work).await;
    assert_eq!(passed["check"], "passed", "{passed}");

    let mut bad = sandbox.settings.clone();
    bad["password"] = json!("canary-wrong-password-91");
    let bad_config = work.join("bad.json");
    std::fs::write(&bad_config, bad.to_string()).unwrap();
    let failed = pyairbyte(
        &python,
        &[source, bad_config.to_str().unwrap(), "check"],
        &work,
    )
    .await;
    assert_eq!(failed["check"], "failed", "{failed}");
    let message = failed["message"].as_str().unwrap();
    assert!(message.contains("step `Authenticated` failed"), "{message}");
    assert!(
        message.contains("UKG Pro rejected the service account"),
        "{message}"
    );

    let read = pyairbyte(&python, &[source, &config, "read"], &work).await;
    let want: Vec<String> = exported(&config)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut want = want;
    want.sort();
    assert_eq!(read["rows"], 300, "{}", read["rows"]);
    assert_eq!(read["ids"], json!(want));

    let documented = run_documented(&python, source, &sandbox.settings, &work).await;
    assert_eq!(
        documented["rows"], 300,
        "the documented script caches everyone"
    );

    // PyAirbyte's own logs hold no password.
    let mut logs = String::new();
    for entry in walk(&work.join("logs")) {
        logs.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
    }
    for secret in [
        connector_ukgpro::sandbox::PASSWORD,
        "canary-wrong-password-91",
    ] {
        assert!(!logs.contains(secret), "{secret} in PyAirbyte's logs");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
