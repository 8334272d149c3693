//! Meltano runs `tap-ukgpro` as a custom extractor (`executable:`) into target-jsonl: the
//! first run loads the sandbox's whole workforce, the second (a simulated day later, with the
//! state Meltano saved) only who changed.

use std::collections::BTreeSet;

use super::*;

/// docs/orchestrators.md's Meltano blocks: the `meltano.yml`, then the commands that run it.
fn documented() -> Vec<String> {
    let blocks = crate::docs::marked_blocks(
        "docs/orchestrators.md",
        "meltano_loads_everyone_then_only_who_changed",
    );
    assert_eq!(blocks.len(), 2, "the meltano.yml and its commands");
    blocks
}

/// The documented commands: the variables they export (the secrets) and each `meltano` run's
/// arguments.
fn documented_runs() -> (Vec<String>, Vec<Vec<String>>) {
    let commands = documented()[1].clone();
    let mut exported = Vec::new();
    let mut runs = Vec::new();
    for line in commands.lines() {
        let code = line.split('#').next().unwrap_or("").trim();
        if let Some(assignments) = code.strip_prefix("export ") {
            exported.extend(
                assignments
                    .split_whitespace()
                    .filter_map(|a| a.split_once('=').map(|(k, _)| k.to_owned())),
            );
        } else if let Some(args) = code.strip_prefix("meltano ") {
            runs.push(args.split_whitespace().map(str::to_owned).collect());
        }
    }
    (exported, runs)
}

/// The `meltano.yml` of docs/orchestrators.md, pointed at this test's tap, target, sandbox
/// and output folder: the documented project is the one that runs.
fn meltano_yml(
    tap: &std::path::Path,
    target: &std::path::Path,
    port: u16,
    out: &std::path::Path,
) -> String {
    let yml = documented()[0].clone();
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
    args: &[String],
    env: &[(&str, &str)],
) -> Output {
    let o = tokio::process::Command::new(meltano)
        .args(args)
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

/// The documented `run`th `meltano` command, with the sandbox's secrets in the variables the
/// docs export.
async fn meltano_run_ukgpro(
    meltano: &std::path::Path,
    project: &std::path::Path,
    run: usize,
) -> Output {
    let (exported, runs) = documented_runs();
    assert_eq!(
        exported,
        ["TAP_UKGPRO_PASSWORD", "TAP_UKGPRO_CUSTOMER_API_KEY"],
        "the documented secrets"
    );
    assert_eq!(runs.len(), 2, "the first run, and the later one");
    let env = [
        ("TAP_UKGPRO_PASSWORD", connector_ukgpro::sandbox::PASSWORD),
        (
            "TAP_UKGPRO_CUSTOMER_API_KEY",
            connector_ukgpro::sandbox::CUSTOMER_API_KEY,
        ),
    ];
    meltano_run(meltano, project, &runs[run], &env).await
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
    let o = meltano_run_ukgpro(&meltano, &project, 0).await;
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
    let o = meltano_run_ukgpro(&meltano, &project, 1).await;
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
    let args = ["run", "tap-scim", "target-jsonl"].map(String::from);
    let o = meltano_run(&meltano, &project, &args, &[("TAP_SCIM_AUTH", &auth)]).await;
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
