//! Records the commit the CLI is built from, for `--version` (`unknown` outside a git
//! checkout, e.g. when built from a published crate).

use std::path::Path;
use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CONNECTOR_CLI_COMMIT={commit}");
    // Rebuilt when HEAD moves (a commit, a checkout); nothing to watch outside a checkout.
    let git = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.git");
    for watched in ["HEAD", "refs/heads", "packed-refs"] {
        let path = git.join(watched);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
