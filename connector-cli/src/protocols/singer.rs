//! Singer (`tap-<provider> --config FILE [--discover | --catalog FILE] [--state FILE]`,
//! `--about`): a catalog for `--discover`; otherwise SCHEMA, RECORD and STATE messages on
//! stdout, with a bookmark on `updated_at` for incremental runs; logs on stderr.

use std::io::Write;
use std::path::PathBuf;

use connector_core::ProviderDescriptor;
use serde_json::{json, Value};

use super::stream::{self, CURSOR, KEY, STREAM};
use crate::runtime::block_on_value;

const USAGE: &str = "usage: --config FILE [--discover | --catalog FILE (or --properties FILE) [--state FILE]] | --about [--format json]";

/// Runs `args`; the exit status.
pub fn run(d: &'static ProviderDescriptor, args: &[String]) -> u8 {
    crate::diagnostics::init(crate::diagnostics::Verbosity::Normal);
    let has = |name: &str| args.iter().any(|a| a == name);
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    if let Some(unknown) = args.iter().enumerate().find_map(|(i, a)| {
        let takes_value = i > 0
            && [
                "--config",
                "--catalog",
                "--properties",
                "--state",
                "--format",
            ]
            .contains(&args[i - 1].as_str());
        let known = [
            "--config",
            "--catalog",
            "--properties",
            "--state",
            "--discover",
            "--about",
            "--format",
        ];
        (!takes_value && !known.contains(&a.as_str())).then_some(a)
    }) {
        eprintln!("error: unknown argument `{unknown}`\n{USAGE}");
        return crate::exit::USAGE;
    }
    if has("--about") {
        return print(&about(d));
    }
    let Some(config_path) = flag("--config") else {
        eprintln!("error: --config FILE is required\n{USAGE}");
        return crate::exit::USAGE;
    };
    let config = match stream::read_json("--config", &config_path) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let connected =
        crate::config::endpoint_context(d).and_then(|c| d.connect_with(config.clone(), &c));
    if let Err(e) = connected {
        return crate::runtime::report_error(&e);
    }
    if has("--discover") {
        return print(&catalog());
    }
    let catalog = match flag("--catalog").or_else(|| flag("--properties")) {
        Some(path) => match stream::read_json("--catalog", &path) {
            Ok(c) => Some(c),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    let state = match flag("--state") {
        Some(path) => match stream::read_json("--state", &path) {
            Ok(s) => Some(s),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    sync(d, config, catalog.as_ref(), state.as_ref())
}

fn fail(message: &str) -> u8 {
    eprintln!("error: {message}");
    crate::exit::USAGE
}

fn print(value: &Value) -> u8 {
    crate::runtime::print_json(value)
}

/// `--about`: what the tap is and what it can do.
fn about(d: &ProviderDescriptor) -> Value {
    let schema = d.settings_schema();
    let settings: Vec<Value> = schema
        .fields()
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "label": f.title,
                "description": f.description,
                "kind": if f.secret { "password" } else { match f.json_type.as_deref() {
                    Some("integer") => "integer",
                    Some("boolean") => "boolean",
                    Some("object") => "object",
                    _ => "string",
                } },
                "required": f.required,
                "sensitive": f.holds_secret,
            })
        })
        .collect();
    json!({
        "name": format!("tap-{}", d.id()),
        "description": d.description(),
        "capabilities": ["catalog", "discover", "state", "about"],
        "settings": settings,
        "settings_json_schema": schema.to_draft(connector_core::settings::Draft::Draft07),
    })
}

/// `--discover`: the one stream, with its schema, key and replication metadata.
fn catalog() -> Value {
    let schema = stream::schema();
    let mut metadata = vec![json!({
        "breadcrumb": [],
        "metadata": {
            "inclusion": "available",
            "selected-by-default": true,
            "table-key-properties": KEY,
            "valid-replication-keys": [CURSOR],
            "forced-replication-method": "INCREMENTAL",
        }
    })];
    for name in schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        let inclusion = if KEY.contains(&name.as_str()) || name == CURSOR {
            "automatic"
        } else {
            "available"
        };
        metadata.push(json!({
            "breadcrumb": ["properties", name],
            "metadata": {"inclusion": inclusion, "selected-by-default": true},
        }));
    }
    json!({"streams": [{
        "tap_stream_id": STREAM,
        "stream": STREAM,
        "schema": schema,
        "key_properties": KEY,
        "replication_key": CURSOR,
        "replication_method": "INCREMENTAL",
        "metadata": metadata,
    }]})
}

