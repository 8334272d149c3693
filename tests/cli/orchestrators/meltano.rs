//! Meltano runs `tap-ukgpro` as a custom extractor (`executable:`) into target-jsonl: the
//! first run loads the sandbox's whole workforce, the second (a simulated day later, with the
//! state Meltano saved) only who changed.

use std::collections::BTreeSet;

use super::*;

/// The `meltano.yml` of docs/orchestrators.md, pointed at this test's tap, target, sandbox
/// and output folder: the documented project is the one that runs.
fn meltano_yml(
    tap: &std::path::Path,
    target: &std::path::Path,
    port: u16,
    out: &std::path::Path,
) -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/orchestrators.md"
    ))
    .unwrap();
    let yml = doc
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a meltano.yml in docs/orchestrators.md");
    let swaps = [
        ("/usr/local/bin/tap-ukgpro", tap.display().to_string()),
        (
            "/opt/target-jsonl/bin/target-jsonl",
            target.display().to_string(),
        ),
        (
            "https://service5.ultipro.com",
            format!("http://127.0.0.1:{port}"),
        ),
        (
            "username: svc-connector",
            "username: sandbox-svc".to_owned(),
        ),
        (
            "destination_path: output",
            format!("destination_path: {}", out.display()),
        ),
    ];
    let mut yml = yml.to_owned();
    for (from, to) in swaps {
        assert!(
            yml.contains(from),
            "the documented meltano.yml has `{from}`"
        );
        yml = yml.replace(from, &to);
    }
    yml
}

/// `meltano run TAP target-jsonl` in `project` with `env`; fails the test unless it succeeds.
async fn meltano_run(
    meltano: &std::path::Path,
    project: &std::path::Path,
    tap: &str,
    env: &[(&str, &str)],
) -> Output {
    let o = tokio::process::Command::new(meltano)
        .args(["run", tap, "target-jsonl"])
        .current_dir(project)
        .env("MELTANO_SEND_ANONYMOUS_USAGE_STATS", "false")
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("run meltano");
    assert_eq!(
        code(&o),
        0,
        "meltano run failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

/// `meltano run tap-ukgpro target-jsonl` with the sandbox's secrets from the environment.
async fn meltano_run_ukgpro(meltano: &std::path::Path, project: &std::path::Path) -> Output {
    let env = [
        ("TAP_UKGPRO_PASSWORD", connector_ukgpro::sandbox::PASSWORD),
        (
            "TAP_UKGPRO_CUSTOMER_API_KEY",
            connector_ukgpro::sandbox::CUSTOMER_API_KEY,
        ),
    ];
    meltano_run(meltano, project, "tap-ukgpro", &env).await
}

fn loaded(out: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(out.join("users.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let u: Value = serde_json::from_str(l).unwrap();
            format!(
                "{}/{}",
                u["company_id"].as_str().unwrap_or(""),
                u["id"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn meltano_loads_everyone_then_only_who_changed() {
    let meltano = tool("MELTANO");
    let target = tool("TARGET_JSONL");
    let entry = entry_points("meltano").await;
    let project = temp_dir("meltano-project");
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(&project).unwrap();
    let out = project.join("out");
    std::fs::create_dir_all(&out).unwrap();

    let day0 = sandbox_on(0, 0).await;
    let port = port_of(&day0);
    let config = write_config(&project, &day0.settings);
    std::fs::write(
        project.join("meltano.yml"),
        meltano_yml(&entry.join("tap-ukgpro"), &target, port, &out),
    )
    .unwrap();
    let before: Vec<(String, String)> = exported(&config).await;
    let o = meltano_run_ukgpro(&meltano, &project).await;
    let first = loaded(&out);
    assert_eq!(first.len(), 300, "every user once:\n{}", stderr(&o));
    let want: BTreeSet<String> = before.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(first.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert!(!stderr(&o).contains(connector_ukgpro::sandbox::PASSWORD));

    // A day later, with the state Meltano kept: only who changed since, and who was stamped
    // with the cursor's exact time (at-least-once at the boundary: a batch import stamps many
    // users with one time, and the last read may have ended between them).
    drop(day0);
    let day1 = sandbox_on(port, 1).await;
    let after = exported(&config).await;
    let cursor = before
        .iter()
        .map(|(_, t)| t.as_str())
        .max()
        .unwrap_or("")
        .to_owned();
    let changed: BTreeSet<String> = after
        .iter()
        .filter(|(_, t)| t.as_str() >= cursor.as_str())
        .map(|(k, _)| k.clone())
        .collect();
    assert!(
        after.iter().any(|(_, t)| t.as_str() > cursor.as_str()),
        "day 1 changes someone"
    );
    let o = meltano_run_ukgpro(&meltano, &project).await;
    assert!(stderr(&o).contains("changed at or after"), "{}", stderr(&o));
    let all = loaded(&out);
    let second: BTreeSet<String> = all[300..].iter().cloned().collect();
    assert_eq!(all.len() - 300, second.len(), "each changed user once");
    assert_eq!(second, changed);
    drop(day1);
}

/// SCIM under the real Meltano: `tap-scim` as a custom extractor whose `auth` setting is an
/// object (its token given as JSON in a variable, as Meltano passes object settings), against
/// the real scim2-server the SCIM tests use; every user created there is loaded once.
#[tokio::test(flavor = "multi_thread")]
async fn meltano_runs_tap_scim_against_a_real_scim_server() {
    let meltano = tool("MELTANO");
    let target = tool("TARGET_JSONL");
    let entry = entry_points("meltano-scim").await;
    let server = crate::scim::start().await;
    let created = crate::scim::create_users(&server, 12).await;
    let project = temp_dir("meltano-scim-project");
    let _ = std::fs::remove_dir_all(&project);
    let out = project.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let yml = format!(
        "default_environment: dev
project_id: scim-users
send_anonymous_usage_stats: false
environments:
- name: dev
plugins:
  extractors:
  - name: tap-scim
    namespace: tap_scim
    executable: {tap}
    capabilities: [catalog, discover, state, about]
    settings:
    - name: base_url
    - name: auth
      kind: object
      sensitive: true
    config:
      base_url: {base}
    select:
    - users.*
  loaders:
  - name: target-jsonl
    namespace: target_jsonl
    executable: {target}
    settings:
    - name: destination_path
    - name: do_timestamp_file
      kind: boolean
    config:
      destination_path: {out}
      do_timestamp_file: false
",
        tap = entry.join("tap-scim").display(),
        base = server.base,
        target = target.display(),
        out = out.display(),
    );
    std::fs::write(project.join("meltano.yml"), yml).unwrap();
    let auth = json!({"method": "bearer", "token": crate::scim::TOKEN}).to_string();
    let o = meltano_run(&meltano, &project, "tap-scim", &[("TAP_SCIM_AUTH", &auth)]).await;
    let loaded: Vec<String> = std::fs::read_to_string(out.join("users.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut want: Vec<String> = created.iter().map(|c| c.id.clone()).collect();
    let mut got = loaded.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "every SCIM user loaded once:\n{}", stderr(&o));
    assert!(
        !stderr(&o).contains(crate::scim::TOKEN),
        "the token leaked into Meltano's logs"
    );
}
