//! Docs as tests: every ```console block in README.md and docs/ is run and its output compared.
//!
//! In such a block a line starting with `$ ` is a command (`connector …`, optionally preceded by
//! `VAR=value` assignments; no quoting) and the lines after it, up to the next command, are what
//! it prints on stdout. `…` in an expected line stands for any text; a line that is only `…`
//! stands for any number of lines. Commands run the freshly built binary in an empty folder,
//! with no `<PROVIDER>_*` variables inherited and `NO_COLOR` set.

mod blocks;
mod recipes;

pub(crate) use blocks::{marked_block, marked_blocks, run_script};

use super::harness::*;
use std::path::{Path, PathBuf};

/// One command shown in the docs, with where it is and what it should print.
struct Example {
    place: String,
    env: Vec<(String, String)>,
    args: Vec<String>,
    expected: Vec<String>,
}

/// README.md and every page under docs/.
fn markdown_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("README.md")];
    let mut folders = vec![root.join("docs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn examples(file: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(file).unwrap();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let mut found: Vec<Example> = Vec::new();
    let mut in_console = false;
    for (number, line) in text.lines().enumerate() {
        if !in_console {
            in_console = line.trim_end() == "```console";
            continue;
        }
        if line.starts_with("```") {
            in_console = false;
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            let place = format!("{name}:{}", number + 1);
            assert!(
                !command.contains(['"', '\'', '|', '>', '<', '&', ';']),
                "{place}: console examples take no quoting, pipes or redirections: {command}"
            );
            let mut env = Vec::new();
            let mut words = command.split_whitespace().peekable();
            while let Some((key, value)) = words.peek().and_then(|w| w.split_once('=')) {
                env.push((key.to_owned(), value.to_owned()));
                words.next();
            }
            assert_eq!(
                words.next(),
                Some("connector"),
                "{place}: console examples run `connector`"
            );
            found.push(Example {
                place,
                env,
                args: words.map(str::to_owned).collect(),
                expected: Vec::new(),
            });
        } else if let Some(example) = found.last_mut() {
            example.expected.push(line.to_owned());
        } else {
            panic!(
                "{name}:{}: a console block starts with a `$ ` command",
                number + 1
            );
        }
    }
    found
}

/// Whether `actual` fits `pattern`, where `…` stands for any text.
fn line_matches(pattern: &str, actual: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('…').collect();
    if pieces.len() == 1 {
        return pattern == actual;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Whether `actual` lines fit `expected`, where a line `…` stands for any number of lines.
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "…" => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, more)| line_matches(first, line) && lines_match(rest, more)),
    }
}

#[test]
fn the_wildcards_match_what_they_should_and_nothing_else() {
    assert!(line_matches("a … c", "a b b c"));
    assert!(line_matches("a …", "a "));
    assert!(!line_matches("a … c", "a b d"));
    assert!(!line_matches("ab…ba", "aba"));
    let expected = vec!["x".to_owned(), "…".to_owned(), "z".to_owned()];
    assert!(lines_match(&expected, &["x", "z"]));
    assert!(lines_match(&expected, &["x", "1", "2", "z"]));
    assert!(!lines_match(&expected, &["x", "1", "y"]));
    assert!(!lines_match(&["x".to_owned()], &["x", "y"]));
}

#[tokio::test]
async fn every_console_example_in_the_docs_prints_what_it_shows() {
    let all: Vec<Example> = markdown_files().iter().flat_map(|f| examples(f)).collect();
    assert!(
        all.len() >= 2,
        "the README's console examples are found ({} found)",
        all.len()
    );
    let dir = temp_dir("docs-examples");
    let mut failures = Vec::new();
    for example in &all {
        let args: Vec<&str> = example.args.iter().map(String::as_str).collect();
        // `command` inherits no provider variables, proxies or `RUST_LOG`.
        let mut cmd = command(&args, &[]);
        cmd.envs(example.env.iter().map(|(k, v)| (k, v)))
            .env("NO_COLOR", "1")
            .current_dir(&dir);
        let o = cmd.output().await.unwrap();
        let out = stdout(&o);
        let actual: Vec<&str> = out.lines().map(str::trim_end).collect();
        let expected: Vec<String> = example
            .expected
            .iter()
            .map(|l| l.trim_end().to_owned())
            .collect();
        if !lines_match(&expected, &actual) {
            failures.push(format!(
                "{}: `connector {}` printed:\n{out}\nbut the docs show:\n{}\n",
                example.place,
                example.args.join(" "),
                expected.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The committed reference pages are what `connector <provider> docs` generates now: a change
/// to a provider's settings that is not regenerated fails here.
#[tokio::test]
async fn the_provider_reference_pages_are_up_to_date() {
    for provider in ["ukgpro", "scim"] {
        let o = connector(&[provider, "docs"], &[]).await;
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/providers")
            .join(format!("{provider}.md"));
        let committed = std::fs::read_to_string(&path).unwrap();
        assert!(
            committed == stdout(&o),
            "{} is stale: regenerate it with `connector {provider} docs > docs/providers/{provider}.md`",
            path.display()
        );
    }
}
