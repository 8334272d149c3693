//! [`SettingsSchema`]: the JSON Schema generated from a settings struct, post-processed into
//! the SDK's shape (order, required, secrets), with the list of its fields and a compiled
//! validator.

use std::fmt;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use super::{to_draft, Draft, Settings, DRAFT_2020_12};

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
    /// Whether the field is, or holds somewhere inside it (an auth choice, say), a credential.
    pub holds_secret: bool,
    /// Whether the field is a tuning setting a form shows collapsed under "Advanced settings"
    /// (`x-group: "advanced"`).
    pub advanced: bool,
    /// The JSON type (`string`, `integer`, ...), when the schema names one.
    pub json_type: Option<String>,
}

/// The JSON Schema of a settings type, with a compiled validator for that same schema.
pub struct SettingsSchema {
    pub(super) document: Value,
    pub(super) fields: Vec<FieldInfo>,
    pub(super) validator: jsonschema::Validator,
    /// [`BaseUrl`](super::BaseUrl) fields and the rules their values must pass.
    pub(super) url_fields: Vec<(String, Value)>,
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
        super::forms::shape(&mut document);
        let fields = field_infos(&document);
        let url_fields = take_url_rules(&mut document);
        let validator = jsonschema::draft202012::new(&document)
            .unwrap_or_else(|e| panic!("settings schema of {} is invalid: {e}", S::schema_name()));
        SettingsSchema {
            document,
            fields,
            validator,
            url_fields,
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

    /// The schema of an *edit* form for a saved connection: the same fields, but secrets
    /// (at any depth) are not required and say that a blank one keeps the saved value
    /// ([`KEEP_SECRET`](super::KEEP_SECRET)). Secrets are never sent back to a form, so an
    /// edit form starts them empty.
    pub fn edit_document(&self, draft: Draft) -> Value {
        to_draft(&super::forms::edit_variant(&self.document), draft)
    }

    /// The fields, in display order.
    pub fn fields(&self) -> &[FieldInfo] {
        &self.fields
    }

    /// One field by name.
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields that say where requests go ([`BaseUrl`](super::BaseUrl) fields, such as
    /// `base_url`): an edit that points one at another origin must not keep the saved secrets.
    pub fn url_fields(&self) -> Vec<&str> {
        self.url_fields
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }
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
            holds_secret: holds_secret(p, doc, 0),
            advanced: p["x-group"] == "advanced",
            json_type: json_type_of(p, doc),
        })
        .collect()
}

/// The JSON type a field takes: its own `type`, or, for a choice (`oneOf`, through a `$ref`),
/// the type every branch shares (`object` for an auth choice).
fn json_type_of(schema: &Value, root: &Value) -> Option<String> {
    let schema = resolve(schema, root);
    if let Some(t) = schema["type"].as_str() {
        return Some(t.to_owned());
    }
    let branches = schema["oneOf"].as_array()?;
    let first = resolve(branches.first()?, root)["type"].as_str()?;
    branches
        .iter()
        .all(|b| resolve(b, root)["type"].as_str() == Some(first))
        .then(|| first.to_owned())
}

/// `schema`, or what its `$ref` points to in `root`.
pub(super) fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

/// The subschemas a value may have to match (`oneOf`, `anyOf`, `allOf` branches) and the
/// schemas of its properties.
fn branches(schema: &Value) -> impl Iterator<Item = &Value> {
    ["oneOf", "anyOf", "allOf"]
        .into_iter()
        .filter_map(|k| schema[k].as_array())
        .flatten()
}

/// Whether `schema` is, or holds in a property or branch, an `x-secret`.
fn holds_secret(schema: &Value, root: &Value, depth: usize) -> bool {
    let schema = resolve(schema, root);
    if depth > 8 {
        return false;
    }
    schema["x-secret"] == Value::Bool(true)
        || branches(schema).any(|b| holds_secret(b, root, depth + 1))
        || schema["properties"]
            .as_object()
            .is_some_and(|p| p.values().any(|s| holds_secret(s, root, depth + 1)))
}

/// Collects `(path, value)` of every secret string in `raw` under `schema`.
fn collect_secrets(
    schema: &Value,
    root: &Value,
    raw: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<(String, String)>,
) {
    let schema = resolve(schema, root);
    if depth > 8 {
        return;
    }
    if schema["x-secret"] == Value::Bool(true) {
        if let Some(text) = raw.as_str() {
            if !out.iter().any(|(p, _)| p == path) {
                out.push((path.to_owned(), text.to_owned()));
            }
        }
        return;
    }
    for branch in branches(schema) {
        collect_secrets(branch, root, raw, path, depth + 1, out);
    }
    if let (Some(props), Some(object)) = (schema["properties"].as_object(), raw.as_object()) {
        for (name, sub) in props {
            if let Some(value) = object.get(name) {
                let inner = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                collect_secrets(sub, root, value, &inner, depth + 1, out);
            }
        }
    }
}

impl SettingsSchema {
    /// The names of the secret properties directly inside field `field` (in any of its
    /// branches): `token` and `password` for an auth choice.
    pub fn nested_secret_names(&self, field: &str) -> Vec<String> {
        let root = &self.document;
        let schema = resolve(&root["properties"][field], root);
        let mut names = Vec::new();
        let mut visit = |s: &Value| {
            let s = resolve(s, root);
            for (name, p) in s["properties"].as_object().into_iter().flatten() {
                if resolve(p, root)["x-secret"] == Value::Bool(true) && !names.contains(name) {
                    names.push(name.clone());
                }
            }
        };
        visit(schema);
        for branch in branches(schema) {
            visit(branch);
        }
        names
    }

    /// The discriminators of choice field `field` (`method` for an auth choice): the
    /// properties whose `const` tells its options apart. Empty for any other field.
    pub fn choice_discriminators(&self, field: &str) -> Vec<String> {
        super::forms::discriminators(&self.document["properties"][field], &self.document)
    }

    /// Every secret string in `raw` settings, with its path (`password`, `auth.token`), at
    /// any depth: for leak scans and warnings, never for display.
    pub fn secret_values(&self, raw: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        collect_secrets(&self.document, &self.document, raw, "", 0, &mut out);
        out
    }
}

/// Removes the [`BaseUrl`](super::BaseUrl) rules from the published document and returns them
/// by field.
fn take_url_rules(doc: &mut Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if let Some(Value::Object(props)) = doc.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            if let Some(rules) = prop
                .as_object_mut()
                .and_then(|p| p.remove(super::types::BASE_URL_KEYWORD))
            {
                found.push((name.clone(), rules));
            }
        }
    }
    found
}
