//! The Airbyte protocol (`source-<provider> spec|check|discover|read`): JSON messages on
//! stdout, one per line; diagnostics as `LOG` messages, failures as `TRACE` errors with their
//! failure type. The connector validates its config itself.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use connector_core::reexports::jiff::civil::DateTime;
use connector_core::{Error, ErrorKind, ProviderDescriptor, StepStatus};
use serde_json::{json, Value};

use super::stream::{self, CURSOR, KEY, STREAM};
use crate::runtime::block_on_value;

static OUT: OnceLock<Mutex<std::io::BufWriter<std::io::Stdout>>> = OnceLock::new();

/// A `RECORD` message, serialized straight from the user (no intermediate JSON value).
#[derive(serde::Serialize)]
struct Record<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    record: RecordBody<'a>,
}

#[derive(serde::Serialize)]
struct RecordBody<'a> {
    stream: &'static str,
    data: &'a connector_core::User,
    emitted_at: i64,
}

/// Writes one message line (stdout, shared with the log layer).
fn emit(message: &impl serde::Serialize) -> std::io::Result<()> {
    let out = OUT.get_or_init(|| Mutex::new(std::io::BufWriter::new(std::io::stdout())));
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    serde_json::to_writer(&mut *out, message)?;
    out.write_all(b"\n")
}

fn flush() {
    if let Some(out) = OUT.get() {
        let _ = out.lock().unwrap_or_else(|e| e.into_inner()).flush();
    }
}

/// A `LOG` message.
fn log(level: &str, message: &str) {
    let _ = emit(&json!({"type": "LOG", "log": {"level": level, "message": message}}));
}

/// A `TRACE` error: what failed, for people and for the platform's retry decisions.
fn trace_error(message: &str, internal: &str, failure_type: &str) {
    let _ = emit(&json!({
        "type": "TRACE",
        "trace": {
            "type": "ERROR",
            "emitted_at": super::now_ms() as f64,
            "error": {
                "message": message,
                "internal_message": internal,
                "failure_type": failure_type,
            }
        }
    }));
}

/// Airbyte's failure type for an error kind: the user's to fix, worth retrying, or ours.
pub fn failure_type(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSettings(_)
        | ErrorKind::Authentication
        | ErrorKind::Permission { .. } => "config_error",
        ErrorKind::Network(_) | ErrorKind::RateLimited { .. } | ErrorKind::Remote { .. } => {
            "transient_error"
        }
        _ => "system_error",
    }
}

/// An error as one line for people: message and hint.
fn sentence(e: &Error) -> String {
    let fields: Vec<String> = e
        .field_errors()
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    let mut text = if fields.is_empty() {
        e.full_message()
    } else {
        format!("invalid config: {}", fields.join("; "))
    };
    if let Some(hint) = e.hint() {
        text.push_str(&format!(" (hint: {hint})"));
    }
    text
}

const USAGE: &str = "usage: spec | check --config FILE | discover --config FILE | read --config FILE --catalog FILE [--state FILE]";

/// Runs `args`; the exit status.
pub fn run(d: &'static ProviderDescriptor, args: &[String]) -> u8 {
    logs_as_messages();
    let command = args.first().map(String::as_str).unwrap_or("");
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
    };
    let code = match command {
        "spec" => spec(d),
        "check" | "discover" | "read" => {
            let Some(config_path) = flag("--config") else {
                return usage(&format!("{command} needs --config FILE"));
            };
            let config = match stream::read_json("--config", &config_path) {
                Ok(c) => c,
                Err(e) => {
                    trace_error(&e, &e, "config_error");
                    flush();
                    return 1;
                }
            };
            match command {
                "check" => check(d, config),
                "discover" => discover(d, config),
                _ => read(d, config, flag("--catalog"), flag("--state")),
            }
        }
        _ => return usage(&format!("unknown command `{command}`")),
    };
    flush();
    code
}

fn usage(problem: &str) -> u8 {
    eprintln!("error: {problem}\n{USAGE}");
    crate::exit::USAGE
}

fn spec(d: &ProviderDescriptor) -> u8 {
    let _ = emit(&json!({
        "type": "SPEC",
        "spec": {
            "documentationUrl": d.docs_url(),
            "connectionSpecification": specification(&d.settings_schema()),
            "supportsIncremental": true,
            "supported_destination_sync_modes": ["overwrite", "append", "append_dedup"],
        }
    }));
    0
}

