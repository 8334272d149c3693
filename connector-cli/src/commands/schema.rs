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
        .long_about("Print the JSON Schema of the settings on stdout: titles, descriptions, display order (x-order), required fields, and secrets marked writeOnly + x-secret. Draft 2020-12 by default; --draft 07 for form renderers whose validator is a draft-07 Ajv (react-jsonschema-form, JSON Forms). --ui-schema prints the UI hints instead (field order, password widgets, help text, placeholders) as a react-jsonschema-form uiSchema.")
        .arg(args::draft())
        .arg(
            Arg::new("ui-schema")
                .long("ui-schema")
                .action(ArgAction::SetTrue)
                .help("Print the UI hints for form renderers (react-jsonschema-form uiSchema) instead"),
        )
        .arg(
            Arg::new("editor")
                .long("editor")
                .action(ArgAction::SetTrue)
                .conflicts_with("ui-schema")
                .help("Allow a \"$schema\" key in the settings, so an editor that the config file points at this schema completes and checks it without flagging the key"),
        )
}

/// Runs `<provider> schema`.
pub fn exec(d: &ProviderDescriptor, m: &ArgMatches) -> u8 {
    let schema = d.settings_schema();
    if m.get_flag("ui-schema") {
        print_json(&schema.ui_schema())
    } else {
        let mut document = schema.to_draft(args::draft_of(m));
        if m.get_flag("editor") {
            allow_schema_reference(&mut document);
        }
        print_json(&document)
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
