//! UI schemas for settings forms, beyond what the schema says: react-jsonschema-form's
//! `uiSchema` and a JSON Forms UI schema, each for a new connection or an edit.

use serde_json::{json, Map, Value};

use super::forms::discriminators;
use super::SettingsSchema;

/// The title of the collapsed group of tuning settings.
pub const ADVANCED_TITLE: &str = "Advanced settings";

/// The options of a choice (`oneOf`), each resolved.
fn options<'a>(choice: &'a Value, root: &'a Value) -> impl Iterator<Item = &'a Value> {
    super::schema::resolve(choice, root)["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(move |option| super::schema::resolve(option, root))
}

impl SettingsSchema {
    /// The UI hints react-jsonschema-form needs beyond the schema, as its `uiSchema`: field
    /// order (`ui:order`, the advanced settings last), a password widget for every secret
    /// (`ui:widget`, `ui:autocomplete`), a placeholder (`ui:placeholder`, the first example),
    /// choice discriminators hidden (the option selector sets them), and the advanced group
    /// (`ui:options.groups`: its title, fields and that it starts collapsed, for the form's
    /// object template). Help text is the schema's `description`, which RJSF shows itself:
    /// it is not repeated here. `edit`: the edit form (secrets left blank keep their value).
    pub fn ui_schema_for(&self, edit: bool) -> Value {
        let mut ui = Map::new();
        let (main, advanced): (Vec<_>, Vec<_>) = self.fields.iter().partition(|f| !f.advanced);
        let mut order: Vec<Value> = main
            .iter()
            .chain(&advanced)
            .map(|f| Value::String(f.name.clone()))
            .collect();
        order.push(Value::String("*".into()));
        ui.insert("ui:order".into(), Value::Array(order));
        if !advanced.is_empty() {
            let fields: Vec<&str> = advanced.iter().map(|f| f.name.as_str()).collect();
            ui.insert(
                "ui:options".into(),
                json!({"groups": [{"id": "advanced", "title": ADVANCED_TITLE, "collapsed": true, "fields": fields}]}),
            );
        }
        let secret_widget = |edit: bool| {
            let mut w = json!({"ui:widget": "password", "ui:autocomplete": "new-password"});
            if edit {
                w["ui:placeholder"] = json!("unchanged");
            }
            w
        };
        let root = &self.document;
        for field in &self.fields {
            let mut hints = Map::new();
            if field.secret {
                hints = secret_widget(edit).as_object().cloned().unwrap_or_default();
            } else if field.holds_secret
                || !discriminators(&root["properties"][&field.name], root).is_empty()
            {
                // A choice such as an auth method: the secrets of every option get a password
                // widget and the discriminator is hidden (react-jsonschema-form applies these
                // to the option shown).
                for name in self.nested_secret_names(&field.name) {
                    hints.insert(name, secret_widget(edit));
                }
                let choice = &root["properties"][&field.name];
                for name in discriminators(choice, root) {
                    hints.insert(name, json!({"ui:widget": "hidden"}));
                }
                // Per option as well (RJSF's `oneOf` in a uiSchema), where each option's own
                // heading is hidden: the selector above already names the chosen option.
                let options: Vec<Value> = options(choice, root)
                    .map(|option| {
                        let mut hints = json!({"ui:options": {"label": false}});
                        for (name, p) in option["properties"].as_object().into_iter().flatten() {
                            if p.get("const").is_some() {
                                hints[name] = json!({"ui:widget": "hidden"});
                            } else if p["x-secret"] == true || p["writeOnly"] == true {
                                hints[name] = secret_widget(edit);
                            }
                        }
                        hints
                    })
                    .collect();
                if !options.is_empty() {
                    hints.insert("oneOf".into(), Value::Array(options));
                }
            } else if let Some(example) = root["properties"][&field.name]["examples"]
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

    /// [`ui_schema_for`](Self::ui_schema_for) a new connection.
    pub fn ui_schema(&self) -> Value {
        self.ui_schema_for(false)
    }

    /// A JSON Forms UI schema: a vertical layout of the main fields in display order, then a
    /// group "Advanced settings" (`options.collapsed`) with the tuning settings; each control
    /// labelled with its field's title, secrets with the `password` format option, other fields
    /// with their first example as `placeholder`. `edit` as in [`ui_schema_for`](Self::ui_schema_for).
    pub fn json_forms_ui_schema(&self, edit: bool) -> Value {
        let control = |f: &super::FieldInfo| {
            let name = &f.name;
            // The label said outright: JSON Forms loses a title written beside a `$ref`.
            let label = f.title.clone().unwrap_or_else(|| name.clone());
            let mut c =
                json!({"type": "Control", "scope": format!("#/properties/{name}"), "label": label});
            let example = self.document["properties"][name]["examples"]
                .as_array()
                .and_then(|e| e.first())
                .and_then(Value::as_str);
            if f.secret {
                c["options"] = json!({"format": "password"});
                if edit {
                    c["options"]["placeholder"] = json!("unchanged");
                }
            } else if let Some(example) = example {
                c["options"] = json!({"placeholder": example});
            }
            c
        };
        let (main, advanced): (Vec<_>, Vec<_>) = self.fields.iter().partition(|f| !f.advanced);
        let mut elements: Vec<Value> = main.iter().map(|f| control(f)).collect();
        if !advanced.is_empty() {
            elements.push(json!({
                "type": "Group",
                "label": ADVANCED_TITLE,
                "options": {"collapsed": true},
                "elements": advanced.iter().map(|f| control(f)).collect::<Vec<_>>(),
            }));
        }
        json!({"type": "VerticalLayout", "elements": elements})
    }
}
