//! Settings schemas as forms render them: one help text, plain paragraphs, non-blank required
//! text (the form's rules equal the connector's), hidden discriminators, the advanced group,
//! and the edit variant.

use super::*;
use crate::Secret;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// A service with a choice of credentials.
#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code)]
struct FormSettings {
    /// The host of the service, as its admin page shows it
    /// (e.g. `api.example.com`).
    #[schemars(title = "Host", example = &"api.example.com")]
    host: String,
    /// How to sign in.
    #[schemars(title = "Sign-in")]
    auth: Auth,
    /// Records per request.
    #[serde(default = "page")]
    #[schemars(title = "Page size", range(min = 1, max = 100), extend("x-group" = "advanced"))]
    page_size: u32,
    /// Timeouts and limits.
    #[serde(flatten)]
    http: HttpSettings,
}

fn page() -> u32 {
    10
}

/// The ways to sign in.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
#[allow(dead_code)]
enum Auth {
    /// A token.
    Token {
        /// The token.
        token: Secret,
    },
    /// A user and password.
    Basic {
        /// The user (no colon).
        #[schemars(pattern(r"^[^:]*$"))]
        username: String,
        /// The password.
        password: Secret,
    },
}

impl Settings for FormSettings {}

fn schema() -> SettingsSchema {
    SettingsSchema::of::<FormSettings>()
}

/// Every description in `value`.
fn descriptions(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(d)) = map.get("description") {
                out.push(d.clone());
            }
            map.values().for_each(|v| descriptions(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| descriptions(v, out)),
        _ => {}
    }
}

#[test]
fn help_text_is_one_plain_paragraph_shown_once() {
    let s = schema();
    let d = s.document();
    assert_eq!(
        d["properties"]["host"]["description"],
        "The host of the service, as its admin page shows it (e.g. api.example.com)."
    );
    let mut all = Vec::new();
    descriptions(d, &mut all);
    assert!(
        all.iter().all(|t| !t.contains('\n') && !t.contains('`')),
        "{all:?}"
    );
    // The choice's description is the field's; the definition's is dropped.
    assert_eq!(
        all.iter().filter(|t| t.contains("sign in")).count(),
        1,
        "{all:?}"
    );
    assert!(!s.ui_schema().to_string().contains("ui:help"));
}

#[test]
fn what_the_form_accepts_the_connector_accepts() {
    let s = schema();
    let form = s.to_draft(Draft::Draft07);
    let form = jsonschema::draft7::new(&form).expect("valid draft-07");
    let basic = |user: &str, password: &str| json!({"host": "api.example.com", "auth": {"method": "basic", "username": user, "password": password}});
    let cases = [
        (
            json!({"host": "api.example.com", "auth": {"method": "token", "token": "t0k"}}),
            true,
        ),
        (
            json!({"host": "   ", "auth": {"method": "token", "token": "t0k"}}),
            false,
        ),
        (
            json!({"host": "api.example.com", "auth": {"method": "token", "token": " \t "}}),
            false,
        ),
        (basic("ana", "pw"), true),
        (basic("   ", "pw"), false),
        (basic("a:b", "pw"), false),
        (basic("ana", "  "), false),
        (
            json!({"host": "api.example.com", "auth": {"method": "basic", "username": "ana"}}),
            false,
        ),
    ];
    for (raw, ok) in cases {
        assert_eq!(form.is_valid(&raw), ok, "form: {raw}");
        assert_eq!(s.validate(raw.clone()).is_ok(), ok, "connector: {raw}");
    }
    // A blank nested value is named in words, never by the non-blank pattern.
    for raw in [basic("   ", "pw"), basic("ana", "  ")] {
        let problems = s.validate(raw).unwrap_err();
        let said: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(!said.iter().any(|m| m.contains(r"\S")), "{said:?}");
        assert!(
            said.iter()
                .any(|m| m.contains("must not be blank") || m.contains("which also needs `")),
            "{said:?}"
        );
    }
}

