//! What makes a settings schema render right in form libraries (react-jsonschema-form, JSON
//! Forms) and say exactly what the connector accepts: plain single-paragraph descriptions, no
//! help text shown twice, every required string non-blank, choice discriminators that set
//! themselves; and the *edit* variant of a schema, in which a blank secret means "keep".

use serde_json::{Map, Value};

/// The rule that a string holds more than blanks, as a JSON Schema `pattern`.
pub(super) const NON_BLANK: &str = "\\S";

/// What a secret's description says in the edit variant.
pub const KEEP_SECRET: &str = "Leave blank to keep the saved value.";

/// Shapes a generated schema for forms (see the module docs).
pub(super) fn shape(doc: &mut Value) {
    plain_descriptions(doc);
    drop_shadowed_descriptions(doc);
    let mut schemas = Vec::new();
    object_schemas(doc, &mut schemas);
    for pointer in schemas {
        if let Some(schema) = doc.pointer_mut(&pointer) {
            non_blank_required_strings(schema);
            discriminator_defaults(schema);
        }
    }
}

/// Every description as one plain paragraph: doc comments' line breaks joined, Markdown
/// backticks dropped (renderers show descriptions as text).
fn plain_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get_mut("description") {
                *text = plain(text);
            }
            map.values_mut().for_each(plain_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(plain_descriptions),
        _ => {}
    }
}

/// `text` on one line, spaces collapsed, without backticks.
pub(super) fn plain(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('`', "")
}

/// A field that references a definition and has a description of its own shows that one: the
/// definition's (shown too by renderers that merge the reference) is dropped.
fn drop_shadowed_descriptions(doc: &mut Value) {
    let mut shadowed = Vec::new();
    if let Some(props) = doc["properties"].as_object() {
        for prop in props.values() {
            if let (Some(reference), true) =
                (prop["$ref"].as_str(), prop.get("description").is_some())
            {
                if let Some(pointer) = reference.strip_prefix('#') {
                    shadowed.push(pointer.to_owned());
                }
            }
        }
    }
    for pointer in shadowed {
        if let Some(Value::Object(def)) = doc.pointer_mut(&pointer) {
            def.remove("description");
        }
    }
}

/// JSON pointers of every object schema in `doc` with properties: the root, definitions, and
/// choice branches.
fn object_schemas(doc: &Value, out: &mut Vec<String>) {
    fn walk(value: &Value, pointer: String, out: &mut Vec<String>, depth: usize) {
        if depth > 8 {
            return;
        }
        let Value::Object(map) = value else { return };
        if map.contains_key("properties") {
            out.push(pointer.clone());
        }
        for key in ["$defs", "definitions", "properties"] {
            if let Some(Value::Object(children)) = map.get(key) {
                for (name, child) in children {
                    let name = name.replace('~', "~0").replace('/', "~1");
                    walk(child, format!("{pointer}/{key}/{name}"), out, depth + 1);
                }
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(Value::Array(branches)) = map.get(key) {
                for (i, branch) in branches.iter().enumerate() {
                    walk(branch, format!("{pointer}/{key}/{i}"), out, depth + 1);
                }
            }
        }
    }
    walk(doc, String::new(), out, 0);
}

fn required_of(schema: &Map<String, Value>) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A required free-text field must hold more than blanks, as the connector requires: the
/// rule is a `pattern` (or, beside a pattern of the field's own, an `allOf` one).
fn non_blank_required_strings(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    let required = required_of(map);
    let Some(Value::Object(props)) = map.get_mut("properties") else {
        return;
    };
    for name in required {
        let Some(Value::Object(p)) = props.get_mut(&name) else {
            continue;
        };
        let free_text = p.get("type").and_then(Value::as_str) == Some("string")
            && !p.contains_key("const")
            && !p.contains_key("enum");
        if !free_text {
            continue;
        }
        let rule = Value::String(NON_BLANK.into());
        match p.get("pattern") {
            None => {
                p.insert("pattern".into(), rule);
            }
            Some(own) if *own == rule => {}
            Some(_) => {
                let all = p.entry("allOf").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(all) = all {
                    all.push(serde_json::json!({"pattern": NON_BLANK}));
                }
            }
        }
    }
}

/// A choice's discriminator (`"method": {"const": "basic"}`) also gets that value as its
/// `default`, so a renderer sets it when the option is chosen (and hides it: see the UI
/// schema).
fn discriminator_defaults(schema: &mut Value) {
    let Some(Value::Object(props)) = schema.get_mut("properties") else {
        return;
    };
    for p in props.values_mut() {
        if let Value::Object(p) = p {
            if let Some(value) = p.get("const").cloned() {
                p.entry("default").or_insert(value);
            }
        }
    }
}

/// The names of the discriminator properties (a `const`) of the branches of `schema`.
pub(super) fn discriminators(schema: &Value, root: &Value) -> Vec<String> {
    let schema = super::schema::resolve(schema, root);
    let mut names: Vec<String> = Vec::new();
    for branch in schema["oneOf"].as_array().into_iter().flatten() {
        let branch = super::schema::resolve(branch, root);
        for (name, p) in branch["properties"].as_object().into_iter().flatten() {
            if p.get("const").is_some() && !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// The edit variant of `doc`: secrets (at any depth) are no longer required, and each says
/// that a blank one keeps the saved value.
pub(super) fn edit_variant(doc: &Value) -> Value {
    let mut out = doc.clone();
    let mut schemas = Vec::new();
    object_schemas(&out, &mut schemas);
    for pointer in schemas {
        let Some(Value::Object(schema)) = out.pointer_mut(&pointer) else {
            continue;
        };
        let mut secrets = Vec::new();
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            for (name, p) in props.iter_mut() {
                if p["x-secret"] == Value::Bool(true) {
                    secrets.push(name.clone());
                    if let Value::Object(p) = p {
                        let said = p
                            .get("description")
                            .and_then(Value::as_str)
                            .map(|d| format!("{d} {KEEP_SECRET}"))
                            .unwrap_or_else(|| KEEP_SECRET.to_owned());
                        p.insert("description".into(), Value::String(said));
                        // Blank is allowed: it means "keep".
                        p.remove("pattern");
                    }
                }
            }
        }
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            required.retain(|n| !n.as_str().is_some_and(|n| secrets.iter().any(|s| s == n)));
        }
    }
    out
}
