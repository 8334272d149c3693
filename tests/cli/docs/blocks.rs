//! Every code block of README.md and docs/ is run by a test or says why it is not.
//!
//! A block is accounted for when it is
//! - a ```console block (run by `every_console_example_in_the_docs_prints_what_it_shows`);
//! - a ```rust block of a file compiled as doctests, or ```rust,ignore under a
//!   `<!-- not compiled here: why -->` line;
//! - a block of any kind under a `<!-- tested by: TEST -->` line, where `TEST` is a test
//!   function that reads that very block with [`marked_blocks`] and runs it (a marker naming no
//!   test, or a test whose marker is gone, fails);
//! - a block under a `<!-- not run here: why -->` line;
//! - a plain or ```text block that shows no `$ ` command (a tree, a listing, an output).
//!
//! Shell blocks run as written by `bash` ([`run_script`]) in a folder of their own, with a home
//! of their own, and `connector`, the example provider `acmehr` and `~/.local/bin` on the PATH.
//! The only rewrite: `cargo run [--release] -p connector --` is the `connector` these tests
//! built, and `cargo run -p connector-cli --example acmehr --` the `acmehr` they built.

use std::path::{Path, PathBuf};

use super::markdown_files;
use crate::harness::*;

/// One fenced block: where it starts, its info string, the line above it and its text.
struct Block {
    file: String,
    line: usize,
    info: String,
    above: String,
    text: String,
}

fn blocks_of(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap();
    let name = file
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i;
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim_start().starts_with("```"))
            .unwrap_or_else(|| panic!("{name}:{}: a code block is never closed", start + 1));
        found.push(Block {
            file: name.clone(),
            line: start + 1,
            info: info.trim().to_owned(),
            above: if start > 0 {
                lines[start - 1].trim().to_owned()
            } else {
                String::new()
            },
            text: lines[start + 1..end]
                .iter()
                .map(|l| format!("{l}\n"))
                .collect(),
        });
        i = end + 1;
    }
    found
}

fn all_blocks() -> Vec<Block> {
    markdown_files().iter().flat_map(|f| blocks_of(f)).collect()
}

/// The test a block is marked as run by (`<!-- tested by: TEST -->` right above it).
fn tested_by(block: &Block) -> Option<&str> {
    block
        .above
        .strip_prefix("<!-- tested by:")
        .and_then(|rest| rest.strip_suffix("-->"))
        .map(str::trim)
}

/// The text of every block marked `<!-- tested by: TEST -->` in `file` (a path under the
/// repository, e.g. `README.md`, `docs/sync.md`), in order; panics when there is none, so a
/// test cannot lose its block unnoticed.
pub(crate) fn marked_blocks(file: &str, test: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
    let found: Vec<String> = blocks_of(&path)
        .into_iter()
        .filter(|b| tested_by(b) == Some(test))
        .map(|b| b.text)
        .collect();
    assert!(
        !found.is_empty(),
        "{file} has no block marked `<!-- tested by: {test} -->`"
    );
    found
}

/// The one block of `file` marked as tested by `test`.
pub(crate) fn marked_block(file: &str, test: &str) -> String {
    let mut found = marked_blocks(file, test);
    assert_eq!(found.len(), 1, "one block of {file} is marked for {test}");
    found.remove(0)
}

/// The folders these tests built their binaries in: `connector`'s and the examples'.
fn built_binaries() -> (PathBuf, PathBuf) {
    let bin = Path::new(env!("CARGO_BIN_EXE_connector"))
        .parent()
        .unwrap()
        .to_path_buf();
    let examples = bin.join("examples");
    (bin, examples)
}

/// `script` with the documented `cargo run` prefixes replaced by the binaries they build.
pub(crate) fn as_installed(script: &str) -> String {
    script
        .replace("cargo run --release -p connector -- ", "connector ")
        .replace("cargo run -p connector -- ", "connector ")
        .replace("cargo run -p connector-cli --example acmehr -- ", "acmehr ")
}

