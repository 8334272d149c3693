//! Export benchmark against the embedded UKG Pro sandbox (not a test: it measures and reports).
//!
//! ```sh
//! cargo bench -p connector --bench export            # all scenarios
//! cargo bench -p connector --bench export -- quick   # smaller tenants, for a smoke run
//! cargo bench -p connector --bench export -- rss     # only scenario 3 (also: latency, throughput)
//! ```
//!
//! The sandbox runs in this process; the client is the real `connector` binary in a child
//! process, so its wall time, CPU time and peak RSS (from `wait4`) are its own.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use connector_core::sandbox::{SandboxHandle, SandboxOptions};

struct Run {
    users: u64,
    wall: Duration,
    cpu: Duration,
    peak_rss_mb: f64,
    requests: u64,
}

fn start(rt: &tokio::runtime::Runtime, employees: u64, latency: Duration) -> SandboxHandle {
    let mut options = SandboxOptions::with_employees(employees);
    options.latency = latency;
    rt.block_on(connector_ukgpro::sandbox::start(options))
        .expect("sandbox starts")
}

/// Runs `connector ukgpro users` against the sandbox; output to /dev/null.
// The child is reaped by `wait4` (which also gives its own rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn export(sandbox: &SandboxHandle, page_size: u32, concurrency: u32, users: u64) -> Run {
    let mut settings = sandbox.settings.clone();
    settings["max_concurrent_requests"] = concurrency.into();
    let dir = std::env::temp_dir().join(format!("connector-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("sandbox.json");
    std::fs::write(&config, settings.to_string()).expect("write config");
    let before = sandbox.counters.requests();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_connector"))
        .args(["ukgpro", "users", "--config"])
        .arg(&config)
        .args(["--page-size", &page_size.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn connector");
    let (status, usage) = wait4(child.id() as libc::pid_t);
    let wall = started.elapsed();
    assert!(status == 0, "export failed with status {status}");
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    Run {
        users,
        wall,
        cpu,
        // Linux reports ru_maxrss in KiB.
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        requests: sandbox.counters.requests() - before,
    }
}

fn wait4(pid: libc::pid_t) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `pid` is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4 failed");
    (status, usage)
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let picked: Vec<&str> = [
        "latency",
        "throughput",
        "rss",
        "faults",
        "sync",
        "protocols",
    ]
    .into_iter()
    .filter(|s| args.iter().any(|a| a == s))
    .collect();
    // `faults` takes over a minute (it rides out a one-minute quota window): only on request.
    let run = |name: &str| picked.contains(&name) || (picked.is_empty() && name != "faults");
    let requested = |name: &str| picked.contains(&name);
    let scale = if quick { 10 } else { 1 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("# Export benchmark (sandbox in-process, client = release `connector` binary)\n");
    println!("machine: {cores} cores; {}\n", std::env::consts::ARCH);

    let users = 100_000 / scale;
    if run("latency") {
        latency_scenario(&rt, users);
    }
    if run("throughput") {
        throughput_scenario(&rt, users);
    }
    if run("rss") {
        rss_scenario(&rt, scale);
    }
    if run("faults") {
        faults_scenario(&rt, users);
    }
    if requested("sync") {
        sync_scenario(&rt, users);
    }
    if requested("protocols") {
        protocols_scenario(&rt, users);
    }
}

/// Runs `program` with `args`; wall time, CPU time, peak RSS; output to /dev/null.
#[allow(clippy::zombie_processes)]
fn timed(program: &std::path::Path, args: &[&str]) -> (Duration, Duration, f64) {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let (status, usage) = wait4(child.id() as libc::pid_t);
    let wall = started.elapsed();
    assert!(
        status == 0,
        "`{} {}` failed with status {status}",
        program.display(),
        args.join(" ")
    );
    (
        wall,
        timeval(usage.ru_utime) + timeval(usage.ru_stime),
        usage.ru_maxrss as f64 / 1024.0,
    )
}

/// Protocol mode against a plain export: the same users through `source-ukgpro read` (Airbyte
/// messages) and `tap-ukgpro` (Singer messages) as through `connector ukgpro users`.
fn protocols_scenario(rt: &tokio::runtime::Runtime, users: u64) {
    println!("\n## 6. Protocol mode vs a plain export: {users} users, page size 10,000\n");
    let sandbox = start(rt, users, Duration::ZERO);
    let dir =
        std::env::temp_dir().join(format!("connector-bench-protocols-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("config.json");
    std::fs::write(&config, sandbox.settings.to_string()).expect("config");
    let config = config.to_string_lossy().into_owned();
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_connector"));
    let (source, tap) = (dir.join("source-ukgpro"), dir.join("tap-ukgpro"));
    std::os::unix::fs::symlink(exe, &source).expect("link");
    std::os::unix::fs::symlink(exe, &tap).expect("link");
    let catalog = dir.join("catalog.json");
    std::fs::write(
        &catalog,
        r#"{"streams":[{"stream":{"name":"users","json_schema":{},"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]}"#,
    )
    .expect("catalog");
    let catalog = catalog.to_string_lossy().into_owned();
    println!("| run | wall time | users/s (wall) | client CPU | users per CPU-second | peak RSS |");
    println!("|---|---|---|---|---|---|");
    let runs: [(&str, &std::path::Path, Vec<&str>); 3] = [
        (
            "`connector ukgpro users` (JSONL)",
            exe,
            vec!["ukgpro", "users", "--config", &config],
        ),
        (
            "`source-ukgpro read` (Airbyte)",
            &source,
            vec!["read", "--config", &config, "--catalog", &catalog],
        ),
        ("`tap-ukgpro` (Singer)", &tap, vec!["--config", &config]),
    ];
    for (name, program, args) in runs {
        for _ in 0..2 {
            let (wall, cpu, rss) = timed(program, &args);
            println!(
                "| {name} | {} | {:.0} | {} | {:.0} | {rss:.1} MB |",
                ms(wall),
                users as f64 / wall.as_secs_f64(),
                ms(cpu),
                users as f64 / cpu.as_secs_f64()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the `connector` binary with `args` and `CONNECTOR_HOME=home`; returns its wall time,
/// CPU time and peak RSS.
#[allow(clippy::zombie_processes)]
fn connector_run(home: &std::path::Path, args: &[&str]) -> (Duration, Duration, f64) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_connector"))
        .args(args)
        .env("CONNECTOR_HOME", home)
        .env_remove("CONNECTOR_MASTER_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn connector");
    let (status, usage) = wait4(child.id() as libc::pid_t);
    let wall = started.elapsed();
    assert!(
        status == 0,
        "`connector {}` failed with status {status}",
        args.join(" ")
    );
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    (wall, cpu, usage.ru_maxrss as f64 / 1024.0)
}

/// Sync: a tenant of `users`, its baseline, then the next simulated day's sync (the
/// sandbox's day-to-day changes) by full diff and by UKG's change feed; requests, time,
/// memory, events and the state's size.
fn sync_scenario(rt: &tokio::runtime::Runtime, users: u64) {
    println!(
        "\n## 5. Sync: {users} users, one simulated day of changes, full diff vs change feed\n"
    );
    let dir = std::env::temp_dir().join(format!("connector-bench-sync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let home = dir.join("home");
    let mut options = SandboxOptions::with_employees(users);
    let day0 = rt
        .block_on(connector_ukgpro::sandbox::start(options.clone()))
        .expect("sandbox starts");
    options.port = day0
        .base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the sandbox's port");
    let config = dir.join("sandbox.json");
    std::fs::write(&config, day0.settings.to_string()).expect("config");
    let config = config.to_string_lossy().into_owned();
    // Day 0 and day 1 of the sandbox's calendar (noon UTC).
    let (day0_at, day1_at) = ("2026-01-05", "2026-01-06");
    println!("| run | requests | wall time | client CPU | peak RSS | events |");
    println!("|---|---|---|---|---|---|");
    for name in ["by-listing", "by-feed"] {
        connector_run(
            &home,
            &[
                "connections",
                "add",
                name,
                "--provider",
                "ukgpro",
                "--config",
                &config,
                "--no-test",
            ],
        );
        let before = day0.counters.requests();
        let (wall, cpu, rss) = connector_run(
            &home,
            &["ukgpro", "sync", "--connection", name, "--as-of", day0_at],
        );
        if name == "by-listing" {
            println!(
                "| day 0: baseline | {} | {} | {} | {rss:.1} MB | 0 |",
                day0.counters.requests() - before,
                ms(wall),
                ms(cpu)
            );
        }
    }
    drop(day0);
    options.day = 1;
    // Day 0's server lets go of the port a moment after its handle is dropped.
    let day1 = (0..50)
        .find_map(|_| {
            rt.block_on(connector_ukgpro::sandbox::start(options.clone()))
                .map_err(|_| std::thread::sleep(Duration::from_millis(100)))
                .ok()
        })
        .expect("day 1 sandbox starts");
    for (name, how, extra) in [
        ("by-listing", "full diff", Some("--full")),
        ("by-feed", "change feed", None),
    ] {
        let events = dir.join(format!("events-{name}.jsonl"));
        let events_arg = events.to_string_lossy().into_owned();
        let mut args = vec![
            "ukgpro",
            "sync",
            "--connection",
            name,
            "--events",
            &events_arg,
            "--as-of",
            day1_at,
        ];
        args.extend(extra);
        let before = day1.counters.requests();
        let (wall, cpu, rss) = connector_run(&home, &args);
        let lines = std::fs::read_to_string(&events).map_or(0, |t| t.lines().count());
        println!(
            "| day 1: {how} | {} | {} | {} | {rss:.1} MB | {lines} |",
            day1.counters.requests() - before,
            ms(wall),
            ms(cpu)
        );
    }
    let before = day1.counters.requests();
    let (wall, cpu, rss) = connector_run(&home, &["ukgpro", "users", "--connection", "by-listing"]);
    println!(
        "| day 1: plain export, for comparison | {} | {} | {} | {rss:.1} MB | - |",
        day1.counters.requests() - before,
        ms(wall),
        ms(cpu)
    );
    let size: u64 = std::fs::read_dir(&home)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!(
        "\nState: {:.1} MB for two connections of {users} users ({} bytes per user; connector home, database and key)",
        size as f64 / 1_048_576.0,
        size / users.max(1) / 2
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The resilience evidence: the same export fault-free, then under 10% 5xx plus a 429 storm
/// (the sandbox's per-minute quota runs out mid-export, like UKG's gateway: 429 without
/// Retry-After until the minute is over). Users must equal the tenant, with no duplicates.
fn faults_scenario(rt: &tokio::runtime::Runtime, users: u64) {
    println!("\n## 4. {users} users, page size 500: fault-free vs 10% 5xx + a 429 storm\n");
    println!("| run | wall time | requests | beyond the pages needed | retries logged | users | duplicates |");
    println!("|---|---|---|---|---|---|---|");
    let pages = 2 * (users / 500 + 1);
    for faulty in [false, true] {
        let mut options = SandboxOptions::with_employees(users);
        if faulty {
            options.error_rate = 0.1;
            // The quota runs out after about 60% of the requests.
            options.rate_limit_per_minute = Some((pages * 6 / 10) as u32);
        }
        let sandbox = rt
            .block_on(connector_ukgpro::sandbox::start(options))
            .expect("sandbox");
        let dir =
            std::env::temp_dir().join(format!("connector-bench-faults-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config = dir.join("sandbox.json");
        std::fs::write(&config, sandbox.settings.to_string()).expect("config");
        let out = dir.join("users.jsonl");
        let summary = dir.join("summary.json");
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_connector"))
            .args(["ukgpro", "users", "--page-size", "500", "--config"])
            .arg(&config)
            .arg("--output")
            .arg(&out)
            .arg("--summary-json")
            .arg(&summary)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run connector");
        let wall = started.elapsed();
        assert!(
            output.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The CLI counts the requests it retried (its `retry:` lines) in the summary.
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary"))
                .expect("summary JSON");
        let retries = summary["retries"].as_u64().expect("retries in the summary");
        let text = std::fs::read_to_string(&out).expect("output");
        let mut ids = std::collections::HashSet::new();
        let mut lines = 0u64;
        for line in text.lines() {
            lines += 1;
            let user: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            ids.insert(user["id"].as_str().unwrap_or_default().to_owned());
        }
        let requests = sandbox.counters.requests();
        println!(
            "| {} | {} | {requests} | {} | {retries} | {} | {} |",
            if faulty {
                "10% 5xx + 429 storm"
            } else {
                "fault-free"
            },
            ms(wall),
            requests.saturating_sub(pages),
            ids.len(),
            lines - ids.len() as u64
        );
        assert_eq!(ids.len() as u64, users, "users lost");
    }
}

/// 1. 100,000 users, page size 1,000, 20 ms per request.
fn latency_scenario(rt: &tokio::runtime::Runtime, users: u64) {
    let latency = Duration::from_millis(20);
    let sandbox = start(rt, users, latency);
    println!("## 1. {users} users, page size 1,000, 20 ms latency per request\n");
    println!("| mode | requests | wall time | lower bound | ratio |");
    println!("|---|---|---|---|---|");
    for (mode, in_flight) in [
        ("concurrent (8 in flight)", 8u32),
        ("one page at a time", 1),
    ] {
        let run = export(&sandbox, 1_000, in_flight, users);
        let bound = latency * run.requests as u32 / in_flight;
        println!(
            "| {mode} | {} | {} | {} | {:.2}x |",
            run.requests,
            ms(run.wall),
            ms(bound),
            run.wall.as_secs_f64() / bound.as_secs_f64()
        );
    }
}

/// 2. 100,000 users, page size 10,000, no latency.
fn throughput_scenario(rt: &tokio::runtime::Runtime, users: u64) {
    let sandbox = start(rt, users, Duration::ZERO);
    println!("\n## 2. {users} users, page size 10,000, no latency\n");
    println!("| run | wall time | users/s (wall) | client CPU | users per CPU-second | peak RSS |");
    println!("|---|---|---|---|---|---|");
    for i in 1..=3 {
        let run = export(&sandbox, 10_000, 8, users);
        println!(
            "| {i} | {} | {:.0} | {} | {:.0} | {:.1} MB |",
            ms(run.wall),
            run.users as f64 / run.wall.as_secs_f64(),
            ms(run.cpu),
            run.users as f64 / run.cpu.as_secs_f64(),
            run.peak_rss_mb
        );
    }
}

/// 3. Peak RSS by tenant size (page size 10,000).
fn rss_scenario(rt: &tokio::runtime::Runtime, scale: u64) {
    println!("\n## 3. Peak RSS of the client by tenant size (page size 10,000)\n");
    println!("| users | wall time | client CPU | users per CPU-second | requests | peak RSS |");
    println!("|---|---|---|---|---|---|");
    for users in [10_000, 100_000, 1_000_000].map(|n| n / scale) {
        let sandbox = start(rt, users, Duration::ZERO);
        let run = export(&sandbox, 10_000, 8, users);
        println!(
            "| {users} | {} | {} | {:.0} | {} | {:.1} MB |",
            ms(run.wall),
            ms(run.cpu),
            run.users as f64 / run.cpu.as_secs_f64(),
            run.requests,
            run.peak_rss_mb
        );
    }
}