fn check(d: &'static ProviderDescriptor, config: Value) -> u8 {
    let context = match crate::config::endpoint_context(d) {
        Ok(context) => context,
        Err(e) => {
            trace_error(&sentence(&e), e.kind().name(), failure_type(e.kind()));
            return 1;
        }
    };
    let Some(report) = block_on_value(connector_core::test_connection_with(d, config, &context))
    else {
        return 1;
    };
    let status = match report.first_failure() {
        None => json!({
            "status": "SUCCEEDED",
            "message": format!("all {} steps of the {} connection test passed", report.steps.len(), d.name()),
        }),
        Some(step) => {
            let mut message = format!("step `{}` failed: {}", step.title, step.message);
            if let Some(hint) = &step.hint {
                message.push_str(&format!(" (hint: {hint})"));
            }
            let kind = step.error.clone().unwrap_or(ErrorKind::Protocol);
            trace_error(&message, step.id, failure_type(&kind));
            json!({"status": "FAILED", "message": message})
        }
    };
    let skipped = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Skipped)
        .count();
    if skipped > 0 {
        log(
            "INFO",
            &format!("{skipped} step(s) skipped after the failure"),
        );
    }
    let _ = emit(&json!({"type": "CONNECTION_STATUS", "connectionStatus": status}));
    0
}

/// Validates the config (the platform does not), reporting a failure as a `TRACE`.
fn validated(d: &ProviderDescriptor, config: &Value) -> bool {
    let connected =
        crate::config::endpoint_context(d).and_then(|c| d.connect_with(config.clone(), &c));
    match connected {
        Ok(_) => true,
        Err(e) => {
            trace_error(&sentence(&e), e.kind().name(), failure_type(e.kind()));
            false
        }
    }
}

fn discover(d: &ProviderDescriptor, config: Value) -> u8 {
    if !validated(d, &config) {
        return 1;
    }
    let _ = emit(&json!({
        "type": "CATALOG",
        "catalog": {"streams": [{
            "name": STREAM,
            "json_schema": stream::schema(),
            "supported_sync_modes": ["full_refresh", "incremental"],
            "source_defined_cursor": true,
            "default_cursor_field": [CURSOR],
            "source_defined_primary_key": KEY.map(|k| vec![k]),
        }]}
    }));
    0
}

/// The `users` stream's cursor in the state the platform passed: per-stream messages (the
/// current form) or the legacy object.
fn cursor_in(state: &Value) -> Option<String> {
    let per_stream = state.as_array().into_iter().flatten().find_map(|m| {
        let s = m.get("stream")?;
        (s["stream_descriptor"]["name"] == STREAM).then(|| s["stream_state"][CURSOR].clone())
    });
    let legacy = || {
        state
            .get(STREAM)
            .or_else(|| state.get("data").and_then(|d| d.get(STREAM)))
            .map(|s| s[CURSOR].clone())
    };
    per_stream
        .or_else(legacy)
        .and_then(|v| v.as_str().map(str::to_owned))
}

fn read(
    d: &'static ProviderDescriptor,
    config: Value,
    catalog: Option<PathBuf>,
    state: Option<PathBuf>,
) -> u8 {
    if !validated(d, &config) {
        return 1;
    }
    let Some(catalog) = catalog else {
        return usage("read needs --catalog FILE (the configured catalog)");
    };
    let (incremental, since) = match read_mode(&catalog, state.as_deref()) {
        Ok(mode) => mode,
        Err(e) => {
            trace_error(&e, &e, "config_error");
            return 1;
        }
    };
    log(
        "INFO",
        &format!(
            "reading users from {} ({})",
            d.name(),
            match &since {
                Some(s) => format!("incremental, changed at or after {s}"),
                None if incremental => "incremental, first read: everyone".into(),
                None => "full refresh".into(),
            }
        ),
    );
    let result = block_on_value(stream::read(d, config, since, |user| {
        emit(&Record {
            kind: "RECORD",
            record: RecordBody {
                stream: STREAM,
                data: user,
                emitted_at: super::now_ms(),
            },
        })
    }));
    match result {
        Some(Ok(read)) => {
            if incremental {
                let _ = emit(&json!({
                    "type": "STATE",
                    "state": {
                        "type": "STREAM",
                        "stream": {
                            "stream_descriptor": {"name": STREAM},
                            "stream_state": {CURSOR: read.cursor},
                        },
                        "sourceStats": {"recordCount": read.emitted as f64},
                    }
                }));
            }
            log(
                "INFO",
                &format!(
                    "read {} users ({} unchanged since the cursor)",
                    read.emitted, read.unchanged
                ),
            );
            0
        }
        Some(Err(e)) => {
            trace_error(&sentence(&e), e.kind().name(), failure_type(e.kind()));
            1
        }
        None => 1,
    }
}