/// Runs `script` as written by `bash -eu` in `dir` with `HOME=home` (and the connector home in
/// it), the built binaries and `home/.local/bin` on the PATH, `extra` variables, and no
/// provider variable inherited. Waits for what the script left in the background (a recipe that
/// forgets to stop its sandbox times out here). Gives up after two minutes.
pub(crate) async fn run_script(
    script: &str,
    dir: &Path,
    home: &Path,
    extra: &[(&str, &str)],
) -> Output {
    let (bin, examples) = built_binaries();
    let path = format!(
        "{}:{}:{}:{}",
        bin.display(),
        examples.display(),
        home.join(".local/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::fs::create_dir_all(home).unwrap();
    let full = format!("set -eu\n{}\nwait\n", as_installed(script));
    let mut cmd = program(Path::new("bash"), &["-c", &full], extra);
    cmd.current_dir(dir)
        .env("PATH", path)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .kill_on_drop(true);
    tokio::time::timeout(std::time::Duration::from_secs(120), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("the script did not finish in 2 minutes:\n{script}"))
        .expect("run bash")
}

/// Why a line of a tested block is not run by its test: it runs the tests themselves.
const RUN_BY_THE_TEST_COMMAND: [&str; 2] = [
    "bash scripts/test",
    "cargo test -p connector-cli --test acmehr_conformance",
];

/// `script` without the lines that run this test suite (they are how it is run).
pub(crate) fn without_test_commands(script: &str) -> String {
    script
        .lines()
        .filter(|l| !RUN_BY_THE_TEST_COMMAND.iter().any(|c| l.starts_with(c)))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Every block is run, compiled, or marked with the reason it is not; every `tested by`
/// marker names a test that exists.
#[test]
fn every_code_block_is_run_or_says_why_not() {
    let compiled = ["README.md", "docs/connections.md"];
    let sources = test_sources();
    let mut problems = Vec::new();
    for block in all_blocks() {
        let place = format!("{}:{}", block.file, block.line);
        let kind = block.info.split(',').next().unwrap_or("").trim();
        if let Some(test) = tested_by(&block) {
            let defined = format!("fn {test}(");
            if !sources.iter().any(|s| s.contains(&defined)) {
                problems.push(format!(
                    "{place}: `tested by: {test}` names no test function"
                ));
            }
            continue;
        }
        let ok = match kind {
            "console" => true,
            "rust" => {
                if block.info.split(',').any(|t| t.trim() == "ignore") {
                    block.above.starts_with("<!-- not compiled here:")
                } else {
                    compiled.contains(&block.file.as_str())
                }
            }
            "" | "text" => {
                block.above.starts_with("<!-- not run here:")
                    || !block.text.lines().any(|l| l.starts_with("$ "))
            }
            _ => block.above.starts_with("<!-- not run here:"),
        };
        if !ok {
            problems.push(format!("{place}: a ```{} block nothing runs", block.info));
        }
    }
    assert!(
        problems.is_empty(),
        "mark each block `<!-- tested by: TEST -->` (and read it in TEST with marked_blocks) or \
         `<!-- not run here: why -->`:\n{}",
        problems.join("\n")
    );
}

/// The text of every test source file.
fn test_sources() -> Vec<String> {
    let mut found = Vec::new();
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    found
}

#[test]
fn the_check_finds_blocks_and_their_markers() {
    let readme = blocks_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"));
    assert!(readme.len() > 10, "{} blocks", readme.len());
    assert!(readme.iter().any(|b| b.info == "console"));
    assert!(readme.iter().any(|b| tested_by(b).is_some()));
    assert_eq!(
        as_installed("cargo run --release -p connector -- ukgpro users\n"),
        "connector ukgpro users\n"
    );
    assert_eq!(
        without_test_commands("a\nbash scripts/test   # all\nb\n"),
        "a\nb\n"
    );
}
