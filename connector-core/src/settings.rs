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

use std::fmt;

use jsonschema::error::{ValidationError, ValidationErrorKind};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, FieldError, Result};

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

/// Which JSON Schema dialect to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Draft {
    /// Draft 2020-12, the SDK's native dialect.
    #[default]
    Draft2020_12,
    /// Draft-07, for form renderers whose default validator is a draft-07 Ajv
    /// (react-jsonschema-form, JSON Forms).
    Draft07,
}

impl Draft {
    /// Parses `2020-12` / `07` (also `draft-07`, `draft2020-12`, ...).
    pub fn parse(text: &str) -> Option<Draft> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.trim_start_matches("draft").trim_start_matches(['-', '_']);
        match t {
            "2020-12" | "202012" | "2020_12" => Some(Draft::Draft2020_12),
            "07" | "7" => Some(Draft::Draft07),
            _ => None,
        }
    }
}

/// What the schema says about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// The field name (the JSON key).
    pub name: String,
    /// Short label for forms.
    pub title: Option<String>,
    /// Longer help text.
    pub description: Option<String>,
    /// Whether the field must be given.
    pub required: bool,
    /// Whether the field is a credential (`x-secret`).
    pub secret: bool,
    /// The JSON type (`string`, `integer`, ...), when the schema names one.
    pub json_type: Option<String>,
}

/// The JSON Schema of a settings type, with a compiled validator for that same schema.
pub struct SettingsSchema {
    document: Value,
    fields: Vec<FieldInfo>,
    validator: jsonschema::Validator,
}

