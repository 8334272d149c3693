//! Seeing what a provider prints: the checks run again in a child process (the same test, by
//! its name, with `--nocapture`), where every log line at trace level and anything written to
//! stderr or stdout reaches the parent, which scans it for every secret the child used.
//!
//! The child writes its report (with the secrets to look for) to a file the parent names in
//! [`CHILD_REPORT`]; the parent deletes it after reading.

use std::path::PathBuf;
use std::time::Duration;

use super::ConformanceReport;

/// Set in the child: where to write its report.
pub const CHILD_REPORT: &str = "CONNECTOR_TESTKIT_CHILD_REPORT";
/// Set in the child: which call of `run` in the test (1-based) is the one to report.
const CHILD_RUN: &str = "CONNECTOR_TESTKIT_CHILD_RUN";
/// Set in the child: where the parent keeps the reports of the earlier calls of `run`
/// (`<prefix><n>.final.json`), so that the child's test takes the same path to the call it
/// reports on.
const CHILD_PRIOR: &str = "CONNECTOR_TESTKIT_CHILD_PRIOR";

thread_local! {
    /// Calls of `Conformance::run` so far on this test's thread.
    static RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a call of `run` on this thread; returns its 1-based number.
pub(super) fn next_run() -> usize {
    RUNS.with(|r| {
        r.set(r.get() + 1);
        r.get()
    })
}

/// How long the child may take.
const CHILD_TIMEOUT: Duration = Duration::from_secs(600);

/// In the child: logs at trace level to stderr, where the parent reads them (a first line
/// proves they arrive).
pub(super) fn trace_to_stderr() -> bool {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .finish();
    let installed = tracing::subscriber::set_global_default(subscriber).is_ok();
    tracing::trace!("conformance checks start; logs are captured at trace level");
    installed
}

/// What the child does at a call of `run`.
pub(super) enum Child {
    /// Not the child.
    No,
    /// The call to report on: run the checks, write the report here.
    Report(PathBuf),
    /// An earlier call: the parent's report of it (`None`: unavailable).
    Replay(Option<ConformanceReport>),
}

/// In the child: what to do at call `run`.
pub(super) fn child_role(run: usize) -> Child {
    let (Some(path), Some(wanted)) = (
        std::env::var_os(CHILD_REPORT),
        std::env::var(CHILD_RUN)
            .ok()
            .and_then(|w| w.parse::<usize>().ok()),
    ) else {
        return Child::No;
    };
    if wanted == run {
        return Child::Report(PathBuf::from(path));
    }
    let prior = std::env::var(CHILD_PRIOR)
        .ok()
        .and_then(|prefix| std::fs::read(format!("{prefix}{run}.final.json")).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Child::Replay(prior)
}

/// In the child: writes the report for the parent.
pub(super) fn write_child_report(path: &PathBuf, report: &ConformanceReport) {
    if let Ok(json) = serde_json::to_vec(report) {
        let _ = std::fs::write(path, json);
    }
}

/// In the parent: runs the current test again in a child process and returns its report with
/// its output scanned, or why that was not possible.
pub(super) async fn run_child(provider: &str, run: usize) -> Result<ConformanceReport, String> {
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_owned)
        .ok_or("the test's name is unknown (not run by the standard test harness)")?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let prefix = std::env::temp_dir()
        .join(format!(
            "connector-testkit-{}-{}-",
            std::process::id(),
            test.replace("::", "-")
        ))
        .to_string_lossy()
        .into_owned();
    let path = PathBuf::from(format!("{prefix}{run}.json"));
    let mut command = tokio::process::Command::new(&exe);
    command
        .args([
            test.as_str(),
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_REPORT, &path)
        .env(CHILD_RUN, run.to_string())
        .env(CHILD_PRIOR, &prefix)
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    let output = tokio::time::timeout(CHILD_TIMEOUT, command.output())
        .await
        .map_err(|_| "the checks did not finish within 10 minutes".to_owned())?
        .map_err(|e| format!("cannot re-run the test: {e}"))?;
    let written = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    let mut report: ConformanceReport = match written {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("unreadable report from the child: {e}"))?,
        Err(_) => {
            return Err(format!(
                "the re-run test wrote no report (exit {:?}); its stderr:\n{}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    };
    report.provider = provider.to_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let logged = stderr
        .lines()
        .any(|l| l.contains("TRACE") || l.contains("DEBUG"));
    report.check(logged, "logs were captured at trace level", || {
        "no log line reached the scan; another global tracing subscriber may be installed".into()
    });
    let leaks =
        report.scan("stderr or the logs (trace level)", &stderr) + report.scan("stdout", &stdout);
    report.check(leaks == 0, "no secret in stderr, stdout or logs", || {
        format!("{leaks} leak(s), listed above")
    });
    report.secrets.clear();
    // Kept (without secrets) for the children of later calls to replay.
    if let Ok(json) = serde_json::to_vec(&report) {
        let _ = std::fs::write(format!("{prefix}{run}.final.json"), json);
    }
    Ok(report)
}
