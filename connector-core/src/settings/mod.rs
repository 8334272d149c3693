//! Settings: one struct per provider is the single source of truth for its JSON Schema (for
//! settings forms and `connector <provider> schema`), for validation (every problem reported at
//! once, by field name) and for the typed values the provider uses.
//!
//! A provider's settings struct derives `Deserialize` and `JsonSchema`, uses
//! `#[serde(deny_unknown_fields)]`, has a doc comment on every field (it becomes the field's
//! `description`) and a `#[schemars(title = "...")]`. Required fields are those that are neither
//! `Option` nor `#[serde(default)]`. Credentials are [`Secret`](crate::Secret)s.
//!
//! ```
//! use connector_core::settings::{parse_settings, Settings, SettingsSchema};
//! use connector_core::Secret;
//! use serde::Deserialize;
//! use schemars::JsonSchema;
//!
//! /// Settings of an example service.
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! #[schemars(title = "Example")]
//! struct ExampleSettings {
//!     /// The account's user name.
//!     #[schemars(title = "User name")]
//!     username: String,
//!     /// The account's API token.
//!     #[schemars(title = "API token")]
//!     token: Secret,
//! }
//! impl Settings for ExampleSettings {}
//!
//! let schema = SettingsSchema::of::<ExampleSettings>();
//! assert_eq!(schema.document()["required"], serde_json::json!(["username", "token"]));
//!
//! let err = parse_settings::<ExampleSettings>("example", serde_json::json!({"colour": 1}))
//!     .err()
//!     .unwrap();
//! let fields: Vec<_> = err.field_errors().iter().map(|f| f.field.as_str()).collect();
//! assert_eq!(fields, ["username", "token", "colour"]);
//! ```

//! | file | concern |
//! |---|---|
//! | `schema.rs` | [`SettingsSchema`]: the generated document, its fields, the compiled validator |
//! | `dialect.rs` | draft 2020-12 or draft-07 ([`Draft`], [`to_draft`]) |
//! | `ui.rs` | UI hints for form renderers (react-jsonschema-form `uiSchema`) |
//! | `validate.rs` | every problem at once, environment overlay |
//! | `types.rs` | shared setting types: [`BaseUrl`], [`HttpSettings`] |

mod choice;
mod dialect;
mod forms;
mod schema;
mod types;
mod ui;
mod validate;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, FieldError, Result};

pub use dialect::{to_draft, Draft};
pub use forms::KEEP_SECRET;
pub use schema::{FieldInfo, SettingsSchema};
pub use types::{AnyPath, BaseUrl, HttpSettings, UrlRules};
pub use ui::ADVANCED_TITLE;

/// The `$schema` URI of JSON Schema draft 2020-12.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";
/// The `$schema` URI of JSON Schema draft-07.
pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// The pseudo field name used for problems with the settings document as a whole.
pub const WHOLE_DOCUMENT: &str = "(settings)";

/// A provider's settings type.
pub trait Settings: DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// Checks the schema cannot express (e.g. that a URL parses), run on the raw, trimmed JSON
    /// object in the same pass as schema validation so that every problem is reported together.
    /// A field that is absent or of the wrong type is already reported by the schema; checks
    /// here should skip it.
    fn check(_raw: &Map<String, Value>) -> Vec<FieldError> {
        Vec::new()
    }
}

/// The known name closest to `name` (case-insensitive, at most 3 edits away), for "did you
/// mean" hints.
///
/// ```
/// use connector_core::settings::closest;
/// assert_eq!(closest("UKGPRO_PASWORD", ["UKGPRO_PASSWORD", "UKGPRO_USERNAME"]), Some("UKGPRO_PASSWORD"));
/// assert_eq!(closest("UKGPRO_COLOUR", ["UKGPRO_PASSWORD"]), None);
/// ```
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .into_iter()
        .map(|k| (validate::edit_distance(&k.to_ascii_lowercase(), &lower), k))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Validates `raw` against the schema of `S`, runs [`Settings::check`], and deserializes.
/// Every problem is reported at once in an [`ErrorKind::InvalidSettings`](crate::ErrorKind).
pub fn parse_settings<S: Settings>(provider: &'static str, raw: Value) -> Result<S> {
    parse_with_schema(provider, &SettingsSchema::of::<S>(), raw)
}

/// [`parse_settings`] with an already built schema.
pub fn parse_with_schema<S: Settings>(
    provider: &'static str,
    schema: &SettingsSchema,
    raw: Value,
) -> Result<S> {
    // A message must never quote a secret field's value: a provider's own check or a type's
    // parse error may, so every message is scrubbed of the secret values given.
    let mut secrets = crate::redact::Redactor::new();
    for (_, value) in schema.secret_values(&raw) {
        secrets.add(&value);
    }
    let clean = |mut errors: Vec<FieldError>| {
        for e in &mut errors {
            e.message = secrets.redact(&e.message).into_owned();
        }
        errors
    };
    let (map, mut errors) = schema
        .check_document(raw)
        .map_err(|errors| Error::invalid_settings(provider, clean(errors)))?;
    // The provider's own checks run even when the schema found problems, so that everything
    // is reported in one go; they come first, being the more specific (one problem is shown
    // per field).
    let mut specific = S::check(&map);
    specific.append(&mut errors);
    let errors = specific;
    if !errors.is_empty() {
        return Err(Error::invalid_settings(
            provider,
            clean(schema.sorted(errors)),
        ));
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        Error::invalid_settings(
            provider,
            clean(vec![FieldError::new(WHOLE_DOCUMENT, e.to_string())]),
        )
    })
}

/// Sets `value` at a dotted settings `path` (`password`, `auth.token`) in `root`, creating
/// objects on the way (a non-object in the way is replaced): how secrets are put back into
/// settings, and how a program marks where they are.
///
/// ```
/// use connector_core::settings::set_path;
/// let mut settings = serde_json::json!({"auth": {"method": "bearer"}});
/// set_path(&mut settings, "auth.token", "set".into());
/// assert_eq!(settings, serde_json::json!({"auth": {"method": "bearer", "token": "set"}}));
/// ```
pub fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut at = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !at.is_object() {
            *at = Value::Object(serde_json::Map::new());
        }
        let Some(object) = at.as_object_mut() else {
            return;
        };
        if parts.peek().is_none() {
            object.insert(part.to_owned(), value);
            return;
        }
        at = object
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod forms_tests;