impl fmt::Debug for SettingsSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsSchema")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl SettingsSchema {
    /// Builds the schema of `S`.
    ///
    /// # Panics
    ///
    /// When the generated schema does not compile as draft 2020-12: a bug in the settings type
    /// that the provider's own tests (and the testkit) catch, never something a user controls.
    pub fn of<S: Settings>() -> SettingsSchema {
        let generator = SchemaSettings::draft2020_12().into_generator();
        let mut document = generator.into_root_schema_for::<S>().to_value();
        normalise(&mut document);
        let fields = field_infos(&document);
        let validator = jsonschema::draft202012::new(&document)
            .unwrap_or_else(|e| panic!("settings schema of {} is invalid: {e}", S::schema_name()));
        SettingsSchema {
            document,
            fields,
            validator,
        }
    }

    /// The draft 2020-12 document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The document in the requested dialect.
    pub fn to_draft(&self, draft: Draft) -> Value {
        to_draft(&self.document, draft)
    }

    /// The UI hints form renderers need beyond the schema, in react-jsonschema-form's
    /// `uiSchema` shape (JSON Forms and others read the same information from it): field order
    /// (`ui:order`), a password widget for every secret (`ui:widget`, `ui:autocomplete`), help
    /// text (`ui:help`, the description), a placeholder (`ui:placeholder`, the first example).
    pub fn ui_schema(&self) -> Value {
        let mut ui = Map::new();
        let mut order: Vec<Value> = self
            .fields
            .iter()
            .map(|f| Value::String(f.name.clone()))
            .collect();
        order.push(Value::String("*".into()));
        ui.insert("ui:order".into(), Value::Array(order));
        for field in &self.fields {
            let mut hints = Map::new();
            if let Some(help) = &field.description {
                hints.insert("ui:help".into(), Value::String(help.clone()));
            }
            if field.secret {
                hints.insert("ui:widget".into(), Value::String("password".into()));
                hints.insert(
                    "ui:autocomplete".into(),
                    Value::String("new-password".into()),
                );
            } else if let Some(example) = self.document["properties"][&field.name]["examples"]
                .as_array()
                .and_then(|e| e.first())
                .and_then(Value::as_str)
            {
                hints.insert("ui:placeholder".into(), Value::String(example.to_owned()));
            }
            ui.insert(field.name.clone(), Value::Object(hints));
        }
        Value::Object(ui)
    }

    /// The fields, in display order.
    pub fn fields(&self) -> &[FieldInfo] {
        &self.fields
    }

    /// One field by name.
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Validates raw settings against the schema and returns the cleaned object (strings
    /// trimmed; optional fields that are `null` or blank removed) or **every** problem found.
    ///
    /// Messages never quote a value.
    pub fn validate(&self, raw: Value) -> std::result::Result<Map<String, Value>, Vec<FieldError>> {
        let (map, errors) = self.check_document(raw)?;
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    /// The cleaned object and the schema problems found in it, or the one problem that the
    /// document is not an object at all.
    fn check_document(&self, raw: Value) -> std::result::Result<Checked, Vec<FieldError>> {
        let mut map = match raw {
            Value::Object(map) => map,
            other => {
                return Err(vec![FieldError::new(
                    WHOLE_DOCUMENT,
                    format!(
                        "must be a JSON object of field names to values, got {}",
                        json_type_name(&other)
                    ),
                )])
            }
        };
        let mut errors = Vec::new();
        self.clean(&mut map, &mut errors);
        let value = Value::Object(map);
        for error in self.validator.iter_errors(&value) {
            errors.extend(self.describe(&error));
        }
        let Value::Object(map) = value else {
            unreachable!("constructed as an object above")
        };
        Ok((map, self.sorted(errors)))
    }

    /// Trims strings; drops optional fields that are `null` or blank; reports blank or `null`
    /// required fields (the schema check would otherwise report them less clearly).
    fn clean(&self, map: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
        for value in map.values_mut() {
            if let Value::String(s) = value {
                let trimmed = s.trim();
                if trimmed.len() != s.len() {
                    *s = trimmed.to_owned();
                }
            }
        }
        map.retain(|name, value| {
            let blank = match value {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                _ => false,
            };
            if !blank {
                return true;
            }
            match self.field(name) {
                Some(field) if field.required => {
                    errors.push(FieldError::new(
                        name.clone(),
                        format!(
                            "is required but {}",
                            if value.is_null() {
                                "is null"
                            } else {
                                "is empty"
                            }
                        ),
                    ));
                    false
                }
                Some(_) => false,
                // Unknown fields stay so that the schema reports them.
                None => true,
            }
        });
    }

    fn describe(&self, error: &ValidationError<'_>) -> Vec<FieldError> {
        let field = error
            .instance_path()
            .segments()
            .next()
            .map(|s| s.to_string())
            .unwrap_or_else(|| WHOLE_DOCUMENT.to_owned());
        let message = match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default().to_owned();
                let what = self
                    .field(&name)
                    .and_then(|f| f.title.clone())
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default();
                return vec![FieldError::new(name, format!("is required{what}"))];
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                return unexpected
                    .iter()
                    .map(|name| FieldError::new(name.clone(), self.unknown_field_message(name)))
                    .collect();
            }
            ValidationErrorKind::Type { .. } => {
                let expected = self
                    .field(&field)
                    .and_then(|f| f.json_type.clone())
                    .unwrap_or_else(|| "value of another type".into());
                format!("must be {} {expected}", article(&expected))
            }
            ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".to_owned(),
            ValidationErrorKind::MinLength { limit } => {
                format!("must be at least {limit} characters long")
            }
            ValidationErrorKind::MaxLength { limit } => {
                format!("must be at most {limit} characters long")
            }
            ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
            ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}"),
            ValidationErrorKind::ExclusiveMinimum { limit } => format!("must be more than {limit}"),
            ValidationErrorKind::ExclusiveMaximum { limit } => format!("must be less than {limit}"),
            ValidationErrorKind::Enum { options } => format!("must be one of {options}"),
            ValidationErrorKind::Format { format } => format!("must be a valid {format}"),
            ValidationErrorKind::Pattern { .. } => "has an invalid format".to_owned(),
            other => format!("is invalid ({})", other.keyword()),
        };
        vec![FieldError::new(field, message)]
    }

    fn unknown_field_message(&self, name: &str) -> String {
        let closest = self
            .fields
            .iter()
            .map(|f| (edit_distance(&f.name, &name.to_ascii_lowercase()), &f.name))
            .min();
        match closest {
            Some((d, known)) if d <= 3 => {
                format!("is not a known field; did you mean `{known}`?")
            }
            _ => format!(
                "is not a known field; known fields: {}",
                self.fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Orders errors by field display order (unknown fields last) and drops exact repeats.
    fn sorted(&self, mut errors: Vec<FieldError>) -> Vec<FieldError> {
        let rank = |e: &FieldError| {
            self.fields
                .iter()
                .position(|f| f.name == e.field)
                .unwrap_or(usize::MAX)
        };
        errors.sort_by_key(|e| rank(e));
        errors.dedup();
        // One problem per field is enough: a blank required field is also "required".
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert(e.field.clone()));
        errors
    }

    /// Overlays environment variables `<PREFIX>_<FIELD>` (upper-case) on `raw`, the
    /// environment winning. Values of integer, number and boolean fields are parsed; one that
    /// does not parse is kept as a string so that validation names the field.
    pub fn apply_env(
        &self,
        prefix: &str,
        raw: &mut Map<String, Value>,
        lookup: impl Fn(&str) -> Option<String>,
    ) {
        for field in &self.fields {
            let var = env_var_name(prefix, &field.name);
            let Some(text) = lookup(&var) else { continue };
            let value = match field.json_type.as_deref() {
                Some("integer") => text
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(text)),
                Some("number") => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::String(text)),
                Some("boolean") => match text.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => Value::Bool(true),
                    "false" | "0" | "no" => Value::Bool(false),
                    _ => Value::String(text),
                },
                _ => Value::String(text),
            };
            raw.insert(field.name.clone(), value);
        }
    }
}

