//! Settings from the environment: `<PROVIDER>_<FIELD>` variables (`UKGPRO_PASSWORD`), the
//! command line's way of giving settings without a file.

use connector_core::settings::SettingsSchema;
use serde_json::{Map, Value};

/// The environment variable that sets `field` for `prefix` (`UKGPRO_PASSWORD`).
pub fn var_name(prefix: &str, field: &str) -> String {
    format!(
        "{}_{}",
        prefix.to_ascii_uppercase(),
        field.to_ascii_uppercase()
    )
}

/// Overlays environment variables `<PREFIX>_<FIELD>` (upper-case) on `raw`, the
/// environment winning. Values of integer, number and boolean fields are parsed; one that
/// does not parse is kept as a string so that validation names the field.
pub fn overlay(
    schema: &SettingsSchema,
    prefix: &str,
    raw: &mut Map<String, Value>,
    lookup: impl Fn(&str) -> Option<String>,
) {
    for field in schema.fields() {
        let var = var_name(prefix, &field.name);
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
            // An object field (an auth choice) takes JSON: {"method": "bearer", ...}.
            Some("object") | None if text.trim_start().starts_with('{') => {
                serde_json::from_str::<Value>(&text)
                    .ok()
                    .filter(Value::is_object)
                    .unwrap_or(Value::String(text))
            }
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

#[cfg(test)]
mod tests {
    use connector_core::error::FieldError;
    use connector_core::settings::{Settings, SettingsSchema};
    use serde_json::{json, Map, Value};

    #[allow(dead_code)]
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(tag = "method", rename_all = "snake_case")]
    enum Auth {
        /// A token.
        Bearer {
            /// The token.
            token: String,
        },
    }

    /// Settings with a string, an integer and an object field.
    #[allow(dead_code)]
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct T {
        /// Host.
        host: String,
        /// Rows per page.
        #[serde(default)]
        page_size: u32,
        /// How to sign in.
        auth: Option<Auth>,
    }
    impl Settings for T {}

    #[test]
    fn variables_win_over_the_file_and_are_parsed_by_type() {
        let s = SettingsSchema::of::<T>();
        let mut raw = Map::new();
        raw.insert("host".into(), json!("from-file"));
        super::overlay(&s, "test", &mut raw, |var| match var {
            "TEST_HOST" => Some("from-env".into()),
            "TEST_PAGE_SIZE" => Some("25".into()),
            "TEST_AUTH" => Some(r#"{"method":"bearer","token":"t0k"}"#.into()),
            _ => None,
        });
        assert_eq!(raw["host"], "from-env");
        assert_eq!(raw["page_size"], 25);
        assert_eq!(raw["auth"]["method"], "bearer");
        // A value that does not parse stays a string, so that validation names the field.
        let mut raw = Map::new();
        super::overlay(&s, "test", &mut raw, |var| {
            (var == "TEST_PAGE_SIZE").then(|| "many".into())
        });
        let err = s.validate(Value::Object(raw)).unwrap_err();
        assert!(
            err.contains(&FieldError::new("page_size", "must be an integer")),
            "{err:?}"
        );
        assert_eq!(
            super::var_name("ukgpro", "customer_api_key"),
            "UKGPRO_CUSTOMER_API_KEY"
        );
    }
}
