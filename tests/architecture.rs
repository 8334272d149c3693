//! The architecture's rules, checked on the source: no import loop between the top-level
//! modules of any crate (a module `a` that refers to `crate::b` depends on `b`; test code is
//! left out), and `connector-cli` links no provider crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: [&str; 10] = [
    "connector-core",
    "connector-store",
    "connector-app",
    "connector-console",
    "connector-ukgpro",
    "connector-scim",
    "connector-entra",
    "connector-google",
    "connector-cli",
    "connector",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, except test-only ones (`tests.rs`, `tests/`).
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "tests" {
                    folders.push(path);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" {
                found.push(path);
            }
        }
    }
    found
}

/// The code of a file without comments and without its inline test module.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules of `src` and, for each, the other top-level modules it refers to.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let module_of = |path: &Path| -> String {
        let rel = path.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        match first.strip_suffix(".rs") {
            Some("lib" | "main") => "(root)".to_owned(),
            Some(m) => m.to_owned(),
            None => first.into_owned(),
        }
    };
    let files = sources(src);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        let code = code_of(file);
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != from && modules.contains(&name) {
                edges.entry(from.clone()).or_default().insert(name);
            }
        }
        edges.entry(from).or_default();
    }
    edges
}

/// A loop through `start`, if any: the modules on it, in order.
fn loop_through(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in edges.get(&at).into_iter().flatten() {
            if next == start {
                let mut found = path.clone();
                found.push(start.to_owned());
                return Some(found);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_crate_has_an_import_loop_between_its_top_level_modules() {
    let mut loops = Vec::new();
    for krate in CRATES {
        let edges = graph(&root().join(krate).join("src"));
        assert!(
            edges.len() > 1 || krate == "connector",
            "{krate}: modules found"
        );
        for module in edges.keys() {
            if let Some(found) = loop_through(&edges, module) {
                loops.push(format!("{krate}: {}", found.join(" -> ")));
            }
        }
    }
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn the_checker_finds_a_loop() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), ["b".to_owned()].into()),
        ("b".to_owned(), ["c".to_owned()].into()),
        ("c".to_owned(), ["a".to_owned()].into()),
        ("d".to_owned(), ["a".to_owned()].into()),
    ]
    .into();
    assert_eq!(loop_through(&edges, "a").unwrap(), ["a", "b", "c", "a"]);
    assert!(loop_through(&edges, "d").is_none());
    // The crates' real graphs are read: core's http depends on nothing of auth's.
    let core = graph(&root().join("connector-core/src"));
    assert!(core["auth"].contains("http"));
    assert!(!core["http"].contains("auth"));
}

/// `connector-cli` is the command line as a library: it names no provider crate in its
/// normal dependencies (the `connector` binary lists them).
#[test]
fn the_cli_library_depends_on_no_provider() {
    let manifest = std::fs::read_to_string(root().join("connector-cli/Cargo.toml")).unwrap();
    let normal = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .expect("connector-cli has [dependencies]");
    for provider in ["connector-ukgpro", "connector-scim", "wiremock"] {
        assert!(
            !normal.contains(provider),
            "connector-cli depends on {provider}"
        );
    }
}
