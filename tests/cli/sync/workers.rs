//! Several worker processes syncing one connection through a shared PostgreSQL store
//! (`CONNECTOR_STORE`): of the syncs planned from the same state, exactly one commits; the
//! others are told so and commit nothing.

use connector_core::sandbox::SandboxOptions;

use super::free_port;
use crate::connections::Home;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread")]
async fn sync_workers_sharing_a_postgres_store_never_both_commit_one_state() {
    // Slow pages, so that the workers' listings overlap.
    let mut options = SandboxOptions::with_employees(2_000);
    options.port = free_port();
    options.latency = std::time::Duration::from_millis(150);
    let sandbox = connector_ukgpro::sandbox::start(options).await.unwrap();
    let home = Home::postgres("pg-sync-workers").await;
    let dir = temp_dir("pg-sync-workers-files");
    let config = write_config(&dir, &sandbox.settings);
    let o = home.add_with("Payroll", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let events = dir.join(format!("events-{i}.jsonl"));
            command(
                &[
                    "ukgpro",
                    "sync",
                    "--connection",
                    "Payroll",
                    "--events",
                    events.to_str().unwrap(),
                ],
                &env,
            )
            .output()
        })
        .collect();
    let outputs: Vec<Output> = futures_util::future::join_all(workers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut baselines = 0;
    let mut refused = 0;
    for o in &outputs {
        match code(o) {
            0 => {
                if stderr(o).contains("Baseline recorded") {
                    baselines += 1;
                }
            }
            7 => {
                assert!(
                    stderr(o).contains("finished while this one ran; nothing was committed"),
                    "{}",
                    stderr(o)
                );
                refused += 1;
            }
            other => panic!("exit {other}: {}", stderr(o)),
        }
    }
    assert_eq!(baselines, 1, "one worker recorded the baseline");
    assert!(
        refused >= 1,
        "the workers overlapped: the others were refused"
    );
    // The state is the one commit's: a sync now finds nothing changed.
    let o = home
        .run(&["ukgpro", "sync", "--connection", "Payroll"])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "no events after the committed baseline");
}