/// Whether the catalog selects the `users` stream (no catalog: it is the only stream), and
/// whether incrementally; `Ok(None)` when it is deselected.
fn selected(catalog: Option<&Value>) -> Result<Option<bool>, String> {
    let Some(catalog) = catalog else {
        return Ok(Some(true));
    };
    let entry = stream::catalog_entry("--catalog", catalog, |s| {
        s["tap_stream_id"].as_str().or_else(|| s["stream"].as_str())
    })?;
    let top = entry["metadata"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["breadcrumb"].as_array().is_some_and(|b| b.is_empty()))
        .map(|m| &m["metadata"]);
    let full_table = match top.map(|m| &m["replication-method"]) {
        None | Some(Value::Null) => false,
        Some(m) if m == "FULL_TABLE" => true,
        Some(m) if m == "INCREMENTAL" => false,
        Some(other) => {
            return Err(format!(
                "--catalog: the `{STREAM}` stream's replication-method is {}; it supports INCREMENTAL and FULL_TABLE",
                crate::sanitize::terminal(&other.to_string())
            ))
        }
    };
    let chosen = match top.and_then(|m| m.get("selected")) {
        Some(Value::Bool(false)) => false,
        Some(_) => true,
        None => entry["selected"] != Value::Bool(false),
    };
    Ok(chosen.then_some(!full_table))
}

fn sync(
    d: &'static ProviderDescriptor,
    config: Value,
    catalog: Option<&Value>,
    state: Option<&Value>,
) -> u8 {
    let incremental = match selected(catalog) {
        Ok(Some(incremental)) => incremental,
        Ok(None) => {
            crate::diagnostics::note(
                "the `users` stream is not selected in the catalog: nothing to sync",
            );
            return 0;
        }
        Err(e) => return fail(&e),
    };
    let bookmark = match state
        .and_then(|s| s["bookmarks"][STREAM]["replication_key_value"].as_str())
        .filter(|_| incremental)
        .map(stream::parse_cursor)
        .transpose()
    {
        Ok(b) => b,
        Err(e) => return fail(&format!("--state: {e}")),
    };
    let out = std::io::stdout();
    let mut lines = Lines(std::io::BufWriter::new(out.lock()));
    if let Err(e) = lines.put(&json!({
        "type": "SCHEMA",
        "stream": STREAM,
        "schema": stream::schema(),
        "key_properties": KEY,
        "bookmark_properties": [CURSOR],
    })) {
        return fail(&format!("cannot write: {e}"));
    }
    let extracted = connector_core::reexports::jiff::Timestamp::now().to_string();
    let result = block_on_value(stream::read(d, config, bookmark, |user| {
        lines.put(&Record {
            kind: "RECORD",
            stream: STREAM,
            record: user,
            time_extracted: &extracted,
        })
    }));
    let read = match result {
        Some(Ok(read)) => read,
        Some(Err(e)) => return crate::runtime::report_error(&e),
        None => return crate::exit::OTHER,
    };
    let state = json!({
        "type": "STATE",
        "value": {"bookmarks": {STREAM: {
            "replication_key": CURSOR,
            "replication_key_value": read.cursor,
        }}},
    });
    if let Err(e) = lines.put(&state).and_then(|()| lines.0.flush()) {
        return fail(&format!("cannot write: {e}"));
    }
    eprintln!(
        "tap-{}: {} users{}",
        d.id(),
        read.emitted,
        match &bookmark {
            Some(b) => format!(" changed at or after {b} ({} unchanged)", read.unchanged),
            None => String::new(),
        }
    );
    0
}

/// A Singer `RECORD`, serialized straight from the user.
#[derive(serde::Serialize)]
struct Record<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    stream: &'static str,
    record: &'a connector_core::User,
    time_extracted: &'a str,
}

/// Messages as JSON lines on a buffered writer (generic, so serde writes straight into the
/// buffer).
struct Lines<W: Write>(W);

impl<W: Write> Lines<W> {
    fn put<T: serde::Serialize>(&mut self, message: &T) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.0, message)?;
        self.0.write_all(b"\n")
    }
}
