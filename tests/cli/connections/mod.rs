//! `connector connections …` and `--connection NAME`, end to end: every command, prompts on a
//! pseudo-terminal, concurrent processes, a process killed mid-write, keys and tampering, and
//! a canary scan of every output, log and file of the connector home. One file per area; the
//! shared connector home and scans are here.

mod commands;
mod concurrency;
mod keys;
mod postgres;
#[cfg(unix)]
mod prompts;

use std::path::PathBuf;

use crate::harness::*;

/// A fresh connector home and the environment that points the binary at it.
pub(crate) struct Home {
    pub(crate) dir: PathBuf,
    pub(crate) env: Vec<(String, String)>,
}

impl Home {
    pub(crate) fn new(name: &str) -> Home {
        let dir = temp_dir(&format!("connections-{name}")).join("home");
        let _ = std::fs::remove_dir_all(&dir);
        Home {
            env: vec![("CONNECTOR_HOME".into(), dir.to_string_lossy().into_owned())],
            dir,
        }
    }

    /// A fresh connector home (for the key file) whose store is a fresh schema of the
    /// PostgreSQL test server (`CONNECTOR_STORE`): what several workers on several machines
    /// share.
    pub(crate) async fn postgres(name: &str) -> Home {
        let mut home = Home::new(name);
        let schema = format!("cli_{}", name.replace('-', "_"));
        let url = postgres::fresh_schema(&schema).await;
        home.env.push(("CONNECTOR_STORE".into(), url));
        home
    }

    pub(crate) fn with(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    pub(crate) async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[]).await
    }

    /// `connections add NAME --provider ukgpro --config CONFIG --no-test`, with `extra`
    /// variables.
    pub(crate) async fn add_with(
        &self,
        name: &str,
        config: &str,
        extra: &[(&str, &str)],
    ) -> Output {
        let args = [
            "connections",
            "add",
            name,
            "--provider",
            "ukgpro",
            "--config",
            config,
            "--no-test",
        ];
        self.run_with(&args, extra).await
    }

    pub(crate) async fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let env = self.with(extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        connector(args, &env).await
    }
}

/// Every secret of [`settings`], raw and as the Basic header.
pub(super) fn canaries() -> Vec<&'static str> {
    vec![PASSWORD, CUSTOMER_KEY, USER_KEY, basic_b64()]
}

pub(super) fn assert_clean(what: &str, text: &str) {
    for c in canaries() {
        assert!(!text.contains(c), "{c} leaked in {what}:\n{text}");
    }
}

pub(super) fn assert_home_clean(home: &Path) {
    for entry in std::fs::read_dir(home).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for c in canaries() {
            assert!(
                !bytes.windows(c.len()).any(|w| w == c.as_bytes()),
                "{c} in plain text in {}",
                path.display()
            );
        }
    }
}