/// A cleaned settings object and the schema problems found in it.
type Checked = (Map<String, Value>, Vec<FieldError>);

/// The environment variable that sets `field` for `prefix` (`UKGPRO_PASSWORD`).
pub fn env_var_name(prefix: &str, field: &str) -> String {
    format!(
        "{}_{}",
        prefix.to_ascii_uppercase(),
        field.to_ascii_uppercase()
    )
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
    let (map, mut errors) = schema
        .check_document(raw)
        .map_err(|errors| Error::invalid_settings(provider, errors))?;
    // The provider's own checks run even when the schema found problems, so that everything
    // is reported in one go.
    errors.extend(S::check(&map));
    if !errors.is_empty() {
        return Err(Error::invalid_settings(provider, schema.sorted(errors)));
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        Error::invalid_settings(
            provider,
            vec![FieldError::new(WHOLE_DOCUMENT, e.to_string())],
        )
    })
}

/// Post-processes a generated schema into the SDK's settings-schema shape.
fn normalise(doc: &mut Value) {
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    // `$schema` first for readability, then the rest in generated order.
    let mut ordered = Map::new();
    ordered.insert("$schema".into(), Value::String(DRAFT_2020_12.into()));
    for (k, v) in std::mem::take(root) {
        if k != "$schema" {
            ordered.insert(k, v);
        }
    }
    *root = ordered;
    root.insert("type".into(), Value::String("object".into()));
    root.insert("additionalProperties".into(), Value::Bool(false));
    if !root.contains_key("required") {
        root.insert("required".into(), Value::Array(Vec::new()));
    }
    let required: Vec<String> = root["required"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(props)) = root.get_mut("properties") {
        for (index, (name, prop)) in props.iter_mut().enumerate() {
            if let Value::Object(p) = prop {
                if !required.contains(name) {
                    strip_null(p);
                }
                // schemars' Rust-width formats (`uint32`, `int64`, `double`, ...) are unknown to
                // form validators (Ajv warns or, in strict mode, fails); minimum/maximum
                // already carry the range.
                if p.get("format")
                    .and_then(Value::as_str)
                    .is_some_and(is_numeric_format)
                {
                    p.remove("format");
                }
                p.insert("x-order".into(), Value::from(index + 1));
            }
        }
    }
}

