//! UI hints for settings forms, beyond what the schema says.

use serde_json::{Map, Value};

use super::SettingsSchema;

impl SettingsSchema {
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
            } else if field.holds_secret {
                // A choice such as an auth method: the secrets of every option get a password
                // widget (react-jsonschema-form applies these to the option shown).
                for name in self.nested_secret_names(&field.name) {
                    hints.insert(
                        name,
                        serde_json::json!({"ui:widget": "password", "ui:autocomplete": "new-password"}),
                    );
                }
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
}
