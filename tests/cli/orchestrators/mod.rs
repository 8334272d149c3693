//! The orchestrator protocols end to end: the Airbyte and Singer messages themselves, and the
//! real orchestrators driving the binary (Meltano with target-jsonl; PyAirbyte), installed
//! pinned by `scripts/test`. A test that needs one fails loudly when it is missing.

mod meltano;
mod protocol;
mod pyairbyte;

use std::path::PathBuf;

use connector_core::sandbox::{SandboxHandle, SandboxOptions};

use crate::harness::*;

/// A real component's path from the variable `scripts/test` sets; panics (never skips) when
/// it is missing.
pub(super) fn tool(variable: &str) -> PathBuf {
    let path = std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{variable} is not set: run the tests with `bash scripts/test`, which installs the pinned orchestrators")
    });
    assert!(
        path.exists(),
        "{variable}={} does not exist: run `bash scripts/test`",
        path.display()
    );
    path
}

/// `source-<provider>` and `tap-<provider>` made by `connector install-entrypoints` in a
/// folder of their own.
pub(super) async fn entry_points(name: &str) -> PathBuf {
    let dir = temp_dir(&format!("entrypoints-{name}"));
    let o = connector(&["install-entrypoints", dir.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for made in ["source-ukgpro", "tap-ukgpro", "source-scim", "tap-scim"] {
        assert!(stdout(&o).contains(made), "{}", stdout(&o));
    }
    dir
}

/// The UKG Pro sandbox of `day` on `port` (0: any), 300 people, seed 7.
pub(super) async fn sandbox_on(port: u16, day: u32) -> SandboxHandle {
    let mut options = SandboxOptions::with_employees(300);
    options.port = port;
    options.seed = 7;
    options.day = day;
    for _ in 0..50 {
        if let Ok(s) = connector_ukgpro::sandbox::start(options.clone()).await {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the sandbox of day {day} did not start");
}

pub(super) fn port_of(sandbox: &SandboxHandle) -> u16 {
    sandbox
        .base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the sandbox's port")
}

/// The ids (company/id) and `updated_at` of a full export of `config`.
pub(super) async fn exported(config: &str) -> Vec<(String, String)> {
    let o = connector(
        &["ukgpro", "users", "--config", config, "--format", "jsonl"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let u: Value = serde_json::from_str(l).unwrap();
            (
                format!(
                    "{}/{}",
                    u["company_id"].as_str().unwrap_or(""),
                    u["id"].as_str().unwrap()
                ),
                u["updated_at"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Every JSON line a protocol run printed.
pub(super) fn messages(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}