/// An optional field is simply left out; `null` is accepted by dropping it before validation,
/// so the schema need not (and for form renderers should not) say `type: [..., "null"]`.
fn strip_null(p: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = p.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            p.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(any)) = p.get("anyOf").cloned() {
        let rest: Vec<Value> = any
            .into_iter()
            .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if rest.len() == 1 {
            p.remove("anyOf");
            if let Value::Object(inner) = &rest[0] {
                for (k, v) in inner {
                    p.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        } else {
            p.insert("anyOf".into(), Value::Array(rest));
        }
    }
}

fn is_numeric_format(format: &str) -> bool {
    matches!(format, "float" | "double")
        || ["int", "uint"].iter().any(|p| {
            format
                .strip_prefix(p)
                .is_some_and(|bits| !bits.is_empty() && bits.chars().all(|c| c.is_ascii_digit()))
        })
}

fn field_infos(doc: &Value) -> Vec<FieldInfo> {
    let required: Vec<&str> = doc["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = doc["properties"].as_object() else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, p)| FieldInfo {
            name: name.clone(),
            title: p["title"].as_str().map(str::to_owned),
            description: p["description"].as_str().map(str::to_owned),
            required: required.contains(&name.as_str()),
            secret: p["x-secret"] == Value::Bool(true),
            json_type: p["type"].as_str().map(str::to_owned),
        })
        .collect()
}

/// Rewrites a draft 2020-12 document generated by the SDK in the requested dialect.
pub fn to_draft(doc: &Value, draft: Draft) -> Value {
    match draft {
        Draft::Draft2020_12 => doc.clone(),
        Draft::Draft07 => to_draft07(doc),
    }
}

