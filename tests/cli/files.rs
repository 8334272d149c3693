//! Nothing special is replaced or hung on: every path the CLI writes is a regular file (a
//! link to one is written through and kept), and every file it reads is a regular file read
//! under a cap, on every path (commands, protocol entry points, the connection store).

use std::time::{Duration, Instant};

use crate::connections::Home;
use crate::harness::*;

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

/// Runs `cmd`, failing the test if it does not end within 20 s (a hang on a FIFO would
/// never end); `what` names it.
async fn within_20s(mut cmd: tokio::process::Command, what: &str) -> Output {
    let started = Instant::now();
    let o = tokio::time::timeout(Duration::from_secs(20), cmd.kill_on_drop(true).output())
        .await
        .unwrap_or_else(|_| panic!("`{what}` hung"))
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    o
}

/// `connector ARGS` with `env`, within 20 s.
async fn bounded(args: &[&str], env: &[(&str, &str)]) -> Output {
    within_20s(command(args, env), &format!("connector {}", args.join(" "))).await
}

#[tokio::test]
async fn outputs_write_through_links_to_files_and_refuse_anything_else() {
    let server = fixture_server().await;
    let dir = temp_dir("files-outputs");
    let config = write_config(&dir, &settings(&server.uri()));
    let real = dir.join("real.csv");
    std::fs::write(&real, "old").unwrap();
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = bounded(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--output",
            link.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is kept"
    );
    let written = std::fs::read_to_string(&real).unwrap();
    assert!(
        written.starts_with("id,"),
        "written through to its target: {written}"
    );

    let fifo = dir.join("fifo.csv");
    mkfifo(&fifo);
    let to_stdout = dir.join("stdout.csv");
    std::os::unix::fs::symlink("/proc/self/fd/1", &to_stdout).unwrap();
    let dangling = dir.join("dangling.csv");
    std::os::unix::fs::symlink(dir.join("nothing-here"), &dangling).unwrap();
    let to_fifo = dir.join("to-fifo.csv");
    std::os::unix::fs::symlink(&fifo, &to_fifo).unwrap();
    for (flag, target, says) in [
        ("--output", fifo.as_path(), "FIFO"),
        ("--output", Path::new("/dev/null"), "a device"),
        ("--output", dir.as_path(), "a directory"),
        ("--output", to_fifo.as_path(), "symbolic link"),
        ("--output", dangling.as_path(), "symbolic link"),
        ("--summary-json", fifo.as_path(), "FIFO"),
        ("--summary-json", to_stdout.as_path(), "symbolic link"),
    ] {
        let o = bounded(
            &[
                "ukgpro",
                "users",
                "--config",
                &config,
                flag,
                target.to_str().unwrap(),
            ],
            &[],
        )
        .await;
        assert_eq!(code(&o), 2, "{flag} {}: {}", target.display(), stderr(&o));
        assert!(stderr(&o).contains(says), "{flag}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "{}", stderr(&o));
    }
    assert!(
        std::fs::symlink_metadata(&to_stdout)
            .unwrap()
            .file_type()
            .is_symlink(),
        "a link to stdout is never replaced by a file"
    );
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo_like());

    // The users and the summary in one file: refused.
    let o = bounded(
        &[
            "ukgpro",
            "users",
            "--config",
            &config,
            "--output",
            real.to_str().unwrap(),
            "--summary-json",
            link.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("are the same file"), "{}", stderr(&o));

    // The sandbox's --settings-out: a FIFO is refused, not replaced.
    let o = bounded(
        &[
            "ukgpro",
            "sandbox",
            "--settings-out",
            fifo.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo_like());
}

trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}
impl FifoLike for std::fs::FileType {
    fn is_fifo_like(&self) -> bool {
        std::os::unix::fs::FileTypeExt::is_fifo(self)
    }
}

#[tokio::test]
async fn inputs_that_are_not_regular_files_are_refused_at_once_on_every_path() {
    let dir = temp_dir("files-inputs");
    let fifo = dir.join("config.json");
    mkfifo(&fifo);
    let fifo_s = fifo.to_str().unwrap();
    // The CLI's --config, both protocol entry points' --config, catalog and state.
    let o = bounded(&["ukgpro", "test", "--config", fifo_s], &[]).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stdout(&o).contains("is a FIFO"), "{}", stdout(&o));
    let o = bounded(&["ukgpro", "users", "--config", "/dev/zero"], &[]).await;
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("a device"), "{}", stderr(&o));

    let entry = temp_dir("files-inputs-entrypoints");
    let o = connector(&["install-entrypoints", entry.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let good = write_config(&dir, &settings("http://127.0.0.1:9"));
    for (program, args) in [
        ("source-ukgpro", vec!["check", "--config", fifo_s]),
        ("source-ukgpro", vec!["check", "--config", "/dev/zero"]),
        (
            "source-ukgpro",
            vec!["read", "--config", &good, "--catalog", fifo_s],
        ),
        ("tap-ukgpro", vec!["--config", fifo_s]),
        (
            "tap-ukgpro",
            vec!["--config", &good, "--catalog", "/dev/zero"],
        ),
        ("tap-ukgpro", vec!["--config", &good, "--state", fifo_s]),
    ] {
        let o = within_20s(
            crate::harness::program(&entry.join(program), &args, &[]),
            &format!("{program} {args:?}"),
        )
        .await;
        assert_ne!(code(&o), 0, "{program} {args:?}");
        let text = stdout(&o) + &stderr(&o);
        assert!(
            text.contains("FIFO") || text.contains("a device"),
            "{program} {args:?}: {text}"
        );
    }
}

#[tokio::test]
async fn a_store_or_key_file_that_is_not_a_regular_file_is_refused_not_hung_on() {
    let server = fixture_server().await;
    let home = Home::new("files-store");
    let dir = temp_dir("files-store-files");
    let config = write_config(&dir, &settings(&server.uri()));
    let o = home.add_with("HR", &config, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let env = home.with(&[]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    // master.key swapped for a FIFO: reading a secret says so (exit 7) instead of waiting.
    let key = home.dir.join("master.key");
    std::fs::rename(&key, dir.join("master.key.saved")).unwrap();
    mkfifo(&key);
    let o = bounded(&["connections", "test", "HR"], &env).await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
    std::fs::remove_file(&key).unwrap();
    std::fs::rename(dir.join("master.key.saved"), &key).unwrap();

    // connections.db swapped for a FIFO.
    let db = home.dir.join("connections.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(home.dir.join(format!("connections.db{suffix}")));
    }
    mkfifo(&db);
    let o = bounded(&["connections", "list"], &env).await;
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
}

#[tokio::test]
async fn install_entrypoints_replaces_its_own_links_but_not_other_files_unless_forced() {
    let dir = temp_dir("files-entrypoints");
    let o = connector(&["install-entrypoints", dir.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Again: its own links are replaced.
    let o = connector(&["install-entrypoints", dir.to_str().unwrap()], &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Someone's own script of that name is left alone...
    let theirs = dir.join("tap-ukgpro");
    std::fs::remove_file(&theirs).unwrap();
    std::fs::write(&theirs, "#!/bin/sh\necho mine\n").unwrap();
    let o = connector(&["install-entrypoints", dir.to_str().unwrap()], &[]).await;
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(stderr(&o).contains("tap-ukgpro"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&theirs).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    // ...unless --force.
    let o = connector(
        &["install-entrypoints", dir.to_str().unwrap(), "--force"],
        &[],
    )
    .await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&theirs)
        .unwrap()
        .file_type()
        .is_symlink());
}