#[test]
fn discriminators_set_themselves_and_are_hidden() {
    let s = schema();
    let d = s.document();
    let auth = schema::resolve(&d["properties"]["auth"], d);
    for branch in auth["oneOf"].as_array().unwrap() {
        let method = &branch["properties"]["method"];
        assert_eq!(method["default"], method["const"], "{branch}");
    }
    let ui = s.ui_schema();
    assert_eq!(ui["auth"]["method"]["ui:widget"], "hidden");
    assert_eq!(ui["auth"]["token"]["ui:widget"], "password");
    assert_eq!(ui["auth"]["password"]["ui:widget"], "password");
    // Per option too (what RJSF applies to the option shown), each option's heading hidden.
    let options = ui["auth"]["oneOf"].as_array().unwrap();
    assert_eq!(options.len(), 2);
    for option in options {
        assert_eq!(option["method"]["ui:widget"], "hidden", "{option}");
        assert_eq!(option["ui:options"]["label"], false, "{option}");
    }
    let secrets: Vec<&str> = options
        .iter()
        .flat_map(|o| o.as_object().unwrap())
        .filter(|(_, h)| h["ui:widget"] == "password")
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(secrets, ["token", "password"]);
    assert_eq!(
        s.ui_schema_for(true)["auth"]["oneOf"][0]["token"]["ui:placeholder"],
        "unchanged"
    );
}

#[test]
fn tuning_settings_are_grouped_and_collapsed_in_both_dialects() {
    let s = schema();
    let advanced: Vec<&str> = s
        .fields()
        .iter()
        .filter(|f| f.advanced)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        advanced,
        [
            "page_size",
            "timeout_secs",
            "max_concurrent_requests",
            "max_attempts",
            "max_retry_secs",
            "max_response_mb",
            "requests_per_minute"
        ]
    );
    let ui = s.ui_schema();
    assert_eq!(ui["ui:order"][0], "host");
    assert_eq!(ui["ui:order"][1], "auth");
    let group = &ui["ui:options"]["groups"][0];
    assert_eq!(group["title"], ADVANCED_TITLE);
    assert_eq!(group["collapsed"], true);
    assert_eq!(group["fields"], json!(advanced));
    let jf = s.json_forms_ui_schema(false);
    assert_eq!(jf["type"], "VerticalLayout");
    let elements = jf["elements"].as_array().unwrap();
    assert_eq!(elements[0]["scope"], "#/properties/host");
    assert_eq!(elements[2]["type"], "Group");
    assert_eq!(elements[2]["label"], ADVANCED_TITLE);
    assert_eq!(
        elements[2]["elements"].as_array().unwrap().len(),
        advanced.len()
    );
    // No "(optional)" in any title: required fields are starred by the renderer.
    assert!(!s.document().to_string().contains("(optional)"));
}

#[test]
fn the_edit_form_keeps_blank_secrets() {
    let s = schema();
    let edit = s.edit_document(Draft::Draft07);
    let form = jsonschema::draft7::new(&edit).expect("valid draft-07");
    let unchanged =
        json!({"host": "api.example.com", "auth": {"method": "basic", "username": "ana"}});
    assert!(
        form.is_valid(&unchanged),
        "a blank secret keeps the saved one"
    );
    assert!(form.is_valid(
        &json!({"host": "h", "auth": {"method": "basic", "username": "ana", "password": ""}})
    ));
    assert!(
        !form.is_valid(&json!({"host": "h", "auth": {"method": "basic", "username": " "}})),
        "other fields stay required"
    );
    let basic = &edit["definitions"]["Auth"]["oneOf"][1];
    assert_eq!(basic["required"], json!(["method", "username"]));
    assert!(basic["properties"]["password"]["description"]
        .as_str()
        .unwrap()
        .ends_with(KEEP_SECRET));
    // The create form is unchanged.
    assert!(!s.to_draft(Draft::Draft07).to_string().contains(KEEP_SECRET));
    assert_eq!(
        s.ui_schema_for(true)["auth"]["password"]["ui:placeholder"],
        "unchanged"
    );
}