/// Rewrites a 2020-12 settings schema as draft-07: `$schema`, `$defs` → `definitions`, and the
/// `$ref`s that point into it.
fn to_draft07(doc: &Value) -> Value {
    fn rewrite(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if let Some(defs) = map.remove("$defs") {
                    map.insert("definitions".into(), defs);
                }
                if let Some(Value::String(r)) = map.get_mut("$ref") {
                    if let Some(rest) = r.strip_prefix("#/$defs/") {
                        *r = format!("#/definitions/{rest}");
                    }
                }
                map.values_mut().for_each(rewrite);
            }
            Value::Array(items) => items.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    let mut out = doc.clone();
    rewrite(&mut out);
    out["$schema"] = Value::String(DRAFT_07.into());
    out
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Levenshtein distance, for "did you mean" suggestions on short field names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::json;

    /// Test settings.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[schemars(title = "Test service")]
    #[allow(dead_code)]
    struct TestSettings {
        /// Host of the service.
        #[schemars(title = "Host", example = &"api.example.com")]
        host: String,
        /// Password.
        #[schemars(title = "Password")]
        password: Secret,
        /// Optional key.
        #[schemars(title = "Key")]
        key: Option<Secret>,
        /// Page size.
        #[schemars(title = "Page size", range(min = 1, max = 100))]
        #[serde(default = "default_page")]
        page_size: u32,
    }
    fn default_page() -> u32 {
        10
    }
    impl Settings for TestSettings {
        fn check(raw: &Map<String, Value>) -> Vec<FieldError> {
            match raw.get("host").and_then(Value::as_str) {
                Some(h) if h.contains(' ') => {
                    vec![FieldError::new("host", "must not contain spaces")]
                }
                _ => vec![],
            }
        }
    }

    fn schema() -> SettingsSchema {
        SettingsSchema::of::<TestSettings>()
    }

    #[test]
    fn document_shape() {
        let s = schema();
        let d = s.document();
        assert_eq!(d["$schema"], DRAFT_2020_12);
        assert_eq!(d["title"], "Test service");
        assert_eq!(d["description"], "Test settings.");
        assert_eq!(d["type"], "object");
        assert_eq!(d["additionalProperties"], false);
        assert_eq!(d["required"], json!(["host", "password"]));
        assert_eq!(d["properties"]["host"]["x-order"], 1);
        assert_eq!(d["properties"]["page_size"]["x-order"], 4);
        assert_eq!(
            d["properties"]["host"]["examples"],
            json!(["api.example.com"])
        );
        // Optional secret: no null type, still secret.
        assert_eq!(d["properties"]["key"]["type"], "string");
        assert_eq!(d["properties"]["key"]["writeOnly"], true);
        assert_eq!(d["properties"]["page_size"]["default"], 10);
        assert!(
            d["properties"]["page_size"].get("format").is_none(),
            "no uint32 format"
        );
        assert_eq!(d["properties"]["page_size"]["minimum"], 1);
        let secrets: Vec<_> = s
            .fields()
            .iter()
            .filter(|f| f.secret)
            .map(|f| &f.name)
            .collect();
        assert_eq!(secrets, ["password", "key"]);
    }

    #[test]
    fn ui_schema_hints() {
        let ui = schema().ui_schema();
        assert_eq!(
            ui["ui:order"],
            json!(["host", "password", "key", "page_size", "*"])
        );
        assert_eq!(ui["password"]["ui:widget"], "password");
        assert_eq!(ui["key"]["ui:widget"], "password");
        assert_eq!(ui["host"]["ui:placeholder"], "api.example.com");
        assert_eq!(ui["host"]["ui:help"], "Host of the service.");
        assert!(ui["page_size"].get("ui:widget").is_none());
    }

    #[test]
    fn draft07_form() {
        let d = schema().to_draft(Draft::Draft07);
        assert_eq!(d["$schema"], DRAFT_07);
        assert!(!d.to_string().contains("$defs"));
        jsonschema::draft7::meta::validate(&d).expect("valid draft-07");
        assert_eq!(Draft::parse("07"), Some(Draft::Draft07));
        assert_eq!(Draft::parse("draft-2020-12"), Some(Draft::Draft2020_12));
        assert_eq!(Draft::parse("04"), None);
    }

    #[test]
    fn all_problems_at_once_without_values() {
        let raw = json!({"host": "a b", "page_size": 1000, "colour": "crimson-77", "pasword": "p4ss-Canary"});
        let err = parse_settings::<TestSettings>("test", raw).unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            ["host", "password", "page_size", "colour", "pasword"],
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("did you mean `password`"), "{text}");
        assert!(text.contains("must be at most 100"), "{text}");
        assert!(!text.contains("p4ss-Canary"), "{text}");
        assert!(!text.contains("crimson-77"), "{text}");
    }

    #[test]
    fn provider_checks_run_alongside_schema_checks() {
        let err = parse_settings::<TestSettings>("test", json!({"host": "a b", "password": "x"}))
            .unwrap_err();
        assert_eq!(
            err.field_errors(),
            [FieldError::new("host", "must not contain spaces")]
        );
        let err = parse_settings::<TestSettings>("test", json!({"host": "a b"})).unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["host", "password"]);
    }

    #[test]
    fn blank_and_null_handling() {
        let err = parse_settings::<TestSettings>(
            "test",
            json!({"host": "   ", "password": null, "key": ""}),
        )
        .unwrap_err();
        assert_eq!(
            err.field_errors(),
            [
                FieldError::new("host", "is required but is empty"),
                FieldError::new("password", "is required but is null"),
            ]
        );
        let ok: TestSettings = parse_settings(
            "test",
            json!({"host": " h \n", "password": " pw ", "key": null}),
        )
        .unwrap();
        assert_eq!(ok.host, "h");
        assert_eq!(ok.password.expose(), "pw");
        assert!(ok.key.is_none());
        assert_eq!(ok.page_size, 10);
    }

    #[test]
    fn wrong_types_and_documents() {
        let err = parse_settings::<TestSettings>("test", json!({"host": 5, "password": 123456}))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("host: must be a string"), "{text}");
        assert!(text.contains("password: must be a string"), "{text}");
        assert!(!text.contains("123456"), "{text}");
        let err = parse_settings::<TestSettings>("test", json!([1, 2])).unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"), "{err}");
    }

    #[test]
    fn environment_overlay() {
        let s = schema();
        let mut raw = Map::new();
        raw.insert("host".into(), json!("from-file"));
        s.apply_env("test", &mut raw, |var| match var {
            "TEST_HOST" => Some("from-env".into()),
            "TEST_PAGE_SIZE" => Some("25".into()),
            _ => None,
        });
        assert_eq!(raw["host"], "from-env");
        assert_eq!(raw["page_size"], 25);
        let mut raw = Map::new();
        s.apply_env("test", &mut raw, |var| {
            (var == "TEST_PAGE_SIZE").then(|| "many".into())
        });
        let err = s.validate(Value::Object(raw)).unwrap_err();
        assert!(
            err.contains(&FieldError::new("page_size", "must be an integer")),
            "{err:?}"
        );
    }

    #[test]
    fn edit_distance_works() {
        assert_eq!(edit_distance("password", "pasword"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