/// What the configured catalog and the state ask of `read`: incremental or not, and the
/// cursor to read from (the state counts only for an incremental read).
fn read_mode(
    catalog: &std::path::Path,
    state: Option<&std::path::Path>,
) -> Result<(bool, Option<DateTime>), String> {
    let catalog = stream::read_json("--catalog", catalog)?;
    let configured =
        stream::catalog_entry("--catalog", &catalog, |s| s["stream"]["name"].as_str())?;
    let incremental = match configured["sync_mode"].as_str() {
        Some("incremental") => true,
        Some("full_refresh") => false,
        other => {
            return Err(format!(
                "--catalog: the `{STREAM}` stream's sync_mode is {}; it supports full_refresh and incremental",
                other.map_or_else(|| "missing".to_owned(), |m| format!("`{}`", crate::sanitize::terminal(m)))
            ))
        }
    };
    let since = match (state, incremental) {
        (Some(path), true) => stream::read_json("--state", path)
            .and_then(|s| cursor_in(&s).map(|c| stream::parse_cursor(&c)).transpose())?,
        _ => None,
    };
    Ok((incremental, since))
}

/// Diagnostics (retries, warnings) as `LOG` messages on stdout, where the platform reads them.
fn logs_as_messages() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::registry()
        .with(LogMessages.with_filter(filter))
        .try_init();
}

struct LogMessages;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogMessages {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if !self.0.is_empty() {
                    self.0.push(' ');
                }
                if field.name() == "message" {
                    self.0.push_str(&format!("{value:?}"));
                } else {
                    self.0.push_str(&format!("{}={value:?}", field.name()));
                }
            }
        }
        let mut text = Text(String::new());
        event.record(&mut text);
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "ERROR",
            tracing::Level::WARN => "WARN",
            tracing::Level::INFO => "INFO",
            tracing::Level::DEBUG => "DEBUG",
            tracing::Level::TRACE => "TRACE",
        };
        log(level, &crate::sanitize::terminal(&text.0));
    }
}

use tracing_subscriber::Layer as _;

/// The settings schema as an Airbyte `connectionSpecification`: the draft-07 document with
/// Airbyte's keywords for what the SDK marks its own way (`x-secret` → `airbyte_secret: true`
/// at any depth, auth choices included; `x-order` → `order`, from 0).
fn specification(schema: &connector_core::settings::SettingsSchema) -> Value {
    fn mark(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("x-secret") == Some(&Value::Bool(true)) {
                    map.insert("airbyte_secret".into(), Value::Bool(true));
                }
                if let Some(order) = map.get("x-order").and_then(Value::as_i64) {
                    map.insert("order".into(), Value::from(order.saturating_sub(1)));
                }
                map.values_mut().for_each(mark);
            }
            Value::Array(items) => items.iter_mut().for_each(mark),
            _ => {}
        }
    }
    let mut doc = schema.to_draft(connector_core::settings::Draft::Draft07);
    mark(&mut doc);
    doc
}

#[cfg(test)]
mod spec_tests {
    use connector_core::settings::{Settings, SettingsSchema};
    use connector_core::Secret;

    #[allow(dead_code)]
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct S {
        host: String,
        api_key: Secret,
    }
    impl Settings for S {}

    #[test]
    fn secrets_are_airbyte_secrets_and_fields_are_ordered_from_0() {
        let spec = super::specification(&SettingsSchema::of::<S>());
        assert_eq!(spec["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(spec["properties"]["api_key"]["airbyte_secret"], true);
        assert_eq!(spec["properties"]["host"]["order"], 0);
        assert!(spec["properties"]["host"].get("airbyte_secret").is_none());
    }
}
