//! `connector <provider> sync` on a sandbox that lives: for each simulated day, the events
//! equal the difference between the full exports of that day and the day before (computed
//! here, independently of the engine), by full listing and by change feed; interrupted syncs
//! lose and duplicate nothing; the mass-change guard stops a truncated listing. Shared here:
//! the sandbox of a day, full exports, and the independent diff.

mod days;
#[cfg(unix)]
mod delivery;
mod feed;
mod guard;
mod workers;

use std::collections::{BTreeMap, BTreeSet};

use connector_core::sandbox::{SandboxHandle, SandboxOptions};

use crate::connections::Home;
use crate::harness::*;

pub(super) type Users = BTreeMap<String, Value>;

/// A port no one listens on now (the sandbox of each day is started on it).
pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(super) async fn sandbox(port: u16, day: u32, employees: u64) -> SandboxHandle {
    let mut options = SandboxOptions::with_employees(employees);
    options.port = port;
    options.seed = 7;
    options.day = day;
    // The previous day's sandbox may still be letting go of the port.
    for _ in 0..50 {
        match connector_ukgpro::sandbox::start(options.clone()).await {
            Ok(s) => return s,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("the sandbox of day {day} did not start on port {port}");
}

/// A connection `Live` saved on a day-0 sandbox of `employees` people, and its first sync
/// (the baseline; `--as-of` when given).
pub(super) struct Live {
    pub(super) home: Home,
    pub(super) dir: std::path::PathBuf,
    pub(super) port: u16,
    pub(super) day0: SandboxHandle,
    pub(super) baseline: Output,
}

pub(super) async fn live(name: &str, employees: u64, as_of: Option<&str>) -> Live {
    let home = Home::new(name);
    let dir = temp_dir(&format!("{name}-files"));
    let port = free_port();
    let day0 = sandbox(port, 0, employees).await;
    let config = write_config(&dir, &day0.settings);
    let o = home.add_with("Live", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut sync = vec!["ukgpro", "sync", "--connection", "Live"];
    if let Some(when) = as_of {
        sync.extend(["--as-of", when]);
    }
    let baseline = home.run(&sync).await;
    assert_eq!(code(&baseline), 0, "{}", stderr(&baseline));
    Live {
        home,
        dir,
        port,
        day0,
        baseline,
    }
}

/// A full export with the saved connection, by user key, `updated_at` left out.
pub(super) async fn export(home: &Home, name: &str) -> Users {
    let o = home
        .run(&[
            "ukgpro",
            "users",
            "--connection",
            name,
            "--format",
            "jsonl",
            "--allow-empty",
        ])
        .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let mut u: Value = serde_json::from_str(l).unwrap();
            u.as_object_mut().unwrap().remove("updated_at");
            let key = format!(
                "{}/{}",
                u["company_id"].as_str().unwrap_or(""),
                u["id"].as_str().unwrap()
            );
            (key, u)
        })
        .collect()
}

/// The events two exports imply, worked out here from the exports alone: (user key, type).
pub(super) fn expected(before: &Users, after: &Users) -> BTreeSet<(String, String)> {
    let gone = |s: &Value| s == "terminated" || s == "inactive";
    let mut out = BTreeSet::new();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let mut add = |t: &str| {
            out.insert((key.clone(), t.to_owned()));
        };
        match (before.get(key), after.get(key)) {
            (None, Some(_)) => add("joined"),
            (Some(_), None) => add("removed"),
            (Some(b), Some(a)) if b != a => {
                let mut differing: Vec<&str> = b
                    .as_object()
                    .unwrap()
                    .keys()
                    .filter(|f| b[f.as_str()] != a[f.as_str()])
                    .map(String::as_str)
                    .collect();
                let mut take = |fields: &[&str]| {
                    let before = differing.len();
                    differing.retain(|f| !fields.contains(f));
                    before != differing.len()
                };
                if !gone(&b["status"]) && gone(&a["status"]) {
                    take(&["status", "provider_status", "termination_date"]);
                    add("left");
                } else if gone(&b["status"]) && !gone(&a["status"]) {
                    take(&["status", "provider_status", "hire_date", "termination_date"]);
                    add("rehired");
                } else if b["status"] != a["status"] {
                    take(&["status", "provider_status"]);
                    add("status_changed");
                }
                if take(&["job_title", "department", "manager_id"]) {
                    add("moved");
                }
                if !differing.is_empty() {
                    add("changed");
                }
            }
            _ => {}
        }
    }
    out
}

pub(super) fn read_events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(super) fn key_of(e: &Value) -> String {
    format!(
        "{}/{}",
        e["company_id"].as_str().unwrap_or(""),
        e["user_id"].as_str().unwrap()
    )
}

/// Every event's before and after are what the two exports say.
pub(super) fn assert_values(events: &[Value], before: &Users, after: &Users) {
    for e in events {
        let key = key_of(e);
        for (field, change) in e["changes"].as_object().unwrap() {
            if let Some(b) = before.get(&key) {
                if change.get("before").is_some() {
                    assert_eq!(change["before"], b[field.as_str()], "{e}");
                }
            }
            if let Some(a) = after.get(&key) {
                if change.get("after").is_some() {
                    assert_eq!(change["after"], a[field.as_str()], "{e}");
                }
            }
        }
    }
}
