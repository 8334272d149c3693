//! The one stream both protocols serve: `users`, the normalized user records, with their
//! JSON schema, primary key (company, id) and update cursor (`updated_at`).

use connector_core::reexports::jiff::civil::DateTime;
use connector_core::settings::{to_draft, Draft};
use connector_core::{Error, ProviderDescriptor, User};
use serde_json::Value;

/// The stream's name.
pub const STREAM: &str = "users";

/// The primary key, field by field.
pub const KEY: [&str; 2] = ["company_id", "id"];

/// The cursor field of incremental reads.
pub const CURSOR: &str = "updated_at";

/// The record schema, draft-07 with its definitions inlined (orchestrators map property
/// types to columns and do not all follow `$ref`s), and a choice of constants written as an
/// `enum` (draft-4 validators, still common in Singer targets, ignore `const`, so a `oneOf` of
/// them matches every branch and fails).
pub fn schema() -> Value {
    let mut doc = to_draft(&User::json_schema(), Draft::Draft07);
    let definitions = doc
        .as_object_mut()
        .and_then(|m| m.remove("definitions"))
        .unwrap_or(Value::Null);
    fn inline(v: &mut Value, definitions: &Value) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let target = r
                        .strip_prefix("#/definitions/")
                        .and_then(|name| definitions.get(name))
                        .cloned();
                    if let Some(Value::Object(def)) = target {
                        map.remove("$ref");
                        for (k, v) in def {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
                map.values_mut().for_each(|v| inline(v, definitions));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| inline(v, definitions)),
            _ => {}
        }
    }
    inline(&mut doc, &definitions);
    fn enums(v: &mut Value) {
        match v {
            Value::Object(map) => {
                let constants: Option<Vec<Value>> = map
                    .get("oneOf")
                    .and_then(Value::as_array)
                    .and_then(|branches| {
                        branches.iter().map(|b| b.get("const").cloned()).collect()
                    });
                if let Some(constants) = constants {
                    map.remove("oneOf");
                    map.insert("type".into(), Value::from("string"));
                    map.insert("enum".into(), Value::Array(constants));
                }
                map.values_mut().for_each(enums);
            }
            Value::Array(items) => items.iter_mut().for_each(enums),
            _ => {}
        }
    }
    enums(&mut doc);
    if let Some(map) = doc.as_object_mut() {
        map.remove("title");
    }
    doc
}

/// What a read found.
#[derive(Debug, Default)]
pub struct Read {
    /// Users emitted.
    pub emitted: u64,
    /// Users skipped as not changed since the cursor.
    pub unchanged: u64,
    /// The highest `updated_at` seen (the next cursor).
    pub cursor: Option<String>,
}

/// A saved cursor value as a time, or an error naming it (a state file edited by hand, or
/// written by something else).
pub fn parse_cursor(text: &str) -> Result<DateTime, String> {
    text.trim().parse::<DateTime>().map_err(|_| {
        format!("the saved {CURSOR} cursor `{text}` is not a date-time like 2026-01-06T12:00:00; fix or remove the state to read everyone")
    })
}

/// Reads every user of `raw` settings and passes to `emit` those changed at or after `since`
/// ([`connector_app::export::read_changed`]).
pub async fn read(
    descriptor: &ProviderDescriptor,
    raw: Value,
    since: Option<DateTime>,
    emit: impl FnMut(&User) -> std::io::Result<()>,
) -> Result<Read, Error> {
    // `<PROVIDER>_<NAME>_ENDPOINT_OVERRIDE` points the entry points at a mock as well.
    let context = crate::config::endpoint_context(descriptor)?;
    let connector = descriptor.connect_with(raw, &context)?;
    let read = connector_app::export::read_changed(&*connector, since, emit).await?;
    Ok(Read {
        emitted: read.emitted,
        unchanged: read.unchanged,
        cursor: read.cursor.map(|t| t.to_string()),
    })
}

/// The `users` entry of a catalog an orchestrator handed over, found by `name` (each
/// protocol names its streams its own way). A file that is not a catalog (no `streams`
/// list), a catalog with no stream, or one naming a stream this source does not have is an
/// error: reading nothing and succeeding would look like an empty tenant.
pub fn catalog_entry<'c>(
    flag: &str,
    catalog: &'c Value,
    name: impl Fn(&Value) -> Option<&str>,
) -> Result<&'c Value, String> {
    let Some(streams) = catalog.get("streams").and_then(Value::as_array) else {
        return Err(format!(
            "{flag}: not a catalog (it has no `streams` list); pass the catalog from discover"
        ));
    };
    if streams.is_empty() {
        return Err(format!(
            "{flag}: the catalog names no stream; select the `{STREAM}` stream"
        ));
    }
    let mut found = None;
    for entry in streams {
        match name(entry) {
            Some(STREAM) => found = Some(entry),
            Some(other) => {
                return Err(format!(
                    "{flag}: the catalog names the stream `{}`, which this source does not have (its one stream is `{STREAM}`)",
                    crate::sanitize::terminal(other)
                ))
            }
            None => {
                return Err(format!(
                    "{flag}: a stream in the catalog has no name; pass the catalog from discover"
                ))
            }
        }
    }
    found.ok_or_else(|| format!("{flag}: the catalog does not name the `{STREAM}` stream"))
}

/// The most a catalog or state file handed over by an orchestrator may hold.
pub const MAX_PROTOCOL_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The most a config file may hold (as on the CLI's `--config`).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Reads a JSON file an orchestrator handed over, naming the flag in errors.
/// Only a regular file is read (a FIFO would hang, a device never end), and at most
/// [`MAX_CONFIG_BYTES`] of a `--config`, [`MAX_PROTOCOL_FILE_BYTES`] of anything else.
pub fn read_json(flag: &str, path: &std::path::Path) -> Result<Value, String> {
    let cap = match flag {
        "--config" => MAX_CONFIG_BYTES,
        _ => MAX_PROTOCOL_FILE_BYTES,
    };
    let bytes = connector_core::files::read_regular(path, cap).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            format!("{flag}: {e}")
        }
        _ => format!("{flag} {}: {e}", path.display()),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{flag} {}: not JSON ({e})", path.display()))
}
