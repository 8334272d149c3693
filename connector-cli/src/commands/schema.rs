//! `connector schema user` (the SDK's record types) and `connector <provider> schema` (a
//! provider's settings, for settings forms).

use clap::{Arg, ArgAction, ArgMatches, Command};
use connector_core::settings::to_draft;
use connector_core::{ProviderDescriptor, User};

use crate::args;
use crate::runtime::print_json;

/// `schema user`.
pub fn cli_records() -> Command {
    Command::new("schema")
        .about("Print the JSON Schema of an SDK record type (`user`: one exported user)")
        .arg(
            Arg::new("what")
                .value_name("TYPE")
                .value_parser(["user"])
                .required(true)
                .help("The record type"),
        )
        .arg(args::draft())
}

/// Runs `schema user`.
pub fn exec_records(m: &ArgMatches) -> u8 {
    print_json(&to_draft(&User::json_schema(), args::draft_of(m)))
}

/// `<provider> schema`.
pub fn cli() -> Command {
    Command::new("schema")
        .about("Print the JSON Schema of the settings (for settings forms)")
        .long_about("Print the JSON Schema of the settings on stdout: titles, one-paragraph descriptions, display order (x-order), required fields (required text non-blank), secrets marked writeOnly + x-secret, tuning settings marked x-group: advanced. Draft 2020-12 by default; --draft 07 for form renderers whose validator is a draft-07 Ajv (react-jsonschema-form, JSON Forms). --edit prints the form of an edit instead, where a secret left blank keeps the saved value. --ui-schema prints the UI hints instead (field order, password widgets, placeholders, hidden choice discriminators, the collapsed advanced group): a react-jsonschema-form uiSchema, or with --ui-schema json-forms a JSON Forms UI schema.")
        .arg(args::draft())
        .arg(
            Arg::new("ui-schema")
                .long("ui-schema")
                .value_name("RENDERER")
                .num_args(0..=1)
                .default_missing_value("rjsf")
                .value_parser(["rjsf", "json-forms"])
                .help("Print the UI hints for a form renderer instead: rjsf (the default: a react-jsonschema-form uiSchema) or json-forms"),
        )
        .arg(
            Arg::new("edit")
                .long("edit")
                .action(ArgAction::SetTrue)
                .help("The edit form of a saved connection: secrets not required, a blank one keeps the saved value"),
        )
        .arg(
            Arg::new("editor")
                .long("editor")
                .action(ArgAction::SetTrue)
                .conflicts_with_all(["ui-schema", "edit"])
                .help("Allow a \"$schema\" key in the settings, so an editor that the config file points at this schema completes and checks it without flagging the key"),
        )
}

/// Runs `<provider> schema`.
pub fn exec(d: &ProviderDescriptor, m: &ArgMatches) -> u8 {
    let schema = d.settings_schema();
    let edit = m.get_flag("edit");
    match m.get_one::<String>("ui-schema").map(String::as_str) {
        Some("json-forms") => print_json(&schema.json_forms_ui_schema(edit)),
        Some(_) => print_json(&schema.ui_schema_for(edit)),
        None if edit => print_json(&schema.edit_document(args::draft_of(m))),
        None => {
            let mut document = schema.to_draft(args::draft_of(m));
            if m.get_flag("editor") {
                allow_schema_reference(&mut document);
            }
            print_json(&document)
        }
    }
}

/// Declares the `"$schema"` key that config files may carry (editors validate it against the
/// schema, which otherwise allows no unknown key; the connector ignores it when reading).
fn allow_schema_reference(document: &mut serde_json::Value) {
    if let Some(properties) = document
        .get_mut("properties")
        .and_then(|p| p.as_object_mut())
    {
        properties.insert(
            "$schema".to_owned(),
            serde_json::json!({
                "type": "string",
                "description": "Path or URL of this schema, for editors; ignored by the connector"
            }),
        );
    }
}
