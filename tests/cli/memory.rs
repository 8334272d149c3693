//! Memory is bounded per run, not per request: against servers that send an endless string,
//! an endless array, a gzip bomb or endless nesting, `connector ukgpro users` at default
//! settings ends with an error and its peak RSS (from `wait4`) stays under 300 MB, although
//! it reads two endpoints with several pages in flight.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;

/// The most a run may hold at its peak, in MiB.
const PEAK_LIMIT_MB: f64 = 300.0;

/// A raw HTTP/1.1 server answering every request with `head`, then `first`, then `more()`
/// again and again until the client goes away.
async fn endless(head: &'static str, first: Vec<u8>, more: fn(u64) -> Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let first = first.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                if socket.write_all(head.as_bytes()).await.is_err()
                    || socket.write_all(&first).await.is_err()
                {
                    return;
                }
                let mut i = 0u64;
                // Ten minutes at most, should the client never stop reading.
                let until = std::time::Instant::now() + Duration::from_secs(600);
                while std::time::Instant::now() < until {
                    if socket.write_all(&more(i)).await.is_err() {
                        return;
                    }
                    i += 1;
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Runs `connector ARGS` to its end; exit status and peak RSS in MiB (the child's own, from
/// `wait4`).
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its rusage
fn run_measured(args: Vec<String>) -> (i32, f64, String) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_connector"))
        .args(&args)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; `pid` is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux reports ru_maxrss in KiB.
    (
        code,
        usage.ru_maxrss as f64 / 1024.0,
        reader.join().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_bodies_end_in_an_error_with_bounded_memory() {
    let json = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
    let gzip = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\nconnection: close\r\n\r\n";
    let cases: Vec<(&str, String)> = vec![
        (
            "an endless string",
            endless(json, br#"[{"employeeId":""#.to_vec(), |_| {
                vec![b'A'; 64 * 1024]
            })
            .await,
        ),
        (
            "an endless array",
            endless(json, b"[".to_vec(), |i| {
                format!(
                    r#"{{"employeeId":"E{i:09}","companyId":"C1","firstName":"{}"}},"#,
                    "x".repeat(200)
                )
                .into_bytes()
            })
            .await,
        ),
        (
            "a gzip bomb",
            // A gzip stream of zeros: never inflated, so never more than its own bytes.
            endless(gzip, vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03], |_| {
                vec![0u8; 64 * 1024]
            })
            .await,
        ),
        (
            "endless nesting",
            endless(json, Vec::new(), |_| vec![b'['; 64 * 1024]).await,
        ),
    ];
    let dir = temp_dir("memory-hostile");
    let mut report = Vec::new();
    for (what, base) in cases {
        let config = write_config(&dir, &settings(&base));
        let args: Vec<String> = ["ukgpro", "users", "--config", &config, "--output"]
            .iter()
            .map(|s| s.to_string())
            .chain([dir.join("users.jsonl").to_string_lossy().into_owned()])
            .collect();
        let (code, peak, err) = tokio::time::timeout(
            Duration::from_secs(120),
            tokio::task::spawn_blocking(move || run_measured(args)),
        )
        .await
        .unwrap_or_else(|_| panic!("{what}: the export did not end"))
        .unwrap();
        assert_ne!(code, 0, "{what}: an error, not a success:\n{err}");
        assert!(
            peak < PEAK_LIMIT_MB,
            "{what}: peak RSS {peak:.0} MB, over {PEAK_LIMIT_MB} MB:\n{err}"
        );
        report.push(format!("{what}: exit {code}, peak RSS {peak:.0} MB"));
    }
    // Shown with --nocapture; docs/reliability.md quotes these figures.
    println!("{}", report.join("\n"));
}
